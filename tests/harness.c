#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CANARY_LEN 64
#define CANARY_BYTE 0xA5

float *guard_alloc(struct guard_buf *g, size_t n)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t data = n * sizeof(float) + CANARY_LEN;
    const size_t body = (data + page - 1) / page * page;
    memset(g, 0, sizeof *g);
    g->map_len = body + page;
    g->base = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->base == MAP_FAILED)
        return NULL;
    if (mprotect(g->base + body, page, PROT_NONE) != 0)
        return NULL;
    g->n = n;
    g->p = (float *)(g->base + body - n * sizeof(float));
    g->canary = (unsigned char *)g->p - CANARY_LEN;
    g->canary_len = CANARY_LEN;
    memset(g->canary, CANARY_BYTE, CANARY_LEN);
    return g->p;
}

int guard_free(struct guard_buf *g)
{
    int bad = 0;
    for (size_t i = 0; i < g->canary_len; i++)
        bad |= g->canary[i] != CANARY_BYTE;
    if (g->base)
        munmap(g->base, g->map_len);
    memset(g, 0, sizeof *g);
    return bad;
}

uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

float rng_uniform(uint64_t *s, float lo, float hi)
{
    const double u = (double)(rng_next(s) >> 11) * 0x1.0p-53;
    return (float)(lo + (hi - lo) * u);
}

uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

float test_nan_payload(int which)
{
    return f32_from_bits(which ? 0xffc22222u : 0x7fc11111u);
}

int nan_is_canonical(float v)
{
    return v == v || f32_bits(v) == SM_TEST_QNAN_BITS;
}

int nan_is_canonical_f64(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return v == v || u == SM_TEST_QNAN_F64_BITS;
}

float f32_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

int test_quick(void)
{
    static int quick = -1;
    if (quick < 0) {
        const char *env = getenv("SM_TEST_QUICK");
        quick = env && *env && strcmp(env, "0") != 0;
        if (quick)
            printf("quick mode (SM_TEST_QUICK): the largest cases are trimmed\n");
    }
    return quick;
}

/* Whether SM_TEST_ISAS (ISA names, space-separated) lists isa; unset or
 * empty lists every ISA. */
static int isa_selected(sm_isa isa)
{
    const char *env = getenv("SM_TEST_ISAS");
    if (!env || !*env)
        return 1;
    const char *name = sm_isa_name(isa);
    const size_t len = strlen(name);
    for (const char *p = env; (p = strstr(p, name)) != NULL; p += len)
        if ((p == env || p[-1] == ' ') && (p[len] == '\0' || p[len] == ' '))
            return 1;
    return 0;
}

int test_isas_narrowed(void)
{
    const char *env = getenv("SM_TEST_ISAS");
    return env && *env;
}

int isa_available(sm_isa isa)
{
    static unsigned reported;
    if (isa != SM_ISA_SCALAR && (sm_isa_supported() & (1u << isa)) &&
        !isa_selected(isa)) {
        if (!(reported & (1u << isa))) {
            reported |= 1u << isa;
            printf("not selected: ISA %s (SM_TEST_ISAS=%s)\n", sm_isa_name(isa),
                   getenv("SM_TEST_ISAS"));
            fflush(stdout);
        }
        return 0;
    }
    if (sm_isa_supported() & (1u << isa))
        return 1;
    if (!(reported & (1u << isa))) {
        reported |= 1u << isa;
        printf("skipped: ISA %s is not supported by this CPU or build\n",
               sm_isa_name(isa));
        fflush(stdout);
    }
    return 0;
}
