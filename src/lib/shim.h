/* What every hook shares: the settings of this process, the fast path, and the way one request
 * goes through decide -> act -> log. Hooks describe a request and say how to perform it for real;
 * this module does the rest. */
#ifndef ER_SHIM_H
#define ER_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "policy.h"

#define ER_HIDDEN __attribute__((visibility("hidden")))
#define ER_EXPORT __attribute__((visibility("default")))
#define ER_LIKELY(x) __builtin_expect(!!(x), 1)
/* Kept out of the hooks, so that their fast path stays a load, a test and a jump. */
#define ER_SLOW_PATH __attribute__((noinline, cold))

/* Nonzero once nothing is left to simulate or log: the pool is initialized and post-init logging
 * is off, or the policy is passthrough with no log. Set once, never cleared. */
extern int er_fast_flag ER_HIDDEN;

/* For a hook called before the flag is set: loads the settings if no hook has yet, and sets the
 * flag when nothing is left to do. Without it a program that never asks for entropy would check
 * every descriptor it opens, reads and closes for as long as it runs. */
bool er_settle(void) ER_HIDDEN ER_SLOW_PATH;

/* The whole cost of a hook once the pool is initialized: one relaxed load. */
static inline bool er_fast(void)
{
    return ER_LIKELY(__atomic_load_n(&er_fast_flag, __ATOMIC_RELAXED)) || er_settle();
}

/* The settings, valid once er_loaded() returned true. */
extern struct er_settings er_settings ER_HIDDEN;

/* Loads the settings on first use (another library's constructor may call a hook before ours
 * runs). False while this very thread is loading them: the caller then just passes through. */
bool er_loaded(void) ER_HIDDEN;

/* One request on its way through the library. */
struct er_request {
    const char *api;
    const char *device;   /* "/dev/random" or "/dev/urandom" for device operations, else NULL */
    bool has_bytes;
    uint64_t bytes;
    char flags[96];       /* symbolic, for the log; empty to leave the field out */
    enum er_request_kind kind;
    bool forward;         /* pass to the real function whatever the pool state (e.g. sizes glibc rejects) */
    bool wait_through_eintr; /* getentropy and arc4random loop on EINTR inside glibc */
    const void *caller;   /* return address of the hooked call */
    /* filled in by er_run */
    const char *kernel_pool; /* the real pool's state when the request came, for the log */
    bool pool_initialized;
    enum er_action action;
    int64_t start_ns;     /* CLOCK_BOOTTIME */
    int64_t waited_ns;
};

/* How a hook performs its request for real, and how its API reports a failure. */
struct er_ops {
    /* The real call. weak is true when the bytes will be handed out as weak: the call must then
     * not wait, even on a machine whose real pool is not initialized. Sets *err to the errno of a
     * failure, else 0. */
    long long (*call)(void *ctx, bool weak, int *err);
    /* With EARLYRANDOM_WEAK=deterministic: replaces the bytes the real call produced (its
     * result) and returns the result to hand back. NULL when the call produces no bytes. */
    long long (*make_deterministic)(void *ctx, long long result);
    /* Returns what this API returns when it fails with err (-1 for system calls); for stdio it
     * also sets the stream's error indicator. */
    long long (*fail)(void *ctx, int err);
};

void er_request_init(struct er_request *q, const char *api, const void *caller) ER_HIDDEN;

/* Decides, acts, logs; returns the API's result with errno set as the API would set it, and
 * errno untouched on success. */
long long er_run(struct er_request *q, const struct er_ops *ops, void *ctx) ER_HIDDEN;

/* glibc's words when arc4random cannot get entropy (stdlib/arc4random.c), then its abort. */
_Noreturn void er_arc4random_fatal(void) ER_HIDDEN;

/* Logs an operation that was passed to the real function as it came (opening a device), when
 * requests are being logged. Keeps errno. */
void er_note(struct er_request *q, long long result, int err) ER_HIDDEN;

/* The next len bytes of the deterministic weak stream of this process. */
void er_weak_take(void *buf, size_t len) ER_HIDDEN;

/* A failure that just returns -1, for hooks of system calls. */
long long er_fail_minus_one(void *ctx, int err) ER_HIDDEN;

#endif
