/* AVX-512 (F, BW, DQ, VL) helpers for the shared kernel source: 16 float
 * lanes, mask registers for tails, the 32 double sum lanes in four zmm. */
#ifndef SM_AVX512_VEC_H
#define SM_AVX512_VEC_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#include "common/inline.h"
#include "common/sleef_include.h"

/* 4 zmm accumulators fit beside everything else in 32 registers. */
/* The default exp inline (common/exp_u10.h). */
#define SM_HAVE_EXP_U10 1
#define SM_SUM_TILE 0
#define SM_VW 16
/* Philox runs 16 lanes per register (common/philox_lanes.h). */
#define SM_PHILOX_LANES_16 1
/* Rows of up to 8 vectors (128 entries) stay in registers. */
#define SM_WIDE_VECS 8
#define SM_LOG1P_LANES 8 /* log1p in one zmm of doubles */
typedef __m512 sm_v;
typedef __mmask16 sm_m;
typedef struct { __m512d d[4]; } sm_acc;

#define SM_EXPD Sleef_finz_expd1_u10purecfma
#define SM_LOGD Sleef_finz_logd1_u10purecfma

static inline sm_m m_first(size_t c) { return (sm_m)((1u << c) - 1u); }
static inline sm_v v_load(const float *p) { return _mm512_loadu_ps(p); }
static inline void v_store(float *p, sm_v v) { _mm512_storeu_ps(p, v); }
/* Masked-out lanes are not accessed, so they cannot fault. */
static inline sm_v v_load_part(const float *p, size_t c, float fill)
{
    return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), m_first(c), p);
}
SM_INLINE void v_store_part(float *p, size_t c, sm_v v)
{
    _mm512_mask_storeu_ps(p, m_first(c), v);
}
/* v_store_part as plain stores of 8, 4, 2 and 1 lanes: a load that follows
 * a masked store to the same 64 bytes waits for the store to complete even
 * where the bytes do not meet (Zen 4: in place, the next row's first
 * loads), while plain stores are checked byte for byte. A few instructions
 * more, so only for row-by-row passes whose next row follows at once. */
#define SM_HAVE_STORE_TAIL 1
#include "common/store_avx2.h"
static inline void v_store_tail(float *p, size_t c, sm_v v)
{
    __m256 h = _mm512_castps512_ps256(v);
    if (c & 8) {
        _mm256_storeu_ps(p, h);
        h = _mm512_extractf32x8_ps(v, 1);
        p += 8;
    }
    store_lanes8(p, c & 7, h);
}
static inline sm_v v_set1(float a) { return _mm512_set1_ps(a); }
static inline sm_v v_add(sm_v a, sm_v b) { return _mm512_add_ps(a, b); }
static inline sm_v v_sub(sm_v a, sm_v b) { return _mm512_sub_ps(a, b); }
static inline sm_v v_mul(sm_v a, sm_v b) { return _mm512_mul_ps(a, b); }
/* vmaxps returns its second operand when either is NaN. */
static inline sm_v v_max(sm_v x, sm_v a) { return _mm512_max_ps(x, a); }
static inline sm_v v_min(sm_v x, sm_v a) { return _mm512_min_ps(x, a); }
SM_INLINE float v_hmax(sm_v a) { return _mm512_reduce_max_ps(a); }
SM_INLINE float v_hmin(sm_v a) { return _mm512_reduce_min_ps(a); }
static inline sm_v v_exp(sm_v a) { return Sleef_finz_expf16_u10avx512f(a); }
static inline sm_v v_log(sm_v a) { return Sleef_finz_logf16_u10avx512f(a); }

static inline sm_v v_fma(sm_v a, sm_v b, sm_v c) { return _mm512_fmadd_ps(a, b, c); }
static inline sm_v v_ldexp_split(sm_v p, sm_v z)
{
    const __m512i n = _mm512_sub_epi32(_mm512_castps_si512(z),
                                       _mm512_set1_epi32(0x4B400000));
    const __m512i n1 = _mm512_srai_epi32(n, 1), n2 = _mm512_sub_epi32(n, n1);
    const __m512i bias = _mm512_set1_epi32(127);
    const __m512 s1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n1, bias), 23));
    const __m512 s2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n2, bias), 23));
    return _mm512_mul_ps(_mm512_mul_ps(p, s1), s2);
}
/* z's low bits are n; the magic's bits shift out of the word. */
static inline sm_v v_ldexp_normal(sm_v p, sm_v z)
{
    return _mm512_castsi512_ps(_mm512_add_epi32(
        _mm512_castps_si512(p), _mm512_slli_epi32(_mm512_castps_si512(z), 23)));
}
/* x = 2^e m with m in [sqrt(1/2), sqrt(2)) for a positive normal x: returns
 * m, e (an integer) as a float in *e; integer steps on the bits
 * (common/noise_log.h). */
static inline sm_v v_frexp_sqrt2(sm_v x, sm_v *e)
{
    const __m512i s = _mm512_set1_epi32(0x3f3504f3); /* sqrt(1/2) rounded */
    const __m512i t = _mm512_sub_epi32(_mm512_castps_si512(x), s);
    *e = _mm512_cvtepi32_ps(_mm512_srai_epi32(t, 23));
    return _mm512_castsi512_ps(_mm512_add_epi32(
        _mm512_and_si512(t, _mm512_set1_epi32(0x7fffff)), s));
}
static inline int v_all_ge(sm_v a, sm_v b)
{
    return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ) == 0xFFFF;
}
static inline sm_m m_eq(sm_v a, sm_v b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
static inline sm_m m_lt(sm_v a, sm_v b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
static inline sm_m m_and(sm_m a, sm_m b) { return (sm_m)(a & b); }
static inline sm_m m_or(sm_m a, sm_m b) { return (sm_m)(a | b); }
static inline size_t m_count(sm_m m) { return (size_t)__builtin_popcount(m); }
static inline unsigned m_bits(sm_m m) { return (unsigned)m; }
/* The lanes of v in m, packed, to t, and the low five bits of their
 * indices (lane l's index is i + l) to lane; writes SM_VW floats and
 * SM_VW bytes whatever the count; returns the count. */
#define SM_HAVE_COMPRESS 1
static inline size_t v_compress_lanes(sm_v v, sm_m m, size_t i, float *t,
                                      uint8_t *lane)
{
    const __m512i index = _mm512_add_epi32(
        _mm512_set1_epi32((int)(i & 31)),
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    const __m512i low5 = _mm512_and_si512(index, _mm512_set1_epi32(31));
    _mm512_storeu_ps(t, _mm512_maskz_compress_ps(m, v));
    _mm_storeu_si128((__m128i *)lane,
                     _mm512_cvtepi32_epi8(_mm512_maskz_compress_epi32(m, low5)));
    return (size_t)__builtin_popcount(m);
}
static inline sm_v v_sel(sm_m m, sm_v a, sm_v b) { return _mm512_mask_blend_ps(m, b, a); }

SM_INLINE void acc_zero(sm_acc *acc)
{
    for (int j = 0; j < 4; j++)
        acc->d[j] = _mm512_setzero_pd();
}
/* Vector v of a block holds lanes 16v..16v+15: low half to d[2v]. */
SM_INLINE void acc_add(sm_acc *acc, int v, sm_v e)
{
    acc->d[2 * v] = _mm512_add_pd(acc->d[2 * v],
                                  _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
    acc->d[2 * v + 1] = _mm512_add_pd(acc->d[2 * v + 1],
                                      _mm512_cvtps_pd(_mm512_extractf32x8_ps(e, 1)));
}
SM_INLINE void acc_set(sm_acc *acc, int v, sm_v e)
{
    acc->d[2 * v] = _mm512_cvtps_pd(_mm512_castps512_ps256(e));
    acc->d[2 * v + 1] = _mm512_cvtps_pd(_mm512_extractf32x8_ps(e, 1));
}
/* acc_add with +0 in the lanes of eq: the conversions zero them. */
#define SM_HAVE_ACC_ADD_UNLESS 1
static inline void acc_add_unless(sm_acc *acc, int v, sm_v e, sm_m eq)
{
    const sm_m keep = (sm_m)~eq;
    acc->d[2 * v] = _mm512_add_pd(
        acc->d[2 * v],
        _mm512_maskz_cvtps_pd((__mmask8)keep, _mm512_castps512_ps256(e)));
    acc->d[2 * v + 1] = _mm512_add_pd(
        acc->d[2 * v + 1],
        _mm512_maskz_cvtps_pd((__mmask8)(keep >> 8), _mm512_extractf32x8_ps(e, 1)));
}
/* The contract's fold (l += l+16, +8, +4, +2, +1) on the registers: d[j]
 * holds lanes 8j..8j+7, so l+16 is d[j+2], l+8 is d[j+1], l+4 the upper
 * half of a register. fold8 takes it from l += l+4. */
SM_INLINE double fold8(__m512d a)
{
    const __m256d q = _mm256_add_pd(_mm512_castpd512_pd256(a),
                                    _mm512_extractf64x4_pd(a, 1));
    const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(q), _mm256_extractf128_pd(q, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}
SM_INLINE double acc_fold(const sm_acc *acc)
{
    return fold8(_mm512_add_pd(_mm512_add_pd(acc->d[0], acc->d[2]),
                               _mm512_add_pd(acc->d[1], acc->d[3])));
}
/* One vector: l + 16 is +0 (see loaded_sum in common/block_rows.h). */
SM_INLINE double acc_fold_nv(const sm_acc *acc, size_t nv)
{
    return nv == 1 ? fold8(_mm512_add_pd(acc->d[0], acc->d[1])) : acc_fold(acc);
}

/* The pairwise fold of the 16 lanes, l += l+8, l += l+4, l += l+2,
 * l += l+1: attention's dot products (common/attention.h). */
#define SM_HAVE_FOLD16 1
SM_INLINE float v_fold16(sm_v a)
{
    const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(a),
                                   _mm512_extractf32x8_ps(a, 1));
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    return _mm_cvtss_f32(_mm_add_ss(x, _mm_movehdup_ps(x)));
}

/* v_fold16 of four vectors at once, the same additions on lanes placed
 * side by side: out[r] = v_fold16(a_r). */
SM_INLINE void v_fold16x4(sm_v a0, sm_v a1, sm_v a2, sm_v a3, float out[4])
{
    /* l += l+8: a0's lanes in the low half, a1's in the high half */
    const __m512 t01 = _mm512_add_ps(_mm512_shuffle_f32x4(a0, a1, 0x44),
                                     _mm512_shuffle_f32x4(a0, a1, 0xee));
    const __m512 t23 = _mm512_add_ps(_mm512_shuffle_f32x4(a2, a3, 0x44),
                                     _mm512_shuffle_f32x4(a2, a3, 0xee));
    /* l += l+4: quarter r holds a_r's four lanes */
    const __m512 u = _mm512_add_ps(_mm512_shuffle_f32x4(t01, t23, 0x88),
                                   _mm512_shuffle_f32x4(t01, t23, 0xdd));
    const __m256 lo = _mm512_castps512_ps256(u), hi = _mm512_extractf32x8_ps(u, 1);
    /* l += l+2: halves [a0 a0 a2 a2 | a1 a1 a3 a3] */
    const __m256 s = _mm256_add_ps(_mm256_shuffle_ps(lo, hi, 0x44),
                                   _mm256_shuffle_ps(lo, hi, 0xee));
    const __m256 w = _mm256_hadd_ps(s, s); /* l += l+1: [a0 a2 . . | a1 a3 . .] */
    _mm_storeu_ps(out, _mm_unpacklo_ps(_mm256_castps256_ps128(w),
                                       _mm256_extractf128_ps(w, 1)));
}

/* r[j] = lane j of every r[i] (a 16 x 16 transpose): rows to columns and
 * back for the column kernels (common/columns.h). */
#define SM_HAVE_TRANSPOSE 1
SM_INLINE void v_transpose(sm_v r[16])
{
    sm_v t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4)
        for (int h = 0; h < 2; h++) {
            const __m512d a = _mm512_castps_pd(t[i + h]);
            const __m512d b = _mm512_castps_pd(t[i + h + 2]);
            r[i + 2 * h] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
            r[i + 2 * h + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
        }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
        t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
        r[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
        r[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xdd);
    }
}

#endif
