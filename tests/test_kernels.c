/*
 * Every ISA's kernels against the scalar kernels, bit for bit (checkasm
 * style): sizes 0..300 and large ones across chunk boundaries, every start
 * misalignment 0..60 bytes, strides, in place, the contract's beta set and
 * adversarial rows. The output ends against a PROT_NONE page. Under
 * SM_TEST_QUICK (an emulator) the largest cases are trimmed.
 *
 * Usage: test_kernels [--seed=N]
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dispatch.h"
#include "harness.h"

static uint64_t base_seed = 0x5eed5eedULL;

static const float betas[] = {1.0f, 0.5f, 3.0f, -1.0f, 0.0f, INFINITY,
                              -INFINITY, 1e-30f};
#define N_BETAS (sizeof betas / sizeof betas[0])

enum pattern {
    PAT_UNIFORM,    /* [-10, 10] */
    PAT_WIDE,       /* [-120, 120]: subnormal and zero probabilities */
    PAT_HUGE,       /* +-3e38: x - M overflows */
    PAT_TIES,       /* few distinct values, many equal to the extremum */
    PAT_POS_INF,    /* one or two +inf */
    PAT_NEG_INF,    /* some -inf */
    PAT_ALL_NEG_INF,/* a fully masked row */
    PAT_NAN,        /* NaNs of two payloads (one where they meet) */
    PAT_DENORMAL,   /* subnormal logits */
    N_PATTERNS
};
static const char *const pattern_names[N_PATTERNS] = {
    "uniform", "wide", "huge", "ties", "+inf", "-inf", "all -inf", "nan",
    "denormal"};

static void fill_row(float *x, size_t n, enum pattern p, uint64_t *s)
{
    for (size_t i = 0; i < n; i++) {
        switch (p) {
        case PAT_WIDE: x[i] = rng_uniform(s, -120.0f, 120.0f); break;
        case PAT_HUGE: x[i] = rng_uniform(s, -3e38f, 3e38f); break;
        case PAT_TIES: x[i] = (float)(rng_next(s) % 3); break;
        case PAT_ALL_NEG_INF: x[i] = -INFINITY; break;
        case PAT_DENORMAL: x[i] = rng_uniform(s, -1e-38f, 1e-38f); break;
        case PAT_NEG_INF:
            x[i] = rng_next(s) % 4 == 0 ? -INFINITY : rng_uniform(s, -10.0f, 10.0f);
            break;
        default: x[i] = rng_uniform(s, -10.0f, 10.0f); break;
        }
    }
    if (n == 0)
        return;
    if (p == PAT_POS_INF) {
        x[rng_next(s) % n] = INFINITY;
        x[rng_next(s) % n] = INFINITY;
    } else if (p == PAT_NAN) {
        x[rng_next(s) % n] = test_nan_payload(0);
        x[rng_next(s) % n] = test_nan_payload(1);
    }
}

enum op { OP_SOFTMAX, OP_LOG_SOFTMAX, OP_LOGSUMEXP, N_OPS };

/* The exp mode under test: 0 (SLEEF) or SM_FAST_EXP; set per pass by
 * for_each_simd_isa, so every test covers both. */
static unsigned mode_flags;
static const char *mode_name(void)
{
    return mode_flags & SM_FAST_EXP ? "fast-exp" : "sleef";
}
static const char *const op_names[N_OPS] = {"softmax", "log_softmax", "logsumexp"};

/* Runs one op of one table; logsumexp writes one float per row. */
static void run_op(const struct sm_kernels *k, enum op op, size_t rows,
                   size_t cols, float beta, const float *x, size_t ldx,
                   float *y, size_t ldy)
{
    switch (op) {
    case OP_SOFTMAX:
        k->softmax_rows(rows, cols, beta, x, ldx, y, ldy, mode_flags);
        break;
    case OP_LOG_SOFTMAX:
        k->log_softmax_rows(rows, cols, beta, x, ldx, y, ldy, mode_flags);
        break;
    default: k->logsumexp_rows(rows, cols, beta, x, ldx, y, mode_flags); break;
    }
}

struct case_desc {
    const char *isa;
    enum op op;
    enum pattern pat;
    size_t rows, cols, ldx, ldy, offset;
    float beta;
    int in_place;
    int mixed; /* row r takes pattern (pat + r) % N_PATTERNS */
    int clean; /* row r takes clean_patterns[(pat + r) % N_CLEAN] */
    size_t special_at; /* 1 + the row that takes pattern special; 0: none */
    enum pattern special;
};

/* The patterns whose rows a column group computes itself (no NaN, not
 * fully masked). */
static const enum pattern clean_patterns[] = {
    PAT_UNIFORM, PAT_WIDE, PAT_HUGE, PAT_TIES, PAT_POS_INF, PAT_NEG_INF,
    PAT_DENORMAL};
#define N_CLEAN (sizeof clean_patterns / sizeof clean_patterns[0])

static enum pattern row_pattern(const struct case_desc *c, size_t r)
{
    if (r + 1 == c->special_at)
        return c->special;
    if (c->clean)
        return clean_patterns[(c->pat + r) % N_CLEAN];
    return c->mixed ? (enum pattern)((c->pat + r) % N_PATTERNS) : c->pat;
}

static int report(const struct case_desc *c, size_t i, float want, float got)
{
    print_error("%s %s %s: rows=%zu n=%zu ldx=%zu ldy=%zu offset=%zu bytes "
                "beta=%g pattern=%s%s: element %zu: scalar %a (0x%08x), "
                "%s %a (0x%08x)\n",
                c->isa, mode_name(), op_names[c->op], c->rows, c->cols, c->ldx,
                c->ldy, c->offset * sizeof(float), (double)c->beta,
                pattern_names[c->pat], c->mixed ? " (first row; mixed)" :
                c->in_place ? " in place" : "", i,
                (double)want, f32_bits(want), c->isa,
                (double)got, f32_bits(got));
    return 1;
}

/* Output values compared: whole output rows, or one float per row. */
static int compare(const struct case_desc *c, const float *want,
                   const float *got)
{
    const size_t count = c->op == OP_LOGSUMEXP ? c->rows
                         : (c->rows - 1) * c->ldy + c->cols;
    for (size_t i = 0; i < count; i++)
        if (f32_bits(want[i]) != f32_bits(got[i]) ||
            /* written NaNs are the library's one; padding keeps its bits */
            ((c->op == OP_LOGSUMEXP || i % c->ldy < c->cols) &&
             !nan_is_canonical(got[i])))
            return report(c, i, want[i], got[i]);
    return 0;
}

/* One case: the same input through scalar and through c->isa, the latter's
 * output flush against a guard page. Returns the number of mismatches. */
static int check_case(const struct sm_kernels *ref, const struct sm_kernels *k,
                      const struct case_desc *c, uint64_t seed)
{
    const size_t in_len = c->rows ? (c->rows - 1) * c->ldx + c->cols : 0;
    const size_t out_len = c->op == OP_LOGSUMEXP ? c->rows
                           : (c->rows ? (c->rows - 1) * c->ldy + c->cols : 0);
    const size_t alloc = c->offset + (in_len > out_len ? in_len : out_len) + 1;
    float *xin = aligned_alloc(64, (alloc * sizeof(float) + 63) / 64 * 64);
    float *want = malloc(alloc * sizeof(float));
    struct guard_buf g;
    float *got_base = guard_alloc(&g, out_len ? out_len : 1);
    assert_non_null(xin);
    assert_non_null(want);
    assert_non_null(got_base);
    float *x = xin + c->offset;
    uint64_t s = seed;
    for (size_t r = 0; r < c->rows; r++)
        fill_row(x + r * c->ldx, c->cols, row_pattern(c, r), &s);
    /* Padding between rows gets a sentinel both sides must preserve. */
    for (size_t i = 0; i < out_len; i++)
        want[i] = got_base[i] = f32_from_bits(0x7fa5a5a5u);

    int bad = 0;
    if (c->in_place) {
        float *x2 = malloc(alloc * sizeof(float));
        assert_non_null(x2);
        memcpy(x2, x, in_len * sizeof(float));
        memcpy(got_base, x, in_len * sizeof(float));
        run_op(ref, c->op, c->rows, c->cols, c->beta, x2, c->ldx, x2, c->ldx);
        run_op(k, c->op, c->rows, c->cols, c->beta, got_base, c->ldx,
               got_base, c->ldx);
        bad = compare(c, x2, got_base);
        free(x2);
    } else {
        run_op(ref, c->op, c->rows, c->cols, c->beta, x, c->ldx, want, c->ldy);
        run_op(k, c->op, c->rows, c->cols, c->beta, x, c->ldx, got_base, c->ldy);
        bad = compare(c, want, got_base);
    }
    if (guard_free(&g)) {
        print_error("%s %s n=%zu: wrote before the output buffer\n",
                    c->isa, op_names[c->op], c->cols);
        bad++;
    }
    free(want);
    free(xin);
    return bad;
}

#if SM_TEST_AVX512_EMULATED
/* The AVX-512 kernel source over a C model of its intrinsics. */
extern const struct sm_kernels sm_kernels_avx512_emulated;
#endif

/* Every SIMD table against scalar: the ISAs this CPU supports, and the
 * emulated AVX-512 kernels where built (tests/meson.build). */
static int for_each_simd_isa(int (*body)(const char *,
                                         const struct sm_kernels *,
                                         const struct sm_kernels *))
{
    const struct sm_kernels *ref = sm_dispatch_table(SM_ISA_SCALAR);
    assert_non_null(ref);
    int bad = 0, ran = 0;
    for (int mode = 0; mode < 2; mode++) {
        mode_flags = mode ? SM_FAST_EXP : 0;
        for (int isa = SM_ISA_SCALAR + 1; isa < SM_ISA_COUNT; isa++) {
            if (!isa_available((sm_isa)isa))
                continue;
            const struct sm_kernels *k = sm_dispatch_table((sm_isa)isa);
            assert_non_null(k);
            bad += body(sm_isa_name((sm_isa)isa), ref, k);
            ran++;
        }
#if SM_TEST_AVX512_EMULATED
        /* Wherever built; its exp needs AVX2. */
        if (sm_isa_supported() & (1u << SM_ISA_AVX2)) {
            bad += body("avx512-emulated", ref, &sm_kernels_avx512_emulated);
            ran++;
        }
#endif
    }
    mode_flags = 0;
    if (!ran)
        printf("skipped: no SIMD ISA here; only scalar kernels exist\n");
    return bad;
}

/* Quick mode's sizes: every tail of every vector width (0..100), and both
 * sides of 128, 256 (a summing tile) and 288. */
static int quick_small_size(size_t n)
{
    return n <= 100 || n % 128 <= 1 || n % 128 == 127 || n == 200 ||
           (n >= 287 && n <= 289) || n == 300;
}

/* Sizes 0..300, every misalignment 0..60 bytes for beta = 1, a rotating
 * misalignment for the other betas, every pattern. */
static int small_rows(const char *isa, const struct sm_kernels *ref,
                      const struct sm_kernels *k)
{
    int bad = 0;
    for (int op = 0; op < N_OPS; op++)
        for (size_t n = 0; n <= 300; n++) {
            if (test_quick() && !quick_small_size(n))
                continue;
            for (int p = 0; p < N_PATTERNS; p++)
                for (size_t b = 0; b < N_BETAS; b++) {
                    const size_t offsets =
                        b == 0 && p <= PAT_WIDE && !test_quick() ? 16 : 1;
                    for (size_t o = 0; o < offsets; o++) {
                        const struct case_desc c = {
                            .isa = isa, .op = (enum op)op, .pat = (enum pattern)p,
                            .rows = 1, .cols = n, .ldx = n, .ldy = n,
                            .offset = offsets == 1 ? (n + b + (size_t)p) % 16 : o,
                            .beta = betas[b]};
                        bad += check_case(ref, k, &c,
                                          base_seed + n * 1315423911u + (size_t)p);
                        if (bad > 20)
                            return bad;
                    }
                }
        }
    return bad;
}

static void test_small_rows(void **state)
{
    (void)state;
    assert_int_equal(for_each_simd_isa(small_rows), 0);
}

/* Batched rows with padding (ld > cols), and in place. */
static int strided_rows(const char *isa, const struct sm_kernels *ref,
                        const struct sm_kernels *k)
{
    static const size_t cols_set[] = {1, 7, 31, 32, 33, 100, 257};
    int bad = 0;
    for (int op = 0; op < N_OPS; op++)
        for (size_t j = 0; j < sizeof cols_set / sizeof cols_set[0]; j++)
            for (size_t b = 0; b < N_BETAS; b++)
                for (int in_place = 0; in_place < 2; in_place++) {
                    if (in_place && op == OP_LOGSUMEXP)
                        continue;
                    const size_t cols = cols_set[j];
                    const struct case_desc c = {
                        .isa = isa, .op = (enum op)op, .pat = PAT_UNIFORM,
                        .rows = 5, .cols = cols, .ldx = cols + 3,
                        .ldy = in_place ? cols + 3 : cols + 9,
                        .offset = j % 16, .beta = betas[b], .in_place = in_place};
                    bad += check_case(ref, k, &c, base_seed + 77 * j + b);
                }
    return bad;
}

static void test_strided_rows(void **state)
{
    (void)state;
    assert_int_equal(for_each_simd_isa(strided_rows), 0);
}

/* Short rows of every pattern side by side in one batch: rows of one block
 * are computed in pairs, and a NaN, masked or overflowing row must not
 * change its neighbour's bits. */
static int mixed_rows(const char *isa, const struct sm_kernels *ref,
                      const struct sm_kernels *k)
{
    static const size_t cols_set[] = {1, 5, 8, 10, 16, 23, 32};
    int bad = 0;
    for (int op = 0; op < N_OPS; op++)
        for (size_t j = 0; j < sizeof cols_set / sizeof cols_set[0]; j++)
            for (size_t b = 0; b < N_BETAS; b++)
                for (int first = 0; first < 2; first++) {
                    const size_t cols = cols_set[j];
                    const struct case_desc c = {
                        .isa = isa, .op = (enum op)op, .pat = (enum pattern)first,
                        .rows = N_PATTERNS + 1, .cols = cols, .ldx = cols + 1,
                        .ldy = cols + 2, .offset = j % 8, .beta = betas[b],
                        .mixed = 1};
                    bad += check_case(ref, k, &c, base_seed + 31 * j + b);
                }
    return bad;
}

/* Batches of rows of at most 16 entries whose groups of one vector's
 * width of rows go as column groups (transposed): clean rows of every
 * kind, then one NaN or fully masked row at each position of the second
 * group, which sends that group by rows and must leave the others' bits
 * alone. In place too. */
static int column_groups(const char *isa, const struct sm_kernels *ref,
                         const struct sm_kernels *k)
{
    int bad = 0;
    for (int op = 0; op < N_OPS; op++)
        for (size_t cols = 1; cols <= 16; cols++)
            for (size_t b = 0; b < N_BETAS; b++)
                for (size_t at = 15; at <= 32; at++) {
                    const int plain = at == 15; /* row 15 clean too */
                    /* runs narrowed to some ISAs: a special row at each
                     * position in one beta per size, in turn */
                    if (test_isas_narrowed() && !plain &&
                        b != (at + cols) % N_BETAS)
                        continue;
                    /* fully masked for beta > 0 only: no pattern is all +inf */
                    const enum pattern special =
                        (at + b) % 2 == 0 && betas[b] > 0 ? PAT_ALL_NEG_INF
                                                           : PAT_NAN;
                    struct case_desc c = {
                        .isa = isa, .op = (enum op)op, .pat = (enum pattern)(cols % N_CLEAN),
                        .rows = 35, .cols = cols, .ldx = cols + b % 2,
                        .ldy = cols + 2 * (b % 2), .offset = cols % 5,
                        .beta = betas[b], .clean = 1, .special_at = plain ? 0 : at + 1,
                        .special = special};
                    bad += check_case(ref, k, &c, base_seed + 13 * cols + b + at);
                    if (op != OP_LOGSUMEXP && (plain || at == 20)) {
                        c.in_place = 1;
                        c.ldy = c.ldx;
                        bad += check_case(ref, k, &c, base_seed + 17 * cols + b);
                    }
                }
    return bad;
}

static void test_column_groups(void **state)
{
    (void)state;
    assert_int_equal(for_each_simd_isa(column_groups), 0);
}

/* Row counts to try as one batch: every block size, then rows that go in
 * groups too (up to 4096 entries; the last two are left out under an
 * emulator). */
static size_t batch_cols(size_t j)
{
    static const size_t longer[] = {33, 100, 129, 4096, 4097};
    const size_t n_longer = sizeof longer / sizeof longer[0] - (test_quick() ? 2 : 0);
    if (j < 32)
        return j + 1;
    return j - 32 < n_longer ? longer[j - 32] : 0;
}

/* The same rows as one batch, as one call per row and (softmax,
 * log-softmax) as one batch in place: the scalar reference groups its rows
 * too, so agreeing with it alone would not show that a row's bits do not
 * depend on its neighbours, nor that loading the next rows before storing
 * these is safe in place. 37 rows: two whole groups of 16 and a part. */
static int batch_as_single_rows(const char *isa, const struct sm_kernels *ref,
                                const struct sm_kernels *k)
{
    (void)ref;
    enum { ROWS = 37, MAX_COLS = 4097 };
    static float x[ROWS * MAX_COLS], batch[ROWS * MAX_COLS];
    static float single[ROWS * MAX_COLS], in_place[ROWS * MAX_COLS];
    int bad = 0;
    for (int log = 0; log < 2; log++) {
        const sm_rows_fn fn = log ? k->log_softmax_rows : k->softmax_rows;
        for (size_t j = 0, cols; (cols = batch_cols(j)) != 0; j++)
            for (size_t b = 0; b < N_BETAS; b++) {
                uint64_t s = base_seed + 7 * cols + b;
                for (size_t r = 0; r < ROWS; r++)
                    fill_row(x + r * cols, cols, (enum pattern)(r % N_PATTERNS), &s);
                const size_t bytes = ROWS * cols * sizeof(float);
                fn(ROWS, cols, betas[b], x, cols, batch, cols, mode_flags);
                for (size_t r = 0; r < ROWS; r++)
                    fn(1, cols, betas[b], x + r * cols, cols, single + r * cols,
                       cols, mode_flags);
                memcpy(in_place, x, bytes);
                fn(ROWS, cols, betas[b], in_place, cols, in_place, cols, mode_flags);
                const char *what = memcmp(batch, single, bytes) != 0
                                       ? "the same rows one call each"
                                   : memcmp(batch, in_place, bytes) != 0
                                       ? "the same batch in place"
                                       : NULL;
                if (what) {
                    print_error("%s %s %s n=%zu beta=%g: a batch of rows differs "
                                "from %s\n", isa, mode_name(),
                                log ? "log-softmax" : "softmax", cols,
                                (double)betas[b], what);
                    bad++;
                }
            }
    }
    for (size_t j = 0, cols; (cols = batch_cols(j)) != 0; j++)
        for (size_t b = 0; b < N_BETAS; b++) {
            uint64_t s = base_seed + 5 * cols + b;
            for (size_t r = 0; r < ROWS; r++)
                fill_row(x + r * cols, cols, (enum pattern)(r % N_PATTERNS), &s);
            k->logsumexp_rows(ROWS, cols, betas[b], x, cols, batch, mode_flags);
            for (size_t r = 0; r < ROWS; r++)
                k->logsumexp_rows(1, cols, betas[b], x + r * cols, cols,
                                  single + r, mode_flags);
            if (memcmp(batch, single, ROWS * sizeof(float)) != 0) {
                print_error("%s %s logsumexp n=%zu beta=%g: a batch of rows "
                            "differs from the same rows one call each\n",
                            isa, mode_name(), cols, (double)betas[b]);
                bad++;
            }
        }
    return bad;
}

static void test_mixed_rows(void **state)
{
    (void)state;
    assert_int_equal(for_each_simd_isa(mixed_rows), 0);
    assert_int_equal(for_each_simd_isa(batch_as_single_rows), 0);
    /* scalar's batches: in the full run, not in runs narrowed to some ISAs */
    for (int mode = 0; mode < 2 && !test_isas_narrowed(); mode++) {
        mode_flags = mode ? SM_FAST_EXP : 0;
        assert_int_equal(batch_as_single_rows("scalar", NULL,
                                              sm_dispatch_table(SM_ISA_SCALAR)), 0);
    }
    mode_flags = 0;
}

/* Rows around and beyond the chunk: one pass with stored exps below it,
 * the chunked two-pass structure above it. */
static int large_rows(const char *isa, const struct sm_kernels *ref,
                      const struct sm_kernels *k)
{
    static const size_t sizes[] = {1000, 4095, 4096, 4097, 32000, 65537,
                                   SM_CHUNK - 1, SM_CHUNK, SM_CHUNK + 1,
                                   2 * SM_CHUNK + 33, 5 * SM_CHUNK / 2};
    static const float large_betas[] = {1.0f, 0.5f, -1.0f, INFINITY};
    int bad = 0;
    for (int op = 0; op < N_OPS; op++)
        for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++)
            for (size_t b = 0; b < 4; b++) {
                /* quick: one row just over a chunk stands for the rest */
                if (test_quick() && sizes[j] > 65537 && sizes[j] != SM_CHUNK + 1)
                    continue;
                /* runs narrowed to some ISAs: up to 4097 entries, and the
                 * row over a chunk at beta 1 and -1 */
                if (test_isas_narrowed() && sizes[j] > 4097 &&
                    (sizes[j] != SM_CHUNK + 1 || b % 2))
                    continue;
                const enum pattern pats[] = {PAT_UNIFORM, PAT_WIDE, PAT_TIES,
                                             PAT_NAN, PAT_POS_INF};
                const enum pattern pat = pats[(j + b) % 5];
                const struct case_desc c = {
                    .isa = isa, .op = (enum op)op, .pat = pat, .rows = 1,
                    .cols = sizes[j], .ldx = sizes[j], .ldy = sizes[j],
                    .offset = (j * 5 + b) % 16, .beta = large_betas[b],
                    .in_place = op != OP_LOGSUMEXP && b == 1};
                bad += check_case(ref, k, &c, base_seed + sizes[j] + b);
            }
    return bad;
}

static void test_large_rows(void **state)
{
    (void)state;
    assert_int_equal(for_each_simd_isa(large_rows), 0);
}

/* A chunk whose maximum is below the row's, so the contract's per-chunk
 * rescaling exp(beta (m_b - M)) is exercised, in both directions. */
static int rescaled_chunks(const char *isa, const struct sm_kernels *ref,
                           const struct sm_kernels *k)
{
    /* quick: a short second chunk, two beta (one per direction) */
    const size_t n = test_quick() ? SM_CHUNK + 37 : 3 * SM_CHUNK + 5;
    const size_t n_betas = test_quick() ? 2 : 4;
    float *x = malloc(n * sizeof(float));
    float *want = malloc(n * sizeof(float));
    float *got = malloc(n * sizeof(float));
    assert_non_null(x);
    assert_non_null(want);
    assert_non_null(got);
    uint64_t s = base_seed;
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        x[i] = rng_uniform(&s, -5.0f, 5.0f) + (float)(i / SM_CHUNK) * 3.0f;
    for (int op = 0; op < N_OPS; op++)
        for (size_t b = 0; b < n_betas; b++) {
            const float beta = (const float[]){1.0f, -2.0f, 0.25f, -INFINITY}[b];
            run_op(ref, (enum op)op, 1, n, beta, x, n, want, n);
            run_op(k, (enum op)op, 1, n, beta, x, n, got, n);
            const struct case_desc c = {.isa = isa, .op = (enum op)op,
                                        .rows = 1, .cols = n, .ldx = n,
                                        .ldy = n, .beta = beta};
            bad += compare(&c, want, got);
        }
    free(got);
    free(want);
    free(x);
    return bad;
}

static void test_rescaled_chunks(void **state)
{
    (void)state;
    assert_int_equal(for_each_simd_isa(rescaled_chunks), 0);
}

/* More chunks than the kernels keep on the stack: M comes from one extra
 * read of the row, and the bits must not change. */
static int very_long_row(const char *isa, const struct sm_kernels *ref,
                         const struct sm_kernels *k)
{
    const size_t n = 64 * SM_CHUNK + 40;
    if (test_quick()) {
        printf("quick mode: the %zu-element row is left out (%s)\n", n, isa);
        return 0;
    }
    const struct case_desc c = {.isa = isa, .op = OP_SOFTMAX, .pat = PAT_WIDE,
                                .rows = 1, .cols = n, .ldx = n, .ldy = n,
                                .offset = 3, .beta = 1.0f};
    const struct case_desc l = {.isa = isa, .op = OP_LOGSUMEXP, .pat = PAT_UNIFORM,
                                .rows = 1, .cols = n, .ldx = n, .ldy = n,
                                .offset = 0, .beta = -0.5f};
    return check_case(ref, k, &c, base_seed) + check_case(ref, k, &l, base_seed);
}

static void test_very_long_row(void **state)
{
    (void)state;
    assert_int_equal(for_each_simd_isa(very_long_row), 0);
}

/* The double statistics themselves, before rounding to f32 hides a wrong
 * summation order: M, K and S'' must match scalar bit for bit. */
static int stats_match(const char *isa, const struct sm_kernels *ref,
                       const struct sm_kernels *k)
{
    static const size_t big[] = {4097, 65537, SM_CHUNK + 1, 2 * SM_CHUNK + 33};
    const size_t max_n = 2 * SM_CHUNK + 33;
    float *x = malloc(max_n * sizeof(float));
    assert_non_null(x);
    int bad = 0;
    for (size_t j = 0; j < 300 + 4 && bad < 20; j++) {
        const size_t n = j < 300 ? j + 1 : big[j - 300];
        if (test_quick() && (n == 65537 || n > 2 * SM_CHUNK))
            continue;
        /* runs narrowed to some ISAs: quick mode's short sizes */
        if (test_isas_narrowed() && n <= 300 && !quick_small_size(n))
            continue;
        for (int p = 0; p < N_PATTERNS; p++)
            for (size_t b = 0; b < N_BETAS; b++) {
                if (betas[b] == 0.0f)
                    continue; /* beta = 0 never reaches the statistics */
                /* quick: rows over a chunk only in two patterns and beta */
                if (test_quick() && n > SM_CHUNK &&
                    !((p == PAT_UNIFORM || p == PAT_TIES) &&
                      (betas[b] == 1.0f || betas[b] == -1.0f)))
                    continue;
                uint64_t s = base_seed + n * 31 + (size_t)p;
                fill_row(x, n, (enum pattern)p, &s);
                float m1, m2;
                double k1, k2, s1, s2;
                ref->row_stats(n, betas[b], x, mode_flags, &m1, &k1, &s1);
                k->row_stats(n, betas[b], x, mode_flags, &m2, &k2, &s2);
                if (f32_bits(m1) != f32_bits(m2) || k1 != k2 ||
                    memcmp(&s1, &s2, sizeof s1) != 0) {
                    print_error("%s %s row statistics: n=%zu beta=%g pattern=%s: "
                                "scalar M=%a K=%.17g S''=%a, %s M=%a K=%.17g "
                                "S''=%a\n", isa, mode_name(), n, (double)betas[b],
                                pattern_names[p], (double)m1, k1, s1,
                                isa, (double)m2, k2, s2);
                    bad++;
                }
            }
    }
    free(x);
    return bad;
}

static void test_stats_match(void **state)
{
    (void)state;
    assert_int_equal(for_each_simd_isa(stats_match), 0);
}

/* Both exps on a sweep of floats (every 16th bit pattern of [-104, 89],
 * and the specials): the per-element function every kernel builds on. */
static int exp_match(const char *isa, const struct sm_kernels *ref,
                     const struct sm_kernels *k)
{
    const uint32_t neg_lo = f32_bits(-104.0f), pos_hi = f32_bits(89.0f);
    const size_t per_call = 4099; /* not a multiple of any vector width */
    float *x = malloc(per_call * sizeof(float));
    float *want = malloc(per_call * sizeof(float));
    float *got = malloc(per_call * sizeof(float));
    assert_non_null(x);
    assert_non_null(want);
    assert_non_null(got);
    static const float specials[] = {INFINITY, -INFINITY, NAN, 0.0f, -0.0f,
                                     0x1p-149f, -0x1p-149f, 88.72f, 88.73f,
                                     -87.34f, -103.97f, -103.98f, 1e30f, -1e30f};
    int bad = 0;
    /* Walk negative floats (bits 0x80000000..neg_lo) and positive ones
     * (0..pos_hi) with a stride of 16 bit patterns (quick: 4099, a prime,
     * so the low mantissa bits still vary). */
    const uint64_t stride = test_quick() ? 4099 : 16;
    uint64_t u = 0;
    const uint64_t total = ((uint64_t)(neg_lo - 0x80000000u) + pos_hi) / stride + 1;
    for (uint64_t done = 0; done < total + 1 && bad < 10;) {
        size_t c = 0;
        if (done == 0) {
            for (; c < sizeof specials / sizeof specials[0]; c++)
                x[c] = specials[c];
        }
        for (; c < per_call && done < total; c++, done++, u += stride) {
            const uint32_t bits = u <= pos_hi ? (uint32_t)u
                                  : 0x80000000u + (uint32_t)(u - pos_hi - 1);
            x[c] = f32_from_bits(bits);
        }
        if (done == total)
            done++;
        ref->exp(c, x, want, mode_flags);
        k->exp(c, x, got, mode_flags);
        for (size_t i = 0; i < c; i++) {
            if (f32_bits(want[i]) != f32_bits(got[i]) &&
                !(isnan(want[i]) && isnan(got[i]))) {
                print_error("%s %s exp(%a): scalar %a, %s %a\n", isa,
                            mode_name(), (double)x[i], (double)want[i], isa,
                            (double)got[i]);
                bad++;
            }
        }
    }
    free(got);
    free(want);
    free(x);
    return bad;
}

static void test_exp_match(void **state)
{
    (void)state;
    assert_int_equal(for_each_simd_isa(exp_match), 0);
}

/* softmax straight from the contract, from the kernels' own statistics and
 * exp: p_i = exp(beta (x_i - M)) * (float)(1 / (K + S'')), r for the
 * entries equal to M. Short rows take a separate in-register path, long
 * rows the chunked one; both must produce exactly this. */
static int softmax_follows_contract(const char *isa, const struct sm_kernels *ref,
                                    const struct sm_kernels *k)
{
    (void)ref;
    static const size_t sizes[] = {1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40,
                                   64, 100, 1000};
    float x[1000], t[1000], e[1000], got[1000];
    int bad = 0;
    for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++)
        for (int p = 0; p < N_PATTERNS; p++)
            for (size_t b = 0; b < N_BETAS; b++) {
                const size_t n = sizes[j];
                const float beta = betas[b];
                if (beta == 0.0f)
                    continue;
                uint64_t seed = base_seed + 17 * n + (size_t)p;
                fill_row(x, n, (enum pattern)p, &seed);
                float m;
                double kk, ss;
                k->row_stats(n, beta, x, mode_flags, &m, &kk, &ss);
                for (size_t i = 0; i < n; i++)
                    t[i] = (x[i] - m) * beta;
                k->exp(n, t, e, mode_flags);
                k->softmax_rows(1, n, beta, x, n, got, n, mode_flags);
                const double sum = kk + ss;
                const float r = (float)(1.0 / sum);
                for (size_t i = 0; i < n; i++) {
                    const float want = isnan(sum) ? NAN
                                       : m == (beta > 0 ? -INFINITY : INFINITY) ? 0.0f
                                       : x[i] == m ? r : e[i] * r;
                    if (f32_bits(want) != f32_bits(got[i])) {
                        print_error("%s %s softmax vs contract: n=%zu beta=%g "
                                    "pattern=%s i=%zu: want %a got %a\n", isa,
                                    mode_name(), n, (double)beta,
                                    pattern_names[p], i, (double)want,
                                    (double)got[i]);
                        bad++;
                        break;
                    }
                }
            }
    return bad;
}

static void test_softmax_follows_contract(void **state)
{
    (void)state;
    /* Scalar too: the reference kernels are held to the contract itself. */
    const struct sm_kernels *scalar = sm_dispatch_table(SM_ISA_SCALAR);
    int bad = 0;
    for (int mode = 0; mode < 2; mode++) {
        mode_flags = mode ? SM_FAST_EXP : 0;
        bad += softmax_follows_contract("scalar", scalar, scalar);
    }
    mode_flags = 0;
    bad += for_each_simd_isa(softmax_follows_contract);
    assert_int_equal(bad, 0);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "--seed=", 7) == 0)
            base_seed = strtoull(argv[i] + 7, NULL, 0);
    printf("seed: 0x%llx\n", (unsigned long long)base_seed);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exp_match),
        cmocka_unit_test(test_softmax_follows_contract),
        cmocka_unit_test(test_stats_match),
        cmocka_unit_test(test_small_rows),
        cmocka_unit_test(test_strided_rows),
        cmocka_unit_test(test_mixed_rows),
        cmocka_unit_test(test_column_groups),
        cmocka_unit_test(test_large_rows),
        cmocka_unit_test(test_rescaled_chunks),
        cmocka_unit_test(test_very_long_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
