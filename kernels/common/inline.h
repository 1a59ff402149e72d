/*
 * Forced inlining for the kernels' helpers. GCC stops inlining plain
 * "static inline" functions once a translation unit has grown by its
 * limit, so code added anywhere in a kernel file could turn a horizontal
 * fold into a call in the softmax loop (a 16-element softmax on AVX-512
 * went from 32 to 36 ns that way). The row code is forced inline too: it
 * is specialised for each exp, whose mode is then a constant, so neither
 * mode pays a per-vector branch.
 */
#ifndef SM_INLINE_H
#define SM_INLINE_H

#define SM_INLINE static inline __attribute__((always_inline))

#endif
