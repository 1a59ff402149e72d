/*
 * Gumbel-max sampling: the token is the first index of the largest key
 * beta x_i + g_i, g_i = -log(-log u_i) with u_i from the counter-based
 * generator; equal in distribution to sampling softmax_beta(x). Entries at
 * the infinity on beta's side (+inf for beta > 0) outrank every finite
 * key and compete among themselves on g_i alone, as softmax gives them
 * all the mass; beta = 0 ignores x (every entry alike).
 *
 * Row r's entry 64 j + 16 k + 8 h + b (b < 8, h < 2) takes word k of
 * Philox block (counter[r], 16 j + 8 h + b), u = (word + 1/2) 2^-32. A key
 * is computed exactly, in double with the fixed-order log1p of log1p.h,
 * only for the entries that could beat the best key so far; a vector
 * filter, in generic vector code, finds them: with E = -log u >= 1 - u,
 * the key can exceed T only if
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
#include "common/philox_lanes.h"

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

/* Lanes of GM_FW entries at x (c valid) that may beat the best key: the
 * bound above, with a margin for the float roundings (of beta x, the
 * bound's product and sum, and T), or a NaN, or beta x beyond float's range
 * (the exact key decides). */
static inline uint32_t may_win(const float *x, size_t c, gm_u32 word,
                               float beta, float filter)
{
    gm_f32 xv;
    if (c == GM_FW) {
        memcpy(&xv, x, sizeof xv);
    } else { /* the row's last entries; the lanes past it are not read */
        float xs[GM_FW] = {0};
        memcpy(xs, x, c * sizeof *x);
        memcpy(&xv, xs, sizeof xv);
    }
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
    uint32_t mask = 0;
    for (size_t l = 0; l < c; l++)
        mask |= (uint32_t)(pass[l] != 0) << l;
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
    for (size_t j = 0; j * 64 < cols; j++) {
        const struct gm_words w = philox_x16(seed, counter, 16 * (uint64_t)j);
        for (size_t v = 0; v < 64 / GM_FW; v++) { /* entries 64 j + GM_FW v */
            const size_t at = 64 * j + GM_FW * v;
            if (at >= cols)
                break;
            const gm_u32 word = w.w[v % GM_CHAINS][v / GM_CHAINS];
            const size_t c = cols - at < GM_FW ? cols - at : GM_FW;
            uint32_t mask = may_win(x + at, c, word, beta, b.filter);
            while (mask) {
                const unsigned l = (unsigned)__builtin_ctz(mask);
                mask &= mask - 1;
                offer_exact(&b, x, at + l, word[l], beta);
                if (b.nan)
                    return -1;
                /* the filter rose: the rest of the lanes again */
                mask &= may_win(x + at, c, word, beta, b.filter);
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
