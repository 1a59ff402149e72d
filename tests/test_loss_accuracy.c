/*
 * The losses' mathematics: each loss and gradient against a long-double
 * reference (the bounds stated in softmax.h), gradients against central
 * finite differences in double, and the seeds' identities: grad = p - y
 * bit for bit, the margin formula, KL = H(q, p) - H(q), soft targets and
 * unit weights agreeing with the plain loss, ignore_index and the
 * reductions.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "call_options.h"

#define ULP24 (1.0L / 16777216.0L) /* 2^-24 */

enum op { CE, SOFT_CE, KL, DISTILL, ENTROPY };

/* One configuration of an operation. */
struct config {
    enum op op;
    float beta; /* DISTILL: 1 / T */
    sm_reduction reduction;
    float eps, l2;
    const float *weights;
    sm_flags flags;
};

/* log softmax_beta(x) in long double from f32 logits; also t_i - and T,
 * the largest |t_i| among the entries that are not negligible. */
static long double ref_log_softmax(const float *x, size_t n, long double beta,
                                   long double *lp, long double *t)
{
    long double m = -INFINITY, s = 0, big = 0;
    for (size_t i = 0; i < n; i++)
        m = fmaxl(m, beta * x[i]);
    for (size_t i = 0; i < n; i++)
        s += expl(beta * x[i] - m);
    const long double l = logl(s);
    for (size_t i = 0; i < n; i++) {
        t[i] = beta * x[i] - m;
        lp[i] = t[i] - l;
        if (t[i] > -104)
            big = fmaxl(big, fabsl(t[i]));
    }
    return big;
}

/* One row's loss and gradient (before the reduction's scale) in long
 * double, and the error bound of softmax.h for the loss. */
struct ref_row {
    long double loss, bound;
    long double g[1024];
};

static void ref_row(const struct config *c, const float *x, const float *aux,
                    size_t n, int32_t label, struct ref_row *out)
{
    static long double lp[1024], t[1024], lq[1024], tq[1024], w[1024];
    const long double beta = c->beta;
    const long double big = ref_log_softmax(x, n, beta, lp, t);
    const long double l = t[0] - lp[0];
    long double wsum = 0, scale = 0, loss = 0;
    /* w_i: the weight of -log p_i in the loss */
    for (size_t i = 0; i < n; i++) {
        if (c->op == CE) {
            const long double cw = c->weights ? c->weights[i] : 1.0L;
            const long double q = (i == (size_t)label ? 1.0L - c->eps : 0.0L) +
                                  (long double)c->eps / n;
            w[i] = cw * q;
        } else if (c->op == DISTILL) {
            if (i == 0)
                ref_log_softmax(aux, n, beta, lq, tq);
            w[i] = expl(lq[i]);
        } else if (c->op == ENTROPY) {
            w[i] = expl(lp[i]);
        } else {
            w[i] = aux[i];
        }
        wsum += w[i];
    }
    for (size_t i = 0; i < n; i++) {
        if (w[i] == 0)
            continue;
        long double term = -w[i] * lp[i];
        if (c->op == KL)
            term += w[i] * logl(w[i]);
        if (c->op == DISTILL)
            term += w[i] * lq[i];
        loss += term;
        scale += fabsl(w[i]) * (l + fabsl(t[i]));
    }
    long double h = loss;
    for (size_t i = 0; i < n; i++) {
        const long double p = expl(lp[i]);
        if (c->op == ENTROPY)
            out->g[i] = p == 0 ? 0 : beta * p * (-lp[i] - h);
        else if (c->op == DISTILL)
            out->g[i] = beta * (p - w[i]);
        else
            out->g[i] = beta * (wsum * p - w[i]);
        if (c->op == CE && c->l2 != 0)
            out->g[i] += (long double)c->l2 * x[i];
    }
    if (c->op == CE && c->l2 != 0)
        for (size_t i = 0; i < n; i++)
            loss += 0.5L * c->l2 * x[i] * x[i];
    /* distillation's T^2 */
    const long double f =
        c->op == DISTILL ? 1.0L / ((long double)c->beta * c->beta) : 1.0L;
    if (c->op == DISTILL)
        for (size_t i = 0; i < n; i++)
            out->g[i] *= f;
    out->loss = f * loss;
    /* 4 ulp (KL: 5, for log q), one more with SM_FAST_EXP */
    const long double ulps = (c->op == KL ? 5.0L : 4.0L) + (c->flags ? 1 : 0);
    out->bound = f * (ulps * ULP24 * fabsl(loss) +
                      (3 + 2 * big) * ULP24 * scale) +
                 (c->op == CE && c->l2 != 0 ? 2 * ULP24 * loss : 0);
}

/* Calls the library for rows x n at stride n. */
static sm_status call(const struct config *c, size_t rows, size_t n,
                      const float *x, const float *aux, const int32_t *labels,
                      float *loss, float *g)
{
    switch (c->op) {
    case CE: {
        sm_cross_entropy_options o = SM_CROSS_ENTROPY_OPTIONS_INIT;
        o.beta = c->beta;
        o.reduction = c->reduction;
        o.label_smoothing = c->eps;
        o.l2 = c->l2;
        o.class_weights = c->weights;
        o.flags = c->flags;
        return sm_cross_entropy_rows_f32(rows, n, x, n, labels, loss, g, n,
                                         &o);
    }
    case SOFT_CE:
        return sm_soft_cross_entropy_rows_f32(rows, n, x, n, aux, n, loss, g,
                                              n,
                                              LOSS_OPTS(c->beta, c->flags, c->reduction));
    case KL:
        return sm_kl_div_rows_f32(rows, n, x, n, aux, n, loss, g, n,
                                  LOSS_OPTS(c->beta, c->flags, c->reduction));
    case DISTILL:
        return sm_distillation_rows_f32(rows, n, x, n, aux, n, loss, g, n,
                                        LOSS_OPTS(c->beta, c->flags, c->reduction));
    case ENTROPY:
        return sm_entropy_rows_f32(rows, n, x, n, loss, g, n,
                                   LOSS_OPTS(c->beta, c->flags, c->reduction));
    }
    return SM_EINVAL;
}

static void random_targets(float *q, size_t n, uint64_t *seed)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        q[i] = rng_next(seed) % 4 == 0 ? 0.0f : rng_uniform(seed, 0.0f, 1.0f);
        s += q[i];
    }
    for (size_t i = 0; i < n; i++)
        q[i] = s > 0 ? (float)(q[i] / s) : 1.0f / (float)n;
}

/* Every op and option against the long-double reference: row losses within
 * the stated bound, reduced losses within the sum of the bounds, gradients
 * within softmax's bound carried through their formulas. */
static void test_against_reference(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 2, 10, 100, 1000};
    static const float betas[] = {1.0f, 0.5f, 2.5f, -1.0f};
    enum { ROWS = 4, N = 1000 };
    static float x[ROWS * N], aux[ROWS * N], g[ROWS * N], weights[N];
    static struct ref_row ref[ROWS];
    float loss[ROWS];
    int checked = 0;
    long double worst_loss = 0, worst_grad = 0; /* error / bound */
    for (size_t si = 0; si < 5; si++)
        for (int op = CE; op <= ENTROPY; op++)
            for (int variant = 0; variant < (op == CE ? 16 : 2); variant++)
                for (size_t b = 0; b < 4; b++)
                    for (int red = 0; red < 3; red++) {
                        const size_t n = sizes[si];
                        uint64_t seed = 11 + n * 31 + (uint64_t)b;
                        for (size_t i = 0; i < n; i++)
                            weights[i] = rng_uniform(&seed, 0.0f, 2.0f);
                        const struct config c = {
                            .op = (enum op)op,
                            .beta = op == DISTILL ? fabsf(betas[b]) : betas[b],
                            .reduction = (sm_reduction)red,
                            .eps = variant & 1 ? 0.15f : 0.0f,
                            .l2 = variant & 2 ? 0.02f : 0.0f,
                            .weights = variant & 4 ? weights : NULL,
                            /* the last bit: our exp (bounds as in fast mode) */
                            .flags = (op == CE ? variant & 8 : variant & 1) ? SM_FAST_EXP : 0,
                        };
                        int32_t labels[ROWS];
                        for (size_t r = 0; r < ROWS; r++) {
                            for (size_t i = 0; i < n; i++) {
                                x[r * n + i] = rng_uniform(&seed, -6.0f, 6.0f);
                                aux[r * n + i] = rng_uniform(&seed, -6.0f, 6.0f);
                            }
                            if (op == SOFT_CE || op == KL)
                                random_targets(aux + r * n, n, &seed);
                            labels[r] = r == 2 ? -100 : (int32_t)(rng_next(&seed) % n);
                        }
                        assert_int_equal(call(&c, ROWS, n, x, aux, labels, loss, g),
                                         SM_OK);
                        long double total = 0, bound = 0, denom = 0;
                        for (size_t r = 0; r < ROWS; r++) {
                            if (op == CE && labels[r] == -100) {
                                memset(&ref[r], 0, sizeof ref[r]);
                                continue;
                            }
                            ref_row(&c, x + r * n, aux + r * n, n, labels[r], &ref[r]);
                            total += ref[r].loss;
                            bound += ref[r].bound;
                            denom += op != CE ? 1 : c.weights ? c.weights[labels[r]] : 1;
                        }
                        const long double s = red == SM_REDUCTION_MEAN ? 1 / denom : 1;
                        for (size_t r = 0; r < (red ? 1u : ROWS); r++) {
                            const long double want = red ? total * s : ref[r].loss;
                            const long double tol = (red ? bound * s : ref[r].bound) +
                                                    ULP24 * fabsl(want);
                            worst_loss = fmaxl(worst_loss, fabsl(loss[r] - want) / tol);
                            if (!(fabsl(loss[r] - want) <= tol))
                                fail_msg("op %d variant %d n=%zu beta=%g red %d row %zu: "
                                         "loss %.9g, reference %.9Lg, bound %.3Lg",
                                         op, variant, n, (double)c.beta, red, r,
                                         (double)loss[r], want, tol);
                        }
                        for (size_t r = 0; r < ROWS; r++)
                            for (size_t i = 0; i < n; i++) {
                                const long double want = ref[r].g[i] * s;
                                const long double tol = 16 * ULP24 * fabsl(want) +
                                    1e-6L * fabsl(s * (op == DISTILL ? 1.0L / c.beta
                                                                     : c.beta));
                                worst_grad = fmaxl(worst_grad,
                                                   fabsl(g[r * n + i] - want) / tol);
                                if (!(fabsl(g[r * n + i] - want) <= tol))
                                    fail_msg("op %d variant %d n=%zu beta=%g red %d "
                                             "grad[%zu][%zu] %.9g, reference %.9Lg",
                                             op, variant, n, (double)c.beta, red, r, i,
                                             (double)g[r * n + i], want);
                            }
                        checked++;
                    }
    printf("%d configurations within their bounds; worst error / bound: loss "
           "%.3Lf, gradient %.3Lf\n", checked, worst_loss, worst_grad);
}

/* The reduced loss of rows x n in double, from double logits: what the
 * library's gradient differentiates. */
static double loss_of(const struct config *c, size_t rows, size_t n,
                      const double *xd, const float *aux, const int32_t *labels)
{
    static float xf[64];
    static struct ref_row ref;
    double total = 0, denom = 0;
    for (size_t r = 0; r < rows; r++) {
        if (c->op == CE && labels[r] == -100)
            continue;
        /* exact: the logits and h are multiples of 2^-12 below 4 */
        for (size_t i = 0; i < n; i++)
            xf[i] = (float)xd[r * n + i];
        ref_row(c, xf, aux + r * n, n, labels[r], &ref);
        total += (double)ref.loss;
        denom += c->op != CE ? 1 : c->weights ? c->weights[labels[r]] : 1;
    }
    return c->reduction == SM_REDUCTION_MEAN ? total / denom : total;
}

/* Gradients against central differences of the double-precision loss,
 * within 1e-3 of the gradient's largest entry (f32 data, h = 2^-6). */
static void test_finite_differences(void **state)
{
    (void)state;
    enum { ROWS = 3, N = 9 };
    float x[ROWS * N], aux[ROWS * N], g[ROWS * N], loss[ROWS];
    double xd[ROWS * N];
    static const float weights[N] = {1, 0.5f, 2, 0, 1.5f, 1, 1, 0.25f, 3};
    const int32_t labels[ROWS] = {3, -100, 8};
    for (int op = CE; op <= ENTROPY; op++)
        for (int variant = 0; variant < (op == CE ? 8 : 1); variant++)
            for (int red = 1; red < 3; red++) {
                const struct config c = {
                    .op = (enum op)op, .beta = op == DISTILL ? 0.5f : 0.75f,
                    .reduction = (sm_reduction)red,
                    .eps = variant & 1 ? 0.2f : 0.0f, .l2 = variant & 2 ? 0.1f : 0.0f,
                    .weights = variant & 4 ? weights : NULL,
                };
                uint64_t seed = 99 + (uint64_t)op;
                for (size_t i = 0; i < ROWS * N; i++) {
                    /* multiples of 2^-12: x +- h stays exact in f32 */
                    x[i] = roundf(rng_uniform(&seed, -3, 3) * 4096) / 4096;
                    aux[i] = rng_uniform(&seed, -3, 3);
                    xd[i] = x[i];
                }
                if (op == SOFT_CE || op == KL)
                    for (size_t r = 0; r < ROWS; r++)
                        random_targets(aux + r * N, N, &seed);
                assert_int_equal(call(&c, ROWS, N, x, aux, labels, loss, g), SM_OK);
                double scale = 0;
                for (size_t i = 0; i < ROWS * N; i++)
                    scale = fmax(scale, fabs((double)g[i]));
                for (size_t i = 0; i < ROWS * N; i++) {
                    const double h = 1.0 / 64, keep = xd[i];
                    xd[i] = keep + h;
                    const double up = loss_of(&c, ROWS, N, xd, aux, labels);
                    xd[i] = keep - h;
                    const double down = loss_of(&c, ROWS, N, xd, aux, labels);
                    xd[i] = keep;
                    const double numeric = (up - down) / (2 * h);
                    if (!(fabs((double)g[i] - numeric) <= 1e-3 * scale + 1e-7))
                        fail_msg("op %d variant %d red %d: grad[%zu] %.9g, finite "
                                 "differences %.9g", op, variant, red, i,
                                 (double)g[i], numeric);
                }
            }
}

/* ---- identities ---------------------------------------------------------- */

static void assert_same_bits(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (f32_bits(a[i]) != f32_bits(b[i]))
            fail_msg("element %zu: %a vs %a", i, (double)a[i], (double)b[i]);
}

/* grad = p - y exactly (softmax's bits off the label, p_c - 1 on it, +0
 * where p = 0), and the loss is exactly minus log-softmax at the label. */
static void test_gradient_is_p_minus_y(void **state)
{
    (void)state;
    /* rows of one block take a register path, longer ones the passes */
    static const size_t sizes[] = {1, 7, 10, 32, 33, 301};
    enum { ROWS = 3, MAX = 301 };
    static float x[ROWS * MAX], g[ROWS * MAX], p[ROWS * MAX], lp[ROWS * MAX];
    float loss[ROWS];
    for (size_t k = 0; k < 6; k++)
        for (int fast = 0; fast < 2; fast++) {
            const size_t n = sizes[k];
            uint64_t seed = 4 + n;
            for (size_t i = 0; i < ROWS * n; i++)
                x[i] = rng_uniform(&seed, -20, 20);
            x[1] = x[0]; /* a tie at the top of some rows */
            const int32_t labels[ROWS] = {0, (int32_t)(n / 2), (int32_t)(n - 1)};
            sm_cross_entropy_options o = SM_CROSS_ENTROPY_OPTIONS_INIT;
            o.reduction = SM_REDUCTION_NONE;
            o.flags = fast ? SM_FAST_EXP : 0;
            assert_int_equal(sm_cross_entropy_rows_f32(
                                 ROWS, n, x, n, labels, loss, g, n, &o),
                             SM_OK);
            assert_int_equal(sm_softmax_rows_f32(
                                 ROWS, n, x, n, p, n, OPTS(1, o.flags)),
                             SM_OK);
            assert_int_equal(sm_log_softmax_rows_f32(
                                 ROWS, n, x, n, lp, n, OPTS(1, o.flags)), SM_OK);
            for (size_t r = 0; r < ROWS; r++) {
                const size_t c = r * n + (size_t)labels[r];
                /* equal bits, but for the sign of a zero loss (n = 1) */
                assert_true(f32_bits(loss[r]) == f32_bits(-lp[c]) ||
                            (loss[r] == 0 && lp[c] == 0));
                p[c] = p[c] - 1.0f;
            }
            assert_same_bits(g, p, ROWS * n);
        }
}

/* K - 1 wrong logits equal, the right one ahead by m:
 * L = ln(1 + (K - 1) e^-m). */
static void test_margin_formula(void **state)
{
    (void)state;
    static const size_t ks[] = {2, 10, 1000};
    static const float margins[] = {0.0f, 0.5f, 3.0f, 20.0f, -4.0f};
    static float x[1000];
    for (size_t a = 0; a < 3; a++)
        for (size_t b = 0; b < 5; b++) {
            const size_t k = ks[a];
            for (size_t i = 0; i < k; i++)
                x[i] = 1.0f;
            x[k / 2] = 1.0f + margins[b];
            const int32_t label = (int32_t)(k / 2);
            float loss;
            sm_cross_entropy_options o = SM_CROSS_ENTROPY_OPTIONS_INIT;
            assert_int_equal(sm_cross_entropy_rows_f32(
                                 1, k, x, k, &label, &loss, NULL, 0, &o), SM_OK);
            const double want = log1p((double)(k - 1) * exp(-(double)margins[b]));
            if (!(fabs(loss - want) <= 4e-7 * want + 1e-30))
                fail_msg("K=%zu m=%g: loss %.9g, ln(1 + (K-1)e^-m) %.9g", k,
                         (double)margins[b], (double)loss, want);
        }
}

/* KL(q || p) = H(q, p) - H(q), with q = softmax(z) and H(q) its entropy. */
static void test_kl_is_cross_entropy_minus_entropy(void **state)
{
    (void)state;
    enum { ROWS = 5, N = 777 };
    static float x[ROWS * N], z[ROWS * N], q[ROWS * N];
    float kl[ROWS], ce[ROWS], h[ROWS];
    uint64_t seed = 8;
    for (size_t i = 0; i < ROWS * N; i++) {
        x[i] = rng_uniform(&seed, -4, 4);
        z[i] = rng_uniform(&seed, -4, 4);
    }
    assert_int_equal(sm_softmax_rows_f32(ROWS, N, z, N, q, N, OPTS(1, 0)), SM_OK);
    assert_int_equal(sm_kl_div_rows_f32(ROWS, N, x, N, q, N, kl, NULL, 0,
                                        LOSS_OPTS(1, 0, SM_REDUCTION_NONE)), SM_OK);
    assert_int_equal(sm_soft_cross_entropy_rows_f32(
                         ROWS, N, x, N, q, N, ce, NULL, 0,
                         LOSS_OPTS(1, 0, SM_REDUCTION_NONE)), SM_OK);
    assert_int_equal(sm_entropy_rows_f32(ROWS, N, z, N, h, NULL, 0,
                                         LOSS_OPTS(1, 0, SM_REDUCTION_NONE)),
                     SM_OK);
    for (size_t r = 0; r < ROWS; r++) {
        assert_true(kl[r] >= 0);
        if (!(fabsf(kl[r] - (ce[r] - h[r])) <= 2e-6f * ce[r]))
            fail_msg("row %zu: KL %.9g, H(q,p) - H(q) %.9g", r, (double)kl[r],
                     (double)(ce[r] - h[r]));
    }
    /* KL(q || q) = 0 up to rounding, and distillation is T^2 KL. */
    assert_int_equal(sm_kl_div_rows_f32(ROWS, N, z, N, q, N, kl, NULL, 0,
                                        LOSS_OPTS(1, 0, SM_REDUCTION_NONE)), SM_OK);
    for (size_t r = 0; r < ROWS; r++)
        assert_true(fabsf(kl[r]) <= 1e-6f);
    float kd, kl_t;
    const float temp = 3.0f;
    assert_int_equal(sm_softmax_rows_f32(ROWS, N, z, N, q, N,
                                         OPTS(1 / temp, 0)), SM_OK);
    assert_int_equal(sm_distillation_rows_f32(
                         ROWS, N, x, N, z, N, &kd, NULL, 0,
                         LOSS_OPTS(1 / temp, 0, SM_REDUCTION_SUM)), SM_OK);
    assert_int_equal(sm_kl_div_rows_f32(
                         ROWS, N, x, N, q, N, &kl_t, NULL, 0,
                         LOSS_OPTS(1 / temp, 0, SM_REDUCTION_SUM)), SM_OK);
    assert_true(fabsf(kd - temp * temp * kl_t) <= 1e-4f * kd);
}

/* The same loss reached two ways gives the same bits: one-hot soft targets
 * and labels; unit class weights and none; ignored rows and rows left out. */
static void test_equivalent_forms(void **state)
{
    (void)state;
    enum { ROWS = 4, N = 67 };
    static float x[ROWS * N], q[ROWS * N], g1[ROWS * N], g2[ROWS * N], ones[N];
    float l1[ROWS], l2[ROWS];
    uint64_t seed = 21;
    for (size_t i = 0; i < ROWS * N; i++)
        x[i] = rng_uniform(&seed, -9, 9);
    for (size_t i = 0; i < N; i++)
        ones[i] = 1.0f;
    int32_t labels[ROWS] = {5, 66, 0, 31};
    for (size_t r = 0; r < ROWS; r++)
        q[r * N + (size_t)labels[r]] = 1.0f;
    sm_cross_entropy_options o = SM_CROSS_ENTROPY_OPTIONS_INIT;
    o.beta = 0.7f;
    o.reduction = SM_REDUCTION_SUM;
    assert_int_equal(sm_cross_entropy_rows_f32(ROWS, N, x, N, labels, l1, g1,
                                               N, &o), SM_OK);
    assert_int_equal(sm_soft_cross_entropy_rows_f32(
                         ROWS, N, x, N, q, N, l2, g2, N,
                         LOSS_OPTS(0.7f, 0, SM_REDUCTION_SUM)), SM_OK);
    assert_same_bits(l1, l2, 1);
    assert_same_bits(g1, g2, ROWS * N);

    o.label_smoothing = 0.1f;
    o.l2 = 0.01f;
    o.reduction = SM_REDUCTION_MEAN;
    assert_int_equal(sm_cross_entropy_rows_f32(ROWS, N, x, N, labels, l1, g1,
                                               N, &o), SM_OK);
    o.class_weights = ones;
    assert_int_equal(sm_cross_entropy_rows_f32(ROWS, N, x, N, labels, l2, g2,
                                               N, &o), SM_OK);
    assert_same_bits(l1, l2, 1);
    assert_same_bits(g1, g2, ROWS * N);

    /* Row 1 ignored == rows 0, 2, 3 alone (MEAN divides by 3 either way). */
    o.class_weights = NULL;
    labels[1] = -100;
    assert_int_equal(sm_cross_entropy_rows_f32(ROWS, N, x, N, labels, l1, g1,
                                               N, &o), SM_OK);
    for (size_t i = 0; i < N; i++)
        assert_true(g1[N + i] == 0.0f);
    static float x3[3 * N];
    memcpy(x3, x, N * sizeof(float));
    memcpy(x3 + N, x + 2 * N, 2 * N * sizeof(float));
    const int32_t labels3[3] = {labels[0], labels[2], labels[3]};
    assert_int_equal(sm_cross_entropy_rows_f32(3, N, x3, N, labels3, l2, g2,
                                               N, &o), SM_OK);
    assert_same_bits(l1, l2, 1);
    assert_same_bits(g1, g2, N);
    assert_same_bits(g1 + 2 * N, g2 + N, 2 * N);

    /* NONE's row losses add up to SUM; MEAN is SUM / rows. */
    float rows_loss[ROWS], sum, mean;
    const sm_reduction reds[3] = {SM_REDUCTION_NONE, SM_REDUCTION_SUM, SM_REDUCTION_MEAN};
    float *outs[3] = {rows_loss, &sum, &mean};
    for (int k = 0; k < 3; k++)
        assert_int_equal(sm_entropy_rows_f32(ROWS, N, x, N, outs[k], NULL, 0,
                                             LOSS_OPTS(1.5f, 0, reds[k])), SM_OK);
    double s = 0;
    for (size_t r = 0; r < ROWS; r++)
        s += rows_loss[r];
    assert_true(fabs(sum - s) <= 1e-6 * s);
    assert_true(mean == (float)((double)sum / ROWS) ||
                fabs(mean - sum / ROWS) <= 1e-7 * sum);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_finite_differences),
        cmocka_unit_test(test_gradient_is_p_minus_y),
        cmocka_unit_test(test_margin_formula),
        cmocka_unit_test(test_kl_is_cross_entropy_minus_entropy),
        cmocka_unit_test(test_equivalent_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
