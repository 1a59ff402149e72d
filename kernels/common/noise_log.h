/*
 * The natural log of the Gumbel-softmax noise (gumbel_noise.h): every step
 * an explicit FMA or exactly rounded operation in the same order on every
 * ISA, so it returns the same bits everywhere (as fast_exp.h), and no
 * division.
 *
 *   x = 2^e m, m in [sqrt(1/2), sqrt(2))   (v_frexp_sqrt2, on the bits)
 *   f = m - 1                               (exact)
 *   q = c0 + f (c1 + ... + f c7)            (Horner, FMAs)
 *   log x = fma(e, ln2, fma(f f, q, f))
 *
 * log1p(f) = f + f^2 q(f): q fits (log1p(f) - f) / f^2 on
 * [sqrt(1/2) - 1, sqrt(2) - 1], weighted least squares iterated towards
 * minimax (Lawson) on the relative error of log1p, 3.5e-8 with the
 * coefficients rounded to f32. e ln2 is exact inside the FMA; ln2 in f32 is
 * 1.9e-9 high, under 0.1 ulp of the result for |e| <= 24.
 * For positive normal x; other inputs give unspecified values. Over every
 * float in [2^-24, 16.7] (the noise's two logs take u in [2^-24, 1) and
 * -log u in [2^-24, 16.64]): at most 1.15 ulp; tests/test_gumbel_softmax.c
 * checks every 31st.
 */
#ifndef SM_NOISE_LOG_H
#define SM_NOISE_LOG_H

/* sign log x for sign = 1 or -1 (a constant). For -1 every step computes
 * the negation of its value for +1, exactly (rounding to nearest is
 * symmetric; log 1 is +0 either way): f becomes 1 - m, the even
 * coefficients and ln2 change sign, so -log x costs no extra negation. */
SM_INLINE sm_v v_log_noise_signed(sm_v x, float sign)
{
    sm_v e;
    const sm_v m = v_frexp_sqrt2(x, &e), one = v_set1(1.0f);
    const sm_v f = sign > 0.0f ? v_sub(m, one) : v_sub(one, m);
    sm_v q = v_set1(0x1.65c772p-4f);
    q = v_fma(q, f, v_set1(sign * -0x1.25049ep-3f));
    q = v_fma(q, f, v_set1(0x1.318526p-3f));
    q = v_fma(q, f, v_set1(sign * -0x1.535d30p-3f));
    q = v_fma(q, f, v_set1(0x1.98d2c0p-3f));
    q = v_fma(q, f, v_set1(sign * -0x1.00049ap-2f));
    q = v_fma(q, f, v_set1(0x1.5556f4p-2f));
    q = v_fma(q, f, v_set1(sign * -0x1.fffffap-2f));
    return v_fma(e, v_set1(sign * 0x1.62e430p-1f), v_fma(v_mul(f, f), q, f));
}

SM_INLINE sm_v v_log_noise(sm_v x) { return v_log_noise_signed(x, 1.0f); }

#endif
