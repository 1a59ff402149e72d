/*
 * The public API: every error path of every function (exact status, nothing
 * written), NULL with empty sizes, byte-extent overflow, overlap rules, in
 * place, guard-page placement of inputs and outputs under every available
 * ISA, padding between output rows, and the ISA / name / version helpers.
 *
 * Per-ISA numerics are test_kernels' business; here the reference for a
 * guarded call is the same call, under the same ISA, on plain heap buffers.
 */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dispatch.h"
#include "harness.h"
#include "call_options.h"

/* ---- helpers ------------------------------------------------------------ */

/* Outputs are pre-filled with this byte; 0xA5A5A5A5 is an ordinary float
 * (-2.87e-16) that no call below can produce. */
#define SENT_BYTE 0xA5
#define SENT_BITS 0xA5A5A5A5u
#define NEG_INF_BITS 0xFF800000u

enum op { OP_SOFTMAX, OP_LOG_SOFTMAX, OP_LOGSUMEXP, OP_COUNT };
static const char *const op_names[OP_COUNT] = {"softmax", "log_softmax",
                                               "logsumexp"};

static void fill_sent(float *p, size_t n)
{
    if (n)
        memset(p, SENT_BYTE, n * sizeof *p);
}

/* Number of floats in p[0..n) that are no longer the sentinel. */
static size_t count_touched(const float *p, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += f32_bits(p[i]) != SENT_BITS;
    return bad;
}

/* Number of positions where a and b differ bit for bit. */
static size_t count_bit_diffs(const float *a, const float *b, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += f32_bits(a[i]) != f32_bits(b[i]);
    return bad;
}

static void fill_random(float *x, size_t n, uint64_t *s)
{
    for (size_t i = 0; i < n; i++)
        x[i] = rng_uniform(s, -20.0f, 20.0f);
}

static void *xmalloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    assert_non_null(p);
    return p;
}

/* A non-NULL address that is never dereferenced (the argument checks must
 * reject the call first; if they did not, the kernel would fault). */
#define FAKE_X ((const float *)(uintptr_t)0x100000u)
#define FAKE_Y ((float *)(uintptr_t)0x200000u)

/* The rows form of op with options o; ldy is ignored for logsumexp
 * (result[r]). */
static sm_status call_opts(enum op op, size_t rows, size_t cols,
                           const float *x, size_t ldx, float *y, size_t ldy,
                           const sm_options *o)
{
    switch (op) {
    case OP_SOFTMAX:
        return sm_softmax_rows_f32(rows, cols, x, ldx, y, ldy, o);
    case OP_LOG_SOFTMAX:
        return sm_log_softmax_rows_f32(rows, cols, x, ldx, y, ldy, o);
    default:
        return sm_logsumexp_rows_f32(rows, cols, x, ldx, y, o);
    }
}

/* The rows form of op at beta. */
static sm_status call_rows(enum op op, size_t rows, size_t cols, float beta,
                           const float *x, size_t ldx, float *y, size_t ldy)
{
    return call_opts(op, rows, cols, x, ldx, y, ldy, OPTS(beta, 0));
}

/* The single-vector form of op (beta = 1). */
static sm_status call_vec(enum op op, size_t n, const float *x, float *y)
{
    switch (op) {
    case OP_SOFTMAX: return sm_softmax_f32(n, x, y);
    case OP_LOG_SOFTMAX: return sm_log_softmax_f32(n, x, y);
    default: return sm_logsumexp_f32(n, x, y);
    }
}

/* Floats written for one row of n. */
static size_t row_out_len(enum op op, size_t n)
{
    return op == OP_LOGSUMEXP ? 1 : n;
}

static void expect_status_at(sm_status got, sm_status want, const char *what,
                             const char *file, int line)
{
    if (got != want) {
        print_error("%s:%d: %s: got %d (%s), want %d (%s)\n", file, line, what,
                    (int)got, sm_strerror(got), (int)want, sm_strerror(want));
        fail();
    }
}
#define expect_status(got, want, what) \
    expect_status_at((got), (want), (what), __FILE__, __LINE__)

/* FOR_EACH_ISA (harness.h): the teardown restores the automatic choice
 * even when a test fails half way. */

static int restore_auto(void **state)
{
    (void)state;
    return sm_isa_force(SM_ISA_AUTO) == SM_OK ? 0 : -1;
}

/* ---- error-path fixture: separate x and y, y all sentinel ---------------- */

#define EBUF 256
static float ex[EBUF], ex_saved[EBUF], ey[EBUF];

static void ebuf_reset(void)
{
    uint64_t s = 0x1234;
    fill_random(ex, EBUF, &s);
    memcpy(ex_saved, ex, sizeof ex);
    fill_sent(ey, EBUF);
}

/* Nothing written anywhere: y all sentinel, x as it was. */
static void ebuf_check_clean(const char *what)
{
    if (count_touched(ey, EBUF) != 0 || memcmp(ex, ex_saved, sizeof ex) != 0) {
        print_error("%s: a failed call wrote to memory\n", what);
        fail();
    }
}

/* ---- NULL pointers ------------------------------------------------------ */

static void test_null_pointers(void **state)
{
    (void)state;
    for (int o = 0; o < OP_COUNT; o++) {
        const enum op op = (enum op)o;
        char what[96];

        /* rows form, non-zero sizes */
        snprintf(what, sizeof what, "%s rows: NULL x", op_names[op]);
        ebuf_reset();
        expect_status(call_rows(op, 3, 5, 1.0f, NULL, 5, ey, 5), SM_EINVAL, what);
        ebuf_check_clean(what);

        snprintf(what, sizeof what, "%s rows: NULL y", op_names[op]);
        ebuf_reset();
        expect_status(call_rows(op, 3, 5, 1.0f, ex, 5, NULL, 5), SM_EINVAL, what);
        ebuf_check_clean(what);

        snprintf(what, sizeof what, "%s rows: NULL x and y", op_names[op]);
        expect_status(call_rows(op, 3, 5, 1.0f, NULL, 5, NULL, 5), SM_EINVAL, what);

        snprintf(what, sizeof what, "%s rows: NULL x, 1x1", op_names[op]);
        ebuf_reset();
        expect_status(call_rows(op, 1, 1, 1.0f, NULL, 1, ey, 1), SM_EINVAL, what);
        ebuf_check_clean(what);

        /* single-vector form */
        snprintf(what, sizeof what, "%s vec: NULL x", op_names[op]);
        ebuf_reset();
        expect_status(call_vec(op, 7, NULL, ey), SM_EINVAL, what);
        ebuf_check_clean(what);

        snprintf(what, sizeof what, "%s vec: NULL y", op_names[op]);
        ebuf_reset();
        expect_status(call_vec(op, 7, ex, NULL), SM_EINVAL, what);
        ebuf_check_clean(what);

        snprintf(what, sizeof what, "%s vec: NULL x and y", op_names[op]);
        expect_status(call_vec(op, 7, NULL, NULL), SM_EINVAL, what);
    }

    /* logsumexp with cols = 0 still needs somewhere to put -inf. */
    expect_status(sm_logsumexp_rows_f32(3, 0, NULL, 0, NULL, OPTS(1.0f, 0)), SM_EINVAL,
                  "logsumexp rows: cols 0, NULL result");
    ebuf_reset();
    expect_status(sm_logsumexp_rows_f32(3, 0, ex, 4, NULL, OPTS(1.0f, 0)), SM_EINVAL,
                  "logsumexp rows: cols 0, x given, NULL result");
    ebuf_check_clean("logsumexp rows: cols 0, NULL result");
    expect_status(sm_logsumexp_f32(0, NULL, NULL), SM_EINVAL,
                  "logsumexp vec: n 0, NULL result");
}

static void test_null_allowed_when_empty(void **state)
{
    (void)state;
    for (int o = OP_SOFTMAX; o <= OP_LOG_SOFTMAX; o++) {
        const enum op op = (enum op)o;
        char what[96];
        snprintf(what, sizeof what, "%s: rows 0, NULL x y", op_names[op]);
        expect_status(call_rows(op, 0, 5, 1.0f, NULL, 5, NULL, 5), SM_OK, what);
        snprintf(what, sizeof what, "%s: cols 0, NULL x y", op_names[op]);
        expect_status(call_rows(op, 4, 0, 1.0f, NULL, 0, NULL, 0), SM_OK, what);
        expect_status(call_rows(op, 4, 0, 1.0f, NULL, 7, NULL, 3), SM_OK, what);
        snprintf(what, sizeof what, "%s: rows 0 cols 0, NULL x y", op_names[op]);
        expect_status(call_rows(op, 0, 0, 1.0f, NULL, 0, NULL, 0), SM_OK, what);
        snprintf(what, sizeof what, "%s vec: n 0, NULL x y", op_names[op]);
        expect_status(call_vec(op, 0, NULL, NULL), SM_OK, what);

        /* One side NULL, the other a real buffer that must stay as it is. */
        snprintf(what, sizeof what, "%s: rows 0, NULL x, real y", op_names[op]);
        ebuf_reset();
        expect_status(call_rows(op, 0, 5, 1.0f, NULL, 5, ey, 5), SM_OK, what);
        ebuf_check_clean(what);
        snprintf(what, sizeof what, "%s: cols 0, real x, NULL y", op_names[op]);
        ebuf_reset();
        expect_status(call_rows(op, 3, 0, 1.0f, ex, 4, NULL, 4), SM_OK, what);
        ebuf_check_clean(what);
        snprintf(what, sizeof what, "%s: cols 0, real x y", op_names[op]);
        ebuf_reset();
        expect_status(call_rows(op, 3, 0, 1.0f, ex, 4, ey, 4), SM_OK, what);
        ebuf_check_clean(what);
    }

    /* logsumexp: rows 0 needs nothing at all. */
    expect_status(sm_logsumexp_rows_f32(0, 5, NULL, 5, NULL, OPTS(1.0f, 0)), SM_OK,
                  "logsumexp: rows 0, NULL x result");
    ebuf_reset();
    expect_status(sm_logsumexp_rows_f32(0, 5, ex, 5, ey, OPTS(1.0f, 0)), SM_OK,
                  "logsumexp: rows 0, real x result");
    ebuf_check_clean("logsumexp: rows 0");

    /* cols 0, rows > 0: x may be NULL and every result is -inf, under each
     * ISA's kernel; the float after the last result stays untouched. */
    FOR_EACH_ISA(isa) {
        for (size_t rows = 1; rows <= 9; rows++) {
            fill_sent(ey, EBUF);
            expect_status(sm_logsumexp_rows_f32(rows, 0, NULL, 0, ey,
                                                OPTS(1.0f, 0)), SM_OK,
                          "logsumexp: cols 0, NULL x");
            for (size_t r = 0; r < rows; r++)
                assert_int_equal(f32_bits(ey[r]), NEG_INF_BITS);
            assert_int_equal(count_touched(ey + rows, EBUF - rows), 0);

            fill_sent(ey, EBUF);
            expect_status(sm_logsumexp_rows_f32(rows, 0, NULL, 3, ey,
                                                OPTS(-2.0f, 0)), SM_OK,
                          "logsumexp: cols 0, NULL x, ldx 3");
            for (size_t r = 0; r < rows; r++)
                assert_int_equal(f32_bits(ey[r]), NEG_INF_BITS);
            assert_int_equal(count_touched(ey + rows, EBUF - rows), 0);
        }
    }
}

/* n = 0 for the single-vector forms: SM_OK, nothing written, and the
 * logsumexp of an empty row is -inf. */
static void test_empty_vectors(void **state)
{
    (void)state;
    FOR_EACH_ISA(isa) {
        for (int o = OP_SOFTMAX; o <= OP_LOG_SOFTMAX; o++) {
            ebuf_reset();
            expect_status(call_vec((enum op)o, 0, ex, ey), SM_OK, op_names[o]);
            ebuf_check_clean(op_names[o]);
            ebuf_reset();
            expect_status(call_vec((enum op)o, 0, ex, ex), SM_OK, op_names[o]);
            ebuf_check_clean(op_names[o]);
        }
        ebuf_reset();
        expect_status(sm_logsumexp_f32(0, ex, ey), SM_OK, "logsumexp n 0");
        assert_int_equal(f32_bits(ey[0]), NEG_INF_BITS);
        assert_int_equal(count_touched(ey + 1, EBUF - 1), 0);
        assert_memory_equal(ex, ex_saved, sizeof ex);

        float r = 1.0f;
        expect_status(sm_logsumexp_f32(0, NULL, &r), SM_OK, "logsumexp n 0, NULL x");
        assert_true(isinf(r) && r < 0);
    }
}

/* ---- strides and beta --------------------------------------------------- */

static void test_stride_too_small(void **state)
{
    (void)state;
    for (int o = 0; o < OP_COUNT; o++) {
        const enum op op = (enum op)o;
        char what[96];
        snprintf(what, sizeof what, "%s: ldx < cols", op_names[op]);
        for (size_t rows = 0; rows <= 3; rows++) {
            ebuf_reset();
            expect_status(call_rows(op, rows, 8, 1.0f, ex, 7, ey, 8), SM_EINVAL, what);
            ebuf_check_clean(what);
            ebuf_reset();
            expect_status(call_rows(op, rows, 8, 1.0f, ex, 0, ey, 8), SM_EINVAL, what);
            ebuf_check_clean(what);
        }
        if (op == OP_LOGSUMEXP)
            continue; /* no output stride */
        snprintf(what, sizeof what, "%s: ldy < cols", op_names[op]);
        for (size_t rows = 0; rows <= 3; rows++) {
            ebuf_reset();
            expect_status(call_rows(op, rows, 8, 1.0f, ex, 8, ey, 7), SM_EINVAL, what);
            ebuf_check_clean(what);
            ebuf_reset();
            expect_status(call_rows(op, rows, 8, 1.0f, ex, 9, ey, 1), SM_EINVAL, what);
            ebuf_check_clean(what);
        }
        /* Positive control: stride == cols and stride > cols are fine. */
        snprintf(what, sizeof what, "%s: ld == cols", op_names[op]);
        ebuf_reset();
        expect_status(call_rows(op, 3, 8, 1.0f, ex, 8, ey, 8), SM_OK, what);
        expect_status(call_rows(op, 3, 8, 1.0f, ex, 11, ey, 9), SM_OK, what);
    }
}

static void test_nan_beta(void **state)
{
    (void)state;
    const uint32_t nan_bits[] = {
        0x7FC00000u, /* quiet NaN */
        0xFFC00000u, /* negative quiet NaN */
        0x7FC12345u, /* quiet NaN with a payload */
        0xFFFFFFFFu, /* negative NaN, all payload bits */
        0x7F800001u, /* signalling NaN */
        0xFF800001u, /* negative signalling NaN */
    };
    for (size_t b = 0; b < sizeof nan_bits / sizeof nan_bits[0]; b++) {
        const float beta = f32_from_bits(nan_bits[b]);
        for (int o = 0; o < OP_COUNT; o++) {
            char what[96];
            snprintf(what, sizeof what, "%s: beta bits 0x%08x", op_names[o],
                     (unsigned)nan_bits[b]);
            ebuf_reset();
            expect_status(call_rows((enum op)o, 3, 8, beta, ex, 8, ey, 8), SM_EINVAL, what);
            ebuf_check_clean(what);
            ebuf_reset();
            expect_status(call_rows((enum op)o, 1, 1, beta, ex, 1, ey, 1), SM_EINVAL, what);
            ebuf_check_clean(what);
            /* NaN beta is invalid whatever the sizes. */
            expect_status(call_rows((enum op)o, 0, 8, beta, NULL, 8, NULL, 8),
                          SM_EINVAL, what);
            expect_status(call_rows((enum op)o, 3, 0, beta, NULL, 0, ey, 0),
                          SM_EINVAL, what);
        }
    }
}

/* Positive control for the beta check: every non-NaN beta is accepted. */
static void test_non_nan_beta_accepted(void **state)
{
    (void)state;
    const float betas[] = {1.0f, 0.0f, -0.0f, -1.0f, INFINITY, -INFINITY,
                           1e-45f, -1e-45f, 3.4e38f, -3.4e38f};
    for (size_t b = 0; b < sizeof betas / sizeof betas[0]; b++) {
        for (int o = 0; o < OP_COUNT; o++) {
            ebuf_reset();
            expect_status(call_rows((enum op)o, 3, 8, betas[b], ex, 8, ey, 8), SM_OK,
                          op_names[o]);
            const size_t out = o == OP_LOGSUMEXP ? 3 : 24;
            assert_int_equal(count_touched(ey, out), out);       /* all written */
            assert_int_equal(count_touched(ey + out, EBUF - out), 0); /* no more */
            assert_memory_equal(ex, ex_saved, sizeof ex);
        }
    }
}

/* ---- byte-extent overflow ------------------------------------------------ */

struct range_case {
    size_t rows, cols, ldx, ldy;
    const char *what;
};

static void test_size_overflow(void **state)
{
    (void)state;
    const size_t big4 = SIZE_MAX / 4 + 1;          /* * 4 overflows size_t */
    const size_t ptr4 = (size_t)PTRDIFF_MAX / 4 + 1; /* * 4 > PTRDIFF_MAX */
    /* x's extent overflows (y's is small). */
    const struct range_case xcases[] = {
        {2, 1, big4, 1, "(rows-1)*ldx*4 overflows size_t"},
        {3, 1, SIZE_MAX / 2 + 1, 1, "(rows-1)*ldx overflows size_t"},
        {2, 2, SIZE_MAX - 1, 2, "(rows-1)*ldx+cols overflows size_t"},
        {2, 1, SIZE_MAX, 1, "ldx = SIZE_MAX"},
        {2, 1, ptr4, 1, "x bytes just above PTRDIFF_MAX"},
        {SIZE_MAX, 1, 1, 1, "rows = SIZE_MAX"},
        {big4, 1, 1, 1, "rows*4 overflows"},
    };
    for (int o = 0; o < OP_COUNT; o++) {
        const enum op op = (enum op)o;
        for (size_t c = 0; c < sizeof xcases / sizeof xcases[0]; c++) {
            const struct range_case *k = &xcases[c];
            char what[128];
            snprintf(what, sizeof what, "%s: %s (fake pointers)", op_names[op], k->what);
            expect_status(call_rows(op, k->rows, k->cols, 1.0f, FAKE_X, k->ldx,
                                    FAKE_Y, k->ldy),
                          SM_ERANGE, what);
            /* With a real output that must stay untouched. */
            snprintf(what, sizeof what, "%s: %s (real y)", op_names[op], k->what);
            ebuf_reset();
            expect_status(call_rows(op, k->rows, k->cols, 1.0f, FAKE_X, k->ldx,
                                    ey, k->ldy),
                          SM_ERANGE, what);
            ebuf_check_clean(what);
        }
        if (op == OP_LOGSUMEXP)
            continue;
        /* y's extent overflows (x's is small and real). */
        for (size_t c = 0; c < sizeof xcases / sizeof xcases[0]; c++) {
            const struct range_case *k = &xcases[c];
            if (k->ldy != 1 || k->cols != 1)
                continue;
            char what[128];
            snprintf(what, sizeof what, "%s: y side: %s", op_names[op], k->what);
            ebuf_reset();
            expect_status(call_rows(op, k->rows, k->cols, 1.0f, ex, k->ldy,
                                    FAKE_Y, k->ldx),
                          SM_ERANGE, what);
            ebuf_check_clean(what);
        }
        /* One row whose byte count is too big. */
        expect_status(call_vec(op, ptr4, FAKE_X, FAKE_Y), SM_ERANGE,
                      "vec: n*4 > PTRDIFF_MAX");
        expect_status(call_vec(op, big4, FAKE_X, FAKE_Y), SM_ERANGE,
                      "vec: n*4 overflows size_t");
        expect_status(call_vec(op, SIZE_MAX, FAKE_X, FAKE_Y), SM_ERANGE,
                      "vec: n = SIZE_MAX");
        expect_status(call_rows(op, 1, ptr4, -1.0f, FAKE_X, ptr4, FAKE_Y, ptr4),
                      SM_ERANGE, "rows: cols*4 > PTRDIFF_MAX");

        /* The end address wraps: the extent is small but the buffer sits
         * at the top of the address space. */
        const float *top_x = (const float *)(UINTPTR_MAX - 63); /* 4-aligned */
        float *top_y = (float *)(UINTPTR_MAX - 63);
        expect_status(call_vec(op, 17, top_x, FAKE_Y), SM_ERANGE, "x end wraps");
        expect_status(call_vec(op, 1000, top_x, FAKE_Y), SM_ERANGE, "x end wraps");
        ebuf_reset();
        expect_status(call_vec(op, 17, ex, top_y), SM_ERANGE, "y end wraps");
        ebuf_check_clean("y end wraps");
        expect_status(call_rows(op, 2, 1, 1.0f, ex, 1, top_y, 16), SM_ERANGE,
                      "y end wraps through its stride");
        ebuf_reset();
        expect_status(call_rows(op, 2, 1, 1.0f, top_x, 16, ey, 1), SM_ERANGE,
                      "x end wraps through its stride");
        ebuf_check_clean("x end wraps through its stride");
    }

    /* Huge strides are harmless when there is nothing to do. */
    for (int o = OP_SOFTMAX; o <= OP_LOG_SOFTMAX; o++) {
        expect_status(call_rows((enum op)o, 0, 5, 1.0f, FAKE_X, SIZE_MAX, FAKE_Y,
                                SIZE_MAX), SM_OK, "rows 0, huge strides");
        expect_status(call_rows((enum op)o, SIZE_MAX, 0, 1.0f, FAKE_X, SIZE_MAX,
                                FAKE_Y, SIZE_MAX), SM_OK, "cols 0, huge rows");
    }
}

static void test_size_overflow_reduce(void **state)
{
    (void)state;
    const size_t big4 = SIZE_MAX / 4 + 1;
    const size_t ptr4 = (size_t)PTRDIFF_MAX / 4 + 1;
    float *top = (float *)(UINTPTR_MAX - 7);

    /* The result array's own extent (cols = 0 isolates it from x's; were
     * the check missing, the kernel would store -inf through the fake
     * pointer and fault). */
    expect_status(sm_logsumexp_rows_f32(big4, 0, NULL, 0, FAKE_Y,
                                        OPTS(1.0f, 0)), SM_ERANGE,
                  "result: rows*4 overflows size_t");
    expect_status(sm_logsumexp_rows_f32(ptr4, 0, NULL, 0, FAKE_Y,
                                        OPTS(1.0f, 0)), SM_ERANGE,
                  "result: rows*4 > PTRDIFF_MAX");
    expect_status(sm_logsumexp_rows_f32(SIZE_MAX, 0, NULL, 0, FAKE_Y,
                                        OPTS(1.0f, 0)),
                  SM_ERANGE, "result: rows = SIZE_MAX");
    expect_status(sm_logsumexp_rows_f32(3, 0, NULL, 0, top, OPTS(1.0f, 0)), SM_ERANGE,
                  "result end wraps");
    ebuf_reset();
    expect_status(sm_logsumexp_rows_f32(3, 4, ex, 4, top, OPTS(1.0f, 0)), SM_ERANGE,
                  "result end wraps, real x");
    ebuf_check_clean("result end wraps, real x");

    /* x's extent, with a small real result. */
    const struct range_case cases[] = {
        {2, 1, big4, 0, "(rows-1)*ldx*4 overflows"},
        {3, 1, SIZE_MAX / 2 + 1, 0, "(rows-1)*ldx overflows"},
        {2, 2, SIZE_MAX - 1, 0, "+cols overflows"},
        {2, 1, ptr4, 0, "x bytes > PTRDIFF_MAX"},
        {1, ptr4, ptr4, 0, "one row > PTRDIFF_MAX"},
        {1, big4, big4, 0, "one row * 4 overflows"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        ebuf_reset();
        expect_status(sm_logsumexp_rows_f32(cases[c].rows, cases[c].cols,
                                            FAKE_X, cases[c].ldx, ey,
                                            OPTS(1.0f, 0)),
                      SM_ERANGE, cases[c].what);
        ebuf_check_clean(cases[c].what);
    }
    expect_status(sm_logsumexp_f32(ptr4, FAKE_X, FAKE_Y), SM_ERANGE,
                  "vec: n*4 > PTRDIFF_MAX");
    expect_status(sm_logsumexp_f32(SIZE_MAX, FAKE_X, FAKE_Y), SM_ERANGE,
                  "vec: n = SIZE_MAX");
    float r = 0.0f;
    expect_status(sm_logsumexp_f32(17, (const float *)(UINTPTR_MAX - 63), &r),
                  SM_ERANGE, "vec: x end wraps");
    assert_int_equal(f32_bits(r), 0);
}

/* ---- overlap ------------------------------------------------------------ */

/* One buffer that holds both x and y: all of it must be unchanged after a
 * rejected call. */
#define OBUF 1024
static float ob[OBUF], ob_saved[OBUF];

static void obuf_reset(void)
{
    uint64_t s = 0x0BEEF;
    fill_random(ob, OBUF, &s);
    memcpy(ob_saved, ob, sizeof ob);
}

static void obuf_check_clean(const char *what)
{
    if (memcmp(ob, ob_saved, sizeof ob) != 0) {
        print_error("%s: a rejected call wrote to memory\n", what);
        fail();
    }
}

static void expect_overlap(enum op op, size_t rows, size_t cols,
                           const float *x, size_t ldx, float *y, size_t ldy,
                           const char *what)
{
    char msg[160];
    snprintf(msg, sizeof msg, "%s: %s (rows %zu cols %zu ldx %zu ldy %zu)",
             op_names[op], what, rows, cols, ldx, ldy);
    obuf_reset();
    expect_status(call_rows(op, rows, cols, 1.0f, x, ldx, y, ldy), SM_EOVERLAP, msg);
    obuf_check_clean(msg);
    obuf_reset();
    expect_status(call_rows(op, rows, cols, -0.5f, x, ldx, y, ldy), SM_EOVERLAP, msg);
    obuf_check_clean(msg);
}

static void test_overlap_shifted(void **state)
{
    (void)state;
    float *b = ob + 256;
    for (int o = OP_SOFTMAX; o <= OP_LOG_SOFTMAX; o++) {
        const enum op op = (enum op)o;
        /* y one element after / before x, same stride */
        for (size_t cols = 2; cols <= 40; cols += 19) {
            expect_overlap(op, 1, cols, b, cols, b + 1, cols, "y = x + 1");
            expect_overlap(op, 1, cols, b + 1, cols, b, cols, "y = x - 1");
            expect_overlap(op, 3, cols, b, cols, b + 1, cols, "y = x + 1");
            expect_overlap(op, 3, cols, b, cols + 4, b + 1, cols + 4, "y = x + 1");
            expect_overlap(op, 3, cols, b + 1, cols, b, cols, "y = x - 1");
            expect_overlap(op, 1, cols, b, cols, b + cols - 1, cols, "last meets first");
            expect_overlap(op, 1, cols, b + cols - 1, cols, b, cols, "first meets last");
            /* a whole row shifted in a contiguous batch */
            expect_overlap(op, 3, cols, b, cols, b + cols, cols, "y = x + one row");
            expect_overlap(op, 3, cols, b + cols, cols, b, cols, "y = x - one row");
        }
        /* single-vector form */
        obuf_reset();
        expect_status(call_vec(op, 9, b, b + 1), SM_EOVERLAP, "vec y = x + 1");
        obuf_check_clean("vec y = x + 1");
        obuf_reset();
        expect_status(call_vec(op, 9, b + 3, b), SM_EOVERLAP, "vec y = x - 3");
        obuf_check_clean("vec y = x - 3");
        obuf_reset();
        expect_status(call_vec(op, 1, b, b), SM_OK, "vec n 1 in place");
    }
}

static void test_overlap_strides(void **state)
{
    (void)state;
    float *b = ob + 256;
    for (int o = OP_SOFTMAX; o <= OP_LOG_SOFTMAX; o++) {
        const enum op op = (enum op)o;
        /* same start, different strides: only row 0 coincides exactly */
        expect_overlap(op, 3, 8, b, 8, b, 10, "y == x, ldy != ldx");
        expect_overlap(op, 3, 8, b, 12, b, 8, "y == x, ldy != ldx");
        expect_overlap(op, 2, 8, b, 8, b, 9, "y == x, ldy = ldx + 1");
        /* partial overlap, different strides */
        expect_overlap(op, 2, 8, b, 8, b + 4, 10, "y inside x");
        expect_overlap(op, 3, 8, b, 16, b + 20, 9, "y row 0 meets x row 1");
        expect_overlap(op, 3, 8, b + 20, 9, b, 16, "x row 0 meets y row 1");
        expect_overlap(op, 4, 5, b, 7, b + 7 * 3 + 4, 100, "y meets x's last element");
        expect_overlap(op, 4, 5, b + 7 * 3 + 4, 100, b, 7, "x meets y's last element");
        /* y fully contains x and vice versa */
        expect_overlap(op, 1, 4, b + 2, 4, b, 40, "y contains x");
        expect_overlap(op, 2, 40, b, 40, b + 10, 41, "x contains y's start");
    }
}

static void test_overlap_reduce(void **state)
{
    (void)state;
    float *b = ob + 256;
    struct {
        size_t rows, cols, ldx;
        ptrdiff_t result_off;
        const char *what;
    } cases[] = {
        {1, 1, 1, 0, "result == x, 1x1"},
        {3, 8, 8, 0, "result == x"},
        {3, 8, 8, 5, "result inside row 0"},
        {3, 8, 8, 23, "result[0] is x's last element"},
        {3, 8, 10, 27, "result[0] is x's last element, strided"},
        {3, 8, 8, -2, "result[2] is x[0]"},
        {3, 8, 8, -1, "result[1..2] are x[0..1]"},
        {3, 8, 8, 12, "result inside row 1"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        obuf_reset();
        expect_status(sm_logsumexp_rows_f32(cases[c].rows, cases[c].cols, b,
                                            cases[c].ldx,
                                            b + cases[c].result_off,
                                            OPTS(1.0f, 0)),
                      SM_EOVERLAP, cases[c].what);
        obuf_check_clean(cases[c].what);
    }
    obuf_reset();
    expect_status(sm_logsumexp_f32(5, b, b + 4), SM_EOVERLAP, "vec: result is x[4]");
    obuf_check_clean("vec: result is x[4]");
    obuf_reset();
    expect_status(sm_logsumexp_f32(5, b, b), SM_EOVERLAP, "vec: result is x[0]");
    obuf_check_clean("vec: result is x[0]");

    /* Adjacent but disjoint: right after x's last element, right before
     * its first. The values must match a separate result buffer. */
    FOR_EACH_ISA(isa) {
        float ref[3];
        obuf_reset();
        expect_status(sm_logsumexp_rows_f32(3, 8, b, 8, ref, OPTS(1.0f, 0)), SM_OK, "ref");
        obuf_reset();
        expect_status(sm_logsumexp_rows_f32(3, 8, b, 8, b + 24, OPTS(1.0f, 0)), SM_OK,
                      "result right after x");
        assert_int_equal(count_bit_diffs(b + 24, ref, 3), 0);
        assert_memory_equal(b, ob_saved + 256, 24 * sizeof(float));
        obuf_reset();
        expect_status(sm_logsumexp_rows_f32(3, 8, b, 8, b - 3, OPTS(1.0f, 0)), SM_OK,
                      "result right before x");
        assert_int_equal(count_bit_diffs(b - 3, ref, 3), 0);
        assert_memory_equal(b, ob_saved + 256, 24 * sizeof(float));
    }
}

/* Misaligned (not a multiple of 4 bytes apart) overlapping buffers. */
static void test_overlap_misaligned(void **state)
{
    (void)state;
    float *b = ob + 256;
    const uintptr_t base = (uintptr_t)b;
    for (int o = 0; o < OP_COUNT; o++) {
        const enum op op = (enum op)o;
        for (uintptr_t shift = 1; shift <= 3; shift++) {
            float *y_after = (float *)(base + shift);
            float *y_before = (float *)(base - shift);
            float *y_last = (float *)(base + 8 * 4 - shift); /* 1..3 bytes into x[7] */
            char what[96];
            snprintf(what, sizeof what, "%s: y = x + %u bytes", op_names[op],
                     (unsigned)shift);
            obuf_reset();
            expect_status(call_rows(op, 1, 8, 1.0f, b, 8, y_after, 8), SM_EOVERLAP, what);
            obuf_check_clean(what);
            obuf_reset();
            expect_status(call_rows(op, 3, 8, 1.0f, b, 8, y_after, 8), SM_EOVERLAP, what);
            obuf_check_clean(what);
            snprintf(what, sizeof what, "%s: y = x - %u bytes", op_names[op],
                     (unsigned)shift);
            obuf_reset();
            expect_status(call_rows(op, 1, 8, 1.0f, b, 8, y_before, 8), SM_EOVERLAP, what);
            obuf_check_clean(what);
            snprintf(what, sizeof what, "%s: y starts %u bytes before x's end",
                     op_names[op], (unsigned)shift);
            obuf_reset();
            expect_status(call_rows(op, 1, 8, 1.0f, b, 8, y_last, 8), SM_EOVERLAP, what);
            obuf_check_clean(what);
            if (op == OP_LOGSUMEXP)
                continue;
            /* Equal strides, rows that would interleave but for the
             * misalignment: y row 0 straddles x rows 0 and 1's gap edge. */
            float *y_inter = (float *)(base + 8 * 4 + shift);
            snprintf(what, sizeof what, "%s: interleaved + %u bytes", op_names[op],
                     (unsigned)shift);
            obuf_reset();
            expect_status(call_rows(op, 3, 8, 1.0f, b, 16, y_inter, 16), SM_EOVERLAP,
                          what);
            obuf_check_clean(what);
            float *y_inter2 = (float *)(base + 8 * 4 - shift);
            obuf_reset();
            expect_status(call_rows(op, 3, 8, 1.0f, b, 16, y_inter2, 16), SM_EOVERLAP,
                          what);
            obuf_check_clean(what);
        }
    }
}

/* Out of place into a fresh buffer: the reference for in-place and
 * interleaved calls. */
static void out_of_place(enum op op, size_t rows, size_t cols, float beta,
                         const float *x, size_t ldx, float *ref)
{
    float *xc = xmalloc(rows * cols * sizeof(float));
    for (size_t r = 0; r < rows; r++)
        memcpy(xc + r * cols, x + r * ldx, cols * sizeof(float));
    expect_status(call_rows(op, rows, cols, beta, xc, cols, ref, cols), SM_OK,
                  "reference");
    free(xc);
}

static const float some_betas[] = {1.0f, -0.75f, 0.0f, INFINITY, 2.5f};
#define N_SOME_BETAS (sizeof some_betas / sizeof some_betas[0])

static void test_in_place(void **state)
{
    (void)state;
    const size_t cols_list[] = {1, 2, 7, 8, 9, 16, 31, 32, 33, 64, 100, 257};
    uint64_t s = 77;
    FOR_EACH_ISA(isa) {
        for (int o = OP_SOFTMAX; o <= OP_LOG_SOFTMAX; o++) {
            const enum op op = (enum op)o;
            for (size_t c = 0; c < sizeof cols_list / sizeof cols_list[0]; c++) {
                for (size_t bi = 0; bi < N_SOME_BETAS; bi++) {
                    const size_t cols = cols_list[c], rows = 3, ld = cols + 3;
                    const size_t len = (rows - 1) * ld + cols;
                    const float beta = some_betas[bi];
                    float *buf = xmalloc(len * sizeof(float));
                    float *ref = xmalloc(rows * cols * sizeof(float));
                    float *pre = xmalloc(len * sizeof(float));
                    fill_random(buf, len, &s);
                    memcpy(pre, buf, len * sizeof(float));
                    out_of_place(op, rows, cols, beta, buf, ld, ref);

                    expect_status(call_rows(op, rows, cols, beta, buf, ld, buf, ld),
                                  SM_OK, "in place");
                    for (size_t r = 0; r < rows; r++) {
                        assert_int_equal(count_bit_diffs(buf + r * ld, ref + r * cols,
                                                         cols), 0);
                        if (r + 1 < rows) /* padding left alone */
                            assert_int_equal(count_bit_diffs(buf + r * ld + cols,
                                                             pre + r * ld + cols,
                                                             ld - cols), 0);
                    }
                    /* single-vector form, in place */
                    memcpy(buf, pre, cols * sizeof(float));
                    if (beta == 1.0f) {
                        float *r1 = xmalloc(cols * sizeof(float));
                        expect_status(call_vec(op, cols, pre, r1), SM_OK, "vec ref");
                        expect_status(call_vec(op, cols, buf, buf), SM_OK, "vec in place");
                        assert_int_equal(count_bit_diffs(buf, r1, cols), 0);
                        free(r1);
                    }
                    free(buf);
                    free(ref);
                    free(pre);
                }
            }
        }
    }
}

/* Equal strides, rows side by side without touching: allowed, and the
 * input rows are left intact. */
static void interleaved_case(enum op op, size_t rows, size_t cols, size_t ld,
                             ptrdiff_t y_off, float beta, uint64_t *s)
{
    /* x at buf + xo, y at buf + xo + y_off, both inside buf. */
    const size_t xo = y_off < 0 ? (size_t)-y_off : 0;
    const size_t len = xo + (size_t)((ptrdiff_t)((rows - 1) * ld + cols) +
                                     (y_off > 0 ? y_off : 0));
    float *buf = xmalloc(len * sizeof(float));
    float *pre = xmalloc(len * sizeof(float));
    float *ref = xmalloc(rows * cols * sizeof(float));
    fill_random(buf, len, s);
    float *x = buf + xo, *y = buf + xo + y_off;
    memcpy(pre, buf, len * sizeof(float));
    out_of_place(op, rows, cols, beta, x, ld, ref);

    char what[128];
    snprintf(what, sizeof what, "%s interleaved rows %zu cols %zu ld %zu y = x%+td",
             op_names[op], rows, cols, ld, y_off);
    expect_status(call_rows(op, rows, cols, beta, x, ld, y, ld), SM_OK, what);
    for (size_t r = 0; r < rows; r++) {
        /* x rows unchanged */
        assert_int_equal(count_bit_diffs(x + r * ld, pre + xo + r * ld, cols), 0);
        /* y rows equal the out-of-place result */
        assert_int_equal(count_bit_diffs(y + r * ld, ref + r * cols, cols), 0);
    }
    free(buf);
    free(pre);
    free(ref);
}

static void test_interleaved_disjoint(void **state)
{
    (void)state;
    const size_t cols_list[] = {1, 3, 8, 13, 32, 70};
    uint64_t s = 99;
    FOR_EACH_ISA(isa) {
        for (int o = OP_SOFTMAX; o <= OP_LOG_SOFTMAX; o++) {
            for (size_t c = 0; c < sizeof cols_list / sizeof cols_list[0]; c++) {
                const size_t n = cols_list[c];
                for (size_t bi = 0; bi < N_SOME_BETAS; bi += 2) {
                    const float beta = some_betas[bi];
                    /* ld = 2n: y fills the gaps exactly */
                    interleaved_case((enum op)o, 4, n, 2 * n, (ptrdiff_t)n, beta, &s);
                    interleaved_case((enum op)o, 4, n, 2 * n, -(ptrdiff_t)n, beta, &s);
                    interleaved_case((enum op)o, 1, n, 2 * n, (ptrdiff_t)n, beta, &s);
                    /* wider gaps, y not flush with either neighbour */
                    interleaved_case((enum op)o, 3, n, 3 * n + 2, (ptrdiff_t)n + 1,
                                     beta, &s);
                    interleaved_case((enum op)o, 3, n, 3 * n + 2,
                                     -(ptrdiff_t)(2 * n + 1), beta, &s);
                    /* y interleaved one row further on */
                    interleaved_case((enum op)o, 3, n, 2 * n, (ptrdiff_t)(3 * n),
                                     beta, &s);
                }
            }
        }
    }
}

static void test_interleaved_touching(void **state)
{
    (void)state;
    float *b = ob + 256;
    for (int o = OP_SOFTMAX; o <= OP_LOG_SOFTMAX; o++) {
        const enum op op = (enum op)o;
        for (size_t n = 2; n <= 24; n += 11) {
            const size_t ld = 2 * n;
            expect_overlap(op, 2, n, b, ld, b + n - 1, ld, "y = x + cols - 1");
            expect_overlap(op, 4, n, b, ld, b + n - 1, ld, "y = x + cols - 1");
            expect_overlap(op, 4, n, b + n - 1, ld, b, ld, "x = y + cols - 1");
            expect_overlap(op, 2, n, b, ld, b + n + 1, ld, "y = x + cols + 1");
            expect_overlap(op, 4, n, b + n + 1, ld, b, ld, "x = y + cols + 1");
            expect_overlap(op, 3, n, b, ld, b + 3 * n - 1, ld, "y row 0 meets x row 1");
            expect_overlap(op, 3, n, b, ld, b + 2 * n, ld, "y = x + one stride");
            expect_overlap(op, 3, n, b, 3 * n, b + 3 * n + n - 1, 3 * n,
                           "y row 0 meets x row 1's end");
        }
        expect_overlap(op, 2, 1, b, 1, b + 1, 1, "1 col: y = x + 1");
    }
}

/* ---- guard pages -------------------------------------------------------- */

enum kind { K_RANDOM, K_MASKED, K_NAN_LAST, K_COUNT };

static void make_row(float *x, size_t n, enum kind k, uint64_t *s)
{
    for (size_t i = 0; i < n; i++)
        x[i] = k == K_MASKED ? -INFINITY : rng_uniform(s, -20.0f, 20.0f);
    if (k == K_NAN_LAST && n)
        x[n - 1] = NAN;
}

static sm_status call_one(enum op op, size_t n, float beta, const float *x,
                          float *y)
{
    return beta == 1.0f ? call_vec(op, n, x, y)
                        : call_rows(op, 1, n, beta, x, n, y, n);
}

enum gmode { G_OUT, G_IN, G_IN_PLACE };

/* One guarded call: the guarded buffer is n + k floats and the row uses
 * its last n (ending at the PROT_NONE page); the k floats before it are
 * sentinels (G_OUT, G_IN_PLACE) or NaN that must not be read (G_IN). The
 * other operand lives on the heap at offset k, so the two starts' relative
 * alignment varies too. */
static void guard_case(enum op op, size_t n, size_t k, float beta, enum kind kind,
                       enum gmode mode, uint64_t *s)
{
    const size_t out = row_out_len(op, n);
    float *xh = xmalloc((n + 16) * sizeof(float));
    float *ref = xmalloc(out * sizeof(float));
    make_row(xh + k, n, kind, s);
    expect_status(call_one(op, n, beta, xh + k, ref), SM_OK, "reference");

    struct guard_buf g;
    char what[128];
    snprintf(what, sizeof what, "%s guard %s n %zu k %zu beta %g kind %d isa %s",
             op_names[op], mode == G_OUT ? "out" : mode == G_IN ? "in" : "in-place",
             n, k, (double)beta, (int)kind, sm_isa_name(sm_isa_active()));
    if (mode == G_OUT) {
        float *p = guard_alloc(&g, out + k);
        assert_non_null(p);
        fill_sent(p, out + k);
        expect_status(call_one(op, n, beta, xh + k, p + k), SM_OK, what);
        if (count_bit_diffs(p + k, ref, out) || count_touched(p, k)) {
            print_error("%s: wrong output or write before the start\n", what);
            fail();
        }
    } else if (mode == G_IN) {
        float *p = guard_alloc(&g, n + k);
        assert_non_null(p);
        for (size_t i = 0; i < k; i++)
            p[i] = NAN;
        memcpy(p + k, xh + k, n * sizeof(float));
        float *yh = xmalloc((out + 32) * sizeof(float));
        fill_sent(yh, out + 32);
        expect_status(call_one(op, n, beta, p + k, yh + k), SM_OK, what);
        if (count_bit_diffs(yh + k, ref, out) || count_touched(yh, k) ||
            count_touched(yh + k + out, 32 - k) ||
            count_bit_diffs(p + k, xh + k, n)) {
            print_error("%s: wrong output, stray write or modified input\n", what);
            fail();
        }
        free(yh);
    } else {
        float *p = guard_alloc(&g, n + k);
        assert_non_null(p);
        fill_sent(p, k);
        memcpy(p + k, xh + k, n * sizeof(float));
        expect_status(call_one(op, n, beta, p + k, p + k), SM_OK, what);
        if (count_bit_diffs(p + k, ref, n) || count_touched(p, k)) {
            print_error("%s: wrong output or write before the start\n", what);
            fail();
        }
    }
    if (guard_free(&g) != 0) {
        print_error("%s: canary before the buffer overwritten\n", what);
        fail();
    }
    free(xh);
    free(ref);
}

static const size_t big_sizes[] = {127, 128, 129, 1000, 4097, 65537,
                                   262144 + 3 /* two contract chunks */};
#define N_BIG (sizeof big_sizes / sizeof big_sizes[0])

static void guard_sweep(enum gmode mode)
{
    static const float betas[] = {1.0f, 0.0f, -1.5f};
    uint64_t s = 0xFEED + (uint64_t)mode;
    FOR_EACH_ISA(isa) {
        for (int o = 0; o < OP_COUNT; o++) {
            const enum op op = (enum op)o;
            if (mode == G_IN_PLACE && op == OP_LOGSUMEXP)
                continue;
            for (size_t si = 0; si < 70 + N_BIG; si++) {
                const size_t n = si < 70 ? si + 1 : big_sizes[si - 70];
                const int large = n >= 4096;
                /* quick: offsets 0, 5, 10, 15 (large: 0, 15); no 65537 */
                if (test_quick() && n == 65537)
                    continue;
                const size_t step = test_quick() ? (large ? 15 : 5) : large ? 5 : 1;
                for (size_t k = 0; k < 16; k += step) {
                    for (size_t b = 0; b < 3; b++) {
                        if (large && b > 0)
                            continue;
                        for (int kind = 0; kind < K_COUNT; kind++) {
                            if (large && kind == K_NAN_LAST)
                                continue;
                            guard_case(op, n, k, betas[b], (enum kind)kind, mode, &s);
                        }
                    }
                }
            }
        }
    }
}

static void test_guard_output(void **state)
{
    (void)state;
    guard_sweep(G_OUT);
}

static void test_guard_input(void **state)
{
    (void)state;
    guard_sweep(G_IN);
}

static void test_guard_in_place(void **state)
{
    (void)state;
    guard_sweep(G_IN_PLACE);
}

/* rows = 3 with ldx != ldy > cols: the padding between output rows stays
 * untouched, x's padding (NaN) is never read, and each row equals the
 * one-row call. Both the last x row and the last y row end at a guard. */
static void test_guard_batched_padding(void **state)
{
    (void)state;
    const size_t cols_list[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33,
                                63, 64, 65, 100, 257, 1000};
    const size_t pads[] = {1, 5, 16};
    const size_t rows = 3;
    uint64_t s = 4242;
    FOR_EACH_ISA(isa) {
        for (int o = 0; o < OP_COUNT; o++) {
            const enum op op = (enum op)o;
            for (size_t c = 0; c < sizeof cols_list / sizeof cols_list[0]; c++) {
                for (size_t pi = 0; pi < sizeof pads / sizeof pads[0]; pi++) {
                    for (size_t bi = 0; bi < N_SOME_BETAS; bi++) {
                        const size_t cols = cols_list[c];
                        const size_t ldy = cols + pads[pi], ldx = ldy + 2;
                        const size_t xlen = (rows - 1) * ldx + cols;
                        const size_t ylen = op == OP_LOGSUMEXP
                                                ? rows : (rows - 1) * ldy + cols;
                        const float beta = some_betas[bi];
                        struct guard_buf gx, gy;
                        float *x = guard_alloc(&gx, xlen);
                        float *y = guard_alloc(&gy, ylen);
                        assert_non_null(x);
                        assert_non_null(y);
                        for (size_t i = 0; i < xlen; i++)
                            x[i] = NAN;
                        for (size_t r = 0; r < rows; r++)
                            make_row(x + r * ldx, cols, r == 1 ? K_MASKED : K_RANDOM, &s);
                        float *xpre = xmalloc(xlen * sizeof(float));
                        memcpy(xpre, x, xlen * sizeof(float));
                        fill_sent(y, ylen);

                        char what[128];
                        snprintf(what, sizeof what, "%s rows 3 cols %zu ldx %zu ldy %zu "
                                 "beta %g isa %s", op_names[op], cols, ldx, ldy,
                                 (double)beta, sm_isa_name(sm_isa_active()));
                        expect_status(call_rows(op, rows, cols, beta, x, ldx, y, ldy),
                                      SM_OK, what);
                        const size_t out = row_out_len(op, cols);
                        float *one = xmalloc(out * sizeof(float));
                        for (size_t r = 0; r < rows; r++) {
                            expect_status(call_rows(op, 1, cols, beta, xpre + r * ldx,
                                                    cols, one, cols), SM_OK, "row ref");
                            const float *yr = op == OP_LOGSUMEXP ? y + r : y + r * ldy;
                            if (count_bit_diffs(yr, one, out)) {
                                print_error("%s: row %zu differs\n", what, r);
                                fail();
                            }
                            if (op != OP_LOGSUMEXP && r + 1 < rows &&
                                count_touched(y + r * ldy + cols, ldy - cols)) {
                                print_error("%s: padding after row %zu written\n", what, r);
                                fail();
                            }
                        }
                        if (count_bit_diffs(x, xpre, xlen)) {
                            print_error("%s: input modified\n", what);
                            fail();
                        }
                        assert_int_equal(guard_free(&gx), 0);
                        assert_int_equal(guard_free(&gy), 0);
                        free(xpre);
                        free(one);
                    }
                }
            }
        }
    }
}

/* ---- ISA API ------------------------------------------------------------ */

static sm_isa initial_isa; /* the automatic choice, read before any force */

static void test_isa_supported(void **state)
{
    (void)state;
    const unsigned sup = sm_isa_supported();
    assert_true(sup & (1u << SM_ISA_SCALAR));
    assert_int_equal(sup >> SM_ISA_COUNT, 0); /* no bit beyond the enum */
    assert_true(sup & (1u << initial_isa));
    assert_int_equal(sm_isa_supported(), sup); /* stable */
#if defined(__x86_64__) || defined(__i386__)
    assert_false(sup & (1u << SM_ISA_NEON));
    assert_false(sup & (1u << SM_ISA_SVE));
    if (sup & (1u << SM_ISA_AVX512))
        assert_true(sup & (1u << SM_ISA_AVX2));
#elif defined(__aarch64__)
    assert_false(sup & (1u << SM_ISA_AVX2));
    assert_false(sup & (1u << SM_ISA_AVX512));
#endif
    for (int i = 0; i < SM_ISA_COUNT; i++) {
        const struct sm_kernels *t = sm_dispatch_table((sm_isa)i);
        if (sup & (1u << i)) {
            assert_non_null(t);
            assert_non_null(t->softmax_rows);
            assert_non_null(t->log_softmax_rows);
            assert_non_null(t->logsumexp_rows);
        } else {
            assert_null(t);
        }
    }
}

static void test_isa_force(void **state)
{
    (void)state;
    const unsigned sup = sm_isa_supported();
    const float x[5] = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f};
    float y_ref[5], y[5];
    assert_int_equal(sm_isa_force(SM_ISA_SCALAR), SM_OK);
    assert_int_equal(sm_softmax_f32(5, x, y_ref), SM_OK);

    for (int i = SM_ISA_SCALAR; i <= SM_ISA_SVE; i++) {
        const sm_isa isa = (sm_isa)i;
        const sm_isa before = sm_isa_active();
        const sm_status st = sm_isa_force(isa);
        if (sup & (1u << i)) {
            assert_int_equal(st, SM_OK);
            assert_int_equal(sm_isa_active(), isa);
            /* the public entry points now use this ISA's table */
            assert_ptr_equal(sm_dispatch(), sm_dispatch_table(isa));
            assert_int_equal(sm_softmax_f32(5, x, y), SM_OK);
            assert_int_equal(count_bit_diffs(y, y_ref, 5), 0);
        } else {
            assert_int_equal(st, SM_ENOTSUP);
            assert_int_equal(sm_isa_active(), before); /* unchanged */
            assert_ptr_equal(sm_dispatch(), sm_dispatch_table(before));
        }
    }
    assert_int_equal(sm_isa_force(SM_ISA_AUTO), SM_OK);
    assert_int_equal(sm_isa_active(), initial_isa);
    assert_ptr_equal(sm_dispatch(), sm_dispatch_table(initial_isa));
    /* AUTO is idempotent */
    assert_int_equal(sm_isa_force(SM_ISA_AUTO), SM_OK);
    assert_int_equal(sm_isa_active(), initial_isa);
}

static void test_isa_force_invalid(void **state)
{
    (void)state;
    const int bad[] = {99, -2, SM_ISA_COUNT, SM_ISA_COUNT + 1, 31, 32, 64,
                       INT_MAX, INT_MIN, -100};
    assert_int_equal(sm_isa_force(SM_ISA_SCALAR), SM_OK);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(sm_isa_force((sm_isa)bad[i]), SM_EINVAL);
        assert_int_equal(sm_isa_active(), SM_ISA_SCALAR); /* unchanged */
        assert_ptr_equal(sm_dispatch(), sm_dispatch_table(SM_ISA_SCALAR));
    }
    assert_int_equal(sm_isa_force(SM_ISA_AUTO), SM_OK);
    assert_int_equal(sm_isa_active(), initial_isa);
}

static void test_isa_names(void **state)
{
    (void)state;
    static const char *const names[SM_ISA_COUNT] = {"scalar", "avx2", "avx512",
                                                    "neon", "sve"};
    static const char *const mixed[SM_ISA_COUNT] = {"SCALAR", "Avx2", "AVX512",
                                                    "nEoN", "SvE"};
    for (int i = 0; i < SM_ISA_COUNT; i++) {
        assert_string_equal(sm_isa_name((sm_isa)i), names[i]);
        sm_isa got = SM_ISA_AUTO;
        assert_int_equal(sm_isa_from_name(names[i], &got), SM_OK);
        assert_int_equal(got, i);
        got = SM_ISA_AUTO;
        assert_int_equal(sm_isa_from_name(mixed[i], &got), SM_OK);
        assert_int_equal(got, i);
        /* round trip through the name */
        got = SM_ISA_AUTO;
        assert_int_equal(sm_isa_from_name(sm_isa_name((sm_isa)i), &got), SM_OK);
        assert_int_equal(got, i);
    }
    assert_string_equal(sm_isa_name(SM_ISA_AUTO), "auto");
    sm_isa got = SM_ISA_SCALAR;
    assert_int_equal(sm_isa_from_name("auto", &got), SM_OK);
    assert_int_equal(got, SM_ISA_AUTO);
    got = SM_ISA_SCALAR;
    assert_int_equal(sm_isa_from_name("AUTO", &got), SM_OK);
    assert_int_equal(got, SM_ISA_AUTO);

    assert_string_equal(sm_isa_name((sm_isa)99), "unknown");
    assert_string_equal(sm_isa_name((sm_isa)-2), "unknown");
    assert_string_equal(sm_isa_name((sm_isa)SM_ISA_COUNT), "unknown");

    const char *const unknown[] = {"", "unknown", "avx", "avx-512", "avx2 ",
                                   " avx2", "scalarx", "sca", "neon2", "sve2",
                                   "x86", "bogus"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        sm_isa out = (sm_isa)77;
        assert_int_equal(sm_isa_from_name(unknown[i], &out), SM_EINVAL);
        assert_int_equal(out, 77); /* nothing written */
    }
    sm_isa out = (sm_isa)77;
    assert_int_equal(sm_isa_from_name(NULL, &out), SM_EINVAL);
    assert_int_equal(out, 77);
    assert_int_equal(sm_isa_from_name("avx2", NULL), SM_EINVAL);
}

static void test_strerror(void **state)
{
    (void)state;
    const sm_status all[] = {SM_OK, SM_EINVAL, SM_EOVERLAP, SM_ERANGE, SM_ENOTSUP};
    const size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n; i++) {
        const char *a = sm_strerror(all[i]);
        assert_non_null(a);
        assert_true(a[0] != '\0');
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(a, sm_strerror(all[j]));
    }
    const int unknown[] = {5, 99, -1, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *u = sm_strerror((sm_status)unknown[i]);
        assert_non_null(u);
        assert_true(u[0] != '\0');
        assert_string_not_equal(u, sm_strerror(SM_OK)); /* not "success" */
    }
}

static void test_version(void **state)
{
    (void)state;
    assert_non_null(sm_version());
    assert_string_equal(sm_version(), SM_VERSION_STRING);
    char buf[64];
    snprintf(buf, sizeof buf, "%d.%d.%d", SM_VERSION_MAJOR, SM_VERSION_MINOR,
             SM_VERSION_PATCH);
    assert_string_equal(buf, SM_VERSION_STRING);
    int maj = -1, min = -1, pat = -1;
    assert_int_equal(sscanf(sm_version(), "%d.%d.%d", &maj, &min, &pat), 3);
    assert_int_equal(maj, SM_VERSION_MAJOR);
    assert_int_equal(min, SM_VERSION_MINOR);
    assert_int_equal(pat, SM_VERSION_PATCH);
    assert_int_equal(SM_VERSION_NUMBER, (maj << 16) | (min << 8) | pat);
}

static void test_cpu_features(void **state)
{
    (void)state;
    const char *f = sm_cpu_features();
    assert_non_null(f);
    assert_true(f[0] != '\0');
    assert_ptr_equal(sm_cpu_features(), f); /* computed once */
    printf("cpu features: %s; supported ISAs:", f);
    for (int i = 0; i < SM_ISA_COUNT; i++)
        if (sm_isa_supported() & (1u << i))
            printf(" %s", sm_isa_name((sm_isa)i));
    printf("; automatic: %s\n", sm_isa_name(initial_isa));
#if defined(__x86_64__) || defined(__i386__)
    /* what the dispatcher enabled, it must have seen */
    if (sm_isa_supported() & (1u << SM_ISA_AVX2)) {
        assert_non_null(strstr(f, "avx2"));
        assert_non_null(strstr(f, "fma3"));
    }
    if (sm_isa_supported() & (1u << SM_ISA_AVX512))
        assert_non_null(strstr(f, "avx512f"));
#endif
}

/* ---- options structs ------------------------------------------------------ */

/* No padding in any options struct: a member added later makes sizeof
 * grow, which is how the library tells a newer struct from its own. */
_Static_assert(sizeof(sm_options) == offsetof(sm_options, parallel) +
                                        sizeof(const sm_parallel *) &&
                   offsetof(sm_options, parallel) ==
                       offsetof(sm_options, flags) + sizeof(sm_flags),
               "sm_options has padding");
_Static_assert(sizeof(sm_loss_options) ==
                   offsetof(sm_loss_options, reserved) + sizeof(unsigned),
               "sm_loss_options has padding");
_Static_assert(sizeof(sm_cross_entropy_options) ==
                   offsetof(sm_cross_entropy_options, class_weights) +
                       sizeof(const float *),
               "sm_cross_entropy_options has padding");

/* the members' sizes: 3 size_t, 6 float, flags, seed, top_k, 2 uint32_t,
 * 5 pointers */
_Static_assert(sizeof(sm_sampler_options) ==
                   3 * sizeof(size_t) + 6 * sizeof(float) + sizeof(sm_flags) +
                       sizeof(uint64_t) + sizeof(int32_t) +
                       2 * sizeof(uint32_t) + 5 * sizeof(void *),
               "sm_sampler_options has padding");

/* size, scale, flags, mask, valid_length, lse */
_Static_assert(sizeof(sm_attention_options) ==
                   offsetof(sm_attention_options, lse) + sizeof(float *) &&
                   offsetof(sm_attention_options, scale) ==
                       offsetof(sm_options, beta) &&
                   offsetof(sm_attention_options, flags) ==
                       offsetof(sm_options, flags),
               "sm_attention_options has padding");
/* The online state: a fixed 32-byte layout (arrays of it cross process
 * boundaries, e.g. as an MPI struct type). */
_Static_assert(sizeof(sm_softmax_state) == 32 &&
                   offsetof(sm_softmax_state, sum) == 0 &&
                   offsetof(sm_softmax_state, count) == 8 &&
                   offsetof(sm_softmax_state, max) == 16 &&
                   offsetof(sm_softmax_state, beta) == 20 &&
                   offsetof(sm_softmax_state, flags) == 24 &&
                   offsetof(sm_softmax_state, reserved) == 28,
               "sm_softmax_state's layout");

/* The smallest size the library takes: through beta. */
#define MIN_SIZE(T) (offsetof(T, beta) + sizeof(float))

static void test_options_init_defaults(void **state)
{
    (void)state;
    const sm_options o = SM_OPTIONS_INIT;
    assert_int_equal(o.size, sizeof(sm_options));
    assert_true(o.beta == 1.0f);
    assert_int_equal(o.flags, 0);
    assert_null(o.parallel);
    const sm_loss_options lo = SM_LOSS_OPTIONS_INIT;
    assert_int_equal(lo.size, sizeof(sm_loss_options));
    assert_true(lo.beta == 1.0f);
    assert_int_equal(lo.flags, 0);
    assert_int_equal(lo.reduction, SM_REDUCTION_MEAN);
    const sm_cross_entropy_options ce = SM_CROSS_ENTROPY_OPTIONS_INIT;
    assert_int_equal(ce.size, sizeof(sm_cross_entropy_options));
    assert_true(ce.beta == 1.0f);
    assert_int_equal(ce.flags, 0);
    assert_int_equal(ce.reduction, SM_REDUCTION_MEAN);
    assert_int_equal(ce.ignore_index, -100);
    assert_true(ce.label_smoothing == 0.0f);
    assert_null(ce.class_weights);
    assert_true(ce.l2 == 0.0f);
    /* beta, flags, reduction: the same place in every struct */
    assert_int_equal(offsetof(sm_options, beta), offsetof(sm_loss_options, beta));
    assert_int_equal(offsetof(sm_options, flags), offsetof(sm_loss_options, flags));
    assert_int_equal(offsetof(sm_options, beta),
                     offsetof(sm_cross_entropy_options, beta));
    assert_int_equal(offsetof(sm_options, flags),
                     offsetof(sm_cross_entropy_options, flags));
    assert_int_equal(offsetof(sm_loss_options, reduction),
                     offsetof(sm_cross_entropy_options, reduction));
}

/* NULL options and SM_OPTIONS_INIT give the defaults: the short forms'
 * bits; a size from the end of beta to sizeof is read up to that size,
 * the rest defaulted; any other size is SM_EINVAL with nothing written. */
static void test_options_size_rules(void **state)
{
    (void)state;
    enum { N = 37 };
    float x[N], ref[N], y[N], half[N];
    uint64_t seed = 77;
    fill_random(x, N, &seed);
    const sm_options init = SM_OPTIONS_INIT;
    FOR_EACH_ISA(isa) {
        for (int op = 0; op < OP_COUNT; op++) {
            const size_t len = row_out_len((enum op)op, N);
            assert_int_equal(call_vec((enum op)op, N, x, ref), SM_OK);
            fill_sent(y, N);
            assert_int_equal(call_opts((enum op)op, 1, N, x, N, y, N, NULL),
                             SM_OK);
            assert_int_equal(count_bit_diffs(y, ref, len), 0);
            assert_int_equal(call_rows((enum op)op, 1, N, init.beta, x, N, y, N),
                             SM_OK);
            assert_int_equal(count_bit_diffs(y, ref, len), 0);
            /* beta 0.5 in full options: the reference for the short sizes */
            sm_options o = SM_OPTIONS_INIT;
            o.beta = 0.5f;
            assert_int_equal(call_rows((enum op)op, 1, N, 0.5f, x, N, half, N),
                             SM_OK);
            /* a size covering only beta: flags take their default, even
             * bits that would be rejected if read */
            o.size = MIN_SIZE(sm_options);
            o.flags = 0x80u;
            fill_sent(y, N);
            assert_int_equal(call_opts((enum op)op, 1, N, x, N, y, N, &o),
                             SM_OK);
            assert_int_equal(count_bit_diffs(y, half, len), 0);
            /* read in full, the same bits are rejected */
            o.size = sizeof o;
            fill_sent(y, N);
            assert_int_equal(sm_softmax_rows_f32(1, N, x, N, y, N, &o), SM_EINVAL);
            assert_int_equal(count_touched(y, N), 0);
            /* sizes out of range */
            const size_t bad[] = {0, 1, sizeof(size_t), MIN_SIZE(sm_options) - 1,
                                  sizeof(sm_options) + 1, sizeof(sm_options) + 8,
                                  SIZE_MAX};
            o.flags = 0;
            for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
                o.size = bad[b];
                fill_sent(y, N);
                assert_int_equal(call_opts((enum op)op, 1, N, x, N, y, N, &o),
                                 SM_EINVAL);
                assert_int_equal(count_touched(y, N), 0);
            }
        }
    }
    /* the backward functions and the Jacobian read the same struct */
    float dx[N], jac[9];
    sm_options o = SM_OPTIONS_INIT;
    assert_int_equal(sm_softmax_f32(N, x, y), SM_OK);
    assert_int_equal(sm_softmax_backward_rows_f32(1, N, y, N, x, N, dx, N, NULL),
                     SM_OK);
    assert_int_equal(sm_log_softmax_backward_rows_f32(1, N, y, N, x, N, dx, N,
                                                      NULL), SM_OK);
    assert_int_equal(sm_softmax_jacobian_f32(3, x, jac, 3, NULL), SM_OK);
    o.size = sizeof(sm_options) + 1;
    assert_int_equal(sm_softmax_backward_rows_f32(1, N, y, N, x, N, dx, N, &o),
                     SM_EINVAL);
    assert_int_equal(sm_log_softmax_backward_rows_f32(1, N, y, N, x, N, dx, N,
                                                      &o), SM_EINVAL);
    assert_int_equal(sm_softmax_jacobian_f32(3, x, jac, 3, &o), SM_EINVAL);
    o.size = 0;
    assert_int_equal(sm_softmax_jacobian_f32(3, x, jac, 3, &o), SM_EINVAL);
    /* the empty cases still check the options */
    assert_int_equal(sm_softmax_rows_f32(0, 0, NULL, 0, NULL, 0, &o), SM_EINVAL);
    assert_int_equal(sm_logsumexp_rows_f32(0, 0, NULL, 0, NULL, &o), SM_EINVAL);
}

/* The loss options follow the same rules: a size through flags leaves the
 * reduction at MEAN, one through reduction leaves cross-entropy's own
 * fields at their defaults. */
static void test_loss_options_size_rules(void **state)
{
    (void)state;
    enum { ROWS = 3, N = 5 };
    float x[ROWS * N], q[ROWS * N], g[ROWS * N], g_ref[ROWS * N];
    float loss[ROWS], loss_ref[ROWS];
    uint64_t seed = 78;
    fill_random(x, ROWS * N, &seed);
    for (size_t i = 0; i < ROWS * N; i++)
        q[i] = 1.0f / N;
    const int32_t labels[ROWS] = {1, -100, 4};

    /* soft cross-entropy: NULL = INIT = beta 1, MEAN */
    sm_loss_options lo = SM_LOSS_OPTIONS_INIT;
    assert_int_equal(sm_soft_cross_entropy_rows_f32(ROWS, N, x, N, q, N,
                                                    loss_ref, g_ref, N, &lo),
                     SM_OK);
    assert_int_equal(sm_soft_cross_entropy_rows_f32(ROWS, N, x, N, q, N, loss, g,
                                                    N, NULL), SM_OK);
    assert_int_equal(count_bit_diffs(loss, loss_ref, 1), 0);
    assert_int_equal(count_bit_diffs(g, g_ref, ROWS * N), 0);
    /* through flags only: a reduction that would be rejected is not read */
    lo.size = offsetof(sm_loss_options, reduction);
    lo.reduction = (sm_reduction)99;
    assert_int_equal(sm_soft_cross_entropy_rows_f32(ROWS, N, x, N, q, N, loss, g,
                                                    N, &lo), SM_OK);
    assert_int_equal(count_bit_diffs(loss, loss_ref, 1), 0);
    assert_int_equal(count_bit_diffs(g, g_ref, ROWS * N), 0);
    lo.size = sizeof lo;
    assert_int_equal(sm_soft_cross_entropy_rows_f32(ROWS, N, x, N, q, N, loss, g,
                                                    N, &lo), SM_EINVAL);
    lo.reduction = SM_REDUCTION_MEAN;
    /* the reserved member: read and rejected unless 0 */
    lo.reserved = 1;
    fill_sent(loss, ROWS);
    assert_int_equal(sm_soft_cross_entropy_rows_f32(ROWS, N, x, N, q, N, loss, g,
                                                    N, &lo), SM_EINVAL);
    assert_int_equal(count_touched(loss, ROWS), 0);
    lo.reserved = 0;
    const size_t bad[] = {0, MIN_SIZE(sm_loss_options) - 1,
                          sizeof(sm_loss_options) + 1, SIZE_MAX};
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        lo.size = bad[b];
        fill_sent(loss, ROWS);
        fill_sent(g, ROWS * N);
        assert_int_equal(sm_soft_cross_entropy_rows_f32(ROWS, N, x, N, q, N, loss,
                                                        g, N, &lo), SM_EINVAL);
        assert_int_equal(sm_kl_div_rows_f32(ROWS, N, x, N, q, N, loss, g, N, &lo),
                         SM_EINVAL);
        assert_int_equal(sm_distillation_rows_f32(ROWS, N, x, N, q, N, loss, g, N,
                                                  &lo), SM_EINVAL);
        assert_int_equal(sm_entropy_rows_f32(ROWS, N, x, N, loss, g, N, &lo),
                         SM_EINVAL);
        assert_int_equal(count_touched(loss, ROWS), 0);
        assert_int_equal(count_touched(g, ROWS * N), 0);
    }
    /* NULL for the others: beta 1 (distillation T = 1), MEAN */
    assert_int_equal(sm_kl_div_rows_f32(ROWS, N, x, N, q, N, loss, g, N, NULL),
                     SM_OK);
    assert_int_equal(sm_distillation_rows_f32(ROWS, N, x, N, x, N, loss, g, N,
                                              NULL), SM_OK);
    assert_true(fabsf(loss[0]) <= 1e-6f); /* KL of a row against itself */
    assert_int_equal(sm_entropy_rows_f32(ROWS, N, x, N, loss, g, N, NULL), SM_OK);

    /* cross-entropy: NULL = INIT */
    sm_cross_entropy_options ce = SM_CROSS_ENTROPY_OPTIONS_INIT;
    assert_int_equal(sm_cross_entropy_rows_f32(ROWS, N, x, N, labels, loss_ref,
                                               g_ref, N, &ce), SM_OK);
    assert_int_equal(sm_cross_entropy_rows_f32(ROWS, N, x, N, labels, loss, g, N,
                                               NULL), SM_OK);
    assert_int_equal(count_bit_diffs(loss, loss_ref, 1), 0);
    assert_int_equal(count_bit_diffs(g, g_ref, ROWS * N), 0);
    /* through reduction: ignore_index -100, no smoothing, weights or L2,
     * whatever the fields beyond hold */
    ce.size = offsetof(sm_cross_entropy_options, ignore_index);
    ce.ignore_index = 4;
    ce.label_smoothing = 7.0f;
    ce.class_weights = (const float *)1;
    ce.l2 = -1.0f;
    assert_int_equal(sm_cross_entropy_rows_f32(ROWS, N, x, N, labels, loss, g, N,
                                               &ce), SM_OK);
    assert_int_equal(count_bit_diffs(loss, loss_ref, 1), 0);
    assert_int_equal(count_bit_diffs(g, g_ref, ROWS * N), 0);
    /* through ignore_index: read (label 4 ignored, -100 now out of range) */
    ce.size = offsetof(sm_cross_entropy_options, label_smoothing);
    assert_int_equal(sm_cross_entropy_rows_f32(ROWS, N, x, N, labels, loss, g, N,
                                               &ce), SM_EINVAL);
    const size_t ce_bad[] = {0, MIN_SIZE(sm_cross_entropy_options) - 1,
                             sizeof(sm_cross_entropy_options) + 1, SIZE_MAX};
    ce = (sm_cross_entropy_options)SM_CROSS_ENTROPY_OPTIONS_INIT;
    for (size_t b = 0; b < sizeof ce_bad / sizeof ce_bad[0]; b++) {
        ce.size = ce_bad[b];
        fill_sent(loss, ROWS);
        fill_sent(g, ROWS * N);
        assert_int_equal(sm_cross_entropy_rows_f32(ROWS, N, x, N, labels, loss, g,
                                                   N, &ce), SM_EINVAL);
        assert_int_equal(count_touched(loss, ROWS), 0);
        assert_int_equal(count_touched(g, ROWS * N), 0);
    }
}

/* A plain positive call through every public computing function, so a
 * broken happy path is not mistaken for a passing error path. */
static void test_happy_path(void **state)
{
    (void)state;
    const float x[4] = {1.0f, 2.0f, 3.0f, 4.0f};
    float y[4], l[4], r = 0.0f;
    FOR_EACH_ISA(isa) {
        assert_int_equal(sm_softmax_f32(4, x, y), SM_OK);
        assert_int_equal(sm_log_softmax_f32(4, x, l), SM_OK);
        assert_int_equal(sm_logsumexp_f32(4, x, &r), SM_OK);
        double sum = 0.0;
        for (int i = 0; i < 4; i++) {
            sum += y[i];
            assert_true(y[i] > 0.0f && y[i] < 1.0f);
            assert_float_equal(l[i], x[i] - r, 1e-5);
        }
        assert_float_equal(sum, 1.0, 1e-6);
        assert_float_equal(r, 4.4401896985611957, 1e-5);
    }
}

int main(void)
{
    initial_isa = sm_isa_active();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_happy_path, restore_auto),
        cmocka_unit_test(test_null_pointers),
        cmocka_unit_test_teardown(test_null_allowed_when_empty, restore_auto),
        cmocka_unit_test_teardown(test_empty_vectors, restore_auto),
        cmocka_unit_test(test_stride_too_small),
        cmocka_unit_test(test_nan_beta),
        cmocka_unit_test(test_non_nan_beta_accepted),
        cmocka_unit_test(test_size_overflow),
        cmocka_unit_test(test_size_overflow_reduce),
        cmocka_unit_test(test_overlap_shifted),
        cmocka_unit_test(test_overlap_strides),
        cmocka_unit_test_teardown(test_overlap_reduce, restore_auto),
        cmocka_unit_test(test_overlap_misaligned),
        cmocka_unit_test_teardown(test_in_place, restore_auto),
        cmocka_unit_test_teardown(test_interleaved_disjoint, restore_auto),
        cmocka_unit_test(test_interleaved_touching),
        cmocka_unit_test_teardown(test_guard_output, restore_auto),
        cmocka_unit_test_teardown(test_guard_input, restore_auto),
        cmocka_unit_test_teardown(test_guard_in_place, restore_auto),
        cmocka_unit_test_teardown(test_guard_batched_padding, restore_auto),
        cmocka_unit_test(test_isa_supported),
        cmocka_unit_test_teardown(test_isa_force, restore_auto),
        cmocka_unit_test_teardown(test_isa_force_invalid, restore_auto),
        cmocka_unit_test(test_isa_names),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_options_init_defaults),
        cmocka_unit_test_teardown(test_options_size_rules, restore_auto),
        cmocka_unit_test(test_loss_options_size_rules),
        cmocka_unit_test(test_cpu_features),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
