/* The dispatch table: chosen once at load time, swapped only by
 * sm_isa_force. */
#ifndef SM_DISPATCH_H
#define SM_DISPATCH_H

#include "kernels.h"
#include "softmax.h"

/* The kernels that serve calls now; never NULL. */
const struct sm_kernels *sm_dispatch(void);

/* Complete table (no NULL slot) for a supported ISA, NULL otherwise. For
 * the tests, which run every ISA side by side. */
const struct sm_kernels *sm_dispatch_table(sm_isa isa);

#endif
