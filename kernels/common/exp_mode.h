/*
 * The exp mode of a kernel build. Each kernels/<isa>/<isa>.c is compiled
 * twice (meson.build), as SLEEF builds its variants: with SM_EXP_FAST 0,
 * SLEEF's exp, and with SM_EXP_FAST 1, the fast exp the SM_FAST_EXP flag
 * asks for. The mode is thus a constant of the whole algorithm source, and
 * each build's entry points carry it in their names, sm_<isa>_<mode>_<op>
 * with <mode> exact or fast (hidden: only src/ calls them, through the
 * ISA's table, common/table.h).
 */
#ifndef SM_EXP_MODE_H
#define SM_EXP_MODE_H

#include <stddef.h>

#include "kernels.h"

#if !defined(SM_EXP_FAST) || (SM_EXP_FAST != 0 && SM_EXP_FAST != 1)
#error "compile the kernels with -DSM_EXP_FAST=0 or -DSM_EXP_FAST=1"
#endif
#ifndef SM_KERNEL_ISA
#error "define SM_KERNEL_ISA, the ISA's name in its entry points and table"
#endif

#if SM_EXP_FAST
#define SM_EXP_MODE fast
#else
#define SM_EXP_MODE exact
#endif

/* The build that holds the ISA's table: the exact one. */
#if !SM_EXP_FAST && !defined(SM_SELECT_OPS) && !defined(SM_STREAM_OPS) && \
    !defined(SM_SPARSE_OPS) && !defined(SM_GUMBEL_OPS)
#define SM_TABLE_PART 1
#else
#define SM_TABLE_PART 0
#endif

#define SM_PASTE3(a, b, c) sm_##a##_##b##_##c
#define SM_JOIN3(a, b, c) SM_PASTE3(a, b, c) /* a, b, c expanded first */
#define SM_ENTRY_OF(mode, op) SM_JOIN3(SM_KERNEL_ISA, mode, op)
/* This build's entry point for op. */
#define SM_ENTRY(op) SM_ENTRY_OF(SM_EXP_MODE, op)

/* The entry points of one exp mode (in its exp build or, top_rows and
 * sample_rows, its selection build): the table's slots that use an exp,
 * without the flags. */
#define SM_DECLARE_ENTRIES(mode)                                             \
    void SM_ENTRY_OF(mode, softmax_rows)(size_t rows, size_t cols,           \
                                         float beta, const float *x,         \
                                         size_t ldx, float *y, size_t ldy);  \
    void SM_ENTRY_OF(mode, log_softmax_rows)(size_t rows, size_t cols,       \
                                             float beta, const float *x,     \
                                             size_t ldx, float *y,           \
                                             size_t ldy);                    \
    void SM_ENTRY_OF(mode, logsumexp_rows)(size_t rows, size_t cols,         \
                                           float beta, const float *x,       \
                                           size_t ldx, float *result);       \
    void SM_ENTRY_OF(mode, cross_entropy_rows)(                              \
        size_t rows, size_t cols, float beta, const float *x, size_t ldx,    \
        const struct sm_ce_args *a, double *loss, float *g, size_t ldg);     \
    void SM_ENTRY_OF(mode, soft_target_rows)(                                \
        size_t rows, size_t cols, float beta, const float *x, size_t ldx,    \
        const struct sm_soft_args *a, double *loss, float *g, size_t ldg);   \
    void SM_ENTRY_OF(mode, entropy_rows)(size_t rows, size_t cols,           \
                                         float beta, const float *x,         \
                                         size_t ldx, float grad_scale,       \
                                         double *h, float *g, size_t ldg);   \
    void SM_ENTRY_OF(mode, row_stats)(size_t n, float beta, const float *x,  \
                                      float *m, double *k, double *s);       \
    void SM_ENTRY_OF(mode, exp)(size_t n, const float *x, float *y);         \
    float SM_ENTRY_OF(mode, exp_sum)(size_t n, const float *x, float c);    \
    void SM_ENTRY_OF(mode, top_rows)(size_t rows, size_t cols, size_t n,     \
                                     float beta, const float *x, size_t ldx, \
                                     int32_t *index, size_t ldi, float *logp, \
                                     size_t ldl);                             \
    size_t SM_ENTRY_OF(mode, sample_rows)(                                   \
        size_t rows, size_t cols, float beta, const float *x, size_t ldx,    \
        const struct sm_sample_args *a, int32_t *token, float *prob,         \
        float *logprob);                                                     \
    bool SM_ENTRY_OF(mode, verify)(                                          \
        size_t n, size_t cols, float beta, const float *target, size_t ldt,  \
        const struct sm_verify_args *a, size_t *accepted, int32_t *next);     \
    void SM_ENTRY_OF(mode, state_fold_rows)(                                 \
        size_t rows, size_t cols, const float *x, size_t ldx, float *e,      \
        size_t lde, sm_softmax_state *state);                                \
    void SM_ENTRY_OF(mode, state_softmax_rows)(                              \
        size_t rows, size_t cols, const float *x, size_t ldx,                \
        const sm_softmax_state *state, float *y, size_t ldy);                \
    void SM_ENTRY_OF(mode, state_log_softmax_rows)(                          \
        size_t rows, size_t cols, const float *x, size_t ldx,                \
        const sm_softmax_state *state, float *y, size_t ldy);

SM_DECLARE_ENTRIES(exact)
SM_DECLARE_ENTRIES(fast)

/* The exact streaming build's ops without an exp (stream_entries.h). */
void SM_ENTRY_OF(exact, state_merge)(size_t rows,
                                     const sm_softmax_state *from,
                                     sm_softmax_state *into);
void SM_ENTRY_OF(exact, state_logsumexp)(size_t rows,
                                         const sm_softmax_state *state,
                                         float *result);
void SM_ENTRY_OF(exact, state_scale_rows)(size_t rows, size_t cols,
                                          const sm_softmax_state *piece,
                                          const sm_softmax_state *total,
                                          float *e, size_t lde);

/* The exact selection build's argmax and Gumbel-max (select_entries.h):
 * no exp. */
void SM_ENTRY_OF(exact, argmax_rows)(size_t rows, size_t cols, float beta,
                                     const float *x, size_t ldx,
                                     int32_t *index);
size_t SM_ENTRY_OF(exact, gumbel_rows)(size_t rows, size_t cols, float beta,
                                       const float *x, size_t ldx,
                                       const struct sm_sample_args *a,
                                       int32_t *token);

/* The sparse build's ops (sparse_entries.h): no exp. */
void SM_ENTRY_OF(exact, sparsemax_rows)(size_t rows, size_t cols, float beta,
                                        const float *x, size_t ldx, float *y,
                                        size_t ldy);
void SM_ENTRY_OF(exact, sparsemax_backward_rows)(
    size_t rows, size_t cols, float beta, const float *y, size_t ldy,
    const float *dy, size_t lddy, float *dx, size_t lddx);
void SM_ENTRY_OF(exact, hardmax_rows)(size_t rows, size_t cols, float beta,
                                      const float *x, size_t ldx, float *y,
                                      size_t ldy);
void SM_ENTRY_OF(exact, entmax_rows)(size_t rows, size_t cols, float beta,
                                     float alpha, const float *x, size_t ldx,
                                     float *y, size_t ldy);
void SM_ENTRY_OF(exact, entmax_backward_rows)(
    size_t rows, size_t cols, float beta, float alpha, const float *y,
    size_t ldy, const float *dy, size_t lddy, float *dx, size_t lddx);

/* The Gumbel-softmax build's noise (gumbel_entries.h): no exp. */
void SM_ENTRY_OF(exact, gumbel_noise_rows)(size_t rows, size_t cols,
                                           uint64_t seed,
                                           const uint64_t *counter,
                                           const float *x, size_t ldx,
                                           float *z, size_t ldz);

#endif
