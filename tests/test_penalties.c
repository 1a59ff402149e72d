/*
 * The sampler's logit bias and penalties: the adjusted distribution
 * against a long-double reference (probabilities and chi-square), every
 * ISA against scalar bit for bit with histories, the workspace size query
 * and every error path (nothing written).
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

/* One row's adjustments by the header's definition, in long double: the
 * bias list in order, then each distinct history token once with its
 * count. Each step's float result is what the definition rounds to. */
static void adjusted_reference(const float *x, size_t cols,
                               const sm_sampler_options *o, size_t r,
                               long double *y)
{
    for (size_t i = 0; i < cols; i++)
        y[i] = x[i];
    for (size_t j = 0; j < o->bias_count; j++)
        y[o->bias_token[j]] = (float)(y[o->bias_token[j]] + o->bias_value[j]);
    if (!o->history_offset)
        return;
    const size_t lo = o->history_offset[r], hi = o->history_offset[r + 1];
    for (size_t i = 0; i < cols; i++) {
        size_t c = 0;
        for (size_t j = lo; j < hi; j++)
            c += (size_t)o->history[j] == i;
        if (c == 0)
            continue;
        long double v = y[i];
        v = (float)(v <= 0 ? v * o->repetition_penalty
                           : v / o->repetition_penalty);
        const long double sub =
            (float)((float)((long double)c * o->frequency_penalty) +
                    o->presence_penalty);
        y[i] = (float)(v - sub);
    }
}

/* A history for every one of DRAW_BATCH rows: the same tokens each. */
struct histories {
    int32_t tokens[DRAW_BATCH * 8];
    size_t offset[DRAW_BATCH + 1];
};

static void same_history(struct histories *h, const int32_t *t, size_t n)
{
    assert_true(n <= 8);
    for (size_t r = 0; r <= DRAW_BATCH; r++)
        h->offset[r] = r * n;
    for (size_t r = 0; r < DRAW_BATCH; r++)
        memcpy(h->tokens + r * n, t, n * sizeof *t);
}

/* The workspace the options need, allocated and set in o. */
static void *give_workspace(size_t cols, sm_sampler_options *o)
{
    size_t bytes = 99;
    assert_int_equal(sm_sample_workspace_size(cols, o, &bytes), SM_OK);
    void *w = malloc(bytes ? bytes : 1);
    assert_non_null(w);
    o->workspace = w;
    o->workspace_size = bytes;
    return w;
}

/* The adjusted row's distribution: every draw's probability against the
 * long-double softmax of the adjusted logits, and the frequencies
 * (chi-square, 0.999 quantile, fixed seed). */
static void check_adjusted(const char *what, const float *x, size_t cols,
                           sm_sampler_options *o, size_t draws)
{
    long double y[16];
    double p[16];
    float yf[16];
    assert_true(cols <= 16);
    adjusted_reference(x, cols, o, 0, y);
    long double m = -INFINITY, sum = 0;
    for (size_t i = 0; i < cols; i++)
        m = y[i] > m ? y[i] : m;
    for (size_t i = 0; i < cols; i++)
        sum += expl(o->beta * (y[i] - m));
    for (size_t i = 0; i < cols; i++) {
        p[i] = (double)(expl(o->beta * (y[i] - m)) / sum);
        yf[i] = (float)y[i];
    }
    /* with the filters off the kept set is the whole adjusted row, so the
     * filtered reference of yf must agree with p */
    double q[16];
    kept_reference(yf, cols, o->beta, o->top_k, o->top_p, o->min_p, q);
    for (size_t i = 0; i < cols; i++)
        if (o->top_k == 0 && o->top_p == 1.0f && o->min_p == 0.0f &&
            fabs(q[i] - p[i]) > 1e-12 + 1e-9 * p[i])
            fail_msg("%s: token %zu: %g against %g", what, i, q[i], p[i]);
    void *w = give_workspace(cols, o);
    const bool unfiltered =
        o->top_k == 0 && o->top_p == 1.0f && o->min_p == 0.0f;
    check_draws(what, x, cols, o, unfiltered ? p : q, draws, 0);
    free(w);
}

static void test_adjusted_distribution(void **state)
{
    (void)state;
    const float x[12] = {2.0f, 1.0f, 0.5f, 3.0f, -1.0f, 0.0f,
                         1.5f, 2.5f, -0.5f, 1.0f, 0.25f, -2.0f};
    const size_t draws = test_quick() ? 8192 : 65536;
    static struct histories h;
    static const int32_t seen[6] = {3, 7, 3, 4, 11, 3};
    same_history(&h, seen, 6);
    static const int32_t bias_token[4] = {5, 0, 5, 9};
    static const float bias_value[4] = {1.25f, -INFINITY, 0.5f, 2.0f};

    sm_sampler_options o = sampler(1.0f, 0, 1.0f, 0.0f, 0);
    o.bias_count = 4;
    o.bias_token = bias_token;
    o.bias_value = bias_value;
    check_adjusted("logit bias", x, 12, &o, draws);

    o = sampler(1.0f, 0, 1.0f, 0.0f, 0);
    o.repetition_penalty = 1.3f;
    o.history = h.tokens;
    o.history_offset = h.offset;
    check_adjusted("repetition 1.3", x, 12, &o, draws);

    o.repetition_penalty = 1.0f;
    o.frequency_penalty = 0.4f;
    o.presence_penalty = 0.3f;
    check_adjusted("frequency 0.4, presence 0.3", x, 12, &o, draws);

    o.repetition_penalty = 1.1f;
    o.frequency_penalty = -0.25f; /* negative: repeating is encouraged */
    o.bias_count = 4;
    o.bias_token = bias_token;
    o.bias_value = bias_value;
    o.beta = 0.7f;
    check_adjusted("bias and every penalty, beta 0.7", x, 12, &o, draws);

    o.top_k = 5;
    o.top_p = 0.9f;
    o.min_p = 0.05f;
    check_adjusted("bias, penalties and filters", x, 12, &o, draws);
}

/* Greedy decoding sees the adjusted row; the log-probability stays the
 * unadjusted row's; the caller's logits are never written. */
static void test_adjusted_greedy(void **state)
{
    (void)state;
    float x[6] = {1.0f, 3.0f, 2.0f, -2.0f, 0.0f, 2.9f};
    const float copy[6] = {1.0f, 3.0f, 2.0f, -2.0f, 0.0f, 2.9f};
    const int32_t hist[3] = {1, 1, 3};
    const size_t offset[2] = {0, 3};
    const uint64_t counter = 7;
    int32_t tok;
    float prob, lp, lsm[6];
    sm_sampler_options o = sampler(INFINITY, 0, 1.0f, 0.0f, 0);
    o.repetition_penalty = 1.5f; /* 3 / 1.5 = 2 < 2.9 */
    o.history = hist;
    o.history_offset = offset;
    void *w = give_workspace(6, &o);
    assert_int_equal(sm_sample_rows_f32(1, 6, x, 6, &counter, &tok, &prob,
                                        &lp, &o), SM_OK);
    assert_int_equal(tok, 5);
    assert_true(prob == 1.0f);
    assert_int_equal(sm_log_softmax_rows_f32(1, 6, x, 6, lsm, 6,
                                             OPTS(INFINITY, 0)), SM_OK);
    assert_int_equal(f32_bits(lp), f32_bits(lsm[5]));
    assert_memory_equal(x, copy, sizeof x);
    /* only the last token of the history counts: 1 keeps its 3 */
    o.history_last_n = 1;
    assert_int_equal(sm_sample_rows_f32(1, 6, x, 6, &counter, &tok, &prob,
                                        NULL, &o), SM_OK);
    assert_int_equal(tok, 1);
    o.history_last_n = 2; /* 1 once: 3 / 1.5 = 2 again */
    assert_int_equal(sm_sample_rows_f32(1, 6, x, 6, &counter, &tok, &prob,
                                        NULL, &o), SM_OK);
    assert_int_equal(tok, 5);
    /* a ban by bias: -inf on the maximum */
    const int32_t ban = 1;
    const float minus_inf = -INFINITY;
    o = sampler(INFINITY, 0, 1.0f, 0.0f, 0);
    o.bias_count = 1;
    o.bias_token = &ban;
    o.bias_value = &minus_inf;
    o.workspace = w;
    o.workspace_size = 6 * sizeof(float);
    assert_int_equal(sm_sample_rows_f32(1, 6, x, 6, &counter, &tok, NULL,
                                        NULL, &o), SM_OK);
    assert_int_equal(tok, 5);
    /* every token banned: no distribution */
    const int32_t all[6] = {0, 1, 2, 3, 4, 5};
    const float bans[6] = {-INFINITY, -INFINITY, -INFINITY,
                           -INFINITY, -INFINITY, -INFINITY};
    o.beta = 1.0f;
    o.bias_count = 6;
    o.bias_token = all;
    o.bias_value = bans;
    assert_int_equal(sm_sample_rows_f32(1, 6, x, 6, &counter, &tok, &prob,
                                        NULL, &o), SM_EDOMAIN);
    assert_int_equal(tok, -1);
    /* penalties off: a history changes nothing and needs no workspace */
    o = sampler(1.0f, 0, 1.0f, 0.0f, 0);
    o.history = hist;
    o.history_offset = offset;
    size_t bytes = 1;
    assert_int_equal(sm_sample_workspace_size(6, &o, &bytes), SM_OK);
    assert_int_equal(bytes, 0);
    free(w);
}

/* Every ISA adjusts and draws the same bits as scalar, rows with
 * histories of different lengths (some empty) and a shared bias list. */
static void test_adjusted_every_isa(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 7, 33, 1000, 5000};
    enum { ROWS = 5 };
    const size_t max_cols = 5000;
    float *x = malloc(ROWS * max_cols * sizeof *x);
    float *row_work = malloc(max_cols * sizeof *row_work);
    uint32_t *count_work = malloc(max_cols * sizeof *count_work);
    assert_non_null(x);
    assert_non_null(row_work);
    assert_non_null(count_work);
    int32_t hist[70], bias_token[5];
    float bias_value[5];
    size_t offset[ROWS + 1];
    uint64_t counter[ROWS], s = 777;
    int32_t tok_ref[ROWS], tok[ROWS];
    float prob_ref[ROWS], prob[ROWS], lp_ref[ROWS], lp[ROWS];
    int bad = 0;
    const struct sm_kernels *ref = table_for(SM_ISA_SCALAR);
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        const size_t cols = sizes[si];
        for (size_t i = 0; i < ROWS * cols; i++)
            x[i] = rng_uniform(&s, -8.0f, 8.0f);
        offset[0] = 0;
        for (size_t r = 0; r < ROWS; r++) /* lengths 0, 7, 14, 21, 28 */
            offset[r + 1] = offset[r] + 7 * r;
        for (size_t j = 0; j < offset[ROWS]; j++) /* repeats among 20 */
            hist[j] = (int32_t)(rng_next(&s) % (cols < 20 ? cols : 20));
        for (size_t j = 0; j < 5; j++) {
            bias_token[j] = (int32_t)(rng_next(&s) % cols);
            bias_value[j] = rng_uniform(&s, -3.0f, 3.0f);
        }
        for (int variant = 0; variant < 4; variant++) {
            const struct sm_sample_args a = {
                .seed = 99, .counter = counter,
                .top_k = variant == 3 ? 10 : 0,
                .top_p = variant >= 2 ? 0.9f : 1.0f,
                .min_p = 0.0f,
                .bias_count = variant == 1 ? 0 : 5,
                .bias_token = bias_token, .bias_value = bias_value,
                .repetition = 1.2f, .frequency = 0.5f, .presence = -0.75f,
                .last_n = variant == 3 ? 9 : 0,
                .history = hist,
                .history_offset = variant == 0 ? NULL : offset,
                .row_work = row_work, .count_work = count_work};
            for (size_t r = 0; r < ROWS; r++)
                counter[r] = rng_next(&s);
            ref->sample_rows(ROWS, cols, 1.0f, x, cols, &a, tok_ref, prob_ref,
                             lp_ref, 0);
            for (int isa = SM_ISA_SCALAR + 1; isa <= SM_ISA_COUNT; isa++) {
                const struct sm_kernels *k = table_for(isa);
                if (!k)
                    continue;
                k->sample_rows(ROWS, cols, 1.0f, x, cols, &a, tok, prob, lp,
                               0);
                for (size_t r = 0; r < ROWS; r++)
                    if ((tok[r] != tok_ref[r] ||
                         f32_bits(prob[r]) != f32_bits(prob_ref[r]) ||
                         f32_bits(lp[r]) != f32_bits(lp_ref[r])) &&
                        bad++ < 5)
                        printf("%s: cols=%zu variant %d row %zu: %d %a, "
                               "scalar %d %a\n", table_name(isa), cols,
                               variant, r, tok[r], (double)prob[r],
                               tok_ref[r], (double)prob_ref[r]);
            }
        }
    }
    free(x);
    free(row_work);
    free(count_work);
    assert_int_equal(bad, 0);
}

/* Every bad adjustment is SM_EINVAL (or SM_EOVERLAP) with nothing written. */
static void test_adjusted_errors(void **state)
{
    (void)state;
    const float x[8] = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f, 8.0f};
    const uint64_t counter[2] = {0, 1};
    int32_t tok[2] = {-9, -9};
    float prob[2] = {-9.0f, -9.0f};
    float work[16];
    const int32_t hist[3] = {0, 1, 2};
    const size_t offset[3] = {0, 2, 3};
    const int32_t token_ok = 1;
    const float value_ok = 1.0f;

    sm_sampler_options base = sampler(1.0f, 0, 1.0f, 0.0f, 0);
    base.frequency_penalty = 0.5f;
    base.history = hist;
    base.history_offset = offset;
    base.workspace = work;
    base.workspace_size = sizeof work;
    assert_int_equal(sm_sample_rows_f32(2, 2, x, 4, counter, tok, prob, NULL,
                                        &base), SM_EINVAL); /* token 2 >= 2 */
    assert_int_equal(sm_sample_rows_f32(2, 4, x, 4, counter, tok, prob, NULL,
                                        &base), SM_OK);
    tok[0] = tok[1] = -9;
    prob[0] = prob[1] = -9.0f;

    sm_sampler_options o = base;
    const int32_t negative[3] = {0, -1, 2};
    o.history = negative;
    assert_int_equal(sm_sample_rows_f32(2, 4, x, 4, counter, tok, prob, NULL,
                                        &o), SM_EINVAL);
    o = base;
    const size_t decreasing[3] = {0, 2, 1};
    o.history_offset = decreasing;
    assert_int_equal(sm_sample_rows_f32(2, 4, x, 4, counter, tok, prob, NULL,
                                        &o), SM_EINVAL);
    o = base;
    o.history = NULL;
    assert_int_equal(sm_sample_rows_f32(2, 4, x, 4, counter, tok, prob, NULL,
                                        &o), SM_EINVAL);
    static const float bad_rep[] = {0.0f, -1.0f, INFINITY, NAN};
    for (int i = 0; i < 4; i++) {
        o = base;
        o.repetition_penalty = bad_rep[i];
        assert_int_equal(sm_sample_rows_f32(2, 4, x, 4, counter, tok, prob,
                                            NULL, &o), SM_EINVAL);
        size_t bytes;
        assert_int_equal(sm_sample_workspace_size(4, &o, &bytes), SM_EINVAL);
    }
    static const float bad_pen[] = {INFINITY, -INFINITY, NAN};
    for (int i = 0; i < 3; i++) {
        o = base;
        o.frequency_penalty = bad_pen[i];
        assert_int_equal(sm_sample_rows_f32(2, 4, x, 4, counter, tok, prob,
                                            NULL, &o), SM_EINVAL);
        o = base;
        o.presence_penalty = bad_pen[i];
        assert_int_equal(sm_sample_rows_f32(2, 4, x, 4, counter, tok, prob,
                                            NULL, &o), SM_EINVAL);
    }
    /* the workspace: missing, short, misaligned, overlapping */
    o = base;
    o.workspace = NULL;
    assert_int_equal(sm_sample_rows_f32(2, 4, x, 4, counter, tok, prob, NULL,
                                        &o), SM_EINVAL);
    o = base;
    o.workspace_size = 4 * 8 - 1;
    assert_int_equal(sm_sample_rows_f32(2, 4, x, 4, counter, tok, prob, NULL,
                                        &o), SM_EINVAL);
    o = base;
    o.workspace = (char *)work + 1;
    assert_int_equal(sm_sample_rows_f32(2, 4, x, 4, counter, tok, prob, NULL,
                                        &o), SM_EINVAL);
    o = base;
    o.workspace = (void *)x;
    o.workspace_size = sizeof x;
    assert_int_equal(sm_sample_rows_f32(2, 4, x, 4, counter, tok, prob, NULL,
                                        &o), SM_EOVERLAP);
    o = base;
    float shared[16]; /* the workspace, and an output in its 32 bytes used */
    o.workspace = shared;
    o.workspace_size = sizeof shared;
    assert_int_equal(sm_sample_rows_f32(1, 4, x, 4, counter, tok, shared + 4,
                                        NULL, &o), SM_EOVERLAP);
    /* an output on a list */
    o = base;
    assert_int_equal(sm_sample_rows_f32(2, 4, x, 4, counter,
                                        (int32_t *)offset, prob, NULL, &o),
                     SM_EOVERLAP);
    /* the bias list: a token out of range, a NaN value, NULL lists */
    o = sampler(1.0f, 0, 1.0f, 0.0f, 0);
    o.workspace = work;
    o.workspace_size = sizeof work;
    o.bias_count = 1;
    o.bias_token = &token_ok;
    o.bias_value = &value_ok;
    const int32_t out_of_range = 4;
    const float nan_value = NAN;
    o.bias_token = &out_of_range;
    assert_int_equal(sm_sample_rows_f32(2, 4, x, 4, counter, tok, prob, NULL,
                                        &o), SM_EINVAL);
    o.bias_token = &token_ok;
    o.bias_value = &nan_value;
    assert_int_equal(sm_sample_rows_f32(2, 4, x, 4, counter, tok, prob, NULL,
                                        &o), SM_EINVAL);
    o.bias_value = NULL;
    assert_int_equal(sm_sample_rows_f32(2, 4, x, 4, counter, tok, prob, NULL,
                                        &o), SM_EINVAL);
    size_t bytes = 5;
    assert_int_equal(sm_sample_workspace_size(4, &o, &bytes), SM_EINVAL);
    assert_int_equal(bytes, 5);
    /* nothing was written by any failed call */
    assert_int_equal(tok[0], -9);
    assert_int_equal(tok[1], -9);
    assert_true(prob[0] == -9.0f && prob[1] == -9.0f);
    /* the size query */
    o.bias_value = &value_ok;
    assert_int_equal(sm_sample_workspace_size(4, &o, &bytes), SM_OK);
    assert_int_equal(bytes, 4 * sizeof(float));
    assert_int_equal(sm_sample_workspace_size(4, &base, &bytes), SM_OK);
    assert_int_equal(bytes, 4 * (sizeof(float) + sizeof(uint32_t)));
    assert_int_equal(sm_sample_workspace_size(4, NULL, &bytes), SM_OK);
    assert_int_equal(bytes, 0);
    assert_int_equal(sm_sample_workspace_size(4, NULL, NULL), SM_EINVAL);
    assert_int_equal(sm_sample_workspace_size((size_t)INT32_MAX + 1, &base,
                                              &bytes), SM_ERANGE);
    /* options of the first version's size: no adjustments read */
    o = base;
    o.size = offsetof(sm_sampler_options, bias_count);
    assert_int_equal(sm_sample_workspace_size(4, &o, &bytes), SM_OK);
    assert_int_equal(bytes, 0);
    assert_int_equal(sm_sample_rows_f32(2, 4, x, 4, counter, tok, prob, NULL,
                                        &o), SM_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adjusted_distribution),
        cmocka_unit_test(test_adjusted_greedy),
        cmocka_unit_test(test_adjusted_every_isa),
        cmocka_unit_test(test_adjusted_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
