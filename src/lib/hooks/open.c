/* Opening /dev/random and /dev/urandom: the open family, its _FORTIFY_SOURCE variants, and stdio.
 * Opens pass through unchanged; the descriptor is recognised by its device number afterwards, so
 * /dev/./urandom, symlinks and openat on a directory descriptor all count. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/syscall.h>

#include "devices.h"
#include "fdtrack.h"
#include "rawsys.h"
#include "real.h"
#include "shim.h"

/* openat as a raw system call, for a hook called before the constructor has run. */
static int raw_openat(int dirfd, const char *path, int flags, mode_t mode)
{
    long r = er_raw_syscall6(SYS_openat, dirfd, (long)path, flags, mode, 0, 0);
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return (int)r;
}

static inline int opened(const char *api, int fd, int flags, const void *caller)
{
    if (!er_fast())
        er_device_opened_flags(api, fd, flags, caller);
    return fd;
}

ER_EXPORT int open(const char *path, int flags, ...)
{
    TAKE_MODE(flags, flags);
    return opened("open", er_real_open()(path, flags, mode), flags, __builtin_return_address(0));
}

ER_EXPORT int open64(const char *path, int flags, ...)
{
    TAKE_MODE(flags, flags);
    return opened("open64", er_real_open64()(path, flags, mode), flags,
                  __builtin_return_address(0));
}

ER_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
    TAKE_MODE(flags, flags);
    er_openat_fn next = er_real_openat();
    int fd = next ? next(dirfd, path, flags, mode) : raw_openat(dirfd, path, flags, mode);
    return opened("openat", fd, flags, __builtin_return_address(0));
}

ER_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
    TAKE_MODE(flags, flags);
    er_openat64_fn next = er_real_openat64();
    int fd = next ? next(dirfd, path, flags, mode) : raw_openat(dirfd, path, flags, mode);
    return opened("openat64", fd, flags, __builtin_return_address(0));
}

/* The _FORTIFY_SOURCE variants: glibc's check (O_CREAT without a mode) stays in glibc. Their
 * headers declare them only for fortified builds. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
#define FORTIFIED_OPEN(name)                                                                 \
    ER_EXPORT int name(const char *path, int flags)                                          \
    {                                                                                        \
        er_##name##_fn next = er_real_##name();                                              \
        int fd = next ? next(path, flags) : raw_openat(AT_FDCWD, path, flags, 0);            \
        return opened(#name, fd, flags, __builtin_return_address(0));                        \
    }
#define FORTIFIED_OPENAT(name)                                                               \
    ER_EXPORT int name(int dirfd, const char *path, int flags)                               \
    {                                                                                        \
        er_##name##_fn next = er_real_##name();                                              \
        int fd = next ? next(dirfd, path, flags) : raw_openat(dirfd, path, flags, 0);        \
        return opened(#name, fd, flags, __builtin_return_address(0));                        \
    }
FORTIFIED_OPEN(__open_2)
FORTIFIED_OPEN(__open64_2)
FORTIFIED_OPENAT(__openat_2)
FORTIFIED_OPENAT(__openat64_2)

ER_SLOW_PATH static FILE *stream_opened(const char *api, FILE *stream, const char *mode, const void *caller)
{
    if (stream != NULL && !er_fast()) {
        int saved = errno;
        int fd = fileno(stream);
        errno = saved;
        er_device_opened(api, fd, mode, caller);
    }
    return stream;
}

ER_EXPORT FILE *fopen(const char *path, const char *mode)
{
    er_fopen_fn next = er_real_fopen();
    if (next == NULL) {
        errno = ENOSYS;
        return NULL;
    }
    return stream_opened("fopen", next(path, mode), mode, __builtin_return_address(0));
}

ER_EXPORT FILE *fopen64(const char *path, const char *mode)
{
    er_fopen64_fn next = er_real_fopen64();
    if (next == NULL) {
        errno = ENOSYS;
        return NULL;
    }
    return stream_opened("fopen64", next(path, mode), mode, __builtin_return_address(0));
}

static int stream_fd(FILE *stream)
{
    int saved = errno;
    int fd = stream != NULL ? fileno(stream) : -1;
    errno = saved;
    return fd;
}

/* freopen closes the stream's descriptor and opens the new file inside glibc, unseen: the old
 * number is forgotten (a stream that fails to reopen is closed) and the new descriptor, often the
 * same number, is looked at as fopen's is. */
static FILE *reopen(const char *api, er_freopen_fn next, const char *path, const char *mode, FILE *stream,
                    const void *caller)
{
    if (next == NULL) {
        errno = ENOSYS;
        return NULL;
    }
    int old_fd = stream_fd(stream);
    FILE *reopened = next(path, mode, stream);
    if (old_fd >= 0)
        er_fd_forget(old_fd); /* keeps errno */
    return stream_opened(api, reopened, mode, caller);
}

ER_EXPORT FILE *freopen(const char *path, const char *mode, FILE *stream)
{
    return reopen("freopen", er_real_freopen(), path, mode, stream, __builtin_return_address(0));
}

ER_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *stream)
{
    return reopen("freopen64", er_real_freopen64(), path, mode, stream, __builtin_return_address(0));
}

/* fclose closes the descriptor inside glibc, unseen: its number is forgotten, so that a device
 * opened on it later (by freopen, or behind our back) is looked at again. */
ER_EXPORT int fclose(FILE *stream)
{
    int fd = stream_fd(stream);
    int r = er_real_fclose()(stream);
    if (fd >= 0)
        er_fd_forget(fd);
    return r;
}
