/*
 * The sampler: tokens, probabilities and log-probabilities on every ISA
 * against scalar, bit for bit; the draws' frequencies against the kept
 * set by its definition (chi-square); the boundaries of every option and
 * the error paths.
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
                const struct sm_sample_args a = {.seed = o.seed,
                                                 .counter = counter,
                                                 .top_k = o.top_k,
                                                 .top_p = o.top_p,
                                                 .min_p = o.min_p};
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

static void test_sample_frequencies(void **state)
{
    (void)state;
    /* The same draws on every ISA (test_sample_every_isa): the statistics
     * of the active one are checked once, in the full run. */
    if (test_isas_narrowed()) {
        printf("frequencies: in the full run\n");
        skip();
    }
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

/* Ties at the top-k threshold and at the top-p boundary: within the
 * SM_TOP_MAX most probable the lower indices are kept; beyond them, on the
 * whole row, every entry tied at the boundary is. */
static void test_sample_ties(void **state)
{
    (void)state;
    const float x[6] = {1.0f, 5.0f, 3.0f, 3.0f, 3.0f, 0.0f};
    const float y[5] = {2.0f, 1.0f, 1.0f, 1.0f, 0.0f};
    const sm_sampler_options k2 = sampler(1.0f, 2, 1.0f, 0.0f, 0);
    const sm_sampler_options p6 = sampler(1.0f, 0, 0.6f, 0.0f, 0);
    int seen_k[6] = {0}, seen_p[5] = {0};
    for (uint64_t c = 0; c < 200; c++) {
        int32_t tok;
        float prob;
        assert_int_equal(sm_sample_rows_f32(1, 6, x, 6, &c, &tok, &prob, NULL,
                                            &k2), SM_OK);
        seen_k[tok]++;
        /* e^2 / (e^2 + 3e + 1) = 0.447 < 0.6: the first tied 1 joins */
        assert_int_equal(sm_sample_rows_f32(1, 5, y, 5, &c, &tok, &prob, NULL,
                                            &p6), SM_OK);
        seen_p[tok]++;
    }
    assert_true(seen_k[1] > 0 && seen_k[2] > 0);
    assert_int_equal(seen_k[0] + seen_k[3] + seen_k[4] + seen_k[5], 0);
    assert_true(seen_p[0] > 0 && seen_p[1] > 0);
    assert_int_equal(seen_p[2] + seen_p[3] + seen_p[4], 0);
    /* 3000 equal entries, top-p 0.5: the nucleus passes SM_TOP_MAX, and
     * every tied entry stays */
    enum { WIDE = 3000 };
    float *w = calloc(WIDE, sizeof *w);
    assert_non_null(w);
    const sm_sampler_options half = sampler(1.0f, 0, 0.5f, 0.0f, 0);
    int beyond = 0;
    for (uint64_t c = 0; c < 64; c++) {
        int32_t tok;
        float prob;
        assert_int_equal(sm_sample_rows_f32(1, WIDE, w, WIDE, &c, &tok, &prob,
                                            NULL, &half), SM_OK);
        assert_true(prob == 1.0f / WIDE);
        beyond += tok >= WIDE / 2;
    }
    assert_true(beyond > 0);
    free(w);
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


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_every_isa),
        cmocka_unit_test(test_sample_frequencies),
        cmocka_unit_test(test_sample_boundaries),
        cmocka_unit_test(test_sample_ties),
        cmocka_unit_test(test_sample_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
