/*
 * Sampling a token from each row's softmax_beta, filtered by top-k, min-p
 * and top-p, with a uniform from the counter-based generator: the same
 * seed, counter and logits choose the same token on every ISA.
 *
 * The kept set, in this order: the k most probable entries (top-k, ties
 * to the lower index, as top_rows); of those, the entries whose
 * probability is at least min_p times the largest (e_i >= min_p, with e_i
 * = exp(beta (x_i - M)) the contract's, 1 at M); of those, the smallest
 * set of most probable entries whose mass reaches top_p of theirs
 * (top-p). The token is drawn in proportion to e_i over the kept set, by
 * walking it with a double running sum against u * (its mass).
 *
 * With top-k (k <= SM_TOP_MAX, checked by src/), or when the kept set
 * turns out to lie within the SM_TOP_MAX most probable entries, the set is
 * an explicit list in rank order. Otherwise it is {e_i >= tau}: min-p's
 * tau, or top-p's, found by bisection on tau's bits with passes that sum
 * the mass above it; the draw then walks the row (walk.h). Without filters
 * only the extremum is selected. Bias and penalties (penalties.h) first
 * build the adjusted row in the caller's workspace.
 */
#ifndef SM_SAMPLE_H
#define SM_SAMPLE_H

#include "common/penalties.h"
#include "common/philox.h"
#include "common/top.h"
#include "common/walk.h"

/* e_i of the n listed entries of a row with extremum m, in rank order,
 * through the build's exp (the same bits on every ISA). */
static void list_exps(const float *x, const struct ranked h[], size_t n,
                      float m, float beta, float e[])
{
    const sm_v vb = v_set1(beta), vm = v_set1(m);
    for (size_t j = 0; j < n; j += (size_t)SM_VW) {
        float xs[32]; /* SM_VW <= 32 */
        const size_t c = n - j < (size_t)SM_VW ? n - j : (size_t)SM_VW;
        for (size_t l = 0; l < c; l++)
            xs[l] = x[h[j + l].index];
        if (c == (size_t)SM_VW) {
            v_store(e + j, exp_nonpos(t_of(v_load(xs), vm, vb)));
        } else {
            const sm_v xv = v_load_part(xs, c, m);
            v_store_part(e + j, c, exp_nonpos(t_of(xv, vm, vb)));
        }
    }
}

/* top-p's threshold over the whole row: the largest tau (a float from
 * tau_lo, whose mass reaches goal, to 1) whose mass reaches goal, by
 * bisection on its bits (positive floats order as their bits). */
static float top_p_threshold(const float *x, size_t n, float m, float beta,
                             float tau_lo, double goal)
{
    const float one = 1.0f;
    const struct mass_src at_one = kept_src(x, m, beta, one);
    if (row_mass(&at_one, 0, n) >= goal)
        return one;
    uint32_t lo, hi;
    memcpy(&lo, &tau_lo, sizeof lo);
    memcpy(&hi, &one, sizeof hi);
    while (hi - lo > 1) { /* mass(lo) >= goal > mass(hi) */
        const uint32_t mid = lo + (hi - lo) / 2;
        float t;
        memcpy(&t, &mid, sizeof t);
        const struct mass_src at_mid = kept_src(x, m, beta, t);
        if (row_mass(&at_mid, 0, n) >= goal)
            lo = mid;
        else
            hi = mid;
    }
    float tau;
    memcpy(&tau, &lo, sizeof tau);
    return tau;
}

struct sample_out {
    int32_t token; /* -1: the row has no distribution */
    float prob;    /* under the kept set */
};

/* beta = 0: the first K entries (top-k, else all) are equally likely;
 * min-p keeps them all, top-p the first ceil(top_p K). */
static struct sample_out uniform_draw(size_t cols,
                                      const struct sm_sample_args *a, double u)
{
    size_t k = a->top_k > 0 && (size_t)a->top_k < cols ? (size_t)a->top_k
                                                        : cols;
    if (a->top_p < 1.0f) {
        const double want = ceil((double)a->top_p * (double)k);
        k = want < 1.0 ? 1 : (size_t)want;
    }
    return (struct sample_out){(int32_t)(u * (double)k),
                               (float)(1.0 / (double)k)};
}

/* Draws from the first keep listed entries, of mass mass. */
static struct sample_out list_draw(const struct ranked h[], const float e[],
                                   size_t keep, double mass, double u)
{
    const double target = u * mass;
    double run = 0.0;
    size_t j = 0;
    for (; j + 1 < keep; j++) {
        run += (double)e[j];
        if (run > target)
            break;
    }
    return (struct sample_out){h[j].index, (float)((double)e[j] / mass)};
}

/* Draws from {e_i >= tau} over the whole row. */
static struct sample_out kept_draw(const float *x, size_t cols, float m,
                                   float beta, float tau, double u)
{
    const struct mass_src s = kept_src(x, m, beta, tau);
    double total;
    const struct walked w = row_draw(&s, cols, u, &total);
    return (struct sample_out){(int32_t)w.index,
                               (float)((double)w.mass / total)};
}

/* One row, u in [0, 1); h and e have room for SM_TOP_MAX entries (e also
 * holds the exps of a row of at most SM_TOP_MAX without filters). */
static struct sample_out sample_row(const float *x, size_t cols, float beta,
                                    const struct sm_sample_args *a, double u,
                                    struct ranked h[], float e[])
{
    const struct sample_out none = {-1, NAN};
    const int side = beta > 0.0f ? 1 : beta < 0.0f ? -1 : 0;
    const bool top_k = a->top_k > 0 && (size_t)a->top_k < cols;
    const bool filters = top_k || a->min_p > 0.0f || a->top_p < 1.0f;
    /* the kept set's candidates, most probable first; without filters only
     * the first is needed: the extremum, or a NaN */
    const size_t n_list = top_k ? (size_t)a->top_k
                          : !filters ? 1
                          : cols < SM_TOP_MAX ? cols : SM_TOP_MAX;
    top_select(x, cols, n_list, side, h);
    if (h[0].key == UINT32_MAX)
        return none; /* a NaN */
    if (side == 0)
        return uniform_draw(cols, a, u);
    const float m = x[h[0].index];
    if (row_is_masked(m, beta))
        return none;
    if (isinf(beta)) /* greedy: the argmax, with certainty */
        return (struct sample_out){h[0].index, 1.0f};
    /* The smallest e_i with mass: 0 has none. */
    const float tiny = 0x1p-149f;
    const float tau0 = a->min_p > 0.0f ? a->min_p : tiny;
    if (!filters && cols <= SM_TOP_MAX) { /* one exp per entry, in e */
        const struct mass_src kept = kept_src(x, m, beta, tau0);
        store_masses(&kept, cols, e);
        const struct mass_src stored = stored_src(e);
        double total;
        const struct walked w = row_draw(&stored, cols, u, &total);
        return (struct sample_out){(int32_t)w.index,
                                   (float)((double)w.mass / total)};
    }
    if (!filters)
        return kept_draw(x, cols, m, beta, tau0, u);
    list_exps(x, h, n_list, m, beta, e);
    size_t keep = 0; /* min-p: a prefix, as e is non-increasing */
    double mass = 0.0;
    for (; keep < n_list && e[keep] >= tau0; keep++)
        mass += (double)e[keep];
    /* Within the list unless min-p kept all of it and it is not the row. */
    const bool within = top_k || n_list == cols || keep < n_list;
    const struct mass_src kept = kept_src(x, m, beta, tau0);
    const double set_mass = within ? mass : row_mass(&kept, 0, cols);
    if (a->top_p < 1.0f) {
        const double goal = (double)a->top_p * set_mass;
        double run = 0.0;
        size_t j = 0;
        while (j < keep && run < goal)
            run += (double)e[j++];
        if (run >= goal) /* the nucleus closes within the list */
            return list_draw(h, e, j < 1 ? 1 : j, j < 1 ? (double)e[0] : run,
                             u);
        const float tau = top_p_threshold(x, cols, m, beta, tau0, goal);
        return kept_draw(x, cols, m, beta, tau, u);
    }
    if (within)
        return list_draw(h, e, keep, mass, u);
    return kept_draw(x, cols, m, beta, tau0, u);
}

/* Each row's token and its probability under the kept set (of the row
 * after bias and penalties), and with logprob its log-probability under the
 * unfiltered softmax of the row as given (the bits log-softmax writes);
 * returns the number of rows without a distribution
 * (token -1, prob and logprob NaN). */
static size_t sample_rows(size_t rows, size_t cols, float beta,
                          const float *x, size_t ldx,
                          const struct sm_sample_args *a, int32_t *token,
                          float *prob, float *logprob)
{
    struct ranked h[SM_TOP_MAX];
    float e[SM_TOP_MAX];
    size_t undefined = 0;
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        const float *from = has_adjustments(a) ? adjusted_row(xr, cols, r, a)
                                               : xr;
        const struct sm_philox_block rb =
            sm_random_block(a->seed, a->counter[r], 0);
        const double u = sm_uniform53(rb.w[0], rb.w[1]);
        const struct sample_out s = sample_row(from, cols, beta, a, u, h, e);
        token[r] = s.token;
        if (prob)
            prob[r] = s.prob;
        if (logprob) {
            const struct ranked at = {0, s.token};
            if (s.token < 0)
                logprob[r] = NAN;
            else
                top_log_probs(xr, cols, beta, &at, 1, logprob + r);
        }
        undefined += s.token < 0;
    }
    return undefined;
}

#endif
