/* Scalar "vectors" of one lane for the shared kernel source. With
 * SM_SCALAR_FMA the SLEEF functions are the FMA ones every SIMD ISA matches
 * bit for bit; without it (x86 CPUs without FMA) they are SLEEF's portable
 * C ones, held to the accuracy bounds but not to the bits. */
#ifndef SM_SCALAR_VEC_H
#define SM_SCALAR_VEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/inline.h"
#include "common/sleef_include.h"

/* The exps of a tile go to a buffer first (chunk_sum_tiled): in a loop of
 * their own the compiler vectorizes the adds to the 32 double lanes; beside
 * the exp and the stores, each add is a branch and a load-add-store. */
#define SM_SUM_TILE 256
#define SM_VW 1
typedef float sm_v;
typedef bool sm_m;
typedef struct { double lane[32]; } sm_acc;

#ifdef SM_SCALAR_FMA
#define SM_EXPF Sleef_finz_expf1_u10purecfma
#define SM_LOGF Sleef_finz_logf1_u10purecfma
#define SM_EXPD Sleef_finz_expd1_u10purecfma
#define SM_LOGD Sleef_finz_logd1_u10purecfma
#else
#define SM_EXPF Sleef_cinz_expf1_u10purec
#define SM_LOGF Sleef_cinz_logf1_u10purec
#define SM_EXPD Sleef_cinz_expd1_u10purec
#define SM_LOGD Sleef_cinz_logd1_u10purec
#endif

static inline sm_v v_load(const float *p) { return *p; }
static inline void v_store(float *p, sm_v v) { *p = v; }
/* One lane: a partial vector is empty. */
static inline sm_v v_load_part(const float *p, size_t c, float fill)
{
    return c ? *p : fill;
}
SM_INLINE void v_store_part(float *p, size_t c, sm_v v)
{
    if (c)
        *p = v;
}
static inline sm_v v_set1(float a) { return a; }
static inline sm_v v_add(sm_v a, sm_v b) { return a + b; }
static inline sm_v v_sub(sm_v a, sm_v b) { return a - b; }
static inline sm_v v_mul(sm_v a, sm_v b) { return a * b; }
/* Like x86 max/min: a NaN x leaves a unchanged. */
static inline sm_v v_max(sm_v x, sm_v a) { return x > a ? x : a; }
static inline sm_v v_min(sm_v x, sm_v a) { return x < a ? x : a; }
SM_INLINE float v_hmax(sm_v a) { return a; }
SM_INLINE float v_hmin(sm_v a) { return a; }
static inline sm_v v_exp(sm_v a) { return SM_EXPF(a); }
static inline sm_v v_log(sm_v a) { return SM_LOGF(a); }
/* fmaf is exactly rounded everywhere (in software without FMA hardware),
 * so the fast exp is bit-identical even in the no-FMA scalar kernels. */
static inline sm_v v_fma(sm_v a, sm_v b, sm_v c) { return fmaf(a, b, c); }
/* Integer steps in uint32_t wrap like the vector instructions do (a NaN z
 * gives garbage exponents, and p is NaN anyway); >> on int32_t is the
 * arithmetic shift of gcc and clang. */
static inline sm_v v_ldexp_split(sm_v p, sm_v z)
{
    uint32_t zi, b1, b2;
    memcpy(&zi, &z, sizeof zi);
    const uint32_t n = zi - 0x4B400000u;
    const uint32_t n1 = (uint32_t)((int32_t)n >> 1), n2 = n - n1;
    b1 = (n1 + 127u) << 23;
    b2 = (n2 + 127u) << 23;
    float s1, s2;
    memcpy(&s1, &b1, sizeof s1);
    memcpy(&s2, &b2, sizeof s2);
    return p * s1 * s2;
}
static inline sm_v v_ldexp_normal(sm_v p, sm_v z)
{
    uint32_t pi, zi;
    memcpy(&pi, &p, sizeof pi);
    memcpy(&zi, &z, sizeof zi);
    pi += zi << 23; /* z's low bits are n; the magic's bits shift out */
    memcpy(&p, &pi, sizeof p);
    return p;
}
/* x = 2^e m with m in [sqrt(1/2), sqrt(2)) for a positive normal x: returns
 * m, e (an integer) as a float in *e; integer steps on the bits
 * (common/noise_log.h). */
static inline sm_v v_frexp_sqrt2(sm_v x, sm_v *e)
{
    uint32_t xi;
    memcpy(&xi, &x, sizeof xi);
    const uint32_t t = xi - 0x3f3504f3u; /* 0x3f3504f3: sqrt(1/2) rounded */
    *e = (float)((int32_t)t >> 23);
    const uint32_t mi = (t & 0x7fffffu) + 0x3f3504f3u;
    float m;
    memcpy(&m, &mi, sizeof m);
    return m;
}
static inline bool v_all_ge(sm_v a, sm_v b) { return a >= b; }
static inline sm_m m_eq(sm_v a, sm_v b) { return a == b; }
static inline sm_m m_lt(sm_v a, sm_v b) { return a < b; }
static inline sm_m m_first(size_t c) { return c > 0; }
static inline sm_m m_and(sm_m a, sm_m b) { return a && b; }
static inline sm_m m_or(sm_m a, sm_m b) { return a || b; }
static inline size_t m_count(sm_m m) { return m ? 1 : 0; }
static inline unsigned m_bits(sm_m m) { return m ? 1u : 0u; }
static inline sm_v v_sel(sm_m m, sm_v a, sm_v b) { return m ? a : b; }

static inline void acc_zero(sm_acc *acc)
{
    for (int l = 0; l < 32; l++)
        acc->lane[l] = 0.0;
}
static inline void acc_add(sm_acc *acc, int v, sm_v e)
{
    acc->lane[v] += (double)e;
}
static inline void acc_set(sm_acc *acc, int v, sm_v e)
{
    acc->lane[v] = (double)e;
}
/* The contract's fixed pairwise fold: l += l+16, l += l+8, ... l += l+1,
 * without the levels whose l + h lanes all lie at or past lane nv: they add
 * +0 (see loaded_sum in common/block_rows.h); acc_fold is the whole block's. */
SM_INLINE double acc_fold_nv(const sm_acc *acc, size_t nv)
{
    double lane[32];
    for (int l = 0; l < 32; l++)
        lane[l] = acc->lane[l];
    for (int half = 16; half >= 1; half /= 2)
        if ((size_t)half < nv)
            for (int l = 0; l < half; l++)
                lane[l] += lane[l + half];
    return lane[0];
}
SM_INLINE double acc_fold(const sm_acc *acc) { return acc_fold_nv(acc, 32); }

#endif
