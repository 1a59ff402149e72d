/*
 * The sampler's logit adjustments, applied to a copy of a row in the
 * caller's workspace before temperature and filters, in llama.cpp's order
 * and with its formulas:
 *   1. logit bias: x_t += bias for each (t, bias) of the list, in order;
 *   2. for each token t that occurs c_t > 0 times in the row's history
 *      (its last last_n tokens, unless last_n is 0):
 *        x_t = x_t <= 0 ? x_t * repetition : x_t / repetition
 *        x_t = x_t - (c_t * frequency + presence)
 * Plain float operations in that order (kernels build without contraction),
 * so every ISA adjusts the same bits.
 */
#ifndef SM_PENALTIES_H
#define SM_PENALTIES_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"

static inline bool has_adjustments(const struct sm_sample_args *a)
{
    return a->bias_count > 0 || a->history_offset != NULL;
}

/* Row r of x, adjusted, into a->row_work (cols floats); the counts of its
 * history's tokens go through a->count_work, of which only those tokens'
 * entries are touched. Returns the adjusted row. */
static const float *adjusted_row(const float *x, size_t cols, size_t r,
                                 const struct sm_sample_args *a)
{
    float *y = a->row_work;
    memcpy(y, x, cols * sizeof *y);
    for (size_t j = 0; j < a->bias_count; j++)
        y[a->bias_token[j]] += a->bias_value[j];
    size_t n = a->history_offset ? a->history_offset[r + 1] -
                                       a->history_offset[r]
                                 : 0;
    if (n == 0)
        return y;
    const int32_t *h = a->history + a->history_offset[r];
    if (a->last_n && n > a->last_n) { /* only the last last_n count */
        h += n - a->last_n;
        n = a->last_n;
    }
    uint32_t *c = a->count_work;
    for (size_t j = 0; j < n; j++)
        c[h[j]] = 0;
    for (size_t j = 0; j < n; j++)
        c[h[j]]++;
    for (size_t j = 0; j < n; j++) {
        const int32_t t = h[j];
        if (c[t] == 0)
            continue; /* adjusted at its first occurrence */
        float v = y[t];
        v = v <= 0.0f ? v * a->repetition : v / a->repetition;
        y[t] = v - ((float)c[t] * a->frequency + a->presence);
        c[t] = 0;
    }
    return y;
}

#endif
