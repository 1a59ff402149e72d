/* The first c (< 8) lanes of v to p as plain 4-, 2- and 1-lane stores, for
 * x86 vector ISAs: no masked store (AMD microcodes vmaskmovps, and a load
 * behind a masked store waits for it; see the ISAs' vec.h). Included by
 * the ISA's vec.h. */
#ifndef SM_STORE_AVX2_H
#define SM_STORE_AVX2_H

SM_INLINE void store_lanes8(float *p, size_t c, __m256 v)
{
    __m128 part = _mm256_castps256_ps128(v);
    if (c & 4) {
        _mm_storeu_ps(p, part);
        part = _mm256_extractf128_ps(v, 1);
        p += 4;
    }
    if (c & 2) {
        _mm_storel_pi((__m64 *)(void *)p, part);
        part = _mm_movehl_ps(part, part);
        p += 2;
    }
    if (c & 1)
        _mm_store_ss(p, part);
}

#endif
