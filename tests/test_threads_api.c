/*
 * The parallel-for in sm_options and the library's thread pool. Every
 * provider (the pool with 1, 2, 3 and 7 threads, a caller's serial one and
 * one that runs the indices in reverse) must give softmax, log-softmax and
 * logsumexp the bits of NULL options, on every ISA, for blocks of rows and
 * for rows of several chunks; the pool must run each index once, also
 * under jobs from two threads at once; errors write nothing.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define CHUNK 262144
#define POOLS 4
static const size_t pool_threads[POOLS] = {1, 2, 3, 7};
static sm_thread_pool *pools[POOLS];

/* A caller's providers: in order, and in reverse, on the calling thread. */
static void run_serial(void *context, size_t count, sm_task task, void *ctx)
{
    atomic_fetch_add((atomic_size_t *)context, 1);
    for (size_t i = 0; i < count; i++)
        task(ctx, i);
}

static void run_reverse(void *context, size_t count, sm_task task, void *ctx)
{
    atomic_fetch_add((atomic_size_t *)context, 1);
    for (size_t i = count; i-- > 0;)
        task(ctx, i);
}

static atomic_size_t serial_jobs, reverse_jobs;
static const sm_parallel serial = {run_serial, &serial_jobs};
static const sm_parallel reverse = {run_reverse, &reverse_jobs};

#define PROVIDERS (POOLS + 2)
static const sm_parallel *provider(int p)
{
    if (p < POOLS)
        return sm_thread_pool_parallel(pools[p]);
    return p == POOLS ? &serial : &reverse;
}

static int make_pools(void **state)
{
    (void)state;
    for (int p = 0; p < POOLS; p++)
        if (sm_thread_pool_create(pool_threads[p], &pools[p]) != SM_OK)
            return -1;
    return 0;
}

static int free_pools(void **state)
{
    (void)state;
    for (int p = 0; p < POOLS; p++)
        sm_thread_pool_destroy(pools[p]);
    return sm_isa_force(SM_ISA_AUTO) == SM_OK ? 0 : -1;
}

enum op { SOFTMAX, LOG_SOFTMAX, LOGSUMEXP, OPS };

static sm_status call(enum op op, size_t rows, size_t cols, const float *x,
                      size_t ldx, float *y, size_t ldy, const sm_options *o)
{
    if (op == SOFTMAX)
        return sm_softmax_rows_f32(rows, cols, x, ldx, y, ldy, o);
    if (op == LOG_SOFTMAX)
        return sm_log_softmax_rows_f32(rows, cols, x, ldx, y, ldy, o);
    return sm_logsumexp_rows_f32(rows, cols, x, ldx, y, o);
}

/* One input: rows x cols at stride ld, with special rows mixed in. */
struct shape {
    size_t rows, cols, ld;
    int special; /* row r % 4: 0 plain, 1 a NaN, 2 all -inf, 3 two +inf */
};

static float *make_input(const struct shape *s, uint64_t seed)
{
    const size_t len = s->rows ? (s->rows - 1) * s->ld + s->cols : 1;
    float *x = malloc(len * sizeof(float));
    assert_non_null(x);
    for (size_t i = 0; i < len; i++)
        x[i] = rng_uniform(&seed, -20.0f, 20.0f);
    for (size_t r = 0; s->special && r < s->rows; r++) {
        float *row = x + r * s->ld;
        const size_t far = s->cols - 1; /* the last chunk of a long row */
        if (r % 4 == 1)
            row[far] = NAN;
        if (r % 4 == 2)
            for (size_t i = 0; i < s->cols; i++)
                row[i] = -INFINITY;
        if (r % 4 == 3)
            row[0] = row[far] = INFINITY;
    }
    return x;
}

/* The floats op writes on s spans: rows at stride ld, or one per row. */
static size_t out_len(enum op op, const struct shape *s)
{
    if (op == LOGSUMEXP || s->rows == 0)
        return s->rows;
    return (s->rows - 1) * s->ld + s->cols;
}

/* op on s into out (n outputs and a sentinel after them, the rest of out
 * a sentinel too); in_place: out starts as a copy of x and is x. */
static void call_into(enum op op, const struct shape *s, const float *x,
                      size_t n, float *out, const sm_options *o,
                      bool in_place)
{
    memset(out, 0x5a, (n + 1) * sizeof(float));
    if (in_place)
        memcpy(out, x, n * sizeof(float));
    assert_int_equal(call(op, s->rows, s->cols, in_place ? out : x, s->ld,
                          out, s->ld, o), SM_OK);
}

/* Every provider against NULL options, for op, beta and flags on the
 * active ISA; in_place: x is overwritten (from a copy of the input). */
static void check_providers(enum op op, const struct shape *s, const float *x,
                            float beta, sm_flags flags, bool in_place)
{
    const size_t n = out_len(op, s);
    struct guard_buf gr, gy;
    float *ref = guard_alloc(&gr, n + 1), *y = guard_alloc(&gy, n + 1);
    assert_non_null(ref);
    assert_non_null(y);
    sm_options o = SM_OPTIONS_INIT;
    o.beta = beta;
    o.flags = flags;
    call_into(op, s, x, n, ref, &o, in_place);
    for (int p = 0; p < PROVIDERS; p++) {
        o.parallel = provider(p);
        call_into(op, s, x, n, y, &o, in_place);
        if (memcmp(ref, y, (n + 1) * sizeof(float)) != 0)
            fail_msg("%s op %d %zux%zu (ld %zu) beta %g flags %u provider %d",
                     sm_isa_name(sm_isa_active()), (int)op, s->rows, s->cols,
                     s->ld, (double)beta, flags, p);
    }
    assert_int_equal(guard_free(&gr), 0);
    assert_int_equal(guard_free(&gy), 0);
}

/* How much of each shape check_shapes tries: beta 1 only; also beta -1
 * and the fast exp; also beta 0.5, inf and 0, and in place. */
enum variants { BETA_ONE, SOME, ALL };

/* Each shape, op and ISA with the variants v. */
static void check_shapes(const struct shape *shapes, size_t count,
                         enum variants v)
{
    static const float betas[] = {-1.0f, 0.5f, INFINITY, 0.0f};
    for (size_t i = 0; i < count; i++) {
        float *x = make_input(&shapes[i], 7 + i);
        FOR_EACH_ISA(isa) {
            for (int op = 0; op < OPS; op++) {
                check_providers(op, &shapes[i], x, 1.0f, 0, false);
                if (v == BETA_ONE)
                    continue;
                check_providers(op, &shapes[i], x, 1.0f, SM_FAST_EXP, false);
                for (size_t b = 0; b < (v == ALL ? 4u : 1u); b++)
                    check_providers(op, &shapes[i], x, betas[b], 0, false);
                if (v == ALL && op != LOGSUMEXP)
                    check_providers(op, &shapes[i], x, 0.7f, 0, true);
            }
        }
        free(x);
    }
}

static void test_blocks_of_rows(void **state)
{
    (void)state;
    const struct shape shapes[] = {
        {0, 100, 100, 0},      {1, 100, 100, 0},    {1, 5000, 5000, 1},
        {1000, 300, 301, 1},   {77, 3000, 3000, 1}, {5001, 17, 17, 1},
        {10001, 7, 9, 1},      {300, 1025, 1025, 1}, {40, 2048, 2050, 0},
        {673, 100, 100, 1}, /* a last block of one row */
    };
    check_shapes(shapes, sizeof shapes / sizeof *shapes, ALL);
}

static void test_large_batches(void **state)
{
    (void)state;
    const bool quick = test_quick();
    const struct shape shapes[] = {
        {quick ? 512 : 4096, 1000, 1000, 0},
        {quick ? 16 : 256, 32000, 32000, 0},
    };
    check_shapes(shapes, 2, BETA_ONE);
}

static void test_rows_of_chunks(void **state)
{
    (void)state;
    const struct shape one[] = {{1, 3 * CHUNK + 14593, 3 * CHUNK + 14593, 0}};
    check_shapes(one, 1, test_quick() ? SOME : ALL);
    /* a NaN, a masked row, two +inf (in another chunk than the row's
     * start), a plain row; strided; a row of exactly two chunks; rows
     * of one chunk and one entry */
    const struct shape more[] = {
        {4, CHUNK + 1000, CHUNK + 1017, 1},
        {1, 2 * CHUNK, 2 * CHUNK, 0},
        {9, CHUNK + 1, CHUNK + 1, 1}, /* enough rows to go a row per task */
    };
    check_shapes(more, 3, test_quick() ? BETA_ONE : ALL);
}

/* The pool: every index of a job exactly once, for jobs of every size. */
struct marks {
    size_t count;
    atomic_int *seen;
};

static void mark(void *context, size_t index)
{
    struct marks *m = context;
    atomic_fetch_add(&m->seen[index], 1);
}

static void run_marked(const sm_parallel *par, size_t count)
{
    struct marks m = {count, calloc(count + 1, sizeof(atomic_int))};
    assert_non_null(m.seen);
    par->run(par->context, count, mark, &m);
    for (size_t i = 0; i < count; i++)
        assert_int_equal(atomic_load(&m.seen[i]), 1);
    free(m.seen);
}

static void test_pool_runs_each_index_once(void **state)
{
    (void)state;
    static const size_t counts[] = {0, 1, 2, 3, 7, 8, 100, 4099};
    for (int p = 0; p < POOLS; p++) {
        const sm_parallel *par = sm_thread_pool_parallel(pools[p]);
        assert_non_null(par);
        assert_non_null(par->run);
        for (size_t c = 0; c < sizeof counts / sizeof *counts; c++)
            run_marked(par, counts[c]);
        for (int job = 0; job < 300; job++) /* workers sleep and wake */
            run_marked(par, 5);
    }
}

/* Two threads running jobs on one pool (and calls through it) at once. */
static void *two_callers(void *arg)
{
    const sm_parallel *par = arg;
    for (int job = 0; job < 100; job++)
        run_marked(par, 64);
    return NULL;
}

static void test_pool_shared_by_two_threads(void **state)
{
    (void)state;
    const sm_parallel *par = sm_thread_pool_parallel(pools[2]);
    pthread_t other;
    assert_int_equal(pthread_create(&other, NULL, two_callers, (void *)par), 0);
    two_callers((void *)par);
    assert_int_equal(pthread_join(other, NULL), 0);
    /* and one pool created and destroyed with no job, of each size */
    for (int p = 0; p < POOLS; p++) {
        sm_thread_pool *pool = NULL;
        assert_int_equal(sm_thread_pool_create(pool_threads[p], &pool), SM_OK);
        sm_thread_pool_destroy(pool);
    }
}

static void test_small_calls_stay_on_the_caller(void **state)
{
    (void)state;
    enum { R = 8, C = 1000 };
    static float x[R * C], y[R * C];
    sm_options o = SM_OPTIONS_INIT;
    o.parallel = &serial;
    atomic_store(&serial_jobs, 0);
    for (int op = 0; op < OPS; op++)
        assert_int_equal(call(op, R, C, x, C, y, C, &o), SM_OK);
    assert_int_equal(atomic_load(&serial_jobs), 0);
    /* an options size from before the parallel member: ignored */
    const struct shape big = {300, 1000, 1000, 0};
    float *bx = make_input(&big, 3);
    float *by = malloc(big.rows * big.cols * sizeof(float));
    assert_non_null(by);
    o.size = offsetof(sm_options, parallel);
    assert_int_equal(sm_softmax_rows_f32(big.rows, big.cols, bx, big.cols, by,
                                         big.cols, &o), SM_OK);
    assert_int_equal(atomic_load(&serial_jobs), 0);
    o.size = sizeof o;
    assert_int_equal(sm_softmax_rows_f32(big.rows, big.cols, bx, big.cols, by,
                                         big.cols, &o), SM_OK);
    assert_int_equal(atomic_load(&serial_jobs), 1);
    free(bx);
    free(by);
}

static void test_errors_write_nothing(void **state)
{
    (void)state;
    enum { R = 300, C = 1000 };
    static float x[R * C], y[R * C], sentinel[R * C];
    memset(sentinel, 0x5a, sizeof sentinel);
    const sm_parallel no_run = {NULL, NULL};
    sm_options o = SM_OPTIONS_INIT;
    for (int op = 0; op < OPS; op++) {
        memcpy(y, sentinel, sizeof y);
        o.parallel = &no_run;
        assert_int_equal(call(op, R, C, x, C, y, C, &o), SM_EINVAL);
        o.parallel = &serial;
        o.size = sizeof o + 1;
        assert_int_equal(call(op, R, C, x, C, y, C, &o), SM_EINVAL);
        o.size = sizeof o;
        o.beta = NAN;
        assert_int_equal(call(op, R, C, x, C, y, C, &o), SM_EINVAL);
        o.beta = 1.0f;
        assert_int_equal(call(op, R, C, x, C - 1, y, C, &o), SM_EINVAL);
        assert_int_equal(call(op, R, C, NULL, C, y, C, &o), SM_EINVAL);
        if (op != LOGSUMEXP)
            assert_int_equal(call(op, R, C, x, C, x + 1, C, &o), SM_EOVERLAP);
        assert_memory_equal(y, sentinel, sizeof y);
    }
    sm_thread_pool *pool = (sm_thread_pool *)&o; /* must stay untouched */
    assert_int_equal(sm_thread_pool_create(0, &pool), SM_EINVAL);
    assert_ptr_equal(pool, (sm_thread_pool *)&o);
    assert_int_equal(sm_thread_pool_create(2, NULL), SM_EINVAL);
    assert_null(sm_thread_pool_parallel(NULL));
    sm_thread_pool_destroy(NULL);
    assert_string_not_equal(sm_strerror(SM_ENOMEM), "unknown status");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_runs_each_index_once),
        cmocka_unit_test(test_pool_shared_by_two_threads),
        cmocka_unit_test(test_small_calls_stay_on_the_caller),
        cmocka_unit_test(test_errors_write_nothing),
        cmocka_unit_test(test_blocks_of_rows),
        cmocka_unit_test(test_rows_of_chunks),
        cmocka_unit_test(test_large_batches),
    };
    return cmocka_run_group_tests(tests, make_pools, free_pools);
}
