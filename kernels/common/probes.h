/*
 * The slots the tests and benchmarks read beside the ops: a row's
 * statistics, the exp of an array, and the exp-throughput ceiling.
 */
#ifndef SM_PROBES_H
#define SM_PROBES_H

#include "common/row_passes.h"

static void stats(size_t n, float beta, const float *x, float *m, double *k,
                  double *s)
{
    const struct row_stats st = row_stats(x, n, beta, NULL);
    *m = st.m;
    *k = st.k;
    *s = st.s == st.s ? st.s : (double)sm_qnan; /* as every output */
}

/* The build's exp of any t (SLEEF's inline one is compared, every float,
 * with the scalar kernel's call). */
SM_INLINE sm_v exp_any(sm_v t)
{
    return SM_EXP_FAST ? v_exp_fast(t) : exp_sleef(t);
}

/* y_i = exp(x_i) with the build's exp. For the tests (every float, every
 * ISA) and the exp-throughput ceiling. */
static void exp_array(size_t n, const float *x, float *y)
{
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW)
        v_store(y + i, exp_any(v_load(x + i)));
    if (i < n)
        v_store_part(y + i, n - i, exp_any(v_load_part(x + i, n - i, 0.0f)));
}

/* One pass of sum exp(x_i - c) in f32 with c >= every x_i: the
 * exp-throughput ceiling the benchmarks hold the kernels against (the same
 * exp; no extremum pass, no stores, no double sums). The order of the sum
 * is not part of any contract. */
SM_INLINE float exp_sum(size_t n, const float *x, float c)
{
    const sm_v vc = v_set1(c), zero = v_set1(0.0f);
    sm_v a0 = zero, a1 = zero;
    size_t i = 0;
#ifndef SM_VLA
    for (; SM_EXP_INLINE && i + 32 <= n; i += 32) {
        sm_v e[SM_VPB];
        for (int v = 0; v < SM_VPB; v++)
            e[v] = v_sub(v_load(x + i + (size_t)v * SM_VW), vc);
        exp_nonpos_block(e);
        for (int v = 0; v < SM_VPB; v++)
            a0 = v_add(a0, e[v]);
    }
#endif
    for (; i + 2 * SM_VW <= n; i += 2 * SM_VW) {
        a0 = v_add(a0, exp_nonpos(v_sub(v_load(x + i), vc)));
        a1 = v_add(a1, exp_nonpos(v_sub(v_load(x + i + SM_VW), vc)));
    }
    for (; i < n; i += SM_VW) {
        const size_t c_len = n - i < SM_VW ? n - i : SM_VW;
        const sm_v e = exp_nonpos(v_sub(v_load_part(x + i, c_len, c), vc));
        a0 = v_add(a0, v_sel(m_first(c_len), e, zero));
    }
    float lanes[SM_VW];
    v_store(lanes, v_add(a0, a1));
    float sum = 0.0f;
    for (int l = 0; l < SM_VW; l++)
        sum += lanes[l];
    return sum;
}

#endif
