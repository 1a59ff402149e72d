/*
 * Backward passes of softmax and log-softmax, written once for every ISA
 * (included by softmax_impl.h). Their reductions follow the contract's
 * order: each product or value is an f32, summed in double in 32 lanes
 * (lane l takes i = l mod 32, increasing i), folded pairwise per chunk of
 * SM_CHUNK elements, and the chunks added in order.
 */
#ifndef SM_BACKWARD_H
#define SM_BACKWARD_H

/* sum a_i b_i (b = NULL: sum a_i); each product rounded to f32 first. */
SM_INLINE double row_dot(const float *a, const float *b, size_t n)
{
    double total = 0.0;
    for (size_t base = 0; base < n; base += SM_CHUNK) {
        const size_t len = n - base < SM_CHUNK ? n - base : SM_CHUNK;
        const float *ap = a + base, *bp = b ? b + base : NULL;
        sm_acc acc;
        acc_zero(&acc);
        size_t i = 0;
        for (; i + 32 <= len; i += 32)
            for (int v = 0; v < SM_VPB; v++) {
                const size_t at = i + (size_t)v * SM_VW;
                sm_v p = v_load(ap + at);
                if (bp)
                    p = v_mul(p, v_load(bp + at));
                acc_add(&acc, v, p);
            }
        /* The last partial block: missing lanes add 0 * 0 = +0. */
        for (int v = 0; v < SM_VPB && i + (size_t)v * SM_VW < len; v++) {
            const size_t at = i + (size_t)v * SM_VW;
            const size_t c = len - at < SM_VW ? len - at : SM_VW;
            sm_v p = c == SM_VW ? v_load(ap + at) : v_load_part(ap + at, c, 0.0f);
            if (bp)
                p = v_mul(p, c == SM_VW ? v_load(bp + at)
                                        : v_load_part(bp + at, c, 0.0f));
            acc_add(&acc, v, p);
        }
        total += acc_fold(&acc);
    }
    return total;
}

/* dx_i = ((dy_i - d) * y_i) * beta, d = (float) sum dy_j y_j. */
static void softmax_backward_row(const float *y, const float *dy, float *dx,
                                 size_t n, float beta)
{
    const sm_v vd = v_set1((float)row_dot(dy, y, n)), vb = v_set1(beta);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW)
        v_store(dx + i, v_mul(v_mul(v_sub(v_load(dy + i), vd), v_load(y + i)), vb));
    if (i < n) {
        const sm_v g = v_sub(v_load_part(dy + i, n - i, 0.0f), vd);
        v_store_part(dx + i, n - i,
                     v_mul(v_mul(g, v_load_part(y + i, n - i, 0.0f)), vb));
    }
}

/* dx_i = (dy_i - exp(y_i) * s) * beta, s = (float) sum dy_j. */
static void log_softmax_backward_row(const float *y, const float *dy, float *dx,
                                     size_t n, float beta)
{
    const sm_v vs = v_set1((float)row_dot(dy, NULL, n)), vb = v_set1(beta);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW)
        v_store(dx + i, v_mul(v_sub(v_load(dy + i), v_mul(v_exp(v_load(y + i)), vs)), vb));
    if (i < n) {
        const sm_v e = v_exp(v_load_part(y + i, n - i, 0.0f));
        v_store_part(dx + i, n - i,
                     v_mul(v_sub(v_load_part(dy + i, n - i, 0.0f), v_mul(e, vs)), vb));
    }
}

static void softmax_backward_rows(size_t rows, size_t cols, float beta,
                                  const float *y, size_t ldy, const float *dy,
                                  size_t lddy, float *dx, size_t lddx)
{
    for (size_t r = 0; r < rows; r++)
        softmax_backward_row(y + r * ldy, dy + r * lddy, dx + r * lddx, cols, beta);
}

static void log_softmax_backward_rows(size_t rows, size_t cols, float beta,
                                      const float *y, size_t ldy,
                                      const float *dy, size_t lddy, float *dx,
                                      size_t lddx)
{
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
    softmax_row(x, k, beta, p, false);
    const sm_v vb = v_set1(beta), zero = v_set1(0.0f);
    for (size_t i = 0; i < k; i++) {
        const float pi = p[i];
        const sm_v vpi = v_set1(pi);
        float *row = jac + i * ldj;
        size_t j = 0;
        for (; j + SM_VW <= k; j += SM_VW)
            v_store(row + j, v_mul(v_sub(zero, v_mul(vpi, v_load(p + j))), vb));
        if (j < k)
            v_store_part(row + j, k - j,
                         v_mul(v_sub(zero, v_mul(vpi, v_load_part(p + j, k - j, 0.0f))),
                               vb));
        row[i] = (pi - pi * pi) * beta;
    }
}

#endif
