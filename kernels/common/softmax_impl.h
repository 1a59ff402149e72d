/*
 * softmax, log-softmax and logsumexp, written once for every ISA.
 *
 * Each kernels/<isa>/<isa>.c includes its vector helpers (vec.h) and then
 * this file, which defines that ISA's kernel table SM_TABLE. The helpers:
 *
 *   SM_VW                      float lanes per vector (divides 32)
 *   sm_v, sm_m                 float vector, lane mask
 *   sm_acc                     32 double lanes (the contract's sum order)
 *   v_load, v_store            full vectors, unaligned
 *   v_load_part(p, c, fill)    lanes < c from p, the rest = fill (c < SM_VW)
 *   v_store_part(p, c, v)      lanes < c to p, nothing else touched
 *   v_set1, v_add, v_sub, v_mul
 *   v_max(x, a), v_min(x, a)   return a where x is NaN (NaN is ignored)
 *   v_hmax, v_hmin             horizontal extremum of one vector
 *   v_exp                      SLEEF finz u10 expf of this ISA
 *   v_fma(a, b, c)             a * b + c, fused (one rounding)
 *   v_ldexp_split(p, z)        p * 2^(n >> 1) * 2^(n - (n >> 1)) with n in
 *                              the low bits of z = 0x1.8p23 + n (fast exp)
 *   v_ldexp_normal(p, z)       p * 2^n by adding n to the exponent field
 *                              (exact while the result is normal)
 *   v_all_ge(a, b)             every lane a >= b (ordered)
 *   m_eq(a, b)                 ordered a == b
 *   m_first(c), m_and, m_count lanes < c, AND, popcount
 *   v_sel(m, a, b)             m ? a : b
 *   acc_zero(acc)
 *   acc_add(acc, v, e)         adds vector v (0 <= v < 32 / SM_VW) of a
 *                              32-element block to lanes v*SM_VW...
 *   acc_fold(acc)              the 32 lanes folded pairwise: l += l+16,
 *                              l += l+8, ... l += l+1 (the contract's tree)
 *   SM_EXPD, SM_LOGD, SM_LOG1PD  SLEEF finz u10 double functions (scalar)
 *
 * All floating-point code here is compiled with -ffp-contract=off, so the
 * operations below are exactly the contract's, in its order.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "kernels.h"
#include "softmax.h"

#define SM_VPB (32 / SM_VW) /* vectors per 32-element block */

/* Specialises the row code for each exp: the mode is a constant after
 * inlining, so neither mode pays a per-vector branch. */
#define SM_INLINE static inline __attribute__((always_inline))

#include "common/fast_exp.h"

SM_INLINE sm_v exp_mode(sm_v t, bool fast)
{
    return fast ? v_exp_fast(t) : v_exp(t);
}

/* For t = beta (x - M) <= 0 (or NaN), as in every pass over a row. */
SM_INLINE sm_v exp_nonpos(sm_v t, bool fast)
{
    return fast ? v_exp_fast_nonpos(t) : v_exp(t);
}

/* Rows of more chunks than this find M with one extra read of the row
 * instead of keeping every chunk's statistics on the stack. 64 chunks is a
 * 64 MiB row. */
#define SM_STACK_CHUNKS 64

static const float sm_qnan = NAN;

SM_INLINE sm_v v_ext(sm_v x, sm_v a, bool use_max)
{
    return use_max ? v_max(x, a) : v_min(x, a);
}

SM_INLINE float extremum_mode(const float *x, size_t n, bool use_max)
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
    return use_max ? extremum_mode(x, n, true) : extremum_mode(x, n, false);
}

/* One chunk (n <= SM_CHUNK) against its extremum m: k = entries equal to m,
 * returns S' = sum of the other e_i = exp(beta (x_i - m)) in the canonical
 * order. With y, also stores e_i (1 for entries equal to m).
 *
 * Where the 32 double lanes and the exp's constants do not fit in the
 * vector registers together (AVX2: 8 + about 10 of 16), the ISA sets
 * SM_SUM_TILE: the exps of a tile go to a small buffer first and a
 * separate loop, free of anything else, adds them. Same adds, same order. */
SM_INLINE double chunk_sum(const float *x, size_t n, float m, float beta,
                           float *y, size_t *k, bool fast)
{
    const sm_v vm = v_set1(m), vb = v_set1(beta);
    const sm_v one = v_set1(1.0f), zero = v_set1(0.0f);
    sm_acc acc;
    acc_zero(&acc);
    size_t count = 0;
#if SM_SUM_TILE
    float ebuf[SM_SUM_TILE] __attribute__((aligned(64)));
    for (size_t base = 0; base < n; base += SM_SUM_TILE) {
        const size_t len = n - base < SM_SUM_TILE ? n - base : SM_SUM_TILE;
        const float *xt = x + base;
        float *yt = y ? y + base : NULL;
        size_t i = 0;
        for (; i + SM_VW <= len; i += SM_VW) {
            const sm_v xv = v_load(xt + i);
            const sm_m eq = m_eq(xv, vm);
            const sm_v e = exp_nonpos(v_mul(v_sub(xv, vm), vb), fast);
            if (yt)
                v_store(yt + i, v_sel(eq, one, e));
            v_store(ebuf + i, v_sel(eq, zero, e));
            count += m_count(eq);
        }
        if (i < len) {
            const size_t c = len - i;
            const sm_v xv = v_load_part(xt + i, c, m);
            const sm_m valid = m_first(c);
            const sm_m eq = m_and(m_eq(xv, vm), valid);
            const sm_v e = exp_nonpos(v_mul(v_sub(xv, vm), vb), fast);
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
#else
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        for (int v = 0; v < SM_VPB; v++) {
            const sm_v xv = v_load(x + i + (size_t)v * SM_VW);
            const sm_m eq = m_eq(xv, vm);
            const sm_v e = exp_nonpos(v_mul(v_sub(xv, vm), vb), fast);
            if (y)
                v_store(y + i + (size_t)v * SM_VW, v_sel(eq, one, e));
            acc_add(&acc, v, v_sel(eq, zero, e));
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
        const sm_v e = exp_nonpos(v_mul(v_sub(xv, vm), vb), fast);
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
#endif
    *k = count;
    return acc_fold(&acc);
}

/* Row statistics: M (the extremum), K (entries equal to M) and S'' (the
 * scaled sum of the others), combined over chunks as the contract says. */
struct row_stats {
    float m;
    double k, s;
};

static inline void combine_chunk(struct row_stats *row,
                                 const struct row_stats *chunk, float beta)
{
    if (chunk->m == row->m) {
        row->k += chunk->k;
        row->s += chunk->s;
    } else {
        const double scale =
            SM_EXPD((double)beta * ((double)chunk->m - (double)row->m));
        row->s += scale * (chunk->k + chunk->s);
    }
}

SM_INLINE struct row_stats chunk_stats(const float *x, size_t n, float beta,
                                       float *y, bool fast)
{
    struct row_stats st;
    size_t k;
    st.m = row_extremum(x, n, beta > 0);
    st.s = chunk_sum(x, n, st.m, beta, y, &k, fast);
    st.k = (double)k;
    return st;
}

/* y (optional, single-chunk rows only) receives e_i as a by-product. A row
 * longer than a chunk reads each chunk twice while it is in cache. */
SM_INLINE struct row_stats row_stats_mode(const float *x, size_t n,
                                          float beta, float *y, bool fast)
{
    if (n <= SM_CHUNK)
        return chunk_stats(x, n, beta, y, fast);

    const bool use_max = beta > 0;
    const size_t chunks = (n + SM_CHUNK - 1) / SM_CHUNK;
    struct row_stats row = {0.0f, 0.0, 0.0};
    if (chunks <= SM_STACK_CHUNKS) {
        struct row_stats st[SM_STACK_CHUNKS];
        row.m = use_max ? -INFINITY : INFINITY;
        for (size_t b = 0; b < chunks; b++) {
            const size_t len = b + 1 < chunks ? SM_CHUNK : n - b * SM_CHUNK;
            st[b] = chunk_stats(x + b * SM_CHUNK, len, beta, NULL, fast);
            if (use_max ? st[b].m > row.m : st[b].m < row.m)
                row.m = st[b].m;
        }
        for (size_t b = 0; b < chunks; b++)
            combine_chunk(&row, &st[b], beta);
        return row;
    }
    /* Very long rows: M first, then combine each chunk as it is done. */
    row.m = row_extremum(x, n, use_max);
    for (size_t b = 0; b < chunks; b++) {
        const size_t len = b + 1 < chunks ? SM_CHUNK : n - b * SM_CHUNK;
        const struct row_stats st =
            chunk_stats(x + b * SM_CHUNK, len, beta, NULL, fast);
        combine_chunk(&row, &st, beta);
    }
    return row;
}

static struct row_stats row_stats_sleef(const float *x, size_t n, float beta,
                                        float *y)
{
    return row_stats_mode(x, n, beta, y, false);
}

static struct row_stats row_stats_fast(const float *x, size_t n, float beta,
                                       float *y)
{
    return row_stats_mode(x, n, beta, y, true);
}

static inline struct row_stats row_stats(const float *x, size_t n, float beta,
                                         float *y, bool fast)
{
    return fast ? row_stats_fast(x, n, beta, y) : row_stats_sleef(x, n, beta, y);
}

/* A fully masked row: every entry is the wrong infinity for this beta. */
static inline bool row_is_masked(float m, float beta)
{
    return m == (beta > 0 ? -INFINITY : INFINITY);
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
    return SM_LOGD(k) + SM_LOG1PD(s / k);
}

static void fill(float *y, size_t n, float value)
{
    const sm_v v = v_set1(value);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW)
        v_store(y + i, v);
    if (i < n)
        v_store_part(y + i, n - i, v);
}

static void scale(float *y, size_t n, float r)
{
    const sm_v vr = v_set1(r);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW)
        v_store(y + i, v_mul(v_load(y + i), vr));
    if (i < n)
        v_store_part(y + i, n - i, v_mul(v_load_part(y + i, n - i, 0.0f), vr));
}

/* p_i = exp(beta (x_i - M)) * r, and r itself for the entries equal to M. */
SM_INLINE void exp_scale(const float *x, size_t n, float m, float beta,
                         float r, float *y, bool fast)
{
    const sm_v vm = v_set1(m), vb = v_set1(beta), vr = v_set1(r);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW) {
        const sm_v xv = v_load(x + i);
        const sm_v e = exp_nonpos(v_mul(v_sub(xv, vm), vb), fast);
        v_store(y + i, v_sel(m_eq(xv, vm), vr, v_mul(e, vr)));
    }
    if (i < n) {
        const sm_v xv = v_load_part(x + i, n - i, m);
        const sm_v e = exp_nonpos(v_mul(v_sub(xv, vm), vb), fast);
        v_store_part(y + i, n - i, v_sel(m_eq(xv, vm), vr, v_mul(e, vr)));
    }
}

/* y_i = beta (x_i - M) - L, with beta (x_i - M) = 0 for the entries equal to
 * M (also when M or beta is infinite). */
static void shift_sub(const float *x, size_t n, float m, float beta, float l,
                      float *y)
{
    const sm_v vm = v_set1(m), vb = v_set1(beta), vl = v_set1(l);
    const sm_v zero = v_set1(0.0f);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW) {
        const sm_v xv = v_load(x + i);
        const sm_v t = v_sel(m_eq(xv, vm), zero, v_mul(v_sub(xv, vm), vb));
        v_store(y + i, v_sub(t, vl));
    }
    if (i < n) {
        const sm_v xv = v_load_part(x + i, n - i, m);
        const sm_v t = v_sel(m_eq(xv, vm), zero, v_mul(v_sub(xv, vm), vb));
        v_store_part(y + i, n - i, v_sub(t, vl));
    }
}

/* A row of one block (n <= 32), kept in registers from load to store: the
 * same operations as the general path (extremum, exps, the lanes' fold,
 * r = 1/S, e * r), without its passes over memory and per-pass set-up,
 * which dominate short rows. */
SM_INLINE void softmax_block(const float *x, size_t n, float beta, float *y,
                             bool fast)
{
    const bool use_max = beta > 0;
    const float init = use_max ? -INFINITY : INFINITY;
    const size_t nv = (n + SM_VW - 1) / SM_VW;
    sm_v xv[SM_VPB], e[SM_VPB];
    sm_v ext = v_set1(init);
    for (size_t v = 0; v < nv; v++) {
        const size_t c = n - v * SM_VW < SM_VW ? n - v * SM_VW : SM_VW;
        xv[v] = c == SM_VW ? v_load(x + v * SM_VW)
                           : v_load_part(x + v * SM_VW, c, init);
        ext = v_ext(xv[v], ext, use_max);
    }
    const float m = use_max ? v_hmax(ext) : v_hmin(ext);
    const sm_v vm = v_set1(m), vb = v_set1(beta);
    const sm_v one = v_set1(1.0f), zero = v_set1(0.0f);
    sm_acc acc;
    acc_zero(&acc);
    size_t count = 0;
    for (size_t v = 0; v < nv; v++) {
        const size_t c = n - v * SM_VW < SM_VW ? n - v * SM_VW : SM_VW;
        const sm_m valid = m_first(c);
        const sm_m eq = m_and(m_eq(xv[v], vm), valid);
        const sm_v ev = exp_nonpos(v_mul(v_sub(xv[v], vm), vb), fast);
        acc_add(&acc, (int)v, v_sel(eq, zero, v_sel(valid, ev, zero)));
        count += m_count(eq);
        e[v] = v_sel(eq, one, ev);
    }
    const double s = (double)count + acc_fold(&acc);
    if (isnan(s)) {
        fill(y, n, sm_qnan);
    } else if (row_is_masked(m, beta)) {
        fill(y, n, 0.0f);
    } else {
        const sm_v r = v_set1((float)(1.0 / s));
        for (size_t v = 0; v < nv; v++) {
            const size_t c = n - v * SM_VW < SM_VW ? n - v * SM_VW : SM_VW;
            if (c == SM_VW)
                v_store(y + v * SM_VW, v_mul(e[v], r));
            else
                v_store_part(y + v * SM_VW, c, v_mul(e[v], r));
        }
    }
}

SM_INLINE void softmax_row(const float *x, size_t n, float beta, float *y,
                           bool fast)
{
    if (n == 0)
        return;
    if (beta == 0.0f) {
        fill(y, n, row_has_nan(x, n) ? sm_qnan : (float)(1.0 / (double)n));
        return;
    }
    if (n <= 32) {
        softmax_block(x, n, beta, y, fast);
        return;
    }
    const bool one_chunk = n <= SM_CHUNK;
    const struct row_stats st =
        row_stats(x, n, beta, one_chunk ? y : NULL, fast);
    const double s = st.k + st.s;
    if (isnan(s))
        fill(y, n, sm_qnan);
    else if (row_is_masked(st.m, beta))
        fill(y, n, 0.0f);
    else if (one_chunk)
        scale(y, n, (float)(1.0 / s));
    else
        exp_scale(x, n, st.m, beta, (float)(1.0 / s), y, fast);
}

SM_INLINE void log_softmax_row(const float *x, size_t n, float beta, float *y,
                               bool fast)
{
    if (n == 0)
        return;
    if (beta == 0.0f) {
        fill(y, n, row_has_nan(x, n) ? sm_qnan
                   : 0.0f - (float)log_partition((double)n, 0.0));
        return;
    }
    const struct row_stats st = row_stats(x, n, beta, NULL, fast);
    if (isnan(st.k + st.s))
        fill(y, n, sm_qnan);
    else if (row_is_masked(st.m, beta))
        fill(y, n, -INFINITY);
    else
        shift_sub(x, n, st.m, beta, (float)log_partition(st.k, st.s), y);
}

SM_INLINE float logsumexp_row(const float *x, size_t n, float beta, bool fast)
{
    if (n == 0)
        return -INFINITY;
    if (beta == 0.0f)
        return row_has_nan(x, n) ? sm_qnan
               : (float)log_partition((double)n, 0.0);
    const struct row_stats st = row_stats(x, n, beta, NULL, fast);
    if (isnan(st.k + st.s))
        return sm_qnan;
    if (row_is_masked(st.m, beta))
        return -INFINITY;
    /* beta * M is the limit 0 when M = 0, also for an infinite beta. */
    const double bm = st.m == 0.0f ? 0.0 : (double)beta * (double)st.m;
    return (float)(bm + log_partition(st.k, st.s));
}

static void softmax_rows(size_t rows, size_t cols, float beta, const float *x,
                         size_t ldx, float *y, size_t ldy, unsigned flags)
{
    if (flags & SM_FAST_EXP)
        for (size_t r = 0; r < rows; r++)
            softmax_row(x + r * ldx, cols, beta, y + r * ldy, true);
    else
        for (size_t r = 0; r < rows; r++)
            softmax_row(x + r * ldx, cols, beta, y + r * ldy, false);
}

static void log_softmax_rows(size_t rows, size_t cols, float beta,
                             const float *x, size_t ldx, float *y, size_t ldy,
                             unsigned flags)
{
    if (flags & SM_FAST_EXP)
        for (size_t r = 0; r < rows; r++)
            log_softmax_row(x + r * ldx, cols, beta, y + r * ldy, true);
    else
        for (size_t r = 0; r < rows; r++)
            log_softmax_row(x + r * ldx, cols, beta, y + r * ldy, false);
}

static void logsumexp_rows(size_t rows, size_t cols, float beta,
                           const float *x, size_t ldx, float *result,
                           unsigned flags)
{
    if (flags & SM_FAST_EXP)
        for (size_t r = 0; r < rows; r++)
            result[r] = logsumexp_row(x + r * ldx, cols, beta, true);
    else
        for (size_t r = 0; r < rows; r++)
            result[r] = logsumexp_row(x + r * ldx, cols, beta, false);
}

static void stats(size_t n, float beta, const float *x, unsigned flags,
                  float *m, double *k, double *s)
{
    const struct row_stats st =
        row_stats(x, n, beta, NULL, (flags & SM_FAST_EXP) != 0);
    *m = st.m;
    *k = st.k;
    *s = st.s;
}

/* y_i = exp(x_i): SLEEF's or the fast one. For the tests (every float,
 * every ISA) and the exp-throughput ceiling. */
static void exp_array(size_t n, const float *x, float *y, unsigned flags)
{
    const bool fast = (flags & SM_FAST_EXP) != 0;
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW)
        v_store(y + i, fast ? v_exp_fast(v_load(x + i)) : v_exp(v_load(x + i)));
    if (i < n) {
        const sm_v xv = v_load_part(x + i, n - i, 0.0f);
        v_store_part(y + i, n - i, fast ? v_exp_fast(xv) : v_exp(xv));
    }
}

/* One pass of sum exp(x_i - c) in f32 with c >= every x_i: the
 * exp-throughput ceiling the benchmarks hold the kernels against (the same
 * exp; no extremum pass, no stores, no double sums). The order of the sum
 * is not part of any contract. */
SM_INLINE float exp_sum_mode(size_t n, const float *x, float c, bool fast)
{
    const sm_v vc = v_set1(c), zero = v_set1(0.0f);
    sm_v a0 = zero, a1 = zero;
    size_t i = 0;
    for (; i + 2 * SM_VW <= n; i += 2 * SM_VW) {
        a0 = v_add(a0, exp_nonpos(v_sub(v_load(x + i), vc), fast));
        a1 = v_add(a1, exp_nonpos(v_sub(v_load(x + i + SM_VW), vc), fast));
    }
    for (; i < n; i += SM_VW) {
        const size_t c_len = n - i < SM_VW ? n - i : SM_VW;
        const sm_v e = exp_nonpos(v_sub(v_load_part(x + i, c_len, c), vc), fast);
        a0 = v_add(a0, v_sel(m_first(c_len), e, zero));
    }
    float lanes[SM_VW];
    v_store(lanes, v_add(a0, a1));
    float sum = 0.0f;
    for (int l = 0; l < SM_VW; l++)
        sum += lanes[l];
    return sum;
}

static float exp_sum(size_t n, const float *x, float c, unsigned flags)
{
    return flags & SM_FAST_EXP ? exp_sum_mode(n, x, c, true)
                               : exp_sum_mode(n, x, c, false);
}

const struct sm_kernels SM_TABLE = {
    .softmax_rows = softmax_rows,
    .log_softmax_rows = log_softmax_rows,
    .logsumexp_rows = logsumexp_rows,
    .row_stats = stats,
    .exp = exp_array,
    .exp_sum = exp_sum,
};
