/*
 * The body of log1p (see log1p.h), included once per vector type:
 * SM_L1P_NAME the function, SM_L1P_V its double lanes, SM_L1P_I and
 * SM_L1P_U the matching int64 and uint64 lanes. A scalar in an expression
 * stands for every lane.
 */
SM_INLINE SM_L1P_V SM_L1P_NAME(SM_L1P_V y)
{
    typedef SM_L1P_V vd;
    typedef SM_L1P_I vi;
    typedef SM_L1P_U vu;
    const uint64_t sqrt_half = 0x3fe6a09e667f3bcdull; /* bits of sqrt(1/2) */
    const uint64_t one = 0x3ff0000000000000ull;       /* bits of 1 */
    /* ln 2 split so that k * ln2_hi is exact for every exponent k */
    const double ln2_hi = 0x1.62e42feep-1, ln2_lo = 0x1.a39ef35793c76p-33;
    const vd u = y + 1.0;
    const vi big = y >= 1.0;
    const vd err = (vd)(((vi)(1.0 - (u - y)) & big) |
                        ((vi)(y - (u - 1.0)) & ~big));
    const vu shifted = (vu)u + (one - sqrt_half);
    /* k + 1023 as a double: the exponent field under 2^52's bits */
    const vd k = (vd)((shifted >> 52) | 0x4330000000000000ull) -
                 (0x1p52 + 1023.0);
    const vd m = (vd)((shifted & 0x000fffffffffffffull) + sqrt_half);
    const vd f = m - 1.0;
    /* m + 1 is f + 2 rounded the same way, without waiting for f */
    const vd s = f / (m + 1.0), z = s * s;
    /* Estrin's scheme: a shorter chain than Horner's */
    const vd z2 = z * z, z4 = z2 * z2;
    const vd p01 = z * (2.0 / 5.0) + 2.0 / 3.0;
    const vd p23 = z * (2.0 / 9.0) + 2.0 / 7.0;
    const vd p45 = z * (2.0 / 13.0) + 2.0 / 11.0;
    const vd p67 = z * (2.0 / 17.0) + 2.0 / 15.0;
    const vd p03 = z2 * p23 + p01, p47 = z2 * p67 + p45;
    const vd t = z * ((z4 * (z4 * (2.0 / 19.0)) + (z4 * p47)) + p03);
    const vd log_m = f - s * (f - t);
    const vd r = k * ln2_hi + (log_m + (k * ln2_lo + err / u));
    const vi inf = y == (double)INFINITY;
    return (vd)(((vi)y & inf) | ((vi)r & ~inf));
}

#undef SM_L1P_NAME
#undef SM_L1P_V
#undef SM_L1P_I
#undef SM_L1P_U
