/*
 * Backward passes of softmax and log-softmax, written once for every ISA.
 * Their reductions follow the contract's order: each product or value is
 * an f32, summed in double in 32 lanes (lane l takes i = l mod 32,
 * increasing i), folded pairwise per chunk of SM_CHUNK elements, and the
 * chunks added in order.
 */
#ifndef SM_BACKWARD_H
#define SM_BACKWARD_H

#include "common/row_dot.h"
#include "common/softmax_rows.h"

/* dx_i = ((dy_i - d) * y_i) * beta, d = (float) sum dy_j y_j. */
static void softmax_backward_row(const float *y, const float *dy, float *dx,
                                 size_t n, float beta)
{
    const sm_v vd = v_set1((float)row_dot(dy, y, n)), vb = v_set1(beta);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW)
        v_store(dx + i, v_canonical_nan(v_mul(
                            v_mul(v_sub(v_load(dy + i), vd), v_load(y + i)), vb)));
    if (i < n) {
        const sm_v g = v_sub(v_load_part(dy + i, n - i, 0.0f), vd);
        v_store_part(dx + i, n - i,
                     v_canonical_nan(
                         v_mul(v_mul(g, v_load_part(y + i, n - i, 0.0f)), vb)));
    }
}

/* dx_i = (dy_i - exp(y_i) * s) * beta, s = (float) sum dy_j. */
static void log_softmax_backward_row(const float *y, const float *dy, float *dx,
                                     size_t n, float beta)
{
    const sm_v vs = v_set1((float)row_dot(dy, NULL, n)), vb = v_set1(beta);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW)
        v_store(dx + i, v_canonical_nan(v_mul(
                            v_sub(v_load(dy + i), v_mul(exp_sleef(v_load(y + i)), vs)),
                            vb)));
    if (i < n) {
        const sm_v e = exp_sleef(v_load_part(y + i, n - i, 0.0f));
        v_store_part(dx + i, n - i,
                     v_canonical_nan(v_mul(
                         v_sub(v_load_part(dy + i, n - i, 0.0f), v_mul(e, vs)), vb)));
    }
}

#ifndef SM_VLA
/* Loads one row of one block (nv vectors, n lanes) padded with +0. */
SM_INLINE void block_load_row(const float *p, size_t n, size_t nv,
                              sm_v out[SM_VPB])
{
    const size_t last = n - (nv - 1) * SM_VW;
    for (size_t v = 0; v < nv; v++)
        out[v] = v + 1 < nv || last == SM_VW ? v_load(p + v * SM_VW)
                                             : v_load_part(p + v * SM_VW, last, 0.0f);
}

/* Both backward passes for rows of one block (n <= 32), each row's y and dy
 * loaded once: row_dot's sum (the padding adds 0 * 0 = +0) and the row
 * functions' dx. The next row is loaded before this one is stored: in
 * place, a masked load behind a masked store to the same 64 bytes waits
 * for the store. */
SM_INLINE void backward_block_rows_nv(size_t rows, size_t n, size_t nv,
                                      float beta, const float *y, size_t ldy,
                                      const float *dy, size_t lddy, float *dx,
                                      size_t lddx, bool log)
{
    if (rows == 0)
        return;
    const size_t last = n - (nv - 1) * SM_VW;
    const sm_v vb = v_set1(beta);
    sm_v cy[SM_VPB], cdy[SM_VPB], ny[SM_VPB], ndy[SM_VPB];
    block_load_row(y, n, nv, cy);
    block_load_row(dy, n, nv, cdy);
    for (size_t r = 0; r < rows; r++) {
        const size_t next = r + 1 < rows ? r + 1 : r; /* the last reloads */
        block_load_row(y + next * ldy, n, nv, ny);
        block_load_row(dy + next * lddy, n, nv, ndy);
        sm_acc acc;
        acc_zero(&acc);
        for (size_t v = 0; v < nv; v++)
            acc_add(&acc, (int)v, log ? cdy[v] : v_mul(cdy[v], cy[v]));
        const sm_v c = v_set1((float)acc_fold(&acc));
        float *out = dx + r * lddx;
        for (size_t v = 0; v < nv; v++) {
            const sm_v g = v_canonical_nan(
                log ? v_mul(v_sub(cdy[v], v_mul(exp_sleef(cy[v]), c)), vb)
                    : v_mul(v_mul(v_sub(cdy[v], c), cy[v]), vb));
            if (v + 1 < nv || last == SM_VW)
                v_store(out + v * SM_VW, g);
            else
                v_store_part(out + v * SM_VW, last, g);
        }
        for (size_t v = 0; v < nv; v++) {
            cy[v] = ny[v];
            cdy[v] = ndy[v];
        }
    }
}

SM_INLINE void backward_block_rows(size_t rows, size_t n, float beta,
                                   const float *y, size_t ldy,
                                   const float *dy, size_t lddy, float *dx,
                                   size_t lddx, bool log)
{
    const size_t nv = (n + SM_VW - 1) / SM_VW;
#define SM_CALL(k) \
    backward_block_rows_nv(rows, n, k, beta, y, ldy, dy, lddy, dx, lddx, log); \
    return
    switch (nv) {
        SM_BLOCK_CASES(SM_CALL)
    }
#undef SM_CALL
#if SM_VPB > 8 /* the cases above cover every nv <= SM_VPB <= 8 */
    backward_block_rows_nv(rows, n, nv, beta, y, ldy, dy, lddy, dx, lddx, log);
#endif
}
#endif

static void softmax_backward_rows(size_t rows, size_t cols, float beta,
                                  const float *y, size_t ldy, const float *dy,
                                  size_t lddy, float *dx, size_t lddx)
{
#ifndef SM_VLA
    if (cols > 0 && cols <= 32) {
        backward_block_rows(rows, cols, beta, y, ldy, dy, lddy, dx, lddx, false);
        return;
    }
#endif
    for (size_t r = 0; r < rows; r++)
        softmax_backward_row(y + r * ldy, dy + r * lddy, dx + r * lddx, cols, beta);
}

static void log_softmax_backward_rows(size_t rows, size_t cols, float beta,
                                      const float *y, size_t ldy,
                                      const float *dy, size_t lddy, float *dx,
                                      size_t lddx)
{
#ifndef SM_VLA
    if (cols > 0 && cols <= 32) {
        backward_block_rows(rows, cols, beta, y, ldy, dy, lddy, dx, lddx, true);
        return;
    }
#endif
    for (size_t r = 0; r < rows; r++)
        log_softmax_backward_row(y + r * ldy, dy + r * lddy, dx + r * lddx,
                                 cols, beta);
}

/* J_ij = (delta_ij p_i - p_i p_j) * beta, with p_i p_j rounded once: J is
 * exactly symmetric. p goes to the last row first and every row reads it
 * from there; the last row comes last, each p_j read before it is
 * overwritten. */
static void softmax_jacobian(size_t k, float beta, const float *x, float *jac,
                             size_t ldj)
{
    float *p = jac + (k - 1) * ldj;
    softmax_row(x, k, beta, p);
    const sm_v vb = v_set1(beta), zero = v_set1(0.0f);
    for (size_t i = 0; i < k; i++) {
        const float pi = p[i];
        const sm_v vpi = v_set1(pi);
        float *row = jac + i * ldj;
        size_t j = 0;
        for (; j + SM_VW <= k; j += SM_VW)
            v_store(row + j, v_canonical_nan(
                                 v_mul(v_sub(zero, v_mul(vpi, v_load(p + j))), vb)));
        if (j < k)
            v_store_part(row + j, k - j,
                         v_canonical_nan(v_mul(
                             v_sub(zero, v_mul(vpi, v_load_part(p + j, k - j, 0.0f))),
                             vb)));
        row[i] = canonical_nan1((pi - pi * pi) * beta);
    }
}

#endif
