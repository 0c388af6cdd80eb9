#include "ringdrain.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define BATCH (256 * 1024)

bool er_ringdrain_open(struct er_ringdrain *d, const char *log_path, uint32_t slot_count)
{
    memset(d, 0, sizeof *d);
    d->memfd = d->log_fd = d->wake[0] = d->wake[1] = -1;
    d->mem = MAP_FAILED;
    d->size = er_ring_bytes(slot_count);
    d->memfd = memfd_create("earlyrandom-ring", MFD_CLOEXEC);
    if (d->memfd < 0 || ftruncate(d->memfd, (off_t)d->size) != 0)
        goto fail;
    d->mem = mmap(NULL, d->size, PROT_READ | PROT_WRITE, MAP_SHARED, d->memfd, 0);
    if (d->mem == MAP_FAILED)
        goto fail;
    d->log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
    if (d->log_fd < 0 || (d->buf = malloc(BATCH)) == NULL)
        goto fail;
    if (!er_ring_format(&d->ring, d->mem, slot_count, log_path)) {
        errno = ENAMETOOLONG;
        goto fail;
    }
    /* Opening /proc/PID/fd/N gives the tree's processes the same memory, without a descriptor
     * of ours in any of them. */
    snprintf(d->path, sizeof d->path, "/proc/%d/fd/%d", (int)getpid(), d->memfd);
    /* The wake-up pipe is reached the same way; without it the consumer only polls. */
    char wake_path[64];
    if (pipe2(d->wake, O_CLOEXEC | O_NONBLOCK) == 0) {
        snprintf(wake_path, sizeof wake_path, "/proc/%d/fd/%d", (int)getpid(), d->wake[1]);
        er_ring_set_wake_path(&d->ring, wake_path);
    }
    return true;
fail:;
    int e = errno;
    er_ringdrain_close(d);
    errno = e;
    return false;
}

static void flush(struct er_ringdrain *d)
{
    size_t off = 0;
    while (off < d->len) {
        ssize_t n = write(d->log_fd, d->buf + off, d->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    d->len = 0;
}

static void gather(const char *record, size_t len, void *ctx)
{
    struct er_ringdrain *d = ctx;
    if (d->len + len > BATCH)
        flush(d);
    memcpy(d->buf + d->len, record, len);
    d->len += len;
}

size_t er_ringdrain_poll(struct er_ringdrain *d)
{
    if (d->buf == NULL)
        return 0;
    size_t n = 0;
    /* Bounded by one lap, so a tree that writes without pause cannot keep the command here. */
    while (n < d->ring.slot_count && er_ring_take(&d->ring, gather, d))
        n++;
    flush(d);
    d->taken += n;
    return n;
}

int er_ringdrain_wake_fd(const struct er_ringdrain *d)
{
    return d->wake[0];
}

enum er_ringdrain_sleep er_ringdrain_sleep(struct er_ringdrain *d)
{
    if (d->buf == NULL || d->wake[0] < 0)
        return ER_RINGDRAIN_NO_WAKE_UP;
    er_ring_consumer_sleeps(&d->ring, true);
    if (er_ring_pending(&d->ring) >= d->ring.slot_count / 8) {
        er_ring_consumer_sleeps(&d->ring, false);
        return ER_RINGDRAIN_BURST;
    }
    return ER_RINGDRAIN_ASLEEP;
}

void er_ringdrain_awake(struct er_ringdrain *d)
{
    if (d->buf == NULL)
        return;
    er_ring_consumer_sleeps(&d->ring, false);
    char bytes[256];
    while (d->wake[0] >= 0 && read(d->wake[0], bytes, sizeof bytes) > 0)
        continue;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { 0, (long)ms * 1000000 };
    nanosleep(&ts, NULL);
}

void er_ringdrain_finish(struct er_ringdrain *d, int settle_ms)
{
    if (d->buf == NULL)
        return;
    er_ring_close(&d->ring);
    for (int waited = 0;; waited++) {
        er_ringdrain_poll(d);
        if (er_ring_pending(&d->ring) == 0)
            return;
        if (waited >= settle_ms)
            break;
        sleep_ms(1);
    }
    /* What is still claimed belongs to processes stopped or killed while copying. */
    while (er_ring_pending(&d->ring) > 0 && d->abandoned < d->ring.slot_count) {
        if (!er_ring_take(&d->ring, gather, d)) {
            er_ring_skip_abandoned(&d->ring);
            d->abandoned++;
        }
    }
    flush(d);
}

void er_ringdrain_close(struct er_ringdrain *d)
{
    if (d->mem != MAP_FAILED && d->mem != NULL)
        munmap(d->mem, d->size);
    if (d->memfd >= 0)
        close(d->memfd);
    if (d->log_fd >= 0)
        close(d->log_fd);
    for (int i = 0; i < 2; i++)
        if (d->wake[i] >= 0)
            close(d->wake[i]);
    free(d->buf);
    d->mem = MAP_FAILED;
    d->memfd = d->log_fd = d->wake[0] = d->wake[1] = -1;
    d->buf = NULL;
}
