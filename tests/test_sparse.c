/*
 * sparsemax, its backward pass and hardmax: every ISA bit for bit against
 * scalar (sizes around every vector width, strides, offsets, betas, spreads
 * of logits, special values), scalar against a long-double sort-based
 * reference within the header's bound, closed forms and worked examples,
 * the backward pass against central differences, hardmax against softmax
 * at beta = +-inf, guard pages and every error path with nothing written.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
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

enum pattern {
    SPREAD_001, /* N(0, 1) * 0.01: dense support */
    SPREAD_1,
    SPREAD_10,  /* sparse support */
    TIES,       /* few distinct values */
    ONE_NAN,
    PLUS_INF,   /* two +inf entries */
    MINUS_INF,  /* some -inf in a finite row */
    ALL_MINUS_INF,
    HUGE,       /* +-3e38: differences overflow */
    UNIFORM,    /* [-10, 10], as the benchmarks: 5% candidates, pruned */
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
        switch (p) {
        case SPREAD_001:
        case SPREAD_1:
        case SPREAD_10:
            x[i] = gauss(s) * scale[p];
            break;
        case TIES:
            x[i] = (float)(rng_next(s) % 4) * 0.25f;
            break;
        case HUGE:
            x[i] = (rng_next(s) & 1) ? 3e38f : -3e38f;
            break;
        case UNIFORM:
            x[i] = rng_uniform(s, -10.0f, 10.0f);
            break;
        default:
            x[i] = gauss(s);
        }
    }
    if (n == 0)
        return;
    const size_t at = rng_next(s) % n;
    if (p == ONE_NAN)
        x[at] = NAN;
    if (p == PLUS_INF) {
        x[at] = INFINITY;
        x[n - 1 - at] = INFINITY;
    }
    if (p == MINUS_INF)
        for (size_t i = 0; i < n; i += 3)
            x[i] = -INFINITY;
    if (p == ALL_MINUS_INF)
        for (size_t i = 0; i < n; i++)
            x[i] = -INFINITY;
}

static size_t sizes(size_t *out)
{
    size_t ns = 0;
    for (size_t n = 0; n <= 70; n++)
        out[ns++] = n;
    static const size_t more[] = {95, 96, 97, 100, 127, 128, 129, 1000, 1023,
                                  1024, 1025, 2049, 4111, 30011, 100003,
                                  262147};
    for (size_t i = 0; i < sizeof more / sizeof *more; i++)
        if (!test_quick() || more[i] < 40000)
            out[ns++] = more[i];
    return ns;
}

static const float betas[] = {1.0f, 0.5f, -0.75f, 0.0f, INFINITY, -INFINITY,
                              3.0f};
#define NBETAS (sizeof betas / sizeof *betas)

enum op { SPARSEMAX, HARDMAX, BACKWARD };

/* Runs op on table k over rows of x (and dy for BACKWARD) into y, whose
 * padding starts as SENTINEL. */
static void run(const struct sm_kernels *k, enum op op, size_t rows,
                size_t n, size_t ld, float beta, const float *x,
                const float *dy, float *y)
{
    for (size_t i = 0; i < rows * ld; i++)
        y[i] = SENTINEL;
    if (op == SPARSEMAX)
        k->sparsemax_rows(rows, n, beta, x, ld, y, ld);
    else if (op == HARDMAX)
        k->hardmax_rows(rows, n, beta, x, ld, y, ld);
    else
        k->sparsemax_backward_rows(rows, n, beta, x, ld, dy, ld, y, ld);
}

static int same_bits(const float *a, const float *b, size_t count)
{
    return memcmp(a, b, count * sizeof(float)) == 0;
}

/* Each ISA's sparsemax, hardmax and backward against scalar's, bit for bit,
 * padding untouched; the backward pass takes scalar's forward output. */
static void test_every_isa_matches_scalar(void **state)
{
    (void)state;
    size_t sz[128];
    const size_t ns = sizes(sz), rows = 3, pad = 3, max_n = 262147;
    const size_t cap = (max_n + pad) * rows + 8;
    float *x = malloc(cap * sizeof(float)), *dy = malloc(cap * sizeof(float));
    float *want = malloc(cap * sizeof(float)), *got = malloc(cap * sizeof(float));
    float *fwd = malloc(cap * sizeof(float));
    assert_true(x && dy && want && got && fwd);
    const struct sm_kernels *scalar = sm_dispatch_table(SM_ISA_SCALAR);
    uint64_t s = 2024;
    int bad = 0, cases = 0;
    for (size_t si = 0; si < ns; si++) {
        const size_t n = sz[si], ld = n + (n % 2 ? pad : 0);
        for (int p = 0; p < PATTERNS; p++) {
            if (n > 2000 && p > SPREAD_10 && p != ONE_NAN && p != UNIFORM)
                continue;
            float *xr = x + (n + (size_t)p) % 4; /* every load alignment */
            for (size_t i = 0; i < rows * ld; i++)
                dy[i] = gauss(&s);
            for (size_t r = 0; r < rows; r++)
                fill_row(xr + r * ld, n, (enum pattern)p, &s);
            for (size_t b = 0; b < NBETAS; b++) {
                if (n > 2000 && b % 2)
                    continue;
                run(scalar, SPARSEMAX, rows, n, ld, betas[b], xr, NULL, fwd);
                for (int isa = SM_ISA_SCALAR + 1; isa <= SM_ISA_COUNT; isa++) {
                    const struct sm_kernels *k = table_for(isa);
                    if (!k)
                        continue;
                    for (int op = SPARSEMAX; op <= BACKWARD; op++) {
                        if (op == HARDMAX && betas[b] == 0.0f)
                            continue;
                        const float *in = op == BACKWARD ? fwd : xr;
                        run(scalar, (enum op)op, rows, n, ld, betas[b], in, dy,
                            want);
                        run(k, (enum op)op, rows, n, ld, betas[b], in, dy, got);
                        cases++;
                        if (!same_bits(want, got, rows * ld) && bad++ < 5)
                            printf("%s op %d n %zu pattern %d beta %g: "
                                   "differs from scalar\n",
                                   table_name(isa), op, n, p,
                                   (double)betas[b]);
                    }
                }
            }
        }
    }
    /* the compacted iteration and the passes over the row agree: sets
     * around the buffer's size (1024) in one row */
    for (size_t n = 1000; n <= 3000 && !bad; n += 500)
        for (int isa = SM_ISA_SCALAR + 1; isa <= SM_ISA_COUNT; isa++) {
            const struct sm_kernels *k = table_for(isa);
            if (!k)
                continue;
            for (size_t i = 0; i < n; i++)
                x[i] = (float)(i % 7) * 1e-4f - (i % 11 == 0 ? 2.0f : 0.0f);
            run(scalar, SPARSEMAX, 1, n, n, 1.0f, x, NULL, want);
            run(k, SPARSEMAX, 1, n, n, 1.0f, x, NULL, got);
            bad += !same_bits(want, got, n);
        }
    printf("%d cases compared\n", cases);
    free(x), free(dy), free(want), free(got), free(fwd);
    assert_true(cases > 0 || sm_isa_supported() == (1u << SM_ISA_SCALAR));
    assert_int_equal(bad, 0);
}

/* ---- the reference ------------------------------------------------------ */

static int desc(const void *a, const void *b)
{
    const long double x = *(const long double *)a, y = *(const long double *)b;
    return (x < y) - (x > y);
}

/* tau of the projection of z (finite, n > 0) by sorting: the largest k with
 * 1 + k z_(k) > sum_{j<=k} z_(j). */
static long double tau_sorted(const long double *z, size_t n, long double *work)
{
    memcpy(work, z, n * sizeof *work);
    qsort(work, n, sizeof *work, desc);
    long double cum = 0, tau = 0;
    for (size_t k = 1; k <= n; k++) {
        cum += work[k - 1];
        if (1 + (long double)k * work[k - 1] > cum)
            tau = (cum - 1) / (long double)k;
    }
    return tau;
}

/* The library's scalar sparsemax against the exact projection of the same
 * floats: |p_i - ref_i| <= 8u, |sum p - 1| <= (k + 2)u. */
static void test_against_sorted_reference(void **state)
{
    (void)state;
    const size_t max_n = test_quick() ? 5000 : 70000;
    float *x = malloc(max_n * sizeof(float)), *y = malloc(max_n * sizeof(float));
    long double *z = malloc(max_n * sizeof *z), *w = malloc(max_n * sizeof *w);
    assert_true(x && y && z && w);
    static const float bs[] = {1.0f, 0.5f, -0.75f, 3.0f, 1e-3f, 40.0f};
    static const size_t ns[] = {1, 2, 3, 7, 16, 33, 100, 1000, 4999, 30011,
                                70000};
    uint64_t s = 7;
    double worst = 0, worst_sum = 0;
    int checked = 0;
    for (size_t a = 0; a < sizeof ns / sizeof *ns; a++) {
        const size_t n = ns[a];
        if (n > max_n)
            continue;
        for (int p = SPREAD_001; p <= UNIFORM; p++) {
            if (p > TIES && p < UNIFORM)
                continue;
            for (size_t b = 0; b < sizeof bs / sizeof *bs; b++) {
                fill_row(x, n, (enum pattern)p, &s);
                assert_int_equal(sm_sparsemax_rows_f32(1, n, x, n, y, n,
                                                       OPTS(bs[b], 0)),
                                 SM_OK);
                float m = x[0];
                for (size_t i = 1; i < n; i++)
                    m = bs[b] > 0 ? fmaxf(m, x[i]) : fminf(m, x[i]);
                for (size_t i = 0; i < n; i++)
                    z[i] = (long double)bs[b] *
                           ((long double)x[i] - (long double)m);
                const long double tau = tau_sorted(z, n, w);
                long double sum = 0;
                size_t k = 0;
                for (size_t i = 0; i < n; i++) {
                    const long double ref = z[i] > tau ? z[i] - tau : 0;
                    const double err = (double)fabsl((long double)y[i] - ref);
                    worst = err > worst ? err : worst;
                    sum += y[i];
                    k += y[i] > 0;
                    if (err > 8 * U24 && checked >= 0) {
                        printf("n %zu p %d beta %g i %zu: %.9g, ref %.12Lg\n",
                               n, p, (double)bs[b], i, (double)y[i], ref);
                        checked = -1000000;
                    }
                    /* exact zeros well below tau */
                    if (z[i] < tau - 1e-5L && y[i] != 0.0f)
                        checked = -1000000;
                }
                const double serr = (double)fabsl(sum - 1) / ((double)k + 2);
                worst_sum = serr > worst_sum ? serr : worst_sum;
                checked++;
            }
        }
    }
    printf("worst |p - ref| %.3g u, worst |sum - 1| / (k + 2) %.3g u\n",
           worst / U24, worst_sum / U24);
    free(x), free(y), free(z), free(w);
    assert_true(checked > 0);
    assert_true(worst <= 8 * U24);
    assert_true(worst_sum <= U24);
}

/* ---- closed forms and worked examples -------------------------------------- */

static void test_closed_forms(void **state)
{
    (void)state;
    float y[64], x[64];
    /* two entries: p_1 = clip((z_1 - z_2 + 1) / 2, 0, 1) */
    static const float pairs[][2] = {{0.0f, 0.0f}, {0.3f, 0.1f}, {1.0f, 0.0f},
                                     {2.0f, -1.0f}, {-0.25f, 0.5f},
                                     {0.7f, 0.6999f}};
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        assert_int_equal(sm_sparsemax_f32(2, pairs[i], y), SM_OK);
        double want = ((double)pairs[i][0] - pairs[i][1] + 1) / 2;
        want = want < 0 ? 0 : want > 1 ? 1 : want;
        assert_true(fabs(y[0] - want) <= 4 * U24);
        assert_true(fabs(y[0] + y[1] - 1.0) <= 3 * U24);
    }
    /* one survivor: exactly one-hot */
    const float one[] = {0.5f, -0.6f, 3.0f, 1.9f, -1e30f};
    assert_int_equal(sm_sparsemax_f32(5, one, y), SM_OK);
    for (int i = 0; i < 5; i++)
        assert_true(y[i] == (i == 2 ? 1.0f : 0.0f));
    /* all survive: equal logits give 1/n; beta 0 gives 1/n */
    for (size_t n = 1; n <= 64; n++) {
        for (size_t i = 0; i < n; i++)
            x[i] = 0.375f;
        assert_int_equal(sm_sparsemax_f32(n, x, y), SM_OK);
        for (size_t i = 0; i < n; i++)
            assert_true(y[i] == (float)(1.0 / (double)n));
        for (size_t i = 0; i < n; i++)
            x[i] = (float)i * 100.0f - 7.0f;
        assert_int_equal(sm_sparsemax_rows_f32(1, n, x, n, y, n,
                                               OPTS(0.0f, 0)), SM_OK);
        for (size_t i = 0; i < n; i++)
            assert_true(y[i] == (float)(1.0 / (double)n));
    }
    /* three with a known tau: z = (1, 0.8, 0.1): S = {0, 1}, tau = 0.4 */
    const float three[] = {1.0f, 0.8f, 0.1f};
    assert_int_equal(sm_sparsemax_f32(3, three, y), SM_OK);
    assert_true(fabs(y[0] - 0.6) <= 4 * U24 && fabs(y[1] - 0.4) <= 4 * U24);
    assert_true(y[2] == 0.0f);
    /* hardmax: argmax(1, 5, 5) = (0, 1/2, 1/2); hardmin (1, 5, 1) */
    const float h[] = {1.0f, 5.0f, 5.0f}, hm[] = {1.0f, 5.0f, 1.0f};
    assert_int_equal(sm_hardmax_f32(3, h, y), SM_OK);
    assert_true(y[0] == 0.0f && y[1] == 0.5f && y[2] == 0.5f);
    assert_int_equal(sm_hardmax_rows_f32(1, 3, hm, 3, y, 3, OPTS(-2.0f, 0)),
                     SM_OK);
    assert_true(y[0] == 0.5f && y[1] == 0.0f && y[2] == 0.5f);
    /* sparsemax at beta = +inf is hardmax */
    assert_int_equal(sm_sparsemax_rows_f32(1, 3, h, 3, y, 3,
                                           OPTS(INFINITY, 0)), SM_OK);
    assert_true(y[0] == 0.0f && y[1] == 0.5f && y[2] == 0.5f);
}

/* The special values of the header on every ISA. */
static void test_special_values(void **state)
{
    (void)state;
    float y[8];
    for (int isa = SM_ISA_SCALAR; isa <= SM_ISA_COUNT; isa++) {
        const struct sm_kernels *k = table_for(isa);
        if (!k)
            continue;
        const float nan_row[] = {1, NAN, 2, 3, 4, 5, 6, 7};
        k->sparsemax_rows(1, 8, 1.0f, nan_row, 8, y, 8);
        for (int i = 0; i < 8; i++)
            assert_int_equal(f32_bits(y[i]), SM_TEST_QNAN_BITS);
        const float infs[] = {1, INFINITY, 2, INFINITY, -INFINITY, 5, 6, INFINITY};
        k->sparsemax_rows(1, 8, 1.0f, infs, 8, y, 8);
        for (int i = 0; i < 8; i++)
            assert_true(y[i] == (isinf(infs[i]) && infs[i] > 0 ? 1.0f / 3 : 0));
        k->sparsemax_rows(1, 8, -1.0f, infs, 8, y, 8); /* -inf is the min */
        for (int i = 0; i < 8; i++)
            assert_true(y[i] == (i == 4 ? 1.0f : 0.0f));
        const float masked[] = {-INFINITY, -INFINITY, -INFINITY};
        k->sparsemax_rows(1, 3, 1.0f, masked, 3, y, 3);
        for (int i = 0; i < 3; i++)
            assert_true(y[i] == 0.0f && !signbit(y[i]));
        const float some[] = {-INFINITY, 0.5f, -INFINITY, 0.25f};
        k->sparsemax_rows(1, 4, 1.0f, some, 4, y, 4);
        assert_true(y[0] == 0 && y[2] == 0 && fabs(y[1] - 0.625) <= 4 * U24 &&
                    fabs(y[3] - 0.375) <= 4 * U24);
        /* a NaN row's output through the backward pass: all NaN, at
         * every beta, in place too */
        const float dy8[] = {1, 2, 3, 4, 5, 6, 7, 8};
        const float betas[] = {1.0f, INFINITY};
        for (int b = 0; b < 2; b++) {
            float dx[8];
            k->sparsemax_rows(1, 8, 1.0f, nan_row, 8, y, 8);
            k->sparsemax_backward_rows(1, 8, betas[b], y, 8, dy8, 8, dx, 8);
            k->sparsemax_backward_rows(1, 8, betas[b], y, 8, dy8, 8, y, 8);
            for (int i = 0; i < 8; i++) {
                assert_int_equal(f32_bits(dx[i]), SM_TEST_QNAN_BITS);
                assert_int_equal(f32_bits(y[i]), SM_TEST_QNAN_BITS);
            }
        }
        /* differences that overflow: still a distribution */
        const float huge[] = {3e38f, -3e38f, 3e38f};
        k->sparsemax_rows(1, 3, 1.0f, huge, 3, y, 3);
        assert_true(y[0] == 0.5f && y[1] == 0.0f && y[2] == 0.5f);
    }
    /* n = 0: nothing written */
    y[0] = SENTINEL;
    assert_int_equal(sm_sparsemax_f32(0, NULL, y), SM_OK);
    assert_int_equal(sm_hardmax_f32(0, NULL, y), SM_OK);
    assert_int_equal(sm_sparsemax_rows_f32(3, 0, y, 0, y, 0, NULL), SM_OK);
    assert_true(y[0] == SENTINEL);
}

/* hardmax is softmax at beta = +-inf, bit for bit, on every ISA. */
static void test_hardmax_is_softmax_at_infinite_beta(void **state)
{
    (void)state;
    size_t sz[128];
    const size_t ns = sizes(sz);
    float *x = malloc(262147 * sizeof(float)), *a = malloc(262147 * sizeof(float));
    float *b = malloc(262147 * sizeof(float));
    assert_true(x && a && b);
    uint64_t s = 99;
    int bad = 0, cases = 0;
    for (int isa = SM_ISA_SCALAR; isa <= SM_ISA_COUNT; isa++) {
        const struct sm_kernels *k = table_for(isa);
        if (!k)
            continue;
        for (size_t si = 0; si < ns; si++)
            for (int p = 0; p < PATTERNS; p++) {
                const size_t n = sz[si];
                if (n == 0 || (n > 2000 && p > SPREAD_1))
                    continue;
                fill_row(x, n, (enum pattern)p, &s);
                if (p == TIES || p == PLUS_INF)
                    for (size_t i = 0; i < n; i += 5)
                        x[i] = -x[i]; /* ties and infinities at both ends */
                for (int sign = -1; sign <= 1; sign += 2) {
                    k->hardmax_rows(1, n, (float)sign, x, n, a, n);
                    k->softmax_rows(1, n, sign * INFINITY, x, n, b, n, 0);
                    cases++;
                    if (!same_bits(a, b, n) && bad++ < 5)
                        printf("%s n %zu pattern %d sign %d: hardmax is not "
                               "softmax's bits\n", table_name(isa), n, p, sign);
                }
            }
    }
    free(x), free(a), free(b);
    assert_true(cases > 0);
    assert_int_equal(bad, 0);
}

/* ---- backward ------------------------------------------------------------ */

/* sparsemax of beta x in double (sort-based), for the finite differences. */
static void sparsemax_double(const double *x, size_t n, double beta, double *p,
                             double *tau_out)
{
    long double z[64], w[64];
    for (size_t i = 0; i < n; i++)
        z[i] = (long double)beta * x[i];
    const long double tau = tau_sorted(z, n, w);
    for (size_t i = 0; i < n; i++)
        p[i] = (double)(z[i] > tau ? z[i] - tau : 0);
    *tau_out = (double)tau;
}

/* dx against central differences of <dy, sparsemax(beta x)>, on rows whose
 * entries all stay clear of tau (no support change within the step). */
static void test_backward_finite_differences(void **state)
{
    (void)state;
    uint64_t s = 31;
    int tested = 0;
    static const float bs[] = {1.0f, 0.5f, -0.75f, 3.0f};
    for (int trial = 0; trial < 400; trial++) {
        const size_t n = 2 + rng_next(&s) % 40;
        const float beta = bs[trial % 4];
        float x[64], y[64], dy[64], dx[64];
        double xd[64], p[64], tau;
        for (size_t i = 0; i < n; i++) {
            x[i] = gauss(&s) * (trial % 3 ? 0.3f : 1.0f);
            xd[i] = x[i];
            dy[i] = gauss(&s);
        }
        sparsemax_double(xd, n, beta, p, &tau);
        int clear = 1;
        for (size_t i = 0; i < n; i++)
            clear &= fabs(beta * xd[i] - tau) > 1e-3;
        if (!clear)
            continue;
        assert_int_equal(sm_sparsemax_rows_f32(1, n, x, n, y, n,
                                               OPTS(beta, 0)), SM_OK);
        assert_int_equal(sm_sparsemax_backward_rows_f32(
                             1, n, y, n, dy, n, dx, n, OPTS(beta, 0)), SM_OK);
        const double h = 1e-6;
        for (size_t j = 0; j < n; j++) {
            double fp = 0, fm = 0, t;
            xd[j] = x[j] + h;
            sparsemax_double(xd, n, beta, p, &t);
            for (size_t i = 0; i < n; i++)
                fp += dy[i] * p[i];
            xd[j] = x[j] - h;
            sparsemax_double(xd, n, beta, p, &t);
            for (size_t i = 0; i < n; i++)
                fm += dy[i] * p[i];
            xd[j] = x[j];
            const double fd = (fp - fm) / (2 * h);
            if (fabs(dx[j] - fd) > 1e-5 * (1 + fabs(fd)))
                printf("n %zu beta %g j %zu: dx %.9g, fd %.9g\n", n,
                       (double)beta, j, (double)dx[j], fd);
            assert_true(fabs(dx[j] - fd) <= 1e-5 * (1 + fabs(fd)));
            if (y[j] == 0.0f)
                assert_true(dx[j] == 0.0f && !signbit(dx[j]));
        }
        tested++;
    }
    printf("%d rows against finite differences\n", tested);
    assert_true(tested > 100);
    /* in place (dx == y, dx == dy) gives the same bits; infinite beta 0 */
    float y[37], dy[37], dx[37], t[37];
    for (int i = 0; i < 37; i++) {
        y[i] = (i % 3) ? 0.0f : 1.0f / 13;
        dy[i] = (float)i * 0.125f;
    }
    assert_int_equal(sm_sparsemax_backward_rows_f32(1, 37, y, 37, dy, 37, dx,
                                                    37, OPTS(2.0f, 0)), SM_OK);
    memcpy(t, y, sizeof t);
    assert_int_equal(sm_sparsemax_backward_rows_f32(1, 37, t, 37, dy, 37, t,
                                                    37, OPTS(2.0f, 0)), SM_OK);
    assert_true(same_bits(t, dx, 37));
    memcpy(t, dy, sizeof t);
    assert_int_equal(sm_sparsemax_backward_rows_f32(1, 37, y, 37, t, 37, t,
                                                    37, OPTS(2.0f, 0)), SM_OK);
    assert_true(same_bits(t, dx, 37));
    assert_int_equal(sm_sparsemax_backward_rows_f32(
                         1, 37, y, 37, dy, 37, dx, 37, OPTS(-INFINITY, 0)), SM_OK);
    for (int i = 0; i < 37; i++)
        assert_true(dx[i] == 0.0f);
}

#include "test_sparse_errors.h"

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_isa_matches_scalar),
        cmocka_unit_test(test_against_sorted_reference),
        cmocka_unit_test(test_closed_forms),
        cmocka_unit_test(test_special_values),
        cmocka_unit_test(test_hardmax_is_softmax_at_infinite_beta),
        cmocka_unit_test(test_backward_finite_differences),
        cmocka_unit_test(test_errors_write_nothing),
        cmocka_unit_test(test_guard_pages),
        cmocka_unit_test(test_entries_below_tau_change_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
