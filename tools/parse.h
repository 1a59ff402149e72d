/* Turning text into numbers for the softmax tool: rows of logits and the
 * values of numeric options. */
#ifndef SOFTMAX_TOOL_PARSE_H
#define SOFTMAX_TOOL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable row of floats, reused from one input line to the next. */
struct row {
    float *v;
    size_t n, cap;
};

/* Class labels, read in full before the rows. */
struct labels {
    int32_t *v;
    size_t n, cap;
};

enum parse_status { PARSE_OK, PARSE_BAD_TOKEN, PARSE_NOMEM };

/* The token that could not be read: it points into the parsed text. */
struct bad_token {
    size_t column; /* 1-based byte column where the token starts */
    const char *text;
    size_t len;
};

/* Appends to row every number in text[0..len); text[len] must be '\0'.
 * Numbers are separated by runs of blanks (space, tab, CR, ...) and
 * commas, and read by strtof, so "inf", "-nan" and "1e-3" are numbers; a
 * value out of float range becomes +-inf or 0 as strtof rounds it. The text
 * is modified while parsing and restored before returning. On
 * PARSE_BAD_TOKEN *bad describes the token and the row may hold part of
 * the line's numbers. */
enum parse_status parse_numbers(char *text, size_t len, struct row *row,
                                struct bad_token *bad);

/* Like parse_numbers, for decimal integers that fit in int32_t ("2.0" and
 * "1e3" are bad tokens). */
enum parse_status parse_labels(char *text, size_t len, struct labels *labels,
                               struct bad_token *bad);

/* Appends v[0..n) to row; false when out of memory. */
bool row_append(struct row *row, const float *v, size_t n);

void row_free(struct row *row);
void labels_free(struct labels *labels);

/* v (an array of *cap elements of elem bytes, or NULL) grown to hold at
 * least need elements: v itself if it does, else the reallocated array (and
 * *cap updated); NULL when out of memory, v still valid. */
void *array_reserve(void *v, size_t *cap, size_t need, size_t elem);

/* The whole of s as a double (strtod syntax); false if s is empty or has
 * anything left over. */
bool parse_double(const char *s, double *out);

/* The whole of s as a decimal integer in [min, max]. */
bool parse_int_in(const char *s, long min, long max, long *out);

/* True if a command-line argument starting with '-' is a negative number
 * ("-2.5", "-inf", "-.5e3", possibly "-1,-2") rather than an option. */
bool arg_is_negative_number(const char *arg);

#endif
