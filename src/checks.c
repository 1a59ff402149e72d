#include "checks.h"

#include <stdbool.h>
#include <stdint.h>

/* Rows of x and y at the same stride ld, d bytes apart (d > 0, a multiple
 * of 4): some x row meets some y row iff an element offset d/4 + q*ld with
 * |q| < rows lies within (-cols, cols). */
static bool rows_interleave_cleanly(size_t rows, size_t cols, size_t ld,
                                    uintptr_t d)
{
    const size_t e = (size_t)(d / sizeof(float));
    const size_t q = e / ld, off = e % ld;
    if (q <= rows - 1 && off < cols)
        return false;
    if (q + 1 <= rows - 1 && ld - off < cols)
        return false;
    return true;
}

sm_status sm_check_overlap(size_t rows, size_t cols, const float *x,
                           size_t ldx, const float *y, size_t ldy)
{
    const uintptr_t xa = (uintptr_t)x, ya = (uintptr_t)y;
    if (xa == ya && ldx == ldy)
        return SM_OK; /* in place */
    if (ldx == ldy) {
        const uintptr_t d = xa > ya ? xa - ya : ya - xa;
        if (d % sizeof(float) == 0 && rows_interleave_cleanly(rows, cols, ldx, d))
            return SM_OK;
    }
    return SM_EOVERLAP;
}

sm_status sm_check_jacobian(size_t k, float beta, const float *x,
                            const float *jac, size_t ldj)
{
    if (beta != beta || ldj < k)
        return SM_EINVAL;
    if (k == 0)
        return SM_OK;
    if (!x || !jac)
        return SM_EINVAL;
    size_t xb, jb;
    if (!sm_extent_of(1, k, k, sizeof(float), x, &xb) ||
        !sm_extent_of(k, k, ldj, sizeof(float), jac, &jb))
        return SM_ERANGE;
    if (sm_ranges_meet((uintptr_t)x, xb, (uintptr_t)jac, jb))
        return SM_EOVERLAP;
    return SM_OK;
}

sm_status sm_span_of(size_t rows, size_t cols, size_t ld, size_t elem,
                     const void *p, struct sm_span *span)
{
    span->at = (uintptr_t)p;
    span->bytes = 0;
    if (rows == 0 || cols == 0)
        return SM_OK;
    return sm_extent_of(rows, cols, ld, elem, p, &span->bytes) ? SM_OK : SM_ERANGE;
}

bool sm_spans_meet(const struct sm_span *a, const struct sm_span *b)
{
    return a->bytes && b->bytes && sm_ranges_meet(a->at, a->bytes, b->at, b->bytes);
}
