/*
 * The row statistics of the numerics contract, written once for every ISA:
 * the extremum M, the count K of entries equal to it and the scaled sum S''
 * of the others, chunk by chunk, merged as the contract says; and the
 * triage of a row by them.
 */
#ifndef SM_ROW_STATS_H
#define SM_ROW_STATS_H

#include "common/chunk_sum.h"

/* Row statistics: M (the extremum), K (entries equal to M) and S'' (the
 * scaled sum of the others), combined over chunks as the contract says. */
struct row_stats {
    float m;
    double k, s;
};

/* The statistics with no entries: no count, no sum, and an extremum that
 * every entry equals or beats (beta = 0 weighs every entry alike: M = 0). */
static inline struct row_stats empty_stats(float beta)
{
    const struct row_stats st = {
        beta > 0 ? -INFINITY : beta < 0 ? INFINITY : 0.0f, 0.0, 0.0};
    return st;
}

/* *into = the statistics of the entries of *into and *from together: the
 * side with the extremum on beta's side keeps its K and S'' and adds the
 * other's K + S'' scaled by exp(beta (m_other - M)) (SLEEF's double exp).
 * Symmetric in its operands, bit for bit. A row longer than a chunk is its
 * chunks merged in order, so a state folded chunk by chunk
 * (softmax_state.h) has the one-shot statistics. */
static inline void merge_stats(struct row_stats *into,
                               const struct row_stats *from, float beta)
{
    if (from->m == into->m) {
        into->k += from->k;
        into->s += from->s;
        return;
    }
    const bool from_wins = beta > 0 ? from->m > into->m : from->m < into->m;
    const struct row_stats w = from_wins ? *from : *into;
    const struct row_stats l = from_wins ? *into : *from;
    const double scale = SM_EXPD((double)beta * ((double)l.m - (double)w.m));
    into->m = w.m;
    into->k = w.k;
    into->s = w.s + scale * (l.k + l.s);
}

SM_INLINE struct row_stats chunk_stats(const float *x, size_t n, float beta,
                                       float *y, bool store_t)
{
    struct row_stats st;
    size_t k;
    st.m = row_extremum(x, n, beta > 0);
    st.s = chunk_sum(x, n, st.m, beta, y, &k, store_t);
    st.k = (double)k;
    return st;
}

/* Merges the chunks of the n entries at x into *row, in order, each while
 * it is in cache (two reads). */
SM_INLINE void merge_chunks(struct row_stats *row, const float *x, size_t n,
                            float beta)
{
    for (size_t at = 0; at < n; at += SM_CHUNK) {
        const size_t len = sm_chunk_len(n, at);
        const struct row_stats chunk =
            chunk_stats(x + at, len, beta, NULL, false);
        merge_stats(row, &chunk, beta);
    }
}

/* y (optional, single-chunk rows only) receives e_i as a by-product. Out
 * of line, and not cloned per call site (one copy serves every op). */
static SM_NOCLONE __attribute__((unused)) struct row_stats
row_stats(const float *x, size_t n, float beta, float *y)
{
    if (n <= SM_CHUNK)
        return chunk_stats(x, n, beta, y, false);
    struct row_stats row = empty_stats(beta);
    merge_chunks(&row, x, n, beta);
    return row;
}

/* Log-softmax out of place stores t_i in its exp pass and then subtracts L
 * from y in cache, where the ISA sums without tiles (AVX-512, SVE): the
 * stores go out while the exps keep the core busy, instead of in a pass
 * of their own. With tiles (AVX2, NEON) the extra stores cost more than
 * that saves; in place there is nothing to save. */
#define SM_LOG_STORES_T (SM_SUM_TILE == 0)

#if SM_LOG_STORES_T
/* row_stats of a row of at most one chunk that stores t_i = beta (x_i - M)
 * (+0 for the entries equal to M, as t_of) into t: log-softmax's output
 * before its shift by L. */
static SM_NOCLONE __attribute__((unused)) struct row_stats
row_stats_t(const float *x, size_t n, float beta, float *t)
{
    return chunk_stats(x, n, beta, t, true);
}
#endif

/* A fully masked row: every entry is the wrong infinity for this beta. */
static inline bool row_is_masked(float m, float beta)
{
    return m == (beta > 0 ? -INFINITY : INFINITY);
}

/* The one NaN every kernel writes: 0x7fc00000, positive and quiet. Which
 * NaN an instruction returns from two NaN operands, or creates (as
 * inf - inf), differs between ISAs and with the compiler's operand order,
 * so every output that can be NaN goes through one of these. */
static const float sm_qnan = NAN;

/* The contract's triage of a row by its statistics: a row with a NaN has
 * NaN outputs; a fully masked row has the limits (softmax 0, log-softmax
 * and logsumexp -inf); every other row is ordinary. With beta = 0 (M = 0,
 * as empty_stats) no row is masked. */
enum row_class { ROW_ORDINARY, ROW_NAN, ROW_MASKED };

static inline enum row_class row_class(struct row_stats st, float beta)
{
    if (isnan(st.k + st.s))
        return ROW_NAN;
    return row_is_masked(st.m, beta) ? ROW_MASKED : ROW_ORDINARY;
}

/* The output of every entry of a row that is not ordinary: NaN, or masked
 * (the op's limit) for a fully masked row. */
static inline float row_limit(enum row_class c, float masked)
{
    return c == ROW_NAN ? sm_qnan : masked;
}

static inline bool row_has_nan(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (x[i] != x[i])
            return true;
    return false;
}

/* L = log(K) + log1p(S'' / K): exact for a dominant class. */
static inline double log_partition(double k, double s)
{
    if (k == 1.0) /* the usual case; log(1) + y is y: the same bits */
        return log1p_one(s);
    return SM_LOGD(k) + log1p_one(s / k);
}

/* S''/K of row j of st, 0 past the rows: log1p's argument. */
static inline double log1p_arg(const struct row_stats st[], size_t rows,
                               size_t j)
{
    if (j >= rows)
        return 0.0;
    return st[j].k == 1.0 ? st[j].s : st[j].s / st[j].k;
}

/* l[j] = log1p(S''/K) of rows (any number) rows' statistics,
 * SM_LOG1P_LANES at a time (the last 4 or fewer, 4 at a time: a lone row
 * waits for the shorter latency), log_partition's bits; l has room for
 * rows rounded up to SM_LOG1P_LANES. The lanes are built from st in
 * registers: a vector load of an array just stored entry by entry waits
 * for the stores to reach the cache (a third more time for a 16-element
 * logsumexp). Rows with a NaN, or none to compute, give values nobody
 * reads. */
static inline void row_group_log1p(const struct row_stats st[], size_t rows,
                                   double l[])
{
    size_t j = 0;
    for (; j < rows && rows - j > 4; j += SM_LOG1P_LANES) {
        sm_dv y;
        for (size_t i = 0; i < SM_LOG1P_LANES; i++)
            y[i] = log1p_arg(st, rows, j + i);
        const sm_dv r = log1p_dv(y);
        memcpy(l + j, &r, sizeof r);
    }
    if (j < rows) {
        const sm_d4 y = {log1p_arg(st, rows, j), log1p_arg(st, rows, j + 1),
                         log1p_arg(st, rows, j + 2), log1p_arg(st, rows, j + 3)};
        const sm_d4 r = log1p_d4(y);
        memcpy(l + j, &r, sizeof r);
    }
}

#endif
