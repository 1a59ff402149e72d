/* The internal kernel table: one function pointer per operation. Kernels
 * trust their arguments (src/ has checked them), never allocate and never
 * call back into src/. */
#ifndef SM_KERNELS_H
#define SM_KERNELS_H

#include <stddef.h>

/* Chunk length of the numerics contract: 1 MiB of f32. */
#define SM_CHUNK ((size_t)262144)

/* flags: the public SM_FAST_EXP bit, already validated. */
typedef void (*sm_rows_fn)(size_t rows, size_t cols, float beta,
                           const float *x, size_t ldx, float *y, size_t ldy,
                           unsigned flags);
typedef void (*sm_reduce_rows_fn)(size_t rows, size_t cols, float beta,
                                  const float *x, size_t ldx, float *result,
                                  unsigned flags);
/* Backward passes: dx from the forward output y and the upstream dy. */
typedef void (*sm_backward_rows_fn)(size_t rows, size_t cols, float beta,
                                    const float *y, size_t ldy,
                                    const float *dy, size_t lddy,
                                    float *dx, size_t lddx);
/* J = beta (diag(p) - p p^T), p = softmax_beta(x), into k rows of stride ldj. */
typedef void (*sm_jacobian_fn)(size_t k, float beta, const float *x,
                               float *jac, size_t ldj);
/* The contract's row statistics before any rounding to f32: the extremum M,
 * the count K of entries equal to it and the scaled sum S'' of the others.
 * Not used by the API: the tests compare it across ISAs bit for bit, which
 * catches a wrong summation order that f32 outputs would mostly hide. */
typedef void (*sm_stats_fn)(size_t n, float beta, const float *x,
                            unsigned flags, float *m, double *k, double *s);
/* y_i = exp(x_i) with either exp: for the tests and the exp ceiling. */
typedef void (*sm_exp_fn)(size_t n, const float *x, float *y, unsigned flags);
/* sum exp(x_i - c), c >= every x_i, in one pass: the benchmarks'
 * exp-throughput ceiling. */
typedef float (*sm_exp_sum_fn)(size_t n, const float *x, float c,
                               unsigned flags);

/* X-macro over the slots, so the dispatcher's fallback fill and the tests
 * never miss a new operation. */
#define SM_KERNEL_SLOTS(X) \
    X(sm_rows_fn, softmax_rows) \
    X(sm_rows_fn, log_softmax_rows) \
    X(sm_reduce_rows_fn, logsumexp_rows) \
    X(sm_backward_rows_fn, softmax_backward_rows) \
    X(sm_backward_rows_fn, log_softmax_backward_rows) \
    X(sm_jacobian_fn, softmax_jacobian) \
    X(sm_stats_fn, row_stats) \
    X(sm_exp_fn, exp) \
    X(sm_exp_sum_fn, exp_sum)

struct sm_kernels {
#define SM_DECLARE_SLOT(type, name) type name;
    SM_KERNEL_SLOTS(SM_DECLARE_SLOT)
#undef SM_DECLARE_SLOT
};

/* A NULL slot is filled from the next ISA down by the dispatcher. */
extern const struct sm_kernels sm_kernels_scalar;       /* FMA hardware */
extern const struct sm_kernels sm_kernels_scalar_nofma; /* x86 without FMA */
extern const struct sm_kernels sm_kernels_avx2;
extern const struct sm_kernels sm_kernels_avx512;

#endif
