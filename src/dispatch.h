/* The dispatch table: chosen once at load time, swapped only by
 * sm_isa_force. */
#ifndef SM_DISPATCH_H
#define SM_DISPATCH_H

#include "kernels.h"
#include "softmax.h"

#ifndef __cplusplus /* the benchmarks (C++) use sm_dispatch_table only */
#include <stdatomic.h>

/* The table that serves calls: set at load time (or by the first call if
 * that comes first), swapped only by sm_isa_force. Not exported. */
extern _Atomic(const struct sm_kernels *) sm_active_table;

/* Loads the table on the first call; never NULL. */
const struct sm_kernels *sm_dispatch_slow(void);

/* The kernels that serve calls now; never NULL. Inline: every call to the
 * library starts here. */
static inline const struct sm_kernels *sm_dispatch(void)
{
    const struct sm_kernels *t =
        atomic_load_explicit(&sm_active_table, memory_order_acquire);
    return __builtin_expect(t != NULL, 1) ? t : sm_dispatch_slow();
}
#endif

/* Tests only (hidden; the tests link the static library): returns the
 * dispatcher to its never-set-up state, so that the next calls race its
 * set-up. No other thread may be inside the library meanwhile. */
void sm_dispatch_reset_for_tests(void);

/* Complete table (no NULL slot) for a supported ISA, NULL otherwise. For
 * the tests, which run every ISA side by side. */
const struct sm_kernels *sm_dispatch_table(sm_isa isa);

#endif
