/* Public entry points: read the options, check, dispatch, call. */
#include <math.h>
#include <stdbool.h>

#include "checks.h"
#include "dispatch.h"
#include "parallel.h"

/* softmax and log-softmax share their checks; log picks the slot. Inline
 * into each entry point, so the one-row forms (par NULL) reach the kernel
 * with no call in between. */
static inline sm_status rows_op(bool log, size_t rows, size_t cols, float beta,
                                const float *x, size_t ldx, float *y,
                                size_t ldy, sm_flags flags,
                                const sm_parallel *par)
{
    const sm_status st = sm_check_rows(rows, cols, beta, x, ldx, y, ldy);
    if (st != SM_OK || rows == 0 || cols == 0)
        return st;
    const struct sm_kernels *k = sm_dispatch();
    if (par) {
        const struct sm_rows_call c = {
            k, log ? SM_OP_LOG_SOFTMAX : SM_OP_SOFTMAX, rows, cols, beta,
            flags, x, ldx, y, ldy};
        sm_rows_parallel(&c, par);
        return SM_OK;
    }
    (log ? k->log_softmax_rows : k->softmax_rows)(rows, cols, beta, x, ldx, y,
                                                  ldy, flags);
    return SM_OK;
}

static inline sm_status logsumexp_op(size_t rows, size_t cols, float beta,
                                     const float *x, size_t ldx, float *result,
                                     sm_flags flags, const sm_parallel *par)
{
    const sm_status st = sm_check_reduce(rows, cols, beta, x, ldx, result);
    if (st != SM_OK || rows == 0)
        return st;
    if (cols == 0) { /* empty rows; x may be NULL, so no row pointers */
        for (size_t r = 0; r < rows; r++)
            result[r] = -INFINITY;
        return SM_OK;
    }
    const struct sm_kernels *k = sm_dispatch();
    if (par) {
        const struct sm_rows_call c = {k,     SM_OP_LOGSUMEXP, rows, cols,
                                       beta,  flags, x, ldx, result, 1};
        sm_rows_parallel(&c, par);
        return SM_OK;
    }
    k->logsumexp_rows(rows, cols, beta, x, ldx, result, flags);
    return SM_OK;
}

/* The batched forms: the options read, then rows_op. */
static inline sm_status rows_entry(bool log, size_t rows, size_t cols,
                                   const float *x, size_t ldx, float *y,
                                   size_t ldy, const sm_options *options)
{
    sm_options o;
    const sm_status st = sm_read_options(options, &o);
    if (st != SM_OK)
        return st;
    return rows_op(log, rows, cols, o.beta, x, ldx, y, ldy, o.flags,
                   o.parallel);
}

sm_status sm_softmax_rows_f32(size_t rows, size_t cols, const float *x,
                              size_t ldx, float *y, size_t ldy,
                              const sm_options *options)
{
    return rows_entry(false, rows, cols, x, ldx, y, ldy, options);
}

sm_status sm_log_softmax_rows_f32(size_t rows, size_t cols, const float *x,
                                  size_t ldx, float *y, size_t ldy,
                                  const sm_options *options)
{
    return rows_entry(true, rows, cols, x, ldx, y, ldy, options);
}

sm_status sm_logsumexp_rows_f32(size_t rows, size_t cols, const float *x,
                                size_t ldx, float *result,
                                const sm_options *options)
{
    sm_options o;
    const sm_status st = sm_read_options(options, &o);
    if (st != SM_OK)
        return st;
    return logsumexp_op(rows, cols, o.beta, x, ldx, result, o.flags,
                        o.parallel);
}

sm_status sm_softmax_f32(size_t n, const float *x, float *y)
{
    return rows_op(false, 1, n, 1.0f, x, n, y, n, 0, NULL);
}

sm_status sm_log_softmax_f32(size_t n, const float *x, float *y)
{
    return rows_op(true, 1, n, 1.0f, x, n, y, n, 0, NULL);
}

sm_status sm_logsumexp_f32(size_t n, const float *x, float *result)
{
    return logsumexp_op(1, n, 1.0f, x, n, result, 0, NULL);
}

/* dx against y and against dy: each may be exactly in place. The flags are
 * checked and ignored: these kernels take none. */
static sm_status backward_op(bool log, size_t rows, size_t cols,
                             const float *y, size_t ldy, const float *dy,
                             size_t lddy, float *dx, size_t lddx,
                             const sm_options *options)
{
    sm_options o;
    const sm_status st =
        sm_check_backward(rows, cols, y, ldy, dy, lddy, dx, lddx, options, &o);
    if (st != SM_OK || rows == 0 || cols == 0)
        return st;
    const struct sm_kernels *k = sm_dispatch();
    (log ? k->log_softmax_backward_rows : k->softmax_backward_rows)(
        rows, cols, o.beta, y, ldy, dy, lddy, dx, lddx);
    return SM_OK;
}

sm_status sm_softmax_backward_rows_f32(size_t rows, size_t cols,
                                       const float *y, size_t ldy,
                                       const float *dy, size_t lddy,
                                       float *dx, size_t lddx,
                                       const sm_options *options)
{
    return backward_op(false, rows, cols, y, ldy, dy, lddy, dx, lddx, options);
}

sm_status sm_log_softmax_backward_rows_f32(size_t rows, size_t cols,
                                           const float *y, size_t ldy,
                                           const float *dy, size_t lddy,
                                           float *dx, size_t lddx,
                                           const sm_options *options)
{
    return backward_op(true, rows, cols, y, ldy, dy, lddy, dx, lddx, options);
}

sm_status sm_softmax_jacobian_f32(size_t k, const float *x, float *jac,
                                  size_t ldj, const sm_options *options)
{
    sm_options o;
    sm_status st = sm_read_options(options, &o);
    if (st == SM_OK)
        st = sm_check_jacobian(k, o.beta, x, jac, ldj);
    if (st != SM_OK || k == 0)
        return st;
    sm_dispatch()->softmax_jacobian(k, o.beta, x, jac, ldj);
    return SM_OK;
}
