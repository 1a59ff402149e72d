/* Options for one call of the public API, written in the call's argument
 * list: compound literals, alive to the end of the enclosing block. */
#ifndef SM_TEST_CALL_OPTIONS_H
#define SM_TEST_CALL_OPTIONS_H

#include "softmax.h"

#define OPTS(beta, flags) \
    (&(sm_options){sizeof(sm_options), (beta), (flags), NULL})
#define LOSS_OPTS(beta, flags, reduction) \
    (&(sm_loss_options){sizeof(sm_loss_options), (beta), (flags), (reduction), 0u})

#endif
