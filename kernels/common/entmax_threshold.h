/*
 * The threshold tau of alpha-entmax, written once for every ISA. The row
 * holds t_i = (alpha - 1) u_i (u as sparsemax's, so max t = +0) and
 * p_i = (t_i - tau)_+^(1 / (alpha - 1)) with sum p = 1; as p_max <= 1,
 * tau lies in [-1, 0). Every sum is in double in the contract's order
 * (lane i mod 32 takes the row's terms in increasing i, the fixed fold),
 * over sets {t > threshold} found by vector passes, so the bits depend only
 * on the values, never on the vector width.
 */
#ifndef SM_ENTMAX_THRESHOLD_H
#define SM_ENTMAX_THRESHOLD_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "common/sparsemax.h"

/* A set {t >= g}: its size, sum t and sum t^2 (each t^2 = sq + err, the
 * float product and its exact error, summed apart: sum t^2 to double
 * precision). */
struct entmax_set {
    size_t count;
    double sum, squares;
};

SM_INLINE void set_terms(sm_acc *a1, sm_acc *a2, sm_acc *a3, int v, sm_v t,
                         sm_m in, size_t *count)
{
    const sm_v zero = v_set1(0.0f);
    const sm_v tin = v_sel(in, t, zero);
    const sm_v sq = v_mul(tin, tin);
    acc_add(a1, v, tin);
    acc_add(a2, v, sq);
    acc_add(a3, v, v_fma(tin, tin, v_sub(zero, sq)));
    *count += m_count(in);
}

/* The vector of t at i (lanes of it; the rest -inf): read from src, or
 * with from_x computed from the x in src as t = (alpha - 1) u (write_t's
 * t) and stored to y. */
SM_INLINE sm_v t_lanes(const float *src, size_t i, size_t lanes, bool from_x,
                       float m, sm_v vb, sm_v va, float *y)
{
    if (!from_x)
        return load_lanes(src + i, lanes, -INFINITY);
    const sm_v tv =
        v_mul(t_of(load_lanes(src + i, lanes, m), v_set1(m), vb), va);
    store_lanes(y + i, lanes, tv);
    return tv;
}

/* The sums of the set {t >= g} over a row of t, or with from_x of the t of
 * a row of x (m its extremum, am1 = alpha - 1), stored to y on the way. */
SM_INLINE struct entmax_set set_pass(const float *src, size_t n, float g,
                                     bool from_x, float m, float beta,
                                     float am1, float *y)
{
    const sm_v vg = v_set1(g);
    const sm_v vb = v_set1(beta), va = v_set1(am1);
    sm_acc a1, a2, a3;
    acc_zero(&a1);
    acc_zero(&a2);
    acc_zero(&a3);
    size_t count = 0, i0 = 0;
    for (; i0 + 32 <= n; i0 += 32)
        for (int v = 0; v < SM_VPB; v++) {
            const sm_v tv = t_lanes(src, i0 + (size_t)v * SM_VW, SM_VW,
                                    from_x, m, vb, va, y);
            set_terms(&a1, &a2, &a3, v, tv, m_at_least(tv, vg), &count);
        }
    for (int v = 0; i0 + (size_t)v * SM_VW < n; v++) {
        const size_t i = i0 + (size_t)v * SM_VW, c = n - i;
        const size_t lanes = c < (size_t)SM_VW ? c : SM_VW;
        const sm_v tv = t_lanes(src, i, lanes, from_x, m, vb, va, y);
        set_terms(&a1, &a2, &a3, v, tv,
                  m_and(m_at_least(tv, vg), m_first(lanes)), &count);
    }
    const double sq = acc_fold(&a2), err = acc_fold(&a3);
    return (struct entmax_set){count, acc_fold(&a1), sq + err};
}

static struct entmax_set entmax_set_of(const float *t, size_t n, float g)
{
    return set_pass(t, n, g, false, 0.0f, 0.0f, 0.0f, NULL);
}

/* alpha = 1.5: the smaller root of sum_A (t - tau)^2 = 1 over the set A,
 * mean - sqrt((1 - sum_A (t - mean)^2) / k); NAN if there is none. */
static double root15(struct entmax_set a)
{
    const double k = (double)a.count, mean = a.sum / k;
    const double radicand = (1.0 - (a.squares - a.sum * mean)) / k;
    return radicand >= 0.0 ? mean - sqrt(radicand) : NAN;
}

/* sum_{t > tau} (t - tau)^2 from that set's sums (for bisection only). */
static double mass15(struct entmax_set a, double tau)
{
    return a.squares - 2.0 * tau * a.sum + (double)a.count * tau * tau;
}

/* The candidates of a set kept for scalar rounds (5 bytes each, on the
 * stack): a larger set is summed by passes over the row. */
#define SM_ENTMAX_KEEP 2048

/* The widest vector in floats (SVE at 2048 bits). */
#define SM_ENTMAX_MAX_VW 64

struct entmax_kept {
    size_t count;
    /* index mod 32, in index order; room for a vector's stores past the
     * last entry */
    uint8_t lane[SM_ENTMAX_KEEP + SM_ENTMAX_MAX_VW];
    float t[SM_ENTMAX_KEEP + SM_ENTMAX_MAX_VW];
};

/* The entries t >= g of the row into k, in index order; false if there
 * are more than SM_ENTMAX_KEEP. The vector test skips the vectors with
 * none, and where the mask's bits are at hand only the entries in the set
 * are visited. */
static bool keep_set(const float *t, size_t n, float g, struct entmax_kept *k)
{
    const sm_v vg = v_set1(g);
    size_t kept = 0;
    for (size_t i = 0; i < n; i += SM_VW) {
        const size_t lanes = n - i < (size_t)SM_VW ? n - i : (size_t)SM_VW;
        const sm_v tv = load_lanes(t + i, lanes, -INFINITY);
        const sm_m in = m_at_least(tv, vg);
        if (kept + m_count(in) > SM_ENTMAX_KEEP)
            return false;
#if defined(SM_HAVE_COMPRESS)
        kept += v_compress_lanes(tv, in, i, k->t + kept, k->lane + kept);
#elif defined(SM_VLA)
        if (m_count(in) == 0)
            continue;
        for (size_t j = 0; j < lanes; j++) {
            k->lane[kept] = (uint8_t)((i + j) & 31);
            k->t[kept] = t[i + j];
            kept += t[i + j] >= g;
        }
#else
        for (unsigned bits = m_bits(in); bits; bits &= bits - 1) {
            const size_t j = i + (size_t)__builtin_ctz(bits);
            k->lane[kept] = (uint8_t)(j & 31);
            k->t[kept++] = t[j];
        }
#endif
    }
    k->count = kept;
    return true;
}

/* entmax_set_of over the kept entries: the same lanes, the same order, so
 * the same sums. With narrow, the entries below g leave the buffer: the
 * caller's later sets are all above g. */
static struct entmax_set kept_set_of(struct entmax_kept *k, float g,
                                     bool narrow)
{
    double l1[32] = {0}, l2[32] = {0}, l3[32] = {0};
    size_t count = 0;
    for (size_t j = 0; j < k->count; j++) {
        const float t = k->t[j];
        if (!(t >= g))
            continue;
        const float sq = t * t;
        l1[k->lane[j]] += (double)t;
        l2[k->lane[j]] += (double)sq;
        l3[k->lane[j]] += (double)fmaf(t, t, -sq);
        if (narrow) {
            k->t[count] = t;
            k->lane[count] = k->lane[j];
        }
        count++;
    }
    if (narrow)
        k->count = count;
    const double sq = fold32(l2), err = fold32(l3);
    return (struct entmax_set){count, fold32(l1), sq + err};
}

static struct entmax_set set_above(const float *t, size_t n,
                                   struct entmax_kept *k, double tau)
{
    return k ? kept_set_of(k, above(tau), false)
             : entmax_set_of(t, n, above(tau));
}

/*
 * alpha = 1.5, exact up to rounding. F(tau) = sum (t - tau)_+^2 is convex
 * and falls strictly on [-1, 0] from F(-1) >= 1 to 0; the answer tau* has
 * F = 1 and support S* = {t > tau*}. Keep lo <= tau* <= hi:
 *  - A = {t > lo} contains S*; on tau >= lo, F <= h_A = sum_A (t - tau)^2
 *    (an entry of A below tau adds to h_A only), h_A(lo) = F(lo) >= 1 and
 *    lo < mean_A, so h_A's smaller root lies in [lo, mean_A] where F <= 1:
 *    it is an upper bound of tau*. Newton's step from lo on sqrt(F) - 1
 *    (F's value and slope at lo come from A's sums) is a lower bound:
 *    sqrt(F) = ||(t - tau)_+||_2 is convex in tau (a norm, monotone on the
 *    nonnegative orthant, of convex nonnegative functions).
 *  - B = {t > hi} lies in S*; on tau <= hi < min B, F >= h_B (F has the
 *    other entries too) and h_B(hi) = F(hi) <= 1, so h_B's smaller root,
 *    where F >= 1, is a lower bound of tau*.
 * When {t > lo} and {t > hi} hold as many entries, they are S* and
 * h_{S*}'s smaller root is tau* itself (tau* < min S* <= mean). A round
 * that moves neither bound bisects, so the bracket shrinks every round and
 * the sets, which change only at the t values, meet. Once A fits the
 * buffer, the rounds sum its kept entries instead of the row, and each
 * round's A narrows the buffer to itself. first: the first round's A,
 * {t >= above(-1)}, as entmax_set_of sums it.
 */
static double entmax15_threshold(const float *t, size_t n,
                                 struct entmax_set first)
{
    struct entmax_kept buf;
    struct entmax_kept *kept = NULL;
    double lo = -1.0, hi = 0.0;
    for (int round = 0; round < 200; round++) {
        /* lo only rises, so the kept entries below it go */
        const struct entmax_set a =
            round == 0 ? first
            : kept     ? kept_set_of(kept, above(lo), true)
                       : entmax_set_of(t, n, above(lo));
        const double up = root15(a);
        const bool hi_moved = up < hi && up >= lo;
        if (hi_moved)
            hi = up;
        /* {t > 0} is empty: max t = 0 */
        const struct entmax_set b =
            hi < 0.0 ? set_above(t, n, kept, hi) : (struct entmax_set){0};
        if (b.count == a.count)
            return root15(b);
        const double norm = sqrt(mass15(a, lo));
        const double newton =
            lo + norm * (norm - 1.0) / (a.sum - (double)a.count * lo);
        const double down = root15(b);
        double raised = newton > lo && newton <= hi ? newton : lo;
        if (down > raised && down <= hi)
            raised = down;
        const bool lo_moved = raised > lo;
        lo = raised;
        if (!hi_moved && !lo_moved) {
            const double mid = 0.5 * (lo + hi);
            if (mass15(set_above(t, n, kept, mid), mid) >= 1.0)
                lo = mid;
            else
                hi = mid;
        }
        /* The first round's bounds leave few candidates: they go to the
         * buffer if they fit, and later rounds sum them, not the row. */
        if (!kept && a.count <= SM_ENTMAX_KEEP && keep_set(t, n, above(lo), &buf))
            kept = &buf;
    }
    return root15(set_above(t, n, kept, hi));
}

/* The lanes' (t - tau)_+^r, as exp(log(d) * r) with d = max(t - tau, 0) in
 * float (0 gives exp(-inf) = +0). */
SM_INLINE sm_v entmax_power(sm_v t, sm_v vtau, sm_v vr)
{
    const sm_v d = v_max(v_sub(t, vtau), v_set1(0.0f));
    return v_exp(v_mul(v_log(d), vr));
}

/* sum (t - tau)_+^r over the row, in the contract's order; with out, the
 * terms are also stored there; with above, the count of t > tau. */
static double entmax_mass(const float *t, size_t n, float tau, float r,
                          float *out, size_t *above)
{
    const sm_v vtau = v_set1(tau), vr = v_set1(r);
    const sm_v vg = v_set1(nextafterf(tau, INFINITY));
    sm_acc acc;
    acc_zero(&acc);
    size_t count = 0, i0 = 0;
    for (; i0 + 32 <= n; i0 += 32)
        for (int v = 0; v < SM_VPB; v++) {
            const size_t i = i0 + (size_t)v * SM_VW;
            const sm_v tv = v_load(t + i);
            const sm_v p = entmax_power(tv, vtau, vr);
            acc_add(&acc, v, p);
            if (out)
                v_store(out + i, p);
            if (above)
                count += m_count(m_at_least(tv, vg));
        }
    for (int v = 0; i0 + (size_t)v * SM_VW < n; v++) {
        const size_t i = i0 + (size_t)v * SM_VW, c = n - i;
        const size_t lanes = c < (size_t)SM_VW ? c : SM_VW;
        const sm_v tv = load_lanes(t + i, lanes, -INFINITY);
        const sm_v p = entmax_power(tv, vtau, vr);
        acc_add(&acc, v, p);
        if (out)
            store_lanes(out + i, lanes, p);
        if (above)
            count += m_count(m_at_least(tv, vg));
    }
    if (above)
        *above = count;
    return acc_fold(&acc);
}

/* entmax_mass of the row from its kept entries, which hold every t > tau:
 * the others' terms are exp(log(+0) r) = +0, which leave the sums as they
 * are, and the kept lanes and order give the row's sums. */
static double kept_mass(const struct entmax_kept *k, float tau, float r)
{
    const sm_v vtau = v_set1(tau), vr = v_set1(r);
    double lane[32] = {0};
    float p[SM_ENTMAX_MAX_VW] __attribute__((aligned(64)));
    for (size_t j = 0; j < k->count; j += SM_VW) {
        const size_t lanes =
            k->count - j < (size_t)SM_VW ? k->count - j : (size_t)SM_VW;
        store_lanes(p, lanes,
                    entmax_power(load_lanes(k->t + j, lanes, -INFINITY),
                                 vtau, vr));
        for (size_t q = 0; q < lanes; q++)
            lane[k->lane[j + q]] += (double)p[q];
    }
    return fold32(lane);
}

/* Drops the kept entries below g. */
static void narrow_kept(struct entmax_kept *k, float g)
{
    size_t kept = 0;
    for (size_t j = 0; j < k->count; j++) {
        k->t[kept] = k->t[j];
        k->lane[kept] = k->lane[j];
        kept += k->t[j] >= g;
    }
    k->count = kept;
}

/*
 * General alpha: tau is the largest float lo in [-1, 0] with F(lo) >= 1,
 * F evaluated as the output computes it, found by bracketing [lo, hi] with
 * F(lo) >= 1 > F(hi) (F(-1) >= 1 from the maximum, F(0) = 0) until lo and
 * hi are adjacent floats. Each step tries the Illinois variant of regula
 * falsi (superlinear on the smooth F) and falls back to the midpoint when
 * the bracket did not halve over the last two steps.
 */
static float entmax_float_threshold(const float *t, size_t n, float r)
{
    float lo = -1.0f, hi = 0.0f;
    size_t count;
    double f_lo = entmax_mass(t, n, lo, r, NULL, &count) - 1.0, f_hi = -1.0;
    /* Once the entries above lo fit the buffer, F sums them alone. */
    struct entmax_kept buf;
    bool kept = count <= SM_ENTMAX_KEEP &&
                keep_set(t, n, nextafterf(lo, INFINITY), &buf);
    int side = 0;
    double width_before = 2.0; /* the bracket's width two steps back */
    double width_last = 1.0;
    for (int step = 0; step < 300; step++) {
        if (nextafterf(lo, hi) >= hi)
            break;
        const double width = (double)hi - (double)lo;
        float mid = (float)((double)lo + width * (f_lo / (f_lo - f_hi)));
        if (width > 0.5 * width_before || !(mid > lo && mid < hi))
            mid = (float)(0.5 * ((double)lo + (double)hi));
        if (!(mid > lo && mid < hi))
            break;
        width_before = width_last;
        width_last = width;
        const double f = (kept ? kept_mass(&buf, mid, r)
                               : entmax_mass(t, n, mid, r, NULL, &count)) -
                         1.0;
        if (f >= 0.0) {
            lo = mid;
            f_lo = f;
            if (side == 1)
                f_hi *= 0.5;
            side = 1;
            const float g = nextafterf(lo, INFINITY);
            if (kept)
                narrow_kept(&buf, g);
            else if (count <= SM_ENTMAX_KEEP)
                kept = keep_set(t, n, g, &buf);
        } else {
            hi = mid;
            f_hi = f;
            if (side == -1)
                f_lo *= 0.5;
            side = -1;
        }
    }
    return lo;
}

#endif
