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
#include "isa_tables.h"

/* The definition: the first NaN, else (beta != 0) the first extremum. */
static int32_t argmax_reference(const float *x, size_t n, float beta)
{
    for (size_t i = 0; i < n; i++)
        if (x[i] != x[i])
            return (int32_t)i;
    size_t best = 0;
    for (size_t i = 1; beta != 0.0f && i < n; i++)
        if (beta > 0.0f ? x[i] > x[best] : x[i] < x[best])
            best = i;
    return (int32_t)best;
}

enum pattern {
    RANDOM,     /* uniform, ties unlikely */
    FEW_VALUES, /* integers 0..7: many ties at both extremes */
    ASCENDING,  /* every span beats the one before */
    DESCENDING,
    INFINITIES, /* -inf masks and a +inf or two */
    ALL_MASKED, /* every entry -inf */
    SIGNED_ZEROS,
    ONE_NAN,    /* a NaN late in the row, after the extremum */
    NAN_AND_INF,
    PATTERNS
};

static void fill_row(float *x, size_t n, enum pattern p, uint64_t *s)
{
    for (size_t i = 0; i < n; i++) {
        switch (p) {
        case FEW_VALUES:
            x[i] = (float)(rng_next(s) % 8);
            break;
        case ASCENDING:
            x[i] = (float)i * 0.5f;
            break;
        case DESCENDING:
            x[i] = -(float)i * 0.25f;
            break;
        case ALL_MASKED:
            x[i] = -INFINITY;
            break;
        case SIGNED_ZEROS:
            x[i] = rng_next(s) % 2 ? 0.0f : -0.0f;
            break;
        default:
            x[i] = rng_uniform(s, -30.0f, 30.0f);
        }
    }
    if (p == INFINITIES || p == NAN_AND_INF)
        for (size_t i = 0; i < n; i++)
            if (rng_next(s) % 5 == 0)
                x[i] = -INFINITY;
    if (p == INFINITIES) {
        x[(n * 2) / 3] = INFINITY;
        x[n - 1] = INFINITY;
    }
    if (p == ONE_NAN || p == NAN_AND_INF) {
        x[n / 2] = 1e30f;
        x[n - 1 - n / 5] = test_nan_payload((int)(n % 2));
        x[n - 1] = INFINITY;
    }
}

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

/* a ranks above b (at indices ia < ib or ia > ib) in softmax_beta's
 * order: NaN first, then by value on the side of beta, ties to the lower
 * index. */
static int ranks_above(float a, size_t ia, float b, size_t ib, float beta)
{
    const int an = a != a, bn = b != b;
    if (an != bn)
        return an;
    if (!an && beta != 0.0f && a != b)
        return beta > 0.0f ? a > b : a < b;
    return ia < ib;
}

/* qsort has no context argument: the row and beta being sorted. */
static const float *sort_x;
static float sort_beta;

static int by_rank(const void *a, const void *b)
{
    const size_t ia = (size_t)*(const int32_t *)a;
    const size_t ib = (size_t)*(const int32_t *)b;
    return ranks_above(sort_x[ia], ia, sort_x[ib], ib, sort_beta) ? -1 : 1;
}

/* The n best indices of a row: the first n of all its indices sorted. */
static void top_reference(const float *x, size_t cols, size_t n, float beta,
                          int32_t *want)
{
    int32_t *all = malloc(cols * sizeof *all);
    assert_non_null(all);
    for (size_t i = 0; i < cols; i++)
        all[i] = (int32_t)i;
    sort_x = x;
    sort_beta = beta;
    qsort(all, cols, sizeof *all, by_rank);
    memcpy(want, all, n * sizeof *want);
    free(all);
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

/* ---- sampling -------------------------------------------------------------- */

static sm_sampler_options sampler(float beta, int32_t k, float top_p,
                                  float min_p, unsigned flags)
{
    sm_sampler_options o = SM_SAMPLER_OPTIONS_INIT;
    o.beta = beta;
    o.flags = flags;
    o.seed = 0x5eed5eed12345678u;
    o.top_k = k;
    o.top_p = top_p;
    o.min_p = min_p;
    return o;
}

/* The kept set by its definition, in double: sort by rank, top-k, min-p,
 * top-p; p[i] the token's probability under it (0 off it). Returns the
 * kept set's size. */
static size_t kept_reference(const float *x, size_t cols, float beta,
                             int32_t k, float top_p, float min_p, double *p)
{
    int32_t *order = malloc(cols * sizeof *order);
    assert_non_null(order);
    top_reference(x, cols, cols, beta, order);
    const double m = x[order[0]];
    size_t n = k > 0 && (size_t)k < cols ? (size_t)k : cols;
    double *e = malloc(cols * sizeof *e);
    assert_non_null(e);
    size_t keep = 0;
    double mass = 0.0;
    for (; keep < n; keep++) {
        const double xi = x[order[keep]];
        e[keep] = beta == 0.0f ? 1.0 : xi == m ? 1.0 : exp(beta * (xi - m));
        if (e[keep] < min_p)
            break;
        mass += e[keep];
    }
    if (top_p < 1.0f) {
        double run = 0.0;
        size_t j = 0;
        while (j < keep && run < top_p * mass)
            run += e[j++];
        keep = j < 1 ? 1 : j;
        mass = j < 1 ? e[0] : run;
    }
    for (size_t i = 0; i < cols; i++)
        p[i] = 0.0;
    for (size_t j = 0; j < keep; j++)
        p[order[j]] = e[j] / mass;
    free(e);
    free(order);
    return keep;
}

/* Tokens, probabilities and log-probabilities of every ISA equal scalar's
 * bit for bit, over sizes, options and counters. */
static void test_sample_every_isa(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 2, 7, 16, 33, 100, 1000, 1025, 1500,
                                   5000, 40000};
    static const float opts[][4] = { /* beta, top_k, top_p, min_p */
        {1.0f, 0, 1.0f, 0.0f},     {0.5f, 0, 1.0f, 0.0f},
        {2.0f, 40, 0.95f, 0.05f},  {1.0f, 5, 1.0f, 0.0f},
        {1.0f, 0, 0.9f, 0.0f},     {1.0f, 0, 1.0f, 0.1f},
        {0.05f, 0, 0.9f, 0.0f},    {0.05f, 0, 1.0f, 0.001f},
        {-1.0f, 10, 0.8f, 0.0f},   {INFINITY, 0, 1.0f, 0.0f},
        {0.0f, 7, 0.5f, 0.0f},     {1.0f, 1000, 0.99f, 0.0f},
    };
    const size_t rows = 6, max_cols = 40000;
    float *x = malloc(rows * max_cols * sizeof(float));
    assert_non_null(x);
    uint64_t counter[6];
    int32_t tok_ref[6], tok[6];
    float prob_ref[6], prob[6], lp_ref[6], lp[6];
    uint64_t s = 4242;
    int bad = 0;
    const struct sm_kernels *ref = table_for(SM_ISA_SCALAR);
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        const size_t cols = sizes[si];
        if (test_quick() && cols > 1500)
            continue;
        for (int p = 0; p < PATTERNS; p++) {
            if (cols >= 1000 && p != RANDOM && p != FEW_VALUES)
                continue;
            for (size_t r = 0; r < rows; r++)
                fill_row(x + r * cols, cols, (enum pattern)p, &s);
            for (size_t oi = 0; oi < sizeof opts / sizeof *opts; oi++) {
                const sm_sampler_options o =
                    sampler(opts[oi][0], (int32_t)opts[oi][1], opts[oi][2],
                            opts[oi][3], 0);
                const struct sm_sample_args a = {o.seed, counter, o.top_k,
                                                 o.top_p, o.min_p};
                for (unsigned f = 0; f < 2; f++) {
                    for (size_t r = 0; r < rows; r++)
                        counter[r] = rng_next(&s);
                    const unsigned flags = f ? SM_FAST_EXP : 0;
                    ref->sample_rows(rows, cols, o.beta, x, cols, &a, tok_ref,
                                     prob_ref, lp_ref, flags);
                    for (int isa = SM_ISA_SCALAR + 1; isa <= SM_ISA_COUNT;
                         isa++) {
                        const struct sm_kernels *k = table_for(isa);
                        if (!k)
                            continue;
                        k->sample_rows(rows, cols, o.beta, x, cols, &a, tok,
                                       prob, lp, flags);
                        for (size_t r = 0; r < rows; r++)
                            if ((tok[r] != tok_ref[r] ||
                                 f32_bits(prob[r]) != f32_bits(prob_ref[r]) ||
                                 f32_bits(lp[r]) != f32_bits(lp_ref[r])) &&
                                bad++ < 5)
                                printf("%s: sample cols=%zu pattern %d "
                                       "options %zu flags %u row %zu: %d %a "
                                       "%a, scalar %d %a %a\n",
                                       table_name(isa), cols, p, oi, flags, r,
                                       tok[r], (double)prob[r], (double)lp[r],
                                       tok_ref[r], (double)prob_ref[r],
                                       (double)lp_ref[r]);
                    }
                }
            }
        }
    }
    free(x);
    assert_int_equal(bad, 0);
}

/* Chi-square of n draws against the kept set's probabilities, per token
 * or (bins > 0) per bin of consecutive tokens: below the 0.999 quantile
 * (Wilson-Hilferty) of its degrees of freedom. The seed is fixed, so the
 * test is deterministic. */
static void check_frequencies(const char *what, const float *x, size_t cols,
                              const sm_sampler_options *o, size_t draws,
                              size_t bins)
{
    double *p = malloc(cols * sizeof *p);
    size_t *count = calloc(cols, sizeof *count);
    assert_non_null(p);
    assert_non_null(count);
    const size_t kept = kept_reference(x, cols, o->beta, o->top_k, o->top_p,
                                       o->min_p, p);
    enum { BATCH = 256 };
    uint64_t counter[BATCH];
    int32_t tok[BATCH];
    float prob[BATCH];
    float *rows = malloc(BATCH * cols * sizeof *rows);
    assert_non_null(rows);
    for (size_t r = 0; r < BATCH; r++)
        memcpy(rows + r * cols, x, cols * sizeof *x);
    for (size_t d = 0; d < draws; d += BATCH) {
        for (size_t r = 0; r < BATCH; r++)
            counter[r] = d + r;
        assert_int_equal(sm_sample_rows_f32(BATCH, cols, rows, cols, counter,
                                            tok, prob, NULL, o), SM_OK);
        for (size_t r = 0; r < BATCH; r++) {
            assert_true(tok[r] >= 0 && (size_t)tok[r] < cols);
            if (p[tok[r]] == 0.0)
                fail_msg("%s: token %d is not in the kept set", what, tok[r]);
            if (fabs(prob[r] - p[tok[r]]) > 1e-5 * p[tok[r]] + 1e-7)
                fail_msg("%s: prob %g, want %g", what, (double)prob[r],
                         p[tok[r]]);
            count[tok[r]]++;
        }
    }
    const double n = (double)(draws / BATCH * BATCH);
    size_t cells = kept;
    if (bins) { /* fold token i into bin i * bins / cols */
        for (size_t i = 0; i < cols; i++) {
            const size_t b = i * bins / cols;
            if (b != i) {
                p[b] += p[i];
                count[b] += count[i];
                p[i] = 0.0;
                count[i] = 0;
            }
        }
        cells = 0;
        for (size_t b = 0; b < bins; b++)
            cells += p[b] > 0.0;
    }
    double chi2 = 0.0;
    for (size_t i = 0; i < cols; i++)
        if (p[i] > 0.0)
            chi2 += (count[i] - n * p[i]) * (count[i] - n * p[i]) / (n * p[i]);
    const double df = cells > 1 ? (double)(cells - 1) : 1.0;
    const double h = 2.0 / (9.0 * df), z = 3.0902;
    const double limit = df * pow(1.0 - h + z * sqrt(h), 3.0);
    if (cells > 1 && chi2 > limit)
        fail_msg("%s: chi-square %.2f > %.2f (df %.0f)", what, chi2, limit,
                 df);
    free(rows);
    free(count);
    free(p);
}

static void test_sample_frequencies(void **state)
{
    (void)state;
    const float x[12] = {2.0f, 1.0f, 0.5f, 3.0f, -1.0f, 0.0f,
                         1.5f, 2.5f, -0.5f, 1.0f, 0.25f, -2.0f};
    const size_t draws = test_quick() ? 8192 : 65536;
    const sm_sampler_options plain = sampler(1.0f, 0, 1.0f, 0.0f, 0);
    check_frequencies("plain", x, 12, &plain, draws, 0);
    const sm_sampler_options hot = sampler(0.5f, 0, 1.0f, 0.0f, SM_FAST_EXP);
    check_frequencies("temperature 2, fast exp", x, 12, &hot, draws, 0);
    const sm_sampler_options k = sampler(1.0f, 4, 1.0f, 0.0f, 0);
    check_frequencies("top-k 4", x, 12, &k, draws, 0);
    const sm_sampler_options tp = sampler(1.0f, 0, 0.8f, 0.0f, 0);
    check_frequencies("top-p 0.8", x, 12, &tp, draws, 0);
    const sm_sampler_options mp = sampler(1.0f, 0, 1.0f, 0.2f, 0);
    check_frequencies("min-p 0.2", x, 12, &mp, draws, 0);
    const sm_sampler_options all = sampler(1.5f, 6, 0.9f, 0.05f, 0);
    check_frequencies("top-k 6, top-p 0.9, min-p 0.05", x, 12, &all, draws, 0);
    const sm_sampler_options neg = sampler(-1.0f, 0, 1.0f, 0.0f, 0);
    check_frequencies("beta -1", x, 12, &neg, draws, 0);
    const sm_sampler_options flat = sampler(0.0f, 5, 1.0f, 0.0f, 0);
    check_frequencies("beta 0, top-k 5", x, 12, &flat, draws, 0);
    /* Kept sets beyond SM_TOP_MAX entries: the walk over the whole row
     * (distinct values: no ties at the boundary, which that path keeps
     * whole). */
    const size_t wide = test_quick() ? 1200 : 3000;
    float *w = malloc(wide * sizeof *w);
    assert_non_null(w);
    for (size_t i = 0; i < wide; i++)
        w[i] = (float)((i * 7919) % wide) * 1e-5f;
    const sm_sampler_options wide_p = sampler(1.0f, 0, 0.9f, 0.0f, 0);
    check_frequencies("top-p 0.9, wide", w, wide, &wide_p, draws / 4, 16);
    const sm_sampler_options wide_m = sampler(1.0f, 0, 1.0f, 0.95f, 0);
    check_frequencies("min-p 0.95, wide", w, wide, &wide_m, draws / 4, 16);
    free(w);
}

/* The boundaries the options define. */
static void test_sample_boundaries(void **state)
{
    (void)state;
    const float x[6] = {1.0f, 3.0f, 2.0f, 3.0f, -1.0f, 0.0f};
    uint64_t counter[4] = {1, 2, 3, 4};
    int32_t tok[4];
    float prob[4], lp[4];
    sm_sampler_options o = sampler(INFINITY, 0, 1.0f, 0.0f, 0);
    for (uint64_t c = 0; c < 20; c++) { /* greedy: the first maximum */
        counter[0] = c;
        assert_int_equal(sm_sample_rows_f32(1, 6, x, 6, counter, tok, prob,
                                            lp, &o), SM_OK);
        assert_int_equal(tok[0], 1);
        assert_true(prob[0] == 1.0f);
        o = sampler(1.0f, 1, 1.0f, 0.0f, 0); /* top-k 1: the same */
        assert_int_equal(sm_sample_rows_f32(1, 6, x, 6, counter, tok, prob,
                                            NULL, &o), SM_OK);
        assert_int_equal(tok[0], 1);
        o = sampler(1.0f, 0, 0.0f, 0.0f, 0); /* top-p 0: the most probable */
        assert_int_equal(sm_sample_rows_f32(1, 6, x, 6, counter, tok, prob,
                                            NULL, &o), SM_OK);
        assert_int_equal(tok[0], 1);
        o = sampler(1.0f, 0, 1.0f, 1.0f, 0); /* min-p 1: the maxima */
        assert_int_equal(sm_sample_rows_f32(1, 6, x, 6, counter, tok, prob,
                                            NULL, &o), SM_OK);
        assert_true(tok[0] == 1 || tok[0] == 3);
        assert_true(prob[0] == 0.5f);
        o = sampler(INFINITY, 0, 1.0f, 0.0f, 0);
    }
    /* the log-probability is log-softmax's */
    float lsm[6];
    o = sampler(0.7f, 0, 1.0f, 0.0f, SM_FAST_EXP);
    assert_int_equal(sm_sample_rows_f32(1, 6, x, 6, counter, tok, prob, lp,
                                        &o), SM_OK);
    assert_int_equal(sm_log_softmax_rows_f32(1, 6, x, 6, lsm, 6,
                                             OPTS(0.7f, SM_FAST_EXP)), SM_OK);
    assert_int_equal(f32_bits(lp[0]), f32_bits(lsm[tok[0]]));
    /* top-k >= cols and top-p 1, min-p 0 are off: the same draws */
    const sm_sampler_options off = sampler(1.0f, 6, 1.0f, 0.0f, 0);
    const sm_sampler_options none = sampler(1.0f, 0, 1.0f, 0.0f, 0);
    for (uint64_t c = 0; c < 50; c++) {
        int32_t a, b;
        counter[0] = c;
        assert_int_equal(sm_sample_rows_f32(1, 6, x, 6, counter, &a, NULL,
                                            NULL, &off), SM_OK);
        assert_int_equal(sm_sample_rows_f32(1, 6, x, 6, counter, &b, NULL,
                                            NULL, &none), SM_OK);
        assert_int_equal(a, b);
    }
    /* one token */
    assert_int_equal(sm_sample_rows_f32(1, 1, x, 1, counter, tok, prob, lp,
                                        NULL), SM_OK);
    assert_int_equal(tok[0], 0);
    assert_true(prob[0] == 1.0f);
    /* rows without a distribution: the others are sampled */
    const float rows[3][3] = {{1.0f, 2.0f, 3.0f},
                              {-INFINITY, -INFINITY, -INFINITY},
                              {0.0f, NAN, 1.0f}};
    for (int i = 0; i < 3; i++)
        tok[i] = 99;
    assert_int_equal(sm_sample_rows_f32(3, 3, &rows[0][0], 3, counter, tok,
                                        prob, lp, NULL), SM_EDOMAIN);
    assert_true(tok[0] >= 0 && tok[0] < 3);
    assert_int_equal(tok[1], -1);
    assert_int_equal(tok[2], -1);
    assert_true(isnan(prob[1]) && isnan(lp[1]) && isnan(prob[2]));
    /* a reproducible draw: the seed and counter decide */
    const sm_sampler_options s1 = sampler(1.0f, 0, 1.0f, 0.0f, 0);
    int32_t first[64], again[64];
    uint64_t cs[64];
    float wide[64 * 6];
    for (int i = 0; i < 64; i++) {
        cs[i] = (uint64_t)i * 977;
        memcpy(wide + i * 6, x, sizeof x);
    }
    assert_int_equal(sm_sample_rows_f32(64, 6, wide, 6, cs, first, NULL, NULL,
                                        &s1), SM_OK);
    for (int i = 0; i < 64; i++) {
        assert_int_equal(sm_sample_rows_f32(1, 6, x, 6, cs + i, again + i,
                                            NULL, NULL, &s1), SM_OK);
        assert_int_equal(first[i], again[i]);
    }
}

static void test_sample_errors(void **state)
{
    (void)state;
    const float x[4] = {1.0f, 2.0f, 3.0f, 4.0f};
    uint64_t counter[2] = {0, 1};
    int32_t tok[2] = {-9, -9};
    float prob[2] = {-9.0f, -9.0f};
    sm_sampler_options o = sampler(1.0f, -1, 1.0f, 0.0f, 0);
    assert_int_equal(sm_sample_rows_f32(2, 2, x, 2, counter, tok, prob, NULL,
                                        &o), SM_EINVAL);
    static const float bad_p[] = {-0.1f, 1.5f, NAN};
    for (int i = 0; i < 3; i++) {
        o = sampler(1.0f, 0, bad_p[i], 0.0f, 0);
        assert_int_equal(sm_sample_rows_f32(2, 2, x, 2, counter, tok, prob,
                                            NULL, &o), SM_EINVAL);
        o = sampler(1.0f, 0, 1.0f, bad_p[i], 0);
        assert_int_equal(sm_sample_rows_f32(2, 2, x, 2, counter, tok, prob,
                                            NULL, &o), SM_EINVAL);
    }
    o = sampler(NAN, 0, 1.0f, 0.0f, 0);
    assert_int_equal(sm_sample_rows_f32(2, 2, x, 2, counter, tok, prob, NULL,
                                        &o), SM_EINVAL);
    /* top-k beyond SM_TOP_MAX and below cols; at or above cols it is off */
    float *big = calloc(SM_TOP_MAX + 2, sizeof *big);
    assert_non_null(big);
    o = sampler(1.0f, SM_TOP_MAX + 1, 1.0f, 0.0f, 0);
    assert_int_equal(sm_sample_rows_f32(1, SM_TOP_MAX + 2, big, SM_TOP_MAX + 2,
                                        counter, tok, prob, NULL, &o),
                     SM_EINVAL);
    assert_int_equal(sm_sample_rows_f32(1, SM_TOP_MAX + 1, big, SM_TOP_MAX + 1,
                                        counter, tok + 1, NULL, NULL, &o),
                     SM_OK);
    tok[1] = -9;
    free(big);
    o = sampler(1.0f, 0, 1.0f, 0.0f, 0x10u);
    assert_int_equal(sm_sample_rows_f32(2, 2, x, 2, counter, tok, prob, NULL,
                                        &o), SM_EINVAL);
    o = sampler(1.0f, 0, 1.0f, 0.0f, 0);
    o.reserved = 1;
    assert_int_equal(sm_sample_rows_f32(2, 2, x, 2, counter, tok, prob, NULL,
                                        &o), SM_EINVAL);
    o = sampler(1.0f, 0, 1.0f, 0.0f, 0);
    o.size = sizeof(size_t);
    assert_int_equal(sm_sample_rows_f32(2, 2, x, 2, counter, tok, prob, NULL,
                                        &o), SM_EINVAL);
    o.size = sizeof o + 8;
    assert_int_equal(sm_sample_rows_f32(2, 2, x, 2, counter, tok, prob, NULL,
                                        &o), SM_EINVAL);
    assert_int_equal(sm_sample_rows_f32(2, 0, x, 0, counter, tok, prob, NULL,
                                        NULL), SM_EINVAL);
    assert_int_equal(sm_sample_rows_f32(2, 2, x, 1, counter, tok, prob, NULL,
                                        NULL), SM_EINVAL);
    assert_int_equal(sm_sample_rows_f32(2, 2, NULL, 2, counter, tok, prob,
                                        NULL, NULL), SM_EINVAL);
    assert_int_equal(sm_sample_rows_f32(2, 2, x, 2, NULL, tok, prob, NULL,
                                        NULL), SM_EINVAL);
    assert_int_equal(sm_sample_rows_f32(2, 2, x, 2, counter, NULL, prob, NULL,
                                        NULL), SM_EINVAL);
    assert_int_equal(sm_sample_rows_f32(1, (size_t)INT32_MAX + 1, x,
                                        (size_t)INT32_MAX + 1, counter, tok,
                                        prob, NULL, NULL), SM_ERANGE);
    /* overlaps: token on prob, prob inside x, token on the counters */
    assert_int_equal(sm_sample_rows_f32(2, 2, x, 2, counter, (int32_t *)prob,
                                        prob, NULL, NULL), SM_EOVERLAP);
    float xs[4] = {1.0f, 2.0f, 3.0f, 4.0f};
    assert_int_equal(sm_sample_rows_f32(2, 2, xs, 2, counter, tok, xs + 2,
                                        NULL, NULL), SM_EOVERLAP);
    assert_int_equal(sm_sample_rows_f32(2, 2, x, 2, counter,
                                        (int32_t *)counter, prob, NULL, NULL),
                     SM_EOVERLAP);
    assert_int_equal(tok[0], -9);
    assert_int_equal(tok[1], -9);
    assert_true(prob[0] == -9.0f && prob[1] == -9.0f);
    assert_true(xs[2] == 3.0f && counter[0] == 0 && counter[1] == 1);
    assert_int_equal(sm_sample_rows_f32(0, 2, NULL, 2, NULL, NULL, NULL, NULL,
                                        NULL), SM_OK);
    assert_string_equal(sm_strerror(SM_EDOMAIN),
                        "a row has no distribution to sample from (NaN or "
                        "fully masked)");
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
        cmocka_unit_test(test_sample_every_isa),
        cmocka_unit_test(test_sample_frequencies),
        cmocka_unit_test(test_sample_boundaries),
        cmocka_unit_test(test_sample_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
