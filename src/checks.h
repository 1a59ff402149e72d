/* Argument checks shared by the public entry points. */
#ifndef SM_CHECKS_H
#define SM_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "softmax.h"

/* x (rows x cols, stride ldx) to y (stride ldy): NULL, strides, NaN beta,
 * byte extents, overlap other than exactly in place. */
sm_status sm_check_rows(size_t rows, size_t cols, float beta,
                        const float *x, size_t ldx,
                        const float *y, size_t ldy);

/* x (rows x cols, stride ldx) to rows floats at result. */
sm_status sm_check_reduce(size_t rows, size_t cols, float beta,
                          const float *x, size_t ldx, const float *result);

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
