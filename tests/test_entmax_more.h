/*
 * test_entmax.c's special values on every ISA, the backward pass against
 * central differences, error paths (nothing written) and guard pages.
 */

/* The header's special values, every ISA and alpha. */
static void test_special_values(void **state)
{
    (void)state;
    float y[8], dx[8];
    int checked = 0;
    for (int isa = SM_ISA_SCALAR; isa <= SM_ISA_COUNT; isa++) {
        const struct sm_kernels *k = table_for(isa);
        if (!k)
            continue;
        for (size_t a = 0; a < NALPHAS; a++) {
            const float al = alphas[a];
            const float nan_row[] = {1, NAN, 2, 3, 4, 5, 6, 7};
            k->entmax_rows(1, 8, 1.0f, al, nan_row, 8, y, 8);
            for (int i = 0; i < 8; i++)
                assert_int_equal(f32_bits(y[i]), SM_TEST_QNAN_BITS);
            const float dy8[] = {1, 2, 3, 4, 5, 6, 7, 8};
            k->entmax_backward_rows(1, 8, 1.0f, al, y, 8, dy8, 8, dx, 8);
            for (int i = 0; i < 8; i++)
                assert_int_equal(f32_bits(dx[i]), SM_TEST_QNAN_BITS);
            const float infs[] = {1, INFINITY, 2, INFINITY, -INFINITY, 5, 6,
                                  INFINITY};
            k->entmax_rows(1, 8, 1.0f, al, infs, 8, y, 8);
            for (int i = 0; i < 8; i++)
                assert_true(y[i] ==
                            (isinf(infs[i]) && infs[i] > 0 ? 1.0f / 3 : 0));
            k->entmax_rows(1, 8, -1.0f, al, infs, 8, y, 8);
            for (int i = 0; i < 8; i++)
                assert_true(y[i] == (i == 4 ? 1.0f : 0.0f));
            const float masked[] = {-INFINITY, -INFINITY, -INFINITY};
            k->entmax_rows(1, 3, 1.0f, al, masked, 3, y, 3);
            for (int i = 0; i < 3; i++)
                assert_true(y[i] == 0.0f && !signbit(y[i]));
            const float some[] = {-INFINITY, 0.5f, -INFINITY, 0.25f};
            k->entmax_rows(1, 4, 1.0f, al, some, 4, y, 4);
            assert_true(y[0] == 0.0f && y[2] == 0.0f && y[1] > y[3] &&
                        fabs((double)y[1] + y[3] - 1.0) <= 1e-6);
            /* beta = +-inf: hardmax's bits; beta 0: 1/n */
            const float h[] = {1.0f, 5.0f, 5.0f, -2.0f};
            float hm[4];
            k->entmax_rows(1, 4, INFINITY, al, h, 4, y, 4);
            k->hardmax_rows(1, 4, 1.0f, h, 4, hm, 4);
            assert_true(same_bits(y, hm, 4));
            k->entmax_rows(1, 4, -INFINITY, al, h, 4, y, 4);
            k->hardmax_rows(1, 4, -1.0f, h, 4, hm, 4);
            assert_true(same_bits(y, hm, 4));
            k->entmax_rows(1, 4, 0.0f, al, h, 4, y, 4);
            for (int i = 0; i < 4; i++)
                assert_true(y[i] == 0.25f);
            /* infinite beta: dx = 0 */
            k->entmax_backward_rows(1, 4, INFINITY, al, hm, 4, dy8, 4, dx, 4);
            for (int i = 0; i < 4; i++)
                assert_true(dx[i] == 0.0f);
            /* differences that overflow: still a distribution */
            const float huge[] = {3e38f, -3e38f, 3e38f};
            k->entmax_rows(1, 3, 1.0f, al, huge, 3, y, 3);
            assert_true(y[1] == 0.0f && y[0] == y[2] &&
                        fabs((double)y[0] - 0.5) <= 4 * U24);
            checked++;
        }
    }
    /* n = 0: nothing written */
    y[0] = SENTINEL;
    assert_int_equal(sm_entmax15_f32(0, NULL, y), SM_OK);
    assert_int_equal(sm_entmax_rows_f32(3, 0, y, 0, y, 0, NULL), SM_OK);
    assert_true(y[0] == SENTINEL);
    assert_true(checked >= (int)NALPHAS);
}

/* entmax of beta x in long double, for the finite differences. */
static void entmax_ld(const double *x, size_t n, double beta, float alpha,
                      double *p, long double *tau_t)
{
    long double t[64], w[64], ref[64];
    long double m = x[0];
    for (size_t i = 1; i < n; i++)
        m = beta > 0 ? fmaxl(m, x[i]) : fminl(m, x[i]);
    const long double am1 = (long double)alpha - 1;
    for (size_t i = 0; i < n; i++)
        t[i] = am1 * beta * ((long double)x[i] - m);
    const long double r = 1 / am1;
    const long double tau =
        alpha == 1.5f ? tau15_sorted(t, n, w) : tau_bisect(t, n, r);
    for (size_t i = 0; i < n; i++) {
        ref[i] = t[i] > tau ? powl(t[i] - tau, r) : 0;
        p[i] = (double)ref[i];
        tau_t[i] = t[i] - tau;
    }
}

/* dx against central differences of <dy, entmax(beta x)> on rows clear of
 * the support's edge; zeros off the support; in place the same bits. */
static void test_backward_finite_differences(void **state)
{
    (void)state;
    uint64_t s = 31;
    int tested = 0;
    static const float bs[] = {1.0f, 0.5f, -0.75f, 3.0f};
    static const float als[] = {1.5f, 1.25f, 3.0f};
    /* Runs narrowed to some ISAs: fewer rows, still every beta and alpha
     * (the reference is the same; the ISAs' bits are scalar's) */
    const int trials = test_isas_narrowed() ? 48 : 240;
    for (int trial = 0; trial < trials; trial++) {
        const size_t n = 2 + rng_next(&s) % 30;
        const float beta = bs[trial % 4], alpha = als[trial % 3];
        float x[64], y[64], dy[64], dx[64];
        double xd[64], p[64];
        long double gap[64];
        for (size_t i = 0; i < n; i++) {
            x[i] = gauss(&s) * (trial % 2 ? 0.5f : 2.0f);
            xd[i] = x[i];
            dy[i] = gauss(&s);
        }
        entmax_ld(xd, n, beta, alpha, p, gap);
        int clear = 1;
        for (size_t i = 0; i < n; i++)
            clear &= fabsl(gap[i]) > 1e-2L;
        if (!clear)
            continue;
        const sm_entmax_options *o = EOPTS(beta, 0, alpha);
        assert_int_equal(sm_entmax_rows_f32(1, n, x, n, y, n, o), SM_OK);
        assert_int_equal(
            sm_entmax_backward_rows_f32(1, n, y, n, dy, n, dx, n, o), SM_OK);
        const double h = 1e-5;
        for (size_t j = 0; j < n; j++) {
            double fp = 0, fm = 0;
            xd[j] = x[j] + h;
            entmax_ld(xd, n, beta, alpha, p, gap);
            for (size_t i = 0; i < n; i++)
                fp += dy[i] * p[i];
            xd[j] = x[j] - h;
            entmax_ld(xd, n, beta, alpha, p, gap);
            for (size_t i = 0; i < n; i++)
                fm += dy[i] * p[i];
            xd[j] = x[j];
            const double fd = (fp - fm) / (2 * h);
            if (fabs(dx[j] - fd) > 1e-4 * (1 + fabs(fd)))
                printf("n %zu beta %g alpha %g j %zu: dx %.9g, fd %.9g\n", n,
                       (double)beta, (double)alpha, j, (double)dx[j], fd);
            assert_true(fabs(dx[j] - fd) <= 1e-4 * (1 + fabs(fd)));
            if (y[j] == 0.0f)
                assert_true(dx[j] == 0.0f && !signbit(dx[j]));
        }
        /* in place: dx == dy and dx == y give the same bits */
        float t[64];
        memcpy(t, dy, n * sizeof *t);
        assert_int_equal(
            sm_entmax_backward_rows_f32(1, n, y, n, t, n, t, n, o), SM_OK);
        assert_true(same_bits(t, dx, n));
        memcpy(t, y, n * sizeof *t);
        assert_int_equal(
            sm_entmax_backward_rows_f32(1, n, t, n, dy, n, t, n, o), SM_OK);
        assert_true(same_bits(t, dx, n));
        tested++;
    }
    printf("%d rows against finite differences\n", tested);
    assert_true(tested > trials * 5 / 24); /* 50 of 240 */
}

static int untouched(const float *out, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (f32_bits(out[i]) != f32_bits(SENTINEL))
            return 0;
    return 1;
}

#define EXPECT_NOTHING_WRITTEN(call, status)                                \
    do {                                                                    \
        for (size_t i_ = 0; i_ < 64; i_++)                                  \
            out[i_] = SENTINEL;                                             \
        assert_int_equal((call), (status));                                 \
        assert_true(untouched(out, 64));                                    \
    } while (0)

static void test_errors_write_nothing(void **state)
{
    (void)state;
    float x[64], dy[64], out[64];
    for (int i = 0; i < 64; i++)
        x[i] = dy[i] = (float)i * 0.01f;
    const sm_entmax_options bad_size = {sizeof(size_t), 1.0f, 0u, 1.5f};
    const sm_entmax_options too_big = {sizeof(sm_entmax_options) + 4, 1.0f,
                                       0u, 1.5f};
    static const float bad_alpha[] = {1.0f, 0.5f, -2.0f, NAN, INFINITY,
                                      -INFINITY, 0.0f};
#define FWD(...) sm_entmax_rows_f32(__VA_ARGS__)
#define BWD(...) sm_entmax_backward_rows_f32(__VA_ARGS__)
    for (size_t a = 0; a < sizeof bad_alpha / sizeof *bad_alpha; a++) {
        EXPECT_NOTHING_WRITTEN(FWD(2, 8, x, 8, out, 8,
                                   EOPTS(1.0f, 0, bad_alpha[a])), SM_EINVAL);
        EXPECT_NOTHING_WRITTEN(BWD(2, 8, x, 8, dy, 8, out, 8,
                                   EOPTS(1.0f, 0, bad_alpha[a])), SM_EINVAL);
    }
    EXPECT_NOTHING_WRITTEN(FWD(2, 8, x, 8, out, 8, EOPTS(NAN, 0, 1.5f)), SM_EINVAL);
    EXPECT_NOTHING_WRITTEN(FWD(2, 8, x, 8, out, 8, EOPTS(1.0f, 2u, 1.5f)), SM_EINVAL);
    EXPECT_NOTHING_WRITTEN(FWD(2, 8, x, 8, out, 8, &bad_size), SM_EINVAL);
    EXPECT_NOTHING_WRITTEN(FWD(2, 8, x, 8, out, 8, &too_big), SM_EINVAL);
    EXPECT_NOTHING_WRITTEN(FWD(2, 8, x, 7, out, 8, NULL), SM_EINVAL);
    EXPECT_NOTHING_WRITTEN(FWD(2, 8, x, 8, out, 7, NULL), SM_EINVAL);
    EXPECT_NOTHING_WRITTEN(FWD(2, 8, NULL, 8, out, 8, NULL), SM_EINVAL);
    assert_int_equal(FWD(2, 8, x, 8, NULL, 8, NULL), SM_EINVAL);
    EXPECT_NOTHING_WRITTEN(FWD(2, 8, out + 1, 8, out, 8, NULL), SM_EOVERLAP);
    EXPECT_NOTHING_WRITTEN(FWD(2, 8, out, 8, out + 4, 8, NULL), SM_EOVERLAP);
    EXPECT_NOTHING_WRITTEN(FWD(SIZE_MAX / 2, 8, x, 8, out, 8, NULL), SM_ERANGE);
    EXPECT_NOTHING_WRITTEN(FWD(2, 8, x, SIZE_MAX / 4, out, 8, NULL), SM_ERANGE);
    EXPECT_NOTHING_WRITTEN(sm_entmax15_f32(8, NULL, out), SM_EINVAL);
    EXPECT_NOTHING_WRITTEN(sm_entmax15_f32(8, out + 2, out), SM_EOVERLAP);
    /* the size covering only beta: alpha 1.5; SM_FAST_EXP: the same bits */
    const sm_entmax_options short_size = {
        offsetof(sm_entmax_options, flags), 2.0f, 0u, 3.0f};
    float a8[8], b8[8];
    assert_int_equal(FWD(1, 8, x, 8, a8, 8, &short_size), SM_OK);
    assert_int_equal(FWD(1, 8, x, 8, b8, 8, EOPTS(2.0f, 0, 1.5f)), SM_OK);
    assert_true(same_bits(a8, b8, 8));
    assert_int_equal(FWD(1, 8, x, 8, a8, 8, EOPTS(2.0f, SM_FAST_EXP, 1.25f)),
                     SM_OK);
    assert_int_equal(FWD(1, 8, x, 8, b8, 8, EOPTS(2.0f, 0, 1.25f)), SM_OK);
    assert_true(same_bits(a8, b8, 8));
    /* in place, the same bits; disjoint columns are no overlap */
    float want[64];
    memcpy(out, x, sizeof x);
    assert_int_equal(FWD(4, 16, out, 16, out, 16, EOPTS(-3.0f, 0, 1.5f)), SM_OK);
    assert_int_equal(FWD(4, 16, x, 16, want, 16, EOPTS(-3.0f, 0, 1.5f)), SM_OK);
    assert_true(same_bits(out, want, 64));
    assert_int_equal(FWD(4, 8, out, 16, out + 8, 16, NULL), SM_OK);

    EXPECT_NOTHING_WRITTEN(BWD(2, 8, x, 8, dy, 8, out, 8, EOPTS(NAN, 0, 1.5f)), SM_EINVAL);
    EXPECT_NOTHING_WRITTEN(BWD(2, 8, x, 8, dy, 8, out, 8, EOPTS(1.0f, 8u, 1.5f)), SM_EINVAL);
    EXPECT_NOTHING_WRITTEN(BWD(2, 8, x, 7, dy, 8, out, 8, NULL), SM_EINVAL);
    EXPECT_NOTHING_WRITTEN(BWD(2, 8, x, 8, dy, 7, out, 8, NULL), SM_EINVAL);
    EXPECT_NOTHING_WRITTEN(BWD(2, 8, x, 8, dy, 8, out, 7, NULL), SM_EINVAL);
    EXPECT_NOTHING_WRITTEN(BWD(2, 8, NULL, 8, dy, 8, out, 8, NULL), SM_EINVAL);
    EXPECT_NOTHING_WRITTEN(BWD(2, 8, x, 8, NULL, 8, out, 8, NULL), SM_EINVAL);
    EXPECT_NOTHING_WRITTEN(BWD(2, 8, out + 1, 8, dy, 8, out, 8, NULL), SM_EOVERLAP);
    EXPECT_NOTHING_WRITTEN(BWD(2, 8, x, 8, out + 3, 8, out, 8, NULL), SM_EOVERLAP);
    EXPECT_NOTHING_WRITTEN(BWD(SIZE_MAX / 2, 8, x, 8, dy, 8, out, 8, NULL),
                           SM_ERANGE);
    assert_int_equal(BWD(0, 8, NULL, 8, NULL, 8, NULL, 8, NULL), SM_OK);
    assert_int_equal(BWD(2, 0, NULL, 0, NULL, 0, NULL, 0, NULL), SM_OK);
#undef FWD
#undef BWD
}

/* Forward and backward with the last rows against a PROT_NONE page, every
 * ISA, sizes around the vector widths, and in place. */
static void test_guard_pages(void **state)
{
    (void)state;
    int bad = 0, cases = 0;
    uint64_t s = 5;
    for (int isa = SM_ISA_SCALAR; isa < SM_ISA_COUNT; isa++) {
        if (!isa_available((sm_isa)isa) || sm_isa_force((sm_isa)isa) != SM_OK)
            continue;
        for (size_t n = 1; n <= 70; n++)
            for (int bwd = 0; bwd < 2; bwd++)
                for (int in_place = 0; in_place < 2; in_place++) {
                    struct guard_buf gx, gy, gd;
                    float *x = guard_alloc(&gx, 2 * n);
                    float *y = in_place ? x : guard_alloc(&gy, 2 * n);
                    float *d = guard_alloc(&gd, 2 * n);
                    assert_true(x && y && d);
                    for (size_t i = 0; i < 2 * n; i++) {
                        x[i] = bwd ? (float)(i % 3 == 0) / (float)n : gauss(&s);
                        d[i] = gauss(&s);
                    }
                    const sm_entmax_options *o =
                        EOPTS(0.5f, 0, n % 2 ? 1.5f : 1.25f);
                    const sm_status st =
                        bwd ? sm_entmax_backward_rows_f32(2, n, x, n, d, n, y,
                                                          n, o)
                            : sm_entmax_rows_f32(2, n, x, n, y, n, o);
                    cases++;
                    bad += st != SM_OK;
                    bad += guard_free(&gx) != 0 || guard_free(&gd) != 0;
                    if (!in_place)
                        bad += guard_free(&gy) != 0;
                }
    }
    assert_int_equal(sm_isa_force(SM_ISA_AUTO), SM_OK);
    assert_true(cases > 0);
    assert_int_equal(bad, 0);
}
