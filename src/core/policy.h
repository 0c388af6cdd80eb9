/* The decision "what does this request get, given the policy and the pool's state": a pure
 * function of its inputs, so the table in the documentation is tested as a table. */
#ifndef ER_POLICY_H
#define ER_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* What a request asks of the pool, independent of the API that carried it. */
enum er_request_kind {
    ER_REQ_BLOCKING,     /* getrandom 0 or GRND_RANDOM, getentropy, syscall, /dev/random read */
    ER_REQ_NONBLOCKING,  /* GRND_NONBLOCK, /dev/random opened O_NONBLOCK */
    ER_REQ_INSECURE,     /* GRND_INSECURE, /dev/urandom read: never waits, even in the kernel */
    ER_REQ_INVALID,      /* flags the kernel rejects with EINVAL */
    ER_REQ_ARC4RANDOM,   /* arc4random*: blocks like flags 0, but glibc aborts on any error */
    /* Kinds only older kernels have (er_classify_*_on): */
    ER_REQ_NOSYS,        /* getrandom before 3.17: the system call does not exist */
    ER_REQ_UNSUPPORTED,  /* flags the simulated kernel rejects but the real one may accept */
    ER_REQ_RANDOM_POOL,  /* before 5.6: GRND_RANDOM, /dev/random: waits while the estimate is short */
    ER_REQ_RANDOM_POOL_NONBLOCKING, /* the same with GRND_NONBLOCK or O_NONBLOCK: EAGAIN */
    ER_REQ_URANDOM_JITTER, /* 5.18+: a /dev/urandom read runs the jitter loop until init */
    ER_REQ_ARC4RANDOM_FALLBACK, /* before 3.17 glibc's arc4random reads /dev/urandom instead */
};

enum er_action {
    ER_ACTION_PASS,        /* call the real function */
    ER_ACTION_BLOCK,       /* wait for init, then call the real function */
    ER_ACTION_WEAK,        /* hand out weak bytes at once */
    ER_ACTION_EAGAIN,      /* fail with EAGAIN at once */
    ER_ACTION_EINVAL,      /* fail with EINVAL at once */
    ER_ACTION_INTERRUPTED, /* a wait ended by a signal (EINTR); only ever logged, never decided */
    ER_ACTION_ABORT,       /* glibc's fatal "cannot get entropy" message and abort() */
    ER_ACTION_ENOSYS,      /* fail with ENOSYS at once: the kernel has no such call */
    ER_ACTION_DRAW,        /* take the bits from the blocking pool's estimate, waiting for them */
};

/* The simulated kernel: its random driver's version and whether it runs the jitter loop
 * (EARLYRANDOM_INIT_AFTER=jitter). */
struct er_kernel {
    unsigned version; /* ER_KERNEL_VERSION */
    bool jitter;
};

struct er_kernel er_kernel_of(const struct er_settings *s);

/* The eras, each checked against that version's drivers/char/random.c (docs/kernels.md). */
bool er_kernel_has_getrandom(unsigned version);        /* 3.17 */
bool er_kernel_has_blocking_pool(unsigned version);    /* until 5.5 */
bool er_kernel_has_jitter(unsigned version);           /* 5.4 */
bool er_kernel_urandom_runs_jitter(unsigned version);  /* 5.18 */
bool er_kernel_random_honours_nonblock(unsigned version); /* not from 5.6 to 5.19 */
bool er_kernel_has_vdso_getrandom(unsigned version);  /* 6.11 */
/* True when, once the pool is initialized, the real (current) kernel answers every request as
 * the simulated one would: the hooks may then take their fast path. */
bool er_kernel_same_after_init(unsigned version);

/* The blocking pool before 5.6: a /dev/random read wakes at 64 bits (random_read_wakeup_bits),
 * takes at most 512 bytes (SEC_XFER_SIZE), and the input pool holds 4096 bits. */
#define ER_POOL_WAKEUP_BITS 64u
#define ER_POOL_XFER_BYTES 512u
#define ER_POOL_MAX_BITS 4096u

/* EARLYRANDOM_INIT_AFTER=jitter: the pool initializes this long after the first request that
 * waits for it (5.4's wait_for_random_bytes sleeps HZ before its jitter loop; on 6.1 the loop
 * took 1.3 to 2.7 s in an emulated guest, docs/kernels.md). */
#define ER_JITTER_INIT_NS INT64_C(1000000000)

/* The bits a blocking-pool request of n bytes takes from the estimate. */
uint64_t er_pool_draw_bits(uint64_t bytes);

/* The blocking pool's estimate kept as one number, the CLOCK_BOOTTIME moment it was (or would
 * have been) empty: credited at rate bits a second, it holds rate * (now - empty_at) bits, at
 * most ER_POOL_MAX_BITS. Returns the moment it holds bits (at or before now when it does), or
 * ER_ESTIMATE_NEVER when nothing is ever credited. A draw moves empty_at to that moment. */
#define ER_ESTIMATE_NEVER INT64_C(-1)
int64_t er_estimate_holds_at(int64_t empty_at, int64_t now, uint64_t bits, uint32_t rate);

#define ER_GRND_NONBLOCK 0x0001u
#define ER_GRND_RANDOM 0x0002u
#define ER_GRND_INSECURE 0x0004u

/* Classifies getrandom(2) flags as the kernel does before the CRNG is ready. */
enum er_request_kind er_classify_getrandom(unsigned int flags);

/* Classifies a read of /dev/random (is_urandom false) or /dev/urandom. */
enum er_request_kind er_classify_device_read(bool is_urandom, bool nonblocking);

enum er_action er_decide(enum er_request_kind kind, bool pool_initialized, enum er_policy policy);

/* The classifiers of a given kernel; the ones above are those of the default profile. */
enum er_request_kind er_classify_getrandom_on(struct er_kernel k, unsigned int flags);
enum er_request_kind er_classify_device_read_on(struct er_kernel k, bool is_urandom,
                                                bool nonblocking);
enum er_request_kind er_classify_getentropy_on(struct er_kernel k);
enum er_request_kind er_classify_arc4random_on(struct er_kernel k);

/* The whole table: entropy_short says whether the blocking pool's estimate is below what the
 * request needs (only asked for the ER_REQ_RANDOM_POOL kinds). */
enum er_action er_decide_estimate(enum er_request_kind kind, bool pool_initialized,
                                  bool entropy_short, enum er_policy policy);

const char *er_action_name(enum er_action a);

#endif
