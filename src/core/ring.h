/* The record ring: shared memory through which the library hands log records to the earlyrandom
 * command, so that a logged event costs no system call and the library holds no descriptor.
 *
 * A bounded multi-producer queue of fixed slots (after D. Vyukov's): each slot carries a sequence
 * number that says whose turn it is. A producer claims ticket t only when slot t % count is free
 * for it (seq == t) and never waits: a full ring, a closed ring or a record too long for a slot
 * makes the caller write the record to the log file itself. The one consumer (the command) takes
 * tickets in order, so records keep the order in which they were claimed.
 *
 * Everything here works on memory the caller mapped: no system calls, no allocation, no locks, so
 * it is safe on a hook path and in a signal handler, and the unit tests drive it in one process. */
#ifndef ER_RING_H
#define ER_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The variable through which the command tells the library where its ring is (a path to open). */
#define ER_ENV_RING "EARLYRANDOM_RING"

#define ER_RING_MAGIC 0x32474e4952524525ULL /* "%ERRING2", little-endian */
#define ER_RING_SLOT_SIZE 1024u
#define ER_RING_SLOT_HEADER 16u
#define ER_RING_PAYLOAD_MAX (ER_RING_SLOT_SIZE - ER_RING_SLOT_HEADER)

/* Set in head once the command stops draining: from then on producers claim nothing. */
#define ER_RING_CLOSED (1ULL << 63)

struct er_ring_header {
    uint64_t magic;
    uint32_t slot_size;
    uint32_t slot_count; /* a power of two */
    uint64_t head;       /* the next ticket to claim, plus ER_RING_CLOSED */
    char pad1[40];       /* head and tail on their own cache lines: producers and the consumer */
    uint64_t tail;       /* the next ticket the consumer takes; written by the consumer only */
    uint64_t bypassed;   /* records that producers wrote to the file themselves */
    uint32_t consumer_asleep; /* the consumer waits on its wake-up pipe rather than a short timer */
    char pad2[44];
    /* Where a producer writes a byte to wake the consumer, once a burst fills the ring an eighth
     * while the consumer sleeps: without it a burst overflows into the producers' slow path. */
    char wake_path[64];
    /* The log the ring feeds: a process whose own log setting names another file (a child that
     * changed EARLYRANDOM_LOG) writes that file itself. */
    char log_path[4096 - 192];
};

struct er_ring_slot {
    uint64_t seq;
    uint32_t len;
    uint32_t reserved;
    char data[ER_RING_PAYLOAD_MAX];
};

/* A mapped ring as one side sees it. The slot count is kept here, not read again from the shared
 * header, which every process of the tree can write: a stray write there cannot make either side
 * index outside the mapping. */
struct er_ring {
    struct er_ring_header *header;
    struct er_ring_slot *slots;
    uint32_t slot_count;
};

/* Bytes a ring of slot_count slots needs. */
size_t er_ring_bytes(uint32_t slot_count);

/* Lays out a fresh ring feeding log_path in zeroed memory of er_ring_bytes(slot_count) bytes
 * (slot_count a power of two); false when the path does not fit. */
bool er_ring_format(struct er_ring *r, void *mem, uint32_t slot_count, const char *log_path);

/* Attaches to a ring in mem (size bytes, mapped from a file someone else made); false when it
 * holds no ring this code can use or feeds another log than log_path. */
bool er_ring_attach(struct er_ring *r, void *mem, size_t size, const char *log_path);

enum er_ring_put { ER_RING_PUT_OK, ER_RING_PUT_FULL, ER_RING_PUT_CLOSED, ER_RING_PUT_TOO_LONG };

/* Copies one record into the ring, or says why it did not; never waits. A caller that gets
 * anything but OK writes the record elsewhere and calls er_ring_note_bypass. */
enum er_ring_put er_ring_put(const struct er_ring *r, const char *record, size_t len);
void er_ring_note_bypass(const struct er_ring *r);

/* The consumer's side. er_ring_take hands the next record to fn and frees its slot; it returns
 * false when that record is not committed yet (none claimed, or its producer is still copying). */
typedef void (*er_ring_record_fn)(const char *record, size_t len, void *ctx);
bool er_ring_take(const struct er_ring *r, er_ring_record_fn fn, void *ctx);

/* Stops new claims; returns how many claimed records are not taken yet. */
uint64_t er_ring_close(const struct er_ring *r);

/* Claimed but never committed (its producer was killed or stopped while copying): after the
 * tree is gone the consumer gives the slot up so that the records behind it can be taken.
 * Returns false when nothing is claimed at the consumer's position. */
bool er_ring_skip_abandoned(const struct er_ring *r);

/* Waking the consumer. The consumer names its wake-up path once (false when it does not fit),
 * says when it goes to sleep and when it is awake again; a producer that has just put a record
 * asks er_ring_wake_due, which is true for one producer only, when the consumer sleeps and the
 * ring is an eighth full; er_ring_wake_path gives the path (NULL when none is usable). */
bool er_ring_set_wake_path(const struct er_ring *r, const char *path);
void er_ring_consumer_sleeps(const struct er_ring *r, bool asleep);
bool er_ring_wake_due(const struct er_ring *r);
const char *er_ring_wake_path(const struct er_ring *r);

/* Claimed tickets not taken yet, and the records producers wrote around the ring. */
uint64_t er_ring_pending(const struct er_ring *r);
uint64_t er_ring_bypassed(const struct er_ring *r);

#endif
