/* The online state's entry points: check the states and the rows, then
 * dispatch. */
#include <math.h>
#include <stdbool.h>

#include "checks.h"
#include "dispatch.h"

/* A state as init, fold and merge leave it: beta not NaN, known flags,
 * reserved 0, M not NaN, K a finite count, S'' >= 0 or NaN. */
static bool state_valid(const sm_softmax_state *st)
{
    return st->beta == st->beta && !(st->flags & ~SM_KNOWN_FLAGS) &&
           st->reserved == 0 && st->max == st->max && st->count >= 0.0 &&
           st->count < INFINITY && !(st->sum < 0.0);
}

static bool state_empty(const sm_softmax_state *st)
{
    return st->count == 0.0 && st->sum == 0.0;
}

/* The checks of an array of rows states read by one call: each valid, all
 * with state[0]'s flags (the call runs one exp mode); with need_empty each
 * empty, with need_nonempty (a piece to write) none empty. *span = their
 * bytes. */
static sm_status check_states(size_t rows, const sm_softmax_state *state,
                              bool need_empty, bool need_nonempty,
                              struct sm_span *span)
{
    if (!state)
        return SM_EINVAL;
    if (sm_span_of(rows, 1, 1, sizeof *state, state, span) != SM_OK)
        return SM_ERANGE;
    for (size_t r = 0; r < rows; r++) {
        const sm_softmax_state *st = &state[r];
        if (!state_valid(st) || st->flags != state[0].flags ||
            (need_empty && !state_empty(st)) ||
            (need_nonempty && state_empty(st)))
            return SM_EINVAL;
    }
    return SM_OK;
}

/* Rows x cols at p (stride ld; p may be NULL when empty) into *span. */
static sm_status check_matrix(size_t rows, size_t cols, const float *p,
                              size_t ld, struct sm_span *span)
{
    if (ld < cols || (rows && cols && !p))
        return SM_EINVAL;
    return sm_span_of(rows, cols, ld, sizeof(float), p, span);
}

sm_status sm_softmax_state_init(size_t rows, sm_softmax_state *state,
                                const sm_options *options)
{
    sm_options o;
    sm_status st = sm_read_options(options, &o);
    if (st != SM_OK || rows == 0)
        return st;
    if (o.beta != o.beta || !state)
        return SM_EINVAL;
    struct sm_span span;
    if (sm_span_of(rows, 1, 1, sizeof *state, state, &span) != SM_OK)
        return SM_ERANGE;
    const float m = o.beta > 0 ? -INFINITY : o.beta < 0 ? INFINITY : 0.0f;
    for (size_t r = 0; r < rows; r++) {
        const sm_softmax_state empty = {0.0, 0.0, m, o.beta, o.flags, 0u};
        state[r] = empty;
    }
    return SM_OK;
}

sm_status sm_softmax_state_fold_rows_f32(size_t rows, size_t cols,
                                         const float *x, size_t ldx, float *e,
                                         size_t lde, sm_softmax_state *state)
{
    if (rows == 0)
        return SM_OK;
    struct sm_span xs, es, ss;
    sm_status st = check_matrix(rows, cols, x, ldx, &xs);
    if (st == SM_OK && e)
        st = check_matrix(rows, cols, e, lde, &es);
    if (st == SM_OK)
        st = check_states(rows, state, e != NULL, false, &ss);
    if (st != SM_OK)
        return st;
    if (sm_spans_meet(&ss, &xs) || (e && sm_spans_meet(&ss, &es)))
        return SM_EOVERLAP;
    if (e && cols && sm_ranges_meet(xs.at, xs.bytes, es.at, es.bytes) &&
        sm_check_overlap(rows, cols, x, ldx, e, lde) != SM_OK)
        return SM_EOVERLAP;
    if (cols == 0)
        return SM_OK;
    sm_dispatch()->state_fold_rows(rows, cols, x, ldx, e, lde, state,
                                   state[0].flags);
    return SM_OK;
}

sm_status sm_softmax_state_merge(size_t rows, const sm_softmax_state *from,
                                 sm_softmax_state *into)
{
    if (rows == 0)
        return SM_OK;
    struct sm_span fs, is;
    sm_status st = check_states(rows, from, false, false, &fs);
    if (st == SM_OK)
        st = check_states(rows, into, false, false, &is);
    if (st != SM_OK)
        return st;
    for (size_t r = 0; r < rows; r++)
        if (from[r].beta != into[r].beta ||
            from[r].flags != into[r].flags)
            return SM_EINVAL;
    if (from != into && sm_spans_meet(&fs, &is))
        return SM_EOVERLAP;
    sm_dispatch()->state_merge(rows, from, into);
    return SM_OK;
}

sm_status sm_softmax_state_logsumexp(size_t rows,
                                     const sm_softmax_state *state,
                                     float *result)
{
    if (rows == 0)
        return SM_OK;
    struct sm_span ss, rs;
    sm_status st = check_states(rows, state, false, false, &ss);
    if (st == SM_OK)
        st = check_matrix(1, rows, result, rows, &rs);
    if (st == SM_OK && !result)
        st = SM_EINVAL;
    if (st != SM_OK)
        return st;
    if (sm_spans_meet(&ss, &rs))
        return SM_EOVERLAP;
    sm_dispatch()->state_logsumexp(rows, state, result);
    return SM_OK;
}

static sm_status state_rows(bool log, size_t rows, size_t cols,
                            const float *x, size_t ldx,
                            const sm_softmax_state *state, float *y,
                            size_t ldy)
{
    if (rows == 0)
        return SM_OK;
    struct sm_span ss, ys;
    sm_status st = check_states(rows, state, false, cols > 0, &ss);
    if (st == SM_OK)
        st = check_matrix(rows, cols, y, ldy, &ys);
    if (st == SM_OK)
        st = sm_check_rows(rows, cols, 1.0f, x, ldx, y, ldy);
    if (st != SM_OK)
        return st;
    if (sm_spans_meet(&ss, &ys))
        return SM_EOVERLAP;
    if (cols == 0)
        return SM_OK;
    const struct sm_kernels *k = sm_dispatch();
    (log ? k->state_log_softmax_rows : k->state_softmax_rows)(
        rows, cols, x, ldx, state, y, ldy, state[0].flags);
    return SM_OK;
}

sm_status sm_softmax_state_softmax_rows_f32(size_t rows, size_t cols,
                                            const float *x, size_t ldx,
                                            const sm_softmax_state *state,
                                            float *y, size_t ldy)
{
    return state_rows(false, rows, cols, x, ldx, state, y, ldy);
}

sm_status sm_softmax_state_log_softmax_rows_f32(size_t rows, size_t cols,
                                                const float *x, size_t ldx,
                                                const sm_softmax_state *state,
                                                float *y, size_t ldy)
{
    return state_rows(true, rows, cols, x, ldx, state, y, ldy);
}

sm_status sm_softmax_state_scale_rows_f32(size_t rows, size_t cols,
                                          const sm_softmax_state *piece,
                                          const sm_softmax_state *total,
                                          float *e, size_t lde)
{
    if (rows == 0)
        return SM_OK;
    struct sm_span ps, ts, es;
    sm_status st = check_states(rows, piece, false, cols > 0, &ps);
    if (st == SM_OK)
        st = check_states(rows, total, false, cols > 0, &ts);
    if (st == SM_OK)
        st = check_matrix(rows, cols, e, lde, &es);
    if (st != SM_OK)
        return st;
    for (size_t r = 0; r < rows; r++)
        if (piece[r].beta != total[r].beta ||
            piece[r].flags != total[r].flags)
            return SM_EINVAL;
    if (sm_spans_meet(&ps, &es) || sm_spans_meet(&ts, &es))
        return SM_EOVERLAP;
    if (cols == 0)
        return SM_OK;
    sm_dispatch()->state_scale_rows(rows, cols, piece, total, e, lde);
    return SM_OK;
}
