/* AVX2 + FMA kernels: the shared source over 8-lane vectors. */
#include "vec.h"

#define SM_KERNEL_ISA avx2
#include "common/kernel_table.h"
