/* poll(2) readiness of /dev/random: before init the kernel reports it writable but not readable,
 * and readable from the init moment on; before 5.6, readable while the blocking pool's estimate
 * holds 64 bits (random_poll). Other descriptors in the same call are untouched. */
#include <errno.h>
#include <poll.h>

#include "duration.h"
#include "fdtrack.h"
#include "pool.h"
#include "real.h"
#include "shim.h"

/* Calls with more /dev/random entries than this pass through unchanged; real programs poll one. */
#define MAX_MASKED 16

static int ms_until(int64_t deadline_ns)
{
    if (deadline_ns == ER_DURATION_NEVER)
        return -1;
    int64_t left = deadline_ns - er_boottime_ns();
    if (left <= 0)
        return 0;
    /* rounded up, so that the poll does not return just before the moment */
    int64_t ms = (left + 999999) / 1000000;
    return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

static int min_timeout(int a, int b)
{
    if (a < 0)
        return b;
    if (b < 0)
        return a;
    return a < b ? a : b;
}

ER_SLOW_PATH static int handle_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    er_poll_fn real_poll = er_real_poll();
    if (!er_loaded() || er_settings.policy == ER_POLICY_PASSTHROUGH)
        return real_poll(fds, nfds, timeout);

    nfds_t masked[MAX_MASKED];
    size_t count = 0;
    for (nfds_t i = 0; i < nfds; i++) {
        if (fds[i].fd < 0 || !(fds[i].events & POLLIN) || er_fd_kind(fds[i].fd) != ER_FD_RANDOM)
            continue;
        if (count == MAX_MASKED)
            return real_poll(fds, nfds, timeout);
        masked[count++] = i;
    }
    if (count == 0 || er_pool_random_readable())
        return real_poll(fds, nfds, timeout);

    int64_t deadline = timeout < 0 ? ER_DURATION_NEVER : er_boottime_ns() + (int64_t)timeout * 1000000;
    for (;;) {
        /* Poll for everything but the readability of /dev/random, until the pool may change. */
        for (size_t k = 0; k < count; k++)
            fds[masked[k]].events &= (short)~POLLIN;
        int slice = min_timeout(ms_until(deadline), ms_until(er_pool_random_next_change_ns()));
        int r = real_poll(fds, nfds, slice);
        int saved = errno;
        for (size_t k = 0; k < count; k++)
            fds[masked[k]].events |= POLLIN;
        errno = saved;
        if (r != 0)
            return r;
        if (er_pool_random_readable())
            return real_poll(fds, nfds, ms_until(deadline));
        if (deadline != ER_DURATION_NEVER && er_boottime_ns() >= deadline)
            return 0;
    }
}

ER_EXPORT int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    if (er_fast())
        return er_real_poll()(fds, nfds, timeout);
    return handle_poll(fds, nfds, timeout);
}
