/*
 * argmax of rows: the index of softmax_beta's most probable entry, the
 * first one among ties. That is the row's first maximum for beta > 0, its
 * first minimum for beta < 0, and 0 for beta = 0 (all entries equally
 * likely); a row with a NaN gives its first NaN, whatever beta (softmax
 * makes that whole row NaN).
 */
#ifndef SM_ARGMAX_H
#define SM_ARGMAX_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/span_scan.h"

/* A row is read a span at a time: one pass finds the span's extremum and
 * whether it holds a NaN; a second pass over the span, still in L1, looks
 * for the first index only where the extremum beats the row's so far. On
 * most rows that is a few spans near the start. */
#define SM_ARGMAX_SPAN 2048

/* The first index of n entries equal to m, or with nan the first NaN; n if
 * there is none. */
SM_INLINE size_t first_index_of(const float *x, size_t n, float m, bool nan)
{
    const sm_v vm = v_set1(m);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW) {
        const sm_v xv = v_load(x + i);
        if (nan ? m_count(m_eq(xv, xv)) < (size_t)SM_VW
                : m_count(m_eq(xv, vm)) > 0)
            break;
    }
    for (; i < n; i++)
        if (nan ? x[i] != x[i] : x[i] == m)
            return i;
    return n;
}

SM_INLINE size_t argmax_row_with(const float *x, size_t n, bool use_max,
                                 bool uniform)
{
    float best = use_max ? -INFINITY : INFINITY;
    size_t index = 0;
    for (size_t s = 0; s < n; s += SM_ARGMAX_SPAN) {
        const size_t len = n - s < SM_ARGMAX_SPAN ? n - s : SM_ARGMAX_SPAN;
        const struct span_scan scan = span_scan_with(x + s, len, use_max);
        if (scan.has_nan)
            return s + first_index_of(x + s, len, 0.0f, true);
        if (!uniform && (use_max ? scan.ext > best : scan.ext < best)) {
            best = scan.ext;
            index = s + first_index_of(x + s, len, best, false);
        }
    }
    return index;
}

/* index[r] for rows rows of cols > 0 entries. */
static void argmax_rows(size_t rows, size_t cols, float beta, const float *x,
                        size_t ldx, int32_t *index)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        size_t i;
        if (beta > 0.0f)
            i = argmax_row_with(xr, cols, true, false);
        else if (beta < 0.0f)
            i = argmax_row_with(xr, cols, false, false);
        else
            i = argmax_row_with(xr, cols, true, true);
        index[r] = (int32_t)i;
    }
}

#endif
