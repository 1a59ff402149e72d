/*
 * The row statistics of the numerics contract, written once for every ISA:
 * the extremum M, the count K of entries equal to it and the scaled sum S''
 * of the others, chunk by chunk. The helpers it takes from the ISA's vec.h
 * are listed in kernel_table.h.
 */
#ifndef SM_ROW_STATS_H
#define SM_ROW_STATS_H

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
#include "common/fast_exp.h"
#include "common/log1p.h"

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

/* For t = beta (x - M) <= 0 (or NaN), as in every pass over a row. */
SM_INLINE sm_v exp_nonpos(sm_v t)
{
    return SM_EXP_FAST ? v_exp_fast_nonpos(t) : v_exp(t);
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
 * NaN). The fast exp's range test is taken once for them all, so they are
 * one branch-free stretch whose exp chains the compiler can interleave. */
SM_INLINE void exp_nonpos_vecs(sm_v t[], size_t nv)
{
    if (!SM_EXP_FAST) {
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
        t[v] = v_max(v_set1(-104.0f), t[v]);
        p[v] = exp_fast_poly(t[v], &z[v]);
        normal &= v_all_ge(z[v], v_set1(0x1.8p23f - 125.0f));
    }
    for (size_t v = 0; v < nv; v++)
        t[v] = normal ? v_ldexp_normal(p[v], z[v])
                      : ldexp_split_nonpos(p[v], z[v], t[v]);
}

SM_INLINE void exp_nonpos_block(sm_v t[SM_VPB])
{
    exp_nonpos_vecs(t, SM_VPB);
}

/* A 32-element block at p: its vectors in xv, their exps of beta (x - M)
 * in e. */
SM_INLINE void block_exps(const float *p, sm_v vm, sm_v vb,
                          bool unit_beta, sm_v xv[SM_VPB], sm_v e[SM_VPB])
{
    for (int v = 0; v < SM_VPB; v++) {
        xv[v] = v_load(p + (size_t)v * SM_VW);
        e[v] = beta_times_diff(xv[v], vm, vb, unit_beta);
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

/* One chunk (n <= SM_CHUNK) against its extremum m: k = entries equal to m,
 * returns S' = sum of the other e_i = exp(beta (x_i - m)) in the canonical
 * order. With y, also stores e_i (1 for entries equal to m). With m and
 * beta finite ("finite"), the exp itself returns that 1.
 *
 * Where the 32 double lanes and the exp's constants do not fit in the
 * vector registers together (AVX2: 8 + about 10 of 16), the ISA sets
 * SM_SUM_TILE: the exps of a tile go to a small buffer first and a
 * separate loop, free of anything else, adds them. Same adds, same order. */
#if SM_SUM_TILE
SM_INLINE double chunk_sum_tiled(const float *x, size_t n, float m, float beta,
                                 float *y, size_t *k, bool finite,
                                 bool unit_beta)
{
    const sm_v vm = v_set1(m), vb = v_set1(beta);
    const sm_v one = v_set1(1.0f), zero = v_set1(0.0f);
    sm_acc acc;
    acc_zero(&acc);
    size_t count = 0;
    float ebuf[SM_SUM_TILE] __attribute__((aligned(64)));
    for (size_t base = 0; base < n; base += SM_SUM_TILE) {
        const size_t len = n - base < SM_SUM_TILE ? n - base : SM_SUM_TILE;
        const float *xt = x + base;
        float *yt = y ? y + base : NULL;
        size_t i = 0;
        for (; SM_EXP_FAST && i + 32 <= len; i += 32) {
            sm_v xv[SM_VPB], e[SM_VPB];
            block_exps(xt + i, vm, vb, unit_beta, xv, e);
            for (int v = 0; v < SM_VPB; v++) {
                const sm_m eq = m_eq(xv[v], vm);
                if (yt)
                    v_store(yt + i + (size_t)v * SM_VW,
                            finite ? e[v] : v_sel(eq, one, e[v]));
                v_store(ebuf + i + (size_t)v * SM_VW, v_sel(eq, zero, e[v]));
                count += m_count(eq);
            }
        }
        for (; i + SM_VW <= len; i += SM_VW) {
            const sm_v xv = v_load(xt + i);
            const sm_m eq = m_eq(xv, vm);
            const sm_v e = exp_nonpos(beta_times_diff(xv, vm, vb, unit_beta));
            if (yt)
                v_store(yt + i, finite ? e : v_sel(eq, one, e));
            v_store(ebuf + i, v_sel(eq, zero, e));
            count += m_count(eq);
        }
        if (i < len) {
            const size_t c = len - i;
            const sm_v xv = v_load_part(xt + i, c, m);
            const sm_m valid = m_first(c);
            const sm_m eq = m_and(m_eq(xv, vm), valid);
            const sm_v e = exp_nonpos(beta_times_diff(xv, vm, vb, unit_beta));
            if (yt)
                v_store_part(yt + i, c, v_sel(eq, one, e));
            v_store(ebuf + i, v_sel(eq, zero, v_sel(valid, e, zero)));
            count += m_count(eq);
            i += SM_VW;
        }
        /* A short last tile is padded to whole blocks with +0. */
        const size_t blocks_end = (len + 31) / 32 * 32;
        for (; i < blocks_end; i += SM_VW)
            v_store(ebuf + i, zero);
        for (size_t j = 0; j < blocks_end; j += 32)
            for (int v = 0; v < SM_VPB; v++)
                acc_add(&acc, v, v_load(ebuf + j + (size_t)v * SM_VW));
    }
    *k = count;
    return acc_fold(&acc);
}
#endif

SM_INLINE double chunk_sum_direct(const float *x, size_t n, float m, float beta,
                                  float *y, size_t *k, bool finite,
                                  bool unit_beta)
{
    const sm_v vm = v_set1(m), vb = v_set1(beta);
    const sm_v one = v_set1(1.0f), zero = v_set1(0.0f);
    sm_acc acc;
    acc_zero(&acc);
    size_t count = 0;
    size_t i = 0;
#ifndef SM_VLA
    for (; SM_EXP_FAST && i + 32 <= n; i += 32) {
        sm_v xv[SM_VPB], e[SM_VPB];
        block_exps(x + i, vm, vb, unit_beta, xv, e);
        for (int v = 0; v < SM_VPB; v++) {
            const sm_m eq = m_eq(xv[v], vm);
            if (y)
                v_store(y + i + (size_t)v * SM_VW,
                        finite ? e[v] : v_sel(eq, one, e[v]));
            acc_add_unless(&acc, v, e[v], eq);
            count += m_count(eq);
        }
    }
#endif
    for (; i + 32 <= n; i += 32) {
        for (int v = 0; v < SM_VPB; v++) {
            const sm_v xv = v_load(x + i + (size_t)v * SM_VW);
            const sm_m eq = m_eq(xv, vm);
            const sm_v e = exp_nonpos(beta_times_diff(xv, vm, vb, unit_beta));
            if (y)
                v_store(y + i + (size_t)v * SM_VW, finite ? e : v_sel(eq, one, e));
            acc_add_unless(&acc, v, e, eq);
            count += m_count(eq);
        }
    }
    /* The last partial block: missing lanes add +0 and count nothing. */
    for (int v = 0; v < SM_VPB && i + (size_t)v * SM_VW < n; v++) {
        const size_t at = i + (size_t)v * SM_VW;
        const size_t c = n - at < SM_VW ? n - at : SM_VW;
        const sm_v xv = c == SM_VW ? v_load(x + at) : v_load_part(x + at, c, m);
        const sm_m valid = m_first(c);
        const sm_m eq = m_and(m_eq(xv, vm), valid);
        const sm_v e = exp_nonpos(beta_times_diff(xv, vm, vb, unit_beta));
        if (y) {
            const sm_v out = v_sel(eq, one, e);
            if (c == SM_VW)
                v_store(y + at, out);
            else
                v_store_part(y + at, c, out);
        }
        acc_add(&acc, v, v_sel(eq, zero, v_sel(valid, e, zero)));
        count += m_count(eq);
    }
    *k = count;
    return acc_fold(&acc);
}

#if !SM_EXP_FAST && !defined(SM_VLA)
/* With SLEEF's exp, an out-of-line call after which no vector register
 * survives, the sums, the count and the masks would be stored and reloaded
 * around every call. So a tile's exps come first, in a loop where nothing
 * else is live, into y (when given, and not in place) or a buffer, and a
 * second loop takes x and the exps back for the count and the double sums.
 * Tiles are whole blocks: the same adds in the same order as
 * chunk_sum_direct. */
#define SM_EXP_CALL_TILE 512
#define SM_EXP_CALL_ROW_MIN 256

/* e_i = exp(beta (x_i - m)) of n entries. Out of line, so that the
 * caller's sums are not live (and spilled) around each call. */
static __attribute__((noinline)) void
exps_of_tile(const float *x, size_t n, float m, float beta, bool unit_beta,
             float *e)
{
    const sm_v vm = v_set1(m), vb = v_set1(beta);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW)
        v_store(e + i,
                v_exp(beta_times_diff(v_load(x + i), vm, vb, unit_beta)));
    if (i < n)
        v_store_part(e + i, n - i,
                     v_exp(beta_times_diff(v_load_part(x + i, n - i, m), vm,
                                           vb, unit_beta)));
}

SM_INLINE double chunk_sum_exp_calls(const float *x, size_t n, float m,
                                     float beta, float *y, size_t *k,
                                     bool finite, bool unit_beta)
{
    const sm_v vm = v_set1(m);
    const sm_v one = v_set1(1.0f), zero = v_set1(0.0f);
    sm_acc acc;
    acc_zero(&acc);
    size_t count = 0;
    float ebuf[SM_EXP_CALL_TILE] __attribute__((aligned(64)));
    for (size_t base = 0; base < n; base += SM_EXP_CALL_TILE) {
        const size_t len =
            n - base < SM_EXP_CALL_TILE ? n - base : SM_EXP_CALL_TILE;
        const float *xt = x + base;
        /* In place, x is still needed after the exps: they go to ebuf. */
        float *yt = y ? y + base : NULL;
        float *et = yt && y != x ? yt : ebuf;
        exps_of_tile(xt, len, m, beta, unit_beta, et);
        size_t j = 0;
        for (; yt && et != yt && j + 32 <= len; j += 32) /* in place */
            for (int v = 0; v < SM_VPB; v++) {
                const size_t at = j + (size_t)v * SM_VW;
                const sm_m eq = m_eq(v_load(xt + at), vm);
                const sm_v e = v_load(et + at);
                v_store(yt + at, v_sel(eq, one, e));
                acc_add_unless(&acc, v, e, eq);
                count += m_count(eq);
            }
        for (; j + 32 <= len; j += 32) {
            sm_v e[SM_VPB];
            sm_m eq[SM_VPB];
            for (int v = 0; v < SM_VPB; v++) {
                const size_t at = j + (size_t)v * SM_VW;
                eq[v] = m_eq(v_load(xt + at), vm);
                e[v] = v_load(et + at);
            }
            sm_m any = eq[0];
            for (int v = 1; v < SM_VPB; v++)
                any = m_or(any, eq[v]);
            if (m_count(any) == 0) { /* the usual block: M is elsewhere */
                for (int v = 0; v < SM_VPB; v++)
                    acc_add(&acc, v, e[v]);
                continue;
            }
            for (int v = 0; v < SM_VPB; v++) {
                if (yt && !finite)
                    v_store(yt + j + (size_t)v * SM_VW,
                            v_sel(eq[v], one, e[v]));
                acc_add_unless(&acc, v, e[v], eq[v]);
                count += m_count(eq[v]);
            }
        }
        /* The last partial block: missing lanes add +0 and count nothing. */
        for (int v = 0; v < SM_VPB && j + (size_t)v * SM_VW < len; v++) {
            const size_t at = j + (size_t)v * SM_VW;
            const size_t c = len - at < SM_VW ? len - at : SM_VW;
            const bool whole = c == SM_VW;
            const sm_m valid = m_first(c);
            const sm_v xv =
                whole ? v_load(xt + at) : v_load_part(xt + at, c, m);
            const sm_m eq = m_and(m_eq(xv, vm), valid);
            const sm_v e =
                whole ? v_load(et + at) : v_load_part(et + at, c, 0.0f);
            if (yt && (et != yt || !finite)) {
                if (whole)
                    v_store(yt + at, v_sel(eq, one, e));
                else
                    v_store_part(yt + at, c, v_sel(eq, one, e));
            }
            acc_add(&acc, v, v_sel(eq, zero, v_sel(valid, e, zero)));
            count += m_count(eq);
        }
    }
    *k = count;
    return acc_fold(&acc);
}
#endif

SM_INLINE double chunk_sum_with(const float *x, size_t n, float m, float beta,
                                float *y, size_t *k, bool finite,
                                bool unit_beta)
{
#if !SM_EXP_FAST && !defined(SM_VLA)
    /* A short row's few calls do not repay the tile's second loop. */
    if (n >= SM_EXP_CALL_ROW_MIN)
        return chunk_sum_exp_calls(x, n, m, beta, y, k, finite, unit_beta);
#endif
#if SM_SUM_TILE
    return chunk_sum_tiled(x, n, m, beta, y, k, finite, unit_beta);
#else
    return chunk_sum_direct(x, n, m, beta, y, k, finite, unit_beta);
#endif
}

/* exp(+-0) is exactly 1 in both exps, so with m and beta finite an entry
 * equal to m gets e = 1 without a select (inf - inf or 0 * inf is NaN). */
SM_INLINE double chunk_sum(const float *x, size_t n, float m, float beta,
                           float *y, size_t *k)
{
    if (!isfinite(m) || !isfinite(beta))
        return chunk_sum_with(x, n, m, beta, y, k, false, false);
    if (beta == 1.0f)
        return chunk_sum_with(x, n, m, beta, y, k, true, true);
    return chunk_sum_with(x, n, m, beta, y, k, true, false);
}

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
                                       float *y)
{
    struct row_stats st;
    size_t k;
    st.m = row_extremum(x, n, beta > 0);
    st.s = chunk_sum(x, n, st.m, beta, y, &k);
    st.k = (double)k;
    return st;
}

/* Merges the chunks of the n entries at x into *row, in order, each while
 * it is in cache (two reads). */
SM_INLINE void merge_chunks(struct row_stats *row, const float *x, size_t n,
                            float beta)
{
    for (size_t at = 0; at < n; at += SM_CHUNK) {
        const size_t len = n - at < SM_CHUNK ? n - at : SM_CHUNK;
        const struct row_stats chunk = chunk_stats(x + at, len, beta, NULL);
        merge_stats(row, &chunk, beta);
    }
}

/* y (optional, single-chunk rows only) receives e_i as a by-product. Out
 * of line, and not cloned per call site (one copy serves every op). */
static SM_NOCLONE __attribute__((unused)) struct row_stats
row_stats(const float *x, size_t n, float beta, float *y)
{
    if (n <= SM_CHUNK)
        return chunk_stats(x, n, beta, y);
    struct row_stats row = empty_stats(beta);
    merge_chunks(&row, x, n, beta);
    return row;
}

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
