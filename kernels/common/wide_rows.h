/*
 * Rows longer than a block that still fit in registers (SM_WIDE_VECS, set
 * by the ISA), and SM_REGISTER_ROW_MAX: the longest row held in registers
 * from load to store (32 where the ISA keeps no wider rows). A short row
 * is one of at most SM_REGISTER_ROW_MAX entries.
 */
#ifndef SM_WIDE_ROWS_H
#define SM_WIDE_ROWS_H

#include "common/block_rows.h"

#ifndef SM_VLA
#ifdef SM_WIDE_VECS
/* Rows of 33..SM_WIDE_VECS * SM_VW entries ("wide rows", where the ISA
 * sets SM_WIDE_VECS) as one-block rows, one row at a time: loaded once,
 * kept in registers from load to store, the general path's operations
 * without its passes over memory. softmax has them inline; the other
 * kernels take their statistics from wide_rows_stats, out of line (inline
 * in every kernel, they made the loss kernels much larger and no
 * faster). */
#define SM_REGISTER_ROW_MAX (SM_WIDE_VECS * SM_VW)
_Static_assert(SM_WIDE_VECS > SM_VPB && SM_WIDE_VECS <= 8, "SM_WIDE_CASES");

/* As SM_BLOCK_CASES and SM_WITH_BLOCK_NV, for the vector counts of the
 * wide rows (SM_VPB < nv <= SM_WIDE_VECS). */
#if SM_VPB < 4
#define SM_WIDE_CASES(CALL) \
    case 3: CALL(3); case 4: CALL(4); case 5: CALL(5); case 6: CALL(6); \
    case 7: CALL(7); case 8: CALL(8);
#else
#define SM_WIDE_CASES(CALL) \
    case 5: CALL(5); case 6: CALL(6); case 7: CALL(7); case 8: CALL(8);
#endif
#define SM_WITH_WIDE_NV(nv, CALL) SM_WITH_NV_CASES(nv, SM_WIDE_CASES, CALL)

/* A wide row's statistics from registers: its vectors in xv, e_i (1 at M)
 * in e, as block_stats_loaded_nv for one row. */
SM_INLINE struct row_stats wide_row_stats_nv(const float *x, size_t n,
                                             size_t nv, float beta,
                                             sm_v xv[], sm_v e[])
{
    const size_t last = n - (nv - 1) * SM_VW;
    sm_v t[SM_WIDE_VECS];
    struct row_stats st;
    load_row_nv(x, n, nv, beta, xv);
    st.m = loaded_extremum(xv, nv, beta > 0);
    const sm_v vm = v_set1(st.m);
    loaded_diffs(xv, nv, last, vm, v_set1(beta), t);
    exp_nonpos_vecs(t, nv);
    loaded_sum(xv, t, nv, last, vm, e, &st);
    return st;
}

SM_INLINE void softmax_wide_row_nv(const float *x, size_t n, size_t nv,
                                   float beta, float *y)
{
    sm_v xv[SM_WIDE_VECS], e[SM_WIDE_VECS];
    const struct row_stats st = wide_row_stats_nv(x, n, nv, beta, xv, e);
    block_store_row(xv, e, st, (float)(1.0 / (st.k + st.s)), n, nv, beta, y,
                    false, true);
}

/* softmax_wide_row_nv with the vector count a constant in each case: the
 * cases cover every wide row (32 < n <= SM_REGISTER_ROW_MAX, the caller's
 * test). */
SM_INLINE void softmax_wide_row(const float *x, size_t n, float beta, float *y)
{
    const size_t nv = (n + SM_VW - 1) / SM_VW;
#define SM_CALL(k) softmax_wide_row_nv(x, n, k, beta, y); return
    SM_WITH_WIDE_NV(nv, SM_CALL);
#undef SM_CALL
}

/* row_stats of rows wide rows ldx apart from registers, and with y their
 * e_i (ldy apart). */
SM_INLINE void wide_rows_stats_nv(const float *x, size_t ldx, size_t rows,
                                  size_t n, size_t nv, float beta, float *y,
                                  size_t ldy, struct row_stats st[])
{
    const size_t last = n - (nv - 1) * SM_VW;
    for (size_t j = 0; j < rows; j++) {
        sm_v xv[SM_WIDE_VECS], e[SM_WIDE_VECS];
        st[j] = wide_row_stats_nv(x + j * ldx, n, nv, beta, xv, e);
        for (size_t v = 0; y && v < nv; v++)
            store_row_vec(y + j * ldy, v, nv, last, e[v], true);
    }
}

/* wide_rows_stats_nv with the vector count a constant per case (32 < n <=
 * SM_REGISTER_ROW_MAX); out of line, one copy for every kernel that groups its
 * rows' statistics. */
static __attribute__((noinline)) void
wide_rows_stats(const float *x, size_t ldx, size_t rows, size_t n, float beta,
                float *y, size_t ldy, struct row_stats st[])
{
    const size_t nv = (n + SM_VW - 1) / SM_VW;
#define SM_CALL(k) \
    wide_rows_stats_nv(x, ldx, rows, n, k, beta, y, ldy, st); return
    SM_WITH_WIDE_NV(nv, SM_CALL);
#undef SM_CALL
}
#else
#define SM_REGISTER_ROW_MAX 32
#endif
#endif

#endif
