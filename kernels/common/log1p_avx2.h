/* log1p_many for x86 vector ISAs: SLEEF's deterministic 4-lane double
 * log1p (AVX-512 CPUs have AVX2, and one call keeps the emulated AVX-512
 * model valid), the scalar call's bits. Included by the ISA's vec.h. */
#ifndef SM_LOG1P_AVX2_H
#define SM_LOG1P_AVX2_H

/* v[i] = log1p(v[i]) for a group of rows' sums (the loss's L). */
static inline void log1p_many(double *v, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(v + i, Sleef_finz_log1pd4_u10avx2(_mm256_loadu_pd(v + i)));
    for (; i < n; i++)
        v[i] = SM_LOG1PD(v[i]);
}

#endif
