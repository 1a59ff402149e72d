/* Shared test helpers: guarded buffers, a seeded generator, bit compares. */
#ifndef SM_TEST_HARNESS_H
#define SM_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "softmax.h"

/* A buffer of n floats whose last element ends exactly at a PROT_NONE page
 * (a write past the end faults) and is preceded by canary bytes (checked by
 * guard_free). The end is fixed, so the start's alignment follows from n:
 * allocate n + k and use p + k to vary it. */
struct guard_buf {
    float *p;
    size_t n;
    unsigned char *base;
    size_t map_len;
    unsigned char *canary;
    size_t canary_len;
};
float *guard_alloc(struct guard_buf *g, size_t n);
/* Returns 0 if the canary before the buffer is intact. */
int guard_free(struct guard_buf *g);

/* xorshift64*: reproducible across machines. */
uint64_t rng_next(uint64_t *s);
float rng_uniform(uint64_t *s, float lo, float hi);

uint32_t f32_bits(float f);
float f32_from_bits(uint32_t u);

/* The one NaN the library writes, and two NaNs with other payloads (one
 * negative) for inputs that mix them. */
#define SM_TEST_QNAN_BITS 0x7fc00000u
#define SM_TEST_QNAN_F64_BITS 0x7ff8000000000000u
float test_nan_payload(int which);
/* 1 when v is not NaN or is the library's NaN. */
int nan_is_canonical(float v);
int nan_is_canonical_f64(double v);

/* Nonzero when SM_TEST_QUICK is set and not "0" (meson sets it for cross
 * builds, whose tests run under an emulator 30-40x slower): the suites then
 * trim their largest cases but keep the tails of every vector width, a
 * multi-chunk row and the special values. */
int test_quick(void);

/* Whether isa is usable here; prints a "skipped: ..." line once per ISA
 * when it is not, so a skipped ISA is visible in the log. SM_TEST_ISAS
 * ("sve", names separated by spaces) narrows the SIMD ISAs the suites
 * test, e.g. to what an SVE vector length changes; scalar stays. */
int isa_available(sm_isa isa);

/* Nonzero when SM_TEST_ISAS narrows the run to some SIMD ISAs (a run per
 * SVE vector length): tests of code no SIMD ISA runs (the scalar kernels
 * alone, the long-double references) then print why and skip, since the
 * full run does them, and the comparisons with scalar take fewer betas and
 * long rows (still every op, every tail and a multi-chunk row). */
int test_isas_narrowed(void);

/* for (each ISA this CPU and build can run, forced in turn) — a cmocka
 * assertion checks the force. */
#define FOR_EACH_ISA(var)                                              \
    for (int var = SM_ISA_SCALAR; var <= SM_ISA_SVE; var++)            \
        if (!isa_available((sm_isa)var)) {                             \
        } else if (assert_int_equal(sm_isa_force((sm_isa)var), SM_OK), \
                   0) {                                                \
        } else

#endif
