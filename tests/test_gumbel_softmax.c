/*
 * Gumbel-softmax: the noise's log over every float it takes against logl;
 * the noise kernel of every ISA against scalar bit for bit and against the
 * header's definition (Philox word mapping, long-double bound); the public
 * function per ISA against scalar (sizes, strides, betas, exp modes, soft
 * and hard, in place, masked and NaN rows), its soft sample equal to
 * softmax of x + g, the hard sample one-hot at the
 * soft sample's first maximum; the special values (+inf, -inf, NaN; in
 * test_gumbel_softmax_special.h); the hard sample's frequencies against
 * softmax (chi-square); the backward route against central differences in double;
 * the error paths, with nothing written.
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

#include "call_options.h"
#include "common/philox.h"
#include "isa_tables.h"
/* The noise's log on scalar lanes (fmaf). Every ISA's takes the same
 * steps, so returns the same bits: test_noise checks that through the
 * kernels. */
#include "scalar/vec.h"
#include "common/noise_log.h"

#define SEED 0x5eed0f6e11b3ull

static sm_sampler_options gopts(float beta, sm_flags flags)
{
    sm_sampler_options o = SM_SAMPLER_OPTIONS_INIT;
    o.beta = beta;
    o.flags = flags;
    o.seed = SEED;
    return o;
}

static float gauss(uint64_t *s)
{
    float a = 0.0f;
    for (int i = 0; i < 4; i++)
        a += rng_uniform(s, -1.7f, 1.7f);
    return a;
}

/* The noise's log over the floats it can take, [2^-24, 16.7] (u in
 * [2^-24, 1), -log u in [2^-24, 16.64]), against logl: every 31st bit
 * pattern (a prime stride varies the low bits; all of them take 20 s and
 * peak at 1.1442 ulp), under SM_TEST_QUICK every 1021st. At most the
 * 1.15 ulp noise_log.h states; its -log x is exactly the negation (but for
 * x = 1: +0). */
static void test_noise_log(void **state)
{
    (void)state;
    const uint32_t from = f32_bits(0x1p-24f), to = f32_bits(16.7f);
    const uint32_t step = test_quick() ? 1021 : 31;
    double worst = 0.0;
    float worst_x = 0.0f;
    unsigned long long count = 0, over_half = 0, negated_differs = 0;
    for (uint32_t b = from; b <= to; b += step) {
        const float x = f32_from_bits(b), got = v_log_noise(x);
        if (x != 1.0f && /* log 1: +0 either way */
            f32_bits(v_log_noise_signed(x, -1.0f)) != f32_bits(-got))
            negated_differs++;
        const long double want = logl((long double)x);
        const float wf = (float)want;
        count++;
        if (wf == 0.0f) { /* x = 1 */
            if (got != 0.0f)
                worst = INFINITY;
            continue;
        }
        const double ulp = (double)(nextafterf(fabsf(wf), INFINITY) - fabsf(wf));
        const double err = (double)fabsl((long double)got - want) / ulp;
        over_half += err > 0.5;
        if (err > worst) {
            worst = err;
            worst_x = x;
        }
    }
    printf("noise log over %llu floats in [2^-24, 16.7]: max %.4f ulp at "
           "%a, %.2f%% not correctly rounded\n", count, worst,
           (double)worst_x, 100.0 * (double)over_half / (double)count);
    assert_true(count > 200000);
    assert_true(worst <= 1.15);
    assert_true(negated_differs == 0);
}

/* -log(-log u) of entry i's word, exactly as the header defines u. */
static long double noise_reference(uint64_t seed, uint64_t counter, size_t i)
{
    const size_t j = i / 64, k = (i % 64) / 16, h = (i % 16) / 8, b = i % 8;
    const struct sm_philox_block blk =
        sm_random_block(seed, counter, 16 * j + 8 * h + b);
    const long double u = ((long double)(blk.w[k] >> 9) + 0.5L) * 0x1p-23L;
    return -logl(-logl(u));
}

/* The noise kernel: every ISA against scalar, bit for bit, with strides
 * and in place; scalar's g (x = 0) against the long-double definition. */
static void test_noise(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32,
                                   33, 63, 64, 65, 100, 1000, 70000};
    enum { ROWS = 3 };
    uint64_t s = 77, counter[ROWS];
    const struct sm_kernels *ref = table_for(SM_ISA_SCALAR);
    int bad = 0;
    double worst = 0.0;
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        const size_t cols = sizes[si], ld = cols + 5;
        if (test_quick() && cols > 1000)
            continue;
        float *x = malloc(ROWS * ld * sizeof *x);
        float *want = malloc(ROWS * ld * sizeof *x);
        float *got = malloc((ROWS + 1) * ld * sizeof *x);
        assert_true(x && want && got);
        for (size_t i = 0; i < ROWS * ld; i++)
            x[i] = i % 7 == 3 ? -INFINITY : i % 11 == 5 ? NAN : gauss(&s);
        for (int r = 0; r < ROWS; r++)
            counter[r] = rng_next(&s);
        ref->gumbel_noise_rows(ROWS, cols, SEED, counter, x, ld, want, ld);
        for (int r = 0; r < ROWS; r++)
            for (size_t i = 0; i < cols; i++) {
                const float xi = x[r * ld + i], zi = want[r * ld + i];
                if (xi != xi ? zi == zi : xi == -INFINITY ? zi != -INFINITY
                                                          : !isfinite(zi))
                    bad++;
            }
        for (int isa = SM_ISA_SCALAR + 1; isa <= SM_ISA_COUNT; isa++) {
            const struct sm_kernels *k = table_for(isa);
            if (!k)
                continue;
            memset(got, 0, ROWS * ld * sizeof *got);
            k->gumbel_noise_rows(ROWS, cols, SEED, counter, x, ld, got, ld);
            float *row = got + ROWS * ld; /* in place on a copy of row 1 */
            memcpy(row, x + ld, cols * sizeof *x);
            k->gumbel_noise_rows(1, cols, SEED, counter + 1, row, ld, row,
                                 ld);
            for (int r = 0; r < ROWS; r++)
                for (size_t i = 0; i < ld; i++) {
                    const bool inside = i < cols;
                    const float g = got[r * ld + i];
                    if (inside ? f32_bits(g) != f32_bits(want[r * ld + i])
                               : g != 0.0f) {
                        if (bad++ < 5)
                            printf("%s: noise cols %zu row %d entry %zu\n",
                                   table_name(isa), cols, r, i);
                    }
                }
            for (size_t i = 0; i < cols; i++)
                if (f32_bits(row[i]) != f32_bits(want[ld + i]) &&
                    bad++ < 5)
                    printf("%s: noise in place cols %zu\n", table_name(isa),
                           cols);
        }
        /* the definition: g alone (x = 0) */
        for (size_t i = 0; i < cols; i++)
            x[i] = 0.0f;
        ref->gumbel_noise_rows(1, cols, SEED, counter, x, ld, got, ld);
        for (size_t i = 0; i < cols; i++) {
            const long double g = noise_reference(SEED, counter[0], i);
            const double err = (double)fabsl((long double)got[i] - g) /
                               (0x1p-22 + 0x1p-23 * (double)fabsl(g));
            worst = err > worst ? err : worst;
            if (g < -2.82L || g > 16.64L)
                bad++;
        }
        free(x);
        free(want);
        free(got);
    }
    printf("noise error: %.3f of the bound 2^-22 + 2^-23 |g|\n", worst);
    assert_true(worst <= 1.0);
    assert_int_equal(bad, 0);
}

/* Row r of y (n entries): one-hot of s's first maximum, 0 for a zero row,
 * NaN for a NaN row. */
static bool one_hot_of(const float *s, const float *y, size_t n)
{
    size_t best = 0;
    bool nan = false;
    for (size_t i = 0; i < n; i++) {
        nan |= s[i] != s[i];
        if (s[i] > s[best])
            best = i;
    }
    for (size_t i = 0; i < n; i++) {
        const float want = nan ? NAN
                           : i == best && s[best] > 0.0f ? 1.0f : 0.0f;
        if (f32_bits(y[i]) != f32_bits(want))
            return false;
    }
    return true;
}

/* The public function on every ISA against scalar, bit for bit; scalar's
 * soft sample against sm_softmax_rows_f32 of x + g, the hard output
 * against the soft sample. */
static void test_public_every_isa(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31,
                                   32, 33, 100, 1000, 300000};
    static const float betas[] = {10.0f, 2.0f, 1.0f, 0.2f}; /* tau .1..5 */
    enum { ROWS = 4 };
    uint64_t s = 4242, counter[ROWS];
    int bad = 0, checked = 0;
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        const size_t cols = sizes[si], ld = cols + 3;
        if (test_quick() && cols > 1000)
            continue;
        const size_t total = ROWS * ld + 1;
        float *x = malloc(total * sizeof *x), *z = malloc(total * sizeof *x);
        float *ys = malloc(total * sizeof *x), *ss = malloc(total * sizeof *x);
        float *y = malloc(total * sizeof *x), *so = malloc(total * sizeof *x);
        float *sm = malloc(total * sizeof *x);
        assert_true(x && z && ys && ss && y && so && sm);
        for (size_t i = 0; i < total; i++)
            x[i] = gauss(&s) * 3.0f;
        if (cols > 2) {
            x[ld + 1] = -INFINITY;              /* a masked entry */
            x[2 * ld + cols / 2] = NAN;         /* a NaN row */
            for (size_t i = 0; i < cols; i++)   /* a fully masked row */
                x[3 * ld + i] = -INFINITY;
        }
        for (int r = 0; r < ROWS; r++)
            counter[r] = rng_next(&s);
        for (size_t bi = 0; bi < 4; bi++)
            for (sm_flags flags = 0; flags < 4; flags++)
                for (int with_soft = 0; with_soft < 2; with_soft++) {
                    const sm_sampler_options o = gopts(betas[bi], flags);
                    const bool hard = flags & SM_GUMBEL_HARD;
                    assert_int_equal(sm_isa_force(SM_ISA_SCALAR), SM_OK);
                    memset(ys, 0, total * sizeof *ys);
                    memset(ss, 0, total * sizeof *ss);
                    assert_int_equal(sm_gumbel_softmax_rows_f32(
                                         ROWS, cols, x, ld, counter, ys, ld,
                                         with_soft ? ss : NULL, ld, &o),
                                     SM_OK);
                    /* the soft sample is softmax_beta(x + g) */
                    const struct sm_kernels *k = table_for(SM_ISA_SCALAR);
                    k->gumbel_noise_rows(ROWS, cols, SEED, counter, x, ld, z,
                                         ld);
                    assert_int_equal(
                        sm_softmax_rows_f32(ROWS, cols, z, ld, sm, ld,
                                            OPTS(betas[bi], flags & 1)),
                        SM_OK);
                    const float *soft = with_soft ? ss : hard ? NULL : ys;
                    for (int r = 0; r < ROWS; r++) {
                        if (soft && memcmp(soft + r * ld, sm + r * ld,
                                           cols * sizeof *sm) != 0)
                            bad++;
                        if (hard && !one_hot_of(sm + r * ld, ys + r * ld,
                                                cols))
                            bad++;
                        if (!hard && memcmp(ys + r * ld, sm + r * ld,
                                            cols * sizeof *sm) != 0)
                            bad++;
                        checked++;
                    }
                    /* in place (y == x): the same bits */
                    memcpy(z, x, total * sizeof *z);
                    assert_int_equal(sm_gumbel_softmax_rows_f32(
                                         ROWS, cols, z, ld, counter, z, ld,
                                         with_soft ? so : NULL, ld, &o),
                                     SM_OK);
                    for (int r = 0; r < ROWS; r++)
                        if (memcmp(z + r * ld, ys + r * ld,
                                   cols * sizeof *z) != 0 ||
                            (with_soft && memcmp(so + r * ld, ss + r * ld,
                                                 cols * sizeof *so) != 0))
                            bad++;
                    for (int isa = SM_ISA_SCALAR + 1; isa < SM_ISA_COUNT;
                         isa++) {
                        if (!isa_available((sm_isa)isa))
                            continue;
                        assert_int_equal(sm_isa_force((sm_isa)isa), SM_OK);
                        memset(y, 0, total * sizeof *y);
                        memset(so, 0, total * sizeof *so);
                        assert_int_equal(sm_gumbel_softmax_rows_f32(
                                             ROWS, cols, x, ld, counter, y,
                                             ld, with_soft ? so : NULL, ld,
                                             &o),
                                         SM_OK);
                        if (memcmp(y, ys, total * sizeof *y) != 0 ||
                            memcmp(so, ss, total * sizeof *so) != 0) {
                            if (bad++ < 5)
                                printf("%s: cols %zu beta %g flags %u soft "
                                       "%d differs from scalar\n",
                                       sm_isa_name((sm_isa)isa), cols,
                                       (double)betas[bi], flags, with_soft);
                        }
                    }
                }
        assert_int_equal(sm_isa_force(SM_ISA_AUTO), SM_OK);
        free(x), free(z), free(ys), free(ss), free(y), free(so), free(sm);
    }
    assert_true(checked > 0);
    assert_int_equal(bad, 0);
}

/* The hard sample's frequencies over many counters against softmax(x) at
 * every beta (the argmax of beta (x + g) is that of x + g): chi-square
 * with 4 degrees of freedom (one entry is masked) below 25 (p < 6e-5
 * under the null hypothesis; the seed is fixed). */
static void test_frequencies(void **state)
{
    (void)state;
    enum { COLS = 6 };
    const size_t rows = test_quick() ? 20000 : 100000;
    static const float logits[COLS] = {0.3f, -1.0f, 2.0f, -INFINITY, 0.0f,
                                       1.1f};
    const float betas[] = {1.0f, 0.2f};
    float *x = malloc(rows * COLS * sizeof *x);
    float *y = malloc(rows * COLS * sizeof *y);
    uint64_t *counter = malloc(rows * sizeof *counter);
    assert_true(x && y && counter);
    for (size_t r = 0; r < rows; r++) {
        memcpy(x + r * COLS, logits, sizeof logits);
        counter[r] = r;
    }
    for (int bi = 0; bi < 2; bi++) {
        const sm_sampler_options o = gopts(betas[bi], SM_GUMBEL_HARD);
        assert_int_equal(sm_gumbel_softmax_rows_f32(rows, COLS, x, COLS,
                                                    counter, y, COLS, NULL, 0,
                                                    &o),
                         SM_OK);
        double count[COLS] = {0}, p[COLS], sum = 0.0;
        for (size_t r = 0; r < rows; r++)
            for (int i = 0; i < COLS; i++)
                count[i] += y[r * COLS + i];
        for (int i = 0; i < COLS; i++)
            sum += p[i] = exp((double)logits[i]);
        double chi2 = 0.0;
        for (int i = 0; i < COLS; i++) {
            const double e = (double)rows * p[i] / sum;
            if (e > 0.0)
                chi2 += (count[i] - e) * (count[i] - e) / e;
            else
                assert_true(count[i] == 0.0);
        }
        printf("beta %g: chi-square %.2f (4 dof)\n", (double)betas[bi], chi2);
        assert_true(chi2 < 25.0);
    }
    free(x), free(y), free(counter);
}

/* dx from sm_softmax_backward_rows_f32 of the soft sample against central
 * differences of <dy, softmax_beta(x + g)> in double, g held fixed. */
static void test_backward_route(void **state)
{
    (void)state;
    enum { N = 37 };
    uint64_t s = 99, counter = 12345;
    float x[N], zero[N], g[N], soft[N], y[N], dy[N], dx[N];
    for (int i = 0; i < N; i++) {
        x[i] = gauss(&s);
        zero[i] = 0.0f;
        dy[i] = gauss(&s);
    }
    table_for(SM_ISA_SCALAR)->gumbel_noise_rows(1, N, SEED, &counter, zero,
                                                N, g, N);
    const float betas[] = {2.0f, 1.0f, 0.2f};
    double worst = 0.0;
    for (int bi = 0; bi < 3; bi++) {
        const float beta = betas[bi];
        const sm_sampler_options o = gopts(beta, SM_GUMBEL_HARD);
        assert_int_equal(sm_gumbel_softmax_rows_f32(1, N, x, N, &counter, y,
                                                    N, soft, N, &o),
                         SM_OK);
        assert_int_equal(sm_softmax_backward_rows_f32(1, N, soft, N, dy, N,
                                                      dx, N,
                                                      OPTS(beta, 0)),
                         SM_OK);
        for (int i = 0; i < N; i++) {
            double f[2];
            for (int side = 0; side < 2; side++) {
                const double h = side ? -1e-5 : 1e-5;
                double z[N], m = -INFINITY, sum = 0.0, dot = 0.0;
                for (int j = 0; j < N; j++) {
                    z[j] = beta * ((double)x[j] + (j == i ? h : 0.0) +
                                   (double)g[j]);
                    m = z[j] > m ? z[j] : m;
                }
                for (int j = 0; j < N; j++)
                    sum += exp(z[j] - m);
                for (int j = 0; j < N; j++)
                    dot += dy[j] * exp(z[j] - m) / sum;
                f[side] = dot;
            }
            const double fd = (f[0] - f[1]) / 2e-5;
            const double err = fabs(fd - dx[i]) / (1e-5 + 1e-4 * fabs(fd));
            worst = err > worst ? err : worst;
        }
    }
    printf("backward vs central differences: %.3f of the tolerance\n", worst);
    assert_true(worst <= 1.0);
}

/* Every error path writes nothing: y and soft end at guard pages and keep
 * their sentinel. */
static void test_errors(void **state)
{
    (void)state;
    enum { ROWS = 2, COLS = 40 };
    struct guard_buf gx, gy, gs;
    float *x = guard_alloc(&gx, ROWS * COLS);
    float *y = guard_alloc(&gy, ROWS * COLS);
    float *soft = guard_alloc(&gs, ROWS * COLS);
    assert_true(x && y && soft);
    uint64_t counter[ROWS] = {1, 2};
    for (size_t i = 0; i < ROWS * COLS; i++)
        x[i] = (float)i * 0.01f;
    const sm_sampler_options good = gopts(1.0f, 0);
    struct bad_options {
        sm_sampler_options o;
        sm_status want;
    } cases[16];
    int n = 0;
    const float bad_betas[] = {0.0f, -1.0f, INFINITY, NAN};
    for (int i = 0; i < 4; i++) {
        cases[n] = (struct bad_options){good, SM_EINVAL};
        cases[n++].o.beta = bad_betas[i];
    }
    cases[n] = (struct bad_options){good, SM_EINVAL};
    cases[n++].o.flags = 4u;
    cases[n] = (struct bad_options){good, SM_EINVAL};
    cases[n++].o.top_k = 1;
    cases[n] = (struct bad_options){good, SM_EINVAL};
    cases[n++].o.top_p = 0.5f;
    cases[n] = (struct bad_options){good, SM_EINVAL};
    cases[n++].o.min_p = 0.1f;
    cases[n] = (struct bad_options){good, SM_EINVAL};
    cases[n++].o.repetition_penalty = 1.5f;
    cases[n] = (struct bad_options){good, SM_EINVAL};
    cases[n++].o.frequency_penalty = 0.5f;
    cases[n] = (struct bad_options){good, SM_EINVAL};
    cases[n++].o.presence_penalty = 0.5f;
    static const int32_t tok[1] = {0};
    static const float val[1] = {1.0f};
    cases[n] = (struct bad_options){good, SM_EINVAL};
    cases[n].o.bias_count = 1;
    cases[n].o.bias_token = tok;
    cases[n++].o.bias_value = val;
    cases[n] = (struct bad_options){good, SM_EINVAL};
    cases[n++].o.size = 0;
    cases[n] = (struct bad_options){good, SM_EINVAL};
    cases[n++].o.size = sizeof(sm_sampler_options) + 8;
    for (size_t i = 0; i < ROWS * COLS; i++)
        y[i] = soft[i] = 42.0f;
    int calls = 0;
    for (int c = 0; c < n; c++) {
        for (int hard = 0; hard < 2; hard++) {
            sm_sampler_options o = cases[c].o;
            o.flags |= hard ? SM_GUMBEL_HARD : 0u;
            assert_int_equal(sm_gumbel_softmax_rows_f32(ROWS, COLS, x, COLS,
                                                        counter, y, COLS,
                                                        soft, COLS, &o),
                             cases[c].want);
            calls++;
        }
    }
    const sm_sampler_options *g = &good;
    /* shapes, NULLs, overlaps */
    assert_int_equal(sm_gumbel_softmax_rows_f32(ROWS, COLS, x, COLS - 1,
                                                counter, y, COLS, NULL, 0, g),
                     SM_EINVAL);
    assert_int_equal(sm_gumbel_softmax_rows_f32(ROWS, COLS, x, COLS, counter,
                                                y, COLS - 1, NULL, 0, g),
                     SM_EINVAL);
    assert_int_equal(sm_gumbel_softmax_rows_f32(ROWS, COLS, x, COLS, counter,
                                                y, COLS, soft, COLS - 1, g),
                     SM_EINVAL);
    assert_int_equal(sm_gumbel_softmax_rows_f32(ROWS, COLS, NULL, COLS,
                                                counter, y, COLS, NULL, 0, g),
                     SM_EINVAL);
    assert_int_equal(sm_gumbel_softmax_rows_f32(ROWS, COLS, x, COLS, counter,
                                                NULL, COLS, NULL, 0, g),
                     SM_EINVAL);
    assert_int_equal(sm_gumbel_softmax_rows_f32(ROWS, COLS, x, COLS, NULL, y,
                                                COLS, NULL, 0, g),
                     SM_EINVAL);
    assert_int_equal(sm_gumbel_softmax_rows_f32(ROWS, COLS - 1, x, COLS,
                                                counter, x + 1, COLS, NULL, 0,
                                                g),
                     SM_EOVERLAP);
    assert_int_equal(sm_gumbel_softmax_rows_f32(ROWS, COLS, x, COLS, counter,
                                                y, COLS, x, COLS, g),
                     SM_EOVERLAP);
    assert_int_equal(sm_gumbel_softmax_rows_f32(ROWS, COLS, x, COLS, counter,
                                                y, COLS, y, COLS, g),
                     SM_EOVERLAP);
    assert_int_equal(sm_gumbel_softmax_rows_f32(ROWS, COLS, x, COLS,
                                                (const uint64_t *)y, y, COLS,
                                                NULL, 0, g),
                     SM_EOVERLAP);
    assert_int_equal(sm_gumbel_softmax_rows_f32(ROWS, COLS, x, COLS,
                                                (const uint64_t *)soft, y,
                                                COLS, soft, COLS, g),
                     SM_EOVERLAP);
    for (size_t i = 0; i < ROWS * COLS; i++)
        assert_true(y[i] == 42.0f && soft[i] == 42.0f);
    /* nothing to do: rows or cols 0, SM_OK, nothing written */
    assert_int_equal(sm_gumbel_softmax_rows_f32(0, COLS, x, COLS, NULL, NULL,
                                                COLS, NULL, 0, g),
                     SM_OK);
    assert_int_equal(sm_gumbel_softmax_rows_f32(ROWS, 0, x, 0, counter, y, 0,
                                                soft, 0, g),
                     SM_OK);
    for (size_t i = 0; i < ROWS * COLS; i++)
        assert_true(y[i] == 42.0f && soft[i] == 42.0f);
    /* the straight-through bit means nothing to the other functions */
    sm_sampler_options h = gopts(1.0f, SM_GUMBEL_HARD);
    int32_t token[ROWS] = {7, 7};
    assert_int_equal(sm_gumbel_max_rows_f32(ROWS, COLS, x, COLS, counter,
                                            token, &h),
                     SM_EINVAL);
    assert_int_equal(sm_sample_rows_f32(ROWS, COLS, x, COLS, counter, token,
                                        NULL, NULL, &h),
                     SM_EINVAL);
    assert_true(token[0] == 7 && token[1] == 7);
    assert_int_equal(sm_softmax_rows_f32(ROWS, COLS, x, COLS, y, COLS,
                                         OPTS(1.0f, SM_GUMBEL_HARD)),
                     SM_EINVAL);
    for (size_t i = 0; i < ROWS * COLS; i++)
        assert_true(y[i] == 42.0f);
    /* a valid call fills both outputs, up to the guard page */
    h.flags = SM_GUMBEL_HARD | SM_FAST_EXP;
    assert_int_equal(sm_gumbel_softmax_rows_f32(ROWS, COLS, x, COLS, counter,
                                                y, COLS, soft, COLS, &h),
                     SM_OK);
    for (int r = 0; r < ROWS; r++)
        assert_true(one_hot_of(soft + r * COLS, y + r * COLS, COLS));
    assert_true(calls == 2 * n);
    assert_int_equal(guard_free(&gx), 0);
    assert_int_equal(guard_free(&gy), 0);
    assert_int_equal(guard_free(&gs), 0);
}

#include "test_gumbel_softmax_special.h"

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noise_log),
        cmocka_unit_test(test_noise),
        cmocka_unit_test(test_public_every_isa),
        cmocka_unit_test(test_special_values),
        cmocka_unit_test(test_frequencies),
        cmocka_unit_test(test_backward_route),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
