/* What the softmax tool prints: values, and messages that name where in
 * the input a problem is. */
#ifndef SOFTMAX_TOOL_REPORT_H
#define SOFTMAX_TOOL_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "options.h"
#include "parse.h"

/* Where a row or token came from: "line 3", "argument 2",
 * "labels.txt: line 4", or just "--labels" for a list given as an option. */
struct source {
    const char *file; /* NULL for the logits themselves */
    const char *kind; /* "line", "argument", or NULL */
    size_t index;
};

void print_source(FILE *out, struct source src);

/* "softmax: SRC, column C: invalid WHAT 'TOKEN'" (WHAT: "number", "label"). */
void report_bad_token(struct source src, const struct bad_token *bad,
                      const char *what);

/* EXIT_OK, or reports the problem and returns the exit status. */
int parse_status_exit(enum parse_status st, struct source src,
                      const struct bad_token *bad, const char *what);

/* "softmax: SRC: MESSAGE" on stderr, after flushing the rows printed so
 * far; returns EXIT_USAGE (bad input). */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int input_error(struct source src, const char *fmt, ...);

/* One value as --precision and --format ask; NaN always as "nan". */
void print_value(const struct options *o, float x);

/* n values separated by single spaces, and a newline. */
void print_values(const struct options *o, const float *v, size_t n);

/* EXIT_OK, or reports a write error and returns EXIT_FAILED. */
int check_stdout(void);

#endif
