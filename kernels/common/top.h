/*
 * The n most probable entries of a row, by selection (never a sort of the
 * row): their indices, most probable first, and their log-probabilities,
 * the bits log-softmax writes for them.
 *
 * Order: softmax_beta's, so the largest logits for beta > 0 and the
 * smallest for beta < 0; every entry ties for beta = 0. A NaN ranks above
 * every number (as in argmax), and ties go to the lower index.
 */
#ifndef SM_TOP_H
#define SM_TOP_H

#include "common/row_stats.h"

/* An entry's rank as one unsigned key, larger = more probable: the float
 * order (side 1) or its reverse (side -1), -0 as +0, every NaN above them
 * all; with side 0 (beta = 0) only NaN ranks above the rest. */
static inline uint32_t rank_key(float x, int side)
{
    if (x != x)
        return UINT32_MAX;
    if (side == 0)
        return 0;
    uint32_t u;
    const float v = x == 0.0f ? 0.0f : x;
    memcpy(&u, &v, sizeof u);
    u = u >> 31 ? ~u : u | 0x80000000u; /* monotone in the float's value */
    return side > 0 ? u : ~u;           /* neither reaches UINT32_MAX */
}

struct ranked {
    uint32_t key;
    int32_t index;
};

/* a ranks below b: a smaller key, or the same key at a later index. */
static inline bool ranks_below(struct ranked a, struct ranked b)
{
    return a.key < b.key || (a.key == b.key && a.index > b.index);
}

/* h[0..n) a heap whose root h[0] ranks lowest: h[i] sinks into place. */
static void sift_down(struct ranked h[], size_t n, size_t i)
{
    for (;;) {
        size_t low = i;
        const size_t l = 2 * i + 1, r = l + 1;
        if (l < n && ranks_below(h[l], h[low]))
            low = l;
        if (r < n && ranks_below(h[r], h[low]))
            low = r;
        if (low == i)
            return;
        const struct ranked t = h[i];
        h[i] = h[low];
        h[low] = t;
        i = low;
    }
}

/* The kept entries: a heap of the n best seen so far, its root the one a
 * new entry must beat. */
struct top_heap {
    struct ranked *h;
    size_t n, count;
};

static void top_offer(struct top_heap *t, uint32_t key, size_t i)
{
    const struct ranked e = {key, (int32_t)i};
    if (t->count < t->n) {
        /* filling: sift the new entry up */
        size_t c = t->count++;
        t->h[c] = e;
        while (c > 0 && ranks_below(t->h[c], t->h[(c - 1) / 2])) {
            const struct ranked p = t->h[(c - 1) / 2];
            t->h[(c - 1) / 2] = t->h[c];
            t->h[c] = p;
            c = (c - 1) / 2;
        }
    } else if (key > t->h[0].key) { /* equal keys: a later index loses */
        t->h[0] = e;
        sift_down(t->h, t->n, 0);
    }
}

/* Offers every entry of x[lo, hi) that may enter: with a full heap, a NaN
 * or (side != 0) a number beyond the root's. */
static void top_offer_span(struct top_heap *t, const float *x, size_t lo,
                           size_t hi, int side)
{
    for (size_t i = lo; i < hi; i++) {
        if (t->count == t->n) {
            const float root = x[t->h[0].index], v = x[i];
            if (v == v && (side == 0 || (side > 0 ? !(v > root) : !(v < root))))
                continue;
        }
        top_offer(t, rank_key(x[i], side), i);
    }
}

/* Groups of SM_TOP_GROUP entries go to the heap only when one of them may
 * enter it: a NaN, or (side != 0) an entry beyond the root's value, found
 * with vector compares. On most rows that is a few groups near the start. */
#define SM_TOP_GROUP 64

/* Whether x[0, len) (len a multiple of SM_VW) holds a NaN or an entry
 * beyond vt on its side. */
SM_INLINE bool may_enter(const float *x, size_t len, sm_v vt, bool use_max)
{
    sm_v a = vt, nan = v_set1(0.0f);
    for (size_t i = 0; i < len; i += SM_VW) {
        const sm_v xv = v_load(x + i);
        a = v_ext(xv, a, use_max);
        nan = v_sel(m_eq(xv, xv), nan, v_set1(1.0f));
    }
    /* a == vt in every lane: nothing beyond it (v_max/v_min skip NaN) */
    return m_count(m_eq(a, vt)) < (size_t)SM_VW || v_hmax(nan) > 0.0f;
}

/* The threshold of the vector filter: the root's value; on side 0 only a
 * NaN can enter, and nothing lies beyond +-inf. */
static inline float filter_value(const struct top_heap *t, const float *x,
                                 int side)
{
    return side == 0 ? INFINITY : x[t->h[0].index];
}

/* The n (1 <= n <= cols) best entries of a row into h, best first. */
SM_INLINE void top_select(const float *x, size_t cols, size_t n, int side,
                          struct ranked h[])
{
    struct top_heap t = {h, n, 0};
    const size_t start = n < cols ? n : cols;
    top_offer_span(&t, x, 0, start, side);
    size_t i = start;
    const bool use_max = side >= 0;
    /* SM_VW divides 32, so whole vectors tile a group. */
    while (i + SM_TOP_GROUP <= cols && t.h[0].key != UINT32_MAX) {
        /* a group that may hold an entry: its vectors that may */
        if (may_enter(x + i, SM_TOP_GROUP,
                      v_set1(filter_value(&t, x, side)), use_max))
            for (size_t v = i; v < i + SM_TOP_GROUP; v += SM_VW)
                if (may_enter(x + v, SM_VW,
                              v_set1(filter_value(&t, x, side)), use_max))
                    top_offer_span(&t, x, v, v + SM_VW, side);
        i += SM_TOP_GROUP;
    }
    if (t.h[0].key != UINT32_MAX) /* n NaNs kept: nothing later enters */
        top_offer_span(&t, x, i, cols, side);
    /* Heap sort: the root, the lowest kept, goes to the end each time. */
    for (size_t k = n; k > 1; k--) {
        const struct ranked low = h[0];
        h[0] = h[k - 1];
        h[k - 1] = low;
        sift_down(h, k - 1, 0);
    }
}

/* The log-probabilities of the chosen entries, as log_softmax_row writes
 * them: t - (float)L with t = beta (x - M), +0 at M. */
static void top_log_probs(const float *x, size_t cols, float beta,
                          const struct ranked h[], size_t n, float *logp)
{
    if (beta == 0.0f) {
        const float v = row_has_nan(x, cols)
                        ? NAN : 0.0f - (float)log_partition((double)cols, 0.0);
        for (size_t j = 0; j < n; j++)
            logp[j] = v;
        return;
    }
    const struct row_stats st = row_stats(x, cols, beta, NULL);
    const enum row_class c = row_class(st, beta);
    const float l = c == ROW_ORDINARY ? (float)log_partition(st.k, st.s) : 0.0f;
    for (size_t j = 0; j < n; j++) {
        const float xi = x[h[j].index];
        const float t = xi == st.m ? 0.0f : (xi - st.m) * beta;
        logp[j] = c == ROW_ORDINARY ? t - l : row_limit(c, -INFINITY);
    }
}

/* index (rows x n, stride ldi) and, if logp, log-probabilities (stride
 * ldl) of each row's n best entries; 1 <= n <= min(cols, SM_TOP_MAX). */
static void top_rows(size_t rows, size_t cols, size_t n, float beta,
                     const float *x, size_t ldx, int32_t *index, size_t ldi,
                     float *logp, size_t ldl)
{
    struct ranked h[SM_TOP_MAX];
    const int side = beta > 0.0f ? 1 : beta < 0.0f ? -1 : 0;
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        top_select(xr, cols, n, side, h);
        for (size_t j = 0; j < n; j++)
            index[r * ldi + j] = h[j].index;
        if (logp)
            top_log_probs(xr, cols, beta, h, n, logp + r * ldl);
    }
}

#endif
