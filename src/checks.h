/* Argument checks shared by the public entry points. */
#ifndef SM_CHECKS_H
#define SM_CHECKS_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "softmax.h"

#define SM_KNOWN_FLAGS SM_FAST_EXP

/* Options structs: whether the caller's size covers member m of T, and
 * whether the size is one this library can honour (through beta, the first
 * member after size, up to its own sizeof). A newer struct is told apart
 * by its size alone, so a member added later must make sizeof grow: the
 * structs have no padding, and sm_loss_options' reserved member, which
 * must be 0, is where its next option goes. */
#define SM_COVERS(o, T, m) ((o)->size >= offsetof(T, m) + sizeof(((T *)0)->m))
#define SM_SIZE_OK(o, T) (SM_COVERS(o, T, beta) && (o)->size <= sizeof(T))

/* One reader per options struct: *out = the defaults, overwritten by the
 * members the caller's size covers; SM_EINVAL for a size out of range or
 * unknown flag bits. Inline: a NULL options pointer costs nothing. */
static inline sm_status sm_read_options(const sm_options *o, sm_options *out)
{
    const sm_options d = SM_OPTIONS_INIT;
    *out = d;
    if (!o)
        return SM_OK;
    if (!SM_SIZE_OK(o, sm_options))
        return SM_EINVAL;
    out->beta = o->beta;
    if (SM_COVERS(o, sm_options, flags))
        out->flags = o->flags;
    if (SM_COVERS(o, sm_options, parallel))
        out->parallel = o->parallel;
    if (out->parallel && !out->parallel->run)
        return SM_EINVAL;
    return out->flags & ~SM_KNOWN_FLAGS ? SM_EINVAL : SM_OK;
}

static inline sm_status sm_read_entmax_options(const sm_entmax_options *o,
                                               sm_entmax_options *out)
{
    const sm_entmax_options d = SM_ENTMAX_OPTIONS_INIT;
    *out = d;
    if (!o)
        return SM_OK;
    if (!SM_SIZE_OK(o, sm_entmax_options))
        return SM_EINVAL;
    out->beta = o->beta;
    if (SM_COVERS(o, sm_entmax_options, flags))
        out->flags = o->flags;
    if (SM_COVERS(o, sm_entmax_options, alpha))
        out->alpha = o->alpha;
    if (!(out->alpha > 1.0f) || isinf(out->alpha))
        return SM_EINVAL;
    return out->flags & ~SM_KNOWN_FLAGS ? SM_EINVAL : SM_OK;
}

static inline sm_status sm_read_loss_options(const sm_loss_options *o,
                                             sm_loss_options *out)
{
    const sm_loss_options d = SM_LOSS_OPTIONS_INIT;
    *out = d;
    if (!o)
        return SM_OK;
    if (!SM_SIZE_OK(o, sm_loss_options))
        return SM_EINVAL;
    out->beta = o->beta;
    if (SM_COVERS(o, sm_loss_options, flags))
        out->flags = o->flags;
    if (SM_COVERS(o, sm_loss_options, reduction))
        out->reduction = o->reduction;
    if (SM_COVERS(o, sm_loss_options, reserved) && o->reserved != 0)
        return SM_EINVAL;
    return out->flags & ~SM_KNOWN_FLAGS ? SM_EINVAL : SM_OK;
}

static inline sm_status
sm_read_cross_entropy_options(const sm_cross_entropy_options *o,
                              sm_cross_entropy_options *out)
{
    typedef sm_cross_entropy_options T;
    const T d = SM_CROSS_ENTROPY_OPTIONS_INIT;
    *out = d;
    if (!o)
        return SM_OK;
    if (!SM_SIZE_OK(o, T))
        return SM_EINVAL;
    out->beta = o->beta;
    if (SM_COVERS(o, T, flags))
        out->flags = o->flags;
    if (SM_COVERS(o, T, reduction))
        out->reduction = o->reduction;
    if (SM_COVERS(o, T, ignore_index))
        out->ignore_index = o->ignore_index;
    if (SM_COVERS(o, T, label_smoothing))
        out->label_smoothing = o->label_smoothing;
    if (SM_COVERS(o, T, l2))
        out->l2 = o->l2;
    if (SM_COVERS(o, T, class_weights))
        out->class_weights = o->class_weights;
    return out->flags & ~SM_KNOWN_FLAGS ? SM_EINVAL : SM_OK;
}

/* Bytes spanned by rows of cols elements of elem bytes at stride ld
 * (rows, cols > 0), or false if that or the end address does not fit. */
static inline bool sm_extent_of(size_t rows, size_t cols, size_t ld,
                                size_t elem, const void *p, size_t *bytes)
{
    size_t elems, b;
    if (__builtin_mul_overflow(rows - 1, ld, &elems) ||
        __builtin_add_overflow(elems, cols, &elems) ||
        __builtin_mul_overflow(elems, elem, &b) || b > PTRDIFF_MAX)
        return false;
    uintptr_t end;
    if (__builtin_add_overflow((uintptr_t)p, b, &end))
        return false;
    *bytes = b;
    return true;
}

static inline bool sm_ranges_meet(uintptr_t a, size_t alen, uintptr_t b,
                                  size_t blen)
{
    return a < b + blen && b < a + alen;
}

/* x and y (rows x cols at strides ldx, ldy) whose byte ranges meet: SM_OK
 * exactly in place or where no row of one meets a row of the other. */
sm_status sm_check_overlap(size_t rows, size_t cols, const float *x,
                           size_t ldx, const float *y, size_t ldy);

/* x (rows x cols, stride ldx) to y (stride ldy): NULL, strides, NaN beta,
 * byte extents, overlap other than exactly in place. Inline, with the
 * dispatch and direct calls between entry points, as a short row's whole
 * cost is the call's overhead. Only the overlap analysis is out of line. */
static inline sm_status sm_check_rows(size_t rows, size_t cols, float beta,
                                      const float *x, size_t ldx,
                                      const float *y, size_t ldy)
{
    if (beta != beta || ldx < cols || ldy < cols)
        return SM_EINVAL;
    if (rows == 0 || cols == 0)
        return SM_OK;
    if (!x || !y)
        return SM_EINVAL;
    size_t xb, yb;
    if (!sm_extent_of(rows, cols, ldx, sizeof(float), x, &xb) ||
        !sm_extent_of(rows, cols, ldy, sizeof(float), y, &yb))
        return SM_ERANGE;
    if (!sm_ranges_meet((uintptr_t)x, xb, (uintptr_t)y, yb))
        return SM_OK;
    return sm_check_overlap(rows, cols, x, ldx, y, ldy);
}

/* A backward pass's rows: dx checked against y and against dy, each of
 * which it may equal exactly. */
static inline sm_status sm_check_backward_rows(size_t rows, size_t cols,
                                               float beta, const float *y,
                                               size_t ldy, const float *dy,
                                               size_t lddy, const float *dx,
                                               size_t lddx)
{
    const sm_status st = sm_check_rows(rows, cols, beta, y, ldy, dx, lddx);
    return st != SM_OK ? st
                       : sm_check_rows(rows, cols, beta, dy, lddy, dx, lddx);
}

/* The same with sm_options, read into *o. */
static inline sm_status sm_check_backward(size_t rows, size_t cols,
                                          const float *y, size_t ldy,
                                          const float *dy, size_t lddy,
                                          const float *dx, size_t lddx,
                                          const sm_options *options,
                                          sm_options *o)
{
    const sm_status st = sm_read_options(options, o);
    return st != SM_OK ? st
                       : sm_check_backward_rows(rows, cols, o->beta, y, ldy,
                                                dy, lddy, dx, lddx);
}

/* x (rows x cols, stride ldx) to rows results of 4 bytes (float or
 * int32_t) at result; inline, as sm_check_rows. */
static inline sm_status sm_check_reduce(size_t rows, size_t cols, float beta,
                                        const float *x, size_t ldx,
                                        const void *result)
{
    if (beta != beta || ldx < cols)
        return SM_EINVAL;
    if (rows == 0)
        return SM_OK;
    if (!result || (cols > 0 && !x))
        return SM_EINVAL;
    size_t rb;
    if (!sm_extent_of(rows, 1, 1, 4, result, &rb))
        return SM_ERANGE;
    if (cols == 0)
        return SM_OK;
    size_t xb;
    if (!sm_extent_of(rows, cols, ldx, sizeof(float), x, &xb))
        return SM_ERANGE;
    if (sm_ranges_meet((uintptr_t)x, xb, (uintptr_t)result, rb))
        return SM_EOVERLAP;
    return SM_OK;
}

/* x (k floats) to the k x k matrix at jac (stride ldj), no overlap. */
sm_status sm_check_jacobian(size_t k, float beta, const float *x,
                            const float *jac, size_t ldj);

/* The bytes a matrix of rows x cols elements of elem bytes at stride ld
 * spans (empty when rows or cols is 0); SM_ERANGE if that overflows. */
struct sm_span {
    uintptr_t at;
    size_t bytes;
};
sm_status sm_span_of(size_t rows, size_t cols, size_t ld, size_t elem,
                     const void *p, struct sm_span *span);
bool sm_spans_meet(const struct sm_span *a, const struct sm_span *b);

/* The sampler's options with the defaults for what o's size leaves out,
 * checked (src/decode.c); extra_flags: the bits the caller accepts beyond
 * SM_KNOWN_FLAGS. */
sm_status sm_read_sampler_options(const sm_sampler_options *o,
                                  sm_sampler_options *out,
                                  sm_flags extra_flags);

#endif
