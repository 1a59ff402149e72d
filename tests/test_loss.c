/*
 * The losses' kernels on every ISA bit for bit against scalar (sizes,
 * strides, misalignment, beta, both exps, special rows, in place, loss
 * only), the special values through the API, guard pages, and every error
 * path with nothing written.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "isa_tables.h"
#include "call_options.h"

/* The operations as the kernels see them. */
enum op {
    CE_PLAIN, CE_SMOOTH, CE_WEIGHTED, CE_L2, CE_ALL, SOFT_CE, KL, DISTILL,
    ENTROPY, OP_COUNT
};
static const char *const op_names[OP_COUNT] = {
    "ce", "ce+smoothing", "ce+weights", "ce+l2", "ce+all", "soft-ce", "kl",
    "distill", "entropy",
};

/* Inputs of one comparison: rows x n logits at stride ld, plus the
 * operation's labels, weights or targets. */
struct inputs {
    size_t rows, n, ld;
    float beta;
    const float *x;
    const float *aux; /* targets or the teacher's logits, stride ld */
    const int32_t *labels;
    const float *weights;
    double *total; /* cross-entropy: NULL, or where the kernel adds the losses */
};

static void run_op(const struct sm_kernels *k, enum op op,
                   const struct inputs *in, const float *x, double *loss,
                   float *g, unsigned flags)
{
    if (op <= CE_ALL) {
        const bool smooth = op == CE_SMOOTH || op == CE_ALL;
        const bool weighted = op == CE_WEIGHTED || op == CE_ALL;
        const bool l2 = op == CE_L2 || op == CE_ALL;
        const float eps = smooth ? 0.1f : 0.0f;
        double wsum = 0;
        for (size_t i = 0; i < in->n; i++)
            wsum += weighted ? in->weights[i] : 1.0;
        const struct sm_ce_args a = {
            .labels = in->labels, .ignore_index = -100,
            .weights = weighted ? in->weights : NULL, .epsilon = eps,
            .q_other = eps / (float)in->n, .q_label = 1.0f - eps + eps / (float)in->n,
            .weight_sum = wsum, .half_l2 = l2 ? 0.005 : 0.0,
            .grad_beta = in->beta * 0.25f, .grad_l2 = l2 ? 0.0025f : 0.0f,
            .total = in->total,
        };
        k->cross_entropy_rows(in->rows, in->n, in->beta, x, in->ld, &a, loss,
                              g, in->ld, flags);
    } else if (op == ENTROPY) {
        k->entropy_rows(in->rows, in->n, in->beta, x, in->ld, in->beta * 0.5f,
                        loss, g, in->ld, flags);
    } else {
        const struct sm_soft_args a = {
            .kind = op == SOFT_CE ? SM_SOFT_CE : op == KL ? SM_SOFT_KL : SM_SOFT_DISTILL,
            .q = in->aux, .ldq = in->ld, .loss_scale = op == DISTILL ? 4.0 : 1.0,
            .grad_scale = in->beta * 0.5f,
        };
        k->soft_target_rows(in->rows, in->n, in->beta, x, in->ld, &a, loss, g,
                            in->ld, flags);
    }
}

/* Bits equal, NaN included, and a NaN only as the library's one. */
static bool same_f32(float a, float b)
{
    return f32_bits(a) == f32_bits(b) && nan_is_canonical(a);
}

static bool same_f64(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0 && nan_is_canonical_f64(a);
}

#define MAX_CASE_ROWS 48
struct result {
    double loss[MAX_CASE_ROWS];
    float *g;
};

/* Compares a result with scalar's; reports the first difference. */
static int compare(const char *isa, const char *how, enum op op,
                   const struct inputs *in, unsigned flags,
                   const struct result *want, const struct result *got,
                   bool grad)
{
    for (size_t r = 0; r < in->rows; r++) {
        if (!same_f64(want->loss[r], got->loss[r])) {
            uint64_t gb, wb;
            memcpy(&gb, &got->loss[r], sizeof gb);
            memcpy(&wb, &want->loss[r], sizeof wb);
            print_error("%s %s %s n=%zu beta=%g flags=%u row %zu: loss %a "
                        "(%#llx), scalar %a (%#llx)\n", isa, op_names[op], how,
                        in->n, (double)in->beta, flags, r, got->loss[r],
                        (unsigned long long)gb, want->loss[r],
                        (unsigned long long)wb);
            return 1;
        }
        for (size_t i = 0; grad && i < in->n; i++) {
            const size_t at = r * in->ld + i;
            if (!same_f32(want->g[at], got->g[at])) {
                print_error("%s %s %s n=%zu beta=%g flags=%u row %zu: grad[%zu] "
                            "%a (%#x), scalar %a (%#x)\n", isa, op_names[op],
                            how, in->n, (double)in->beta, flags, r, i,
                            (double)got->g[at], f32_bits(got->g[at]),
                            (double)want->g[at], f32_bits(want->g[at]));
                return 1;
            }
        }
    }
    return 0;
}

/* Row patterns: random, partly masked, fully masked, a NaN, +inf entries,
 * huge logits, ties at the maximum, two NaNs of other payloads. */
#define PATTERNS 8
static void fill_row(float *x, size_t n, int pattern, uint64_t *seed)
{
    for (size_t i = 0; i < n; i++)
        x[i] = rng_uniform(seed, -10.0f, 10.0f);
    for (size_t i = 0; i < n; i++) {
        const uint64_t u = rng_next(seed) % 8;
        switch (pattern) {
        case 1: if (u == 0) x[i] = -INFINITY; break;
        case 2: x[i] = -INFINITY; break;
        case 3: if (i == n / 2) x[i] = NAN; break;
        case 4: if (u < 2) x[i] = INFINITY; break;
        case 5: x[i] *= 1e30f; break;
        case 6: if (u < 3) x[i] = 10.0f; break;
        case 7:
            if (i == n / 3 || i + 1 == n)
                x[i] = test_nan_payload(i + 1 == n);
            break;
        default: break;
        }
    }
}

/* A target distribution per row, with some exact zeros. */
static void fill_targets(float *q, size_t n, uint64_t *seed)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        q[i] = rng_next(seed) % 5 == 0 ? 0.0f : rng_uniform(seed, 0.0f, 1.0f);
        s += q[i];
    }
    for (size_t i = 0; i < n && s > 0; i++)
        q[i] = (float)(q[i] / s);
}

static int check_case(const struct sm_kernels *ref, const struct sm_kernels *k,
                      const char *isa, enum op op, const struct inputs *in,
                      unsigned flags, float *scratch, float *gref)
{
    const size_t len = in->rows * in->ld;
    assert_true(in->rows <= MAX_CASE_ROWS);
    struct result want = {.g = gref}, got = {.g = scratch};
    run_op(ref, op, in, in->x, want.loss, want.g, flags);
    /* out of place */
    run_op(k, op, in, in->x, got.loss, got.g, flags);
    int bad = compare(isa, "out-of-place", op, in, flags, &want, &got, true);
    /* in place over the logits */
    memcpy(scratch, in->x, len * sizeof(float));
    run_op(k, op, in, scratch, got.loss, scratch, flags);
    bad += compare(isa, "in-place", op, in, flags, &want, &got, true);
    /* loss only */
    run_op(k, op, in, in->x, got.loss, NULL, flags);
    bad += compare(isa, "loss-only", op, in, flags, &want, &got, false);
    return bad;
}

static void test_isas_match_scalar(void **state)
{
    (void)state;
    static const float betas[] = {1.0f, 0.5f, -2.0f, 0.0f, INFINITY};
    /* Under an emulator: fewer sizes, still every tail and a two-chunk row. */
    /* 71..128: each vector count of the rows kept in registers (AVX-512) */
    static const size_t big_full[] = {79, 81, 96, 100, 113, 128, 257, 1000,
                                      4099, SM_CHUNK + 5, 2 * SM_CHUNK + 7};
    static const size_t big_quick[] = {100, 128, 257, SM_CHUNK + 5};
    const bool quick = test_quick(), narrowed = test_isas_narrowed();
    const size_t *big = quick ? big_quick : big_full;
    const size_t n_big = quick ? sizeof big_quick / sizeof *big_quick
                               : sizeof big_full / sizeof *big_full;
    const size_t n_small = quick ? 40 : 70, rows = 2;
    const size_t max_ld = 2 * SM_CHUNK + 7 + 16;
    float *x = malloc(rows * max_ld * sizeof(float));
    float *aux = malloc(rows * max_ld * sizeof(float));
    float *weights = malloc(max_ld * sizeof(float));
    float *scratch = malloc(rows * max_ld * sizeof(float));
    float *gref = malloc(rows * max_ld * sizeof(float));
    assert_true(x && aux && weights && scratch && gref);
    const struct sm_kernels *ref = sm_dispatch_table(SM_ISA_SCALAR);
    int bad = 0, ran = 0;
    for (int isa = SM_ISA_SCALAR + 1; isa <= SM_ISA_COUNT; isa++) {
        const struct sm_kernels *k = table_for(isa);
        if (!k)
            continue;
        ran++;
        for (size_t j = 0; j < n_small + n_big && bad == 0; j++) {
            const size_t n = j < n_small ? j + 1 : big[j - n_small];
            const bool small = n <= 257; /* every pattern and beta */
            const size_t ld = n + j % 5; /* some padding, misaligned rows */
            uint64_t seed = 7 + n;
            for (size_t i = 0; i < n; i++)
                weights[i] = rng_next(&seed) % 6 == 0 ? 0.0f
                                                      : rng_uniform(&seed, 0.1f, 3.0f);
            for (int pat = 0; pat < (small ? PATTERNS : 1); pat++) {
                for (size_t r = 0; r < rows; r++) {
                    /* the second row differs in pattern: rows are independent */
                    fill_row(x + r * ld, n, r ? (pat + 1) % PATTERNS : pat, &seed);
                    /* the last pattern: the teacher's second row mixes NaNs */
                    fill_row(aux + r * ld, n, r && pat == 7 ? 7 : 0, &seed);
                }
                int32_t labels[2] = {(int32_t)(rng_next(&seed) % n),
                                     pat == 6 ? -100 : (int32_t)(rng_next(&seed) % n)};
                /* ... and so do the soft targets there (the API refuses
                 * non-finite class weights) */
                const size_t nan_at[2] = {1 % n, 40 % n};
                for (size_t b = 0; b < 5; b++)
                    for (int op = 0; op < OP_COUNT; op++) {
                        if (!small && b != (size_t)op % 3) /* beta 1, 0.5 or -2 */
                            continue;
                        /* runs narrowed to some ISAs: beta 1 and one other
                         * per size, in turn */
                        if (small && narrowed && b != 0 && b != 1 + j % 4)
                            continue;
                        if (op == SOFT_CE || op == KL) {
                            for (size_t r = 0; r < rows; r++)
                                fill_targets(aux + r * ld, n, &seed);
                            if (pat == 7) /* finite logits, NaN targets */
                                for (int w = 0; w < 2; w++)
                                    aux[ld + nan_at[w]] = test_nan_payload(w);
                        }
                        const struct inputs in = {
                            .rows = rows, .n = n, .ld = ld, .beta = betas[b],
                            .x = x, .aux = aux, .labels = labels, .weights = weights,
                        };
                        for (unsigned flags = 0; flags < 2; flags++)
                            if (small || flags == (unsigned)op % 2)
                                bad += check_case(ref, k, table_name(isa), (enum op)op,
                                                  &in, flags, scratch, gref);
                    }
            }
        }
    }
    if (!ran)
        printf("skipped: no SIMD ISA here; only scalar kernels exist\n");
    free(gref);
    free(scratch);
    free(weights);
    free(aux);
    free(x);
    assert_int_equal(bad, 0);
}

/* The losses whose rows of at most one vector's width go that many rows
 * at a time as column groups (transposed): cross-entropy, entropy, soft
 * cross-entropy, KL and distillation, over batches of rows of at most 16
 * entries: rows with one entry at the maximum, some -inf entries or huge
 * logits, then one row of the second group ignored (cross-entropy), with a
 * NaN or fully masked, which sends that group by rows, or with ties at the
 * maximum or +inf entries (distillation: in the student's rows, then in the
 * teacher's). Losses, gradients (in place too) and cross-entropy's running
 * total against scalar. */
static void test_column_group_losses(void **state)
{
    (void)state;
    enum { ROWS = 35, MAX_LD = 18 };
    static const int clean[] = {0, 1, 5};
    static const int special[] = {-1, 3, 2, 6, 4}; /* -1: an ignored label */
    static const float betas[] = {1.0f, 0.5f, -2.0f, INFINITY};
    float x[ROWS * MAX_LD], aux[ROWS * MAX_LD], targets[ROWS * MAX_LD];
    float weights[MAX_LD], scratch[ROWS * MAX_LD], gref[ROWS * MAX_LD];
    int32_t labels[ROWS];
    const struct sm_kernels *ref = sm_dispatch_table(SM_ISA_SCALAR);
    int bad = 0;
    for (int isa = SM_ISA_SCALAR + 1; isa <= SM_ISA_COUNT; isa++) {
        const struct sm_kernels *k = table_for(isa);
        if (!k)
            continue;
        for (size_t n = 1; n <= 16; n++)
            for (size_t b = 0; b < 4; b++)
                for (size_t v = 0; v <= 5; v++) {
                    /* runs narrowed to some ISAs: one beta per size and
                     * special row, in turn */
                    if (test_isas_narrowed() && b != (n + v) % 4)
                        continue;
                    const size_t ld = n + b % 3;
                    const size_t at = v == 0 ? ROWS : 16 + (5 * v + n) % 16;
                    uint64_t seed = 11 + 3 * n + 17 * b + v;
                    for (size_t i = 0; i < n; i++)
                        weights[i] = 1.0f;
                    for (size_t r = 0; r < ROWS; r++) {
                        const int pat = r != at ? clean[r % 3]
                                        : special[v - 1] < 0 ? 0
                                                             : special[v - 1];
                        fill_row(x + r * ld, n, pat, &seed);
                        fill_row(aux + r * ld, n, 0, &seed);
                        fill_targets(targets + r * ld, n, &seed);
                        labels[r] = r == at && special[v - 1] < 0
                                    ? -100 : (int32_t)(rng_next(&seed) % n);
                    }
                    double total_ref = 0.5, total = 0.5;
                    double loss_ref[ROWS], loss[ROWS];
                    struct inputs in = {
                        .rows = ROWS, .n = n, .ld = ld, .beta = betas[b],
                        .x = x, .aux = aux, .labels = labels, .weights = weights,
                    };
                    for (unsigned flags = 0; flags < 2; flags++) {
                        const char *name = table_name(isa);
                        bad += check_case(ref, k, name, CE_PLAIN, &in, flags,
                                          scratch, gref);
                        bad += check_case(ref, k, name, ENTROPY, &in, flags,
                                          scratch, gref);
                        /* the special row in the student, then in the teacher */
                        struct inputs swapped = in;
                        swapped.x = aux;
                        swapped.aux = x;
                        bad += check_case(ref, k, name, DISTILL, &in, flags,
                                          scratch, gref);
                        bad += check_case(ref, k, name, DISTILL, &swapped, flags,
                                          scratch, gref);
                        struct inputs soft = in;
                        soft.aux = targets;
                        bad += check_case(ref, k, name, SOFT_CE, &soft, flags,
                                          scratch, gref);
                        bad += check_case(ref, k, name, KL, &soft, flags,
                                          scratch, gref);
                        in.total = &total_ref;
                        run_op(ref, CE_PLAIN, &in, x, loss_ref, NULL, flags);
                        in.total = &total;
                        run_op(k, CE_PLAIN, &in, x, loss, NULL, flags);
                        in.total = NULL;
                        if (!same_f64(total, total_ref)) {
                            print_error("%s ce n=%zu beta=%g flags=%u: total %a, "
                                        "scalar %a\n", name, n, (double)in.beta,
                                        flags, total, total_ref);
                            bad++;
                        }
                    }
                }
    }
    assert_int_equal(bad, 0);
}

/* Each row of a batch against the same row alone; counts differences. */
static int compare_rows(const char *isa, const char *how, enum op op,
                        const struct inputs *in, unsigned flags,
                        const double *want_loss, const float *want_g,
                        const double *loss, const float *g)
{
    for (size_t r = 0; r < in->rows; r++) {
        bool same = same_f64(want_loss[r], loss[r]);
        for (size_t i = 0; g && i < in->n; i++)
            same = same && same_f32(want_g[r * in->ld + i], g[r * in->ld + i]);
        if (!same) {
            print_error("%s %s %s n=%zu beta=%g flags=%u: row %zu of %zu differs "
                        "from the row alone\n", isa, op_names[op], how, in->n,
                        (double)in->beta, flags, r, in->rows);
            return 1;
        }
    }
    return 0;
}

/* A batch of many rows gives each row's bits as that row alone, on every
 * ISA and scalar too: short rows go in groups of 16, and a slip in that
 * bookkeeping would be shared by scalar, so the comparison with scalar
 * cannot see it. Rows cycle through the patterns (53 rows leave a last
 * group and a last pair part full); every fifth label is ignored.
 * Cross-entropy's running total must be the row losses added in order. */
static void test_batch_as_single_rows(void **state)
{
    (void)state;
    enum { ROWS = 53, MAX_LD = 4099 };
    /* up to 4096 entries the losses' rows go in groups too (the last two
     * sizes are left out under an emulator) */
    static const size_t sizes[] = {1, 3, 10, 16, 17, 32, 33, 64, 100, 128, 129,
                                   4096, 4097};
    const size_t n_sizes = sizeof sizes / sizeof *sizes - (test_quick() ? 2 : 0);
    static const float betas[] = {1.0f, -0.5f, INFINITY};
    static float x[ROWS * MAX_LD], aux[ROWS * MAX_LD], weights[MAX_LD];
    static float g_batch[ROWS * MAX_LD], g_single[ROWS * MAX_LD];
    static float in_place[ROWS * MAX_LD];
    double loss_batch[ROWS], loss_single[ROWS];
    int32_t labels[ROWS];
    int bad = 0;
    for (int isa = SM_ISA_SCALAR; isa <= SM_ISA_COUNT && bad == 0; isa++) {
        const struct sm_kernels *k = table_for(isa);
        /* scalar's batches: in the full run, not in runs narrowed to some
         * ISAs */
        if (!k || (isa == SM_ISA_SCALAR && test_isas_narrowed()))
            continue;
        for (size_t si = 0; si < n_sizes; si++)
            for (size_t b = 0; b < 3; b++)
                for (int op = 0; op < OP_COUNT; op++)
                    for (unsigned flags = 0; flags < 2; flags++) {
                        const size_t n = sizes[si], ld = n + si % 3;
                        uint64_t seed = 5 + n * 7 + b;
                        for (size_t i = 0; i < n; i++)
                            weights[i] = rng_uniform(&seed, 0.0f, 2.0f);
                        for (size_t r = 0; r < ROWS; r++) {
                            fill_row(x + r * ld, n, (int)(r % PATTERNS), &seed);
                            fill_row(aux + r * ld, n, 0, &seed);
                            if (op == SOFT_CE || op == KL)
                                fill_targets(aux + r * ld, n, &seed);
                            labels[r] = r % 5 == 4 ? -100
                                                   : (int32_t)(rng_next(&seed) % n);
                        }
                        const struct inputs in = {
                            .rows = ROWS, .n = n, .ld = ld, .beta = betas[b],
                            .x = x, .aux = aux, .labels = labels, .weights = weights,
                        };
                        for (size_t r = 0; r < ROWS; r++) {
                            struct inputs one = in;
                            one.rows = 1;
                            one.x = x + r * ld;
                            one.aux = aux + r * ld;
                            one.labels = labels + r;
                            run_op(k, (enum op)op, &one, one.x, loss_single + r,
                                   g_single + r * ld, flags);
                        }
                        const char *name = table_name(isa);
                        run_op(k, (enum op)op, &in, x, loss_batch, g_batch, flags);
                        bad += compare_rows(name, "out-of-place", (enum op)op, &in,
                                            flags, loss_single, g_single,
                                            loss_batch, g_batch);
                        memcpy(in_place, x, sizeof in_place);
                        run_op(k, (enum op)op, &in, in_place, loss_batch, in_place,
                               flags);
                        bad += compare_rows(name, "in-place", (enum op)op, &in,
                                            flags, loss_single, g_single,
                                            loss_batch, in_place);
                        run_op(k, (enum op)op, &in, x, loss_batch, NULL, flags);
                        bad += compare_rows(name, "loss-only", (enum op)op, &in,
                                            flags, loss_single, NULL, loss_batch,
                                            NULL);
                        if (op > CE_ALL)
                            continue;
                        /* Cross-entropy's total: added to, in row order. Rows
                         * of a non-finite loss are ignored here, or the total
                         * would be NaN or inf whatever the order. */
                        double total = 0.25, want = 0.25;
                        int32_t finite_labels[ROWS];
                        for (size_t r = 0; r < ROWS; r++) {
                            const bool finite = isfinite(loss_single[r]);
                            finite_labels[r] = finite ? labels[r] : -100;
                            want += finite ? loss_single[r] : 0.0;
                        }
                        struct inputs summed = in;
                        summed.labels = finite_labels;
                        summed.total = &total;
                        run_op(k, (enum op)op, &summed, x, loss_batch, NULL, flags);
                        if (!same_f64(total, want) || !isfinite(total)) {
                            print_error("%s %s n=%zu beta=%g flags=%u: total %a, "
                                        "row by row %a\n", name, op_names[op], n,
                                        (double)in.beta, flags, total, want);
                            bad++;
                        }
                    }
    }
    assert_int_equal(bad, 0);
}

/* ---- special values through the API ------------------------------------ */

static void test_special_rows(void **state)
{
    (void)state;
    const float inf = INFINITY;
    float x[4 * 4] = {
        1, 2, NAN, 4,         /* NaN: loss and gradient NaN */
        -inf, -inf, -inf, -inf, /* fully masked: p = 0, loss +inf */
        inf, 0, inf, 1,       /* two +inf: p = 1/2 on them */
        1, 2, 3, 4,           /* ignored */
    };
    const int32_t labels[4] = {0, 1, 2, -100};
    float loss[4], g[16];
    sm_cross_entropy_options o = SM_CROSS_ENTROPY_OPTIONS_INIT;
    o.reduction = SM_REDUCTION_NONE;
    assert_int_equal(sm_cross_entropy_rows_f32(4, 4, x, 4, labels, loss, g, 4,
                                               &o), SM_OK);
    assert_true(isnan(loss[0]));
    for (int i = 0; i < 4; i++)
        assert_true(isnan(g[i]));
    assert_true(loss[1] == inf);
    assert_true(g[4 + 1] == -1.0f && g[4] == 0.0f);
    assert_true(fabsf(loss[2] - logf(2.0f)) <= 1e-7f);
    assert_true(g[8 + 2] == -0.5f && g[8] == 0.5f && g[8 + 1] == 0.0f);
    assert_true(loss[3] == 0.0f);
    for (int i = 12; i < 16; i++)
        assert_true(g[i] == 0.0f);

    /* MEAN over rows that are all ignored: 0, zero gradient. */
    const int32_t ignored[2] = {-100, -100};
    o.reduction = SM_REDUCTION_MEAN;
    assert_int_equal(sm_cross_entropy_rows_f32(2, 4, x + 12, 0, ignored, loss,
                                               g, 4, &o),
                     SM_EINVAL); /* ldx < cols */
    assert_int_equal(sm_cross_entropy_rows_f32(2, 4, x + 8, 4, ignored, loss,
                                               g, 4, &o), SM_OK);
    assert_true(loss[0] == 0.0f);
    for (int i = 0; i < 8; i++)
        assert_true(g[i] == 0.0f);
    /* cols = 0 with every row ignored; no rows at all. */
    assert_int_equal(sm_cross_entropy_rows_f32(2, 0, NULL, 0, ignored, loss,
                                               NULL, 0, &o), SM_OK);
    assert_true(loss[0] == 0.0f);
    loss[0] = 5;
    assert_int_equal(sm_cross_entropy_rows_f32(0, 4, NULL, 4, NULL, loss,
                                               NULL, 0, &o), SM_OK);
    assert_true(loss[0] == 0.0f);

    /* beta = 0: uniform, loss log K, zero gradient; beta = inf: hardmax. */
    const float row[4] = {3, 1, 3, -2};
    const int32_t l0 = 1, l2 = 2;
    o = (sm_cross_entropy_options)SM_CROSS_ENTROPY_OPTIONS_INIT;
    o.beta = 0.0f;
    assert_int_equal(sm_cross_entropy_rows_f32(1, 4, row, 4, &l0, loss, g, 4,
                                               &o), SM_OK);
    assert_true(fabsf(loss[0] - logf(4.0f)) <= 2e-7f);
    for (int i = 0; i < 4; i++)
        assert_true(g[i] == 0.0f);
    o.beta = inf;
    assert_int_equal(sm_cross_entropy_rows_f32(1, 4, row, 4, &l0, loss, NULL,
                                               4, &o), SM_OK);
    assert_true(loss[0] == inf);
    assert_int_equal(sm_cross_entropy_rows_f32(1, 4, row, 4, &l2, loss, NULL,
                                               4, &o), SM_OK);
    assert_true(fabsf(loss[0] - logf(2.0f)) <= 1e-7f);
    /* its gradient: 0 where p = q = 0 (the limit), +-inf where they differ */
    const float tie[3] = {1, 3, 3};
    const int32_t l1 = 1;
    o.reduction = SM_REDUCTION_SUM;
    assert_int_equal(sm_cross_entropy_rows_f32(1, 3, tie, 3, &l1, loss, g, 3,
                                               &o), SM_OK);
    assert_true(fabsf(loss[0] - logf(2.0f)) <= 1e-7f);
    assert_true(f32_bits(g[0]) == 0 && g[1] == -inf && g[2] == inf);

    /* Entropy: masked row 0, hardmax over 2 ties log 2, NaN row NaN. */
    const float rows3[12] = {-inf, -inf, -inf, -inf, 5, 5, 1, 0, 1, NAN, 2, 3};
    float h[3];
    assert_int_equal(sm_entropy_rows_f32(3, 4, rows3, 4, h, g, 4,
                                         LOSS_OPTS(inf, 0, SM_REDUCTION_NONE)), SM_OK);
    assert_true(h[0] == 0.0f && fabsf(h[1] - logf(2.0f)) <= 1e-7f && isnan(h[2]));
    for (int i = 0; i < 4; i++)
        assert_true(g[i] == 0.0f);

    /* KL of a target with zeros against p with p = 0 there: 0 log 0 = 0. */
    const float z[3] = {0, -inf, 0}, q[3] = {0.5f, 0.0f, 0.5f};
    assert_int_equal(sm_kl_div_rows_f32(1, 3, z, 3, q, 3, loss, g, 3,
                                        LOSS_OPTS(1.0f, 0, SM_REDUCTION_SUM)), SM_OK);
    assert_true(loss[0] == 0.0f);
    assert_true(g[0] == 0.0f && g[1] == 0.0f && g[2] == 0.0f);
}

/* Mixed NaN payloads through the API, every reduction: targets q[1] and
 * q[40] of a row of 100 with two payloads (soft cross-entropy, KL), a
 * teacher row and a logits row likewise (distillation, entropy): every
 * NaN written is the library's one. */
static void test_nan_payloads(void **state)
{
    (void)state;
    enum { N = 100, ROWS = 3 };
    static float x[ROWS * N], q[ROWS * N], g[ROWS * N];
    uint64_t seed = 11;
    for (size_t i = 0; i < ROWS * N; i++)
        x[i] = rng_uniform(&seed, -4.0f, 4.0f);
    fill_targets(q, ROWS * N, &seed);
    q[N + 1] = test_nan_payload(0);
    q[N + 40] = test_nan_payload(1);
    static const sm_reduction reductions[] = {
        SM_REDUCTION_NONE, SM_REDUCTION_SUM, SM_REDUCTION_MEAN};
    for (int red = 0; red < 3; red++) {
        const sm_loss_options *o = LOSS_OPTS(1.0f, 0, reductions[red]);
        float loss[ROWS];
        for (int op = 0; op < 4; op++) {
            for (size_t i = 0; i < ROWS * N; i++)
                g[i] = 0.0f;
            sm_status st;
            if (op == 0)
                st = sm_soft_cross_entropy_rows_f32(ROWS, N, x, N, q, N, loss, g, N, o);
            else if (op == 1)
                st = sm_kl_div_rows_f32(ROWS, N, x, N, q, N, loss, g, N, o);
            else if (op == 2) /* q's row 1 as a teacher's logits */
                st = sm_distillation_rows_f32(ROWS, N, x, N, q, N, loss, g, N, o);
            else /* the NaNs in the logits */
                st = sm_entropy_rows_f32(ROWS, N, q, N, loss, g, N, o);
            assert_int_equal(st, SM_OK);
            const size_t nl = reductions[red] == SM_REDUCTION_NONE ? ROWS : 1;
            for (size_t r = 0; r < nl; r++) {
                if (nl == ROWS && r != 1)
                    assert_false(isnan(loss[r]));
                else
                    assert_int_equal(f32_bits(loss[r]), SM_TEST_QNAN_BITS);
            }
            for (size_t i = 0; i < ROWS * N; i++) {
                assert_true(nan_is_canonical(g[i]));
                assert_true(isnan(g[i]) == (i / N == 1));
            }
        }
    }
    /* A sum over a +inf row loss (fully masked logits) and a NaN one
     * (q < 0: log q is NaN). */
    const float inf = INFINITY;
    const float xs[2 * 2] = {-inf, -inf, 0.0f, 0.0f};
    const float qs[2 * 2] = {1.0f, 0.0f, -inf, 0.0f}; /* q < 0 gives NaN */
    float loss;
    assert_int_equal(sm_kl_div_rows_f32(2, 2, xs, 2, qs, 2, &loss, NULL, 0,
                                        LOSS_OPTS(1.0f, 0, SM_REDUCTION_SUM)),
                     SM_OK);
    assert_int_equal(f32_bits(loss), SM_TEST_QNAN_BITS);
}

/* Outputs that end at a PROT_NONE page: a write past them faults. */
static void test_guard_pages(void **state)
{
    (void)state;
    const size_t rows = 3, cols = 37;
    struct guard_buf gx, gg, gl, gq;
    float *x = guard_alloc(&gx, rows * cols), *g = guard_alloc(&gg, rows * cols);
    float *loss = guard_alloc(&gl, rows), *q = guard_alloc(&gq, rows * cols);
    uint64_t seed = 3;
    for (size_t i = 0; i < rows * cols; i++)
        x[i] = rng_uniform(&seed, -4, 4);
    for (size_t r = 0; r < rows; r++)
        fill_targets(q + r * cols, cols, &seed);
    const int32_t labels[3] = {36, 0, 5};
    sm_cross_entropy_options o = SM_CROSS_ENTROPY_OPTIONS_INIT;
    o.reduction = SM_REDUCTION_NONE;
    o.label_smoothing = 0.2f;
    for (int isa = SM_ISA_SCALAR; isa < SM_ISA_COUNT; isa++) {
        if (sm_isa_force((sm_isa)isa) != SM_OK)
            continue;
        assert_int_equal(sm_cross_entropy_rows_f32(
                             rows, cols, x, cols, labels, loss, g, cols, &o), SM_OK);
        assert_int_equal(sm_soft_cross_entropy_rows_f32(
                             rows, cols, x, cols, q, cols, loss, g, cols,
                             LOSS_OPTS(1, 0, SM_REDUCTION_NONE)), SM_OK);
        assert_int_equal(sm_kl_div_rows_f32(rows, cols, x, cols, q, cols,
                                            loss, g, cols,
                                            LOSS_OPTS(1, 0, SM_REDUCTION_NONE)), SM_OK);
        assert_int_equal(sm_distillation_rows_f32(
                             rows, cols, x, cols, q, cols, loss, g, cols,
                             LOSS_OPTS(0.5f, 0, SM_REDUCTION_NONE)), SM_OK);
        assert_int_equal(sm_entropy_rows_f32(rows, cols, x, cols, loss, g,
                                             cols,
                                             LOSS_OPTS(1, 0, SM_REDUCTION_NONE)), SM_OK);
    }
    assert_int_equal(sm_isa_force(SM_ISA_AUTO), SM_OK);
    assert_int_equal(guard_free(&gq), 0);
    assert_int_equal(guard_free(&gl), 0);
    assert_int_equal(guard_free(&gg), 0);
    assert_int_equal(guard_free(&gx), 0);
}

/* ---- errors: a clear status, nothing written ---------------------------- */

#define SENTINEL 12345.0f

static void reset(float *loss, float *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        loss[i] = g[i] = SENTINEL;
}

static void assert_untouched(const float *loss, const float *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_true(loss[i] == SENTINEL && g[i] == SENTINEL);
}

static void expect_ce(sm_status want, size_t rows, size_t cols, const float *x,
                      size_t ldx, const int32_t *labels,
                      const sm_cross_entropy_options *o, float *loss, float *g,
                      size_t ldg)
{
    float *gbuf = g ? g : loss;
    reset(loss, gbuf, 8);
    assert_int_equal(sm_cross_entropy_rows_f32(rows, cols, x, ldx, labels,
                                               loss, g, ldg, o), want);
    assert_untouched(loss, gbuf, 8);
}

/* One bad label among many, at every position of the label scan (its
 * vector body and its tail), with and without class weights; then the
 * same labels all valid, where MEAN divides by the rows kept. */
static void test_cross_entropy_label_scan(void **state)
{
    (void)state;
    enum { ROWS = 37, COLS = 3 };
    float x[ROWS * COLS], loss[8], rows_loss[ROWS], mean;
    const float w[COLS] = {0.5f, 2, 3};
    const int32_t bad[] = {-1, COLS, INT32_MIN, INT32_MAX, -99};
    int32_t labels[ROWS];
    for (size_t i = 0; i < ROWS * COLS; i++)
        x[i] = (float)(i % 7) - 3.0f;
    sm_cross_entropy_options o = SM_CROSS_ENTROPY_OPTIONS_INIT;
    o.ignore_index = -100;
    for (int weighted = 0; weighted < 2; weighted++) {
        o.class_weights = weighted ? w : NULL;
        o.reduction = SM_REDUCTION_MEAN;
        double kept = 0.0;
        for (size_t at = 0; at < ROWS; at++)
            for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
                for (size_t r = 0; r < ROWS; r++)
                    labels[r] = r % 4 == 3 ? -100 : (int32_t)(r % COLS);
                labels[at] = bad[b];
                expect_ce(SM_EINVAL, ROWS, COLS, x, COLS, labels, &o, loss,
                          NULL, COLS);
            }
        for (size_t r = 0; r < ROWS; r++) {
            labels[r] = r % 4 == 3 ? -100 : (int32_t)(r % COLS);
            if (labels[r] >= 0)
                kept += weighted ? w[labels[r]] : 1.0;
        }
        assert_int_equal(sm_cross_entropy_rows_f32(
                             ROWS, COLS, x, COLS, labels, &mean, NULL, 0, &o), SM_OK);
        o.reduction = SM_REDUCTION_NONE;
        assert_int_equal(sm_cross_entropy_rows_f32(
                             ROWS, COLS, x, COLS, labels, rows_loss, NULL, 0,
                             &o), SM_OK);
        double sum = 0.0;
        for (size_t r = 0; r < ROWS; r++)
            sum += rows_loss[r];
        assert_float_equal(mean, sum / kept, 1e-6 * (sum / kept));
    }
    /* Rows longer than 2^31 still refuse a negative label. The labels are
     * checked before anything is read, so x is only declared that long; a
     * static buffer, whose declared rows span only addresses above it,
     * where no other argument lies (static constants sit below). */
    static float far_x[2];
    static const int32_t negative[2] = {0, INT32_MIN};
    const size_t huge = (size_t)3 << 30;
    o.class_weights = NULL;
    o.reduction = SM_REDUCTION_MEAN;
    assert_int_equal(sm_cross_entropy_rows_f32(2, huge, far_x, huge, negative,
                                               NULL, NULL, 0, &o), SM_EINVAL);
}

static void test_cross_entropy_errors(void **state)
{
    (void)state;
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, loss[8], g[8];
    const int32_t good[2] = {0, 3}, low[2] = {0, -1}, high[2] = {4, 0};
    const float bad_w[4][4] = {{1, -1, 1, 1}, {1, NAN, 1, 1}, {1, INFINITY, 1, 1},
                               {1, 1, 1, 1}};
    sm_cross_entropy_options o = SM_CROSS_ENTROPY_OPTIONS_INIT;
    expect_ce(SM_EINVAL, 2, 4, x, 4, low, &o, loss, g, 4);
    expect_ce(SM_EINVAL, 2, 4, x, 4, high, &o, loss, g, 4);
    expect_ce(SM_EINVAL, 2, 4, x, 4, NULL, &o, loss, g, 4);
    expect_ce(SM_EINVAL, 2, 4, NULL, 4, good, &o, loss, g, 4);
    expect_ce(SM_EINVAL, 2, 4, x, 3, good, &o, loss, g, 4);
    expect_ce(SM_EINVAL, 2, 4, x, 4, good, &o, loss, g, 3);
    const float eps_bad[] = {-0.1f, 1.5f, NAN};
    for (int i = 0; i < 3; i++) {
        o = (sm_cross_entropy_options)SM_CROSS_ENTROPY_OPTIONS_INIT;
        o.label_smoothing = eps_bad[i];
        expect_ce(SM_EINVAL, 2, 4, x, 4, good, &o, loss, g, 4);
        o = (sm_cross_entropy_options)SM_CROSS_ENTROPY_OPTIONS_INIT;
        o.l2 = i == 0 ? -1.0f : i == 1 ? INFINITY : NAN;
        expect_ce(SM_EINVAL, 2, 4, x, 4, good, &o, loss, g, 4);
    }
    o = (sm_cross_entropy_options)SM_CROSS_ENTROPY_OPTIONS_INIT;
    for (int i = 0; i < 3; i++) {
        o.class_weights = bad_w[i];
        expect_ce(SM_EINVAL, 2, 4, x, 4, good, &o, loss, g, 4);
    }
    o = (sm_cross_entropy_options)SM_CROSS_ENTROPY_OPTIONS_INIT;
    o.beta = NAN;
    expect_ce(SM_EINVAL, 2, 4, x, 4, good, &o, loss, g, 4);
    o.beta = 1;
    o.reduction = (sm_reduction)3;
    expect_ce(SM_EINVAL, 2, 4, x, 4, good, &o, loss, g, 4);
    o.reduction = SM_REDUCTION_NONE;
    o.flags = 2;
    expect_ce(SM_EINVAL, 2, 4, x, 4, good, &o, loss, g, 4);
    o.flags = 0;
    /* Overlaps: loss inside the logits, grad over part of them, grad over
     * the labels or the weights. */
    float both[16];
    memcpy(both, x, sizeof x);
    assert_int_equal(sm_cross_entropy_rows_f32(2, 4, both, 4, good, both + 3,
                                               NULL, 4, &o),
                     SM_EOVERLAP);
    memcpy(both, x, sizeof x);
    assert_int_equal(sm_cross_entropy_rows_f32(2, 4, both, 4, good, loss,
                                               both + 1, 4, &o),
                     SM_EOVERLAP);
    assert_true(memcmp(both, x, sizeof x) == 0);
    float wg[8] = {1, 1, 1, 1, 0, 0, 0, 0};
    o.class_weights = wg;
    assert_int_equal(sm_cross_entropy_rows_f32(1, 4, x, 4, good, loss, wg + 2,
                                               4, &o),
                     SM_EOVERLAP);
    int32_t lab_as_grad[8] = {0, 1, 2, 3};
    o.class_weights = NULL;
    assert_int_equal(sm_cross_entropy_rows_f32(2, 4, x, 4, lab_as_grad, loss,
                                               (float *)lab_as_grad, 4, &o), SM_EOVERLAP);
    /* A stride whose extent overflows. */
    assert_int_equal(sm_cross_entropy_rows_f32(2, 4, x, SIZE_MAX / 2, good,
                                               loss, NULL, 4, &o), SM_ERANGE);
}

static void test_other_loss_errors(void **state)
{
    (void)state;
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, q[8] = {0.25f, 0.25f, 0.25f, 0.25f, 1, 0, 0, 0};
    float loss[8], g[8];
    typedef sm_status (*soft_fn)(size_t, size_t, const float *, size_t,
                                 const float *, size_t, float *, float *,
                                 size_t, const sm_loss_options *);
    const soft_fn fns[2] = {sm_soft_cross_entropy_rows_f32, sm_kl_div_rows_f32};
    for (int f = 0; f < 2; f++) {
        const struct {
            float beta;
            const float *x, *q;
            size_t ldq, ldg;
            int red;
            unsigned flags;
            float *loss;
            sm_status want;
        } cases[] = {
            {NAN, x, q, 4, 4, 0, 0, loss, SM_EINVAL},
            {1, NULL, q, 4, 4, 0, 0, loss, SM_EINVAL},
            {1, x, NULL, 4, 4, 0, 0, loss, SM_EINVAL},
            {1, x, q, 3, 4, 0, 0, loss, SM_EINVAL},
            {1, x, q, 4, 2, 0, 0, loss, SM_EINVAL},
            {1, x, q, 4, 4, 7, 0, loss, SM_EINVAL},
            {1, x, q, 4, 4, 0, 4, loss, SM_EINVAL},
            {1, x, q, 4, 4, 0, 0, q + 1, SM_EOVERLAP},
        };
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            reset(loss, g, 8);
            const float qcopy[8] = {q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7]};
            assert_int_equal(fns[f](2, 4, cases[c].x, 4, cases[c].q, cases[c].ldq,
                                    cases[c].loss, g, cases[c].ldg,
                                    LOSS_OPTS(cases[c].beta, cases[c].flags,
                                              (sm_reduction)cases[c].red)),
                             cases[c].want);
            assert_untouched(loss, g, 8);
            assert_true(memcmp(q, qcopy, sizeof q) == 0);
        }
        /* grad over the targets */
        assert_int_equal(fns[f](2, 4, x, 4, q, 4, loss, q, 4,
                                LOSS_OPTS(1, 0, SM_REDUCTION_SUM)),
                         SM_EOVERLAP);
    }
    /* distillation's beta = 1 / T must be > 0 and finite: T = 0, -1, NaN,
     * inf */
    const float bad_betas[] = {INFINITY, -1.0f, NAN, 0.0f};
    for (int i = 0; i < 4; i++) {
        reset(loss, g, 8);
        assert_int_equal(sm_distillation_rows_f32(
                             2, 4, x, 4, q, 4, loss, g, 4,
                             LOSS_OPTS(bad_betas[i], 0, SM_REDUCTION_MEAN)),
                         SM_EINVAL);
        assert_untouched(loss, g, 8);
    }
    reset(loss, g, 8);
    assert_int_equal(sm_distillation_rows_f32(
                         2, 4, x, 4, q, 4, loss, x + 2, 4,
                         LOSS_OPTS(0.5f, 0, SM_REDUCTION_MEAN)),
                     SM_EOVERLAP);
    assert_int_equal(sm_entropy_rows_f32(2, 4, x, 4, loss, g, 4,
                                         LOSS_OPTS(NAN, 0, SM_REDUCTION_NONE)),
                     SM_EINVAL);
    assert_int_equal(sm_entropy_rows_f32(2, 4, x, 4, x + 4, g, 4,
                                         LOSS_OPTS(1, 0, SM_REDUCTION_NONE)),
                     SM_EOVERLAP);
    assert_int_equal(sm_entropy_rows_f32(2, 4, x, 4, loss, g, 3,
                                         LOSS_OPTS(1, 0, SM_REDUCTION_NONE)),
                     SM_EINVAL);
    assert_untouched(loss, g, 8);
}

/* Rows longer than a chunk, whose chunks have different extrema: the
 * losses' p_i is softmax's, bit for bit (each chunk's own exps scaled by
 * its own factor), so cross-entropy's gradient is (p - onehot(c)) beta and
 * entropy's (p (nl - H)) beta from softmax and log-softmax themselves. */
static void test_long_rows_take_softmax_p(void **state)
{
    (void)state;
    const size_t n = 2 * SM_CHUNK + 1000, rows = 2;
    float *x = malloc(rows * n * sizeof *x), *p = malloc(rows * n * sizeof *p);
    float *y = malloc(rows * n * sizeof *y), *g = malloc(rows * n * sizeof *g);
    assert_true(x && p && y && g);
    uint64_t s = 31;
    for (size_t i = 0; i < rows * n; i++) /* chunks 3 apart: M in the last */
        x[i] = rng_uniform(&s, -4.0f, 4.0f) + 3.0f * (float)(i % n / SM_CHUNK);
    /* labels below the row's maximum chunk, and in it */
    const int32_t labels[2] = {17, (int32_t)(2 * SM_CHUNK + 5)};
    static const float betas[] = {1.0f, 0.5f};
    for (size_t bi = 0; bi < 2; bi++)
        for (sm_flags flags = 0; flags <= SM_FAST_EXP; flags += SM_FAST_EXP) {
            const float beta = betas[bi];
            sm_options o = SM_OPTIONS_INIT;
            o.beta = beta;
            o.flags = flags;
            assert_int_equal(sm_softmax_rows_f32(rows, n, x, n, p, n, &o),
                             SM_OK);
            assert_int_equal(
                sm_log_softmax_rows_f32(rows, n, x, n, y, n, &o), SM_OK);
            sm_cross_entropy_options co = SM_CROSS_ENTROPY_OPTIONS_INIT;
            co.beta = beta;
            co.flags = flags;
            co.reduction = SM_REDUCTION_NONE;
            float loss[2];
            assert_int_equal(sm_cross_entropy_rows_f32(rows, n, x, n, labels,
                                                       loss, g, n, &co),
                             SM_OK);
            size_t bad = 0;
            for (size_t r = 0; r < rows; r++)
                for (size_t j = 0; j < n; j++) {
                    const float d = p[r * n + j] -
                                    (j == (size_t)labels[r] ? 1.0f : 0.0f);
                    const float want = d == 0.0f ? 0.0f : d * beta;
                    bad += memcmp(&want, &g[r * n + j], sizeof want) != 0;
                }
            if (bad)
                print_error("cross-entropy beta %g flags %u: %zu gradient "
                            "entries are not (p - onehot) beta\n",
                            (double)beta, flags, bad);
            assert_int_equal(bad, 0);
            sm_loss_options lo = SM_LOSS_OPTIONS_INIT;
            lo.beta = beta;
            lo.flags = flags;
            lo.reduction = SM_REDUCTION_NONE;
            assert_int_equal(sm_entropy_rows_f32(rows, n, x, n, loss, g, n,
                                                 &lo),
                             SM_OK);
            for (size_t r = 0; r < rows; r++)
                for (size_t j = 0; j < n; j++) {
                    const float pj = p[r * n + j], nl = 0.0f - y[r * n + j];
                    const float d = pj == 0.0f ? 0.0f : pj * (nl - loss[r]);
                    const float want = d == 0.0f ? 0.0f : d * beta;
                    bad += memcmp(&want, &g[r * n + j], sizeof want) != 0;
                }
            if (bad)
                print_error("entropy beta %g flags %u: %zu gradient entries "
                            "are not (p (nl - H)) beta\n", (double)beta,
                            flags, bad);
            assert_int_equal(bad, 0);
        }
    free(x);
    free(p);
    free(y);
    free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isas_match_scalar),
        cmocka_unit_test(test_batch_as_single_rows),
        cmocka_unit_test(test_column_group_losses),
        cmocka_unit_test(test_special_rows),
        cmocka_unit_test(test_nan_payloads),
        cmocka_unit_test(test_guard_pages),
        cmocka_unit_test(test_cross_entropy_errors),
        cmocka_unit_test(test_cross_entropy_label_scan),
        cmocka_unit_test(test_other_loss_errors),
        cmocka_unit_test(test_long_rows_take_softmax_p),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
