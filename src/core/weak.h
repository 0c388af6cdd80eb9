/* The weak bytes handed out before init by EARLYRANDOM_WEAK=deterministic[:SEED]: a stream that is
 * the same in every run for the same seed, so two runs "generate" the same secret, the way
 * identically booted devices did. Not a cryptographic generator, on purpose. */
#ifndef ER_WEAK_H
#define ER_WEAK_H

#include <stddef.h>
#include <stdint.h>

/* Writes bytes [offset, offset + len) of the stream for seed into buf. Random access, so that
 * concurrent requests can each reserve a range of the stream with one atomic add. */
void er_weak_fill(uint64_t seed, uint64_t offset, void *buf, size_t len);

/* arc4random_uniform's contract over any 32-bit source: uniform in [0, upper), 0 when upper < 2. */
uint32_t er_uniform(uint32_t upper, uint32_t (*next32)(void *ctx), void *ctx);

#endif
