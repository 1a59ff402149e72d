/*
 * Gumbel-max sampling: the token is the first index of the largest key
 * beta x_i + g_i, g_i = -log(-log u_i) with u_i from the counter-based
 * generator; equal in distribution to sampling softmax_beta(x). Entries at
 * the infinity on beta's side (+inf for beta > 0) outrank every finite
 * key and compete among themselves on g_i alone, as softmax gives them
 * all the mass; beta = 0 ignores x (every entry alike).
 *
 * Row r's entry 32 j + 8 k + b takes word k of Philox block (counter[r],
 * 8 j + b), u = (word + 1/2) 2^-32. A key is computed exactly, in double
 * with the fixed-order log1p of log1p.h, only for the entries that could
 * beat the best key so far; a vector filter, in generic vector code,
 * finds them: with E = -log u >= 1 - u, the key can exceed T only if
 *   beta x + ln 2 * (33 - exponent((float)(~word))) > T
 * (33 - exponent bounds -log2(1 - u) from above), tested in float with a
 * margin for its roundings. The filter only skips entries that cannot
 * win, so every ISA chooses the same token; about 2 ln(cols) entries pass.
 */
#ifndef SM_GUMBEL_H
#define SM_GUMBEL_H

#include "common/argmax.h"
#include "common/log1p.h"
#include "common/penalties.h"
#include "common/philox.h"

typedef uint32_t gm_u32 __attribute__((vector_size(32)));
typedef int32_t gm_i32 __attribute__((vector_size(32)));
typedef uint64_t gm_u64 __attribute__((vector_size(64)));
typedef float gm_f32 __attribute__((vector_size(32)));

/* Philox4x32-10 of 8 blocks at once, lane b the block (c, draw0 + b). */
struct gm_words {
    gm_u32 w[4];
};

static inline struct gm_words philox_x8(uint64_t seed, uint64_t counter,
                                        uint64_t draw0)
{
    const gm_u32 lanes = {0, 1, 2, 3, 4, 5, 6, 7};
    gm_u32 c0 = (gm_u32){0} + (uint32_t)counter;
    gm_u32 c1 = (gm_u32){0} + (uint32_t)(counter >> 32);
    /* draw0 is a multiple of 8: its low word plus the lane never carries */
    gm_u32 c2 = lanes + (uint32_t)draw0;
    gm_u32 c3 = (gm_u32){0} + (uint32_t)(draw0 >> 32);
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; r++) {
        if (r > 0) {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        const gm_u64 p0 = __builtin_convertvector(c0, gm_u64) * 0xD2511F53u;
        const gm_u64 p1 = __builtin_convertvector(c2, gm_u64) * 0xCD9E8D57u;
        const gm_u32 n0 = __builtin_convertvector(p1 >> 32, gm_u32) ^ c1 ^ k0;
        const gm_u32 n2 = __builtin_convertvector(p0 >> 32, gm_u32) ^ c3 ^ k1;
        c1 = __builtin_convertvector(p1, gm_u32);
        c3 = __builtin_convertvector(p0, gm_u32);
        c0 = n0;
        c2 = n2;
    }
    return (struct gm_words){{c0, c1, c2, c3}};
}

/* A key: entries at beta's infinity (top) outrank the rest. */
struct gm_key {
    bool top;
    double v;
};

static inline bool key_above(struct gm_key a, struct gm_key b)
{
    return a.top != b.top ? a.top : a.v > b.v;
}

/* -log(-log u), u = (word + 1/2) 2^-32, in a fixed order of IEEE
 * operations: -log u = log1p((1 - u) / u), log E = +-log1p(E^+-1 - 1). */
static inline double gumbel_noise(uint32_t word)
{
    const double u = ((double)word + 0.5) * 0x1p-32;
    const double e = log1p_one((1.0 - u) / u);
    return e >= 1.0 ? -log1p_one(e - 1.0) : log1p_one(1.0 / e - 1.0);
}

struct gm_best {
    struct gm_key key;
    size_t index;
    bool found, nan;
    float filter; /* T in float, -inf before the first key, +inf once top */
};

/* The exact key of entry i (word its random word); updates best. */
static void offer_exact(struct gm_best *b, const float *x, size_t i,
                        uint32_t word, float beta)
{
    const float xi = x[i];
    if (xi != xi) {
        b->nan = true;
        return;
    }
    const double t = beta == 0.0f ? 0.0 : (double)beta * (double)xi;
    if (t == -INFINITY)
        return;
    const struct gm_key k = {t == INFINITY,
                             (t == INFINITY ? 0.0 : t) + gumbel_noise(word)};
    if (!b->found || key_above(k, b->key)) {
        b->key = k;
        b->index = i;
        b->found = true;
        b->filter = k.top ? INFINITY : (float)k.v;
    }
}

/* Lanes of 8 entries at x (c valid) that may beat the best key: the
 * bound above, with a margin for the float roundings (of beta x, the
 * bound's product and sum, and T), or a NaN, or beta x beyond float's range
 * (the exact key decides). */
static inline unsigned may_win(const float *x, size_t c, gm_u32 word,
                               float beta, float filter)
{
    float xs[8];
    for (size_t l = 0; l < 8; l++)
        xs[l] = l < c ? x[l] : -INFINITY;
    gm_f32 xv;
    memcpy(&xv, xs, sizeof xv);
    const gm_f32 t = xv * beta;
    const gm_f32 f = __builtin_convertvector(~word, gm_f32);
    gm_u32 fb;
    memcpy(&fb, &f, sizeof fb);
    const gm_i32 bound = 160 - (gm_i32)(fb >> 23); /* 33 - exponent */
    const gm_f32 reach = __builtin_convertvector(bound, gm_f32) * 0.6931472f;
    gm_u32 tb;
    memcpy(&tb, &t, sizeof tb);
    tb &= 0x7fffffffu;
    gm_f32 abs_t;
    memcpy(&abs_t, &tb, sizeof abs_t);
    const float abs_filter = filter < 0.0f ? -filter : filter;
    const gm_f32 margin = (abs_t + (abs_filter + 64.0f)) * 0x1p-20f;
    const gm_f32 finite_x = xv - xv; /* 0, or NaN for +-inf and NaN */
    const gm_i32 pass = (t + reach + margin > filter) | (t != t) |
                        (t == INFINITY) |
                        ((t == -INFINITY) & (finite_x == 0.0f));
    unsigned mask = 0;
    for (size_t l = 0; l < c; l++)
        mask |= (unsigned)(pass[l] != 0) << l;
    return mask;
}

/* Row r's token: the first index of the largest key; -1 if the row has a
 * NaN or no entry with mass. */
static int32_t gumbel_row(const float *x, size_t cols, float beta,
                          uint64_t seed, uint64_t counter)
{
    if (isinf(beta)) { /* greedy: the argmax, or argmin */
        const size_t i = argmax_row_with(x, cols, beta > 0.0f, false);
        return x[i] != x[i] || row_is_masked(x[i], beta) ? -1 : (int32_t)i;
    }
    struct gm_best b = {{false, 0.0}, 0, false, false, -INFINITY};
    for (size_t j = 0; j * 32 < cols; j++) {
        const struct gm_words w = philox_x8(seed, counter, 8 * (uint64_t)j);
        for (size_t k = 0; k < 4; k++) {
            const size_t at = 32 * j + 8 * k;
            if (at >= cols)
                break;
            const size_t c = cols - at < 8 ? cols - at : 8;
            unsigned mask = may_win(x + at, c, w.w[k], beta, b.filter);
            while (mask) {
                const unsigned l = (unsigned)__builtin_ctz(mask);
                mask &= mask - 1;
                offer_exact(&b, x, at + l, w.w[k][l], beta);
                if (b.nan)
                    return -1;
                /* the filter rose: the rest of the lanes again */
                mask &= may_win(x + at, c, w.w[k], beta, b.filter);
            }
        }
    }
    return b.found ? (int32_t)b.index : -1;
}

/* Each row's token (after the sampler's bias and penalties); returns the
 * number of rows without a distribution (token -1). */
static size_t gumbel_rows(size_t rows, size_t cols, float beta,
                          const float *x, size_t ldx,
                          const struct sm_sample_args *a, int32_t *token)
{
    size_t undefined = 0;
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        const float *from = has_adjustments(a) ? adjusted_row(xr, cols, r, a)
                                               : xr;
        token[r] = gumbel_row(from, cols, beta, a->seed, a->counter[r]);
        undefined += token[r] < 0;
    }
    return undefined;
}

#endif
