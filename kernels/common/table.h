/*
 * The ISA's kernel table, compiled into its exact build: each slot that
 * uses an exp calls the entry point of the build the SM_FAST_EXP flag asks
 * for (common/exp_mode.h); the ops without an exp are this build's (the
 * backward passes, the Jacobian, whose softmax is the exact one), the
 * exact selection build's (argmax), the sparse build's (sparsemax,
 * hardmax, entmax) or the Gumbel-softmax build's (its noise).
 */
#ifndef SM_TABLE_H
#define SM_TABLE_H

#include "softmax.h"

#define SM_TABLE_OF(isa) SM_TABLE_NAME(isa)
#define SM_TABLE_NAME(isa) sm_kernels_##isa

/* The call of op's entry point in the exp mode of flags. */
#define SM_BY_MODE(op, ...)                                                  \
    ((flags & SM_FAST_EXP) ? SM_ENTRY_OF(fast, op)(__VA_ARGS__)              \
                           : SM_ENTRY_OF(exact, op)(__VA_ARGS__))

static void softmax_rows_by_mode(size_t rows, size_t cols, float beta,
                                 const float *x, size_t ldx, float *y,
                                 size_t ldy, unsigned flags)
{
    SM_BY_MODE(softmax_rows, rows, cols, beta, x, ldx, y, ldy);
}

static void log_softmax_rows_by_mode(size_t rows, size_t cols, float beta,
                                     const float *x, size_t ldx, float *y,
                                     size_t ldy, unsigned flags)
{
    SM_BY_MODE(log_softmax_rows, rows, cols, beta, x, ldx, y, ldy);
}

static void logsumexp_rows_by_mode(size_t rows, size_t cols, float beta,
                                   const float *x, size_t ldx, float *result,
                                   unsigned flags)
{
    SM_BY_MODE(logsumexp_rows, rows, cols, beta, x, ldx, result);
}

static void cross_entropy_rows_by_mode(size_t rows, size_t cols, float beta,
                                       const float *x, size_t ldx,
                                       const struct sm_ce_args *a,
                                       double *loss, float *g, size_t ldg,
                                       unsigned flags)
{
    SM_BY_MODE(cross_entropy_rows, rows, cols, beta, x, ldx, a, loss, g, ldg);
}

static void soft_target_rows_by_mode(size_t rows, size_t cols, float beta,
                                     const float *x, size_t ldx,
                                     const struct sm_soft_args *a,
                                     double *loss, float *g, size_t ldg,
                                     unsigned flags)
{
    SM_BY_MODE(soft_target_rows, rows, cols, beta, x, ldx, a, loss, g, ldg);
}

static void entropy_rows_by_mode(size_t rows, size_t cols, float beta,
                                 const float *x, size_t ldx, float grad_scale,
                                 double *h, float *g, size_t ldg,
                                 unsigned flags)
{
    SM_BY_MODE(entropy_rows, rows, cols, beta, x, ldx, grad_scale, h, g, ldg);
}

static void top_rows_by_mode(size_t rows, size_t cols, size_t n, float beta,
                             const float *x, size_t ldx, int32_t *index,
                             size_t ldi, float *logp, size_t ldl,
                             unsigned flags)
{
    SM_BY_MODE(top_rows, rows, cols, n, beta, x, ldx, index, ldi, logp, ldl);
}

static size_t sample_rows_by_mode(size_t rows, size_t cols, float beta,
                                  const float *x, size_t ldx,
                                  const struct sm_sample_args *a,
                                  int32_t *token, float *prob, float *logprob,
                                  unsigned flags)
{
    return SM_BY_MODE(sample_rows, rows, cols, beta, x, ldx, a, token, prob,
                      logprob);
}

static bool verify_by_mode(size_t n, size_t cols, float beta,
                           const float *target, size_t ldt,
                           const struct sm_verify_args *a, size_t *accepted,
                           int32_t *next, unsigned flags)
{
    return SM_BY_MODE(verify, n, cols, beta, target, ldt, a, accepted, next);
}

static void row_stats_by_mode(size_t n, float beta, const float *x,
                              unsigned flags, float *m, double *k, double *s)
{
    SM_BY_MODE(row_stats, n, beta, x, m, k, s);
}

static void exp_by_mode(size_t n, const float *x, float *y, unsigned flags)
{
    SM_BY_MODE(exp, n, x, y);
}

static float exp_sum_by_mode(size_t n, const float *x, float c,
                             unsigned flags)
{
    return SM_BY_MODE(exp_sum, n, x, c);
}

static void attention_decode_by_mode(const struct sm_attention_args *a,
                                     unsigned flags)
{
    SM_BY_MODE(attention_decode, a);
}

static void state_fold_rows_by_mode(size_t rows, size_t cols, const float *x,
                                    size_t ldx, float *e, size_t lde,
                                    sm_softmax_state *state, unsigned flags)
{
    SM_BY_MODE(state_fold_rows, rows, cols, x, ldx, e, lde, state);
}

static void state_softmax_rows_by_mode(size_t rows, size_t cols,
                                       const float *x, size_t ldx,
                                       const sm_softmax_state *state, float *y,
                                       size_t ldy, unsigned flags)
{
    SM_BY_MODE(state_softmax_rows, rows, cols, x, ldx, state, y, ldy);
}

static void state_log_softmax_rows_by_mode(size_t rows, size_t cols,
                                           const float *x, size_t ldx,
                                           const sm_softmax_state *state,
                                           float *y, size_t ldy,
                                           unsigned flags)
{
    SM_BY_MODE(state_log_softmax_rows, rows, cols, x, ldx, state, y, ldy);
}

#undef SM_BY_MODE

const struct sm_kernels SM_TABLE_OF(SM_KERNEL_ISA) = {
    .softmax_rows = softmax_rows_by_mode,
    .log_softmax_rows = log_softmax_rows_by_mode,
    .logsumexp_rows = logsumexp_rows_by_mode,
    .softmax_backward_rows = softmax_backward_rows,
    .log_softmax_backward_rows = log_softmax_backward_rows,
    .softmax_jacobian = softmax_jacobian,
    .cross_entropy_rows = cross_entropy_rows_by_mode,
    .soft_target_rows = soft_target_rows_by_mode,
    .entropy_rows = entropy_rows_by_mode,
    .argmax_rows = SM_ENTRY_OF(exact, argmax_rows),
    .top_rows = top_rows_by_mode,
    .sample_rows = sample_rows_by_mode,
    .verify = verify_by_mode,
    .gumbel_rows = SM_ENTRY_OF(exact, gumbel_rows),
    .row_stats = row_stats_by_mode,
    .exp = exp_by_mode,
    .exp_sum = exp_sum_by_mode,
    .attention_decode = attention_decode_by_mode,
    .state_fold_rows = state_fold_rows_by_mode,
    .state_merge = SM_ENTRY_OF(exact, state_merge),
    .state_logsumexp = SM_ENTRY_OF(exact, state_logsumexp),
    .state_softmax_rows = state_softmax_rows_by_mode,
    .state_log_softmax_rows = state_log_softmax_rows_by_mode,
    .state_scale_rows = SM_ENTRY_OF(exact, state_scale_rows),
    .sparsemax_rows = SM_ENTRY_OF(exact, sparsemax_rows),
    .sparsemax_backward_rows = SM_ENTRY_OF(exact, sparsemax_backward_rows),
    .hardmax_rows = SM_ENTRY_OF(exact, hardmax_rows),
    .gumbel_noise_rows = SM_ENTRY_OF(exact, gumbel_noise_rows),
    .entmax_rows = SM_ENTRY_OF(exact, entmax_rows),
    .entmax_backward_rows = SM_ENTRY_OF(exact, entmax_backward_rows),
};

#endif
