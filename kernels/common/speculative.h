/*
 * Speculative decoding's verification (Leviathan, Kalman and Matias 2023;
 * Chen et al. 2023): a draft model proposed tokens t_i drawn from its
 * distributions q_i; the target model scored every position. Position by
 * position, t_i is kept with probability min(1, p_i(t_i) / q_i(t_i)),
 * p_i = softmax_beta of the target's row i (softmax's bits: e_j r with
 * r = 1 / (K + S'')); at the first rejection the token is drawn from
 * normalize(max(0, p_i - q_i)), and after n acceptances a bonus token
 * from p_n. The tokens that come out follow the target's distribution.
 *
 * Position i uses Philox block (counter, i): words 0-1 the acceptance's
 * uniform (and the bonus draw's), words 2-3 the replacement's.
 */
#ifndef SM_SPECULATIVE_H
#define SM_SPECULATIVE_H

#include "common/sample.h"

/* Position i: whether t_i is accepted, else *token = the replacement (or
 * -1 if row i has no distribution: returns false with *token -1). */
static bool verify_position(const float *x, size_t cols, float beta,
                            const struct sm_verify_args *a, size_t i,
                            int32_t *token)
{
    const struct row_stats st = row_stats(x, cols, beta, NULL);
    if (row_class(st, beta) != ROW_ORDINARY) {
        *token = -1;
        return false;
    }
    const float r = (float)(1.0 / (st.k + st.s));
    const int32_t t = a->draft_token[i];
    const float *q = a->draft_prob + i * a->ldq;
    float e;
    list_exps(x, &(struct ranked){0, t}, 1, st.m, beta, &e);
    const float p = e * r;
    const struct sm_philox_block b = sm_random_block(a->seed, a->counter, i);
    if (sm_uniform53(b.w[0], b.w[1]) * (double)q[t] < (double)p)
        return true;
    const double u = sm_uniform53(b.w[2], b.w[3]);
    const struct mass_src residual = residual_src(x, q, st.m, beta, r);
    double total;
    const struct walked w = row_draw(&residual, cols, u, &total);
    if (total > 0.0) {
        *token = (int32_t)w.index;
    } else { /* p <= q everywhere after rounding: draw from p */
        const struct mass_src all = kept_src(x, st.m, beta, 0x1p-149f);
        *token = (int32_t)row_draw(&all, cols, u, &total).index;
    }
    return false;
}

/* *accepted drafts and the next token; false if a row reached had no
 * distribution (next token -1). */
static bool verify_drafts(size_t n, size_t cols, float beta,
                          const float *target, size_t ldt,
                          const struct sm_verify_args *a, size_t *accepted,
                          int32_t *next)
{
    for (size_t i = 0; i < n; i++) {
        int32_t token;
        if (!verify_position(target + i * ldt, cols, beta, a, i, &token)) {
            *accepted = i;
            *next = token;
            return token >= 0;
        }
    }
    *accepted = n;
    struct ranked h[1];
    float e[SM_TOP_MAX]; /* sample_row keeps a short row's exps there */
    const struct sm_sample_args none = {.top_k = 0, .top_p = 1.0f};
    const struct sm_philox_block b = sm_random_block(a->seed, a->counter, n);
    const struct sample_out s =
        sample_row(target + n * ldt, cols, beta, &none,
                   sm_uniform53(b.w[0], b.w[1]), h, e);
    *next = s.token;
    return s.token >= 0;
}

#endif
