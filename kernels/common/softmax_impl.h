/*
 * softmax, log-softmax and logsumexp, written once for every ISA.
 *
 * Each kernels/<isa>/<isa>.c includes its vector helpers (vec.h) and then
 * this file, which defines that ISA's kernel table SM_TABLE; the row
 * statistics (extremum, counts, double sums) are in row_stats.h. The
 * helpers:
 *
 *   SM_VW                      float lanes per vector (divides 32); a
 *                              run-time int for SVE
 *   SM_VLA                     defined for sizeless vectors (SVE): no
 *                              arrays of sm_v, no sm_v in structs
 *   sm_v, sm_m                 float vector, lane mask
 *   sm_acc                     32 double lanes (the contract's sum order)
 *   v_load, v_store            full vectors, unaligned
 *   v_load_part(p, c, fill)    lanes < c from p, the rest = fill (c < SM_VW)
 *   v_store_part(p, c, v)      lanes < c to p, nothing else touched
 *   v_set1, v_add, v_sub, v_mul
 *   v_max(x, a), v_min(x, a)   return a where x is NaN (NaN is ignored)
 *   v_hmax, v_hmin             horizontal extremum of one vector
 *   v_exp                      SLEEF finz u10 expf of this ISA
 *   v_log                      SLEEF finz u10 logf of this ISA (the KL loss)
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
 *   acc_add_unless(acc, v, e, eq)  optional (SM_HAVE_ACC_ADD_UNLESS):
 *                              acc_add with +0 in the lanes of eq
 *   acc_fold(acc)              the 32 lanes folded pairwise: l += l+16,
 *                              l += l+8, ... l += l+1 (the contract's tree)
 *   acc_set(acc, v, e)         not VLA: acc_add to lanes nothing was added to
 *   acc_fold_nv(acc, nv)       not VLA: acc_fold of a block of exps whose
 *                              vectors nv and up were never added; it may
 *                              leave out the levels that add only their +0
 *   SM_EXPD, SM_LOGD           SLEEF finz u10 double functions (scalar;
 *                              log1p is common/log1p.h, the same code on
 *                              every ISA)
 *   SM_SUM_TILE                nonzero: sum the exps per tile of this many
 *                              elements (when the 32 double lanes and the
 *                              exp's constants do not fit in registers)
 *   SM_WIDE_VECS               optional, not VLA: rows of up to this many
 *                              vectors (<= 8) stay in registers
 *   v_store_tail(p, c, v)      optional (SM_HAVE_STORE_TAIL): v_store_part
 *                              for a row whose next row is loaded at once
 *   SM_LOG1P_LANES             optional: double lanes per log1p call
 *   v_transpose(r)             optional (SM_HAVE_TRANSPOSE), not VLA: an
 *                              SM_VW x SM_VW transpose of r[SM_VW], for
 *                              the column groups (common/columns.h)
 *
 * All floating-point code here is compiled with -ffp-contract=off, so the
 * operations below are exactly the contract's, in its order.
 */
#include "common/row_stats.h"

/* The one NaN every kernel writes: 0x7fc00000, positive and quiet. Which
 * NaN an instruction returns from two NaN operands, or creates (as
 * inf - inf), differs between ISAs and with the compiler's operand order,
 * so every output that can be NaN goes through one of these. */
static const float sm_qnan = NAN;

SM_INLINE sm_v v_canonical_nan(sm_v v)
{
    return v_sel(m_eq(v, v), v, v_set1(sm_qnan));
}

static inline float canonical_nan1(float v)
{
    return v == v ? v : sm_qnan;
}

static void canonical_nan_row(float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (y[i] != y[i])
            y[i] = sm_qnan;
}

/* The losses' rows: a NaN loss, and the NaNs of the gradient rows (g, if
 * any) whose loss is not finite, where NaN or infinite targets, weights or
 * logits make them. A gradient row of a finite loss has none (the header
 * states the exception), so the gradient passes pay no select. */
static void canonical_nan_losses(double *loss, size_t rows, size_t cols,
                                 float *g, size_t ldg)
{
    for (size_t r = 0; r < rows; r++) {
        if (isfinite(loss[r]))
            continue;
        if (g)
            canonical_nan_row(g + r * ldg, cols);
        if (loss[r] != loss[r])
            loss[r] = (double)sm_qnan;
    }
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

/* p_i = exp(beta (x_i - M)) * r, and r itself for the entries equal to M,
 * which the exp gives when M and beta are finite (exp(+-0) = 1). */
SM_INLINE void exp_scale_body(const float *x, size_t n, float m, float beta,
                              float r, float *y, bool fast, bool finite,
                              bool unit_beta)
{
    const sm_v vm = v_set1(m), vb = v_set1(beta), vr = v_set1(r);
    size_t i = 0;
#ifndef SM_VLA
    for (; fast && i + 32 <= n; i += 32) {
        sm_v xv[SM_VPB], e[SM_VPB];
        block_exps(x + i, vm, vb, fast, unit_beta, xv, e);
        for (int v = 0; v < SM_VPB; v++) {
            const sm_v p = v_mul(e[v], vr);
            v_store(y + i + (size_t)v * SM_VW,
                    finite ? p : v_sel(m_eq(xv[v], vm), vr, p));
        }
    }
#endif
    for (; i + SM_VW <= n; i += SM_VW) {
        const sm_v xv = v_load(x + i);
        const sm_v t = beta_times_diff(xv, vm, vb, unit_beta);
        const sm_v p = v_mul(exp_nonpos(t, fast), vr);
        v_store(y + i, finite ? p : v_sel(m_eq(xv, vm), vr, p));
    }
    if (i < n) {
        const sm_v xv = v_load_part(x + i, n - i, m);
        const sm_v t = beta_times_diff(xv, vm, vb, unit_beta);
        const sm_v p = v_mul(exp_nonpos(t, fast), vr);
        v_store_part(y + i, n - i, finite ? p : v_sel(m_eq(xv, vm), vr, p));
    }
}

SM_INLINE void exp_scale(const float *x, size_t n, float m, float beta,
                         float r, float *y, bool fast)
{
    if (!isfinite(m) || !isfinite(beta))
        exp_scale_body(x, n, m, beta, r, y, fast, false, false);
    else if (beta == 1.0f)
        exp_scale_body(x, n, m, beta, r, y, fast, true, true);
    else
        exp_scale_body(x, n, m, beta, r, y, fast, true, false);
}

/* y_i = beta (x_i - M) - L, with beta (x_i - M) = 0 for the entries equal to
 * M (also when M or beta is infinite). With beta = 1 and M finite, x_i - M
 * is that +0 itself. */
SM_INLINE void shift_sub_body(const float *x, size_t n, float m, float beta,
                              float l, float *y, bool plain)
{
    const sm_v vm = v_set1(m), vb = v_set1(beta), vl = v_set1(l);
    const sm_v zero = v_set1(0.0f);
    size_t i = 0;
    for (; i + SM_VW <= n; i += SM_VW) {
        const sm_v xv = v_load(x + i);
        const sm_v t = plain ? v_sub(xv, vm)
                             : v_sel(m_eq(xv, vm), zero, v_mul(v_sub(xv, vm), vb));
        v_store(y + i, v_sub(t, vl));
    }
    if (i < n) {
        const sm_v xv = v_load_part(x + i, n - i, m);
        const sm_v t = v_sel(m_eq(xv, vm), zero, v_mul(v_sub(xv, vm), vb));
        v_store_part(y + i, n - i, v_sub(t, vl));
    }
}

static void shift_sub(const float *x, size_t n, float m, float beta, float l,
                      float *y)
{
    if (beta == 1.0f && isfinite(m))
        shift_sub_body(x, n, m, beta, l, y, true);
    else
        shift_sub_body(x, n, m, beta, l, y, false);
}

/* l[j] = log_partition(K, S'') of rows (<= SM_ROW_GROUP) rows' statistics,
 * their log1p in one vector pass. Groups of 16 rows, not 8: the log1p's
 * latency then holds up half as many rows. */
#define SM_ROW_GROUP 16
_Static_assert(SM_ROW_GROUP % SM_LOG1P_LANES == 0, "whole log1p calls");

/* Batches of log-softmax and logsumexp rows longer than a block and of at
 * most this many entries compute a group's statistics and L ahead of its
 * output passes: a lone row's L is a log1p chain that held up its pass.
 * Not longer: such rows no longer stay in L1 for their second pass. */
#define SM_GROUP_COLS 1024

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

static inline void group_log_partition(const struct row_stats st[],
                                       size_t rows,
                                       double logk[SM_LOGK_MAX + 1],
                                       double l[])
{
    group_log1p(st, rows, l);
    for (size_t j = 0; j < rows; j++)
        if (st[j].k != 1.0)
            l[j] += log_count(logk, st[j].k);
}

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
                                     bool fast, sm_v e[][SM_VPB],
                                     struct row_stats st[])
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
    exp_nonpos_vecs(ev, rows * nv, fast);
    for (size_t j = 0; j < rows; j++)
        loaded_sum(xv[j], ev + j * nv, nv, last, vm[j], e[j], &st[j]);
}

SM_INLINE void block_stats_rows_nv(const float *x, size_t ldx, size_t rows,
                                   size_t n, size_t nv, float beta, bool fast,
                                   sm_v e[][SM_VPB], struct row_stats st[])
{
    sm_v xv[SM_BLOCK_ROWS][SM_VPB];
    block_load_rows(x, ldx, rows, n, nv, beta, xv);
    block_stats_loaded_nv(xv, rows, n, nv, beta, fast, e, st);
}

/* One row's block_stats_rows_nv. */
SM_INLINE struct row_stats block_stats_nv(const float *x, size_t n,
                                          size_t nv, float beta, bool fast,
                                          sm_v e[SM_VPB])
{
    struct row_stats st;
    block_stats_rows_nv(x, 0, 1, n, nv, beta, fast, (sm_v(*)[SM_VPB])e, &st);
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
    if (isnan(st.k + st.s)) {
        fill(y, n, sm_qnan);
        return;
    }
    if (row_is_masked(st.m, beta)) {
        fill(y, n, log ? -INFINITY : 0.0f);
        return;
    }
    const size_t last = n - (nv - 1) * SM_VW;
    const sm_v vm = v_set1(st.m), vb = v_set1(beta), vc = v_set1(c);
    for (size_t v = 0; v < nv; v++) {
        const sm_v out =
            log ? v_sub(v_sel(m_eq(xv[v], vm), v_set1(0.0f),
                              v_mul(v_sub(xv[v], vm), vb)), vc)
                : v_mul(e[v], vc);
        store_row_vec(y, v, nv, last, out, next_row_follows);
    }
}

/* softmax of rows (<= SM_BLOCK_ROWS) loaded rows of one block, side by
 * side, to y: the general path's operations. */
SM_INLINE void softmax_block_loaded_nv(sm_v xv[][SM_VPB], size_t rows,
                                       size_t n, size_t nv, float beta,
                                       float *y, size_t ldy, bool fast)
{
    sm_v e[SM_BLOCK_ROWS][SM_VPB];
    struct row_stats st[SM_BLOCK_ROWS];
    block_stats_loaded_nv(xv, rows, n, nv, beta, fast, e, st);
    for (size_t j = 0; j < rows; j++)
        block_store_row(xv[j], e[j], st[j], (float)(1.0 / (st[j].k + st[j].s)),
                        n, nv, beta, y + j * ldy, false, false);
}

/* log-softmax of a batch of one-block rows, a group at a time: statistics
 * two rows at a time, the group's L in one log1p pass (not a scalar call
 * per row), then t - L. In place, only
 * each group's first loads wait for the stores before them. */
SM_INLINE void log_softmax_block_rows_nv(size_t rows, size_t n, size_t nv,
                                         float beta, const float *x,
                                         size_t ldx, float *y, size_t ldy,
                                         bool fast)
{
    double logk[SM_LOGK_MAX + 1];
    logk_init(logk, n);
    for (size_t r0 = 0; r0 < rows; r0 += SM_ROW_GROUP) {
        const size_t nr = rows - r0 < SM_ROW_GROUP ? rows - r0 : SM_ROW_GROUP;
        sm_v xv[SM_ROW_GROUP][SM_VPB], e[SM_ROW_GROUP][SM_VPB];
        struct row_stats st[SM_ROW_GROUP];
        double l[SM_ROW_GROUP];
        for (size_t j = 0; j < nr; j += SM_BLOCK_ROWS) {
            const float *xj = x + (r0 + j) * ldx;
            if (nr - j >= SM_BLOCK_ROWS) { /* constant row counts unroll */
                block_load_rows(xj, ldx, SM_BLOCK_ROWS, n, nv, beta, xv + j);
                block_stats_loaded_nv(xv + j, SM_BLOCK_ROWS, n, nv, beta, fast,
                                      e + j, st + j);
            } else {
                block_load_rows(xj, ldx, 1, n, nv, beta, xv + j);
                block_stats_loaded_nv(xv + j, 1, n, nv, beta, fast, e + j, st + j);
            }
        }
        group_log_partition(st, nr, logk, l);
        for (size_t j = 0; j < nr; j++)
            block_store_row(xv[j], e[j], st[j], (float)l[j], n, nv, beta,
                            y + (r0 + j) * ldy, true, false);
    }
}

/* softmax of every row of a batch of one-block rows, two at a time. The
 * next two rows are loaded before these are stored: in place, a load that
 * follows a masked store to the same 64 bytes waits for that store to
 * complete. Rows do not overlap, so the order changes nothing
 * else. */
SM_INLINE void softmax_block_rows_nv(size_t rows, size_t n, size_t nv,
                                     float beta, const float *x, size_t ldx,
                                     float *y, size_t ldy, bool fast)
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
                                ldy, fast);
        if (more)
            memcpy(cur, next, sizeof cur);
    }
    for (; r < rows; r++) {
        block_load_rows(x + r * ldx, ldx, 1, n, nv, beta, cur);
        softmax_block_loaded_nv(cur, 1, n, nv, beta, y + r * ldy, ldy, fast);
    }
}

SM_INLINE void block_rows_out_nv(size_t rows, size_t n, size_t nv,
                                 float beta, const float *x, size_t ldx,
                                 float *y, size_t ldy, bool fast, bool log)
{
    if (log)
        log_softmax_block_rows_nv(rows, n, nv, beta, x, ldx, y, ldy, fast);
    else
        softmax_block_rows_nv(rows, n, nv, beta, x, ldx, y, ldy, fast);
}

/* Calls CALL(nv) with the row's vector count nv as a constant in each case,
 * so the block's loops unroll and its arrays live in registers. */
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

/* softmax or log-softmax of a batch of rows of at most 32 entries. */
SM_INLINE void block_rows_out(size_t rows, size_t n, float beta,
                              const float *x, size_t ldx, float *y,
                              size_t ldy, bool fast, bool log)
{
    const size_t nv = (n + SM_VW - 1) / SM_VW;
#define SM_CALL(k) \
    block_rows_out_nv(rows, n, k, beta, x, ldx, y, ldy, fast, log); return
    switch (nv) {
        SM_BLOCK_CASES(SM_CALL)
    }
#undef SM_CALL
#if SM_VPB > 8 /* the cases above cover every nv <= SM_VPB <= 8 */
    block_rows_out_nv(rows, n, nv, beta, x, ldx, y, ldy, fast, log);
#else
    SM_UNREACHABLE();
#endif
}

#include "common/columns.h"

/* The statistics of a one-block row, and with y its e_i, as row_stats. */
SM_INLINE struct row_stats block_stats_to_nv(const float *x, size_t n,
                                             size_t nv, float beta, bool fast,
                                             float *y)
{
    sm_v e[SM_VPB];
    const struct row_stats st = block_stats_nv(x, n, nv, beta, fast, e);
    const size_t last = n - (nv - 1) * SM_VW;
    for (size_t v = 0; y && v < nv; v++)
        store_row_vec(y, v, nv, last, e[v], false);
    return st;
}

SM_INLINE struct row_stats block_row_stats(const float *x, size_t n,
                                           float beta, float *y, bool fast)
{
    const size_t nv = (n + SM_VW - 1) / SM_VW;
#define SM_CALL(k) return block_stats_to_nv(x, n, k, beta, fast, y)
    switch (nv) {
        SM_BLOCK_CASES(SM_CALL)
    }
#undef SM_CALL
#if SM_VPB > 8 /* the cases above cover every nv <= SM_VPB <= 8 */
    return block_stats_to_nv(x, n, nv, beta, fast, y);
#else
    SM_UNREACHABLE();
#endif
}

#ifdef SM_WIDE_VECS
/* Rows of 33..SM_WIDE_VECS * SM_VW entries ("wide rows", where the ISA
 * sets SM_WIDE_VECS) as one-block rows, one row at a time: loaded once,
 * kept in registers from load to store, the general path's operations
 * without its passes over memory. softmax has them inline; the other
 * kernels take their statistics from wide_rows_stats, out of line (inline
 * in every kernel, they made the loss kernels much larger and no
 * faster). */
#define SM_SHORT_ROW (SM_WIDE_VECS * SM_VW)
_Static_assert(SM_WIDE_VECS > SM_VPB && SM_WIDE_VECS <= 8, "SM_WIDE_CASES");

/* As SM_BLOCK_CASES, for the vector counts of the wide rows. */
#if SM_VPB < 4
#define SM_WIDE_CASES(CALL) \
    case 3: CALL(3); case 4: CALL(4); case 5: CALL(5); case 6: CALL(6); \
    case 7: CALL(7); case 8: CALL(8);
#else
#define SM_WIDE_CASES(CALL) \
    case 5: CALL(5); case 6: CALL(6); case 7: CALL(7); case 8: CALL(8);
#endif

/* A wide row's statistics from registers: its vectors in xv, e_i (1 at M)
 * in e, as block_stats_loaded_nv for one row. */
SM_INLINE struct row_stats wide_row_stats_nv(const float *x, size_t n,
                                             size_t nv, float beta, bool fast,
                                             sm_v xv[], sm_v e[])
{
    const size_t last = n - (nv - 1) * SM_VW;
    sm_v t[SM_WIDE_VECS];
    struct row_stats st;
    load_row_nv(x, n, nv, beta, xv);
    st.m = loaded_extremum(xv, nv, beta > 0);
    const sm_v vm = v_set1(st.m);
    loaded_diffs(xv, nv, last, vm, v_set1(beta), t);
    exp_nonpos_vecs(t, nv, fast);
    loaded_sum(xv, t, nv, last, vm, e, &st);
    return st;
}

SM_INLINE void softmax_wide_row_nv(const float *x, size_t n, size_t nv,
                                   float beta, float *y, bool fast)
{
    sm_v xv[SM_WIDE_VECS], e[SM_WIDE_VECS];
    const struct row_stats st = wide_row_stats_nv(x, n, nv, beta, fast, xv, e);
    block_store_row(xv, e, st, (float)(1.0 / (st.k + st.s)), n, nv, beta, y,
                    false, true);
}

/* softmax_wide_row_nv with the vector count a constant in each case: the
 * cases cover every wide row (32 < n <= SM_SHORT_ROW, the caller's test). */
SM_INLINE void softmax_wide_row(const float *x, size_t n, float beta, float *y,
                                bool fast)
{
    const size_t nv = (n + SM_VW - 1) / SM_VW;
#define SM_CALL(k) softmax_wide_row_nv(x, n, k, beta, y, fast); return
    switch (nv) {
        SM_WIDE_CASES(SM_CALL)
    }
#undef SM_CALL
    SM_UNREACHABLE();
}

/* row_stats of rows wide rows ldx apart from registers, and with y their
 * e_i (ldy apart). */
SM_INLINE void wide_rows_stats_nv(const float *x, size_t ldx, size_t rows,
                                  size_t n, size_t nv, float beta, float *y,
                                  size_t ldy, bool fast, struct row_stats st[])
{
    const size_t last = n - (nv - 1) * SM_VW;
    for (size_t j = 0; j < rows; j++) {
        sm_v xv[SM_WIDE_VECS], e[SM_WIDE_VECS];
        st[j] = wide_row_stats_nv(x + j * ldx, n, nv, beta, fast, xv, e);
        for (size_t v = 0; y && v < nv; v++)
            store_row_vec(y + j * ldy, v, nv, last, e[v], true);
    }
}

/* wide_rows_stats_nv with the vector count a constant per case (32 < n <=
 * SM_SHORT_ROW); out of line, one copy for every kernel that groups its
 * rows' statistics. */
static __attribute__((noinline)) void
wide_rows_stats(const float *x, size_t ldx, size_t rows, size_t n, float beta,
                float *y, size_t ldy, bool fast, struct row_stats st[])
{
    const size_t nv = (n + SM_VW - 1) / SM_VW;
#define SM_CALL(k) \
    if (fast) \
        wide_rows_stats_nv(x, ldx, rows, n, k, beta, y, ldy, true, st); \
    else \
        wide_rows_stats_nv(x, ldx, rows, n, k, beta, y, ldy, false, st); \
    return
    switch (nv) {
        SM_WIDE_CASES(SM_CALL)
    }
#undef SM_CALL
    SM_UNREACHABLE();
}
#else
#define SM_SHORT_ROW 32
#endif
#endif

/* row_stats, with rows of one block and wide rows from registers. */
SM_INLINE struct row_stats short_row_stats(const float *x, size_t n,
                                           float beta, float *y, bool fast)
{
#ifndef SM_VLA
    if (n <= 32)
        return block_row_stats(x, n, beta, y, fast);
#ifdef SM_WIDE_VECS
    if (n <= SM_SHORT_ROW) {
        struct row_stats st;
        wide_rows_stats(x, 0, 1, n, beta, y, 0, fast, &st);
        return st;
    }
#endif
#endif
    return row_stats(x, n, beta, y, fast);
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
#ifndef SM_VLA
    if (n <= 32) {
        block_rows_out(1, n, beta, x, 0, y, 0, fast, false);
        return;
    }
#ifdef SM_WIDE_VECS
    if (n <= SM_SHORT_ROW) {
        softmax_wide_row(x, n, beta, y, fast);
        return;
    }
#endif
#endif
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

/* log-softmax's output from the row's statistics and l, their
 * log_partition (beta != 0). */
static void log_softmax_from(const float *x, size_t n, float beta,
                             struct row_stats st, double l, float *y)
{
    if (isnan(st.k + st.s))
        fill(y, n, sm_qnan);
    else if (row_is_masked(st.m, beta))
        fill(y, n, -INFINITY);
    else
        shift_sub(x, n, st.m, beta, (float)l, y);
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
    const struct row_stats st = short_row_stats(x, n, beta, NULL, fast);
    const bool finite = !isnan(st.k + st.s) && !row_is_masked(st.m, beta);
    log_softmax_from(x, n, beta, st, finite ? log_partition(st.k, st.s) : 0.0,
                     y);
}

/* Statistics of rows (<= SM_ROW_GROUP) rows (beta != 0) and their L in
 * one log1p pass, ahead of the rows' output passes; y (optional, rows of
 * one chunk) receives e_i as with row_stats. */
SM_INLINE void group_stats(const float *x, size_t ldx, size_t rows, size_t n,
                           float beta, float *y, size_t ldy, bool fast,
                           double logk[SM_LOGK_MAX + 1],
                           struct row_stats st[], double l[])
{
#if defined(SM_WIDE_VECS) && !defined(SM_VLA)
    if (n > 32 && n <= SM_SHORT_ROW) /* one call for the group's rows */
        wide_rows_stats(x, ldx, rows, n, beta, y, ldy, fast, st);
    else
#endif
        for (size_t j = 0; j < rows; j++)
            st[j] = short_row_stats(x + j * ldx, n, beta,
                                    y ? y + j * ldy : NULL, fast);
    group_log_partition(st, rows, logk, l);
}

/* logsumexp from a row's statistics and l = log_partition(K, S'') (beta
 * != 0). */
static float logsumexp_of(struct row_stats st, float beta, double l)
{
    if (isnan(st.k + st.s))
        return sm_qnan;
    if (row_is_masked(st.m, beta))
        return -INFINITY;
    /* beta * M is the limit 0 when M = 0, also for an infinite beta. */
    const double bm = st.m == 0.0f ? 0.0 : (double)beta * (double)st.m;
    return (float)(bm + l);
}

SM_INLINE float logsumexp_row(const float *x, size_t n, float beta, bool fast)
{
    if (n == 0)
        return -INFINITY;
    if (beta == 0.0f)
        return row_has_nan(x, n) ? sm_qnan
               : (float)log_partition((double)n, 0.0);
    const struct row_stats st = short_row_stats(x, n, beta, NULL, fast);
    return logsumexp_of(st, beta, log_partition(st.k, st.s));
}

#ifndef SM_VLA
/* logsumexp of a batch of one-block rows, a group at a time: statistics
 * two rows at a time, then the group's L in one log1p pass. */
SM_INLINE void logsumexp_block_rows_nv(size_t rows, size_t n, size_t nv,
                                       float beta, const float *x, size_t ldx,
                                       float *result, bool fast)
{
    double logk[SM_LOGK_MAX + 1];
    logk_init(logk, n);
    for (size_t r0 = 0; r0 < rows; r0 += SM_ROW_GROUP) {
        const size_t nr = rows - r0 < SM_ROW_GROUP ? rows - r0 : SM_ROW_GROUP;
        sm_v e[SM_ROW_GROUP][SM_VPB];
        struct row_stats st[SM_ROW_GROUP];
        double l[SM_ROW_GROUP];
        for (size_t j = 0; j < nr; j += SM_BLOCK_ROWS) {
            const float *xj = x + (r0 + j) * ldx;
            if (nr - j >= SM_BLOCK_ROWS)
                block_stats_rows_nv(xj, ldx, SM_BLOCK_ROWS, n, nv, beta, fast,
                                    e + j, st + j);
            else
                block_stats_rows_nv(xj, ldx, 1, n, nv, beta, fast, e + j, st + j);
        }
        group_log_partition(st, nr, logk, l);
        for (size_t j = 0; j < nr; j++)
            result[r0 + j] = logsumexp_of(st[j], beta, l[j]);
    }
}

SM_INLINE void logsumexp_block_rows(size_t rows, size_t n, float beta,
                                    const float *x, size_t ldx, float *result,
                                    bool fast)
{
    const size_t nv = (n + SM_VW - 1) / SM_VW;
#define SM_CALL(k) \
    logsumexp_block_rows_nv(rows, n, k, beta, x, ldx, result, fast); return
    switch (nv) {
        SM_BLOCK_CASES(SM_CALL)
    }
#undef SM_CALL
#if SM_VPB > 8 /* the cases above cover every nv <= SM_VPB <= 8 */
    logsumexp_block_rows_nv(rows, n, nv, beta, x, ldx, result, fast);
#else
    SM_UNREACHABLE();
#endif
}
#endif

/* Log-softmax into y, or logsumexp into result, of rows of at most
 * SM_GROUP_COLS entries (beta != 0), a group of rows at a time. */
SM_INLINE void grouped_log_rows(size_t rows, size_t cols, float beta,
                                const float *x, size_t ldx, float *y,
                                size_t ldy, float *result, bool fast)
{
    double logk[SM_LOGK_MAX + 1];
    logk_init(logk, cols);
    for (size_t r0 = 0; r0 < rows; r0 += SM_ROW_GROUP) {
        const size_t nr = rows - r0 < SM_ROW_GROUP ? rows - r0 : SM_ROW_GROUP;
        struct row_stats st[SM_ROW_GROUP];
        double l[SM_ROW_GROUP];
        group_stats(x + r0 * ldx, ldx, nr, cols, beta, NULL, 0, fast, logk, st,
                    l);
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
                                     size_t ldy, bool fast, bool log)
{
    double logk[SM_LOGK_MAX + 1];
    logk_init(logk, n);
    size_t r0 = 0;
    while (r0 < rows) {
        size_t len = rows - r0;
#ifdef SM_COLUMNS
        if (n <= SM_VW && len >= SM_VW) {
            const float *xg = x + r0 * ldx;
            float *yg = y + r0 * ldy;
            if (log ? log_softmax_col_group(xg, ldx, n, beta, yg, ldy, logk, fast)
                    : softmax_col_group_any(xg, ldx, n, beta, yg, ldy, fast)) {
                r0 += SM_VW;
                continue;
            }
            len = SM_VW;
        }
#endif
        block_rows_out(len, n, beta, x + r0 * ldx, ldx, y + r0 * ldy, ldy,
                       fast, log);
        r0 += len;
    }
}
#endif

/* softmax or, with log, log-softmax of every row. */
SM_INLINE void rows_out_mode(size_t rows, size_t cols, float beta,
                             const float *x, size_t ldx, float *y, size_t ldy,
                             bool fast, bool log)
{
#ifndef SM_VLA
    if (cols > 0 && cols <= 32 && beta != 0.0f) {
        block_or_col_rows_out(rows, cols, beta, x, ldx, y, ldy, fast, log);
        return;
    }
#endif
    if (log && beta != 0.0f && cols > 0 && cols <= SM_GROUP_COLS) {
        grouped_log_rows(rows, cols, beta, x, ldx, y, ldy, NULL, fast);
        return;
    }
    for (size_t r = 0; r < rows; r++) {
        if (log)
            log_softmax_row(x + r * ldx, cols, beta, y + r * ldy, fast);
        else
            softmax_row(x + r * ldx, cols, beta, y + r * ldy, fast);
    }
}

/* The batch paths, out of line (see one_row_softmax), one copy per op and
 * exp mode. */
static __attribute__((noinline)) void
softmax_rows_any(size_t rows, size_t cols, float beta, const float *x,
                 size_t ldx, float *y, size_t ldy, unsigned flags)
{
    if (flags & SM_FAST_EXP)
        rows_out_mode(rows, cols, beta, x, ldx, y, ldy, true, false);
    else
        rows_out_mode(rows, cols, beta, x, ldx, y, ldy, false, false);
}

static __attribute__((noinline)) void
log_softmax_rows_any(size_t rows, size_t cols, float beta, const float *x,
                     size_t ldx, float *y, size_t ldy, unsigned flags)
{
    if (flags & SM_FAST_EXP)
        rows_out_mode(rows, cols, beta, x, ldx, y, ldy, true, true);
    else
        rows_out_mode(rows, cols, beta, x, ldx, y, ldy, false, true);
}

#ifndef SM_VLA /* where SM_VPB is a constant the preprocessor can read */
#if SM_VPB <= 8
#define SM_ONE_ROW 1
#endif
#endif
#ifdef SM_ONE_ROW
/* A lone row of at most SM_SHORT_ROW entries, as block_rows_out or
 * softmax_wide_row_nv computes it. */
SM_INLINE void one_row_out_nv(const float *x, size_t n, size_t nv, float beta,
                              float *y, bool fast, bool log)
{
#ifdef SM_WIDE_VECS
    sm_v xv[SM_WIDE_VECS], e[SM_WIDE_VECS];
#else
    sm_v xv[SM_VPB], e[SM_VPB];
#endif
    struct row_stats st;
    if (nv <= SM_VPB) { /* as a block of one row */
        block_load_rows(x, 0, 1, n, nv, beta, (sm_v(*)[SM_VPB])xv);
        block_stats_loaded_nv((sm_v(*)[SM_VPB])xv, 1, n, nv, beta, fast,
                              (sm_v(*)[SM_VPB])e, &st);
    } else {
#ifdef SM_WIDE_VECS
        st = wide_row_stats_nv(x, n, nv, beta, fast, xv, e);
#else
        SM_UNREACHABLE();
#endif
    }
    const bool finite = !isnan(st.k + st.s) && !row_is_masked(st.m, beta);
    const float c = !log ? (float)(1.0 / (st.k + st.s))
                    : finite ? (float)log_partition(st.k, st.s) : 0.0f;
    block_store_row(xv, e, st, c, n, nv, beta, y, log, nv > SM_VPB);
}

SM_INLINE void one_row_out(const float *x, size_t n, float beta, float *y,
                           bool fast, bool log)
{
    const size_t nv = (n + SM_VW - 1) / SM_VW;
#define SM_CALL(k) one_row_out_nv(x, n, k, beta, y, fast, log); return
    switch (nv) {
        SM_BLOCK_CASES(SM_CALL)
#ifdef SM_WIDE_VECS
        SM_WIDE_CASES(SM_CALL)
#endif
    }
#undef SM_CALL
    SM_UNREACHABLE();
}

/* The call for one row of at most SM_SHORT_ROW entries (a sampler's, a
 * decoder's) comes here, out of line and clear of the batch paths: their
 * frame (a realigned stack, the spills of many live vectors) and their
 * set-up (the log K cache, the group's arrays) would slow a lone short
 * row down. */
static __attribute__((noinline)) void one_row_softmax(const float *x, size_t n,
                                                      float beta, float *y,
                                                      bool fast)
{
    if (fast)
        one_row_out(x, n, beta, y, true, false);
    else
        one_row_out(x, n, beta, y, false, false);
}

static __attribute__((noinline)) void
one_row_log_softmax(const float *x, size_t n, float beta, float *y, bool fast)
{
    if (fast)
        one_row_out(x, n, beta, y, true, true);
    else
        one_row_out(x, n, beta, y, false, true);
}

static __attribute__((noinline)) float one_row_logsumexp(const float *x,
                                                         size_t n, float beta,
                                                         bool fast)
{
    return logsumexp_row(x, n, beta, fast);
}

static inline bool is_one_short_row(size_t rows, size_t cols, float beta)
{
    return rows == 1 && cols - 1 < SM_SHORT_ROW && beta != 0.0f;
}
#endif

static void softmax_rows(size_t rows, size_t cols, float beta, const float *x,
                         size_t ldx, float *y, size_t ldy, unsigned flags)
{
#ifdef SM_ONE_ROW
    if (is_one_short_row(rows, cols, beta)) {
        one_row_softmax(x, cols, beta, y, (flags & SM_FAST_EXP) != 0);
        return;
    }
#endif
    softmax_rows_any(rows, cols, beta, x, ldx, y, ldy, flags);
}

static void log_softmax_rows(size_t rows, size_t cols, float beta,
                             const float *x, size_t ldx, float *y, size_t ldy,
                             unsigned flags)
{
#ifdef SM_ONE_ROW
    if (is_one_short_row(rows, cols, beta)) {
        one_row_log_softmax(x, cols, beta, y, (flags & SM_FAST_EXP) != 0);
        return;
    }
#endif
    log_softmax_rows_any(rows, cols, beta, x, ldx, y, ldy, flags);
}

SM_INLINE void logsumexp_rows_mode(size_t rows, size_t cols, float beta,
                                   const float *x, size_t ldx, float *result,
                                   bool fast)
{
#ifndef SM_VLA
    if (cols > 0 && cols <= 32 && beta != 0.0f) {
        double logk[SM_LOGK_MAX + 1];
        logk_init(logk, cols);
        size_t r0 = 0; /* column groups as in block_or_col_rows_out */
        while (r0 < rows) {
            size_t len = rows - r0;
#ifdef SM_COLUMNS
            if (cols <= SM_VW && len >= SM_VW) {
                if (logsumexp_col_group(x + r0 * ldx, ldx, cols, beta,
                                        result + r0, logk, fast)) {
                    r0 += SM_VW;
                    continue;
                }
                len = SM_VW;
            }
#endif
            logsumexp_block_rows(len, cols, beta, x + r0 * ldx, ldx,
                                 result + r0, fast);
            r0 += len;
        }
        return;
    }
#endif
    if (beta != 0.0f && cols > 0 && cols <= SM_GROUP_COLS) {
        grouped_log_rows(rows, cols, beta, x, ldx, NULL, 0, result, fast);
        return;
    }
    for (size_t r = 0; r < rows; r++)
        result[r] = logsumexp_row(x + r * ldx, cols, beta, fast);
}

static __attribute__((noinline)) void
logsumexp_rows_any(size_t rows, size_t cols, float beta, const float *x,
                   size_t ldx, float *result, unsigned flags)
{
    if (flags & SM_FAST_EXP)
        logsumexp_rows_mode(rows, cols, beta, x, ldx, result, true);
    else
        logsumexp_rows_mode(rows, cols, beta, x, ldx, result, false);
}

static void logsumexp_rows(size_t rows, size_t cols, float beta,
                           const float *x, size_t ldx, float *result,
                           unsigned flags)
{
#ifdef SM_ONE_ROW
    if (is_one_short_row(rows, cols, beta)) {
        result[0] = one_row_logsumexp(x, cols, beta, (flags & SM_FAST_EXP) != 0);
        return;
    }
#endif
    logsumexp_rows_any(rows, cols, beta, x, ldx, result, flags);
}

static void stats(size_t n, float beta, const float *x, unsigned flags,
                  float *m, double *k, double *s)
{
    const struct row_stats st =
        row_stats(x, n, beta, NULL, (flags & SM_FAST_EXP) != 0);
    *m = st.m;
    *k = st.k;
    *s = st.s == st.s ? st.s : (double)sm_qnan; /* as every output */
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
#ifndef SM_VLA
    for (; fast && i + 32 <= n; i += 32) {
        sm_v e[SM_VPB];
        for (int v = 0; v < SM_VPB; v++)
            e[v] = v_sub(v_load(x + i + (size_t)v * SM_VW), vc);
        exp_nonpos_block(e, fast);
        for (int v = 0; v < SM_VPB; v++)
            a0 = v_add(a0, e[v]);
    }
#endif
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

#include "common/backward.h"
#include "common/loss.h"

const struct sm_kernels SM_TABLE = {
    .softmax_rows = softmax_rows,
    .log_softmax_rows = log_softmax_rows,
    .logsumexp_rows = logsumexp_rows,
    .softmax_backward_rows = softmax_backward_rows,
    .log_softmax_backward_rows = log_softmax_backward_rows,
    .softmax_jacobian = softmax_jacobian,
    .cross_entropy_rows = cross_entropy_rows,
    .soft_target_rows = soft_target_rows,
    .entropy_rows = entropy_rows,
    .row_stats = stats,
    .exp = exp_array,
    .exp_sum = exp_sum,
};
