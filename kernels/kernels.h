/* The internal kernel table: one function pointer per operation. Kernels
 * trust their arguments (src/ has checked them), never allocate and never
 * call back into src/. */
#ifndef SM_KERNELS_H
#define SM_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "softmax.h"

/* Chunk length of the numerics contract: 1 MiB of f32. */
#define SM_CHUNK ((size_t)262144)

/* Entries in the chunk that starts at entry at of a row of n. */
static inline size_t sm_chunk_len(size_t n, size_t at)
{
    return n - at < SM_CHUNK ? n - at : SM_CHUNK;
}
/* Chunks of a longer row whose extremum softmax keeps between its passes
 * (their e_i wait in the output); the chunks after them (rows over 64M
 * entries) take their exps a second time, with the same bits. */
#define SM_KEPT_CHUNKS 256

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
/* index[r]: the first index of softmax_beta's largest entry of row r, or of
 * its first NaN (common/argmax.h); cols > 0. */
typedef void (*sm_index_rows_fn)(size_t rows, size_t cols, float beta,
                                 const float *x, size_t ldx, int32_t *index);
/* index (rows x n, stride ldi): each row's n most probable entries, most
 * probable first, and if logp is not NULL their log-probabilities (stride
 * ldl; common/top.h); 1 <= n <= min(cols, SM_TOP_MAX). */
typedef void (*sm_top_rows_fn)(size_t rows, size_t cols, size_t n, float beta,
                               const float *x, size_t ldx, int32_t *index,
                               size_t ldi, float *logp, size_t ldl,
                               unsigned flags);
/* The sampler's per-call constants, checked by src/decode.c: top_k 0 or
 * >= cols is off, top_p in [0, 1] (1: off), min_p in [0, 1] (0: off); the
 * bias list's and the histories' tokens in [0, cols). With a bias list or
 * histories (history_offset not NULL: row r's tokens are history[
 * history_offset[r], history_offset[r + 1])), each row is adjusted into
 * row_work (cols floats), counting through count_work (cols entries);
 * common/penalties.h. */
struct sm_sample_args {
    uint64_t seed;
    const uint64_t *counter; /* one per row */
    int32_t top_k;
    float top_p;
    float min_p;
    size_t bias_count;
    const int32_t *bias_token;
    const float *bias_value;
    float repetition, frequency, presence;
    uint32_t last_n; /* 0: the whole history */
    const int32_t *history;
    const size_t *history_offset;
    float *row_work;
    uint32_t *count_work;
};
/* token[r] for each row (and prob, logprob where not NULL); returns the
 * number of rows without a distribution (token -1). common/sample.h. */
typedef size_t (*sm_sample_rows_fn)(size_t rows, size_t cols, float beta,
                                    const float *x, size_t ldx,
                                    const struct sm_sample_args *a,
                                    int32_t *token, float *prob,
                                    float *logprob, unsigned flags);
/* token[r]: Gumbel-max's choice for row r (after a's bias and penalties;
 * a's filters are off); returns the number of rows without a distribution
 * (token -1). common/gumbel.h. */
typedef size_t (*sm_gumbel_rows_fn)(size_t rows, size_t cols, float beta,
                                    const float *x, size_t ldx,
                                    const struct sm_sample_args *a,
                                    int32_t *token);
/* Speculative verification's inputs, checked by src/decode.c: n draft
 * tokens in [0, cols) and their draft distributions (n rows of cols
 * probabilities in [0, 1], stride ldq). */
struct sm_verify_args {
    uint64_t seed, counter;
    const int32_t *draft_token;
    const float *draft_prob;
    size_t ldq;
};
/* *accepted drafts and *next the token after them (common/speculative.h);
 * returns false, *next -1, if a target row reached has no distribution. */
typedef bool (*sm_verify_fn)(size_t n, size_t cols, float beta,
                             const float *target, size_t ldt,
                             const struct sm_verify_args *a,
                             size_t *accepted, int32_t *next, unsigned flags);
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

/* Per-call constants of the fused cross-entropy, prepared by src/loss.c.
 * s is the reduction's scale of the gradient (1, or 1 / total weight). */
struct sm_ce_args {
    const int32_t *labels;
    int32_t ignore_index;
    const float *weights; /* NULL: every class weighs 1 */
    float epsilon;        /* label smoothing */
    float q_other;        /* eps / K: the smoothed target off the label */
    float q_label;        /* 1 - eps + eps / K */
    double weight_sum;    /* sum of the weights (K when NULL) */
    double half_l2;       /* lambda / 2 */
    float grad_beta;      /* beta * s */
    float grad_l2;        /* lambda * s */
    double *total;        /* NULL, or the row losses are added to it too */
};
/* Per-row loss (before any reduction) into loss[r], and with a->total,
 * added to *a->total in row order; gradient rows into g (NULL: loss
 * only), which may equal x with ldg == ldx. */
typedef void (*sm_ce_rows_fn)(size_t rows, size_t cols, float beta,
                              const float *x, size_t ldx,
                              const struct sm_ce_args *a, double *loss,
                              float *g, size_t ldg, unsigned flags);

/* Losses against a target distribution per row. */
enum sm_soft_kind {
    SM_SOFT_CE,     /* -sum q_i log p_i */
    SM_SOFT_KL,     /* sum q_i (log q_i - log p_i) */
    SM_SOFT_DISTILL /* KL with q = softmax_beta(teacher logits) */
};
struct sm_soft_args {
    enum sm_soft_kind kind;
    const float *q; /* targets, or the teacher's logits */
    size_t ldq;
    double loss_scale; /* T^2 for distillation, else 1 */
    float grad_scale;  /* d loss / d (beta x) scale: beta * s (times T^2) */
};
typedef void (*sm_soft_rows_fn)(size_t rows, size_t cols, float beta,
                                const float *x, size_t ldx,
                                const struct sm_soft_args *a, double *loss,
                                float *g, size_t ldg, unsigned flags);
/* H(softmax_beta(x)) per row, and its gradient times grad_scale. */
typedef void (*sm_entropy_rows_fn)(size_t rows, size_t cols, float beta,
                                   const float *x, size_t ldx,
                                   float grad_scale, double *h, float *g,
                                   size_t ldg, unsigned flags);

/* Fused attention decode (common/attention.h; the order of operations is
 * include/softmax.h's), checked by src/attention.c: heads a multiple of
 * kv_heads >= 1, d >= 1, every stride >= d, scale > 0 and finite, n the
 * keys used (the valid length applied); mask NULL or n floats, lse NULL
 * or heads floats. Keys go in blocks of SM_ATTENTION_BLOCK, whose states
 * merge into pieces of SM_ATTENTION_PIECE keys, merged in order; each dot
 * product in SM_ATTENTION_LANES lanes. */
#define SM_ATTENTION_BLOCK 32
#define SM_ATTENTION_PIECE 512
#define SM_ATTENTION_LANES 16
struct sm_attention_args {
    size_t heads, kv_heads, n, d;
    const float *q;
    size_t ldq;
    const float *k;
    size_t ldk_token, ldk_head;
    const float *v;
    size_t ldv_token, ldv_head;
    const float *mask;
    float scale;
    float *o;
    size_t ldo;
    float *lse;
};
typedef void (*sm_attention_fn)(const struct sm_attention_args *a,
                                unsigned flags);

/* The online state (common/softmax_state.h); src/ has checked the states
 * (beta not NaN, the flags of the call, reserved 0). fold: with e, every
 * state is empty. */
typedef void (*sm_state_fold_fn)(size_t rows, size_t cols, const float *x,
                                 size_t ldx, float *e, size_t lde,
                                 sm_softmax_state *state, unsigned flags);
typedef void (*sm_state_merge_fn)(size_t rows, const sm_softmax_state *from,
                                  sm_softmax_state *into);
typedef void (*sm_state_logsumexp_fn)(size_t rows,
                                      const sm_softmax_state *state,
                                      float *result);
/* Softmax or log-softmax of a piece from complete, non-empty states. */
typedef void (*sm_state_rows_fn)(size_t rows, size_t cols, const float *x,
                                 size_t ldx, const sm_softmax_state *state,
                                 float *y, size_t ldy, unsigned flags);
typedef void (*sm_state_scale_fn)(size_t rows, size_t cols,
                                  const sm_softmax_state *piece,
                                  const sm_softmax_state *total, float *e,
                                  size_t lde);

/* sparsemax and hardmax (common/sparsemax.h, common/hardmax.h): rows of
 * cols > 0, beta not NaN (hardmax: not 0 either); no flags, as no exp.
 * The backward pass takes the forward output y and the upstream dy. */
typedef void (*sm_plain_rows_fn)(size_t rows, size_t cols, float beta,
                                 const float *x, size_t ldx, float *y,
                                 size_t ldy);
typedef void (*sm_plain_backward_fn)(size_t rows, size_t cols, float beta,
                                     const float *y, size_t ldy,
                                     const float *dy, size_t lddy, float *dx,
                                     size_t lddx);

/* z = x + Gumbel noise, row r's from Philox (seed, counter[r])
 * (common/gumbel_noise.h); z may equal x. */
typedef void (*sm_noise_rows_fn)(size_t rows, size_t cols, uint64_t seed,
                                 const uint64_t *counter, const float *x,
                                 size_t ldx, float *z, size_t ldz);
/* alpha-entmax (common/entmax.h): as sparsemax, with alpha > 1 finite
 * (alpha = 2 is sparsemax's kernel). */
typedef void (*sm_alpha_rows_fn)(size_t rows, size_t cols, float beta,
                                 float alpha, const float *x, size_t ldx,
                                 float *y, size_t ldy);
typedef void (*sm_alpha_backward_fn)(size_t rows, size_t cols, float beta,
                                     float alpha, const float *y, size_t ldy,
                                     const float *dy, size_t lddy, float *dx,
                                     size_t lddx);

/* X-macro over the slots, so the dispatcher's fallback fill and the tests
 * never miss a new operation. */
#define SM_KERNEL_SLOTS(X) \
    X(sm_rows_fn, softmax_rows) \
    X(sm_rows_fn, log_softmax_rows) \
    X(sm_reduce_rows_fn, logsumexp_rows) \
    X(sm_backward_rows_fn, softmax_backward_rows) \
    X(sm_backward_rows_fn, log_softmax_backward_rows) \
    X(sm_jacobian_fn, softmax_jacobian) \
    X(sm_ce_rows_fn, cross_entropy_rows) \
    X(sm_soft_rows_fn, soft_target_rows) \
    X(sm_entropy_rows_fn, entropy_rows) \
    X(sm_index_rows_fn, argmax_rows) \
    X(sm_top_rows_fn, top_rows) \
    X(sm_sample_rows_fn, sample_rows) \
    X(sm_verify_fn, verify) \
    X(sm_gumbel_rows_fn, gumbel_rows) \
    X(sm_stats_fn, row_stats) \
    X(sm_exp_fn, exp) \
    X(sm_exp_sum_fn, exp_sum) \
    X(sm_attention_fn, attention_decode) \
    X(sm_state_fold_fn, state_fold_rows) \
    X(sm_state_merge_fn, state_merge) \
    X(sm_state_logsumexp_fn, state_logsumexp) \
    X(sm_state_rows_fn, state_softmax_rows) \
    X(sm_state_rows_fn, state_log_softmax_rows) \
    X(sm_state_scale_fn, state_scale_rows) \
    X(sm_plain_rows_fn, sparsemax_rows) \
    X(sm_plain_backward_fn, sparsemax_backward_rows) \
    X(sm_plain_rows_fn, hardmax_rows) \
    X(sm_noise_rows_fn, gumbel_noise_rows) \
    X(sm_alpha_rows_fn, entmax_rows) \
    X(sm_alpha_backward_fn, entmax_backward_rows)

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
extern const struct sm_kernels sm_kernels_neon;
extern const struct sm_kernels sm_kernels_sve;
/* SVE's vector length in bits; call only where SVE is present. */
unsigned sm_sve_vector_bits(void);

#endif
