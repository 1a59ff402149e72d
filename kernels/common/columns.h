/*
 * Short rows (n <= SM_VW entries) SM_VW at a time, transposed: after
 * v_transpose, lane j of column vector i holds entry i of row j. Each
 * row's extremum, count K, double sum and 1/S are then vertical
 * operations on SM_VW rows at once, and each exp call fills all its lanes
 * (a row of 10 on AVX-512 used 10 of 16). The contract's bits: with at
 * most one entry per sum lane, its pairwise tree is a fixed sequence of
 * additions of whole columns (col_tree). The losses (loss_*.h) build on
 * the same groups: cross-entropy without smoothing, weights or L2,
 * entropy, soft cross-entropy, KL and distillation. Compiled where the ISA
 * has v_transpose (not VLA).
 */
#ifndef SM_COLUMNS_H
#define SM_COLUMNS_H

#include "common/block_rows.h"

#if defined(SM_HAVE_TRANSPOSE) && !defined(SM_VLA)
#define SM_COLUMNS 1

typedef float sm_cf __attribute__((vector_size(4 * SM_VW)));
typedef double sm_cd __attribute__((vector_size(8 * SM_VW)));
typedef int32_t sm_ci __attribute__((vector_size(4 * SM_VW)));
typedef int64_t sm_cl __attribute__((vector_size(8 * SM_VW)));

_Static_assert(sizeof(sm_cf) == sizeof(sm_v), "one float per lane");

/* A vector's lanes as doubles, and back (rounded to f32). Through memcpy,
 * so that sm_v may be any type of SM_VW floats. */
SM_INLINE sm_cd col_widen(sm_v v)
{
    sm_cf f;
    memcpy(&f, &v, sizeof f);
    return __builtin_convertvector(f, sm_cd);
}

SM_INLINE sm_v col_narrow(sm_cd d)
{
    const sm_cf f = __builtin_convertvector(d, sm_cf);
    sm_v v;
    memcpy(&v, &f, sizeof v);
    return v;
}

/* SM_VW rows' statistics, lane j for row j. */
struct col_group {
    sm_v x[SM_VW]; /* column i: entry i of every row */
    sm_v e[SM_VW]; /* exp(beta (x - M)), 1 at M */
    sm_v m, k, r;  /* M, K, r = (float)(1 / S) */
    sm_cd s;       /* S'' */
};

/* The contract's sum tree over its 32 lanes when lane i holds column i
 * (i < n <= SM_VW) and every other lane +0, which the tree's additions
 * leave out (adding +0 to a sum of exps changes no bit): the levels from
 * l += l+16 down to l += l+SM_VW add only +0. Constant trip counts, so
 * that d stays in registers. */
SM_INLINE sm_cd col_tree(sm_cd d[], size_t n)
{
    size_t live = n;
#pragma GCC unroll 8
    for (size_t h = SM_VW / 2; h >= 1; h /= 2) {
#pragma GCC unroll 16
        for (size_t i = 0; i < h; i++)
            if (i + h < live)
                d[i] += d[i + h];
        if (live > h)
            live = h;
    }
    return d[0];
}

/* The statistics of SM_VW rows of n entries, ldx apart: what
 * block_stats_loaded_nv computes for each, lane by lane. False when a row
 * has a NaN (S is NaN) or is fully masked: those rows take the row path,
 * which writes them. */
SM_INLINE bool col_group_stats_inline(const float *x, size_t ldx, size_t n,
                                      float beta,
                                      struct col_group *g)
{
    const bool use_max = beta > 0;
    for (size_t j = 0; j < SM_VW; j++)
        g->x[j] = n == SM_VW ? v_load(x + j * ldx)
                             : v_load_part(x + j * ldx, n, 0.0f);
    v_transpose(g->x);
    const float masked = use_max ? -INFINITY : INFINITY;
    sm_v m = v_set1(masked);
    for (size_t i = 0; i < n; i++)
        m = v_ext(g->x[i], m, use_max);
    const sm_v vb = v_set1(beta), one = v_set1(1.0f), zero = v_set1(0.0f);
    sm_v t[SM_VW];
    for (size_t i = 0; i < n; i++)
        t[i] = v_mul(v_sub(g->x[i], m), vb);
    exp_nonpos_vecs(t, n);
    sm_v k = zero;
    sm_cd d[SM_VW];
    for (size_t i = 0; i < n; i++) {
        const sm_m eq = m_eq(g->x[i], m);
        k = v_add(k, v_sel(eq, one, zero)); /* exact: K <= 16 */
        d[i] = col_widen(v_sel(eq, zero, t[i]));
        g->e[i] = v_sel(eq, one, t[i]);
    }
    g->m = m;
    g->k = k;
    g->s = col_tree(d, n);
    g->r = col_narrow(1.0 / (col_widen(k) + g->s));
    return m_count(m_eq(g->r, g->r)) == SM_VW &&
           m_count(m_eq(m, v_set1(masked))) == 0;
}

/* Out of line: inlined into a caller whose own values stay live, the exp
 * calls spill them. */
static __attribute__((noinline)) bool
col_group_stats(const float *x, size_t ldx, size_t n, float beta,
                struct col_group *g)
{
    return col_group_stats_inline(x, ldx, n, beta, g);
}

/* Columns out[0..n) back to SM_VW rows of n entries, ldy apart. */
SM_INLINE void col_group_store(sm_v out[SM_VW], size_t n, float *y,
                               size_t ldy)
{
    for (size_t i = n; i < SM_VW; i++)
        out[i] = v_set1(0.0f);
    v_transpose(out);
    for (size_t j = 0; j < SM_VW; j++) {
        if (n == SM_VW)
            v_store(y + j * ldy, out[j]);
        else
            v_store_part(y + j * ldy, n, out[j]);
    }
}

/* softmax of SM_VW rows of n entries (softmax_block_loaded_nv's
 * operations); false, with nothing written, as col_group_stats. */
SM_INLINE bool softmax_col_group_inline(const float *x, size_t ldx, size_t n,
                                        float beta, float *y, size_t ldy)
{
    struct col_group g;
    if (!col_group_stats_inline(x, ldx, n, beta, &g))
        return false;
    sm_v out[SM_VW];
    for (size_t i = 0; i < n; i++)
        out[i] = v_mul(g.e[i], g.r);
    col_group_store(out, n, y, ldy);
    return true;
}

/* softmax_col_group_inline out of line, for the fast exp where vectors are
 * 16 wide: inlined into softmax's batch loop there, the group's extremum
 * stays on the stack; on AVX2, out of line is the slower. */
static __attribute__((noinline)) bool
softmax_col_group_out_of_line(const float *x, size_t ldx, size_t n,
                              float beta, float *y, size_t ldy)
{
    return softmax_col_group_inline(x, ldx, n, beta, y, ldy);
}

SM_INLINE bool softmax_col_group(const float *x, size_t ldx, size_t n,
                                 float beta, float *y, size_t ldy)
{
    if (SM_VW >= 16 && SM_EXP_INLINE)
        return softmax_col_group_out_of_line(x, ldx, n, beta, y, ldy);
    return softmax_col_group_inline(x, ldx, n, beta, y, ldy);
}

/* L = log_partition(K, S'') of every lane, log_partition's bits: S''/K is
 * S'' where K = 1 (a division by 1 is exact), so the division and log K
 * (from the call's cache, see log_count) are taken only where a lane has
 * K > 1 (ties at M). One log1p call's lanes at a time: on AVX2 a whole
 * group's doubles (two ymm) went through memory and general registers,
 * and the division's latency held up the log1p. */
SM_INLINE sm_cd col_log_partition(const struct col_group *g,
                                  double logk[SM_LOGK_MAX + 1])
{
    const bool ties = m_count(m_eq(g->k, v_set1(1.0f))) != SM_VW;
    float k[SM_VW];
    memcpy(k, &g->k, sizeof k);
    sm_cd l;
    for (size_t j = 0; j < SM_VW; j += SM_LOG1P_LANES) {
        sm_dv yj;
        memcpy(&yj, (const double *)&g->s + j, sizeof yj);
        if (ties)
            for (size_t i = 0; i < SM_LOG1P_LANES; i++)
                yj[i] /= k[j + i];
        const sm_dv lj = log1p_dv(yj);
        memcpy((double *)&l + j, &lj, sizeof lj);
    }
    if (ties)
        for (size_t j = 0; j < SM_VW; j++)
            if (k[j] != 1.0f)
                l[j] = log_count(logk, k[j]) + l[j];
    return l;
}

/* log-softmax of SM_VW rows of n entries (block_store_row's operations
 * with c = L); false, with nothing written, as col_group_stats. */
SM_INLINE bool log_softmax_col_group(const float *x, size_t ldx, size_t n,
                                     float beta, float *y, size_t ldy,
                                     double logk[SM_LOGK_MAX + 1])
{
    struct col_group g;
    if (!col_group_stats(x, ldx, n, beta, &g))
        return false;
    const sm_v c = col_narrow(col_log_partition(&g, logk));
    /* t_of's operations, its zero made once (through t_of, GCC allocates
     * the AVX-512 softmax batch differently). */
    const sm_v vb = v_set1(beta), zero = v_set1(0.0f);
    sm_v out[SM_VW];
    for (size_t i = 0; i < n; i++)
        out[i] = v_sub(v_sel(m_eq(g.x[i], g.m), zero,
                             v_mul(v_sub(g.x[i], g.m), vb)), c);
    col_group_store(out, n, y, ldy);
    return true;
}

/* logsumexp of SM_VW rows of n entries (logsumexp_of's operations); false,
 * with nothing written, as col_group_stats. */
SM_INLINE bool logsumexp_col_group(const float *x, size_t ldx, size_t n,
                                   float beta, float *result,
                                   double logk[SM_LOGK_MAX + 1])
{
    struct col_group g;
    if (!col_group_stats(x, ldx, n, beta, &g))
        return false;
    const sm_cd m = col_widen(g.m);
    /* beta M, or 0 where M = 0 (also for an infinite beta) */
    const sm_cd bm = (sm_cd)((sm_cl)((double)beta * m) & ~(m == 0.0));
    const sm_v r = col_narrow(bm + col_log_partition(&g, logk));
    memcpy(result, &r, sizeof r);
    return true;
}
#endif

/* Rows 0..rows as column groups where they apply, the rest by rows. While
 * SM_VW rows remain and fits holds (rows of at most SM_VW entries, and
 * whatever else the op asks), COL_GROUP(r0), an expression, takes rows r0
 * to r0 + SM_VW as a column group, or declines with nothing written (a NaN
 * or a fully masked row among them) and ROW_SPAN(r0, SM_VW) takes them;
 * ROW_SPAN(r0, len), a statement, takes the rows after the last group.
 * Both are usually macros of the caller's, as SM_CALL is for
 * SM_WITH_BLOCK_NV. Where the ISA has no column groups, one row span. */
#ifdef SM_COLUMNS
#define SM_WALK_COL_GROUPS(rows, fits, COL_GROUP, ROW_SPAN)                \
    do {                                                                   \
        size_t r0_ = 0;                                                    \
        while (r0_ < (rows)) {                                             \
            size_t len_ = (rows) - r0_;                                    \
            if ((fits) && len_ >= SM_VW) {                                 \
                if (COL_GROUP(r0_)) {                                      \
                    r0_ += SM_VW;                                          \
                    continue;                                              \
                }                                                          \
                len_ = SM_VW;                                              \
            }                                                              \
            ROW_SPAN(r0_, len_);                                           \
            r0_ += len_;                                                   \
        }                                                                  \
    } while (0)
#else
#define SM_WALK_COL_GROUPS(rows, fits, COL_GROUP, ROW_SPAN)                \
    do {                                                                   \
        size_t r0_ = 0;                                                    \
        while (r0_ < (rows)) {                                             \
            size_t len_ = (rows) - r0_;                                    \
            ROW_SPAN(r0_, len_);                                           \
            r0_ += len_;                                                   \
        }                                                                  \
    } while (0)
#endif

#endif
