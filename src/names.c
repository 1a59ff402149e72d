/* Names: statuses, ISAs, version. */
#include <strings.h>

#include "softmax.h"

const char *sm_strerror(sm_status status)
{
    switch (status) {
    case SM_OK: return "success";
    case SM_EINVAL: return "invalid argument (NULL pointer, stride < cols, NaN beta, unknown ISA or "
                            "flag, or a label or loss option out of range)";
    case SM_EOVERLAP: return "output overlaps input (only exact in-place is allowed)";
    case SM_ERANGE: return "buffer size overflows the address space";
    case SM_ENOTSUP: return "instruction set not supported by this CPU or build";
    case SM_EDOMAIN: return "a row has no distribution to sample from (NaN or fully masked)";
    case SM_ENOMEM: return "out of memory or threads";
    }
    return "unknown status";
}

static const char *const isa_names[SM_ISA_COUNT] = {
    [SM_ISA_SCALAR] = "scalar", [SM_ISA_AVX2] = "avx2",
    [SM_ISA_AVX512] = "avx512", [SM_ISA_NEON] = "neon", [SM_ISA_SVE] = "sve",
};

const char *sm_isa_name(sm_isa isa)
{
    if (isa == SM_ISA_AUTO)
        return "auto";
    if (isa < 0 || isa >= SM_ISA_COUNT)
        return "unknown";
    return isa_names[isa];
}

sm_status sm_isa_from_name(const char *name, sm_isa *isa)
{
    if (!name || !isa)
        return SM_EINVAL;
    if (strcasecmp(name, "auto") == 0) {
        *isa = SM_ISA_AUTO;
        return SM_OK;
    }
    for (int i = 0; i < SM_ISA_COUNT; i++) {
        if (strcasecmp(name, isa_names[i]) == 0) {
            *isa = (sm_isa)i;
            return SM_OK;
        }
    }
    return SM_EINVAL;
}

const char *sm_version(void) { return SM_VERSION_STRING; }
