/*
 * sparsemax of rows (the Euclidean projection of beta x onto the simplex)
 * and its backward pass, written once for every ISA.
 *
 * Relative to the extremum M: u_i = beta (x_i - M), rounded as softmax's t
 * (+0 where x_i = M), so max u = 0 and tau lies in [-1, 0). tau comes from
 * Michelot's iteration, no sort: S_0 = the candidates u_i > -1, tau_k =
 * (sum_{S_k} u - 1) / |S_k|, S_{k+1} = {i in S_k : u_i > tau_k} until S
 * stops shrinking. Each sum is in double in the contract's order (lane
 * i mod 32 takes the row's u_i in increasing i, then the fixed fold), so it
 * depends only on the set: while a set's members fit in a small buffer,
 * kept in index order, the iteration runs there in scalar with lane =
 * index & 31 and the same bits. Rows of at most that many entries start
 * from every candidate and sum each set by a vector pass over the row. The
 * candidate pass of a longer row keeps them there, and whenever they reach
 * a limit (64, doubled up to the buffer's size while narrowing frees less
 * than half) it drops those at or below the threshold of the held entries
 * alone (a lower bound of tau), entry by entry in index order, so that
 * nothing depends on the vector width. Output: p_i = max(0, u_i -
 * (float)tau).
 */
#ifndef SM_SPARSEMAX_H
#define SM_SPARSEMAX_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/hardmax.h"

/* Members of a set kept for the scalar iteration (5 bytes each, on the
 * stack); a larger set iterates over the row. */
#define SM_SPARSE_KEEP 1024

struct sparse_set {
    double sum;   /* sum of the members' u, in the contract's order */
    size_t count; /* members */
    size_t kept;  /* members in the buffer; all of them unless overflowed */
    bool overflowed;
    uint8_t lane[SM_SPARSE_KEEP]; /* index mod 32, in index order */
    float u[SM_SPARSE_KEEP];
};

/* The smallest float g with u > tau exactly when u >= g (u a float). */
static inline float above(double tau)
{
    const float f = (float)tau;
    return (double)f > tau ? f : nextafterf(f, INFINITY);
}

/* Lanes with u >= g (u not NaN): v_max returns g unless u > g. */
SM_INLINE sm_m m_at_least(sm_v u, sm_v vg)
{
    return m_eq(v_max(u, vg), u);
}

/* The 32 lanes folded as acc_fold does: l += l+16, ... l += l+1. */
static inline double fold32(double lane[32])
{
    for (int half = 16; half >= 1; half /= 2)
        for (int l = 0; l < half; l++)
            lane[l] += lane[l + half];
    return lane[0];
}

/* Lanes < lanes (<= SM_VW) of p, the rest fill; and their store. */
SM_INLINE sm_v load_lanes(const float *p, size_t lanes, float fill)
{
    return lanes == (size_t)SM_VW ? v_load(p) : v_load_part(p, lanes, fill);
}

SM_INLINE void store_lanes(float *p, size_t lanes, sm_v v)
{
    if (lanes == (size_t)SM_VW)
        v_store(p, v);
    else
        v_store_part(p, lanes, v);
}

/* Appends the lanes of u (at i, read back from y) at or above g while
 * there is room; false once an entry finds the buffer full. Each lane is
 * written and the count advanced by the test, with no branch on it: which
 * lanes pass is as random as the logits. */
static inline bool keep_lanes(struct sparse_set *s, const float *y, size_t i,
                              size_t lanes, float g)
{
    size_t kept = s->kept;
    bool room = true;
    for (size_t j = 0; j < lanes; j++) {
        const float u = y[i + j];
        if (kept == SM_SPARSE_KEEP) {
            room = !(u >= g);
            if (!room)
                break;
            continue;
        }
        s->lane[kept] = (uint8_t)((i + j) & 31);
        s->u[kept] = u;
        kept += u >= g;
    }
    s->kept = kept;
    return room;
}

/* Vector v of a 32-element block at i, its lanes in of the set {u >= g}:
 * summed, counted and, with keep, kept while the buffer has room. */
SM_INLINE void set_add(struct sparse_set *s, sm_acc *acc, int v, sm_v u,
                       sm_m in, size_t i, const float *y, size_t lanes,
                       float g, bool keep)
{
    acc_add(acc, v, v_sel(in, u, v_set1(0.0f)));
    const size_t c = m_count(in);
    s->count += c;
    if (keep && c > 0 && !s->overflowed && !keep_lanes(s, y, i, lanes, g))
        s->overflowed = true;
}

static inline void set_begin(struct sparse_set *s, sm_acc *acc)
{
    acc_zero(acc);
    s->count = 0;
    s->kept = 0;
    s->overflowed = false;
}

/* The kept set narrowed to {u >= g}, in place and in index order, with its
 * sum in the lane order (an entry left out adds +0: the same sums). */
static void kept_pass(float g, struct sparse_set *s)
{
    double lane[32] = {0};
    size_t kept = 0;
    for (size_t j = 0; j < s->kept; j++) {
        const float u = s->u[j];
        const bool in = u >= g;
        lane[s->lane[j]] += (double)u * (double)in; /* no branch; x + -0 = x */
        s->lane[kept] = s->lane[j];
        s->u[kept] = u;
        kept += in;
    }
    s->kept = s->count = kept;
    s->sum = fold32(lane);
}

/* A full buffer B narrowed to its own projection's support: Michelot's
 * iteration on B alone converges to tau_B = (sum_A u - 1) / |A| over that
 * support A, a lower bound of the row's tau (for any set A, sum_A (u - tau)
 * <= sum max(0, u - tau) = 1), so the entries it drops are in no support.
 * Returns the raised threshold (g if nothing could go). */
static float prune_kept(float g, struct sparse_set *s)
{
    kept_pass(g, s);
    for (;;) {
        const double bound = (s->sum - 1.0) / (double)s->count;
        const float raised = above(bound) > g ? above(bound) : g;
        const size_t before = s->count;
        kept_pass(raised, s);
        g = raised;
        if (s->count == before)
            return g;
    }
}

/* Held candidates that trigger the first narrowing; each narrowing that
 * frees less than half of the limit doubles it, up to SM_SPARSE_KEEP. */
#define SM_SPARSE_FIRST_LIMIT 64

/* Appends the lanes of u (at i, read back from y) at or above *g, one
 * entry at a time in index order, so that what happens does not depend on
 * the vector width: an entry that finds *limit held narrows the buffer
 * (prune_kept) and raises *g; if the buffer is full and that frees no
 * room, the row overflows. */
static void keep_candidates(struct sparse_set *s, const float *y, size_t i,
                            size_t lanes, float *bar, size_t *limit)
{
    float g = *bar;
    size_t kept = s->kept;
    for (size_t j = 0; j < lanes; j++) {
        const float u = y[i + j];
        if (kept == *limit) {
            if (!(u >= g))
                continue;
            s->kept = kept;
            g = prune_kept(g, s);
            kept = s->kept;
            if (kept == SM_SPARSE_KEEP) {
                s->overflowed = true;
                break;
            }
            if (kept > *limit / 2 && *limit < SM_SPARSE_KEEP)
                *limit *= 2;
            if (!(u >= g))
                continue;
        }
        s->lane[kept] = (uint8_t)((i + j) & 31);
        s->u[kept] = u;
        kept += u >= g;
    }
    s->kept = kept;
    *bar = g;
}

/* u_i = beta (x_i - m) into y (n > 0; y may equal x), and the candidates
 * u > -1 kept; the buffer is narrowed whenever it reaches its limit, and
 * the threshold rises for the rest of the row. Returns the final
 * threshold g: the set is {u >= g}, all of it kept unless s->overflowed
 * (no room even after narrowing). */
static float candidates_pass(const float *x, size_t n, float m, float beta,
                             float *y, struct sparse_set *s)
{
    float g = above(-1.0);
    size_t limit = SM_SPARSE_FIRST_LIMIT;
    const sm_v vm = v_set1(m), vb = v_set1(beta);
    s->kept = 0;
    s->overflowed = false;
    for (size_t i = 0; i < n; i += SM_VW) {
        const size_t lanes = n - i < (size_t)SM_VW ? n - i : (size_t)SM_VW;
        const sm_v u = t_of(load_lanes(x + i, lanes, m), vm, vb);
        store_lanes(y + i, lanes, u);
        if (!s->overflowed &&
            m_count(m_and(m_at_least(u, v_set1(g)), m_first(lanes))) > 0)
            keep_candidates(s, y, i, lanes, &g, &limit);
    }
    return g;
}

/* The set {u >= g} of the u in y (n > 0), kept in the buffer if keep and
 * it fits. */
SM_INLINE void row_pass_with(const float *y, size_t n, float g,
                             struct sparse_set *s, bool keep)
{
    const sm_v vg = v_set1(g);
    sm_acc acc;
    set_begin(s, &acc);
    size_t i0 = 0;
    for (; i0 + 32 <= n; i0 += 32)
        for (int v = 0; v < SM_VPB; v++) {
            const size_t i = i0 + (size_t)v * SM_VW;
            const sm_v u = v_load(y + i);
            set_add(s, &acc, v, u, m_at_least(u, vg), i, y, SM_VW, g, keep);
        }
    for (int v = 0; i0 + (size_t)v * SM_VW < n; v++) {
        const size_t i = i0 + (size_t)v * SM_VW, c = n - i;
        const size_t lanes = c < (size_t)SM_VW ? c : SM_VW;
        const sm_v u = load_lanes(y + i, lanes, 0.0f);
        set_add(s, &acc, v, u, m_and(m_at_least(u, vg), m_first(lanes)), i,
                y, lanes, g, keep);
    }
    s->sum = acc_fold(&acc);
}

static void row_pass(const float *y, size_t n, float g, struct sparse_set *s)
{
    row_pass_with(y, n, g, s, true);
}

/* u_i = beta (x_i - m) into y; y may equal x. */
static void write_u(const float *x, size_t n, float m, float beta, float *y)
{
    const sm_v vm = v_set1(m), vb = v_set1(beta);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW)
        v_store(y + i, t_of(v_load(x + i), vm, vb));
    if (i < n)
        v_store_part(y + i, n - i, t_of(v_load_part(x + i, n - i, m), vm, vb));
}

/* tau for a row of at most SM_SPARSE_KEEP entries (u in y), from every
 * candidate u > -1: each set summed by a vector pass over the row, in
 * cache, without the scalar bookkeeping of which entries pass. */
static double short_row_threshold(const float *y, size_t n)
{
    struct sparse_set s;
    float g = above(-1.0);
    row_pass_with(y, n, g, &s, false);
    for (;;) {
        const double tau = (s.sum - 1.0) / (double)s.count;
        const float next = above(tau) > g ? above(tau) : g;
        const size_t before = s.count;
        row_pass_with(y, n, next, &s, false);
        if (s.count == before)
            return tau;
        g = next;
    }
}

/* tau for the u in y (n > 0, max u = +0, no NaN), from the set {u >= g}
 * the candidate pass left. */
static double sparse_threshold(const float *y, size_t n, float g,
                               struct sparse_set *s)
{
    if (s->overflowed)
        row_pass(y, n, g, s);
    else
        kept_pass(g, s);
    for (;;) {
        const double tau = (s->sum - 1.0) / (double)s->count;
        /* tau does not decrease in exact arithmetic; the max keeps the sets
         * nested whatever the rounding. */
        const float next = above(tau) > g ? above(tau) : g;
        const size_t before = s->count;
        if (s->overflowed)
            row_pass(y, n, next, s);
        else
            kept_pass(next, s);
        if (s->count == before)
            return tau;
        g = next;
    }
}

/* y_i = max(0, y_i - t). */
static void subtract_clip(float *y, size_t n, float t)
{
    const sm_v vt = v_set1(t), zero = v_set1(0.0f);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW)
        v_store(y + i, v_max(v_sub(v_load(y + i), vt), zero));
    if (i < n)
        v_store_part(y + i, n - i,
                     v_max(v_sub(v_load_part(y + i, n - i, 0.0f), vt), zero));
}

/* One row of n > 0 entries, beta not NaN; y may equal x. */
static void sparsemax_row(const float *x, size_t n, float beta, float *y)
{
    const struct span_scan scan = span_scan_with(x, n, beta >= 0.0f);
    if (write_limit_row(x, n, beta, scan, y))
        return;
    double tau;
    if (n <= SM_SPARSE_KEEP) {
        write_u(x, n, scan.ext, beta, y);
        tau = short_row_threshold(y, n);
    } else {
        struct sparse_set s;
        const float g = candidates_pass(x, n, scan.ext, beta, y, &s);
        tau = sparse_threshold(y, n, g, &s);
    }
    subtract_clip(y, n, (float)tau);
}

static void sparsemax_rows(size_t rows, size_t cols, float beta,
                           const float *x, size_t ldx, float *y, size_t ldy)
{
    for (size_t r = 0; r < rows; r++)
        sparsemax_row(x + r * ldx, cols, beta, y + r * ldy);
}

/* Lanes of the support: y > 0 (the smallest subnormal or more). */
SM_INLINE sm_m m_support(sm_v y)
{
    return m_at_least(y, v_set1(0x1p-149f));
}

/* The backward rows that need no sums: a NaN in y (y_nan's lanes > 0
 * mark one) makes dx NaN, an infinite beta (the hardmax limit) makes it
 * 0. Returns whether it wrote dx. */
SM_INLINE bool write_limit_gradient(float *dx, size_t n, sm_v y_nan,
                                    float beta)
{
    if (v_hmax(y_nan) > 0.0f) {
        fill(dx, n, sm_qnan);
        return true;
    }
    if (isinf(beta)) {
        fill(dx, n, 0.0f);
        return true;
    }
    return false;
}

/* dx_i = (dy_i - c) * beta on the support {y_i > 0}, +0 off it, with
 * c = (float)(sum_S dy / |S|); dx = 0 for an infinite beta (the forward is
 * then hardmax, constant almost everywhere); all NaN where y holds a NaN
 * (the forward's output of a row with a NaN). dx may equal y or dy. */
static void sparsemax_backward_row(const float *y, const float *dy, float *dx,
                                   size_t n, float beta)
{
    const sm_v zero = v_set1(0.0f);
    sm_acc acc;
    acc_zero(&acc);
    sm_v y_nan = zero;
    size_t count = 0, i0 = 0;
    for (; i0 + 32 <= n; i0 += 32)
        for (int v = 0; v < SM_VPB; v++) {
            const size_t i = i0 + (size_t)v * SM_VW;
            const sm_v yv = v_load(y + i);
            const sm_m in = m_support(yv);
            acc_add(&acc, v, v_sel(in, v_load(dy + i), zero));
            count += m_count(in);
            y_nan = nan_mark(yv, y_nan);
        }
    for (int v = 0; i0 + (size_t)v * SM_VW < n; v++) {
        const size_t i = i0 + (size_t)v * SM_VW, c = n - i;
        const size_t lanes = c < (size_t)SM_VW ? c : SM_VW;
        const sm_v yv = load_lanes(y + i, lanes, 0.0f);
        const sm_m in = m_and(m_support(yv), m_first(lanes));
        acc_add(&acc, v, v_sel(in, load_lanes(dy + i, lanes, 0.0f), zero));
        count += m_count(in);
        y_nan = nan_mark(yv, y_nan);
    }
    if (write_limit_gradient(dx, n, y_nan, beta))
        return;
    const double sum = acc_fold(&acc);
    const sm_v vc = v_set1(count ? (float)(sum / (double)count) : 0.0f);
    const sm_v vb = v_set1(beta);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW) {
        const sm_m in = m_support(v_load(y + i));
        const sm_v g = v_mul(v_sub(v_load(dy + i), vc), vb);
        v_store(dx + i, v_canonical_nan(v_sel(in, g, zero)));
    }
    if (i < n) {
        const sm_m in = m_support(v_load_part(y + i, n - i, 0.0f));
        const sm_v g = v_mul(v_sub(v_load_part(dy + i, n - i, 0.0f), vc), vb);
        v_store_part(dx + i, n - i, v_canonical_nan(v_sel(in, g, zero)));
    }
}

static void sparsemax_backward_rows(size_t rows, size_t cols, float beta,
                                    const float *y, size_t ldy,
                                    const float *dy, size_t lddy, float *dx,
                                    size_t lddx)
{
    for (size_t r = 0; r < rows; r++)
        sparsemax_backward_row(y + r * ldy, dy + r * lddy, dx + r * lddx, cols,
                               beta);
}

#endif
