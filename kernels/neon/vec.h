/* AArch64 Advanced SIMD helpers for the shared kernel source: 4 float
 * lanes, the 32 double sum lanes in sixteen float64x2_t. AdvSIMD is
 * baseline on AArch64: no flags needed. */
#ifndef SM_NEON_VEC_H
#define SM_NEON_VEC_H

#include <arm_neon.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/inline.h"
#include "common/sleef_include.h"

/* 16 accumulators, the exp's constants and SLEEF's call clobbers do not
 * leave the accumulators in registers: sum per tile, as AVX2 does. */
/* The default exp inline (common/exp_u10.h). */
#define SM_HAVE_EXP_U10 1
#define SM_SUM_TILE 256
#define SM_VW 4
typedef float32x4_t sm_v;
typedef uint32x4_t sm_m;
typedef struct { float64x2_t d[16]; } sm_acc;

#define SM_EXPD Sleef_finz_expd1_u10purecfma
#define SM_LOGD Sleef_finz_logd1_u10purecfma

static inline sm_m m_first(size_t c)
{
    static const uint32_t lane[4] = {0, 1, 2, 3};
    return vcltq_u32(vld1q_u32(lane), vdupq_n_u32((uint32_t)c));
}
static inline sm_v v_load(const float *p) { return vld1q_f32(p); }
static inline void v_store(float *p, sm_v v) { vst1q_f32(p, v); }
/* No masked loads in AdvSIMD: lane by lane, never touching p[c] or beyond
 * (the tests put a PROT_NONE page there). */
static inline sm_v v_load_part(const float *p, size_t c, float fill)
{
    sm_v v = vdupq_n_f32(fill);
    if (c > 0)
        v = vld1q_lane_f32(p, v, 0);
    if (c > 1)
        v = vld1q_lane_f32(p + 1, v, 1);
    if (c > 2)
        v = vld1q_lane_f32(p + 2, v, 2);
    return v;
}
SM_INLINE void v_store_part(float *p, size_t c, sm_v v)
{
    if (c > 0)
        vst1q_lane_f32(p, v, 0);
    if (c > 1)
        vst1q_lane_f32(p + 1, v, 1);
    if (c > 2)
        vst1q_lane_f32(p + 2, v, 2);
}
static inline sm_v v_set1(float a) { return vdupq_n_f32(a); }
static inline sm_v v_add(sm_v a, sm_v b) { return vaddq_f32(a, b); }
static inline sm_v v_sub(sm_v a, sm_v b) { return vsubq_f32(a, b); }
static inline sm_v v_mul(sm_v a, sm_v b) { return vmulq_f32(a, b); }
/* x > a ? x : a, like x86 maxps (fmax/fmaxnm treat NaN differently). */
static inline sm_v v_max(sm_v x, sm_v a) { return vbslq_f32(vcgtq_f32(x, a), x, a); }
static inline sm_v v_min(sm_v x, sm_v a) { return vbslq_f32(vcltq_f32(x, a), x, a); }
/* Only NaN-free vectors are reduced (v_max above never yields a NaN). */
SM_INLINE float v_hmax(sm_v a) { return vmaxvq_f32(a); }
SM_INLINE float v_hmin(sm_v a) { return vminvq_f32(a); }
static inline sm_v v_exp(sm_v a) { return Sleef_finz_expf4_u10advsimd(a); }
static inline sm_v v_log(sm_v a) { return Sleef_finz_logf4_u10advsimd(a); }

static inline sm_v v_fma(sm_v a, sm_v b, sm_v c) { return vfmaq_f32(c, a, b); }
static inline sm_v v_ldexp_split(sm_v p, sm_v z)
{
    const int32x4_t n = vsubq_s32(vreinterpretq_s32_f32(z), vdupq_n_s32(0x4B400000));
    const int32x4_t n1 = vshrq_n_s32(n, 1), n2 = vsubq_s32(n, n1);
    const int32x4_t bias = vdupq_n_s32(127);
    const sm_v s1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n1, bias), 23));
    const sm_v s2 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n2, bias), 23));
    return vmulq_f32(vmulq_f32(p, s1), s2);
}
/* z's low bits are n; the magic's bits shift out of the word. */
static inline sm_v v_ldexp_normal(sm_v p, sm_v z)
{
    return vreinterpretq_f32_u32(vaddq_u32(
        vreinterpretq_u32_f32(p), vshlq_n_u32(vreinterpretq_u32_f32(z), 23)));
}
/* x = 2^e m with m in [sqrt(1/2), sqrt(2)) for a positive normal x: returns
 * m, e (an integer) as a float in *e; integer steps on the bits
 * (common/noise_log.h). */
static inline sm_v v_frexp_sqrt2(sm_v x, sm_v *e)
{
    const int32x4_t s = vdupq_n_s32(0x3f3504f3); /* sqrt(1/2) rounded */
    const int32x4_t t = vsubq_s32(vreinterpretq_s32_f32(x), s);
    *e = vcvtq_f32_s32(vshrq_n_s32(t, 23));
    return vreinterpretq_f32_s32(vaddq_s32(vandq_s32(t, vdupq_n_s32(0x7fffff)), s));
}
static inline bool v_all_ge(sm_v a, sm_v b) { return vminvq_u32(vcgeq_f32(a, b)) != 0; }
static inline sm_m m_eq(sm_v a, sm_v b) { return vceqq_f32(a, b); }
static inline sm_m m_lt(sm_v a, sm_v b) { return vcltq_f32(a, b); }
static inline sm_m m_and(sm_m a, sm_m b) { return vandq_u32(a, b); }
static inline sm_m m_or(sm_m a, sm_m b) { return vorrq_u32(a, b); }
static inline size_t m_count(sm_m m) { return vaddvq_u32(vshrq_n_u32(m, 31)); }
static inline unsigned m_bits(sm_m m)
{
    static const uint32_t bit[4] = {1, 2, 4, 8};
    return vaddvq_u32(vandq_u32(m, vld1q_u32(bit)));
}
static inline sm_v v_sel(sm_m m, sm_v a, sm_v b) { return vbslq_f32(m, a, b); }

static inline void acc_zero(sm_acc *acc)
{
    for (int j = 0; j < 16; j++)
        acc->d[j] = vdupq_n_f64(0.0);
}
/* Vector v of a block holds lanes 4v..4v+3: low half to d[2v]. */
static inline void acc_add(sm_acc *acc, int v, sm_v e)
{
    acc->d[2 * v] = vaddq_f64(acc->d[2 * v], vcvt_f64_f32(vget_low_f32(e)));
    acc->d[2 * v + 1] = vaddq_f64(acc->d[2 * v + 1], vcvt_high_f64_f32(e));
}
static inline void acc_set(sm_acc *acc, int v, sm_v e)
{
    acc->d[2 * v] = vcvt_f64_f32(vget_low_f32(e));
    acc->d[2 * v + 1] = vcvt_high_f64_f32(e);
}
/* The contract's fold (l += l+16, +8, +4, +2, +1): d[j] holds lanes 2j and
 * 2j+1, so l + 2h is d[j+h]. The levels whose l + 2h lanes all lie at or
 * past vector nv's are left out: they add +0 (see loaded_sum in
 * common/block_rows.h); acc_fold is the whole block's. */
SM_INLINE double acc_fold_nv(const sm_acc *acc, size_t nv)
{
    float64x2_t a[16];
    for (int j = 0; j < 16; j++)
        a[j] = acc->d[j];
    for (int h = 8; h >= 1; h /= 2)
        if ((size_t)(2 * h) < 4 * nv)
            for (int j = 0; j < h; j++)
                a[j] = vaddq_f64(a[j], a[j + h]);
    return vgetq_lane_f64(a[0], 0) + vgetq_lane_f64(a[0], 1);
}
SM_INLINE double acc_fold(const sm_acc *acc) { return acc_fold_nv(acc, 8); }

/* r[j] = lane j of every r[i] (a 4 x 4 transpose): rows to columns and
 * back for the column kernels (common/columns.h). */
#define SM_HAVE_TRANSPOSE 1
SM_INLINE void v_transpose(sm_v r[4])
{
    const float32x4_t a = vtrn1q_f32(r[0], r[1]), b = vtrn2q_f32(r[0], r[1]);
    const float32x4_t c = vtrn1q_f32(r[2], r[3]), d = vtrn2q_f32(r[2], r[3]);
    r[0] = vreinterpretq_f32_f64(vtrn1q_f64(vreinterpretq_f64_f32(a), vreinterpretq_f64_f32(c)));
    r[1] = vreinterpretq_f32_f64(vtrn1q_f64(vreinterpretq_f64_f32(b), vreinterpretq_f64_f32(d)));
    r[2] = vreinterpretq_f32_f64(vtrn2q_f64(vreinterpretq_f64_f32(a), vreinterpretq_f64_f32(c)));
    r[3] = vreinterpretq_f32_f64(vtrn2q_f64(vreinterpretq_f64_f32(b), vreinterpretq_f64_f32(d)));
}

#endif
