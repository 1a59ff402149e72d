/* Public entry point of the fused attention decode: argument checks, the
 * default scale, dispatch (kernels/common/attention.h). */
#include <math.h>
#include <stdint.h>

#include "checks.h"
#include "dispatch.h"

/* The defaults, overwritten by the members the caller's size covers. */
static sm_status read_attention_options(const sm_attention_options *o,
                                        sm_attention_options *out)
{
    typedef sm_attention_options T;
    const T d = SM_ATTENTION_OPTIONS_INIT;
    *out = d;
    if (!o)
        return SM_OK;
    if (!SM_COVERS(o, T, scale) || o->size > sizeof(T))
        return SM_EINVAL;
    out->scale = o->scale;
#define SM_TAKE(m)                                                          \
    if (SM_COVERS(o, T, m))                                                 \
        out->m = o->m;
    SM_TAKE(flags)
    SM_TAKE(mask)
    SM_TAKE(valid_length)
    SM_TAKE(lse)
#undef SM_TAKE
    return out->flags & ~SM_KNOWN_FLAGS ? SM_EINVAL : SM_OK;
}

/* The bytes of count rows (tokens) of kv_heads heads of d floats. */
static sm_status kv_span(size_t count, size_t kv_heads, size_t d,
                         size_t ld_token, size_t ld_head, const float *p,
                         struct sm_span *span)
{
    span->at = (uintptr_t)p;
    span->bytes = 0;
    if (count == 0)
        return SM_OK;
    size_t a, b, elems, bytes;
    uintptr_t end;
    if (__builtin_mul_overflow(count - 1, ld_token, &a) ||
        __builtin_mul_overflow(kv_heads - 1, ld_head, &b) ||
        __builtin_add_overflow(a, b, &elems) ||
        __builtin_add_overflow(elems, d, &elems) ||
        __builtin_mul_overflow(elems, sizeof(float), &bytes) ||
        bytes > PTRDIFF_MAX ||
        __builtin_add_overflow((uintptr_t)p, bytes, &end))
        return SM_ERANGE;
    span->bytes = bytes;
    return SM_OK;
}

sm_status sm_attention_decode_f32(size_t heads, size_t kv_heads, size_t n,
                                  size_t d, const float *q, size_t ldq,
                                  const float *k, size_t ldk_token,
                                  size_t ldk_head, const float *v,
                                  size_t ldv_token, size_t ldv_head, float *o,
                                  size_t ldo,
                                  const sm_attention_options *options)
{
    sm_attention_options opt;
    sm_status st = read_attention_options(options, &opt);
    if (st != SM_OK)
        return st;
    if (kv_heads == 0 || heads % kv_heads != 0 || d == 0 || ldq < d ||
        ldo < d || ldk_token < d || ldk_head < d || ldv_token < d ||
        ldv_head < d)
        return SM_EINVAL;
    float scale = opt.scale;
    if (scale == 0.0f)
        scale = (float)(1.0 / sqrt((double)d));
    if (!(scale > 0.0f && scale < INFINITY))
        return SM_EINVAL; /* negative, NaN or infinite */
    if (heads == 0)
        return SM_OK;
    const size_t keys = n < opt.valid_length ? n : opt.valid_length;
    if (!q || !o || (keys > 0 && (!k || !v)))
        return SM_EINVAL;
    struct sm_span qs, os, ks, vs, ms, ls;
    if (sm_span_of(heads, d, ldq, sizeof(float), q, &qs) != SM_OK ||
        sm_span_of(heads, d, ldo, sizeof(float), o, &os) != SM_OK ||
        kv_span(keys, kv_heads, d, ldk_token, ldk_head, k, &ks) != SM_OK ||
        kv_span(keys, kv_heads, d, ldv_token, ldv_head, v, &vs) != SM_OK ||
        sm_span_of(opt.mask ? 1 : 0, keys, keys, sizeof(float), opt.mask,
                   &ms) != SM_OK ||
        sm_span_of(opt.lse ? 1 : 0, heads, heads, sizeof(float), opt.lse,
                   &ls) != SM_OK)
        return SM_ERANGE;
    const struct sm_span *inputs[] = {&qs, &ks, &vs, &ms};
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++)
        if (sm_spans_meet(&os, inputs[i]) || sm_spans_meet(&ls, inputs[i]))
            return SM_EOVERLAP;
    if (sm_spans_meet(&os, &ls))
        return SM_EOVERLAP;
    const struct sm_attention_args a = {
        .heads = heads, .kv_heads = kv_heads, .n = keys, .d = d,
        .q = q, .ldq = ldq,
        .k = k, .ldk_token = ldk_token, .ldk_head = ldk_head,
        .v = v, .ldv_token = ldv_token, .ldv_head = ldv_head,
        .mask = opt.mask, .scale = scale,
        .o = o, .ldo = ldo, .lse = opt.lse,
    };
    sm_dispatch()->attention_decode(&a, opt.flags);
    return SM_OK;
}
