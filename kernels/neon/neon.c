/* AArch64 Advanced SIMD kernels: the shared source over 4-lane vectors. */
#include "vec.h"

#define SM_KERNEL_ISA neon
#include "common/kernel_table.h"
