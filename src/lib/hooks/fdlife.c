/* Where descriptor numbers change meaning: close and duplication. The device table forgets the
 * number, and the next read on it looks at the descriptor again. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdtrack.h"
#include "rawsys.h"
#include "real.h"
#include "shim.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static int forget_after(int result, int fd)
{
    if (result >= 0 && !er_fast())
        er_fd_forget(fd);
    return result;
}

static int raw_result(long r)
{
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return (int)r;
}

ER_EXPORT int close(int fd)
{
    int r = er_real_close()(fd);
    /* Forgotten whatever close returned: after EINTR the number is released on Linux too. */
    if (!er_fast())
        er_fd_forget(fd);
    return r;
}

ER_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
    er_close_range_fn next = er_real_close_range();
    int r = next ? next(first, last, flags)
                 : raw_result(er_raw_syscall6(SYS_close_range, first, last, flags, 0, 0, 0));
    if (r == 0 && !((unsigned int)flags & CLOSE_RANGE_CLOEXEC) && !er_fast())
        er_fd_forget_range(first, last);
    return r;
}

ER_EXPORT void closefrom(int lowfd)
{
    er_closefrom_fn next = er_real_closefrom();
    if (next)
        next(lowfd);
    else
        er_raw_syscall6(SYS_close_range, lowfd, ~0U, 0, 0, 0, 0);
    if (lowfd >= 0 && !er_fast())
        er_fd_forget_range((unsigned int)lowfd, ~0U);
}

ER_EXPORT int dup(int fd)
{
    er_dup_fn next = er_real_dup();
    int r = next ? next(fd) : raw_result(er_raw_syscall6(SYS_dup, fd, 0, 0, 0, 0, 0));
    return forget_after(r, r);
}

ER_EXPORT int dup2(int fd, int fd2)
{
    return forget_after(er_real_dup2()(fd, fd2), fd2);
}

ER_EXPORT int dup3(int fd, int fd2, int flags)
{
    er_dup3_fn next = er_real_dup3();
    int r = next ? next(fd, fd2, flags)
                 : raw_result(er_raw_syscall6(SYS_dup3, fd, fd2, flags, 0, 0, 0));
    return forget_after(r, fd2);
}

/* fcntl's third argument is an int or a pointer; like glibc, pass it on as a pointer-sized
 * value. Only F_DUPFD and F_DUPFD_CLOEXEC create a descriptor. */
static int after_fcntl(int result, int cmd)
{
    if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
        return forget_after(result, result);
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
