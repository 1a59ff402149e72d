/*
 * libsoftmax: fast, accurate softmax, log-softmax and logsumexp that return
 * the same bits on every CPU.
 *
 * Conventions (API version 2; every function below follows them):
 *  - Every function that can fail returns sm_status (SM_OK = 0) and writes
 *    its results through pointers; sm_strerror() names a status. Ignoring
 *    one is a compiler warning where the compiler has warn_unused_result.
 *  - One argument order: the shape (rows, cols, or n for one row), then
 *    each input as pointer + stride, then each output as pointer + stride,
 *    then one options pointer; NULL options give the defaults.
 *  - Data are rows of `cols` floats. Row r of x starts at x + r * ldx, row r
 *    of y at y + r * ldy; strides are in elements and must be >= cols.
 *  - Options structs begin with `size_t size`, the size of the struct the
 *    caller was compiled with: initialise them with their ..._INIT macro
 *    (which sets it) and then change the fields you want. The library reads
 *    only the fields that size covers; the later ones take their defaults,
 *    so a program built against an older header keeps working when fields
 *    are added. A size below the end of the first field after `size`, or
 *    above the library's own sizeof of the struct (options from a newer
 *    header, which this library could not honour), is SM_EINVAL. beta,
 *    flags and reduction have the same names, types and order in every
 *    struct that has them.
 *  - beta is the inverse temperature (beta = 1 / T). softmax_beta(x)_i =
 *    exp(beta * x_i) / sum_j exp(beta * x_j). beta = 1 is the usual softmax,
 *    beta = 0 the uniform distribution, beta < 0 favours the smallest logits,
 *    beta = +-inf is hardmax (hardmin): ties share the mass. NaN beta is
 *    SM_EINVAL.
 *  - Names: sm_<op>_rows_<type> works on rows x cols; sm_<op>_<type> is the
 *    one-row short form (n elements, default options). The element type is
 *    the suffix: _f32 here, _f64, _bf16 and _f16 for the variants to come.
 *    Operations on an object name it: sm_softmax_state_fold_rows_f32,
 *    sm_softmax_state_merge. Functions still to come fit the same scheme:
 *    sm_entmax_rows_f32.
 *  - In place is allowed (y == x with ldy == ldx). Any other overlap between
 *    input and output is SM_EOVERLAP. With equal strides, rows that
 *    interleave without sharing an element (disjoint columns of one matrix)
 *    are not an overlap; with different strides, any intersection of the
 *    byte ranges the two matrices span is.
 *  - NULL pointers with a non-zero size, stride < cols, a NaN beta, unknown
 *    flag bits, a bad options size: SM_EINVAL. A buffer whose byte extent
 *    does not fit in the address space: SM_ERANGE. On any error nothing is
 *    written.
 *  - Every result is bit-identical across ISAs (scalar, AVX2, AVX-512, and
 *    the ARM kernels when built): the numerics contract below fixes the
 *    order of every operation.
 *  - Reentrant and thread-safe; nothing is allocated and no thread is
 *    created, except by sm_thread_pool_create, when the caller asks for a
 *    pool. Calls with a parallel-for in their options (sm_parallel) return
 *    the same bits for any number of threads.
 *
 * Numerics contract, in short: per chunk of 262,144 elements the extremum m
 * (max for beta > 0, min for beta < 0) is subtracted, t_i = beta * (x_i - m)
 * is rounded in f32, e_i = exp(t_i) comes from SLEEF's deterministic u10 exp,
 * and sum e_i is accumulated in double in a fixed order (32 lanes, then a
 * pairwise fold). softmax is e_i * (float)(1 / S); in a row longer than a
 * chunk, each chunk's e_i (against its own m_b) times (float)(exp(beta (m_b
 * - M)) / S), one exp per entry (1 / S for the chunks whose m_b = M); the
 * bounds below hold for both. log-softmax is
 * t_i - (float)L with L = log(K) + log1p(S'' / K) in double (K entries equal
 * to the maximum, S'' the rest; log from SLEEF, log1p the library's own,
 * within 1.5 ulp of double and the same operations on every ISA), so a
 * dominant class keeps its tiny negative log-probability instead of
 * rounding to 0; logsumexp is beta * M + L in double, rounded once.
 *
 * Accuracy against an exact (long double) evaluation from the same inputs,
 * with t_i = beta * (x_i - M), L = log sum_j exp(t_j) and T = max |t_j|
 * over the entries with t_j > -104 (the others are 0 in f32):
 *  - softmax: |p_i - p_ref| <= (5 + 2|t_i|) * 2^-24 * p_ref, or 2^-148 when
 *    the result is subnormal; |sum p_i - 1| <= 1e-6 for rows up to 2^24.
 *  - log-softmax: within 4 ulp + (3 + 2T) * 2^-24 * L.
 *  - logsumexp: within 2 ulp + (3 + 2T) * 2^-24 * L.
 *  The L term is the f32 rounding of every t_j (as in any f32 softmax); it
 *  matters only where the result is much smaller than L: a dominant class's
 *  log-probability, or a logsumexp close to 0.
 *
 * Special values (beta > 0; for beta < 0 swap +inf and -inf, max and min):
 *  - any NaN in a row: the whole row is NaN (logsumexp NaN), for every beta;
 *  - k entries +inf: 1/k on them and 0 elsewhere; log-softmax log(1/k) on
 *    them and -inf elsewhere; logsumexp +inf;
 *  - all entries -inf (a fully masked row): softmax all 0, log-softmax all
 *    -inf, logsumexp -inf;
 *  - beta = 0: 1/n, -log n, log n (whatever the finite or infinite values);
 *  - beta = +-inf: 1/k on the k extremal entries; log-softmax log(1/k) there
 *    and -inf elsewhere; logsumexp is the limit beta * M + log k (+inf or
 *    -inf by the sign of beta * M, log k when M = 0);
 *  - cols = 0: nothing is written for softmax and log-softmax; logsumexp of
 *    an empty row is -inf.
 * Every NaN any function writes (results, gradients, losses) is the one
 * quiet NaN 0x7fc00000 (positive), whatever NaNs the inputs hold or an
 * operation creates: NaN bits, too, are the same on every ISA. The one
 * exception: a loss's gradient entry made NaN by overflow in a row whose
 * loss is finite (soft targets whose f32 sum or differences overflow)
 * keeps the bits the arithmetic gives.
 * Subnormal results are kept (gradual underflow); the library never changes
 * the floating-point environment. The operation t_i = beta * (x_i - M)
 * overflows to -inf when |x_i - M| > FLT_MAX, so with beta < 1 and logits
 * spread wider than 3.4e38 such entries get probability 0.
 */
#ifndef SOFTMAX_H
#define SOFTMAX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SM_VERSION_MAJOR 0
#define SM_VERSION_MINOR 2
#define SM_VERSION_PATCH 0
#define SM_VERSION_STRING "0.2.0"
/* One number for compile-time comparisons: 0x00MMmmpp. */
#define SM_VERSION_NUMBER \
    ((SM_VERSION_MAJOR << 16) | (SM_VERSION_MINOR << 8) | SM_VERSION_PATCH)

#if defined(SM_BUILDING_LIBRARY) && defined(__GNUC__)
#define SM_API __attribute__((visibility("default")))
#else
#define SM_API
#endif

/* On every function returning sm_status: a status is never to be dropped. */
#if defined(__GNUC__) || defined(__clang__)
#define SM_NODISCARD __attribute__((warn_unused_result))
#else
#define SM_NODISCARD
#endif

/* Status of every call that can fail. */
typedef enum sm_status {
    SM_OK = 0,
    SM_EINVAL = 1,   /* NULL pointer, stride < cols, NaN beta, unknown ISA
                        or flag, a bad options size, a label or loss option
                        out of range */
    SM_EOVERLAP = 2, /* output overlaps input other than exactly in place */
    SM_ERANGE = 3,   /* a buffer's byte extent overflows the address space */
    SM_ENOTSUP = 4,  /* the CPU or this build lacks the requested ISA */
    SM_EDOMAIN = 5,  /* a row has no distribution to sample from (a NaN, or
                        every entry masked); the other rows are done */
    SM_ENOMEM = 6    /* sm_thread_pool_create: no memory or no thread */
} sm_status;

/* Instruction sets with kernels. Values are stable; bit (1u << isa) of
 * sm_isa_supported() is set for each one usable here. */
typedef enum sm_isa {
    SM_ISA_AUTO = -1, /* for sm_isa_force: back to the automatic choice */
    SM_ISA_SCALAR = 0,
    SM_ISA_AVX2 = 1,   /* x86-64 AVX2 + FMA */
    SM_ISA_AVX512 = 2, /* x86-64 AVX-512 F, BW, DQ, VL */
    SM_ISA_NEON = 3,   /* AArch64 Advanced SIMD */
    SM_ISA_SVE = 4     /* AArch64 SVE */
} sm_isa;
#define SM_ISA_COUNT 5

/* ---- options --------------------------------------------------------------- */

/* Flags of every options struct; 0 is the default. Unknown bits are
 * SM_EINVAL. */
typedef unsigned sm_flags;

/* Our own inline exp instead of SLEEF's: Cody-Waite reduction and a degree-6
 * polynomial with explicit FMAs, written identically for every ISA. Results
 * stay bit-identical across ISAs (but differ from the default mode's); the
 * exp is within 1.21 ulp over every float in [-104, 89] (measured: 1.2001;
 * SLEEF's: 0.988); the README gives the speed per ISA. The accuracy
 * bounds at the top of this header hold with 5 replaced by 7 (softmax) and 4 and 2 ulp by 5 and
 * 3 ulp (log-softmax, logsumexp). The special values are the same. The
 * backward functions and the Jacobian accept the flag and ignore it (they
 * always use SLEEF's exp, or none), so one sm_options can serve a forward
 * call and its backward. */
#define SM_FAST_EXP 1u

/* How a loss reduces its rows (see the losses below). */
typedef enum sm_reduction {
    SM_REDUCTION_NONE = 0,
    SM_REDUCTION_SUM = 1,
    SM_REDUCTION_MEAN = 2
} sm_reduction;

/* ---- threads: a caller-supplied parallel-for ------------------------------ */

/* The library starts no thread unless asked (sm_thread_pool_create). A
 * call that may use several takes a parallel-for from its options: run(context, count, task,
 * task_context) must call task(task_context, i) once for every i in
 * [0, count), on any threads and in any order, and return when every call
 * has returned. The results never depend on it: the work is cut into
 * units (blocks of whole rows, or a long row's chunks of 262,144 entries)
 * whose bits are those of one thread's call, and every reduction over them
 * keeps the numerics contract's order. Hand it a thread pool of your own
 * (as XNNPACK takes a pthreadpool) or the library's sm_thread_pool below. */
typedef void (*sm_task)(void *task_context, size_t index);
typedef struct sm_parallel {
    void (*run)(void *context, size_t count, sm_task task,
                void *task_context);
    void *context; /* passed to run */
} sm_parallel;

/* The library's own provider: a pool of `threads` threads, the one that
 * calls run and threads - 1 workers (POSIX threads) that sleep on a
 * condition variable between jobs; threads = 1 starts none. Indices are handed out one at
 * a time, so threads that finish early take more. A pool runs one job at
 * a time (calls from several threads take turns); a task must not run a
 * job on the pool that runs it. SM_EINVAL for threads = 0 or a NULL pool
 * pointer, SM_ENOMEM when memory or a thread is lacking (nothing is left
 * behind). */
typedef struct sm_thread_pool sm_thread_pool;
SM_API SM_NODISCARD sm_status sm_thread_pool_create(size_t threads,
                                                    sm_thread_pool **pool);

/* The pool's parallel-for, for sm_options.parallel: valid until the pool
 * is destroyed. NULL for a NULL pool. */
SM_API const sm_parallel *sm_thread_pool_parallel(sm_thread_pool *pool);

/* Stops and joins the workers and frees the pool; NULL is a no-op. No job
 * may be running on it. */
SM_API void sm_thread_pool_destroy(sm_thread_pool *pool);

/* Options of softmax, log-softmax, logsumexp, both backward functions and
 * the Jacobian. SM_OPTIONS_INIT (or NULL options): beta 1, no flags, the
 * calling thread only. */
typedef struct sm_options {
    size_t size;    /* sizeof(sm_options), as SM_OPTIONS_INIT sets it */
    float beta;     /* inverse temperature, not NaN */
    sm_flags flags; /* SM_FAST_EXP */
    /* NULL: everything on the calling thread. Otherwise (run not NULL,
     * else SM_EINVAL) sm_softmax_rows_f32, sm_log_softmax_rows_f32 and
     * sm_logsumexp_rows_f32 spread a call over it in tasks of whole
     * rows (at least about 64K elements each: smaller calls stay on the
     * calling thread) or of a longer row's chunks, with the bits of NULL;
     * the other functions taking sm_options ignore it. */
    const sm_parallel *parallel;
} sm_options;
#define SM_OPTIONS_INIT { sizeof(sm_options), 1.0f, 0u, NULL }

/* Options of the soft cross-entropy, KL, distillation and entropy.
 * SM_LOSS_OPTIONS_INIT (or NULL options): beta 1, no flags, MEAN. */
typedef struct sm_loss_options {
    size_t size;            /* sizeof(sm_loss_options) */
    float beta;             /* inverse temperature, not NaN (distillation:
                               beta = 1 / T, > 0 and finite) */
    sm_flags flags;         /* SM_FAST_EXP */
    sm_reduction reduction;
    unsigned reserved;      /* must be 0 (else SM_EINVAL): a later
                               version's option takes its place */
} sm_loss_options;
#define SM_LOSS_OPTIONS_INIT \
    { sizeof(sm_loss_options), 1.0f, 0u, SM_REDUCTION_MEAN, 0u }

/* Options of the cross-entropy from labels. SM_CROSS_ENTROPY_OPTIONS_INIT
 * (or NULL options): beta 1, no flags, MEAN, ignore_index -100, no
 * smoothing, no weights, no L2 penalty. */
typedef struct sm_cross_entropy_options {
    size_t size;           /* sizeof(sm_cross_entropy_options) */
    float beta;            /* inverse temperature, not NaN */
    sm_flags flags;        /* SM_FAST_EXP */
    sm_reduction reduction;
    int32_t ignore_index;  /* rows with this label contribute nothing: loss
                              0, gradient row 0, left out of MEAN */
    float label_smoothing; /* eps in [0, 1]: target (1 - eps) onehot + eps/K */
    float l2;              /* lambda >= 0, finite: adds lambda/2 |x_r|^2 to
                              each row's loss and lambda x to its gradient */
    const float *class_weights; /* NULL, or cols finite weights >= 0 */
} sm_cross_entropy_options;
#define SM_CROSS_ENTROPY_OPTIONS_INIT \
    { sizeof(sm_cross_entropy_options), 1.0f, 0u, SM_REDUCTION_MEAN, -100, \
      0.0f, 0.0f, NULL }

/* ---- softmax: y_i = exp(beta x_i) / sum_j exp(beta x_j) ----------------- */

/* rows x cols, row strides ldx and ldy (elements, >= cols). y may equal x
 * (ldy == ldx). */
SM_API SM_NODISCARD sm_status sm_softmax_rows_f32(size_t rows, size_t cols,
                                                  const float *x, size_t ldx,
                                                  float *y, size_t ldy,
                                                  const sm_options *options);

/* One row of n floats, default options (beta 1). y may equal x. */
SM_API SM_NODISCARD sm_status sm_softmax_f32(size_t n, const float *x,
                                             float *y);

/* ---- log-softmax: y_i = beta x_i - log sum_j exp(beta x_j) --------------- */

/* As sm_softmax_rows_f32. */
SM_API SM_NODISCARD sm_status sm_log_softmax_rows_f32(size_t rows, size_t cols,
                                                      const float *x, size_t ldx,
                                                      float *y, size_t ldy,
                                                      const sm_options *options);

/* One row of n floats, default options. */
SM_API SM_NODISCARD sm_status sm_log_softmax_f32(size_t n, const float *x,
                                                 float *y);

/* ---- logsumexp: log sum_j exp(beta x_j), one float per row --------------- */

/* result[r] for r < rows; result must not overlap x. A row of cols = 0 has
 * logsumexp -inf (x may then be NULL). */
SM_API SM_NODISCARD sm_status sm_logsumexp_rows_f32(size_t rows, size_t cols,
                                                    const float *x, size_t ldx,
                                                    float *result,
                                                    const sm_options *options);

/* *result = logsumexp of the n floats at x (-inf when n = 0), default
 * options. */
SM_API SM_NODISCARD sm_status sm_logsumexp_f32(size_t n, const float *x,
                                               float *result);

/* ---- the online state: softmax of a row seen in pieces ------------------ */

/* A row's running statistics, the numerics contract's M, K and S'': the
 * caller owns it (one per row), folds pieces of the row into it in any
 * number of calls, merges states of disjoint parts of a row (shards of a
 * vocabulary on other threads or processes) and, once every entry has been
 * seen, reads the row's logsumexp from it or writes softmax or log-softmax
 * of any piece. 32 bytes, no padding, no pointers: states can be copied,
 * sent (an MPI struct type of 2 doubles, 2 floats, 2 uint32) and merged
 * anywhere. */
typedef struct sm_softmax_state {
    double sum;      /* S'': sum of exp(beta (x_i - max)) over the entries
                        not equal to max, in double */
    double count;    /* K: the entries equal to max */
    float max;       /* M: the largest entry so far (the smallest for beta
                        < 0; 0 for beta = 0) */
    float beta;      /* the inverse temperature of every call on the state */
    sm_flags flags;  /* SM_FAST_EXP: the exp of every call on the state */
    uint32_t reserved; /* 0 */
} sm_softmax_state;

/* Sets rows empty states with options->beta (not NaN) and options->flags:
 * every later call on a state uses them. An empty state's logsumexp is
 * -inf. */
SM_API SM_NODISCARD sm_status sm_softmax_state_init(size_t rows,
                                                    sm_softmax_state *state,
                                                    const sm_options *options);

/* Folds a piece of each row (rows x cols, stride ldx) into state[r]: one
 * pass per chunk of 262,144 entries while it is in cache. With e (not
 * NULL, stride lde) each state must be empty: it becomes the piece's own
 * statistics, and e_i = exp(beta (x_i - m)) with m the piece's extremum (1
 * for the entries equal to it) is written as a by-product, for
 * sm_softmax_state_scale_rows_f32 to turn into softmax once the row's
 * state is complete: one exp per entry in all. e must not overlap x or
 * the states (in place, e == x with lde == ldx, is allowed). */
SM_API SM_NODISCARD sm_status sm_softmax_state_fold_rows_f32(
    size_t rows, size_t cols, const float *x, size_t ldx, float *e,
    size_t lde, sm_softmax_state *state);

/* into[r] = the statistics of the entries of from[r] and into[r] together.
 * Symmetric (merge(a, b) has the bits of merge(b, a)), associative up to
 * rounding in the last bits of sum (see below). Both states must have the
 * same beta and flags. */
SM_API SM_NODISCARD sm_status sm_softmax_state_merge(
    size_t rows, const sm_softmax_state *from, sm_softmax_state *into);

/* result[r] = log sum_i exp(beta x_i) over every entry folded into
 * state[r] (the finalize step: beta M + log K + log1p(S'' / K)), -inf for
 * an empty state. */
SM_API SM_NODISCARD sm_status sm_softmax_state_logsumexp(
    size_t rows, const sm_softmax_state *state, float *result);

/* Softmax (log-softmax) of a piece x of each row, given the row's complete
 * state: y_i = exp(beta (x_i - M)) / S (beta (x_i - M) - L), as the
 * one-shot functions compute it from the same statistics (softmax: for a
 * row of at most one chunk). y may equal x (ldy == ldx). A non-empty piece
 * with an empty state: SM_EINVAL. */
SM_API SM_NODISCARD sm_status sm_softmax_state_softmax_rows_f32(
    size_t rows, size_t cols, const float *x, size_t ldx,
    const sm_softmax_state *state, float *y, size_t ldy);
SM_API SM_NODISCARD sm_status sm_softmax_state_log_softmax_rows_f32(
    size_t rows, size_t cols, const float *x, size_t ldx,
    const sm_softmax_state *state, float *y, size_t ldy);

/* Turns the e a fold wrote for a piece into that piece's softmax, in place:
 * e_i *= (float)(exp(beta (m - M)) / S), with piece[r] the piece's own
 * state (as its fold left it) and total[r] the row's complete state (1 / S
 * when m = M). */
SM_API SM_NODISCARD sm_status sm_softmax_state_scale_rows_f32(
    size_t rows, size_t cols, const sm_softmax_state *piece,
    const sm_softmax_state *total, float *e, size_t lde);

/* The bits. A row whose pieces were folded into one state in order, each
 * piece starting at a multiple of 262,144 of the row (the contract's
 * chunks: a row of at most 262,144 entries in one piece, for example), has
 * exactly the one-shot statistics, so log-softmax and logsumexp from it
 * are bit for bit sm_log_softmax_rows_f32's and sm_logsumexp_rows_f32's,
 * and softmax from it sm_softmax_rows_f32's for a row of at most one
 * chunk. The one-shot softmax of a longer row is the fold-with-e route with
 * pieces of one chunk each (each chunk's e_i against its own extremum,
 * scaled by its own factor), bit for bit; so is that route for a row of
 * one piece. Any other split or merge order takes the exps against each
 * piece's own extremum and sums them in another order (M and K stay
 * exact): the results are
 * then not the one-shot's bits but within the accuracy bounds at the top of
 * this header (the fold-with-e route: softmax within (6 + 2|t_i|) 2^-24),
 * as the tests check against a long-double reference. Special
 * values are the one-shot's: a NaN anywhere in the row makes every output
 * NaN, a fully masked row softmax 0, log-softmax -inf and logsumexp -inf.
 * Errors: NULL with rows > 0 (x, y or e with cols > 0), strides < cols, a
 * state with a NaN beta, unknown flags or reserved != 0, states of one call
 * with different flags, a merge of different betas or flags: SM_EINVAL;
 * overlaps other than in place: SM_EOVERLAP; nothing is written. */

/* ---- argmax: the most probable entry of each row ------------------------- */

/* index[r] = the index of softmax_beta's largest entry in row r, the first
 * one among ties: the row's first maximum for beta > 0 (options->beta, 1 by
 * default), its first minimum for beta < 0 (argmin), 0 for beta = 0 (every
 * entry equally likely). A row with a NaN gives the index of its first NaN,
 * whatever beta (as torch.argmax does; softmax makes that row all NaN).
 * -0 and +0 are equal. Indices are int32_t, as labels are: cols >
 * INT32_MAX is SM_ERANGE. cols = 0 with rows > 0 is SM_EINVAL (an empty row
 * has no argmax). index must not overlap x. The flags are checked and
 * ignored (no exp is involved). */
SM_API SM_NODISCARD sm_status sm_argmax_rows_f32(size_t rows, size_t cols,
                                                 const float *x, size_t ldx,
                                                 int32_t *index,
                                                 const sm_options *options);

/* *index = the first index of the largest of the n floats at x, or of the
 * first NaN (default options; n = 0 is SM_EINVAL). */
SM_API SM_NODISCARD sm_status sm_argmax_f32(size_t n, const float *x,
                                            int32_t *index);

/* ---- top-n: the n most probable entries of each row ---------------------- */

/* The most entries sm_top_rows_f32 returns per row. */
#define SM_TOP_MAX 1024

/* For each row r, the indices of its n most probable entries under
 * softmax_beta (the largest logits for beta > 0, the smallest for beta < 0),
 * most probable first, into index[r * ldi + j], j < n; ties go to the lower
 * index, every entry ties for beta = 0, and NaNs rank above every number
 * (the first of them first, as in sm_argmax_rows_f32). With logp not NULL,
 * their log-probabilities into logp[r * ldl + j]: the very bits
 * sm_log_softmax_rows_f32 writes for those entries with the same options
 * (SM_FAST_EXP included). Found by selection, in about one pass over the
 * row beside the statistics' pass, not by sorting it. n <= min(cols,
 * SM_TOP_MAX), else SM_EINVAL; n = 0 writes nothing. cols > INT32_MAX is
 * SM_ERANGE; ldi >= n and ldl >= n; index and logp must not overlap each
 * other or x. */
SM_API SM_NODISCARD sm_status sm_top_rows_f32(size_t rows, size_t cols,
                                              size_t n, const float *x,
                                              size_t ldx, int32_t *index,
                                              size_t ldi, float *logp,
                                              size_t ldl,
                                              const sm_options *options);

/* ---- sampling: a token from each row, seeded and reproducible ------------ */

/* Options of sm_sample_rows_f32. SM_SAMPLER_OPTIONS_INIT (or NULL options):
 * beta 1, no flags, seed 0, no filters. */
typedef struct sm_sampler_options {
    size_t size;     /* sizeof(sm_sampler_options) */
    float beta;      /* inverse temperature 1 / T, not NaN; +inf: greedy */
    sm_flags flags;  /* SM_FAST_EXP (Gumbel-softmax: also SM_GUMBEL_HARD) */
    uint64_t seed;   /* with each row's counter, selects its random number */
    int32_t top_k;   /* keep the k most probable, k <= SM_TOP_MAX; 0 (or
                        >= cols): off */
    float top_p;     /* keep the smallest most probable set of at least this
                        mass; in [0, 1], 1: off */
    float min_p;     /* keep p_i >= min_p * max_j p_j; in [0, 1], 0: off */
    uint32_t reserved; /* must be 0 (else SM_EINVAL): a later version's
                          option takes its place */
    /* Adjustments of the logits before the temperature and the filters
     * (see sm_sample_rows_f32 for the formulas and their order). */
    size_t bias_count;         /* entries in the logit bias list; 0: none */
    const int32_t *bias_token; /* bias_count tokens in [0, cols) */
    const float *bias_value;   /* bias_count values, not NaN (-inf bans) */
    float repetition_penalty;  /* > 0 and finite; 1: off */
    float frequency_penalty;   /* finite; 0: off */
    float presence_penalty;    /* finite; 0: off */
    uint32_t history_last_n;   /* only the last n tokens of each history
                                  count (llama.cpp's penalty_last_n); 0: all */
    const int32_t *history;    /* the rows' previous tokens, in [0, cols) */
    const size_t *history_offset; /* NULL: no history; else rows + 1
                                     non-decreasing offsets, row r's tokens
                                     history[offset[r], offset[r + 1]) */
    void *workspace;       /* sm_sample_workspace_size bytes, 4-aligned,
                              when a bias or a penalty applies */
    size_t workspace_size; /* its size in bytes */
} sm_sampler_options;
#define SM_SAMPLER_OPTIONS_INIT \
    { sizeof(sm_sampler_options), 1.0f, 0u, 0u, 0, 1.0f, 0.0f, 0u, \
      0, NULL, NULL, 1.0f, 0.0f, 0.0f, 0u, NULL, NULL, NULL, 0 }

/* Draws token[r] from row r's softmax_beta(x') restricted to the kept set.
 * x' is the row after llama.cpp's adjustments, in its order, in float:
 * first the logit bias, x_t += bias_value[j] for t = bias_token[j], each
 * j < bias_count in turn (OpenAI's logit_bias; the same list for every
 * row); then for each token t that occurs c_t > 0 times in row r's
 * history (its last history_last_n tokens if that is not 0; OpenAI's and
 * llama.cpp's penalties, CTRL's repetition penalty as llama.cpp applies
 * it)
 *   x_t = x_t <= 0 ? x_t * repetition_penalty : x_t / repetition_penalty
 *   x_t = x_t - (c_t * frequency_penalty + presence_penalty).
 * Without a bias list or an active penalty with a history, x' = x. x' is
 * built in options->workspace (see sm_sample_workspace_size); x itself is
 * never written. The kept set of x':
 * the top_k most probable entries (ties to the lower index, as
 * sm_top_rows_f32), of those the entries with p_i >= min_p * p_max, of
 * those the smallest set of most probable entries whose mass reaches top_p
 * of theirs (ties to the lower index again). That is vLLM's and Hugging
 * Face's order: the temperature applies first, the filters to
 * softmax_beta. (llama.cpp's default chain filters at temperature 1 and
 * applies the temperature last.) Within the kept set the token is drawn in
 * proportion to p_i: a uniform u in [0, 1) (53 bits from Philox4x32-10 with
 * key = options->seed, counter = (counter[r], 0)) against the running sum
 * of e_i = exp(beta (x_i - M)) in double, in rank order (the kept set
 * within the SM_TOP_MAX most probable entries) or in index order in blocks
 * of 32 (beyond them: then the kept set is {e_i >= threshold}, and entries
 * tied at top-p's boundary are all kept). The same seed, counter, options
 * and logits give the same token on every ISA and machine. Without filters
 * the whole row is walked; nothing is sorted.
 * beta = +inf is greedy decoding: the argmax (first among ties), prob 1, no
 * random number used (beta = -inf: the first minimum); beta < 0 favours
 * the smallest logits; beta = 0 makes
 * every entry equally likely (top-k keeps the first k, top-p the first
 * ceil(top_p k)).
 * prob[r] (if not NULL): the token's probability under the kept set,
 * rounded to float. logprob[r] (if not NULL): its log-probability under the
 * unfiltered softmax_beta of x as given (before bias and penalties, as
 * vLLM's raw log-probabilities), the bits sm_log_softmax_rows_f32 writes
 * for it.
 * A row with a NaN or with every entry masked (the wrong infinity for
 * beta) has no distribution: token -1, prob and logprob NaN, and the call
 * returns SM_EDOMAIN after doing every other row. token, prob and logprob
 * hold rows elements and must not overlap x, counter or each other. top_k <
 * 0 or SM_TOP_MAX < top_k < cols, top_p or min_p outside [0, 1] or NaN, a
 * NaN beta, reserved != 0, cols = 0 with rows > 0, a bias or history
 * token outside [0, cols), a NaN bias value, a penalty out of its range,
 * decreasing history offsets, a workspace smaller than needed or not
 * 4-aligned: SM_EINVAL, nothing written; cols > INT32_MAX: SM_ERANGE. The
 * workspace must not overlap anything else; the lists must not overlap the
 * outputs. */
SM_API SM_NODISCARD sm_status sm_sample_rows_f32(
    size_t rows, size_t cols, const float *x, size_t ldx,
    const uint64_t *counter, int32_t *token, float *prob, float *logprob,
    const sm_sampler_options *options);

/* The Gumbel-max form of sampling: token[r] = the first index of the
 * largest beta x'_i + g_i over row r (x' after bias and penalties, as
 * sm_sample_rows_f32 adjusts it), with Gumbel noise g_i = -log(-log u_i),
 * u_i = (w + 1/2) 2^-32 for the Philox word w of entry i: entry 64 j +
 * 16 k + 8 h + b (b < 8, h < 2) takes word k of block (counter[r], 16 j +
 * 8 h + b) of options->seed.
 * Equal in distribution to sm_sample_rows_f32 without filters (not the
 * same draws: it takes one random number per entry); entries at the
 * infinity on beta's side share the mass, as in softmax. The keys are
 * exact in double (a fixed order of operations) wherever they decide, so
 * the same seed, counter and logits choose the same token on every ISA.
 * beta = +-inf: the argmax (argmin), first among ties; beta = 0: every
 * entry alike. A row with a NaN or every entry masked: token -1,
 * SM_EDOMAIN after the other rows. The filters must be off (top_k 0,
 * top_p 1, min_p 0); otherwise the options, errors and overlaps are
 * sm_sample_rows_f32's. SM_FAST_EXP changes nothing (no exp is used). */
SM_API SM_NODISCARD sm_status sm_gumbel_max_rows_f32(
    size_t rows, size_t cols, const float *x, size_t ldx,
    const uint64_t *counter, int32_t *token,
    const sm_sampler_options *options);

/* ---- Gumbel-softmax: a differentiable sample (Jang et al. 2017) --------- */

/* Straight-through Gumbel-softmax (sm_gumbel_softmax_rows_f32 only; every
 * other function, Gumbel-max included, rejects the bit with SM_EINVAL). */
#define SM_GUMBEL_HARD 2u

/* Gumbel-softmax, soft or straight-through ("hard"), per row r:
 *   s = softmax_beta(z), z_i = x_i + g_i, beta = 1 / tau,
 * the noise g_i = -log(-log u_i) from the Philox word w that
 * sm_gumbel_max_rows_f32 gives entry i (same seed, counter[r] and entry
 * mapping), u_i = ((w >> 9) + 1/2) 2^-23, exact in float and strictly
 * inside (0, 1). In float, in this order: L = log(0 - log u_i),
 * z_i = x_i - L (so z_i = x_i + g_i exactly), both logs the library's own
 * logf (range reduction on the bits, a degree-9 polynomial in a fixed
 * order of FMAs, no division; within 1.15 ulp); then s is exactly the bits
 * sm_softmax_rows_f32 writes for z at beta (SM_FAST_EXP selects its fast
 * exp). The noise is within 2^-22 + 2^-23 |g| of -log(-log u_i) computed
 * exactly; g lies in [-2.82, 16.64]. The same seed, counter, logits and
 * options give the same bits on every ISA.
 * Without SM_GUMBEL_HARD, y = s and soft (if not NULL) receives s too.
 * s's first maximum is the argmax of x + g (but for ties that rounding
 * makes in s), so it is distributed as softmax(x) whatever beta; beta
 * only sharpens s.
 * With SM_GUMBEL_HARD, y is the one-hot of s's first maximum (the straight-through
 * forward output, PyTorch's F.gumbel_softmax(hard=True)) and soft (if not
 * NULL) receives s, whose softmax backward is the gradient: for an upstream
 * dy (of the soft or the straight-through output),
 *   dx = beta s (dy - <dy, s>)
 * is exactly sm_softmax_backward_rows_f32(s, dy) at the same beta, with the
 * noise held fixed, so there is no separate backward function.
 * Special values: x_i = -inf stays excluded (s_i = 0); a row with every
 * entry -inf: s = 0, and the hard y = 0 (no entry is chosen); a NaN in the
 * row: s and y all NaN; entries at +inf share s's mass equally (the noise
 * cannot order infinities) and the hard y takes the first of them.
 * options: beta > 0 and finite (else SM_EINVAL; for tau -> 0 use
 * sm_gumbel_max_rows_f32), flags SM_FAST_EXP and SM_GUMBEL_HARD, the seed;
 * the filters (top_k 0, top_p 1, min_p 0), the logit bias (bias_count 0)
 * and the penalties (1, 0, 0) must be off: SM_EINVAL. Shapes and strides
 * as sm_softmax_rows_f32: y == x in place (ldy == ldx) is allowed, any
 * other overlap of y with x is SM_EOVERLAP; soft (stride ldsoft >= cols
 * when not NULL) and counter (rows entries) must not overlap x, y or each
 * other (SM_EOVERLAP). cols = 0 writes nothing; cols > INT32_MAX:
 * SM_ERANGE. On an error nothing is written. */
SM_API SM_NODISCARD sm_status sm_gumbel_softmax_rows_f32(
    size_t rows, size_t cols, const float *x, size_t ldx,
    const uint64_t *counter, float *y, size_t ldy, float *soft,
    size_t ldsoft, const sm_sampler_options *options);

/* *bytes = the workspace sm_sample_rows_f32 needs for rows of cols logits
 * with these options: 0 without a bias list or an active penalty with a
 * history, 4 cols with a bias list only, 8 cols with penalties. The options
 * are checked as sm_sample_rows_f32 checks them (SM_EINVAL; lists are not
 * read). */
SM_API SM_NODISCARD sm_status sm_sample_workspace_size(
    size_t cols, const sm_sampler_options *options, size_t *bytes);

/* ---- speculative decoding: verifying a draft model's tokens -------------- */

/* Verifies n tokens a draft model proposed against the target model
 * (Leviathan et al. 2023; Chen et al. 2023). draft_token[i] was drawn from
 * the draft's distribution q_i, row i of draft_prob (cols probabilities,
 * stride ldq); row i of target (stride ldt) holds the target's logits at
 * position i, for i <= n: n + 1 rows, row n read only when every draft is
 * accepted. Position by position, draft_token[i] is accepted with
 * probability min(1, p_i(t) / q_i(t)), p_i = softmax_beta(target row i)
 * (the bits sm_softmax_rows_f32 writes); at the first rejection the
 * replacement is drawn from normalize(max(0, p_i - q_i)) (from p_i should
 * rounding leave that empty); after n acceptances a bonus token is drawn
 * from p_n. The tokens so produced follow the target's distribution.
 * *accepted = the drafts accepted, *next_token = the replacement or the
 * bonus token. Position i draws from Philox block (counter, i) of
 * options->seed: words 0-1 the acceptance's uniform (the bonus draw's at
 * i = n), words 2-3 the replacement's, as sm_sample_rows_f32 draws; the
 * same seed, counter and inputs give the same result on every ISA.
 * options: beta > 0 (+inf: a greedy target), the flags and the seed;
 * filters, bias and penalties must be off. A target row reached with a NaN
 * or fully masked: *accepted = its position, *next_token = -1, SM_EDOMAIN.
 * A draft token outside [0, cols), a draft probability outside [0, 1] or
 * NaN, ldt or ldq < cols, beta <= 0 or NaN, cols = 0, an option on that
 * must be off: SM_EINVAL, nothing written; cols > INT32_MAX: SM_ERANGE. */
SM_API SM_NODISCARD sm_status sm_speculative_verify_f32(
    size_t n, size_t cols, const float *target, size_t ldt,
    const int32_t *draft_token, const float *draft_prob, size_t ldq,
    uint64_t counter, size_t *accepted, int32_t *next_token,
    const sm_sampler_options *options);

/* ---- gradients ------------------------------------------------------------ */
/* Given the forward output y (rows x cols, stride ldy) and the upstream
 * gradient dy (stride lddy), the gradient with respect to the logits x into
 * dx (stride lddx), with the beta of the forward call (options->beta; the
 * flags are accepted and ignored). dx may equal y or dy (same stride); any
 * other overlap with them is SM_EOVERLAP. Each row's reduction is a sum of
 * f32 values in double, in the contract's lane and chunk order, rounded
 * once to f32: the bits are the same on every ISA. Cancellation in
 * dy_i - d (dy nearly parallel to the output) is inherent to the formula;
 * NaN and inf propagate. Accuracy against an exact evaluation from the same
 * y and dy (2^-24 = u):
 *  - softmax backward: |dx_i - ref| <= u |beta| y_i (3 |dy_i - d| +
 *    2 sum_j |dy_j y_j|), d = <dy, y>;
 *  - log-softmax backward: |dx_i - ref| <= u |beta| (3 |dy_i - e_i s| +
 *    3 e_i sum_j |dy_j|), e_i = exp(y_i), s = sum_j dy_j. */

/* Softmax backward (vector-Jacobian product):
 * dx_i = beta * y_i * (dy_i - <dy, y>), computed as ((dy_i - d) * y_i) * beta
 * with d = (float) sum_j dy_j y_j. The softmax Jacobian
 * J = beta (diag(y) - y y^T) is symmetric, so this is also the
 * Jacobian-vector product J v with dy = v. */
SM_API SM_NODISCARD sm_status sm_softmax_backward_rows_f32(
    size_t rows, size_t cols, const float *y, size_t ldy, const float *dy,
    size_t lddy, float *dx, size_t lddx, const sm_options *options);

/* Log-softmax backward, y = log_softmax_beta(x):
 * dx_i = beta * (dy_i - exp(y_i) * sum_j dy_j), computed as
 * (dy_i - exp(y_i) * s) * beta with s = (float) sum_j dy_j and SLEEF's exp. */
SM_API SM_NODISCARD sm_status sm_log_softmax_backward_rows_f32(
    size_t rows, size_t cols, const float *y, size_t ldy, const float *dy,
    size_t lddy, float *dx, size_t lddx, const sm_options *options);

/* The explicit Jacobian of softmax_beta at x (k floats), into the k x k
 * matrix jac (row stride ldj >= k): J = beta (diag(p) - p p^T) with
 * p = softmax_beta(x) (SLEEF's exp; SM_FAST_EXP is accepted and ignored),
 * computed as (delta_ij p_i - p_i p_j) * beta; J is exactly symmetric.
 * O(k^2) time and memory: meant for small k. J is positive semi-definite
 * for beta > 0 (negative for beta < 0) with the all-ones vector in its null
 * space; at beta = 1 it is the Hessian of the cross-entropy loss with
 * respect to the logits (in general that Hessian is beta * J). jac must
 * not overlap x. */
SM_API SM_NODISCARD sm_status sm_softmax_jacobian_f32(size_t k, const float *x,
                                                      float *jac, size_t ldj,
                                                      const sm_options *options);

/* ---- sparsemax and hardmax: distributions with exact zeros ---------------- */
/* sparsemax_beta(x) is the Euclidean projection of z = beta x onto the
 * probability simplex (Martins & Astudillo 2016): p_i = max(0, z_i - tau)
 * with tau such that sum p = 1. Entries far enough below the maximum get
 * exactly 0.
 *
 * The bits, the same on every ISA: with M the row's maximum (its minimum
 * for beta < 0), u_i = beta (x_i - M) in float, as softmax's t (one
 * subtraction, then one multiplication; +0 where x_i = M), so max u = 0 and
 * tau lies in [-1, 0). tau is found without sorting, by Michelot's
 * iteration: tau_k = (sum_{S_k} u - 1) / |S_k| in double, S_{k+1} = {i in
 * S_k : u_i > tau_k}, until S stops changing; each sum in the contract's
 * order (lane i mod 32 adds the row's u_i in increasing i, the 32 lanes
 * folded by the fixed pairwise tree; one chain per row, no chunks). S_0 is
 * the candidates u_i > -1. In a row of more than 1024 entries they are
 * read in index order, and whenever a limit of them is held and another
 * comes (64 at first; the limit doubles, up to 1024, after a narrowing
 * that leaves more than half of it), the held ones are narrowed to their
 * own projection's support (the same iteration on them alone, whose
 * threshold is a lower bound of tau) and the bar rises to that threshold
 * for the rest of the row; if that frees no room, S_0 is every u_i above
 * the bar. Either way the result is the exact projection's support up to
 * rounding, and each step depends only on the values and their order.
 * Then p_i = max(0, u_i - (float)tau) in float: the support is exactly
 * {i : p_i > 0}.
 *
 * Accuracy, against the exact projection of the same f32 inputs (2^-24 =
 * u): |p_i - ref_i| <= 8 u (absolute) for every i while the support holds
 * at most 2^24 entries, and |sum_i p_i - 1| <= (k + 2) u with k the number
 * of nonzero p_i.
 *
 * Special values (beta > 0; mirrored for beta < 0), as softmax's: a NaN in
 * the row: all NaN; k entries +inf: 1/k on them, 0 elsewhere; all -inf:
 * all 0; beta = 0: 1/n everywhere; beta = +-inf: hardmax (hardmin), the
 * bits of sm_hardmax_rows_f32. -inf entries of a finite row get 0.
 *
 * rows x cols, row strides ldx and ldy (>= cols); y may equal x (ldy ==
 * ldx), any other overlap is SM_EOVERLAP. options: beta (not NaN); flags:
 * SM_FAST_EXP is accepted and ignored (there is no exp), any other bit is
 * SM_EINVAL. On an error nothing is written. */
SM_API SM_NODISCARD sm_status sm_sparsemax_rows_f32(size_t rows, size_t cols,
                                                    const float *x, size_t ldx,
                                                    float *y, size_t ldy,
                                                    const sm_options *options);

/* One row of n floats, default options (beta 1). y may equal x. */
SM_API SM_NODISCARD sm_status sm_sparsemax_f32(size_t n, const float *x,
                                               float *y);

/* Sparsemax backward (vector-Jacobian product; the Jacobian is symmetric):
 * given the forward output y and the upstream gradient dy, with support
 * S = {i : y_i > 0}, dx_i = beta (dy_i - mean_S dy) on S and +0 off it,
 * computed as (dy_i - c) * beta with c = (float)(sum_S dy / |S|), the sum in
 * double in the contract's lane order (the same bits on every ISA). An
 * infinite beta (the forward is then hardmax, constant almost everywhere)
 * gives dx = 0. NaN in dy on S propagates; a NaN in y (the forward's output
 * of a row holding a NaN) makes the whole row of dx NaN. Shapes, options, errors and
 * overlaps as sm_softmax_backward_rows_f32 (dx may equal y or dy). */
SM_API SM_NODISCARD sm_status sm_sparsemax_backward_rows_f32(
    size_t rows, size_t cols, const float *y, size_t ldy, const float *dy,
    size_t lddy, float *dx, size_t lddx, const sm_options *options);

/* hardmax: 1/k on the k entries equal to the row's maximum (ties share the
 * mass), 0 elsewhere; beta > 0 selects the maximum, beta < 0 the minimum
 * (hardmin); only beta's sign matters, and beta = 0 or NaN is SM_EINVAL.
 * The bits are sm_softmax_rows_f32's at beta = +inf (-inf), special values
 * included: a NaN in the row: all NaN; k entries +inf: 1/k on them; all
 * -inf: all 0. Its gradient is zero almost everywhere, so there is no
 * backward function. Shapes, overlaps, flags and errors as
 * sm_sparsemax_rows_f32. */
SM_API SM_NODISCARD sm_status sm_hardmax_rows_f32(size_t rows, size_t cols,
                                                  const float *x, size_t ldx,
                                                  float *y, size_t ldy,
                                                  const sm_options *options);

/* One row of n floats, the maximum (beta 1). y may equal x. */
SM_API SM_NODISCARD sm_status sm_hardmax_f32(size_t n, const float *x,
                                             float *y);

/* ---- alpha-entmax: between softmax (alpha -> 1) and sparsemax (2) -------- */
/* entmax_alpha(beta x) (Peters, Niculae & Martins 2019): p_i = ((alpha - 1)
 * z_i - tau)_+^(1 / (alpha - 1)) with z = beta x and tau such that
 * sum p = 1. Entries far enough below the maximum get exactly 0; alpha = 2
 * is sparsemax, alpha -> 1+ tends to softmax.
 *
 * The bits, the same on every ISA: u_i = beta (x_i - M) as sparsemax's
 * (M the maximum, the minimum for beta < 0), t_i = (float)((alpha - 1) u_i),
 * so max t = 0 and tau lies in [-1, 0). Every sum is in double in the
 * contract's order (lane i mod 32, the fixed fold).
 *  - alpha = 2: sm_sparsemax_rows_f32's bits exactly.
 *  - alpha = 1.5: tau exact up to rounding: over the support S (k entries),
 *    tau = mean_S t - sqrt((1 - sum_S (t - mean_S t)^2) / k), S found
 *    without sorting by a bracketing iteration on tau's bounds (sums of t
 *    and t^2, the squares to double precision); then p_i = d * d with
 *    d = max(t_i - (float)tau, 0) in float.
 *  - any other alpha: tau is the largest float in [-1, 0] whose sum
 *    F(tau) of (t_i - tau)_+^r (r = 1 / (alpha - 1)), computed as the
 *    output is, reaches 1, found by bracketing (regula falsi with a
 *    bisection fallback) until the bounds are adjacent floats; then
 *    e_i = exp(log(max(t_i - tau, 0)) * r) in float with SLEEF's logf and
 *    expf, and p_i = e_i * (float)(1 / sum e) (normalised).
 *
 * Accuracy, against a long-double reference from the same f32 inputs
 * (2^-24 = u): alpha = 1.5: |p_i - ref_i| <= 8 u (absolute); other alpha:
 * |p_i - ref_i| <= (32 + 4 r) u (absolute), for rows of up to 2^20
 * entries. |sum_i p_i - 1| <= 1e-6 for such rows. As alpha -> 1+ the
 * output tends to softmax: at alpha = 1.01 it is within 0.02 (absolute)
 * of softmax's.
 *
 * Special values, as sparsemax's: a NaN in the row: all NaN; k entries
 * +inf: 1/k on them, 0 elsewhere; all -inf: all 0; beta = 0: 1/n; beta =
 * +-inf: hardmax (hardmin), the bits of sm_hardmax_rows_f32. -inf entries
 * of a finite row get 0.
 *
 * Options: beta (not NaN), flags (SM_FAST_EXP is accepted and ignored:
 * entmax always uses SLEEF's exp and log; any other bit is SM_EINVAL) and
 * alpha (> 1 and finite, else SM_EINVAL). SM_ENTMAX_OPTIONS_INIT (or NULL
 * options): beta 1, no flags, alpha 1.5. Shapes, overlaps and errors as
 * sm_sparsemax_rows_f32; on an error nothing is written. */
typedef struct sm_entmax_options {
    size_t size;    /* sizeof(sm_entmax_options), as the INIT macro sets it */
    float beta;     /* inverse temperature, not NaN */
    sm_flags flags; /* SM_FAST_EXP (ignored) */
    float alpha;    /* > 1, finite; 1.5 by default */
} sm_entmax_options;
#define SM_ENTMAX_OPTIONS_INIT { sizeof(sm_entmax_options), 1.0f, 0u, 1.5f }

SM_API SM_NODISCARD sm_status sm_entmax_rows_f32(
    size_t rows, size_t cols, const float *x, size_t ldx, float *y,
    size_t ldy, const sm_entmax_options *options);

/* 1.5-entmax of one row of n floats, beta 1. y may equal x. */
SM_API SM_NODISCARD sm_status sm_entmax15_f32(size_t n, const float *x,
                                              float *y);

/* entmax backward (vector-Jacobian product; the Jacobian is symmetric):
 * with S = {i : y_i > 0} and s_i = y_i^(2 - alpha) on S (computed as
 * exp(log(y_i) (2 - alpha)) in float; 0 off S), dx_i = beta s_i (dy_i -
 * sum_S s dy / sum_S s), computed as ((dy_i - q) * s_i) * beta with
 * q = (float)(sum_S s_j dy_j / sum_S s_j) (s_j dy_j a float product, both
 * sums in double in the contract's order), +0 off S. alpha = 2 gives
 * sm_sparsemax_backward_rows_f32's bits. An infinite beta gives dx = 0; a
 * NaN in y makes the row of dx NaN; NaN in dy on S propagates. Options,
 * shapes, errors and overlaps as sm_entmax_rows_f32 and
 * sm_sparsemax_backward_rows_f32 (dx may equal y or dy). */
SM_API SM_NODISCARD sm_status sm_entmax_backward_rows_f32(
    size_t rows, size_t cols, const float *y, size_t ldy, const float *dy,
    size_t lddy, float *dx, size_t lddx, const sm_entmax_options *options);

/* ---- losses and their gradients ------------------------------------------ */
/* Each loss is computed from the logits x (rows x cols, stride ldx) at
 * inverse temperature beta in as few passes as the options allow, with its
 * gradient with respect to x written to grad (stride ldg) when grad is not
 * NULL. grad may equal x (ldg == ldx): the logits are replaced by their
 * gradient. No other overlap between any two arguments is allowed
 * (SM_EOVERLAP). loss may be NULL (only the gradient is wanted).
 *
 * Reductions (options->reduction, MEAN by default): SM_REDUCTION_NONE
 * writes one loss per row to loss[rows] and the gradient of each row's own
 * loss; SUM and MEAN write one float to loss[0] and the gradient of that
 * value. Row losses are summed in double in row order and rounded once.
 * MEAN divides by the number of rows (for cross-entropy: by the total class
 * weight of the rows not ignored, as PyTorch does); a MEAN over nothing (no
 * rows, every row ignored, or a total weight of 0) is 0 with a zero
 * gradient, not 0/0. A reduction other than these three is SM_EINVAL.
 *
 * Every row loss is a sum of f32 terms w_i * nl_i (nl_i = -log p_i exactly
 * as minus log-softmax returns it, p_i exactly as softmax does), added in
 * double in the contract's lane and chunk order: bit-identical on every ISA.
 * A term whose weight w_i (target probability, probability, class weight) is
 * 0 adds 0 even where nl_i is infinite (0 log 0 = 0). Accuracy: each row
 * loss is within 4 ulp + (3 + 2T) * 2^-24 * (sum_i |w_i| (L + |t_i|)) of the
 * exact value from the same f32 logits (t, T and L as in the accuracy bounds
 * above), i.e. the log-softmax bound carried through a sum of positive
 * terms; KL's terms add the error of log q_i (1 ulp) and may cancel (KL
 * near 0 is accurate to that absolute error, not relatively). Gradients are
 * formed from p_i in a fixed sequence of f32 operations (each function says
 * which) and the last product, by the scale, is +0 where the factor before
 * it is 0, so an infinite beta gives the hardmax limit 0 there, not NaN;
 * each entry is within 16 ulp + 1e-6 |beta s| of the exact value
 * (T s in place of beta s for distillation; s the reduction's scale).
 * SM_FAST_EXP selects our exp as for the forward functions; the loss bound's
 * 4 ulp (KL: 5) then grows by 1. NaN in a row (logits, targets or
 * teacher logits) gives a NaN loss and a NaN gradient row. */

/* Fused softmax cross-entropy from integer class labels (labels[rows], each
 * in [0, cols) or ignore_index; anything else is SM_EINVAL and nothing is
 * written). Row loss, with w the class weights (all 1 without), c the
 * label, K = cols and nl_i = -log p_i as above:
 *   (1 - eps) w_c nl_c + (eps / K) sum_i w_i nl_i + lambda/2 sum_i x_i^2
 * (without smoothing, weights and L2 exactly minus log-softmax's output at
 * the label: LSE(beta x) - beta x_c). Gradient, s the reduction's scale
 * (1, or 1 / total weight for MEAN):
 *   grad_i = (p_i W - w_i q_i) (beta s) + x_i (lambda s)
 * with q = (1 - eps) onehot(c) + eps/K and W = sum_i w_i q_i rounded to f32
 * (W = 1 and p_i W = p_i without weights). Without smoothing and L2 this
 * costs the passes of one softmax over the rows. A fully masked row (every
 * logit the wrong infinity) has p = 0: loss +inf (0 if w_c = 0).
 * label_smoothing outside [0, 1], a negative or non-finite l2 or class
 * weight: SM_EINVAL. */
SM_API SM_NODISCARD sm_status sm_cross_entropy_rows_f32(
    size_t rows, size_t cols, const float *x, size_t ldx,
    const int32_t *labels, float *loss, float *grad, size_t ldg,
    const sm_cross_entropy_options *options);

/* Cross-entropy against target distributions q (rows x cols, stride ldq):
 * row loss sum_i q_i nl_i; gradient grad_i = (p_i Q - q_i) (beta s) with
 * Q = sum_i q_i rounded to f32 (so targets need not be normalised). */
SM_API SM_NODISCARD sm_status sm_soft_cross_entropy_rows_f32(
    size_t rows, size_t cols, const float *x, size_t ldx, const float *q,
    size_t ldq, float *loss, float *grad, size_t ldg,
    const sm_loss_options *options);

/* KL divergence D(q || softmax_beta(x)) = sum_i q_i (log q_i - log p_i),
 * with log q_i from SLEEF's logf and log p_i = t_i - lse as log-softmax
 * returns it; terms with q_i = 0 add 0. KL = H(q, p) - H(q), so the
 * gradient is that of sm_soft_cross_entropy_rows_f32. q_i < 0 gives NaN. */
SM_API SM_NODISCARD sm_status sm_kl_div_rows_f32(
    size_t rows, size_t cols, const float *x, size_t ldx, const float *q,
    size_t ldq, float *loss, float *grad, size_t ldg,
    const sm_loss_options *options);

/* Knowledge-distillation loss T^2 KL(softmax(teacher / T) || softmax(
 * student / T)) per row, with T = 1 / beta (options->beta > 0 and finite,
 * else SM_EINVAL): both softmaxes at beta, log q_i the teacher's
 * log-softmax, and the loss scale T^2 = 1 / beta^2 computed in double.
 * Gradient with respect to the student's logits: grad_i = (p_i - q_i)
 * (T^2 beta s) with the factor rounded once to f32 (about T s). The
 * teacher's rows are read, never written; grad may equal student. */
SM_API SM_NODISCARD sm_status sm_distillation_rows_f32(
    size_t rows, size_t cols, const float *student, size_t lds,
    const float *teacher, size_t ldt, float *loss, float *grad, size_t ldg,
    const sm_loss_options *options);

/* Entropy H(softmax_beta(x)) = sum_i p_i nl_i per row, into loss (reduced
 * like a loss), and its gradient dH/dx_i = beta p_i (nl_i - H), computed as
 * (p_i (nl_i - (float) H)) (beta s), 0 where p_i = 0. A fully masked row
 * has H = 0. */
SM_API SM_NODISCARD sm_status sm_entropy_rows_f32(
    size_t rows, size_t cols, const float *x, size_t ldx, float *loss,
    float *grad, size_t ldg, const sm_loss_options *options);

/* ---- attention decode: o_h = sum_i softmax_i(s q_h . k_i + mask_i) v_i -- */
/*
 * One query per head against n keys and values (decode time), scores,
 * softmax and weighted sum fused in one pass over K and V (the online
 * recurrence of FlashAttention; the keys split into pieces whose states
 * merge, as flash-decoding does).
 *
 * Shapes and layout (strides in elements, each >= d; d entries contiguous):
 *   heads query heads, q row h at q + h ldq; o row h at o + h ldo.
 *   kv_heads key/value heads (heads a multiple of kv_heads: grouped-query,
 *   multi-query when kv_heads = 1); head h reads kv head
 *   h / (heads / kv_heads). Key i of kv head g at k + i ldk_token +
 *   g ldk_head (a KV cache [n][kv_heads][d]: ldk_token = kv_heads d,
 *   ldk_head = d; [kv_heads][n][d]: ldk_token = d, ldk_head = n d); values
 *   likewise with ldv_token, ldv_head.
 *   Only keys i < min(n, valid_length) are read; mask (options) holds one
 *   float per key, shared by every head (-inf: the key is left out).
 *
 * The order of operations (the same on every ISA and vector length, so
 * the same bits; SM_FAST_EXP selects the fast exp as elsewhere):
 *   1. x_i = (q . k_i) * s + mask_i in f32 (no add without a mask). q . k
 *      is 16 chains of FMAs, chain l taking j = l (mod 16) in increasing j
 *      from +0 (entries past d as 0, up to a multiple of 16), folded
 *      l += l+8, l += l+4, l += l+2, l += l+1.
 *   2. Keys in blocks of 32 (SM_ATTENTION_BLOCK in the source) within
 *      pieces of 512 keys, each piece from the empty state (m = -inf, l =
 *      0, acc = 0). Per block: b = its largest x_i; if b > m, alpha =
 *      exp(m - b), l = l alpha, acc_j = acc_j alpha, m = b. Then
 *      e_i = exp(x_i - m) (exactly 1 where x_i == m), l += e_i and
 *      acc_j = fma(e_i, v_ij, acc_j) in increasing i. A key whose e_i is 0
 *      adds nothing to the head (NaN or garbage in its values is
 *      harmless); the values of a key masked with -inf are not read.
 *   3. Pieces merge in order: the first that takes a key is copied; then
 *      M = max(m, m'), a = exp(m - M), a' = exp(m' - M) (1 where equal),
 *      acc = acc a + acc' a', l = l a + l' a' (f32, each product rounded).
 *   4. o_hj = acc_j * (1 / l) in f32; lse_h = m + log(l) in double, rounded
 *      once: the logsumexp of the head's x_i, for merging calls over
 *      disjoint key ranges (o = sum_c exp(lse_c - L) o_c, L = logsumexp of
 *      the lse_c).
 *
 * Accuracy against an exact evaluation from the same f32 inputs (tested
 * in tests/test_attention.c): x_i is within
 *   dx_i = (d/16 + 6) 2^-24 (s sum_j |q_j k_ij| + |x_i|)
 * (the 16 chains of about d/16 FMAs, the fold, the scale and the mask);
 * with p_i the exact weights, t_i = x_i - max_k x_k and
 * c = min(n, 512) + n/512 + 2 n/32 + 12 (a piece's sequential sums, the
 * merges, the rescales, the exps and the final scaling), each o_hj is
 * within
 *   sum_i p_i |v_ij| (2 max_i dx_i + (c + 2 |t_i|) 2^-24)
 * and lse_h within max_i dx_i + (c + 2 max_i p_i |t_i|) 2^-24 + 2 ulp.
 * The dot products' rounding is the term to watch: it grows with d and
 * with s |q| |k| against the spread of the scores.
 *
 * Special values, per head: a NaN score (NaN in q, k, the mask, or an
 * inf * 0 in the product) makes the head's o and lse NaN (the library's
 * NaN 0x7fc00000); a NaN in a value read makes the o entries it reaches
 * NaN (an infinite one gives +-inf or NaN there); scores of +inf share
 * the mass equally (o the mean of their values, lse +inf); a head with
 * no key taken (n or valid_length 0, every key masked) gets o = 0 and
 * lse = -inf, as a fully masked row does.
 *
 * Errors (nothing written): SM_EINVAL for kv_heads 0, heads not a multiple
 * of kv_heads, d 0, a stride < d, q or o NULL (heads > 0), k or v NULL
 * with keys to read, an options size out of range, unknown flags, a
 * negative, NaN or infinite scale; SM_ERANGE when an extent overflows;
 * SM_EOVERLAP when o or lse overlaps an input or each other (their byte
 * ranges from first to last element). heads 0: SM_OK, nothing written. */
typedef struct sm_attention_options {
    size_t size;         /* sizeof(sm_attention_options) */
    float scale;         /* s > 0 and finite; 0 (the default): 1/sqrt(d),
                            (float)(1.0 / sqrt((double)d)) */
    sm_flags flags;      /* SM_FAST_EXP */
    const float *mask;   /* NULL, or one additive float per key */
    size_t valid_length; /* keys used: min(n, valid_length); SIZE_MAX: n */
    float *lse;          /* NULL, or heads floats: each head's logsumexp */
} sm_attention_options;
#define SM_ATTENTION_OPTIONS_INIT \
    { sizeof(sm_attention_options), 0.0f, 0u, NULL, SIZE_MAX, NULL }

SM_API SM_NODISCARD sm_status sm_attention_decode_f32(
    size_t heads, size_t kv_heads, size_t n, size_t d,
    const float *q, size_t ldq,
    const float *k, size_t ldk_token, size_t ldk_head,
    const float *v, size_t ldv_token, size_t ldv_head,
    float *o, size_t ldo, const sm_attention_options *options);

/* ---- instruction sets ---------------------------------------------------- */
/* The kernels are chosen once, at load time, from the CPU's features: the
 * best ISA the CPU and this build support, capped by the environment
 * variable SOFTMAX_ISA=scalar|avx2|avx512|neon|sve if set (the best
 * supported ISA at or below it is used). */

/* The ISA whose kernels serve calls now. */
SM_API sm_isa sm_isa_active(void);

/* Bit (1u << isa) for every ISA the CPU and this build support. */
SM_API unsigned sm_isa_supported(void);

/* Routes every later call, process-wide, to exactly this ISA's kernels.
 * SM_ENOTSUP if the CPU or build lacks it, SM_EINVAL if it is not an ISA.
 * SM_ISA_AUTO returns to the automatic choice. Safe to call concurrently
 * with computations: each call uses one ISA from start to end. Results do
 * not change (the contract is bit-exact); speed does. */
SM_API SM_NODISCARD sm_status sm_isa_force(sm_isa isa);

/* "scalar", "avx2", "avx512", "neon", "sve"; "auto" for SM_ISA_AUTO;
 * "unknown" otherwise. */
SM_API const char *sm_isa_name(sm_isa isa);

/* Parses a name as printed by sm_isa_name (case-insensitive). SM_EINVAL if
 * the name is NULL or unknown. */
SM_API SM_NODISCARD sm_status sm_isa_from_name(const char *name, sm_isa *isa);

/* The CPU features the dispatcher saw, e.g. "avx2 fma3 avx512f ...". */
SM_API const char *sm_cpu_features(void);

/* ---- errors and version -------------------------------------------------- */

/* A short English description of a status; never NULL. */
SM_API const char *sm_strerror(sm_status status);

/* The library's version at run time, e.g. "0.2.0" (SM_VERSION_STRING of the
 * header it was built with). */
SM_API const char *sm_version(void);

#ifdef __cplusplus
}
#endif

#endif /* SOFTMAX_H */
