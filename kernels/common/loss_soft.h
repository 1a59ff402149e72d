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

struct soft_pass {
    struct loss_row w;
    struct loss_row teacher; /* distillation */
    const float *q;
    enum sm_soft_kind kind;
    float q_total; /* Q */
    float grad_scale;
};

static inline sm_v soft_step(const void *pass, size_t i, size_t c)
{
    const struct soft_pass *a = pass;
    const sm_v t = row_t(&a->w, ld(a->w.x + i, c, a->w.m));
    const sm_v lse = v_set1(a->w.lse);
    sm_v q, term;
    if (a->kind == SM_SOFT_DISTILL) {
        const struct loss_row *tw = &a->teacher;
        const sm_v tt = row_t(tw, ld(tw->x + i, c, tw->m));
        q = v_mul(row_e(tw, i, c, tt), v_set1(tw->r));
        term = v_sub(v_sub(tt, v_set1(tw->lse)), v_sub(t, lse));
    } else {
        q = ld(a->q + i, c, 0.0f);
        term = a->kind == SM_SOFT_CE ? v_sub(lse, t)
                                     : v_sub(v_log(q), v_sub(t, lse));
    }
    if (a->w.g) {
        const sm_v p = v_mul(row_e(&a->w, i, c, t), v_set1(a->w.r));
        st(a->w.g + i, c,
           grad_scaled(v_sub(v_mul(p, v_set1(a->q_total)), q), a->grad_scale));
    }
    return weighted_term(q, term, c);
}

/* q: the teacher's logits row for distillation. pre, pre_q: the
 * statistics of x and of the teacher, computed ahead (or NULL). */
SM_INLINE double soft_row(const float *x, size_t n, float beta,
                          const struct sm_soft_args *a, const float *q,
                          float *g, bool fast, const struct loss_pre *pre,
                          const struct loss_pre *pre_q)
{
    struct soft_pass p = {.q = q, .kind = a->kind, .grad_scale = a->grad_scale};
    if (a->kind == SM_SOFT_DISTILL) {
        p.q_total = 1.0f;
        if (!loss_row_init(&p.teacher, q, n, beta, NULL, false, fast, pre_q))
            goto nan_row;
    } else {
        p.q_total = (float)row_dot(q, NULL, n);
    }
    /* Every pass reads x again: the exps go to g only when g is not x. */
    if (!loss_row_init(&p.w, x, n, beta, g, g != x, fast, pre))
        goto nan_row;
    return a->loss_scale * loss_pass(&p, n, soft_step, true);
nan_row:
    if (g)
        fill(g, n, sm_qnan);
    return NAN;
}

SM_INLINE void soft_rows_mode(size_t rows, size_t cols, float beta,
                              const float *x, size_t ldx,
                              const struct sm_soft_args *a, double *loss,
                              float *g, size_t ldg, bool fast)
{
    const bool grouped = beta != 0.0f && cols <= SM_LOSS_GROUP_COLS;
    const bool distill = a->kind == SM_SOFT_DISTILL;
    double logk[SM_LOGK_MAX + 1];
    logk_init(logk, cols);
    for (size_t r0 = 0; r0 < rows; r0 += SM_ROW_GROUP) {
        const size_t nr = rows - r0 < SM_ROW_GROUP ? rows - r0 : SM_ROW_GROUP;
        struct loss_pre pre[SM_ROW_GROUP], pre_q[SM_ROW_GROUP];
        const float *q = a->q + r0 * a->ldq;
        float *gr = g ? g + r0 * ldg : NULL;
        if (grouped && distill)
            loss_group_pre(q, a->ldq, nr, cols, beta, NULL, 0, false, fast,
                           logk, pre_q);
        if (grouped)
            loss_group_pre(x + r0 * ldx, ldx, nr, cols, beta, gr, ldg,
                           g != x, fast, logk, pre);
        for (size_t j = 0; j < nr; j++)
            loss[r0 + j] = soft_row(x + (r0 + j) * ldx, cols, beta, a,
                                    q + j * a->ldq, gr ? gr + j * ldg : NULL,
                                    fast, grouped ? &pre[j] : NULL,
                                    grouped && distill ? &pre_q[j] : NULL);
    }
}

static void soft_target_rows(size_t rows, size_t cols, float beta,
                             const float *x, size_t ldx,
                             const struct sm_soft_args *a, double *loss,
                             float *g, size_t ldg, unsigned flags)
{
    if (flags & SM_FAST_EXP)
        soft_rows_mode(rows, cols, beta, x, ldx, a, loss, g, ldg, true);
    else
        soft_rows_mode(rows, cols, beta, x, ldx, a, loss, g, ldg, false);
}

#endif
