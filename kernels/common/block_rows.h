/*
 * Rows of one block (n <= 32, SM_VPB vectors) kept in registers from load
 * to store: loads, statistics two rows at a time, stores, and the switch
 * that makes the row's vector count nv a constant in each case (the _nv
 * functions take it so). Not for VLA ISAs, which cannot hold arrays of
 * vectors.
 */
#ifndef SM_BLOCK_ROWS_H
#define SM_BLOCK_ROWS_H

#include "common/row_passes.h"
#include "common/row_groups.h"

#ifndef SM_VLA /* needs an array of vectors; VLA ISAs take the general path */
/* Loads a row of n entries as nv vectors, padded with the wrong infinity
 * for beta's sign. */
SM_INLINE void load_row_nv(const float *x, size_t n, size_t nv, float beta,
                           sm_v xv[])
{
    const float init = beta > 0 ? -INFINITY : INFINITY;
    const size_t last = n - (nv - 1) * SM_VW;
    for (size_t v = 0; v < nv; v++)
        xv[v] = v + 1 < nv || last == SM_VW
                ? v_load(x + v * SM_VW) : v_load_part(x + v * SM_VW, last, init);
}

/* Loads rows (<= SM_BLOCK_ROWS) rows of one block, ldx apart. */
SM_INLINE void block_load_rows(const float *x, size_t ldx, size_t rows,
                               size_t n, size_t nv, float beta,
                               sm_v xv[][SM_VPB])
{
    for (size_t j = 0; j < rows; j++)
        load_row_nv(x + j * ldx, n, nv, beta, xv[j]);
}

/* Stores vector v of a row of nv vectors whose last has last lanes, at y
 * (the row's start). With next_row_follows, the next row is loaded right
 * after: a partial last vector goes as v_store_tail. */
SM_INLINE void store_row_vec(float *y, size_t v, size_t nv, size_t last,
                             sm_v val, bool next_row_follows)
{
    if (v + 1 < nv || last == SM_VW)
        v_store(y + v * SM_VW, val);
    else if (next_row_follows)
        v_store_tail(y + v * SM_VW, last, val);
    else
        v_store_part(y + v * SM_VW, last, val);
}

/* The extremum of a row's nv loaded vectors (padded with the wrong
 * infinity). */
SM_INLINE float loaded_extremum(const sm_v xv[], size_t nv, bool use_max)
{
    sm_v ext = v_set1(use_max ? -INFINITY : INFINITY);
    for (size_t v = 0; v < nv; v++)
        ext = v_ext(xv[v], ext, use_max);
    return use_max ? v_hmax(ext) : v_hmin(ext);
}

/* t = beta (x - M) of a row's nv loaded vectors, whose last has last
 * lanes: the padding lanes (the wrong infinity) go in as t = 0, since an
 * exp of -inf would send the fast exp down its slow subnormal path. */
SM_INLINE void loaded_diffs(const sm_v xv[], size_t nv, size_t last, sm_v vm,
                            sm_v vb, sm_v t[])
{
    for (size_t v = 0; v < nv; v++)
        t[v] = v_mul(v_sub(xv[v], vm), vb);
    if (last < SM_VW)
        t[nv - 1] = v_sel(m_first(last), t[nv - 1], v_set1(0.0f));
}

/* From a row's loaded vectors and their exps t: e_i (1 at M) in e, and k
 * and S' in st. Vector v adds to the lanes of vector v mod SM_VPB of the
 * 32: the contract's order. Each lane adds e_i (>= +0, or NaN) or +0, and
 * +0 + e_i is e_i: so the first block's lanes are set instead of added to
 * +0, and the fold leaves out the levels that would add only vectors the
 * row does not reach (+0). The contract's bits, a shorter chain to S. */
SM_INLINE void loaded_sum(const sm_v xv[], const sm_v t[], size_t nv,
                          size_t last, sm_v vm, sm_v e[], struct row_stats *st)
{
    const sm_v one = v_set1(1.0f), zero = v_set1(0.0f);
    sm_acc acc;
    acc_zero(&acc);
    size_t count = 0;
    for (size_t v = 0; v < nv; v++) {
        const sm_m valid = m_first(v + 1 < nv ? SM_VW : last);
        const sm_m eq = m_and(m_eq(xv[v], vm), valid);
        const sm_v term = v_sel(eq, zero, v_sel(valid, t[v], zero));
        if (v < SM_VPB)
            acc_set(&acc, (int)v, term);
        else
            acc_add(&acc, (int)(v % SM_VPB), term);
        count += m_count(eq);
        e[v] = v_sel(eq, one, t[v]);
    }
    st->k = (double)count;
    st->s = acc_fold_nv(&acc, nv < SM_VPB ? nv : SM_VPB);
}

/* Rows of one block (n <= 32), kept in registers from load to store: the
 * same operations as the general path (extremum, exps, the lanes' fold,
 * r = 1/S, e * r), without its passes over memory and per-pass set-up,
 * which dominate short rows. block_stats_rows_nv leaves row j's e_i (1 for
 * the entries equal to M) in e[j] and its statistics, as row_stats would
 * return them, in st[j], for rows (<= SM_BLOCK_ROWS) rows of nv vectors
 * ldx apart. One row is one chain of dependent steps (load, extremum,
 * broadcast, exps, fold), too long for the core to overlap with the next
 * row's; taking each step for every row in turn gives it independent
 * work beside each chain. block_stats_loaded_nv takes the rows
 * block_load_rows loaded. */
SM_INLINE void block_stats_loaded_nv(sm_v xv[][SM_VPB], size_t rows,
                                     size_t n, size_t nv, float beta,
                                     sm_v e[][SM_VPB], struct row_stats st[])
{
    const bool use_max = beta > 0;
    const size_t last = n - (nv - 1) * SM_VW; /* lanes in the last vector */
    const sm_v vb = v_set1(beta);
    sm_v vm[SM_BLOCK_ROWS];
    sm_v ev[SM_BLOCK_ROWS * SM_VPB]; /* row j's vector v at j * nv + v */
    for (size_t j = 0; j < rows; j++) {
        st[j].m = loaded_extremum(xv[j], nv, use_max);
        vm[j] = v_set1(st[j].m);
    }
    for (size_t j = 0; j < rows; j++)
        loaded_diffs(xv[j], nv, last, vm[j], vb, ev + j * nv);
    exp_nonpos_vecs(ev, rows * nv);
    for (size_t j = 0; j < rows; j++)
        loaded_sum(xv[j], ev + j * nv, nv, last, vm[j], e[j], &st[j]);
}

SM_INLINE void block_stats_rows_nv(const float *x, size_t ldx, size_t rows,
                                   size_t n, size_t nv, float beta,
                                   sm_v e[][SM_VPB], struct row_stats st[])
{
    sm_v xv[SM_BLOCK_ROWS][SM_VPB];
    block_load_rows(x, ldx, rows, n, nv, beta, xv);
    block_stats_loaded_nv(xv, rows, n, nv, beta, e, st);
}

/* The statistics of rows (<= SM_ROW_GROUP) one-block rows ldx apart,
 * SM_BLOCK_ROWS at a time: row j's e_i in e[j], its statistics in st[j]
 * and, with xv, its loaded vectors in xv[j]. */
SM_INLINE void block_group_stats_nv(const float *x, size_t ldx, size_t rows,
                                    size_t n, size_t nv, float beta,
                                    sm_v xv[][SM_VPB], sm_v e[][SM_VPB],
                                    struct row_stats st[])
{
    for (size_t j = 0; j < rows; j += SM_BLOCK_ROWS) {
        sm_v loaded[SM_BLOCK_ROWS][SM_VPB];
        sm_v(*xj)[SM_VPB] = xv ? xv + j : loaded;
        const float *rj = x + j * ldx;
        if (rows - j >= SM_BLOCK_ROWS) { /* constant row counts unroll */
            block_load_rows(rj, ldx, SM_BLOCK_ROWS, n, nv, beta, xj);
            block_stats_loaded_nv(xj, SM_BLOCK_ROWS, n, nv, beta, e + j,
                                  st + j);
        } else {
            block_load_rows(rj, ldx, 1, n, nv, beta, xj);
            block_stats_loaded_nv(xj, 1, n, nv, beta, e + j, st + j);
        }
    }
}

/* One row's block_stats_rows_nv. */
SM_INLINE struct row_stats block_stats_nv(const float *x, size_t n,
                                          size_t nv, float beta,
                                          sm_v e[SM_VPB])
{
    struct row_stats st;
    block_stats_rows_nv(x, 0, 1, n, nv, beta, (sm_v(*)[SM_VPB])e, &st);
    return st;
}

/* Stores one loaded row of one block: softmax e * r with c = r, or with
 * log, log-softmax t - L with c = L, t = beta (x - M) (0 at M);
 * next_row_follows as store_row_vec's. */
SM_INLINE void block_store_row(const sm_v xv[], const sm_v e[],
                               struct row_stats st, float c, size_t n,
                               size_t nv, float beta, float *y, bool log,
                               bool next_row_follows)
{
    if (limit_row(y, n, row_class(st, beta), log ? -INFINITY : 0.0f))
        return;
    const size_t last = n - (nv - 1) * SM_VW;
    const sm_v vm = v_set1(st.m), vb = v_set1(beta), vc = v_set1(c);
    for (size_t v = 0; v < nv; v++) {
        const sm_v out =
            log ? v_sub(t_of(xv[v], vm, vb), vc)
                : v_mul(e[v], vc);
        store_row_vec(y, v, nv, last, out, next_row_follows);
    }
}

/* softmax of rows (<= SM_BLOCK_ROWS) loaded rows of one block, side by
 * side, to y: the general path's operations. */
SM_INLINE void softmax_block_loaded_nv(sm_v xv[][SM_VPB], size_t rows,
                                       size_t n, size_t nv, float beta,
                                       float *y, size_t ldy)
{
    sm_v e[SM_BLOCK_ROWS][SM_VPB];
    struct row_stats st[SM_BLOCK_ROWS];
    block_stats_loaded_nv(xv, rows, n, nv, beta, e, st);
    for (size_t j = 0; j < rows; j++)
        block_store_row(xv[j], e[j], st[j], (float)(1.0 / (st[j].k + st[j].s)),
                        n, nv, beta, y + j * ldy, false, false);
}

/* log-softmax into y, or logsumexp into result, of a batch of one-block
 * rows, a group at a time: statistics two rows at a time, the group's L in
 * one log1p pass (not a scalar call per row), then t - L. In place, only
 * each group's first loads wait for the stores before them. */
SM_INLINE void log_block_rows_nv(size_t rows, size_t n, size_t nv, float beta,
                                 const float *x, size_t ldx, float *y,
                                 size_t ldy, float *result)
{
    double logk[SM_LOGK_MAX + 1];
    logk_init(logk, n);
    for (size_t r0 = 0; r0 < rows; r0 += SM_ROW_GROUP) {
        const size_t nr = row_group_rows(r0, rows);
        sm_v xv[SM_ROW_GROUP][SM_VPB], e[SM_ROW_GROUP][SM_VPB];
        struct row_stats st[SM_ROW_GROUP];
        double l[SM_ROW_GROUP];
        block_group_stats_nv(x + r0 * ldx, ldx, nr, n, nv, beta,
                             y ? xv : NULL, e, st);
        row_group_log_partition(st, nr, logk, l);
        for (size_t j = 0; j < nr; j++) {
            if (y)
                block_store_row(xv[j], e[j], st[j], (float)l[j], n, nv, beta,
                                y + (r0 + j) * ldy, true, false);
            else
                result[r0 + j] = logsumexp_of(st[j], beta, l[j]);
        }
    }
}

/* softmax of every row of a batch of one-block rows, two at a time. The
 * next two rows are loaded before these are stored: in place, a load that
 * follows a masked store to the same 64 bytes waits for that store to
 * complete. Rows do not overlap, so the order changes nothing
 * else. */
SM_INLINE void softmax_block_rows_nv(size_t rows, size_t n, size_t nv,
                                     float beta, const float *x, size_t ldx,
                                     float *y, size_t ldy)
{
    sm_v cur[SM_BLOCK_ROWS][SM_VPB], next[SM_BLOCK_ROWS][SM_VPB];
    size_t r = 0;
    if (rows >= SM_BLOCK_ROWS)
        block_load_rows(x, ldx, SM_BLOCK_ROWS, n, nv, beta, cur);
    for (; r + SM_BLOCK_ROWS <= rows; r += SM_BLOCK_ROWS) {
        const bool more = r + 2 * SM_BLOCK_ROWS <= rows;
        if (more)
            block_load_rows(x + (r + SM_BLOCK_ROWS) * ldx, ldx, SM_BLOCK_ROWS,
                            n, nv, beta, next);
        softmax_block_loaded_nv(cur, SM_BLOCK_ROWS, n, nv, beta, y + r * ldy,
                                ldy);
        if (more)
            memcpy(cur, next, sizeof cur);
    }
    for (; r < rows; r++) {
        block_load_rows(x + r * ldx, ldx, 1, n, nv, beta, cur);
        softmax_block_loaded_nv(cur, 1, n, nv, beta, y + r * ldy, ldy);
    }
}

SM_INLINE void block_rows_out_nv(size_t rows, size_t n, size_t nv,
                                 float beta, const float *x, size_t ldx,
                                 float *y, size_t ldy, bool log)
{
    if (log)
        log_block_rows_nv(rows, n, nv, beta, x, ldx, y, ldy, NULL);
    else
        softmax_block_rows_nv(rows, n, nv, beta, x, ldx, y, ldy);
}

/* SM_WITH_BLOCK_NV(nv, CALL) runs CALL(k), which returns, with k the
 * row's vector count nv (1 <= nv <= SM_VPB) as a constant in each case,
 * so that the _nv function's loops unroll and its arrays live in
 * registers. The scalar kernels (SM_VPB = 32) would need too many cases:
 * nv stays a variable there. */
#if SM_VPB <= 2
#define SM_BLOCK_CASES(CALL) case 1: CALL(1); case 2: CALL(2);
#elif SM_VPB <= 4
#define SM_BLOCK_CASES(CALL) \
    case 1: CALL(1); case 2: CALL(2); case 3: CALL(3); case 4: CALL(4);
#elif SM_VPB <= 8
#define SM_BLOCK_CASES(CALL) \
    case 1: CALL(1); case 2: CALL(2); case 3: CALL(3); case 4: CALL(4); \
    case 5: CALL(5); case 6: CALL(6); case 7: CALL(7); case 8: CALL(8);
#else
#define SM_BLOCK_CASES(CALL) /* scalar: too many cases to unroll */
#endif
/* The switch over CASES(CALL), every nv it may see among its cases. */
#define SM_WITH_NV_CASES(nv, CASES, CALL)                                  \
    do {                                                                   \
        switch (nv) {                                                      \
            CASES(CALL)                                                    \
        }                                                                  \
        SM_UNREACHABLE();                                                  \
    } while (0)
#if SM_VPB <= 8
#define SM_WITH_BLOCK_NV(nv, CALL) SM_WITH_NV_CASES(nv, SM_BLOCK_CASES, CALL)
#else
#define SM_WITH_BLOCK_NV(nv, CALL) do { CALL(nv); } while (0)
#endif

/* softmax or log-softmax of a batch of rows of at most 32 entries. */
SM_INLINE void block_rows_out(size_t rows, size_t n, float beta,
                              const float *x, size_t ldx, float *y,
                              size_t ldy, bool log)
{
    const size_t nv = (n + SM_VW - 1) / SM_VW;
#define SM_CALL(k) \
    block_rows_out_nv(rows, n, k, beta, x, ldx, y, ldy, log); return
    SM_WITH_BLOCK_NV(nv, SM_CALL);
#undef SM_CALL
}

/* The statistics of a one-block row, and with y its e_i, as row_stats. */
SM_INLINE struct row_stats block_stats_to_nv(const float *x, size_t n,
                                             size_t nv, float beta,
                                             float *y)
{
    sm_v e[SM_VPB];
    const struct row_stats st = block_stats_nv(x, n, nv, beta, e);
    const size_t last = n - (nv - 1) * SM_VW;
    for (size_t v = 0; y && v < nv; v++)
        store_row_vec(y, v, nv, last, e[v], false);
    return st;
}

SM_INLINE struct row_stats block_row_stats(const float *x, size_t n,
                                           float beta, float *y)
{
    const size_t nv = (n + SM_VW - 1) / SM_VW;
#define SM_CALL(k) return block_stats_to_nv(x, n, k, beta, y)
    SM_WITH_BLOCK_NV(nv, SM_CALL);
#undef SM_CALL
}
#endif /* SM_VLA */

#endif
