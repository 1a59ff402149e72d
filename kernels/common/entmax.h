/*
 * alpha-entmax of rows (Peters, Niculae & Martins 2019) and its backward
 * pass, written once for every ISA. Relative to the extremum, as
 * sparsemax: u_i = beta (x_i - M) rounded as softmax's t, then
 * t_i = (float)((alpha - 1) u_i) in place, and p_i = (t_i - tau)_+^r with
 * r = 1 / (alpha - 1). alpha = 2 is sparsemax itself (its bits); alpha =
 * 1.5 finds tau exactly (entmax_threshold.h) and writes d * d with
 * d = max(t_i - (float)tau, 0) in float; any other alpha brackets a float
 * tau and writes the normalised exp(log(d) r).
 */
#ifndef SM_ENTMAX_H
#define SM_ENTMAX_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/entmax_threshold.h"

/* t_i = (alpha - 1) u_i into y, u_i = beta (x_i - m) as write_u; y may
 * equal x. */
static void write_t(const float *x, size_t n, float m, float beta, float am1,
                    float *y)
{
    const sm_v vm = v_set1(m), vb = v_set1(beta), va = v_set1(am1);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW)
        v_store(y + i, v_mul(t_of(v_load(x + i), vm, vb), va));
    if (i < n)
        v_store_part(y + i, n - i,
                     v_mul(t_of(v_load_part(x + i, n - i, m), vm, vb), va));
}

/* y_i = max(y_i - tau, 0)^2. */
static void write_squares(float *y, size_t n, float tau)
{
    const sm_v vt = v_set1(tau), zero = v_set1(0.0f);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW) {
        const sm_v d = v_max(v_sub(v_load(y + i), vt), zero);
        v_store(y + i, v_mul(d, d));
    }
    if (i < n) {
        const sm_v d =
            v_max(v_sub(v_load_part(y + i, n - i, 0.0f), vt), zero);
        v_store_part(y + i, n - i, v_mul(d, d));
    }
}

/* One row of n > 0 entries, beta not NaN, alpha > 1 finite and not 2; y
 * may equal x. */
static void entmax_row(const float *x, size_t n, float beta, float alpha,
                       float *y)
{
    const struct span_scan scan = span_scan_with(x, n, beta >= 0.0f);
    if (write_limit_row(x, n, beta, scan, y))
        return;
    const float am1 = alpha - 1.0f;
    if (alpha == 1.5f) {
        const struct entmax_set first =
            set_pass(x, n, above(-1.0), true, scan.ext, beta, am1, y);
        write_squares(y, n, (float)entmax15_threshold(y, n, first));
        return;
    }
    write_t(x, n, scan.ext, beta, am1, y);
    const float r = (float)(1.0 / (double)am1);
    const float tau = entmax_float_threshold(y, n, r);
    const double sum = entmax_mass(y, n, tau, r, y, NULL);
    scale(y, n, (float)(1.0 / sum));
}

static void entmax_rows(size_t rows, size_t cols, float beta, float alpha,
                        const float *x, size_t ldx, float *y, size_t ldy)
{
    for (size_t r = 0; r < rows; r++) {
        if (alpha == 2.0f)
            sparsemax_row(x + r * ldx, cols, beta, y + r * ldy);
        else
            entmax_row(x + r * ldx, cols, beta, alpha, y + r * ldy);
    }
}

/* s_i = y_i^(2 - alpha) on the support {y_i > 0}, +0 off it. */
SM_INLINE sm_v entmax_weight(sm_v yv, sm_v vpow)
{
    return v_sel(m_support(yv), v_exp(v_mul(v_log(yv), vpow)), v_set1(0.0f));
}

/* dx_i = ((dy_i - q) * s_i) * beta with q = (float)(sum s dy / sum s), both
 * sums in double in the contract's order, s dy a float product; dx = 0 for
 * an infinite beta, all NaN where y holds a NaN. dx may equal y or dy. */
static void entmax_backward_row(const float *y, const float *dy, float *dx,
                                size_t n, float beta, float alpha)
{
    const sm_v zero = v_set1(0.0f), vpow = v_set1(2.0f - alpha);
    sm_acc acc_s, acc_sd;
    acc_zero(&acc_s);
    acc_zero(&acc_sd);
    sm_v y_nan = zero;
    size_t i0 = 0;
    for (; i0 + 32 <= n; i0 += 32)
        for (int v = 0; v < SM_VPB; v++) {
            const size_t i = i0 + (size_t)v * SM_VW;
            const sm_v yv = v_load(y + i);
            const sm_v s = entmax_weight(yv, vpow);
            acc_add(&acc_s, v, s);
            acc_add(&acc_sd, v,
                    v_sel(m_support(yv), v_mul(s, v_load(dy + i)), zero));
            y_nan = nan_mark(yv, y_nan);
        }
    for (int v = 0; i0 + (size_t)v * SM_VW < n; v++) {
        const size_t i = i0 + (size_t)v * SM_VW, c = n - i;
        const size_t lanes = c < (size_t)SM_VW ? c : SM_VW;
        const sm_v yv = load_lanes(y + i, lanes, 0.0f);
        const sm_v s = entmax_weight(yv, vpow);
        const sm_v sd = v_mul(s, load_lanes(dy + i, lanes, 0.0f));
        acc_add(&acc_s, v, s);
        acc_add(&acc_sd, v, v_sel(m_support(yv), sd, zero));
        y_nan = nan_mark(yv, y_nan);
    }
    if (write_limit_gradient(dx, n, y_nan, beta))
        return;
    const double sum_s = acc_fold(&acc_s), sum_sd = acc_fold(&acc_sd);
    const sm_v vq = v_set1(sum_s > 0.0 ? (float)(sum_sd / sum_s) : 0.0f);
    const sm_v vb = v_set1(beta);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW) {
        const sm_v yv = v_load(y + i);
        const sm_v g = v_mul(
            v_mul(v_sub(v_load(dy + i), vq), entmax_weight(yv, vpow)), vb);
        v_store(dx + i, v_canonical_nan(v_sel(m_support(yv), g, zero)));
    }
    if (i < n) {
        const sm_v yv = v_load_part(y + i, n - i, 0.0f);
        const sm_v d = v_sub(v_load_part(dy + i, n - i, 0.0f), vq);
        const sm_v g = v_mul(v_mul(d, entmax_weight(yv, vpow)), vb);
        v_store_part(dx + i, n - i,
                     v_canonical_nan(v_sel(m_support(yv), g, zero)));
    }
}

static void entmax_backward_rows(size_t rows, size_t cols, float beta,
                                 float alpha, const float *y, size_t ldy,
                                 const float *dy, size_t lddy, float *dx,
                                 size_t lddx)
{
    for (size_t r = 0; r < rows; r++) {
        if (alpha == 2.0f)
            sparsemax_backward_row(y + r * ldy, dy + r * lddy, dx + r * lddx,
                                   cols, beta);
        else
            entmax_backward_row(y + r * ldy, dy + r * lddy, dx + r * lddx,
                                cols, beta, alpha);
    }
}

#endif
