/*
 * Measures the error of both exps over every float in [-104, 89] against
 * glibc's double exp (itself within 1 ulp of double: 2^-29 of a float ulp)
 * and fails if the fast exp exceeds the 1.21 ulp softmax.h states, or SLEEF's
 * exceeds 1; then every float through every SIMD ISA's exp against the
 * scalar kernel's, bit for bit.
 * Prints the maximum and where it occurs. Slow (about a minute), so meson
 * runs it only in the 'slow' suite; under SM_TEST_QUICK it samples.
 *
 * Usage: exp_error [fast|sleef|both]   (default both)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "harness.h"

#define BLOCK 65536

struct result {
    double max_ulp;
    float worst_x;
    unsigned long long over_half; /* results not correctly rounded */
    unsigned long long count;
};

static double ulp_error(float got, double want)
{
    const float wf = (float)want;
    double ulp;
    if (fabs(want) < 0x1p-126)
        ulp = 0x1p-149; /* subnormal spacing */
    else if (isinf(wf))
        return isinf(got) ? 0.0 : INFINITY;
    else
        ulp = (double)(nextafterf(fabsf(wf), INFINITY) - fabsf(wf));
    return fabs((double)got - want) / ulp;
}

/* Every float, or under SM_TEST_QUICK every 1021st bit pattern (an
 * emulator is 30-40x slower; a prime stride still varies the low bits). */
static uint32_t stride(void) { return test_quick() ? 1021 : 1; }

static void scan(const struct sm_kernels *k, unsigned flags, uint32_t from,
                 uint32_t to, struct result *res)
{
    static float x[BLOCK], y[BLOCK];
    for (uint64_t u = from; u <= to;) {
        size_t c = 0;
        for (; c < BLOCK && u <= to; c++, u += stride())
            x[c] = f32_from_bits((uint32_t)u);
        k->exp(c, x, y, flags);
        for (size_t i = 0; i < c; i++) {
            const double e = ulp_error(y[i], exp((double)x[i]));
            res->count++;
            if (e > 0.5)
                res->over_half++;
            if (e > res->max_ulp) {
                res->max_ulp = e;
                res->worst_x = x[i];
            }
        }
    }
}

static int measure(const struct sm_kernels *k, unsigned flags,
                   const char *name, double bound)
{
    struct result res = {0};
    /* [-104, -0] walks the negative bit patterns, [+0, 89] the positive */
    scan(k, flags, 0x80000000u, f32_bits(-104.0f), &res);
    scan(k, flags, 0, f32_bits(89.0f), &res);
    printf("%s exp over %s in [-104, 89] (%llu values): max error "
           "%.5f ulp at x = %a (%.9g); %.4f%% not correctly rounded\n",
           name, stride() == 1 ? "every float" : "every 1021st float",
           res.count, res.max_ulp, (double)res.worst_x, (double)res.worst_x,
           100.0 * (double)res.over_half / (double)res.count);
    if (!(res.max_ulp <= bound)) {
        printf("FAIL: %s exp exceeds its stated %.0f ulp\n", name, bound);
        return 1;
    }
    return 0;
}

/* Every float (every 1021st under SM_TEST_QUICK) through every SIMD ISA's
 * exp against the scalar kernel's, bit for bit (any NaN for NaN): the
 * SIMD ISAs compute SLEEF's exp inline, the scalar kernel calls libsleef.
 * Returns the number of ISAs that differ. */
static int match_scalar(unsigned flags, const char *name)
{
    static float x[BLOCK], want[BLOCK], got[BLOCK];
    const struct sm_kernels *ref = sm_dispatch_table(SM_ISA_SCALAR);
    unsigned long long differ[SM_ISA_COUNT] = {0}, count = 0;
    for (uint64_t u = 0; u <= UINT32_MAX;) {
        size_t c = 0;
        for (; c < BLOCK && u <= UINT32_MAX; c++, u += stride())
            x[c] = f32_from_bits((uint32_t)u);
        ref->exp(c, x, want, flags);
        count += c;
        for (int isa = SM_ISA_SCALAR + 1; isa < SM_ISA_COUNT; isa++) {
            const struct sm_kernels *k = sm_dispatch_table((sm_isa)isa);
            if (!k || !isa_available((sm_isa)isa))
                continue;
            k->exp(c, x, got, flags);
            for (size_t i = 0; i < c; i++)
                if (f32_bits(got[i]) != f32_bits(want[i]) &&
                    !(isnan(got[i]) && isnan(want[i])))
                    differ[isa]++;
        }
    }
    int bad = 0;
    for (int isa = SM_ISA_SCALAR + 1; isa < SM_ISA_COUNT; isa++) {
        if (!sm_dispatch_table((sm_isa)isa) || !isa_available((sm_isa)isa))
            continue;
        printf("%s exp, %s against scalar over %llu floats: %llu differ\n",
               name, sm_isa_name((sm_isa)isa), count, differ[isa]);
        bad += differ[isa] != 0;
    }
    return bad;
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "both";
    /* Every ISA's exp is checked bit-identical to scalar by test_kernels;
     * the fastest one here only makes the scan quicker. */
    const struct sm_kernels *k = sm_dispatch();
    printf("kernels: %s\n", sm_isa_name(sm_isa_active()));
    int bad = 0;
    if (strcmp(which, "sleef") != 0)
        bad |= measure(k, SM_FAST_EXP, "fast", 1.21);
    if (strcmp(which, "fast") != 0)
        bad |= measure(k, 0, "SLEEF finz u10", 1.0);
    if (strcmp(which, "sleef") != 0)
        bad |= match_scalar(SM_FAST_EXP, "fast") != 0;
    if (strcmp(which, "fast") != 0)
        bad |= match_scalar(0, "SLEEF finz u10") != 0;
    return bad;
}
