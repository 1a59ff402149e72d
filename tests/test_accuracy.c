/*
 * The kernels against the mathematics: a long-double reference and the
 * accuracy bounds stated in softmax.h, the special-values table, and the
 * seeds' worked examples. Every ISA here runs the bounds (they are
 * bit-identical anyway), and so does the scalar kernel for CPUs without FMA,
 * which is held to the bounds only.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/log1p.h"
#include "dispatch.h"
#include "harness.h"
#include "call_options.h"
#include "long_double_reference.h"

struct table {
    char name[32];
    const struct sm_kernels *k;
    unsigned flags; /* 0 or SM_FAST_EXP */
};
#define MAX_TABLES (2 * (SM_ISA_COUNT + 1))

/* Every table to check, in both exp modes: the supported ISAs and the
 * no-FMA scalar kernels. */
static size_t tables(struct table out[MAX_TABLES])
{
    size_t count = 0;
    for (int mode = 0; mode < 2; mode++) {
        const unsigned flags = mode ? SM_FAST_EXP : 0;
        const char *suffix = mode ? "/fast-exp" : "";
        for (int isa = 0; isa < SM_ISA_COUNT; isa++) {
            if (!isa_available((sm_isa)isa))
                continue;
            /* quick: the automatic ISA stands for the others, which
             * test_kernels holds to its bits (long double is software
             * binary128 on AArch64, slow under an emulator) */
            if (test_quick() && isa != (int)sm_isa_active())
                continue;
            out[count].k = sm_dispatch_table((sm_isa)isa);
            out[count].flags = flags;
            snprintf(out[count++].name, sizeof out->name, "%s%s",
                     sm_isa_name((sm_isa)isa), suffix);
        }
#if defined(__x86_64__)
        if (test_quick())
            continue;
        out[count].k = &sm_kernels_scalar_nofma;
        out[count].flags = flags;
        snprintf(out[count++].name, sizeof out->name, "scalar-nofma%s", suffix);
#endif
    }
    return count;
}

/* The stated bounds: the fast exp's extra ulp widen each by a little. */
struct bounds {
    double softmax_base, log_ulp, lse_ulp;
};
static struct bounds bounds_for(unsigned flags)
{
    return flags & SM_FAST_EXP ? (struct bounds){7.0, 5.0, 3.0}
                               : (struct bounds){5.0, 4.0, 2.0};
}

/* Worst errors seen, printed at the end: the bounds' real margins. */
static double worst_softmax_rel, worst_log_ulp, worst_lse_ulp, worst_sum_dev;

static int check_row(const struct table *tab, const float *x, size_t n,
                     float beta, const char *what)
{
    const char *isa = tab->name;
    const struct sm_kernels *k = tab->k;
    const struct bounds bd = bounds_for(tab->flags);
    float *p = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
    assert_non_null(p);
    assert_non_null(y);
    float lse;
    k->softmax_rows(1, n, beta, x, n, p, n, tab->flags);
    k->log_softmax_rows(1, n, beta, x, n, y, n, tab->flags);
    k->logsumexp_rows(1, n, beta, x, n, &lse, tab->flags);
    const struct reference ref = reference(x, n, beta);
    int bad = 0;
    long double sum = 0;
    for (size_t i = 0; i < n && bad < 5; i++) {
        const long double t = (long double)beta * ((long double)x[i] - ref.m);
        const long double logp = t - ref.l;
        const long double pr = expl(logp);
        sum += p[i];
        /* softmax: (5 + 2|t|) 2^-24 relative, 2^-148 absolute if subnormal */
        const double err = (double)fabsl((long double)p[i] - pr);
        const double bound =
            (bd.softmax_base + 2.0 * (double)fabsl(t)) * 0x1p-24 * (double)pr;
        if (pr > 0 && (double)pr >= 0x1p-126)
            if (err / (double)pr > worst_softmax_rel)
                worst_softmax_rel = err / (double)pr;
        if (!(err <= bound || (pr < 0x1p-126L && err <= 0x1p-148))) {
            print_error("%s softmax %s n=%zu beta=%g i=%zu: x=%a got %a want %La "
                        "(rel err %.3g, bound %.3g)\n", isa, what, n,
                        (double)beta, i, (double)x[i], (double)p[i], pr,
                        err / (double)pr, bound / (double)pr);
            bad++;
        }
        /* log-softmax: 4 ulp (exact zero when the reference is zero) */
        const float logp_f = (float)logp;
        const double lerr = (double)fabsl((long double)y[i] - logp);
        const double lulps = logp_f == 0.0f ? (y[i] == 0.0f ? 0 : INFINITY)
                                            : lerr / ulp_of(logp_f);
        const double lbound = bd.log_ulp + ref.slack / ulp_of(logp_f);
        if (isfinite(logp_f) && lulps - (lbound - bd.log_ulp) > worst_log_ulp)
            worst_log_ulp = lulps - (lbound - bd.log_ulp);
        if (isfinite(logp_f) ? !(lulps <= lbound) : y[i] != logp_f) {
            print_error("%s log_softmax %s n=%zu beta=%g i=%zu: x=%a got %a want "
                        "%La (%.3g ulp)\n", isa, what, n, (double)beta, i,
                        (double)x[i], (double)y[i], logp, lulps);
            bad++;
        }
    }
    const double dev = (double)fabsl(sum - 1);
    if (dev > worst_sum_dev)
        worst_sum_dev = dev;
    if (!(dev <= 1e-6)) {
        print_error("%s softmax %s n=%zu beta=%g: sum %.9Lf\n", isa, what, n,
                    (double)beta, sum);
        bad++;
    }
    const long double lse_ref = (long double)beta * ref.m + ref.l;
    const float lse_f = (float)lse_ref;
    const double eulps = fabsl((long double)lse - lse_ref) / ulp_of(lse_f);
    if (eulps - ref.slack / ulp_of(lse_f) > worst_lse_ulp)
        worst_lse_ulp = eulps - ref.slack / ulp_of(lse_f);
    if (!(eulps <= bd.lse_ulp + ref.slack / ulp_of(lse_f))) {
        print_error("%s logsumexp %s n=%zu beta=%g: got %a want %La (%.3g ulp)\n",
                    isa, what, n, (double)beta, (double)lse, lse_ref, eulps);
        bad++;
    }
    free(y);
    free(p);
    return bad;
}

static void test_random_rows_within_bounds(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 2, 3, 7, 16, 31, 33, 100, 1000, 4099,
                                   SM_CHUNK + 1000, 2 * SM_CHUNK + 17};
    static const float betas[] = {1.0f, 0.5f, 3.0f, -1.0f, 1e-3f, -7.0f};
    static const float spreads[] = {1.0f, 10.0f, 100.0f, 1000.0f};
    struct table t[MAX_TABLES];
    const size_t nt = tables(t);
    int bad = 0;
    uint64_t seed = 12345;
    float *x = malloc((2 * SM_CHUNK + 17) * sizeof(float));
    assert_non_null(x);
    for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++)
        for (size_t b = 0; b < sizeof betas / sizeof betas[0]; b++)
            for (size_t s = 0; s < sizeof spreads / sizeof spreads[0]; s++) {
                const size_t n = sizes[j];
                if (n > 5000 && (b + s) % 3 != 0)
                    continue; /* large rows: a third of the grid */
                if (n > 5000 && test_quick())
                    continue;
                for (size_t i = 0; i < n; i++)
                    x[i] = rng_uniform(&seed, -spreads[s], spreads[s]);
                char what[64];
                snprintf(what, sizeof what, "spread %g", (double)spreads[s]);
                for (size_t q = 0; q < nt; q++)
                    bad += check_row(&t[q], x, n, betas[b], what);
                if (n <= SM_CHUNK || spreads[s] != 10.0f)
                    continue;
                /* chunks a few units apart: each chunk's e_i against its
                 * own extremum, scaled by exp(beta (m_b - M)) / S */
                for (size_t i = 0; i < n; i++)
                    x[i] += 3.0f * (float)(i / SM_CHUNK);
                snprintf(what, sizeof what, "spread %g, chunks lifted",
                         (double)spreads[s]);
                for (size_t q = 0; q < nt; q++)
                    bad += check_row(&t[q], x, n, betas[b], what);
            }
    free(x);
    printf("worst errors: softmax %.3g relative (%.2f x 2^-24), beyond the "
           "t-rounding slack: log-softmax %.3g ulp, logsumexp %.3g ulp; "
           "|sum - 1| %.3g\n", worst_softmax_rel,
           worst_softmax_rel / 0x1p-24, worst_log_ulp, worst_lse_ulp,
           worst_sum_dev);
    assert_int_equal(bad, 0);
}

/* |sum p - 1| <= 1e-6 holds up to 2^24 elements (64 chunks). */
static void test_sum_of_long_row(void **state)
{
    (void)state;
    /* quick: two chunks and a bit */
    const size_t n = test_quick() ? 2 * SM_CHUNK + 17 : (size_t)1 << 24;
    float *x = malloc(n * sizeof(float)), *p = malloc(n * sizeof(float));
    assert_non_null(x);
    assert_non_null(p);
    uint64_t seed = 99;
    for (size_t i = 0; i < n; i++)
        x[i] = rng_uniform(&seed, -20.0f, 20.0f);
    assert_int_equal(sm_softmax_f32(n, x, p), SM_OK);
    long double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += p[i];
    printf("n = %zu: |sum - 1| = %.3Lg\n", n, fabsl(sum - 1));
    assert_true(fabsl(sum - 1) <= 1e-6L);
    free(p);
    free(x);
}

/* ---- special values -------------------------------------------------------- */

struct outputs {
    float p[8], y[8], lse;
};

static struct outputs run_all(const struct table *tab, const float *x,
                              size_t n, float beta)
{
    struct outputs o;
    memset(&o, 0, sizeof o);
    tab->k->softmax_rows(1, n, beta, x, n, o.p, n, tab->flags);
    tab->k->log_softmax_rows(1, n, beta, x, n, o.y, n, tab->flags);
    tab->k->logsumexp_rows(1, n, beta, x, n, &o.lse, tab->flags);
    return o;
}

static int same(float a, float b)
{
    return (isnan(a) && isnan(b)) || f32_bits(a) == f32_bits(b) ||
           (a == b && a == 0.0f);
}

#define EXPECT(got, want, label)                                              \
    do {                                                                      \
        if (!same((got), (want))) {                                           \
            print_error("%s: %s: got %a want %a\n", t[q].name, (label),       \
                        (double)(got), (double)(want));                       \
            bad++;                                                            \
        }                                                                     \
    } while (0)

static void test_special_values(void **state)
{
    (void)state;
    struct table t[MAX_TABLES];
    const size_t nt = tables(t);
    const float inf = INFINITY, nan = NAN;
    const float log_half = (float)-0.69314718055994530942;
    int bad = 0;
    for (size_t q = 0; q < nt; q++) {
        const struct table *k = &t[q];
        for (int sign = 1; sign >= -1; sign -= 2) {
            const float b = (float)sign; /* beta = 1, and its mirror -1 */
            const float big = sign * inf; /* the extremal infinity */
            /* any NaN: all NaN */
            const float xn[4] = {1, nan, 3, big};
            struct outputs o = run_all(k, xn, 4, b);
            for (int i = 0; i < 4; i++) {
                EXPECT(o.p[i], nan, "NaN row softmax");
                EXPECT(o.y[i], nan, "NaN row log-softmax");
            }
            EXPECT(o.lse, nan, "NaN row logsumexp");
            /* two extremal infinities: 1/2 each */
            const float xi[5] = {1, big, -3, big, -big};
            o = run_all(k, xi, 5, b);
            const float pw[5] = {0, 0.5f, 0, 0.5f, 0};
            const float yw[5] = {-inf, log_half, -inf, log_half, -inf};
            for (int i = 0; i < 5; i++) {
                EXPECT(o.p[i], pw[i], "+inf entries softmax");
                EXPECT(o.y[i], yw[i], "+inf entries log-softmax");
            }
            EXPECT(o.lse, inf, "+inf entries logsumexp");
            /* fully masked row */
            const float xm[3] = {-big, -big, -big};
            o = run_all(k, xm, 3, b);
            for (int i = 0; i < 3; i++) {
                EXPECT(o.p[i], 0.0f, "masked row softmax");
                EXPECT(o.y[i], -inf, "masked row log-softmax");
            }
            EXPECT(o.lse, -inf, "masked row logsumexp");
            /* beta = +-inf: hardmax with ties split, hardmin mirrored */
            const float xh[4] = {1, 5, 5, -2};
            o = run_all(k, xh, 4, sign * inf);
            const float ph[4] = {sign > 0 ? 0 : 0, sign > 0 ? 0.5f : 0,
                                 sign > 0 ? 0.5f : 0, sign > 0 ? 0 : 1};
            for (int i = 0; i < 4; i++)
                EXPECT(o.p[i], ph[i], "infinite beta softmax");
            EXPECT(o.y[sign > 0 ? 1 : 3], sign > 0 ? log_half : 0.0f,
                   "infinite beta log-softmax");
            EXPECT(o.y[0], -inf, "infinite beta log-softmax elsewhere");
            EXPECT(o.lse, inf, "infinite beta logsumexp");
        }
        /* beta = 0: uniform whatever the values, NaN still wins */
        const float x0[4] = {-inf, 3, inf, 1e30f};
        struct outputs o = run_all(k, x0, 4, 0.0f);
        for (int i = 0; i < 4; i++) {
            EXPECT(o.p[i], 0.25f, "beta 0 softmax");
            EXPECT(o.y[i], (float)-1.38629436111989061883, "beta 0 log-softmax");
        }
        EXPECT(o.lse, (float)1.38629436111989061883, "beta 0 logsumexp");
        const float x0n[3] = {1, nan, 2};
        o = run_all(k, x0n, 3, 0.0f);
        EXPECT(o.p[0], nan, "beta 0 NaN softmax");
        EXPECT(o.lse, nan, "beta 0 NaN logsumexp");
        /* infinite beta: the limit beta M + log k, by the sign of beta M */
        const float xneg[2] = {-3, -1};
        EXPECT(run_all(k, xneg, 2, inf).lse, -inf, "beta inf, M < 0");
        const float xzero[3] = {0, -1, 0};
        EXPECT(run_all(k, xzero, 3, inf).lse, log_half * -1.0f,
               "beta inf, M = 0: log k");
        /* empty row */
        float lse = 0;
        k->k->logsumexp_rows(1, 0, 1.0f, xzero, 0, &lse, k->flags);
        EXPECT(lse, -inf, "empty logsumexp");
        /* subnormal probabilities are kept, not flushed */
        const float xs[2] = {0, -100};
        o = run_all(k, xs, 2, 1.0f);
        if (!(o.p[1] > 0 && o.p[1] < 0x1p-126f)) {
            print_error("%s: exp(-100) should be a subnormal, got %a\n",
                        t[q].name, (double)o.p[1]);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

/* The dominant class's log-probability must not round to 0 (log S does). */
static void test_dominant_class_log_probability(void **state)
{
    (void)state;
    struct table t[MAX_TABLES];
    const size_t nt = tables(t);
    const float x[3] = {0, -80, -75};
    const long double want = -log1pl(expl(-80.0L) + expl(-75.0L));
    for (size_t q = 0; q < nt; q++) {
        float y[3];
        t[q].k->log_softmax_rows(1, 3, 1.0f, x, 3, y, 3, t[q].flags);
        assert_true(y[0] < 0);
        assert_true(fabsl((long double)y[0] - want) <= 4 * ulp_of((float)want));
    }
}

/* ---- the log-partition's log1p ------------------------------------------- */

/* common/log1p.h, which every kernel inlines: within 1.5 ulp of double over
 * y = u 2^e for e from -80 to 59, exact where it must be, and each lane of
 * the vector the single value's bits (lanes never mix). */
static void test_log1p_in_double(void **state)
{
    (void)state;
    uint64_t seed = 7;
    const int count = test_quick() ? 20000 : 400000;
    double worst = 0.0;
    for (int i = 0; i < count; i++) {
        const double u = 1.0 + (double)(rng_next(&seed) >> 11) * 0x1p-53;
        const double y = ldexp(u, -80 + (int)(rng_next(&seed) % 140));
        const long double want = log1pl((long double)y);
        const double w = (double)want;
        const double ulp = nextafter(w, INFINITY) - w;
        const double err = (double)fabsl((long double)log1p_one(y) - want) / ulp;
        worst = err > worst ? err : worst;
    }
    print_message("log1p: largest error %.3f ulp of double\n", worst);
    assert_true(worst <= 1.5);

    /* exact: 0, below half an ulp of 1 (log1p(y) = y), infinity, NaN */
    assert_true(log1p_one(0.0) == 0.0 && !signbit(log1p_one(0.0)));
    for (double y = 0x1p-1074; y < 0x1p-60; y *= 1024.0)
        assert_true(log1p_one(y) == y);
    assert_true(log1p_one(INFINITY) == INFINITY);
    assert_true(isnan(log1p_one(NAN)));
    /* log K for the counts of ties: log1p(K - 1) within an ulp */
    for (int k = 2; k <= 64; k++)
        assert_true(fabs(log1p_one(k - 1.0) - log((double)k)) <=
                    nextafter(log((double)k), INFINITY) - log((double)k));

    /* four different lanes: each one the single value's bits */
    const sm_dv y = {0x1p-30, 0.75, 3.0, 1e6};
    const sm_dv r = log1p_dv(y);
    for (int i = 0; i < 4; i++) {
        const double lane = r[i], alone = log1p_one(y[i]);
        assert_memory_equal(&lane, &alone, sizeof lane);
    }
}

/* ---- the seeds' worked examples ------------------------------------------ */

static void expect_close(const float *got, const double *want, size_t n,
                         double tol)
{
    for (size_t i = 0; i < n; i++) {
        if (!(fabs((double)got[i] - want[i]) <= tol))
            fail_msg("element %zu: got %.7f want %.7f", i, (double)got[i], want[i]);
    }
}

static void test_seed_examples(void **state)
{
    (void)state;
    const float x[7] = {1, 2, 3, 4, 1, 2, 3};
    float p[7];
    assert_int_equal(sm_softmax_f32(7, x, p), SM_OK);
    expect_close(p, (const double[]){0.024, 0.064, 0.175, 0.475, 0.024, 0.064,
                                     0.175}, 7, 5e-4);
    /* temperature 10: beta = 0.1 */
    assert_int_equal(sm_softmax_rows_f32(1, 7, x, 7, p, 7, OPTS(0.1f, 0)), SM_OK);
    expect_close(p, (const double[]){0.125, 0.138, 0.153, 0.169, 0.125, 0.138,
                                     0.153}, 7, 5e-4);
    const float x3[3] = {1, 2, 8};
    assert_int_equal(sm_softmax_f32(3, x3, p), SM_OK);
    expect_close(p, (const double[]){0.001, 0.002, 0.997}, 3, 5e-4);
    const float x2[2] = {0, 10};
    assert_int_equal(sm_softmax_f32(2, x2, p), SM_OK);
    expect_close(p, (const double[]){0.0000454, 0.9999546}, 2, 1e-7);
    /* hardmax limits: argmax(1,5,10) = (0,0,1), argmax(1,5,5) = (0,1/2,1/2) */
    const float a[3] = {1, 5, 10}, b[3] = {1, 5, 5};
    assert_int_equal(sm_softmax_rows_f32(1, 3, a, 3, p, 3, OPTS(INFINITY, 0)), SM_OK);
    expect_close(p, (const double[]){0, 0, 1}, 3, 0);
    assert_int_equal(sm_softmax_rows_f32(1, 3, b, 3, p, 3, OPTS(INFINITY, 0)), SM_OK);
    expect_close(p, (const double[]){0, 0.5, 0.5}, 3, 0);
    /* sigma_beta(1, 1.0001) -> (0, 1) and (1, 0.9999) -> (1, 0) as beta
     * grows, with argmin for beta -> -inf; (1, 1) stays 1/2 */
    const float c[2] = {1, 1.0001f}, d[2] = {1, 0.9999f}, e[2] = {1, 1};
    assert_int_equal(sm_softmax_rows_f32(1, 2, c, 2, p, 2, OPTS(1e6f, 0)), SM_OK);
    expect_close(p, (const double[]){0, 1}, 2, 1e-6);
    assert_int_equal(sm_softmax_rows_f32(1, 2, d, 2, p, 2, OPTS(1e6f, 0)), SM_OK);
    expect_close(p, (const double[]){1, 0}, 2, 1e-6);
    assert_int_equal(sm_softmax_rows_f32(1, 2, c, 2, p, 2, OPTS(-1e6f, 0)), SM_OK);
    expect_close(p, (const double[]){1, 0}, 2, 1e-6);
    assert_int_equal(sm_softmax_rows_f32(1, 2, e, 2, p, 2, OPTS(1e6f, 0)), SM_OK);
    expect_close(p, (const double[]){0.5, 0.5}, 2, 0);
    /* all equal: 1/n */
    const float eq[5] = {3, 3, 3, 3, 3};
    assert_int_equal(sm_softmax_f32(5, eq, p), SM_OK);
    expect_close(p, (const double[]){0.2, 0.2, 0.2, 0.2, 0.2}, 5, 1e-8);
    /* logsumexp is a smooth maximum: max <= lse <= max + log n */
    float lse;
    assert_int_equal(sm_logsumexp_f32(7, x, &lse), SM_OK);
    assert_true(lse >= 4.0f && lse <= 4.0f + logf(7.0f));
    expect_close(&lse, (const double[]){4.7447920}, 1, 1e-6);
}

/* softmax(x + c) = softmax(x): exactly when the shift is exact. */
static void test_shift_invariance(void **state)
{
    (void)state;
    uint64_t seed = 7;
    float x[257], xs[257], p[257], ps[257];
    for (int i = 0; i < 257; i++)
        x[i] = (float)(int)(rng_next(&seed) % 41) - 20.0f; /* integers */
    for (int c = -1024; c <= 1024; c += 512) {
        for (int i = 0; i < 257; i++)
            xs[i] = x[i] + (float)c; /* exact */
        assert_int_equal(sm_softmax_f32(257, x, p), SM_OK);
        assert_int_equal(sm_softmax_f32(257, xs, ps), SM_OK);
        assert_memory_equal(p, ps, sizeof p);
    }
    /* an inexact shift moves the result only by the inputs' rounding */
    for (int i = 0; i < 257; i++) {
        x[i] = rng_uniform(&seed, -5.0f, 5.0f);
        xs[i] = x[i] + 1000.0f;
    }
    assert_int_equal(sm_softmax_f32(257, x, p), SM_OK);
    assert_int_equal(sm_softmax_f32(257, xs, ps), SM_OK);
    for (int i = 0; i < 257; i++)
        assert_true(fabsf(p[i] - ps[i]) <= 1e-4f * p[i] + 1e-9f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_examples),
        cmocka_unit_test(test_shift_invariance),
        cmocka_unit_test(test_special_values),
        cmocka_unit_test(test_dominant_class_log_probability),
        cmocka_unit_test(test_log1p_in_double),
        cmocka_unit_test(test_random_rows_within_bounds),
        cmocka_unit_test(test_sum_of_long_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
