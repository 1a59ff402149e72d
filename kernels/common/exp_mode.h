/*
 * The exp mode of a kernel build. Each kernels/<isa>/<isa>.c is compiled
 * twice (meson.build): with SM_EXP_FAST 0, SLEEF's exp, and with
 * SM_EXP_FAST 1, the fast exp of SM_FAST_EXP. The mode is thus a constant
 * through the whole algorithm source, and each build's entry points carry
 * it in their names, sm_<isa>_<mode>_<op> with <mode> exact or fast. The
 * exact build also holds the ops without an exp (the backward passes and
 * the Jacobian, whose softmax is the exact one) and the ISA's table
 * (common/table.h), which picks a build per call from the flags.
 */
#ifndef SM_EXP_MODE_H
#define SM_EXP_MODE_H

#include <stddef.h>

#include "kernels.h"

#ifndef SM_EXP_FAST
#error "compile the kernels with -DSM_EXP_FAST=0 or 1"
#endif
#ifndef SM_KERNEL_ISA
#error "define SM_KERNEL_ISA, the ISA's name in the entry points"
#endif

#if SM_EXP_FAST
#define SM_EXP_MODE fast
#else
#define SM_EXP_MODE exact
#endif

#define SM_ENTRY_NAME(isa, mode, op) sm_##isa##_##mode##_##op
#define SM_ENTRY_OF(isa, mode, op) SM_ENTRY_NAME(isa, mode, op)
/* This build's entry point for op. */
#define SM_ENTRY(op) SM_ENTRY_OF(SM_KERNEL_ISA, SM_EXP_MODE, op)

/* The entry points of one exp mode: the table's slots without the flags. */
#define SM_DECLARE_ENTRIES(mode)                                             \
    void SM_ENTRY_OF(SM_KERNEL_ISA, mode, softmax_rows)(                     \
        size_t rows, size_t cols, float beta, const float *x, size_t ldx,    \
        float *y, size_t ldy);                                               \
    void SM_ENTRY_OF(SM_KERNEL_ISA, mode, log_softmax_rows)(                 \
        size_t rows, size_t cols, float beta, const float *x, size_t ldx,    \
        float *y, size_t ldy);                                               \
    void SM_ENTRY_OF(SM_KERNEL_ISA, mode, logsumexp_rows)(                   \
        size_t rows, size_t cols, float beta, const float *x, size_t ldx,    \
        float *result);                                                      \
    void SM_ENTRY_OF(SM_KERNEL_ISA, mode, cross_entropy_rows)(               \
        size_t rows, size_t cols, float beta, const float *x, size_t ldx,    \
        const struct sm_ce_args *a, double *loss, float *g, size_t ldg);     \
    void SM_ENTRY_OF(SM_KERNEL_ISA, mode, soft_target_rows)(                 \
        size_t rows, size_t cols, float beta, const float *x, size_t ldx,    \
        const struct sm_soft_args *a, double *loss, float *g, size_t ldg);   \
    void SM_ENTRY_OF(SM_KERNEL_ISA, mode, entropy_rows)(                     \
        size_t rows, size_t cols, float beta, const float *x, size_t ldx,    \
        float grad_scale, double *h, float *g, size_t ldg);                  \
    void SM_ENTRY_OF(SM_KERNEL_ISA, mode, row_stats)(                        \
        size_t n, float beta, const float *x, float *m, double *k,           \
        double *s);                                                          \
    void SM_ENTRY_OF(SM_KERNEL_ISA, mode, exp)(size_t n, const float *x,     \
                                               float *y);                    \
    float SM_ENTRY_OF(SM_KERNEL_ISA, mode, exp_sum)(size_t n, const float *x,\
                                                    float c);

SM_DECLARE_ENTRIES(exact)
SM_DECLARE_ENTRIES(fast)

#endif
