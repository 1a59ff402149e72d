/* AVX-512 kernels: the shared source over 16-lane vectors and masks. */
#include "vec.h"

#define SM_TABLE sm_kernels_avx512
#include "common/kernel_table.h"
