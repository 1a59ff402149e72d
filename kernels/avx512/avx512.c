/* AVX-512 kernels: the shared source over 16-lane vectors and masks. */
#include "vec.h"

#define SM_KERNEL_ISA avx512
#include "common/kernel_table.h"
