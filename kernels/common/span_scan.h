/*
 * One pass over a span of a row: its extremum (the maximum, or the minimum
 * for use_max false; NaNs ignored) and whether it holds a NaN. argmax and
 * the selection of hardmax and sparsemax start from it.
 */
#ifndef SM_SPAN_SCAN_H
#define SM_SPAN_SCAN_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/extremum.h"

struct span_scan {
    float ext;
    bool has_nan;
};

SM_INLINE sm_v nan_mark(sm_v x, sm_v mark)
{
    return v_sel(m_eq(x, x), mark, v_set1(1.0f));
}

/* The extremum of n > 0 entries (NaNs ignored) and whether any is NaN. */
SM_INLINE struct span_scan span_scan_with(const float *x, size_t n,
                                          bool use_max)
{
    const float init = use_max ? -INFINITY : INFINITY;
    sm_v a0 = v_set1(init), a1 = a0, a2 = a0, a3 = a0;
    sm_v nan01 = v_set1(0.0f), nan23 = nan01;
    size_t i = 0;
    for (; i + 4 * SM_VW <= n; i += 4 * SM_VW) {
        const sm_v x0 = v_load(x + i), x1 = v_load(x + i + SM_VW);
        const sm_v x2 = v_load(x + i + 2 * SM_VW);
        const sm_v x3 = v_load(x + i + 3 * SM_VW);
        a0 = v_ext(x0, a0, use_max);
        a1 = v_ext(x1, a1, use_max);
        a2 = v_ext(x2, a2, use_max);
        a3 = v_ext(x3, a3, use_max);
        nan01 = nan_mark(x0, nan_mark(x1, nan01));
        nan23 = nan_mark(x2, nan_mark(x3, nan23));
    }
    for (; i + SM_VW <= n; i += SM_VW) {
        const sm_v xv = v_load(x + i);
        a0 = v_ext(xv, a0, use_max);
        nan01 = nan_mark(xv, nan01);
    }
    if (i < n) {
        const sm_v xv = v_load_part(x + i, n - i, init);
        a0 = v_ext(xv, a0, use_max);
        nan01 = nan_mark(xv, nan01);
    }
    const sm_v a =
        v_ext(v_ext(a0, a1, use_max), v_ext(a2, a3, use_max), use_max);
    return (struct span_scan){
        .ext = use_max ? v_hmax(a) : v_hmin(a),
        .has_nan = v_hmax(v_max(nan01, nan23)) > 0.0f,
    };
}

#endif
