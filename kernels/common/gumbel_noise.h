/*
 * The perturbed logits of Gumbel-softmax: z_i = x_i + g_i with Gumbel noise
 * g_i = -log(-log u_i). Entry i takes the Philox word Gumbel-max gives it
 * (gumbel.h: entry 64 j + 16 k + 8 h + b, b < 8, h < 2, takes word k of
 * block (counter, 16 j + 8 h + b)); u_i = ((w >> 9) + 1/2) 2^-23, exact in
 * float and strictly inside (0, 1). In float: L = log(0 - log u), z = x - L,
 * both logs noise_log.h's v_log_noise (within 1.15 ulp of log over the
 * inputs they take, the same bits on every ISA). x = -inf stays -inf, NaN
 * stays NaN.
 */
#ifndef SM_GUMBEL_NOISE_H
#define SM_GUMBEL_NOISE_H

#include "common/noise_log.h"
#include "common/philox_lanes.h"

/* The 64 uniforms of Philox blocks (counter, draw0 + b), b < 16, in entry
 * order. */
static inline void gumbel_uniforms(uint64_t seed, uint64_t counter,
                                   uint64_t draw0, float u[64])
{
    const struct gm_words w = philox_x16(seed, counter, draw0);
    for (int k = 0; k < 4; k++)
        for (int c = 0; c < GM_CHAINS; c++) {
            const gm_f32 f = __builtin_convertvector(w.w[c][k] >> 9, gm_f32);
            const gm_f32 uk = (f + 0.5f) * 0x1p-23f;
            memcpy(u + 16 * k + GM_FW * c, &uk, sizeof uk);
        }
}

/* L = log(0 - log u) = -g for the uniforms u (0 - log u is -log u,
 * exactly, as v_log_noise_signed computes it). */
SM_INLINE sm_v noise_neg_gumbel(sm_v u)
{
    return v_log_noise(v_log_noise_signed(u, -1.0f));
}

/* z = x + g over one row of n entries; z may equal x. */
static inline void gumbel_noise_row(size_t n, uint64_t seed, uint64_t counter,
                                    const float *x, float *z)
{
    float u[64] __attribute__((aligned(64)));
    for (size_t j = 0; j < n; j += 64) {
        gumbel_uniforms(seed, counter, j / 4, u);
        const size_t len = n - j < 64 ? n - j : 64;
        size_t i = 0;
        for (; i + SM_VW <= len; i += SM_VW) {
            const sm_v l = noise_neg_gumbel(v_load(u + i));
            v_store(z + j + i, v_sub(v_load(x + j + i), l));
        }
        if (i < len) {
            const size_t c = len - i;
            const sm_v l = noise_neg_gumbel(v_load(u + i));
            v_store_part(z + j + i, c,
                         v_sub(v_load_part(x + j + i, c, 0.0f), l));
        }
    }
}

static void gumbel_noise_rows(size_t rows, size_t cols, uint64_t seed,
                              const uint64_t *counter, const float *x,
                              size_t ldx, float *z, size_t ldz)
{
    for (size_t r = 0; r < rows; r++)
        gumbel_noise_row(cols, seed, counter[r], x + r * ldx, z + r * ldz);
}

#endif
