/*
 * Fused attention decode, written once for every ISA: for each query head
 * h, o_h = sum_i softmax_i(x) v_i with x_i = (q_h . k_i) s + mask_i, in one
 * pass over K and V with the online recurrence (a running maximum m, the
 * rescaled sum l and the rescaled accumulator of o).
 *
 * The fixed order, the same on every ISA and vector length (include/
 * softmax.h states it for users):
 *  - q . k: SM_ATTENTION_LANES (16) chains of FMAs, lane l taking the j
 *    with j = l (mod 16) in increasing j from +0, entries at and past d
 *    taken as 0 up to the next multiple of 16; the lanes then folded
 *    pairwise, l += l+8, l += l+4, l += l+2, l += l+1. Vectors of 16, 8, 4
 *    or 1 lanes (and SVE's, at most 16 of them used) compute the same
 *    chains.
 *  - Keys in blocks of SM_ATTENTION_BLOCK: the block's maximum b (NaN
 *    aside); if b > m: alpha = exp(m - b), l *= alpha, o *= alpha, m = b.
 *    e_i = exp(x_i - m) (1 where x_i == m), l += e_i and o = fma(e_i, v_i,
 *    o) in increasing i, each column of o its own chain; a key whose e_i
 *    is 0 adds nothing (its v_i is not read).
 *  - Pieces of SM_ATTENTION_PIECE keys start from the empty state and are
 *    merged in order: the first piece with a key taken is copied; then
 *    M = max, a = exp(m - M), b = exp(m_p - M) (1 where equal),
 *    o = o a + o_p b, l = l a + l_p b.
 *  - o = o * (1 / l) in f32, lse = m + log(l) in double, rounded once.
 * The exps are this build's (SLEEF's or the fast one); each head's
 * accumulator lives in the caller's o between pieces.
 */
#ifndef SM_ATTENTION_H
#define SM_ATTENTION_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "common/fast_exp.h"
#include "common/exp_mode.h"
#include "common/inline.h"
#include "kernels.h"

/* The query heads of one pass over a kv head's keys and values, and the
 * output columns of one pass over a piece: bounded scratch on the stack
 * for any number of heads and any d. More heads or a wider d only repeat
 * the passes, with the same bits. */
/* The entry points of both exp modes, for the table (common/table.h). */
void SM_ENTRY_OF(exact, attention_decode)(const struct sm_attention_args *a);
void SM_ENTRY_OF(fast, attention_decode)(const struct sm_attention_args *a);

#define SM_ATT_HEADS 16
#define SM_ATT_TILE 256

_Static_assert(SM_ATT_TILE % 32 == 0, "tiles hold whole vectors");
_Static_assert(SM_ATTENTION_BLOCK % 32 == 0, "blocks hold whole vectors");

/* exp of t <= 0 (or NaN): this build's exp. */
SM_INLINE sm_v att_exp(sm_v t)
{
    return SM_EXP_FAST ? v_exp_fast_nonpos(t) : v_exp(t);
}

static float att_exp1(float t)
{
    float lane[32];
    v_store(lane, att_exp(v_set1(t)));
    return lane[0];
}

/* Lanes of a vector that the dot products use: at most 16. */
static inline size_t att_lanes(void)
{
    return SM_VW < SM_ATTENTION_LANES ? (size_t)SM_VW : SM_ATTENTION_LANES;
}

/* c (<= att_lanes()) entries from p, the others 0. */
SM_INLINE sm_v att_load(const float *p, size_t c)
{
    return c == (size_t)SM_VW ? v_load(p) : v_load_part(p, c, 0.0f);
}

/* q . k in the 16-lane order above. */
SM_INLINE float att_dot(const float *q, const float *k, size_t d)
{
    const size_t lw = att_lanes();
    float part[SM_ATTENTION_LANES + 32];
    for (size_t v = 0; v < SM_ATTENTION_LANES; v += lw) {
        sm_v acc = v_set1(0.0f);
        size_t row = 0; /* 16 row + v: the first j of this lane group */
        for (; row + SM_ATTENTION_LANES <= d; row += SM_ATTENTION_LANES)
            acc = v_fma(att_load(q + row + v, lw), att_load(k + row + v, lw),
                        acc);
        if (row < d) { /* the last row of 16, zero past d */
            const size_t at = row + v;
            const size_t c = at >= d ? 0 : d - at < lw ? d - at : lw;
            acc = v_fma(att_load(q + at, c), att_load(k + at, c), acc);
        }
        if (lw == (size_t)SM_VW)
            v_store(part + v, acc);
        else
            v_store_part(part + v, lw, acc);
    }
    for (size_t h = SM_ATTENTION_LANES / 2; h >= 1; h /= 2)
        for (size_t l = 0; l < h; l++)
            part[l] += part[l + h];
    return part[0];
}

/* One pass's heads (g of them, the first at q) over one kv head (keys at
 * kh, values at vh, column j0 first) for keys [i0, i1) and the output
 * columns [j0, j0 + w): the piece's state m, l, nan and acc (row h at
 * acc + h SM_ATT_TILE). */
struct att_piece {
    float m[SM_ATT_HEADS], l[SM_ATT_HEADS];
    bool nan[SM_ATT_HEADS];
    float acc[SM_ATT_HEADS * SM_ATT_TILE];
};

SM_INLINE void att_scale_row(float *row, size_t w, float f)
{
    const sm_v vf = v_set1(f);
    for (size_t j = 0; j < w; j += (size_t)SM_VW)
        v_store(row + j, v_mul(v_load(row + j), vf));
}

static SM_NOCLONE void att_piece_state(const struct sm_attention_args *a,
                                       const float *q, size_t g,
                                       const float *kh, const float *vh,
                                       size_t i0, size_t i1, size_t w,
                                       struct att_piece *p)
{
    float x[SM_ATT_HEADS][SM_ATTENTION_BLOCK];
    bool take[SM_ATT_HEADS];
    const size_t d = a->d;
    const size_t wv = (w + 31) / 32 * 32; /* whole vectors of every ISA */
    for (size_t h = 0; h < g; h++) {
        p->m[h] = -INFINITY;
        p->l[h] = 0.0f;
        p->nan[h] = false;
        memset(p->acc + h * SM_ATT_TILE, 0, wv * sizeof(float));
    }
    for (size_t b0 = i0; b0 < i1; b0 += SM_ATTENTION_BLOCK) {
        const size_t b = i1 - b0 < SM_ATTENTION_BLOCK ? i1 - b0
                                                      : SM_ATTENTION_BLOCK;
        for (size_t i = 0; i < b; i++) {
            const float *ki = kh + (b0 + i) * a->ldk_token;
            for (size_t h = 0; h < g; h++) {
                float s = att_dot(q + h * a->ldq, ki, d) * a->scale;
                if (a->mask)
                    s += a->mask[b0 + i];
                x[h][i] = s;
            }
        }
        for (size_t h = 0; h < g; h++) {
            float *xh = x[h];
            take[h] = false;
            float bm = -INFINITY;
            for (size_t i = 0; i < b; i++) {
                if (xh[i] != xh[i])
                    p->nan[h] = true;
                else if (xh[i] > bm)
                    bm = xh[i];
            }
            if (p->nan[h] || bm == -INFINITY)
                continue; /* NaN output, or no key of the block taken */
            if (bm > p->m[h]) {
                const float alpha = att_exp1(p->m[h] - bm);
                p->l[h] *= alpha;
                att_scale_row(p->acc + h * SM_ATT_TILE, wv, alpha);
                p->m[h] = bm;
            }
            for (size_t i = b; i < SM_ATTENTION_BLOCK; i++)
                xh[i] = -INFINITY;
            const sm_v vm = v_set1(p->m[h]);
            for (size_t i = 0; i < SM_ATTENTION_BLOCK; i += (size_t)SM_VW) {
                const sm_v xv = v_load(xh + i);
                const sm_v t =
                    v_sel(m_eq(xv, vm), v_set1(0.0f), v_sub(xv, vm));
                v_store(xh + i, att_exp(t));
            }
            for (size_t i = 0; i < b; i++)
                p->l[h] += xh[i];
            take[h] = true;
        }
        /* o = fma(e_i, v_i, o), each column its own chain in increasing i. */
        for (size_t j = 0; j < w; j += (size_t)SM_VW) {
            const size_t c = w - j < (size_t)SM_VW ? w - j : (size_t)SM_VW;
            for (size_t h = 0; h < g; h++) {
                if (!take[h])
                    continue;
                float *acc = p->acc + h * SM_ATT_TILE + j;
                sm_v o = v_load(acc);
                const float *vi = vh + b0 * a->ldv_token + j;
                for (size_t i = 0; i < b; i++, vi += a->ldv_token) {
                    const float e = x[h][i];
                    if (e != 0.0f)
                        o = v_fma(v_set1(e), att_load(vi, c), o);
                }
                v_store(acc, o);
            }
        }
    }
}

/* The running state of a pass's heads over the pieces merged so far; o
 * itself (the caller's rows) holds the accumulator. */
struct att_total {
    float m[SM_ATT_HEADS], l[SM_ATT_HEADS];
    bool nan[SM_ATT_HEADS];
};

/* Merges columns [0, w) of the piece into out (row h at out + h ldo);
 * the new m and l come from merge_ml, once per piece. */
static void att_merge_columns(const struct att_total *t,
                              const struct att_piece *p, size_t g,
                              float *out, size_t ldo, size_t w)
{
    for (size_t h = 0; h < g; h++) {
        if (t->nan[h] || p->nan[h] || p->m[h] == -INFINITY)
            continue;
        float *oh = out + h * ldo;
        const float *ph = p->acc + h * SM_ATT_TILE;
        if (t->m[h] == -INFINITY) { /* the first piece with a key taken */
            memcpy(oh, ph, w * sizeof(float));
            continue;
        }
        const float mm = t->m[h] > p->m[h] ? t->m[h] : p->m[h];
        const float fa = t->m[h] == mm ? 1.0f : att_exp1(t->m[h] - mm);
        const float fb = p->m[h] == mm ? 1.0f : att_exp1(p->m[h] - mm);
        const sm_v va = v_set1(fa), vb = v_set1(fb);
        for (size_t j = 0; j < w; j += (size_t)SM_VW) {
            const size_t c = w - j < (size_t)SM_VW ? w - j : (size_t)SM_VW;
            const sm_v r = v_add(v_mul(att_load(oh + j, c), va),
                                 v_mul(v_load(ph + j), vb));
            if (c == (size_t)SM_VW)
                v_store(oh + j, r);
            else
                v_store_part(oh + j, c, r);
        }
    }
}

static void att_merge_ml(struct att_total *t, const struct att_piece *p,
                         size_t g)
{
    for (size_t h = 0; h < g; h++) {
        if (p->nan[h])
            t->nan[h] = true;
        if (t->nan[h] || p->m[h] == -INFINITY)
            continue;
        if (t->m[h] == -INFINITY) {
            t->m[h] = p->m[h];
            t->l[h] = p->l[h];
            continue;
        }
        const float mm = t->m[h] > p->m[h] ? t->m[h] : p->m[h];
        const float fa = t->m[h] == mm ? 1.0f : att_exp1(t->m[h] - mm);
        const float fb = p->m[h] == mm ? 1.0f : att_exp1(p->m[h] - mm);
        t->l[h] = t->l[h] * fa + p->l[h] * fb;
        t->m[h] = mm;
    }
}

/* o = acc / l; NaN heads all NaN; heads without a key taken 0, lse -inf. */
static void att_finish(const struct att_total *t, size_t g, size_t d,
                       float *o, size_t ldo, float *lse)
{
    const float qnan = __builtin_nanf("");
    for (size_t h = 0; h < g; h++) {
        float *oh = o + h * ldo;
        float f = 0.0f, lv = -INFINITY;
        if (t->nan[h]) {
            f = qnan;
            lv = qnan;
        } else if (t->m[h] != -INFINITY) {
            f = 1.0f / t->l[h];
            lv = (float)((double)t->m[h] + SM_LOGD((double)t->l[h]));
        }
        const bool fill = t->nan[h] || t->m[h] == -INFINITY;
        const sm_v vf = v_set1(f), vq = v_set1(qnan);
        for (size_t j = 0; j < d; j += (size_t)SM_VW) {
            const size_t c = d - j < (size_t)SM_VW ? d - j : (size_t)SM_VW;
            sm_v r = vf;
            if (!fill) { /* a NaN or inf in v: the library's NaN */
                r = v_mul(att_load(oh + j, c), vf);
                r = v_sel(m_eq(r, r), r, vq);
            }
            if (c == (size_t)SM_VW)
                v_store(oh + j, r);
            else
                v_store_part(oh + j, c, r);
        }
        if (lse)
            lse[h] = lv;
    }
}

static void attention_decode(const struct sm_attention_args *a)
{
    const size_t group = a->heads / a->kv_heads;
    struct att_piece p;
    for (size_t kv = 0; kv < a->kv_heads; kv++) {
        const float *kh = a->k + kv * a->ldk_head;
        const float *vh = a->v + kv * a->ldv_head;
        for (size_t h0 = kv * group; h0 < (kv + 1) * group;
             h0 += SM_ATT_HEADS) {
            const size_t end = (kv + 1) * group;
            const size_t g = end - h0 < SM_ATT_HEADS ? end - h0 : SM_ATT_HEADS;
            const float *q = a->q + h0 * a->ldq;
            float *o = a->o + h0 * a->ldo;
            struct att_total t;
            for (size_t h = 0; h < g; h++) {
                t.m[h] = -INFINITY;
                t.l[h] = 0.0f;
                t.nan[h] = false;
            }
            for (size_t i0 = 0; i0 < a->n; i0 += SM_ATTENTION_PIECE) {
                const size_t i1 = a->n - i0 < SM_ATTENTION_PIECE
                                      ? a->n : i0 + SM_ATTENTION_PIECE;
                for (size_t j0 = 0; j0 < a->d; j0 += SM_ATT_TILE) {
                    const size_t w = a->d - j0 < SM_ATT_TILE ? a->d - j0
                                                             : SM_ATT_TILE;
                    att_piece_state(a, q, g, kh, vh + j0, i0, i1, w, &p);
                    att_merge_columns(&t, &p, g, o + j0, a->ldo, w);
                }
                att_merge_ml(&t, &p, g);
            }
            att_finish(&t, g, a->d, o, a->ldo, a->lse ? a->lse + h0 : NULL);
        }
    }
}

#endif
