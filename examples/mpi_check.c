/*
 * The tolerances, from the accuracy bounds at the top of softmax.h (u =
 * 2^-24; t_i = beta (x_i - M), L = log sum_j exp(t_j) and T = max |t_j|
 * over t_j > -104, all computed here in double from the row; E = (3 + 2T)
 * u L). Each of the two results, the state route's and the one-shot's, is
 * within the bound of the exact value, so their difference is within
 * twice the bound:
 *  - softmax: each within (a + 2|t_i|) u p_ref (a = 5, 7 with the fast
 *    exp), or 2^-148 where subnormal: |p - p1| <= 2 (a + 2|t_i|) u p_ref
 *    + 2^-147, with p_ref <= p1 (1 + 2 (a + 2|t_i|) u);
 *  - log-softmax: each within b ulp + E (b = 4, 5): |y - y1| <= 2b ulp
 *    + 2E;
 *  - logsumexp: each within c ulp + E (c = 2, 3): 2c ulp + 2E;
 *  - the loss as minus the label's log-probability: the state route is
 *    log-softmax's b ulp + E, the one-shot loss within d ulp + (3 + 2T) u
 *    (L + |t_c|) (d = 4, 5; softmax.h's loss bound with a one-hot
 *    target): (b + d) ulp + (3 + 2T) u (2L + |t_c|);
 *  - the loss as logsumexp - beta x_c (beta x_c exact in double, one
 *    subtraction in double, one rounding to float): c ulp(lse) + E +
 *    ulp/2 + 2^-52 (|lse| + |beta x_c|), plus the one-shot's d ulp +
 *    (3 + 2T) u (L + |t_c|);
 *  - gradient (p - onehot) beta, rounded after the subtraction and the
 *    product as the library does: |beta| (softmax's tolerance + ulp(p - 1)
 *    at the label) + ulp(g).
 * An ulp is taken at the larger of the two magnitudes plus the tolerance,
 * so that a reference beyond a power of two is covered. Where the
 * contract promises the one-shot's bits (exact), every quantity but the
 * logsumexp - beta x_c loss, which is a different formula from the
 * library's, must match bit for bit, and so must the reduced states. The
 * states' M and K are exact in every case.
 */
#include "mpi_check.h"

#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[Q_COUNT] = {
    "softmax", "log-softmax", "gradient", "logsumexp", "loss -log p_c",
    "loss lse - beta x_c"};

/* The spacing of floats at |v| (subnormal spacing below 2^-126). */
static double ulp_f(double v)
{
    v = fabs(v);
    if (!(v >= 0x1p-126))
        return 0x1p-149;
    int e;
    frexp(v, &e); /* v = f 2^e, f in [0.5, 1) */
    return ldexp(1.0, e - 24);
}

/* k ulps of a value near m, plus the absolute part extra: see above. */
static double pair_tol(double m, double k, double extra)
{
    return k * ulp_f(m + 2.0 * k * ulp_f(m) + extra) + extra;
}

static int64_t ordered(float f)
{
    int32_t i;
    memcpy(&i, &f, sizeof i);
    return i >= 0 ? (int64_t)i : (int64_t)INT32_MIN - (int64_t)i;
}

static bool same_bits(float a, float b)
{
    return !memcmp(&a, &b, sizeof a);
}

struct checker {
    const struct check_case *c;
    struct check_result *res;
    int printed;
};

/* One comparison: bits where exact, else |got - want| <= tol. */
static void compare(struct checker *k, int q, size_t row, size_t col,
                    float got, float want, double tol, bool exact)
{
    struct check_result *res = k->res;
    const bool nan = isnan(got) || isnan(want);
    const double diff = fabs((double)got - (double)want);
    const double ulps = nan ? (same_bits(got, want) ? 0.0 : INFINITY)
                            : (double)llabs(ordered(got) - ordered(want));
    bool ok;
    if (exact || nan) {
        ok = same_bits(got, want);
    } else {
        ok = diff <= tol;
        const double ratio =
            tol > 0.0 ? diff / tol : (diff > 0.0 ? INFINITY : 0.0);
        if (ratio > res->max_ratio[q])
            res->max_ratio[q] = ratio;
    }
    if (ulps > res->max_ulp[q])
        res->max_ulp[q] = ulps;
    if (ok)
        return;
    res->bad += 1;
    if (k->printed++ < 8)
        fprintf(stderr,
                "rank %d: %s, row %zu column %zu: %a, one-shot %a (%s %g)\n",
                k->c->rank, names[q], row, col, (double)got, (double)want,
                exact ? "bits differ; |difference|" : "|difference| above",
                exact ? diff : tol);
}

/* T and L of a row, in double. */
static void row_terms(const float *x, size_t n, float beta, float m,
                      double *big_t, double *big_l)
{
    double t_max = 0.0, sum = 0.0;
    for (size_t j = 0; j < n; j++) {
        const double t = (double)beta * ((double)x[j] - (double)m);
        if (t > -104.0 && fabs(t) > t_max)
            t_max = fabs(t);
        sum += exp(t);
    }
    *big_t = t_max;
    *big_l = log(sum);
}

static void check_state(struct checker *k, size_t r, const sm_softmax_state *s,
                        const sm_softmax_state *ref)
{
    const bool mk = same_bits(s->max, ref->max) && s->count == ref->count;
    if (mk && (!k->c->exact || !memcmp(s, ref, sizeof *s)))
        return;
    k->res->bad += 1;
    fprintf(stderr, "rank %d: row %zu: reduced state (M %a, K %.17g, S'' "
                    "%a), the full row's fold (M %a, K %.17g, S'' %a)\n",
            k->c->rank, r, (double)s->max, s->count, s->sum,
            (double)ref->max, ref->count, ref->sum);
}

void check_shard(const struct check_case *c, const sm_softmax_state *state,
                 const float *p, const float *y, const float *g,
                 const float *lse, const float *loss, const float *loss_lse,
                 const float *ref_x, const float *ref_p, const float *ref_y,
                 const float *ref_g, const float *ref_lse,
                 const float *ref_loss, const sm_softmax_state *ref_state,
                 struct check_result *res)
{
    memset(res, 0, sizeof *res);
    struct checker k = {c, res, 0};
    const double u = 0x1p-24, beta = c->beta, ab = fabs(beta);
    const double a_sm = c->fast_exp ? 7 : 5, b_ls = c->fast_exp ? 5 : 4;
    const double c_lse = c->fast_exp ? 3 : 2, d_loss = c->fast_exp ? 5 : 4;
    const size_t v = c->vocab, n = c->hi - c->lo;
    for (size_t r = 0; r < c->rows; r++) {
        const float *xr = ref_x + r * v;
        const float m = ref_state[r].max;
        double big_t, big_l;
        row_terms(xr, v, c->beta, m, &big_t, &big_l);
        const double e = (3.0 + 2.0 * big_t) * u * big_l;
        check_state(&k, r, &state[r], &ref_state[r]);

        const double m_lse = fmax(fabs(lse[r]), fabs(ref_lse[r]));
        compare(&k, Q_LSE, r, 0, lse[r], ref_lse[r],
                pair_tol(m_lse, 2 * c_lse, 2 * e), c->exact);

        const size_t label = (size_t)c->labels[r];
        const double t_c = beta * ((double)xr[label] - (double)m);
        const double e_loss =
            (3.0 + 2.0 * big_t) * u * (2.0 * big_l + fabs(t_c));
        const double m_loss = fmax(fabs(loss[r]), fabs(ref_loss[r]));
        compare(&k, Q_LOSS, r, 0, loss[r], ref_loss[r],
                pair_tol(m_loss, b_ls + d_loss, e_loss), c->exact);
        const double m_ll = fmax(fabs(loss_lse[r]), fabs(ref_loss[r]));
        const double bx = beta * (double)xr[label]; /* exact */
        const double extra = c_lse * ulp_f(m_lse + 2 * e) +
                             0x1p-52 * (fabs((double)lse[r]) + fabs(bx));
        compare(&k, Q_LOSS_LSE, r, 0, loss_lse[r], ref_loss[r],
                pair_tol(m_ll, d_loss + 0.5, e_loss + extra), false);

        for (size_t j = 0; j < n; j++) {
            const size_t col = c->lo + j;
            const double t = beta * ((double)xr[col] - (double)m);
            const float p1 = ref_p[r * v + col], pj = p[r * n + j];
            const double rel = (a_sm + 2.0 * fabs(t)) * u;
            const double tol_p =
                2.0 * rel * (double)p1 * (1.0 + 2.0 * rel) + 0x1p-147;
            compare(&k, Q_SOFTMAX, r, col, pj, p1, tol_p, c->exact);
            if (p1 > 0.0f && !c->exact) {
                const double re = fabs((double)pj - (double)p1) / (double)p1;
                if (re > res->max_rel_softmax)
                    res->max_rel_softmax = re;
            }

            const float y1 = ref_y[r * v + col], yj = y[r * n + j];
            compare(&k, Q_LOG_SOFTMAX, r, col, yj, y1,
                    pair_tol(fmax(fabs(yj), fabs(y1)), 2 * b_ls, 2 * e),
                    c->exact);

            const float g1 = ref_g[r * v + col], gj = g[r * n + j];
            /* p - 1 is rounded at the label; elsewhere p - 0 is exact. */
            const double d_ulp =
                col == label ? ulp_f(1.0 - fmin(pj, p1)) : 0.0;
            const double tol_g = ab * (tol_p + d_ulp) +
                                 ulp_f(fmax(fabs(gj), fabs(g1)) +
                                       ab * (tol_p + d_ulp));
            compare(&k, Q_GRAD, r, col, gj, g1, tol_g, c->exact);
        }
    }
}

/* What each rank sends rank 0. */
enum { R_LO, R_HI, R_ULP, R_RATIO = R_ULP + Q_COUNT,
       R_REL = R_RATIO + Q_COUNT, R_BAD, R_COUNT };

bool report(const struct check_case *c, int ranks,
            const struct check_result *res, const char *isa,
            unsigned long long seed)
{
    double mine[R_COUNT], *all = NULL, bad[2] = {0, 0};
    const double local[2] = {res->bad, res->states_differ};
    mine[R_LO] = (double)c->lo;
    mine[R_HI] = (double)c->hi;
    for (int q = 0; q < Q_COUNT; q++) {
        mine[R_ULP + q] = res->max_ulp[q];
        mine[R_RATIO + q] = res->max_ratio[q];
    }
    mine[R_REL] = res->max_rel_softmax;
    mine[R_BAD] = res->bad;
    if (c->rank == 0) {
        all = malloc((size_t)ranks * R_COUNT * sizeof *all);
        if (!all)
            MPI_Abort(MPI_COMM_WORLD, 3);
    }
    MPI_Gather(mine, R_COUNT, MPI_DOUBLE, all, R_COUNT, MPI_DOUBLE, 0,
               MPI_COMM_WORLD);
    MPI_Allreduce(local, bad, 2, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    const bool ok = bad[0] == 0 && bad[1] == 0;
    if (c->rank != 0)
        return ok;

    printf("mpi_vocab_parallel: %d ranks, %zu rows x %zu columns, beta %g, "
           "seed %llu, %s exp, isa %s\n", ranks, c->rows, c->vocab,
           (double)c->beta, seed, c->fast_exp ? "fast" : "SLEEF", isa);
    printf("checked against the one-shot functions: %s\n",
           c->exact ? "bit for bit (the contract's exact case: shards on "
                      "chunk boundaries, merged in order)"
                    : "within twice the accuracy bounds of softmax.h "
                      "(max |difference| / tolerance below)");
    if (c->exact)
        printf("%4s  %-18s  %12s  %16s  %13s\n", "rank", "shard",
               "softmax ulp", "log-softmax ulp", "gradient ulp");
    else
        printf("%4s  %-18s  %12s %9s %6s  %16s %6s  %13s %6s\n", "rank",
               "shard", "softmax ulp", "rel err", "/tol", "log-softmax ulp",
               "/tol", "gradient ulp", "/tol");
    for (int i = 0; i < ranks; i++) {
        const double *s = all + (size_t)i * R_COUNT;
        char shard[48];
        snprintf(shard, sizeof shard, "[%.0f, %.0f)", s[R_LO], s[R_HI]);
        const char *flag = s[R_BAD] > 0 ? "  MISMATCH" : "";
        if (c->exact)
            printf("%4d  %-18s  %12.0f  %16.0f  %13.0f%s\n", i, shard,
                   s[R_ULP + Q_SOFTMAX], s[R_ULP + Q_LOG_SOFTMAX],
                   s[R_ULP + Q_GRAD], flag);
        else
            printf("%4d  %-18s  %12.0f %9.2e %6.3f  %16.0f %6.3f  %13.0f "
                   "%6.3f%s\n",
                   i, shard, s[R_ULP + Q_SOFTMAX], s[R_REL],
                   s[R_RATIO + Q_SOFTMAX], s[R_ULP + Q_LOG_SOFTMAX],
                   s[R_RATIO + Q_LOG_SOFTMAX], s[R_ULP + Q_GRAD],
                   s[R_RATIO + Q_GRAD], flag);
    }
    /* The rows' values are the same on every rank: rank 0's. */
    if (c->exact)
        printf("every row: logsumexp %.0f ulp, loss -log p_c %.0f ulp; "
               "loss lse - beta x_c %.0f ulp (/tol %.3f; not the library's "
               "formula, never bits)\n",
               res->max_ulp[Q_LSE], res->max_ulp[Q_LOSS],
               res->max_ulp[Q_LOSS_LSE], res->max_ratio[Q_LOSS_LSE]);
    else
        printf("every row: logsumexp %.0f ulp (/tol %.3f), loss -log p_c "
               "%.0f ulp (/tol %.3f), loss lse - beta x_c %.0f ulp (/tol "
               "%.3f)\n",
               res->max_ulp[Q_LSE], res->max_ratio[Q_LSE],
               res->max_ulp[Q_LOSS], res->max_ratio[Q_LOSS],
               res->max_ulp[Q_LOSS_LSE], res->max_ratio[Q_LOSS_LSE]);
    free(all);
    if (bad[1] == 0)
        printf("reduced states: bit-identical on every rank; M and K equal "
               "the full rows' one-piece fold%s\n",
               c->exact ? ", and so does S''" : "");
    else
        printf("reduced states: %.0f ranks differ from rank 0\n", bad[1]);
    printf("result: %s (%.0f mismatches%s)\n", ok ? "OK" : "FAILED", bad[0],
           bad[1] > 0 ? ", states differ" : "");
    return ok;
}
