/*
 * Gumbel-max sampling: every ISA against scalar and against a plain loop
 * that computes every entry's key (so the kernels' filter never skips a
 * winner), over sizes, special values and extreme logits; the frequencies
 * against softmax (chi-square, fixed seed), with infinities, beta 0, bias
 * and penalties; the error paths.
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
#include "common/log1p.h"
#include "common/philox.h"
#include "isa_tables.h"
#include "sample_reference.h"

/* The header's definition, entry by entry: word k of block (counter,
 * 16 j + 8 h + b) for entry 64 j + 16 k + 8 h + b; every key in double. */
static int32_t gumbel_reference(const float *x, size_t cols, float beta,
                                uint64_t seed, uint64_t counter)
{
    if (isinf(beta)) {
        const int32_t i = argmax_reference(x, cols, beta);
        const float m = x[i];
        return m != m || m == (beta > 0 ? -INFINITY : INFINITY) ? -1 : i;
    }
    int32_t best = -1;
    bool best_top = false;
    double best_v = 0.0;
    for (size_t i = 0; i < cols; i++) {
        if (x[i] != x[i])
            return -1;
        const double t = beta == 0.0f ? 0.0 : (double)beta * (double)x[i];
        if (t == -INFINITY)
            continue;
        const size_t j = i / 64, k = (i % 64) / 16, h = (i % 16) / 8,
                     b = i % 8;
        const struct sm_philox_block blk =
            sm_random_block(seed, counter, 16 * j + 8 * h + b);
        const double u = ((double)blk.w[k] + 0.5) * 0x1p-32;
        const double e = log1p_one((1.0 - u) / u);
        const double g = e >= 1.0 ? -log1p_one(e - 1.0)
                                  : log1p_one(1.0 / e - 1.0);
        const bool top = t == INFINITY;
        const double v = (top ? 0.0 : t) + g;
        if (best < 0 || (top != best_top ? top : v > best_v)) {
            best = (int32_t)i;
            best_top = top;
            best_v = v;
        }
    }
    return best;
}

static void test_gumbel_every_isa(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 2, 7, 8, 9, 31, 32, 33, 100, 1000,
                                   5000, 40000};
    static const float betas[] = {1.0f, 0.5f, -1.0f, 0.0f, 30.0f, 1e-3f,
                                  INFINITY, -INFINITY, 1e30f};
    enum { ROWS = 4 };
    const size_t max_cols = 40000;
    float *x = malloc(ROWS * max_cols * sizeof *x);
    assert_non_null(x);
    uint64_t counter[ROWS], s = 5150;
    int32_t ref_tok[ROWS], tok[ROWS];
    const struct sm_kernels *ref = table_for(SM_ISA_SCALAR);
    int bad = 0;
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        const size_t cols = sizes[si];
        if (test_quick() && cols > 5000)
            continue;
        for (int p = 0; p < PATTERNS; p++) {
            if (cols >= 1000 && p != RANDOM && p != FEW_VALUES &&
                p != INFINITIES)
                continue;
            for (size_t r = 0; r < ROWS; r++)
                fill_row(x + r * cols, cols, (enum pattern)p, &s);
            if (p == RANDOM) /* logits beyond float's products with beta */
                x[cols / 2] = 3e37f;
            for (size_t bi = 0; bi < sizeof betas / sizeof *betas; bi++) {
                const float beta = betas[bi];
                for (size_t r = 0; r < ROWS; r++)
                    counter[r] = rng_next(&s);
                const struct sm_sample_args a = {.seed = 0x600d5eed,
                                                 .counter = counter,
                                                 .top_p = 1.0f};
                ref->gumbel_rows(ROWS, cols, beta, x, cols, &a, ref_tok);
                for (size_t r = 0; r < ROWS; r++) {
                    const int32_t want = gumbel_reference(
                        x + r * cols, cols, beta, a.seed, counter[r]);
                    if (ref_tok[r] != want && bad++ < 5)
                        printf("scalar: gumbel cols=%zu pattern %d beta %g "
                               "row %zu: %d, reference %d\n", cols, p,
                               (double)beta, r, ref_tok[r], want);
                }
                for (int isa = SM_ISA_SCALAR + 1; isa <= SM_ISA_COUNT; isa++) {
                    const struct sm_kernels *k = table_for(isa);
                    if (!k)
                        continue;
                    k->gumbel_rows(ROWS, cols, beta, x, cols, &a, tok);
                    for (size_t r = 0; r < ROWS; r++)
                        if (tok[r] != ref_tok[r] && bad++ < 5)
                            printf("%s: gumbel cols=%zu pattern %d beta %g "
                                   "row %zu: %d, scalar %d\n",
                                   table_name(isa), cols, p, (double)beta, r,
                                   tok[r], ref_tok[r]);
                }
            }
        }
    }
    free(x);
    assert_int_equal(bad, 0);
}

/* draws of row x (cols <= 16) against the probabilities p (chi-square). */
static void check_gumbel(const char *what, const float *x, size_t cols,
                         const sm_sampler_options *o, const double *p,
                         size_t draws)
{
    enum { BATCH = 256 };
    float *rows = malloc(BATCH * cols * sizeof *rows);
    assert_non_null(rows);
    for (size_t r = 0; r < BATCH; r++)
        memcpy(rows + r * cols, x, cols * sizeof *x);
    size_t count[16] = {0};
    uint64_t counter[BATCH];
    int32_t tok[BATCH];
    for (size_t d = 0; d < draws; d += BATCH) {
        for (size_t r = 0; r < BATCH; r++)
            counter[r] = d + r;
        assert_int_equal(sm_gumbel_max_rows_f32(BATCH, cols, rows, cols,
                                                counter, tok, o), SM_OK);
        for (size_t r = 0; r < BATCH; r++) {
            assert_true(tok[r] >= 0 && (size_t)tok[r] < cols);
            if (p[tok[r]] == 0.0)
                fail_msg("%s: token %d has no mass", what, tok[r]);
            count[tok[r]]++;
        }
    }
    check_chi_square(what, count, p, cols, (double)(draws / BATCH * BATCH));
    free(rows);
}

/* The probabilities of softmax_beta(x) in double. */
static void softmax_reference(const float *x, size_t cols, float beta,
                              double *p)
{
    double m = -INFINITY, sum = 0.0;
    for (size_t i = 0; i < cols; i++)
        m = fmax(m, beta * (double)x[i]);
    for (size_t i = 0; i < cols; i++)
        sum += exp(beta * (double)x[i] - m);
    for (size_t i = 0; i < cols; i++)
        p[i] = exp(beta * (double)x[i] - m) / sum;
}

static void test_gumbel_frequencies(void **state)
{
    (void)state;
    const float x[12] = {2.0f, 1.0f, 0.5f, 3.0f, -1.0f, 0.0f,
                         1.5f, 2.5f, -0.5f, 1.0f, 0.25f, -2.0f};
    const size_t draws = test_quick() ? 8192 : 65536;
    double p[12];
    static const float betas[] = {1.0f, 0.5f, -1.0f, 2.0f};
    for (int i = 0; i < 4; i++) {
        const sm_sampler_options o = sampler(betas[i], 0, 1.0f, 0.0f, 0);
        softmax_reference(x, 12, betas[i], p);
        check_gumbel("softmax", x, 12, &o, p, draws);
    }
    /* beta 0: every entry alike, infinities included */
    const float wild[5] = {-INFINITY, 3.0f, INFINITY, 0.0f, -2.0f};
    const double flat[5] = {0.2, 0.2, 0.2, 0.2, 0.2};
    const sm_sampler_options zero = sampler(0.0f, 0, 1.0f, 0.0f, 0);
    check_gumbel("beta 0", wild, 5, &zero, flat, draws);
    /* the entries at +inf share the mass */
    const float two_inf[6] = {1.0f, INFINITY, 5.0f, INFINITY, -INFINITY,
                              INFINITY};
    const double thirds[6] = {0.0, 1.0 / 3, 0.0, 1.0 / 3, 0.0, 1.0 / 3};
    const sm_sampler_options one = sampler(1.0f, 0, 1.0f, 0.0f, 0);
    check_gumbel("+inf entries", two_inf, 6, &one, thirds, draws);
    /* masked entries have none */
    const float masked[4] = {-INFINITY, 1.0f, -INFINITY, 1.0f};
    const double halves[4] = {0.0, 0.5, 0.0, 0.5};
    check_gumbel("masked entries", masked, 4, &one, halves, draws);
    /* bias and penalties, against the adjusted row */
    const int32_t bias_token[2] = {3, 5};
    const float bias_value[2] = {-1.5f, 2.0f};
    static int32_t hist[DRAW_BATCH * 2];
    static size_t offset[DRAW_BATCH + 1];
    int32_t *h = hist;
    for (size_t r = 0; r < DRAW_BATCH; r++) {
        h[2 * r] = 7;
        h[2 * r + 1] = 7;
        offset[r] = 2 * r;
    }
    offset[DRAW_BATCH] = 2 * DRAW_BATCH;
    sm_sampler_options adj = sampler(1.0f, 0, 1.0f, 0.0f, 0);
    adj.bias_count = 2;
    adj.bias_token = bias_token;
    adj.bias_value = bias_value;
    adj.frequency_penalty = 0.5f;
    adj.history = hist;
    adj.history_offset = offset;
    float work[24];
    adj.workspace = work;
    adj.workspace_size = sizeof work;
    float y[12];
    memcpy(y, x, sizeof y);
    y[3] -= 1.5f;
    y[5] += 2.0f;
    y[7] -= 2.0f * 0.5f;
    softmax_reference(y, 12, 1.0f, p);
    check_gumbel("bias and penalties", x, 12, &adj, p, draws);
}

static void test_gumbel_boundaries(void **state)
{
    (void)state;
    const float x[6] = {1.0f, 3.0f, 2.0f, 3.0f, -1.0f, 0.0f};
    uint64_t counter[3] = {1, 2, 3};
    int32_t tok[3];
    sm_sampler_options o = sampler(INFINITY, 0, 1.0f, 0.0f, 0);
    assert_int_equal(sm_gumbel_max_rows_f32(1, 6, x, 6, counter, tok, &o),
                     SM_OK);
    assert_int_equal(tok[0], 1);
    o.beta = -INFINITY;
    assert_int_equal(sm_gumbel_max_rows_f32(1, 6, x, 6, counter, tok, &o),
                     SM_OK);
    assert_int_equal(tok[0], 4);
    o = sampler(1.0f, 0, 1.0f, 0.0f, SM_FAST_EXP); /* no exp: no change */
    int32_t fast;
    const sm_sampler_options exact = sampler(1.0f, 0, 1.0f, 0.0f, 0);
    for (uint64_t c = 0; c < 32; c++) {
        counter[0] = c;
        assert_int_equal(sm_gumbel_max_rows_f32(1, 6, x, 6, counter, tok, &o),
                         SM_OK);
        assert_int_equal(sm_gumbel_max_rows_f32(1, 6, x, 6, counter, &fast,
                                                &exact), SM_OK);
        assert_int_equal(tok[0], fast);
    }
    /* one token */
    assert_int_equal(sm_gumbel_max_rows_f32(1, 1, x, 1, counter, tok, NULL),
                     SM_OK);
    assert_int_equal(tok[0], 0);
    /* rows without a distribution: -1, the others drawn */
    const float rows[3][3] = {{1.0f, 2.0f, 3.0f},
                              {-INFINITY, -INFINITY, -INFINITY},
                              {0.0f, NAN, 1.0f}};
    assert_int_equal(sm_gumbel_max_rows_f32(3, 3, &rows[0][0], 3, counter,
                                            tok, NULL), SM_EDOMAIN);
    assert_true(tok[0] >= 0 && tok[0] < 3);
    assert_int_equal(tok[1], -1);
    assert_int_equal(tok[2], -1);
    /* errors: filters on, and the sampler's own checks */
    tok[0] = -9;
    o = sampler(1.0f, 2, 1.0f, 0.0f, 0);
    assert_int_equal(sm_gumbel_max_rows_f32(1, 6, x, 6, counter, tok, &o),
                     SM_EINVAL);
    o = sampler(1.0f, 0, 0.5f, 0.0f, 0);
    assert_int_equal(sm_gumbel_max_rows_f32(1, 6, x, 6, counter, tok, &o),
                     SM_EINVAL);
    o = sampler(1.0f, 0, 1.0f, 0.1f, 0);
    assert_int_equal(sm_gumbel_max_rows_f32(1, 6, x, 6, counter, tok, &o),
                     SM_EINVAL);
    o = sampler(NAN, 0, 1.0f, 0.0f, 0);
    assert_int_equal(sm_gumbel_max_rows_f32(1, 6, x, 6, counter, tok, &o),
                     SM_EINVAL);
    assert_int_equal(sm_gumbel_max_rows_f32(1, 6, x, 5, counter, tok, NULL),
                     SM_EINVAL);
    assert_int_equal(sm_gumbel_max_rows_f32(1, 6, NULL, 6, counter, tok,
                                            NULL), SM_EINVAL);
    assert_int_equal(sm_gumbel_max_rows_f32(1, 6, x, 6, NULL, tok, NULL),
                     SM_EINVAL);
    assert_int_equal(sm_gumbel_max_rows_f32(1, 6, x, 6, counter, NULL, NULL),
                     SM_EINVAL);
    assert_int_equal(sm_gumbel_max_rows_f32(1, 0, x, 0, counter, tok, NULL),
                     SM_EINVAL);
    float xs[6] = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f};
    assert_int_equal(sm_gumbel_max_rows_f32(1, 6, xs, 6, counter,
                                            (int32_t *)(xs + 2), NULL),
                     SM_EOVERLAP);
    const int32_t ban = 6;
    const float minus = -1.0f;
    float work[6];
    o = sampler(1.0f, 0, 1.0f, 0.0f, 0);
    o.bias_count = 1;
    o.bias_token = &ban;
    o.bias_value = &minus;
    o.workspace = work;
    o.workspace_size = sizeof work;
    assert_int_equal(sm_gumbel_max_rows_f32(1, 6, x, 6, counter, tok, &o),
                     SM_EINVAL);
    assert_int_equal(tok[0], -9);
    assert_true(xs[2] == 3.0f);
    assert_int_equal(sm_gumbel_max_rows_f32(0, 6, NULL, 6, NULL, NULL, NULL),
                     SM_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gumbel_every_isa),
        cmocka_unit_test(test_gumbel_frequencies),
        cmocka_unit_test(test_gumbel_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
