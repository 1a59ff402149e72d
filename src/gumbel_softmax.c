/* Gumbel-softmax: check, then per block of rows the noise kernel and the
 * softmax kernel of the table, and for the straight-through form the
 * argmax kernel and a one-hot row. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "checks.h"
#include "dispatch.h"

/* Rows go through noise and softmax a block at a time, about this many
 * entries, so that the softmax reads z while it is still in cache. The
 * blocking changes no bit (every row is computed alone). */
#define GUMBEL_BLOCK_ENTRIES 8192

static sm_status check_gumbel_softmax(size_t rows, size_t cols,
                                      const float *x, size_t ldx,
                                      const uint64_t *counter, const float *y,
                                      size_t ldy, const float *soft,
                                      size_t ldsoft,
                                      const sm_sampler_options *o)
{
    if (!(o->beta > 0.0f) || o->beta == INFINITY || o->top_k != 0 ||
        o->top_p != 1.0f || o->min_p != 0.0f || o->bias_count != 0 ||
        o->repetition_penalty != 1.0f || o->frequency_penalty != 0.0f ||
        o->presence_penalty != 0.0f || (soft && ldsoft < cols))
        return SM_EINVAL;
    const sm_status st = sm_check_rows(rows, cols, o->beta, x, ldx, y, ldy);
    if (st != SM_OK || rows == 0 || cols == 0)
        return st;
    if (!counter)
        return SM_EINVAL;
    if (cols > (size_t)INT32_MAX)
        return SM_ERANGE;
    struct sm_span xs, ys, cs, ss = {0, 0};
    if (sm_span_of(rows, cols, ldx, sizeof(float), x, &xs) != SM_OK ||
        sm_span_of(rows, cols, ldy, sizeof(float), y, &ys) != SM_OK ||
        sm_span_of(rows, 1, 1, sizeof(uint64_t), counter, &cs) != SM_OK ||
        (soft && sm_span_of(rows, cols, ldsoft, sizeof(float), soft, &ss) !=
                     SM_OK))
        return SM_ERANGE;
    if (sm_spans_meet(&cs, &xs) || sm_spans_meet(&cs, &ys) ||
        (soft && (sm_spans_meet(&ss, &xs) || sm_spans_meet(&ss, &ys) ||
                  sm_spans_meet(&ss, &cs))))
        return SM_EOVERLAP;
    return SM_OK;
}

/* Row y (n entries) = the one-hot of the soft sample s's first maximum: 0
 * where s is all 0 (a masked row), NaN where s is NaN. */
static void one_hot_row(const struct sm_kernels *k, size_t n, const float *s,
                        float *y)
{
    int32_t index;
    k->argmax_rows(1, n, 1.0f, s, n, &index);
    const float top = s[index];
    const float fill = top != top ? NAN : 0.0f;
    for (size_t i = 0; i < n; i++)
        y[i] = fill;
    if (top > 0.0f)
        y[index] = 1.0f;
}

sm_status sm_gumbel_softmax_rows_f32(size_t rows, size_t cols, const float *x,
                                     size_t ldx, const uint64_t *counter,
                                     float *y, size_t ldy, float *soft,
                                     size_t ldsoft,
                                     const sm_sampler_options *options)
{
    sm_sampler_options o;
    sm_status st = sm_read_sampler_options(options, &o, SM_GUMBEL_HARD);
    if (st != SM_OK)
        return st;
    st = check_gumbel_softmax(rows, cols, x, ldx, counter, y, ldy, soft,
                              ldsoft, &o);
    if (st != SM_OK || rows == 0 || cols == 0)
        return st;
    const struct sm_kernels *k = sm_dispatch();
    const bool hard = o.flags & SM_GUMBEL_HARD;
    const sm_flags flags = o.flags & SM_KNOWN_FLAGS;
    /* The soft sample goes to soft if given, else to y. */
    float *s = soft ? soft : y;
    const size_t lds = soft ? ldsoft : ldy;
    size_t block = GUMBEL_BLOCK_ENTRIES / cols;
    if (block == 0)
        block = 1;
    for (size_t r = 0; r < rows; r += block) {
        const size_t n = rows - r < block ? rows - r : block;
        k->gumbel_noise_rows(n, cols, o.seed, counter + r, x + r * ldx, ldx,
                             s + r * lds, lds);
        k->softmax_rows(n, cols, o.beta, s + r * lds, lds, s + r * lds, lds,
                        flags);
        if (soft && !hard)
            for (size_t i = r; i < r + n; i++)
                memcpy(y + i * ldy, soft + i * ldsoft, cols * sizeof(float));
        if (hard)
            for (size_t i = r; i < r + n; i++)
                one_hot_row(k, cols, s + i * lds, y + i * ldy);
    }
    return SM_OK;
}
