/*
 * Fused softmax cross-entropy from integer labels (included by loss.h).
 *
 * Row loss, with w the class weights (1 without), c the label, eps the
 * label smoothing and nl_i = lse - t_i = -log p_i in f32:
 *   loss = (1 - eps) (w_c nl_c) + (eps / K) sum_i w_i nl_i + lambda/2 |x|^2
 * (w_i nl_i rounded to f32, the sums in double; without smoothing only the
 * label's term, which is then exactly minus log-softmax's output). Its
 * gradient, scaled by the reduction's s:
 *   g_i = (p_i W - w_i q_i) (beta s) + x_i (lambda s)
 * (the first product +0 where p_i W = w_i q_i, also for an infinite beta)
 * with q the smoothed target and W = sum_i w_i q_i in f32 (1 without
 * weights, where the first product is p_i itself: the same bits as all-1
 * weights). Without smoothing or L2 the passes are those of softmax: the
 * gradient pass reads the stored e_i, so g may replace x.
 */
#ifndef SM_LOSS_CE_H
#define SM_LOSS_CE_H

struct ce_pass {
    struct loss_row w;
    const float *weights;
    float w_total; /* W */
    float q_other, grad_beta, grad_l2;
    bool smooth;
};

static inline sm_v ce_step(const void *pass, size_t i, size_t c)
{
    const struct ce_pass *a = pass;
    const sm_v xv = ld(a->w.x + i, c, a->w.m);
    const sm_v t = row_t(&a->w, xv);
    const sm_v wv = a->weights ? ld(a->weights + i, c, 0.0f) : v_set1(1.0f);
    sm_v term = v_set1(0.0f);
    if (a->smooth)
        term = weighted_term(wv, v_sub(v_set1(a->w.lse), t), c);
    if (a->w.g) {
        const sm_v p = v_mul(row_e(&a->w, i, c, t), v_set1(a->w.r));
        const sm_v q = v_set1(a->q_other);
        sm_v g = a->weights ? v_sub(v_mul(p, v_set1(a->w_total)), v_mul(wv, q))
                            : v_sub(p, q);
        g = grad_scaled(g, a->grad_beta);
        if (a->grad_l2 != 0.0f)
            g = v_add(g, v_mul(xv, v_set1(a->grad_l2)));
        st(a->w.g + i, c, g);
    }
    return term;
}

/* The common case, softmax's last pass with the target taken off:
 * g_i = (e_i r - q) (beta s) over the stored exps; ce_step's bits. */
static void ce_grad_stored(float *g, size_t n, float r, float q, float gb)
{
    const sm_v vr = v_set1(r), vq = v_set1(q);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW)
        v_store(g + i, grad_scaled(v_sub(v_mul(v_load(g + i), vr), vq), gb));
    if (i < n)
        v_store_part(g + i, n - i,
                     grad_scaled(v_sub(v_mul(v_load_part(g + i, n - i, 0.0f), vr), vq), gb));
}

#ifndef SM_VLA
/* A row of one block without smoothing, weights or L2 (the usual small
 * case) kept in registers as softmax_block does: the general path's
 * operations without its passes. beta != 0. */
SM_INLINE double ce_block(const float *x, size_t n, float beta, size_t label,
                          const struct sm_ce_args *a, float *g, bool fast)
{
    const float xc = x[label];
    sm_v e[SM_VPB];
    const struct row_stats rs = block_stats(x, n, beta, fast, e);
    if (isnan(rs.k + rs.s)) {
        if (g)
            fill(g, n, sm_qnan);
        return NAN;
    }
    const bool masked = row_is_masked(rs.m, beta);
    const float r = masked ? 0.0f : (float)(1.0 / (rs.k + rs.s));
    const float lse = masked ? INFINITY : (float)log_partition(rs.k, rs.s);
    const float tc = xc == rs.m ? 0.0f : (xc - rs.m) * beta;
    if (g) {
        float lanes[64];
        v_store(lanes, e[label / SM_VW]);
        const float ec = lanes[label % SM_VW];
        for (size_t v = 0; v * SM_VW < n; v++) {
            const size_t c = n - v * SM_VW < SM_VW ? n - v * SM_VW : SM_VW;
            st(g + v * SM_VW, c, grad_scaled(v_sub(v_mul(e[v], v_set1(r)),
                                                   v_set1(a->q_other)),
                                             a->grad_beta));
        }
        g[label] = grad_scaled1(ec * r - a->q_label, a->grad_beta);
    }
    return lse - tc;
}
#endif

SM_INLINE double ce_row(const float *x, size_t n, float beta, size_t label,
                        const struct sm_ce_args *a, float *g, bool fast)
{
    const float xc = x[label];
    const float wc = a->weights ? a->weights[label] : 1.0f;
    const double l2 = a->half_l2 != 0.0 ? a->half_l2 * row_dot(x, x, n) : 0.0;
    struct ce_pass p = {
        .weights = a->weights, .q_other = a->q_other,
        .grad_beta = a->grad_beta, .grad_l2 = a->grad_l2,
        .smooth = a->epsilon != 0.0f,
    };
    /* The gradient pass needs x itself for smoothing or L2: then in place,
     * it recomputes the exps instead of overwriting x with them. */
    const bool needs_x = p.smooth || (g && a->grad_l2 != 0.0f);
    if (!loss_row_init(&p.w, x, n, beta, g, !(needs_x && g == x), fast)) {
        if (g)
            fill(g, n, sm_qnan);
        return NAN;
    }
    p.w_total = a->weights ? (float)((1.0 - (double)a->epsilon) * wc +
                                     (double)a->q_other * a->weight_sum)
                           : 1.0f;
    const float tc = scalar_t(&p.w, xc);
    const float nl_c = p.w.lse - tc;
    const float term_c = a->weights ? (wc == 0.0f ? 0.0f : wc * nl_c) : nl_c;
    double loss = term_c;
    /* e_c before the gradient pass overwrites the stored exps */
    const float ec = p.w.stored ? g[label] : scalar_e(&p.w, tc);
    if (g && p.w.stored && !p.smooth && !p.weights && p.grad_l2 == 0.0f) {
        ce_grad_stored(g, n, p.w.r, p.q_other, p.grad_beta);
    } else if (g || p.smooth) {
        const double smooth = loss_pass(&p, n, ce_step, p.smooth);
        if (p.smooth)
            loss = (1.0 - (double)a->epsilon) * term_c +
                   (double)a->epsilon / (double)n * smooth;
    }
    if (g) { /* the label's entry, over the pass's q_other value */
        const float pc = ec * p.w.r;
        float gc = a->weights ? pc * p.w_total - wc * a->q_label : pc - a->q_label;
        gc = grad_scaled1(gc, a->grad_beta);
        if (a->grad_l2 != 0.0f)
            gc = gc + xc * a->grad_l2;
        g[label] = gc;
    }
    return loss + l2;
}

SM_INLINE void ce_rows_mode(size_t rows, size_t cols, float beta,
                            const float *x, size_t ldx,
                            const struct sm_ce_args *a, double *loss, float *g,
                            size_t ldg, bool fast)
{
    const bool block = cols <= 32 && beta != 0.0f && a->epsilon == 0.0f &&
                       !a->weights && a->half_l2 == 0.0 && a->grad_l2 == 0.0f;
    for (size_t r = 0; r < rows; r++) {
        float *gr = g ? g + r * ldg : NULL;
        if (a->labels[r] == a->ignore_index) {
            loss[r] = 0.0;
            if (gr)
                fill(gr, cols, 0.0f);
            continue;
        }
#ifndef SM_VLA
        if (block)
            loss[r] = ce_block(x + r * ldx, cols, beta, (size_t)a->labels[r], a,
                               gr, fast);
        else
#endif
            loss[r] = ce_row(x + r * ldx, cols, beta, (size_t)a->labels[r], a,
                             gr, fast);
    }
}

static void cross_entropy_rows(size_t rows, size_t cols, float beta,
                               const float *x, size_t ldx,
                               const struct sm_ce_args *a, double *loss,
                               float *g, size_t ldg, unsigned flags)
{
    if (flags & SM_FAST_EXP)
        ce_rows_mode(rows, cols, beta, x, ldx, a, loss, g, ldg, true);
    else
        ce_rows_mode(rows, cols, beta, x, ldx, a, loss, g, ldg, false);
}

#endif
