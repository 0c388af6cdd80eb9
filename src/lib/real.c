#include "real.h"

#include <errno.h>

#include "nextsym.h"
#include "rawsys.h"

/* glibc's exported aliases of its own functions. The stand-ins below call them rather than take
 * their addresses: an address is a symbol lookup at load in every program, a call only when made. */
extern ssize_t __read(int, void *, size_t);
extern int __open(const char *, int, ...);
extern int __open64(const char *, int, ...);
extern int __close(int);
extern int __dup2(int, int);
extern int __fcntl(int, int, ...);
extern ssize_t __pread64(int, void *, size_t, off64_t);
extern int __poll(struct pollfd *, nfds_t, int);
extern FILE *_IO_fopen(const char *, const char *);
extern int _IO_fclose(FILE *);
extern size_t _IO_fread(void *, size_t, size_t, FILE *);
extern int _IO_getc(FILE *);

static int er_fallback_open(const char *path, int flags, ...)
{
    TAKE_MODE(flags, flags);
    return __open(path, flags, mode);
}

static int er_fallback_open64(const char *path, int flags, ...)
{
    TAKE_MODE(flags, flags);
    return __open64(path, flags, mode);
}

static FILE *er_fallback_fopen(const char *path, const char *mode)
{
    return _IO_fopen(path, mode);
}

static int er_fallback_fclose(FILE *stream)
{
    return _IO_fclose(stream);
}

static ssize_t er_fallback_read(int fd, void *buf, size_t len)
{
    return __read(fd, buf, len);
}

static ssize_t er_fallback_pread64(int fd, void *buf, size_t len, off64_t offset)
{
    return __pread64(fd, buf, len, offset);
}

static size_t er_fallback_fread(void *ptr, size_t size, size_t n, FILE *stream)
{
    return _IO_fread(ptr, size, n, stream);
}

static int er_fallback_getc(FILE *stream)
{
    return _IO_getc(stream);
}

static int er_fallback_close(int fd)
{
    return __close(fd);
}

static int er_fallback_dup2(int fd, int to)
{
    return __dup2(fd, to);
}

/* As glibc's own fcntl does: whatever the command, its argument is taken as a pointer. */
static int er_fallback_fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return __fcntl(fd, cmd, arg);
}

static int er_fallback_poll(struct pollfd *fds, nfds_t n, int timeout)
{
    return __poll(fds, n, timeout);
}

/* Stand-ins where glibc exports no alias; the fortify checks are skipped only in that moment. */
static ssize_t er_fallback_read_chk(int fd, void *buf, size_t len, size_t buflen)
{
    (void)buflen;
    return __read(fd, buf, len);
}

static ssize_t er_fallback_pread_chk(int fd, void *buf, size_t len, off64_t offset, size_t buflen)
{
    (void)buflen;
    return __pread64(fd, buf, len, offset);
}

static size_t er_fallback_fread_chk(void *ptr, size_t ptrlen, size_t size, size_t n, FILE *stream)
{
    (void)ptrlen;
    return _IO_fread(ptr, size, n, stream);
}

static ssize_t er_fallback_readv(int fd, const struct iovec *iov, int iovcnt)
{
    long r = er_raw_syscall6(SYS_readv, fd, (long)iov, iovcnt, 0, 0, 0);
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

/* Hooks never call dlsym: glibc < 2.34's dlsym callocs its per-thread error buffer when libpthread
 * is loaded, every dlsym takes the loader's lock, and a hook can be called by an allocator in the
 * middle of its own work (jemalloc's first malloc, run from libstdc++'s constructor before ours,
 * makes syscall(SYS_open) under its init lock), which would deadlock or recurse. nextsym.c finds
 * the same function with neither, on first use, so that a program pays only for what it calls.
 * Where there is none (or the next one is an IFUNC only the loader may resolve) a hook gets its
 * fallback from then on. */
static void *resolve(void **slot, int *absent, const char *name, void *fallback)
{
    void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (fn != NULL)
        return fn;
    if (__atomic_load_n(absent, __ATOMIC_RELAXED))
        return fallback;
    int found = er_next_symbol(name, &fn);
    if (found > 0) {
        __atomic_store_n(slot, fn, __ATOMIC_RELEASE);
        return fn;
    }
    if (found == 0)
        __atomic_store_n(absent, 1, __ATOMIC_RELAXED);
    return fallback;
}

#define ER_DEFINE_REAL(name, ret, params, fallback)                                          \
    void *er_slot_##name;                                                                    \
    static int er_absent_##name;                                                             \
    er_##name##_fn er_resolve_##name(void)                                                   \
    {                                                                                        \
        return (er_##name##_fn)resolve(&er_slot_##name, &er_absent_##name, #name,            \
                                       (void *)(fallback));                                  \
    }
ER_REAL_FUNCTIONS(ER_DEFINE_REAL)
