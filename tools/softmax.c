/* softmax: the command-line front end of libsoftmax. Options are parsed in
 * options.c, numbers in parse.c and rows read by reader.c; this file feeds
 * the rows to the library, or to loss.c for the losses, and prints the
 * results. 'softmax bench' lives in bench.c. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "loss.h"
#include "options.h"
#include "parse.h"
#include "reader.h"
#include "report.h"
#include "side.h"
#include "softmax.h"

/* --op sparsemax, entmax or gumbel-softmax --grad: the upstream rows, read
 * one per row of logits. */
struct upstream {
    struct side side;
    struct reader rows;
    struct row dy;
    float *dx;
    size_t cap;
};

/* What each row goes to: the op's own computation, or the loss run. */
struct job {
    const struct options *o;
    struct loss_run *loss; /* NULL unless --op names a loss */
    struct upstream *up;   /* NULL unless --op sparsemax, entmax or
                              gumbel-softmax --grad */
};

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
    if (o->isa && sm_isa_from_name(o->isa, &forced) != SM_OK)
        forced = SM_ISA_AUTO; /* not reached: force_isa checked the name */
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

/* What a row gives besides its own values (softmax and log-softmax run in
 * place, which the library allows). */
struct row_result {
    float lse;                   /* logsumexp */
    size_t n;                    /* argmax: 1; top: the entries kept */
    int32_t index[SM_TOP_MAX];   /* argmax, top */
    float logp[SM_TOP_MAX];      /* top */
};

/* --op top: --top-n entries (5 if not given), at most the row's. */
static size_t top_count(const struct options *o, size_t cols)
{
    const size_t n = o->top_n ? o->top_n : 5;
    return n < cols ? n : cols;
}

/* --pieces: the row folded into an online state o->pieces entries at a
 * time, then softmax or log-softmax written piece by piece (in place), or
 * the state's logsumexp. */
static sm_status compute_in_pieces(const struct options *o,
                                   const sm_options *opt, struct row *row,
                                   struct row_result *out)
{
    const size_t n = row->n, step = o->pieces;
    float *v = row->v;
    sm_softmax_state st;
    sm_status s = sm_softmax_state_init(1, &st, opt);
    for (size_t at = 0; s == SM_OK && at < n; at += step) {
        const size_t len = n - at < step ? n - at : step;
        s = sm_softmax_state_fold_rows_f32(1, len, v + at, len, NULL, 0, &st);
    }
    if (s != SM_OK || o->op == OP_LOGSUMEXP)
        return s == SM_OK ? sm_softmax_state_logsumexp(1, &st, &out->lse) : s;
    for (size_t at = 0; s == SM_OK && at < n; at += step) {
        const size_t len = n - at < step ? n - at : step;
        s = o->op == OP_SOFTMAX
                ? sm_softmax_state_softmax_rows_f32(1, len, v + at, len, &st,
                                                    v + at, len)
                : sm_softmax_state_log_softmax_rows_f32(1, len, v + at, len,
                                                        &st, v + at, len);
    }
    return s;
}

static sm_entmax_options entmax_options(const struct options *o)
{
    sm_entmax_options e = SM_ENTMAX_OPTIONS_INIT;
    e.beta = o->beta;
    e.flags = o->fast_exp ? SM_FAST_EXP : 0;
    e.alpha = o->alpha;
    return e;
}

static sm_status compute(const struct options *o, struct row *row,
                         struct row_result *out)
{
    const size_t n = row->n;
    sm_options opt = SM_OPTIONS_INIT;
    opt.beta = o->beta;
    opt.flags = o->fast_exp ? SM_FAST_EXP : 0;
    opt.parallel = o->parallel;
    if (o->pieces)
        return compute_in_pieces(o, &opt, row, out);
    float *v = row->v;
    switch (o->op) {
    case OP_SOFTMAX:
        return sm_softmax_rows_f32(1, n, v, n, v, n, &opt);
    case OP_LOG_SOFTMAX:
        return sm_log_softmax_rows_f32(1, n, v, n, v, n, &opt);
    case OP_ARGMAX:
        out->n = 1;
        return sm_argmax_rows_f32(1, n, v, n, out->index, &opt);
    case OP_TOP:
        out->n = top_count(o, n);
        return sm_top_rows_f32(1, n, out->n, v, n, out->index, out->n,
                               out->logp, out->n, &opt);
    case OP_SPARSEMAX:
        return sm_sparsemax_rows_f32(1, n, v, n, v, n, &opt);
    case OP_HARDMAX:
        return sm_hardmax_rows_f32(1, n, v, n, v, n, &opt);
    case OP_ENTMAX: {
        const sm_entmax_options e = entmax_options(o);
        return sm_entmax_rows_f32(1, n, v, n, v, n, &e);
    }
    case OP_LOGSUMEXP:
    case OP_SAMPLE: /* sample_row */
    case OP_GUMBEL:
    case OP_GUMBEL_SOFTMAX: /* gumbel_softmax_row */
        break;
    }
    return sm_logsumexp_rows_f32(1, n, v, n, &out->lse, &opt);
}

/* --op sample: --draws lines of "TOKEN PROB" per row, --op gumbel of
 * "TOKEN"; draw d of the k-th row (from 0) takes counter k * draws + d. */
static sm_status sample_row(const struct options *o, const struct row *row)
{
    static uint64_t rows_done;
    sm_sampler_options so = SM_SAMPLER_OPTIONS_INIT;
    so.beta = o->beta;
    so.flags = o->fast_exp ? SM_FAST_EXP : 0;
    so.seed = o->seed;
    so.top_k = o->top_k;
    so.top_p = o->top_p;
    so.min_p = o->min_p;
    for (size_t d = 0; d < o->draws; d++) {
        const uint64_t counter = rows_done * o->draws + d;
        int32_t token;
        float prob;
        const sm_status st =
            o->op == OP_GUMBEL
                ? sm_gumbel_max_rows_f32(1, row->n, row->v, row->n, &counter,
                                         &token, &so)
                : sm_sample_rows_f32(1, row->n, row->v, row->n, &counter,
                                     &token, &prob, NULL, &so);
        if (st != SM_OK)
            return st;
        printf("%" PRId32, token);
        if (o->op == OP_SAMPLE) {
            putchar(' ');
            print_value(o, prob);
        }
        putchar('\n');
    }
    rows_done++;
    return SM_OK;
}

/* "softmax: SRC: MESSAGE" for a status the library returned. */
static int library_error(struct source src, sm_status st)
{
    fflush(stdout);
    fputs("softmax: ", stderr);
    print_source(stderr, src);
    fprintf(stderr, ": %s\n", sm_strerror(st));
    return EXIT_FAILED;
}

static int upstream_open(const char *value, struct upstream **out)
{
    struct upstream *u = calloc(1, sizeof *u);
    *out = u;
    if (!u) {
        fputs("softmax: out of memory\n", stderr);
        return EXIT_FAILED;
    }
    const int status = side_open("--upstream", value, &u->side);
    if (status == EXIT_OK)
        side_reader(&u->side, &u->rows);
    return status;
}

static void upstream_close(struct upstream *u)
{
    if (!u)
        return;
    reader_free(&u->rows);
    side_close(&u->side);
    row_free(&u->dy);
    free(u->dx);
    free(u);
}

/* The gradient row from the next upstream row, printed: sparsemax's or
 * entmax's of its output y, Gumbel-softmax's through the softmax backward of
 * its soft sample y (n entries); src names the row of logits. */
static int emit_grad(const struct options *o, struct upstream *u,
                     const float *y, size_t n, struct source src)
{
    bool got;
    int status = reader_row(&u->rows, &u->dy, &got);
    if (status != EXIT_OK)
        return status;
    if (!got)
        return input_error(src, "no upstream row left for this row");
    if (u->dy.n != n)
        return input_error(src, "%zu logits, but %zu upstream values", n,
                           u->dy.n);
    if (n > u->cap) {
        float *dx = realloc(u->dx, n * sizeof *dx);
        if (!dx) {
            fputs("softmax: out of memory\n", stderr);
            return EXIT_FAILED;
        }
        u->dx = dx;
        u->cap = n;
    }
    sm_options opt = SM_OPTIONS_INIT;
    opt.beta = o->beta;
    const sm_entmax_options e = entmax_options(o);
    sm_status st;
    if (o->op == OP_GUMBEL_SOFTMAX)
        st = sm_softmax_backward_rows_f32(1, n, y, n, u->dy.v, n, u->dx, n,
                                          &opt);
    else if (o->op == OP_ENTMAX)
        st = sm_entmax_backward_rows_f32(1, n, y, n, u->dy.v, n, u->dx, n, &e);
    else
        st = sm_sparsemax_backward_rows_f32(1, n, y, n, u->dy.v, n, u->dx, n,
                                            &opt);
    if (st != SM_OK)
        return library_error(src, st);
    print_values(o, u->dx, n);
    return check_stdout();
}

/* --op gumbel-softmax: --draws output rows per row, soft or (--hard)
 * one-hot; draw d of the k-th row (from 0) takes counter k * draws + d, as
 * --op gumbel. With --grad (one draw), the gradient row follows. */
static int gumbel_softmax_row(const struct job *j, const struct row *row,
                              struct source src)
{
    static uint64_t rows_done;
    const struct options *o = j->o;
    sm_sampler_options so = SM_SAMPLER_OPTIONS_INIT;
    so.beta = o->beta;
    so.flags = (o->fast_exp ? SM_FAST_EXP : 0u) |
               (o->hard ? SM_GUMBEL_HARD : 0u);
    so.seed = o->seed;
    const size_t n = row->n;
    float *y = malloc(2 * n * sizeof *y);
    if (!y) {
        fputs("softmax: out of memory\n", stderr);
        return EXIT_FAILED;
    }
    float *soft = y + n;
    int status = EXIT_OK;
    for (size_t d = 0; status == EXIT_OK && d < o->draws; d++) {
        const uint64_t counter = rows_done * o->draws + d;
        const sm_status st = sm_gumbel_softmax_rows_f32(
            1, n, row->v, n, &counter, y, n, soft, n, &so);
        if (st != SM_OK) {
            status = library_error(src, st);
            break;
        }
        print_values(o, y, n);
        status = check_stdout();
        if (status == EXIT_OK && j->up)
            status = emit_grad(o, j->up, soft, n, src);
    }
    free(y);
    rows_done++;
    return status;
}

/* Computes and prints one fully parsed, non-empty row. */
static int emit_row(const struct job *j, struct row *row, struct source src)
{
    if (j->loss)
        return loss_add_row(j->loss, row, src);
    const struct options *o = j->o;
    if (o->op == OP_GUMBEL_SOFTMAX)
        return gumbel_softmax_row(j, row, src);
    if (o->op == OP_SAMPLE || o->op == OP_GUMBEL) {
        const sm_status st = sample_row(o, row);
        return st != SM_OK ? library_error(src, st) : check_stdout();
    }
    static struct row_result res; /* 8 KiB: off the stack */
    const sm_status st = compute(o, row, &res);
    if (st != SM_OK)
        return library_error(src, st);
    if (o->op == OP_LOGSUMEXP) {
        print_values(o, &res.lse, 1);
    } else if (o->op == OP_ARGMAX) {
        printf("%" PRId32 "\n", res.index[0]);
    } else if (o->op == OP_TOP) {
        for (size_t j = 0; j < res.n; j++) {
            printf("%s%" PRId32 ":", j ? " " : "", res.index[j]);
            print_value(o, res.logp[j]);
        }
        putchar('\n');
    } else
        print_values(o, row->v, row->n);
    if (j->up) {
        const int status = check_stdout();
        return status != EXIT_OK ? status
                                 : emit_grad(o, j->up, row->v, row->n, src);
    }
    return check_stdout();
}

/* After the last row: a loss may have more to check and print. */
static int end_rows(const struct job *j)
{
    if (j->up) {
        bool got;
        const int status = reader_row(&j->up->rows, &j->up->dy, &got);
        if (status != EXIT_OK)
            return status;
        if (got)
            return input_error(j->up->rows.at, "more upstream rows than rows "
                                               "of logits");
    }
    return j->loss ? loss_finish(j->loss) : EXIT_OK;
}

/* The numbers on the command line are one row; an argument may itself hold
 * several ("1,2,3"). */
static int run_args(const struct job *j, char **argv)
{
    const struct options *o = j->o;
    struct row row = {0};
    int status = EXIT_OK;
    for (int i = 0; status == EXIT_OK && i < o->n_number_args; i++) {
        const int a = o->number_args[i];
        struct bad_token bad;
        const enum parse_status st =
            parse_numbers(argv[a], strlen(argv[a]), &row, &bad);
        status = parse_status_exit(st, (struct source){NULL, "argument",
                                                       (size_t)a},
                                   &bad, "number");
    }
    if (status == EXIT_OK && row.n > 0)
        status = emit_row(j, &row, (struct source){NULL, "argument", 1});
    if (status == EXIT_OK)
        status = end_rows(j);
    row_free(&row);
    return status;
}

/* One row per line; each line is parsed completely before anything of it
 * is printed, so a bad number leaves no half-printed row. */
static int run_stream(const struct job *j, FILE *in, const char *name)
{
    struct reader r;
    reader_init(&r, in, name, (struct source){NULL, "line", 0});
    struct row row = {0};
    bool got;
    int status;
    while ((status = reader_row(&r, &row, &got)) == EXIT_OK && got &&
           (status = emit_row(j, &row, r.at)) == EXIT_OK)
        continue;
    if (status == EXIT_OK)
        status = end_rows(j);
    reader_free(&r);
    row_free(&row);
    return status;
}

static int run_file(const struct job *j, const char *path)
{
    if (strcmp(path, "-") == 0)
        return run_stream(j, stdin, "standard input");
    FILE *in = fopen(path, "r");
    if (!in) {
        fprintf(stderr, "softmax: %s: %s\n", path, strerror(errno));
        return EXIT_FAILED;
    }
    const int status = run_stream(j, in, path);
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
    if (o->n_number_args == 0 && !o->file && isatty(STDIN_FILENO)) {
        fputs("softmax: no input: give numbers, --file FILE, or pipe rows "
              "into standard input\nTry 'softmax --help' for more "
              "information.\n", stderr);
        return EXIT_USAGE;
    }
    struct job j = {o, NULL, NULL};
    int status = o->loss != LOSS_NONE ? loss_open(o, &j.loss) : EXIT_OK;
    if (status == EXIT_OK && o->upstream)
        status = upstream_open(o->upstream, &j.up);
    if (status == EXIT_OK) {
        if (o->n_number_args > 0)
            status = run_args(&j, argv);
        else if (o->file)
            status = run_file(&j, o->file);
        else
            status = run_stream(&j, stdin, "standard input");
    }
    loss_close(j.loss);
    upstream_close(j.up);
    return status;
}

static int run_tool(int argc, char **argv)
{
    struct options o;
    sm_thread_pool *pool = NULL;
    int status = parse_options(argc, argv, &o);
    if (status == EXIT_OK && o.threads > 1) {
        const sm_status st = sm_thread_pool_create(o.threads, &pool);
        if (st != SM_OK) {
            fprintf(stderr, "softmax: --threads: %s\n", sm_strerror(st));
            status = EXIT_FAILED;
        }
        o.parallel = sm_thread_pool_parallel(pool);
    }
    if (status == EXIT_OK)
        status = run(&o, argv);
    sm_thread_pool_destroy(pool);
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
