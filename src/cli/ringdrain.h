/* The command's side of the record ring (src/core/ring.h): it makes the ring, tells the library
 * where it is, and appends what the tree's processes put there to the log file, in order. */
#ifndef ER_RINGDRAIN_H
#define ER_RINGDRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring.h"

struct er_ringdrain {
    struct er_ring ring;
    void *mem;
    size_t size;
    int memfd;  /* close-on-exec: the tree reopens it by path and keeps no descriptor */
    int log_fd; /* the log file, opened for appending */
    int wake[2]; /* the wake-up pipe producers write a byte into (close-on-exec, non-blocking) */
    char path[64];
    char *buf; /* records gathered for one write */
    size_t len;
    uint64_t taken, abandoned;
};

/* Makes a ring of slot_count slots feeding the log at log_path; false (with errno) if it cannot,
 * and then the library writes the file itself. */
bool er_ringdrain_open(struct er_ringdrain *d, const char *log_path, uint32_t slot_count);

/* Appends every committed record to the log; returns how many. */
size_t er_ringdrain_poll(struct er_ringdrain *d);

/* Sleeping until records come: er_ringdrain_sleep tells the producers the consumer sleeps
 * (ASLEEP: poll er_ringdrain_wake_fd, then call er_ringdrain_awake), or says why not: a burst is
 * already in the ring, or there is no ring or no wake-up pipe to poll. */
enum er_ringdrain_sleep { ER_RINGDRAIN_ASLEEP, ER_RINGDRAIN_BURST, ER_RINGDRAIN_NO_WAKE_UP };
enum er_ringdrain_sleep er_ringdrain_sleep(struct er_ringdrain *d);
int er_ringdrain_wake_fd(const struct er_ringdrain *d);
void er_ringdrain_awake(struct er_ringdrain *d);

/* The tree is gone, or the command is leaving: no more claims, every record that will ever be
 * committed is written, and slots whose producer died while copying are counted as abandoned.
 * settle_ms bounds the wait for producers still copying. */
void er_ringdrain_finish(struct er_ringdrain *d, int settle_ms);

void er_ringdrain_close(struct er_ringdrain *d);

#endif
