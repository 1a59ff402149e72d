/*
 * Drawing an entry of a row in proportion to a mass per entry, in about
 * one pass and the same way on every ISA: the row's spans are summed, then
 * only the chosen span's 32-entry blocks are walked. The mass of an entry
 * is either
 *   - sampling: e_i = exp(beta (x_i - M)) where e_i >= tau, else 0; or
 *   - a rejection's residual (speculative decoding): max(0, p_i - q_i),
 *     p_i = e_i r (softmax's bits, r = 1 / (K + S'')), q the draft's row.
 * Each block's mass is its entries summed in the contract's lane order
 * (acc_fold), the blocks' masses in row order; masses of longer stretches
 * sum each lane over their blocks and fold once, as the contract's S''.
 */
#ifndef SM_WALK_H
#define SM_WALK_H

#include <stdbool.h>

#include "common/row_stats.h"

#define SM_SAMPLE_BLOCK 32

/* Scalars, not vectors: SVE's sizeless vectors cannot be members. */
struct mass_src {
    const float *e; /* the masses, computed before (stored_src), or NULL */
    const float *x;
    const float *q; /* NULL: sampling; else the residual against q */
    float m, beta;
    float t;   /* tau (sampling), r (residual) */
    float pad; /* an entry without mass on beta's side, past the row */
    bool every; /* sampling with tau the least positive float: e_i itself */
};

static inline struct mass_src kept_src(const float *x, float m, float beta,
                                       float tau)
{
    return (struct mass_src){NULL, x, NULL, m, beta, tau,
                             beta > 0.0f ? -INFINITY : INFINITY,
                             tau <= 0x1p-149f};
}

static inline struct mass_src residual_src(const float *x, const float *q,
                                           float m, float beta, float r)
{
    return (struct mass_src){NULL, x, q, m, beta, r,
                             beta > 0.0f ? -INFINITY : INFINITY, false};
}

/* Masses stored in e, as store_masses wrote them. */
static inline struct mass_src stored_src(const float *e)
{
    return (struct mass_src){e, NULL, NULL, 0.0f, 0.0f, 0.0f, 0.0f, false};
}

/* The masses of entries [i, i + SM_VW) of the n at offset lo (0 past n). */
SM_INLINE sm_v block_values(const struct mass_src *s, size_t lo, size_t n,
                            size_t i)
{
    const size_t c = i >= n ? 0 : n - i < (size_t)SM_VW ? n - i
                                                       : (size_t)SM_VW;
    if (s->e) {
        const float *e = s->e + lo + i;
        return c == (size_t)SM_VW ? v_load(e) : v_load_part(e, c, 0.0f);
    }
    const float *x = s->x + lo + i;
    const sm_v xv = c == (size_t)SM_VW ? v_load(x) : v_load_part(x, c, s->pad);
    const sm_v ev = exp_nonpos(t_of(xv, v_set1(s->m), v_set1(s->beta)));
    const sm_v zero = v_set1(0.0f), vt = v_set1(s->t);
    if (s->every)
        return ev;
    if (!s->q) {
        /* ev < tau: max(ev, tau) is tau and ev is not tau */
        const sm_m below = m_eq(v_max(ev, vt), vt);
        return v_sel(below, v_sel(m_eq(ev, vt), ev, zero), ev);
    }
    const float *q = s->q + lo + i;
    const sm_v qv = c == (size_t)SM_VW ? v_load(q) : v_load_part(q, c, 0.0f);
    const sm_v d = v_sub(v_mul(ev, vt), qv);
    /* a NaN counts as 0 (v_max's NaN rule differs between ISAs) */
    return v_max(v_sel(m_eq(d, d), d, zero), zero);
}

/* The mass of the n <= 32 entries at offset lo, in the contract's lane
 * order; e receives each entry's mass. */
SM_INLINE double block_mass(const struct mass_src *s, size_t lo, size_t n,
                            float e[32])
{
    sm_acc acc;
    acc_zero(&acc);
    int v = 0;
    for (size_t i = 0; i < 32; i += (size_t)SM_VW, v++) {
        const sm_v m = block_values(s, lo, n, i);
        v_store(e + i, m);
        acc_add(&acc, v, m);
    }
    return acc_fold(&acc);
}

/* The mass of the n entries at offset lo: the contract's lane sums over
 * all their blocks, folded once. */
static double row_mass(const struct mass_src *s, size_t lo, size_t n)
{
    sm_acc acc;
    acc_zero(&acc);
    for (size_t b = 0; b < n; b += SM_SAMPLE_BLOCK) {
        int v = 0;
        for (size_t i = 0; i < 32; i += (size_t)SM_VW, v++)
            acc_add(&acc, v, block_values(s, lo + b, n - b, i));
    }
    return acc_fold(&acc);
}

/* The masses of the n entries of s into e (room for n rounded up to 32):
 * one pass of the exp, after which the sums and the walk only load. */
static void store_masses(const struct mass_src *s, size_t n, float *e)
{
    for (size_t b = 0; b < n; b += SM_SAMPLE_BLOCK)
        for (size_t i = 0; i < 32; i += (size_t)SM_VW)
            v_store(e + b + i, block_values(s, b, n - b, i));
}

/* The spans of a row of n: at most SM_WALK_SPANS of whole blocks. A
 * span's blocks may sum to a hair less than its mass; the walk then takes
 * the span's last entry with mass. */
#define SM_WALK_SPANS 1024

static inline size_t walk_span(size_t n)
{
    const size_t per = (n + SM_WALK_SPANS - 1) / SM_WALK_SPANS;
    const size_t blocks = (per + SM_SAMPLE_BLOCK - 1) / SM_SAMPLE_BLOCK;
    return (blocks < 32 ? 32 : blocks) * SM_SAMPLE_BLOCK;
}

/* The masses of the row's spans into span_mass; returns their sum. */
static double span_masses(const struct mass_src *s, size_t n,
                          double span_mass[])
{
    const size_t span = walk_span(n);
    double total = 0.0;
    for (size_t k = 0; k * span < n; k++) {
        const size_t len = n - k * span < span ? n - k * span : span;
        span_mass[k] = row_mass(s, k * span, len);
        total += span_mass[k];
    }
    return total;
}

struct walked {
    size_t index;
    float mass; /* the entry's */
};

/* The entry of the n at offset lo at which the running mass first exceeds
 * target; where rounding leaves none, the last entry with mass. */
static struct walked row_walk(const struct mass_src *s, size_t lo, size_t n,
                              double target)
{
    float e[32];
    double run = 0.0;
    struct walked last = {lo, 0.0f};
    for (size_t b = 0; b < n; b += SM_SAMPLE_BLOCK) {
        const size_t len = n - b < 32 ? n - b : 32;
        const double mass = block_mass(s, lo + b, len, e);
        if (mass > 0.0 && run + mass > target) {
            double in = run;
            for (size_t i = 0; i < len; i++) {
                if (e[i] == 0.0f)
                    continue;
                last = (struct walked){lo + b + i, e[i]};
                in += (double)e[i];
                if (in > target)
                    return last;
            }
        } else if (mass > 0.0) {
            for (size_t i = 0; i < len; i++)
                if (e[i] > 0.0f)
                    last = (struct walked){lo + b + i, e[i]};
        }
        run += mass;
    }
    return last;
}

/* Draws an entry of the whole row (cols entries) with u in [0, 1): finds
 * the span, then walks it. *total receives the row's mass (0: nothing to
 * draw, the entry is then meaningless). */
static struct walked row_draw(const struct mass_src *s, size_t cols,
                              double u, double *total)
{
    double span_mass[SM_WALK_SPANS];
    *total = span_masses(s, cols, span_mass);
    const double target = u * *total;
    const size_t span = walk_span(cols);
    double run = 0.0;
    size_t k = 0, last = 0;
    for (; k * span < cols; k++) {
        if (span_mass[k] > 0.0)
            last = k;
        if (span_mass[k] > 0.0 && run + span_mass[k] > target)
            break;
        run += span_mass[k];
    }
    if (k * span >= cols) { /* rounding: the last span with mass */
        k = last;
        run = 0.0;
        for (size_t j = 0; j < k; j++)
            run += span_mass[j];
    }
    const size_t len = cols - k * span < span ? cols - k * span : span;
    return row_walk(s, k * span, len, target - run);
}

#endif
