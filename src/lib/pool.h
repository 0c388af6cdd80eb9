/* The simulated entropy pool: when it becomes initialized, and waiting for that moment the way a
 * blocked getrandom waits in the kernel. */
#ifndef ER_POOL_H
#define ER_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* How often a waiting request looks for the ready file: the latency promised for it is 50 ms. */
#define ER_READY_FILE_POLL_NS (INT64_C(40) * 1000000)

int64_t er_boottime_ns(void) __attribute__((visibility("hidden")));

/* Fixes the init moment from the settings; load_ns is when the library loaded (epoch "process"). */
void er_pool_setup(const struct er_settings *s, int64_t load_ns) __attribute__((visibility("hidden")));

/* In a fork child: the parent's waiting threads are not there. */
void er_pool_forget_in_child(void) __attribute__((visibility("hidden")));

/* True once the init moment has passed or the ready file exists; stays true afterwards. */
bool er_pool_initialized(void) __attribute__((visibility("hidden")));
/* The same, by the init moment alone: no system call, for checks made on every hooked call. */
bool er_pool_initialized_by_clock(void) __attribute__((visibility("hidden")));

/* The next CLOCK_BOOTTIME moment at which the pool may become initialized: the init moment, or
 * the next look at the ready file; ER_DURATION_NEVER when nothing can change it. */
int64_t er_pool_next_change_ns(void) __attribute__((visibility("hidden")));

/* The blocking pool of kernels before 5.6, as an estimate credited at EARLYRANDOM_ENTROPY_RATE
 * from the epoch on and capped at ER_POOL_MAX_BITS. True when it holds fewer than bits now. */
bool er_pool_entropy_short(uint64_t bits) __attribute__((visibility("hidden")));

/* Takes bits from the estimate, sleeping until it holds them; the sleep ends early with EINTR as
 * er_pool_wait's does. Returns 0 or EINTR. Lock-free: each draw reserves its share at once. */
int er_pool_draw(uint64_t bits, bool through_eintr) __attribute__((visibility("hidden")));

/* Whether poll reports /dev/random readable: before 5.6 when the estimate reaches the wake-up
 * threshold, later once the pool is initialized; and the next moment that may change. */
bool er_pool_random_readable(void) __attribute__((visibility("hidden")));
int64_t er_pool_random_next_change_ns(void) __attribute__((visibility("hidden")));

/* Called once, from the waiting thread, when a wait has lasted the hang timeout. */
typedef void (*er_hang_fn)(void *ctx, int64_t waited_ns);

/* Sleeps in the kernel until the pool is initialized; with EARLYRANDOM_INIT_AFTER=jitter the first
 * such wait sets the init moment ER_JITTER_INIT_NS after its start_ns. Returns 0 then, or EINTR when a signal
 * handler without SA_RESTART interrupted the wait and through_eintr is false. Exactly the
 * semantics of a blocked getrandom: the sleep is a read() of a timerfd, which the kernel restarts
 * after an SA_RESTART handler and fails with EINTR after any other. A cancellation point. The
 * timer descriptor exists only during the wait, and the program may close it (er_pool_closing). */
int er_pool_wait(bool through_eintr, int64_t start_ns, int64_t hang_timeout_ns, er_hang_fn on_hang,
                 void *ctx) __attribute__((visibility("hidden")));

/* The program is closing the descriptors first to last (close, close_range, closefrom, or dup2 and
 * dup3 onto one): a wait's timer among them is woken first, and once closed is never used or
 * closed again by number; closed is false when the close failed (the timers stay the waits'). */
void er_pool_closing(unsigned int first, unsigned int last) __attribute__((visibility("hidden")));
void er_pool_closed(unsigned int first, unsigned int last, bool closed) __attribute__((visibility("hidden")));

#endif
