/* The side inputs of the losses (--labels, --targets, --teacher,
 * --weights): a list of numbers given with the option, or a file, or
 * standard input, as --help describes. */
#ifndef SOFTMAX_TOOL_SIDE_H
#define SOFTMAX_TOOL_SIDE_H

#include <stdio.h>

#include "parse.h"
#include "reader.h"

struct side {
    FILE *in;         /* a list is read through a stream over its text */
    char *text;       /* that text, or NULL */
    const char *name; /* for I/O errors */
    struct source at; /* for messages: "--labels" or "FILE: line" */
};

/* Opens the value of option ("--labels"): "-" is standard input; a value
 * with a comma or that parses as numbers is a list (its bad numbers are
 * then reported as such, rather than as a missing file); anything else is
 * a file name. */
int side_open(const char *option, const char *value, struct side *s);

void side_close(struct side *s);

/* A reader of its lines, for one row per line. */
void side_reader(const struct side *s, struct reader *r);

/* Every label, or every number, in the input, whatever the lines. */
int side_read_labels(const struct side *s, struct labels *out);
int side_read_values(const struct side *s, struct row *out);

#endif
