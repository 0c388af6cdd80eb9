/* Reading /dev/random and /dev/urandom through a descriptor: read, its _FORTIFY_SOURCE variant,
 * readv, pread and pread64. Reads of anything else go straight to the real function. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "devices.h"
#include "rawsys.h"
#include "real.h"
#include "shim.h"

/* Declared by glibc's headers only for fortified builds. */
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t len, off_t offset, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t len, off64_t offset, size_t buflen);

enum read_api { READ_PLAIN, READ_CHK, READ_V, READ_P, READ_P64, READ_P_CHK, READ_P64_CHK };

struct read_call {
    enum read_api api;
    int fd;
    void *buf;
    size_t len;
    size_t buflen; /* __read_chk */
    const struct iovec *iov;
    int iovcnt;
    off64_t offset;
};

static ssize_t raw_readv(int fd, const struct iovec *iov, int iovcnt)
{
    long r = er_raw_syscall6(SYS_readv, fd, (long)iov, iovcnt, 0, 0, 0);
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

static ssize_t real_read_call(const struct read_call *c)
{
    switch (c->api) {
    case READ_PLAIN:
        return er_real_read()(c->fd, c->buf, c->len);
    case READ_CHK: {
        er___read_chk_fn next = er_real___read_chk();
        if (next)
            return next(c->fd, c->buf, c->len, c->buflen);
        return er_real_read()(c->fd, c->buf, c->len);
    }
    case READ_V: {
        er_readv_fn next = er_real_readv();
        return next ? next(c->fd, c->iov, c->iovcnt) : raw_readv(c->fd, c->iov, c->iovcnt);
    }
    case READ_P:
        return er_real_pread()(c->fd, c->buf, c->len, (off_t)c->offset);
    case READ_P64:
        return er_real_pread64()(c->fd, c->buf, c->len, c->offset);
    case READ_P_CHK: {
        er___pread_chk_fn next = er_real___pread_chk();
        if (next)
            return next(c->fd, c->buf, c->len, (off_t)c->offset, c->buflen);
        return er_real_pread()(c->fd, c->buf, c->len, (off_t)c->offset);
    }
    case READ_P64_CHK: {
        er___pread64_chk_fn next = er_real___pread64_chk();
        if (next)
            return next(c->fd, c->buf, c->len, c->offset, c->buflen);
        return er_real_pread64()(c->fd, c->buf, c->len, c->offset);
    }
    }
    errno = ENOSYS;
    return -1;
}

static long long read_call(void *ctx, bool weak, int *err)
{
    /* A weak read is the real read: on a running machine the devices answer at once. */
    (void)weak;
    ssize_t r = real_read_call(ctx);
    *err = r < 0 ? errno : 0;
    return r;
}

static long long read_deterministic(void *ctx, long long result)
{
    struct read_call *c = ctx;
    if (result <= 0)
        return result;
    if (c->api != READ_V) {
        er_weak_take(c->buf, (size_t)result);
        return result;
    }
    size_t left = (size_t)result;
    for (int i = 0; i < c->iovcnt && left > 0; i++) {
        size_t n = c->iov[i].iov_len < left ? c->iov[i].iov_len : left;
        er_weak_take(c->iov[i].iov_base, n);
        left -= n;
    }
    return result;
}

static const struct er_ops read_ops = {
    .call = read_call,
    .make_deterministic = read_deterministic,
    .fail = er_fail_minus_one,
};

ER_SLOW_PATH static ssize_t handle_read(const char *api, struct read_call *c, const void *caller)
{
    struct er_request q;
    if (!er_device_read_request(&q, api, c->fd, c->len, caller))
        return real_read_call(c);
    return (ssize_t)er_run(&q, &read_ops, c);
}

/* Builds the request out of line, so that the hooks' fast path has no frame to set up. */
ER_SLOW_PATH static ssize_t slow_read(enum read_api api, const char *name, int fd, void *buf,
                                      size_t len, size_t buflen, off64_t offset,
                                      const void *caller)
{
    struct read_call c = { .api = api, .fd = fd, .buf = buf, .len = len, .buflen = buflen,
                           .offset = offset };
    /* An overflowing _chk request goes to glibc, whose check aborts before anything is read; a
     * negative offset gets the kernel's EINVAL before it looks at the descriptor. */
    bool positioned = api == READ_P || api == READ_P64 || api == READ_P_CHK || api == READ_P64_CHK;
    if (((api == READ_CHK || api == READ_P_CHK || api == READ_P64_CHK) && len > buflen) ||
        (positioned && offset < 0))
        return real_read_call(&c);
    return handle_read(name, &c, caller);
}

ER_EXPORT ssize_t read(int fd, void *buf, size_t len)
{
    if (er_fast())
        return er_real_read()(fd, buf, len);
    return slow_read(READ_PLAIN, "read", fd, buf, len, 0, 0, __builtin_return_address(0));
}

ER_EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
    if (er_fast())
        return er_real___read_chk()(fd, buf, len, buflen);
    return slow_read(READ_CHK, "__read_chk", fd, buf, len, buflen, 0, __builtin_return_address(0));
}

static ssize_t handle_readv(int fd, const struct iovec *iov, int iovcnt, const void *caller);

ER_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
    if (er_fast())
        return er_real_readv()(fd, iov, iovcnt);
    return handle_readv(fd, iov, iovcnt, __builtin_return_address(0));
}

/* The most one read returns, as the kernel counts it (MAX_RW_COUNT). */
#define KERNEL_MAX_READ ((uint64_t)(INT_MAX & ~4095))

/* What a look at the program's vector found. */
enum vector_look {
    VECTOR_TOTAL,   /* readable: *total holds the bytes it asks for */
    VECTOR_REFUSED, /* the kernel refuses it (unreadable, or an element over SSIZE_MAX) */
    VECTOR_UNSEEN,  /* the kernel would not copy it for us (a sandbox, an emulator) */
};

/* The bytes a vector asks for, the vector copied by the kernel (process_vm_readv on this process),
 * which answers an unreadable one with EFAULT where reading it here would crash the program. A
 * vector the kernel refuses goes to it for its error; one it would not copy is never read here,
 * and the request goes on without its size. */
static enum vector_look vector_total(const struct iovec *iov, int iovcnt, uint64_t *total)
{
    struct iovec chunk[32];
    long self = er_raw_syscall3(SYS_getpid, 0, 0, 0);
    *total = 0;
    for (int done = 0; done < iovcnt;) {
        int n = iovcnt - done < 32 ? iovcnt - done : 32;
        struct iovec local = { chunk, (size_t)n * sizeof chunk[0] };
        struct iovec remote = { (void *)(iov + done), local.iov_len };
        long r = er_raw_syscall6(SYS_process_vm_readv, self, (long)&local, 1, (long)&remote, 1, 0);
        if (r == -EFAULT || (r >= 0 && (size_t)r != local.iov_len))
            return VECTOR_REFUSED;
        if (r < 0)
            return VECTOR_UNSEEN;
        for (int i = 0; i < n; i++) {
            if (chunk[i].iov_len > SSIZE_MAX)
                return VECTOR_REFUSED;
            *total += chunk[i].iov_len < KERNEL_MAX_READ ? chunk[i].iov_len : KERNEL_MAX_READ;
            if (*total > KERNEL_MAX_READ)
                *total = KERNEL_MAX_READ;
        }
        done += n;
    }
    return VECTOR_TOTAL;
}

ER_SLOW_PATH static ssize_t handle_readv(int fd, const struct iovec *iov, int iovcnt,
                                         const void *caller)
{
    struct read_call c = { .api = READ_V, .fd = fd, .iov = iov, .iovcnt = iovcnt };
    struct er_request q;
    /* The vector is only looked at once the descriptor is known to be a device, and only within
     * the bounds the kernel accepts; the kernel itself reports a bad vector. */
    uint64_t total = 0;
    if (iovcnt <= 0 || iovcnt > IOV_MAX || !er_device_read_request(&q, "readv", fd, 0, caller))
        return real_read_call(&c);
    enum vector_look look = vector_total(iov, iovcnt, &total);
    if (look == VECTOR_REFUSED)
        return real_read_call(&c);
    q.has_bytes = look == VECTOR_TOTAL;
    q.bytes = total;
    return (ssize_t)er_run(&q, &read_ops, &c);
}

ER_EXPORT ssize_t pread(int fd, void *buf, size_t len, off_t offset)
{
    if (er_fast())
        return er_real_pread()(fd, buf, len, offset);
    return slow_read(READ_P, "pread", fd, buf, len, 0, offset, __builtin_return_address(0));
}

ER_EXPORT ssize_t pread64(int fd, void *buf, size_t len, off64_t offset)
{
    if (er_fast())
        return er_real_pread64()(fd, buf, len, offset);
    return slow_read(READ_P64, "pread64", fd, buf, len, 0, offset, __builtin_return_address(0));
}

ER_EXPORT ssize_t __pread_chk(int fd, void *buf, size_t len, off_t offset, size_t buflen)
{
    if (er_fast())
        return er_real___pread_chk()(fd, buf, len, offset, buflen);
    return slow_read(READ_P_CHK, "__pread_chk", fd, buf, len, buflen, offset,
                     __builtin_return_address(0));
}

ER_EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t len, off64_t offset, size_t buflen)
{
    if (er_fast())
        return er_real___pread64_chk()(fd, buf, len, offset, buflen);
    return slow_read(READ_P64_CHK, "__pread64_chk", fd, buf, len, buflen, offset,
                     __builtin_return_address(0));
}
