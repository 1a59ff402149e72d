/*
 * Fused attention decode: every ISA (and exp mode) bit for bit against
 * scalar over shapes around every vector width, block and piece boundary,
 * head dims and head groupings, padded strides (NaN in the padding and past
 * the valid length, which must not be read), masks and special values;
 * scalar against a long-double reference within the header's bound, the
 * logsumexp included; the grouped-query head mapping; the public entry
 * point's defaults and layouts; every error path, leaving o and lse as
 * they were.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "isa_tables.h"

/* One problem: buffers padded per stride, the padding NaN. */
struct problem {
    size_t heads, kv, n, d;
    size_t ldq, ldkt, ldkh, ldvt, ldvh, ldo;
    float *q, *k, *v, *mask, *o, *lse;
    float scale;
};

static float *nan_buffer(size_t count)
{
    float *p = malloc((count ? count : 1) * sizeof *p);
    assert_non_null(p);
    for (size_t i = 0; i < count; i++)
        p[i] = test_nan_payload((int)(i % 2));
    return p;
}

/* Strides padded by pad elements (0: packed [n][kv][d]); n_alloc keys of
 * storage, every entry at or past n NaN. */
static void problem_init(struct problem *p, size_t heads, size_t kv, size_t n,
                         size_t d, size_t pad, uint64_t *s)
{
    memset(p, 0, sizeof *p);
    p->heads = heads, p->kv = kv, p->n = n, p->d = d;
    p->ldq = d + pad, p->ldo = d + pad;
    p->ldkh = d + pad, p->ldkt = kv * p->ldkh + 2 * pad;
    p->ldvh = d + 2 * pad, p->ldvt = kv * p->ldvh + pad;
    const size_t n_alloc = n + 3;
    p->q = nan_buffer(heads * p->ldq);
    p->k = nan_buffer(n_alloc * p->ldkt);
    p->v = nan_buffer(n_alloc * p->ldvt);
    p->mask = nan_buffer(n_alloc);
    p->o = nan_buffer(heads * p->ldo);
    p->lse = nan_buffer(heads);
    p->scale = (float)(1.0 / sqrt((double)d));
    for (size_t h = 0; h < heads; h++)
        for (size_t j = 0; j < d; j++)
            p->q[h * p->ldq + j] = rng_uniform(s, -1.0f, 1.0f);
    for (size_t i = 0; i < n; i++) {
        p->mask[i] = 0.0f;
        for (size_t g = 0; g < kv; g++)
            for (size_t j = 0; j < d; j++) {
                p->k[i * p->ldkt + g * p->ldkh + j] = rng_uniform(s, -1.0f, 1.0f);
                p->v[i * p->ldvt + g * p->ldvh + j] = rng_uniform(s, -1.0f, 1.0f);
            }
    }
}

static void problem_free(struct problem *p)
{
    free(p->q), free(p->k), free(p->v), free(p->mask), free(p->o), free(p->lse);
}

static struct sm_attention_args args_of(const struct problem *p, bool masked,
                                        float *o, float *lse)
{
    return (struct sm_attention_args){
        .heads = p->heads, .kv_heads = p->kv, .n = p->n, .d = p->d,
        .q = p->q, .ldq = p->ldq,
        .k = p->k, .ldk_token = p->ldkt, .ldk_head = p->ldkh,
        .v = p->v, .ldv_token = p->ldvt, .ldv_head = p->ldvh,
        .mask = masked ? p->mask : NULL, .scale = p->scale,
        .o = o, .ldo = p->ldo, .lse = lse};
}

static float *kv_at(float *base, size_t ldt, size_t ldh, size_t i, size_t g)
{
    return base + i * ldt + g * ldh;
}

/* Every ISA and exp mode against scalar, bit for bit; returns mismatches
 * (the first few of the whole run printed). */
static int printed;

static int compare_isas(const struct problem *p, bool masked, const char *what)
{
    const size_t size_o = p->heads * p->ldo;
    float *o_ref = nan_buffer(size_o), *o = nan_buffer(size_o);
    float *l_ref = nan_buffer(p->heads), *l = nan_buffer(p->heads);
    const struct sm_kernels *ref = table_for(SM_ISA_SCALAR);
    int bad = 0;
    for (unsigned flags = 0; flags <= SM_FAST_EXP; flags += SM_FAST_EXP) {
        struct sm_attention_args a = args_of(p, masked, o_ref, l_ref);
        ref->attention_decode(&a, flags);
        for (size_t h = 0; h < p->heads; h++) {
            if (!nan_is_canonical(l_ref[h]) && bad++ >= 0 && printed++ < 8)
                printf("%s: lse[%zu] a NaN not the library's\n", what, h);
            for (size_t j = 0; j < p->d; j++)
                if (!nan_is_canonical(o_ref[h * p->ldo + j]) && bad++ >= 0 && printed++ < 8)
                    printf("%s: o[%zu][%zu] a NaN not the library's\n", what,
                           h, j);
        }
        for (int isa = SM_ISA_SCALAR + 1; isa <= SM_ISA_COUNT; isa++) {
            const struct sm_kernels *t = table_for(isa);
            if (!t)
                continue;
            memset(o, 0x55, size_o * sizeof *o);
            a = args_of(p, masked, o, l);
            t->attention_decode(&a, flags);
            for (size_t h = 0; h < p->heads; h++) {
                if (f32_bits(l[h]) != f32_bits(l_ref[h]) && bad++ >= 0 && printed++ < 8)
                    printf("%s %s flags %u: lse[%zu] %a, scalar %a\n", what,
                           table_name(isa), flags, h, (double)l[h],
                           (double)l_ref[h]);
                for (size_t j = 0; j < p->d; j++) {
                    const size_t at = h * p->ldo + j;
                    if (f32_bits(o[at]) != f32_bits(o_ref[at]) && bad++ >= 0 && printed++ < 8)
                        printf("%s %s flags %u: o[%zu][%zu] %a, scalar %a\n",
                               what, table_name(isa), flags, h, j,
                               (double)o[at], (double)o_ref[at]);
                }
                /* the padding between rows of o untouched */
                for (size_t j = p->d; j < p->ldo && h + 1 < p->heads; j++)
                    if (f32_bits(o[h * p->ldo + j]) != 0x55555555u && bad++ >= 0 && printed++ < 8)
                        printf("%s %s: padding of o written\n", what,
                               table_name(isa));
            }
        }
    }
    free(o_ref), free(o), free(l_ref), free(l);
    return bad;
}

static void test_attention_every_isa(void **state)
{
    (void)state;
    static const size_t ns[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32,
                                33, 63, 64, 65, 100, 511, 512, 513, 1025, 3000};
    static const size_t ds[] = {1, 3, 17, 64, 80, 128, 300};
    static const size_t groups[][2] = {{1, 1}, {4, 1}, {8, 8}, {32, 8},
                                       {20, 1}, {48, 6}, {40, 4}};
    uint64_t s = 0xa77e;
    int bad = 0;
    for (size_t gi = 0; gi < sizeof groups / sizeof *groups; gi++)
        for (size_t di = 0; di < sizeof ds / sizeof *ds; di++)
            for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++) {
                const size_t heads = groups[gi][0], kv = groups[gi][1];
                const size_t d = ds[di], n = ns[ni];
                /* keep the big shapes to a few */
                if (heads * n * d > 2000000 && !(gi == 3 && di == 5))
                    continue;
                if (gi >= 5 && n > 600) /* two passes of heads: short n */
                    continue;
                /* quick: at most 300000 products, 100000 in runs narrowed
                 * to some ISAs (still every tail, block and piece
                 * boundary, and two passes of heads and of columns) */
                if (test_quick() &&
                    heads * n * d > (test_isas_narrowed() ? 100000 : 300000))
                    continue;
                struct problem p;
                problem_init(&p, heads, kv, n, d, (ni + di) % 3, &s);
                char what[96];
                snprintf(what, sizeof what, "H %zu/%zu d %zu n %zu", heads, kv,
                         d, n);
                bad += compare_isas(&p, false, what);
                if (n > 0 && n < 600) { /* a mask with -inf and a scale */
                    for (size_t i = 0; i < n; i++)
                        p.mask[i] = i % 5 == 2 ? -INFINITY
                                               : rng_uniform(&s, -3.0f, 1.0f);
                    p.scale = 3.5f;
                    bad += compare_isas(&p, true, what);
                }
                problem_free(&p);
            }
    assert_int_equal(bad, 0);
}

/* Special values through every ISA: NaN, infinities, all masked, huge. */
static void test_attention_special_isas(void **state)
{
    (void)state;
    uint64_t s = 77;
    int bad = 0;
    static const size_t ns[] = {1, 31, 33, 600, 1100};
    for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++) {
        const size_t n = ns[ni];
        for (int c = 0; c < 8; c++) {
            struct problem p;
            problem_init(&p, 8, 2, n, 20, 1, &s);
            const size_t at = (n * 7) / 11;
            bool masked = true;
            switch (c) {
            case 0: p.mask[at] = INFINITY; break;         /* one +inf key */
            case 1: p.mask[at] = INFINITY; p.mask[0] = INFINITY; break;
            case 2: for (size_t i = 0; i < n; i++) p.mask[i] = -INFINITY; break;
            case 3: p.mask[at] = NAN; break;              /* every head NaN */
            case 4: p.q[3 * p.ldq + 5] = NAN; break;      /* head 3 NaN */
            case 5: *kv_at(p.k, p.ldkt, p.ldkh, at, 1) = INFINITY; break;
            case 6: /* a masked key's values are NaN: never read */
                p.mask[at] = -INFINITY;
                *kv_at(p.v, p.ldvt, p.ldvh, at, 0) = NAN;
                *kv_at(p.v, p.ldvt, p.ldvh, at, 1) = INFINITY;
                break;
            case 7: p.scale = 1e30f; masked = false; break; /* overflowing x */
            }
            char what[64];
            snprintf(what, sizeof what, "special %d n %zu", c, n);
            bad += compare_isas(&p, masked, what);
            problem_free(&p);
        }
    }
    assert_int_equal(bad, 0);
}

/* The exact result from the same f32 inputs, head h: o (d entries), lse,
 * and the header's bound for each. */
static void reference(const struct problem *p, bool masked, size_t h,
                      long double *o, long double *lse, double *bo,
                      double *blse)
{
    const size_t g = h / (p->heads / p->kv), n = p->n, d = p->d;
    const double u = 0x1p-24;
    long double *x = malloc((n ? n : 1) * sizeof *x);
    double *tx = malloc((n ? n : 1) * sizeof *tx);
    assert_non_null(x);
    assert_non_null(tx);
    long double m = -INFINITY;
    double maxdx = 0.0;
    const float *q = p->q + h * p->ldq;
    for (size_t i = 0; i < n; i++) {
        const float *k = p->k + i * p->ldkt + g * p->ldkh;
        long double dot = 0.0L, mag = 0.0L;
        for (size_t j = 0; j < d; j++) {
            dot += (long double)q[j] * k[j];
            mag += fabsl((long double)q[j] * k[j]);
        }
        x[i] = dot * p->scale + (masked ? p->mask[i] : 0.0f);
        const double dx = ((double)d / 16 + 6) * u *
                          (double)(p->scale * mag + fabsl(x[i]));
        if (dx > maxdx && x[i] != -INFINITY)
            maxdx = dx;
        if (x[i] > m)
            m = x[i];
    }
    long double sum = 0.0L;
    for (size_t i = 0; i < n; i++) {
        tx[i] = (double)fabsl(x[i] - m);
        sum += expl(x[i] - m);
    }
    const double c = (double)(n < 512 ? n : 512) + (double)n / 512 +
                     2.0 * (double)n / 32 + 12;
    double tmax = 0.0;
    for (size_t j = 0; j < d; j++) {
        long double acc = 0.0L, mag = 0.0L;
        double extra = 0.0;
        for (size_t i = 0; i < n; i++) {
            const long double pi = expl(x[i] - m) / sum;
            if (pi == 0.0L)
                continue;
            const float vv = p->v[i * p->ldvt + g * p->ldvh + j];
            acc += pi * vv;
            mag += pi * fabsl((long double)vv);
            extra += (double)(pi * fabsl((long double)vv)) * 2.0 * tx[i] * u;
            if ((double)pi * tx[i] > tmax)
                tmax = (double)pi * tx[i];
        }
        o[j] = acc;
        bo[j] = (2 * maxdx + c * u) * (double)mag + extra + 1e-37;
    }
    *lse = m + logl(sum);
    *blse = maxdx + c * u + 2 * u * tmax + 0x1p-23 * fabs((double)*lse);
    free(x);
    free(tx);
}

static void test_attention_reference(void **state)
{
    (void)state;
    if (test_isas_narrowed()) {
        printf("the scalar kernel against the reference: in the full run\n");
        skip();
    }
    static const size_t ns[] = {1, 2, 33, 513, 2000};
    static const size_t ds[] = {1, 17, 64, 128};
    static const float scales[] = {0.0f, 4.0f};
    /* quick: the longest row is left out */
    const size_t n_ns = sizeof ns / sizeof *ns - (test_quick() ? 1 : 0);
    uint64_t s = 99;
    int bad = 0;
    double worst = 0.0;
    for (size_t ni = 0; ni < n_ns; ni++)
        for (size_t di = 0; di < sizeof ds / sizeof *ds; di++)
            for (size_t si = 0; si < 2; si++)
                for (unsigned flags = 0; flags <= SM_FAST_EXP; flags++) {
                    struct problem p;
                    problem_init(&p, 4, 2, ns[ni], ds[di], 1, &s);
                    if (scales[si] != 0.0f)
                        p.scale = scales[si];
                    const bool masked = ns[ni] > 2;
                    for (size_t i = 0; i < p.n && masked; i++)
                        p.mask[i] = i % 3 ? 0.0f : -INFINITY;
                    struct sm_attention_args a = args_of(&p, masked, p.o, p.lse);
                    table_for(SM_ISA_SCALAR)->attention_decode(&a, flags);
                    long double o[128], lse;
                    double bo[128], blse;
                    for (size_t h = 0; h < p.heads; h++) {
                        reference(&p, masked, h, o, &lse, bo, &blse);
                        const double el = fabs((double)(p.lse[h] - lse));
                        if (!(el <= blse) && bad++ < 5)
                            printf("n %zu d %zu head %zu: lse %.9g, exact "
                                   "%.9Lg, bound %.3g\n", p.n, p.d, h,
                                   (double)p.lse[h], lse, blse);
                        for (size_t j = 0; j < p.d; j++) {
                            const double e = fabs((double)(p.o[h * p.ldo + j] - o[j]));
                            if (e / bo[j] > worst)
                                worst = e / bo[j];
                            if (!(e <= bo[j]) && bad++ < 5)
                                printf("n %zu d %zu head %zu col %zu: %.9g, "
                                       "exact %.9Lg, bound %.3g\n", p.n, p.d,
                                       h, j, (double)p.o[h * p.ldo + j], o[j],
                                       bo[j]);
                        }
                    }
                    problem_free(&p);
                }
    printf("largest error / bound: %.3g\n", worst);
    assert_int_equal(bad, 0);
}

/* Head h reads kv head h / (heads / kv_heads): values constant per kv
 * head, so any other mapping is off by at least 1. */
static void test_attention_gqa_mapping(void **state)
{
    (void)state;
    static const size_t groups[][2] = {{8, 2}, {32, 8}, {6, 3}, {5, 1}};
    uint64_t s = 5;
    for (size_t gi = 0; gi < 4; gi++) {
        struct problem p;
        const size_t heads = groups[gi][0], kv = groups[gi][1];
        problem_init(&p, heads, kv, 70, 9, 2, &s);
        for (size_t i = 0; i < p.n; i++)
            for (size_t g = 0; g < kv; g++)
                for (size_t j = 0; j < p.d; j++)
                    *(kv_at(p.v, p.ldvt, p.ldvh, i, g) + j) = (float)(g + 1);
        sm_attention_options opt = SM_ATTENTION_OPTIONS_INIT;
        opt.lse = p.lse;
        assert_int_equal(sm_attention_decode_f32(heads, kv, p.n, p.d, p.q,
                                                 p.ldq, p.k, p.ldkt, p.ldkh,
                                                 p.v, p.ldvt, p.ldvh, p.o,
                                                 p.ldo, &opt), SM_OK);
        for (size_t h = 0; h < heads; h++) {
            const double want = (double)(h / (heads / kv) + 1);
            long double o[16], lse;
            double bo[16], blse;
            reference(&p, false, h, o, &lse, bo, &blse);
            assert_true(fabs((double)(p.lse[h] - lse)) <= blse);
            for (size_t j = 0; j < p.d; j++)
                assert_true(fabs(p.o[h * p.ldo + j] - want) < 1e-5);
        }
        problem_free(&p);
    }
}

/* The public call: defaults, valid length, layouts, special heads. */
static void test_attention_api(void **state)
{
    (void)state;
    uint64_t s = 3;
    struct problem p;
    problem_init(&p, 8, 2, 300, 64, 0, &s);
    float *o2 = nan_buffer(8 * 64), lse2[8], lse[8];
    /* NULL options: scale 1/sqrt(d), no mask, every key */
    assert_int_equal(sm_attention_decode_f32(8, 2, 300, 64, p.q, 64, p.k, 128,
                                             64, p.v, 128, 64, p.o, 64, NULL),
                     SM_OK);
    struct sm_attention_args a = args_of(&p, false, o2, lse2);
    a.scale = (float)(1.0 / sqrt(64.0));
    sm_dispatch()->attention_decode(&a, 0);
    assert_memory_equal(p.o, o2, 8 * 64 * sizeof(float));
    /* valid length: the keys past it are not read (NaN there) */
    sm_attention_options opt = SM_ATTENTION_OPTIONS_INIT;
    opt.valid_length = 100;
    opt.lse = lse;
    float saved[300];
    for (size_t i = 100; i < 300; i++) {
        saved[i] = p.k[i * 128 + 7];
        p.k[i * 128 + 7] = NAN;
    }
    assert_int_equal(sm_attention_decode_f32(8, 2, 300, 64, p.q, 64, p.k, 128,
                                             64, p.v, 128, 64, p.o, 64, &opt),
                     SM_OK);
    a.n = 100;
    sm_dispatch()->attention_decode(&a, 0);
    assert_memory_equal(p.o, o2, 8 * 64 * sizeof(float));
    assert_memory_equal(lse, lse2, sizeof lse);
    for (size_t i = 100; i < 300; i++)
        p.k[i * 128 + 7] = saved[i];
    /* the [kv][n][d] layout gives the same bits */
    float *kt = nan_buffer(2 * 100 * 64), *vt = nan_buffer(2 * 100 * 64);
    for (size_t i = 0; i < 100; i++)
        for (size_t g = 0; g < 2; g++) {
            memcpy(kt + (g * 100 + i) * 64, p.k + i * 128 + g * 64, 64 * 4);
            memcpy(vt + (g * 100 + i) * 64, p.v + i * 128 + g * 64, 64 * 4);
        }
    assert_int_equal(sm_attention_decode_f32(8, 2, 100, 64, p.q, 64, kt, 64,
                                             6400, vt, 64, 6400, p.o, 64, NULL),
                     SM_OK);
    assert_memory_equal(p.o, o2, 8 * 64 * sizeof(float));
    /* valid length 0 and n 0: o = 0, lse = -inf */
    for (int c = 0; c < 2; c++) {
        opt.valid_length = c ? 0 : SIZE_MAX;
        assert_int_equal(sm_attention_decode_f32(8, 2, c ? 300 : 0, 64, p.q,
                                                 64, c ? p.k : NULL, 128, 64,
                                                 c ? p.v : NULL, 128, 64, p.o,
                                                 64, &opt), SM_OK);
        for (size_t h = 0; h < 8; h++) {
            assert_true(lse[h] == -INFINITY);
            for (size_t j = 0; j < 64; j++)
                assert_int_equal(f32_bits(p.o[h * 64 + j]), 0);
        }
    }
    /* one +inf score: o is that key's values, lse +inf; two: their mean;
     * a NaN in head 1's query: that head NaN, the others not */
    opt = (sm_attention_options)SM_ATTENTION_OPTIONS_INIT;
    opt.lse = lse;
    opt.mask = p.mask;
    for (size_t i = 0; i < 300; i++)
        p.mask[i] = 0.0f;
    p.mask[17] = INFINITY;
    p.q[64 + 3] = NAN;
    assert_int_equal(sm_attention_decode_f32(8, 2, 300, 64, p.q, 64, p.k, 128,
                                             64, p.v, 128, 64, p.o, 64, &opt),
                     SM_OK);
    for (size_t h = 0; h < 8; h++) {
        const size_t g = h / 4;
        assert_int_equal(f32_bits(lse[h]), h == 1 ? 0x7fc00000u
                                                  : f32_bits(INFINITY));
        for (size_t j = 0; j < 64; j++)
            assert_int_equal(f32_bits(p.o[h * 64 + j]),
                             h == 1 ? 0x7fc00000u
                                    : f32_bits(p.v[17 * 128 + g * 64 + j]));
    }
    p.mask[250] = INFINITY;
    assert_int_equal(sm_attention_decode_f32(8, 2, 300, 64, p.q, 64, p.k, 128,
                                             64, p.v, 128, 64, p.o, 64, &opt),
                     SM_OK);
    for (size_t j = 0; j < 64; j++) {
        const float want = (p.v[17 * 128 + j] + p.v[250 * 128 + j]) * 0.5f;
        assert_true(fabsf(p.o[j] - want) <= 1e-6f);
    }
    free(kt), free(vt), free(o2);
    problem_free(&p);
}

/* Two calls over disjoint key ranges, merged by their lse, give the
 * one call's result within the bound's order. */
static void test_attention_lse_merge(void **state)
{
    (void)state;
    uint64_t s = 21;
    struct problem p;
    problem_init(&p, 8, 2, 1500, 64, 0, &s);
    const size_t split = 700, ld = 2 * 64;
    float o1[8 * 64], o2[8 * 64], l1[8], l2[8], lse[8];
    sm_attention_options opt = SM_ATTENTION_OPTIONS_INIT;
    opt.lse = lse;
    assert_int_equal(sm_attention_decode_f32(8, 2, 1500, 64, p.q, 64, p.k, ld,
                                             64, p.v, ld, 64, p.o, 64, &opt),
                     SM_OK);
    opt.lse = l1;
    assert_int_equal(sm_attention_decode_f32(8, 2, split, 64, p.q, 64, p.k,
                                             ld, 64, p.v, ld, 64, o1, 64,
                                             &opt), SM_OK);
    opt.lse = l2;
    assert_int_equal(sm_attention_decode_f32(8, 2, 1500 - split, 64, p.q, 64,
                                             p.k + split * ld, ld, 64,
                                             p.v + split * ld, ld, 64, o2, 64,
                                             &opt), SM_OK);
    for (size_t h = 0; h < 8; h++) {
        const double m = l1[h] > l2[h] ? l1[h] : l2[h];
        const double w1 = exp(l1[h] - m), w2 = exp(l2[h] - m);
        const double total = m + log(w1 + w2);
        assert_true(fabs(total - lse[h]) < 1e-5 * (1 + fabs(total)));
        for (size_t j = 0; j < 64; j++) {
            const double o = (w1 * o1[h * 64 + j] + w2 * o2[h * 64 + j]) /
                             (w1 + w2);
            assert_true(fabs(o - p.o[h * 64 + j]) < 1e-5);
        }
    }
    problem_free(&p);
}

/* Every error: the status, and o and lse untouched. */
static void test_attention_errors(void **state)
{
    (void)state;
    uint64_t s = 11;
    struct problem p;
    problem_init(&p, 4, 2, 40, 16, 0, &s);
    float lse[4];
    sm_attention_options opt = SM_ATTENTION_OPTIONS_INIT;
    opt.lse = lse;
    for (size_t i = 0; i < 4 * 16; i++)
        p.o[i] = 12345.0f;
    for (int i = 0; i < 4; i++)
        lse[i] = 777.0f;
#define CALL(H, KV, N, D, Q, LDQ, K, LKT, LKH, V, LVT, LVH, O, LDO, OPT)    \
    sm_attention_decode_f32(H, KV, N, D, Q, LDQ, K, LKT, LKH, V, LVT, LVH, \
                            O, LDO, OPT)
#define GOOD(...) CALL(4, 2, 40, 16, p.q, 16, p.k, 32, 16, p.v, 32, 16, p.o, 16, &opt)
    assert_int_equal(CALL(4, 0, 40, 16, p.q, 16, p.k, 32, 16, p.v, 32, 16, p.o, 16, &opt), SM_EINVAL);
    assert_int_equal(CALL(4, 3, 40, 16, p.q, 16, p.k, 32, 16, p.v, 32, 16, p.o, 16, &opt), SM_EINVAL);
    assert_int_equal(CALL(4, 2, 40, 0, p.q, 16, p.k, 32, 16, p.v, 32, 16, p.o, 16, &opt), SM_EINVAL);
    assert_int_equal(CALL(4, 2, 40, 16, NULL, 16, p.k, 32, 16, p.v, 32, 16, p.o, 16, &opt), SM_EINVAL);
    assert_int_equal(CALL(4, 2, 40, 16, p.q, 16, NULL, 32, 16, p.v, 32, 16, p.o, 16, &opt), SM_EINVAL);
    assert_int_equal(CALL(4, 2, 40, 16, p.q, 16, p.k, 32, 16, NULL, 32, 16, p.o, 16, &opt), SM_EINVAL);
    assert_int_equal(CALL(4, 2, 40, 16, p.q, 16, p.k, 32, 16, p.v, 32, 16, NULL, 16, &opt), SM_EINVAL);
    assert_int_equal(CALL(4, 2, 40, 16, p.q, 15, p.k, 32, 16, p.v, 32, 16, p.o, 16, &opt), SM_EINVAL);
    assert_int_equal(CALL(4, 2, 40, 16, p.q, 16, p.k, 15, 16, p.v, 32, 16, p.o, 16, &opt), SM_EINVAL);
    assert_int_equal(CALL(4, 2, 40, 16, p.q, 16, p.k, 32, 15, p.v, 32, 16, p.o, 16, &opt), SM_EINVAL);
    assert_int_equal(CALL(4, 2, 40, 16, p.q, 16, p.k, 32, 16, p.v, 15, 16, p.o, 16, &opt), SM_EINVAL);
    assert_int_equal(CALL(4, 2, 40, 16, p.q, 16, p.k, 32, 16, p.v, 32, 15, p.o, 16, &opt), SM_EINVAL);
    assert_int_equal(CALL(4, 2, 40, 16, p.q, 16, p.k, 32, 16, p.v, 32, 16, p.o, 15, &opt), SM_EINVAL);
    static const float bad_scales[] = {-1.0f, NAN, INFINITY, -INFINITY, -0x1p-149f};
    for (size_t i = 0; i < 5; i++) {
        opt.scale = bad_scales[i];
        assert_int_equal(GOOD(), SM_EINVAL);
    }
    opt.scale = 0.0f;
    opt.flags = 2u;
    assert_int_equal(GOOD(), SM_EINVAL);
    opt.flags = 0u;
    opt.size = offsetof(sm_attention_options, scale);
    assert_int_equal(GOOD(), SM_EINVAL);
    opt.size = sizeof opt + 1;
    assert_int_equal(GOOD(), SM_EINVAL);
    opt.size = sizeof opt;
    /* overflowing extents */
    assert_int_equal(CALL(4, 2, SIZE_MAX / 8, 16, p.q, 16, p.k, 32, 16, p.v, 32, 16, p.o, 16, &opt), SM_ERANGE);
    assert_int_equal(CALL(4, 2, 40, 16, p.q, 16, p.k, 32, SIZE_MAX / 2, p.v, 32, 16, p.o, 16, &opt), SM_ERANGE);
    assert_int_equal(CALL(4, 2, 40, 16, p.q, SIZE_MAX / 2, p.k, 32, 16, p.v, 32, 16, p.o, 16, &opt), SM_ERANGE);
    /* o or lse over an input, or over each other */
    assert_int_equal(CALL(4, 2, 40, 16, p.q, 16, p.k, 32, 16, p.v, 32, 16, p.k + 64, 16, &opt), SM_EOVERLAP);
    assert_int_equal(CALL(4, 2, 40, 16, p.q, 16, p.k, 32, 16, p.v, 32, 16, (float *)p.q, 16, &opt), SM_EOVERLAP);
    assert_int_equal(CALL(4, 2, 40, 16, p.q, 16, p.k, 32, 16, p.v, 32, 16, p.v + 1000, 16, &opt), SM_EOVERLAP);
    opt.mask = p.o + 30;
    assert_int_equal(GOOD(), SM_EOVERLAP);
    opt.mask = NULL;
    opt.lse = p.o + 7;
    assert_int_equal(GOOD(), SM_EOVERLAP);
    opt.lse = p.k + 5;
    assert_int_equal(GOOD(), SM_EOVERLAP);
    opt.lse = lse;
    for (size_t i = 0; i < 4 * 16; i++)
        assert_true(p.o[i] == 12345.0f);
    for (int i = 0; i < 4; i++)
        assert_true(lse[i] == 777.0f);
    /* no heads: nothing to do, nothing written */
    assert_int_equal(CALL(0, 2, 40, 16, NULL, 16, NULL, 32, 16, NULL, 32, 16, NULL, 16, &opt), SM_OK);
    assert_true(lse[0] == 777.0f);
    /* a short options size takes the defaults past it */
    opt.size = offsetof(sm_attention_options, mask);
    opt.lse = p.o; /* not covered: ignored */
    assert_int_equal(GOOD(), SM_OK);
    assert_true(lse[0] == 777.0f);
#undef GOOD
#undef CALL
    problem_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attention_every_isa),
        cmocka_unit_test(test_attention_special_isas),
        cmocka_unit_test(test_attention_reference),
        cmocka_unit_test(test_attention_gqa_mapping),
        cmocka_unit_test(test_attention_api),
        cmocka_unit_test(test_attention_lse_merge),
        cmocka_unit_test(test_attention_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
