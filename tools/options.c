#include "options.h"

#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "softmax.h"

/* Each float is a multiple of 2^-149, so 149 digits print any exactly. */
#define MAX_PRECISION 149

enum {
    OPT_FORMAT = 256,
    OPT_ISA,
    OPT_INFO,
    OPT_FAST_EXP,
    OPT_TOP_N,
    OPT_TOP_K,
    OPT_TOP_P,
    OPT_MIN_P,
    OPT_SEED,
    OPT_DRAWS,
    OPT_PIECES,
    OPT_THREADS,
    OPT_HARD,
    OPT_ALPHA,
    /* The losses' options, from here on: a bit each in loss_given. */
    OPT_LABELS,
    OPT_TARGETS,
    OPT_TEACHER,
    OPT_WEIGHTS,
    OPT_LABEL_SMOOTHING,
    OPT_IGNORE_INDEX,
    OPT_L2,
    OPT_REDUCTION,
    OPT_GRAD,
    OPT_UPSTREAM
};
#define LOSS_BIT(c) (1u << ((c) - OPT_LABELS))

/* Which options set beta, to reject --beta with --temperature. */
enum { BETA_FROM_T = 1, BETA_FROM_BETA = 2 };

/* Leading '+': stop at the first non-option, so that parse_options sees
 * every number itself (getopt would take "-2" for an option). ':' lets it
 * tell a missing value from an unknown option. No short option may be a
 * digit, '.', 'i' or 'n' (see arg_is_negative_number). */
static const char short_options[] = "+:f:o:t:b:p:hV";
static const struct option long_options[] = {
    {"file", required_argument, NULL, 'f'},
    {"op", required_argument, NULL, 'o'},
    {"temperature", required_argument, NULL, 't'},
    {"tau", required_argument, NULL, 't'},
    {"beta", required_argument, NULL, 'b'},
    {"precision", required_argument, NULL, 'p'},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"isa", required_argument, NULL, OPT_ISA},
    {"info", no_argument, NULL, OPT_INFO},
    {"fast-exp", no_argument, NULL, OPT_FAST_EXP},
    {"top-n", required_argument, NULL, OPT_TOP_N},
    {"top-k", required_argument, NULL, OPT_TOP_K},
    {"top-p", required_argument, NULL, OPT_TOP_P},
    {"min-p", required_argument, NULL, OPT_MIN_P},
    {"seed", required_argument, NULL, OPT_SEED},
    {"draws", required_argument, NULL, OPT_DRAWS},
    {"pieces", required_argument, NULL, OPT_PIECES},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"hard", no_argument, NULL, OPT_HARD},
    {"alpha", required_argument, NULL, OPT_ALPHA},
    {"labels", required_argument, NULL, OPT_LABELS},
    {"targets", required_argument, NULL, OPT_TARGETS},
    {"teacher", required_argument, NULL, OPT_TEACHER},
    {"weights", required_argument, NULL, OPT_WEIGHTS},
    {"label-smoothing", required_argument, NULL, OPT_LABEL_SMOOTHING},
    {"ignore-index", required_argument, NULL, OPT_IGNORE_INDEX},
    {"l2", required_argument, NULL, OPT_L2},
    {"reduction", required_argument, NULL, OPT_REDUCTION},
    {"grad", no_argument, NULL, OPT_GRAD},
    {"upstream", required_argument, NULL, OPT_UPSTREAM},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static int vusage_error(const char *command, const char *fmt, va_list ap)
{
    fputs("softmax: ", stderr);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry '%s --help' for more information.\n", command);
    return EXIT_USAGE;
}

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const int status = vusage_error("softmax", fmt, ap);
    va_end(ap);
    return status;
}

int command_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const int status = vusage_error(command, fmt, ap);
    va_end(ap);
    return status;
}

void print_isa_list(FILE *out, unsigned isas)
{
    const char *sep = "";
    for (int i = 0; i < SM_ISA_COUNT; i++) {
        if (isas & (1u << i)) {
            fprintf(out, "%s%s", sep, sm_isa_name((sm_isa)i));
            sep = " ";
        }
    }
}

/* A NaN temperature or beta has no meaning (the library rejects it too). */
static int parse_real_option(const char *name, const char *value, double *out)
{
    if (!parse_double(value, out))
        return usage_error("--%s needs a number, not '%s'", name, value);
    if (isnan(*out))
        return usage_error("--%s cannot be NaN", name);
    return EXIT_OK;
}

static const char *const op_names[] = {
    [OP_SOFTMAX] = "softmax",
    [OP_LOG_SOFTMAX] = "log-softmax",
    [OP_LOGSUMEXP] = "logsumexp",
    [OP_ARGMAX] = "argmax",
    [OP_TOP] = "top",
    [OP_SAMPLE] = "sample",
    [OP_GUMBEL] = "gumbel",
    [OP_SPARSEMAX] = "sparsemax",
    [OP_HARDMAX] = "hardmax",
    [OP_GUMBEL_SOFTMAX] = "gumbel-softmax",
    [OP_ENTMAX] = "entmax",
};

const char *op_name(enum tool_op op)
{
    return op_names[op];
}

bool op_from_name(const char *name, enum tool_op *op)
{
    for (size_t i = 0; i < sizeof op_names / sizeof op_names[0]; i++) {
        if (strcmp(name, op_names[i]) == 0) {
            *op = (enum tool_op)i;
            return true;
        }
    }
    return false;
}

static const char *const loss_names[] = {
    [LOSS_CROSS_ENTROPY] = "cross-entropy",
    [LOSS_SOFT_CROSS_ENTROPY] = "soft-cross-entropy",
    [LOSS_KL] = "kl",
    [LOSS_DISTILL] = "distill",
    [LOSS_ENTROPY] = "entropy",
};

static int parse_op(const char *value, struct options *o)
{
    o->loss = LOSS_NONE;
    if (op_from_name(value, &o->op))
        return EXIT_OK;
    for (size_t i = 1; i < sizeof loss_names / sizeof loss_names[0]; i++) {
        if (strcmp(value, loss_names[i]) == 0) {
            o->loss = (enum loss_op)i;
            return EXIT_OK;
        }
    }
    return usage_error("unknown --op '%s' (expected softmax, log-softmax, "
                       "logsumexp, argmax, top, sample, gumbel, "
                       "gumbel-softmax, sparsemax, hardmax, entmax, "
                       "cross-entropy, "
                       "soft-cross-entropy, kl, distill or entropy)", value);
}

static int parse_reduction(const char *value, sm_reduction *r)
{
    static const char *const names[] = {
        [SM_REDUCTION_NONE] = "none",
        [SM_REDUCTION_SUM] = "sum",
        [SM_REDUCTION_MEAN] = "mean",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(value, names[i]) == 0) {
            *r = (sm_reduction)i;
            return EXIT_OK;
        }
    }
    return usage_error("--reduction needs none, sum or mean, not '%s'", value);
}

/* A side input: a list or a file name, never empty (see --help). */
static int side_input(const char *name, const char *value, const char **out)
{
    if (*value == '\0')
        return usage_error("--%s needs a list of numbers or a file name",
                           name);
    *out = value;
    return EXIT_OK;
}

/* The losses' options. */
static int apply_loss_option(int c, const char *value, struct options *o)
{
    double d;
    long n;
    switch (c) {
    case OPT_LABELS:
        return side_input("labels", value, &o->labels);
    case OPT_TARGETS:
        return side_input("targets", value, &o->targets);
    case OPT_TEACHER:
        return side_input("teacher", value, &o->teacher);
    case OPT_WEIGHTS:
        return side_input("weights", value, &o->weights);
    case OPT_LABEL_SMOOTHING:
        if (!parse_double(value, &d) || !(d >= 0.0 && d <= 1.0))
            return usage_error("--label-smoothing needs a number from 0 to 1, "
                               "not '%s'", value);
        o->label_smoothing = (float)d;
        break;
    case OPT_IGNORE_INDEX:
        if (!parse_int_in(value, INT32_MIN, INT32_MAX, &n))
            return usage_error("--ignore-index needs a 32-bit integer, not "
                               "'%s'", value);
        o->ignore_index = (int32_t)n;
        break;
    case OPT_L2:
        if (!parse_double(value, &d) || !(d >= 0.0 && (float)d <= FLT_MAX))
            return usage_error("--l2 needs a finite number >= 0, not '%s'",
                               value);
        o->l2 = (float)d;
        break;
    case OPT_REDUCTION:
        return parse_reduction(value, &o->reduction);
    case OPT_GRAD:
        o->grad = true;
        break;
    case OPT_UPSTREAM:
        return side_input("upstream", value, &o->upstream);
    }
    return EXIT_OK;
}

/* Handles one option returned by getopt_long; *beta_from collects the
 * BETA_FROM_* bits. A value that fails to parse only sets the status. */
static int apply_option(int c, const char *value, struct options *o,
                        int *beta_from)
{
    double d;
    long n;
    int status = EXIT_OK;
    switch (c) {
    case 'f':
        o->file = value;
        break;
    case 'o':
        status = parse_op(value, o);
        break;
    case 't':
        status = parse_real_option("temperature", value, &d);
        o->beta = (float)(1.0 / d); /* T = +-0 gives beta = +-inf */
        o->temperature = d;
        *beta_from |= BETA_FROM_T;
        break;
    case 'b':
        status = parse_real_option("beta", value, &d);
        o->beta = (float)d;
        o->temperature = 1.0 / d;
        *beta_from |= BETA_FROM_BETA;
        break;
    case 'p':
        if (!parse_int_in(value, 0, MAX_PRECISION, &n))
            return usage_error("--precision needs an integer from 0 to %d, "
                               "not '%s'", MAX_PRECISION, value);
        o->precision = (int)n;
        break;
    case OPT_FORMAT:
        if (strcmp(value, "f") && strcmp(value, "e") && strcmp(value, "g"))
            return usage_error("--format needs f, e or g, not '%s'", value);
        o->conversion = value[0];
        break;
    case OPT_ISA:
        o->isa = value;
        break;
    case OPT_INFO:
        o->action = ACTION_INFO;
        break;
    case OPT_FAST_EXP:
        o->fast_exp = true;
        break;
    case OPT_TOP_N:
        if (!parse_int_in(value, 1, SM_TOP_MAX, &n))
            return usage_error("--top-n needs an integer from 1 to %d, not "
                               "'%s'", SM_TOP_MAX, value);
        o->top_n = (size_t)n;
        break;
    case OPT_TOP_K:
        if (!parse_int_in(value, 0, INT32_MAX, &n))
            return usage_error("--top-k needs an integer >= 0 (0: off), not "
                               "'%s'", value);
        o->top_k = (int32_t)n;
        o->sampling_given = true;
        break;
    case OPT_TOP_P:
    case OPT_MIN_P:
        if (!parse_double(value, &d) || !(d >= 0.0 && d <= 1.0))
            return usage_error("--%s needs a number from 0 to 1, not '%s'",
                               c == OPT_TOP_P ? "top-p" : "min-p", value);
        *(c == OPT_TOP_P ? &o->top_p : &o->min_p) = (float)d;
        o->sampling_given = true;
        break;
    case OPT_SEED: {
        char *end;
        errno = 0;
        const unsigned long long s = strtoull(value, &end, 0);
        if (!*value || *end || errno || value[0] == '-')
            return usage_error("--seed needs an unsigned 64-bit integer, not "
                               "'%s'", value);
        o->seed = (uint64_t)s;
        o->sampling_given = true;
        break;
    }
    case OPT_HARD:
        o->hard = true;
        break;
    case OPT_DRAWS:
        if (!parse_int_in(value, 1, 1000000, &n))
            return usage_error("--draws needs an integer from 1 to 1000000, "
                               "not '%s'", value);
        o->draws = (size_t)n;
        o->sampling_given = true;
        break;
    case OPT_PIECES:
        if (!parse_int_in(value, 1, INT32_MAX, &n))
            return usage_error("--pieces needs an integer >= 1, not '%s'",
                               value);
        o->pieces = (size_t)n;
        break;
    case OPT_THREADS:
        if (!parse_int_in(value, 1, SM_TOOL_MAX_THREADS, &n))
            return usage_error("--threads needs an integer from 1 to %d, not "
                               "'%s'", SM_TOOL_MAX_THREADS, value);
        o->threads = (size_t)n;
        break;
    case OPT_ALPHA:
        status = parse_real_option("alpha", value, &d);
        if (status == EXIT_OK && !(d > 1.0 && (float)d <= FLT_MAX))
            return usage_error("--alpha needs a finite number > 1, not '%s'",
                               value);
        o->alpha = (float)d;
        o->alpha_given = true;
        break;
    default:
        return apply_loss_option(c, value, o);
    }
    return status;
}

int option_error(const char *command, int c, const char *arg)
{
    /* A short option may sit in a cluster ("-xp3"): name only its letter. */
    const char letter[3] = {'-', (char)optopt, '\0'};
    const char *name = strncmp(arg, "--", 2) == 0 ? arg : letter;
    if (c == ':')
        return command_usage_error(command, "option '%s' needs a value",
                                   name);
    return command_usage_error(command, "invalid option '%s'", name);
}

/* Positional arguments: numbers, or a lone "-" for standard input. */
static void add_operand(struct options *o, char **argv, int i)
{
    if (strcmp(argv[i], "-") == 0)
        o->file = argv[i];
    else
        o->number_args[o->n_number_args++] = i;
}

static const char *long_name(int c)
{
    for (const struct option *p = long_options; p->name; p++)
        if (p->val == c)
            return p->name;
    return "?";
}

/* Which losses each loss option applies to (bit per enum loss_op). */
static unsigned loss_option_ops(int c)
{
    const unsigned all = (1u << LOSS_CROSS_ENTROPY) |
                         (1u << LOSS_SOFT_CROSS_ENTROPY) | (1u << LOSS_KL) |
                         (1u << LOSS_DISTILL) | (1u << LOSS_ENTROPY);
    switch (c) {
    case OPT_TARGETS:
        return (1u << LOSS_SOFT_CROSS_ENTROPY) | (1u << LOSS_KL);
    case OPT_TEACHER:
        return 1u << LOSS_DISTILL;
    case OPT_REDUCTION:
    case OPT_GRAD:
        return all;
    case OPT_UPSTREAM:
        return 0; /* --op sparsemax, entmax or gumbel-softmax --grad only */
    default:
        return 1u << LOSS_CROSS_ENTROPY;
    }
}

/* Each loss option is meant for some losses: silently ignoring one (a
 * --label-smoothing with --op kl) would print a different loss than asked. */
static int check_loss_options(const struct options *o, unsigned loss_given)
{
    /* the backward passes of sparsemax, entmax and Gumbel-softmax: --grad
     * with the upstream rows */
    const bool sparse = o->loss == LOSS_NONE &&
                        (o->op == OP_SPARSEMAX || o->op == OP_ENTMAX ||
                         o->op == OP_GUMBEL_SOFTMAX);
    if (sparse && o->grad != (o->upstream != NULL))
        return usage_error(o->grad ? "--grad with --op %s needs --upstream"
                                   : "--upstream goes with --grad",
                           op_name(o->op));
    if (sparse && o->grad && o->draws != 1)
        return usage_error("--grad takes one draw per row (no --draws)");
    for (int c = OPT_LABELS; c <= OPT_UPSTREAM; c++)
        if ((loss_given & LOSS_BIT(c)) &&
            !(sparse && (c == OPT_GRAD || c == OPT_UPSTREAM)) &&
            !(loss_option_ops(c) & (1u << o->loss)))
            return usage_error("--%s does not apply to --op %s", long_name(c),
                               o->loss == LOSS_NONE ? op_name(o->op)
                                                    : loss_names[o->loss]);
    const bool ce = o->loss == LOSS_CROSS_ENTROPY;
    const bool soft = o->loss == LOSS_SOFT_CROSS_ENTROPY || o->loss == LOSS_KL;
    if (ce && !o->labels)
        return usage_error("--op cross-entropy needs --labels");
    if (soft && !o->targets)
        return usage_error("--op %s needs --targets", loss_names[o->loss]);
    if (o->loss == LOSS_DISTILL && !o->teacher)
        return usage_error("--op distill needs --teacher");
    if (o->loss == LOSS_DISTILL &&
        !(o->temperature > 0.0 && (float)o->temperature <= FLT_MAX &&
          o->beta <= FLT_MAX))
        return usage_error("--op distill needs a finite temperature > 0 "
                           "whose inverse, beta, is finite");
    /* One stream cannot feed two inputs. */
    const bool logits_stdin =
        o->n_number_args == 0 && (!o->file || strcmp(o->file, "-") == 0);
    const char *const side[] = {o->labels, o->targets, o->teacher, o->weights,
                                o->upstream};
    int from_stdin = logits_stdin;
    for (size_t i = 0; i < sizeof side / sizeof side[0]; i++)
        from_stdin += side[i] && strcmp(side[i], "-") == 0;
    if (from_stdin > 1)
        return usage_error("only one input can come from standard input "
                           "('-'%s)", logits_stdin ? "; the logits do" : "");
    return EXIT_OK;
}

static int check_combination(const struct options *o, int beta_from,
                             unsigned loss_given)
{
    if (beta_from == (BETA_FROM_T | BETA_FROM_BETA))
        return usage_error("--beta and --temperature set the same thing "
                           "(beta = 1/T); give only one");
    if (o->file && o->n_number_args > 0)
        return usage_error("give numbers on the command line or an input "
                           "file ('%s'), not both", o->file);
    if (o->alpha_given && (o->loss != LOSS_NONE || o->op != OP_ENTMAX))
        return usage_error("--alpha goes with --op entmax");
    if (o->top_n && (o->loss != LOSS_NONE || o->op != OP_TOP))
        return usage_error("--top-n goes with --op top");
    if (o->pieces && (o->loss != LOSS_NONE ||
                      (o->op != OP_SOFTMAX && o->op != OP_LOG_SOFTMAX &&
                       o->op != OP_LOGSUMEXP)))
        return usage_error("--pieces goes with --op softmax, log-softmax or "
                           "logsumexp");
    if (o->threads > 1 && (o->pieces || o->loss != LOSS_NONE ||
                           (o->op != OP_SOFTMAX && o->op != OP_LOG_SOFTMAX &&
                            o->op != OP_LOGSUMEXP)))
        return usage_error("--threads goes with --op softmax, log-softmax or "
                           "logsumexp, without --pieces");
    const bool gumbel = o->op == OP_GUMBEL || o->op == OP_GUMBEL_SOFTMAX;
    const bool draws_op = o->op == OP_SAMPLE || gumbel;
    if (o->sampling_given && (o->loss != LOSS_NONE || !draws_op))
        return usage_error("--top-k, --top-p, --min-p, --seed and --draws go "
                           "with --op sample (--seed and --draws also with "
                           "--op gumbel and gumbel-softmax)");
    if (o->hard && (o->loss != LOSS_NONE || o->op != OP_GUMBEL_SOFTMAX))
        return usage_error("--hard goes with --op gumbel-softmax");
    if (o->op == OP_GUMBEL_SOFTMAX && o->loss == LOSS_NONE &&
        !(o->beta > 0.0f && o->beta <= FLT_MAX))
        return usage_error("--op gumbel-softmax needs a temperature (--tau) "
                           "> 0 whose inverse, beta, is finite");
    if (gumbel && o->loss == LOSS_NONE &&
        (o->top_k != 0 || o->top_p != 1.0f || o->min_p != 0.0f))
        return usage_error("--op %s takes no filters (--top-k, --top-p, "
                           "--min-p): use --op sample", op_name(o->op));
    return check_loss_options(o, loss_given);
}

int parse_options(int argc, char **argv, struct options *o)
{
    *o = (struct options){.action = ACTION_RUN, .op = OP_SOFTMAX,
                          .beta = 1.0f, .precision = 6, .conversion = 'f',
                          .temperature = 1.0, .ignore_index = -100,
                          .reduction = SM_REDUCTION_NONE, .top_p = 1.0f,
                          .draws = 1, .alpha = 1.5f, .threads = 1};
    o->number_args = malloc((size_t)argc * sizeof *o->number_args);
    if (!o->number_args) {
        fputs("softmax: out of memory\n", stderr);
        return EXIT_FAILED;
    }
    opterr = 0;
    int beta_from = 0;
    unsigned loss_given = 0;
    while (optind < argc) {
        const int at = optind;
        const char *arg = argv[at];
        if (strcmp(arg, "--") == 0) {
            for (int i = at + 1; i < argc; i++)
                add_operand(o, argv, i);
            break;
        }
        if (arg[0] != '-' || arg[1] == '\0' || arg_is_negative_number(arg)) {
            add_operand(o, argv, optind++);
            continue;
        }
        const int c = getopt_long(argc, argv, short_options, long_options,
                                  NULL);
        if (c == -1) /* not reached: arg looks like an option */
            break;
        if (c == 'h' || c == 'V') {
            o->action = c == 'h' ? ACTION_HELP : ACTION_VERSION;
            return EXIT_OK;
        }
        const int status = c == '?' || c == ':'
                               ? option_error("softmax", c, arg)
                               : apply_option(c, optarg, o, &beta_from);
        if (status != EXIT_OK)
            return status;
        if (c >= OPT_LABELS)
            loss_given |= LOSS_BIT(c);
    }
    return check_combination(o, beta_from, loss_given);
}

void free_options(struct options *o)
{
    free(o->number_args);
    o->number_args = NULL;
}
