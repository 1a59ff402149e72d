/* AVX2 + FMA kernels: the shared source over 8-lane vectors. */
#include "vec.h"

#define SM_TABLE sm_kernels_avx2
#include "common/kernel_table.h"
