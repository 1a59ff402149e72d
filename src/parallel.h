/* softmax, log-softmax and logsumexp of rows through a caller's
 * parallel-for (sm_options.parallel). */
#ifndef SM_PARALLEL_H
#define SM_PARALLEL_H

#include <stddef.h>

#include "kernels.h"
#include "softmax.h"

enum sm_rows_op { SM_OP_SOFTMAX, SM_OP_LOG_SOFTMAX, SM_OP_LOGSUMEXP };

/* One checked call: rows, cols > 0; for logsumexp y is the result (one
 * float per row) and ldy is not read. */
struct sm_rows_call {
    const struct sm_kernels *k; /* the one table every task uses */
    enum sm_rows_op op;
    size_t rows, cols;
    float beta;
    sm_flags flags;
    const float *x;
    size_t ldx;
    float *y;
    size_t ldy;
};

/* The call's results, bit for bit those of c->k's kernel on all the rows
 * at once, computed in tasks run by par: blocks of whole rows, or, for a
 * few rows longer than a chunk, each row chunk by chunk. A call too small
 * to share is one direct kernel call. */
void sm_rows_parallel(const struct sm_rows_call *c, const sm_parallel *par);

#endif
