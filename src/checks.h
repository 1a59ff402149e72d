/* Argument checks shared by the public entry points. */
#ifndef SM_CHECKS_H
#define SM_CHECKS_H

#include <stddef.h>

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

#endif
