/*
 * Philox4x32-10 on many blocks at once, in generic vectors (GCC's vector
 * extension): the random words of Gumbel-max (gumbel.h) and of the
 * Gumbel-softmax noise (gumbel_noise.h), the same bits on every ISA.
 */
#ifndef SM_PHILOX_LANES_H
#define SM_PHILOX_LANES_H

#include <stdint.h>
#include <string.h>

/* Generic vectors of GM_FW lanes: one register's 16 on AVX-512
 * (SM_PHILOX_LANES_16), else 8 (one AVX2 register, two NEON ones). Lanes
 * are independent: the width changes no bit. */
#ifdef SM_PHILOX_LANES_16
#define GM_FW 16
#else
#define GM_FW 8
#endif
#define GM_CHAINS (16 / GM_FW)
typedef uint32_t gm_u32 __attribute__((vector_size(4 * GM_FW)));
typedef int32_t gm_i32 __attribute__((vector_size(4 * GM_FW)));
typedef float gm_f32 __attribute__((vector_size(4 * GM_FW)));

/* hi:lo = a * k, 32 x 32 -> 64 bits per lane. On AVX-512 the even and
 * odd lanes, seen as 64-bit lanes with their high half clear, multiply in
 * one instruction each (vpmuludq) and the halves interleave back;
 * elsewhere (where GCC makes slower code of that) from 16-bit halves with
 * 32-bit multiplies. The same bits either way. */
#ifdef SM_PHILOX_LANES_16
typedef uint64_t gm_u64_pairs __attribute__((vector_size(4 * GM_FW)));
static inline void mul_wide(gm_u32 a, uint32_t k, gm_u32 *hi, gm_u32 *lo)
{
    const uint64_t low = 0xffffffffu;
    gm_u64_pairs a64;
    memcpy(&a64, &a, sizeof a);
    const gm_u64_pairs even = (a64 & low) * (uint64_t)k;
    const gm_u64_pairs odd = (a64 >> 32) * (uint64_t)k;
    const gm_u64_pairs lo64 = (even & low) | (odd << 32);
    const gm_u64_pairs hi64 = (even >> 32) | (odd & ~low);
    memcpy(lo, &lo64, sizeof lo64);
    memcpy(hi, &hi64, sizeof hi64);
}
#else
static inline void mul_wide(gm_u32 a, uint32_t k, gm_u32 *hi, gm_u32 *lo)
{
    const gm_u32 al = a & 0xffffu, ah = a >> 16;
    const uint32_t kl = k & 0xffffu, kh = k >> 16;
    const gm_u32 ll = al * kl, lh = al * kh, hl = ah * kl;
    const gm_u32 mid = (ll >> 16) + (lh & 0xffffu) + (hl & 0xffffu);
    *hi = ah * kh + (lh >> 16) + (hl >> 16) + (mid >> 16);
    *lo = a * k;
}
#endif

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

#endif
