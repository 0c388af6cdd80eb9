/* The glibc 2.36 arc4random family. Each calls glibc's hidden __arc4random_buf, which reads the
 * kernel through an internal getrandom, so all three are hooked. Before init glibc's own calls
 * block (flags 0, looping on EINTR) and abort on any other failure. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>

#include "rawsys.h"
#include "real.h"
#include "shim.h"
#include "weak.h"

/* glibc's fallback where getrandom does not exist (ENOSYS, from an old kernel or a sandbox's
 * filter): /dev/urandom, opened and closed around the read. */
static void urandom_fill(void *buf, size_t len)
{
    long fd;
    do
        fd = er_raw_syscall6(SYS_openat, AT_FDCWD, (long)"/dev/urandom", O_RDONLY | O_CLOEXEC | O_NOCTTY, 0,
                             0, 0);
    while (fd == -EINTR);
    if (fd < 0)
        er_arc4random_fatal();
    for (size_t done = 0; done < len;) {
        long r = er_raw_syscall3(SYS_read, fd, (long)((char *)buf + done), (long)(len - done));
        if (r == -EINTR)
            continue;
        if (r <= 0)
            er_arc4random_fatal();
        done += (size_t)r;
    }
    er_raw_syscall3(SYS_close, fd, 0, 0);
}

/* Bytes from the kernel, as glibc's arc4random gets them, where there is no next function: a
 * signal retries, a missing system call falls back to /dev/urandom, any other failure is fatal. */
static void raw_fill(void *buf, size_t len, unsigned int flags)
{
    for (size_t done = 0; done < len;) {
        long r = er_raw_getrandom((char *)buf + done, len - done, flags);
        if (r == -EINVAL && flags != 0) { /* kernels before 5.6 have no GRND_INSECURE */
            flags = 0;
            continue;
        }
        if (r < 0)
            errno = (int)-r; /* as glibc's own system call leaves it */
        if (r == -EINTR)
            continue;
        if (r == -ENOSYS) {
            urandom_fill((char *)buf + done, len - done);
            return;
        }
        if (r <= 0)
            er_arc4random_fatal();
        done += (size_t)r;
    }
}

enum arc4_api { ARC4_WORD, ARC4_BUF, ARC4_UNIFORM };

struct arc4_call {
    enum arc4_api api;
    void *buf;
    size_t len;
    uint32_t upper;
};

static uint32_t weak_word_from_kernel(void *ctx)
{
    (void)ctx;
    uint32_t v;
    raw_fill(&v, sizeof v, ER_GRND_INSECURE);
    return v;
}

/* Under the command's filter glibc's arc4random would be trapped again: the word comes from a
 * marked system call that waits like glibc's own. */
static uint32_t word_from_kernel(void *ctx)
{
    (void)ctx;
    uint32_t v;
    raw_fill(&v, sizeof v, 0);
    return v;
}

static uint32_t weak_word_deterministic(void *ctx)
{
    (void)ctx;
    uint32_t v;
    er_weak_take(&v, sizeof v);
    return v;
}

static long long arc4_call(void *ctx, bool weak, int *err)
{
    struct arc4_call *c = ctx;
    *err = 0;
    /* Weak bytes come straight from the kernel without waiting: glibc's arc4random would wait
     * on a machine that really is in early boot. */
    if (weak) {
        switch (c->api) {
        case ARC4_WORD:
            return weak_word_from_kernel(NULL);
        case ARC4_BUF:
            raw_fill(c->buf, c->len, ER_GRND_INSECURE);
            return 0;
        case ARC4_UNIFORM:
            return er_uniform(c->upper, weak_word_from_kernel, NULL);
        }
    }
    switch (c->api) {
    case ARC4_WORD: {
        er_arc4random_fn next = er_filtered ? NULL : er_real_arc4random();
        if (next)
            return next();
        return word_from_kernel(NULL);
    }
    case ARC4_BUF: {
        er_arc4random_buf_fn next = er_filtered ? NULL : er_real_arc4random_buf();
        if (next)
            next(c->buf, c->len);
        else
            raw_fill(c->buf, c->len, 0);
        return 0;
    }
    case ARC4_UNIFORM: {
        er_arc4random_uniform_fn next = er_filtered ? NULL : er_real_arc4random_uniform();
        if (next)
            return next(c->upper);
        return er_uniform(c->upper, word_from_kernel, NULL);
    }
    }
    return 0;
}

static long long arc4_deterministic(void *ctx, long long result)
{
    struct arc4_call *c = ctx;
    switch (c->api) {
    case ARC4_WORD:
        return weak_word_deterministic(NULL);
    case ARC4_BUF:
        er_weak_take(c->buf, c->len);
        return result;
    case ARC4_UNIFORM:
        return er_uniform(c->upper, weak_word_deterministic, NULL);
    }
    return result;
}

static const struct er_ops arc4_ops = {
    .call = arc4_call,
    .make_deterministic = arc4_deterministic,
    .fail = er_fail_minus_one, /* never used: arc4random cannot fail, it aborts */
};

ER_SLOW_PATH static long long run_arc4(const char *api, const void *caller, struct arc4_call *c, size_t bytes)
{
    struct er_request q;
    er_request_init(&q, api, caller);
    q.has_bytes = true;
    q.bytes = bytes;
    q.kind = er_classify_arc4random_on(er_kernel_of(&er_settings));
    q.wait_through_eintr = true;
    return er_run(&q, &arc4_ops, c);
}

#ifndef HAVE_ARC4RANDOM
/* Before glibc 2.36 the C library declares none of them; the library still defines them, for a
 * program that finds them in another library loaded after it (libbsd). */
uint32_t arc4random(void);
void arc4random_buf(void *buf, size_t len);
uint32_t arc4random_uniform(uint32_t upper);
#endif

ER_EXPORT uint32_t arc4random(void)
{
    if (er_fast() && !er_filtered) {
        er_arc4random_fn next = er_real_arc4random();
        if (next)
            return next();
    }
    struct arc4_call c = { ARC4_WORD, NULL, 0, 0 };
    return (uint32_t)run_arc4("arc4random", __builtin_return_address(0), &c, sizeof(uint32_t));
}

ER_EXPORT void arc4random_buf(void *buf, size_t len)
{
    if (er_fast() && !er_filtered) {
        er_arc4random_buf_fn next = er_real_arc4random_buf();
        if (next) {
            next(buf, len);
            return;
        }
    }
    struct arc4_call c = { ARC4_BUF, buf, len, 0 };
    run_arc4("arc4random_buf", __builtin_return_address(0), &c, len);
}

ER_EXPORT uint32_t arc4random_uniform(uint32_t upper)
{
    if (er_fast() && !er_filtered) {
        er_arc4random_uniform_fn next = er_real_arc4random_uniform();
        if (next)
            return next(upper);
    }
    struct arc4_call c = { ARC4_UNIFORM, NULL, 0, upper };
    return (uint32_t)run_arc4("arc4random_uniform", __builtin_return_address(0), &c,
                              sizeof(uint32_t));
}
