/*
 * Speculative decoding's verification: every ISA against scalar bit for
 * bit; the acceptance rate against sum_j min(p_j, q_j) and the tokens that
 * come out against p (chi-square, fixed seed); the boundaries (q = p,
 * greedy targets, rows without a distribution) and every error path.
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
#include "isa_tables.h"
#include "sample_reference.h"

static sm_sampler_options verifier(float beta, unsigned flags)
{
    return sampler(beta, 0, 1.0f, 0.0f, flags);
}

/* q = softmax of random logits, row by row. */
static void draft_rows(float *q, size_t rows, size_t cols, uint64_t *s)
{
    for (size_t i = 0; i < rows * cols; i++)
        q[i] = rng_uniform(s, -4.0f, 4.0f);
    assert_int_equal(sm_softmax_rows_f32(rows, cols, q, cols, q, cols, NULL),
                     SM_OK);
}

/* A token drawn from the probabilities q by inversion. */
static int32_t draw_from(const float *q, size_t cols, uint64_t *s)
{
    const double u = (double)(rng_next(s) >> 11) * 0x1p-53;
    double run = 0.0;
    for (size_t j = 0; j < cols; j++) {
        run += q[j];
        if (run > u)
            return (int32_t)j;
    }
    return (int32_t)(cols - 1);
}

static void test_verify_every_isa(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 7, 33, 100, 1000, 5000};
    static const float betas[] = {1.0f, 0.5f, 2.0f, INFINITY};
    enum { DRAFTS = 4 };
    const size_t max_cols = 5000;
    float *x = malloc((DRAFTS + 1) * max_cols * sizeof *x);
    float *q = malloc(DRAFTS * max_cols * sizeof *q);
    assert_non_null(x);
    assert_non_null(q);
    int32_t draft[DRAFTS];
    uint64_t s = 31337;
    int bad = 0;
    const struct sm_kernels *ref = table_for(SM_ISA_SCALAR);
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        const size_t cols = sizes[si];
        for (int trial = 0; trial < 12; trial++) {
            for (size_t i = 0; i < (DRAFTS + 1) * cols; i++)
                x[i] = rng_uniform(&s, -6.0f, 6.0f);
            draft_rows(q, DRAFTS, cols, &s);
            if (trial % 3 == 1) /* the draft agrees with the target */
                assert_int_equal(sm_softmax_rows_f32(DRAFTS, cols, x, cols,
                                                     q, cols, NULL), SM_OK);
            for (size_t i = 0; i < DRAFTS; i++)
                draft[i] = draw_from(q + i * cols, cols, &s);
            const float beta = betas[trial % 4];
            const struct sm_verify_args a = {0xabcdef, rng_next(&s), draft,
                                             q, cols};
            for (unsigned f = 0; f < 2; f++) {
                const unsigned flags = f ? SM_FAST_EXP : 0;
                size_t acc_ref = 99, acc;
                int32_t next_ref = -7, next;
                const bool ok_ref = ref->verify(DRAFTS, cols, beta, x, cols,
                                                &a, &acc_ref, &next_ref,
                                                flags);
                assert_true(ok_ref);
                assert_true(acc_ref <= DRAFTS);
                assert_true(next_ref >= 0 && (size_t)next_ref < cols);
                for (int isa = SM_ISA_SCALAR + 1; isa <= SM_ISA_COUNT; isa++) {
                    const struct sm_kernels *k = table_for(isa);
                    if (!k)
                        continue;
                    acc = 77;
                    next = -5;
                    const bool ok = k->verify(DRAFTS, cols, beta, x, cols, &a,
                                              &acc, &next, flags);
                    if ((ok != ok_ref || acc != acc_ref || next != next_ref) &&
                        bad++ < 5)
                        printf("%s: verify cols=%zu trial %d flags %u: %zu "
                               "%d, scalar %zu %d\n", table_name(isa), cols,
                               trial, flags, acc, next, acc_ref, next_ref);
                }
            }
        }
    }
    free(x);
    free(q);
    assert_int_equal(bad, 0);
}

/* One position, many counters: the acceptance rate is sum_j min(p_j, q_j)
 * (within 4.5 standard deviations) and the accepted-or-replaced token
 * follows p (chi-square at the 0.999 quantile); the bonus token too. */
static void test_verify_distribution(void **state)
{
    (void)state;
    enum { COLS = 10 };
    const float x[2 * COLS] = {2.0f, 1.0f, 0.5f, 3.0f, -1.0f,
                               0.0f, 1.5f, 2.5f, -0.5f, 1.0f,
                               0.3f, -2.0f, 1.0f, 0.7f, 2.2f,
                               0.0f, -0.4f, 1.9f, 0.1f, 0.6f};
    const float q[COLS] = {0.05f, 0.2f, 0.1f, 0.05f, 0.2f,
                           0.1f, 0.05f, 0.05f, 0.1f, 0.1f};
    const size_t trials = test_quick() ? 16384 : 131072;
    float pf[2 * COLS];
    assert_int_equal(sm_softmax_rows_f32(2, COLS, x, COLS, pf, COLS,
                                         OPTS(0.8f, 0)), SM_OK);
    double alpha = 0.0;
    for (int j = 0; j < COLS; j++)
        alpha += fmin(pf[j], q[j]);
    const sm_sampler_options o = verifier(0.8f, 0);
    size_t count[COLS] = {0}, bonus[COLS] = {0}, accepted_total = 0;
    uint64_t s = 2024;
    for (size_t t = 0; t < trials; t++) {
        const int32_t d = draw_from(q, COLS, &s);
        size_t acc = 9;
        int32_t next = -9;
        assert_int_equal(sm_speculative_verify_f32(1, COLS, x, COLS, &d, q,
                                                   COLS, t, &acc, &next, &o),
                         SM_OK);
        assert_true(acc <= 1);
        assert_true(next >= 0 && next < COLS);
        accepted_total += acc;
        count[acc ? d : next]++;
        if (acc)
            bonus[next]++;
    }
    const double n = (double)trials;
    const double rate = (double)accepted_total / n;
    const double sd = sqrt(alpha * (1.0 - alpha) / n);
    if (fabs(rate - alpha) > 4.5 * sd)
        fail_msg("acceptance rate %.5f, want %.5f (sd %.5f)", rate, alpha, sd);
    double p0[COLS], p1[COLS];
    for (int j = 0; j < COLS; j++) {
        p0[j] = pf[j];
        p1[j] = pf[COLS + j];
    }
    check_chi_square("accepted-or-replaced tokens", count, p0, COLS, n);
    check_chi_square("bonus tokens", bonus, p1, COLS, (double)accepted_total);
}

static void test_verify_boundaries(void **state)
{
    (void)state;
    enum { COLS = 6, N = 3 };
    const float x[(N + 1) * COLS] = {
        1.0f, 3.0f, 2.0f, 3.0f, -1.0f, 0.0f,
        0.5f, 0.0f, 4.0f, 1.0f, -1.0f, 2.0f,
        -2.0f, 1.0f, 0.0f, 0.0f, 5.0f, 1.0f,
        1.0f, 1.0f, 1.0f, 7.0f, 1.0f, 1.0f};
    float p[(N + 1) * COLS];
    assert_int_equal(sm_softmax_rows_f32(N + 1, COLS, x, COLS, p, COLS, NULL),
                     SM_OK);
    /* q = p: every draft is accepted, then the bonus token */
    const int32_t drafts[N] = {1, 2, 5};
    const sm_sampler_options o = verifier(1.0f, 0);
    for (uint64_t c = 0; c < 200; c++) {
        size_t acc;
        int32_t next;
        assert_int_equal(sm_speculative_verify_f32(N, COLS, x, COLS, drafts,
                                                   p, COLS, c, &acc, &next,
                                                   &o), SM_OK);
        assert_int_equal(acc, N);
        assert_true(next >= 0 && next < COLS);
    }
    /* a greedy target: the argmax is accepted, anything else replaced by
     * it (the first maximum of row 0 is 1; the row's maxima tie: 1 / 2 each
     * under p, so a draft of 3 is accepted when u q < 1/2) */
    const sm_sampler_options greedy = verifier(INFINITY, 0);
    const float flat[COLS] = {0.2f, 0.2f, 0.2f, 0.2f, 0.1f, 0.1f};
    const float sure[COLS] = {0.0f, 0.0f, 1.0f, 0.0f, 0.0f, 0.0f};
    for (uint64_t c = 0; c < 200; c++) {
        size_t acc;
        int32_t next;
        const int32_t wrong = 4;
        assert_int_equal(sm_speculative_verify_f32(1, COLS, x, COLS, &wrong,
                                                   flat, COLS, c, &acc, &next,
                                                   &greedy), SM_OK);
        assert_int_equal(acc, 0);
        assert_true(next == 1 || next == 3);
        /* row 1's argmax 2 drafted with certainty: accepted; the bonus is
         * row 2's argmax */
        const int32_t right = 2;
        assert_int_equal(sm_speculative_verify_f32(1, COLS, x + COLS, COLS,
                                                   &right, sure, COLS, c, &acc,
                                                   &next, &greedy), SM_OK);
        assert_int_equal(acc, 1);
        assert_int_equal(next, 4);
    }
    /* no drafts: the bonus token from row 0, as the sampler draws it */
    for (uint64_t c = 0; c < 50; c++) {
        size_t acc = 5;
        int32_t next = -1, sampled = -2;
        const uint64_t counter = c;
        assert_int_equal(sm_speculative_verify_f32(0, COLS, x, COLS, NULL,
                                                   NULL, 0, c, &acc, &next,
                                                   &o), SM_OK);
        assert_int_equal(acc, 0);
        assert_int_equal(sm_sample_rows_f32(1, COLS, x, COLS, &counter,
                                            &sampled, NULL, NULL, &o), SM_OK);
        assert_int_equal(next, sampled);
    }
    /* a row without a distribution stops there */
    float bad[(N + 1) * COLS];
    memcpy(bad, x, sizeof bad);
    bad[COLS + 3] = NAN;
    size_t acc = 99;
    int32_t next = 99;
    assert_int_equal(sm_speculative_verify_f32(N, COLS, bad, COLS, drafts, p,
                                               COLS, 1, &acc, &next, &o),
                     SM_EDOMAIN);
    assert_int_equal(acc, 1); /* row 0's draft is accepted: q = p */
    assert_int_equal(next, -1);
    for (int j = 0; j < COLS; j++)
        bad[j] = -INFINITY;
    assert_int_equal(sm_speculative_verify_f32(N, COLS, bad, COLS, drafts, p,
                                               COLS, 1, &acc, &next, &o),
                     SM_EDOMAIN);
    assert_int_equal(acc, 0);
    assert_int_equal(next, -1);
    /* the seed and counter decide */
    const sm_sampler_options other = sampler(1.0f, 0, 1.0f, 0.0f, 0);
    float flat_rows[N * COLS];
    for (int i = 0; i < N; i++)
        memcpy(flat_rows + i * COLS, flat, sizeof flat);
    size_t a1, a2;
    int32_t n1, n2;
    int differ = 0;
    for (uint64_t c = 0; c < 64; c++) {
        assert_int_equal(sm_speculative_verify_f32(N, COLS, x, COLS, drafts,
                                                   flat_rows, COLS, c, &a1, &n1,
                                                   &other), SM_OK);
        assert_int_equal(sm_speculative_verify_f32(N, COLS, x, COLS, drafts,
                                                   flat_rows, COLS, c, &a2, &n2,
                                                   &other), SM_OK);
        assert_int_equal(a1, a2);
        assert_int_equal(n1, n2);
        assert_int_equal(sm_speculative_verify_f32(N, COLS, x, COLS, drafts,
                                                   flat_rows, COLS, c + 1000, &a2,
                                                   &n2, &other), SM_OK);
        differ += a1 != a2 || n1 != n2;
    }
    assert_true(differ > 0);
}

static void test_verify_errors(void **state)
{
    (void)state;
    enum { COLS = 4 };
    const float x[3 * COLS] = {0};
    const float q[2 * COLS] = {0.25f, 0.25f, 0.25f, 0.25f,
                               0.5f, 0.5f, 0.0f, 0.0f};
    const int32_t d[2] = {1, 2};
    size_t acc = 42;
    int32_t next = 42;
    const sm_sampler_options o = verifier(1.0f, 0);
    assert_int_equal(sm_speculative_verify_f32(2, COLS, x, COLS, d, q, COLS,
                                               0, &acc, &next, &o), SM_OK);
    acc = 42;
    next = 42;
    static const float bad_beta[] = {0.0f, -1.0f, NAN, -INFINITY};
    for (int i = 0; i < 4; i++) {
        const sm_sampler_options b = verifier(bad_beta[i], 0);
        assert_int_equal(sm_speculative_verify_f32(2, COLS, x, COLS, d, q,
                                                   COLS, 0, &acc, &next, &b),
                         SM_EINVAL);
    }
    sm_sampler_options f = verifier(1.0f, 0);
    f.top_k = 2;
    assert_int_equal(sm_speculative_verify_f32(2, COLS, x, COLS, d, q, COLS, 0,
                                               &acc, &next, &f), SM_EINVAL);
    f = verifier(1.0f, 0);
    f.top_p = 0.5f;
    assert_int_equal(sm_speculative_verify_f32(2, COLS, x, COLS, d, q, COLS, 0,
                                               &acc, &next, &f), SM_EINVAL);
    f = verifier(1.0f, 0);
    f.min_p = 0.1f;
    assert_int_equal(sm_speculative_verify_f32(2, COLS, x, COLS, d, q, COLS, 0,
                                               &acc, &next, &f), SM_EINVAL);
    const int32_t t = 0;
    const float v = 1.0f;
    f = verifier(1.0f, 0);
    f.bias_count = 1;
    f.bias_token = &t;
    f.bias_value = &v;
    assert_int_equal(sm_speculative_verify_f32(2, COLS, x, COLS, d, q, COLS, 0,
                                               &acc, &next, &f), SM_EINVAL);
    const int32_t out_of_range[2] = {1, COLS};
    assert_int_equal(sm_speculative_verify_f32(2, COLS, x, COLS, out_of_range,
                                               q, COLS, 0, &acc, &next, &o),
                     SM_EINVAL);
    static const float bad_q[] = {-0.1f, 1.5f, NAN, INFINITY};
    for (int i = 0; i < 4; i++) {
        float qq[2 * COLS];
        memcpy(qq, q, sizeof qq);
        qq[COLS + 3] = bad_q[i]; /* not at a draft token: still checked */
        assert_int_equal(sm_speculative_verify_f32(2, COLS, x, COLS, d, qq,
                                                   COLS, 0, &acc, &next, &o),
                         SM_EINVAL);
    }
    assert_int_equal(sm_speculative_verify_f32(2, COLS, x, COLS - 1, d, q,
                                               COLS, 0, &acc, &next, &o),
                     SM_EINVAL);
    assert_int_equal(sm_speculative_verify_f32(2, COLS, x, COLS, d, q,
                                               COLS - 1, 0, &acc, &next, &o),
                     SM_EINVAL);
    assert_int_equal(sm_speculative_verify_f32(2, 0, x, 0, d, q, 0, 0, &acc,
                                               &next, &o), SM_EINVAL);
    assert_int_equal(sm_speculative_verify_f32(2, COLS, NULL, COLS, d, q,
                                               COLS, 0, &acc, &next, &o),
                     SM_EINVAL);
    assert_int_equal(sm_speculative_verify_f32(2, COLS, x, COLS, NULL, q,
                                               COLS, 0, &acc, &next, &o),
                     SM_EINVAL);
    assert_int_equal(sm_speculative_verify_f32(2, COLS, x, COLS, d, NULL,
                                               COLS, 0, &acc, &next, &o),
                     SM_EINVAL);
    assert_int_equal(sm_speculative_verify_f32(2, COLS, x, COLS, d, q, COLS,
                                               0, NULL, &next, &o), SM_EINVAL);
    assert_int_equal(sm_speculative_verify_f32(2, COLS, x, COLS, d, q, COLS,
                                               0, &acc, NULL, &o), SM_EINVAL);
    assert_int_equal(sm_speculative_verify_f32(1, (size_t)INT32_MAX + 1, x,
                                               (size_t)INT32_MAX + 1, d, q,
                                               (size_t)INT32_MAX + 1, 0, &acc,
                                               &next, &o), SM_ERANGE);
    /* outputs on the inputs */
    float xs[3 * COLS] = {0};
    assert_int_equal(sm_speculative_verify_f32(2, COLS, xs, COLS, d, q, COLS,
                                               0, &acc, (int32_t *)(xs + 5),
                                               &o), SM_EOVERLAP);
    assert_int_equal(sm_speculative_verify_f32(2, COLS, x, COLS, d, q, COLS,
                                               0, &acc, (int32_t *)&acc, &o),
                     SM_EOVERLAP);
    assert_int_equal(acc, 42);
    assert_int_equal(next, 42);
    assert_true(xs[5] == 0.0f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_every_isa),
        cmocka_unit_test(test_verify_distribution),
        cmocka_unit_test(test_verify_boundaries),
        cmocka_unit_test(test_verify_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
