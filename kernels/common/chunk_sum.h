/*
 * One chunk's count K of entries equal to its extremum and sum S' of the
 * others' exps, in the contract's order: the strategies by ISA and exp mode
 * (a tile's exps first, one fused loop, or SLEEF's exps called by tiles),
 * each the same adds in the same order.
 */
#ifndef SM_CHUNK_SUM_H
#define SM_CHUNK_SUM_H

#include "common/row_math.h"

/* What a chunk's pass stores for an entry: e, 1 where it equals m (the
 * exp's own 1 when finite), or with store_t t, +0 where it equals m. */
SM_INLINE sm_v chunk_out(sm_v t, sm_v e, sm_m eq, bool finite, bool store_t)
{
    if (store_t)
        return v_sel(eq, v_set1(0.0f), t);
    return finite ? e : v_sel(eq, v_set1(1.0f), e);
}

/* One chunk (n <= SM_CHUNK) against its extremum m: k = entries equal to m,
 * returns S' = sum of the other e_i = exp(beta (x_i - m)) in the canonical
 * order. With y, also stores e_i (1 for entries equal to m), or with
 * store_t t_i = beta (x_i - m) as t_of gives it (+0 for entries equal to
 * m: log-softmax's output less L). With m and beta finite ("finite"), the
 * exp itself returns that 1.
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
    const sm_v zero = v_set1(0.0f);
    sm_acc acc;
    acc_zero(&acc);
    size_t count = 0;
    float ebuf[SM_SUM_TILE] __attribute__((aligned(64)));
    for (size_t base = 0; base < n; base += SM_SUM_TILE) {
        const size_t len = n - base < SM_SUM_TILE ? n - base : SM_SUM_TILE;
        const float *xt = x + base;
        float *yt = y ? y + base : NULL;
        size_t i = 0;
        for (; SM_EXP_INLINE && i + 32 <= len; i += 32) {
            sm_v xv[SM_VPB], t[SM_VPB], e[SM_VPB];
            block_exps(xt + i, vm, vb, unit_beta, xv, t, e);
            for (int v = 0; v < SM_VPB; v++) {
                const sm_m eq = m_eq(xv[v], vm);
                if (yt)
                    v_store(yt + i + (size_t)v * SM_VW,
                            chunk_out(t[v], e[v], eq, finite, false));
                v_store(ebuf + i + (size_t)v * SM_VW, v_sel(eq, zero, e[v]));
                count += m_count(eq);
            }
        }
        for (; i + SM_VW <= len; i += SM_VW) {
            const sm_v xv = v_load(xt + i);
            const sm_m eq = m_eq(xv, vm);
            const sm_v t = beta_times_diff(xv, vm, vb, unit_beta);
            const sm_v e = exp_nonpos(t);
            if (yt)
                v_store(yt + i, chunk_out(t, e, eq, finite, false));
            v_store(ebuf + i, v_sel(eq, zero, e));
            count += m_count(eq);
        }
        if (i < len) {
            const size_t c = len - i;
            const sm_v xv = v_load_part(xt + i, c, m);
            const sm_m valid = m_first(c);
            const sm_m eq = m_and(m_eq(xv, vm), valid);
            const sm_v t = beta_times_diff(xv, vm, vb, unit_beta);
            const sm_v e = exp_nonpos(t);
            if (yt)
                v_store_part(yt + i, c, chunk_out(t, e, eq, false, false));
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
                                  bool unit_beta, bool store_t)
{
    const sm_v vm = v_set1(m), vb = v_set1(beta);
    const sm_v zero = v_set1(0.0f);
    sm_acc acc;
    acc_zero(&acc);
    size_t count = 0;
    size_t i = 0;
#ifndef SM_VLA
    for (; SM_EXP_INLINE && i + 32 <= n; i += 32) {
        sm_v xv[SM_VPB], t[SM_VPB], e[SM_VPB];
        sm_m eq[SM_VPB];
        block_exps(x + i, vm, vb, unit_beta, xv, t, e);
        for (int v = 0; v < SM_VPB; v++)
            eq[v] = m_eq(xv[v], vm);
        sm_m any = eq[0];
        for (int v = 1; v < SM_VPB; v++)
            any = m_or(any, eq[v]);
        if (m_count(any) == 0) { /* the usual block: M is elsewhere */
            for (int v = 0; v < SM_VPB; v++) {
                if (y)
                    v_store(y + i + (size_t)v * SM_VW, store_t ? t[v] : e[v]);
                acc_add(&acc, v, e[v]);
            }
            continue;
        }
        for (int v = 0; v < SM_VPB; v++) {
            if (y)
                v_store(y + i + (size_t)v * SM_VW,
                        chunk_out(t[v], e[v], eq[v], finite, store_t));
            acc_add_unless(&acc, v, e[v], eq[v]);
            count += m_count(eq[v]);
        }
    }
#endif
    for (; i + 32 <= n; i += 32) {
        for (int v = 0; v < SM_VPB; v++) {
            const sm_v xv = v_load(x + i + (size_t)v * SM_VW);
            const sm_m eq = m_eq(xv, vm);
            const sm_v t = beta_times_diff(xv, vm, vb, unit_beta);
            const sm_v e = exp_nonpos(t);
            if (y)
                v_store(y + i + (size_t)v * SM_VW,
                        chunk_out(t, e, eq, finite, store_t));
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
        const sm_v t = beta_times_diff(xv, vm, vb, unit_beta);
        const sm_v e = exp_nonpos(t);
        if (y) {
            const sm_v out = chunk_out(t, e, eq, false, store_t);
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

#if !SM_EXP_INLINE && !defined(SM_VLA)
/* Where SLEEF's exp is an out-of-line call (the scalar kernel; every SIMD
 * ISA has it inline, common/exp_u10.h), after which no vector register
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
                                bool unit_beta, bool store_t)
{
#if !SM_EXP_INLINE && !defined(SM_VLA)
    /* A short row's few calls do not repay the tile's second loop. */
    if (n >= SM_EXP_CALL_ROW_MIN && !store_t)
        return chunk_sum_exp_calls(x, n, m, beta, y, k, finite, unit_beta);
#endif
#if SM_SUM_TILE
    (void)store_t; /* see SM_LOG_STORES_T */
    return chunk_sum_tiled(x, n, m, beta, y, k, finite, unit_beta);
#else
    return chunk_sum_direct(x, n, m, beta, y, k, finite, unit_beta, store_t);
#endif
}

/* exp(+-0) is exactly 1 in both exps, so with m and beta finite an entry
 * equal to m gets e = 1 without a select (inf - inf or 0 * inf is NaN). */
SM_INLINE double chunk_sum(const float *x, size_t n, float m, float beta,
                           float *y, size_t *k, bool store_t)
{
    if (!isfinite(m) || !isfinite(beta))
        return chunk_sum_with(x, n, m, beta, y, k, false, false, store_t);
    if (beta == 1.0f)
        return chunk_sum_with(x, n, m, beta, y, k, true, true, store_t);
    return chunk_sum_with(x, n, m, beta, y, k, true, false, store_t);
}

#endif
