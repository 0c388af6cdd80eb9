/* The random driver's own messages to the kernel log, era by era, so that a simulated boot can be
 * laid next to a real one's dmesg. Pure: the caller keeps the state and says what time it is. */
#ifndef ER_KMSG_H
#define ER_KMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* urandom_warning in drivers/char/random.c: at most 3 messages a second (ratelimit HZ, 3), and
 * 10 in all (maxwarn); 3.13 to 4.7 printed one, once (printk_once). */
#define ER_KMSG_BURST 3
#define ER_KMSG_INTERVAL_NS INT64_C(1000000000)
#define ER_KMSG_MAXWARN 10

struct er_kmsg_limiter {
    int64_t window_start_ns; /* 0 before the first message */
    int in_window;
    int maxwarn_left;
    int missed;
    bool printed_once;
    bool init_reported;
};

void er_kmsg_limiter_init(struct er_kmsg_limiter *l);

/* A /dev/urandom read before init at now_ns: true when the kernel of that version prints the
 * warning for it; a suppressed one is counted as missed where the kernel counts it. */
bool er_kmsg_urandom_allowed(struct er_kmsg_limiter *l, unsigned version, int64_t now_ns);

/* "random: python3: uninitialized urandom read (24 bytes read)", in the words of that version;
 * comm is the task's name. Returns the length, 0 when that version says nothing. */
size_t er_kmsg_urandom_text(unsigned version, const char *comm, uint64_t bytes, char *out,
                            size_t cap);

/* The lines the kernel prints when the pool becomes initialized ("random: crng init done", then
 * the count of suppressed warnings), one per call: index 0, 1, ... until it returns 0. */
size_t er_kmsg_init_text(unsigned version, const struct er_kmsg_limiter *l, int index, char *out,
                         size_t cap);

#endif
