/* Reference kernels: portable C, one lane at a time. On FMA hardware these
 * define the bits every SIMD kernel must reproduce. */
#define SM_SCALAR_FMA
#include "vec.h"

#define SM_KERNEL_ISA scalar
#include "common/kernel_table.h"
