/* SVE helpers for the shared kernel source, vector-length agnostic.
 *
 * SM_VW is a run-time value: the largest power of two <= min(VL / 32, 32)
 * float lanes, so it divides 32. Vector lengths are powers of two from 128
 * to 2048 bits (qemu and the first SVE specification also allow multiples
 * of 128 such as 384: those use 8 of 12 lanes). Where a vector holds more
 * floats than SM_VW (2048 bits: 64), every load, store, compare and
 * reduction is predicated to SM_VW lanes.
 * Sizeless SVE types cannot be array elements or struct members: the 32
 * double sum lanes live in memory, and SM_VLA tells the shared source to
 * avoid arrays of vectors.
 */
#ifndef SM_SVE_VEC_H
#define SM_SVE_VEC_H

#include <arm_sve.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/inline.h"
#include "common/sleef_include.h"

#define SM_VLA 1
/* The default exp inline (common/exp_u10.h). */
#define SM_HAVE_EXP_U10 1
#define SM_SUM_TILE 0

/* The lane count as an int the compiler can see is non-negative, so the
 * shared source compares it with int and size_t alike without warnings. */
static inline uint8_t sve_lanes(void)
{
    const uint64_t w = svcntw();
    return w >= 32 ? 32 : w >= 16 ? 16 : w >= 8 ? 8 : 4;
}
#define SM_VW ((int)sve_lanes())

typedef svfloat32_t sm_v;
typedef svbool_t sm_m;
typedef struct { double d[32]; } sm_acc;

#define SM_EXPD Sleef_finz_expd1_u10purecfma
#define SM_LOGD Sleef_finz_logd1_u10purecfma

/* The SM_VW lanes in use (all of them from 128 to 1024 bits). */
static inline svbool_t sve_pg(void) { return svwhilelt_b32_u64(0, (uint64_t)SM_VW); }
static inline svbool_t sve_all(void) { return svptrue_b32(); }

static inline sm_m m_first(size_t c) { return svwhilelt_b32_u64(0, c); }
static inline sm_v v_load(const float *p) { return svld1_f32(sve_pg(), p); }
static inline void v_store(float *p, sm_v v) { svst1_f32(sve_pg(), p, v); }
/* Inactive lanes of a predicated load are not accessed, so cannot fault. */
static inline sm_v v_load_part(const float *p, size_t c, float fill)
{
    const svbool_t m = m_first(c);
    return svsel_f32(m, svld1_f32(m, p), svdup_n_f32(fill));
}
SM_INLINE void v_store_part(float *p, size_t c, sm_v v)
{
    svst1_f32(m_first(c), p, v);
}
static inline sm_v v_set1(float a) { return svdup_n_f32(a); }
static inline sm_v v_add(sm_v a, sm_v b) { return svadd_f32_x(sve_all(), a, b); }
static inline sm_v v_sub(sm_v a, sm_v b) { return svsub_f32_x(sve_all(), a, b); }
static inline sm_v v_mul(sm_v a, sm_v b) { return svmul_f32_x(sve_all(), a, b); }
/* x > a ? x : a, like x86 maxps (fmax/fmaxnm treat NaN differently). */
static inline sm_v v_max(sm_v x, sm_v a)
{
    return svsel_f32(svcmpgt_f32(sve_all(), x, a), x, a);
}
static inline sm_v v_min(sm_v x, sm_v a)
{
    return svsel_f32(svcmplt_f32(sve_all(), x, a), x, a);
}
/* Only NaN-free vectors are reduced (v_max above never yields a NaN). */
SM_INLINE float v_hmax(sm_v a) { return svmaxv_f32(sve_pg(), a); }
SM_INLINE float v_hmin(sm_v a) { return svminv_f32(sve_pg(), a); }
static inline sm_v v_exp(sm_v a) { return Sleef_finz_expfx_u10sve(a); }
static inline sm_v v_log(sm_v a) { return Sleef_finz_logfx_u10sve(a); }
static inline sm_v v_fma(sm_v a, sm_v b, sm_v c)
{
    return svmla_f32_x(sve_all(), c, a, b);
}
static inline sm_v v_ldexp_split(sm_v p, sm_v z)
{
    const svbool_t all = sve_all();
    const svint32_t n = svsub_n_s32_x(all, svreinterpret_s32_f32(z), 0x4B400000);
    const svint32_t n1 = svasr_n_s32_x(all, n, 1), n2 = svsub_s32_x(all, n, n1);
    const sm_v s1 = svreinterpret_f32_s32(
        svlsl_n_s32_x(all, svadd_n_s32_x(all, n1, 127), 23));
    const sm_v s2 = svreinterpret_f32_s32(
        svlsl_n_s32_x(all, svadd_n_s32_x(all, n2, 127), 23));
    return svmul_f32_x(all, svmul_f32_x(all, p, s1), s2);
}
/* z's low bits are n; the magic's bits shift out of the word. */
static inline sm_v v_ldexp_normal(sm_v p, sm_v z)
{
    const svbool_t all = sve_all();
    return svreinterpret_f32_u32(svadd_u32_x(all, svreinterpret_u32_f32(p),
        svlsl_n_u32_x(all, svreinterpret_u32_f32(z), 23)));
}
/* x = 2^e m with m in [sqrt(1/2), sqrt(2)) for a positive normal x: returns
 * m, e (an integer) as a float in *e; integer steps on the bits
 * (common/noise_log.h). */
static inline sm_v v_frexp_sqrt2(sm_v x, sm_v *e)
{
    const svbool_t all = sve_all();
    /* 0x3f3504f3: sqrt(1/2) rounded */
    const svint32_t t = svsub_n_s32_x(all, svreinterpret_s32_f32(x), 0x3f3504f3);
    *e = svcvt_f32_s32_x(all, svasr_n_s32_x(all, t, 23));
    return svreinterpret_f32_s32(
        svadd_n_s32_x(all, svand_n_s32_x(all, t, 0x7fffff), 0x3f3504f3));
}
static inline bool v_all_ge(sm_v a, sm_v b)
{
    const svbool_t pg = sve_pg();
    return !svptest_any(pg, svnot_b_z(pg, svcmpge_f32(pg, a, b)));
}
static inline sm_m m_eq(sm_v a, sm_v b) { return svcmpeq_f32(sve_pg(), a, b); }
static inline sm_m m_lt(sm_v a, sm_v b) { return svcmplt_f32(sve_pg(), a, b); }
static inline sm_m m_and(sm_m a, sm_m b) { return svand_b_z(sve_pg(), a, b); }
static inline sm_m m_or(sm_m a, sm_m b) { return svorr_b_z(sve_pg(), a, b); }
static inline size_t m_count(sm_m m) { return (size_t)svcntp_b32(sve_pg(), m); }
static inline sm_v v_sel(sm_m m, sm_v a, sm_v b) { return svsel_f32(m, a, b); }

static inline void acc_zero(sm_acc *acc)
{
    for (uint64_t l = 0; l < 32; l += svcntd())
        svst1_f64(svwhilelt_b64_u64(l, 32), acc->d + l, svdup_n_f64(0.0));
}
/* Vector v of a block holds lanes v*SM_VW...: widen its first floats (zip1
 * pairs each with itself, the conversion reads the even ones) to lanes
 * v*SM_VW..., the rest (zip2) after them, each predicated to the lanes of
 * this vector. At 2048 bits the first double vector covers all 32. */
static inline void acc_add(sm_acc *acc, int v, sm_v e)
{
    const uint64_t vw = (uint64_t)SM_VW, nd = svcntd();
    double *d = acc->d + v * SM_VW;
    const svbool_t lo = svwhilelt_b64_u64(0, vw);
    svst1_f64(lo, d, svadd_f64_x(lo, svld1_f64(lo, d),
                                 svcvt_f64_f32_x(lo, svzip1_f32(e, e))));
    if (nd < vw) {
        const svbool_t hi = svwhilelt_b64_u64(nd, vw);
        d += nd;
        svst1_f64(hi, d, svadd_f64_x(hi, svld1_f64(hi, d),
                                     svcvt_f64_f32_x(hi, svzip2_f32(e, e))));
    }
}
/* The contract's fixed pairwise fold: l += l+16, l += l+8, ... l += l+1. */
SM_INLINE double acc_fold(const sm_acc *acc)
{
    double lane[32];
    for (int l = 0; l < 32; l++)
        lane[l] = acc->d[l];
    for (int half = 16; half >= 1; half /= 2)
        for (int l = 0; l < half; l++)
            lane[l] += lane[l + half];
    return lane[0];
}

#endif
