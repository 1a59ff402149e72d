/*
 * The AVX-512 kernels, compiled over a plain-C model of the AVX-512
 * intrinsics they use, so that their lane mapping, masks and tails are
 * checked bit for bit against scalar on CPUs without AVX-512 too (the real
 * kernels run in the suite wherever the CPU has AVX-512). SLEEF's 16-lane
 * exp is modelled by its 8-lane AVX2 twin on each half: the numerics
 * contract verifies that both return the same bits for every float.
 *
 * Each model follows the instruction's documented semantics, including
 * vmaxps/vminps returning the second operand when either is NaN and masked
 * loads and stores never touching masked-out lanes.
 */
#include <immintrin.h> /* the real header first; its names are remapped below */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/sleef_include.h"

typedef struct { float f[16]; } emu_m512;
typedef struct { double d[8]; } emu_m512d;
typedef struct { uint32_t u[16]; } emu_m512i;

static inline emu_m512 emu_loadu_ps(const void *p)
{
    emu_m512 r;
    memcpy(r.f, p, sizeof r.f);
    return r;
}
static inline void emu_storeu_ps(void *p, emu_m512 v) { memcpy(p, v.f, sizeof v.f); }
static inline emu_m512 emu_mask_loadu_ps(emu_m512 src, __mmask16 k, const void *p)
{
    for (int i = 0; i < 16; i++)
        if (k >> i & 1)
            memcpy(&src.f[i], (const float *)p + i, sizeof(float));
    return src;
}
static inline void emu_mask_storeu_ps(void *p, __mmask16 k, emu_m512 v)
{
    for (int i = 0; i < 16; i++)
        if (k >> i & 1)
            memcpy((float *)p + i, &v.f[i], sizeof(float));
}
static inline emu_m512 emu_set1_ps(float a)
{
    emu_m512 r;
    for (int i = 0; i < 16; i++)
        r.f[i] = a;
    return r;
}
#define EMU_LANEWISE(name, expr)                                  \
    static inline emu_m512 name(emu_m512 a, emu_m512 b)           \
    {                                                             \
        emu_m512 r;                                               \
        for (int i = 0; i < 16; i++)                              \
            r.f[i] = (expr);                                      \
        return r;                                                 \
    }
EMU_LANEWISE(emu_add_ps, a.f[i] + b.f[i])
EMU_LANEWISE(emu_sub_ps, a.f[i] - b.f[i])
EMU_LANEWISE(emu_mul_ps, a.f[i] * b.f[i])
EMU_LANEWISE(emu_max_ps, a.f[i] > b.f[i] ? a.f[i] : b.f[i])
EMU_LANEWISE(emu_min_ps, a.f[i] < b.f[i] ? a.f[i] : b.f[i])
static inline float emu_reduce_max_ps(emu_m512 a)
{
    float m = a.f[0];
    for (int i = 1; i < 16; i++)
        m = a.f[i] > m ? a.f[i] : m;
    return m;
}
static inline float emu_reduce_min_ps(emu_m512 a)
{
    float m = a.f[0];
    for (int i = 1; i < 16; i++)
        m = a.f[i] < m ? a.f[i] : m;
    return m;
}
/* The two predicates the kernels use; both are false for NaN. */
static inline __mmask16 emu_cmp_ps_mask(emu_m512 a, emu_m512 b, int pred)
{
    unsigned m = 0;
    for (int i = 0; i < 16; i++) {
        int bit;
        switch (pred) {
        case _CMP_EQ_OQ:
            bit = a.f[i] == b.f[i];
            break;
        case _CMP_GE_OQ:
            bit = a.f[i] >= b.f[i];
            break;
        case _CMP_LT_OQ:
            bit = a.f[i] < b.f[i];
            break;
        default: /* a predicate the model does not have yet */
            abort();
        }
        m |= (unsigned)bit << i;
    }
    return (__mmask16)m;
}
static inline emu_m512 emu_mask_blend_ps(__mmask16 k, emu_m512 a, emu_m512 b)
{
    for (int i = 0; i < 16; i++)
        if (k >> i & 1)
            a.f[i] = b.f[i];
    return a;
}
static inline emu_m512 emu_expf16(emu_m512 a)
{
    emu_m512 r;
    _mm256_storeu_ps(r.f, Sleef_finz_expf8_u10avx2(_mm256_loadu_ps(a.f)));
    _mm256_storeu_ps(r.f + 8, Sleef_finz_expf8_u10avx2(_mm256_loadu_ps(a.f + 8)));
    return r;
}
static inline emu_m512 emu_logf16(emu_m512 a)
{
    emu_m512 r;
    _mm256_storeu_ps(r.f, Sleef_finz_logf8_u10avx2(_mm256_loadu_ps(a.f)));
    _mm256_storeu_ps(r.f + 8, Sleef_finz_logf8_u10avx2(_mm256_loadu_ps(a.f + 8)));
    return r;
}
static inline emu_m512 emu_fmadd_ps(emu_m512 a, emu_m512 b, emu_m512 c)
{
    for (int i = 0; i < 16; i++)
        a.f[i] = fmaf(a.f[i], b.f[i], c.f[i]);
    return a;
}
static inline emu_m512i emu_castps_si512(emu_m512 a)
{
    emu_m512i r;
    memcpy(r.u, a.f, sizeof r.u);
    return r;
}
static inline emu_m512 emu_castsi512_ps(emu_m512i a)
{
    emu_m512 r;
    memcpy(r.f, a.u, sizeof r.f);
    return r;
}
static inline emu_m512i emu_set1_epi32(int a)
{
    emu_m512i r;
    for (int i = 0; i < 16; i++)
        r.u[i] = (uint32_t)a;
    return r;
}
#define EMU_INT_LANEWISE(name, expr)                              \
    static inline emu_m512i name(emu_m512i a, emu_m512i b)        \
    {                                                             \
        for (int i = 0; i < 16; i++)                              \
            a.u[i] = (expr);                                      \
        return a;                                                 \
    }
EMU_INT_LANEWISE(emu_add_epi32, a.u[i] + b.u[i])
EMU_INT_LANEWISE(emu_sub_epi32, a.u[i] - b.u[i])
static inline emu_m512i emu_srai_epi32(emu_m512i a, unsigned imm)
{
    for (int i = 0; i < 16; i++)
        a.u[i] = (uint32_t)((int32_t)a.u[i] >> imm); /* arithmetic in gcc/clang */
    return a;
}
static inline emu_m512i emu_slli_epi32(emu_m512i a, unsigned imm)
{
    for (int i = 0; i < 16; i++)
        a.u[i] <<= imm;
    return a;
}
static inline emu_m512 emu_cvtepi32_ps(emu_m512i a)
{
    emu_m512 r;
    for (int i = 0; i < 16; i++)
        r.f[i] = (float)(int32_t)a.u[i]; /* rounds to nearest, as vcvtdq2ps */
    return r;
}
static inline emu_m512d emu_setzero_pd(void)
{
    emu_m512d r;
    for (int i = 0; i < 8; i++)
        r.d[i] = 0.0;
    return r;
}
static inline emu_m512d emu_add_pd(emu_m512d a, emu_m512d b)
{
    for (int i = 0; i < 8; i++)
        a.d[i] += b.d[i];
    return a;
}
static inline __m256 emu_castps512_ps256(emu_m512 a) { return _mm256_loadu_ps(a.f); }
static inline __m256 emu_extractf32x8_ps(emu_m512 a, int imm)
{
    return _mm256_loadu_ps(a.f + 8 * (imm & 1));
}
static inline emu_m512d emu_cvtps_pd(__m256 a)
{
    float f[8];
    emu_m512d r;
    _mm256_storeu_ps(f, a);
    for (int i = 0; i < 8; i++)
        r.d[i] = (double)f[i];
    return r;
}
/* Lanes whose bit in k is clear are +0. */
static inline emu_m512d emu_maskz_cvtps_pd(__mmask8 k, __m256 a)
{
    emu_m512d r = emu_cvtps_pd(a);
    for (int i = 0; i < 8; i++)
        if (!(k >> i & 1))
            r.d[i] = 0.0;
    return r;
}
static inline __m256d emu_castpd512_pd256(emu_m512d a) { return _mm256_loadu_pd(a.d); }
static inline __m256d emu_extractf64x4_pd(emu_m512d a, int imm)
{
    return _mm256_loadu_pd(a.d + 4 * (imm & 1));
}

/* Some intrinsics with immediates are macros in the real header. */
#undef __m512
/* The transposes' shuffles, within 128-bit blocks (unpack) or of whole
 * blocks (shuffle_f32x4). */
static inline emu_m512 emu_unpacklo_ps(emu_m512 a, emu_m512 b)
{
    emu_m512 r;
    for (int l = 0; l < 16; l += 4) {
        r.f[l] = a.f[l];
        r.f[l + 1] = b.f[l];
        r.f[l + 2] = a.f[l + 1];
        r.f[l + 3] = b.f[l + 1];
    }
    return r;
}
static inline emu_m512 emu_unpackhi_ps(emu_m512 a, emu_m512 b)
{
    emu_m512 r;
    for (int l = 0; l < 16; l += 4) {
        r.f[l] = a.f[l + 2];
        r.f[l + 1] = b.f[l + 2];
        r.f[l + 2] = a.f[l + 3];
        r.f[l + 3] = b.f[l + 3];
    }
    return r;
}
static inline emu_m512d emu_castps_pd(emu_m512 a)
{
    emu_m512d r;
    memcpy(r.d, a.f, sizeof r.d);
    return r;
}
static inline emu_m512 emu_castpd_ps(emu_m512d a)
{
    emu_m512 r;
    memcpy(r.f, a.d, sizeof r.f);
    return r;
}
static inline emu_m512d emu_unpacklo_pd(emu_m512d a, emu_m512d b)
{
    emu_m512d r;
    for (int l = 0; l < 8; l += 2) {
        r.d[l] = a.d[l];
        r.d[l + 1] = b.d[l];
    }
    return r;
}
static inline emu_m512d emu_unpackhi_pd(emu_m512d a, emu_m512d b)
{
    emu_m512d r;
    for (int l = 0; l < 8; l += 2) {
        r.d[l] = a.d[l + 1];
        r.d[l + 1] = b.d[l + 1];
    }
    return r;
}
static inline emu_m512 emu_shuffle_f32x4(emu_m512 a, emu_m512 b, int imm)
{
    emu_m512 r;
    for (int q = 0; q < 4; q++)
        memcpy(&r.f[4 * q], &(q < 2 ? a : b).f[4 * (imm >> (2 * q) & 3)],
               4 * sizeof(float));
    return r;
}

static inline emu_m512i emu_setr_epi32(int e0, int e1, int e2, int e3, int e4,
                                       int e5, int e6, int e7, int e8, int e9,
                                       int e10, int e11, int e12, int e13,
                                       int e14, int e15)
{
    const int e[16] = {e0, e1, e2,  e3,  e4,  e5,  e6,  e7,
                       e8, e9, e10, e11, e12, e13, e14, e15};
    emu_m512i r;
    for (int i = 0; i < 16; i++)
        r.u[i] = (uint32_t)e[i];
    return r;
}
EMU_INT_LANEWISE(emu_and_si512, a.u[i] & b.u[i])
/* The lanes of k packed from lane 0 up, the rest zero. */
static inline emu_m512 emu_maskz_compress_ps(__mmask16 k, emu_m512 a)
{
    emu_m512 r = {{0}};
    int n = 0;
    for (int i = 0; i < 16; i++)
        if (k >> i & 1)
            r.f[n++] = a.f[i];
    return r;
}
static inline emu_m512i emu_maskz_compress_epi32(__mmask16 k, emu_m512i a)
{
    emu_m512i r = {{0}};
    int n = 0;
    for (int i = 0; i < 16; i++)
        if (k >> i & 1)
            r.u[n++] = a.u[i];
    return r;
}
/* vpmovdb: each lane truncated to its low byte. */
static inline __m128i emu_cvtepi32_epi8(emu_m512i a)
{
    uint8_t b[16];
    for (int i = 0; i < 16; i++)
        b[i] = (uint8_t)a.u[i];
    __m128i r;
    memcpy(&r, b, sizeof r);
    return r;
}

#define __m512 emu_m512
#undef __m512d
#define __m512d emu_m512d
#undef __m512i
#define __m512i emu_m512i
#undef _mm512_fmadd_ps
#define _mm512_fmadd_ps emu_fmadd_ps
#undef _mm512_castps_si512
#define _mm512_castps_si512 emu_castps_si512
#undef _mm512_castsi512_ps
#define _mm512_castsi512_ps emu_castsi512_ps
#undef _mm512_set1_epi32
#define _mm512_set1_epi32 emu_set1_epi32
#undef _mm512_setr_epi32
#define _mm512_setr_epi32 emu_setr_epi32
#undef _mm512_and_si512
#define _mm512_and_si512 emu_and_si512
#undef _mm512_maskz_compress_ps
#define _mm512_maskz_compress_ps emu_maskz_compress_ps
#undef _mm512_maskz_compress_epi32
#define _mm512_maskz_compress_epi32 emu_maskz_compress_epi32
#undef _mm512_cvtepi32_epi8
#define _mm512_cvtepi32_epi8 emu_cvtepi32_epi8
#undef _mm512_add_epi32
#define _mm512_add_epi32 emu_add_epi32
#undef _mm512_sub_epi32
#define _mm512_sub_epi32 emu_sub_epi32
#undef _mm512_srai_epi32
#define _mm512_srai_epi32 emu_srai_epi32
#undef _mm512_slli_epi32
#define _mm512_slli_epi32 emu_slli_epi32
#undef _mm512_cvtepi32_ps
#define _mm512_cvtepi32_ps emu_cvtepi32_ps
#undef _mm512_loadu_ps
#define _mm512_loadu_ps emu_loadu_ps
#undef _mm512_storeu_ps
#define _mm512_storeu_ps emu_storeu_ps
#undef _mm512_mask_loadu_ps
#define _mm512_mask_loadu_ps emu_mask_loadu_ps
#undef _mm512_mask_storeu_ps
#define _mm512_mask_storeu_ps emu_mask_storeu_ps
#undef _mm512_set1_ps
#define _mm512_set1_ps emu_set1_ps
#undef _mm512_add_ps
#define _mm512_add_ps emu_add_ps
#undef _mm512_sub_ps
#define _mm512_sub_ps emu_sub_ps
#undef _mm512_mul_ps
#define _mm512_mul_ps emu_mul_ps
#undef _mm512_max_ps
#define _mm512_max_ps emu_max_ps
#undef _mm512_min_ps
#define _mm512_min_ps emu_min_ps
#undef _mm512_reduce_max_ps
#define _mm512_reduce_max_ps emu_reduce_max_ps
#undef _mm512_reduce_min_ps
#define _mm512_reduce_min_ps emu_reduce_min_ps
#undef _mm512_cmp_ps_mask
#define _mm512_cmp_ps_mask emu_cmp_ps_mask
#undef _mm512_mask_blend_ps
#define _mm512_mask_blend_ps emu_mask_blend_ps
#undef _mm512_setzero_pd
#define _mm512_setzero_pd emu_setzero_pd
#undef _mm512_add_pd
#define _mm512_add_pd emu_add_pd
#undef _mm512_cvtps_pd
#define _mm512_cvtps_pd emu_cvtps_pd
#undef _mm512_maskz_cvtps_pd
#define _mm512_maskz_cvtps_pd emu_maskz_cvtps_pd
#undef _mm512_castps512_ps256
#define _mm512_castps512_ps256 emu_castps512_ps256
#undef _mm512_extractf32x8_ps
#define _mm512_extractf32x8_ps emu_extractf32x8_ps
#undef _mm512_castpd512_pd256
#define _mm512_castpd512_pd256 emu_castpd512_pd256
#undef _mm512_extractf64x4_pd
#define _mm512_extractf64x4_pd emu_extractf64x4_pd
#undef Sleef_finz_expf16_u10avx512f
#define Sleef_finz_expf16_u10avx512f emu_expf16
#undef Sleef_finz_logf16_u10avx512f
#define Sleef_finz_logf16_u10avx512f emu_logf16

#undef _mm512_unpacklo_ps
#define _mm512_unpacklo_ps emu_unpacklo_ps
#undef _mm512_unpackhi_ps
#define _mm512_unpackhi_ps emu_unpackhi_ps
#undef _mm512_castps_pd
#define _mm512_castps_pd emu_castps_pd
#undef _mm512_castpd_ps
#define _mm512_castpd_ps emu_castpd_ps
#undef _mm512_unpacklo_pd
#define _mm512_unpacklo_pd emu_unpacklo_pd
#undef _mm512_unpackhi_pd
#define _mm512_unpackhi_pd emu_unpackhi_pd
#undef _mm512_shuffle_f32x4
#define _mm512_shuffle_f32x4 emu_shuffle_f32x4
#include "avx512/vec.h"

#define SM_KERNEL_ISA avx512_emulated
#include "common/kernel_table.h"
