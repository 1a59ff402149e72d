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

#endif
