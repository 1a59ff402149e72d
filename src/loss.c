/* Public entry points of the losses: check every argument before anything
 * is written, fix the reduction's gradient scale, run the kernel in batches
 * of rows and reduce the row losses in row order. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "checks.h"
#include "dispatch.h"

/* Row losses per kernel call: the buffer lives on the stack. */
#define SM_LOSS_BATCH 256

/* An input other than the logits: it must meet neither output. */
struct sm_input {
    const void *p;
    size_t rows, cols, ld, elem;
};

static sm_status check_loss(size_t rows, size_t cols, float beta,
                            const float *x, size_t ldx, sm_reduction reduction,
                            sm_flags flags, const float *loss,
                            const float *grad, size_t ldg,
                            const struct sm_input *in, size_t n_in)
{
    if (beta != beta || (flags & ~SM_KNOWN_FLAGS) ||
        (unsigned)reduction > SM_REDUCTION_MEAN || ldx < cols ||
        (grad && ldg < cols))
        return SM_EINVAL;
    for (size_t i = 0; i < n_in; i++)
        if (in[i].ld < in[i].cols)
            return SM_EINVAL;
    if (rows == 0)
        return SM_OK;
    if (cols > 0 && !x)
        return SM_EINVAL;
    for (size_t i = 0; i < n_in; i++)
        if (in[i].rows && in[i].cols && !in[i].p)
            return SM_EINVAL;
    if (grad) {
        const sm_status st = sm_check_rows(rows, cols, beta, x, ldx, grad, ldg);
        if (st != SM_OK)
            return st;
    }
    struct sm_span xs, gs, ls, s;
    const size_t loss_len = reduction == SM_REDUCTION_NONE ? rows : 1;
    if (sm_span_of(rows, cols, ldx, sizeof(float), x, &xs) ||
        sm_span_of(grad ? rows : 0, cols, ldg, sizeof(float), grad, &gs) ||
        sm_span_of(loss ? 1 : 0, loss_len, loss_len, sizeof(float), loss, &ls))
        return SM_ERANGE;
    if (sm_spans_meet(&ls, &xs) || sm_spans_meet(&ls, &gs))
        return SM_EOVERLAP;
    for (size_t i = 0; i < n_in; i++) {
        if (sm_span_of(in[i].rows, in[i].cols, in[i].ld, in[i].elem, in[i].p, &s))
            return SM_ERANGE;
        if (sm_spans_meet(&s, &ls) || sm_spans_meet(&s, &gs))
            return SM_EOVERLAP;
    }
    return SM_OK;
}

/* Row losses of rows [r0, r0 + n) into out, and with total, also added to
 * *total in row order. */
typedef void (*sm_batch_fn)(const void *call, size_t r0, size_t n,
                            double *out, double *total);

/* For kernels without a total of their own. */
static void add_rows(const double *out, size_t n, double *total)
{
    if (!total)
        return;
    double t = *total;
    for (size_t i = 0; i < n; i++)
        t += out[i];
    *total = t;
}

static float canonical_nan(float v)
{
    return v == v ? v : NAN;
}

/* denom: MEAN's divisor (a MEAN over a zero denominator is 0). Empty rows
 * (cols = 0: x may be NULL; for cross-entropy every label is ignored) have
 * loss 0 and no kernel call. */
static void reduce_rows(size_t rows, size_t cols, sm_reduction reduction,
                        double denom, float *loss, sm_batch_fn batch,
                        const void *call)
{
    double out[SM_LOSS_BATCH], total = 0.0;
    double *sum = reduction != SM_REDUCTION_NONE ? &total : NULL;
    if (cols == 0) /* the kernel writes every row's loss otherwise */
        memset(out, 0, sizeof out);
    for (size_t r0 = 0; r0 < rows; r0 += SM_LOSS_BATCH) {
        const size_t n = rows - r0 < SM_LOSS_BATCH ? rows - r0 : SM_LOSS_BATCH;
        if (cols > 0)
            batch(call, r0, n, out, sum);
        if (!sum && loss)
            for (size_t i = 0; i < n; i++)
                loss[r0 + i] = (float)out[i];
    }
    /* The kernels' row losses are NaN only as the canonical NaN; a sum of
     * them can still take another's bits (+inf + -inf, the operand order). */
    if (loss && reduction == SM_REDUCTION_SUM)
        *loss = canonical_nan((float)total);
    if (loss && reduction == SM_REDUCTION_MEAN)
        *loss = denom > 0.0 ? canonical_nan((float)(total / denom)) : 0.0f;
}

/* The gradient's factor for the reduction's scale s (0: a MEAN over
 * nothing, whose gradient is 0 even for an infinite beta). */
static float grad_factor(double factor, double s)
{
    return s == 0.0 ? 0.0f : (float)(factor * s);
}

static double mean_scale(sm_reduction reduction, double denom)
{
    if (reduction != SM_REDUCTION_MEAN)
        return 1.0;
    return denom > 0.0 ? 1.0 / denom : 0.0;
}

/* ---- cross-entropy from labels ------------------------------------------ */

struct ce_call {
    size_t cols, ldx, ldg;
    float beta;
    const float *x;
    float *grad;
    struct sm_ce_args args;
    sm_flags flags;
};

static void ce_batch(const void *call, size_t r0, size_t n, double *out,
                     double *total)
{
    const struct ce_call *c = call;
    struct sm_ce_args a = c->args;
    a.labels += r0;
    a.total = total;
    sm_dispatch()->cross_entropy_rows(n, c->cols, c->beta, c->x + r0 * c->ldx,
                                      c->ldx, &a, out,
                                      c->grad ? c->grad + r0 * c->ldg : NULL,
                                      c->ldg, c->flags);
}

/* Labels in range, or ignored; the total weight of the rows kept. */
static bool labels_valid(const int32_t *labels, size_t rows, size_t cols,
                         int32_t ignore, const float *weights, double *total)
{
    /* Labels compare as uint32, where a negative one is at least 2^31:
     * with the bound at most 2^31 (which admits every non-negative label),
     * no negative label passes. */
    const uint32_t top = (uint32_t)INT32_MAX + 1;
    const uint32_t bound = cols > top ? top : (uint32_t)cols;
    if (weights) {
        double weight = 0.0;
        for (size_t r = 0; r < rows; r++) {
            const int32_t c = labels[r];
            if (c == ignore)
                continue;
            if ((uint32_t)c >= bound)
                return false;
            weight += weights[c];
        }
        *total = weight;
        return true;
    }
    /* Without weights the total is a count, and the loop has no exit and
     * no branch, so it runs as vector compares (a short-row cross-entropy
     * spends a visible share of its time here). Summed as an integer, the
     * count is exact below 2^53 rows. */
    size_t kept = 0;
    uint32_t bad = 0;
    for (size_t r = 0; r < rows; r++) {
        const uint32_t c = (uint32_t)labels[r];
        const uint32_t keep = labels[r] != ignore;
        kept += keep;
        bad |= keep & (c >= bound);
    }
    *total = (double)kept;
    return !bad;
}

static bool weights_valid(const float *w, size_t cols, double *sum)
{
    *sum = (double)cols;
    if (!w)
        return true;
    *sum = 0.0;
    for (size_t i = 0; i < cols; i++) {
        if (!(w[i] >= 0.0f && w[i] <= FLT_MAX))
            return false;
        *sum += w[i];
    }
    return true;
}

sm_status sm_cross_entropy_rows_f32(size_t rows, size_t cols, const float *x,
                                    size_t ldx, const int32_t *labels,
                                    float *loss, float *grad, size_t ldg,
                                    const sm_cross_entropy_options *options)
{
    sm_cross_entropy_options o;
    if (sm_read_cross_entropy_options(options, &o) != SM_OK)
        return SM_EINVAL;
    const float eps = o.label_smoothing;
    if (!(eps >= 0.0f && eps <= 1.0f) || !(o.l2 >= 0.0f && o.l2 <= FLT_MAX))
        return SM_EINVAL;
    const struct sm_input in[] = {
        {labels, rows, 1, 1, sizeof(int32_t)},
        {o.class_weights, o.class_weights ? 1 : 0, cols, cols, sizeof(float)},
    };
    sm_status st = check_loss(rows, cols, o.beta, x, ldx, o.reduction, o.flags,
                              loss, grad, ldg, in, 2);
    if (st != SM_OK)
        return st;
    double weight_sum, total_weight;
    if (!weights_valid(o.class_weights, cols, &weight_sum) ||
        !labels_valid(labels, rows, cols, o.ignore_index, o.class_weights,
                      &total_weight))
        return SM_EINVAL;
    const double s = mean_scale(o.reduction, total_weight);
    const struct ce_call call = {
        .cols = cols, .ldx = ldx, .ldg = ldg, .beta = o.beta, .x = x,
        .grad = grad, .flags = o.flags,
        .args = {
            .labels = labels,
            .ignore_index = o.ignore_index,
            .weights = o.class_weights,
            .epsilon = eps,
            .q_other = cols ? (float)((double)eps / (double)cols) : 0.0f,
            .q_label = cols ? (float)(1.0 - eps + (double)eps / (double)cols) : 0.0f,
            .weight_sum = weight_sum,
            .half_l2 = 0.5 * o.l2,
            .grad_beta = grad_factor(o.beta, s),
            .grad_l2 = grad_factor(o.l2, s),
        },
    };
    reduce_rows(rows, cols, o.reduction, total_weight, loss, ce_batch, &call);
    return SM_OK;
}

/* ---- losses against target distributions, entropy ---------------------- */

struct soft_call {
    size_t cols, ldx, ldg;
    float beta;
    const float *x;
    float *grad;
    struct sm_soft_args args;
    sm_flags flags;
};

static void soft_batch(const void *call, size_t r0, size_t n, double *out,
                       double *total)
{
    const struct soft_call *c = call;
    struct sm_soft_args a = c->args;
    a.q += r0 * a.ldq;
    sm_dispatch()->soft_target_rows(n, c->cols, c->beta, c->x + r0 * c->ldx,
                                    c->ldx, &a, out,
                                    c->grad ? c->grad + r0 * c->ldg : NULL,
                                    c->ldg, c->flags);
    add_rows(out, n, total);
}

/* loss_scale and grad_factor: 1 and beta, or T^2 and T^2 beta. */
static sm_status soft_op(enum sm_soft_kind kind, size_t rows, size_t cols,
                         const float *x, size_t ldx, const float *q,
                         size_t ldq, float *loss, float *grad, size_t ldg,
                         const sm_loss_options *o, double loss_scale,
                         double factor)
{
    const struct sm_input in[] = {{q, rows, cols, ldq, sizeof(float)}};
    const sm_status st = check_loss(rows, cols, o->beta, x, ldx, o->reduction,
                                    o->flags, loss, grad, ldg, in, 1);
    if (st != SM_OK)
        return st;
    const double s = mean_scale(o->reduction, (double)rows);
    const struct soft_call call = {
        .cols = cols, .ldx = ldx, .ldg = ldg, .beta = o->beta, .x = x,
        .grad = grad, .flags = o->flags,
        .args = {.kind = kind, .q = q, .ldq = ldq, .loss_scale = loss_scale,
                 .grad_scale = grad_factor(factor, s)},
    };
    reduce_rows(rows, cols, o->reduction, (double)rows, loss, soft_batch,
                &call);
    return SM_OK;
}

/* Soft cross-entropy and KL: the options read, then soft_op at scale 1. */
static sm_status soft_entry(enum sm_soft_kind kind, size_t rows, size_t cols,
                            const float *x, size_t ldx, const float *q,
                            size_t ldq, float *loss, float *grad, size_t ldg,
                            const sm_loss_options *options)
{
    sm_loss_options o;
    if (sm_read_loss_options(options, &o) != SM_OK)
        return SM_EINVAL;
    return soft_op(kind, rows, cols, x, ldx, q, ldq, loss, grad, ldg, &o, 1.0,
                   o.beta);
}

sm_status sm_soft_cross_entropy_rows_f32(size_t rows, size_t cols,
                                         const float *x, size_t ldx,
                                         const float *q, size_t ldq,
                                         float *loss, float *grad, size_t ldg,
                                         const sm_loss_options *options)
{
    return soft_entry(SM_SOFT_CE, rows, cols, x, ldx, q, ldq, loss, grad, ldg,
                      options);
}

sm_status sm_kl_div_rows_f32(size_t rows, size_t cols, const float *x,
                             size_t ldx, const float *q, size_t ldq,
                             float *loss, float *grad, size_t ldg,
                             const sm_loss_options *options)
{
    return soft_entry(SM_SOFT_KL, rows, cols, x, ldx, q, ldq, loss, grad, ldg,
                      options);
}

/* T^2 = 1 / beta^2: beta^2 is exact in double, then one rounding. */
sm_status sm_distillation_rows_f32(size_t rows, size_t cols,
                                   const float *student, size_t lds,
                                   const float *teacher, size_t ldt,
                                   float *loss, float *grad, size_t ldg,
                                   const sm_loss_options *options)
{
    sm_loss_options o;
    if (sm_read_loss_options(options, &o) != SM_OK ||
        !(o.beta > 0.0f && o.beta <= FLT_MAX))
        return SM_EINVAL;
    const double t2 = 1.0 / ((double)o.beta * o.beta);
    return soft_op(SM_SOFT_DISTILL, rows, cols, student, lds, teacher, ldt,
                   loss, grad, ldg, &o, t2, t2 * o.beta);
}

struct entropy_call {
    size_t cols, ldx, ldg;
    float beta, grad_scale;
    const float *x;
    float *grad;
    sm_flags flags;
};

static void entropy_batch(const void *call, size_t r0, size_t n,
                          double *out, double *total)
{
    const struct entropy_call *c = call;
    sm_dispatch()->entropy_rows(n, c->cols, c->beta, c->x + r0 * c->ldx,
                                c->ldx, c->grad_scale, out,
                                c->grad ? c->grad + r0 * c->ldg : NULL,
                                c->ldg, c->flags);
    add_rows(out, n, total);
}

sm_status sm_entropy_rows_f32(size_t rows, size_t cols, const float *x,
                              size_t ldx, float *loss, float *grad, size_t ldg,
                              const sm_loss_options *options)
{
    sm_loss_options o;
    sm_status st = sm_read_loss_options(options, &o);
    if (st == SM_OK)
        st = check_loss(rows, cols, o.beta, x, ldx, o.reduction, o.flags,
                        loss, grad, ldg, NULL, 0);
    if (st != SM_OK)
        return st;
    const struct entropy_call call = {
        .cols = cols, .ldx = ldx, .ldg = ldg, .beta = o.beta, .x = x,
        .grad = grad, .flags = o.flags,
        .grad_scale = grad_factor(o.beta, mean_scale(o.reduction, (double)rows)),
    };
    reduce_rows(rows, cols, o.reduction, (double)rows, loss, entropy_batch,
                &call);
    return SM_OK;
}
