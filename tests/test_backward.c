/*
 * Softmax and log-softmax backward: every ISA bit for bit against scalar
 * (sizes, strides, in place, chunk-crossing rows), the gradients against
 * central finite differences of the forward pass in double, the seeds'
 * identities (Jacobian rows sum to 0, the Jacobian is symmetric), and the
 * error paths.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "isa_tables.h"
#include "call_options.h"

enum { SOFTMAX, LOG_SOFTMAX };

static void run(const struct sm_kernels *k, int op, size_t rows, size_t cols,
                float beta, const float *y, size_t ldy, const float *dy,
                size_t lddy, float *dx, size_t lddx)
{
    (op == SOFTMAX ? k->softmax_backward_rows : k->log_softmax_backward_rows)(
        rows, cols, beta, y, ldy, dy, lddy, dx, lddx);
}

/* Forward outputs to differentiate at: softmax or log-softmax of logits. */
static void forward(int op, size_t rows, size_t cols, float beta,
                    const float *x, size_t ld, float *y)
{
    const sm_status st =
        op == SOFTMAX ? sm_softmax_rows_f32(rows, cols, x, ld, y, ld,
                                            OPTS(beta, 0))
                      : sm_log_softmax_rows_f32(rows, cols, x, ld, y, ld,
                                                OPTS(beta, 0));
    assert_int_equal(st, SM_OK);
}

static int compare_bits(const char *isa, int op, size_t n, size_t i,
                        const float *want, const float *got, size_t count)
{
    for (size_t j = 0; j < count; j++)
        if (f32_bits(want[j]) != f32_bits(got[j]) || !nan_is_canonical(got[j])) {
            print_error("%s %s backward n=%zu case %zu: element %zu: scalar %a "
                        "(%#x), %s %a (%#x)\n", isa,
                        op == SOFTMAX ? "softmax" : "log-softmax", n, i, j,
                        (double)want[j], f32_bits(want[j]), isa,
                        (double)got[j], f32_bits(got[j]));
            return 1;
        }
    return 0;
}

static void test_isas_match_scalar(void **state)
{
    (void)state;
    static const size_t big[] = {1000, 4099, SM_CHUNK + 5, 2 * SM_CHUNK + 7};
    /* the last case: beta 1 with special values in rows 1 and 2 */
    static const float betas[] = {1.0f, 0.5f, -2.0f, 3.0f, 1.0f};
    const struct sm_kernels *ref = sm_dispatch_table(SM_ISA_SCALAR);
    const size_t max_n = 2 * SM_CHUNK + 7, rows = 3;
    const size_t cap = rows * (max_n + 5);
    float *x = malloc(cap * sizeof(float)), *y = malloc(cap * sizeof(float));
    float *dy = malloc(cap * sizeof(float)), *want = malloc(cap * sizeof(float));
    float *got = malloc(cap * sizeof(float));
    assert_true(x && y && dy && want && got);
    int bad = 0, ran = 0;
    for (int isa = SM_ISA_SCALAR + 1; isa <= SM_ISA_COUNT; isa++) {
        const struct sm_kernels *k = table_for(isa);
        const char *name = table_name(isa);
        if (!k)
            continue;
        ran++;
        for (size_t j = 0; j < 100 + 4 && bad < 10; j++) {
            const size_t n = j < 100 ? j + 1 : big[j - 100];
            if (test_quick() && n > 2 * SM_CHUNK)
                continue; /* quick: C + 5 is the multi-chunk row */
            const size_t ld = n + (j % 3) * 5; /* padding on some */
            for (int op = 0; op < 2; op++)
                for (size_t b = 0; b < 5; b++) {
                    /* runs narrowed to some ISAs: the long rows at beta 1,
                     * plain and with the special values */
                    if (test_isas_narrowed() && n > 1000 && b % 4 != 0)
                        continue;
                    uint64_t seed = 1000 * n + b;
                    for (size_t i = 0; i < rows * ld; i++) {
                        x[i] = rng_uniform(&seed, -8.0f, 8.0f);
                        dy[i] = rng_uniform(&seed, -1.0f, 1.0f);
                    }
                    forward(op, rows, n, betas[b], x, ld, y);
                    if (b == 4) {
                        /* two NaN payloads (dy[7], y[30] of a row of 37),
                         * then infinities that make NaN (inf - inf) */
                        dy[ld + 7 % n] = test_nan_payload(0);
                        y[ld + 30 % n] = test_nan_payload(1);
                        dy[2 * ld + n / 2] = INFINITY;
                        y[2 * ld + (n - 1) / 3] = op == SOFTMAX ? 0.0f : INFINITY;
                    }
                    run(ref, op, rows, n, betas[b], y, ld, dy, ld, want, ld);
                    memset(got, 0, rows * ld * sizeof(float));
                    run(k, op, rows, n, betas[b], y, ld, dy, ld, got, ld);
                    for (size_t r = 0; r < rows; r++)
                        bad += compare_bits(name, op, n, b,
                                            want + r * ld, got + r * ld, n);
                    /* in place over dy */
                    memcpy(got, dy, rows * ld * sizeof(float));
                    run(k, op, rows, n, betas[b], y, ld, got, ld, got, ld);
                    for (size_t r = 0; r < rows; r++)
                        bad += compare_bits(name, op, n, b,
                                            want + r * ld, got + r * ld, n);
                }
        }
    }
    if (!ran)
        printf("skipped: no SIMD ISA here; only scalar kernels exist\n");
    free(got);
    free(want);
    free(dy);
    free(y);
    free(x);
    assert_int_equal(bad, 0);
}

/* L(x) = sum_i dy_i f_i(x) with f = softmax_beta or log_softmax_beta, in
 * double, so that dL/dx_j by central differences checks dx_j. */
static double loss(int op, const double *x, const float *dy, size_t n,
                   double beta)
{
    double m = -INFINITY;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, beta * x[i]);
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += exp(beta * x[i] - m);
    double l = 0;
    for (size_t i = 0; i < n; i++) {
        const double logp = beta * x[i] - m - log(s);
        l += (double)dy[i] * (op == SOFTMAX ? exp(logp) : logp);
    }
    return l;
}

static void test_gradients_match_finite_differences(void **state)
{
    (void)state;
    static const size_t sizes[] = {2, 7, 33, 100};
    static const float betas[] = {1.0f, 0.5f, -2.0f};
    float x[100], y[100], dy[100], dx[100];
    double xd[100];
    for (int op = 0; op < 2; op++)
        for (size_t j = 0; j < 4; j++)
            for (size_t b = 0; b < 3; b++) {
                const size_t n = sizes[j];
                const float beta = betas[b];
                uint64_t seed = 77 + n + b;
                for (size_t i = 0; i < n; i++) {
                    x[i] = rng_uniform(&seed, -3.0f, 3.0f);
                    dy[i] = rng_uniform(&seed, -1.0f, 1.0f);
                    xd[i] = x[i];
                }
                forward(op, 1, n, beta, x, n, y);
                const sm_status st =
                    op == SOFTMAX
                        ? sm_softmax_backward_rows_f32(
                              1, n, y, n, dy, n, dx, n, OPTS(beta, 0))
                        : sm_log_softmax_backward_rows_f32(
                              1, n, y, n, dy, n, dx, n, OPTS(beta, 0));
                assert_int_equal(st, SM_OK);
                double scale = 0;
                for (size_t i = 0; i < n; i++)
                    scale = fmax(scale, fabs((double)dx[i]));
                for (size_t i = 0; i < n; i++) {
                    const double h = 1e-5, keep = xd[i];
                    xd[i] = keep + h;
                    const double up = loss(op, xd, dy, n, beta);
                    xd[i] = keep - h;
                    const double down = loss(op, xd, dy, n, beta);
                    xd[i] = keep;
                    const double numeric = (up - down) / (2 * h);
                    /* f32 inputs and outputs: 1e-4 of the gradient's scale */
                    if (!(fabs((double)dx[i] - numeric) <= 1e-4 * scale + 1e-6))
                        fail_msg("%s n=%zu beta=%g i=%zu: dx %.9g, finite "
                                 "differences %.9g", op == SOFTMAX ? "softmax"
                                 : "log-softmax", n, (double)beta, i,
                                 (double)dx[i], numeric);
                }
            }
}

/* J = beta (diag(p) - p p^T): each row sums to 0 (so sum_i dx_i = 0 for
 * any dy), and J is symmetric (<u, J v> = <v, J u>). */
static void test_jacobian_identities(void **state)
{
    (void)state;
    const size_t n = 257;
    float x[257], p[257], u[257], v[257], ju[257], jv[257];
    uint64_t seed = 5;
    for (size_t i = 0; i < n; i++) {
        x[i] = rng_uniform(&seed, -4.0f, 4.0f);
        u[i] = rng_uniform(&seed, -1.0f, 1.0f);
        v[i] = rng_uniform(&seed, -1.0f, 1.0f);
    }
    const float beta = 1.5f;
    assert_int_equal(sm_softmax_rows_f32(1, n, x, n, p, n, OPTS(beta, 0)), SM_OK);
    assert_int_equal(sm_softmax_backward_rows_f32(
                         1, n, p, n, u, n, ju, n, OPTS(beta, 0)), SM_OK);
    assert_int_equal(sm_softmax_backward_rows_f32(
                         1, n, p, n, v, n, jv, n, OPTS(beta, 0)), SM_OK);
    double sum = 0, mag = 0, ujv = 0, vju = 0;
    for (size_t i = 0; i < n; i++) {
        sum += ju[i];
        mag += fabs((double)ju[i]);
        ujv += (double)u[i] * jv[i];
        vju += (double)v[i] * ju[i];
    }
    assert_true(fabs(sum) <= 1e-5 * mag);
    assert_true(fabs(ujv - vju) <= 1e-5 * (fabs(ujv) + fabs(vju)) + 1e-9);
}

/* Against a long-double evaluation from the same y and dy, within the
 * bounds softmax.h states:
 *   softmax:     |dx_i - ref| <= 2^-24 |beta| y_i (3 |dy_i - d| + 2 sum_j |dy_j y_j|)
 *   log-softmax: |dx_i - ref| <= 2^-24 |beta| (3 |dy_i - e_i s| + 3 e_i sum_j |dy_j|)
 * with d = <dy, y>, s = sum dy and e_i = exp(y_i); each row of a batch
 * against its own reference, out of place and in place over dy (short rows
 * are computed with the next row loaded before this one is stored). */
static void test_backward_bounds(void **state)
{
    (void)state;
    if (test_isas_narrowed()) {
        printf("the bounds: in the full run (every ISA gives scalar's bits)\n");
        skip();
    }
    static const size_t sizes[] = {1, 5, 10, 32, 64, 1000, 33333};
    static const float betas[] = {1.0f, 0.25f, -3.0f};
    enum { CAP = 33333 };
    static float x[CAP], y[CAP], dy[CAP], dx[CAP];
    double worst = 0;
    for (int op = 0; op < 2; op++)
        for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++)
            for (size_t b = 0; b < 3; b++)
                for (int in_place = 0; in_place < 2; in_place++) {
                    const size_t n = sizes[j], rows = n <= 1000 ? 5 : 1;
                    const long double beta = betas[b];
                    uint64_t seed = 31 * n + b;
                    for (size_t i = 0; i < rows * n; i++) {
                        x[i] = rng_uniform(&seed, -12.0f, 12.0f);
                        dy[i] = rng_uniform(&seed, -2.0f, 2.0f);
                    }
                    forward(op, rows, n, betas[b], x, n, y);
                    if (in_place) {
                        memcpy(dx, dy, rows * n * sizeof(float));
                        run(sm_dispatch(), op, rows, n, betas[b], y, n, dx, n, dx, n);
                    } else {
                        run(sm_dispatch(), op, rows, n, betas[b], y, n, dy, n, dx, n);
                    }
                    for (size_t r = 0; r < rows; r++) {
                        const float *yr = y + r * n, *dyr = dy + r * n, *dxr = dx + r * n;
                        long double d = 0, mag = 0;
                        for (size_t i = 0; i < n; i++) {
                            const long double w = op == SOFTMAX ? (long double)yr[i] : 1.0L;
                            d += (long double)dyr[i] * w;
                            mag += fabsl((long double)dyr[i] * w);
                        }
                        for (size_t i = 0; i < n; i++) {
                            long double ref, tol;
                            if (op == SOFTMAX) {
                                ref = beta * yr[i] * (dyr[i] - d);
                                tol = fabsl(beta) * yr[i] * (3 * fabsl(dyr[i] - d) + 2 * mag);
                            } else {
                                const long double e = expl((long double)yr[i]);
                                ref = beta * (dyr[i] - e * d);
                                tol = fabsl(beta) * (3 * fabsl(dyr[i] - e * d) + 3 * e * mag);
                            }
                            tol = tol / 16777216.0L + 1e-45L;
                            const long double err = fabsl(dxr[i] - ref);
                            if (err / tol > worst)
                                worst = (double)(err / tol);
                            if (!(err <= tol))
                                fail_msg("%s n=%zu beta=%g%s row %zu i=%zu: dx %.9g, "
                                         "reference %.9Lg",
                                         op == SOFTMAX ? "softmax" : "log-softmax", n,
                                         (double)betas[b], in_place ? " in place" : "",
                                         r, i, (double)dxr[i], ref);
                        }
                    }
                }
    printf("worst error / stated bound: %.3f\n", worst);
}

static void test_error_paths(void **state)
{
    (void)state;
    float y[64], dy[64], dx[64];
    for (int i = 0; i < 64; i++)
        y[i] = dy[i] = 1.0f / 64;
    const float nan = NAN;
    for (int op = 0; op < 2; op++) {
        sm_status (*f)(size_t, size_t, const float *, size_t, const float *,
                       size_t, float *, size_t, const sm_options *) =
            op == SOFTMAX ? sm_softmax_backward_rows_f32
                          : sm_log_softmax_backward_rows_f32;
        memset(dx, 0x5a, sizeof dx);
        assert_int_equal(f(1, 8, NULL, 8, dy, 8, dx, 8, OPTS(1.0f, 0)), SM_EINVAL);
        assert_int_equal(f(1, 8, y, 8, NULL, 8, dx, 8, OPTS(1.0f, 0)), SM_EINVAL);
        assert_int_equal(f(1, 8, y, 8, dy, 8, NULL, 8, OPTS(1.0f, 0)), SM_EINVAL);
        assert_int_equal(f(2, 8, y, 7, dy, 8, dx, 8, OPTS(1.0f, 0)), SM_EINVAL);
        assert_int_equal(f(2, 8, y, 8, dy, 8, dx, 4, OPTS(1.0f, 0)), SM_EINVAL);
        assert_int_equal(f(1, 8, y, 8, dy, 8, dx, 8, OPTS(nan, 0)), SM_EINVAL);
        assert_int_equal(f(1, 8, y, 8, dy, 8, dx, 8, OPTS(1.0f, 2u)), SM_EINVAL);
        assert_int_equal(f(1, 8, y, 8, dy, 8, y + 1, 8, OPTS(1.0f, 0)), SM_EOVERLAP);
        assert_int_equal(f(1, 8, y, 8, dy, 8, dy + 3, 8, OPTS(1.0f, 0)), SM_EOVERLAP);
        assert_int_equal(f((size_t)1 << 62, 8, y, 8, dy, 8, dx, 8, OPTS(1.0f, 0)), SM_ERANGE);
        for (int i = 0; i < 64; i++)
            assert_int_equal(f32_bits(dx[i]), 0x5a5a5a5au);
        /* nothing to do; in place over y and over dy are allowed */
        assert_int_equal(f(0, 8, NULL, 8, NULL, 8, NULL, 8, OPTS(1.0f, 0)), SM_OK);
        assert_int_equal(f(2, 0, NULL, 0, NULL, 0, NULL, 0, OPTS(1.0f, 0)), SM_OK);
        assert_int_equal(f(1, 8, y, 8, dy, 8, y, 8, OPTS(1.0f, 0)), SM_OK);
        assert_int_equal(f(1, 8, y + 8, 8, dy, 8, dy, 8, OPTS(1.0f, 0)), SM_OK);
        /* SM_FAST_EXP is accepted and changes nothing */
        float fast[8];
        for (int i = 0; i < 8; i++)
            dy[i] = (float)(i - 3) / 8;
        assert_int_equal(f(1, 8, y, 8, dy, 8, dx, 8, OPTS(0.5f, 0)), SM_OK);
        assert_int_equal(f(1, 8, y, 8, dy, 8, fast, 8, OPTS(0.5f, SM_FAST_EXP)),
                         SM_OK);
        for (int i = 0; i < 8; i++)
            assert_int_equal(f32_bits(fast[i]), f32_bits(dx[i]));
        for (int i = 0; i < 8; i++)
            dy[i] = 1.0f / 64;
    }
}

/* The explicit Jacobian: every ISA bit for bit, exact symmetry, rows that
 * sum to 0 (the all-ones null vector), semi-definiteness with the sign of
 * beta, entries against a long-double reference, and J v = backward(v). */
static void test_jacobian(void **state)
{
    (void)state;
    enum { K = 37, LD = 41 };
    static const float betas[] = {1.0f, 0.5f, -2.0f, 3.0f};
    float x[K], p[K], v[K], jv[K], jac[K * LD], ref_jac[K * LD];
    const struct sm_kernels *scalar = sm_dispatch_table(SM_ISA_SCALAR);
    for (size_t b = 0; b < 4; b++) {
        const float beta = betas[b];
        uint64_t seed = 31 + b;
        for (int i = 0; i < K; i++) {
            x[i] = rng_uniform(&seed, -4.0f, 4.0f);
            v[i] = rng_uniform(&seed, -1.0f, 1.0f);
        }
        scalar->softmax_jacobian(K, beta, x, ref_jac, LD);
        for (int isa = SM_ISA_SCALAR + 1; isa <= SM_ISA_COUNT; isa++) {
            const struct sm_kernels *k = table_for(isa);
            if (!k)
                continue;
            memset(jac, 0, sizeof jac);
            k->softmax_jacobian(K, beta, x, jac, LD);
            for (int i = 0; i < K; i++)
                for (int j = 0; j < K; j++)
                    assert_int_equal(f32_bits(jac[i * LD + j]),
                                     f32_bits(ref_jac[i * LD + j]));
        }
        assert_int_equal(sm_softmax_jacobian_f32(
                             K, x, jac, LD, OPTS(beta, 0)), SM_OK);
        assert_int_equal(sm_softmax_rows_f32(1, K, x, K, p, K, OPTS(beta, 0)), SM_OK);
        assert_int_equal(sm_softmax_backward_rows_f32(
                             1, K, p, K, v, K, jv, K, OPTS(beta, 0)),
                         SM_OK);
        double vjv = 0, vv = 0;
        for (int i = 0; i < K; i++) {
            double row = 0, mag = 0, jvi = 0;
            for (int j = 0; j < K; j++) {
                const float e = jac[i * LD + j];
                assert_int_equal(f32_bits(e), f32_bits(jac[j * LD + i]));
                const long double want = (long double)beta *
                    ((i == j ? (long double)p[i] : 0.0L) - (long double)p[i] * p[j]);
                assert_true(fabsl((long double)e - want) <=
                            4 * 0x1p-24L * fabsl(want) + 0x1p-140L);
                row += e;
                mag += fabs((double)e);
                jvi += (double)e * v[j];
            }
            assert_true(fabs(row) <= 1e-6 * mag + 1e-30);
            /* J v equals the vector-Jacobian product (J is symmetric) */
            assert_true(fabs(jvi - (double)jv[i]) <= 1e-5 * mag + 1e-12);
            vjv += (double)v[i] * jvi;
            vv += (double)v[i] * v[i];
        }
        /* semi-definite with the sign of beta, up to rounding */
        assert_true(beta > 0 ? vjv >= -1e-6 * vv : vjv <= 1e-6 * vv);
    }
    /* errors: nothing written */
    memset(jac, 0x5a, sizeof jac);
    assert_int_equal(sm_softmax_jacobian_f32(K, NULL, jac, LD, OPTS(1.0f, 0)), SM_EINVAL);
    assert_int_equal(sm_softmax_jacobian_f32(K, x, NULL, LD, OPTS(1.0f, 0)), SM_EINVAL);
    assert_int_equal(sm_softmax_jacobian_f32(K, x, jac, K - 1, OPTS(1.0f, 0)), SM_EINVAL);
    assert_int_equal(sm_softmax_jacobian_f32(K, x, jac, LD, OPTS(NAN, 0)), SM_EINVAL);
    assert_int_equal(sm_softmax_jacobian_f32(K, jac + 5, jac, LD,
                                             OPTS(1.0f, 0)), SM_EOVERLAP);
    assert_int_equal(sm_softmax_jacobian_f32((size_t)1 << 40, x, jac,
                                             (size_t)1 << 40, OPTS(1.0f, 0)), SM_ERANGE);
    for (size_t i = 0; i < sizeof jac / sizeof jac[0]; i++)
        assert_int_equal(f32_bits(jac[i]), 0x5a5a5a5au);
    assert_int_equal(sm_softmax_jacobian_f32(0, NULL, NULL, 0, OPTS(1.0f, 0)), SM_OK);
    /* k = 1: J = 0 (p = 1) */
    assert_int_equal(sm_softmax_jacobian_f32(1, x, jac, 1, OPTS(1.0f, 0)), SM_OK);
    assert_true(jac[0] == 0.0f);
    /* SM_FAST_EXP is accepted and ignored; unknown flags are not */
    assert_int_equal(sm_softmax_jacobian_f32(K, x, ref_jac, LD, OPTS(0.5f, 0)),
                     SM_OK);
    assert_int_equal(sm_softmax_jacobian_f32(K, x, jac, LD,
                                             OPTS(0.5f, SM_FAST_EXP)), SM_OK);
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++)
            assert_int_equal(f32_bits(jac[i * LD + j]),
                             f32_bits(ref_jac[i * LD + j]));
    assert_int_equal(sm_softmax_jacobian_f32(K, x, jac, LD, OPTS(0.5f, 2u)),
                     SM_EINVAL);
}

/* The Jacobian where NaNs arise: beta = +inf (0 * inf off the ties) and a
 * row with two NaN payloads: the same bits on every ISA, NaN only as the
 * library's one. */
static void test_jacobian_nans(void **state)
{
    (void)state;
    enum { K = 21, LD = 23 };
    float x[K], jac[K * LD], ref_jac[K * LD];
    const struct sm_kernels *scalar = sm_dispatch_table(SM_ISA_SCALAR);
    for (int c = 0; c < 2; c++) {
        uint64_t seed = 5 + (uint64_t)c;
        for (int i = 0; i < K; i++)
            x[i] = rng_uniform(&seed, -4.0f, 4.0f);
        x[3] = x[11] = 9.0f; /* two ties at the maximum */
        if (c == 1) {
            x[7] = test_nan_payload(0);
            x[16] = test_nan_payload(1);
        }
        const float beta = c == 0 ? INFINITY : 1.0f;
        scalar->softmax_jacobian(K, beta, x, ref_jac, LD);
        size_t nans = 0;
        for (int i = 0; i < K; i++)
            for (int j = 0; j < K; j++) {
                assert_true(nan_is_canonical(ref_jac[i * LD + j]));
                nans += isnan(ref_jac[i * LD + j]);
            }
        assert_true(nans > 0);
        for (int isa = SM_ISA_SCALAR + 1; isa <= SM_ISA_COUNT; isa++) {
            const struct sm_kernels *k = table_for(isa);
            if (!k)
                continue;
            k->softmax_jacobian(K, beta, x, jac, LD);
            for (int i = 0; i < K; i++)
                for (int j = 0; j < K; j++)
                    assert_int_equal(f32_bits(jac[i * LD + j]),
                                     f32_bits(ref_jac[i * LD + j]));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isas_match_scalar),
        cmocka_unit_test(test_gradients_match_finite_differences),
        cmocka_unit_test(test_jacobian_identities),
        cmocka_unit_test(test_backward_bounds),
        cmocka_unit_test(test_jacobian),
        cmocka_unit_test(test_jacobian_nans),
        cmocka_unit_test(test_error_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
