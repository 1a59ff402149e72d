/* Rows of logits are gathered into a batch with their labels or target
 * rows: one row at a time without a reduction (printed as soon as read,
 * like the other ops), all of them with one (one call at the end, so the
 * library reduces and scales the gradient itself). */
#include "loss.h"

#include <float.h>
#include <stdlib.h>

#include "side.h"
#include "softmax.h"

struct loss_run {
    const struct options *o;
    bool reduce;
    struct labels labels; /* cross-entropy: one per row, all read first */
    struct row weights;   /* cross-entropy's class weights, or none */
    /* --targets or --teacher: read a row at a time, with the logits. */
    struct side side;
    struct reader side_rows;
    struct row side_row;
    const char *side_noun;
    /* The batch: rows x cols of logits (and of targets) whose first is
     * row number first of the input, counting from 0; seen rows so far. */
    struct row x, q, loss;
    struct source *where; /* each batch row's source, for messages */
    size_t where_cap, rows, cols, first, seen;
};

static int out_of_memory(void)
{
    fputs("softmax: out of memory\n", stderr);
    return EXIT_FAILED;
}

/* Weights the library would reject (SM_EINVAL), named here instead. */
static int check_weights(const struct row *w)
{
    const struct source src = {"--weights", NULL, 0};
    if (w->n == 0)
        return input_error(src, "no class weights");
    for (size_t i = 0; i < w->n; i++)
        if (!(w->v[i] >= 0.0f && w->v[i] <= FLT_MAX))
            return input_error(src, "weight %zu is %g; class weights must be "
                               "finite and >= 0", i + 1, (double)w->v[i]);
    return EXIT_OK;
}

static int read_labels(const char *value, struct labels *out)
{
    struct side s;
    int status = side_open("--labels", value, &s);
    if (status == EXIT_OK)
        status = side_read_labels(&s, out);
    side_close(&s);
    return status;
}

static int read_weights(const char *value, struct row *out)
{
    struct side s;
    int status = side_open("--weights", value, &s);
    if (status == EXIT_OK)
        status = side_read_values(&s, out);
    side_close(&s);
    return status == EXIT_OK ? check_weights(out) : status;
}

int loss_open(const struct options *o, struct loss_run **run)
{
    struct loss_run *L = calloc(1, sizeof *L);
    *run = L;
    if (!L)
        return out_of_memory();
    L->o = o;
    L->reduce = o->reduction != SM_REDUCTION_NONE;
    int status = EXIT_OK;
    if (o->labels)
        status = read_labels(o->labels, &L->labels);
    if (status == EXIT_OK && o->weights)
        status = read_weights(o->weights, &L->weights);
    const char *side = o->targets ? o->targets : o->teacher;
    if (status == EXIT_OK && side) {
        L->side_noun = o->targets ? "targets" : "teacher logits";
        status = side_open(o->targets ? "--targets" : "--teacher", side,
                           &L->side);
        if (status == EXIT_OK)
            side_reader(&L->side, &L->side_rows);
    }
    return status;
}

void loss_close(struct loss_run *L)
{
    if (!L)
        return;
    labels_free(&L->labels);
    row_free(&L->weights);
    reader_free(&L->side_rows);
    side_close(&L->side);
    row_free(&L->side_row);
    row_free(&L->x);
    row_free(&L->q);
    row_free(&L->loss);
    free(L->where);
    free(L);
}

/* ---- the library calls -------------------------------------------------- */

/* Rows [r0, r0 + rows) of the batch; the gradient, if any, replaces the
 * logits (the library allows it in place). */
static sm_status call_loss(const struct loss_run *L, size_t r0, size_t rows,
                           sm_reduction reduction, float *loss, float *grad)
{
    const struct options *o = L->o;
    const size_t k = L->cols;
    /* Never offset a NULL pointer (an empty batch). */
    const float *x = L->x.v ? L->x.v + r0 * k : NULL;
    const float *q = L->q.v ? L->q.v + r0 * k : NULL;
    const sm_flags flags = o->fast_exp ? SM_FAST_EXP : 0;
    sm_cross_entropy_options ce = SM_CROSS_ENTROPY_OPTIONS_INIT;
    sm_loss_options lo = SM_LOSS_OPTIONS_INIT;
    lo.beta = o->beta;
    lo.flags = flags;
    lo.reduction = reduction;
    switch (o->loss) {
    case LOSS_CROSS_ENTROPY:
        ce.beta = o->beta;
        ce.flags = flags;
        ce.reduction = reduction;
        ce.ignore_index = o->ignore_index;
        ce.label_smoothing = o->label_smoothing;
        ce.class_weights = L->weights.n ? L->weights.v : NULL;
        ce.l2 = o->l2;
        return sm_cross_entropy_rows_f32(
            rows, k, x, k, L->labels.v ? L->labels.v + L->first + r0 : NULL,
            loss, grad, k, &ce);
    case LOSS_SOFT_CROSS_ENTROPY:
        return sm_soft_cross_entropy_rows_f32(rows, k, x, k, q, k, loss, grad,
                                              k, &lo);
    case LOSS_KL:
        return sm_kl_div_rows_f32(rows, k, x, k, q, k, loss, grad, k, &lo);
    case LOSS_DISTILL:
        /* lo.beta = 1 / T, from --temperature or --beta alike */
        return sm_distillation_rows_f32(rows, k, x, k, q, k, loss, grad, k,
                                        &lo);
    case LOSS_ENTROPY:
        return sm_entropy_rows_f32(rows, k, x, k, loss, grad, k, &lo);
    case LOSS_NONE:
        break;
    }
    return SM_EINVAL;
}

/* Names the row the library rejects, found by trying each alone when the
 * batch has several. SM_EINVAL can only come from the input here (the
 * options were checked): exit status 2, as for a bad number. */
static int report_failure(const struct loss_run *L, sm_status st)
{
    size_t bad = 0;
    float one;
    if (L->rows > 1)
        while (bad < L->rows &&
               call_loss(L, bad, 1, SM_REDUCTION_NONE, &one, NULL) == SM_OK)
            bad++;
    const int exit_status = st == SM_EINVAL ? EXIT_USAGE : EXIT_FAILED;
    if (bad == L->rows) {
        fflush(stdout);
        fprintf(stderr, "softmax: %s\n", sm_strerror(st));
        return exit_status;
    }
    const struct options *o = L->o;
    const struct source src = L->where[bad];
    if (o->loss == LOSS_CROSS_ENTROPY) {
        const int32_t c = L->labels.v[L->first + bad];
        if (c != o->ignore_index && (c < 0 || (size_t)c >= L->cols)) {
            input_error(src, "%s: label %d (row %zu) is not a class of this "
                        "row (0 to %zu) nor --ignore-index (%d)",
                        sm_strerror(st), (int)c, L->first + bad + 1,
                        L->cols - 1, (int)o->ignore_index);
            return exit_status;
        }
    }
    input_error(src, "%s", sm_strerror(st));
    return exit_status;
}

/* Each loss, followed by the gradient rows it is the gradient of. */
static void print_results(const struct loss_run *L, const float *loss)
{
    const struct options *o = L->o;
    if (L->reduce)
        print_values(o, loss, 1);
    for (size_t r = 0; r < L->rows; r++) {
        if (!L->reduce)
            print_values(o, loss + r, 1);
        if (o->grad)
            print_values(o, L->x.v + r * L->cols, L->cols);
    }
}

/* Computes and prints the batch, then empties it. */
static int flush(struct loss_run *L)
{
    const size_t n_loss = L->reduce ? 1 : L->rows;
    float *loss = array_reserve(L->loss.v, &L->loss.cap, n_loss, sizeof *loss);
    if (!loss)
        return out_of_memory();
    L->loss.v = loss;
    float *grad = L->o->grad ? L->x.v : NULL;
    const sm_status st = call_loss(L, 0, L->rows, L->o->reduction, loss, grad);
    if (st != SM_OK)
        return report_failure(L, st);
    print_results(L, loss);
    L->first += L->rows;
    L->rows = 0;
    L->x.n = L->q.n = 0;
    return check_stdout();
}

/* ---- rows --------------------------------------------------------------- */

/* The next row of --targets or --teacher, as long as the logits' row. */
static int next_side_row(struct loss_run *L, size_t n, struct source src)
{
    bool got;
    const int status = reader_row(&L->side_rows, &L->side_row, &got);
    if (status != EXIT_OK)
        return status;
    if (!got)
        return input_error(src, "no row of %s left for row %zu of logits",
                           L->side.name, L->seen + 1);
    if (L->side_row.n == n)
        return EXIT_OK;
    fflush(stdout);
    fputs("softmax: ", stderr);
    print_source(stderr, src);
    fprintf(stderr, ": %zu logits, but %zu %s (", n, L->side_row.n,
            L->side_noun);
    print_source(stderr, L->side_rows.at);
    fputs(")\n", stderr);
    return EXIT_USAGE;
}

/* Whether the row fits what the rows before and the options fix. */
static int check_row(const struct loss_run *L, size_t n, struct source src)
{
    if (L->reduce && L->rows > 0 && n != L->cols)
        return input_error(src, "%zu logits, but the rows before have %zu "
                           "(a reduction needs rows of one length)", n,
                           L->cols);
    if (L->weights.n && n != L->weights.n)
        return input_error(src, "%zu logits, but --weights gives %zu class "
                           "weights", n, L->weights.n);
    if (L->o->labels && L->seen >= L->labels.n)
        return input_error(src, "no label for row %zu (--labels gives %zu)",
                           L->seen + 1, L->labels.n);
    return EXIT_OK;
}

int loss_add_row(struct loss_run *L, const struct row *row, struct source src)
{
    int status = check_row(L, row->n, src);
    if (status == EXIT_OK && L->side.in)
        status = next_side_row(L, row->n, src);
    if (status != EXIT_OK)
        return status;
    struct source *where = array_reserve(L->where, &L->where_cap, L->rows + 1,
                                         sizeof *where);
    if (!where)
        return out_of_memory();
    L->where = where;
    if (!row_append(&L->x, row->v, row->n) ||
        (L->side.in && !row_append(&L->q, L->side_row.v, row->n)))
        return out_of_memory();
    where[L->rows++] = src;
    L->cols = row->n;
    L->seen++;
    return L->reduce ? EXIT_OK : flush(L);
}

int loss_finish(struct loss_run *L)
{
    const struct source labels = {"--labels", NULL, 0};
    if (L->o->labels && L->labels.n > L->seen)
        return input_error(labels, "%zu labels for %zu rows of logits",
                           L->labels.n, L->seen);
    if (L->side.in) {
        bool got;
        const int status = reader_row(&L->side_rows, &L->side_row, &got);
        if (status != EXIT_OK)
            return status;
        if (got)
            return input_error(L->side_rows.at, "more rows of %s than of "
                               "logits (%zu)", L->side_noun, L->seen);
    }
    return L->reduce ? flush(L) : EXIT_OK;
}
