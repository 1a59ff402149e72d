/*
 * Concurrency: many threads compute while another keeps switching the ISA
 * with sm_isa_force. Every ISA returns the same bits, so every result must
 * equal the single-threaded one whatever table served it; and the first
 * calls race the dispatcher's one-time set-up (pthread_once).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define THREADS 4
#define ROWS 8
#define COLS 1000
#define ROUNDS 200

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
    int compare; /* 0: only race the first calls */
    int failures;
};

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
            (w->compare && memcmp(out, expected[op], count * sizeof(float)) != 0))
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

static void test_concurrent_calls_and_isa_switches(void **state)
{
    (void)state;
    uint64_t seed = 2024;
    for (size_t i = 0; i < ROWS * COLS; i++)
        input[i] = rng_uniform(&seed, -30.0f, 30.0f);
    struct worker workers[THREADS];
    pthread_t switcher;
    int failures = 0, switch_failures = 0;
    /* Race the first calls (nothing has called the library yet). */
    memset(workers, 0, sizeof workers);
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&workers[t].thread, NULL, work, &workers[t]), 0);
    for (int t = 0; t < THREADS; t++) {
        pthread_join(workers[t].thread, NULL);
        failures += workers[t].failures;
    }
    /* The reference, single-threaded, then compare under ISA switches. */
    for (int op = 0; op < 3; op++)
        assert_int_equal(compute(op, expected[op]), SM_OK);
    memset(workers, 0, sizeof workers);
    atomic_store(&stop, 0);
    assert_int_equal(pthread_create(&switcher, NULL, switch_isas, &switch_failures), 0);
    for (int t = 0; t < THREADS; t++) {
        workers[t].compare = 1;
        assert_int_equal(pthread_create(&workers[t].thread, NULL, work, &workers[t]), 0);
    }
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
        cmocka_unit_test(test_concurrent_calls_and_isa_switches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
