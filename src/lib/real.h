/* The next definitions of the hooked functions (normally glibc's), found on first use the way
 * dlsym(RTLD_NEXT) would (nextsym.c), so that another preload loaded after us still sees every
 * call. */
#ifndef ER_REAL_H
#define ER_REAL_H

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <poll.h>

/* name, return type, parameter list, what to call before the constructor has run (or where no
 * next definition is found): a stand-in from real.c that calls glibc's own exported alias or
 * the system call, or NULL where the hook itself falls back to a raw system call. */
#define ER_REAL_FUNCTIONS(X)                                                                    \
    X(getrandom, ssize_t, (void *, size_t, unsigned int), NULL)                                 \
    X(getentropy, int, (void *, size_t), NULL)                                                  \
    X(arc4random, uint32_t, (void), NULL)                                                       \
    X(arc4random_buf, void, (void *, size_t), NULL)                                             \
    X(arc4random_uniform, uint32_t, (uint32_t), NULL)                                           \
    X(syscall, long, (long, ...), NULL)                                                         \
    X(open, int, (const char *, int, ...), er_fallback_open)                                    \
    X(open64, int, (const char *, int, ...), er_fallback_open64)                                \
    X(openat, int, (int, const char *, int, ...), NULL)                                         \
    X(openat64, int, (int, const char *, int, ...), NULL)                                       \
    X(__open_2, int, (const char *, int), NULL)                                                 \
    X(__open64_2, int, (const char *, int), NULL)                                               \
    X(__openat_2, int, (int, const char *, int), NULL)                                          \
    X(__openat64_2, int, (int, const char *, int), NULL)                                        \
    X(fopen, FILE *, (const char *, const char *), er_fallback_fopen)                           \
    X(fopen64, FILE *, (const char *, const char *), er_fallback_fopen)                         \
    X(freopen, FILE *, (const char *, const char *, FILE *), NULL)                              \
    X(freopen64, FILE *, (const char *, const char *, FILE *), NULL)                            \
    X(fclose, int, (FILE *), er_fallback_fclose)                                                \
    X(read, ssize_t, (int, void *, size_t), er_fallback_read)                                   \
    X(__read_chk, ssize_t, (int, void *, size_t, size_t), er_fallback_read_chk)                 \
    X(readv, ssize_t, (int, const struct iovec *, int), er_fallback_readv)                      \
    X(pread, ssize_t, (int, void *, size_t, off_t), er_fallback_pread64)                        \
    X(pread64, ssize_t, (int, void *, size_t, off64_t), er_fallback_pread64)                    \
    X(__pread_chk, ssize_t, (int, void *, size_t, off_t, size_t), er_fallback_pread_chk)        \
    X(__pread64_chk, ssize_t, (int, void *, size_t, off64_t, size_t), er_fallback_pread_chk)    \
    X(fread, size_t, (void *, size_t, size_t, FILE *), er_fallback_fread)                       \
    X(fread_unlocked, size_t, (void *, size_t, size_t, FILE *), er_fallback_fread)              \
    X(__fread_chk, size_t, (void *, size_t, size_t, size_t, FILE *), er_fallback_fread_chk)     \
    X(fgetc, int, (FILE *), er_fallback_getc)                                                   \
    X(getc, int, (FILE *), er_fallback_getc)                                                    \
    X(close, int, (int), er_fallback_close)                                                     \
    X(close_range, int, (unsigned int, unsigned int, int), NULL)                                \
    X(closefrom, void, (int), NULL)                                                             \
    X(dup, int, (int), NULL)                                                                    \
    X(dup2, int, (int, int), er_fallback_dup2)                                                  \
    X(dup3, int, (int, int, int), NULL)                                                         \
    X(fcntl, int, (int, int, ...), er_fallback_fcntl)                                           \
    X(fcntl64, int, (int, int, ...), er_fallback_fcntl)                                         \
    X(poll, int, (struct pollfd *, nfds_t, int), er_fallback_poll)

/* open's third argument exists only when the flags create a file: declares mode from it. */
#define TAKE_MODE(flags, last)                                                               \
    mode_t mode = 0;                                                                         \
    if (((flags) & O_CREAT) || ((flags) & O_TMPFILE) == O_TMPFILE) {                         \
        va_list ap;                                                                          \
        va_start(ap, last);                                                                  \
        mode = (mode_t)va_arg(ap, int);                                                      \
        va_end(ap);                                                                          \
    }

/* er_real_NAME() is what a hook calls: once looked up, a single load from a slot, inlined into
 * the hook; the first time, the lookup, out of line; before the constructor (or where there is
 * no next definition) the fallback. */
#define ER_DECLARE_REAL(name, ret, params, fallback)                                         \
    typedef ret(*er_##name##_fn) params;                                                   \
    extern void *er_slot_##name __attribute__((visibility("hidden")));                     \
    er_##name##_fn er_resolve_##name(void)                                                 \
        __attribute__((visibility("hidden"), noinline, cold));                             \
    static inline er_##name##_fn er_real_##name(void)                                      \
    {                                                                                      \
        void *fn = __atomic_load_n(&er_slot_##name, __ATOMIC_ACQUIRE);                     \
        return __builtin_expect(fn != NULL, 1) ? (er_##name##_fn)fn : er_resolve_##name(); \
    }
ER_REAL_FUNCTIONS(ER_DECLARE_REAL)
#undef ER_DECLARE_REAL

#endif
