/*
 * log1p in double for y >= 0 (the log-partition's S''/K), a vector of lanes
 * at a time in GCC vector extensions: IEEE additions, multiplications and
 * divisions in one fixed order (no FMA) and integer steps on the bits, so
 * every ISA, and a CPU without FMA, returns the same bits. Within 1.5 ulp
 * of double (1.32 ulp the largest over 2e7 random values, none of whose f32
 * roundings differs from SLEEF's u10 log1p); callers round to f32. Faster
 * than SLEEF's 4-lane call, whose latency sat in the short-row loops.
 *
 * u = 1 + y rounds off err = (1 + y) - u, recovered exactly (fast two-sum);
 * u = 2^k m with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s) with
 * s = f / (2 + f), f = m - 1 (exact); 2s = f - s f, so
 *   log1p(y) = k ln2 + f - s (f - T(s^2)) + err / u,
 *   T(z) = sum_{j>=1} 2 z^j / (2j + 1)   (z <= 0.0295: 9 terms, < 1e-17).
 */
#ifndef SM_LOG1P_H
#define SM_LOG1P_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "common/inline.h"

/* Lanes per call of log1p_dv: 4 (32 bytes) unless the ISA's vec.h asks
 * for more. Lanes are independent, so the width changes no bit. Wider
 * calls cost less per value (the cost is the count of vector operations,
 * not the divisions); a single value goes through 4 lanes, whose latency
 * is shorter. */
#ifndef SM_LOG1P_LANES
#define SM_LOG1P_LANES 4
#endif
typedef double sm_dv __attribute__((vector_size(8 * SM_LOG1P_LANES)));
typedef int64_t sm_iv __attribute__((vector_size(8 * SM_LOG1P_LANES)));
typedef uint64_t sm_uv __attribute__((vector_size(8 * SM_LOG1P_LANES)));
typedef double sm_d4 __attribute__((vector_size(32)));
typedef int64_t sm_i4 __attribute__((vector_size(32)));
typedef uint64_t sm_u4 __attribute__((vector_size(32)));

#define SM_L1P_NAME log1p_dv
#define SM_L1P_V sm_dv
#define SM_L1P_I sm_iv
#define SM_L1P_U sm_uv
#include "common/log1p_body.h"

#if SM_LOG1P_LANES != 4
#define SM_L1P_NAME log1p_d4
#define SM_L1P_V sm_d4
#define SM_L1P_I sm_i4
#define SM_L1P_U sm_u4
#include "common/log1p_body.h"
#else
#define log1p_d4 log1p_dv
#endif

static inline double log1p_one(double y)
{
    return log1p_d4((sm_d4){y, y, y, y})[0];
}

#endif
