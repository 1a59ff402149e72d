/*
 * The entry points of one exp mode's kernel build (SM_ENTRY): softmax,
 * log-softmax, logsumexp, the losses and the probes; the table's build
 * (SM_TABLE_PART) adds the backward passes, the Jacobian and the table.
 */
#ifndef SM_EXP_ENTRIES_H
#define SM_EXP_ENTRIES_H

#include "common/softmax_rows.h"
#include "common/probes.h"
#include "common/loss_ce.h"
#include "common/loss_soft.h"
#include "common/loss_entropy.h"
#include "common/attention.h"

/* This build's entry points: the ops of its exp mode. */
void SM_ENTRY(softmax_rows)(size_t rows, size_t cols, float beta,
                            const float *x, size_t ldx, float *y, size_t ldy)
{
    softmax_rows(rows, cols, beta, x, ldx, y, ldy);
}

void SM_ENTRY(log_softmax_rows)(size_t rows, size_t cols, float beta,
                                const float *x, size_t ldx, float *y,
                                size_t ldy)
{
    log_softmax_rows(rows, cols, beta, x, ldx, y, ldy);
}

void SM_ENTRY(logsumexp_rows)(size_t rows, size_t cols, float beta,
                              const float *x, size_t ldx, float *result)
{
    logsumexp_rows(rows, cols, beta, x, ldx, result);
}

void SM_ENTRY(cross_entropy_rows)(size_t rows, size_t cols, float beta,
                                  const float *x, size_t ldx,
                                  const struct sm_ce_args *a, double *loss,
                                  float *g, size_t ldg)
{
    cross_entropy_rows(rows, cols, beta, x, ldx, a, loss, g, ldg);
}

void SM_ENTRY(soft_target_rows)(size_t rows, size_t cols, float beta,
                                const float *x, size_t ldx,
                                const struct sm_soft_args *a, double *loss,
                                float *g, size_t ldg)
{
    soft_target_rows(rows, cols, beta, x, ldx, a, loss, g, ldg);
}

void SM_ENTRY(entropy_rows)(size_t rows, size_t cols, float beta,
                            const float *x, size_t ldx, float grad_scale,
                            double *h, float *g, size_t ldg)
{
    entropy_rows(rows, cols, beta, x, ldx, grad_scale, h, g, ldg);
}

void SM_ENTRY(row_stats)(size_t n, float beta, const float *x, float *m,
                         double *k, double *s)
{
    stats(n, beta, x, m, k, s);
}

void SM_ENTRY(exp)(size_t n, const float *x, float *y)
{
    exp_array(n, x, y);
}

float SM_ENTRY(exp_sum)(size_t n, const float *x, float c)
{
    return exp_sum(n, x, c);
}

void SM_ENTRY(attention_decode)(const struct sm_attention_args *a)
{
    attention_decode(a);
}

#if SM_TABLE_PART
#include "common/backward.h"
#include "common/table.h"
#endif

#endif
