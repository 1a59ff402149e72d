/*
 * Concurrency. First, the dispatcher's one-time set-up: each round returns
 * it to its never-set-up state (a hidden test hook), then threads released
 * together by a barrier all make their first call at once, and every result
 * must equal the single-threaded one bit for bit. Then many threads compute
 * while another keeps switching the ISA with sm_isa_force: every ISA returns
 * the same bits, so every result must again equal the single-threaded one.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dispatch.h"
#include "harness.h"

#define THREADS 4
#define ROWS 8
#define COLS 1000
#define ROUNDS 200
#define FIRST_CALL_ROUNDS 200

static float input[ROWS * COLS];
static float expected[3][ROWS * COLS];
static atomic_int stop;

/* No cmocka asserts here: they are not thread-safe; workers count. */
static sm_status compute(int op, float *out)
{
    sm_options o = SM_OPTIONS_INIT;
    o.beta = 0.7f;
    if (op == 0)
        return sm_softmax_rows_f32(ROWS, COLS, input, COLS, out, COLS, &o);
    if (op == 1)
        return sm_log_softmax_rows_f32(ROWS, COLS, input, COLS, out, COLS, &o);
    return sm_logsumexp_rows_f32(ROWS, COLS, input, COLS, out, &o);
}

struct worker {
    pthread_t thread;
    int failures;
};

static pthread_barrier_t start_line;
static unsigned expected_supported;
static sm_isa expected_active;

struct first_caller {
    pthread_t thread;
    int index, round;
    int failures;
};

/* One first call per thread, all at once: a computation (the three ops
 * spread over the threads), or for one thread every other round a query of
 * the dispatcher, which sets it up too. */
static void *first_call(void *arg)
{
    struct first_caller *c = arg;
    const int op = (c->index + c->round) % 3;
    float *out = malloc(sizeof expected[0]);
    pthread_barrier_wait(&start_line);
    if (c->index == 0 && c->round % 2) {
        if (sm_isa_supported() != expected_supported ||
            sm_isa_active() != expected_active)
            c->failures++;
    } else if (!out || compute(op, out) != SM_OK ||
               memcmp(out, expected[op],
                      (op == 2 ? ROWS : ROWS * COLS) * sizeof(float)) != 0) {
        c->failures++;
    }
    free(out);
    return NULL;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    float *out = malloc(sizeof expected[0]);
    if (!out) {
        w->failures++;
        return NULL;
    }
    for (int round = 0; round < ROUNDS; round++) {
        const int op = round % 3;
        const size_t count = op == 2 ? ROWS : ROWS * COLS;
        if (compute(op, out) != SM_OK ||
            memcmp(out, expected[op], count * sizeof(float)) != 0)
            w->failures++;
    }
    free(out);
    return NULL;
}

/* Forcing a supported ISA cannot fail; *arg counts the calls that did. */
static void *switch_isas(void *arg)
{
    int *failures = arg;
    const unsigned supported = sm_isa_supported();
    for (int i = 0; !atomic_load(&stop); i = (i + 1) % SM_ISA_COUNT)
        if ((supported & (1u << i)) && sm_isa_force((sm_isa)i) != SM_OK)
            (*failures)++;
    return NULL;
}

/* The input and the single-threaded reference of each op. */
static int setup_expected(void **state)
{
    (void)state;
    uint64_t seed = 2024;
    for (size_t i = 0; i < ROWS * COLS; i++)
        input[i] = rng_uniform(&seed, -30.0f, 30.0f);
    for (int op = 0; op < 3; op++)
        if (compute(op, expected[op]) != SM_OK)
            return -1;
    expected_supported = sm_isa_supported();
    expected_active = sm_isa_active();
    return 0;
}

static void test_first_calls_race_the_setup(void **state)
{
    (void)state;
    const int rounds = test_quick() ? FIRST_CALL_ROUNDS / 4 : FIRST_CALL_ROUNDS;
    int failures = 0;
    for (int round = 0; round < rounds; round++) {
        struct first_caller callers[THREADS];
        sm_dispatch_reset_for_tests();
        assert_int_equal(pthread_barrier_init(&start_line, NULL, THREADS), 0);
        for (int t = 0; t < THREADS; t++) {
            callers[t] = (struct first_caller){.index = t, .round = round};
            assert_int_equal(
                pthread_create(&callers[t].thread, NULL, first_call, &callers[t]), 0);
        }
        for (int t = 0; t < THREADS; t++) {
            pthread_join(callers[t].thread, NULL);
            failures += callers[t].failures;
        }
        assert_int_equal(pthread_barrier_destroy(&start_line), 0);
        assert_int_equal(sm_isa_active(), expected_active);
    }
    assert_int_equal(failures, 0);
}

static void test_concurrent_calls_and_isa_switches(void **state)
{
    (void)state;
    struct worker workers[THREADS];
    pthread_t switcher;
    int failures = 0, switch_failures = 0;
    memset(workers, 0, sizeof workers);
    atomic_store(&stop, 0);
    assert_int_equal(pthread_create(&switcher, NULL, switch_isas, &switch_failures), 0);
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&workers[t].thread, NULL, work, &workers[t]), 0);
    for (int t = 0; t < THREADS; t++) {
        pthread_join(workers[t].thread, NULL);
        failures += workers[t].failures;
    }
    atomic_store(&stop, 1);
    pthread_join(switcher, NULL);
    failures += switch_failures;
    assert_int_equal(sm_isa_force(SM_ISA_AUTO), SM_OK);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_calls_race_the_setup),
        cmocka_unit_test(test_concurrent_calls_and_isa_switches),
    };
    return cmocka_run_group_tests(tests, setup_expected, NULL);
}
