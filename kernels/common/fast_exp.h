/*
 * The fast exp (SM_FAST_EXP): Cody-Waite range reduction and a degree-6
 * polynomial, every step an explicit FMA or exactly rounded operation in
 * the same order on every ISA, so it returns the same bits everywhere.
 *
 *   t  = clamp(t, -104, 89)          (NaN passes through)
 *   z  = fma(t, log2(e), 0x1.8p23)   (n = round(t / ln 2) in z's low bits)
 *   n  = z - 0x1.8p23
 *   r  = fma(n, -ln2_hi, t), then fma(n, -ln2_lo, r)   |r| <= ln2 / 2
 *   p  = 1 + r (c1 + r (c2 + ... + r c6))             (Horner, FMAs)
 *   e  = p * 2^(n >> 1) * 2^(n - (n >> 1))
 *
 * Scaling by two powers of two keeps both factors normal for n in
 * [-150, 129], so subnormal results round once, correctly, and t >= 88.73
 * overflows to +inf. The coefficients are a minimax fit of exp on
 * [-ln2/2, ln2/2] (relative error 2.6e-9 before rounding) rounded to f32.
 * Measured over every float in [-104, 89] by tests/exp_error.c (meson test
 * --suite slow): at most 1.2001 ulp, 0.9% of results not correctly rounded.
 */
#ifndef SM_FAST_EXP_H
#define SM_FAST_EXP_H

/* p (the polynomial) and z (n in its low bits) for t already clamped. */
SM_INLINE sm_v exp_fast_poly(sm_v t, sm_v *z_out)
{
    const sm_v magic = v_set1(0x1.8p23f);
    const sm_v z = v_fma(t, v_set1(0x1.715476p+0f), magic);
    const sm_v n = v_sub(z, magic);
    sm_v r = v_fma(n, v_set1(-0x1.62e430p-1f), t);
    r = v_fma(n, v_set1(0x1.05c610p-29f), r);
    sm_v p = v_set1(0x1.709be0p-10f);
    p = v_fma(p, r, v_set1(0x1.129066p-7f));
    p = v_fma(p, r, v_set1(0x1.55515ep-5f));
    p = v_fma(p, r, v_set1(0x1.5553c0p-3f));
    p = v_fma(p, r, v_set1(0x1.000002p-1f));
    p = v_fma(p, r, v_set1(1.0f));
    *z_out = z;
    return v_fma(p, r, v_set1(1.0f));
}

SM_INLINE sm_v v_exp_fast(sm_v t)
{
    sm_v z;
    t = v_min(v_set1(89.0f), v_max(v_set1(-104.0f), t));
    const sm_v p = exp_fast_poly(t, &z);
    return v_ldexp_split(p, z);
}

/* v_ldexp_split for t clamped to >= -104. A lane at the clamp (a masked
 * logit, -inf) is +0: the formula rounds 0.97 * 2^-150 to +0. It is
 * computed as 1 * 2^0 and then replaced, because the formula's subnormal
 * arithmetic takes a slow microcode path on some CPUs. */
SM_INLINE sm_v ldexp_split_nonpos(sm_v p, sm_v z, sm_v t)
{
    const sm_m at_clamp = m_eq(t, v_set1(-104.0f));
    const sm_v r = v_ldexp_split(v_sel(at_clamp, v_set1(1.0f), p),
                                 v_sel(at_clamp, v_set1(0x1.8p23f), z));
    return v_sel(at_clamp, v_set1(0.0f), r);
}

/* The same bits as v_exp_fast for t <= 0 or NaN, as in every softmax pass
 * (t = beta (x - M) <= 0): no upper clamp is needed, and while every lane's
 * result is normal (n >= -125), p * 2^(n>>1) * 2^(n-(n>>1)) equals p * 2^n
 * exactly, which adding n to p's exponent field computes in two
 * instructions instead of nine. NaN lanes fail the ordered compare and
 * take the general path. */
static inline sm_v v_exp_fast_nonpos(sm_v t)
{
    sm_v z;
    t = v_max(v_set1(-104.0f), t);
    const sm_v p = exp_fast_poly(t, &z);
    if (v_all_ge(z, v_set1(0x1.8p23f - 125.0f)))
        return v_ldexp_normal(p, z);
    return ldexp_split_nonpos(p, z, t);
}

#endif
