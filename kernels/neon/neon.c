/* AArch64 Advanced SIMD kernels: the shared source over 4-lane vectors. */
#include "vec.h"

#define SM_TABLE sm_kernels_neon
#include "common/kernel_table.h"
