/* Public entry points of the decoding functions: argmax, top-n, sampling. */
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

/* The defaults, overwritten by the members the caller's size covers. */
static sm_status read_sampler_options(const sm_sampler_options *o,
                                      sm_sampler_options *out)
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
#undef SM_TAKE
    const bool ok = !(out->flags & ~SM_KNOWN_FLAGS) && out->top_k >= 0 &&
                    out->top_p >= 0.0f && out->top_p <= 1.0f &&
                    out->min_p >= 0.0f && out->min_p <= 1.0f &&
                    out->reserved == 0;
    return ok ? SM_OK : SM_EINVAL; /* the comparisons are false for NaN */
}

sm_status sm_sample_rows_f32(size_t rows, size_t cols, const float *x,
                             size_t ldx, const uint64_t *counter,
                             int32_t *token, float *prob, float *logprob,
                             const sm_sampler_options *options)
{
    sm_sampler_options o;
    sm_status st = read_sampler_options(options, &o);
    if (st != SM_OK)
        return st;
    if (o.beta != o.beta || ldx < cols)
        return SM_EINVAL;
    if (rows == 0)
        return SM_OK;
    if (cols == 0 || !x || !counter || !token)
        return SM_EINVAL;
    if (o.top_k > SM_TOP_MAX && (size_t)o.top_k < cols)
        return SM_EINVAL; /* the kept list holds at most SM_TOP_MAX */
    if (cols > (size_t)INT32_MAX)
        return SM_ERANGE;
    struct sm_span xs, cs, ts, ps, ls;
    if (sm_span_of(rows, cols, ldx, sizeof(float), x, &xs) != SM_OK ||
        sm_span_of(rows, 1, 1, sizeof(uint64_t), counter, &cs) != SM_OK ||
        sm_span_of(rows, 1, 1, sizeof(int32_t), token, &ts) != SM_OK ||
        sm_span_of(prob ? rows : 0, 1, 1, sizeof(float), prob, &ps) != SM_OK ||
        sm_span_of(logprob ? rows : 0, 1, 1, sizeof(float), logprob, &ls) !=
            SM_OK)
        return SM_ERANGE;
    const struct sm_span *in[2] = {&xs, &cs}, *out[3] = {&ts, &ps, &ls};
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 2; j++)
            if (sm_spans_meet(out[i], in[j]))
                return SM_EOVERLAP;
        for (int j = i + 1; j < 3; j++)
            if (sm_spans_meet(out[i], out[j]))
                return SM_EOVERLAP;
    }
    const struct sm_sample_args a = {o.seed, counter, o.top_k, o.top_p,
                                     o.min_p};
    const size_t undefined = sm_dispatch()->sample_rows(
        rows, cols, o.beta, x, ldx, &a, token, prob, logprob, o.flags);
    return undefined ? SM_EDOMAIN : SM_OK;
}
