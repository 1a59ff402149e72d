/* The sampler's reference: the kept set by its definition, in double, and
 * a chi-square test of a sampler's draws against it. */
#ifndef SM_TEST_SAMPLE_REFERENCE_H
#define SM_TEST_SAMPLE_REFERENCE_H

#include "decode_rows.h"

/* Rows per call of check_draws: options with histories cover as many. */
#define DRAW_BATCH 256

static inline sm_sampler_options sampler(float beta, int32_t k, float top_p,
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
static inline size_t kept_reference(const float *x, size_t cols, float beta,
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
/* count[i] of n draws against the probabilities p[i] (cells with p[i] > 0,
 * i < len): chi-square below the 0.999 quantile (Wilson-Hilferty) of its
 * degrees of freedom. */
static inline void check_chi_square(const char *what, const size_t *count,
                                    const double *p, size_t len, double n)
{
    double chi2 = 0.0;
    size_t cells = 0;
    for (size_t i = 0; i < len; i++)
        if (p[i] > 0.0) {
            chi2 += (count[i] - n * p[i]) * (count[i] - n * p[i]) / (n * p[i]);
            cells++;
        }
    const double df = cells > 1 ? (double)(cells - 1) : 1.0;
    const double h = 2.0 / (9.0 * df), z = 3.0902;
    const double limit = df * pow(1.0 - h + z * sqrt(h), 3.0);
    if (cells > 1 && chi2 > limit)
        fail_msg("%s: chi-square %.2f > %.2f (df %.0f)", what, chi2, limit,
                 df);
}

/* draws of row x (DRAW_BATCH rows at a time) against the probabilities p
 * of the kept tokens (0 off the kept set): each token's probability, and
 * the chi-square per token or (bins > 0) per bin of consecutive tokens.
 * The seed is fixed, so the test is deterministic. */
static inline void check_draws(const char *what, const float *x,
                               size_t cols, const sm_sampler_options *o,
                               double *p, size_t draws, size_t bins)
{
    size_t *count = calloc(cols, sizeof *count);
    assert_non_null(count);
    uint64_t counter[DRAW_BATCH];
    int32_t tok[DRAW_BATCH];
    float prob[DRAW_BATCH];
    float *rows = malloc(DRAW_BATCH * cols * sizeof *rows);
    assert_non_null(rows);
    for (size_t r = 0; r < DRAW_BATCH; r++)
        memcpy(rows + r * cols, x, cols * sizeof *x);
    for (size_t d = 0; d < draws; d += DRAW_BATCH) {
        for (size_t r = 0; r < DRAW_BATCH; r++)
            counter[r] = d + r;
        assert_int_equal(sm_sample_rows_f32(DRAW_BATCH, cols, rows, cols, counter,
                                            tok, prob, NULL, o), SM_OK);
        for (size_t r = 0; r < DRAW_BATCH; r++) {
            assert_true(tok[r] >= 0 && (size_t)tok[r] < cols);
            if (p[tok[r]] == 0.0)
                fail_msg("%s: token %d is not in the kept set", what, tok[r]);
            if (fabs(prob[r] - p[tok[r]]) > 1e-5 * p[tok[r]] + 1e-7)
                fail_msg("%s: prob %g, want %g", what, (double)prob[r],
                         p[tok[r]]);
            count[tok[r]]++;
        }
    }
    const double n = (double)(draws / DRAW_BATCH * DRAW_BATCH);
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
    }
    check_chi_square(what, count, p, cols, n);
    free(rows);
    free(count);
}

/* check_draws against the kept set of x under o's filters. */
static inline void check_frequencies(const char *what, const float *x,
                                     size_t cols, const sm_sampler_options *o,
                                     size_t draws, size_t bins)
{
    double *p = malloc(cols * sizeof *p);
    assert_non_null(p);
    kept_reference(x, cols, o->beta, o->top_k, o->top_p, o->min_p, p);
    check_draws(what, x, cols, o, p, draws, bins);
    free(p);
}

#endif
