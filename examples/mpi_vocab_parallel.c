/*
 * mpi_vocab_parallel: softmax, log-softmax and the cross-entropy loss and
 * gradient over a vocabulary split across MPI ranks (Megatron-LM's
 * vocabulary-parallel cross-entropy), built on libsoftmax's online state,
 * and checked against the one-shot functions on the full rows.
 *
 * Each rank holds the columns [lo, hi) of every row (contiguous shards,
 * as even as integer division makes them). It folds its shard into one
 * sm_softmax_state per row, writing the shard's exps (against its own
 * maximum) as it goes; MPI_Allreduce with a user-defined operation built on
 * sm_softmax_state_merge gives every rank the rows' complete states; with
 * them each rank scales its exps into its shard of softmax (one exp per
 * entry in all) and writes its shards of log-softmax and the cross-entropy
 * gradient. The loss needs the label's entry, which one
 * rank owns: the owner contributes it to an MPI_Allreduce(SUM), the others
 * 0, as Megatron does with the label's logit.
 *
 * The logits are a function of (seed, row, global column), so every rank
 * also builds the full rows and runs sm_softmax_rows_f32,
 * sm_log_softmax_rows_f32, sm_logsumexp_rows_f32 and
 * sm_cross_entropy_rows_f32 (reduction NONE) on them for the check.
 * Exit status: 0 all checks pass, 1 a mismatch, 2 bad arguments.
 */
#include <inttypes.h>
#include <math.h>
#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "softmax.h"

#include "mpi_check.h"

#define CHUNK 262144 /* the numerics contract's chunk */

_Static_assert(sizeof(sm_softmax_state) == 32,
               "sm_softmax_state: 2 doubles, 2 floats, 2 uint32, no padding");

static int g_rank;

#define CHECK(call)                                                         \
    do {                                                                    \
        const sm_status st_ = (call);                                       \
        if (st_ != SM_OK) {                                                 \
            fprintf(stderr, "rank %d: %s: %s\n", g_rank, #call,             \
                    sm_strerror(st_));                                      \
            MPI_Abort(MPI_COMM_WORLD, 3);                                   \
        }                                                                   \
    } while (0)

struct args {
    size_t rows, vocab;
    float beta;
    uint64_t seed;
    bool fast_exp, expect_exact;
};

static const char usage[] =
    "usage: mpiexec -n P mpi_vocab_parallel [--rows R] [--vocab V] "
    "[--beta B]\n"
    "           [--seed S] [--fast-exp] [--expect-exact]\n"
    "  --rows R        rows (default 8)\n"
    "  --vocab V       columns, in P contiguous shards (default 50257)\n"
    "  --beta B        inverse temperature, finite (default 1)\n"
    "  --seed S        seed of the logits and labels (default 1)\n"
    "  --fast-exp      SM_FAST_EXP\n"
    "  --expect-exact  fail unless the split is one where the contract\n"
    "                  promises the one-shot bits (1 rank and a vocabulary\n"
    "                  of at most one chunk of 262144, or 2 ranks with a\n"
    "                  chunk each: -n 2 --vocab 524288)\n";

static bool parse_size(const char *s, size_t max, size_t *out)
{
    char *end;
    if (!s || *s == '-')
        return false;
    const unsigned long long v = strtoull(s, &end, 10);
    if (*end || end == s || v < 1 || v > max)
        return false;
    *out = (size_t)v;
    return true;
}

static bool parse_args(int argc, char **argv, struct args *a)
{
    const struct args defaults = {8, 50257, 1.0f, 1, false, false};
    *a = defaults;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (!strcmp(opt, "--fast-exp")) {
            a->fast_exp = true;
        } else if (!strcmp(opt, "--expect-exact")) {
            a->expect_exact = true;
        } else if (!strcmp(opt, "--rows")) {
            if (!parse_size(val, 1u << 16, &a->rows))
                return false;
            i++;
        } else if (!strcmp(opt, "--vocab")) {
            if (!parse_size(val, (size_t)1 << 26, &a->vocab))
                return false;
            i++;
        } else if (!strcmp(opt, "--beta") && val) {
            const double b = strtod(val, &end);
            if (*end || end == val || !isfinite((float)b))
                return false;
            a->beta = (float)b;
            i++;
        } else if (!strcmp(opt, "--seed") && val) {
            a->seed = strtoull(val, &end, 0);
            if (*end || end == val)
                return false;
            i++;
        } else {
            return false;
        }
    }
    return a->rows * a->vocab <= (size_t)1 << 27; /* 512 MiB a matrix */
}

/* ---- the data: a function of (seed, row, column) ------------------------ */

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t hash3(uint64_t seed, uint64_t a, uint64_t b)
{
    return mix64(mix64(mix64(seed) ^ a) ^ b);
}

/* Three kinds of rows, all offset by a multiple of 24 that depends on the
 * row: steps of 1/8 in [-8, 8), where hundreds of entries tie with the
 * maximum on every shard (the states' counts K must add up); the same with
 * rare peaks of +12 that few entries share (most shards' maxima are below
 * the row's); and 24-bit fractions in [-8, 8) with the peaks, where
 * x - m rounds differently against a shard's maximum than against the
 * row's. */
static float logit_at(uint64_t seed, size_t row, size_t col)
{
    const uint64_t h = hash3(seed, row, col);
    float x = row % 3 == 2 ? (float)(h >> 40) * 0x1p-20f - 8.0f
                           : (float)(h >> 57) * 0.125f - 8.0f;
    if (row % 3 != 0 && ((h >> 8) & 4095) == 0)
        x += 12.0f;
    return x + (float)((int)(row % 5) - 2) * 24.0f;
}

static int32_t label_of(uint64_t seed, size_t row, size_t vocab)
{
    return (int32_t)(hash3(seed, row, UINT64_MAX) % vocab);
}

/* Rows x [lo, hi) of the logits, stride hi - lo. */
static void fill_logits(uint64_t seed, size_t rows, size_t lo, size_t hi,
                        float *x)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t j = lo; j < hi; j++)
            x[r * (hi - lo) + (j - lo)] = logit_at(seed, r, j);
}

static void *xmalloc(size_t count, size_t size)
{
    void *p = malloc(count ? count * size : 1);
    if (!p) {
        fprintf(stderr, "rank %d: out of memory\n", g_rank);
        MPI_Abort(MPI_COMM_WORLD, 3);
    }
    return p;
}

/* ---- the state as an MPI datatype and reduction ------------------------- */

static MPI_Datatype state_datatype(void)
{
    int lengths[6] = {1, 1, 1, 1, 1, 1};
    MPI_Aint at[6] = {offsetof(sm_softmax_state, sum),
                      offsetof(sm_softmax_state, count),
                      offsetof(sm_softmax_state, max),
                      offsetof(sm_softmax_state, beta),
                      offsetof(sm_softmax_state, flags),
                      offsetof(sm_softmax_state, reserved)};
    MPI_Datatype types[6] = {MPI_DOUBLE,   MPI_DOUBLE, MPI_FLOAT,
                             MPI_FLOAT,    MPI_UNSIGNED /* sm_flags */,
                             MPI_UINT32_T};
    MPI_Datatype fields, resized;
    MPI_Type_create_struct(6, lengths, at, types, &fields);
    /* The extent of the C struct, so that arrays of states are contiguous
     * whatever padding rules MPI applies. */
    MPI_Type_create_resized(fields, 0, (MPI_Aint)sizeof(sm_softmax_state),
                            &resized);
    MPI_Type_free(&fields);
    MPI_Type_commit(&resized);
    return resized;
}

/* inout[i] = merge(in[i], inout[i]). The library checks both states (same
 * beta and flags); a refusal here is a bug, and the reduction cannot
 * report it: abort. */
static void merge_states(void *in, void *inout, int *len, MPI_Datatype *type)
{
    (void)type;
    if (sm_softmax_state_merge((size_t)*len, in, inout) != SM_OK) {
        fprintf(stderr, "rank %d: sm_softmax_state_merge refused\n", g_rank);
        MPI_Abort(MPI_COMM_WORLD, 3);
    }
}

/* ---- the vocabulary-parallel computation ------------------------------ */

struct shard_out {
    sm_softmax_state *state; /* rows: the rows' complete states */
    float *p, *y, *g;        /* rows x n: softmax, log-softmax, gradient */
    float *lse, *loss, *loss_lse; /* rows */
};

static void vocab_parallel(const struct args *a, size_t lo, size_t hi,
                           MPI_Datatype type, MPI_Op merge,
                           struct shard_out *o)
{
    const size_t rows = a->rows, n = hi - lo;
    float *x = xmalloc(rows * n, sizeof *x);
    fill_logits(a->seed, rows, lo, hi, x);

    sm_options opt = SM_OPTIONS_INIT;
    opt.beta = a->beta;
    opt.flags = a->fast_exp ? SM_FAST_EXP : 0u;
    /* the shard's own statistics, and its exps in p */
    sm_softmax_state *shard = xmalloc(rows, sizeof *shard);
    CHECK(sm_softmax_state_init(rows, shard, &opt));
    CHECK(sm_softmax_state_fold_rows_f32(rows, n, x, n, o->p, n, shard));
    memcpy(o->state, shard, rows * sizeof *shard);
    MPI_Allreduce(MPI_IN_PLACE, o->state, (int)rows, type, merge,
                  MPI_COMM_WORLD);

    CHECK(sm_softmax_state_logsumexp(rows, o->state, o->lse));
    CHECK(sm_softmax_state_scale_rows_f32(rows, n, shard, o->state, o->p, n));
    CHECK(sm_softmax_state_log_softmax_rows_f32(rows, n, x, n, o->state,
                                                o->y, n));
    free(shard);

    /* The label's entry from its owner: its log-probability (the loss is
     * minus it: Megatron's log(sum exp) - (x_c - max), with the library's
     * roundings) and beta x_c (the product of two floats is exact in
     * double), 0 from every other rank. */
    double *label = xmalloc(2 * rows, sizeof *label);
    for (size_t r = 0; r < rows; r++) {
        const size_t c = (size_t)label_of(a->seed, r, a->vocab);
        const bool mine = c >= lo && c < hi;
        label[r] = mine ? (double)o->y[r * n + (c - lo)] : 0.0;
        label[rows + r] = mine ? (double)a->beta * x[r * n + (c - lo)] : 0.0;
    }
    MPI_Allreduce(MPI_IN_PLACE, label, (int)(2 * rows), MPI_DOUBLE, MPI_SUM,
                  MPI_COMM_WORLD);
    for (size_t r = 0; r < rows; r++) {
        /* 0 - y, not -y: a log-probability of +0 is a loss of +0, as
         * the library's L - t_c gives it. */
        o->loss[r] = (float)(0.0 - label[r]);
        /* The unshifted form logsumexp - beta x_c, one rounding from
         * double: it loses the digits a large logsumexp cancels. */
        o->loss_lse[r] = (float)((double)o->lse[r] - label[rows + r]);
    }
    free(label);

    /* grad = (p - onehot(c)) beta: sm_cross_entropy_rows_f32's operations
     * for reduction NONE (scale s = 1, no weights, no smoothing), with its
     * +0 where p - onehot is 0. */
    for (size_t r = 0; r < rows; r++) {
        const size_t c = (size_t)label_of(a->seed, r, a->vocab);
        for (size_t j = 0; j < n; j++) {
            const float d = o->p[r * n + j] - (lo + j == c ? 1.0f : 0.0f);
            o->g[r * n + j] = d == 0.0f ? 0.0f : d * a->beta;
        }
    }
    free(x);
}

/* ---- the one-shot reference on the full rows -------------------------- */

struct reference {
    int32_t *labels;       /* rows */
    float *x, *p, *y, *g;  /* rows x vocab */
    float *lse, *loss;     /* rows */
    sm_softmax_state *state; /* the full rows folded in one piece */
};

static void one_shot(const struct args *a, struct reference *ref)
{
    const size_t rows = a->rows, v = a->vocab;
    fill_logits(a->seed, rows, 0, v, ref->x);
    sm_options opt = SM_OPTIONS_INIT;
    opt.beta = a->beta;
    opt.flags = a->fast_exp ? SM_FAST_EXP : 0u;
    CHECK(sm_softmax_rows_f32(rows, v, ref->x, v, ref->p, v, &opt));
    CHECK(sm_log_softmax_rows_f32(rows, v, ref->x, v, ref->y, v, &opt));
    CHECK(sm_logsumexp_rows_f32(rows, v, ref->x, v, ref->lse, &opt));
    for (size_t r = 0; r < rows; r++)
        ref->labels[r] = label_of(a->seed, r, v);
    sm_cross_entropy_options ce = SM_CROSS_ENTROPY_OPTIONS_INIT;
    ce.beta = a->beta;
    ce.flags = opt.flags;
    ce.reduction = SM_REDUCTION_NONE;
    CHECK(sm_cross_entropy_rows_f32(rows, v, ref->x, v, ref->labels,
                                    ref->loss, ref->g, v, &ce));
    CHECK(sm_softmax_state_init(rows, ref->state, &opt));
    CHECK(sm_softmax_state_fold_rows_f32(rows, v, ref->x, v, NULL, 0,
                                         ref->state));
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int ranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);

    struct args a;
    if (!parse_args(argc, argv, &a)) {
        if (g_rank == 0)
            fputs(usage, stderr);
        MPI_Finalize();
        return 2;
    }
    const size_t rows = a.rows, v = a.vocab, p = (size_t)ranks;
    const size_t lo = (size_t)g_rank * v / p;
    const size_t hi = (size_t)(g_rank + 1) * v / p, n = hi - lo;
    /* The contract's exact case: the rows folded in order on chunk
     * boundaries, each shard at most one chunk (softmax scales each chunk's
     * own exps). One merge of rank 0's chunk with rank 1's is that fold
     * (the merge is symmetric, so either operand order). */
    const size_t lo1 = v / p;
    const bool exact = (p == 1 && v <= CHUNK) ||
                       (p == 2 && lo1 == CHUNK && v - lo1 <= CHUNK);
    if (a.expect_exact && !exact) {
        if (g_rank == 0)
            fprintf(stderr, "mpi_vocab_parallel: --expect-exact: %d ranks "
                            "and vocab %zu are not the contract's exact "
                            "case\n%s", ranks, v, usage);
        MPI_Finalize();
        return 2;
    }

    MPI_Datatype type = state_datatype();
    MPI_Op merge;
    /* merge(a, b) has the bits of merge(b, a), so the operation is
     * commutative as MPI means it. It is associative only up to rounding,
     * which MPI assumes of every operation, commutative or not: the
     * reduction tree may differ between ranks, so main checks below that
     * every rank holds rank 0's bits. */
    MPI_Op_create(merge_states, 1, &merge);

    struct shard_out o = {
        .state = xmalloc(rows, sizeof(sm_softmax_state)),
        .p = xmalloc(rows * n, sizeof(float)),
        .y = xmalloc(rows * n, sizeof(float)),
        .g = xmalloc(rows * n, sizeof(float)),
        .lse = xmalloc(rows, sizeof(float)),
        .loss = xmalloc(rows, sizeof(float)),
        .loss_lse = xmalloc(rows, sizeof(float)),
    };
    vocab_parallel(&a, lo, hi, type, merge, &o);

    /* Every rank must hold the same states, bit for bit. */
    sm_softmax_state *root = xmalloc(rows, sizeof *root);
    memcpy(root, o.state, rows * sizeof *root);
    MPI_Bcast(root, (int)rows, type, 0, MPI_COMM_WORLD);
    const bool same_states = !memcmp(root, o.state, rows * sizeof *root);
    free(root);

    struct reference ref = {
        .labels = xmalloc(rows, sizeof(int32_t)),
        .x = xmalloc(rows * v, sizeof(float)),
        .p = xmalloc(rows * v, sizeof(float)),
        .y = xmalloc(rows * v, sizeof(float)),
        .g = xmalloc(rows * v, sizeof(float)),
        .lse = xmalloc(rows, sizeof(float)),
        .loss = xmalloc(rows, sizeof(float)),
        .state = xmalloc(rows, sizeof(sm_softmax_state)),
    };
    one_shot(&a, &ref);

    const struct check_case cc = {
        .rows = rows, .vocab = v, .lo = lo, .hi = hi, .beta = a.beta,
        .fast_exp = a.fast_exp, .exact = exact, .labels = ref.labels,
        .rank = g_rank,
    };
    struct check_result res;
    check_shard(&cc, &o.state[0], o.p, o.y, o.g, o.lse, o.loss, o.loss_lse,
                ref.x, ref.p, ref.y, ref.g, ref.lse, ref.loss, ref.state,
                &res);
    res.states_differ = !same_states;
    if (!same_states)
        fprintf(stderr, "rank %d: the reduced states differ from rank 0's\n",
                g_rank);
    const bool ok = report(&cc, ranks, &res, sm_isa_name(sm_isa_active()),
                           (unsigned long long)a.seed);

    MPI_Op_free(&merge);
    MPI_Type_free(&type);
    free(o.state), free(o.p), free(o.y), free(o.g);
    free(o.lse), free(o.loss), free(o.loss_lse);
    free(ref.labels), free(ref.x), free(ref.p), free(ref.y), free(ref.g);
    free(ref.lse), free(ref.loss), free(ref.state);
    MPI_Finalize();
    return ok ? 0 : 1;
}
