/* Where descriptor numbers change meaning: close and duplication. The device table forgets the
 * number, and the next read on it looks at the descriptor again. Before init, a close waits for
 * a log record being written, so that the number it frees cannot receive that record. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdtrack.h"
#include "pool.h"
#include "rawsys.h"
#include "real.h"
#include "shim.h"
#include "sink.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

enum close_op { OP_CLOSE, OP_CLOSE_RANGE, OP_CLOSEFROM, OP_DUP2, OP_DUP3 };

struct close_call {
    enum close_op op;
    int fd, fd2, flags;
    unsigned int first, last;
};

static int raw_result(long r)
{
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return (int)r;
}

static int real_close_call(const struct close_call *c)
{
    switch (c->op) {
    case OP_CLOSE:
        return er_real_close()(c->fd);
    case OP_CLOSE_RANGE: {
        er_close_range_fn next = er_real_close_range();
        return next ? next(c->first, c->last, c->flags)
                    : raw_result(er_raw_syscall6(SYS_close_range, c->first, c->last, c->flags, 0, 0, 0));
    }
    case OP_CLOSEFROM: {
        er_closefrom_fn next = er_real_closefrom();
        if (next)
            next(c->fd);
        else
            er_raw_syscall6(SYS_close_range, c->fd, ~0U, 0, 0, 0, 0);
        return 0;
    }
    case OP_DUP2:
        return er_real_dup2()(c->fd, c->fd2);
    case OP_DUP3: {
        er_dup3_fn next = er_real_dup3();
        return next ? next(c->fd, c->fd2, c->flags)
                    : raw_result(er_raw_syscall6(SYS_dup3, c->fd, c->fd2, c->flags, 0, 0, 0));
    }
    }
    errno = ENOSYS;
    return -1;
}

/* The numbers a call frees, first to last; false when it frees none. */
static bool freed_numbers(const struct close_call *c, unsigned int *first, unsigned int *last)
{
    switch (c->op) {
    case OP_CLOSE:
        *first = *last = (unsigned int)c->fd;
        return c->fd >= 0;
    case OP_CLOSE_RANGE:
        *first = c->first;
        *last = c->last;
        return !((unsigned int)c->flags & CLOSE_RANGE_CLOEXEC);
    case OP_CLOSEFROM:
        *first = (unsigned int)c->fd;
        *last = ~0U;
        return c->fd >= 0;
    case OP_DUP2:
    case OP_DUP3:
        *first = *last = (unsigned int)c->fd2;
        return c->fd2 >= 0 && c->fd2 != c->fd;
    }
    return false;
}

struct closing {
    bool frees;
    unsigned int first, last;
};

/* A close cancelled inside counts as done: a wait's timer among its numbers is given up. */
static void end_close(void *p)
{
    const struct closing *k = p;
    er_sink_close_end();
    if (k->frees)
        er_pool_closed(k->first, k->last, true);
}

/* close is a cancellation point: a thread cancelled inside it must still end its close, or every
 * later record, and a waiting thread whose timer it was closing, would wait for it forever. */
static int exclusive_close_call(const struct close_call *c)
{
    volatile int result = -1;
    struct closing k;
    k.frees = freed_numbers(c, &k.first, &k.last);
    if (k.frees)
        er_pool_closing(k.first, k.last);
    er_sink_close_begin();
    pthread_cleanup_push(end_close, &k);
    result = real_close_call(c);
    /* close frees its number even when it fails with EINTR; the others free none when they fail */
    k.frees = k.frees && (c->op == OP_CLOSE || c->op == OP_CLOSEFROM || result >= 0);
    if (!k.frees && freed_numbers(c, &k.first, &k.last))
        er_pool_closed(k.first, k.last, false);
    pthread_cleanup_pop(1);
    return result;
}

ER_SLOW_PATH static int slow_close_call(const struct close_call *c)
{
    int r = exclusive_close_call(c);
    int saved = errno;
    switch (c->op) {
    case OP_CLOSE: /* forgotten whatever close returned: after EINTR the number is free too */
        er_fd_forget(c->fd);
        break;
    case OP_CLOSE_RANGE:
        if (r == 0 && !((unsigned int)c->flags & CLOSE_RANGE_CLOEXEC))
            er_fd_forget_range(c->first, c->last);
        break;
    case OP_CLOSEFROM:
        if (c->fd >= 0)
            er_fd_forget_range((unsigned int)c->fd, ~0U);
        break;
    case OP_DUP2:
    case OP_DUP3:
        if (r >= 0)
            er_fd_forget(c->fd2);
        break;
    }
    errno = saved;
    return r;
}

ER_EXPORT int close(int fd)
{
    if (er_fast())
        return er_real_close()(fd);
    struct close_call c = { .op = OP_CLOSE, .fd = fd };
    return slow_close_call(&c);
}

/* glibc declares them from 2.34 on; the kernel's calls are older, and reachable through syscall. */
#ifndef HAVE_CLOSE_RANGE
int close_range(unsigned int first, unsigned int last, int flags);
#endif
#ifndef HAVE_CLOSEFROM
void closefrom(int lowfd);
#endif

ER_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
    struct close_call c = { .op = OP_CLOSE_RANGE, .first = first, .last = last, .flags = flags };
    return er_fast() ? real_close_call(&c) : slow_close_call(&c);
}

ER_EXPORT void closefrom(int lowfd)
{
    struct close_call c = { .op = OP_CLOSEFROM, .fd = lowfd };
    if (er_fast())
        real_close_call(&c);
    else
        slow_close_call(&c);
}

ER_EXPORT int dup2(int fd, int fd2)
{
    if (er_fast())
        return er_real_dup2()(fd, fd2);
    struct close_call c = { .op = OP_DUP2, .fd = fd, .fd2 = fd2 };
    return slow_close_call(&c);
}

ER_EXPORT int dup3(int fd, int fd2, int flags)
{
    struct close_call c = { .op = OP_DUP3, .fd = fd, .fd2 = fd2, .flags = flags };
    return er_fast() ? real_close_call(&c) : slow_close_call(&c);
}

/* dup and fcntl(F_DUPFD) take the lowest free number, which holds nothing of ours. */
static int forget_new(int result)
{
    if (result >= 0 && !er_fast())
        er_fd_forget(result);
    return result;
}

ER_EXPORT int dup(int fd)
{
    er_dup_fn next = er_real_dup();
    return forget_new(next ? next(fd) : raw_result(er_raw_syscall6(SYS_dup, fd, 0, 0, 0, 0, 0)));
}

/* fcntl's third argument is an int or a pointer; like glibc, pass it on as a pointer-sized
 * value. Only F_DUPFD and F_DUPFD_CLOEXEC create a descriptor. */
static int after_fcntl(int result, int cmd)
{
    if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
        return forget_new(result);
    return result;
}

ER_EXPORT int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return after_fcntl(er_real_fcntl()(fd, cmd, arg), cmd);
}

ER_EXPORT int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return after_fcntl(er_real_fcntl64()(fd, cmd, arg), cmd);
}
