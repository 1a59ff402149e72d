/* The library's own parallel-for provider: a pool of worker threads that
 * sleep on a condition variable between jobs. The caller's thread works
 * too; indices are claimed one at a time from a shared counter. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "softmax.h"

struct sm_thread_pool {
    sm_parallel parallel; /* run = pool_run, context = the pool */
    pthread_mutex_t turn; /* held by the caller of a job: one at a time */
    pthread_mutex_t lock; /* guards everything below but next */
    pthread_cond_t wake;  /* a new job, or stop */
    pthread_cond_t done;  /* the last worker inside the job left it */
    unsigned long job;    /* job number, advanced by each job */
    bool stop;
    size_t inside;        /* workers that joined the job and are in it */
    size_t count;         /* the job's indices; 0 once it is over */
    sm_task task;
    void *task_context;
    atomic_size_t next; /* the next index to claim */
    size_t workers;
    pthread_t threads[];
};

static void claim(sm_thread_pool *p, size_t count, sm_task task, void *ctx)
{
    for (size_t i; (i = atomic_fetch_add_explicit(&p->next, 1,
                                                  memory_order_relaxed)) < count;)
        task(ctx, i);
}

static void *worker(void *arg)
{
    sm_thread_pool *p = arg;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->job == seen && !p->stop)
            pthread_cond_wait(&p->wake, &p->lock);
        if (p->stop)
            break;
        seen = p->job;
        if (p->count == 0) /* woke after the job was over */
            continue;
        p->inside++;
        const size_t count = p->count;
        const sm_task task = p->task;
        void *const ctx = p->task_context;
        pthread_mutex_unlock(&p->lock);
        claim(p, count, task, ctx);
        pthread_mutex_lock(&p->lock);
        if (--p->inside == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* The caller claims indices too, so a job never waits for a worker to be
 * scheduled: once every index is claimed it waits only for the workers
 * inside the job (the mutex then publishes their writes), and closes it,
 * so that a worker waking later joins nothing. */
static void pool_run(void *context, size_t count, sm_task task, void *ctx)
{
    sm_thread_pool *p = context;
    if (count == 0)
        return;
    if (p->workers == 0 || count == 1) {
        for (size_t i = 0; i < count; i++)
            task(ctx, i);
        return;
    }
    pthread_mutex_lock(&p->turn);
    pthread_mutex_lock(&p->lock);
    p->count = count;
    p->task = task;
    p->task_context = ctx;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    p->job++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    claim(p, count, task, ctx);
    pthread_mutex_lock(&p->lock);
    while (p->inside > 0)
        pthread_cond_wait(&p->done, &p->lock);
    p->count = 0;
    pthread_mutex_unlock(&p->lock);
    pthread_mutex_unlock(&p->turn);
}

/* Stops and joins the first started workers, then frees p. */
static void pool_free(sm_thread_pool *p, size_t started)
{
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (size_t i = 0; i < started; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    pthread_mutex_destroy(&p->turn);
    free(p);
}

/* The mutexes and condition variables; on failure none is left. */
static bool init_sync(sm_thread_pool *p)
{
    if (pthread_mutex_init(&p->turn, NULL) != 0)
        return false;
    if (pthread_mutex_init(&p->lock, NULL) != 0)
        goto turn;
    if (pthread_cond_init(&p->wake, NULL) != 0)
        goto lock;
    if (pthread_cond_init(&p->done, NULL) == 0)
        return true;
    pthread_cond_destroy(&p->wake);
lock:
    pthread_mutex_destroy(&p->lock);
turn:
    pthread_mutex_destroy(&p->turn);
    return false;
}

sm_status sm_thread_pool_create(size_t threads, sm_thread_pool **pool)
{
    if (threads == 0 || !pool)
        return SM_EINVAL;
    const size_t workers = threads - 1;
    if (workers > (SIZE_MAX - sizeof(sm_thread_pool)) / sizeof(pthread_t))
        return SM_ENOMEM;
    sm_thread_pool *p =
        calloc(1, sizeof(sm_thread_pool) + workers * sizeof(pthread_t));
    if (!p)
        return SM_ENOMEM;
    p->parallel.run = pool_run;
    p->parallel.context = p;
    p->workers = workers;
    atomic_init(&p->next, 0);
    if (!init_sync(p)) {
        free(p);
        return SM_ENOMEM;
    }
    for (size_t i = 0; i < workers; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
            pool_free(p, i);
            return SM_ENOMEM;
        }
    }
    *pool = p;
    return SM_OK;
}

const sm_parallel *sm_thread_pool_parallel(sm_thread_pool *pool)
{
    return pool ? &pool->parallel : NULL;
}

void sm_thread_pool_destroy(sm_thread_pool *pool)
{
    if (pool)
        pool_free(pool, pool->workers);
}
