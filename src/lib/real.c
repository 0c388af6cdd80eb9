#include "real.h"

#include <dlfcn.h>

/* glibc's exported aliases of its own functions, used while dlsym is still resolving a hook. */
extern ssize_t __read(int, void *, size_t);
extern int __open(const char *, int, ...);
extern int __open64(const char *, int, ...);
extern int __close(int);
extern int __dup2(int, int);
extern int __fcntl(int, int, ...);
extern ssize_t __pread64(int, void *, size_t, off64_t);
extern int __poll(struct pollfd *, nfds_t, int);

/* Set while this thread is inside dlsym, which may allocate; an allocator that then calls a hook
 * gets the fallback instead of recursing into dlsym. Initial-exec: no allocation on access. */
static __thread int resolving __attribute__((tls_model("initial-exec")));

static void *resolve(const char *name, void **slot, void *fallback)
{
    void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (fn != NULL)
        return fn;
    if (resolving)
        return fallback;
    resolving = 1;
    fn = dlsym(RTLD_NEXT, name);
    resolving = 0;
    if (fn == NULL)
        return fallback;
    __atomic_store_n(slot, fn, __ATOMIC_RELEASE);
    return fn;
}

#define ER_DEFINE_REAL(name, ret, params, fallback)                                          \
    er_##name##_fn er_real_##name(void)                                                      \
    {                                                                                        \
        static void *slot;                                                                   \
        return (er_##name##_fn)resolve(#name, &slot, (void *)(fallback));                    \
    }
ER_REAL_FUNCTIONS(ER_DEFINE_REAL)
