/*
 * alpha-entmax and its backward pass: every ISA bit for bit against scalar
 * (sizes around every vector width, strides, betas, alphas, spreads of
 * logits, special values), alpha = 2 against sparsemax's bits, scalar
 * against a long-double reference within the header's bounds, the limit
 * alpha -> 1+ against softmax, the backward pass against central
 * differences, guard pages and every error path with nothing written.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "call_options.h"
#include "isa_tables.h"

#define U24 0x1p-24
#define SENTINEL 12345.0f
#define EOPTS(beta, flags, alpha) \
    (&(sm_entmax_options){sizeof(sm_entmax_options), (beta), (flags), (alpha)})

enum pattern {
    SPREAD_001, /* N(0, 1) * 0.01: dense support */
    SPREAD_1,
    SPREAD_10, /* sparse support */
    UNIFORM,   /* [-10, 10] */
    TIES,
    ONE_NAN,
    PLUS_INF,
    MINUS_INF,
    ALL_MINUS_INF,
    HUGE,
    PATTERNS
};

static float gauss(uint64_t *s)
{
    const double a = rng_uniform(s, 1e-7f, 1.0f), b = rng_uniform(s, 0, 1);
    return (float)(sqrt(-2.0 * log(a)) * cos(6.283185307179586 * b));
}

static void fill_row(float *x, size_t n, enum pattern p, uint64_t *s)
{
    static const float scale[] = {0.01f, 1.0f, 10.0f};
    for (size_t i = 0; i < n; i++) {
        if (p <= SPREAD_10)
            x[i] = gauss(s) * scale[p];
        else if (p == UNIFORM)
            x[i] = rng_uniform(s, -10.0f, 10.0f);
        else if (p == TIES)
            x[i] = (float)(rng_next(s) % 4) * 0.25f;
        else if (p == HUGE)
            x[i] = (rng_next(s) & 1) ? 3e38f : -3e38f;
        else
            x[i] = gauss(s);
    }
    if (n == 0)
        return;
    const size_t at = rng_next(s) % n;
    if (p == ONE_NAN)
        x[at] = NAN;
    if (p == PLUS_INF)
        x[at] = x[n - 1 - at] = INFINITY;
    if (p == MINUS_INF)
        for (size_t i = 0; i < n; i += 3)
            x[i] = -INFINITY;
    if (p == ALL_MINUS_INF)
        for (size_t i = 0; i < n; i++)
            x[i] = -INFINITY;
}

static int same_bits(const float *a, const float *b, size_t count)
{
    return memcmp(a, b, count * sizeof(float)) == 0;
}

static const float alphas[] = {1.5f, 1.25f, 2.0f, 3.0f, 1.01f};
#define NALPHAS (sizeof alphas / sizeof *alphas)
static const float betas[] = {1.0f, 0.5f, -0.75f, 0.0f, INFINITY, 3.0f};
#define NBETAS (sizeof betas / sizeof *betas)

static size_t sizes(size_t *out)
{
    static const size_t list[] = {0,  1,  2,  3,  4,  5,  7,   8,   9,
                                  15, 16, 17, 31, 32, 33, 100, 1000, 4111,
                                  30011};
    size_t ns = 0;
    for (size_t i = 0; i < sizeof list / sizeof *list; i++)
        if (!test_quick() || list[i] < 10000)
            out[ns++] = list[i];
    return ns;
}

/* Forward (backward with dy) on table k, padding set to SENTINEL first. */
static void run(const struct sm_kernels *k, bool backward, size_t rows,
                size_t n, size_t ld, float beta, float alpha, const float *x,
                const float *dy, float *y)
{
    for (size_t i = 0; i < rows * ld; i++)
        y[i] = SENTINEL;
    if (backward)
        k->entmax_backward_rows(rows, n, beta, alpha, x, ld, dy, ld, y, ld);
    else
        k->entmax_rows(rows, n, beta, alpha, x, ld, y, ld);
}

/* Each ISA's forward and backward against scalar's, bit for bit, padding
 * untouched; alpha = 2 against scalar's sparsemax. */
static void test_every_isa_matches_scalar(void **state)
{
    (void)state;
    size_t sz[32];
    const size_t ns = sizes(sz), rows = 2, pad = 3, max_n = 30011;
    const size_t cap = (max_n + pad) * rows + 8;
    float *x = malloc(cap * sizeof(float)), *dy = malloc(cap * sizeof(float));
    float *want = malloc(cap * sizeof(float)), *got = malloc(cap * sizeof(float));
    float *fwd = malloc(cap * sizeof(float));
    assert_true(x && dy && want && got && fwd);
    const struct sm_kernels *scalar = sm_dispatch_table(SM_ISA_SCALAR);
    uint64_t s = 2026;
    int bad = 0, cases = 0;
    for (size_t si = 0; si < ns; si++) {
        const size_t n = sz[si], ld = n + (n % 2 ? pad : 0);
        for (int p = 0; p < PATTERNS; p++) {
            if (n > 2000 && p > UNIFORM)
                continue;
            float *xr = x + (n + (size_t)p) % 4;
            for (size_t i = 0; i < rows * ld; i++)
                dy[i] = gauss(&s);
            for (size_t r = 0; r < rows; r++)
                fill_row(xr + r * ld, n, (enum pattern)p, &s);
            for (size_t b = 0; b < NBETAS; b++)
                for (size_t a = 0; a < NALPHAS; a++) {
                    if (n > 2000 && (b % 2 || a > 1))
                        continue;
                    /* quick: the searched alphas on longer rows at beta 1 */
                    if (test_quick() && n > 100 && a != 0 && alphas[a] != 2.0f &&
                        b != 0)
                        continue;
                    const float beta = betas[b], alpha = alphas[a];
                    run(scalar, false, rows, n, ld, beta, alpha, xr, NULL, fwd);
                    if (alpha == 2.0f) {
                        for (size_t i = 0; i < rows * ld; i++)
                            want[i] = SENTINEL;
                        scalar->sparsemax_rows(rows, n, beta, xr, ld, want, ld);
                        bad += !same_bits(want, fwd, rows * ld);
                    }
                    run(scalar, true, rows, n, ld, beta, alpha, fwd, dy, want);
                    for (int isa = SM_ISA_SCALAR + 1; isa <= SM_ISA_COUNT;
                         isa++) {
                        const struct sm_kernels *k = table_for(isa);
                        if (!k)
                            continue;
                        for (int bwd = 0; bwd < 2; bwd++) {
                            const float *in = bwd ? fwd : xr;
                            run(k, bwd, rows, n, ld, beta, alpha, in, dy, got);
                            cases++;
                            if (!same_bits(bwd ? want : fwd, got, rows * ld) &&
                                bad++ < 5)
                                printf("%s %s n %zu pattern %d beta %g alpha "
                                       "%g: differs from scalar\n",
                                       table_name(isa),
                                       bwd ? "backward" : "forward", n, p,
                                       (double)beta, (double)alpha);
                        }
                    }
                }
        }
    }
    printf("%d cases compared\n", cases);
    free(x), free(dy), free(want), free(got), free(fwd);
    assert_true(cases > 0 || sm_isa_supported() == (1u << SM_ISA_SCALAR) ||
                test_isas_narrowed());
    assert_int_equal(bad, 0);
}

/* ---- the reference ------------------------------------------------------- */

static int desc(const void *a, const void *b)
{
    const long double x = *(const long double *)a, y = *(const long double *)b;
    return (x < y) - (x > y);
}

/* 1.5-entmax's tau for t (finite, max 0) by sorting: for the k largest, the
 * smaller root of sum (t - tau)^2 = 1, kept while tau < t_(k). */
static long double tau15_sorted(const long double *t, size_t n,
                                long double *w)
{
    memcpy(w, t, n * sizeof *w);
    qsort(w, n, sizeof *w, desc);
    long double s1 = 0, s2 = 0, tau = w[0] - 1;
    for (size_t k = 1; k <= n; k++) {
        s1 += w[k - 1];
        s2 += w[k - 1] * w[k - 1];
        const long double mean = s1 / k, rad = (1 - (s2 - s1 * mean)) / k;
        if (rad < 0)
            break;
        const long double cand = mean - sqrtl(rad);
        if (cand >= w[k - 1])
            break;
        tau = cand;
    }
    return tau;
}

/* General alpha: bisection in long double on sum (t - tau)_+^r = 1. 64
 * halvings of [-1, 0] leave tau within 2^-64, far below a float's resolution
 * (more only cost time where long double is software, as on aarch64). */
static long double tau_bisect(const long double *t, size_t n, long double r)
{
    long double lo = -1, hi = 0;
    for (int i = 0; i < 64; i++) {
        const long double mid = (lo + hi) / 2;
        long double f = 0;
        for (size_t j = 0; j < n; j++)
            if (t[j] > mid)
                f += powl(t[j] - mid, r);
        if (f >= 1)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Reference p of beta x at alpha into ref (finite x). */
static void reference(const float *x, size_t n, float beta, float alpha,
                      long double *t, long double *w, long double *ref)
{
    float m = x[0];
    for (size_t i = 1; i < n; i++)
        m = beta > 0 ? fmaxf(m, x[i]) : fminf(m, x[i]);
    const long double am1 = (long double)alpha - 1;
    for (size_t i = 0; i < n; i++)
        t[i] = am1 * beta * ((long double)x[i] - m);
    const long double r = 1 / am1;
    const long double tau =
        alpha == 1.5f ? tau15_sorted(t, n, w) : tau_bisect(t, n, r);
    for (size_t i = 0; i < n; i++)
        ref[i] = t[i] > tau ? powl(t[i] - tau, r) : 0;
}

/* The library against the long-double reference: alpha 1.5 within 8u,
 * others within (32 + 4r)u, |sum - 1| <= 1e-6, exact zeros clear of tau. */
static void test_against_reference(void **state)
{
    (void)state;
    if (test_isas_narrowed()) {
        printf("the reference: in the full run (every ISA gives its bits)\n");
        skip();
    }
    const size_t max_n = test_quick() ? 1000 : 30011;
    float *x = malloc(max_n * sizeof(float)), *y = malloc(max_n * sizeof(float));
    long double *t = malloc(max_n * sizeof *t), *w = malloc(max_n * sizeof *w);
    long double *ref = malloc(max_n * sizeof *ref);
    assert_true(x && y && t && w && ref);
    static const float bs[] = {1.0f, 0.5f, -0.75f, 3.0f, 40.0f};
    static const size_t ns[] = {1, 2, 3, 7, 33, 100, 1000, 3000, 30011};
    uint64_t s = 7;
    double worst[NALPHAS] = {0}, worst_sum = 0;
    int checked = 0, bad = 0;
    for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++) {
        const size_t n = ns[ni];
        if (n > max_n)
            continue;
        for (int p = SPREAD_001; p <= TIES; p++)
            for (size_t b = 0; b < sizeof bs / sizeof *bs; b++)
                for (size_t a = 0; a < NALPHAS; a++) {
                    if (n > 3000 && a > 1)
                        continue;
                    /* quick: the bisected alphas on rows up to 100 entries */
                    if (test_quick() && n > 100 && alphas[a] != 1.5f)
                        continue;
                    const float alpha = alphas[a];
                    fill_row(x, n, (enum pattern)p, &s);
                    assert_int_equal(sm_entmax_rows_f32(1, n, x, n, y, n,
                                                        EOPTS(bs[b], 0, alpha)),
                                     SM_OK);
                    reference(x, n, bs[b], alpha, t, w, ref);
                    const double r = 1.0 / ((double)alpha - 1.0);
                    const double bound =
                        (alpha == 1.5f || alpha == 2.0f ? 8 : 32 + 4 * r) *
                        U24;
                    long double sum = 0;
                    for (size_t i = 0; i < n; i++) {
                        const double err = (double)fabsl(y[i] - ref[i]);
                        worst[a] = err > worst[a] ? err : worst[a];
                        sum += y[i];
                        if (err > bound && bad++ < 5)
                            printf("n %zu p %d beta %g alpha %g i %zu: %.9g, "
                                   "ref %.12Lg\n", n, p, (double)bs[b],
                                   (double)alpha, i, (double)y[i], ref[i]);
                        if (ref[i] == 0 && t[i] < -1e-3L && y[i] != 0.0f &&
                            bad++ < 5)
                            printf("n %zu: entry %zu not an exact zero\n", n, i);
                    }
                    const double serr = (double)fabsl(sum - 1);
                    worst_sum = serr > worst_sum ? serr : worst_sum;
                    checked++;
                }
    }
    for (size_t a = 0; a < NALPHAS; a++)
        printf("alpha %g: worst |p - ref| %.3g u\n", (double)alphas[a],
               worst[a] / U24);
    printf("worst |sum - 1| %.3g\n", worst_sum);
    free(x), free(y), free(t), free(w), free(ref);
    assert_true(checked > 100);
    assert_int_equal(bad, 0);
    assert_true(worst_sum <= 1e-6);
}

/* alpha -> 1+: within 0.02 of softmax at alpha 1.01 on moderate logits. */
static void test_softmax_limit(void **state)
{
    (void)state;
    float x[200], y[200], q[200];
    uint64_t s = 11;
    double worst = 0;
    for (int trial = 0; trial < 40; trial++) {
        const size_t n = 2 + (size_t)trial * 5;
        for (size_t i = 0; i < n; i++)
            x[i] = gauss(&s);
        assert_int_equal(sm_entmax_rows_f32(1, n, x, n, y, n,
                                            EOPTS(1.0f, 0, 1.01f)), SM_OK);
        assert_int_equal(sm_softmax_f32(n, x, q), SM_OK);
        for (size_t i = 0; i < n; i++) {
            const double d = fabs((double)y[i] - q[i]);
            worst = d > worst ? d : worst;
        }
    }
    printf("alpha 1.01: worst |p - softmax| %.3g\n", worst);
    assert_true(worst <= 0.02);
}

/* Closed forms: two entries at 1.5 (the quadratic solved directly), equal
 * logits, beta 0, one survivor. */
static void test_closed_forms(void **state)
{
    (void)state;
    float x[64], y[64];
    /* two entries, t = (0, -d / 2) */
    static const float ds[] = {0.0f, 0.1f, 0.5f, 1.0f, 1.9f, 2.5f};
    for (size_t i = 0; i < sizeof ds / sizeof *ds; i++) {
        x[0] = 0.0f, x[1] = -ds[i];
        assert_int_equal(sm_entmax15_f32(2, x, y), SM_OK);
        const double a = ds[i] / 2;
        /* (0 - tau)^2 + (-a - tau)^2 = 1 if both in: tau = (-a - sqrt(2 - a^2)) / 2 */
        double p0 = 1, p1 = 0;
        if (a < 1) {
            const double tau = (-a - sqrt(2 - a * a)) / 2;
            p0 = tau * tau, p1 = (a + tau) * (a + tau);
        }
        assert_true(fabs(y[0] - p0) <= 8 * U24 && fabs(y[1] - p1) <= 8 * U24);
        if (a >= 1)
            assert_true(y[0] == 1.0f && y[1] == 0.0f);
    }
    /* equal logits and beta 0: 1/n (equal t: tau = -1/sqrt(n)) */
    for (size_t n = 1; n <= 64; n++) {
        for (size_t i = 0; i < n; i++)
            x[i] = 0.375f;
        assert_int_equal(sm_entmax15_f32(n, x, y), SM_OK);
        for (size_t i = 0; i < n; i++)
            assert_true(fabs(y[i] - 1.0 / (double)n) <= 4 * U24);
        for (size_t i = 0; i < n; i++)
            x[i] = (float)i * 100.0f - 7.0f;
        assert_int_equal(sm_entmax_rows_f32(1, n, x, n, y, n,
                                            EOPTS(0.0f, 0, 1.25f)), SM_OK);
        for (size_t i = 0; i < n; i++)
            assert_true(y[i] == (float)(1.0 / (double)n));
    }
    /* one survivor: exactly one-hot */
    const float one[] = {0.5f, -0.6f, 3.0f, 0.9f, -1e30f};
    for (size_t a = 0; a < NALPHAS; a++) {
        if (alphas[a] < 1.5f) /* the gap 2.1 is within their reach */
            continue;
        assert_int_equal(sm_entmax_rows_f32(1, 5, one, 5, y, 5,
                                            EOPTS(1.0f, 0, alphas[a])), SM_OK);
        for (int i = 0; i < 5; i++)
            assert_true(y[i] == (i == 2 ? 1.0f : 0.0f));
    }
}

#include "test_entmax_more.h"

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_isa_matches_scalar),
        cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_softmax_limit),
        cmocka_unit_test(test_closed_forms),
        cmocka_unit_test(test_special_values),
        cmocka_unit_test(test_backward_finite_differences),
        cmocka_unit_test(test_errors_write_nothing),
        cmocka_unit_test(test_guard_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
