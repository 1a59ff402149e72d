/*
 * The entry points of a streaming build (SM_STREAM_OPS): the ops on the
 * online state. fold and the outputs use the exp, so each exp mode has a
 * streaming build; merge, logsumexp and scale have none and are the exact
 * one's.
 */
#ifndef SM_STREAM_ENTRIES_H
#define SM_STREAM_ENTRIES_H

#include "common/softmax_state.h"

void SM_ENTRY(state_fold_rows)(size_t rows, size_t cols, const float *x,
                               size_t ldx, float *e, size_t lde,
                               sm_softmax_state *state)
{
    state_fold_rows(rows, cols, x, ldx, e, lde, state);
}

void SM_ENTRY(state_softmax_rows)(size_t rows, size_t cols, const float *x,
                                  size_t ldx, const sm_softmax_state *state,
                                  float *y, size_t ldy)
{
    state_rows(false, rows, cols, x, ldx, state, y, ldy);
}

void SM_ENTRY(state_log_softmax_rows)(size_t rows, size_t cols,
                                      const float *x, size_t ldx,
                                      const sm_softmax_state *state, float *y,
                                      size_t ldy)
{
    state_rows(true, rows, cols, x, ldx, state, y, ldy);
}

#if !SM_EXP_FAST
void SM_ENTRY(state_merge)(size_t rows, const sm_softmax_state *from,
                           sm_softmax_state *into)
{
    state_merge(rows, from, into);
}

void SM_ENTRY(state_logsumexp)(size_t rows, const sm_softmax_state *state,
                               float *result)
{
    state_logsumexp(rows, state, result);
}

void SM_ENTRY(state_scale_rows)(size_t rows, size_t cols,
                                const sm_softmax_state *piece,
                                const sm_softmax_state *total, float *e,
                                size_t lde)
{
    state_scale_rows(rows, cols, piece, total, e, lde);
}
#endif

#endif
