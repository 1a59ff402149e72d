/* Reading rows of numbers, or labels, line by line from a stream: the
 * logits, and the side inputs of the losses (--targets, --labels, ...). */
#ifndef SOFTMAX_TOOL_READER_H
#define SOFTMAX_TOOL_READER_H

#include <stdbool.h>
#include <stdio.h>

#include "parse.h"
#include "report.h"

struct reader {
    FILE *in;
    const char *name; /* for I/O errors: a path or "standard input" */
    struct source at; /* the line last read, for messages */
    char *line;
    size_t cap, len;
};

/* at: the source of the first line, with index 0 (it counts lines). */
void reader_init(struct reader *r, FILE *in, const char *name,
                 struct source at);

/* The next line into r->line and r->len; false at the end of the stream,
 * with *status EXIT_OK, or after an I/O error (reported; EXIT_FAILED). */
bool reader_line(struct reader *r, int *status);

/* The next non-blank row of numbers into row (emptied first): EXIT_OK with
 * *got false at the end; a bad number is reported as parse_status_exit
 * does. */
int reader_row(struct reader *r, struct row *row, bool *got);

void reader_free(struct reader *r);

#endif
