/*
 * The default exp, inline: SLEEF's finz expf u10 (its xexpf), the same
 * operations in the same order, so the same bits as the library call on
 * every input (tests/exp_error.c compares all 2^32 floats, test_kernels.c
 * every 16th, with the scalar kernel, which calls SLEEF). Inline, a row's
 * sums, counts and masks stay in registers across it, and its exps join
 * the fused loops the fast exp uses; the call clobbers every vector
 * register.
 *
 *   q  = round(d / ln 2), from the rounded product d * (1 / ln 2)
 *   s  = fma(q, -ln2_hi, d), then fma(q, -ln2_lo, s)
 *   u  = 0.5 + s (c1 + s (c2 + ... + s c5))          (Horner, FMAs)
 *   e  = (fma(u, s * s, s) + 1) * 2^(q >> 1) * 2^(q - (q >> 1))
 *   e  = +0 for d < -104, +inf for d > 100; NaN stays NaN
 *
 * SLEEF rounds q with a conversion to integer (to nearest, ties to even);
 * adding and subtracting 0x1.8p23 rounds the same way for |q| < 2^22,
 * which covers every d the result is not replaced for.
 */
#ifndef SM_EXP_U10_H
#define SM_EXP_U10_H

/* u (before the scaling by 2^q) and z (q in its low bits) of d. */
SM_INLINE sm_v exp_u10_poly(sm_v d, sm_v *z_out)
{
    const sm_v magic = v_set1(0x1.8p23f);
    const sm_v z = v_add(v_mul(d, v_set1(0x1.715476p+0f)), magic);
    const sm_v q = v_sub(z, magic);
    sm_v s = v_fma(q, v_set1(-0x1.62e4p-1f), d);
    s = v_fma(q, v_set1(-0x1.7f7d1cp-20f), s);
    sm_v u = v_set1(0x1.a057b4p-13f);
    u = v_fma(u, s, v_set1(0x1.6d2d92p-10f));
    u = v_fma(u, s, v_set1(0x1.11114cp-7f));
    u = v_fma(u, s, v_set1(0x1.5554f4p-5f));
    u = v_fma(u, s, v_set1(0x1.555556p-3f));
    u = v_fma(u, s, v_set1(0.5f));
    *z_out = z;
    return v_add(v_fma(u, v_mul(s, s), s), v_set1(1.0f));
}

/* u scaled by 2^q, and the replaced ranges: SLEEF's result for any d. */
SM_INLINE sm_v exp_u10_scale(sm_v d, sm_v u, sm_v z)
{
    const sm_v e = v_sel(m_lt(d, v_set1(-104.0f)), v_set1(0.0f),
                         v_ldexp_split(u, z));
    return v_sel(m_lt(v_set1(100.0f), d), v_set1(INFINITY), e);
}

SM_INLINE sm_v v_exp_u10(sm_v d)
{
    sm_v z;
    const sm_v u = exp_u10_poly(d, &z);
    return exp_u10_scale(d, u, z);
}

/* The same bits for d <= 0 or NaN, as in every softmax pass. While every
 * lane's result is normal (q >= -125, so d > -104 too), u * 2^(q >> 1) *
 * 2^(q - (q >> 1)) equals u * 2^q exactly, one add to u's exponent field.
 * NaN lanes fail the ordered compare and take the general path. */
SM_INLINE sm_v v_exp_u10_nonpos(sm_v d)
{
    sm_v z;
    const sm_v u = exp_u10_poly(d, &z);
    if (v_all_ge(z, v_set1(0x1.8p23f - 125.0f)))
        return v_ldexp_normal(u, z);
    return exp_u10_scale(d, u, z);
}

#endif
