/* sparsemax, its backward pass and hardmax: read the options, check,
 * dispatch. */
#include <math.h>
#include <stdbool.h>

#include "checks.h"
#include "dispatch.h"

static sm_status sparse_op(bool hard, size_t rows, size_t cols,
                           const float *x, size_t ldx, float *y, size_t ldy,
                           float beta)
{
    if (hard && beta == 0.0f)
        return SM_EINVAL;
    const sm_status st = sm_check_rows(rows, cols, beta, x, ldx, y, ldy);
    if (st != SM_OK || rows == 0 || cols == 0)
        return st;
    const struct sm_kernels *k = sm_dispatch();
    (hard ? k->hardmax_rows : k->sparsemax_rows)(rows, cols, beta, x, ldx, y,
                                                 ldy);
    return SM_OK;
}

static sm_status sparse_entry(bool hard, size_t rows, size_t cols,
                              const float *x, size_t ldx, float *y,
                              size_t ldy, const sm_options *options)
{
    sm_options o;
    const sm_status st = sm_read_options(options, &o);
    if (st != SM_OK)
        return st;
    return sparse_op(hard, rows, cols, x, ldx, y, ldy, o.beta);
}

sm_status sm_sparsemax_rows_f32(size_t rows, size_t cols, const float *x,
                                size_t ldx, float *y, size_t ldy,
                                const sm_options *options)
{
    return sparse_entry(false, rows, cols, x, ldx, y, ldy, options);
}

sm_status sm_sparsemax_f32(size_t n, const float *x, float *y)
{
    return sparse_op(false, 1, n, x, n, y, n, 1.0f);
}

sm_status sm_hardmax_rows_f32(size_t rows, size_t cols, const float *x,
                              size_t ldx, float *y, size_t ldy,
                              const sm_options *options)
{
    return sparse_entry(true, rows, cols, x, ldx, y, ldy, options);
}

sm_status sm_hardmax_f32(size_t n, const float *x, float *y)
{
    return sparse_op(true, 1, n, x, n, y, n, 1.0f);
}

sm_status sm_sparsemax_backward_rows_f32(size_t rows, size_t cols,
                                         const float *y, size_t ldy,
                                         const float *dy, size_t lddy,
                                         float *dx, size_t lddx,
                                         const sm_options *options)
{
    sm_options o;
    const sm_status st =
        sm_check_backward(rows, cols, y, ldy, dy, lddy, dx, lddx, options, &o);
    if (st != SM_OK || rows == 0 || cols == 0)
        return st;
    sm_dispatch()->sparsemax_backward_rows(rows, cols, o.beta, y, ldy, dy,
                                           lddy, dx, lddx);
    return SM_OK;
}
