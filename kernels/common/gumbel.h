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

/* Generic vectors of GM_FW lanes: 16 where 64-bit lanes multiply
 * natively (SM_HAVE_MUL_U64: AVX-512), else 8 (one AVX2 register, two
 * NEON ones). Lanes are independent: the width changes no bit. */
#ifdef SM_HAVE_MUL_U64
#define GM_FW 16
#else
#define GM_FW 8
#endif
#define GM_CHAINS (16 / GM_FW)
typedef uint32_t gm_u32 __attribute__((vector_size(4 * GM_FW)));
typedef int32_t gm_i32 __attribute__((vector_size(4 * GM_FW)));
typedef float gm_f32 __attribute__((vector_size(4 * GM_FW)));
typedef uint64_t gm_u64 __attribute__((vector_size(8 * GM_FW)));

/* hi:lo = a * k, 32 x 32 -> 64 bits per lane: in 64-bit lanes where the
 * ISA multiplies them, else from 16-bit halves with 32-bit multiplies (the
 * same bits). */
static inline void mul_wide(gm_u32 a, uint32_t k, gm_u32 *hi, gm_u32 *lo)
{
#ifdef SM_HAVE_MUL_U64
    const gm_u64 p = __builtin_convertvector(a, gm_u64) * k;
    *hi = __builtin_convertvector(p >> 32, gm_u32);
    *lo = __builtin_convertvector(p, gm_u32);
#else
    const gm_u32 al = a & 0xffffu, ah = a >> 16;
    const uint32_t kl = k & 0xffffu, kh = k >> 16;
    const gm_u32 ll = al * kl, lh = al * kh, hl = ah * kl;
    const gm_u32 mid = (ll >> 16) + (lh & 0xffffu) + (hl & 0xffffu);
    *hi = ah * kh + (lh >> 16) + (hl >> 16) + (mid >> 16);
    *lo = a * k;
#endif
}

/* One round of Philox4x32 on GM_FW blocks. */
static inline void philox_round_lanes(gm_u32 c[4], uint32_t k0, uint32_t k1)
{
    gm_u32 hi0, lo0, hi1, lo1;
    mul_wide(c[0], 0xD2511F53u, &hi0, &lo0);
    mul_wide(c[2], 0xCD9E8D57u, &hi1, &lo1);
    const gm_u32 c1 = c[1], c3 = c[3];
    c[0] = hi1 ^ c1 ^ k0;
    c[1] = lo1;
    c[2] = hi0 ^ c3 ^ k1;
    c[3] = lo0;
}

/* Philox4x32-10 of the 16 blocks (counter, draw0 + b), b < 16, in
 * GM_CHAINS chains of GM_FW side by side (their latencies overlap):
 * w[c][k] holds word k of block draw0 + GM_FW c + lane. draw0 is a
 * multiple of 16, so adding b never carries. */
struct gm_words {
    gm_u32 w[GM_CHAINS][4];
};

static inline struct gm_words philox_x16(uint64_t seed, uint64_t counter,
                                         uint64_t draw0)
{
    uint32_t first[GM_FW];
    for (uint32_t l = 0; l < GM_FW; l++)
        first[l] = (uint32_t)draw0 + l;
    gm_u32 lanes;
    memcpy(&lanes, first, sizeof lanes);
    const gm_u32 zero = {0};
    struct gm_words w;
    for (int c = 0; c < GM_CHAINS; c++) {
        w.w[c][0] = zero + (uint32_t)counter;
        w.w[c][1] = zero + (uint32_t)(counter >> 32);
        w.w[c][2] = lanes + (uint32_t)(GM_FW * c);
        w.w[c][3] = zero + (uint32_t)(draw0 >> 32);
    }
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; r++) {
        if (r > 0) { /* the Weyl key schedule */
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        for (int c = 0; c < GM_CHAINS; c++)
            philox_round_lanes(w.w[c], k0, k1);
    }
    return w;
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
