/* Runtime dispatch: cpu_features is read once (constructor, or the first
 * call if that comes first; a mutex and an atomic flag make concurrent first
 * calls wait for one set-up), each ISA's table is completed from the next
 * ISA down, and the active table is one atomic pointer. */
#include "dispatch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sm_config.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpu_features/cpuinfo_x86.h>
#define SM_X86 1
#elif defined(__aarch64__)
#include <cpu_features/cpuinfo_aarch64.h>
#endif

struct dispatch_state {
    struct sm_kernels table[SM_ISA_COUNT]; /* completed; valid if supported */
    unsigned supported;                    /* bit per usable ISA */
    sm_isa automatic;                      /* best, capped by SOFTMAX_ISA */
    char features[256];
};

static struct dispatch_state state;
/* Set (release) once state is complete; guarded set-up under state_lock.
 * Not pthread_once: the tests return the dispatcher to its never-set-up
 * state (sm_dispatch_reset_for_tests) to race first calls again. */
static atomic_bool state_ready;
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
_Atomic(const struct sm_kernels *) sm_active_table;
static _Atomic int active_isa;

/* Falling back: avx512 -> avx2 -> scalar, sve -> neon -> scalar. */
static sm_isa next_down(sm_isa isa)
{
    switch (isa) {
    case SM_ISA_AVX512: return SM_ISA_AVX2;
    case SM_ISA_SVE: return SM_ISA_NEON;
    default: return SM_ISA_SCALAR;
    }
}

static void complete_table(struct sm_kernels *out, const struct sm_kernels *own,
                           const struct sm_kernels *below)
{
#define SM_FILL_SLOT(type, name) out->name = own->name ? own->name : below->name;
    SM_KERNEL_SLOTS(SM_FILL_SLOT)
#undef SM_FILL_SLOT
}

static void add_feature(const char *name, int present)
{
    if (!present)
        return;
    size_t len = strlen(state.features);
    snprintf(state.features + len, sizeof state.features - len, "%s%s",
             len ? " " : "", name);
}

/* Own (possibly incomplete) tables of the ISAs this CPU and build can run. */
static void detect(const struct sm_kernels *own[SM_ISA_COUNT])
{
    own[SM_ISA_SCALAR] = &sm_kernels_scalar;
#ifdef SM_X86
    const X86Features f = GetX86Info().features;
    add_feature("sse2", f.sse2);
    add_feature("avx", f.avx);
    add_feature("fma3", f.fma3);
    add_feature("avx2", f.avx2);
    add_feature("avx512f", f.avx512f);
    add_feature("avx512bw", f.avx512bw);
    add_feature("avx512dq", f.avx512dq);
    add_feature("avx512vl", f.avx512vl);
    add_feature("avx512_bf16", f.avx512_bf16);
    add_feature("avx512vnni", f.avx512vnni);
    /* The FMA scalar kernels define the bits; without FMA only SLEEF's
     * portable functions can run. */
    if (!f.fma3)
        own[SM_ISA_SCALAR] = &sm_kernels_scalar_nofma;
#if SM_HAVE_AVX2
    if (f.avx2 && f.fma3)
        own[SM_ISA_AVX2] = &sm_kernels_avx2;
#endif
#if SM_HAVE_AVX512
    if (f.avx2 && f.fma3 && f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl)
        own[SM_ISA_AVX512] = &sm_kernels_avx512;
#endif
#elif defined(__aarch64__)
    /* cpu_features' one-bit fields read -1 when set: test != 0. */
    const Aarch64Features f = GetAarch64Info().features;
    add_feature("asimd", f.asimd);
    add_feature("sve", f.sve);
    add_feature("sve2", f.sve2);
#if SM_HAVE_NEON
    if (f.asimd != 0)
        own[SM_ISA_NEON] = &sm_kernels_neon;
#endif
#if SM_HAVE_SVE
    if (f.sve != 0) {
        own[SM_ISA_SVE] = &sm_kernels_sve;
        /* The vector length the SVE kernels run at, for --info and logs. */
        char vl[32];
        snprintf(vl, sizeof vl, "sve_vector_bits=%u", sm_sve_vector_bits());
        add_feature(vl, 1);
    }
#endif
#endif
    if (!state.features[0])
        snprintf(state.features, sizeof state.features, "(none)");
}

/* SOFTMAX_ISA caps the automatic choice; a name we cannot honour is
 * reported once on stderr rather than silently ignored. */
static sm_isa apply_cap(sm_isa best)
{
    const char *env = getenv("SOFTMAX_ISA");
    if (!env || !*env)
        return best;
    sm_isa cap;
    if (sm_isa_from_name(env, &cap) != SM_OK) {
        fprintf(stderr, "libsoftmax: ignoring SOFTMAX_ISA=%s (expected scalar, "
                        "avx2, avx512, neon or sve)\n", env);
        return best;
    }
    if (cap == SM_ISA_AUTO)
        return best;
    /* Walk down from the cap to the first supported ISA of its family. */
    for (sm_isa isa = cap;; isa = next_down(isa)) {
        if (state.supported & (1u << isa))
            return isa;
        if (isa == SM_ISA_SCALAR)
            return SM_ISA_SCALAR;
    }
}

static void init_state(void)
{
    const struct sm_kernels *own[SM_ISA_COUNT] = {0};
    detect(own);
    sm_isa best = SM_ISA_SCALAR;
    /* Scalar first, then each ISA above the one it falls back to. */
    static const sm_isa order[] = {SM_ISA_SCALAR, SM_ISA_AVX2, SM_ISA_AVX512,
                                   SM_ISA_NEON, SM_ISA_SVE};
    for (size_t j = 0; j < sizeof order / sizeof order[0]; j++) {
        const sm_isa isa = order[j];
        if (!own[isa])
            continue;
        const sm_isa below = next_down(isa);
        complete_table(&state.table[isa], own[isa],
                       isa == SM_ISA_SCALAR ? own[isa]
                       : (state.supported & (1u << below)) ? &state.table[below]
                                                          : &state.table[SM_ISA_SCALAR]);
        state.supported |= 1u << isa;
        best = isa;
    }
    state.automatic = apply_cap(best);
    atomic_store(&active_isa, (int)state.automatic);
    atomic_store(&sm_active_table, &state.table[state.automatic]);
}

static void ensure_init(void)
{
    if (atomic_load_explicit(&state_ready, memory_order_acquire))
        return;
    pthread_mutex_lock(&state_lock);
    if (!atomic_load_explicit(&state_ready, memory_order_relaxed)) {
        init_state();
        atomic_store_explicit(&state_ready, true, memory_order_release);
    }
    pthread_mutex_unlock(&state_lock);
}

void sm_dispatch_reset_for_tests(void)
{
    pthread_mutex_lock(&state_lock);
    atomic_store(&sm_active_table, NULL);
    atomic_store(&active_isa, (int)SM_ISA_SCALAR);
    memset(&state, 0, sizeof state);
    atomic_store_explicit(&state_ready, false, memory_order_release);
    pthread_mutex_unlock(&state_lock);
}

__attribute__((constructor)) static void sm_dispatch_at_load(void)
{
    ensure_init();
}

const struct sm_kernels *sm_dispatch_slow(void)
{
    ensure_init();
    return atomic_load_explicit(&sm_active_table, memory_order_acquire);
}

const struct sm_kernels *sm_dispatch_table(sm_isa isa)
{
    ensure_init();
    if (isa < 0 || isa >= SM_ISA_COUNT || !(state.supported & (1u << isa)))
        return NULL;
    return &state.table[isa];
}

sm_isa sm_isa_active(void)
{
    ensure_init();
    return (sm_isa)atomic_load(&active_isa);
}

unsigned sm_isa_supported(void)
{
    ensure_init();
    return state.supported;
}

const char *sm_cpu_features(void)
{
    ensure_init();
    return state.features;
}

sm_status sm_isa_force(sm_isa isa)
{
    ensure_init();
    if (isa == SM_ISA_AUTO)
        isa = state.automatic;
    if (isa < 0 || isa >= SM_ISA_COUNT)
        return SM_EINVAL;
    if (!(state.supported & (1u << isa)))
        return SM_ENOTSUP;
    /* Two stores: a concurrent sm_isa_active may briefly see the old name,
     * but every computation uses one complete table. */
    atomic_store(&sm_active_table, &state.table[isa]);
    atomic_store(&active_isa, (int)isa);
    return SM_OK;
}
