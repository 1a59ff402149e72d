/* Public entry points of the decoding functions: argmax, top-n, sampling. */
#include <math.h>
#include <stdint.h>

#include "checks.h"
#include "dispatch.h"

_Static_assert(sizeof(int32_t) == 4, "sm_check_reduce's 4-byte results");

sm_status sm_argmax_rows_f32(size_t rows, size_t cols, const float *x,
                             size_t ldx, int32_t *index,
                             const sm_options *options)
{
    sm_options o;
    sm_status st = sm_read_options(options, &o);
    if (st == SM_OK && rows > 0 && cols > (size_t)INT32_MAX)
        st = SM_ERANGE; /* an index would not fit */
    if (st == SM_OK)
        st = sm_check_reduce(rows, cols, o.beta, x, ldx, index);
    if (st != SM_OK || rows == 0)
        return st;
    if (cols == 0)
        return SM_EINVAL;
    sm_dispatch()->argmax_rows(rows, cols, o.beta, x, ldx, index);
    return SM_OK;
}

sm_status sm_argmax_f32(size_t n, const float *x, int32_t *index)
{
    return sm_argmax_rows_f32(1, n, x, n, index, NULL);
}

sm_status sm_top_rows_f32(size_t rows, size_t cols, size_t n, const float *x,
                          size_t ldx, int32_t *index, size_t ldi, float *logp,
                          size_t ldl, const sm_options *options)
{
    sm_options o;
    sm_status st = sm_read_options(options, &o);
    if (st != SM_OK)
        return st;
    if (o.beta != o.beta || n > cols || n > SM_TOP_MAX || ldx < cols ||
        ldi < n || (logp && ldl < n))
        return SM_EINVAL;
    if (rows == 0 || n == 0)
        return SM_OK;
    if (cols > (size_t)INT32_MAX)
        return SM_ERANGE;
    if (!x || !index)
        return SM_EINVAL;
    struct sm_span xs, is, ls;
    if (sm_span_of(rows, cols, ldx, sizeof(float), x, &xs) != SM_OK ||
        sm_span_of(rows, n, ldi, sizeof(int32_t), index, &is) != SM_OK ||
        sm_span_of(logp ? rows : 0, n, ldl, sizeof(float), logp, &ls) != SM_OK)
        return SM_ERANGE;
    if (sm_spans_meet(&xs, &is) || sm_spans_meet(&xs, &ls) ||
        sm_spans_meet(&is, &ls))
        return SM_EOVERLAP;
    sm_dispatch()->top_rows(rows, cols, n, o.beta, x, ldx, index, ldi, logp,
                            ldl, o.flags);
    return SM_OK;
}

/* The defaults, overwritten by the members the caller's size covers;
 * flags outside SM_KNOWN_FLAGS | extra_flags are SM_EINVAL. */
sm_status sm_read_sampler_options(const sm_sampler_options *o,
                                  sm_sampler_options *out,
                                  sm_flags extra_flags)
{
    const sm_sampler_options d = SM_SAMPLER_OPTIONS_INIT;
    *out = d;
    if (!o)
        return SM_OK;
    if (!SM_SIZE_OK(o, sm_sampler_options))
        return SM_EINVAL;
    out->beta = o->beta;
#define SM_TAKE(m)                                                          \
    if (SM_COVERS(o, sm_sampler_options, m))                                \
        out->m = o->m;
    SM_TAKE(flags)
    SM_TAKE(seed)
    SM_TAKE(top_k)
    SM_TAKE(top_p)
    SM_TAKE(min_p)
    SM_TAKE(reserved)
    SM_TAKE(bias_count)
    SM_TAKE(bias_token)
    SM_TAKE(bias_value)
    SM_TAKE(repetition_penalty)
    SM_TAKE(frequency_penalty)
    SM_TAKE(presence_penalty)
    SM_TAKE(history_last_n)
    SM_TAKE(history)
    SM_TAKE(history_offset)
    SM_TAKE(workspace)
    SM_TAKE(workspace_size)
#undef SM_TAKE
    const float rep = out->repetition_penalty;
    const sm_flags known = SM_KNOWN_FLAGS | extra_flags;
    const bool ok = !(out->flags & ~known) && out->top_k >= 0 &&
                    out->top_p >= 0.0f && out->top_p <= 1.0f &&
                    out->min_p >= 0.0f && out->min_p <= 1.0f &&
                    out->reserved == 0 && out->beta == out->beta &&
                    rep > 0.0f && rep < INFINITY &&
                    isfinite(out->frequency_penalty) &&
                    isfinite(out->presence_penalty) &&
                    (out->bias_count == 0 ||
                     (out->bias_token && out->bias_value));
    return ok ? SM_OK : SM_EINVAL; /* the comparisons are false for NaN */
}

static sm_status read_sampler_options(const sm_sampler_options *o,
                                      sm_sampler_options *out)
{
    return sm_read_sampler_options(o, out, 0u);
}

/* Whether the penalties change anything: a history and a penalty on. */
static bool penalties_apply(const sm_sampler_options *o)
{
    return o->history_offset &&
           (o->repetition_penalty != 1.0f || o->frequency_penalty != 0.0f ||
            o->presence_penalty != 0.0f);
}

static size_t workspace_bytes(size_t cols, const sm_sampler_options *o)
{
    if (penalties_apply(o))
        return cols * (sizeof(float) + sizeof(uint32_t));
    return o->bias_count ? cols * sizeof(float) : 0;
}

sm_status sm_sample_workspace_size(size_t cols,
                                   const sm_sampler_options *options,
                                   size_t *bytes)
{
    sm_sampler_options o;
    const sm_status st = read_sampler_options(options, &o);
    if (st != SM_OK || !bytes)
        return st != SM_OK ? st : SM_EINVAL;
    if (cols > (size_t)INT32_MAX)
        return SM_ERANGE;
    *bytes = workspace_bytes(cols, &o);
    return SM_OK;
}

static bool tokens_in_range(const int32_t *t, size_t n, size_t cols)
{
    for (size_t i = 0; i < n; i++)
        if (t[i] < 0 || (size_t)t[i] >= cols)
            return false;
    return true;
}

/* The bias list, the histories and the workspace: valid values, and spans
 * that meet neither the outputs (lists, workspace) nor the inputs
 * (workspace). Fills the adjustment members of a. */
static sm_status check_adjustments(size_t rows, size_t cols,
                                   const sm_sampler_options *o,
                                   const struct sm_span *in, size_t n_in,
                                   const struct sm_span *out, size_t n_out,
                                   struct sm_sample_args *a)
{
    const bool penalties = penalties_apply(o);
    const size_t need = workspace_bytes(cols, o);
    if (need == 0)
        return SM_OK;
    for (size_t j = 0; j < o->bias_count; j++)
        if (o->bias_value[j] != o->bias_value[j])
            return SM_EINVAL;
    if (!tokens_in_range(o->bias_token, o->bias_count, cols))
        return SM_EINVAL;
    size_t n_history = 0;
    if (penalties) {
        for (size_t r = 0; r < rows; r++)
            if (o->history_offset[r + 1] < o->history_offset[r])
                return SM_EINVAL;
        n_history = o->history_offset[rows];
        if (n_history > o->history_offset[0] && !o->history)
            return SM_EINVAL;
        if (!tokens_in_range(o->history ? o->history + o->history_offset[0]
                                        : NULL,
                             n_history - o->history_offset[0], cols))
            return SM_EINVAL;
    }
    if (!o->workspace || o->workspace_size < need ||
        (uintptr_t)o->workspace % sizeof(float))
        return SM_EINVAL;
    struct sm_span ws, bt, bv, hs, ho;
    if (sm_span_of(1, need, need, 1, o->workspace, &ws) != SM_OK ||
        sm_span_of(1, o->bias_count, o->bias_count, sizeof(int32_t),
                   o->bias_token, &bt) != SM_OK ||
        sm_span_of(1, o->bias_count, o->bias_count, sizeof(float),
                   o->bias_value, &bv) != SM_OK ||
        sm_span_of(1, n_history, n_history, sizeof(int32_t), o->history,
                   &hs) != SM_OK ||
        sm_span_of(penalties ? 1 : 0, rows + 1, rows + 1, sizeof(size_t),
                   o->history_offset, &ho) != SM_OK)
        return SM_ERANGE;
    const struct sm_span *lists[4] = {&bt, &bv, &hs, &ho};
    for (size_t i = 0; i < n_out; i++) {
        if (sm_spans_meet(&ws, &out[i]))
            return SM_EOVERLAP;
        for (int j = 0; j < 4; j++)
            if (sm_spans_meet(lists[j], &out[i]))
                return SM_EOVERLAP;
    }
    for (size_t i = 0; i < n_in; i++)
        if (sm_spans_meet(&ws, &in[i]))
            return SM_EOVERLAP;
    for (int j = 0; j < 4; j++)
        if (sm_spans_meet(&ws, lists[j]))
            return SM_EOVERLAP;
    a->bias_count = o->bias_count;
    a->bias_token = o->bias_token;
    a->bias_value = o->bias_value;
    a->repetition = o->repetition_penalty;
    a->frequency = o->frequency_penalty;
    a->presence = o->presence_penalty;
    a->last_n = o->history_last_n;
    a->history = penalties ? o->history : NULL;
    a->history_offset = penalties ? o->history_offset : NULL;
    a->row_work = o->workspace;
    a->count_work = penalties ? (uint32_t *)((float *)o->workspace + cols)
                              : NULL;
    return SM_OK;
}

/* The checks of a sampling call, shared by the sampler and Gumbel-max:
 * *o the options read, *a the kernel's arguments. SM_OK with rows = 0:
 * nothing to do. */
static sm_status check_sampling(size_t rows, size_t cols, const float *x,
                                size_t ldx, const uint64_t *counter,
                                int32_t *token, float *prob, float *logprob,
                                const sm_sampler_options *options,
                                sm_sampler_options *o,
                                struct sm_sample_args *a)
{
    sm_status st = read_sampler_options(options, o);
    if (st != SM_OK)
        return st;
    if (ldx < cols)
        return SM_EINVAL;
    if (rows == 0)
        return SM_OK;
    if (cols == 0 || !x || !counter || !token)
        return SM_EINVAL;
    if (o->top_k > SM_TOP_MAX && (size_t)o->top_k < cols)
        return SM_EINVAL; /* the kept list holds at most SM_TOP_MAX */
    if (cols > (size_t)INT32_MAX)
        return SM_ERANGE;
    struct sm_span in[2], out[3];
    if (sm_span_of(rows, cols, ldx, sizeof(float), x, &in[0]) != SM_OK ||
        sm_span_of(rows, 1, 1, sizeof(uint64_t), counter, &in[1]) != SM_OK ||
        sm_span_of(rows, 1, 1, sizeof(int32_t), token, &out[0]) != SM_OK ||
        sm_span_of(prob ? rows : 0, 1, 1, sizeof(float), prob, &out[1]) !=
            SM_OK ||
        sm_span_of(logprob ? rows : 0, 1, 1, sizeof(float), logprob,
                   &out[2]) != SM_OK)
        return SM_ERANGE;
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 2; j++)
            if (sm_spans_meet(&out[i], &in[j]))
                return SM_EOVERLAP;
        for (int j = i + 1; j < 3; j++)
            if (sm_spans_meet(&out[i], &out[j]))
                return SM_EOVERLAP;
    }
    *a = (struct sm_sample_args){.seed = o->seed, .counter = counter,
                                 .top_k = o->top_k, .top_p = o->top_p,
                                 .min_p = o->min_p};
    return check_adjustments(rows, cols, o, in, 2, out, 3, a);
}

sm_status sm_sample_rows_f32(size_t rows, size_t cols, const float *x,
                             size_t ldx, const uint64_t *counter,
                             int32_t *token, float *prob, float *logprob,
                             const sm_sampler_options *options)
{
    sm_sampler_options o;
    struct sm_sample_args a;
    const sm_status st = check_sampling(rows, cols, x, ldx, counter, token,
                                        prob, logprob, options, &o, &a);
    if (st != SM_OK || rows == 0)
        return st;
    const size_t undefined = sm_dispatch()->sample_rows(
        rows, cols, o.beta, x, ldx, &a, token, prob, logprob, o.flags);
    return undefined ? SM_EDOMAIN : SM_OK;
}

sm_status sm_gumbel_max_rows_f32(size_t rows, size_t cols, const float *x,
                                 size_t ldx, const uint64_t *counter,
                                 int32_t *token,
                                 const sm_sampler_options *options)
{
    sm_sampler_options o;
    struct sm_sample_args a;
    const sm_status st = check_sampling(rows, cols, x, ldx, counter, token,
                                        NULL, NULL, options, &o, &a);
    if (st != SM_OK)
        return st;
    if (o.top_k != 0 || o.top_p != 1.0f || o.min_p != 0.0f)
        return SM_EINVAL;
    if (rows == 0)
        return SM_OK;
    const size_t undefined = sm_dispatch()->gumbel_rows(rows, cols, o.beta, x,
                                                        ldx, &a, token);
    return undefined ? SM_EDOMAIN : SM_OK;
}

/* Every probability of the n draft rows is in [0, 1] (no NaN). */
static bool draft_rows_valid(size_t n, size_t cols, const float *q, size_t ldq)
{
    for (size_t i = 0; i < n; i++) {
        bool ok = true; /* a whole row without an early exit: vectorizes */
        for (size_t j = 0; j < cols; j++)
            ok &= q[i * ldq + j] >= 0.0f && q[i * ldq + j] <= 1.0f;
        if (!ok)
            return false;
    }
    return true;
}

sm_status sm_speculative_verify_f32(size_t n, size_t cols, const float *target,
                                    size_t ldt, const int32_t *draft_token,
                                    const float *draft_prob, size_t ldq,
                                    uint64_t counter, size_t *accepted,
                                    int32_t *next_token,
                                    const sm_sampler_options *options)
{
    sm_sampler_options o;
    sm_status st = read_sampler_options(options, &o);
    if (st != SM_OK)
        return st;
    if (!(o.beta > 0.0f) || o.top_k != 0 || o.top_p != 1.0f ||
        o.min_p != 0.0f || workspace_bytes(cols, &o) != 0 || cols == 0 ||
        ldt < cols || (n > 0 && ldq < cols))
        return SM_EINVAL;
    if (!target || !accepted || !next_token ||
        (n > 0 && (!draft_token || !draft_prob)))
        return SM_EINVAL;
    if (cols > (size_t)INT32_MAX)
        return SM_ERANGE;
    struct sm_span ts, ds, qs, as, ns;
    if (sm_span_of(n + 1, cols, ldt, sizeof(float), target, &ts) != SM_OK ||
        sm_span_of(n, 1, 1, sizeof(int32_t), draft_token, &ds) != SM_OK ||
        sm_span_of(n, cols, ldq, sizeof(float), draft_prob, &qs) != SM_OK ||
        sm_span_of(1, 1, 1, sizeof(size_t), accepted, &as) != SM_OK ||
        sm_span_of(1, 1, 1, sizeof(int32_t), next_token, &ns) != SM_OK)
        return SM_ERANGE;
    const struct sm_span *in[3] = {&ts, &ds, &qs};
    for (int j = 0; j < 3; j++)
        if (sm_spans_meet(&as, in[j]) || sm_spans_meet(&ns, in[j]))
            return SM_EOVERLAP;
    if (sm_spans_meet(&as, &ns))
        return SM_EOVERLAP;
    if (!tokens_in_range(draft_token, n, cols) ||
        !draft_rows_valid(n, cols, draft_prob, ldq))
        return SM_EINVAL;
    const struct sm_verify_args a = {o.seed, counter, draft_token, draft_prob,
                                     ldq};
    return sm_dispatch()->verify(n, cols, o.beta, target, ldt, &a, accepted,
                                 next_token, o.flags)
               ? SM_OK
               : SM_EDOMAIN;
}
