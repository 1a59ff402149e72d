/*
 * Row groups: SM_ROW_GROUP consecutive rows whose statistics go ahead of
 * their output passes, with their L in one log1p pass, and the call's
 * cache of log K.
 */
#ifndef SM_ROW_GROUPS_H
#define SM_ROW_GROUPS_H

#include "common/row_stats.h"

/* l[j] = log_partition(K, S'') of rows (<= SM_ROW_GROUP) rows' statistics,
 * their log1p in one vector pass. Groups of 16 rows, not 8: the log1p's
 * latency then holds up half as many rows. */
#define SM_ROW_GROUP 16
_Static_assert(SM_ROW_GROUP % SM_LOG1P_LANES == 0, "whole log1p calls");

/* The rows of the group that starts at row r0 of rows [.., end). */
static inline size_t row_group_rows(size_t r0, size_t end)
{
    return end - r0 < SM_ROW_GROUP ? end - r0 : SM_ROW_GROUP;
}

/* Batches of log-softmax and logsumexp rows longer than a block and of at
 * most this many entries compute a group's statistics and L ahead of its
 * output passes: a lone row's L is a log1p chain that held up its pass.
 * Not longer: such rows no longer stay in L1 for their second pass. */
#define SM_ROW_GROUP_MAX_COLS 1024

/* log K for a row's count K of entries at M, once per K <= SM_LOGK_MAX in
 * a call (logk from logk_init; 0: not yet): ties at M are common, e.g.
 * every row of a gradient fed back in place or of logits that start at 0,
 * and a scalar log per row doubled the time of a short-row cross-entropy
 * (32 here is too few for rows of 100). */
#define SM_LOGK_MAX 128

/* Clears the entries of logk a row of n can reach (K <= n). */
static inline void logk_init(double logk[SM_LOGK_MAX + 1], size_t n)
{
    const size_t top = n < SM_LOGK_MAX ? n : SM_LOGK_MAX;
    for (size_t k = 0; k <= top; k++)
        logk[k] = 0.0;
}

static inline double log_count(double logk[SM_LOGK_MAX + 1], double k)
{
    if (!(k <= SM_LOGK_MAX))
        return SM_LOGD(k);
    double *p = &logk[(size_t)k];
    if (*p == 0.0)
        *p = SM_LOGD(k);
    return *p;
}

static inline void row_group_log_partition(const struct row_stats st[],
                                           size_t rows,
                                           double logk[SM_LOGK_MAX + 1],
                                           double l[])
{
    row_group_log1p(st, rows, l);
    for (size_t j = 0; j < rows; j++)
        if (st[j].k != 1.0)
            l[j] += log_count(logk, st[j].k);
}

#endif
