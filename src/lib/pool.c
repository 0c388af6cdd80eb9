#include "pool.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "duration.h"
#include "rawsys.h"

/* glibc's exported aliases, so that the library's own I/O never goes through its hooks. */
extern ssize_t __read(int, void *, size_t);
extern int __close(int);

static int64_t init_at_ns = ER_DURATION_NEVER; /* CLOCK_BOOTTIME; NEVER without a time */
static const char *ready_file;                 /* NULL without a ready file */
static int initialized;                        /* latched, read atomically */

/* glibc's clock_gettime (the vDSO, no system call) when nobody interposes it; an interposed one
 * (libfaketime) would arm the timer for another time, so then the kernel is asked directly. */
static int (*clock_from_glibc)(clockid_t, struct timespec *);

static void find_glibc_clock(void)
{
    void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    if (libc == NULL)
        return;
    void *own = dlsym(libc, "clock_gettime");
    if (own != NULL && own == dlsym(RTLD_DEFAULT, "clock_gettime"))
        clock_from_glibc = (int (*)(clockid_t, struct timespec *))own;
    dlclose(libc);
}

int64_t er_boottime_ns(void)
{
    struct timespec ts;
    if (clock_from_glibc == NULL || clock_from_glibc(CLOCK_BOOTTIME, &ts) != 0)
        er_raw_syscall3(SYS_clock_gettime, CLOCK_BOOTTIME, (long)&ts, 0);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void er_pool_setup(const struct er_settings *s, int64_t load_ns)
{
    find_glibc_clock();
    ready_file = s->has_ready_file ? s->ready_file : NULL;
    if (s->init_after_ns == ER_DURATION_NEVER) {
        init_at_ns = ER_DURATION_NEVER;
        return;
    }
    int64_t epoch = s->epoch_kind == ER_EPOCH_PROCESS ? load_ns
                  : s->epoch_kind == ER_EPOCH_BOOT    ? 0
                                                      : s->epoch_instant_ns;
    /* Both terms are capped far below INT64_MAX / 2 by their parsers, so the sum cannot overflow. */
    init_at_ns = epoch + s->init_after_ns;
}

static bool ready_file_exists(void)
{
    int saved = errno;
    bool exists = access(ready_file, F_OK) == 0;
    errno = saved;
    return exists;
}

bool er_pool_initialized(void)
{
    if (__atomic_load_n(&initialized, __ATOMIC_ACQUIRE))
        return true;
    bool now_ready = (init_at_ns != ER_DURATION_NEVER && er_boottime_ns() >= init_at_ns) ||
                     (ready_file != NULL && ready_file_exists());
    if (now_ready)
        __atomic_store_n(&initialized, 1, __ATOMIC_RELEASE);
    return now_ready;
}

static int64_t min_deadline(int64_t a, int64_t b)
{
    if (a == ER_DURATION_NEVER)
        return b;
    if (b == ER_DURATION_NEVER)
        return a;
    return a < b ? a : b;
}

static void close_timer(void *fdp)
{
    __close(*(int *)fdp);
}

int64_t er_pool_next_change_ns(void)
{
    if (ready_file != NULL)
        return min_deadline(init_at_ns, er_boottime_ns() + ER_READY_FILE_POLL_NS);
    return init_at_ns;
}

/* Without a timerfd (the program is at its descriptor limit) the wait still sleeps, in short
 * clock_nanosleep steps; it cannot tell SA_RESTART apart there, so it keeps waiting. */
static int wait_without_timer(int64_t start_ns, int64_t hang_at, er_hang_fn on_hang, void *ctx)
{
    bool hang_reported = false;
    while (!er_pool_initialized()) {
        int64_t next = min_deadline(init_at_ns, er_boottime_ns() + ER_READY_FILE_POLL_NS);
        if (!hang_reported)
            next = min_deadline(next, hang_at);
        struct timespec ts = { next / 1000000000, next % 1000000000 };
        er_raw_syscall6(SYS_clock_nanosleep, CLOCK_BOOTTIME, TIMER_ABSTIME, (long)&ts, 0, 0, 0);
        pthread_testcancel(); /* the raw sleep is no cancellation point: at most one step late */
        if (!hang_reported && hang_at != ER_DURATION_NEVER && er_boottime_ns() >= hang_at) {
            hang_reported = true;
            on_hang(ctx, er_boottime_ns() - start_ns);
        }
    }
    return 0;
}

/* The sleep itself: a timer armed for the next moment worth looking (the init moment, the next
 * look at the ready file, the hang timeout), read until the pool is initialized. */
struct timed_wait {
    int tfd;
    bool through_eintr;
    int64_t start_ns, hang_at;
    er_hang_fn on_hang;
    void *ctx;
};

static int wait_on_timer(const struct timed_wait *w)
{
    int tfd = w->tfd;
    int64_t hang_at = w->hang_at;
    bool hang_reported = false;
    while (!er_pool_initialized()) {
        int64_t next = init_at_ns;
        if (ready_file != NULL)
            next = min_deadline(next, er_boottime_ns() + ER_READY_FILE_POLL_NS);
        if (!hang_reported)
            next = min_deadline(next, hang_at);
        /* it_value zero disarms the timer: a pool that never initializes sleeps until a signal. */
        struct itimerspec its = { { 0, 0 }, { 0, 0 } };
        if (next != ER_DURATION_NEVER) {
            its.it_value.tv_sec = next / 1000000000;
            its.it_value.tv_nsec = next % 1000000000;
            if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
                its.it_value.tv_nsec = 1;
        }
        er_raw_syscall6(SYS_timerfd_settime, tfd, TFD_TIMER_ABSTIME, (long)&its, 0, 0, 0);
        uint64_t expirations;
        if (__read(tfd, &expirations, sizeof expirations) < 0 && errno == EINTR &&
            !w->through_eintr)
            return EINTR;
        if (!hang_reported && hang_at != ER_DURATION_NEVER && er_boottime_ns() >= hang_at) {
            hang_reported = true;
            w->on_hang(w->ctx, er_boottime_ns() - w->start_ns);
        }
    }
    return 0;
}

/* A thread cancelled in the read must not leave its timer descriptor behind. */
static int wait_cancellable(struct timed_wait *w)
{
    volatile int result = 0;
    pthread_cleanup_push(close_timer, &w->tfd);
    result = wait_on_timer(w);
    pthread_cleanup_pop(1);
    return result;
}

int er_pool_wait(bool through_eintr, int64_t start_ns, int64_t hang_timeout_ns, er_hang_fn on_hang,
                 void *ctx)
{
    int saved = errno;
    int64_t hang_at = hang_timeout_ns == ER_DURATION_NEVER ? ER_DURATION_NEVER
                                                           : start_ns + hang_timeout_ns;
    int tfd = timerfd_create(CLOCK_BOOTTIME, TFD_CLOEXEC);
    if (tfd < 0) {
        errno = saved;
        return wait_without_timer(start_ns, hang_at, on_hang, ctx);
    }
    struct timed_wait w = { tfd, through_eintr, start_ns, hang_at, on_hang, ctx };
    int result = wait_cancellable(&w);
    errno = saved;
    return result;
}
