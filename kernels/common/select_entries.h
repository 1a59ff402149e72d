/*
 * The entry points of a selection build (SM_SELECT_OPS): the ops that
 * choose entries of a row rather than write a probability for each. top_rows,
 * sample_rows and verify use the exp, so each exp mode has a selection build;
 * argmax and Gumbel-max have no exp and are the exact one's.
 */
#ifndef SM_SELECT_ENTRIES_H
#define SM_SELECT_ENTRIES_H

#include "common/sample.h"
#include "common/speculative.h"
#include "common/top.h"

void SM_ENTRY(top_rows)(size_t rows, size_t cols, size_t n, float beta,
                        const float *x, size_t ldx, int32_t *index,
                        size_t ldi, float *logp, size_t ldl)
{
    top_rows(rows, cols, n, beta, x, ldx, index, ldi, logp, ldl);
}

size_t SM_ENTRY(sample_rows)(size_t rows, size_t cols, float beta,
                             const float *x, size_t ldx,
                             const struct sm_sample_args *a, int32_t *token,
                             float *prob, float *logprob)
{
    return sample_rows(rows, cols, beta, x, ldx, a, token, prob, logprob);
}

bool SM_ENTRY(verify)(size_t n, size_t cols, float beta, const float *target,
                      size_t ldt, const struct sm_verify_args *a,
                      size_t *accepted, int32_t *next)
{
    return verify_drafts(n, cols, beta, target, ldt, a, accepted, next);
}

#if !SM_EXP_FAST
#include "common/argmax.h"
#include "common/gumbel.h"

size_t SM_ENTRY(gumbel_rows)(size_t rows, size_t cols, float beta,
                             const float *x, size_t ldx,
                             const struct sm_sample_args *a, int32_t *token)
{
    return gumbel_rows(rows, cols, beta, x, ldx, a, token);
}

void SM_ENTRY(argmax_rows)(size_t rows, size_t cols, float beta,
                           const float *x, size_t ldx, int32_t *index)
{
    argmax_rows(rows, cols, beta, x, ldx, index);
}
#endif

#endif
