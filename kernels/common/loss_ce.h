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

#include "common/loss.h"
#include "common/row_dot.h"

struct ce_pass {
    struct loss_row w;
    const float *weights;
    float w_total; /* W */
    float q_other, grad_beta, grad_l2;
    bool smooth;
};

SM_INLINE sm_v ce_step_with(const void *pass, size_t i, size_t c,
                            bool long_row)
{
    const struct ce_pass *a = pass;
    const sm_v xv = ld(a->w.x + i, c, a->w.m);
    const sm_v t = row_t(&a->w, xv);
    const sm_v wv = a->weights ? ld(a->weights + i, c, 0.0f) : v_set1(1.0f);
    sm_v term = v_set1(0.0f);
    if (a->smooth)
        term = weighted_term(wv, v_sub(v_set1(a->w.lse), t), c);
    if (a->w.g) {
        const sm_v p = row_p(&a->w, i, c, xv, t, long_row);
        const sm_v q = v_set1(a->q_other);
        sm_v g = a->weights ? v_sub(v_mul(p, v_set1(a->w_total)), v_mul(wv, q))
                            : v_sub(p, q);
        g = grad_scaled(g, a->grad_beta);
        if (a->grad_l2 != 0.0f) /* +-inf + -+inf is NaN */
            g = v_canonical_nan(v_add(g, v_mul(xv, v_set1(a->grad_l2))));
        st(a->w.g + i, c, g);
    }
    return term;
}

static inline sm_v ce_step(const void *pass, size_t i, size_t c)
{
    return ce_step_with(pass, i, c, false);
}

static inline sm_v ce_long_step(const void *pass, size_t i, size_t c)
{
    return ce_step_with(pass, i, c, true);
}

/* A row labelled ignore_index: loss 0, gradient row 0. */
static inline bool ce_ignored(const struct sm_ce_args *a, size_t r,
                              double *loss, float *gr, size_t cols)
{
    if (a->labels[r] != a->ignore_index)
        return false;
    loss[r] = 0.0;
    if (gr)
        fill(gr, cols, 0.0f);
    return true;
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
/* A short row's gradient from its exps, written once (storing the exps in
 * g and reading them back cost a masked store and load per row). Rows
 * without smoothing only: q is 0 off the label, where e_i r - 0 = e_i r
 * (never -0), so g_i = (e_i r) (beta s), and the label's entry is stored
 * over it in scalar code: ce_grad_stored's bits, lane for lane. With
 * beta s finite and > 0 (plain_scale) the product is +0 exactly where
 * e_i r is, so grad_scaled's select is left out. */
SM_INLINE void ce_grad_block(float *g, size_t n, size_t nv, const sm_v e[],
                             size_t label, float r,
                             const struct sm_ce_args *a, bool plain_scale,
                             bool next_row_follows)
{
    const sm_v vr = v_set1(r), gb = v_set1(a->grad_beta);
    const size_t last = n - (nv - 1) * SM_VW;
    for (size_t v = 0; v < nv; v++) {
        const sm_v p = v_mul(e[v], vr);
        const sm_v gv = plain_scale ? v_mul(p, gb) : grad_scaled(p, a->grad_beta);
        store_row_vec(g, v, nv, last, gv, next_row_follows);
    }
    float ec;
    memcpy(&ec, (const char *)e + label * sizeof(float), sizeof ec);
    g[label] = grad_scaled1(ec * r - a->q_label, a->grad_beta);
}

/* What row r (at xr, statistics rs; not ignored) needs besides its L:
 * writes the loss and gradient of a row with a NaN, sets t_c and returns
 * 1/S (>= 1/SM_REGISTER_ROW_MAX here); 0 for a fully masked row (loss written,
 * gradient 0s); -1 when all is done. Reads x[label] (in place: before the
 * row's gradient replaces it). */
SM_INLINE float ce_row_scale(const struct sm_ce_args *a, size_t r,
                             const float *xr, struct row_stats rs, float beta,
                             double *loss, float *gr, size_t cols, float *tc)
{
    const float xc = xr[a->labels[r]];
    /* row_class's two tests apart, t_c between them: taking the class
     * first costs the wide rows' loop its register allocation. */
    if (isnan(rs.k + rs.s)) {
        loss[r] = NAN;
        if (gr)
            fill(gr, cols, sm_qnan);
        return -1.0f;
    }
    *tc = xc == rs.m ? 0.0f : (xc - rs.m) * beta;
    if (row_is_masked(rs.m, beta)) {
        loss[r] = INFINITY - *tc;
        return 0.0f;
    }
    return (float)(1.0 / (rs.k + rs.s));
}

/* A group's losses L - t_c once its rows' scales rc are known, and their
 * running total. */
SM_INLINE void ce_row_group_losses(const struct row_stats st[], size_t nr,
                                   const float rc[], const float tc[],
                                   double logk[SM_LOGK_MAX + 1], double *loss,
                                   double *total)
{
    double l[SM_ROW_GROUP]; /* log_partition(K, S'') */
    row_group_log_partition(st, nr, logk, l);
    for (size_t j = 0; j < nr; j++)
        if (rc[j] > 0.0f)
            loss[j] = (float)l[j] - tc[j];
    /* A group's additions run beside the next group's work; after the
     * whole batch they were a chain nothing overlapped (3 % of a
     * softmax's time at 256 x 10 on AVX-512). */
    for (size_t j = 0; j < nr; j++)
        *total += loss[j];
}

/* Rows of at most SM_REGISTER_ROW_MAX entries without smoothing, weights or L2
 * (the usual small case), in row groups: each row's statistics and exps as
 * block_rows_out or softmax_wide_row_nv compute them, each row's
 * gradient, then the group's L as log-softmax's (log1p in one vector pass)
 * and the losses. One-block rows (nv <= SM_VPB) get the group's
 * statistics two rows at a time, then the bookkeeping, then the gradients (not a pair's
 * gradients right after its statistics: slower); wide rows go one at a
 * time from registers, the gradient written at once. The general path's
 * operations. beta != 0. */
SM_INLINE void ce_short_rows_nv(size_t rows, size_t cols, size_t nv,
                                float beta, const float *x, size_t ldx,
                                const struct sm_ce_args *a, double *loss,
                                float *g, size_t ldg)
{
    double logk[SM_LOGK_MAX + 1];
    logk_init(logk, cols);
    double total = a->total ? *a->total : 0.0;
    const bool plain_scale = a->grad_beta > 0.0f && a->grad_beta <= FLT_MAX;
    for (size_t r0 = 0; r0 < rows; r0 += SM_ROW_GROUP) {
        const size_t nr = row_group_rows(r0, rows);
        float tc[SM_ROW_GROUP], rc[SM_ROW_GROUP];
        struct row_stats st[SM_ROW_GROUP];
        if (nv <= SM_VPB) {
            sm_v eg[SM_ROW_GROUP][SM_VPB];
            block_group_stats_nv(x + r0 * ldx, ldx, nr, cols, nv, beta, NULL,
                                 eg, st);
            for (size_t j = 0; j < nr; j++) {
                const size_t r = r0 + j;
                float *gr = g ? g + r * ldg : NULL;
                rc[j] = ce_ignored(a, r, loss, gr, cols)
                        ? -1.0f
                        : ce_row_scale(a, r, x + r * ldx, st[j], beta, loss,
                                       gr, cols, &tc[j]);
            }
            if (g)
                for (size_t j = 0; j < nr; j++)
                    if (rc[j] >= 0.0f)
                        ce_grad_block(g + (r0 + j) * ldg, cols, nv, eg[j],
                                      (size_t)a->labels[r0 + j], rc[j], a,
                                      plain_scale, false);
        }
#ifdef SM_WIDE_VECS
        else {
            for (size_t j = 0; j < nr; j++) {
                const size_t r = r0 + j;
                float *gr = g ? g + r * ldg : NULL;
                sm_v xv[SM_WIDE_VECS], e[SM_WIDE_VECS];
                st[j] = wide_row_stats_nv(x + r * ldx, cols, nv, beta,
                                          xv, e);
                rc[j] = ce_ignored(a, r, loss, gr, cols)
                        ? -1.0f
                        : ce_row_scale(a, r, x + r * ldx, st[j], beta, loss,
                                       gr, cols, &tc[j]);
                if (gr && rc[j] >= 0.0f)
                    ce_grad_block(gr, cols, nv, e, (size_t)a->labels[r], rc[j],
                                  a, plain_scale, true);
            }
        }
#endif
        ce_row_group_losses(st, nr, rc, tc, logk, loss + r0, &total);
    }
    if (a->total)
        *a->total = total;
}

#ifdef SM_COLUMNS
/* Cross-entropy of SM_VW rows (from r0) of n <= SM_VW entries as a column
 * group: ce_row_scale, ce_grad_block and ce_row_group_losses lane by lane, so
 * the same bits; the label's column is picked by comparing each column's
 * index with the labels (exact as floats: below cols). False, with
 * nothing written, unless every row is kept and col_group_stats succeeds. */
SM_INLINE bool ce_col_group(const struct sm_ce_args *a, size_t r0, size_t n,
                            float beta, const float *x, size_t ldx,
                            double *loss, float *g, size_t ldg,
                            double logk[SM_LOGK_MAX + 1],
                            double *total)
{
    /* Labels are below cols or ignore_index, so as floats they compare as
     * they do as integers (those below cols are exact). */
    sm_ci label;
    memcpy(&label, a->labels + r0, sizeof label);
    sm_v labf;
    {
        const sm_cf f = __builtin_convertvector(label, sm_cf);
        memcpy(&labf, &f, sizeof labf);
    }
    if (m_count(m_eq(labf, v_set1((float)a->ignore_index))) != 0)
        return false;
    struct col_group c;
    const sm_v zero = v_set1(0.0f);
    if (!col_group_stats(x + r0 * ldx, ldx, n, beta, &c))
        return false;
    sm_m is_label[SM_VW];
    sm_v xc = zero;
    for (size_t i = 0; i < n; i++) {
        is_label[i] = m_eq(labf, v_set1((float)i));
        xc = v_sel(is_label[i], c.x[i], xc);
    }
    if (g) {
        /* With beta s finite and > 0, d (beta s) is +0 exactly where d is
         * (d = p_i - q_i >= +0 or < 0, never -0): grad_scaled's select is
         * left out, as in ce_grad_block. */
        const bool plain_scale = a->grad_beta > 0.0f && a->grad_beta <= FLT_MAX;
        const sm_v q = v_set1(a->q_label), gb = v_set1(a->grad_beta);
        sm_v out[SM_VW];
        for (size_t i = 0; i < n; i++) {
            const sm_v p = v_mul(c.e[i], c.r);
            const sm_v d = v_sel(is_label[i], v_sub(p, q), p);
            out[i] = plain_scale ? v_mul(d, gb) : grad_scaled(d, a->grad_beta);
        }
        col_group_store(out, n, g + r0 * ldg, ldg);
    }
    /* The loss after the gradient: its L, a long chain, then overlaps the
     * next group's loads. */
    const sm_v tc = t_of(xc, c.m, v_set1(beta));
    const sm_cd lv = col_widen(v_sub(col_narrow(col_log_partition(&c, logk)), tc));
    memcpy(loss + r0, &lv, sizeof lv);
    for (size_t j = 0; j < SM_VW; j++)
        *total += lv[j];
    return true;
}
#endif

#ifdef SM_WIDE_VECS
/* ce_short_rows_nv of wide rows, the vector count a constant per case (32
 * < cols <= SM_REGISTER_ROW_MAX). Out of line, so that it does not change how
 * the one-block rows' code around it is compiled. */
static __attribute__((noinline)) void
ce_wide_rows(size_t rows, size_t cols, float beta, const float *x, size_t ldx,
             const struct sm_ce_args *a, double *loss, float *g, size_t ldg)
{
    const size_t nv = (cols + SM_VW - 1) / SM_VW;
#define SM_CALL(k) \
    ce_short_rows_nv(rows, cols, k, beta, x, ldx, a, loss, g, ldg); return
    SM_WITH_WIDE_NV(nv, SM_CALL);
#undef SM_CALL
}
#endif

/* The vector count a constant per case, as block_rows_out's; rows of at
 * most SM_REGISTER_ROW_MAX entries (32 where the ISA keeps no wider rows in
 * registers). */
SM_INLINE void ce_short_rows(size_t rows, size_t cols, float beta,
                             const float *x, size_t ldx,
                             const struct sm_ce_args *a, double *loss,
                             float *g, size_t ldg)
{
    const size_t nv = (cols + SM_VW - 1) / SM_VW;
#define SM_CALL(k) \
    ce_short_rows_nv(rows, cols, k, beta, x, ldx, a, loss, g, ldg); return
    switch (nv) {
        SM_BLOCK_CASES(SM_CALL)
    }
#undef SM_CALL
#ifdef SM_WIDE_VECS
    if (cols > 32) {
        ce_wide_rows(rows, cols, beta, x, ldx, a, loss, g, ldg);
        return;
    }
#endif
#if SM_VPB > 8 /* the cases above cover every nv <= SM_VPB <= 8 */
    ce_short_rows_nv(rows, cols, nv, beta, x, ldx, a, loss, g, ldg);
#else
    SM_UNREACHABLE();
#endif
}
#endif

/* The exps go to g unless g must keep x (in place, for smoothing or L2). */
static inline bool ce_may_store(const struct sm_ce_args *a, const float *x,
                                const float *g)
{
    const bool needs_x = a->epsilon != 0.0f || (g && a->grad_l2 != 0.0f);
    return !(needs_x && g == x);
}

/* xc = x[label], read before pre's statistics may have replaced x by the
 * exps (in place). pre: the statistics computed ahead, or NULL. */
SM_INLINE double ce_row(const float *x, size_t n, float beta, size_t label,
                        float xc, const struct sm_ce_args *a, float *g,
                        const struct loss_pre *pre)
{
    const float wc = a->weights ? a->weights[label] : 1.0f;
    const double l2 = a->half_l2 != 0.0 ? a->half_l2 * row_dot(x, x, n) : 0.0;
    struct ce_pass p = {
        .weights = a->weights, .q_other = a->q_other,
        .grad_beta = a->grad_beta, .grad_l2 = a->grad_l2,
        .smooth = a->epsilon != 0.0f,
    };
    /* The gradient pass needs x itself for smoothing or L2: then in place,
     * it recomputes the exps instead of overwriting x with them. */
    if (!loss_row_init(&p.w, x, n, beta, g, ce_may_store(a, x, g), pre)) {
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
    /* p_c before the gradient pass overwrites the stored exps (or x) */
    const float pc = p.w.stored ? g[label] * p.w.r
                                : loss_row_p(&p.w, n, label, xc);
    if (g && p.w.stored && !p.smooth && !p.weights && p.grad_l2 == 0.0f) {
        ce_grad_stored(g, n, p.w.r, p.q_other, p.grad_beta);
    } else if (g || p.smooth) {
        const double smooth = loss_pass(&p, n, ce_step, ce_long_step,
                                        p.smooth, &p.w, NULL);
        if (p.smooth)
            loss = (1.0 - (double)a->epsilon) * term_c +
                   (double)a->epsilon / (double)n * smooth;
    }
    if (g) { /* the label's entry, over the pass's q_other value */
        float gc = a->weights ? pc * p.w_total - wc * a->q_label : pc - a->q_label;
        gc = grad_scaled1(gc, a->grad_beta);
        if (a->grad_l2 != 0.0f)
            gc = canonical_nan1(gc + xc * a->grad_l2);
        g[label] = gc;
    }
    return loss + l2;
}

#ifndef SM_VLA
/* ce_short_rows, but rows of at most SM_VW entries go SM_VW at a time as
 * column groups where the ISA has them; the rest, and any group
 * ce_col_group declines, by rows. */
SM_INLINE void ce_short_or_col_rows(size_t rows, size_t cols, float beta,
                                    const float *x, size_t ldx,
                                    const struct sm_ce_args *a, double *loss,
                                    float *g, size_t ldg)
{
    double total = a->total ? *a->total : 0.0;
    struct sm_ce_args part = *a;
    part.total = &total;
    double logk[SM_LOGK_MAX + 1];
    logk_init(logk, cols);
#define SM_COL_GROUP(r0)                                                   \
    ce_col_group(a, r0, cols, beta, x, ldx, loss, g, ldg, logk, &total)
#define SM_ROW_SPAN(r0, len)                                               \
    do {                                                                   \
        part.labels = a->labels + (r0);                                    \
        ce_short_rows(len, cols, beta, x + (r0) * ldx, ldx, &part,         \
                      loss + (r0), g ? g + (r0) * ldg : NULL, ldg);  \
    } while (0)
    SM_WALK_COL_GROUPS(rows, cols <= SM_VW, SM_COL_GROUP, SM_ROW_SPAN);
#undef SM_COL_GROUP
#undef SM_ROW_SPAN
    if (a->total)
        *a->total = total;
}
#endif

SM_INLINE void ce_rows(size_t rows, size_t cols, float beta,
                            const float *x, size_t ldx,
                            const struct sm_ce_args *a, double *loss, float *g,
                            size_t ldg)
{
#ifndef SM_VLA
    if (cols <= SM_REGISTER_ROW_MAX && beta != 0.0f && a->epsilon == 0.0f &&
        !a->weights && a->half_l2 == 0.0 && a->grad_l2 == 0.0f) {
        ce_short_or_col_rows(rows, cols, beta, x, ldx, a, loss, g, ldg);
        return;
    }
#endif
    double total = a->total ? *a->total : 0.0;
    const bool grouped = beta != 0.0f && cols <= SM_LOSS_ROW_GROUP_MAX_COLS;
    const bool may_store = ce_may_store(a, x, g);
    double logk[SM_LOGK_MAX + 1];
    logk_init(logk, cols);
    for (size_t r0 = 0; r0 < rows; r0 += SM_ROW_GROUP) {
        const size_t nr = row_group_rows(r0, rows);
        struct loss_pre pre[SM_ROW_GROUP];
        float xc[SM_ROW_GROUP];
        const float *xg = x + r0 * ldx;
        float *gg = g ? g + r0 * ldg : NULL;
        for (size_t j = 0; j < nr; j++) /* before the exps replace x */
            xc[j] = a->labels[r0 + j] == a->ignore_index
                    ? 0.0f : xg[j * ldx + (size_t)a->labels[r0 + j]];
        if (grouped)
            loss_row_group_pre(xg, ldx, nr, cols, beta, gg, ldg, may_store,
                               logk, pre);
        for (size_t j = 0; j < nr; j++) {
            const size_t r = r0 + j;
            float *gr = gg ? gg + j * ldg : NULL;
            if (!ce_ignored(a, r, loss, gr, cols))
                loss[r] = ce_row(xg + j * ldx, cols, beta, (size_t)a->labels[r],
                                 xc[j], a, gr, grouped ? &pre[j] : NULL);
            total += loss[r];
        }
    }
    if (a->total)
        *a->total = total;
}

SM_INLINE void cross_entropy_rows(size_t rows, size_t cols, float beta,
                               const float *x, size_t ldx,
                               const struct sm_ce_args *a, double *loss,
                               float *g, size_t ldg)
{
    ce_rows(rows, cols, beta, x, ldx, a, loss, g, ldg);
    canonical_nan_losses(loss, rows, cols, g, ldg);
}

#endif
