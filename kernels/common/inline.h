/*
 * Forced inlining for the kernels' helpers. GCC stops inlining plain
 * "static inline" functions once a translation unit has grown by its
 * limit, so code added anywhere in a kernel file could turn a horizontal
 * fold into a call in the softmax loop. The row code is forced inline too: it
 * is specialised for its constants (the exp mode of the build, beta = 1,
 * the vector count), so no case pays a per-vector branch.
 */
#ifndef SM_INLINE_H
#define SM_INLINE_H

#define SM_INLINE static inline __attribute__((always_inline))

/* An out-of-line function that GCC must not clone per call site (clang
 * does not clone and has no such attribute). */
#if defined(__GNUC__) && !defined(__clang__)
#define SM_NOCLONE __attribute__((noclone))
#else
#define SM_NOCLONE
#endif

/* A kernel precondition that src/ has already ensured (e.g. a vector
 * count within the cases of a switch): an assert in builds with debug info
 * (meson's debug and debugoptimized), only a hint to the optimiser in the
 * others, where meson.build defines SM_KERNEL_ASSUME. */
#if defined(NDEBUG) || defined(SM_KERNEL_ASSUME)
#define SM_UNREACHABLE() __builtin_unreachable()
#else
#include <assert.h>
#define SM_UNREACHABLE()                                                   \
    do {                                                                   \
        assert(!"a kernel precondition failed");                           \
        __builtin_unreachable();                                           \
    } while (0)
#endif

#endif
