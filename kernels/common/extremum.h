/*
 * The extremum a row's statistics and argmax select on: the maximum for
 * beta > 0, the minimum for beta < 0 (NaNs ignored, as v_max and v_min).
 */
#ifndef SM_EXTREMUM_H
#define SM_EXTREMUM_H

#include <stdbool.h>

#include "common/inline.h"

SM_INLINE sm_v v_ext(sm_v x, sm_v a, bool use_max)
{
    return use_max ? v_max(x, a) : v_min(x, a);
}

#endif
