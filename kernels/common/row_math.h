/*
 * The contract's arithmetic on vectors of entries, written once for every
 * ISA: t = beta (x - M), its exp (both exp modes), the accumulator helpers
 * and a row's extremum. The helpers it takes from the ISA's vec.h are
 * listed in kernel_table.h.
 */
#ifndef SM_ROW_MATH_H
#define SM_ROW_MATH_H

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/inline.h"
#include "kernels.h"
#include "softmax.h"

#define SM_VPB (32 / SM_VW) /* vectors per 32-element block */

#include "common/extremum.h"
#include "common/exp_u10.h"
#include "common/fast_exp.h"
#include "common/log1p.h"

/* The exp is inline, and the loops fuse it with the sums, in the fast mode
 * and, where the ISA sets SM_HAVE_EXP_U10 (every SIMD ISA), in the default
 * mode; the scalar kernel, the reference the tests hold every ISA to,
 * calls SLEEF. */
#if SM_EXP_FAST || defined(SM_HAVE_EXP_U10)
#define SM_EXP_INLINE 1
#else
#define SM_EXP_INLINE 0
#endif

#ifndef SM_HAVE_STORE_TAIL
/* v_store_part for a row's last vector when the next row's loads follow
 * at once (see the AVX-512 one). */
static inline void v_store_tail(float *p, size_t c, sm_v v)
{
    v_store_part(p, c, v);
}
#endif

#ifndef SM_HAVE_ACC_ADD_UNLESS
/* acc_add of e with +0 in the lanes of eq. */
static inline void acc_add_unless(sm_acc *acc, int v, sm_v e, sm_m eq)
{
    acc_add(acc, v, v_sel(eq, v_set1(0.0f), e));
}
#endif

/* SLEEF's exp of any t (the default mode's): inline where the ISA has it,
 * the same bits. */
SM_INLINE sm_v exp_sleef(sm_v t)
{
#ifdef SM_HAVE_EXP_U10
    return v_exp_u10(t);
#else
    return v_exp(t);
#endif
}

/* For t = beta (x - M) <= 0 (or NaN), as in every pass over a row. */
SM_INLINE sm_v exp_nonpos(sm_v t)
{
    if (SM_EXP_FAST)
        return v_exp_fast_nonpos(t);
    return SM_EXP_INLINE ? v_exp_u10_nonpos(t) : v_exp(t);
}

/* The contract's t = beta (x - M) of an output: +0 where x equals M, also
 * where M or beta is infinite (the limit where the product is NaN). */
SM_INLINE sm_v t_of(sm_v x, sm_v vm, sm_v vb)
{
    return v_sel(m_eq(x, vm), v_set1(0.0f), v_mul(v_sub(x, vm), vb));
}

/* t = beta (x - m); multiplying by 1 changes no bit, so beta = 1 skips it. */
SM_INLINE sm_v beta_times_diff(sm_v x, sm_v vm, sm_v vb, bool unit_beta)
{
    return unit_beta ? v_sub(x, vm) : v_mul(v_sub(x, vm), vb);
}

#ifndef SM_VLA
/* Rows of one block whose statistics are computed side by side (see
 * block_stats_rows_nv in block_rows.h). */
#define SM_BLOCK_ROWS 2

/* The most vectors exp_nonpos_vecs takes: a block of each of SM_BLOCK_ROWS
 * rows, or a wide row (see softmax_wide_row_nv)... */
#if defined(SM_WIDE_VECS) && SM_WIDE_VECS > SM_BLOCK_ROWS * SM_VPB
#define SM_EXP_VECS_ROWS SM_WIDE_VECS
#else
#define SM_EXP_VECS_ROWS (SM_BLOCK_ROWS * SM_VPB)
#endif
/* ... or the columns of a column group (common/columns.h) */
#if defined(SM_HAVE_TRANSPOSE) && SM_VW > SM_EXP_VECS_ROWS
#define SM_EXP_VECS SM_VW
#else
#define SM_EXP_VECS SM_EXP_VECS_ROWS
#endif

/* The exps of nv <= SM_EXP_VECS vectors, t[v] = beta (x - M) <= 0 (or
 * NaN). The inline exps' range test is taken once for them all, so they
 * are one branch-free stretch whose exp chains the compiler can
 * interleave. */
SM_INLINE void exp_nonpos_vecs(sm_v t[], size_t nv)
{
    if (!SM_EXP_INLINE) {
        /* Unrolled: a rolled loop of calls saves and restores every live
         * vector around each call. */
#pragma GCC unroll 8
        for (size_t v = 0; v < nv; v++)
            t[v] = v_exp(t[v]);
        return;
    }
    sm_v z[SM_EXP_VECS], p[SM_EXP_VECS];
    int normal = 1;
    for (size_t v = 0; v < nv; v++) {
        if (SM_EXP_FAST) {
            t[v] = v_max(v_set1(-104.0f), t[v]);
            p[v] = exp_fast_poly(t[v], &z[v]);
        } else {
            p[v] = exp_u10_poly(t[v], &z[v]);
        }
        normal &= v_all_ge(z[v], v_set1(0x1.8p23f - 125.0f));
    }
    for (size_t v = 0; v < nv; v++) {
        if (normal)
            t[v] = v_ldexp_normal(p[v], z[v]);
        else
            t[v] = SM_EXP_FAST ? ldexp_split_nonpos(p[v], z[v], t[v])
                               : exp_u10_scale(t[v], p[v], z[v]);
    }
}

SM_INLINE void exp_nonpos_block(sm_v t[SM_VPB])
{
    exp_nonpos_vecs(t, SM_VPB);
}

/* A 32-element block at p: its vectors in xv, t = beta (x - M) in t and
 * their exps in e. */
SM_INLINE void block_exps(const float *p, sm_v vm, sm_v vb, bool unit_beta,
                          sm_v xv[SM_VPB], sm_v t[SM_VPB], sm_v e[SM_VPB])
{
    for (int v = 0; v < SM_VPB; v++) {
        xv[v] = v_load(p + (size_t)v * SM_VW);
        t[v] = e[v] = beta_times_diff(xv[v], vm, vb, unit_beta);
    }
    exp_nonpos_block(e);
}
#endif

SM_INLINE float extremum_with(const float *x, size_t n, bool use_max)
{
    const float init = use_max ? -INFINITY : INFINITY;
    sm_v a0 = v_set1(init), a1 = a0, a2 = a0, a3 = a0;
    size_t i = 0;
    for (; i + 4 * SM_VW <= n; i += 4 * SM_VW) {
        a0 = v_ext(v_load(x + i), a0, use_max);
        a1 = v_ext(v_load(x + i + SM_VW), a1, use_max);
        a2 = v_ext(v_load(x + i + 2 * SM_VW), a2, use_max);
        a3 = v_ext(v_load(x + i + 3 * SM_VW), a3, use_max);
    }
    for (; i + SM_VW <= n; i += SM_VW)
        a0 = v_ext(v_load(x + i), a0, use_max);
    if (i < n)
        a0 = v_ext(v_load_part(x + i, n - i, init), a0, use_max);
    const sm_v a = v_ext(v_ext(a0, a1, use_max), v_ext(a2, a3, use_max), use_max);
    return use_max ? v_hmax(a) : v_hmin(a);
}

/* beta > 0 selects on the maximum, beta < 0 on the minimum. */
static inline float row_extremum(const float *x, size_t n, bool use_max)
{
    return use_max ? extremum_with(x, n, true) : extremum_with(x, n, false);
}

#endif
