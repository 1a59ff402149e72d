/* alpha-entmax and its backward pass: read the options, check, dispatch. */
#include "checks.h"
#include "dispatch.h"

sm_status sm_entmax_rows_f32(size_t rows, size_t cols, const float *x,
                             size_t ldx, float *y, size_t ldy,
                             const sm_entmax_options *options)
{
    sm_entmax_options o;
    sm_status st = sm_read_entmax_options(options, &o);
    if (st == SM_OK)
        st = sm_check_rows(rows, cols, o.beta, x, ldx, y, ldy);
    if (st != SM_OK || rows == 0 || cols == 0)
        return st;
    sm_dispatch()->entmax_rows(rows, cols, o.beta, o.alpha, x, ldx, y, ldy);
    return SM_OK;
}

sm_status sm_entmax15_f32(size_t n, const float *x, float *y)
{
    return sm_entmax_rows_f32(1, n, x, n, y, n, NULL);
}

sm_status sm_entmax_backward_rows_f32(size_t rows, size_t cols,
                                      const float *y, size_t ldy,
                                      const float *dy, size_t lddy, float *dx,
                                      size_t lddx,
                                      const sm_entmax_options *options)
{
    sm_entmax_options o;
    sm_status st = sm_read_entmax_options(options, &o);
    if (st == SM_OK)
        st = sm_check_backward_rows(rows, cols, o.beta, y, ldy, dy, lddy, dx,
                                    lddx);
    if (st != SM_OK || rows == 0 || cols == 0)
        return st;
    sm_dispatch()->entmax_backward_rows(rows, cols, o.beta, o.alpha, y, ldy,
                                        dy, lddy, dx, lddx);
    return SM_OK;
}
