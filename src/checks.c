#include "checks.h"

#include <stdbool.h>
#include <stdint.h>

/* Bytes spanned by rows of cols floats at stride ld (rows, cols > 0), or
 * false if that or the end address does not fit. */
static bool extent_of(size_t rows, size_t cols, size_t ld, size_t elem,
                      const void *p, size_t *bytes)
{
    size_t elems, b;
    if (__builtin_mul_overflow(rows - 1, ld, &elems) ||
        __builtin_add_overflow(elems, cols, &elems) ||
        __builtin_mul_overflow(elems, elem, &b) || b > PTRDIFF_MAX)
        return false;
    uintptr_t end;
    if (__builtin_add_overflow((uintptr_t)p, b, &end))
        return false;
    *bytes = b;
    return true;
}

static bool extent_bytes(size_t rows, size_t cols, size_t ld, const void *p,
                         size_t *bytes)
{
    return extent_of(rows, cols, ld, sizeof(float), p, bytes);
}

static bool ranges_meet(uintptr_t a, size_t alen, uintptr_t b, size_t blen)
{
    return a < b + blen && b < a + alen;
}

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

sm_status sm_check_rows(size_t rows, size_t cols, float beta,
                        const float *x, size_t ldx,
                        const float *y, size_t ldy)
{
    if (beta != beta || ldx < cols || ldy < cols)
        return SM_EINVAL;
    if (rows == 0 || cols == 0)
        return SM_OK;
    if (!x || !y)
        return SM_EINVAL;
    size_t xb, yb;
    if (!extent_bytes(rows, cols, ldx, x, &xb) ||
        !extent_bytes(rows, cols, ldy, y, &yb))
        return SM_ERANGE;
    const uintptr_t xa = (uintptr_t)x, ya = (uintptr_t)y;
    if (!ranges_meet(xa, xb, ya, yb))
        return SM_OK;
    if (xa == ya && ldx == ldy)
        return SM_OK; /* in place */
    if (ldx == ldy) {
        const uintptr_t d = xa > ya ? xa - ya : ya - xa;
        if (d % sizeof(float) == 0 && rows_interleave_cleanly(rows, cols, ldx, d))
            return SM_OK;
    }
    return SM_EOVERLAP;
}

sm_status sm_check_reduce(size_t rows, size_t cols, float beta,
                          const float *x, size_t ldx, const float *result)
{
    if (beta != beta || ldx < cols)
        return SM_EINVAL;
    if (rows == 0)
        return SM_OK;
    if (!result || (cols > 0 && !x))
        return SM_EINVAL;
    size_t rb;
    if (!extent_bytes(rows, 1, 1, result, &rb))
        return SM_ERANGE;
    if (cols == 0)
        return SM_OK;
    size_t xb;
    if (!extent_bytes(rows, cols, ldx, x, &xb))
        return SM_ERANGE;
    if (ranges_meet((uintptr_t)x, xb, (uintptr_t)result, rb))
        return SM_EOVERLAP;
    return SM_OK;
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
    if (!extent_bytes(1, k, k, x, &xb) || !extent_bytes(k, k, ldj, jac, &jb))
        return SM_ERANGE;
    if (ranges_meet((uintptr_t)x, xb, (uintptr_t)jac, jb))
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
    return extent_of(rows, cols, ld, elem, p, &span->bytes) ? SM_OK : SM_ERANGE;
}

bool sm_spans_meet(const struct sm_span *a, const struct sm_span *b)
{
    return a->bytes && b->bytes && ranges_meet(a->at, a->bytes, b->at, b->bytes);
}
