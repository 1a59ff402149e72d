/* AVX2 + FMA helpers for the shared kernel source: 8 float lanes, the 32
 * double sum lanes in eight ymm registers. */
#ifndef SM_AVX2_VEC_H
#define SM_AVX2_VEC_H

#include <immintrin.h>
#include <stddef.h>

#include "common/inline.h"
#include "common/sleef_include.h"

/* 8 double accumulators + the exp constants exceed 16 ymm: sum per tile. */
/* The default exp inline (common/exp_u10.h). */
#define SM_HAVE_EXP_U10 1
#define SM_SUM_TILE 256
#define SM_VW 8
/* Vector registers: the shared source sizes its register tiles by it. */
#define SM_VREGS 16
/* Rows of up to 8 vectors (64 entries) stay in registers. */
#define SM_WIDE_VECS 8
typedef __m256 sm_v;
typedef __m256 sm_m;
typedef struct { __m256d d[8]; } sm_acc;

#define SM_EXPD Sleef_finz_expd1_u10purecfma
#define SM_LOGD Sleef_finz_logd1_u10purecfma

static inline __m256i lanes_below(size_t c)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)c),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline sm_v v_load(const float *p) { return _mm256_loadu_ps(p); }
static inline void v_store(float *p, sm_v v) { _mm256_storeu_ps(p, v); }
/* maskload never touches the masked-out lanes' memory. */
static inline sm_v v_load_part(const float *p, size_t c, float fill)
{
    const __m256i m = lanes_below(c);
    return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, m),
                            _mm256_castsi256_ps(m));
}
/* Plain stores: AMD microcodes the masked store (vmaskmovps), which costs
 * more than a short row's tail is worth. */
#include "common/store_avx2.h"
SM_INLINE void v_store_part(float *p, size_t c, sm_v v)
{
    store_lanes8(p, c, v);
}
static inline sm_v v_set1(float a) { return _mm256_set1_ps(a); }
static inline sm_v v_add(sm_v a, sm_v b) { return _mm256_add_ps(a, b); }
static inline sm_v v_sub(sm_v a, sm_v b) { return _mm256_sub_ps(a, b); }
static inline sm_v v_mul(sm_v a, sm_v b) { return _mm256_mul_ps(a, b); }
/* maxps returns its second operand when either is NaN. */
static inline sm_v v_max(sm_v x, sm_v a) { return _mm256_max_ps(x, a); }
static inline sm_v v_min(sm_v x, sm_v a) { return _mm256_min_ps(x, a); }
SM_INLINE float v_hmax(sm_v a)
{
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}
SM_INLINE float v_hmin(sm_v a)
{
    __m128 h = _mm_min_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    h = _mm_min_ps(h, _mm_movehl_ps(h, h));
    h = _mm_min_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}
static inline sm_v v_exp(sm_v a) { return Sleef_finz_expf8_u10avx2(a); }
static inline sm_v v_log(sm_v a) { return Sleef_finz_logf8_u10avx2(a); }

static inline sm_v v_fma(sm_v a, sm_v b, sm_v c) { return _mm256_fmadd_ps(a, b, c); }
static inline sm_v v_ldexp_split(sm_v p, sm_v z)
{
    const __m256i n = _mm256_sub_epi32(_mm256_castps_si256(z),
                                       _mm256_set1_epi32(0x4B400000));
    const __m256i n1 = _mm256_srai_epi32(n, 1), n2 = _mm256_sub_epi32(n, n1);
    const __m256i bias = _mm256_set1_epi32(127);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}
/* z's low bits are n; the magic's bits shift out of the word. */
static inline sm_v v_ldexp_normal(sm_v p, sm_v z)
{
    return _mm256_castsi256_ps(_mm256_add_epi32(
        _mm256_castps_si256(p), _mm256_slli_epi32(_mm256_castps_si256(z), 23)));
}
/* x = 2^e m with m in [sqrt(1/2), sqrt(2)) for a positive normal x: returns
 * m, e (an integer) as a float in *e; integer steps on the bits
 * (common/noise_log.h). */
static inline sm_v v_frexp_sqrt2(sm_v x, sm_v *e)
{
    const __m256i s = _mm256_set1_epi32(0x3f3504f3); /* sqrt(1/2) rounded */
    const __m256i t = _mm256_sub_epi32(_mm256_castps_si256(x), s);
    *e = _mm256_cvtepi32_ps(_mm256_srai_epi32(t, 23));
    return _mm256_castsi256_ps(_mm256_add_epi32(
        _mm256_and_si256(t, _mm256_set1_epi32(0x7fffff)), s));
}
static inline int v_all_ge(sm_v a, sm_v b)
{
    return _mm256_movemask_ps(_mm256_cmp_ps(a, b, _CMP_GE_OQ)) == 0xFF;
}
static inline sm_m m_eq(sm_v a, sm_v b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
static inline sm_m m_lt(sm_v a, sm_v b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
static inline sm_m m_first(size_t c) { return _mm256_castsi256_ps(lanes_below(c)); }
static inline sm_m m_and(sm_m a, sm_m b) { return _mm256_and_ps(a, b); }
static inline sm_m m_or(sm_m a, sm_m b) { return _mm256_or_ps(a, b); }
static inline size_t m_count(sm_m m)
{
    return (size_t)__builtin_popcount((unsigned)_mm256_movemask_ps(m));
}
/* Bit j set for lane j in the mask (the ISAs with fixed widths). */
static inline unsigned m_bits(sm_m m) { return (unsigned)_mm256_movemask_ps(m); }
static inline sm_v v_sel(sm_m m, sm_v a, sm_v b) { return _mm256_blendv_ps(b, a, m); }

static inline void acc_zero(sm_acc *acc)
{
    for (int j = 0; j < 8; j++)
        acc->d[j] = _mm256_setzero_pd();
}
/* Vector v of a block holds lanes 8v..8v+7: low half to d[2v]. */
static inline void acc_add(sm_acc *acc, int v, sm_v e)
{
    acc->d[2 * v] = _mm256_add_pd(acc->d[2 * v],
                                  _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
    acc->d[2 * v + 1] = _mm256_add_pd(acc->d[2 * v + 1],
                                      _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
}
static inline void acc_set(sm_acc *acc, int v, sm_v e)
{
    acc->d[2 * v] = _mm256_cvtps_pd(_mm256_castps256_ps128(e));
    acc->d[2 * v + 1] = _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1));
}
/* The contract's fold (l += l+16, +8, +4, +2, +1) on the registers: d[j]
 * holds lanes 4j..4j+3, so l+16 is d[j+4], l+8 is d[j+2], l+4 is d[j+1].
 * fold4 takes it from l += l+2. */
SM_INLINE double fold4(__m256d b)
{
    const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(b), _mm256_extractf128_pd(b, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}
SM_INLINE double acc_fold(const sm_acc *acc)
{
    const __m256d a0 = _mm256_add_pd(acc->d[0], acc->d[4]);
    const __m256d a1 = _mm256_add_pd(acc->d[1], acc->d[5]);
    const __m256d a2 = _mm256_add_pd(acc->d[2], acc->d[6]);
    const __m256d a3 = _mm256_add_pd(acc->d[3], acc->d[7]);
    return fold4(_mm256_add_pd(_mm256_add_pd(a0, a2), _mm256_add_pd(a1, a3)));
}
/* One or two vectors: l + 16 is +0, and for one l + 8 too (see
 * loaded_sum in common/block_rows.h). */
SM_INLINE double acc_fold_nv(const sm_acc *acc, size_t nv)
{
    if (nv == 1)
        return fold4(_mm256_add_pd(acc->d[0], acc->d[1]));
    if (nv == 2)
        return fold4(_mm256_add_pd(_mm256_add_pd(acc->d[0], acc->d[2]),
                                   _mm256_add_pd(acc->d[1], acc->d[3])));
    return acc_fold(acc);
}

/* The pairwise fold of the 8 lanes, l += l+4, l += l+2, l += l+1:
 * attention's dot products (common/attention.h). */
#define SM_HAVE_FOLD8 1
SM_INLINE float v_fold8(sm_v a)
{
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    return _mm_cvtss_f32(_mm_add_ss(x, _mm_movehdup_ps(x)));
}

/* v_fold8 of four vectors at once, the same additions on lanes placed
 * side by side: out[r] = v_fold8(c_r). */
SM_INLINE void v_fold8x4(sm_v c0, sm_v c1, sm_v c2, sm_v c3, float out[4])
{
    /* l += l+4: c0's lanes in the low half, c1's in the high half */
    const __m256 t01 = _mm256_add_ps(_mm256_permute2f128_ps(c0, c1, 0x20),
                                     _mm256_permute2f128_ps(c0, c1, 0x31));
    const __m256 t23 = _mm256_add_ps(_mm256_permute2f128_ps(c2, c3, 0x20),
                                     _mm256_permute2f128_ps(c2, c3, 0x31));
    /* l += l+2: halves [c0 c0 c2 c2 | c1 c1 c3 c3] */
    const __m256 s = _mm256_add_ps(_mm256_shuffle_ps(t01, t23, 0x44),
                                   _mm256_shuffle_ps(t01, t23, 0xee));
    const __m256 w = _mm256_hadd_ps(s, s); /* l += l+1: [c0 c2 . . | c1 c3 . .] */
    _mm_storeu_ps(out, _mm_unpacklo_ps(_mm256_castps256_ps128(w),
                                       _mm256_extractf128_ps(w, 1)));
}

/* r[j] = lane j of every r[i] (an 8 x 8 transpose): rows to columns and
 * back for the column kernels (common/columns.h). */
#define SM_HAVE_TRANSPOSE 1
SM_INLINE void v_transpose(sm_v r[8])
{
    sm_v t[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4)
        for (int h = 0; h < 2; h++) {
            const __m256d a = _mm256_castps_pd(t[i + h]);
            const __m256d b = _mm256_castps_pd(t[i + h + 2]);
            r[i + 2 * h] = _mm256_castpd_ps(_mm256_unpacklo_pd(a, b));
            r[i + 2 * h + 1] = _mm256_castpd_ps(_mm256_unpackhi_pd(a, b));
        }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x20);
        t[i + 4] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x31);
    }
    for (int i = 0; i < 8; i++)
        r[i] = t[i];
}

#endif
