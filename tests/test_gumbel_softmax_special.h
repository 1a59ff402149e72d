/*
 * test_gumbel_softmax.c's special values: rows with +inf entries (one,
 * several, all), -inf entries, every entry -inf, a NaN (alone and beside
 * +inf), soft and hard, with the softmax backward of the soft sample;
 * scalar against the header's definition (softmax's special values
 * applied to x + g, the noise finite), every ISA against scalar bit for
 * bit.
 */

enum { SV_ROWS = 8, SV_COLS = 37 };

/* Row r of the special-value rows: finite logits with +inf, -inf or NaN
 * entries placed across the vector tails. */
static void special_row(int r, float *x, uint64_t *s)
{
    for (int i = 0; i < SV_COLS; i++)
        x[i] = gauss(s) * 3.0f;
    switch (r) {
    case 0: x[5] = INFINITY; break;
    case 1:
        x[2] = x[17] = x[36] = INFINITY;
        x[4] = -INFINITY;
        break;
    case 2:
        for (int i = 0; i < SV_COLS; i++)
            x[i] = INFINITY;
        break;
    case 3:
        for (int i = 0; i < SV_COLS; i += 3)
            x[i] = -INFINITY;
        break;
    case 4:
        for (int i = 0; i < SV_COLS; i++)
            x[i] = -INFINITY;
        break;
    case 5: x[20] = NAN; break;
    case 6:
        x[3] = INFINITY;
        x[30] = NAN;
        break;
    default:
        for (int i = 0; i < SV_COLS; i++)
            x[i] = i % 2 ? -INFINITY : INFINITY;
        break;
    }
}

/* Whether row x's outputs follow the definition: a NaN makes s, y and dx
 * NaN; k entries +inf get s = 1/k (the first of them the hard 1), every
 * other entry +0; a fully masked row gives s = y = 0; otherwise masked
 * entries get s = +0 and the hard y is the one-hot of s's first maximum.
 * dx is finite but in NaN rows. */
static bool special_defined(const float *x, const float *s, const float *y,
                            const float *dx, bool hard)
{
    bool nan = false;
    int inf = 0, finite = 0, first = -1;
    for (int i = 0; i < SV_COLS; i++) {
        nan |= x[i] != x[i];
        if (x[i] == INFINITY && inf++ == 0)
            first = i;
        finite += isfinite(x[i]) != 0;
    }
    for (int i = 0; i < SV_COLS; i++) {
        if (nan) {
            if (!isnan(s[i]) || !isnan(y[i]) || !isnan(dx[i]))
                return false;
            continue;
        }
        float want_s = 0.0f;
        if (inf > 0 && x[i] == INFINITY)
            want_s = (float)(1.0 / inf);
        if ((inf > 0 || finite == 0 || x[i] == -INFINITY) &&
            f32_bits(s[i]) != f32_bits(want_s))
            return false;
        if (inf > 0 && hard &&
            f32_bits(y[i]) != f32_bits(i == first ? 1.0f : 0.0f))
            return false;
        if (!isfinite(dx[i]))
            return false;
    }
    return nan || (hard ? one_hot_of(s, y, SV_COLS)
                        : memcmp(s, y, SV_COLS * sizeof *s) == 0);
}

/* The special-value rows at three beta, both exps, soft and hard: scalar
 * against the definition, every ISA against scalar. */
static void test_special_values(void **state)
{
    (void)state;
    static const float betas[] = {1.0f, 0.2f, 10.0f};
    enum { N = SV_ROWS * SV_COLS };
    float x[N], dy[N], want[3][N], got[3][N];
    uint64_t s = 31337, counter[SV_ROWS];
    for (int r = 0; r < SV_ROWS; r++) {
        special_row(r, x + r * SV_COLS, &s);
        counter[r] = rng_next(&s);
    }
    for (int i = 0; i < N; i++)
        dy[i] = gauss(&s);
    int bad = 0, compared = 0;
    for (size_t bi = 0; bi < sizeof betas / sizeof *betas; bi++)
        for (sm_flags flags = 0; flags < 4; flags++) {
            const sm_sampler_options o = gopts(betas[bi], flags);
            for (int isa = SM_ISA_SCALAR; isa < SM_ISA_COUNT; isa++) {
                if (!isa_available((sm_isa)isa))
                    continue;
                float(*out)[N] = isa == SM_ISA_SCALAR ? want : got;
                assert_int_equal(sm_isa_force((sm_isa)isa), SM_OK);
                assert_int_equal(sm_gumbel_softmax_rows_f32(
                                     SV_ROWS, SV_COLS, x, SV_COLS, counter,
                                     out[0], SV_COLS, out[1], SV_COLS, &o),
                                 SM_OK);
                assert_int_equal(sm_softmax_backward_rows_f32(
                                     SV_ROWS, SV_COLS, out[1], SV_COLS, dy,
                                     SV_COLS, out[2], SV_COLS,
                                     OPTS(betas[bi], 0)),
                                 SM_OK);
                if (isa == SM_ISA_SCALAR) {
                    for (int r = 0; r < SV_ROWS; r++) {
                        const size_t at = (size_t)r * SV_COLS;
                        if (!special_defined(x + at, want[1] + at,
                                             want[0] + at, want[2] + at,
                                             flags & SM_GUMBEL_HARD) &&
                            bad++ < 5)
                            printf("row %d beta %g flags %u: not as "
                                   "defined\n",
                                   r, (double)betas[bi], flags);
                    }
                    continue;
                }
                compared++;
                if (memcmp(got, want, sizeof got) != 0 && bad++ < 5)
                    printf("%s: beta %g flags %u differs from scalar\n",
                           sm_isa_name((sm_isa)isa), (double)betas[bi],
                           flags);
            }
        }
    assert_int_equal(sm_isa_force(SM_ISA_AUTO), SM_OK);
    printf("special values: %d comparisons with scalar\n", compared);
    assert_int_equal(bad, 0);
}
