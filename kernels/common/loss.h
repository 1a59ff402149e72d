/*
 * Losses and their gradients with respect to the logits, written once for
 * every ISA: fused cross-entropy, soft-target
 * cross-entropy, KL divergence, distillation and entropy.
 *
 * Each row first gets the forward statistics of the contract (M, K, S''),
 * so p_i = e_i * r and -log p_i = lse - t_i carry exactly the bits of
 * softmax and of minus log-softmax. Every loss is then a sum of per-element
 * f32 terms in double, in the contract's lane and chunk order, so every ISA
 * returns the same bits. A term whose weight (target probability,
 * probability, class weight) is 0 is 0, whatever the log: 0 log 0 = 0.
 */
#ifndef SM_LOSS_H
#define SM_LOSS_H

#include "common/softmax_rows.h"

/* One row once its statistics are known. */
struct loss_row {
    const float *x;
    float *g;     /* the gradient row, or NULL */
    bool stored;  /* g holds e_i from the statistics pass */
    bool uniform; /* beta = 0: t_i = 0, e_i = 1 */
    float m, beta;
    float r;   /* p_i = e_i * r; 0 on a fully masked row */
    float lse; /* L in f32; +inf on a fully masked row (p_i = 0) */
    double s;  /* S = K + S'' */
    /* In a row longer than a chunk, the chunk being read (loss_pass): its
     * extremum m_b and r_b = chunk_scale(m_b); m and r elsewhere. */
    float chunk_m, chunk_r;
};

SM_INLINE sm_v ld(const float *p, size_t c, float fill)
{
    return c == SM_VW ? v_load(p) : v_load_part(p, c, fill);
}

SM_INLINE void st(float *p, size_t c, sm_v v)
{
    if (c == SM_VW)
        v_store(p, v);
    else
        v_store_tail(p, c, v);
}

/* Lane i (< SM_VW) of v. */
static inline float lane_of(sm_v v, size_t i)
{
    float lanes[64];
    v_store(lanes, v);
    return lanes[i];
}

/* t_i = beta (x_i - M), exactly as the forward kernels round it (t_of's
 * operations; through t_of, GCC schedules the SVE losses differently). */
SM_INLINE sm_v row_t(const struct loss_row *w, sm_v xv)
{
    const sm_v zero = v_set1(0.0f);
    if (w->uniform)
        return zero;
    const sm_v vm = v_set1(w->m);
    return v_sel(m_eq(xv, vm), zero, v_mul(v_sub(xv, vm), v_set1(w->beta)));
}

SM_INLINE sm_v row_e(const struct loss_row *w, size_t i, size_t c, sm_v t)
{
    if (w->stored)
        return ld(w->g + i, c, 0.0f);
    return w->uniform ? v_set1(1.0f) : exp_nonpos(t);
}

/* p_i of one vector (x its entries, t = row_t of them): e_i r, or, in a
 * chunk of a long row whose extremum m_b is not M, exp(beta (x_i - m_b))
 * r_b, the chunk's own exps scaled as softmax_long_row scales them. */
SM_INLINE sm_v row_p(const struct loss_row *w, size_t i, size_t c, sm_v xv,
                     sm_v t, bool long_row)
{
    if (!long_row || w->chunk_m == w->m)
        return v_mul(row_e(w, i, c, t), v_set1(w->r));
    const struct loss_row own = {.m = w->chunk_m, .beta = w->beta};
    sm_v tb = row_t(&own, xv);
    if (c < SM_VW) /* the lanes past the row hold M, above m_b */
        tb = v_sel(m_first(c), tb, v_set1(0.0f));
    return v_mul(exp_nonpos(tb), v_set1(w->chunk_r));
}

static inline float scalar_t(const struct loss_row *w, float x)
{
    return w->uniform || x == w->m ? 0.0f : (x - w->m) * w->beta;
}

static inline float scalar_e(const struct loss_row *w, float t)
{
    return w->uniform ? 1.0f : lane_of(exp_nonpos(v_set1(t)), 0);
}

/* A row's statistics and L = log_partition(K, S''), computed ahead for a
 * group of rows (loss_row_group_pre). */
struct loss_pre {
    struct row_stats s;
    double l;
};

/* Statistics of a non-empty row; false for a row with a NaN. With
 * may_store, a single-chunk row leaves e_i in g for the later passes. pre
 * (beta != 0 only): the statistics already computed, by loss_row_group_pre
 * with the same may_store. */
SM_INLINE bool loss_row_init(struct loss_row *w, const float *x, size_t n,
                             float beta, float *g, bool may_store,
                             const struct loss_pre *pre)
{
    *w = (struct loss_row){.x = x, .g = g, .beta = beta,
                           .uniform = beta == 0.0f};
    if (w->uniform) {
        w->r = (float)(1.0 / (double)n);
        w->lse = (float)log_partition((double)n, 0.0);
        return !row_has_nan(x, n);
    }
    w->stored = may_store && g && n <= SM_CHUNK;
    const struct row_stats s =
        pre ? pre->s : short_row_stats(x, n, beta, w->stored ? g : NULL);
    const enum row_class c = row_class(s, beta);
    if (c == ROW_NAN)
        return false;
    w->m = s.m;
    if (c == ROW_MASKED) {
        w->r = 0.0f;
        w->lse = INFINITY;
    } else {
        w->s = s.k + s.s;
        w->r = (float)(1.0 / w->s);
        w->lse = (float)(pre ? pre->l : log_partition(s.k, s.s));
    }
    w->chunk_m = w->m;
    w->chunk_r = w->r;
    return true;
}

/* Makes the len entries at base, a chunk of a row longer than one, the
 * chunk row_p reads: its extremum and scale. A fully masked row keeps
 * r = 0 (every extremum is M there). */
SM_INLINE void loss_row_enter(struct loss_row *w, size_t base, size_t len)
{
    if (w->uniform || w->r == 0.0f)
        return;
    w->chunk_m = row_extremum(w->x + base, len, w->beta > 0);
    w->chunk_r = chunk_scale(w->chunk_m, w->m, w->beta, w->s);
}

/* p_j (x_j = xj) of a row of n entries as row_p gives it. A row longer
 * than a chunk reads entry j's chunk for its extremum. */
static inline float loss_row_p(struct loss_row *w, size_t n, size_t j,
                               float xj)
{
    if (n <= SM_CHUNK || w->uniform)
        return scalar_e(w, scalar_t(w, xj)) * w->r;
    const size_t base = j / SM_CHUNK * SM_CHUNK;
    loss_row_enter(w, base, sm_chunk_len(n, base));
    if (w->chunk_m == w->m)
        return scalar_e(w, scalar_t(w, xj)) * w->r;
    const struct loss_row own = {.m = w->chunk_m, .beta = w->beta};
    return scalar_e(&own, scalar_t(&own, xj)) * w->chunk_r;
}

/* The losses' rows of at most this many entries get their statistics and
 * L a group at a time (loss_row_group_pre), for the same reason as
 * SM_ROW_GROUP_MAX_COLS; the losses make more passes over a row, and gain
 * further (less as rows grow). */
#define SM_LOSS_ROW_GROUP_MAX_COLS 4096
_Static_assert(SM_LOSS_ROW_GROUP_MAX_COLS <= SM_CHUNK,
               "its rows store their exps");

/* loss_row_init's statistics of rows (<= SM_ROW_GROUP) rows (beta != 0)
 * and their L in one log1p pass; with may_store, e_i go to the rows of g
 * (in place too: read what the passes need of x first). */
SM_INLINE void loss_row_group_pre(const float *x, size_t ldx, size_t rows,
                                  size_t n, float beta, float *g, size_t ldg,
                                  bool may_store,
                                  double logk[SM_LOGK_MAX + 1],
                                  struct loss_pre pre[])
{
    struct row_stats st[SM_ROW_GROUP];
    double l[SM_ROW_GROUP];
    row_group_stats(x, ldx, rows, n, beta, may_store ? g : NULL, ldg,
                    logk, st, l);
    for (size_t j = 0; j < rows; j++)
        pre[j] = (struct loss_pre){st[j], l[j]};
}

/* One vector of a pass at element i with c valid lanes: writes its part
 * of the gradient, if any, and returns the f32 terms to sum (0 in lanes
 * >= c). */
typedef sm_v (*loss_step_fn)(const void *pass, size_t i, size_t c);

/* step over the len entries at base; with sum, their terms in the
 * contract's order (32 lanes, folded). */
SM_INLINE double loss_chunk(const void *pass, size_t base, size_t len,
                            loss_step_fn step, bool sum)
{
    if (!sum) {
        size_t i = base;
        for (; i + SM_VW <= base + len; i += SM_VW)
            step(pass, i, SM_VW);
        if (i < base + len)
            step(pass, i, base + len - i);
        return 0.0;
    }
    sm_acc acc;
    acc_zero(&acc);
    size_t i = 0;
    for (; i + 32 <= len; i += 32)
        for (int v = 0; v < SM_VPB; v++)
            acc_add(&acc, v, step(pass, base + i + (size_t)v * SM_VW, SM_VW));
    for (int v = 0; v < SM_VPB && i + (size_t)v * SM_VW < len; v++) {
        const size_t at = i + (size_t)v * SM_VW;
        const size_t c = len - at < SM_VW ? len - at : SM_VW;
        acc_add(&acc, v, step(pass, base + at, c));
    }
    return acc_fold(&acc);
}

/* Runs step over a row of n; with sum, adds the terms in the contract's
 * order (32 lanes folded per chunk, chunks in order). A row longer than a
 * chunk takes long_step (row_p with long_row), entering each chunk of w
 * and w2 (or NULL), the pass's rows, in turn. */
SM_INLINE double loss_pass(const void *pass, size_t n, loss_step_fn step,
                           loss_step_fn long_step, bool sum,
                           struct loss_row *w, struct loss_row *w2)
{
    if (n <= SM_CHUNK)
        return loss_chunk(pass, 0, n, step, sum);
    double total = 0.0;
    for (size_t base = 0; base < n; base += SM_CHUNK) {
        const size_t len = sm_chunk_len(n, base);
        loss_row_enter(w, base, len);
        if (w2)
            loss_row_enter(w2, base, len);
        total += loss_chunk(pass, base, len, long_step, sum);
    }
    return total;
}

/* Terms where the weight is 0, and lanes past the row, add 0. */
SM_INLINE sm_v weighted_term(sm_v weight, sm_v term, size_t c)
{
    const sm_v zero = v_set1(0.0f);
    return v_sel(m_first(c), v_sel(m_eq(weight, zero), zero, v_mul(weight, term)),
                 zero);
}

/* d * scale, and +0 where d = 0: an infinite beta (hardmax) scales the
 * entries whose difference vanishes to 0, their limit, not to NaN. */
SM_INLINE sm_v grad_scaled(sm_v d, float scale)
{
    const sm_v zero = v_set1(0.0f);
    return v_sel(m_eq(d, zero), zero, v_mul(d, v_set1(scale)));
}

static inline float grad_scaled1(float d, float scale)
{
    return d == 0.0f ? 0.0f : d * scale;
}

#endif
