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
#include "common/attention_dots.h"
#include "common/inline.h"
#include "kernels.h"

/* The entry points of both exp modes, for the table (common/table.h). */
void SM_ENTRY_OF(exact, attention_decode)(const struct sm_attention_args *a);
void SM_ENTRY_OF(fast, attention_decode)(const struct sm_attention_args *a);

/* The query heads of one pass over the keys and values, and the output
 * columns of one pass over a piece: bounded scratch on the stack (about
 * 36 KiB) for any number of heads and any d. More heads or a wider d only
 * repeat the passes, with the same bits. */
#define SM_ATT_HEADS 32
#define SM_ATT_TILE 256
/* Vector registers of the ISA (vec.h may say fewer). */
#ifndef SM_VREGS
#define SM_VREGS 32
#endif
/* Prefetches (no result depends on them): the keys SM_ATT_KEYS_AHEAD
 * ahead while computing dot products (common/attention_dots.h); the values
 * one block ahead while summing them. */
#define SM_ATT_VALUE_LOCALITY 1

_Static_assert(SM_ATT_TILE % 32 == 0, "tiles hold whole vectors");
_Static_assert(SM_ATTENTION_BLOCK % 32 == 0, "blocks hold whole vectors");

/* exp of t <= 0 (or NaN): this build's exp. */
SM_INLINE sm_v att_exp(sm_v t)
{
    return exp_nonpos(t);
}

static float att_exp1(float t)
{
    float lane[32];
    v_store(lane, att_exp(v_set1(t)));
    return lane[0];
}


/* The query heads of one pass, h0 .. h0 + g - 1 (any grouping: head h
 * reads kv head h / (heads / kv_heads)); each with its query and the
 * offsets of its kv head's keys and values. */
struct att_batch {
    size_t h0, g;
    const float *q[SM_ATT_HEADS];
    size_t koff[SM_ATT_HEADS], voff[SM_ATT_HEADS];
};

/* A block's scores, key by key: x[i][h] for key b0 + i and head h of the
 * pass (a row of SM_ATT_HEADS per key, so that the block step works on
 * heads side by side). */
typedef float att_scores_t[SM_ATTENTION_BLOCK][SM_ATT_HEADS];

/* x[i][h] = q_h . k_i for the keys [b0, b0 + b): four keys by four heads
 * sharing them at a time where the ISA folds four vectors at once and the
 * heads come in fours per kv head; otherwise key by key, four heads
 * at a time (the last group repeats its last head), so that a KV cache
 * [n][kv_heads][d] is read in memory order. */
static void att_dots(const struct sm_attention_args *a,
                     const struct att_batch *bt, size_t b0, size_t b,
                     att_scores_t x)
{
    const size_t g = bt->g;
    size_t i = 0;
#if defined(SM_HAVE_DOT16)
    /* four keys at a time for heads in fours that share a kv head */
    const bool quads = (a->heads / a->kv_heads) % 4 == 0 && g % 4 == 0;
    for (; quads && i + 4 <= b; i += 4) {
        const size_t key = b0 + i;
        const size_t ahead = key + 4 + SM_ATT_KEYS_AHEAD <= a->n
                                 ? SM_ATT_KEYS_AHEAD * a->ldk_token
                                 : 0;
        for (size_t h = 0; h < g; h += 4) {
            const float *qr[4], *kr[4];
            for (size_t r = 0; r < 4; r++) {
                qr[r] = bt->q[h + r];
                kr[r] = a->k + (key + r) * a->ldk_token + bt->koff[h];
            }
            float dot[4][4];
            att_dot16(qr, kr, a->d, ahead, dot);
            for (size_t r = 0; r < 4; r++)
                memcpy(x[i + r] + h, dot[r], sizeof dot[r]);
        }
    }
#endif
    for (; i < b; i++) {
        const size_t key = b0 + i;
        const float *krow = a->k + key * a->ldk_token;
        for (size_t h = 0; h < g; h += 4) {
            const float *qr[4], *kr[4];
            for (size_t r = 0; r < 4; r++) {
                const size_t hr = h + r < g ? h + r : g - 1;
                qr[r] = bt->q[hr];
                kr[r] = krow + bt->koff[hr];
            }
            float dot[4];
            att_dot4(qr, kr, a->d, dot);
            for (size_t r = 0; r < 4 && h + r < g; r++)
                x[i][h + r] = dot[r];
        }
    }
}

/* A pass's state over one piece: m, l, nan and the accumulator of the
 * output columns [j0, j0 + w) (row h at acc + h SM_ATT_TILE); per block,
 * whether the head takes it and whether one of its e_i is 0. */
struct att_piece {
    float m[SM_ATT_HEADS], l[SM_ATT_HEADS];
    bool nan[SM_ATT_HEADS];
    bool take[SM_ATT_HEADS], zero[SM_ATT_HEADS];
    float acc[SM_ATT_HEADS * SM_ATT_TILE];
};

SM_INLINE void att_scale_row(float *row, size_t w, float f)
{
    const sm_v vf = v_set1(f);
    for (size_t j = 0; j < w; j += (size_t)SM_VW)
        v_store(row + j, v_mul(v_load(row + j), vf));
}

/* The block step of every head, heads side by side in vectors (each head
 * its own lane, so each keeps the order of the contract): x = dot s +
 * mask; the block's maximum, the rescale, e_i into x and l += e_i in
 * increasing i. A head takes the block unless it is NaN or every score
 * of the block is -inf; a head that does not take it is left as it was.
 * Lanes of heads past g hold -inf scores and are never taken. */
static void att_block_step(const struct sm_attention_args *a,
                           struct att_piece *p, size_t g, size_t b0,
                           size_t b, size_t wv, att_scores_t x)
{
    const size_t vw = (size_t)SM_VW;
    const sm_v vs = v_set1(a->scale), one = v_set1(1.0f),
               zero = v_set1(0.0f), ninf = v_set1(-INFINITY);
    float bm[SM_ATT_HEADS], nans[SM_ATT_HEADS];
    for (size_t h = 0; h < g; h += vw) {
        sm_v top = ninf, count = zero;
        for (size_t i = 0; i < b; i++) {
            sm_v xv = v_mul(v_load(x[i] + h), vs);
            if (a->mask)
                xv = v_add(xv, v_set1(a->mask[b0 + i]));
            v_store(x[i] + h, xv);
            count = v_add(count, v_sel(m_eq(xv, xv), zero, one));
            top = v_max(xv, top); /* NaN lanes keep top */
        }
        v_store(bm + h, top);
        v_store(nans + h, count);
    }
    float take[SM_ATT_HEADS];
    for (size_t h = 0; h < g; h++) {
        if (nans[h] != 0.0f)
            p->nan[h] = true;
        p->take[h] = !p->nan[h] && bm[h] != -INFINITY;
        take[h] = p->take[h] ? 1.0f : 0.0f;
        if (p->take[h] && bm[h] > p->m[h]) {
            const float alpha = att_exp1(p->m[h] - bm[h]);
            p->l[h] *= alpha;
            att_scale_row(p->acc + h * SM_ATT_TILE, wv, alpha);
            p->m[h] = bm[h];
        }
    }
    for (size_t h = g; h < SM_ATT_HEADS; h++)
        take[h] = 0.0f;
    float zeros[SM_ATT_HEADS];
    for (size_t h = 0; h < g; h += vw) {
        const sm_v vm = v_load(p->m + h);
        const sm_m taken = m_eq(v_load(take + h), one);
        sm_v l = v_load(p->l + h), count = zero;
        for (size_t i = 0; i < b; i++) {
            const sm_v xv = v_load(x[i] + h);
            const sm_v t = v_sel(m_eq(xv, vm), zero, v_sub(xv, vm));
            const sm_v e = v_sel(taken, att_exp(t), zero);
            count = v_add(count, v_sel(m_eq(e, zero), one, zero));
            l = v_add(l, e);
            v_store(x[i] + h, e);
        }
        v_store(p->l + h, l);
        v_store(zeros + h, count);
    }
    for (size_t h = 0; h < g; h++)
        p->zero[h] = zeros[h] != 0.0f;
}

/* acc_j = fma(e_i, v_ij, acc_j) over the block's keys in increasing i
 * for head h's columns [j, w) of the tile at j0 (acc: the head's row):
 * four vectors of columns at a time kept in registers (four independent
 * chains); a key with e_i = 0 is skipped. */
static void att_weighted_sum(const struct sm_attention_args *a,
                             const struct att_batch *bt, size_t h,
                             att_scores_t x, size_t b0, size_t b, size_t j0,
                             size_t j, size_t w, float *acc)
{
    const size_t vw = (size_t)SM_VW, ld = a->ldv_token;
    const float *v0 = a->v + b0 * ld + bt->voff[h] + j0;
    for (; j + 4 * vw <= w; j += 4 * vw) {
        sm_v o0 = v_load(acc + j), o1 = v_load(acc + j + vw);
        sm_v o2 = v_load(acc + j + 2 * vw), o3 = v_load(acc + j + 3 * vw);
        const float *vi = v0 + j;
        for (size_t i = 0; i < b; i++, vi += ld) {
            if (x[i][h] == 0.0f)
                continue;
            const sm_v ve = v_set1(x[i][h]);
            o0 = v_fma(ve, v_load(vi), o0);
            o1 = v_fma(ve, v_load(vi + vw), o1);
            o2 = v_fma(ve, v_load(vi + 2 * vw), o2);
            o3 = v_fma(ve, v_load(vi + 3 * vw), o3);
        }
        v_store(acc + j, o0);
        v_store(acc + j + vw, o1);
        v_store(acc + j + 2 * vw, o2);
        v_store(acc + j + 3 * vw, o3);
    }
    for (; j < w; j += vw) {
        const size_t c = w - j < vw ? w - j : vw;
        sm_v o = v_load(acc + j);
        const float *vi = v0 + j;
        for (size_t i = 0; i < b; i++, vi += ld)
            if (x[i][h] != 0.0f)
                o = v_fma(v_set1(x[i][h]), att_load(vi, c), o);
        v_store(acc + j, o);
    }
}

/* The same for four heads h .. h + 3 of one kv head, none of which has
 * an e_i of 0 in the block: each value vector loaded once for the four,
 * SM_ATT_SUM_VECTORS vectors of columns at a time (four times as many
 * independent chains, kept in registers); the columns left over go head
 * by head. Each head's chains are att_weighted_sum's, so are its bits. */
#if SM_VREGS >= 32
#define SM_ATT_SUM_VECTORS 4
#else
#define SM_ATT_SUM_VECTORS 2
#endif
static void att_weighted_sum4(const struct sm_attention_args *a,
                              const struct att_batch *bt, size_t h,
                              att_scores_t x, size_t b0, size_t b, size_t j0,
                              size_t w, float *acc)
{
    const size_t vw = (size_t)SM_VW, ld = a->ldv_token;
    const size_t span = SM_ATT_SUM_VECTORS * vw;
    const bool four = SM_ATT_SUM_VECTORS == 4;
    const float *v0 = a->v + b0 * ld + bt->voff[h] + j0;
    const size_t next = b0 + 2 * SM_ATTENTION_BLOCK <= a->n
                            ? SM_ATTENTION_BLOCK * ld : 0;
    size_t j = 0;
    for (; j + span <= w; j += span) {
#define SM_ATT_LOAD(r)                                                       \
    float *c##r = acc + r * SM_ATT_TILE + j;                                 \
    sm_v p##r = v_load(c##r), q##r = v_load(c##r + vw);                      \
    sm_v s##r = four ? v_load(c##r + 2 * vw) : p##r;                         \
    sm_v t##r = four ? v_load(c##r + 3 * vw) : p##r
        SM_ATT_LOAD(0);
        SM_ATT_LOAD(1);
        SM_ATT_LOAD(2);
        SM_ATT_LOAD(3);
#undef SM_ATT_LOAD
        const float *vi = v0 + j;
        for (size_t i = 0; i < b; i++, vi += ld) {
            if (next) /* this key's columns in the next block */
                for (size_t e = 0; e < span; e += 16)
                    __builtin_prefetch(vi + next + e, 0, SM_ATT_VALUE_LOCALITY);
            const sm_v va = v_load(vi), vb = v_load(vi + vw);
            const sm_v vc = four ? v_load(vi + 2 * vw) : va;
            const sm_v vd = four ? v_load(vi + 3 * vw) : va;
#define SM_ATT_STEP(r)                                                       \
    {                                                                        \
        const sm_v ve = v_set1(x[i][h + r]);                                 \
        p##r = v_fma(ve, va, p##r);                                          \
        q##r = v_fma(ve, vb, q##r);                                          \
        if (four) {                                                          \
            s##r = v_fma(ve, vc, s##r);                                      \
            t##r = v_fma(ve, vd, t##r);                                      \
        }                                                                    \
    }
            SM_ATT_STEP(0)
            SM_ATT_STEP(1)
            SM_ATT_STEP(2)
            SM_ATT_STEP(3)
#undef SM_ATT_STEP
        }
#define SM_ATT_STORE(r)                                                      \
    v_store(c##r, p##r);                                                     \
    v_store(c##r + vw, q##r);                                                \
    if (four) {                                                              \
        v_store(c##r + 2 * vw, s##r);                                        \
        v_store(c##r + 3 * vw, t##r);                                        \
    }
        SM_ATT_STORE(0)
        SM_ATT_STORE(1)
        SM_ATT_STORE(2)
        SM_ATT_STORE(3)
#undef SM_ATT_STORE
    }
    if (j < w)
        for (size_t r = 0; r < 4; r++)
            att_weighted_sum(a, bt, h + r, x, b0, b, j0, j, w,
                             acc + r * SM_ATT_TILE);
}

static SM_NOCLONE void att_piece_state(const struct sm_attention_args *a,
                                       const struct att_batch *bt,
                                       size_t i0, size_t i1, size_t j0,
                                       size_t w, struct att_piece *p)
{
    att_scores_t x;
    const size_t g = bt->g;
    const size_t wv = (w + 31) / 32 * 32; /* whole vectors of every ISA */
    for (size_t h = 0; h < SM_ATT_HEADS; h++) {
        p->m[h] = -INFINITY;
        p->l[h] = 0.0f;
        p->nan[h] = false;
    }
    for (size_t h = 0; h < g; h++)
        memset(p->acc + h * SM_ATT_TILE, 0, wv * sizeof(float));
    for (size_t i = 0; i < SM_ATTENTION_BLOCK; i++) /* lanes past g */
        for (size_t h = g; h < SM_ATT_HEADS; h++)
            x[i][h] = -INFINITY;
    for (size_t b0 = i0; b0 < i1; b0 += SM_ATTENTION_BLOCK) {
        const size_t b = i1 - b0 < SM_ATTENTION_BLOCK ? i1 - b0
                                                      : SM_ATTENTION_BLOCK;
        att_dots(a, bt, b0, b, x);
        att_block_step(a, p, g, b0, b, wv, x);
        for (size_t h = 0; h < g;) {
            if (h + 4 <= g && bt->voff[h] == bt->voff[h + 3] &&
                p->take[h] && p->take[h + 1] && p->take[h + 2] &&
                p->take[h + 3] && !p->zero[h] && !p->zero[h + 1] &&
                !p->zero[h + 2] && !p->zero[h + 3]) {
                att_weighted_sum4(a, bt, h, x, b0, b, j0, w,
                                  p->acc + h * SM_ATT_TILE);
                h += 4;
                continue;
            }
            if (p->take[h])
                att_weighted_sum(a, bt, h, x, b0, b, j0, 0, w,
                                 p->acc + h * SM_ATT_TILE);
            h++;
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
 * the new m and l come from att_merge_ml, once per piece. */
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
    struct att_batch bt;
    for (bt.h0 = 0; bt.h0 < a->heads; bt.h0 += SM_ATT_HEADS) {
        bt.g = a->heads - bt.h0 < SM_ATT_HEADS ? a->heads - bt.h0
                                               : SM_ATT_HEADS;
        struct att_total t;
        for (size_t h = 0; h < bt.g; h++) {
            const size_t kv = (bt.h0 + h) / group;
            bt.q[h] = a->q + (bt.h0 + h) * a->ldq;
            bt.koff[h] = kv * a->ldk_head;
            bt.voff[h] = kv * a->ldv_head;
            t.m[h] = -INFINITY;
            t.l[h] = 0.0f;
            t.nan[h] = false;
        }
        float *o = a->o + bt.h0 * a->ldo;
        for (size_t i0 = 0; i0 < a->n; i0 += SM_ATTENTION_PIECE) {
            const size_t i1 = a->n - i0 < SM_ATTENTION_PIECE
                                  ? a->n : i0 + SM_ATTENTION_PIECE;
            for (size_t j0 = 0; j0 < a->d; j0 += SM_ATT_TILE) {
                const size_t w = a->d - j0 < SM_ATT_TILE ? a->d - j0
                                                         : SM_ATT_TILE;
                att_piece_state(a, &bt, i0, i1, j0, w, &p);
                att_merge_columns(&t, &p, bt.g, o + j0, a->ldo, w);
            }
            att_merge_ml(&t, &p, bt.g);
        }
        att_finish(&t, bt.g, a->d, o, a->ldo, a->lse ? a->lse + bt.h0 : NULL);
    }
}

#endif
