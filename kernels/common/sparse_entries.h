/*
 * The entry points of the sparse build (SM_SPARSE_OPS): sparsemax, its
 * backward pass, hardmax and alpha-entmax with its backward pass. There is
 * one build, the exact one (entmax uses SLEEF's exp and log whatever the
 * flags), whose machine code is apart from the other ops'.
 */
#ifndef SM_SPARSE_ENTRIES_H
#define SM_SPARSE_ENTRIES_H

#include "common/entmax.h"
#include "common/sparsemax.h"

void SM_ENTRY(sparsemax_rows)(size_t rows, size_t cols, float beta,
                              const float *x, size_t ldx, float *y,
                              size_t ldy)
{
    sparsemax_rows(rows, cols, beta, x, ldx, y, ldy);
}

void SM_ENTRY(sparsemax_backward_rows)(size_t rows, size_t cols, float beta,
                                       const float *y, size_t ldy,
                                       const float *dy, size_t lddy,
                                       float *dx, size_t lddx)
{
    sparsemax_backward_rows(rows, cols, beta, y, ldy, dy, lddy, dx, lddx);
}

void SM_ENTRY(hardmax_rows)(size_t rows, size_t cols, float beta,
                            const float *x, size_t ldx, float *y, size_t ldy)
{
    hardmax_rows(rows, cols, beta, x, ldx, y, ldy);
}

void SM_ENTRY(entmax_rows)(size_t rows, size_t cols, float beta, float alpha,
                           const float *x, size_t ldx, float *y, size_t ldy)
{
    entmax_rows(rows, cols, beta, alpha, x, ldx, y, ldy);
}

void SM_ENTRY(entmax_backward_rows)(size_t rows, size_t cols, float beta,
                                    float alpha, const float *y, size_t ldy,
                                    const float *dy, size_t lddy, float *dx,
                                    size_t lddx)
{
    entmax_backward_rows(rows, cols, beta, alpha, y, ldy, dy, lddy, dx, lddx);
}

#endif
