/* getentropy(3): glibc makes the system call inline, so hooking getrandom does not catch it. */
#include <errno.h>
#include <unistd.h>

#include "rawsys.h"
#include "real.h"
#include "shim.h"

/* glibc refuses larger requests with EIO, before looking at the pool. */
#define GETENTROPY_MAX 256

struct getentropy_call {
    void *buf;
    size_t len;
};

/* glibc's getentropy, or its loop over a raw getrandom before the next one is known. */
static int real_getentropy(void *buf, size_t len, unsigned int raw_flags)
{
    er_getentropy_fn next = er_real_getentropy();
    if (next != NULL && raw_flags == 0 && !er_filtered)
        return next(buf, len);
    if (len > GETENTROPY_MAX) {
        errno = EIO;
        return -1;
    }
    for (size_t done = 0; done < len;) {
        long r = er_raw_getrandom((char *)buf + done, len - done, raw_flags);
        if (r == -EINTR)
            continue;
        if (r < 0) {
            errno = (int)-r;
            return -1;
        }
        done += (size_t)r;
    }
    return 0;
}

static long long getentropy_call(void *ctx, bool weak, int *err)
{
    struct getentropy_call *c = ctx;
    /* Weak bytes never wait, even on a machine that really is in early boot. */
    int before = errno;
    int r = real_getentropy(c->buf, c->len, weak ? ER_GRND_INSECURE : 0);
    if (r < 0 && weak && errno == EINVAL) { /* kernels before 5.6 have no GRND_INSECURE */
        errno = before; /* the program's errno, should the second call succeed */
        r = real_getentropy(c->buf, c->len, ER_GRND_NONBLOCK);
    }
    *err = r < 0 ? errno : 0;
    return r;
}

static long long getentropy_deterministic(void *ctx, long long result)
{
    struct getentropy_call *c = ctx;
    er_weak_take(c->buf, c->len);
    return result;
}

static const struct er_ops getentropy_ops = {
    .call = getentropy_call,
    .make_deterministic = getentropy_deterministic,
    .fail = er_fail_minus_one,
};

ER_SLOW_PATH static int handle_getentropy(void *buf, size_t len, const void *caller)
{
    struct er_request q;
    er_request_init(&q, "getentropy", caller);
    q.has_bytes = true;
    q.bytes = len;
    q.kind = er_classify_getentropy_on(er_kernel_of(&er_settings));
    q.forward = len > GETENTROPY_MAX;
    q.wait_through_eintr = true;
    struct getentropy_call c = { buf, len };
    return (int)er_run(&q, &getentropy_ops, &c);
}

ER_EXPORT int getentropy(void *buf, size_t len)
{
    if (er_fast())
        return real_getentropy(buf, len, 0);
    return handle_getentropy(buf, len, __builtin_return_address(0));
}
