/* The decision "what does this request get, given the policy and the pool's state": a pure
 * function of its inputs, so the table in the documentation is tested as a table. */
#ifndef ER_POLICY_H
#define ER_POLICY_H

#include <stdbool.h>

#include "config.h"

/* What a request asks of the pool, independent of the API that carried it. */
enum er_request_kind {
    ER_REQ_BLOCKING,     /* getrandom 0 or GRND_RANDOM, getentropy, syscall, /dev/random read */
    ER_REQ_NONBLOCKING,  /* GRND_NONBLOCK, /dev/random opened O_NONBLOCK */
    ER_REQ_INSECURE,     /* GRND_INSECURE, /dev/urandom read: never waits, even in the kernel */
    ER_REQ_INVALID,      /* flags the kernel rejects with EINVAL */
    ER_REQ_ARC4RANDOM,   /* arc4random*: blocks like flags 0, but glibc aborts on any error */
};

enum er_action {
    ER_ACTION_PASS,        /* call the real function */
    ER_ACTION_BLOCK,       /* wait for init, then call the real function */
    ER_ACTION_WEAK,        /* hand out weak bytes at once */
    ER_ACTION_EAGAIN,      /* fail with EAGAIN at once */
    ER_ACTION_EINVAL,      /* fail with EINVAL at once */
    ER_ACTION_INTERRUPTED, /* a wait ended by a signal (EINTR); only ever logged, never decided */
    ER_ACTION_ABORT,       /* glibc's fatal "cannot get entropy" message and abort() */
};

#define ER_GRND_NONBLOCK 0x0001u
#define ER_GRND_RANDOM 0x0002u
#define ER_GRND_INSECURE 0x0004u

/* Classifies getrandom(2) flags as the kernel does before the CRNG is ready. */
enum er_request_kind er_classify_getrandom(unsigned int flags);

/* Classifies a read of /dev/random (is_urandom false) or /dev/urandom. */
enum er_request_kind er_classify_device_read(bool is_urandom, bool nonblocking);

enum er_action er_decide(enum er_request_kind kind, bool pool_initialized, enum er_policy policy);

const char *er_action_name(enum er_action a);

#endif
