/* The kernel tables a suite compares with scalar: each SIMD ISA usable
 * here and, where built (tests/meson.build), the AVX-512 kernel source over a
 * C model of its intrinsics (linked when SM_TEST_AVX512_EMULATED). */
#ifndef SM_TEST_ISA_TABLES_H
#define SM_TEST_ISA_TABLES_H

#include "dispatch.h"
#include "harness.h"

#if SM_TEST_AVX512_EMULATED
extern const struct sm_kernels sm_kernels_avx512_emulated;
#endif

/* For isa in (SCALAR, SM_ISA_COUNT], where SM_ISA_COUNT stands for the
 * emulated AVX-512 kernels; NULL if absent. */
static inline const struct sm_kernels *table_for(int isa)
{
    if (isa < SM_ISA_COUNT)
        return isa_available((sm_isa)isa) ? sm_dispatch_table((sm_isa)isa) : NULL;
#if SM_TEST_AVX512_EMULATED
    if (sm_isa_supported() & (1u << SM_ISA_AVX2)) /* the model's exp */
        return &sm_kernels_avx512_emulated;
#endif
    return NULL;
}

static inline const char *table_name(int isa)
{
    return isa < SM_ISA_COUNT ? sm_isa_name((sm_isa)isa) : "avx512-emulated";
}

#endif
