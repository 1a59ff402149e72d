/*
 * Decoding: argmax and top-n on every ISA against scalar and against plain
 * loops (sizes around every vector width, span and group, offsets,
 * strides, every sign of beta, ties, infinities, NaNs), top-n's
 * log-probabilities against log-softmax's bits, the error paths, and the
 * counter-based generator against its published vectors.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "call_options.h"
#include "common/philox.h"
#include "decode_rows.h"
#include "isa_tables.h"

static int check_rows(const struct sm_kernels *k, const char *name,
                      size_t rows, size_t n, size_t ld, const float *x,
                      float beta)
{
    int32_t got[4];
    for (size_t r = 0; r < rows; r++)
        got[r] = -7;
    k->argmax_rows(rows, n, beta, x, ld, got);
    int bad = 0;
    for (size_t r = 0; r < rows; r++) {
        const int32_t want = argmax_reference(x + r * ld, n, beta);
        if (got[r] != want && bad++ < 3)
            printf("%s: n=%zu ld=%zu beta=%g row %zu: %d, want %d\n", name,
                   n, ld, (double)beta, r, got[r], want);
    }
    return bad;
}

static void test_argmax_every_isa(void **state)
{
    (void)state;
    static const float betas[] = {1.0f, 0.5f, INFINITY, -1.0f, -INFINITY,
                                  0.0f};
    size_t sizes[400];
    size_t ns = 0;
    for (size_t n = 1; n <= 300; n++)
        sizes[ns++] = n;
    static const size_t large[] = {2047, 2048, 2049, 4096 + 17, 3 * 2048 + 5,
                                   100003, 262144 + 33};
    for (size_t i = 0; i < sizeof large / sizeof *large; i++)
        if (!test_quick() || large[i] < 10000)
            sizes[ns++] = large[i];
    const size_t max_n = 262144 + 33, rows = 3, pad = 5;
    float *x = malloc(((max_n + pad) * rows + 16) * sizeof(float));
    assert_non_null(x);
    uint64_t s = 12345;
    int bad = 0;
    for (int isa = SM_ISA_SCALAR; isa <= SM_ISA_COUNT; isa++) {
        const struct sm_kernels *k = table_for(isa);
        if (!k)
            continue;
        for (size_t si = 0; si < ns; si++) {
            const size_t n = sizes[si];
            const size_t ld = n + (n % 3 == 0 ? pad : 0);
            for (int p = 0; p < PATTERNS; p++) {
                if (n > 1000 && p != RANDOM && p != ASCENDING &&
                    p != INFINITIES && p != ONE_NAN)
                    continue;
                /* offsets 0..3 floats: every alignment of the loads */
                float *xr = x + (n + p) % 4;
                for (size_t r = 0; r < rows; r++)
                    fill_row(xr + r * ld, n, (enum pattern)p, &s);
                for (size_t b = 0; b < sizeof betas / sizeof *betas; b++)
                    bad += check_rows(k, table_name(isa), rows, n, ld, xr,
                                      betas[b]);
            }
        }
    }
    free(x);
    assert_int_equal(bad, 0);
}

/* The extremum in each position of each span, and a NaN before, at and
 * after it: the span logic's boundaries. */
static void test_argmax_span_boundaries(void **state)
{
    (void)state;
    const size_t n = 3 * 2048 + 40;
    float *x = malloc(n * sizeof(float));
    assert_non_null(x);
    static const size_t where[] = {0, 1, 15, 16, 2047, 2048, 2049, 4095,
                                   4096, 6143, 6144, 6183};
    int bad = 0;
    for (int isa = SM_ISA_SCALAR; isa <= SM_ISA_COUNT; isa++) {
        const struct sm_kernels *k = table_for(isa);
        if (!k)
            continue;
        for (size_t w = 0; w < sizeof where / sizeof *where; w++) {
            for (size_t i = 0; i < n; i++)
                x[i] = (float)(i % 97) * 0.01f;
            x[where[w]] = 5.0f;
            bad += check_rows(k, table_name(isa), 1, n, n, x, 1.0f);
            x[where[w]] = -5.0f;
            bad += check_rows(k, table_name(isa), 1, n, n, x, -1.0f);
            x[n - 1 - where[w]] = 7.0f; /* a tie later: the first wins */
            x[where[w]] = 7.0f;
            bad += check_rows(k, table_name(isa), 1, n, n, x, 1.0f);
            x[where[w]] = NAN;
            bad += check_rows(k, table_name(isa), 1, n, n, x, 1.0f);
            bad += check_rows(k, table_name(isa), 1, n, n, x, 0.0f);
        }
    }
    free(x);
    assert_int_equal(bad, 0);
}

/* One row's top n on table k against the reference indices want and the
 * log-probabilities lsm that k's log-softmax writes, bit for bit. */
static int check_top(const struct sm_kernels *k, const char *name,
                     const float *x, size_t cols, size_t n, float beta,
                     unsigned flags, const int32_t *want, const float *lsm)
{
    int32_t idx[SM_TOP_MAX];
    float logp[SM_TOP_MAX];
    for (size_t j = 0; j < n; j++) {
        idx[j] = -1;
        logp[j] = 12345.0f;
    }
    k->top_rows(1, cols, n, beta, x, cols, idx, n, logp, n, flags);
    int bad = 0;
    for (size_t j = 0; j < n; j++) {
        const int ok_index = idx[j] == want[j];
        const int ok_logp = ok_index && f32_bits(logp[j]) == f32_bits(lsm[want[j]]);
        if ((!ok_index || !ok_logp) && bad++ < 3)
            printf("%s: top cols=%zu n=%zu beta=%g flags=%u: #%zu is %d "
                   "(%a), want %d (%a)\n", name, cols, n, (double)beta,
                   flags, j, idx[j], (double)logp[j], want[j],
                   (double)lsm[want[j]]);
    }
    return bad;
}

static void test_top_every_isa(void **state)
{
    (void)state;
    static const float betas[] = {1.0f, 0.5f, -1.0f, INFINITY, 0.0f};
    size_t sizes[200];
    size_t ns = 0;
    for (size_t c = 1; c <= 70; c++)
        sizes[ns++] = c;
    static const size_t large[] = {100, 127, 128, 129, 1000, 4097, 32000,
                                   262144 + 33};
    for (size_t i = 0; i < sizeof large / sizeof *large; i++)
        if (!test_quick() || large[i] < 10000)
            sizes[ns++] = large[i];
    const size_t max_cols = 262144 + 33;
    float *x = malloc(max_cols * sizeof(float));
    float *lsm = malloc(2 * max_cols * sizeof(float));
    assert_non_null(x);
    assert_non_null(lsm);
    int32_t want[SM_TOP_MAX];
    uint64_t s = 777;
    int bad = 0;
    for (int isa = SM_ISA_SCALAR; isa <= SM_ISA_COUNT; isa++) {
        const struct sm_kernels *k = table_for(isa);
        if (!k)
            continue;
        for (size_t si = 0; si < ns; si++) {
            const size_t cols = sizes[si];
            const size_t ns_list[] = {1, 2, 3, 20, 64, cols, 1024};
            for (int p = 0; p < PATTERNS; p++) {
                if (cols > 4097 && p != RANDOM && p != ASCENDING &&
                    p != ONE_NAN)
                    continue;
                fill_row(x, cols, (enum pattern)p, &s);
                for (size_t b = 0; b < sizeof betas / sizeof *betas; b++) {
                    top_reference(x, cols, cols < 64 ? cols : 64, betas[b],
                                  want);
                    for (unsigned f = 0; f < 2; f++)
                        k->log_softmax_rows(1, cols, betas[b], x, cols,
                                            lsm + f * cols, cols,
                                            f ? SM_FAST_EXP : 0);
                    for (size_t ni = 0; ni < 7; ni++) {
                        const size_t n = ns_list[ni];
                        if (n > cols || n > SM_TOP_MAX ||
                            (cols > 4097 && n > 64))
                            continue;
                        if (n > 64)
                            top_reference(x, cols, n, betas[b], want);
                        for (unsigned f = 0; f < 2; f++)
                            bad += check_top(k, table_name(isa), x, cols, n,
                                             betas[b], f ? SM_FAST_EXP : 0,
                                             want, lsm + f * cols);
                    }
                }
            }
        }
    }
    free(lsm);
    free(x);
    assert_int_equal(bad, 0);
}

static void test_top_api(void **state)
{
    (void)state;
    /* rows {1, 3, -2, 3} and {0.5, 7, 7, -1} */
    const float x[8] = {1.0f, 3.0f, -2.0f, 3.0f, 0.5f, 7.0f, 7.0f, -1.0f};
    int32_t idx[6];
    float logp[6], lsm[8];
    assert_int_equal(sm_top_rows_f32(2, 4, 3, x, 4, idx, 3, logp, 3, NULL),
                     SM_OK);
    static const int32_t want[6] = {1, 3, 0, 1, 2, 0};
    for (int j = 0; j < 6; j++)
        assert_int_equal(idx[j], want[j]);
    assert_int_equal(sm_log_softmax_rows_f32(2, 4, x, 4, lsm, 4, NULL), SM_OK);
    for (int j = 0; j < 6; j++)
        assert_int_equal(f32_bits(logp[j]), f32_bits(lsm[(j / 3) * 4 + want[j]]));
    /* beta < 0: the smallest first; logp may be NULL */
    assert_int_equal(sm_top_rows_f32(2, 4, 2, x, 4, idx, 2, NULL, 0,
                                     OPTS(-1.0f, 0)), SM_OK);
    assert_int_equal(idx[0], 2);
    assert_int_equal(idx[1], 0);
    assert_int_equal(idx[2], 3);
    assert_int_equal(idx[3], 0);
    /* n = 0 and rows = 0: nothing to do */
    assert_int_equal(sm_top_rows_f32(2, 4, 0, x, 4, NULL, 0, NULL, 0, NULL),
                     SM_OK);
    assert_int_equal(sm_top_rows_f32(0, 4, 2, NULL, 4, NULL, 2, NULL, 2, NULL),
                     SM_OK);

    /* errors: nothing written */
    for (int j = 0; j < 6; j++) {
        idx[j] = -9;
        logp[j] = -9.0f;
    }
    assert_int_equal(sm_top_rows_f32(1, 4, 5, x, 4, idx, 5, logp, 5, NULL),
                     SM_EINVAL); /* n > cols */
    assert_int_equal(sm_top_rows_f32(1, 4, 2, x, 4, idx, 1, logp, 2, NULL),
                     SM_EINVAL); /* ldi < n */
    assert_int_equal(sm_top_rows_f32(1, 4, 2, x, 4, idx, 2, logp, 1, NULL),
                     SM_EINVAL); /* ldl < n */
    assert_int_equal(sm_top_rows_f32(2, 4, 2, x, 3, idx, 2, logp, 2, NULL),
                     SM_EINVAL); /* ldx < cols */
    assert_int_equal(sm_top_rows_f32(1, 4, 2, NULL, 4, idx, 2, logp, 2, NULL),
                     SM_EINVAL);
    assert_int_equal(sm_top_rows_f32(1, 4, 2, x, 4, NULL, 2, logp, 2, NULL),
                     SM_EINVAL);
    assert_int_equal(sm_top_rows_f32(1, 4, 2, x, 4, idx, 2, logp, 2,
                                     OPTS(NAN, 0)), SM_EINVAL);
    assert_int_equal(sm_top_rows_f32(1, 4, 2, x, 4, idx, 2, logp, 2,
                                     OPTS(1.0f, 0x40u)), SM_EINVAL);
    assert_int_equal(sm_top_rows_f32(1, 2000, SM_TOP_MAX + 1, x, 2000, idx,
                                     SM_TOP_MAX + 1, NULL, 0, NULL),
                     SM_EINVAL);
    assert_int_equal(sm_top_rows_f32(1, (size_t)INT32_MAX + 1, 2, x,
                                     (size_t)INT32_MAX + 1, idx, 2, NULL, 0,
                                     NULL), SM_ERANGE);
    assert_int_equal(sm_top_rows_f32(2, 4, 2, x, SIZE_MAX / 2, idx, 2, NULL,
                                     0, NULL), SM_ERANGE);
    /* index over logp, and an output inside the logits */
    float buf[16] = {0};
    assert_int_equal(sm_top_rows_f32(1, 4, 2, x, 4, (int32_t *)logp, 2, logp,
                                     2, NULL), SM_EOVERLAP);
    assert_int_equal(sm_top_rows_f32(1, 8, 2, buf, 8, idx, 2,
                                     buf + 4, 2, NULL), SM_EOVERLAP);
    assert_int_equal(sm_top_rows_f32(1, 8, 2, buf, 8, (int32_t *)(buf + 7), 2,
                                     NULL, 0, NULL), SM_EOVERLAP);
    for (int j = 0; j < 6; j++) {
        assert_int_equal(idx[j], -9);
        assert_int_equal(f32_bits(logp[j]), f32_bits(-9.0f));
    }
    for (int j = 0; j < 16; j++)
        assert_int_equal(f32_bits(buf[j]), 0u);
}

static void test_argmax_api(void **state)
{
    (void)state;
    const float x[6] = {1.0f, 3.0f, -2.0f, 3.0f, -2.0f, 0.5f};
    int32_t idx[3] = {-1, -1, -1};
    assert_int_equal(sm_argmax_f32(6, x, idx), SM_OK);
    assert_int_equal(idx[0], 1);
    assert_int_equal(sm_argmax_rows_f32(2, 3, x, 3, idx, NULL), SM_OK);
    assert_int_equal(idx[0], 1);
    assert_int_equal(idx[1], 0); /* row {3, -2, 0.5} */
    assert_int_equal(sm_argmax_rows_f32(2, 3, x, 3, idx, OPTS(-2.0f, 0)),
                     SM_OK);
    assert_int_equal(idx[0], 2);
    assert_int_equal(idx[1], 1);
    assert_int_equal(sm_argmax_rows_f32(2, 3, x, 3, idx, OPTS(0.0f, 0)),
                     SM_OK);
    assert_int_equal(idx[0], 0);
    assert_int_equal(idx[1], 0);
    /* the fast-exp flag is accepted (nothing to exp) */
    assert_int_equal(
        sm_argmax_rows_f32(1, 6, x, 6, idx, OPTS(1.0f, SM_FAST_EXP)), SM_OK);
    assert_int_equal(idx[0], 1);
    /* strided rows: {1, 3} and {-2, 0.5}, 4 floats apart */
    assert_int_equal(sm_argmax_rows_f32(2, 2, x, 4, idx, NULL), SM_OK);
    assert_int_equal(idx[0], 1);
    assert_int_equal(idx[1], 1);

    /* errors: nothing written */
    idx[0] = idx[1] = -9;
    assert_int_equal(sm_argmax_rows_f32(1, 6, x, 6, idx, OPTS(NAN, 0)),
                     SM_EINVAL);
    assert_int_equal(sm_argmax_rows_f32(1, 6, x, 6, idx, OPTS(1.0f, 0x80u)),
                     SM_EINVAL);
    sm_options small = SM_OPTIONS_INIT;
    small.size = sizeof(size_t);
    assert_int_equal(sm_argmax_rows_f32(1, 6, x, 6, idx, &small), SM_EINVAL);
    assert_int_equal(sm_argmax_rows_f32(1, 6, NULL, 6, idx, NULL), SM_EINVAL);
    assert_int_equal(sm_argmax_rows_f32(1, 6, x, 6, NULL, NULL), SM_EINVAL);
    assert_int_equal(sm_argmax_rows_f32(2, 6, x, 5, idx, NULL), SM_EINVAL);
    assert_int_equal(sm_argmax_rows_f32(1, 0, x, 0, idx, NULL), SM_EINVAL);
    assert_int_equal(sm_argmax_f32(0, x, idx), SM_EINVAL);
    assert_int_equal(sm_argmax_rows_f32(1, (size_t)INT32_MAX + 1, x,
                                        (size_t)INT32_MAX + 1, idx, NULL),
                     SM_ERANGE);
    assert_int_equal(sm_argmax_rows_f32(2, 3, x, SIZE_MAX / 2, idx, NULL),
                     SM_ERANGE);
    assert_int_equal(idx[0], -9);
    assert_int_equal(idx[1], -9);
    /* index inside the row it reads */
    float buf[8] = {0};
    assert_int_equal(
        sm_argmax_rows_f32(1, 8, buf, 8, (int32_t *)(buf + 3), NULL),
        SM_EOVERLAP);
    assert_int_equal(buf[3], 0.0f);
    /* no rows: nothing to do, nothing read */
    assert_int_equal(sm_argmax_rows_f32(0, 6, NULL, 6, NULL, NULL), SM_OK);
}

/* The index is written right up to a guard page, and nowhere past it. */
static void test_argmax_guarded(void **state)
{
    (void)state;
    const size_t rows = 5, cols = 33;
    struct guard_buf gx, gi;
    float *x = guard_alloc(&gx, rows * cols);
    int32_t *idx = (int32_t *)guard_alloc(&gi, rows);
    assert_non_null(x);
    assert_non_null(idx);
    uint64_t s = 99;
    for (size_t i = 0; i < rows * cols; i++)
        x[i] = rng_uniform(&s, -1.0f, 1.0f);
    assert_int_equal(sm_argmax_rows_f32(rows, cols, x, cols, idx, NULL), SM_OK);
    for (size_t r = 0; r < rows; r++)
        assert_int_equal(idx[r], argmax_reference(x + r * cols, cols, 1.0f));
    assert_int_equal(guard_free(&gx), 0);
    assert_int_equal(guard_free(&gi), 0);
}

/* Random123's published known-answer vectors for Philox4x32-10
 * (counter, key, output), and the library's use of it. */
static void test_philox_known_answers(void **state)
{
    (void)state;
    static const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0,
         0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
         0xffffffff, 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822,
         0x299f31d0, 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    for (int v = 0; v < 3; v++) {
        const struct sm_philox_block b = philox4x32_10(kat[v], kat[v] + 4);
        for (int w = 0; w < 4; w++)
            assert_int_equal(b.w[w], kat[v][6 + w]);
    }
    /* seed = key (low word first), counter = (counter, draw) */
    const struct sm_philox_block b =
        sm_random_block(0x299f31d0a4093822u, 0x85a308d3243f6a88u,
                        0x0370734413198a2eu);
    for (int w = 0; w < 4; w++)
        assert_int_equal(b.w[w], kat[2][6 + w]);
    assert_true(sm_uniform53(0, 0) == 0.0);
    assert_true(sm_uniform53(UINT32_MAX, UINT32_MAX) == 1.0 - 0x1p-53);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_argmax_every_isa),
        cmocka_unit_test(test_argmax_span_boundaries),
        cmocka_unit_test(test_argmax_api),
        cmocka_unit_test(test_argmax_guarded),
        cmocka_unit_test(test_top_every_isa),
        cmocka_unit_test(test_top_api),
        cmocka_unit_test(test_philox_known_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
