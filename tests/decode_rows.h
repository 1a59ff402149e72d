/* Rows for the decoding tests, and the ranking by its definition. */
#ifndef SM_TEST_DECODE_ROWS_H
#define SM_TEST_DECODE_ROWS_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"

/* The definition: the first NaN, else (beta != 0) the first extremum. */
static inline int32_t argmax_reference(const float *x, size_t n, float beta)
{
    for (size_t i = 0; i < n; i++)
        if (x[i] != x[i])
            return (int32_t)i;
    size_t best = 0;
    for (size_t i = 1; beta != 0.0f && i < n; i++)
        if (beta > 0.0f ? x[i] > x[best] : x[i] < x[best])
            best = i;
    return (int32_t)best;
}

enum pattern {
    RANDOM,     /* uniform, ties unlikely */
    FEW_VALUES, /* integers 0..7: many ties at both extremes */
    ASCENDING,  /* every span beats the one before */
    DESCENDING,
    INFINITIES, /* -inf masks and a +inf or two */
    ALL_MASKED, /* every entry -inf */
    SIGNED_ZEROS,
    ONE_NAN,    /* a NaN late in the row, after the extremum */
    NAN_AND_INF,
    PATTERNS
};

static inline void fill_row(float *x, size_t n, enum pattern p, uint64_t *s)
{
    for (size_t i = 0; i < n; i++) {
        switch (p) {
        case FEW_VALUES:
            x[i] = (float)(rng_next(s) % 8);
            break;
        case ASCENDING:
            x[i] = (float)i * 0.5f;
            break;
        case DESCENDING:
            x[i] = -(float)i * 0.25f;
            break;
        case ALL_MASKED:
            x[i] = -INFINITY;
            break;
        case SIGNED_ZEROS:
            x[i] = rng_next(s) % 2 ? 0.0f : -0.0f;
            break;
        default:
            x[i] = rng_uniform(s, -30.0f, 30.0f);
        }
    }
    if (p == INFINITIES || p == NAN_AND_INF)
        for (size_t i = 0; i < n; i++)
            if (rng_next(s) % 5 == 0)
                x[i] = -INFINITY;
    if (p == INFINITIES) {
        x[(n * 2) / 3] = INFINITY;
        x[n - 1] = INFINITY;
    }
    if (p == ONE_NAN || p == NAN_AND_INF) {
        x[n / 2] = 1e30f;
        x[n - 1 - n / 5] = test_nan_payload((int)(n % 2));
        x[n - 1] = INFINITY;
    }
}

/* a ranks above b (at indices ia < ib or ia > ib) in softmax_beta's
 * order: NaN first, then by value on the side of beta, ties to the lower
 * index. */
static inline int ranks_above(float a, size_t ia, float b, size_t ib, float beta)
{
    const int an = a != a, bn = b != b;
    if (an != bn)
        return an;
    if (!an && beta != 0.0f && a != b)
        return beta > 0.0f ? a > b : a < b;
    return ia < ib;
}

/* qsort has no context argument: the row and beta being sorted. */
static const float *sort_x;
static float sort_beta;

static inline int by_rank(const void *a, const void *b)
{
    const size_t ia = (size_t)*(const int32_t *)a;
    const size_t ib = (size_t)*(const int32_t *)b;
    return ranks_above(sort_x[ia], ia, sort_x[ib], ib, sort_beta) ? -1 : 1;
}

/* The n best indices of a row: the first n of all its indices sorted. */
static inline void top_reference(const float *x, size_t cols, size_t n, float beta,
                          int32_t *want)
{
    int32_t *all = malloc(cols * sizeof *all);
    assert_non_null(all);
    for (size_t i = 0; i < cols; i++)
        all[i] = (int32_t)i;
    sort_x = x;
    sort_beta = beta;
    qsort(all, cols, sizeof *all, by_rank);
    memcpy(want, all, n * sizeof *want);
    free(all);
}

#endif
