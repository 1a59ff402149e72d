/* softmax: the command-line front end of libsoftmax. Options are parsed in
 * options.c and numbers in parse.c; this file reads rows, calls the library
 * and prints the results. 'softmax bench' lives in bench.c. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "options.h"
#include "parse.h"
#include "softmax.h"

/* Where a row came from, for messages: "line 3" or "argument 2". */
struct source {
    const char *kind;
    size_t index;
};

/* Longer bad tokens are cut short in messages. */
#define TOKEN_SHOWN 40

static int force_isa(const char *name)
{
    sm_isa isa;
    sm_status st = sm_isa_from_name(name, &isa);
    if (st == SM_OK)
        st = sm_isa_force(isa);
    if (st == SM_OK)
        return EXIT_OK;
    if (st == SM_ENOTSUP)
        fprintf(stderr, "softmax: ISA '%s' is not supported by this CPU or "
                        "build; supported here: ", name);
    else
        fprintf(stderr, "softmax: unknown ISA '%s'; supported here: ", name);
    print_isa_list(stderr, sm_isa_supported());
    fputs(" (or auto)\n", stderr);
    return EXIT_USAGE;
}

/* The library ignores an empty SOFTMAX_ISA or "auto", and warns about and
 * ignores a name it cannot parse; say so rather than look obeyed. */
static void print_env_isa(void)
{
    const char *env = getenv("SOFTMAX_ISA");
    sm_isa isa;
    if (!env || !*env)
        puts("SOFTMAX_ISA: (unset)");
    else if (sm_isa_from_name(env, &isa) != SM_OK)
        printf("SOFTMAX_ISA: %s (ignored: not an ISA name)\n", env);
    else if (isa == SM_ISA_AUTO)
        printf("SOFTMAX_ISA: %s (no cap)\n", env);
    else
        printf("SOFTMAX_ISA: %s\n", env);
}

static void print_info(const struct options *o)
{
    sm_isa forced = SM_ISA_AUTO;
    if (o->isa)
        sm_isa_from_name(o->isa, &forced); /* already checked by force_isa */
    printf("library version: %s\n", sm_version());
    printf("header version: %s\n", SM_VERSION_STRING);
    printf("cpu features: %s\n", sm_cpu_features());
    fputs("supported: ", stdout);
    print_isa_list(stdout, sm_isa_supported());
    putchar('\n');
    printf("active: %s\n", sm_isa_name(sm_isa_active()));
    printf("forced: %s\n", forced == SM_ISA_AUTO ? "no" : sm_isa_name(forced));
    print_env_isa();
}

/* Control bytes are shown as \xNN so that a message stays one clean line. */
static void print_token(FILE *out, const char *text, size_t len)
{
    const size_t shown = len > TOKEN_SHOWN ? TOKEN_SHOWN : len;
    for (size_t i = 0; i < shown; i++) {
        const unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            putc(c, out);
    }
    if (shown < len)
        fputs("...", out);
}

static void report_bad_token(struct source src, const struct bad_token *bad)
{
    fflush(stdout); /* earlier rows first, when both go to a terminal */
    fprintf(stderr, "softmax: %s %zu, column %zu: invalid number '",
            src.kind, src.index, bad->column);
    print_token(stderr, bad->text, bad->len);
    fputs("'\n", stderr);
}

static int parse_status_exit(enum parse_status st, struct source src,
                             const struct bad_token *bad)
{
    switch (st) {
    case PARSE_OK:
        return EXIT_OK;
    case PARSE_BAD_TOKEN:
        report_bad_token(src, bad);
        return EXIT_USAGE;
    case PARSE_NOMEM:
        break;
    }
    fprintf(stderr, "softmax: %s %zu: out of memory\n", src.kind, src.index);
    return EXIT_FAILED;
}

static void print_value(const struct options *o, float x)
{
    if (isnan(x)) { /* glibc would print "-nan" for a NaN with its sign set */
        fputs("nan", stdout);
        return;
    }
    switch (o->conversion) {
    case 'e':
        printf("%.*e", o->precision, (double)x);
        break;
    case 'g':
        printf("%.*g", o->precision, (double)x);
        break;
    default:
        printf("%.*f", o->precision, (double)x);
        break;
    }
}

/* Softmax and log-softmax run in place, which the library allows. Flags 0
 * make the _ex functions exactly the plain ones. */
static sm_status compute(const struct options *o, struct row *row,
                         float *lse)
{
    const size_t n = row->n;
    const sm_flags flags = o->fast_exp ? SM_FAST_EXP : 0;
    float *v = row->v;
    switch (o->op) {
    case OP_SOFTMAX:
        return sm_softmax_rows_ex_f32(1, n, o->beta, v, n, v, n, flags);
    case OP_LOG_SOFTMAX:
        return sm_log_softmax_rows_ex_f32(1, n, o->beta, v, n, v, n, flags);
    case OP_LOGSUMEXP:
        break;
    }
    return sm_logsumexp_rows_ex_f32(1, n, o->beta, v, n, lse, flags);
}

static int check_stdout(void)
{
    if (!ferror(stdout))
        return EXIT_OK;
    fprintf(stderr, "softmax: write error: %s\n", strerror(errno));
    return EXIT_FAILED;
}

/* Computes and prints one fully parsed, non-empty row. */
static int emit_row(const struct options *o, struct row *row,
                    struct source src)
{
    float lse;
    const sm_status st = compute(o, row, &lse);
    if (st != SM_OK) {
        fflush(stdout);
        fprintf(stderr, "softmax: %s %zu: %s\n", src.kind, src.index,
                sm_strerror(st));
        return EXIT_FAILED;
    }
    if (o->op == OP_LOGSUMEXP) {
        print_value(o, lse);
    } else {
        for (size_t i = 0; i < row->n; i++) {
            if (i)
                putchar(' ');
            print_value(o, row->v[i]);
        }
    }
    putchar('\n');
    return check_stdout();
}

/* The numbers on the command line are one row; an argument may itself hold
 * several ("1,2,3"). */
static int run_args(const struct options *o, char **argv)
{
    struct row row = {0};
    int status = EXIT_OK;
    for (int i = 0; status == EXIT_OK && i < o->n_number_args; i++) {
        const int a = o->number_args[i];
        struct bad_token bad;
        const enum parse_status st =
            parse_numbers(argv[a], strlen(argv[a]), &row, &bad);
        status = parse_status_exit(st, (struct source){"argument",
                                                       (size_t)a}, &bad);
    }
    if (status == EXIT_OK && row.n > 0)
        status = emit_row(o, &row, (struct source){"argument", 1});
    row_free(&row);
    return status;
}

/* One row per line; each line is parsed completely before anything of it
 * is printed, so a bad number leaves no half-printed row. */
static int run_stream(const struct options *o, FILE *in, const char *name)
{
    struct row row = {0};
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t len;
    int status = EXIT_OK;
    while (status == EXIT_OK && (len = getline(&line, &cap, in)) != -1) {
        const struct source src = {"line", ++lineno};
        struct bad_token bad;
        row.n = 0;
        status = parse_status_exit(parse_numbers(line, (size_t)len, &row, &bad),
                                   src, &bad);
        if (status == EXIT_OK && row.n > 0)
            status = emit_row(o, &row, src);
    }
    if (status == EXIT_OK && !feof(in)) { /* getline failed: I/O or memory */
        fprintf(stderr, "softmax: %s: %s\n", name, strerror(errno));
        status = EXIT_FAILED;
    }
    free(line);
    row_free(&row);
    return status;
}

static int run_file(const struct options *o, const char *path)
{
    if (strcmp(path, "-") == 0)
        return run_stream(o, stdin, "standard input");
    FILE *in = fopen(path, "r");
    if (!in) {
        fprintf(stderr, "softmax: %s: %s\n", path, strerror(errno));
        return EXIT_FAILED;
    }
    const int status = run_stream(o, in, path);
    fclose(in);
    return status;
}

static int run(const struct options *o, char **argv)
{
    switch (o->action) {
    case ACTION_HELP:
        print_usage(stdout);
        return EXIT_OK;
    case ACTION_VERSION:
        printf("softmax %s (libsoftmax %s)\n", SM_VERSION_STRING,
               sm_version());
        return EXIT_OK;
    case ACTION_INFO:
    case ACTION_RUN:
        break;
    }
    if (o->isa) {
        const int status = force_isa(o->isa);
        if (status != EXIT_OK)
            return status;
    }
    if (o->action == ACTION_INFO) {
        print_info(o);
        return EXIT_OK;
    }
    if (o->n_number_args > 0)
        return run_args(o, argv);
    if (o->file)
        return run_file(o, o->file);
    if (isatty(STDIN_FILENO)) {
        fputs("softmax: no input: give numbers, --file FILE, or pipe rows "
              "into standard input\nTry 'softmax --help' for more "
              "information.\n", stderr);
        return EXIT_USAGE;
    }
    return run_stream(o, stdin, "standard input");
}

static int run_tool(int argc, char **argv)
{
    struct options o;
    int status = parse_options(argc, argv, &o);
    if (status == EXIT_OK)
        status = run(&o, argv);
    free_options(&o);
    return status;
}

int main(int argc, char **argv)
{
    const bool bench = argc > 1 && strcmp(argv[1], "bench") == 0;
    int status = bench ? bench_main(argc - 1, argv + 1) : run_tool(argc, argv);
    /* Output may still sit in the buffer: a full disk shows up here. */
    if (fflush(stdout) == EOF && status == EXIT_OK) {
        fprintf(stderr, "softmax: write error: %s\n", strerror(errno));
        status = EXIT_FAILED;
    }
    return status;
}
