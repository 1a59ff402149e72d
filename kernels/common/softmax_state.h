/*
 * The online state (sm_softmax_state): a row's statistics built from
 * pieces. A piece is folded chunk by chunk (each chunk's statistics merged
 * into the state as the one-shot row_stats merges a long row's chunks),
 * states merge with merge_stats, and the outputs are the one-shot
 * passes (row_passes.h) from the state's statistics.
 */
#ifndef SM_SOFTMAX_STATE_H
#define SM_SOFTMAX_STATE_H

#include "common/row_passes.h"

static inline struct row_stats stats_of_state(const sm_softmax_state *st)
{
    const struct row_stats r = {st->max, st->count, st->sum};
    return r;
}

static inline void store_state(sm_softmax_state *st, struct row_stats r)
{
    st->max = r.m;
    st->count = r.k;
    st->sum = r.s;
}

/* An empty state (no count; a NaN sum is not empty). */
static inline bool state_is_empty(const sm_softmax_state *st)
{
    return st->count == 0.0 && st->sum == 0.0;
}

/* Folds the n entries at x into *st; with e, *st is empty and e_i =
 * exp(beta (x_i - m)) against the piece's extremum m (1 at m). */
static void fold_row(const float *x, size_t n, float *e, sm_softmax_state *st)
{
    const float beta = st->beta;
    struct row_stats row = stats_of_state(st);
    if (beta == 0.0f) { /* every entry alike: K counts them, M stays 0 */
        const bool nan = row_has_nan(x, n);
        const struct row_stats piece = {0.0f, (double)n, nan ? NAN : 0.0};
        if (e)
            fill(e, n, nan ? sm_qnan : 1.0f);
        merge_stats(&row, &piece, beta);
        store_state(st, row);
        return;
    }
    /* each chunk through row_stats, the one-shot's own out-of-line code */
    const bool stored = e && n <= SM_CHUNK;
    for (size_t at = 0; at < n; at += SM_CHUNK) {
        const size_t len = sm_chunk_len(n, at);
        const struct row_stats chunk =
            row_stats(x + at, len, beta, stored ? e : NULL);
        merge_stats(&row, &chunk, beta);
    }
    if (e && !stored)
        exp_scale(x, n, row.m, beta, 1.0f, e);
    if (row.s != row.s)
        row.s = (double)sm_qnan;
    store_state(st, row);
}

static void state_fold_rows(size_t rows, size_t cols, const float *x,
                            size_t ldx, float *e, size_t lde,
                            sm_softmax_state *state)
{
    for (size_t r = 0; r < rows; r++)
        fold_row(x + r * ldx, cols, e ? e + r * lde : NULL, &state[r]);
}

SM_INLINE void state_merge(size_t rows, const sm_softmax_state *from,
                        sm_softmax_state *into)
{
    for (size_t r = 0; r < rows; r++) {
        struct row_stats a = stats_of_state(&into[r]);
        const struct row_stats b = stats_of_state(&from[r]);
        merge_stats(&a, &b, into[r].beta);
        if (a.s != a.s)
            a.s = (double)sm_qnan;
        store_state(&into[r], a);
    }
}

static float state_logsumexp_of(const sm_softmax_state *st)
{
    if (state_is_empty(st))
        return -INFINITY;
    if (st->beta == 0.0f)
        return st->sum != st->sum ? sm_qnan
                                  : (float)log_partition(st->count, 0.0);
    const struct row_stats r = stats_of_state(st);
    return logsumexp_of(r, st->beta, log_partition(r.k, r.s));
}

SM_INLINE void state_logsumexp(size_t rows, const sm_softmax_state *state,
                            float *result)
{
    for (size_t r = 0; r < rows; r++)
        result[r] = state_logsumexp_of(&state[r]);
}

/* row_class of a state's row. With beta = 0 its M is not read (init and
 * fold keep it 0 there): only a NaN counts. */
static inline enum row_class state_class(const sm_softmax_state *st)
{
    struct row_stats r = stats_of_state(st);
    if (st->beta == 0.0f)
        r.m = 0.0f;
    return row_class(r, st->beta);
}

/* softmax_row's output from given statistics. */
static void state_softmax_row(const float *x, size_t n,
                              const sm_softmax_state *st, float *y)
{
    const float beta = st->beta;
    if (limit_row(y, n, state_class(st), 0.0f))
        return;
    if (beta == 0.0f)
        fill(y, n, (float)(1.0 / st->count));
    else
        exp_scale(x, n, st->max, beta, (float)(1.0 / (st->count + st->sum)),
                  y);
}

/* log_softmax_row's output from given statistics. */
static void state_log_softmax_row(const float *x, size_t n,
                                  const sm_softmax_state *st, float *y)
{
    const float beta = st->beta;
    const struct row_stats rs = stats_of_state(st);
    if (limit_row(y, n, state_class(st), -INFINITY))
        return;
    if (beta == 0.0f)
        fill(y, n, 0.0f - (float)log_partition(rs.k, 0.0));
    else
        log_softmax_from(x, n, beta, rs, log_partition(rs.k, rs.s), y);
}

static void state_rows(bool log, size_t rows, size_t cols, const float *x,
                       size_t ldx, const sm_softmax_state *state, float *y,
                       size_t ldy)
{
    for (size_t r = 0; r < rows; r++) {
        if (log)
            state_log_softmax_row(x + r * ldx, cols, &state[r], y + r * ldy);
        else
            state_softmax_row(x + r * ldx, cols, &state[r], y + r * ldy);
    }
}

/* The piece's e times (float)(exp(beta (m - M)) / S): DESIGN.md §3's
 * per-chunk scale, with the piece as the chunk. */
static void state_scale_row(const sm_softmax_state *piece,
                            const sm_softmax_state *total, float *e, size_t n)
{
    const float beta = total->beta;
    if (limit_row(e, n, state_class(total), 0.0f))
        return;
    if (beta == 0.0f)
        scale(e, n, (float)(1.0 / total->count));
    else
        scale(e, n, chunk_scale(piece->max, total->max, beta,
                                total->count + total->sum));
}

SM_INLINE void state_scale_rows(size_t rows, size_t cols,
                             const sm_softmax_state *piece,
                             const sm_softmax_state *total, float *e,
                             size_t lde)
{
    for (size_t r = 0; r < rows; r++)
        state_scale_row(&piece[r], &total[r], e + r * lde, cols);
}

#endif
