/* mpi_vocab_parallel's check of a rank's results against the one-shot
 * functions, and the summary rank 0 prints. */
#ifndef MPI_CHECK_H
#define MPI_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "softmax.h"

struct check_case {
    size_t rows, vocab, lo, hi; /* this rank's shard: columns [lo, hi) */
    float beta;
    bool fast_exp;
    bool exact; /* the contract promises the one-shot bits */
    const int32_t *labels; /* rows */
    int rank;
};

/* The quantities compared: the shard's entries, then the rows' values
 * (the same on every rank). */
enum { Q_SOFTMAX, Q_LOG_SOFTMAX, Q_GRAD, Q_LSE, Q_LOSS, Q_LOSS_LSE, Q_COUNT };

struct check_result {
    double max_ulp[Q_COUNT];   /* the largest distance in ulps */
    double max_ratio[Q_COUNT]; /* the largest |difference| / tolerance */
    double max_rel_softmax;    /* the largest |p - p1| / p1 */
    double bad;                /* mismatches */
    double states_differ;      /* 1: the reduced states are not rank 0's */
};

/* Compares this rank's shard (rows x (hi - lo), stride hi - lo) and the
 * rows' values with the one-shot results on the full rows (stride vocab);
 * state is the reduced states, ref_state the full rows folded in one
 * piece. Prints the first mismatches to stderr. */
void check_shard(const struct check_case *c, const sm_softmax_state *state,
                 const float *p, const float *y, const float *g,
                 const float *lse, const float *loss, const float *loss_lse,
                 const float *ref_x, const float *ref_p, const float *ref_y,
                 const float *ref_g, const float *ref_lse,
                 const float *ref_loss, const sm_softmax_state *ref_state,
                 struct check_result *res);

/* Collective: gathers every rank's result; rank 0 prints the summary.
 * Returns true on every rank when no rank found a mismatch. */
bool report(const struct check_case *c, int ranks,
            const struct check_result *res, const char *isa,
            unsigned long long seed);

#endif
