#include "weak.h"

#include <string.h>

/* SplitMix64 (Steele, Lea, Flood 2014): word i of the stream is mix(seed + (i + 1) * gamma). */
static uint64_t stream_word(uint64_t seed, uint64_t index)
{
    uint64_t z = seed + (index + 1) * UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

void er_weak_fill(uint64_t seed, uint64_t offset, void *buf, size_t len)
{
    unsigned char *out = buf;
    while (len > 0) {
        uint64_t word = stream_word(seed, offset / 8);
        unsigned char bytes[8];
        for (int i = 0; i < 8; i++)
            bytes[i] = (unsigned char)(word >> (8 * i));
        size_t skip = (size_t)(offset % 8);
        size_t n = 8 - skip;
        if (n > len)
            n = len;
        memcpy(out, bytes + skip, n);
        out += n;
        offset += n;
        len -= n;
    }
}

uint32_t er_uniform(uint32_t upper, uint32_t (*next32)(void *ctx), void *ctx)
{
    if (upper < 2)
        return 0;
    /* Rejecting values below 2^32 mod upper leaves a range that is a multiple of upper. */
    uint32_t min = (uint32_t)(-upper) % upper;
    for (;;) {
        uint32_t r = next32(ctx);
        if (r >= min)
            return r % upper;
    }
}
