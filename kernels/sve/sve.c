/* SVE kernels: the shared source over vector-length-agnostic vectors. This
 * file alone is compiled with -march=armv8-a+sve; the dispatcher calls it
 * only when the CPU has SVE. */
#include "vec.h"

#define SM_KERNEL_ISA sve
#include "common/kernel_table.h"

#if SM_TABLE_PART
unsigned sm_sve_vector_bits(void) { return (unsigned)svcntb() * 8u; }
#endif
