/* Fallback for x86 CPUs without FMA: SLEEF's portable C functions. Within
 * the accuracy bounds, not bit-identical to the FMA kernels. */
#include "vec.h"

#define SM_KERNEL_ISA scalar_nofma
#include "common/kernel_table.h"
