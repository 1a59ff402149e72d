#include "options.h"

#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "softmax.h"

/* Each float is a multiple of 2^-149, so 149 digits print any exactly. */
#define MAX_PRECISION 149

enum { OPT_FORMAT = 256, OPT_ISA, OPT_INFO, OPT_FAST_EXP };

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
    {"beta", required_argument, NULL, 'b'},
    {"precision", required_argument, NULL, 'p'},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"isa", required_argument, NULL, OPT_ISA},
    {"info", no_argument, NULL, OPT_INFO},
    {"fast-exp", no_argument, NULL, OPT_FAST_EXP},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

void print_usage(FILE *out)
{
    fputs(
        "Usage: softmax [OPTION]... [NUMBER]...\n"
        "       softmax [OPTION]... [--file FILE | -]\n"
        "       softmax bench [--seconds S] [--sizes N,...] [--op OP] [--isa NAME]\n"
        "Softmax, log-softmax or logsumexp of rows of logits, with libsoftmax.\n"
        "\n"
        "The NUMBERs on the command line form one row. Without them the rows\n"
        "come from FILE, or from standard input ('-', '--file -', or when\n"
        "standard input is not a terminal): one row per line, numbers separated\n"
        "by spaces, tabs or commas; blank lines are skipped and rows may differ\n"
        "in length. Numbers are read as strtof reads them: 1, -2.5, 1e-3, inf,\n"
        "-inf, nan. Use '--' before the numbers if one could look like an option.\n"
        "\n"
        "  -f, --file FILE         read rows from FILE ('-' for standard input)\n"
        "  -o, --op OP             softmax (default), log-softmax or logsumexp\n"
        "  -t, --temperature T     divide the logits by T (T = 0: hardmax)\n"
        "  -b, --beta B            multiply the logits by B = 1/T (default 1)\n"
        "  -p, --precision N       digits after the decimal point (default 6)\n"
        "      --format F          printf conversion for the output: f (default),\n"
        "                          e, or g (then N counts significant digits)\n"
        "      --isa NAME          use this instruction set's kernels: scalar,\n"
        "                          avx2, avx512, neon, sve or auto (results are\n"
        "                          the same bits on every ISA; speed differs)\n"
        "      --fast-exp          use the library's faster exp (SM_FAST_EXP):\n"
        "                          a few ulp from the default, and again the\n"
        "                          same bits on every ISA\n"
        "      --info              show CPU features, ISAs and versions, and exit\n"
        "  -h, --help              show this help and exit\n"
        "  -V, --version           show the version and exit\n"
        "\n"
        "Output: one line per row, values separated by single spaces; one value\n"
        "per row for logsumexp. SOFTMAX_ISA=NAME in the environment caps the\n"
        "automatic ISA choice. 'softmax bench' measures the speed of every\n"
        "ISA on this machine ('softmax bench --help' for its options).\n"
        "\n"
        "Exit status: 0 success, 1 library or I/O error, 2 usage error or bad\n"
        "input (the message names the line and byte column of a bad number;\n"
        "rows before it have been printed, nothing of its own row).\n",
        out);
}

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

static int parse_op(const char *value, enum tool_op *op)
{
    if (op_from_name(value, op))
        return EXIT_OK;
    return usage_error("unknown --op '%s' (expected softmax, log-softmax or "
                       "logsumexp)", value);
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
        status = parse_op(value, &o->op);
        break;
    case 't':
        status = parse_real_option("temperature", value, &d);
        o->beta = (float)(1.0 / d); /* T = +-0 gives beta = +-inf */
        *beta_from |= BETA_FROM_T;
        break;
    case 'b':
        status = parse_real_option("beta", value, &d);
        o->beta = (float)d;
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

static int check_combination(const struct options *o, int beta_from)
{
    if (beta_from == (BETA_FROM_T | BETA_FROM_BETA))
        return usage_error("--beta and --temperature set the same thing "
                           "(beta = 1/T); give only one");
    if (o->file && o->n_number_args > 0)
        return usage_error("give numbers on the command line or an input "
                           "file ('%s'), not both", o->file);
    return EXIT_OK;
}

int parse_options(int argc, char **argv, struct options *o)
{
    *o = (struct options){.action = ACTION_RUN, .op = OP_SOFTMAX,
                          .beta = 1.0f, .precision = 6, .conversion = 'f'};
    o->number_args = malloc((size_t)argc * sizeof *o->number_args);
    if (!o->number_args) {
        fputs("softmax: out of memory\n", stderr);
        return EXIT_FAILED;
    }
    opterr = 0;
    int beta_from = 0;
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
    }
    return check_combination(o, beta_from);
}

void free_options(struct options *o)
{
    free(o->number_args);
    o->number_args = NULL;
}
