/*
 * Losses against a target distribution q per row (included by loss.h):
 *   soft cross-entropy  sum q_i nl_i,                nl_i = lse - t_i
 *   KL divergence       sum q_i (log q_i - lp_i),    lp_i = t_i - lse
 *   distillation        T^2 KL with q = softmax_beta(teacher), log q_i its
 *                       log-softmax, beta = 1 / T
 * each product in f32, summed in double in the contract's order. The
 * gradient with respect to the logits, times the caller's scale gs:
 *   g_i = (p_i Q - q_i) gs,  Q = (float) sum q_i (1 for distillation),
 * +0 where p_i Q = q_i.
 */
#ifndef SM_LOSS_SOFT_H
#define SM_LOSS_SOFT_H

#include "common/loss.h"

struct soft_pass {
    struct loss_row w;
    struct loss_row teacher; /* distillation */
    const float *q;
    enum sm_soft_kind kind;
    float q_total; /* Q */
    float grad_scale;
};

SM_INLINE sm_v soft_step_with(const void *pass, size_t i, size_t c,
                              bool long_row)
{
    const struct soft_pass *a = pass;
    const sm_v xv = ld(a->w.x + i, c, a->w.m);
    const sm_v t = row_t(&a->w, xv);
    const sm_v lse = v_set1(a->w.lse);
    sm_v q, term;
    if (a->kind == SM_SOFT_DISTILL) {
        const struct loss_row *tw = &a->teacher;
        const sm_v xt = ld(tw->x + i, c, tw->m);
        const sm_v tt = row_t(tw, xt);
        q = row_p(tw, i, c, xt, tt, long_row);
        term = v_sub(v_sub(tt, v_set1(tw->lse)), v_sub(t, lse));
    } else {
        q = ld(a->q + i, c, 0.0f);
        term = a->kind == SM_SOFT_CE ? v_sub(lse, t)
                                     : v_sub(v_log(q), v_sub(t, lse));
    }
    if (a->w.g) {
        const sm_v p = row_p(&a->w, i, c, xv, t, long_row);
        st(a->w.g + i, c,
           grad_scaled(v_sub(v_mul(p, v_set1(a->q_total)), q), a->grad_scale));
    }
    return weighted_term(q, term, c);
}

static inline sm_v soft_step(const void *pass, size_t i, size_t c)
{
    return soft_step_with(pass, i, c, false);
}

static inline sm_v soft_long_step(const void *pass, size_t i, size_t c)
{
    return soft_step_with(pass, i, c, true);
}

/* q: the teacher's logits row for distillation. pre, pre_q: the
 * statistics of x and of the teacher, computed ahead (or NULL). */
SM_INLINE double soft_row(const float *x, size_t n, float beta,
                          const struct sm_soft_args *a, const float *q,
                          float *g, const struct loss_pre *pre,
                          const struct loss_pre *pre_q)
{
    struct soft_pass p = {.q = q, .kind = a->kind, .grad_scale = a->grad_scale};
    if (a->kind == SM_SOFT_DISTILL) {
        p.q_total = 1.0f;
        if (!loss_row_init(&p.teacher, q, n, beta, NULL, false, pre_q))
            goto nan_row;
    } else {
        p.q_total = (float)row_dot(q, NULL, n);
    }
    /* Every pass reads x again: the exps go to g only when g is not x. */
    if (!loss_row_init(&p.w, x, n, beta, g, g != x, pre))
        goto nan_row;
    return a->loss_scale *
           loss_pass(&p, n, soft_step, soft_long_step, true, &p.w,
                     a->kind == SM_SOFT_DISTILL ? &p.teacher : NULL);
nan_row:
    if (g)
        fill(g, n, sm_qnan);
    return NAN;
}

#ifdef SM_COLUMNS
/* soft_row's operations on SM_VW rows of n entries (beta != 0) as a column
 * group: loss their losses, g (optional) their gradient rows; false, with
 * nothing written, as col_group_stats (for the student's rows or the
 * teacher's). Q and the loss are summed by col_tree, the contract's order;
 * 0.0 + each sum as loss_pass and row_dot begin. */
SM_INLINE bool soft_col_group(const float *x, size_t ldx, size_t n,
                              float beta, const struct sm_soft_args *a,
                              const float *q_rows, double *loss, float *g,
                              size_t ldg, double logk[SM_LOGK_MAX + 1])
{
    const sm_v vb = v_set1(beta), zero = v_set1(0.0f);
    struct col_group c, teacher;
    sm_v q[SM_VW], qt = v_set1(1.0f), teacher_lse = zero;
    sm_cd sums[SM_VW];
    if (a->kind == SM_SOFT_DISTILL) {
        if (!col_group_stats(q_rows, a->ldq, n, beta, &teacher))
            return false;
        teacher_lse = col_narrow(col_log_partition(&teacher, logk));
        for (size_t i = 0; i < n; i++)
            q[i] = v_mul(teacher.e[i], teacher.r);
    } else {
        for (size_t j = 0; j < SM_VW; j++)
            q[j] = n == SM_VW ? v_load(q_rows + j * a->ldq)
                              : v_load_part(q_rows + j * a->ldq, n, 0.0f);
        v_transpose(q);
        for (size_t i = 0; i < n; i++)
            sums[i] = col_widen(q[i]);
        qt = col_narrow(0.0 + col_tree(sums, n));
    }
    if (!col_group_stats(x, ldx, n, beta, &c))
        return false;
    const sm_v lse = col_narrow(col_log_partition(&c, logk));
    sm_v out[SM_VW];
    for (size_t i = 0; i < n; i++) {
        const sm_v t = t_of(c.x[i], c.m, vb);
        sm_v term;
        if (a->kind == SM_SOFT_DISTILL) {
            const sm_v tt = t_of(teacher.x[i], teacher.m, vb);
            term = v_sub(v_sub(tt, teacher_lse), v_sub(t, lse));
        } else {
            term = a->kind == SM_SOFT_CE ? v_sub(lse, t)
                                         : v_sub(v_log(q[i]), v_sub(t, lse));
        }
        sums[i] = col_widen(v_sel(m_eq(q[i], zero), zero, v_mul(q[i], term)));
        const sm_v p = v_mul(c.e[i], c.r);
        out[i] = grad_scaled(v_sub(v_mul(p, qt), q[i]), a->grad_scale);
    }
    const sm_cd lv = a->loss_scale * (0.0 + col_tree(sums, n));
    memcpy(loss, &lv, sizeof lv);
    if (g)
        col_group_store(out, n, g, ldg);
    return true;
}
#endif

/* Rows [r0, r0 + rows) by rows, SM_ROW_GROUP at a time. */
SM_INLINE void soft_row_span(size_t r0, size_t rows, size_t cols, float beta,
                             const float *x, size_t ldx,
                             const struct sm_soft_args *a, double *loss,
                             float *g, size_t ldg,
                             double logk[SM_LOGK_MAX + 1])
{
    const bool grouped = beta != 0.0f && cols <= SM_LOSS_ROW_GROUP_MAX_COLS;
    const bool distill = a->kind == SM_SOFT_DISTILL;
    for (size_t end = r0 + rows; r0 < end; r0 += SM_ROW_GROUP) {
        const size_t nr = row_group_rows(r0, end);
        struct loss_pre pre[SM_ROW_GROUP], pre_q[SM_ROW_GROUP];
        const float *q = a->q + r0 * a->ldq;
        float *gr = g ? g + r0 * ldg : NULL;
        if (grouped && distill)
            loss_row_group_pre(q, a->ldq, nr, cols, beta, NULL, 0, false,
                               logk, pre_q);
        if (grouped)
            loss_row_group_pre(x + r0 * ldx, ldx, nr, cols, beta, gr, ldg,
                               g != x, logk, pre);
        for (size_t j = 0; j < nr; j++)
            loss[r0 + j] = soft_row(x + (r0 + j) * ldx, cols, beta, a,
                                    q + j * a->ldq, gr ? gr + j * ldg : NULL,
                                    grouped ? &pre[j] : NULL,
                                    grouped && distill ? &pre_q[j] : NULL);
    }
}

SM_INLINE void soft_rows(size_t rows, size_t cols, float beta,
                              const float *x, size_t ldx,
                              const struct sm_soft_args *a, double *loss,
                              float *g, size_t ldg)
{
    double logk[SM_LOGK_MAX + 1];
    logk_init(logk, cols);
#define SM_COL_GROUP(r0)                                                   \
    soft_col_group(x + (r0) * ldx, ldx, cols, beta, a, a->q + (r0) * a->ldq, \
                   loss + (r0), g ? g + (r0) * ldg : NULL, ldg, logk)
#define SM_ROW_SPAN(r0, len)                                               \
    soft_row_span(r0, len, cols, beta, x, ldx, a, loss, g, ldg, logk)
    SM_WALK_COL_GROUPS(rows, cols <= SM_VW && beta != 0.0f, SM_COL_GROUP,
                       SM_ROW_SPAN);
#undef SM_COL_GROUP
#undef SM_ROW_SPAN
}

SM_INLINE void soft_target_rows(size_t rows, size_t cols, float beta,
                             const float *x, size_t ldx,
                             const struct sm_soft_args *a, double *loss,
                             float *g, size_t ldg)
{
    soft_rows(rows, cols, beta, x, ldx, a, loss, g, ldg);
    canonical_nan_losses(loss, rows, cols, g, ldg);
}

#endif
