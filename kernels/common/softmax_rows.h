/*
 * softmax, log-softmax and logsumexp of rows: each op's plan (a lone
 * short row, column groups, one-block rows, wide rows, row groups, rows
 * of one chunk or many) and its entry point in the kernel table.
 */
#ifndef SM_SOFTMAX_ROWS_H
#define SM_SOFTMAX_ROWS_H

#include "common/columns.h"
#include "common/wide_rows.h"

/* Rows longer than the register rows take row_stats_t (row_stats.h). */
#ifdef SM_REGISTER_ROW_MAX
#define SM_LOG_T_MIN_COLS SM_REGISTER_ROW_MAX
#else
#define SM_LOG_T_MIN_COLS 0
#endif

/* row_stats, with rows of one block and wide rows from registers. */
SM_INLINE struct row_stats short_row_stats(const float *x, size_t n,
                                           float beta, float *y)
{
#ifndef SM_VLA
    if (n <= 32)
        return block_row_stats(x, n, beta, y);
#ifdef SM_WIDE_VECS
    if (n <= SM_REGISTER_ROW_MAX) {
        struct row_stats st;
        wide_rows_stats(x, 0, 1, n, beta, y, 0, &st);
        return st;
    }
#endif
#endif
    return row_stats(x, n, beta, y);
}

/* Softmax of a row longer than a chunk (beta != 0), one exp per entry:
 * each chunk's e_i against its own extremum m_b go to y while the chunk is
 * in cache, and are then scaled by chunk_scale(m_b). Past SM_KEPT_CHUNKS a
 * chunk's m_b is found again from x, which is left intact for it, and its
 * e_i recomputed: the same bits. */
static SM_NOCLONE __attribute__((unused)) void
softmax_long_row(const float *x, size_t n, float beta, float *y)
{
    float kept[SM_KEPT_CHUNKS];
    struct row_stats row = empty_stats(beta);
    for (size_t b = 0, at = 0; at < n; b++, at += SM_CHUNK) {
        const size_t len = sm_chunk_len(n, at);
        const bool keep = b < SM_KEPT_CHUNKS;
        const struct row_stats chunk =
            row_stats(x + at, len, beta, keep ? y + at : NULL);
        if (keep)
            kept[b] = chunk.m;
        merge_stats(&row, &chunk, beta);
    }
    if (limit_row(y, n, row_class(row, beta), 0.0f))
        return;
    const double s = row.k + row.s;
    for (size_t b = 0, at = 0; at < n; b++, at += SM_CHUNK) {
        const size_t len = sm_chunk_len(n, at);
        if (b < SM_KEPT_CHUNKS) {
            scale(y + at, len, chunk_scale(kept[b], row.m, beta, s));
        } else {
            const float mb = row_extremum(x + at, len, beta > 0);
            exp_scale(x + at, len, mb, beta,
                      chunk_scale(mb, row.m, beta, s), y + at);
        }
    }
}

SM_INLINE void softmax_row(const float *x, size_t n, float beta, float *y)
{
    if (n == 0)
        return;
    if (beta == 0.0f) {
        fill(y, n, row_has_nan(x, n) ? sm_qnan : (float)(1.0 / (double)n));
        return;
    }
#ifndef SM_VLA
    if (n <= 32) {
        block_rows_out(1, n, beta, x, 0, y, 0, false);
        return;
    }
#ifdef SM_WIDE_VECS
    if (n <= SM_REGISTER_ROW_MAX) {
        softmax_wide_row(x, n, beta, y);
        return;
    }
#endif
#endif
    if (n > SM_CHUNK) {
        softmax_long_row(x, n, beta, y);
        return;
    }
    const struct row_stats st = row_stats(x, n, beta, y);
    if (!limit_row(y, n, row_class(st, beta), 0.0f))
        scale(y, n, (float)(1.0 / (st.k + st.s)));
}

SM_INLINE void log_softmax_row(const float *x, size_t n, float beta, float *y)
{
    if (n == 0)
        return;
    if (beta == 0.0f) {
        fill(y, n, row_has_nan(x, n) ? sm_qnan
                   : 0.0f - (float)log_partition((double)n, 0.0));
        return;
    }
#if SM_LOG_STORES_T
    if (y != x && n > SM_LOG_T_MIN_COLS && n <= SM_CHUNK) {
        const struct row_stats st = row_stats_t(x, n, beta, y);
        const bool ordinary = row_class(st, beta) == ROW_ORDINARY;
        log_softmax_from_t(n, beta, st,
                           ordinary ? log_partition(st.k, st.s) : 0.0, y);
        return;
    }
#endif
    const struct row_stats st = short_row_stats(x, n, beta, NULL);
    const bool ordinary = row_class(st, beta) == ROW_ORDINARY;
    log_softmax_from(x, n, beta, st,
                     ordinary ? log_partition(st.k, st.s) : 0.0, y);
}

/* Statistics of rows (<= SM_ROW_GROUP) rows (beta != 0) and their L in
 * one log1p pass, ahead of the rows' output passes; y (optional, rows of
 * one chunk) receives e_i as with row_stats. */
SM_INLINE void row_group_stats(const float *x, size_t ldx, size_t rows,
                               size_t n, float beta, float *y, size_t ldy,
                               double logk[SM_LOGK_MAX + 1],
                               struct row_stats st[], double l[])
{
#if defined(SM_WIDE_VECS) && !defined(SM_VLA)
    if (n > 32 && n <= SM_REGISTER_ROW_MAX) /* one call for the group's rows */
        wide_rows_stats(x, ldx, rows, n, beta, y, ldy, st);
    else
#endif
        for (size_t j = 0; j < rows; j++)
            st[j] = short_row_stats(x + j * ldx, n, beta,
                                    y ? y + j * ldy : NULL);
    row_group_log_partition(st, rows, logk, l);
}

SM_INLINE float logsumexp_row(const float *x, size_t n, float beta)
{
    if (n == 0)
        return -INFINITY;
    if (beta == 0.0f)
        return row_has_nan(x, n) ? sm_qnan
               : (float)log_partition((double)n, 0.0);
    const struct row_stats st = short_row_stats(x, n, beta, NULL);
    return logsumexp_of(st, beta, log_partition(st.k, st.s));
}

#ifndef SM_VLA
SM_INLINE void logsumexp_block_rows(size_t rows, size_t n, float beta,
                                    const float *x, size_t ldx, float *result)
{
    const size_t nv = (n + SM_VW - 1) / SM_VW;
#define SM_CALL(k) \
    log_block_rows_nv(rows, n, k, beta, x, ldx, NULL, 0, result); return
    SM_WITH_BLOCK_NV(nv, SM_CALL);
#undef SM_CALL
}
#endif

/* Log-softmax into y, or logsumexp into result, of rows of at most
 * SM_ROW_GROUP_MAX_COLS entries (beta != 0), a group of rows at a time. */
SM_INLINE void row_grouped_log_rows(size_t rows, size_t cols, float beta,
                                    const float *x, size_t ldx, float *y,
                                    size_t ldy, float *result)
{
    double logk[SM_LOGK_MAX + 1];
    logk_init(logk, cols);
    for (size_t r0 = 0; r0 < rows; r0 += SM_ROW_GROUP) {
        const size_t nr = row_group_rows(r0, rows);
        struct row_stats st[SM_ROW_GROUP];
        double l[SM_ROW_GROUP];
#if SM_LOG_STORES_T
        if (y && y != x && cols > SM_LOG_T_MIN_COLS) { /* as one row */
            for (size_t j = 0; j < nr; j++)
                st[j] = row_stats_t(x + (r0 + j) * ldx, cols, beta,
                                    y + (r0 + j) * ldy);
            row_group_log_partition(st, nr, logk, l);
            for (size_t j = 0; j < nr; j++)
                log_softmax_from_t(cols, beta, st[j], l[j], y + (r0 + j) * ldy);
            continue;
        }
#endif
        row_group_stats(x + r0 * ldx, ldx, nr, cols, beta, NULL, 0, logk,
                        st, l);
        for (size_t j = 0; j < nr; j++) {
            if (y)
                log_softmax_from(x + (r0 + j) * ldx, cols, beta, st[j], l[j],
                                 y + (r0 + j) * ldy);
            else
                result[r0 + j] = logsumexp_of(st[j], beta, l[j]);
        }
    }
}

#ifndef SM_VLA
/* block_rows_out, but rows of at most SM_VW entries go SM_VW at a time as
 * column groups where the ISA has them; the rest, and any group with a NaN
 * or a masked row, by rows. */
SM_INLINE void block_or_col_rows_out(size_t rows, size_t n, float beta,
                                     const float *x, size_t ldx, float *y,
                                     size_t ldy, bool log)
{
    double logk[SM_LOGK_MAX + 1];
    logk_init(logk, n);
#define SM_COL_GROUP(r0)                                                   \
    (log ? log_softmax_col_group(x + (r0) * ldx, ldx, n, beta,             \
                                 y + (r0) * ldy, ldy, logk)          \
         : softmax_col_group(x + (r0) * ldx, ldx, n, beta, y + (r0) * ldy, \
                             ldy))
#define SM_ROW_SPAN(r0, len)                                               \
    block_rows_out(len, n, beta, x + (r0) * ldx, ldx, y + (r0) * ldy, ldy, \
                   log)
    SM_WALK_COL_GROUPS(rows, n <= SM_VW, SM_COL_GROUP, SM_ROW_SPAN);
#undef SM_COL_GROUP
#undef SM_ROW_SPAN
}
#endif

/* softmax or, with log, log-softmax of every row. */
SM_INLINE void rows_out(size_t rows, size_t cols, float beta, const float *x,
                        size_t ldx, float *y, size_t ldy, bool log)
{
#ifndef SM_VLA
    if (cols > 0 && cols <= 32 && beta != 0.0f) {
        block_or_col_rows_out(rows, cols, beta, x, ldx, y, ldy, log);
        return;
    }
#endif
    if (log && beta != 0.0f && cols > 0 && cols <= SM_ROW_GROUP_MAX_COLS) {
        row_grouped_log_rows(rows, cols, beta, x, ldx, y, ldy, NULL);
        return;
    }
    for (size_t r = 0; r < rows; r++) {
        if (log)
            log_softmax_row(x + r * ldx, cols, beta, y + r * ldy);
        else
            softmax_row(x + r * ldx, cols, beta, y + r * ldy);
    }
}

/* The batch paths, out of line (see one_row_softmax), one copy per op. */
static __attribute__((noinline)) void
softmax_batch(size_t rows, size_t cols, float beta, const float *x, size_t ldx,
              float *y, size_t ldy)
{
    rows_out(rows, cols, beta, x, ldx, y, ldy, false);
}

static __attribute__((noinline)) void
log_softmax_batch(size_t rows, size_t cols, float beta, const float *x,
                  size_t ldx, float *y, size_t ldy)
{
    rows_out(rows, cols, beta, x, ldx, y, ldy, true);
}

#ifndef SM_VLA /* where SM_VPB is a constant the preprocessor can read */
#if SM_VPB <= 8
#define SM_ONE_ROW 1
#endif
#endif
#ifdef SM_ONE_ROW
/* A lone row of at most SM_REGISTER_ROW_MAX entries, as block_rows_out or
 * softmax_wide_row_nv computes it. */
SM_INLINE void one_row_out_nv(const float *x, size_t n, size_t nv, float beta,
                              float *y, bool log)
{
#ifdef SM_WIDE_VECS
    sm_v xv[SM_WIDE_VECS], e[SM_WIDE_VECS];
#else
    sm_v xv[SM_VPB], e[SM_VPB];
#endif
    struct row_stats st;
    if (nv <= SM_VPB) { /* as a block of one row */
        block_load_rows(x, 0, 1, n, nv, beta, (sm_v(*)[SM_VPB])xv);
        block_stats_loaded_nv((sm_v(*)[SM_VPB])xv, 1, n, nv, beta,
                              (sm_v(*)[SM_VPB])e, &st);
    } else {
#ifdef SM_WIDE_VECS
        st = wide_row_stats_nv(x, n, nv, beta, xv, e);
#else
        SM_UNREACHABLE();
#endif
    }
    const bool ordinary = row_class(st, beta) == ROW_ORDINARY;
    const float c = !log ? (float)(1.0 / (st.k + st.s))
                    : ordinary ? (float)log_partition(st.k, st.s) : 0.0f;
    block_store_row(xv, e, st, c, n, nv, beta, y, log, nv > SM_VPB);
}

SM_INLINE void one_row_out(const float *x, size_t n, float beta, float *y,
                           bool log)
{
    const size_t nv = (n + SM_VW - 1) / SM_VW;
#define SM_CALL(k) one_row_out_nv(x, n, k, beta, y, log); return
    switch (nv) {
        SM_BLOCK_CASES(SM_CALL)
#ifdef SM_WIDE_VECS
        SM_WIDE_CASES(SM_CALL)
#endif
    }
#undef SM_CALL
    SM_UNREACHABLE();
}

/* The call for one row of at most SM_REGISTER_ROW_MAX entries (a sampler's, a
 * decoder's) comes here, out of line and clear of the batch paths: their
 * frame (a realigned stack, the spills of many live vectors) and their
 * set-up (the log K cache, the group's arrays) would slow a lone short
 * row down. */
static __attribute__((noinline)) void one_row_softmax(const float *x, size_t n,
                                                      float beta, float *y)
{
    one_row_out(x, n, beta, y, false);
}

static __attribute__((noinline)) void
one_row_log_softmax(const float *x, size_t n, float beta, float *y)
{
    one_row_out(x, n, beta, y, true);
}

static __attribute__((noinline)) float one_row_logsumexp(const float *x,
                                                         size_t n, float beta)
{
    return logsumexp_row(x, n, beta);
}

static inline bool is_one_short_row(size_t rows, size_t cols, float beta)
{
    return rows == 1 && cols - 1 < SM_REGISTER_ROW_MAX && beta != 0.0f;
}
#endif

static void softmax_rows(size_t rows, size_t cols, float beta, const float *x,
                         size_t ldx, float *y, size_t ldy)
{
#ifdef SM_ONE_ROW
    if (is_one_short_row(rows, cols, beta)) {
        one_row_softmax(x, cols, beta, y);
        return;
    }
#endif
    softmax_batch(rows, cols, beta, x, ldx, y, ldy);
}

static void log_softmax_rows(size_t rows, size_t cols, float beta,
                             const float *x, size_t ldx, float *y, size_t ldy)
{
#ifdef SM_ONE_ROW
    if (is_one_short_row(rows, cols, beta)) {
        one_row_log_softmax(x, cols, beta, y);
        return;
    }
#endif
    log_softmax_batch(rows, cols, beta, x, ldx, y, ldy);
}

/* The batch path of logsumexp, out of line as softmax_batch. */
static __attribute__((noinline)) void
logsumexp_batch(size_t rows, size_t cols, float beta, const float *x,
                size_t ldx, float *result)
{
#ifndef SM_VLA
    if (cols > 0 && cols <= 32 && beta != 0.0f) {
        double logk[SM_LOGK_MAX + 1];
        logk_init(logk, cols);
#define SM_COL_GROUP(r0)                                                   \
    logsumexp_col_group(x + (r0) * ldx, ldx, cols, beta, result + (r0),   \
                        logk)
#define SM_ROW_SPAN(r0, len)                                               \
    logsumexp_block_rows(len, cols, beta, x + (r0) * ldx, ldx,             \
                         result + (r0))
        SM_WALK_COL_GROUPS(rows, cols <= SM_VW, SM_COL_GROUP, SM_ROW_SPAN);
#undef SM_COL_GROUP
#undef SM_ROW_SPAN
        return;
    }
#endif
    if (beta != 0.0f && cols > 0 && cols <= SM_ROW_GROUP_MAX_COLS) {
        row_grouped_log_rows(rows, cols, beta, x, ldx, NULL, 0, result);
        return;
    }
    for (size_t r = 0; r < rows; r++)
        result[r] = logsumexp_row(x + r * ldx, cols, beta);
}

static void logsumexp_rows(size_t rows, size_t cols, float beta,
                           const float *x, size_t ldx, float *result)
{
#ifdef SM_ONE_ROW
    if (is_one_short_row(rows, cols, beta)) {
        result[0] = one_row_logsumexp(x, cols, beta);
        return;
    }
#endif
    logsumexp_batch(rows, cols, beta, x, ldx, result);
}

#endif
