/* sleef.h declares its FMA ("purecfma") functions only when FP_FAST_FMA is
 * defined. gcc defines it under -mfma (through math.h), clang does not, so
 * derive it from __FMA__ here; without this clang sees no prototypes. */
#ifndef SM_SLEEF_INCLUDE_H
#define SM_SLEEF_INCLUDE_H

#include <math.h>
#if defined(__FMA__) && !defined(FP_FAST_FMA)
#define FP_FAST_FMA 1
#endif
#include <sleef.h>

#endif
