/*
 * A row's dot product in the contract's order: each product an f32,
 * summed in double in 32 lanes (lane l takes i = l mod 32, increasing i),
 * folded pairwise per chunk of SM_CHUNK elements, the chunks added in
 * order. The backward passes and the cross-entropy's gradient use it.
 */
#ifndef SM_ROW_DOT_H
#define SM_ROW_DOT_H

#include "common/row_stats.h"

/* sum a_i b_i (b = NULL: sum a_i); each product rounded to f32 first. */
SM_INLINE double row_dot(const float *a, const float *b, size_t n)
{
    double total = 0.0;
    for (size_t base = 0; base < n; base += SM_CHUNK) {
        const size_t len = sm_chunk_len(n, base);
        const float *ap = a + base, *bp = b ? b + base : NULL;
        sm_acc acc;
        acc_zero(&acc);
        size_t i = 0;
        for (; i + 32 <= len; i += 32)
            for (int v = 0; v < SM_VPB; v++) {
                const size_t at = i + (size_t)v * SM_VW;
                sm_v p = v_load(ap + at);
                if (bp)
                    p = v_mul(p, v_load(bp + at));
                acc_add(&acc, v, p);
            }
        /* The last partial block: missing lanes add 0 * 0 = +0. */
        for (int v = 0; v < SM_VPB && i + (size_t)v * SM_VW < len; v++) {
            const size_t at = i + (size_t)v * SM_VW;
            const size_t c = len - at < SM_VW ? len - at : SM_VW;
            sm_v p = c == SM_VW ? v_load(ap + at) : v_load_part(ap + at, c, 0.0f);
            if (bp)
                p = v_mul(p, c == SM_VW ? v_load(bp + at)
                                        : v_load_part(bp + at, c, 0.0f));
            acc_add(&acc, v, p);
        }
        total += acc_fold(&acc);
    }
    return total;
}

#endif
