/*
 * Entropy of softmax_beta(x) per row (included by loss.h):
 *   H = sum p_i nl_i,  nl_i = lse - t_i = -log p_i,
 * each product in f32, summed in double in the contract's order, and its
 * gradient dH/dx_i = beta p_i (nl_i - H), computed as
 *   g_i = (p_i ((lse - t_i) - (float) H)) gs
 * (+0 where p_i = 0 or the product is 0), gs = beta times the caller's
 * scale.
 */
#ifndef SM_LOSS_ENTROPY_H
#define SM_LOSS_ENTROPY_H

#include "common/loss.h"

struct entropy_pass {
    struct loss_row w;
    float h; /* the row's entropy, for the gradient pass */
    float grad_scale;
};

/* p_i and nl_i of one vector. */
SM_INLINE sm_v entropy_p(const struct loss_row *w, size_t i, size_t c,
                         sm_v *nl, bool long_row)
{
    const sm_v xv = ld(w->x + i, c, w->m);
    const sm_v t = row_t(w, xv);
    *nl = v_sub(v_set1(w->lse), t);
    return row_p(w, i, c, xv, t, long_row);
}

SM_INLINE sm_v entropy_term(const void *pass, size_t i, size_t c,
                            bool long_row)
{
    const struct entropy_pass *a = pass;
    sm_v nl;
    const sm_v p = entropy_p(&a->w, i, c, &nl, long_row);
    return weighted_term(p, nl, c);
}

SM_INLINE sm_v entropy_grad(const void *pass, size_t i, size_t c,
                            bool long_row)
{
    const struct entropy_pass *a = pass;
    sm_v nl;
    const sm_v p = entropy_p(&a->w, i, c, &nl, long_row);
    const sm_v zero = v_set1(0.0f);
    const sm_v d = v_sel(m_eq(p, zero), zero, v_mul(p, v_sub(nl, v_set1(a->h))));
    st(a->w.g + i, c, grad_scaled(d, a->grad_scale));
    return zero;
}

static inline sm_v entropy_step(const void *pass, size_t i, size_t c)
{
    return entropy_term(pass, i, c, false);
}

static inline sm_v entropy_long_step(const void *pass, size_t i, size_t c)
{
    return entropy_term(pass, i, c, true);
}

static inline sm_v entropy_grad_step(const void *pass, size_t i, size_t c)
{
    return entropy_grad(pass, i, c, false);
}

static inline sm_v entropy_long_grad_step(const void *pass, size_t i,
                                          size_t c)
{
    return entropy_grad(pass, i, c, true);
}

SM_INLINE double entropy_row(const float *x, size_t n, float beta,
                             float grad_scale, float *g,
                             const struct loss_pre *pre)
{
    struct entropy_pass p = {.grad_scale = grad_scale};
    /* Both passes read x again: the exps go to g only when g is not x. */
    if (!loss_row_init(&p.w, x, n, beta, g, g != x, pre)) {
        if (g)
            fill(g, n, sm_qnan);
        return NAN;
    }
    const double h = loss_pass(&p, n, entropy_step, entropy_long_step, true,
                                 &p.w, NULL);
    if (g) {
        p.h = (float)h;
        loss_pass(&p, n, entropy_grad_step, entropy_long_grad_step, false,
                  &p.w, NULL);
    }
    return h;
}

#ifdef SM_COLUMNS
/* entropy_row's operations on SM_VW rows of n entries (beta != 0) as a
 * column group: h their entropies, g (optional) their gradient rows; false,
 * with nothing written, as col_group_stats. The terms p_i nl_i are summed
 * by col_tree, the contract's order. */
SM_INLINE bool entropy_col_group(const float *x, size_t ldx, size_t n,
                                 float beta, float grad_scale, double *h,
                                 float *g, size_t ldg,
                                 double logk[SM_LOGK_MAX + 1])
{
    struct col_group c;
    if (!col_group_stats(x, ldx, n, beta, &c))
        return false;
    const sm_v lse = col_narrow(col_log_partition(&c, logk));
    const sm_v vb = v_set1(beta), zero = v_set1(0.0f);
    sm_v p[SM_VW], nl[SM_VW];
    sm_cd terms[SM_VW];
    for (size_t i = 0; i < n; i++) {
        const sm_v t = t_of(c.x[i], c.m, vb);
        nl[i] = v_sub(lse, t);
        p[i] = v_mul(c.e[i], c.r);
        terms[i] = col_widen(v_sel(m_eq(p[i], zero), zero, v_mul(p[i], nl[i])));
    }
    const sm_cd hv = 0.0 + col_tree(terms, n); /* loss_pass's total */
    memcpy(h, &hv, sizeof hv);
    if (g) {
        const sm_v hf = col_narrow(hv);
        sm_v out[SM_VW];
        for (size_t i = 0; i < n; i++) {
            const sm_v d = v_sel(m_eq(p[i], zero), zero,
                                 v_mul(p[i], v_sub(nl[i], hf)));
            out[i] = grad_scaled(d, grad_scale);
        }
        col_group_store(out, n, g, ldg);
    }
    return true;
}
#endif

/* Rows [r0, r0 + rows) by rows, SM_ROW_GROUP at a time. */
SM_INLINE void entropy_row_span(size_t r0, size_t rows, size_t cols,
                                float beta, const float *x, size_t ldx,
                                float grad_scale, double *h, float *g,
                                size_t ldg, double logk[SM_LOGK_MAX + 1])
{
    const bool grouped = beta != 0.0f && cols <= SM_LOSS_ROW_GROUP_MAX_COLS;
    for (size_t end = r0 + rows; r0 < end; r0 += SM_ROW_GROUP) {
        const size_t nr = row_group_rows(r0, end);
        struct loss_pre pre[SM_ROW_GROUP];
        float *gr = g ? g + r0 * ldg : NULL;
        if (grouped)
            loss_row_group_pre(x + r0 * ldx, ldx, nr, cols, beta, gr, ldg,
                               g != x, logk, pre);
        for (size_t j = 0; j < nr; j++)
            h[r0 + j] = entropy_row(x + (r0 + j) * ldx, cols, beta, grad_scale,
                                    gr ? gr + j * ldg : NULL,
                                    grouped ? &pre[j] : NULL);
    }
}

SM_INLINE void entropy_rows_of(size_t rows, size_t cols, float beta,
                                 const float *x, size_t ldx, float grad_scale,
                                 double *h, float *g, size_t ldg)
{
    double logk[SM_LOGK_MAX + 1];
    logk_init(logk, cols);
#define SM_COL_GROUP(r0)                                                   \
    entropy_col_group(x + (r0) * ldx, ldx, cols, beta, grad_scale, h + (r0), \
                      g ? g + (r0) * ldg : NULL, ldg, logk)
#define SM_ROW_SPAN(r0, len)                                               \
    entropy_row_span(r0, len, cols, beta, x, ldx, grad_scale, h, g, ldg,   \
                     logk)
    SM_WALK_COL_GROUPS(rows, cols <= SM_VW && beta != 0.0f, SM_COL_GROUP,
                       SM_ROW_SPAN);
#undef SM_COL_GROUP
#undef SM_ROW_SPAN
}

SM_INLINE void entropy_rows(size_t rows, size_t cols, float beta, const float *x,
                         size_t ldx, float grad_scale, double *h, float *g,
                         size_t ldg)
{
    entropy_rows_of(rows, cols, beta, x, ldx, grad_scale, h, g, ldg);
    canonical_nan_losses(h, rows, cols, g, ldg);
}

#endif
