/* Command-line options of the softmax tool. */
#ifndef SOFTMAX_TOOL_OPTIONS_H
#define SOFTMAX_TOOL_OPTIONS_H

#include <stdio.h>

/* Exit statuses, as documented in --help. */
enum {
    EXIT_OK = 0,
    EXIT_FAILED = 1, /* library or I/O error */
    EXIT_USAGE = 2   /* bad option or bad input */
};

enum tool_op { OP_SOFTMAX, OP_LOG_SOFTMAX, OP_LOGSUMEXP };
enum tool_action { ACTION_RUN, ACTION_HELP, ACTION_VERSION, ACTION_INFO };

struct options {
    enum tool_action action;
    enum tool_op op;
    float beta;          /* inverse temperature */
    int precision;       /* printf precision */
    char conversion;     /* printf conversion: 'f', 'e' or 'g' */
    const char *isa;     /* --isa NAME, or NULL */
    const char *file;    /* --file F or a lone "-" ("-" is stdin); or NULL */
    int *number_args;    /* argv indices of the numbers on the command line */
    int n_number_args;
};

/* Fills *o from argv and returns EXIT_OK, or prints the problem on stderr
 * and returns the exit status. --help and --version stop parsing where they
 * appear, as in GNU tools. */
int parse_options(int argc, char **argv, struct options *o);

void free_options(struct options *o);

void print_usage(FILE *out);

#endif
