/*
 * Attention decode's dot products q . k in the contract's order
 * (common/attention.h states it): SM_ATTENTION_LANES (16) chains of FMAs,
 * lane l taking the j = l (mod 16), folded l += l+8, l += l+4, l += l+2,
 * l += l+1. Four at a time on every ISA; sixteen (four keys by four
 * heads) where vec.h folds four 16-lane vectors at once.
 */
#ifndef SM_ATTENTION_DOTS_H
#define SM_ATTENTION_DOTS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/inline.h"
#include "kernels.h"

/* The keys this many keys ahead are prefetched while computing dot
 * products, as non-temporal: a KV cache row of [8][128] floats is 4 KiB,
 * so every key lands in the same L1 sets. */
#define SM_ATT_KEYS_AHEAD 4
#define SM_ATT_KEY_LOCALITY 0

/* Lanes of a vector that the dot products use: at most 16. */
static inline size_t att_lanes(void)
{
    return SM_VW < SM_ATTENTION_LANES ? (size_t)SM_VW : SM_ATTENTION_LANES;
}

/* c (<= att_lanes()) entries from p, the others 0. */
SM_INLINE sm_v att_load(const float *p, size_t c)
{
    return c == (size_t)SM_VW ? v_load(p) : v_load_part(p, c, 0.0f);
}

/* The fold of the 16 lanes: l += l+8, l += l+4, l += l+2, l += l+1. */
SM_INLINE float att_fold(float *part)
{
    for (size_t h = SM_ATTENTION_LANES / 2; h >= 1; h /= 2)
        for (size_t l = 0; l < h; l++)
            part[l] += part[l + h];
    return part[0];
}

/* Four dot products q_r . k_r in the 16-lane order above, side by side
 * (independent chains), into out[r]. A vector of 16 lanes or two of 8
 * fold in registers (SM_HAVE_FOLD16, SM_HAVE_FOLD8 in vec.h: the same
 * tree); other widths through memory. */
#if defined(SM_HAVE_FOLD16)
/* shared: the four keys are one (four heads of a kv head), loaded once. */
SM_INLINE void att_dot4_with(const float *const qr[4], const float *const kr[4],
                             size_t d, float out[4], const bool shared)
{
    sm_v a0 = v_set1(0.0f), a1 = a0, a2 = a0, a3 = a0;
    size_t row = 0;
    for (; row + 16 <= d; row += 16) {
        const sm_v k0 = v_load(kr[0] + row);
        a0 = v_fma(v_load(qr[0] + row), k0, a0);
        a1 = v_fma(v_load(qr[1] + row), shared ? k0 : v_load(kr[1] + row), a1);
        a2 = v_fma(v_load(qr[2] + row), shared ? k0 : v_load(kr[2] + row), a2);
        a3 = v_fma(v_load(qr[3] + row), shared ? k0 : v_load(kr[3] + row), a3);
    }
    if (row < d) {
        const size_t c = d - row;
        a0 = v_fma(att_load(qr[0] + row, c), att_load(kr[0] + row, c), a0);
        a1 = v_fma(att_load(qr[1] + row, c), att_load(kr[1] + row, c), a1);
        a2 = v_fma(att_load(qr[2] + row, c), att_load(kr[2] + row, c), a2);
        a3 = v_fma(att_load(qr[3] + row, c), att_load(kr[3] + row, c), a3);
    }
    v_fold16x4(a0, a1, a2, a3, out);
}
#elif defined(SM_HAVE_FOLD8)
/* Lanes 0-7 in a_r, 8-15 in b_r; the first level, l += l+8, is a + b.
 * shared: the four keys are one, loaded once. */
SM_INLINE void att_dot4_with(const float *const qr[4], const float *const kr[4],
                             size_t d, float out[4], const bool shared)
{
    sm_v a0 = v_set1(0.0f), a1 = a0, a2 = a0, a3 = a0;
    sm_v b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    size_t row = 0;
    for (; row + 16 <= d; row += 16) {
        const sm_v k0 = v_load(kr[0] + row), l0 = v_load(kr[0] + row + 8);
        a0 = v_fma(v_load(qr[0] + row), k0, a0);
        b0 = v_fma(v_load(qr[0] + row + 8), l0, b0);
        a1 = v_fma(v_load(qr[1] + row), shared ? k0 : v_load(kr[1] + row), a1);
        b1 = v_fma(v_load(qr[1] + row + 8),
                   shared ? l0 : v_load(kr[1] + row + 8), b1);
        a2 = v_fma(v_load(qr[2] + row), shared ? k0 : v_load(kr[2] + row), a2);
        b2 = v_fma(v_load(qr[2] + row + 8),
                   shared ? l0 : v_load(kr[2] + row + 8), b2);
        a3 = v_fma(v_load(qr[3] + row), shared ? k0 : v_load(kr[3] + row), a3);
        b3 = v_fma(v_load(qr[3] + row + 8),
                   shared ? l0 : v_load(kr[3] + row + 8), b3);
    }
    if (row < d) {
        const size_t ca = d - row < 8 ? d - row : 8;
        const size_t cb = d - row > 8 ? d - row - 8 : 0;
#define SM_ATT_TAIL(r, a, b)                                                 \
    a = v_fma(att_load(qr[r] + row, ca), att_load(kr[r] + row, ca), a);      \
    b = v_fma(att_load(qr[r] + row + 8, cb), att_load(kr[r] + row + 8, cb), b)
        SM_ATT_TAIL(0, a0, b0);
        SM_ATT_TAIL(1, a1, b1);
        SM_ATT_TAIL(2, a2, b2);
        SM_ATT_TAIL(3, a3, b3);
#undef SM_ATT_TAIL
    }
    v_fold8x4(v_add(a0, b0), v_add(a1, b1), v_add(a2, b2), v_add(a3, b3), out);
}
#else
SM_INLINE void att_dot4_with(const float *const qr[4], const float *const kr[4],
                             size_t d, float out[4], const bool shared)
{
    (void)shared; /* the loads go through memory anyway */
    const size_t lw = att_lanes();
    float part[4][SM_ATTENTION_LANES + 32];
    for (size_t v = 0; v < SM_ATTENTION_LANES; v += lw) {
        sm_v a0 = v_set1(0.0f), a1 = a0, a2 = a0, a3 = a0;
        size_t row = 0; /* row + v: the first j of this lane group */
        for (; row + SM_ATTENTION_LANES <= d; row += SM_ATTENTION_LANES) {
            const size_t at = row + v;
            a0 = v_fma(att_load(qr[0] + at, lw), att_load(kr[0] + at, lw), a0);
            a1 = v_fma(att_load(qr[1] + at, lw), att_load(kr[1] + at, lw), a1);
            a2 = v_fma(att_load(qr[2] + at, lw), att_load(kr[2] + at, lw), a2);
            a3 = v_fma(att_load(qr[3] + at, lw), att_load(kr[3] + at, lw), a3);
        }
        if (row < d) { /* the last row of 16, zero past d */
            const size_t at = row + v;
            const size_t c = at >= d ? 0 : d - at < lw ? d - at : lw;
            a0 = v_fma(att_load(qr[0] + at, c), att_load(kr[0] + at, c), a0);
            a1 = v_fma(att_load(qr[1] + at, c), att_load(kr[1] + at, c), a1);
            a2 = v_fma(att_load(qr[2] + at, c), att_load(kr[2] + at, c), a2);
            a3 = v_fma(att_load(qr[3] + at, c), att_load(kr[3] + at, c), a3);
        }
        if (lw == (size_t)SM_VW) {
            v_store(part[0] + v, a0);
            v_store(part[1] + v, a1);
            v_store(part[2] + v, a2);
            v_store(part[3] + v, a3);
        } else {
            v_store_part(part[0] + v, lw, a0);
            v_store_part(part[1] + v, lw, a1);
            v_store_part(part[2] + v, lw, a2);
            v_store_part(part[3] + v, lw, a3);
        }
    }
    for (int r = 0; r < 4; r++)
        out[r] = att_fold(part[r]);
}
#endif

/* The same four dot products, specialised for one key shared by all. */
SM_INLINE void att_dot4(const float *const qr[4], const float *const kr[4],
                            size_t d, float out[4])
{
    if (kr[0] == kr[1] && kr[0] == kr[2] && kr[0] == kr[3])
        att_dot4_with(qr, kr, d, out, true);
    else
        att_dot4_with(qr, kr, d, out, false);
}

#if defined(SM_HAVE_FOLD16)
/* Sixteen dot products, four keys by four heads that share them:
 * out[r][c] = q_c . k_r, each in the 16-lane order (one vector a chain);
 * every query and key vector loaded once for the sixteen. */
#define SM_HAVE_DOT16 1
SM_INLINE void att_dot16(const float *const qr[4], const float *const kr[4],
                         size_t d, size_t ahead, float out[4][4])
{
    sm_v a00 = v_set1(0.0f), a01 = a00, a02 = a00, a03 = a00;
    sm_v a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    sm_v a20 = a00, a21 = a00, a22 = a00, a23 = a00;
    sm_v a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    for (size_t j = 0; j < d; j += 16) {
        const size_t c = d - j < 16 ? d - j : 16;
        const sm_v q0 = att_load(qr[0] + j, c), q1 = att_load(qr[1] + j, c);
        const sm_v q2 = att_load(qr[2] + j, c), q3 = att_load(qr[3] + j, c);
        if (ahead) /* the same kv head of the next four keys, a line each */
            for (size_t r = 0; r < 4; r++)
                __builtin_prefetch(kr[r] + ahead + j, 0, SM_ATT_KEY_LOCALITY);
#define SM_ATT_KEY(r)                                                        \
    {                                                                        \
        const sm_v k = att_load(kr[r] + j, c);                               \
        a##r##0 = v_fma(q0, k, a##r##0);                                     \
        a##r##1 = v_fma(q1, k, a##r##1);                                     \
        a##r##2 = v_fma(q2, k, a##r##2);                                     \
        a##r##3 = v_fma(q3, k, a##r##3);                                     \
    }
        SM_ATT_KEY(0)
        SM_ATT_KEY(1)
        SM_ATT_KEY(2)
        SM_ATT_KEY(3)
#undef SM_ATT_KEY
    }
    v_fold16x4(a00, a01, a02, a03, out[0]);
    v_fold16x4(a10, a11, a12, a13, out[1]);
    v_fold16x4(a20, a21, a22, a23, out[2]);
    v_fold16x4(a30, a31, a32, a33, out[3]);
}
#endif

#endif
