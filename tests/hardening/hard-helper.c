/* hard-helper: the programs of the hardening tests, one action per run, run under the preload by
 * tests/hardening/test-*.c. Built plain, with _FORTIFY_SOURCE=2, and without sanitizers (for
 * valgrind, setuid runs and co-preloaded allocators, none of which mix with ASan).
 *
 *   fds MODE DIR             close every descriptor (MODE loop|closefrom|close_range, or raw:
 *                            close_range as a bare system call, unseen by the hooks), open
 *                            files of its own, ask for entropy, check the files and that every
 *                            descriptor of the library is O_CLOEXEC; exec "listfds" at the end
 *   listfds N                (exec'd by fds) fails if any descriptor but 0..N-1 survived exec
 *   initrace THREADS         THREADS threads call getrandom spread across the init moment given
 *                            as a CLOCK_BOOTTIME instant in EARLYRANDOM_EPOCH
 *   initrace-driver ROUNDS THREADS LEAD_MS MIN_WAITED
 *                            runs "initrace" ROUNDS times or more, each with an init moment
 *                            LEAD_MS ahead, until MIN_WAITED threads in all called before it
 *                            (at most 4 x ROUNDS times)
 *   spawnwait PROBE          8 threads wait while the main thread forks, vforks and spawns
 *   cancel MODE ROUNDS       cancels a thread blocked in getrandom or a /dev/random read
 *   errno DIR [before-init]  every hook on its success path, errno set to 4242 before
 *   logstorm THREADS EVENTS  THREADS threads make EVENTS requests each, as fast as they can
 *   closerace THREADS CYCLES REUSED DIR
 *                            threads log without pause while the main thread closes every
 *                            descriptor and reuses the numbers for a file of its own, CYCLES
 *                            times and until its file took the log's number REUSED times
 *   secure                   what a program in secure execution sees (setuid tests)
 *   timedwait MS             getrandom(16, 0), killed by an alarm after MS ms if still waiting
 *   waitclose HOW            two threads wait in getrandom; once both sleep, the main thread frees
 *                            every number above 2 (HOW: loop of close, close_range, closefrom,
 *                            raw close_range, or dup2 of /dev/null onto each) and puts pipes of
 *                            its own on the lowest ones; prints "waitclose closed", then, once
 *                            both returned, whether its pipes and descriptors are as it left them
 *   forkwait                 a thread waits in getrandom; once it sleeps, the main thread forks,
 *                            and the child counts its descriptors against the parent's before
 *   refused ERRNO WHICH API  under a seccomp filter that fails getrandom with ERRNO (EPERM, ENOSYS or
 *                            EINVAL), every call (WHICH all) or those with GRND_INSECURE (insecure),
 *                            as a sandbox or an older kernel would: API (getrandom, getentropy or
 *                            arc4random_buf) for 16 bytes, errno set to 4242 before
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testspawn.h"
#include "../common/errname.h"

extern char **environ;

/* glibc's _FORTIFY_SOURCE entry points, called directly so that every build exercises them. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t len, off_t offset, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t len, off64_t offset, size_t buflen);
size_t __fread_chk(void *ptr, size_t ptrlen, size_t size, size_t nmemb, FILE *stream);

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int64_t boot_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until_boot(int64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000), (long)(ns % 1000000000) };
    while (clock_nanosleep(CLOCK_BOOTTIME, TIMER_ABSTIME, &ts, NULL) == EINTR)
        continue;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        continue;
}

static double start_ms;

/* close_range(2) without libc: as a Go program, a static library or glibc's own internal calls
 * close descriptors, out of the hooks' sight. */
static long raw_close_range(unsigned int first, unsigned int last)
{
    long ret;
#if defined(__x86_64__)
    register long r10 __asm__("r10") = 0;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"((long)SYS_close_range), "D"((long)first), "S"((long)last), "d"(0L), "r"(r10)
                     : "rcx", "r11", "memory");
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = SYS_close_range;
    register long x0 __asm__("x0") = first;
    register long x1 __asm__("x1") = last;
    register long x2 __asm__("x2") = 0;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    ret = x0;
#else
#error "hard-helper needs a raw system call sequence for this architecture"
#endif
    return ret;
}

/* ---------------------------------------------------------------------------------------------
 * Descriptors */

struct fd_entry {
    int fd;
    char target[256];
    long flags; /* from /proc/self/fdinfo, octal there */
};

/* Every open descriptor but the one of the listing itself, with its target and flags, without
 * going through stdio (the program may have closed 0, 1 and 2). */
static int list_fds(struct fd_entry *out, int cap)
{
    int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    DIR *d = fdopendir(dfd);
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        int fd = atoi(e->d_name);
        if (fd == dfd || n == cap)
            continue;
        out[n].fd = fd;
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t len = readlink(link, out[n].target, sizeof out[n].target - 1);
        out[n].target[len > 0 ? len : 0] = '\0';
        out[n].flags = -1;
        char info[64];
        snprintf(info, sizeof info, "/proc/self/fdinfo/%d", fd);
        int ifd = open(info, O_RDONLY | O_CLOEXEC);
        if (ifd >= 0) {
            char text[512];
            ssize_t got = read(ifd, text, sizeof text - 1);
            close(ifd);
            text[got > 0 ? got : 0] = '\0';
            const char *f = strstr(text, "flags:");
            if (f)
                out[n].flags = strtol(f + 6, NULL, 8);
        }
        n++;
    }
    closedir(d);
    return n;
}

static bool is_cloexec(const struct fd_entry *e) { return e->flags >= 0 && (e->flags & O_CLOEXEC); }

/* A snapshot of the descriptors taken by a second thread once the main thread sleeps in the
 * library's wait; then it interrupts that wait. */
struct snapshot {
    pthread_t waiter;
    pid_t waiter_tid;
    int n;
    struct fd_entry fds[64];
};

static void *snapshot_then_interrupt(void *p)
{
    struct snapshot *s = p;
    while (!thread_sleeps_in_wait(getpid(), s->waiter_tid))
        sleep_ms(1);
    s->n = list_fds(s->fds, 64);
    pthread_kill(s->waiter, SIGALRM);
    return NULL;
}

static void on_alarm(int sig) { (void)sig; }

/* getrandom(16, 0) cut short by SIGALRM without SA_RESTART; a second thread lists the
 * descriptors in the middle of the wait (the timer descriptor of the wait exists only then). */
static int interrupted_wait(struct snapshot *during)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    during->waiter = pthread_self();
    during->waiter_tid = gettid();
    pthread_t t;
    pthread_create(&t, NULL, snapshot_then_interrupt, during);
    unsigned char b[16];
    ssize_t r = getrandom(b, sizeof b, 0);
    int err = errno;
    pthread_join(t, NULL);
    return r < 0 ? err : 0;
}

#define OWN_FILES 7
static const char *const own_names[OWN_FILES] = { "own-1", "own-2", "own-3", "own-4",
                                                  "own-5", "own-6", "own-7" };

static void own_content(int k, char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)('A' + (k * 7 + (int)i) % 26);
    if (len > 0)
        buf[len - 1] = '\n';
}

#define OWN_SIZE 4096

/* fds MODE DIR: see the header. Everything it finds goes to DIR/report (fd 0 once reopened); the
 * verdict is the exit status of the "listfds" it execs at the end. */
static int do_fds(const char *mode, const char *dir, const char *self)
{
    struct fd_entry before[64], after[64];
    /* 1. When the program starts, the library holds no descriptor. */
    int n0 = list_fds(before, 64);
    char line[1024];
    char report_text[16384];
    size_t rlen = 0;
#define REPORT(...)                                                                          \
    do {                                                                                     \
        int k_ = snprintf(line, sizeof line, __VA_ARGS__);                                   \
        if (k_ > 0 && rlen + (size_t)k_ < sizeof report_text) {                              \
            memcpy(report_text + rlen, line, (size_t)k_);                                    \
            rlen += (size_t)k_;                                                              \
        }                                                                                    \
    } while (0)
    for (int i = 0; i < n0; i++)
        if (before[i].fd > 2)
            REPORT("start-fd %d %s\n", before[i].fd, before[i].target);

    /* 2. Requests that make the library open its log, and a wait (its timer descriptor). */
    unsigned char b[16];
    REPORT("phase1-nonblock %zd\n", getrandom(b, sizeof b, GRND_NONBLOCK));
    struct snapshot during1;
    int e1 = interrupted_wait(&during1);
    REPORT("phase1-wait %s\n", e1 == EINTR ? "EINTR" : "unexpected");
    int n1 = list_fds(after, 64);
    int lib1 = 0;
    for (int i = 0; i < n1; i++) {
        if (after[i].fd <= 2)
            continue;
        lib1++;
        REPORT("phase1-libfd %d cloexec=%d %s\n", after[i].fd, is_cloexec(&after[i]), after[i].target);
    }
    for (int i = 0; i < during1.n; i++)
        if (during1.fds[i].fd > 2)
            REPORT("phase1-waitfd %d cloexec=%d %s\n", during1.fds[i].fd,
                   is_cloexec(&during1.fds[i]), during1.fds[i].target);

    /* 3. Close everything, right after a logged request (nothing between them changes a
     * descriptor through the hooks). */
    ssize_t last = getrandom(b, sizeof b, GRND_NONBLOCK);
    if (strcmp(mode, "loop") == 0) {
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        for (int fd = 0; fd < (int)rl.rlim_cur; fd++)
            close(fd);
#ifdef HAVE_CLOSEFROM /* glibc 2.34+, as close_range: the modes are unknown where it lacks them */
    } else if (strcmp(mode, "closefrom") == 0) {
        closefrom(0);
#endif
#ifdef HAVE_CLOSE_RANGE
    } else if (strcmp(mode, "close_range") == 0) {
        if (close_range(0, ~0U, 0) != 0)
            return 90;
#endif
    } else if (strcmp(mode, "raw") == 0) {
        if (raw_close_range(0, ~0U) != 0)
            return 90;
    } else {
        return 91;
    }

    /* 4. The program's own files take the lowest numbers, the log's old one among them. */
    char path[4096];
    snprintf(path, sizeof path, "%s/report", dir);
    int rfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (rfd != 0)
        return 92;
    REPORT("phase1-last %zd\n", last);
    if (write(0, report_text, rlen) != (ssize_t)rlen)
        return 93;
    rlen = 0;
    int own[OWN_FILES];
    off_t offsets[OWN_FILES];
    char content[OWN_SIZE];
    for (int k = 0; k < OWN_FILES; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, own_names[k]);
        own[k] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
        own_content(k, content, sizeof content);
        if (own[k] != k + 1 || write(own[k], content, sizeof content) != (ssize_t)sizeof content)
            return 94;
        /* odd files are left positioned in the middle: a read or write by the library would move it */
        offsets[k] = (k % 2) ? 1000 + k : OWN_SIZE;
        lseek(own[k], offsets[k], SEEK_SET);
    }

    /* 5. Entropy through several entry points, each logged (the pool never initializes). */
    REPORT("phase2-nonblock %zd\n", getrandom(b, sizeof b, GRND_NONBLOCK));
    REPORT("phase2-insecure %zd\n", getrandom(b, sizeof b, GRND_INSECURE));
    struct snapshot during2;
    int e2 = interrupted_wait(&during2);
    REPORT("phase2-wait %s\n", e2 == EINTR ? "EINTR" : "unexpected");
    volatile int dev_flags = O_RDONLY; /* not a constant: fortified builds call __open_2 */
    int dev = open("/dev/urandom", dev_flags);
    REPORT("phase2-devread %zd\n", read(dev, b, sizeof b));
    close(dev);
    FILE *f = fopen("/dev/urandom", "r");
    REPORT("phase2-fread %zu\n", f ? fread(b, 1, sizeof b, f) : 0);
    if (f)
        fclose(f);
    int n2 = list_fds(after, 64);
    for (int i = 0; i < n2; i++) {
        if (after[i].fd <= OWN_FILES)
            continue;
        REPORT("phase2-libfd %d cloexec=%d %s\n", after[i].fd, is_cloexec(&after[i]), after[i].target);
    }
    for (int i = 0; i < during2.n; i++)
        if (during2.fds[i].fd > OWN_FILES)
            REPORT("phase2-waitfd %d cloexec=%d %s\n", during2.fds[i].fd,
                   is_cloexec(&during2.fds[i]), during2.fds[i].target);

    /* 6. The program's files hold what it wrote, where it left them. */
    for (int k = 0; k < OWN_FILES; k++) {
        char back[OWN_SIZE + 64];
        struct stat st;
        own_content(k, content, sizeof content);
        fstat(own[k], &st);
        ssize_t got = pread(own[k], back, sizeof back, 0);
        off_t pos = lseek(own[k], 0, SEEK_CUR);
        bool same = got == OWN_SIZE && memcmp(back, content, OWN_SIZE) == 0;
        REPORT("own %d fd=%d size=%lld same=%d offset_kept=%d\n", k + 1, own[k], (long long)st.st_size,
               same, pos == offsets[k]);
    }
    if (write(0, report_text, rlen) != (ssize_t)rlen)
        return 95;

    /* 7. exec: only the program's own descriptors may survive. */
    char count[16];
    snprintf(count, sizeof count, "%d", OWN_FILES + 1);
    char *const argv[] = { (char *)self, (char *)"listfds", count, NULL };
    execve("/proc/self/exe", argv, environ);
    return 96;
#undef REPORT
}

static int do_listfds(int expected)
{
    struct fd_entry fds[64];
    int n = list_fds(fds, 64);
    int leaked = 0;
    char line[512];
    for (int i = 0; i < n; i++) {
        if (fds[i].fd < expected)
            continue;
        leaked++;
        int k = snprintf(line, sizeof line, "after-exec leaked fd %d %s\n", fds[i].fd, fds[i].target);
        if (write(0, line, (size_t)k) < 0)
            return 97;
    }
    int k = snprintf(line, sizeof line, "after-exec fds=%d leaked=%d\n", n, leaked);
    if (write(0, line, (size_t)k) < 0)
        return 97;
    return leaked == 0 && n == expected ? 0 : 1;
}

/* ---------------------------------------------------------------------------------------------
 * Threads across the init moment */

struct race_thread {
    int64_t call_at, returned_at;
    ssize_t ret;
};

static void *race_main(void *p)
{
    struct race_thread *t = p;
    unsigned char b[16];
    sleep_until_boot(t->call_at);
    t->call_at = boot_ns(); /* when it really called */
    t->ret = getrandom(b, sizeof b, 0);
    t->returned_at = boot_ns();
    return NULL;
}

/* Exit status: 0 all good, 3 a thread never returned (deadlock or lost wake-up), 4 a thread
 * returned before the init moment, 5 a thread failed, 6 a thread resumed more than 1.5 s late
 * (more than a loaded machine's scheduling delay: a wake-up that came from somewhere else). */
static int do_initrace(int count)
{
    const char *epoch = getenv("EARLYRANDOM_EPOCH");
    if (epoch == NULL)
        return 2;
    int64_t init_at = strtoll(epoch, NULL, 10);
    struct race_thread *ts = calloc((size_t)count, sizeof *ts);
    pthread_t *ids = calloc((size_t)count, sizeof *ids);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    /* half of them call in the 3 ms before the moment, half in the 3 ms after */
    for (int i = 0; i < count; i++) {
        ts[i].call_at = init_at - 3000000 + (int64_t)i * 6000000 / count;
        if (pthread_create(&ids[i], &attr, race_main, &ts[i]) != 0)
            return 2;
    }
    struct timespec deadline;
    int64_t dl = init_at + INT64_C(10000000000);
    int status = 0, waited = 0;
    int64_t worst_late = 0;
    for (int i = 0; i < count; i++) {
        /* a thread still waiting 10 s after the moment is a lost wake-up */
        clock_gettime(CLOCK_REALTIME, &deadline);
        int64_t left = dl - boot_ns();
        if (left < 0)
            left = 0;
        deadline.tv_sec += (time_t)(left / 1000000000);
        deadline.tv_nsec += (long)(left % 1000000000);
        if (deadline.tv_nsec >= 1000000000) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000;
        }
        if (pthread_timedjoin_np(ids[i], NULL, &deadline) != 0) {
            printf("lost thread=%d call_at_us=%lld\n", i, (long long)(ts[i].call_at - init_at) / 1000);
            fflush(stdout);
            _exit(3);
        }
        if (ts[i].ret != 16 && status == 0)
            status = 5;
        if (ts[i].returned_at < init_at && status == 0)
            status = 4;
        int64_t from = ts[i].call_at > init_at ? ts[i].call_at : init_at;
        if (ts[i].returned_at - from > worst_late)
            worst_late = ts[i].returned_at - from;
        if (ts[i].call_at < init_at)
            waited++;
    }
    if (worst_late > 1500000000 && status == 0)
        status = 6;
    printf("waited=%d late_us=%lld\n", waited, (long long)worst_late / 1000);
    return status;
}

static int do_initrace_driver(int rounds, int threads, int lead_ms, long min_waited, const char *self)
{
    int outcome[8] = { 0 };
    long waited_total = 0, late_max_us = 0;
    int crashed = 0;
    char nthreads[16];
    snprintf(nthreads, sizeof nthreads, "%d", threads);
    const char *preload = getenv("HARD_PRELOAD");
    if (preload == NULL)
        return 2;
    /* the race counts only when threads really were waiting at the moment: on a loaded machine
     * fewer of them call before it in each round, so more rounds are run */
    int r = 0;
    for (; r < rounds || (waited_total < min_waited && r < 4 * rounds); r++) {
        static char epoch[64], pre[4200];
        snprintf(epoch, sizeof epoch, "EARLYRANDOM_EPOCH=%lld",
                 (long long)(boot_ns() + (int64_t)lead_ms * 1000000));
        snprintf(pre, sizeof pre, "LD_PRELOAD=%s", preload);
        char *env[] = { pre, epoch, (char *)"EARLYRANDOM_INIT_AFTER=0", (char *)"EARLYRANDOM_LOG=none",
                        (char *)"EARLYRANDOM_HANG_TIMEOUT=off", NULL };
        char *argv[] = { (char *)self, (char *)"initrace", nthreads, NULL };
        int p[2];
        if (pipe2(p, O_CLOEXEC) != 0)
            return 2;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, p[1], 1);
        pid_t pid;
        if (posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, env) != 0)
            return 2;
        posix_spawn_file_actions_destroy(&fa);
        close(p[1]);
        char out[256];
        size_t len = 0;
        ssize_t got;
        while ((got = read(p[0], out + len, sizeof out - 1 - len)) > 0)
            len += (size_t)got;
        out[len] = '\0';
        close(p[0]);
        int status;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status)) {
            crashed++;
            printf("round %d killed by signal %d\n", r, WTERMSIG(status));
            continue;
        }
        int code = WEXITSTATUS(status);
        outcome[code < 8 ? code : 7]++;
        if (code != 0)
            printf("round %d exit %d: %s", r, code, out);
        long waited = 0, late = 0;
        if (sscanf(out, "waited=%ld late_us=%ld", &waited, &late) == 2) {
            waited_total += waited;
            if (late > late_max_us)
                late_max_us = late;
        }
    }
    printf("initrace rounds=%d ok=%d lost=%d early=%d failed=%d late=%d other=%d crashed=%d "
           "waited_threads=%ld late_max_us=%ld\n",
           r, outcome[0], outcome[3], outcome[4], outcome[5], outcome[6],
           outcome[1] + outcome[2] + outcome[7], crashed, waited_total, late_max_us);
    return outcome[0] == r ? 0 : 1;
}

/* ---------------------------------------------------------------------------------------------
 * fork, vfork and posix_spawn while other threads wait */

struct waiter {
    double ms;
    ssize_t ret;
    pid_t tid;
    int done;
};

static void *waiter_main(void *p)
{
    struct waiter *w = p;
    unsigned char b[16];
    __atomic_store_n(&w->tid, gettid(), __ATOMIC_RELEASE);
    w->ret = getrandom(b, sizeof b, 0);
    __atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
    w->ms = now_ms() - start_ms;
    return NULL;
}

/* Blocks until the waiter sleeps in the library's wait; false if it returned first. */
static bool until_waiting(struct waiter *w)
{
    pid_t tid;
    while ((tid = __atomic_load_n(&w->tid, __ATOMIC_ACQUIRE)) == 0)
        sleep_ms(1);
    while (!thread_sleeps_in_wait(getpid(), tid))
        if (__atomic_load_n(&w->done, __ATOMIC_ACQUIRE))
            return false;
    return true;
}

/* The children's environment: the parent's with the EARLYRANDOM_* settings replaced. */
static char **child_env(const char *const *settings)
{
    static char *env[64];
    size_t n = 0;
    for (char **e = environ; *e && n < 40; e++)
        if (strncmp(*e, "EARLYRANDOM_", 12) != 0 || strncmp(*e, "EARLYRANDOM_LOG=", 16) == 0)
            env[n++] = *e;
    for (size_t i = 0; settings[i] && n < 63; i++)
        env[n++] = (char *)settings[i];
    env[n] = NULL;
    return env;
}

static int exit_code(pid_t pid)
{
    int status;
    if (waitpid(pid, &status, 0) < 0)
        return -2;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int do_spawnwait(const char *probe)
{
    enum { N = 8 };
    pthread_t ids[N];
    struct waiter ws[N];
    memset(ws, 0, sizeof ws);
    for (int i = 0; i < N; i++)
        pthread_create(&ids[i], NULL, waiter_main, &ws[i]);
    fflush(stdout);
    /* everything below happens while all of them wait (unless the machine was so slow that the
     * init moment came first: the summary says so) */
    int waiting = 0;
    for (int i = 0; i < N; i++)
        waiting += until_waiting(&ws[i]);

    /* fork: the child inherits the init moment and waits for it too */
    pid_t fpid = fork();
    if (fpid == 0) {
        unsigned char b[16];
        ssize_t r = getrandom(b, sizeof b, 0);
        double ms = now_ms() - start_ms;
        _exit(r != 16 ? 1 : ms < 399 ? 2 : 0);
    }

    /* vfork, exec with the preload still set and settings of its own (eagain) */
    static const char *const eagain[] = { "EARLYRANDOM_POLICY=eagain", "EARLYRANDOM_INIT_AFTER=never", NULL };
    char **venv = child_env(eagain);
    char *vargv[] = { (char *)probe, (char *)"getrandom", (char *)"16", NULL };
    pid_t vpid = vfork();
    if (vpid == 0) {
        execve(probe, vargv, venv);
        _exit(127);
    }

    /* posix_spawn: fallback, weak bytes at once */
    static const char *const fallback[] = { "EARLYRANDOM_POLICY=fallback", NULL };
    pid_t spid1;
    char *sargv[] = { (char *)probe, (char *)"getrandom", (char *)"16", NULL };
    int s1 = posix_spawn(&spid1, probe, NULL, NULL, sargv, child_env(fallback));

    /* posix_spawn: block with an init moment 600 ms after its own start (not the parent's) */
    static const char *const own[] = { "EARLYRANDOM_INIT_AFTER=600ms", NULL };
    pid_t spid2;
    int s2 = posix_spawn(&spid2, probe, NULL, NULL, sargv, child_env(own));

    int fork_rc = exit_code(fpid), vfork_rc = exit_code(vpid);
    int spawn1_rc = s1 == 0 ? exit_code(spid1) : -3, spawn2_rc = s2 == 0 ? exit_code(spid2) : -3;
    int ok = 0;
    double min = 1e9, max = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(ids[i], NULL);
        ok += ws[i].ret == 16;
        min = ws[i].ms < min ? ws[i].ms : min;
        max = ws[i].ms > max ? ws[i].ms : max;
    }
    printf("spawnwait threads_ok=%d min_ms=%.1f max_ms=%.1f fork=%d vfork=%d spawn1=%d spawn2=%d pid=%d "
           "waiting=%d\n",
           ok, min, max, fork_rc, vfork_rc, spawn1_rc, spawn2_rc, (int)getpid(), waiting);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Cancellation */

static int count_fds(void)
{
    struct fd_entry fds[64];
    return list_fds(fds, 64);
}

/* The thread to cancel says who it is; the canceller waits until it sleeps in the wait. */
struct blocked {
    int dev;
    pid_t tid;
};

static void *blocked_getrandom(void *p)
{
    struct blocked *bl = p;
    __atomic_store_n(&bl->tid, gettid(), __ATOMIC_RELEASE);
    unsigned char b[16];
    if (getrandom(b, sizeof b, 0) < 0)
        return (void *)2;
    return (void *)1; /* returned: not cancelled */
}

static void *blocked_read(void *p)
{
    struct blocked *bl = p;
    __atomic_store_n(&bl->tid, gettid(), __ATOMIC_RELEASE);
    unsigned char b[16];
    if (read(bl->dev, b, sizeof b) < 0)
        return (void *)2;
    return (void *)1;
}

static void *sleeper(void *p)
{
    (void)p;
    sleep(10);
    return NULL;
}

/* cancel MODE ROUNDS: MODE getrandom|read, or nofd-getrandom|nofd-read where no descriptor is
 * left for the wait's timer (the library then sleeps in clock_nanosleep). */
static int do_cancel(const char *mode, int rounds)
{
    bool nofd = strncmp(mode, "nofd-", 5) == 0;
    const char *what = nofd ? mode + 5 : mode;
    int dev = open("/dev/random", O_RDONLY | O_CLOEXEC);
    /* glibc loads libgcc_s for the first cancellation, which takes a descriptor: do it now */
    pthread_t warm;
    pthread_create(&warm, NULL, sleeper, NULL);
    pthread_cancel(warm);
    pthread_join(warm, NULL);
    int before = count_fds();
    if (nofd) {
        /* the highest descriptor in use is the last allowed one */
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        struct fd_entry fds[64];
        int n = list_fds(fds, 64), top = 0;
        for (int i = 0; i < n; i++)
            top = fds[i].fd > top ? fds[i].fd : top;
        rl.rlim_cur = (rlim_t)top + 1;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    int canceled = 0, stuck = 0;
    double worst = 0;
    for (int r = 0; r < rounds; r++) {
        pthread_t t;
        struct blocked bl = { dev, 0 };
        pthread_create(&t, NULL, strcmp(what, "read") == 0 ? blocked_read : blocked_getrandom, &bl);
        pid_t tid;
        while ((tid = __atomic_load_n(&bl.tid, __ATOMIC_ACQUIRE)) == 0)
            sleep_ms(1);
        if (nofd) {
            /* no descriptor is left to look into /proc with; a cancel that came before the wait
             * would act at its first step anyway */
            sleep_ms(20);
        } else {
            while (!thread_sleeps_in_wait(getpid(), tid))
                sleep_ms(1);
        }
        double t0 = now_ms();
        pthread_cancel(t);
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_sec += 10;
        void *res = NULL;
        if (pthread_timedjoin_np(t, &res, &dl) != 0) {
            stuck++;
            break;
        }
        double ms = now_ms() - t0;
        worst = ms > worst ? ms : worst;
        canceled += res == PTHREAD_CANCELED;
    }
    if (nofd) {
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        rl.rlim_cur = rl.rlim_max > 1024 ? 1024 : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    int after = count_fds();
    printf("cancel mode=%s rounds=%d canceled=%d stuck=%d fds_before=%d fds_after=%d worst_ms=%.1f\n",
           mode, rounds, canceled, stuck, before, after, worst);
    close(dev);
    return canceled == rounds && before == after ? 0 : 1;
}

/* cancelpoint API: a thread that holds a mutex, has a cancellation pending and calls API. glibc's
 * getrandom acts on the cancellation; getentropy, arc4random_buf and syscall() are no
 * cancellation points and return, so the thread unlocks. Then the main thread opens and closes a
 * device and logs through the library, which must not wait for the cancelled thread. The test
 * compares with the same run without the library. */
static pthread_mutex_t cancelpoint_lock = PTHREAD_MUTEX_INITIALIZER;

static void *call_with_cancel_pending(void *api)
{
    unsigned char b[16];
    pthread_mutex_lock(&cancelpoint_lock);
    pthread_cancel(pthread_self());
    /* nothing between the cancel and the unlock may be a cancellation point but the call */
    if (strcmp(api, "getrandom") == 0)
        (void)!getrandom(b, sizeof b, 0);
    else if (strcmp(api, "getentropy") == 0)
        (void)!getentropy(b, sizeof b);
    else if (strcmp(api, "syscall") == 0)
        syscall(SYS_getrandom, b, sizeof b, 0);
#ifdef HAVE_ARC4RANDOM_BUF
    else if (strcmp(api, "arc4random_buf") == 0)
        arc4random_buf(b, sizeof b);
#endif
    pthread_mutex_unlock(&cancelpoint_lock);
    return (void *)1;
}

static int do_cancelpoint(const char *api)
{
#ifndef HAVE_ARC4RANDOM_BUF
    if (strcmp(api, "arc4random_buf") == 0) {
        printf("cancelpoint api=%s unavailable\n", api);
        return 0;
    }
#endif
    pthread_t t;
    pthread_create(&t, NULL, call_with_cancel_pending, (void *)api);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    void *res = NULL;
    if (pthread_timedjoin_np(t, &res, &deadline) != 0) {
        printf("cancelpoint api=%s stuck\n", api);
        return 1;
    }
    bool locked = pthread_mutex_trylock(&cancelpoint_lock) == EBUSY;
    alarm(10); /* a library waiting for the cancelled thread would hang here */
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    unsigned char b[16];
    ssize_t n = read(fd, b, sizeof b);
    close(fd);
    alarm(0);
    printf("cancelpoint api=%s canceled=%d mutex_left_locked=%d then_read=%zd\n", api,
           res == PTHREAD_CANCELED, locked, n);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * errno on every success path */

static int errno_failures;

static void errno_check(const char *name, bool ok)
{
    int e = errno;
    printf("errno %s ok=%d errno=%d\n", name, ok, e);
    if (!ok || e != 4242)
        errno_failures++;
}

#define CHECK(name, expr)                                                                    \
    do {                                                                                     \
        errno = 4242;                                                                        \
        bool ok_ = (expr);                                                                   \
        errno_check(name, ok_);                                                              \
    } while (0)

/* Opens path without touching errno's sentinel check (the setup of a call is not the call). */
static int setup_open(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "hard-helper: cannot open %s: %s\n", path, strerror(errno));
        exit(2);
    }
    return fd;
}

static FILE *setup_fopen(const char *path)
{
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        fprintf(stderr, "hard-helper: cannot fopen %s: %s\n", path, strerror(errno));
        exit(2);
    }
    return f;
}

static int do_errno(const char *dir, bool before_init)
{
    unsigned char b[64];
    char regular[4096], created[4096], name[256];
    snprintf(regular, sizeof regular, "%s/errno-regular", dir);
    snprintf(created, sizeof created, "%s/errno-created", dir);
    int w = open(regular, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    memset(b, 'x', sizeof b);
    for (int i = 0; i < 64; i++)
        if (write(w, b, sizeof b) != (ssize_t)sizeof b)
            return 2;
    close(w);
    int fd, fd2;

    CHECK("getrandom", getrandom(b, 16, 0) == 16);
    /* before init GRND_NONBLOCK fails with EAGAIN: not a success path */
    if (!before_init)
        CHECK("getrandom-GRND_NONBLOCK", getrandom(b, 16, GRND_NONBLOCK) == 16);
    CHECK("getrandom-GRND_INSECURE", getrandom(b, 16, GRND_INSECURE) == 16);
    CHECK("getrandom-GRND_RANDOM", getrandom(b, 16, GRND_RANDOM) == 16);
    CHECK("getentropy", getentropy(b, 16) == 0);
#ifdef HAVE_ARC4RANDOM /* glibc 2.36+: no program calls it where the C library lacks it */
    volatile uint32_t word;
    CHECK("arc4random", (word = arc4random(), true));
    (void)word;
    CHECK("arc4random_buf", (arc4random_buf(b, 16), true));
    CHECK("arc4random_uniform", arc4random_uniform(10) < 10);
#endif
    CHECK("syscall-getrandom", syscall(SYS_getrandom, b, 16, 0) == 16);
    CHECK("syscall-getpid", syscall(SYS_getpid) == getpid());

    const char *const paths[] = { "/dev/urandom", "/dev/random", regular };
    static const char *const short_names[] = { "urandom", "random", "regular" };
    for (int p = 0; p < 3; p++) {
        const char *path = paths[p], *sn = short_names[p];
#define NAMED(fmt) (snprintf(name, sizeof name, fmt, sn), name)
        volatile int flags = O_RDONLY | O_CLOEXEC;
        CHECK(NAMED("open-%s"), (fd = open(path, flags)) >= 0);
        CHECK(NAMED("read-%s"), read(fd, b, 16) == 16);
        CHECK(NAMED("__read_chk-%s"), __read_chk(fd, b, 16, sizeof b) == 16);
        struct iovec iov[2] = { { b, 8 }, { b + 8, 8 } };
        CHECK(NAMED("readv-%s"), readv(fd, iov, 2) == 16);
        CHECK(NAMED("pread-%s"), pread(fd, b, 16, 0) == 16);
        CHECK(NAMED("pread64-%s"), pread64(fd, b, 16, 0) == 16);
        CHECK(NAMED("__pread_chk-%s"), __pread_chk(fd, b, 16, 0, sizeof b) == 16);
        CHECK(NAMED("__pread64_chk-%s"), __pread64_chk(fd, b, 16, 0, sizeof b) == 16);
        struct pollfd pfd = { fd, POLLIN, 0 };
        CHECK(NAMED("poll-%s"), poll(&pfd, 1, 0) >= 0);
        CHECK(NAMED("dup-%s"), (fd2 = dup(fd)) >= 0);
        CHECK(NAMED("read-dup-%s"), read(fd2, b, 16) == 16);
        CHECK(NAMED("close-%s"), close(fd2) == 0);
        CHECK(NAMED("dup2-%s"), dup2(fd, 200) == 200);
        CHECK(NAMED("read-dup2-%s"), read(200, b, 16) == 16);
        CHECK(NAMED("dup3-%s"), dup3(fd, 201, O_CLOEXEC) == 201);
        CHECK(NAMED("fcntl-F_DUPFD-%s"), fcntl(fd, F_DUPFD, 210) >= 210);
        CHECK(NAMED("fcntl-F_DUPFD_CLOEXEC-%s"), fcntl(fd, F_DUPFD_CLOEXEC, 220) >= 220);
        CHECK(NAMED("fcntl-F_GETFL-%s"), fcntl(fd, F_GETFL) >= 0);
        CHECK(NAMED("fcntl64-F_GETFD-%s"), fcntl64(fd, F_GETFD) >= 0);
#ifdef HAVE_CLOSE_RANGE /* glibc 2.34+ */
        CHECK(NAMED("close_range-%s"), close_range(200, 201, 0) == 0);
#endif
#ifdef HAVE_CLOSEFROM
        CHECK(NAMED("closefrom-%s"), (closefrom(210), true));
#endif
        CHECK(NAMED("close-%s"), close(fd) == 0);
        CHECK(NAMED("open64-%s"), (fd = open64(path, flags)) >= 0);
        close(fd);
        CHECK(NAMED("openat-%s"), (fd = openat(AT_FDCWD, path, flags)) >= 0);
        close(fd);
        CHECK(NAMED("openat64-%s"), (fd = openat64(AT_FDCWD, path, flags)) >= 0);
        close(fd);
        CHECK(NAMED("__open_2-%s"), (fd = __open_2(path, flags)) >= 0);
        close(fd);
        CHECK(NAMED("__open64_2-%s"), (fd = __open64_2(path, flags)) >= 0);
        close(fd);
        CHECK(NAMED("__openat_2-%s"), (fd = __openat_2(AT_FDCWD, path, flags)) >= 0);
        close(fd);
        CHECK(NAMED("__openat64_2-%s"), (fd = __openat64_2(AT_FDCWD, path, flags)) >= 0);
        close(fd);

        FILE *f;
        CHECK(NAMED("fopen-%s"), (f = fopen(path, "re")) != NULL);
        CHECK(NAMED("fread-%s"), fread(b, 1, 16, f) == 16);
        fclose(f);
        CHECK(NAMED("fopen64-%s"), (f = fopen64(path, "re")) != NULL);
        CHECK(NAMED("fread_unlocked-%s"), fread_unlocked(b, 1, 16, f) == 16);
        fclose(f);
        f = setup_fopen(path);
        CHECK(NAMED("__fread_chk-%s"), __fread_chk(b, sizeof b, 1, 16, f) == 16);
        fclose(f);
        f = setup_fopen(path);
        CHECK(NAMED("fgetc-%s"), fgetc(f) != EOF);
        fclose(f);
        f = setup_fopen(path);
        CHECK(NAMED("getc-%s"), getc(f) != EOF);
        fclose(f);
        fd = setup_open(path);
        CHECK(NAMED("close-after-setup-%s"), close(fd) == 0);
#undef NAMED
    }
    CHECK("open-O_CREAT", (fd = open(created, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) >= 0);
    close(fd);
    CHECK("openat-O_CREAT", (fd = openat(AT_FDCWD, created, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0);
    close(fd);
    printf("errno failures=%d\n", errno_failures);
    return errno_failures == 0 ? 0 : 1;
}
#undef CHECK

/* ---------------------------------------------------------------------------------------------
 * Log storm */

struct storm {
    int events;
    int failed;
};

static void *storm_main(void *p)
{
    struct storm *s = p;
    unsigned char b[16];
    for (int i = 0; i < s->events; i++)
        if (getrandom(b, sizeof b, GRND_NONBLOCK) != (ssize_t)sizeof b)
            s->failed++;
    return NULL;
}

static int do_logstorm(int threads, int events)
{
    pthread_t ids[64];
    struct storm ss[64];
    if (threads > 64)
        threads = 64;
    for (int i = 0; i < threads; i++) {
        ss[i].events = events;
        ss[i].failed = 0;
        pthread_create(&ids[i], NULL, storm_main, &ss[i]);
    }
    int failed = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(ids[i], NULL);
        failed += ss[i].failed;
    }
    printf("logstorm pid=%d threads=%d events=%d failed=%d\n", (int)getpid(), threads, events, failed);
    return failed == 0 ? 0 : 1;
}

/* closerace THREADS CYCLES DIR: THREADS threads ask for entropy without pause (each request
 * logged) while the main thread, CYCLES times, closes every descriptor above 2 with closefrom
 * (the log's among them) and at once opens a file of its own, which takes the log's old number,
 * then checks that nothing was written into it. */
static volatile int race_stop;

static void *race_logger(void *p)
{
    long *count = p;
    unsigned char b[16];
    while (!race_stop) {
        if (getrandom(b, sizeof b, GRND_NONBLOCK) < 0 && errno != EAGAIN)
            break;
        __atomic_fetch_add(count, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static long requests_so_far(const long *counts, int threads)
{
    long total = 0;
    for (int i = 0; i < threads; i++)
        total += __atomic_load_n(&counts[i], __ATOMIC_RELAXED);
    return total;
}

static int do_closerace(int threads, int cycles, int need_reused, const char *dir)
{
    pthread_t ids[16];
    long counts[16] = { 0 };
    if (threads > 16)
        threads = 16;
    for (int i = 0; i < threads; i++)
        pthread_create(&ids[i], NULL, race_logger, &counts[i]);
    char path[4096];
    snprintf(path, sizeof path, "%s/closerace-own", dir);
    int polluted = 0, reused = 0;
    long polluted_bytes = 0;
    char first[256] = "";
    /* The race needs the program's open to take the log's number while the loggers are busy,
     * which a loaded machine makes rarer: it runs until that happened need_reused times and the
     * loggers made as many requests as there are cycles, within a bound. */
    int c = 0;
    double give_up = now_ms() + 60000;
    for (; c < cycles || ((reused < need_reused || requests_so_far(counts, threads) <= cycles) && now_ms() < give_up);
         c++) {
#ifdef HAVE_CLOSEFROM
        closefrom(3);
#else
        /* glibc < 2.34: as a program there closes them, one at a time */
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
#endif
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
            return 2;
        reused += fd == 3;
        /* let the loggers run against the reused number for a moment */
        for (volatile int spin = 0; spin < 2000; spin++)
            continue;
        struct stat st;
        fstat(fd, &st);
        if (st.st_size > 0) {
            struct stat byname;
            stat(path, &byname);
            fprintf(stderr, "closerace: cycle %d fd %d size %lld inode %llu, the file by name: inode %llu\n", c, fd,
                    (long long)st.st_size, (unsigned long long)st.st_ino, (unsigned long long)byname.st_ino);
            if (polluted == 0) {
                ssize_t got = pread(fd, first, sizeof first - 1, 0);
                first[got > 0 ? got : 0] = '\0';
            }
            polluted++;
            polluted_bytes += st.st_size;
        }
        close(fd);
        if (polluted >= 3) /* proven; spare the disk */
            break;
    }
    race_stop = 1;
    long total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(ids[i], NULL);
        total += counts[i];
    }
    printf("closerace cycles=%d reused=%d requests=%ld polluted=%d polluted_bytes=%ld\n", c, reused, total,
           polluted, polluted_bytes);
    if (polluted)
        printf("first pollution: %.200s\n", first);
    return polluted == 0 ? 0 : 1;
}

/* ---------------------------------------------------------------------------------------------
 * Secure execution: what the program sees. Never waits more than 2 s. */

static int do_secure(void)
{
    bool mapped = false;
    FILE *maps = fopen("/proc/self/maps", "re");
    char line[1024];
    while (maps && fgets(line, sizeof line, maps))
        if (strstr(line, "libearlyrandom"))
            mapped = true;
    if (maps)
        fclose(maps);
    alarm(2);
    unsigned char b[16];
    double t0 = now_ms();
    errno = 0;
    ssize_t r = getrandom(b, sizeof b, 0);
    int e = errno;
    printf("secure at_secure=%lu ruid=%d euid=%d rgid=%d egid=%d library=%s getrandom=%s%s ms=%.1f\n",
           getauxval(AT_SECURE), (int)getuid(), (int)geteuid(), (int)getgid(), (int)getegid(),
           mapped ? "loaded" : "absent", r == 16 ? "ok" : "err:", r == 16 ? "" : er_test_errname(e),
           now_ms() - t0);
    return 0;
}

/* timedwait MS: getrandom(16, 0) that an alarm ends (the default action kills) after MS ms. */
static int do_timedwait(int ms)
{
    struct itimerval it = { { 0, 0 }, { ms / 1000, (ms % 1000) * 1000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    unsigned char b[16];
    ssize_t r = getrandom(b, sizeof b, 0);
    printf("timedwait ret=%zd ms=%.1f\n", r, now_ms() - start_ms);
    return r == 16 ? 0 : 1;
}

/* n threads that wait in getrandom, each seen asleep in the wait before this returns. */
static bool start_waiters(pthread_t *ids, struct waiter *w, int n)
{
    memset(w, 0, sizeof *w * (size_t)n);
    for (int i = 0; i < n; i++)
        pthread_create(&ids[i], NULL, waiter_main, &w[i]);
    for (int i = 0; i < n; i++)
        if (!until_waiting(&w[i]))
            return false;
    return true;
}

/* The numbers above 2 now open, without stdio (the listing's own is left out). */
static int open_numbers_above_stdio(int *out, int cap)
{
    struct fd_entry e[64];
    int n = list_fds(e, 64), k = 0;
    for (int i = 0; i < n && k < cap; i++)
        if (e[i].fd > 2)
            out[k++] = e[i].fd;
    return k;
}

static int do_waitclose(const char *how)
{
    enum { WAITERS = 2, PIPES = 4 };
    pthread_t ids[WAITERS];
    struct waiter w[WAITERS];
    if (!start_waiters(ids, w, WAITERS)) {
        printf("waitclose: a waiter returned before it was seen waiting\n");
        return 1;
    }
    int numbers[64];
    int n = open_numbers_above_stdio(numbers, 64);
    int devnull = -1;
    if (strcmp(how, "loop") == 0) {
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
#ifdef HAVE_CLOSE_RANGE /* glibc 2.34+, as closefrom: the modes are unknown where it lacks them */
    } else if (strcmp(how, "close_range") == 0) {
        close_range(3, ~0U, 0);
#endif
#ifdef HAVE_CLOSEFROM
    } else if (strcmp(how, "closefrom") == 0) {
        closefrom(3);
#endif
    } else if (strcmp(how, "raw") == 0) {
        raw_close_range(3, ~0U);
    } else if (strcmp(how, "dup2") == 0) {
        devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        for (int i = 0; i < n; i++)
            if (numbers[i] != devnull)
                dup2(devnull, numbers[i]);
    } else {
        fprintf(stderr, "hard-helper: waitclose loop|close_range|closefrom|raw|dup2 (this C library: %s)\n", how);
        return 2;
    }
    int pipes[PIPES][2];
    char marker[PIPES][32];
    for (int i = 0; i < PIPES; i++) {
        if (pipe2(pipes[i], O_CLOEXEC | O_NONBLOCK) != 0)
            return 1;
        snprintf(marker[i], sizeof marker[i], "the program's pipe %d", i);
        (void)!write(pipes[i][1], marker[i], strlen(marker[i]));
    }
    printf("waitclose closed: %d numbers were open, pipes on %d..%d\n", n, pipes[0][0], pipes[PIPES - 1][1]);
    fflush(stdout);
    alarm(20); /* a waiter that never returned */
    int returned = 0;
    for (int i = 0; i < WAITERS; i++) {
        pthread_join(ids[i], NULL);
        returned += w[i].ret == 16;
    }
    int intact = 0;
    for (int i = 0; i < PIPES; i++) {
        char got[64] = "";
        ssize_t len = fcntl(pipes[i][1], F_GETFD) >= 0 ? read(pipes[i][0], got, sizeof got - 1) : -1;
        intact += len == (ssize_t)strlen(marker[i]) && memcmp(got, marker[i], (size_t)len) == 0;
    }
    int dup2_kept = 0;
    for (int i = 0; devnull >= 0 && i < n; i++) {
        struct stat st;
        dup2_kept += fstat(numbers[i], &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
    }
    printf("waitclose returned=%d of=%d intact=%d of=%d", returned, WAITERS, intact, PIPES);
    if (devnull >= 0)
        printf(" devnull_kept=%d of=%d", dup2_kept, n);
    printf("\n");
    return 0;
}

static int do_forkwait(void)
{
    int before[64];
    int n_before = open_numbers_above_stdio(before, 64);
    pthread_t id;
    struct waiter w;
    if (!start_waiters(&id, &w, 1)) {
        printf("forkwait: the waiter returned before it was seen waiting\n");
        return 1;
    }
    pid_t child = fork();
    if (child == 0) {
        int after[64];
        int n_after = open_numbers_above_stdio(after, 64);
        printf("forkwait child: %d descriptors above 2, %d before the wait\n", n_after, n_before);
        fflush(stdout);
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    alarm(20);
    pthread_join(id, NULL);
    printf("forkwait parent: getrandom %zd\n", w.ret);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

static int do_refused(const char *errno_name, const char *which, const char *api)
{
    int refusal = strcmp(errno_name, "EPERM") == 0    ? EPERM
                  : strcmp(errno_name, "ENOSYS") == 0 ? ENOSYS
                  : strcmp(errno_name, "EINVAL") == 0 ? EINVAL
                                                      : 0;
    bool only_insecure = strcmp(which, "insecure") == 0;
    if (refusal == 0 || (!only_insecure && strcmp(which, "all") != 0)) {
        fprintf(stderr, "hard-helper: refused EPERM|ENOSYS|EINVAL all|insecure API\n");
        return 2;
    }
    const unsigned refuse = SECCOMP_RET_ERRNO | (unsigned)refusal;
    struct sock_filter refuse_insecure[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getrandom, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])), /* flags' low word */
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, GRND_INSECURE, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, refuse),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_filter refuse_all[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getrandom, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, refuse),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { .len = only_insecure ? sizeof refuse_insecure / sizeof refuse_insecure[0]
                                                    : sizeof refuse_all / sizeof refuse_all[0],
                               .filter = only_insecure ? refuse_insecure : refuse_all };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
        printf("refused: no seccomp filter: %s\n", strerror(errno));
        return 1;
    }
    unsigned char b[16];
    long r = -1;
    errno = 4242;
    if (strcmp(api, "getrandom") == 0)
        r = getrandom(b, sizeof b, 0) == (ssize_t)sizeof b ? 0 : -1;
    else if (strcmp(api, "getentropy") == 0)
        r = getentropy(b, sizeof b);
#ifdef HAVE_ARC4RANDOM_BUF
    else if (strcmp(api, "arc4random_buf") == 0)
        arc4random_buf(b, sizeof b), r = 0;
#else
    else if (strcmp(api, "arc4random_buf") == 0) {
        printf("refused api=%s unavailable\n", api);
        return 0;
    }
#endif
    int e = errno;
    if (r == 0)
        printf("refused api=%s: ok, errno %d\n", api, e);
    else
        printf("refused api=%s: err:%s\n", api, er_test_errname(e));
    return 0;
}

int main(int argc, char **argv)
{
    start_ms = now_ms();
    /* With an explicit epoch instant, times are reported from it: the moment the settings count
     * from, whatever the program's own start-up took (a sanitizer's takes tens of ms). */
    const char *epoch = getenv("EARLYRANDOM_EPOCH");
    if (epoch && epoch[0] >= '0' && epoch[0] <= '9' && strcmp(argv[argc > 1 ? 1 : 0], "initrace") != 0)
        start_ms -= (double)(boot_ns() - strtoll(epoch, NULL, 10)) / 1e6;
    if (argc < 2) {
        fprintf(stderr, "usage: hard-helper ACTION [ARG...]\n");
        return 2;
    }
    const char *a = argv[1];
    if (strcmp(a, "fds") == 0 && argc == 4)
        return do_fds(argv[2], argv[3], argv[0]);
    if (strcmp(a, "listfds") == 0 && argc == 3)
        return do_listfds(atoi(argv[2]));
    if (strcmp(a, "initrace") == 0 && argc == 3)
        return do_initrace(atoi(argv[2]));
    if (strcmp(a, "initrace-driver") == 0 && argc == 6)
        return do_initrace_driver(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atol(argv[5]), argv[0]);
    if (strcmp(a, "spawnwait") == 0 && argc == 3)
        return do_spawnwait(argv[2]);
    if (strcmp(a, "cancel") == 0 && argc == 4)
        return do_cancel(argv[2], atoi(argv[3]));
    if (strcmp(a, "cancelpoint") == 0 && argc == 3)
        return do_cancelpoint(argv[2]);
    if (strcmp(a, "errno") == 0 && (argc == 3 || argc == 4))
        return do_errno(argv[2], argc == 4 && strcmp(argv[3], "before-init") == 0);
    if (strcmp(a, "logstorm") == 0 && argc == 4)
        return do_logstorm(atoi(argv[2]), atoi(argv[3]));
    if (strcmp(a, "closerace") == 0 && argc == 6)
        return do_closerace(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), argv[5]);
    if (strcmp(a, "secure") == 0)
        return do_secure();
    if (strcmp(a, "timedwait") == 0 && argc == 3)
        return do_timedwait(atoi(argv[2]));
    if (strcmp(a, "waitclose") == 0 && argc == 3)
        return do_waitclose(argv[2]);
    if (strcmp(a, "forkwait") == 0 && argc == 2)
        return do_forkwait();
    if (strcmp(a, "refused") == 0 && argc == 5)
        return do_refused(argv[2], argv[3], argv[4]);
    fprintf(stderr, "hard-helper: unknown action or arguments: %s\n", a);
    return 2;
}
