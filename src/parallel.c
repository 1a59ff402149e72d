/* Threaded softmax, log-softmax and logsumexp of rows. The units of work
 * keep one thread's bits: a block of whole rows goes through the same
 * kernel entry as all the rows (every row's bits are its own), and a row
 * longer than a chunk has each chunk's statistics computed apart, folded
 * in chunk order as the one-shot kernel folds them, and its output written
 * chunk by chunk from the row's statistics (the online state's kernels,
 * which the state tests hold to the one-shot bits): softmax as the
 * one-shot's, each chunk's e_i (folded with e) scaled by its own factor. */
#include "parallel.h"

#include <math.h>

/* Elements per task at least: the hand-off to a thread costs little beside
 * the work. */
#define SM_TASK_ELEMS ((size_t)1 << 16)
/* Rows of at most SM_GROUPED_COLS entries go through the kernels in groups
 * (row groups of 16, column groups of up to 16 rows): their blocks start at
 * multiples of SM_BLOCK_ALIGN rows, so every group is the one the whole
 * call forms. */
#define SM_GROUPED_COLS 1024
#define SM_BLOCK_ALIGN 32
/* Chunk statistics per job: their states live on the stack, and longer
 * rows take several jobs, folded in order. */
#define SM_CHUNKS_PER_JOB 64
/* Rows longer than a chunk go a row per task from this many rows on
 * (tasks enough to balance; a row's chunks may be few and uneven), and
 * chunk by chunk below it. */
#define SM_LONG_ROWS_PER_CALL 8

/* ---- blocks of rows ----------------------------------------------------- */

struct rows_job {
    const struct sm_rows_call *c;
    size_t block; /* rows per task */
};

static void rows_task(void *context, size_t index)
{
    const struct rows_job *j = context;
    const struct sm_rows_call *c = j->c;
    const size_t r0 = index * j->block;
    const size_t n = c->rows - r0 < j->block ? c->rows - r0 : j->block;
    const float *x = c->x + r0 * c->ldx;
    switch (c->op) {
    case SM_OP_SOFTMAX:
        c->k->softmax_rows(n, c->cols, c->beta, x, c->ldx, c->y + r0 * c->ldy,
                           c->ldy, c->flags);
        break;
    case SM_OP_LOG_SOFTMAX:
        c->k->log_softmax_rows(n, c->cols, c->beta, x, c->ldx,
                               c->y + r0 * c->ldy, c->ldy, c->flags);
        break;
    case SM_OP_LOGSUMEXP:
        c->k->logsumexp_rows(n, c->cols, c->beta, x, c->ldx, c->y + r0,
                             c->flags);
        break;
    }
}

static void rows_in_blocks(const struct sm_rows_call *c,
                           const sm_parallel *par)
{
    size_t block = (SM_TASK_ELEMS + c->cols - 1) / c->cols;
    if (c->cols <= SM_GROUPED_COLS)
        block = (block + SM_BLOCK_ALIGN - 1) / SM_BLOCK_ALIGN * SM_BLOCK_ALIGN;
    struct rows_job j = {c, block};
    if (block >= c->rows) {
        j.block = c->rows;
        rows_task(&j, 0);
        return;
    }
    par->run(par->context, (c->rows + block - 1) / block, rows_task, &j);
}

/* ---- a row of many chunks ----------------------------------------------- */

struct chunks_job {
    const struct sm_rows_call *c;
    const float *x;
    float *y;
    size_t first;                /* the job's first chunk */
    sm_softmax_state empty;      /* the state of no entries */
    sm_softmax_state *part;      /* the job's chunks' statistics */
    const sm_softmax_state *row; /* the whole row's, for the output */
    float *kept; /* softmax: the extrema of the chunks whose e_i are in y */
};

static void chunk_stats_task(void *context, size_t index)
{
    const struct chunks_job *j = context;
    const struct sm_rows_call *c = j->c;
    const size_t b = j->first + index, at = b * SM_CHUNK;
    float *e = j->kept && b < SM_KEPT_CHUNKS ? j->y + at : NULL;
    j->part[index] = j->empty;
    c->k->state_fold_rows(1, sm_chunk_len(c->cols, at), j->x + at, c->cols, e,
                          c->cols, &j->part[index], c->flags);
}

static void chunk_out_task(void *context, size_t index)
{
    const struct chunks_job *j = context;
    const struct sm_rows_call *c = j->c;
    const size_t at = index * SM_CHUNK, len = sm_chunk_len(c->cols, at);
    if (c->op == SM_OP_LOG_SOFTMAX) {
        c->k->state_log_softmax_rows(1, len, j->x + at, c->cols, j->row,
                                     j->y + at, c->cols, c->flags);
        return;
    }
    sm_softmax_state piece = j->empty;
    if (index < SM_KEPT_CHUNKS) /* its e_i are in y */
        piece.max = j->kept[index];
    else /* x is intact here: its e_i now */
        c->k->state_fold_rows(1, len, j->x + at, c->cols, j->y + at, c->cols,
                              &piece, c->flags);
    c->k->state_scale_rows(1, len, &piece, j->row, j->y + at, c->cols);
}

/* Row r: the chunks' statistics in jobs of SM_CHUNKS_PER_JOB, each job's
 * folded in chunk order into the row's (as merge_chunks does), then the
 * logsumexp or the output pass, a chunk per task. */
static void chunked_row(const struct sm_rows_call *c, const sm_parallel *par,
                        size_t r)
{
    sm_softmax_state part[SM_CHUNKS_PER_JOB];
    float kept[SM_KEPT_CHUNKS];
    const float beta = c->beta;
    const sm_softmax_state empty = {
        0.0, 0.0, beta > 0 ? -INFINITY : INFINITY, beta, c->flags, 0u};
    sm_softmax_state row = empty;
    struct chunks_job j = {
        .c = c, .x = c->x + r * c->ldx, .empty = empty, .part = part,
        .row = &row, .kept = c->op == SM_OP_SOFTMAX ? kept : NULL};
    if (c->op != SM_OP_LOGSUMEXP)
        j.y = c->y + r * c->ldy;
    const size_t chunks = (c->cols + SM_CHUNK - 1) / SM_CHUNK;
    for (; j.first < chunks; j.first += SM_CHUNKS_PER_JOB) {
        const size_t count = chunks - j.first < SM_CHUNKS_PER_JOB
                                 ? chunks - j.first
                                 : SM_CHUNKS_PER_JOB;
        par->run(par->context, count, chunk_stats_task, &j);
        for (size_t i = 0; i < count; i++) {
            if (j.first + i < SM_KEPT_CHUNKS)
                kept[j.first + i] = part[i].max;
            c->k->state_merge(1, &part[i], &row);
        }
    }
    if (c->op == SM_OP_LOGSUMEXP) {
        c->k->state_logsumexp(1, &row, c->y + r);
        return;
    }
    par->run(par->context, chunks, chunk_out_task, &j);
}

void sm_rows_parallel(const struct sm_rows_call *c, const sm_parallel *par)
{
    /* beta = 0 reads every entry alike and cheaply: rows only */
    if (c->cols <= SM_CHUNK || c->beta == 0.0f ||
        c->rows >= SM_LONG_ROWS_PER_CALL) {
        rows_in_blocks(c, par);
        return;
    }
    for (size_t r = 0; r < c->rows; r++)
        chunked_row(c, par, r);
}
