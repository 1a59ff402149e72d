/* Command-line options of the softmax tool. */
#ifndef SOFTMAX_TOOL_OPTIONS_H
#define SOFTMAX_TOOL_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "softmax.h"

/* The most threads --threads takes (the tool's and softmax bench's). */
#define SM_TOOL_MAX_THREADS 256

/* Exit statuses, as documented in --help. */
enum {
    EXIT_OK = 0,
    EXIT_FAILED = 1, /* library or I/O error */
    EXIT_USAGE = 2   /* bad option or bad input */
};

/* 'softmax bench' measures the first three. */
enum tool_op {
    OP_SOFTMAX, OP_LOG_SOFTMAX, OP_LOGSUMEXP, OP_ARGMAX, OP_TOP, OP_SAMPLE,
    OP_GUMBEL, OP_SPARSEMAX, OP_HARDMAX, OP_GUMBEL_SOFTMAX, OP_ENTMAX
};
/* The losses are --op values too, kept apart from tool_op. */
enum loss_op {
    LOSS_NONE, /* op applies */
    LOSS_CROSS_ENTROPY,
    LOSS_SOFT_CROSS_ENTROPY,
    LOSS_KL,
    LOSS_DISTILL,
    LOSS_ENTROPY
};
enum tool_action { ACTION_RUN, ACTION_HELP, ACTION_VERSION, ACTION_INFO };

struct options {
    enum tool_action action;
    enum tool_op op;
    float beta;          /* inverse temperature */
    int precision;       /* printf precision */
    char conversion;     /* printf conversion: 'f', 'e' or 'g' */
    const char *isa;     /* --isa NAME, or NULL */
    bool fast_exp;       /* --fast-exp: SM_FAST_EXP */
    size_t top_n;        /* --top-n N: entries per row for --op top */
    size_t pieces;       /* --pieces N: through the online state, N entries
                            at a time; 0: the one-shot functions */
    size_t threads;      /* --threads N: softmax, log-softmax, logsumexp on
                            a pool of N threads (1: the calling thread) */
    const sm_parallel *parallel; /* the pool's, set by the tool, or NULL */
    /* --op sample: the filters (0 top_k, 1 top_p, 0 min_p: off), the seed
     * and the draws per row; sampling_given: any of them was given. */
    int32_t top_k;
    float top_p, min_p;
    uint64_t seed;
    size_t draws;
    bool sampling_given;
    bool hard;           /* --hard: --op gumbel-softmax's straight-through
                            (one-hot) output */
    const char *file;    /* --file F or a lone "-" ("-" is stdin); or NULL */
    int *number_args;    /* argv indices of the numbers on the command line */
    int n_number_args;
    /* Losses (see --help): the side inputs as given (a list or a file
     * name), or NULL. */
    enum loss_op loss;
    double temperature;  /* distillation's T: from --temperature or 1/beta */
    const char *labels, *targets, *teacher, *weights;
    sm_reduction reduction;
    float label_smoothing, l2;
    int32_t ignore_index;
    bool grad;           /* --grad: print the gradients too */
    const char *upstream; /* --upstream DY: the upstream gradient rows of
                             --op sparsemax, entmax or gumbel-softmax, for
                             --grad */
    float alpha;         /* --alpha A: entmax's alpha (1.5 unless given) */
    bool alpha_given;
};

/* Fills *o from argv and returns EXIT_OK, or prints the problem on stderr
 * and returns the exit status. --help and --version stop parsing where they
 * appear, as in GNU tools. */
int parse_options(int argc, char **argv, struct options *o);

void free_options(struct options *o);

void print_usage(FILE *out);

/* Helpers shared with the bench subcommand (bench.c). */

/* "softmax", "log-softmax", "logsumexp". */
const char *op_name(enum tool_op op);

/* The op printed by op_name as name; false if there is none. */
bool op_from_name(const char *name, enum tool_op *op);

/* Prints "softmax: MESSAGE" and "Try 'COMMAND --help' ..." on stderr and
 * returns EXIT_USAGE. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int command_usage_error(const char *command, const char *fmt, ...);

/* Reports what getopt_long rejected in arg: c is '?' (unknown option) or
 * ':' (missing value; needs a leading ':' in the short options). */
int option_error(const char *command, int c, const char *arg);

/* The names of the ISAs in the bit set (as from sm_isa_supported()),
 * separated by spaces. */
void print_isa_list(FILE *out, unsigned isas);

#endif
