/* libhardalloc: a preload that interposes the allocator (malloc, calloc, realloc, free and the
 * aligned variants, forwarding to glibc's __libc_* functions) and asks for entropy with
 * getrandom(GRND_NONBLOCK) inside every malloc and calloc, as hardened allocators seed their
 * cookies. dlsym itself may allocate: when the entropy hook resolves its next getrandom with
 * dlsym, this allocator then re-enters it. Counts what happened and reports it at exit. */
#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static __thread int depth __attribute__((tls_model("initial-exec")));
static unsigned long calls, asked, got_bytes, got_eagain, got_other, reentered;
static int max_depth;

static void seed(void)
{
    int saved = errno;
    depth++;
    if (depth > max_depth)
        max_depth = depth;
    if (depth > 1)
        __atomic_add_fetch(&reentered, 1, __ATOMIC_RELAXED);
    unsigned char b[8];
    __atomic_add_fetch(&asked, 1, __ATOMIC_RELAXED);
    ssize_t r = getrandom(b, sizeof b, GRND_NONBLOCK);
    if (r == (ssize_t)sizeof b)
        __atomic_add_fetch(&got_bytes, 1, __ATOMIC_RELAXED);
    else if (r < 0 && errno == EAGAIN)
        __atomic_add_fetch(&got_eagain, 1, __ATOMIC_RELAXED);
    else
        __atomic_add_fetch(&got_other, 1, __ATOMIC_RELAXED);
    depth--;
    errno = saved;
}

void *malloc(size_t n)
{
    __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
    seed();
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
    __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
    seed();
    return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n) { return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t a, size_t n) { return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { return __libc_memalign(a, n); }

int posix_memalign(void **out, size_t a, size_t n)
{
    void *p = __libc_memalign(a, n);
    if (p == NULL)
        return ENOMEM;
    *out = p;
    return 0;
}

__attribute__((destructor)) static void report(void)
{
    char line[256];
    int k = snprintf(line, sizeof line,
                     "hardalloc calls=%lu asked=%lu bytes=%lu eagain=%lu other=%lu reentered=%lu max_depth=%d\n",
                     calls, asked, got_bytes, got_eagain, got_other, reentered, max_depth);
    if (k > 0 && write(STDERR_FILENO, line, (size_t)k) < 0)
        line[0] = '\0';
}
