#include "real.h"

#include <dlfcn.h>
#include <errno.h>

#include "rawsys.h"

/* glibc's exported aliases of its own functions, used until the constructor has looked a hook's
 * next one up. */
extern ssize_t __read(int, void *, size_t);
extern int __open(const char *, int, ...);
extern int __open64(const char *, int, ...);
extern int __close(int);
extern int __dup2(int, int);
extern int __fcntl(int, int, ...);
extern ssize_t __pread64(int, void *, size_t, off64_t);
extern int __poll(struct pollfd *, nfds_t, int);
extern FILE *_IO_fopen(const char *, const char *);
extern size_t _IO_fread(void *, size_t, size_t, FILE *);
extern int _IO_getc(FILE *);

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

/* Hooks never call dlsym themselves: glibc < 2.34's dlsym callocs its per-thread error buffer when
 * libpthread is loaded, and a hook can be called by an allocator in the middle of its own work
 * (jemalloc's first malloc, run from libstdc++'s constructor before ours, makes syscall(SYS_open)
 * under its init lock), which would deadlock or recurse. So the constructor looks every function
 * up once, and until then, or where there is none, a hook gets the fallback. */
static void *resolve(void **slot, void *fallback)
{
    void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    return fn != NULL ? fn : fallback;
}

static void look_up(const char *name, void **slot)
{
    void *fn = dlsym(RTLD_NEXT, name);
    if (fn != NULL)
        __atomic_store_n(slot, fn, __ATOMIC_RELEASE);
}

#define ER_DEFINE_REAL(name, ret, params, fallback)                                          \
    void *er_slot_##name;                                                                    \
    er_##name##_fn er_resolve_##name(void)                                                   \
    {                                                                                        \
        return (er_##name##_fn)resolve(&er_slot_##name, (void *)(fallback));                 \
    }
ER_REAL_FUNCTIONS(ER_DEFINE_REAL)

void er_look_up_real_functions(void)
{
    int saved = errno;
#define ER_LOOK_UP(name, ret, params, fallback) look_up(#name, &er_slot_##name);
    ER_REAL_FUNCTIONS(ER_LOOK_UP)
#undef ER_LOOK_UP
    dlerror(); /* a function this C library lacks must not leave the program a dlerror() to find */
    errno = saved;
}
