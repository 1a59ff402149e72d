/* The losses of the softmax tool (--op cross-entropy, ...): rows of logits,
 * with their labels or target rows, to losses and gradients. */
#ifndef SOFTMAX_TOOL_LOSS_H
#define SOFTMAX_TOOL_LOSS_H

#include "options.h"
#include "parse.h"
#include "report.h"

struct loss_run;

/* Reads the labels and weights and opens the target rows that o names.
 * *run is set even on failure, for loss_close. */
int loss_open(const struct options *o, struct loss_run **run);

/* One non-empty row of logits from src: printed at once without a
 * reduction, kept for the end with one. */
int loss_add_row(struct loss_run *run, const struct row *row,
                 struct source src);

/* After the last row: checks that no labels or target rows are left over,
 * then prints the reduced loss, if any. */
int loss_finish(struct loss_run *run);

void loss_close(struct loss_run *run);

#endif
