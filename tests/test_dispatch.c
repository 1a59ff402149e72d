/*
 * The load-time choice under SOFTMAX_ISA (meson runs this once per value:
 * unset/empty, scalar, avx2, avx512, neon, sve, AVX2, bogus).
 *
 * The expected ISA is computed here independently of the library's parser:
 * the best supported ISA at or below the cap within its family
 * (avx512 -> avx2 -> scalar, sve -> neon -> scalar); no cap for an empty,
 * unknown or "auto" value; names are case-insensitive. The test checks that
 * sm_isa_active() reports it and that the table behind the public entry
 * points (sm_dispatch()) is that ISA's table, slot by slot.
 *
 * Where the CPU is known (scripts/test-arm.sh under each emulated CPU), the
 * environment states what detection must find: SM_EXPECT_SUPPORTED, the
 * supported ISAs ("scalar neon sve"), and SM_EXPECT_SVE_BITS, SVE's vector
 * length in bits as sm_cpu_features() reports it (0: no SVE). A dispatcher
 * that ignores the CPU model fails here rather than passing on scalar.
 *
 * Plain C: exits non-zero on any failure.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"

static int failures;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                \
            failures++;                                                    \
        }                                                                  \
    } while (0)

static const char *const names[SM_ISA_COUNT] = {"scalar", "avx2", "avx512",
                                                "neon", "sve"};

/* Case-insensitive exact match against our own name table; -1 if none. */
static int parse_cap(const char *s)
{
    for (int i = 0; i < SM_ISA_COUNT; i++) {
        const char *n = names[i];
        size_t j = 0;
        while (n[j] && s[j] &&
               tolower((unsigned char)s[j]) == (unsigned char)n[j])
            j++;
        if (!n[j] && !s[j])
            return i;
    }
    return -1;
}

static int next_down(int isa)
{
    switch (isa) {
    case SM_ISA_AVX512: return SM_ISA_AVX2;
    case SM_ISA_SVE: return SM_ISA_NEON;
    default: return SM_ISA_SCALAR;
    }
}

static int best_supported(unsigned sup)
{
    /* Highest first; each family's members are mutually exclusive with
     * the other family's on real hardware. */
    static const int order[] = {SM_ISA_SVE, SM_ISA_NEON, SM_ISA_AVX512,
                                SM_ISA_AVX2, SM_ISA_SCALAR};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (sup & (1u << order[i]))
            return order[i];
    return SM_ISA_SCALAR;
}

static int expected_isa(const char *env, unsigned sup)
{
    if (!env || !*env)
        return best_supported(sup);
    const int cap = parse_cap(env);
    if (cap < 0)
        return best_supported(sup); /* unknown (or "auto"): no cap */
    for (int isa = cap;; isa = next_down(isa)) {
        if (sup & (1u << isa))
            return isa;
        if (isa == SM_ISA_SCALAR)
            return SM_ISA_SCALAR;
    }
}

/* The ISA names in a space-separated list as a bit mask; -1 if one is
 * unknown. */
static int parse_list(const char *s)
{
    int mask = 0;
    char word[16];
    while (*s) {
        size_t len = strcspn(s, " ");
        if (len > 0) {
            if (len >= sizeof word)
                return -1;
            memcpy(word, s, len);
            word[len] = '\0';
            const int isa = parse_cap(word);
            if (isa < 0)
                return -1;
            mask |= 1 << isa;
        }
        s += len;
        s += strspn(s, " ");
    }
    return mask;
}

static void check_expectations(unsigned sup)
{
    const char *want_sup = getenv("SM_EXPECT_SUPPORTED");
    if (want_sup && *want_sup) {
        const int mask = parse_list(want_sup);
        printf("dispatch: expected supported '%s' (0x%x)\n", want_sup, mask);
        CHECK(mask >= 0);
        CHECK((int)sup == mask);
    }
    const char *want_bits = getenv("SM_EXPECT_SVE_BITS");
    if (want_bits && *want_bits) {
        const char *f = sm_cpu_features();
        const char *at = strstr(f, "sve_vector_bits=");
        const long got = at ? strtol(at + strlen("sve_vector_bits="), NULL, 10) : 0;
        printf("dispatch: cpu features '%s'; SVE bits %ld, expected %s\n", f,
               got, want_bits);
        CHECK(got == strtol(want_bits, NULL, 10));
    }
}

static int same_table(const struct sm_kernels *a, const struct sm_kernels *b)
{
    if (!a || !b)
        return 0;
    int same = 1;
#define SM_CMP_SLOT(type, name) same &= a->name == b->name;
    SM_KERNEL_SLOTS(SM_CMP_SLOT)
#undef SM_CMP_SLOT
    return same;
}

int main(void)
{
    const char *env = getenv("SOFTMAX_ISA");
    const unsigned sup = sm_isa_supported();
    const sm_isa active = sm_isa_active(); /* before anything is forced */
    const int want = expected_isa(env, sup);

    printf("dispatch: SOFTMAX_ISA=%s%s%s supported=0x%x expected=%s chosen=%s\n",
           env ? "'" : "", env ? env : "(unset)", env ? "'" : "", sup,
           sm_isa_name((sm_isa)want), sm_isa_name(active));
    fflush(stdout);

    check_expectations(sup);
    CHECK(sup & (1u << SM_ISA_SCALAR));
    CHECK((sup >> SM_ISA_COUNT) == 0);
    CHECK(sup & (1u << want));
    CHECK((int)active == want);

    /* The table the public entry points call through is the expected
     * ISA's: same object and, slot by slot, the same functions. */
    const struct sm_kernels *used = sm_dispatch();
    const struct sm_kernels *table = sm_dispatch_table((sm_isa)want);
    CHECK(used != NULL);
    CHECK(table != NULL);
    CHECK(used == table);
    CHECK(same_table(used, table));
    if (table) {
#define SM_NONNULL_SLOT(type, name) CHECK(table->name != NULL);
        SM_KERNEL_SLOTS(SM_NONNULL_SLOT)
#undef SM_NONNULL_SLOT
    }
    /* Tables exist exactly for the supported ISAs. */
    for (int i = 0; i < SM_ISA_COUNT; i++)
        CHECK((sm_dispatch_table((sm_isa)i) != NULL) == (int)((sup >> i) & 1u));

    /* A cap never raises the choice above the uncapped best, and stays in
     * the cap's family (or falls to scalar). */
    const int cap = env ? parse_cap(env) : -1;
    if (cap >= 0) {
        int in_chain = 0;
        for (int isa = cap;; isa = next_down(isa)) {
            in_chain |= isa == (int)active;
            if (isa == SM_ISA_SCALAR)
                break;
        }
        CHECK(in_chain);
    }

    /* A call goes through: the public entry point works with this table. */
    const float x[3] = {0.0f, 1.0f, 2.0f};
    float y[3] = {0};
    CHECK(sm_softmax_f32(3, x, y) == SM_OK);
    CHECK(y[0] > 0.0f && y[0] < y[1] && y[1] < y[2] && y[2] < 1.0f);

    /* Forcing and returning to AUTO restores the capped choice, not the
     * uncapped best. */
    CHECK(sm_isa_force(SM_ISA_SCALAR) == SM_OK);
    CHECK(sm_isa_active() == SM_ISA_SCALAR);
    CHECK(sm_dispatch() == sm_dispatch_table(SM_ISA_SCALAR));
    CHECK(sm_isa_force(SM_ISA_AUTO) == SM_OK);
    CHECK((int)sm_isa_active() == want);
    CHECK(sm_dispatch() == table);

    if (failures) {
        fprintf(stderr, "test_dispatch: %d check(s) failed\n", failures);
        return 1;
    }
    printf("dispatch: ok\n");
    return 0;
}
