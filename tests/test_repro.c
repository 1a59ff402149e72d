/*
 * Cross-architecture reproducibility: a fixed set of rows (random from a
 * fixed seed, plus adversarial ones) through every public operation at
 * several beta, every output's bits hashed with FNV-1a 64. Every ISA here,
 * on x86-64 and on AArch64 (any SVE vector length), must give the one hash
 * below: the numerics contract is the same bits everywhere.
 *
 * NaN outputs hash as one canonical NaN: the contract promises NaN, not its
 * payload, and x86 and ARM generate different default NaNs (sign bit).
 * (Today every NaN the library returns is the same quiet NaN, so the raw
 * bits agree too.)
 *
 * The decoding functions (argmax, top-n, sampling) hash apart, into
 * REPRO_DECODE_HASH: the indices, log-probabilities, sampled tokens and
 * their probabilities, for fixed seeds and counters; Gumbel-max, the
 * sampler with bias and penalties, and speculative verification into
 * REPRO_SAMPLING_HASH (every row but the longest); the online state
 * (pieces that are not chunks, merged pairwise) into REPRO_STREAM_HASH;
 * attention decode (several pieces, GQA, MQA, masks, odd d, both exps,
 * outputs and logsumexps) into REPRO_ATTENTION_HASH; sparsemax (several
 * beta), its backward pass and hardmax into REPRO_SPARSE_HASH;
 * alpha-entmax (1.5 at several beta, 1.25 and 3 at two) and its backward
 * pass into REPRO_ENTMAX_HASH, and Gumbel-softmax (soft and hard, both
 * exps, three beta, two seeds and counters; both outputs and the softmax
 * backward of the soft one) into REPRO_GUMBEL_SOFTMAX_HASH, both over
 * every row but the longest (entmax has no chunks; the 4099-entry row
 * takes its long-row path).
 *
 * If an intended change of the contract changes the bits, update
 * REPRO_HASH from this program's output on any machine, and check that the
 * other architecture prints the same (scripts/test-arm.sh runs it there).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "kernels.h"
#include "softmax.h"

#define REPRO_HASH 0xee0332d95dde4c88ULL
#define REPRO_DECODE_HASH 0xbfd41f13fc953dc6ULL
#define REPRO_SAMPLING_HASH 0x8a7c37f727d4deb6ULL
#define REPRO_STREAM_HASH 0x530d18a3577ea41bULL
#define REPRO_ATTENTION_HASH 0xf73ce48f9ed62ed8ULL
#define REPRO_SPARSE_HASH 0x83ba02968430a41cULL
#define REPRO_ENTMAX_HASH 0x91307aa68a348981ULL
#define REPRO_GUMBEL_SOFTMAX_HASH 0x4d3fb49ef52e637eULL

/* FNV-1a 64 over each float's bits, least significant byte first. */
struct hash {
    uint64_t h;
    size_t count;
};

static void hash_floats(struct hash *hs, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], sizeof u);
        if (v[i] != v[i])
            u = 0x7fc00000u;
        for (int b = 0; b < 4; b++) {
            hs->h ^= (u >> (8 * b)) & 0xffu;
            hs->h *= 0x100000001b3ULL;
        }
    }
    hs->count += n;
}

/* xorshift64* and exact steps only (a 24-bit integer times a power of two,
 * then one multiply-add compiled without contraction): the same floats on
 * every machine. */
static uint64_t next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static float uniform(uint64_t *s, float lo, float hi)
{
    const float u = (float)(next(s) >> 40) * 0x1p-24f;
    return lo + (hi - lo) * u;
}

enum kind { RANDOM, WIDE, HUGE, POS_INF, NEG_INF, ALL_NEG_INF, NAN_ONE,
            SUBNORMAL, TIES, ALL_EQUAL, DOMINANT, CHUNKS };

struct row {
    enum kind kind;
    size_t n;
};

/* Every vector width's tails (1, 4, 8, 16, 32 lanes and their
 * neighbours), the adversarial patterns, and one row over a chunk
 * boundary whose chunks have different maxima (the rescaled combine). */
static const struct row rows[] = {
    {RANDOM, 1}, {RANDOM, 2}, {RANDOM, 3}, {RANDOM, 4}, {RANDOM, 5},
    {RANDOM, 7}, {RANDOM, 8}, {RANDOM, 9}, {RANDOM, 15}, {RANDOM, 16},
    {RANDOM, 17}, {RANDOM, 31}, {RANDOM, 32}, {RANDOM, 33}, {RANDOM, 63},
    {RANDOM, 64}, {RANDOM, 65}, {RANDOM, 100}, {RANDOM, 257},
    {RANDOM, 1000}, {RANDOM, 4099}, {WIDE, 300}, {HUGE, 40}, {POS_INF, 37},
    {NEG_INF, 70}, {ALL_NEG_INF, 33}, {NAN_ONE, 45}, {SUBNORMAL, 50},
    {TIES, 99}, {ALL_EQUAL, 20}, {DOMINANT, 24}, {CHUNKS, SM_CHUNK + 33},
};

static void fill(float *x, const struct row *r, uint64_t *s)
{
    const size_t n = r->n;
    for (size_t i = 0; i < n; i++) {
        switch (r->kind) {
        case WIDE: x[i] = uniform(s, -120.0f, 120.0f); break;
        case HUGE: x[i] = uniform(s, -3e38f, 3e38f); break;
        case NEG_INF:
            x[i] = next(s) % 4 == 0 ? -INFINITY : uniform(s, -10.0f, 10.0f);
            break;
        case ALL_NEG_INF: x[i] = -INFINITY; break;
        case SUBNORMAL:
            /* subnormal logits, and exact subnormal bit patterns */
            x[i] = i % 2 ? uniform(s, -1e-38f, 1e-38f)
                         : (float)(next(s) % 4096) * 0x1p-149f;
            break;
        case TIES: x[i] = (float)(next(s) % 3); break;
        case ALL_EQUAL: x[i] = 2.5f; break;
        case DOMINANT: x[i] = i == 5 ? 100.0f : uniform(s, -1.0f, 1.0f); break;
        case CHUNKS:
            x[i] = uniform(s, -5.0f, 5.0f) + (float)(i / SM_CHUNK) * 3.0f;
            break;
        default: x[i] = uniform(s, -10.0f, 10.0f); break;
        }
    }
    if (r->kind == POS_INF) {
        x[next(s) % n] = INFINITY;
        x[next(s) % n] = INFINITY;
    } else if (r->kind == NAN_ONE) {
        x[next(s) % n] = NAN;
    }
}

static int failures;

static void ok(sm_status st, const char *what, size_t n, float beta)
{
    if (st != SM_OK) {
        fprintf(stderr, "%s n=%zu beta=%g: %s\n", what, n, (double)beta,
                sm_strerror(st));
        failures++;
    }
}

static const float fwd_betas[] = {1.0f, 0.5f, -2.0f, 0.0f, INFINITY};
static const float grad_betas[] = {1.0f, -2.0f};

/* The forward operations, both exps, at every beta. */
static void forward(struct hash *hs, const float *x, size_t n, float *y,
                    size_t nb)
{
    for (size_t b = 0; b < nb; b++) {
        const float beta = fwd_betas[b];
        for (unsigned flags = 0; flags <= SM_FAST_EXP; flags += SM_FAST_EXP) {
            float lse;
            const sm_options o = {sizeof o, beta, flags, NULL};
            ok(sm_softmax_rows_f32(1, n, x, n, y, n, &o), "softmax", n, beta);
            hash_floats(hs, y, n);
            ok(sm_log_softmax_rows_f32(1, n, x, n, y, n, &o), "log_softmax", n,
               beta);
            hash_floats(hs, y, n);
            ok(sm_logsumexp_rows_f32(1, n, x, n, &lse, &o), "logsumexp", n,
               beta);
            hash_floats(hs, &lse, 1);
        }
    }
}

/* st[lo, hi) merged pairwise into st[lo]. */
static void merge_pairwise(sm_softmax_state *st, size_t lo, size_t hi)
{
    if (hi - lo < 2)
        return;
    const size_t mid = lo + (hi - lo) / 2;
    merge_pairwise(st, lo, mid);
    merge_pairwise(st, mid, hi);
    ok(sm_softmax_state_merge(1, &st[mid], &st[lo]), "state_merge", hi - lo,
       st[lo].beta);
}

/* The online state over pieces of 37 entries (4099 in long rows), each
 * folded with its exps into a state of its own, merged pairwise: the
 * row's state, logsumexp, softmax and log-softmax from it, and the
 * scaled exps. */
static void streaming(struct hash *hs, const float *x, size_t n, float *y,
                      float *e, size_t nb)
{
    enum { MAX_PIECES = 300 };
    static sm_softmax_state st[2 * MAX_PIECES];
    const size_t piece = n > 10000 ? 4099 : 37;
    const size_t pieces = (n + piece - 1) / piece;
    if (pieces > MAX_PIECES) {
        fprintf(stderr, "repro: a row of %zu is too long to stream\n", n);
        failures++;
        return;
    }
    for (size_t b = 0; b < nb; b++) {
        const float beta = fwd_betas[b];
        for (unsigned flags = 0; flags <= SM_FAST_EXP; flags += SM_FAST_EXP) {
            const sm_options o = {sizeof o, beta, flags, NULL};
            ok(sm_softmax_state_init(pieces, st, &o), "state_init", n, beta);
            for (size_t p = 0; p < pieces; p++) {
                const size_t at = p * piece;
                const size_t len = n - at < piece ? n - at : piece;
                ok(sm_softmax_state_fold_rows_f32(1, len, x + at, len, e + at,
                                                  len, &st[p]),
                   "state_fold", n, beta);
            }
            /* copies of the pieces' states merged pairwise: the row's */
            sm_softmax_state *total = st + pieces;
            memcpy(total, st, pieces * sizeof *st);
            merge_pairwise(total, 0, pieces);
            float v[9];
            memcpy(v, total, sizeof *total);
            ok(sm_softmax_state_logsumexp(1, total, &v[8]),
               "state_logsumexp", n, beta);
            hash_floats(hs, v, 9);
            ok(sm_softmax_state_softmax_rows_f32(1, n, x, n, total, y, n),
               "state_softmax", n, beta);
            hash_floats(hs, y, n);
            ok(sm_softmax_state_log_softmax_rows_f32(1, n, x, n, total, y, n),
               "state_log_softmax", n, beta);
            hash_floats(hs, y, n);
            for (size_t p = 0; p < pieces; p++) {
                const size_t at = p * piece;
                const size_t len = n - at < piece ? n - at : piece;
                ok(sm_softmax_state_scale_rows_f32(1, len, &st[p], total,
                                                   e + at, len),
                   "state_scale", n, beta);
            }
            hash_floats(hs, e, n);
        }
    }
}

/* Both backward passes at their forward outputs, and the Jacobian. */
static void gradients(struct hash *hs, const float *x, const float *dy,
                      size_t n, float *y, float *dx, float *jac)
{
    for (size_t b = 0; b < sizeof grad_betas / sizeof grad_betas[0]; b++) {
        const float beta = grad_betas[b];
        sm_options o = SM_OPTIONS_INIT;
        o.beta = beta;
        ok(sm_softmax_rows_f32(1, n, x, n, y, n, &o), "softmax", n, beta);
        ok(sm_softmax_backward_rows_f32(1, n, y, n, dy, n, dx, n, &o),
           "softmax_backward", n, beta);
        hash_floats(hs, dx, n);
        ok(sm_log_softmax_rows_f32(1, n, x, n, y, n, &o), "log_softmax", n, beta);
        ok(sm_log_softmax_backward_rows_f32(1, n, y, n, dy, n, dx, n, &o),
           "log_softmax_backward", n, beta);
        hash_floats(hs, dx, n);
        if (jac) {
            ok(sm_softmax_jacobian_f32(n, x, jac, n, &o), "jacobian", n, beta);
            hash_floats(hs, jac, n * n);
        }
    }
}

/* The losses with their gradients: cross-entropy plain and with every
 * option, soft targets q, KL, distillation from the teacher logits dy,
 * entropy; both exps. w: class weights, q: a target distribution. */
static void losses(struct hash *hs, const float *x, const float *dy, size_t n,
                   const float *w, const float *q, float *dx)
{
    const int32_t label = (int32_t)(n / 3);
    for (size_t b = 0; b < sizeof grad_betas / sizeof grad_betas[0]; b++)
        for (unsigned flags = 0; flags <= SM_FAST_EXP; flags += SM_FAST_EXP) {
            const float beta = grad_betas[b];
            float loss;
            sm_cross_entropy_options o = SM_CROSS_ENTROPY_OPTIONS_INIT;
            o.beta = beta;
            o.flags = flags;
            sm_loss_options lo = SM_LOSS_OPTIONS_INIT;
            lo.beta = beta;
            lo.flags = flags;
            lo.reduction = SM_REDUCTION_SUM;
            /* distillation at T = 2 */
            sm_loss_options dlo = lo;
            dlo.beta = 0.5f;
            for (int all = 0; all < 2; all++) {
                if (all) {
                    o.label_smoothing = 0.1f;
                    o.class_weights = w;
                    o.l2 = 0.01f;
                }
                ok(sm_cross_entropy_rows_f32(1, n, x, n, &label, &loss, dx, n, &o),
                   "cross_entropy", n, beta);
                hash_floats(hs, &loss, 1);
                hash_floats(hs, dx, n);
            }
            ok(sm_soft_cross_entropy_rows_f32(1, n, x, n, q, n, &loss, dx, n, &lo),
               "soft_ce", n, beta);
            hash_floats(hs, &loss, 1);
            hash_floats(hs, dx, n);
            ok(sm_kl_div_rows_f32(1, n, x, n, q, n, &loss, dx, n, &lo), "kl", n,
               beta);
            hash_floats(hs, &loss, 1);
            hash_floats(hs, dx, n);
            ok(sm_distillation_rows_f32(1, n, x, n, dy, n, &loss, dx, n, &dlo),
               "distill", n, beta);
            hash_floats(hs, &loss, 1);
            hash_floats(hs, dx, n);
            ok(sm_entropy_rows_f32(1, n, x, n, &loss, dx, n, &lo), "entropy", n,
               beta);
            hash_floats(hs, &loss, 1);
            hash_floats(hs, dx, n);
        }
}

/* argmax, top-n and the sampler on one row: its indices and tokens hash as
 * their bits (as floats: small integers are never NaN patterns). */
static void decoding(struct hash *hs, const float *x, size_t n)
{
    static const float betas[] = {1.0f, -2.0f, 0.0f, INFINITY};
    static const float filters[][3] = { /* top_k, top_p, min_p */
        {0, 1.0f, 0.0f}, {40, 0.95f, 0.05f}, {0, 0.9f, 0.0f},
        {0, 1.0f, 0.2f}, {3, 1.0f, 0.0f},
    };
    int32_t idx[8];
    float v[8];
    for (size_t b = 0; b < sizeof betas / sizeof *betas; b++) {
        const sm_options o = {sizeof o, betas[b], b % 2 ? SM_FAST_EXP : 0, NULL};
        sm_status st = sm_argmax_rows_f32(1, n, x, n, idx, &o);
        if (st == SM_OK) {
            memcpy(v, idx, sizeof idx[0]);
            hash_floats(hs, v, 1);
        }
        ok(st, "argmax", n, betas[b]);
        const size_t k = n < 8 ? n : 8;
        ok(sm_top_rows_f32(1, n, k, x, n, idx, k, v + 0, k, &o), "top", n,
           betas[b]);
        hash_floats(hs, v, k);
        memcpy(v, idx, k * sizeof idx[0]);
        hash_floats(hs, v, k);
        for (size_t f = 0; f < sizeof filters / sizeof *filters; f++) {
            sm_sampler_options so = SM_SAMPLER_OPTIONS_INIT;
            so.beta = betas[b];
            so.flags = o.flags;
            so.seed = 0x5eed + f;
            so.top_k = (int32_t)filters[f][0];
            so.top_p = filters[f][1];
            so.min_p = filters[f][2];
            for (uint64_t c = 0; c < 3; c++) {
                int32_t tok;
                float pl[2];
                st = sm_sample_rows_f32(1, n, x, n, &c, &tok, pl, pl + 1, &so);
                if (st != SM_EDOMAIN)
                    ok(st, "sample", n, betas[b]);
                memcpy(v, &tok, sizeof tok);
                hash_floats(hs, v, 1);
                hash_floats(hs, pl, 2);
            }
        }
    }
}

/* Gumbel-max, the sampler with bias and penalties, and speculative
 * verification (targets x and dy, drafts from softmax(dy)) on one row. */
static void sampling(struct hash *hs, const float *x, const float *dy,
                     size_t n)
{
    float *t = malloc(2 * n * sizeof *t), *q = malloc(n * sizeof *q);
    void *work = malloc(8 * n);
    if (!t || !q || !work) {
        failures++;
        free(t);
        free(q);
        free(work);
        return;
    }
    memcpy(t, x, n * sizeof *t);
    memcpy(t + n, dy, n * sizeof *t);
    ok(sm_softmax_f32(n, dy, q), "softmax", n, 1.0f);
    static const float betas[] = {1.0f, -2.0f, 0.0f, INFINITY};
    const int32_t bias_token[2] = {0, (int32_t)(n / 2)};
    const float bias_value[2] = {1.5f, -0.75f};
    const int32_t history[4] = {(int32_t)(1 % n), (int32_t)(2 % n),
                                (int32_t)(1 % n), (int32_t)(n - 1)};
    const size_t offset[2] = {0, 4};
    for (size_t b = 0; b < sizeof betas / sizeof *betas; b++) {
        sm_sampler_options so = SM_SAMPLER_OPTIONS_INIT;
        so.beta = betas[b];
        so.seed = 0xfeed + b;
        for (uint64_t c = 0; c < 3; c++) {
            int32_t tok;
            float v[3];
            sm_status st = sm_gumbel_max_rows_f32(1, n, x, n, &c, &tok, &so);
            if (st != SM_EDOMAIN)
                ok(st, "gumbel", n, betas[b]);
            memcpy(v, &tok, sizeof tok);
            hash_floats(hs, v, 1);
            sm_sampler_options adj = so;
            adj.bias_count = 2;
            adj.bias_token = bias_token;
            adj.bias_value = bias_value;
            adj.repetition_penalty = 1.3f;
            adj.frequency_penalty = 0.2f;
            adj.presence_penalty = 0.1f;
            adj.history = history;
            adj.history_offset = offset;
            adj.workspace = work;
            adj.workspace_size = 8 * n;
            st = sm_sample_rows_f32(1, n, x, n, &c, &tok, v + 1, v + 2, &adj);
            if (st != SM_EDOMAIN)
                ok(st, "sample (adjusted)", n, betas[b]);
            memcpy(v, &tok, sizeof tok);
            hash_floats(hs, v, 3);
            if (!(betas[b] > 0.0f))
                continue;
            const int32_t draft = (int32_t)((c * 7 + n / 3) % n);
            size_t accepted;
            int32_t next;
            st = sm_speculative_verify_f32(1, n, t, n, &draft, q, n, c,
                                           &accepted, &next, &so);
            if (st != SM_EDOMAIN)
                ok(st, "speculative", n, betas[b]);
            v[0] = (float)accepted;
            memcpy(v + 1, &next, sizeof next);
            hash_floats(hs, v, 2);
        }
    }
    free(t);
    free(q);
    free(work);
}

/* Attention decode over a few shapes: several pieces of keys, grouped,
 * multi-query and multi-head layouts, a mask with -inf and a valid
 * length, d not a multiple of any vector width. */
static struct hash attention(void)
{
    static const struct {
        size_t heads, kv_heads, n, d;
        int mask;
    } shapes[] = {
        {8, 2, 1100, 64, 0}, {4, 4, 37, 100, 1}, {6, 1, 300, 17, 1},
        {32, 8, 96, 128, 0},
    };
    struct hash hs = {0xcbf29ce484222325ULL, 0};
    uint64_t s = 0xa77e4710de60de00ULL;
    for (size_t c = 0; c < sizeof shapes / sizeof shapes[0]; c++) {
        const size_t heads = shapes[c].heads, kv = shapes[c].kv_heads;
        const size_t n = shapes[c].n, d = shapes[c].d;
        float *q = malloc(heads * d * sizeof(float));
        float *k = malloc(n * kv * d * sizeof(float));
        float *v = malloc(n * kv * d * sizeof(float));
        float *mask = malloc(n * sizeof(float));
        float *o = malloc(heads * d * sizeof(float));
        float lse[32];
        if (!q || !k || !v || !mask || !o) {
            failures++;
            break;
        }
        for (size_t i = 0; i < heads * d; i++)
            q[i] = uniform(&s, -1.0f, 1.0f);
        for (size_t i = 0; i < n * kv * d; i++) {
            k[i] = uniform(&s, -1.0f, 1.0f);
            v[i] = uniform(&s, -2.0f, 2.0f);
        }
        for (size_t i = 0; i < n; i++)
            mask[i] = i % 5 == 2 ? -INFINITY : uniform(&s, -3.0f, 0.0f);
        for (int fast = 0; fast < 2; fast++) {
            sm_attention_options opt = SM_ATTENTION_OPTIONS_INIT;
            opt.flags = fast ? SM_FAST_EXP : 0u;
            opt.lse = lse;
            if (shapes[c].mask) {
                opt.mask = mask;
                opt.valid_length = n - 3;
                opt.scale = 0.3f;
            }
            ok(sm_attention_decode_f32(heads, kv, n, d, q, d, k, kv * d, d,
                                       v, kv * d, d, o, d, &opt),
               "attention_decode", n, 1.0f);
            hash_floats(&hs, o, heads * d);
            hash_floats(&hs, lse, heads);
        }
        free(o);
        free(mask);
        free(v);
        free(k);
        free(q);
    }
    return hs;
}

/* sparsemax of one row at several beta, its backward pass (finite beta)
 * and hardmax (beta != 0). */
static void sparse(struct hash *hs, const float *x, const float *dy, size_t n,
                   float *y, float *dx)
{
    static const float betas[] = {1.0f, 0.5f, -2.0f, 0.0f, INFINITY, 7.0f};
    for (size_t b = 0; b < sizeof betas / sizeof betas[0]; b++) {
        const sm_options o = {sizeof(sm_options), betas[b], 0u, NULL};
        ok(sm_sparsemax_rows_f32(1, n, x, n, y, n, &o), "sparsemax", n,
           betas[b]);
        hash_floats(hs, y, n);
        if (isfinite(betas[b])) {
            ok(sm_sparsemax_backward_rows_f32(1, n, y, n, dy, n, dx, n, &o),
               "sparsemax backward", n, betas[b]);
            hash_floats(hs, dx, n);
        }
        if (betas[b] != 0.0f) {
            ok(sm_hardmax_rows_f32(1, n, x, n, y, n, &o), "hardmax", n,
               betas[b]);
            hash_floats(hs, y, n);
        }
    }
}

/* alpha-entmax of one row at several alpha and beta, and its backward
 * pass (finite beta). */
static void entmax(struct hash *hs, const float *x, const float *dy, size_t n,
                   float *y, float *dx)
{
    static const float cases[][2] = { /* alpha, beta */
        {1.5f, 1.0f}, {1.5f, 0.5f}, {1.5f, -2.0f}, {1.5f, 0.0f},
        {1.5f, INFINITY}, {1.5f, 7.0f}, {1.25f, 1.0f}, {1.25f, -2.0f},
        {3.0f, 1.0f}, {3.0f, 0.5f},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sm_entmax_options o = SM_ENTMAX_OPTIONS_INIT;
        o.alpha = cases[c][0];
        o.beta = cases[c][1];
        ok(sm_entmax_rows_f32(1, n, x, n, y, n, &o), "entmax", n, o.beta);
        hash_floats(hs, y, n);
        if (isfinite(o.beta)) {
            ok(sm_entmax_backward_rows_f32(1, n, y, n, dy, n, dx, n, &o),
               "entmax backward", n, o.beta);
            hash_floats(hs, dx, n);
        }
    }
}

/* Gumbel-softmax of one row, soft and hard, both exps, at three beta and
 * two counters: the output, the soft sample and the soft sample's softmax
 * backward (its gradient). */
static void gumbel_softmax(struct hash *hs, const float *x, const float *dy,
                           size_t n, float *y, float *soft, float *dx)
{
    static const float betas[] = {1.0f, 0.5f, 4.0f};
    for (size_t b = 0; b < sizeof betas / sizeof betas[0]; b++)
        for (unsigned flags = 0; flags <= (SM_FAST_EXP | SM_GUMBEL_HARD);
             flags++)
            for (uint64_t c = 0; c < 2; c++) {
                sm_sampler_options so = SM_SAMPLER_OPTIONS_INIT;
                so.beta = betas[b];
                so.flags = flags;
                so.seed = 0x6b5e + c;
                ok(sm_gumbel_softmax_rows_f32(1, n, x, n, &c, y, n, soft, n,
                                              &so),
                   "gumbel_softmax", n, so.beta);
                hash_floats(hs, y, n);
                hash_floats(hs, soft, n);
                const sm_options o = {sizeof o, so.beta, 0u, NULL};
                ok(sm_softmax_backward_rows_f32(1, n, soft, n, dy, n, dx, n,
                                                &o),
                   "gumbel_softmax backward", n, so.beta);
                hash_floats(hs, dx, n);
            }
}

/* Everything through the active ISA. */
static struct hash run_all(float *x, float *dy, float *y, float *dx, float *jac,
                           float *w, float *q, struct hash *decode,
                           struct hash *extra, struct hash *stream,
                           struct hash *sparse_hs, struct hash *entmax_hs,
                           struct hash *gumbel_hs)
{
    struct hash hs = {0xcbf29ce484222325ULL, 0};
    *decode = hs;
    *extra = hs;
    *stream = hs;
    *sparse_hs = hs;
    *entmax_hs = hs;
    *gumbel_hs = hs;
    uint64_t s = 0x5eed0123456789abULL;
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        const size_t n = rows[r].n;
        fill(x, &rows[r], &s);
        for (size_t i = 0; i < n; i++)
            dy[i] = uniform(&s, -1.0f, 1.0f);
        /* The long row: the SLEEF and fast paths at two beta suffice. */
        forward(&hs, x, n, y, rows[r].kind == CHUNKS ? 3 : 5);
        streaming(stream, x, n, y, w, rows[r].kind == CHUNKS ? 2 : 5);
        decoding(decode, x, n);
        if (rows[r].kind != CHUNKS) {
            sampling(extra, x, dy, n);
            entmax(entmax_hs, x, dy, n, y, dx);
            gumbel_softmax(gumbel_hs, x, dy, n, y, w, dx);
        }
        gradients(&hs, x, dy, n, y, dx, n <= 65 ? jac : NULL);
        sparse(sparse_hs, x, dy, n, y, dx);
        for (size_t i = 0; i < n; i++)
            w[i] = i % 7 == 3 ? 0.0f : uniform(&s, 0.25f, 2.0f);
        ok(sm_softmax_f32(n, dy, q), "softmax", n, 1.0f);
        q[n / 2] = 0.0f; /* a zero target: 0 log 0 */
        losses(&hs, x, dy, n, w, q, dx);
    }
    return hs;
}

int main(void)
{
    const size_t max_n = SM_CHUNK + 33;
    float *x = malloc(max_n * sizeof(float)), *dy = malloc(max_n * sizeof(float));
    float *y = malloc(max_n * sizeof(float)), *dx = malloc(max_n * sizeof(float));
    float *jac = malloc(65 * 65 * sizeof(float));
    float *w = malloc(max_n * sizeof(float)), *q = malloc(max_n * sizeof(float));
    if (!x || !dy || !y || !dx || !jac || !w || !q)
        return 1;
    int ran = 0;
    for (int isa = 0; isa < SM_ISA_COUNT; isa++) {
        /* a run narrowed to some SIMD ISAs leaves scalar to the full run */
        if (!isa_available((sm_isa)isa) ||
            (isa == SM_ISA_SCALAR && test_isas_narrowed()))
            continue;
        if (sm_isa_force((sm_isa)isa) != SM_OK) {
            fprintf(stderr, "cannot force %s\n", sm_isa_name((sm_isa)isa));
            failures++;
            continue;
        }
        struct hash dec, extra, stream, sp, em, gs;
        const struct hash hs = run_all(x, dy, y, dx, jac, w, q, &dec, &extra,
                                       &stream, &sp, &em, &gs);
        const struct hash att = attention();
        const struct hash *got[8] = {&hs,  &dec, &extra, &stream,
                                     &att, &sp,  &em,    &gs};
        const uint64_t want[8] = {REPRO_HASH,        REPRO_DECODE_HASH,
                                  REPRO_SAMPLING_HASH, REPRO_STREAM_HASH,
                                  REPRO_ATTENTION_HASH, REPRO_SPARSE_HASH,
                                  REPRO_ENTMAX_HASH,
                                  REPRO_GUMBEL_SOFTMAX_HASH};
        static const char *const what[8] = {
            "contract", "decoding", "sampling", "stream", "attention",
            "sparse",   "entmax",   "gumbel-sm"};
        for (int h = 0; h < 8; h++) {
            const int match = got[h]->h == want[h];
            printf("repro: %-6s %-9s %zu values, FNV-1a 64 = 0x%016llx %s\n",
                   sm_isa_name((sm_isa)isa), what[h],
                   got[h]->count, (unsigned long long)got[h]->h,
                   match ? "(matches)" : "MISMATCH");
            if (!match) {
                fprintf(stderr, "repro: %s: hash 0x%016llx, expected "
                        "0x%016llx\n", sm_isa_name((sm_isa)isa),
                        (unsigned long long)got[h]->h,
                        (unsigned long long)want[h]);
                failures++;
            }
        }
        ran++;
    }
    ok(sm_isa_force(SM_ISA_AUTO), "isa_force auto", 0, 0.0f);
    printf("repro: %d ISA(s) on %s\n", ran, sm_cpu_features());
    free(q);
    free(w);
    free(jac);
    free(dx);
    free(y);
    free(dy);
    free(x);
    return failures || !ran ? 1 : 0;
}
