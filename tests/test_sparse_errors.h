/*
 * test_sparse.c's error paths (each call fails with nothing written) and
 * guard pages (no read or write past the end of a row), and entries below
 * tau that change no bit (the candidate buffer's pruning and the row
 * passes).
 */

/* out holds SENTINEL in its first count floats. */
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
    const sm_options bad_size = {sizeof(size_t), 1.0f, 0u, NULL};
    typedef sm_status (*fwd_fn)(size_t, size_t, const float *, size_t, float *,
                                size_t, const sm_options *);
    static const fwd_fn fwd[] = {sm_sparsemax_rows_f32, sm_hardmax_rows_f32};
    for (int f = 0; f < 2; f++) {
        const fwd_fn call = fwd[f];
        EXPECT_NOTHING_WRITTEN(call(2, 8, x, 8, out, 8, OPTS(NAN, 0)), SM_EINVAL);
        EXPECT_NOTHING_WRITTEN(call(2, 8, x, 8, out, 8, OPTS(1.0f, 2u)), SM_EINVAL);
        EXPECT_NOTHING_WRITTEN(call(2, 8, x, 8, out, 8, &bad_size), SM_EINVAL);
        EXPECT_NOTHING_WRITTEN(call(2, 8, x, 7, out, 8, NULL), SM_EINVAL);
        EXPECT_NOTHING_WRITTEN(call(2, 8, x, 8, out, 7, NULL), SM_EINVAL);
        EXPECT_NOTHING_WRITTEN(call(2, 8, NULL, 8, out, 8, NULL), SM_EINVAL);
        assert_int_equal(call(2, 8, x, 8, NULL, 8, NULL), SM_EINVAL);
        EXPECT_NOTHING_WRITTEN(call(2, 8, out + 1, 8, out, 8, NULL), SM_EOVERLAP);
        EXPECT_NOTHING_WRITTEN(call(2, 8, out, 8, out + 4, 8, NULL), SM_EOVERLAP);
        EXPECT_NOTHING_WRITTEN(call(SIZE_MAX / 2, 8, x, 8, out, 8, NULL),
                               SM_ERANGE);
        EXPECT_NOTHING_WRITTEN(call(2, 8, x, SIZE_MAX / 4, out, 8, NULL),
                               SM_ERANGE);
        /* SM_FAST_EXP is accepted (there is no exp): the same bits */
        float a[8], b[8];
        assert_int_equal(call(1, 8, x, 8, a, 8, OPTS(2.0f, SM_FAST_EXP)), SM_OK);
        assert_int_equal(call(1, 8, x, 8, b, 8, OPTS(2.0f, 0)), SM_OK);
        assert_true(same_bits(a, b, 8));
        /* in place, the same bits */
        memcpy(out, x, sizeof x);
        assert_int_equal(call(4, 16, out, 16, out, 16, OPTS(-3.0f, 0)), SM_OK);
        float want[64];
        assert_int_equal(call(4, 16, x, 16, want, 16, OPTS(-3.0f, 0)), SM_OK);
        assert_true(same_bits(out, want, 64));
        /* disjoint columns of one matrix are no overlap */
        assert_int_equal(call(4, 8, out, 16, out + 8, 16, NULL), SM_OK);
    }
    EXPECT_NOTHING_WRITTEN(sm_hardmax_rows_f32(2, 8, x, 8, out, 8, OPTS(0.0f, 0)),
                           SM_EINVAL);
    EXPECT_NOTHING_WRITTEN(sm_sparsemax_f32(8, NULL, out), SM_EINVAL);
    EXPECT_NOTHING_WRITTEN(sm_hardmax_f32(8, NULL, out), SM_EINVAL);
    EXPECT_NOTHING_WRITTEN(sm_sparsemax_f32(8, out + 2, out), SM_EOVERLAP);

    /* backward: dx against y and against dy */
#define BWD(...) sm_sparsemax_backward_rows_f32(__VA_ARGS__)
    EXPECT_NOTHING_WRITTEN(BWD(2, 8, x, 8, dy, 8, out, 8, OPTS(NAN, 0)), SM_EINVAL);
    EXPECT_NOTHING_WRITTEN(BWD(2, 8, x, 8, dy, 8, out, 8, OPTS(1.0f, 8u)), SM_EINVAL);
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
#undef BWD
}

/* Every op with its last input row and its last output row against a
 * PROT_NONE page, every ISA, sizes around the vector widths, and in place. */
static void test_guard_pages(void **state)
{
    (void)state;
    int bad = 0, cases = 0;
    uint64_t s = 5;
    for (int isa = SM_ISA_SCALAR; isa < SM_ISA_COUNT; isa++) {
        if (!isa_available((sm_isa)isa) || sm_isa_force((sm_isa)isa) != SM_OK)
            continue;
        for (size_t n = 1; n <= 70; n++)
            for (int op = SPARSEMAX; op <= BACKWARD; op++)
                for (int in_place = 0; in_place < 2; in_place++) {
                    struct guard_buf gx, gy, gd;
                    float *x = guard_alloc(&gx, 2 * n);
                    float *y = in_place ? x : guard_alloc(&gy, 2 * n);
                    float *d = guard_alloc(&gd, 2 * n);
                    assert_true(x && y && d);
                    for (size_t i = 0; i < 2 * n; i++) {
                        x[i] = op == BACKWARD ? (float)(i % 3 == 0) / (float)n
                                              : gauss(&s);
                        d[i] = gauss(&s);
                    }
                    sm_status st;
                    if (op == SPARSEMAX)
                        st = sm_sparsemax_rows_f32(2, n, x, n, y, n, OPTS(0.5f, 0));
                    else if (op == HARDMAX)
                        st = sm_hardmax_rows_f32(2, n, x, n, y, n, OPTS(-1.0f, 0));
                    else
                        st = sm_sparsemax_backward_rows_f32(2, n, x, n, d, n, y, n,
                                                            NULL);
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

/* Entries below tau change no bit of the others, whether they make the
 * candidate pass prune its buffer (a sparse row: 4000 entries at u = -0.99
 * after a maximum and one 0.02 below it, so tau > -0.51) or only follow a
 * set too large for it (2000 entries within 1e-5 of the maximum: the row
 * passes either way). */
static void test_entries_below_tau_change_nothing(void **state)
{
    (void)state;
    const size_t extra = 4000, most = 2000 + extra;
    float *x = malloc(most * sizeof(float));
    float *a = malloc(most * sizeof(float)), *b = malloc(most * sizeof(float));
    assert_true(x && a && b);
    uint64_t s = 17;
    int bad = 0, cases = 0;
    for (int isa = SM_ISA_SCALAR; isa <= SM_ISA_COUNT; isa++) {
        const struct sm_kernels *k = table_for(isa);
        if (!k)
            continue;
        for (int trial = 0; trial < 20; trial++) {
            const bool dense = trial % 2;
            const size_t base = dense ? 2000 : 100;
            for (size_t i = 0; i < base; i++)
                x[i] = dense ? 1.0f - 1e-6f * (float)(rng_next(&s) % 10)
                             : gauss(&s) * 0.1f;
            x[3] = 1.0f; /* the maximum */
            if (!dense)
                x[5] = 0.98f;
            for (size_t i = base; i < base + extra; i++)
                x[i] = 0.01f;
            k->sparsemax_rows(1, base, 1.0f, x, base, a, base);
            k->sparsemax_rows(1, base + extra, 1.0f, x, base + extra, b,
                              base + extra);
            bad += !same_bits(a, b, base);
            for (size_t i = base; i < base + extra; i++)
                bad += b[i] != 0.0f;
            cases++;
        }
    }
    free(x), free(a), free(b);
    assert_true(cases >= 20);
    assert_int_equal(bad, 0);
}
