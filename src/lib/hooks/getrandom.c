/* getrandom(2), through glibc's wrapper or through syscall(SYS_getrandom, ...). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdtrack.h"
#include "logrec.h"
#include "pool.h"
#include "rawsys.h"
#include "real.h"
#include "shim.h"
#include "sink.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

struct getrandom_call {
    void *buf;
    size_t len;
    unsigned int flags;
    bool via_syscall;
};

/* The next getrandom, or a raw system call before the constructor has run, where there is no next
 * one, or when the command's filter would trap the C library's call. */
static ssize_t real_getrandom(void *buf, size_t len, unsigned int flags)
{
    er_getrandom_fn next = er_filtered ? NULL : er_real_getrandom();
    if (next != NULL)
        return next(buf, len, flags);
    long r = er_raw_getrandom(buf, len, flags);
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

static long long getrandom_call(void *ctx, bool weak, int *err)
{
    struct getrandom_call *c = ctx;
    unsigned int flags = c->flags;
    /* Weak bytes never wait: ask for them the way the kernel hands them out before init. */
    if (weak)
        flags = ER_GRND_INSECURE;
    int before = errno;
    ssize_t r = real_getrandom(c->buf, c->len, flags);
    if (r < 0 && weak && errno == EINVAL) { /* kernels before 5.6 have no GRND_INSECURE */
        errno = before; /* the program's errno, should the second call succeed */
        r = real_getrandom(c->buf, c->len, ER_GRND_NONBLOCK);
    }
    *err = r < 0 ? errno : 0;
    return r;
}

static long long getrandom_deterministic(void *ctx, long long result)
{
    struct getrandom_call *c = ctx;
    er_weak_take(c->buf, (size_t)result);
    return result;
}

static const struct er_ops getrandom_ops = {
    .call = getrandom_call,
    .make_deterministic = getrandom_deterministic,
    .fail = er_fail_minus_one,
};

ER_SLOW_PATH static ssize_t handle_getrandom(const char *api, const void *caller, void *buf, size_t len,
                                unsigned int flags)
{
    struct er_request q;
    er_request_init(&q, api, caller);
    q.has_bytes = true;
    q.bytes = len;
    er_format_grnd_flags(flags, q.flags, sizeof q.flags);
    q.kind = er_classify_getrandom_on(er_kernel_of(&er_settings), flags);
    struct getrandom_call c = { buf, len, flags, false };
    return (ssize_t)er_run(&q, &getrandom_ops, &c);
}

ER_EXPORT ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
    if (er_fast())
        return real_getrandom(buf, len, flags);
    return handle_getrandom("getrandom", __builtin_return_address(0), buf, len, flags);
}

/* aarch64 has no dup2 system call (its glibc makes dup2 a dup3). */
#ifdef SYS_dup2
#define IS_DUP2(number) ((number) == SYS_dup2)
#else
#define IS_DUP2(number) false
#endif

static bool changes_descriptors(long number)
{
    return number == SYS_close || IS_DUP2(number) || number == SYS_dup3 ||
           number == SYS_close_range;
}

static void forget_descriptors(long number, long a1, long a2)
{
    switch (number) {
    case SYS_close:
        er_fd_forget((int)a1);
        break;
#ifdef SYS_dup2
    case SYS_dup2:
#endif
    case SYS_dup3:
        er_fd_forget((int)a2);
        break;
    case SYS_close_range:
        er_fd_forget_range((unsigned int)a1, (unsigned int)a2);
        break;
    default:
        break;
    }
}

static long forward_syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6)
{
    er_syscall_fn next = er_real_syscall();
    if (next != NULL)
        return next(number, a1, a2, a3, a4, a5, a6);
    long r = er_raw_syscall6(number, a1, a2, a3, a4, a5, a6);
    if (r < 0 && r > -4096) {
        errno = (int)-r;
        r = -1;
    }
    return r;
}

/* A close or dup through syscall() is treated as the close hooks treat theirs: it waits for a log
 * record being written, and the descriptor table forgets the numbers. */
ER_SLOW_PATH static long descriptor_syscall(long number, long a1, long a2, long a3, long a4,
                                            long a5, long a6)
{
    /* The numbers it frees, for a wait's timer among them (er_pool_closing). */
    unsigned int first = (unsigned int)(number == SYS_close || number == SYS_close_range ? a1 : a2);
    unsigned int last = (unsigned int)(number == SYS_close_range ? a2 : (long)first);
    bool frees = number == SYS_close ||
                 (number == SYS_close_range ? !((unsigned long)a3 & CLOSE_RANGE_CLOEXEC) : a1 != a2);
    if (frees)
        er_pool_closing(first, last);
    er_sink_close_begin();
    long r = forward_syscall(number, a1, a2, a3, a4, a5, a6);
    int saved = errno;
    er_sink_close_end();
    if (frees)
        er_pool_closed(first, last, number == SYS_close || r >= 0);
    if (r >= 0)
        forget_descriptors(number, a1, a2);
    errno = saved;
    return r;
}

/* syscall(2) is variadic; like glibc's own, this takes six long arguments and forwards every
 * number it does not handle unchanged (a shim that refused unknown numbers broke programs). */
ER_EXPORT long syscall(long number, ...)
{
    va_list ap;
    va_start(ap, number);
    long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
    long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
    va_end(ap);

    if (number == SYS_getrandom && !er_fast())
        return handle_getrandom("syscall", __builtin_return_address(0), (void *)a1, (size_t)a2,
                                (unsigned int)a3);
    if (number == SYS_getrandom && er_filtered)
        return real_getrandom((void *)a1, (size_t)a2, (unsigned int)a3);
    if (changes_descriptors(number) && !er_fast())
        return descriptor_syscall(number, a1, a2, a3, a4, a5, a6);
    return forward_syscall(number, a1, a2, a3, a4, a5, a6);
}
