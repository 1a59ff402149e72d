/*
 * The entry point of the Gumbel-softmax build (SM_GUMBEL_OPS): the noise
 * of Gumbel-softmax. It uses no exp (src/ applies the softmax through the
 * table's softmax kernels), so there is one build, apart from the others'.
 */
#ifndef SM_GUMBEL_ENTRIES_H
#define SM_GUMBEL_ENTRIES_H

#include "common/gumbel_noise.h"

void SM_ENTRY(gumbel_noise_rows)(size_t rows, size_t cols, uint64_t seed,
                                 const uint64_t *counter, const float *x,
                                 size_t ldx, float *z, size_t ldz)
{
    gumbel_noise_rows(rows, cols, seed, counter, x, ldx, z, ldz);
}

#endif
