/* Public entry points of the decoding functions: argmax, top-n. */
#include <stdint.h>

#include "checks.h"
#include "dispatch.h"

_Static_assert(sizeof(int32_t) == 4, "sm_check_reduce's 4-byte results");

sm_status sm_argmax_rows_f32(size_t rows, size_t cols, const float *x,
                             size_t ldx, int32_t *index,
                             const sm_options *options)
{
    sm_options o;
    sm_status st = sm_read_options(options, &o);
    if (st == SM_OK && rows > 0 && cols > (size_t)INT32_MAX)
        st = SM_ERANGE; /* an index would not fit */
    if (st == SM_OK)
        st = sm_check_reduce(rows, cols, o.beta, x, ldx, index);
    if (st != SM_OK || rows == 0)
        return st;
    if (cols == 0)
        return SM_EINVAL;
    sm_dispatch()->argmax_rows(rows, cols, o.beta, x, ldx, index);
    return SM_OK;
}

sm_status sm_argmax_f32(size_t n, const float *x, int32_t *index)
{
    return sm_argmax_rows_f32(1, n, x, n, index, NULL);
}

sm_status sm_top_rows_f32(size_t rows, size_t cols, size_t n, const float *x,
                          size_t ldx, int32_t *index, size_t ldi, float *logp,
                          size_t ldl, const sm_options *options)
{
    sm_options o;
    sm_status st = sm_read_options(options, &o);
    if (st != SM_OK)
        return st;
    if (o.beta != o.beta || n > cols || n > SM_TOP_MAX || ldx < cols ||
        ldi < n || (logp && ldl < n))
        return SM_EINVAL;
    if (rows == 0 || n == 0)
        return SM_OK;
    if (cols > (size_t)INT32_MAX)
        return SM_ERANGE;
    if (!x || !index)
        return SM_EINVAL;
    struct sm_span xs, is, ls;
    if (sm_span_of(rows, cols, ldx, sizeof(float), x, &xs) != SM_OK ||
        sm_span_of(rows, n, ldi, sizeof(int32_t), index, &is) != SM_OK ||
        sm_span_of(logp ? rows : 0, n, ldl, sizeof(float), logp, &ls) != SM_OK)
        return SM_ERANGE;
    if (sm_spans_meet(&xs, &is) || sm_spans_meet(&xs, &ls) ||
        sm_spans_meet(&is, &ls))
        return SM_EOVERLAP;
    sm_dispatch()->top_rows(rows, cols, n, o.beta, x, ldx, index, ldi, logp,
                            ldl, o.flags);
    return SM_OK;
}
