/* softmax bench: a quick look at how fast each op runs on each ISA and exp
 * mode of this machine, in million elements per second, like 'openssl
 * speed'. Each cell gets an equal share of the time given; the per-shape
 * and peer comparisons are bench/'s (Google Benchmark). */
#include "bench.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "options.h"
#include "parse.h"
#include "softmax.h"

#define COMMAND "softmax bench"
#define DEFAULT_SECONDS 4.0
#define MAX_SECONDS 3600.0
#define MAX_SIZES 16
#define MAX_SIZE ((size_t)1 << 26) /* 256 MiB per buffer */
#define RUNS 3                     /* each cell reports the best of these */
#define MAX_BATCH (1L << 30)
#define N_MODES 2
#define N_OPS 3

/* Between the end of x and y: half a page, so that x[i] and y[i] never
 * share their low 12 address bits; loads and stores that do are taken for
 * possible conflicts ("4K aliasing") and stall. */
#define Y_SKEW 2048
#define PAGE 4096
#define ALIGN 64

static const size_t default_sizes[] = {100, 1000, 32000, 1048576};

static const struct exp_mode {
    const char *name;
    sm_flags flags;
} modes[N_MODES] = {{"sleef", 0}, {"fast-exp", SM_FAST_EXP}};

struct bench_options {
    double seconds;
    size_t sizes[MAX_SIZES];
    int n_sizes;
    unsigned ops;   /* bit (1u << op) per enum tool_op to run */
    unsigned isas;  /* bit (1u << isa) per sm_isa to run */
    size_t rows;    /* --rows: rows of each size per call */
    size_t threads; /* --threads: > 1 measures 1 and this many threads */
};

/* One cell's work: rows rows of n floats, beta 1, out of place. */
struct work {
    enum tool_op op;
    sm_options opt; /* beta 1; the exp mode's flags; the pool or NULL */
    size_t rows, n;
    const float *x;
    float *y;
};

static void print_bench_usage(FILE *out)
{
    fputs(
        "Usage: softmax bench [OPTION]...\n"
        "Measures libsoftmax on this machine: for every ISA it supports and\n"
        "both exp modes (sleef, the default, and fast-exp), the throughput of\n"
        "softmax, log-softmax and logsumexp on one row of n floats (beta 1,\n"
        "out of place), in million elements per second; best of 3 runs.\n"
        "\n"
        "      --seconds S         time of the whole table (default 4); a cell\n"
        "                          makes at least one call per run\n"
        "      --sizes N,N,...     row lengths (default 100,1000,32000,1048576)\n"
        "      --rows R            R rows of each length per call (default 1)\n"
        "      --threads N         each row with 1 thread and with a pool of N,\n"
        "                          then their ratio (N/1)\n"
        "      --op OP             only softmax, log-softmax or logsumexp\n"
        "      --isa NAME          only this ISA (auto: the one chosen\n"
        "                          automatically)\n"
        "  -h, --help              show this help and exit\n"
        "\n"
        "Nothing is pinned: use e.g. 'taskset -c 1 softmax bench' for steadier\n"
        "figures. Exit status: 0 success, 1 library or I/O error, 2 usage\n"
        "error.\n",
        out);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- options --------------------------------------------------------------- */

static int parse_seconds(const char *value, double *seconds)
{
    if (!parse_double(value, seconds) || !(*seconds > 0.0) ||
        *seconds > MAX_SECONDS)
        return command_usage_error(COMMAND, "--seconds needs a number of "
                                   "seconds above 0 and at most %g, not '%s'",
                                   MAX_SECONDS, value);
    return EXIT_OK;
}

/* The item of value that starts at p and ends before a ',' or the end, as
 * a size in [1, MAX_SIZE]; strtol's blanks and sign are not accepted. */
static bool parse_size_item(const char *p, size_t len, size_t *n)
{
    char item[32];
    long v;
    if (len == 0 || len >= sizeof item || p[0] < '0' || p[0] > '9')
        return false;
    memcpy(item, p, len);
    item[len] = '\0';
    if (!parse_int_in(item, 1, (long)MAX_SIZE, &v))
        return false;
    *n = (size_t)v;
    return true;
}

static int parse_sizes(const char *value, struct bench_options *b)
{
    const char *p = value;
    b->n_sizes = 0;
    for (;;) {
        const size_t len = strcspn(p, ",");
        if (b->n_sizes == MAX_SIZES)
            return command_usage_error(COMMAND, "--sizes takes at most %d "
                                       "sizes", MAX_SIZES);
        if (!parse_size_item(p, len, &b->sizes[b->n_sizes++]))
            return command_usage_error(COMMAND, "--sizes needs integers from "
                                       "1 to %zu separated by commas, not "
                                       "'%s'", MAX_SIZE, value);
        if (p[len] == '\0')
            return EXIT_OK;
        p += len + 1;
    }
}

static int parse_bench_op(const char *value, unsigned *ops)
{
    enum tool_op op;
    if (!op_from_name(value, &op) || op >= N_OPS)
        return command_usage_error(COMMAND, "unknown --op '%s' (expected "
                                   "softmax, log-softmax or logsumexp)",
                                   value);
    *ops = 1u << op;
    return EXIT_OK;
}

static int parse_bench_isa(const char *value, unsigned *isas)
{
    sm_isa isa;
    const bool known = sm_isa_from_name(value, &isa) == SM_OK;
    if (known && isa == SM_ISA_AUTO)
        isa = sm_isa_active(); /* nothing is forced yet */
    if (known && (sm_isa_supported() & (1u << isa))) {
        *isas = 1u << isa;
        return EXIT_OK;
    }
    if (known)
        fprintf(stderr, "softmax: ISA '%s' is not supported by this CPU or "
                        "build; supported here: ", value);
    else
        fprintf(stderr, "softmax: unknown ISA '%s'; supported here: ", value);
    print_isa_list(stderr, sm_isa_supported());
    fputs(" (or auto)\nTry '" COMMAND " --help' for more information.\n",
          stderr);
    return EXIT_USAGE;
}

static int parse_count(const char *name, const char *value, long max,
                       size_t *out)
{
    long v;
    if (!parse_int_in(value, 1, max, &v))
        return command_usage_error(COMMAND, "%s needs an integer from 1 to "
                                   "%ld, not '%s'", name, max, value);
    *out = (size_t)v;
    return EXIT_OK;
}

enum { OPT_SECONDS = 256, OPT_SIZES, OPT_OP, OPT_ISA, OPT_ROWS, OPT_THREADS };

static const struct option bench_long_options[] = {
    {"seconds", required_argument, NULL, OPT_SECONDS},
    {"sizes", required_argument, NULL, OPT_SIZES},
    {"op", required_argument, NULL, OPT_OP},
    {"isa", required_argument, NULL, OPT_ISA},
    {"rows", required_argument, NULL, OPT_ROWS},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int apply_bench_option(int c, const char *value, struct bench_options *b)
{
    switch (c) {
    case OPT_SECONDS:
        return parse_seconds(value, &b->seconds);
    case OPT_SIZES:
        return parse_sizes(value, b);
    case OPT_OP:
        return parse_bench_op(value, &b->ops);
    case OPT_ISA:
        return parse_bench_isa(value, &b->isas);
    case OPT_ROWS:
        return parse_count("--rows", value, (long)MAX_SIZE, &b->rows);
    case OPT_THREADS:
        return parse_count("--threads", value, SM_TOOL_MAX_THREADS,
                           &b->threads);
    }
    return EXIT_USAGE; /* not reached: getopt_long returns only the above */
}

/* Fills *b; *help is set by --help, which stops parsing. */
static int parse_bench_options(int argc, char **argv, struct bench_options *b,
                               bool *help)
{
    *b = (struct bench_options){.seconds = DEFAULT_SECONDS,
                                .ops = (1u << N_OPS) - 1,
                                .isas = sm_isa_supported(),
                                .rows = 1, .threads = 1};
    b->n_sizes = (int)(sizeof default_sizes / sizeof default_sizes[0]);
    memcpy(b->sizes, default_sizes, sizeof default_sizes);
    *help = false;
    opterr = 0;
    /* '+': stop at the first operand, which is an error (there are none). */
    int c;
    while ((c = getopt_long(argc, argv, "+:h", bench_long_options, NULL)) !=
           -1) {
        if (c == 'h') {
            *help = true;
            return EXIT_OK;
        }
        const int status = c == '?' || c == ':'
                               ? option_error(COMMAND, c, argv[optind - 1])
                               : apply_bench_option(c, optarg, b);
        if (status != EXIT_OK)
            return status;
    }
    if (optind < argc)
        return command_usage_error(COMMAND, "unexpected argument '%s'",
                                   argv[optind]);
    for (int i = 0; i < b->n_sizes; i++)
        if (b->sizes[i] > MAX_SIZE / b->rows)
            return command_usage_error(COMMAND, "--rows times a size must be "
                                       "at most %zu", MAX_SIZE);
    return EXIT_OK;
}

/* ---- buffers ----------------------------------------------------------------- */

static size_t round_up(size_t v, size_t to)
{
    return (v + to - 1) / to * to;
}

/* Deterministic logits in [-10, 10): a 32-bit LCG (Numerical Recipes'
 * constants), its top 24 bits as the fraction. */
static void fill_logits(float *x, size_t n)
{
    uint32_t s = 12345u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = -10.0f + 20.0f * ((float)(s >> 8) * 0x1p-24f);
    }
}

/* One 64-byte aligned block for x and y (freed through *base); y starts
 * Y_SKEW bytes past a page boundary after x. */
static bool alloc_buffers(size_t n, void **base, float **x, float **y)
{
    const size_t x_bytes = round_up(n * sizeof(float), PAGE);
    const size_t bytes = round_up(x_bytes + Y_SKEW + n * sizeof(float),
                                  ALIGN);
    *base = aligned_alloc(ALIGN, bytes);
    if (!*base)
        return false;
    *x = *base;
    *y = (float *)((char *)*base + x_bytes + Y_SKEW);
    fill_logits(*x, n);
    /* Fault the output pages in now, not in the first cell's calls. */
    memset(*y, 0, n * sizeof(float));
    return true;
}

/* ---- timing ------------------------------------------------------------------ */

static sm_status call_once(const struct work *w)
{
    switch (w->op) {
    case OP_SOFTMAX:
        return sm_softmax_rows_f32(w->rows, w->n, w->x, w->n, w->y, w->n,
                                   &w->opt);
    case OP_LOG_SOFTMAX:
        return sm_log_softmax_rows_f32(w->rows, w->n, w->x, w->n, w->y, w->n,
                                       &w->opt);
    case OP_LOGSUMEXP:
        break;
    case OP_ARGMAX: /* not among the N_OPS ops measured here */
    case OP_TOP:
    case OP_SAMPLE:
    case OP_GUMBEL:
    case OP_SPARSEMAX:
    case OP_HARDMAX:
    case OP_GUMBEL_SOFTMAX:
    case OP_ENTMAX:
        return SM_EINVAL;
    }
    return sm_logsumexp_rows_f32(w->rows, w->n, w->x, w->n, w->y, &w->opt);
}

/* *seconds: the time of reps calls in a row. */
static sm_status time_calls(const struct work *w, long reps, double *seconds)
{
    const double t0 = now();
    for (long i = 0; i < reps; i++) {
        const sm_status st = call_once(w);
        if (st != SM_OK)
            return st;
    }
    *seconds = now() - t0;
    return SM_OK;
}

/* The best time per call of RUNS runs that together take about share
 * seconds. A batch of calls doubles until it takes an eighth of a run (the
 * first calls warm caches and branch predictors), then sets the run's
 * length; every run makes at least one call. */
static sm_status measure_cell(const struct work *w, double share,
                              double *per_call)
{
    const double run_seconds = share / (RUNS + 0.25);
    long batch = 1;
    double t;
    for (;;) {
        const sm_status st = time_calls(w, batch, &t);
        if (st != SM_OK)
            return st;
        if (t >= run_seconds / 8 || batch >= MAX_BATCH)
            break;
        batch *= 2;
    }
    const double estimate = t / (double)batch;
    const double r = estimate > 0 ? run_seconds / estimate : (double)MAX_BATCH;
    const long reps = r < 1 ? 1 : r > (double)MAX_BATCH ? MAX_BATCH : (long)r;
    *per_call = estimate;
    for (int run = 0; run < RUNS; run++) {
        const sm_status st = time_calls(w, reps, &t);
        if (st != SM_OK)
            return st;
        if (run == 0 || t / (double)reps < *per_call)
            *per_call = t / (double)reps;
    }
    return SM_OK;
}

/* ---- the table --------------------------------------------------------------- */

#define OP_WIDTH 12
#define ISA_WIDTH 7
#define MODE_WIDTH 8
#define MIN_CELL_WIDTH 8
#define THREADS_WIDTH 7

static int cell_width(size_t n)
{
    const int w = snprintf(NULL, 0, "n=%zu", n);
    return w > MIN_CELL_WIDTH ? w : MIN_CELL_WIDTH;
}

static void print_header(const struct bench_options *b)
{
    printf("libsoftmax %s; cpu features: %s; active ISA: %s\n", sm_version(),
           sm_cpu_features(), sm_isa_name(sm_isa_active()));
    if (b->rows > 1)
        printf("%zu rows of n per call\n", b->rows);
    printf("%-*s %-*s %-*s", OP_WIDTH, "op", ISA_WIDTH, "isa", MODE_WIDTH,
           "exp");
    if (b->threads > 1)
        printf(" %*s", THREADS_WIDTH, "threads");
    for (int i = 0; i < b->n_sizes; i++) {
        char label[32];
        snprintf(label, sizeof label, "n=%zu", b->sizes[i]);
        printf(" %*s", cell_width(b->sizes[i]), label);
    }
    puts("   (M elements/s)");
    fflush(stdout);
}

/* One decimal, or two significant digits below 1: a slow cell (under an
 * emulator, say) must not print as 0.0. */
static void print_figure(int width, double v)
{
    int decimals = 1;
    for (double t = v; t < 1.0 && t > 0.0 && decimals < 9; t *= 10.0)
        decimals++;
    printf(" %*.*f", width, decimals, v);
}

/* A row's first columns; threads: the threads column's label, or NULL
 * when the table has none. */
static void print_row_start(enum tool_op op, sm_isa isa,
                            const struct exp_mode *mode, const char *threads)
{
    printf("%-*s %-*s %-*s", OP_WIDTH, op_name(op), ISA_WIDTH,
           sm_isa_name(isa), MODE_WIDTH, mode->name);
    if (threads)
        printf(" %*s", THREADS_WIDTH, threads);
}

/* Measures and prints one row of the table, its figures also into rate;
 * the ISA is already forced. */
static sm_status bench_row(const struct bench_options *b, struct work w,
                           double share, sm_isa isa,
                           const struct exp_mode *mode, const char *threads,
                           double rate[MAX_SIZES])
{
    print_row_start(w.op, isa, mode, threads);
    w.opt.flags = mode->flags;
    for (int i = 0; i < b->n_sizes; i++) {
        double per_call;
        w.n = b->sizes[i];
        const sm_status st = measure_cell(&w, share, &per_call);
        if (st != SM_OK)
            return st;
        rate[i] = 1e-6 * (double)(w.rows * w.n) / per_call;
        print_figure(cell_width(w.n), rate[i]);
    }
    putchar('\n');
    fflush(stdout); /* show progress: the table takes seconds */
    return SM_OK;
}

/* With --threads N: a row with one thread, one with the pool (par), and
 * the ratio of their figures. */
static sm_status bench_scaling(const struct bench_options *b, struct work w,
                               double share, sm_isa isa,
                               const struct exp_mode *mode,
                               const sm_parallel *par)
{
    char label[32];
    double one[MAX_SIZES], many[MAX_SIZES];
    w.opt.parallel = NULL;
    sm_status st = bench_row(b, w, share, isa, mode, "1", one);
    snprintf(label, sizeof label, "%zu", b->threads);
    w.opt.parallel = par;
    if (st == SM_OK)
        st = bench_row(b, w, share, isa, mode, label, many);
    if (st != SM_OK)
        return st;
    snprintf(label, sizeof label, "%zu/1", b->threads);
    print_row_start(w.op, isa, mode, label);
    for (int i = 0; i < b->n_sizes; i++)
        printf(" %*.2f", cell_width(b->sizes[i]), many[i] / one[i]);
    putchar('\n');
    fflush(stdout);
    return SM_OK;
}

static int count_bits(unsigned v)
{
    int k = 0;
    for (; v; v &= v - 1)
        k++;
    return k;
}

/* Every row: op, then ISA, then exp mode; each cell takes share seconds.
 * par: the pool of --threads, or NULL. Leaves the ISA forced. */
static sm_status run_table(const struct bench_options *b, struct work w,
                           double share, const sm_parallel *par)
{
    double rate[MAX_SIZES];
    for (int op = 0; op < N_OPS; op++) {
        if (!(b->ops & (1u << op)))
            continue;
        w.op = (enum tool_op)op;
        for (int isa = 0; isa < SM_ISA_COUNT; isa++) {
            if (!(b->isas & (1u << isa)))
                continue;
            sm_status st = sm_isa_force((sm_isa)isa);
            for (int m = 0; st == SM_OK && m < N_MODES; m++)
                st = par ? bench_scaling(b, w, share, (sm_isa)isa, &modes[m],
                                         par)
                         : bench_row(b, w, share, (sm_isa)isa, &modes[m],
                                     NULL, rate);
            if (st != SM_OK || ferror(stdout))
                return st;
        }
    }
    return SM_OK;
}

static size_t largest_size(const struct bench_options *b)
{
    size_t n = 0;
    for (int i = 0; i < b->n_sizes; i++)
        n = b->sizes[i] > n ? b->sizes[i] : n;
    return n;
}

/* Runs the table; start: when the command started. */
static int bench(const struct bench_options *b, double start)
{
    void *base;
    float *x, *y;
    sm_thread_pool *pool = NULL;
    sm_status st = b->threads > 1 ? sm_thread_pool_create(b->threads, &pool)
                                  : SM_OK;
    if (st != SM_OK) {
        fprintf(stderr, "softmax: bench: --threads: %s\n", sm_strerror(st));
        return EXIT_FAILED;
    }
    if (!alloc_buffers(b->rows * largest_size(b), &base, &x, &y)) {
        sm_thread_pool_destroy(pool);
        fputs("softmax: bench: out of memory\n", stderr);
        return EXIT_FAILED;
    }
    const struct work w = {.opt = SM_OPTIONS_INIT, .rows = b->rows, .x = x,
                           .y = y};
    const int cells = count_bits(b->ops) * count_bits(b->isas) * N_MODES *
                      b->n_sizes * (pool ? 2 : 1);
    print_header(b);
    st = run_table(b, w, b->seconds / cells, sm_thread_pool_parallel(pool));
    const sm_status back = sm_isa_force(SM_ISA_AUTO);
    if (st == SM_OK)
        st = back;
    sm_thread_pool_destroy(pool);
    free(base);
    if (st != SM_OK) {
        fprintf(stderr, "softmax: bench: %s\n", sm_strerror(st));
        return EXIT_FAILED;
    }
    if (ferror(stdout)) { /* run_table stopped at the row that failed */
        fprintf(stderr, "softmax: write error: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    printf("took %.2f s\n", now() - start);
    return EXIT_OK;
}

int bench_main(int argc, char **argv)
{
    const double start = now();
    struct bench_options b;
    bool help;
    const int status = parse_bench_options(argc, argv, &b, &help);
    if (status != EXIT_OK)
        return status;
    if (help) {
        print_bench_usage(stdout);
        return EXIT_OK;
    }
    return bench(&b, start);
}
