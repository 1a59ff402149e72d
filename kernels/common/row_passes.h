/*
 * Passes over a row in memory once its statistics are known: fill, scale,
 * exp and scale, shift and subtract, and the canonical NaN every output
 * that can be NaN goes through.
 */
#ifndef SM_ROW_PASSES_H
#define SM_ROW_PASSES_H

#include "common/row_stats.h"

/* The canonical NaN (sm_qnan, row_stats.h) of a vector, a value, a row. */
SM_INLINE sm_v v_canonical_nan(sm_v v)
{
    return v_sel(m_eq(v, v), v, v_set1(sm_qnan));
}

static inline float canonical_nan1(float v)
{
    return v == v ? v : sm_qnan;
}

static void canonical_nan_row(float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (y[i] != y[i])
            y[i] = sm_qnan;
}

/* The losses' rows: a NaN loss, and the NaNs of the gradient rows (g, if
 * any) whose loss is not finite, where NaN or infinite targets, weights or
 * logits make them. A gradient row of a finite loss has none (the header
 * states the exception), so the gradient passes pay no select. */
static __attribute__((unused)) void canonical_nan_losses(double *loss, size_t rows, size_t cols,
                                 float *g, size_t ldg)
{
    for (size_t r = 0; r < rows; r++) {
        if (isfinite(loss[r]))
            continue;
        if (g)
            canonical_nan_row(g + r * ldg, cols);
        if (loss[r] != loss[r])
            loss[r] = (double)sm_qnan;
    }
}

static void fill(float *y, size_t n, float value)
{
    const sm_v v = v_set1(value);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW)
        v_store(y + i, v);
    if (i < n)
        v_store_part(y + i, n - i, v);
}

/* Fills y with the output of a row of class c that is not ordinary
 * (masked: the op's limit for a fully masked row) and returns true; false,
 * with nothing written, for an ordinary row. */
static inline bool limit_row(float *y, size_t n, enum row_class c,
                             float masked)
{
    if (c == ROW_ORDINARY)
        return false;
    fill(y, n, row_limit(c, masked));
    return true;
}

static __attribute__((unused)) void scale(float *y, size_t n, float r)
{
    const sm_v vr = v_set1(r);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW)
        v_store(y + i, v_mul(v_load(y + i), vr));
    if (i < n)
        v_store_part(y + i, n - i, v_mul(v_load_part(y + i, n - i, 0.0f), vr));
}

/* r_b = (float)(exp(beta (m_b - M)) / S): the scale that turns a chunk's
 * (or a piece's) e_i, taken against its own extremum m_b, into softmax
 * (DESIGN.md §3); (float)(1 / S) when m_b = M, also for an infinite beta
 * or M. */
static inline float chunk_scale(float mb, float m, float beta, double s)
{
    if (mb == m)
        return (float)(1.0 / s);
    return (float)(SM_EXPD((double)beta * ((double)mb - (double)m)) / s);
}

/* p_i = exp(beta (x_i - M)) * r, and r itself for the entries equal to M,
 * which the exp gives when M and beta are finite (exp(+-0) = 1). */
SM_INLINE void exp_scale_with(const float *x, size_t n, float m, float beta,
                              float r, float *y, bool finite,
                              bool unit_beta)
{
#if !SM_EXP_INLINE && !defined(SM_VLA)
    if (finite) { /* SLEEF's exps by tiles, as chunk_sum_exp_calls */
        for (size_t at = 0; at < n; at += SM_EXP_CALL_TILE) {
            const size_t len =
                n - at < SM_EXP_CALL_TILE ? n - at : SM_EXP_CALL_TILE;
            exps_of_tile(x + at, len, m, beta, unit_beta, y + at);
            if (r != 1.0f) /* a state's fold keeps the exps themselves */
                scale(y + at, len, r);
        }
        return;
    }
#endif
    const sm_v vm = v_set1(m), vb = v_set1(beta), vr = v_set1(r);
    size_t i = 0;
#ifndef SM_VLA
    for (; SM_EXP_INLINE && i + 32 <= n; i += 32) {
        sm_v xv[SM_VPB], t[SM_VPB], e[SM_VPB];
        block_exps(x + i, vm, vb, unit_beta, xv, t, e);
        for (int v = 0; v < SM_VPB; v++) {
            const sm_v p = v_mul(e[v], vr);
            v_store(y + i + (size_t)v * SM_VW,
                    finite ? p : v_sel(m_eq(xv[v], vm), vr, p));
        }
    }
#endif
    for (; i + SM_VW <= n; i += SM_VW) {
        const sm_v xv = v_load(x + i);
        const sm_v t = beta_times_diff(xv, vm, vb, unit_beta);
        const sm_v p = v_mul(exp_nonpos(t), vr);
        v_store(y + i, finite ? p : v_sel(m_eq(xv, vm), vr, p));
    }
    if (i < n) {
        const sm_v xv = v_load_part(x + i, n - i, m);
        const sm_v t = beta_times_diff(xv, vm, vb, unit_beta);
        const sm_v p = v_mul(exp_nonpos(t), vr);
        v_store_part(y + i, n - i, finite ? p : v_sel(m_eq(xv, vm), vr, p));
    }
}

SM_INLINE void exp_scale(const float *x, size_t n, float m, float beta,
                         float r, float *y)
{
    if (!isfinite(m) || !isfinite(beta))
        exp_scale_with(x, n, m, beta, r, y, false, false);
    else if (beta == 1.0f)
        exp_scale_with(x, n, m, beta, r, y, true, true);
    else
        exp_scale_with(x, n, m, beta, r, y, true, false);
}

/* y_i = beta (x_i - M) - L, with beta (x_i - M) = 0 for the entries equal to
 * M (also when M or beta is infinite). With beta = 1 and M finite, x_i - M
 * is that +0 itself. */
SM_INLINE void shift_sub_with(const float *x, size_t n, float m, float beta,
                              float l, float *y, bool plain)
{
    const sm_v vm = v_set1(m), vb = v_set1(beta), vl = v_set1(l);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW) {
        const sm_v xv = v_load(x + i);
        const sm_v t = plain ? v_sub(xv, vm)
                             : t_of(xv, vm, vb);
        v_store(y + i, v_sub(t, vl));
    }
    if (i < n) {
        const sm_v xv = v_load_part(x + i, n - i, m);
        const sm_v t = t_of(xv, vm, vb);
        v_store_part(y + i, n - i, v_sub(t, vl));
    }
}

static void shift_sub(const float *x, size_t n, float m, float beta, float l,
                      float *y)
{
    if (beta == 1.0f && isfinite(m))
        shift_sub_with(x, n, m, beta, l, y, true);
    else
        shift_sub_with(x, n, m, beta, l, y, false);
}

/* log-softmax's output from the row's statistics and l, their
 * log_partition (beta != 0). Out of line, with its passes inlined here: one
 * copy for the row groups and the single rows. */
static __attribute__((noinline, unused)) void
log_softmax_from(const float *x, size_t n, float beta, struct row_stats st,
                 double l, float *y)
{
    if (!limit_row(y, n, row_class(st, beta), -INFINITY))
        shift_sub(x, n, st.m, beta, (float)l, y);
}

#if SM_LOG_STORES_T
/* y_i -= l: log-softmax's output from t_i stored by row_stats_t. */
static void subtract(float *y, size_t n, float l)
{
    const sm_v vl = v_set1(l);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW)
        v_store(y + i, v_sub(v_load(y + i), vl));
    if (i < n)
        v_store_part(y + i, n - i, v_sub(v_load_part(y + i, n - i, 0.0f), vl));
}

/* log_softmax_from, the same bits, for a row whose t_i row_stats_t left in
 * y: its stores went out while the exps kept the core busy, and this pass
 * finds y in cache. */
static __attribute__((noinline, unused)) void
log_softmax_from_t(size_t n, float beta, struct row_stats st, double l,
                   float *y)
{
    if (!limit_row(y, n, row_class(st, beta), -INFINITY))
        subtract(y, n, (float)l);
}
#endif

/* logsumexp from a row's statistics and l = log_partition(K, S'') (beta
 * != 0). */
static __attribute__((unused)) float
logsumexp_of(struct row_stats st, float beta, double l)
{
    switch (row_class(st, beta)) {
    case ROW_NAN:
        return sm_qnan;
    case ROW_MASKED:
        return -INFINITY;
    case ROW_ORDINARY:
        break;
    }
    /* beta * M is the limit 0 when M = 0, also for an infinite beta. */
    const double bm = st.m == 0.0f ? 0.0 : (double)beta * (double)st.m;
    return (float)(bm + l);
}

#endif
