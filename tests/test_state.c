/*
 * The online state: rows folded chunk by chunk against the one-shot
 * kernels bit for bit (statistics and outputs), every ISA against scalar;
 * other splits and merge trees against the long-double reference and the
 * header's bounds; special values through merges; the seeds' worked
 * example folded one entry at a time; every error path.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "isa_tables.h"
#include "long_double_reference.h"

#define C SM_CHUNK

static sm_softmax_state empty_state(float beta, unsigned flags)
{
    const sm_options o = {sizeof o, beta, flags, NULL};
    sm_softmax_state st;
    assert_int_equal(sm_softmax_state_init(1, &st, &o), SM_OK);
    return st;
}

static int same_state(const sm_softmax_state *a, const sm_softmax_state *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

static int same_bits(const float *a, const float *b, size_t n)
{
    return n == 0 || memcmp(a, b, n * sizeof *a) == 0;
}

/* ---- rows ---------------------------------------------------------------- */

enum pattern { RANDOM, RISING, INFS, MASKED, HALF_MASKED, ONE_NAN, HUGE_VALUES,
               PATTERNS };

static void fill_pattern(float *x, size_t n, enum pattern p, uint64_t *s)
{
    for (size_t i = 0; i < n; i++)
        x[i] = rng_uniform(s, -10.0f, 10.0f);
    switch (p) {
    case RANDOM:
        break;
    case RISING: /* each chunk (each third of a short row) beats the last */
        for (size_t i = 0; i < n; i++)
            x[i] += 4.0f * (float)(n > C ? i / C : 3 * i / n);
        break;
    case INFS:
        x[n / 3] = INFINITY;
        x[n - 1] = INFINITY;
        break;
    case MASKED:
        for (size_t i = 0; i < n; i++)
            x[i] = -INFINITY;
        break;
    case HALF_MASKED:
        for (size_t i = 0; i < (n + 1) / 2; i++)
            x[i] = -INFINITY;
        break;
    case ONE_NAN:
        x[n / 2] = test_nan_payload((int)(n % 2));
        break;
    case HUGE_VALUES:
        for (size_t i = 0; i < n; i += 3)
            x[i] = i % 2 ? -3e38f : 3e38f;
        break;
    default:
        break;
    }
}

/* ---- folding a row in pieces --------------------------------------------- */

enum tree { IN_ORDER, LEFT, RIGHT, PAIRWISE, TREES };

/* The row x (n entries) cut into pieces of the given lengths (repeating
 * the list; a piece ends at the row's end). Returns the piece count. */
static size_t cut(size_t n, const size_t *lens, size_t nlens, size_t *at,
                  size_t *len, size_t max_pieces)
{
    size_t p = 0;
    for (size_t pos = 0; pos < n; p++) {
        assert_true(p < max_pieces);
        const size_t l = lens[p % nlens];
        at[p] = pos;
        len[p] = n - pos < l ? n - pos : l;
        pos += len[p];
    }
    return p;
}

/* Merges the states st[lo, hi) by tree into *out. */
static void merge_tree(const struct sm_kernels *k, enum tree t,
                       sm_softmax_state *st, size_t lo, size_t hi,
                       sm_softmax_state *out)
{
    if (hi - lo == 1) {
        *out = st[lo];
        return;
    }
    if (t == LEFT) {
        *out = st[lo];
        for (size_t p = lo + 1; p < hi; p++)
            k->state_merge(1, &st[p], out);
    } else if (t == RIGHT) {
        *out = st[hi - 1];
        for (size_t p = hi - 1; p-- > lo;)
            k->state_merge(1, &st[p], out);
    } else {
        sm_softmax_state right;
        const size_t mid = lo + (hi - lo) / 2;
        merge_tree(k, t, st, lo, mid, out);
        merge_tree(k, t, st, mid, hi, &right);
        k->state_merge(1, &right, out);
    }
}

/* The results of one split and tree: the row's state, softmax and
 * log-softmax written from it piece by piece, logsumexp, and the
 * fold-with-e route's softmax (e). */
struct split_result {
    sm_softmax_state total;
    float lse;
    float *p, *y, *e;
};

#define MAX_PIECES 4096

static void run_split(const struct sm_kernels *k, unsigned flags,
                      const float *x, size_t n, float beta, const size_t *lens,
                      size_t nlens, enum tree t, struct split_result *r)
{
    static size_t at[MAX_PIECES], len[MAX_PIECES];
    static sm_softmax_state st[MAX_PIECES];
    const size_t np = cut(n, lens, nlens, at, len, MAX_PIECES);
    /* the state route: pieces folded into one state, or each into its own
     * state and the states merged */
    r->total = empty_state(beta, flags);
    for (size_t p = 0; p < np; p++) {
        if (t == IN_ORDER) {
            k->state_fold_rows(1, len[p], x + at[p], len[p], NULL, 0,
                               &r->total, flags);
        } else {
            st[p] = empty_state(beta, flags);
            k->state_fold_rows(1, len[p], x + at[p], len[p], NULL, 0, &st[p],
                               flags);
        }
    }
    if (t != IN_ORDER && np > 0)
        merge_tree(k, t, st, 0, np, &r->total);
    k->state_logsumexp(1, &r->total, &r->lse);
    for (size_t p = 0; p < np; p++) {
        k->state_softmax_rows(1, len[p], x + at[p], len[p], &r->total,
                              r->p + at[p], len[p], flags);
        k->state_log_softmax_rows(1, len[p], x + at[p], len[p], &r->total,
                                  r->y + at[p], len[p], flags);
    }
    /* the fold-with-e route: each piece's own state and exps, merged by
     * the tree (IN_ORDER: left to right), then scaled */
    for (size_t p = 0; p < np; p++) {
        st[p] = empty_state(beta, flags);
        k->state_fold_rows(1, len[p], x + at[p], len[p], r->e + at[p], len[p],
                           &st[p], flags);
    }
    sm_softmax_state total = empty_state(beta, flags);
    if (np > 0)
        merge_tree(k, t == IN_ORDER ? LEFT : t, st, 0, np, &total);
    for (size_t p = 0; p < np; p++)
        k->state_scale_rows(1, len[p], &st[p], &total, r->e + at[p], len[p]);
}

static void alloc_result(struct split_result *r, size_t n)
{
    r->p = malloc((n + 1) * sizeof *r->p);
    r->y = malloc((n + 1) * sizeof *r->y);
    r->e = malloc((n + 1) * sizeof *r->e);
    assert_non_null(r->p);
    assert_non_null(r->y);
    assert_non_null(r->e);
}

static void free_result(struct split_result *r)
{
    free(r->p);
    free(r->y);
    free(r->e);
}

/* ---- chunk by chunk: the one-shot bits ----------------------------------- */

/* Softmax from the state (p) has the one-shot bits for rows of one chunk;
 * the fold-with-e route (e) for them and, pieces of one chunk each, for
 * longer rows too (each chunk's e_i scaled by its own factor, as the
 * one-shot does). */
static int check_one_shot(const char *isa, const struct sm_kernels *k,
                          unsigned flags, const float *x, size_t n,
                          float beta, const char *what,
                          const struct split_result *r, bool p_exact,
                          bool e_exact, float *buf)
{
    int bad = 0;
    if (beta != 0.0f) { /* the probe's statistics (beta 0 never uses them) */
        float m;
        double kk, s;
        k->row_stats(n, beta, x, flags, &m, &kk, &s);
        if (memcmp(&m, &r->total.max, sizeof m) ||
            memcmp(&kk, &r->total.count, sizeof kk) ||
            memcmp(&s, &r->total.sum, sizeof s)) {
            print_error("%s %s n=%zu beta=%g: state (%a, %a, %a), one-shot "
                        "(%a, %a, %a)\n", isa, what, n, (double)beta,
                        (double)r->total.max, r->total.count, r->total.sum,
                        (double)m, kk, s);
            bad++;
        }
    }
    float lse;
    k->logsumexp_rows(1, n, beta, x, n, &lse, flags);
    if (memcmp(&lse, &r->lse, sizeof lse)) {
        print_error("%s %s n=%zu beta=%g: logsumexp %a, one-shot %a\n", isa,
                    what, n, (double)beta, (double)r->lse, (double)lse);
        bad++;
    }
    k->softmax_rows(1, n, beta, x, n, buf, n, flags);
    const bool p_ok = !p_exact || same_bits(buf, r->p, n);
    if (!p_ok || (e_exact && !same_bits(buf, r->e, n))) {
        print_error("%s %s n=%zu beta=%g: softmax (%s) differs from the "
                    "one-shot\n", isa, what, n, (double)beta,
                    p_ok ? "fold with e" : "from the state");
        bad++;
    }
    k->log_softmax_rows(1, n, beta, x, n, buf, n, flags);
    if (!same_bits(buf, r->y, n)) {
        print_error("%s %s n=%zu beta=%g: log-softmax differs from the "
                    "one-shot\n", isa, what, n, (double)beta);
        bad++;
    }
    return bad;
}

static void test_chunk_folds_are_one_shot(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 2, 7, 8, 9, 16, 17, 31, 32, 33, 100,
                                   1000, 4097, C, C + 1, 2 * C + 17};
    static const float betas[] = {1.0f, 0.5f, -1.0f, 0.0f, 3.0f, INFINITY,
                                  -INFINITY};
    const size_t max_n = 2 * C + 17;
    float *x = malloc(max_n * sizeof *x), *buf = malloc(max_n * sizeof *buf);
    assert_non_null(x);
    assert_non_null(buf);
    struct split_result r, ref;
    alloc_result(&r, max_n);
    alloc_result(&ref, max_n);
    uint64_t s = 777;
    int bad = 0;
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        const size_t n = sizes[si];
        /* quick: a row of one whole chunk is trimmed as the longer ones */
        const bool long_row = n > C || (test_quick() && n == C);
        for (int p = 0; p < PATTERNS; p++) {
            if (long_row && test_quick() && (p != RISING || n > 2 * C))
                continue;
            fill_pattern(x, n, (enum pattern)p, &s);
            for (size_t bi = 0; bi < sizeof betas / sizeof *betas; bi++) {
                const float beta = betas[bi];
                if (long_row && bi > 2 && (test_quick() || p != RISING))
                    continue;
                for (unsigned flags = 0; flags <= SM_FAST_EXP;
                     flags += SM_FAST_EXP) {
                    /* pieces of one chunk, and of two for the longest row */
                    const size_t one[] = {C}, two[] = {2 * C};
                    for (int lens = 0; lens < (n > 2 * C ? 2 : 1); lens++) {
                        const char *what = lens ? "pieces of 2 chunks"
                                                : "pieces of 1 chunk";
                        run_split(table_for(SM_ISA_SCALAR), flags, x, n, beta,
                                  lens ? two : one, 1, IN_ORDER, &ref);
                        /* scalar's one-shot: in the full run, not in
                         * runs narrowed to some ISAs */
                        if (!test_isas_narrowed())
                            bad += check_one_shot(
                                "scalar", table_for(SM_ISA_SCALAR), flags, x,
                                n, beta, what, &ref, n <= C,
                                n <= C || !lens, buf);
                        for (int isa = SM_ISA_SCALAR + 1; isa <= SM_ISA_COUNT;
                             isa++) {
                            const struct sm_kernels *k = table_for(isa);
                            if (!k)
                                continue;
                            run_split(k, flags, x, n, beta, lens ? two : one,
                                      1, IN_ORDER, &r);
                            if (!same_state(&r.total, &ref.total) ||
                                !same_bits(r.p, ref.p, n) ||
                                !same_bits(r.y, ref.y, n) ||
                                !same_bits(r.e, ref.e, n) ||
                                memcmp(&r.lse, &ref.lse, sizeof r.lse)) {
                                print_error("%s %s n=%zu pattern %d beta=%g "
                                            "flags %u: differs from scalar\n",
                                            table_name(isa), what, n, p,
                                            (double)beta, flags);
                                bad++;
                            }
                        }
                        if (bad > 10)
                            fail_msg("too many differences");
                    }
                }
            }
        }
    }
    free_result(&r);
    free_result(&ref);
    free(buf);
    free(x);
    assert_int_equal(bad, 0);
}

/* ---- other splits and trees: the bounds ---------------------------------- */

/* The header's bounds for the state route (base) and the fold-with-e
 * route (e_base); log-softmax and logsumexp ulp. */
static int check_bounds(const char *what, const float *x, size_t n, float beta,
                        unsigned flags, const struct split_result *r)
{
    const int fast = (flags & SM_FAST_EXP) != 0;
    const double base = fast ? 7.0 : 5.0, e_base = base + 1.0;
    const double log_ulp = fast ? 5.0 : 4.0, lse_ulp = fast ? 3.0 : 2.0;
    const struct reference ref = reference(x, n, beta);
    int bad = 0;
    for (size_t i = 0; i < n && bad < 5; i++) {
        const long double t = (long double)beta * ((long double)x[i] - ref.m);
        const long double logp = t - ref.l, pr = expl(logp);
        const double bound = (base + 2.0 * (double)fabsl(t)) * 0x1p-24 * (double)pr;
        const double e_bound =
            (e_base + 2.0 * (double)fabsl(t)) * 0x1p-24 * (double)pr;
        const double err = (double)fabsl((long double)r->p[i] - pr);
        const double e_err = (double)fabsl((long double)r->e[i] - pr);
        const int subnormal = pr < 0x1p-126L;
        if (!(err <= bound || (subnormal && err <= 0x1p-148)) ||
            !(e_err <= e_bound || (subnormal && e_err <= 0x1p-148))) {
            print_error("%s n=%zu beta=%g i=%zu: softmax %a, with e %a, want "
                        "%La\n", what, n, (double)beta, i, (double)r->p[i],
                        (double)r->e[i], pr);
            bad++;
        }
        const float logp_f = (float)logp;
        if (isfinite(logp_f)) {
            const double ulps = (double)fabsl((long double)r->y[i] - logp) /
                                ulp_of(logp_f);
            if (!(ulps <= log_ulp + ref.slack / ulp_of(logp_f))) {
                print_error("%s n=%zu beta=%g i=%zu: log-softmax %a, want %La "
                            "(%.3g ulp)\n", what, n, (double)beta, i,
                            (double)r->y[i], logp, ulps);
                bad++;
            }
        } else if (r->y[i] != logp_f) {
            bad++;
        }
    }
    const long double lse_ref = (long double)beta * ref.m + ref.l;
    const double ulp = ulp_of((float)lse_ref);
    if (!((double)fabsl((long double)r->lse - lse_ref) <=
          lse_ulp * ulp + ref.slack)) {
        print_error("%s n=%zu beta=%g: logsumexp %a, want %La\n", what, n,
                    (double)beta, (double)r->lse, lse_ref);
        bad++;
    }
    return bad;
}

/* A row longer than SM_KEPT_CHUNKS chunks: the one-shot softmax finds the
 * extremum of its later chunks again and recomputes their exps; out of
 * place and in place it must still be the fold-with-e route of one-chunk
 * pieces, bit for bit, and each ISA scalar's. Chunks beyond the kept ones
 * both hold the row's maximum and fall below it. */
static void test_rows_past_kept_chunks(void **state)
{
    (void)state;
    if (test_quick()) {
        print_message("skipped in the quick run: rows of 67M entries\n");
        return;
    }
    const size_t n = (SM_KEPT_CHUNKS + 1) * C + 1000;
    float *x = malloc(n * sizeof *x), *buf = malloc(n * sizeof *buf);
    float *scalar_e = malloc(n * sizeof *scalar_e);
    assert_non_null(x);
    assert_non_null(buf);
    assert_non_null(scalar_e);
    struct split_result r;
    alloc_result(&r, n);
    uint64_t s = 4242;
    for (size_t i = 0; i < n; i++) {
        const size_t b = i / C;
        /* chunk SM_KEPT_CHUNKS holds the maximum; the last one does not */
        const float lift = b == SM_KEPT_CHUNKS ? 9.0f : (float)(b % 7);
        x[i] = rng_uniform(&s, -4.0f, 4.0f) + lift;
    }
    const size_t one[] = {C};
    static const float betas[] = {1.0f, -0.5f};
    for (size_t bi = 0; bi < 2; bi++)
        for (unsigned flags = 0; flags <= SM_FAST_EXP; flags += SM_FAST_EXP)
            for (int isa = SM_ISA_SCALAR; isa <= SM_ISA_COUNT; isa++) {
                const struct sm_kernels *k = table_for(isa);
                if (!k)
                    continue;
                const float beta = betas[bi];
                run_split(k, flags, x, n, beta, one, 1, IN_ORDER, &r);
                k->softmax_rows(1, n, beta, x, n, buf, n, flags);
                assert_true(same_bits(buf, r.e, n));
                memcpy(buf, x, n * sizeof *buf);
                k->softmax_rows(1, n, beta, buf, n, buf, n, flags);
                assert_true(same_bits(buf, r.e, n));
                if (isa == SM_ISA_SCALAR)
                    memcpy(scalar_e, r.e, n * sizeof *scalar_e);
                else
                    assert_true(same_bits(r.e, scalar_e, n));
            }
    /* the public call on three threads: the chunks as tasks */
    sm_thread_pool *pool = NULL;
    assert_int_equal(sm_thread_pool_create(3, &pool), SM_OK);
    sm_options o = SM_OPTIONS_INIT;
    o.beta = betas[0];
    o.parallel = sm_thread_pool_parallel(pool);
    run_split(table_for(SM_ISA_SCALAR), 0, x, n, o.beta, one, 1, IN_ORDER, &r);
    assert_int_equal(sm_softmax_rows_f32(1, n, x, n, buf, n, &o), SM_OK);
    assert_true(same_bits(buf, r.e, n));
    memcpy(buf, x, n * sizeof *buf);
    assert_int_equal(sm_softmax_rows_f32(1, n, buf, n, buf, n, &o), SM_OK);
    assert_true(same_bits(buf, r.e, n));
    sm_thread_pool_destroy(pool);
    free_result(&r);
    free(scalar_e);
    free(buf);
    free(x);
}

static void test_splits_and_trees_within_bounds(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 5, 33, 100, 1000, 4099, C + 1000};
    static const float betas[] = {1.0f, 0.5f, -1.0f, 3.0f, 1e-3f};
    static const size_t lens[][4] = {{1}, {3}, {8}, {16, 17}, {31, 32, 33},
                                     {100, 7, 64, 1}, {4096}};
    static const size_t nlens[] = {1, 1, 1, 2, 3, 4, 1};
    static const char *const tree_names[] = {"in order", "left", "right",
                                             "pairwise"};
    const size_t max_n = C + 1000;
    float *x = malloc(max_n * sizeof *x);
    assert_non_null(x);
    struct split_result r, ref;
    alloc_result(&r, max_n);
    alloc_result(&ref, max_n);
    uint64_t s = 4242;
    int bad = 0;
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        const size_t n = sizes[si];
        if (test_quick() && n > 1000)
            continue;
        fill_pattern(x, n, si % 2 ? RISING : RANDOM, &s);
        for (size_t bi = 0; bi < sizeof betas / sizeof *betas; bi++)
            for (size_t li = 0; li < sizeof nlens / sizeof *nlens; li++) {
                size_t shortest = lens[li][0];
                for (size_t j = 1; j < nlens[li]; j++)
                    if (lens[li][j] < shortest)
                        shortest = lens[li][j];
                if (n / shortest >= MAX_PIECES)
                    continue;
                for (int t = 0; t < TREES; t++) {
                    if (n > C && t != PAIRWISE)
                        continue;
                    for (unsigned flags = 0; flags <= SM_FAST_EXP;
                         flags += SM_FAST_EXP) {
                        char what[96];
                        snprintf(what, sizeof what, "pieces %zu.., %s%s",
                                 lens[li][0], tree_names[t],
                                 flags ? ", fast exp" : "");
                        run_split(table_for(SM_ISA_SCALAR), flags, x, n,
                                  betas[bi], lens[li], nlens[li], (enum tree)t,
                                  &ref);
                        if (!test_isas_narrowed())
                            bad += check_bounds(what, x, n, betas[bi], flags,
                                                &ref);
                        for (int isa = SM_ISA_SCALAR + 1; isa <= SM_ISA_COUNT;
                             isa++) {
                            const struct sm_kernels *k = table_for(isa);
                            if (!k)
                                continue;
                            run_split(k, flags, x, n, betas[bi], lens[li],
                                      nlens[li], (enum tree)t, &r);
                            if (!same_state(&r.total, &ref.total) ||
                                !same_bits(r.p, ref.p, n) ||
                                !same_bits(r.y, ref.y, n) ||
                                !same_bits(r.e, ref.e, n)) {
                                print_error("%s %s n=%zu beta=%g: differs "
                                            "from scalar\n", table_name(isa),
                                            what, n, (double)betas[bi]);
                                bad++;
                            }
                        }
                        if (bad > 10)
                            fail_msg("too many errors");
                    }
                }
            }
    }
    free_result(&r);
    free_result(&ref);
    free(x);
    assert_int_equal(bad, 0);
}

/* ---- special values, merge laws, the seeds' example ---------------------- */

/* Folds the pieces x[0..a) and x[a..n) into states of their own, merges
 * them through the public API and writes softmax, log-softmax and
 * logsumexp. */
static void two_pieces(const float *x, size_t n, size_t a, float beta,
                       float *p, float *y, float *lse)
{
    sm_softmax_state s1 = empty_state(beta, 0), s2 = empty_state(beta, 0);
    assert_int_equal(sm_softmax_state_fold_rows_f32(1, a, x, a, NULL, 0, &s1),
                     SM_OK);
    assert_int_equal(sm_softmax_state_fold_rows_f32(1, n - a, x + a, n - a,
                                                    NULL, 0, &s2), SM_OK);
    assert_int_equal(sm_softmax_state_merge(1, &s2, &s1), SM_OK);
    assert_int_equal(sm_softmax_state_logsumexp(1, &s1, lse), SM_OK);
    assert_int_equal(sm_softmax_state_softmax_rows_f32(1, n, x, n, &s1, p, n),
                     SM_OK);
    assert_int_equal(
        sm_softmax_state_log_softmax_rows_f32(1, n, x, n, &s1, y, n), SM_OK);
}

static void test_special_values(void **state)
{
    (void)state;
    float p[8], y[8], lse;
    /* a NaN in one piece: every output NaN, the library's NaN */
    const float with_nan[6] = {1, 2, 3, 4, NAN, 5};
    two_pieces(with_nan, 6, 3, 1.0f, p, y, &lse);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(f32_bits(p[i]), SM_TEST_QNAN_BITS);
        assert_int_equal(f32_bits(y[i]), SM_TEST_QNAN_BITS);
    }
    assert_int_equal(f32_bits(lse), SM_TEST_QNAN_BITS);
    /* a fully masked piece beside a finite one: 0 and -inf there */
    const float half[4] = {-INFINITY, -INFINITY, 0.0f, 0.0f};
    two_pieces(half, 4, 2, 1.0f, p, y, &lse);
    assert_true(p[0] == 0.0f && p[1] == 0.0f && p[2] == 0.5f && p[3] == 0.5f);
    assert_true(y[0] == -INFINITY && y[1] == -INFINITY);
    assert_true(y[2] == -logf(2.0f) && lse == logf(2.0f));
    /* every piece masked: softmax 0, log-softmax -inf, logsumexp -inf */
    const float masked[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    two_pieces(masked, 4, 1, 1.0f, p, y, &lse);
    for (int i = 0; i < 4; i++)
        assert_true(p[i] == 0.0f && y[i] == -INFINITY);
    assert_true(lse == -INFINITY);
    /* +inf in both pieces: 1/k over all of them */
    const float infs[6] = {INFINITY, 3.0f, INFINITY, 1e30f, INFINITY, 0.0f};
    two_pieces(infs, 6, 2, 1.0f, p, y, &lse);
    for (int i = 0; i < 6; i++)
        assert_true(p[i] == (i % 2 ? 0.0f : 1.0f / 3.0f));
    assert_true(lse == INFINITY);
    /* beta = 0: 1/n over the pieces; beta < 0 favours the smallest */
    const float row[5] = {3, -1, 4, 1, -5};
    two_pieces(row, 5, 2, 0.0f, p, y, &lse);
    for (int i = 0; i < 5; i++)
        assert_true(p[i] == (float)(1.0 / 5.0));
    assert_true(fabsf(lse - logf(5.0f)) <= 1e-6f);
    two_pieces(row, 5, 3, -INFINITY, p, y, &lse);
    for (int i = 0; i < 5; i++)
        assert_true(p[i] == (i == 4 ? 1.0f : 0.0f));
    /* an empty state: logsumexp -inf; merging it changes nothing */
    sm_softmax_state e = empty_state(1.0f, 0), a = empty_state(1.0f, 0);
    assert_int_equal(sm_softmax_state_logsumexp(1, &e, &lse), SM_OK);
    assert_true(lse == -INFINITY);
    assert_int_equal(sm_softmax_state_fold_rows_f32(1, 5, row, 5, NULL, 0, &a),
                     SM_OK);
    sm_softmax_state b = a;
    assert_int_equal(sm_softmax_state_merge(1, &e, &b), SM_OK);
    assert_true(same_state(&a, &b));
    assert_int_equal(sm_softmax_state_merge(1, &a, &e), SM_OK);
    assert_true(same_state(&a, &e));
}

/* merge(a, b) and merge(b, a) have the same bits. */
static void test_merge_is_symmetric(void **state)
{
    (void)state;
    uint64_t s = 99;
    float x[64];
    for (int trial = 0; trial < 200; trial++) {
        const float beta = trial % 3 == 0 ? -0.7f : 1.3f;
        sm_softmax_state a = empty_state(beta, 0), b = empty_state(beta, 0);
        for (int i = 0; i < 64; i++)
            x[i] = rng_uniform(&s, -20.0f, 20.0f);
        if (trial % 5 == 0)
            x[7] = x[40]; /* a shared extremum sometimes */
        const size_t cut_at = 1 + rng_next(&s) % 62;
        assert_int_equal(sm_softmax_state_fold_rows_f32(1, cut_at, x, cut_at,
                                                        NULL, 0, &a), SM_OK);
        assert_int_equal(sm_softmax_state_fold_rows_f32(
                             1, 64 - cut_at, x + cut_at, 64 - cut_at, NULL, 0,
                             &b), SM_OK);
        sm_softmax_state ab = a, ba = b;
        assert_int_equal(sm_softmax_state_merge(1, &b, &ab), SM_OK);
        assert_int_equal(sm_softmax_state_merge(1, &a, &ba), SM_OK);
        assert_true(same_state(&ab, &ba));
    }
}

/* The seeds' example, one entry at a time: softmax(1, 2, 3, 4, 1, 2, 3) is
 * about (0.024, 0.064, 0.175, 0.475, 0.024, 0.064, 0.175), and at ten times
 * the temperature (0.125, 0.138, 0.153, 0.169, 0.125, 0.138, 0.153). */
static void test_seed_example_entry_by_entry(void **state)
{
    (void)state;
    const float x[7] = {1, 2, 3, 4, 1, 2, 3};
    const double want[2][7] = {
        {0.024, 0.064, 0.175, 0.475, 0.024, 0.064, 0.175},
        {0.125, 0.138, 0.153, 0.169, 0.125, 0.138, 0.153}};
    const float betas[2] = {1.0f, 0.1f};
    for (int b = 0; b < 2; b++) {
        sm_softmax_state st = empty_state(betas[b], 0);
        for (int i = 0; i < 7; i++)
            assert_int_equal(
                sm_softmax_state_fold_rows_f32(1, 1, x + i, 1, NULL, 0, &st),
                SM_OK);
        float p[7];
        assert_int_equal(
            sm_softmax_state_softmax_rows_f32(1, 7, x, 7, &st, p, 7), SM_OK);
        for (int i = 0; i < 7; i++)
            assert_true(fabs((double)p[i] - want[b][i]) < 0.0005);
    }
}

/* ---- errors --------------------------------------------------------------- */

static void test_errors_write_nothing(void **state)
{
    (void)state;
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, y[8], lse[2];
    const sm_options bad_flags = {sizeof(sm_options), 1.0f, 0x80u, NULL};
    const sm_options nan_beta = {sizeof(sm_options), NAN, 0u, NULL};
    sm_softmax_state st[2];
    memset(st, 0x5a, sizeof st);
    const sm_softmax_state poison = st[0];
    assert_int_equal(sm_softmax_state_init(1, NULL, NULL), SM_EINVAL);
    assert_int_equal(sm_softmax_state_init(1, st, &nan_beta), SM_EINVAL);
    assert_int_equal(sm_softmax_state_init(1, st, &bad_flags), SM_EINVAL);
    assert_true(same_state(&st[0], &poison));
    assert_int_equal(sm_softmax_state_init(0, NULL, NULL), SM_OK);
    assert_int_equal(sm_softmax_state_init(2, st, NULL), SM_OK);
    const sm_softmax_state fresh = st[0];

    /* fold */
    assert_int_equal(sm_softmax_state_fold_rows_f32(1, 8, NULL, 8, NULL, 0, st),
                     SM_EINVAL);
    assert_int_equal(sm_softmax_state_fold_rows_f32(1, 8, x, 8, NULL, 0, NULL),
                     SM_EINVAL);
    assert_int_equal(sm_softmax_state_fold_rows_f32(2, 8, x, 7, NULL, 0, st),
                     SM_EINVAL);
    assert_int_equal(sm_softmax_state_fold_rows_f32(1, 8, x, 8, y, 7, st),
                     SM_EINVAL);
    /* e partly over x */
    assert_int_equal(sm_softmax_state_fold_rows_f32(1, 4, x, 4, x + 2, 4, st),
                     SM_EOVERLAP);
    /* the states over x */
    assert_int_equal(sm_softmax_state_fold_rows_f32(
                         1, 8, (const float *)(void *)st, 8, NULL, 0, st),
                     SM_EOVERLAP);
    assert_true(same_state(&st[0], &fresh));
    /* with e, the states must be empty */
    sm_softmax_state used = fresh;
    assert_int_equal(sm_softmax_state_fold_rows_f32(1, 8, x, 8, NULL, 0, &used),
                     SM_OK);
    const sm_softmax_state folded = used;
    memset(y, 0x33, sizeof y);
    const float y0 = y[0];
    assert_int_equal(sm_softmax_state_fold_rows_f32(1, 8, x, 8, y, 8, &used),
                     SM_EINVAL);
    assert_true(same_state(&used, &folded) && f32_bits(y[0]) == f32_bits(y0));
    /* in place e == x is allowed */
    float xe[8];
    memcpy(xe, x, sizeof xe);
    sm_softmax_state piece = fresh;
    assert_int_equal(sm_softmax_state_fold_rows_f32(1, 8, xe, 8, xe, 8, &piece),
                     SM_OK);
    /* invalid states: reserved, flags, NaN beta, negative count; flags
     * differing between the rows of one call */
    sm_softmax_state b = fresh;
    b.reserved = 1;
    assert_int_equal(sm_softmax_state_fold_rows_f32(1, 8, x, 8, NULL, 0, &b),
                     SM_EINVAL);
    b = fresh;
    b.flags = 0x40;
    assert_int_equal(sm_softmax_state_logsumexp(1, &b, lse), SM_EINVAL);
    b = fresh;
    b.beta = NAN;
    assert_int_equal(sm_softmax_state_logsumexp(1, &b, lse), SM_EINVAL);
    b = fresh;
    b.count = -1.0;
    assert_int_equal(sm_softmax_state_logsumexp(1, &b, lse), SM_EINVAL);
    sm_softmax_state two[2] = {fresh, fresh};
    two[1].flags = SM_FAST_EXP;
    assert_int_equal(sm_softmax_state_fold_rows_f32(2, 4, x, 4, NULL, 0, two),
                     SM_EINVAL);

    /* merge: different beta or flags; partial overlap */
    sm_softmax_state other = empty_state(2.0f, 0);
    sm_softmax_state into = folded;
    assert_int_equal(sm_softmax_state_merge(1, &other, &into), SM_EINVAL);
    other = empty_state(1.0f, SM_FAST_EXP);
    assert_int_equal(sm_softmax_state_merge(1, &other, &into), SM_EINVAL);
    assert_true(same_state(&into, &folded));
    sm_softmax_state three[3] = {folded, folded, folded};
    assert_int_equal(sm_softmax_state_merge(2, three, three + 1), SM_EOVERLAP);
    assert_int_equal(sm_softmax_state_merge(1, NULL, three), SM_EINVAL);
    assert_int_equal(sm_softmax_state_merge(0, NULL, NULL), SM_OK);

    /* logsumexp: NULL result, result over the states */
    assert_int_equal(sm_softmax_state_logsumexp(1, &folded, NULL), SM_EINVAL);
    assert_int_equal(sm_softmax_state_logsumexp(1, three, (float *)(void *)three),
                     SM_EOVERLAP);

    /* softmax of a piece: an empty state, y over the states, y partly over
     * x, strides */
    memset(y, 0x33, sizeof y);
    assert_int_equal(sm_softmax_state_softmax_rows_f32(1, 8, x, 8, &fresh, y, 8),
                     SM_EINVAL);
    assert_int_equal(
        sm_softmax_state_log_softmax_rows_f32(1, 2, x, 2, three,
                                              (float *)(void *)three, 2),
        SM_EOVERLAP);
    assert_int_equal(
        sm_softmax_state_softmax_rows_f32(1, 4, x, 4, &folded, x + 1, 4),
        SM_EOVERLAP);
    assert_int_equal(
        sm_softmax_state_softmax_rows_f32(2, 4, x, 3, three, y, 4), SM_EINVAL);
    assert_int_equal(sm_softmax_state_softmax_rows_f32(1, 0, NULL, 0, &fresh,
                                                       NULL, 0), SM_OK);
    for (int i = 0; i < 8; i++)
        assert_int_equal(f32_bits(y[i]), f32_bits(y0));

    /* scale: an empty total, a beta mismatch, e over the states */
    float e8[8];
    memcpy(e8, xe, sizeof e8);
    assert_int_equal(sm_softmax_state_scale_rows_f32(1, 8, &piece, &fresh, e8, 8),
                     SM_EINVAL);
    other = empty_state(2.0f, 0);
    assert_int_equal(sm_softmax_state_fold_rows_f32(1, 8, x, 8, NULL, 0, &other),
                     SM_OK);
    assert_int_equal(sm_softmax_state_scale_rows_f32(1, 8, &piece, &other, e8, 8),
                     SM_EINVAL);
    assert_int_equal(sm_softmax_state_scale_rows_f32(
                         1, 2, &piece, three, (float *)(void *)three, 2),
                     SM_EOVERLAP);
    assert_true(same_bits(e8, xe, 8));
    assert_int_equal(sm_softmax_state_scale_rows_f32(1, 8, &piece, &piece, e8, 8),
                     SM_OK);
    float p8[8];
    assert_int_equal(sm_softmax_f32(8, x, p8), SM_OK);
    assert_true(same_bits(e8, p8, 8));
}

/* Outputs that end at a guard page: no write past the end. */
static void test_guarded_outputs(void **state)
{
    (void)state;
    const size_t n = 37;
    struct guard_buf gy, ge;
    float *y = guard_alloc(&gy, n), *e = guard_alloc(&ge, n);
    float x[37];
    uint64_t s = 5;
    for (size_t i = 0; i < n; i++)
        x[i] = rng_uniform(&s, -3.0f, 3.0f);
    sm_softmax_state st = empty_state(1.0f, 0);
    assert_int_equal(sm_softmax_state_fold_rows_f32(1, n, x, n, e, n, &st),
                     SM_OK);
    assert_int_equal(sm_softmax_state_scale_rows_f32(1, n, &st, &st, e, n),
                     SM_OK);
    assert_int_equal(sm_softmax_state_softmax_rows_f32(1, n, x, n, &st, y, n),
                     SM_OK);
    assert_true(same_bits(y, e, n));
    assert_int_equal(sm_softmax_state_log_softmax_rows_f32(1, n, x, n, &st, y, n),
                     SM_OK);
    assert_int_equal(guard_free(&gy), 0);
    assert_int_equal(guard_free(&ge), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunk_folds_are_one_shot),
        cmocka_unit_test(test_rows_past_kept_chunks),
        cmocka_unit_test(test_splits_and_trees_within_bounds),
        cmocka_unit_test(test_special_values),
        cmocka_unit_test(test_merge_is_symmetric),
        cmocka_unit_test(test_seed_example_entry_by_entry),
        cmocka_unit_test(test_errors_write_nothing),
        cmocka_unit_test(test_guarded_outputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
