/*
 * Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers:
 * as easy as 1, 2, 3", SC11): a counter-based generator. Four 32-bit words
 * of output are a pure function of a 128-bit counter and a 64-bit key, in
 * integer arithmetic only, so every ISA and machine draws the same numbers
 * from the same seed and counter, with no state in between.
 */
#ifndef SM_PHILOX_H
#define SM_PHILOX_H

#include <stdint.h>

struct sm_philox_block {
    uint32_t w[4];
};

static inline void philox_round(uint32_t c[4], const uint32_t k[2])
{
    const uint64_t p0 = (uint64_t)0xD2511F53u * c[0];
    const uint64_t p1 = (uint64_t)0xCD9E8D57u * c[2];
    const uint32_t c1 = c[1], c3 = c[3];
    c[0] = (uint32_t)(p1 >> 32) ^ c1 ^ k[0];
    c[1] = (uint32_t)p1;
    c[2] = (uint32_t)(p0 >> 32) ^ c3 ^ k[1];
    c[3] = (uint32_t)p0;
}

/* The 10-round block of counter ctr under key. */
static inline struct sm_philox_block philox4x32_10(const uint32_t ctr[4],
                                                   const uint32_t key[2])
{
    uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
    uint32_t k[2] = {key[0], key[1]};
    for (int r = 0; r < 10; r++) {
        if (r > 0) { /* the Weyl key schedule: golden ratio, sqrt(3) - 1 */
            k[0] += 0x9E3779B9u;
            k[1] += 0xBB67AE85u;
        }
        philox_round(c, k);
    }
    return (struct sm_philox_block){{c[0], c[1], c[2], c[3]}};
}

/* The library's use of it: the caller's 64-bit seed is the key and the
 * counter is (counter, draw), each 64 bits, low word first: counter is the
 * caller's (a row's position in a sequence, say) and draw numbers the
 * blocks one call takes for it. */
static inline struct sm_philox_block sm_random_block(uint64_t seed,
                                                     uint64_t counter,
                                                     uint64_t draw)
{
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    const uint32_t ctr[4] = {(uint32_t)counter, (uint32_t)(counter >> 32),
                             (uint32_t)draw, (uint32_t)(draw >> 32)};
    return philox4x32_10(ctr, key);
}

/* A uniform double in [0, 1) from two words: 53 random bits, so every
 * value is a multiple of 2^-53 and 1 is never reached. */
static inline double sm_uniform53(uint32_t hi, uint32_t lo)
{
    const uint64_t bits = ((uint64_t)(hi >> 5) << 26) | (lo >> 6);
    return (double)bits * 0x1p-53;
}

#endif
