/*
 * hardmax of rows: 1/k on the k entries equal to the row's extremum (the
 * maximum for beta > 0, the minimum for beta < 0), 0 elsewhere; a row with
 * a NaN is all NaN and a row whose extremum is infinite on the far side (all
 * -inf for the maximum) all 0. These are softmax's bits at beta = +-inf:
 * its e_i is 1 on the extremal entries and +0 elsewhere, S = k, and its
 * output 1 * (float)(1.0 / k). One pass finds the extremum and counts it,
 * one writes.
 */
#ifndef SM_HARDMAX_H
#define SM_HARDMAX_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/row_passes.h"
#include "common/span_scan.h"

/* Spans short enough that the count's second read hits L1. */
#define SM_HARDMAX_SPAN 2048

struct extremum_count {
    float ext;
    size_t count; /* entries equal to ext */
    bool has_nan;
};

/* How many of n entries equal m. */
SM_INLINE size_t count_equal(const float *x, size_t n, float m)
{
    const sm_v vm = v_set1(m);
    size_t count = 0, i = 0;
    for (; i + SM_VW <= n; i += SM_VW)
        count += m_count(m_eq(v_load(x + i), vm));
    if (i < n)
        count += m_count(
            m_and(m_eq(v_load_part(x + i, n - i, 0.0f), vm), m_first(n - i)));
    return count;
}

/* The row's extremum, its count and whether it has a NaN (n > 0): a span is
 * counted only when its extremum reaches the row's so far. */
SM_INLINE struct extremum_count extremum_count_with(const float *x, size_t n,
                                                    bool use_max)
{
    struct extremum_count r = {use_max ? -INFINITY : INFINITY, 0, false};
    for (size_t s = 0; s < n; s += SM_HARDMAX_SPAN) {
        const size_t len = n - s < SM_HARDMAX_SPAN ? n - s : SM_HARDMAX_SPAN;
        const struct span_scan scan = span_scan_with(x + s, len, use_max);
        if (scan.has_nan) {
            r.has_nan = true;
            return r;
        }
        if (use_max ? scan.ext > r.ext : scan.ext < r.ext) {
            r.ext = scan.ext;
            r.count = 0;
        }
        if (scan.ext == r.ext)
            r.count += count_equal(x + s, len, r.ext);
    }
    return r;
}

/* y_i = x_i == m ? r : +0. */
SM_INLINE void write_indicator(const float *x, size_t n, float m, float r,
                               float *y)
{
    const sm_v vm = v_set1(m), vr = v_set1(r), zero = v_set1(0.0f);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW)
        v_store(y + i, v_sel(m_eq(v_load(x + i), vm), vr, zero));
    if (i < n) {
        const sm_v xv = v_load_part(x + i, n - i, 0.0f);
        v_store_part(y + i, n - i, v_sel(m_eq(xv, vm), vr, zero));
    }
}

/* One row of n > 0 entries; y may equal x. */
static void hardmax_row(const float *x, size_t n, bool use_max, float *y)
{
    const struct extremum_count e = extremum_count_with(x, n, use_max);
    if (e.has_nan)
        fill(y, n, sm_qnan);
    else if (e.ext == (use_max ? -INFINITY : INFINITY))
        fill(y, n, 0.0f);
    else
        write_indicator(x, n, e.ext, (float)(1.0 / (double)e.count), y);
}

/* beta > 0: hardmax, beta < 0: hardmin (beta not 0 or NaN); cols > 0. */
/* The rows sparsemax and entmax answer without a threshold, from the scan
 * of the row's extremum (the maximum for beta >= 0): a NaN makes the row
 * NaN, beta = 0 uniform, and an infinite beta or extremum the limit
 * hardmax. Returns whether it wrote y. */
static bool write_limit_row(const float *x, size_t n, float beta,
                            struct span_scan scan, float *y)
{
    if (scan.has_nan) {
        fill(y, n, sm_qnan);
        return true;
    }
    if (beta == 0.0f) {
        fill(y, n, (float)(1.0 / (double)n));
        return true;
    }
    if (isinf(beta) || isinf(scan.ext)) {
        hardmax_row(x, n, beta >= 0.0f, y);
        return true;
    }
    return false;
}

static void hardmax_rows(size_t rows, size_t cols, float beta, const float *x,
                         size_t ldx, float *y, size_t ldy)
{
    for (size_t r = 0; r < rows; r++)
        hardmax_row(x + r * ldx, cols, beta > 0.0f, y + r * ldy);
}

#endif
