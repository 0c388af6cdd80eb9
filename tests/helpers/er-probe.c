/* er-probe: asks for entropy through one entry point and prints what it got, for the integration
 * tests to run under the preload. Built twice, plain and with _FORTIFY_SOURCE=2, so that the
 * fortified variants (__open_2, __read_chk, __fread_chk) are exercised too.
 *
 * Usage: er-probe ACTION [ARG...], or er-probe seq ACTION [ARG...] , ACTION...; every result is
 * one line on stdout:
 *   ok <api> ret=<n> bytes=<hex> ms=<elapsed> cpu=<ms> exec_ms=<ms> boot_ms=<ms>
 *   err <api> errno=<NAME> ms=<elapsed> cpu=<ms> exec_ms=<ms> boot_ms=<ms>
 * (close-while-logging prints its own line, described above its function.)
 * ms counts from main(); exec_ms from the exec of the process (before the library was loaded,
 * so never later than the moment its settings count from); boot_ms is CLOCK_BOOTTIME, the clock
 * of the test's own events (a ready file created, a signal sent).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testspawn.h"
#include "../common/errname.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double start;
static double start_cpu;
static double exec_boot_ms; /* CLOCK_BOOTTIME of the exec, to the clock tick, rounded down */

/* The process's start from /proc/self/stat (field 22, in clock ticks since boot). */
static double exec_moment_ms(void)
{
    char text[1024];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (got <= 0)
        return -1;
    text[got] = '\0';
    const char *p = strrchr(text, ')');
    for (int field_no = 2; p && field_no < 22; field_no++)
        p = strchr(p + 1, ' ');
    return p ? strtod(p + 1, NULL) * 1000.0 / (double)sysconf(_SC_CLK_TCK) : -1;
}

/* exec_ms= and boot_ms= of a result line */
static void print_moments(void)
{
    double boot = spawn_boottime_ms();
    printf(" exec_ms=%.1f boot_ms=%.1f", boot - exec_boot_ms, boot);
}

/* Blocks until thread tid sleeps in read(2): in the library's wait. */
static void until_waiting(pid_t tid)
{
    while (!thread_sleeps_in_wait(getpid(), tid))
        usleep(500);
}

/* CPU time of this process (all threads), so that the cost of a wait can be told apart from the
 * cost of starting the program, which sanitizers make large. */
static double cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 + ru.ru_stime.tv_sec * 1e3 +
           ru.ru_stime.tv_usec / 1e3;
}

static void report(const char *api, long long ret, int err, const unsigned char *buf, size_t n)
{
    double ms = now_ms() - start;
    double cpu = cpu_ms() - start_cpu;
    if (ret < 0) {
        printf("err %s errno=%s ms=%.1f cpu=%.1f", api, er_test_errname(err), ms, cpu);
    } else {
        printf("ok %s ret=%lld bytes=", api, ret);
        for (size_t i = 0; i < n; i++)
            printf("%02x", buf[i]);
        printf(" ms=%.1f cpu=%.1f", ms, cpu);
    }
    print_moments();
    printf("\n");
    fflush(stdout);
}

static unsigned int parse_flags(const char *s)
{
    unsigned int f = 0;
    if (strstr(s, "NONBLOCK"))
        f |= GRND_NONBLOCK;
    if (strstr(s, "RANDOM"))
        f |= GRND_RANDOM;
    if (strstr(s, "INSECURE"))
        f |= GRND_INSECURE;
    if (strstr(s, "BOGUS"))
        f |= 0x40;
    return f;
}

/* A path the compiler cannot see through, so that fortified builds call __open_2. */
static int open_flags(const char *mode)
{
    return O_RDONLY | O_CLOEXEC | (strcmp(mode, "nonblock") == 0 ? O_NONBLOCK : 0);
}

/* oddread PATH HOW: a read of PATH the kernel answers without looking at its pool (an error, or
 * bytes a stream already holds); prints "oddread HOW ret=R errno=NAME ferror=F". */
static int do_odd_read(const char *path, const char *how)
{
    unsigned char b[16];
    long long r = -1;
    int ferr = 0;
    errno = 0;
    if (strcmp(how, "wronly") == 0 || strcmp(how, "opath") == 0) {
        int fd = open(path, (how[0] == 'w' ? O_WRONLY : O_PATH) | O_CLOEXEC);
        r = read(fd, b, sizeof b);
    } else if (strcmp(how, "pread-negative") == 0) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        r = pread(fd, b, sizeof b, -1);
    } else if (strcmp(how, "readv-badvec") == 0 || strcmp(how, "readv-hugelen") == 0) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct iovec huge = { b, (size_t)SSIZE_MAX + 1 };
        /* an address no program maps: the kernel answers EFAULT */
        const struct iovec *v = how[6] == 'b' ? (const struct iovec *)16 : &huge;
        r = readv(fd, v, 1);
    } else if (strcmp(how, "fread-zero") == 0 || strcmp(how, "fgetc-pushback") == 0) {
        FILE *f = fopen(path, "re");
        if (how[1] == 'r') {
            r = (long long)fread(b, 1, 0, f);
        } else {
            ungetc('x', f);
            r = fgetc(f);
        }
        ferr = ferror(f);
    } else {
        fprintf(stderr, "er-probe: unknown odd read %s\n", how);
        return 2;
    }
    printf("oddread %s ret=%lld errno=%s ferror=%d\n", how, r, r < 0 ? er_test_errname(errno) : "-", ferr);
    return 0;
}

static int do_one(const char *action, char **args, int nargs)
{
    static unsigned char buf[65536];
    size_t n = nargs > 0 ? (size_t)strtoul(args[0], NULL, 0) : 16;
    if (n > sizeof buf)
        n = sizeof buf;
    errno = 0;

    if (strcmp(action, "getrandom") == 0) {
        ssize_t r = getrandom(buf, n, nargs > 1 ? parse_flags(args[1]) : 0);
        report("getrandom", r, errno, buf, r > 0 && r <= 64 ? (size_t)r : 0);
    } else if (strcmp(action, "renamed-child") == 0 && nargs > 0) {
        /* renamed-child NAME: a forked child renames itself, as udevd's workers do, then asks */
        pid_t pid = fork();
        if (pid == 0) {
            prctl(PR_SET_NAME, args[0]);
            _exit(getrandom(buf, 16, 0) == 16 ? 0 : 1);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        report("renamed-child", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1, 0, buf, 0);
    } else if (strcmp(action, "syscall") == 0) {
        long r = syscall(SYS_getrandom, buf, n, nargs > 1 ? parse_flags(args[1]) : 0);
        report("syscall", r, errno, buf, r > 0 ? (size_t)r : 0);
    } else if (strcmp(action, "syscall-getpid") == 0) {
        long r = syscall(SYS_getpid);
        report("syscall-getpid", r == getpid() ? 0 : -1, EINVAL, buf, 0);
    } else if (strcmp(action, "getentropy") == 0) {
        int r = getentropy(buf, n);
        report("getentropy", r, errno, buf, r == 0 ? n : 0);
    } else if (strcmp(action, "getentropy-big") == 0) {
        static unsigned char big[300];
        int r = getentropy(big, sizeof big);
        report("getentropy", r, errno, big, 0);
#ifdef HAVE_ARC4RANDOM
    } else if (strcmp(action, "arc4random") == 0) {
        uint32_t v = arc4random();
        report("arc4random", 0, 0, (unsigned char *)&v, sizeof v);
    } else if (strcmp(action, "arc4random_buf") == 0) {
        arc4random_buf(buf, n);
        report("arc4random_buf", 0, 0, buf, n);
    } else if (strcmp(action, "arc4random_uniform") == 0) {
        uint32_t v = arc4random_uniform(1000);
        report("arc4random_uniform", v < 1000 ? 0 : -1, ERANGE, (unsigned char *)&v, sizeof v);
#endif /* glibc has arc4random from 2.36 on: the actions are unknown where it does not */
    } else if (strncmp(action, "dev-", 4) == 0) {
        /* dev-<how> PATH N [nonblock]: open PATH and read N bytes through <how> */
        const char *how = action + 4;
        const char *path = nargs > 0 ? args[0] : "/dev/urandom";
        n = nargs > 1 ? (size_t)strtoul(args[1], NULL, 0) : 16;
        if (n > sizeof buf)
            n = sizeof buf;
        /* Hidden from the optimizer, so that fortified builds cannot prove the length safe and
         * call __read_chk and __fread_chk as they do in real programs. */
        volatile size_t opaque = n;
        n = opaque;
        const char *mode = nargs > 2 ? args[2] : "";
        if (strcmp(how, "fread") == 0 || strcmp(how, "fgetc") == 0) {
            FILE *f = fopen(path, "re");
            if (!f) {
                report("fopen", -1, errno, buf, 0);
                return 1;
            }
            if (strcmp(how, "fread") == 0) {
                size_t r = fread(buf, 1, n, f);
                report("fread", r == n ? (long long)r : -1, ferror(f) ? errno : EIO, buf, r);
            } else {
                int c = fgetc(f);
                buf[0] = (unsigned char)c;
                report("fgetc", c == EOF ? -1 : 1, errno, buf, c == EOF ? 0 : 1);
            }
            fclose(f);
            return 0;
        }
        int fd = strcmp(how, "openat") == 0 ? openat(AT_FDCWD, path, open_flags(mode))
                                             : open(path, open_flags(mode));
        if (fd < 0) {
            report("open", -1, errno, buf, 0);
            return 1;
        }
        ssize_t r;
        if (strcmp(how, "read") == 0 || strcmp(how, "openat") == 0) {
            r = read(fd, buf, n);
        } else if (strcmp(how, "readv") == 0) {
            struct iovec iov[2] = { { buf, n / 2 }, { buf + n / 2, n - n / 2 } };
            r = readv(fd, iov, 2);
        } else if (strcmp(how, "pread") == 0) {
            r = pread(fd, buf, n, 0);
        } else if (strcmp(how, "dup2") == 0) {
            /* what coreutils dd does with if=: read through a duplicated descriptor */
            int copy = dup2(fd, 100);
            r = read(copy, buf, n);
            close(copy);
        } else if (strcmp(how, "poll") == 0) {
            /* dev-poll PATH TIMEOUT_MS: is the device readable within the timeout? */
            struct pollfd p = { fd, POLLIN, 0 };
            int ready = poll(&p, 1, nargs > 1 ? atoi(args[1]) : 0);
            printf("poll ret=%d revents=%s%s ms=%.1f", ready, p.revents & POLLIN ? "IN" : "",
                   p.revents & POLLOUT ? "OUT" : "", now_ms() - start);
            print_moments();
            printf("\n");
            close(fd);
            return 0;
        } else if (strcmp(how, "fcntl") == 0) {
            int copy = fcntl(fd, F_DUPFD_CLOEXEC, 50);
            r = read(copy, buf, n);
            close(copy);
        } else {
            fprintf(stderr, "er-probe: unknown device reader %s\n", how);
            return 2;
        }
        report(how, r, errno, buf, r > 0 ? (size_t)r : 0);
        close(fd);
    } else if (strcmp(action, "oddread") == 0 && nargs == 2) {
        return do_odd_read(args[0], args[1]);
    } else if (strcmp(action, "reused-stdin") == 0 && nargs == 1) {
        /* fd 0 is read first (and so known as no device), then reopened on PATH by freopen */
        (void)!read(0, buf, 0);
        if (freopen(args[0], "r", stdin) == NULL) {
            report("freopen", -1, errno, buf, 0);
            return 1;
        }
        errno = 0;
        size_t r = fread(buf, 1, 16, stdin);
        report("fread", r == 16 ? 16 : -1, ferror(stdin) ? errno : EIO, buf, r);
    } else if (strcmp(action, "reused-fclose") == 0 && nargs == 1) {
        /* a stream's descriptor (known as no device), closed by fclose, its number taken by PATH
         * opened through a bare system call no hook sees */
        FILE *f = fopen("/proc/self/exe", "re");
        int old_fd = f ? fileno(f) : -1;
        if (f == NULL || fread(buf, 1, 1, f) != 1) {
            report("fopen", -1, errno, buf, 0);
            return 1;
        }
        fclose(f);
        int fd = (int)syscall(SYS_openat, AT_FDCWD, args[0], O_RDONLY | O_CLOEXEC);
        if (fd != old_fd) {
            fprintf(stderr, "er-probe: the device got descriptor %d, not the stream's %d\n", fd, old_fd);
            return 1;
        }
        ssize_t r = read(fd, buf, 16);
        report("read", r, errno, buf, r > 0 ? (size_t)r : 0);
        close(fd);
    } else {
        fprintf(stderr, "er-probe: unknown action %s\n", action);
        return 2;
    }
    return 0;
}

/* seq ACTION [ARG...] [, ACTION [ARG...]]...: the actions one after the other in this process
 * (a kernel's state carries from one request to the next); "sleep MS" just waits. */
static int do_seq(char **args, int nargs)
{
    int status = 0;
    for (int i = 0; i < nargs;) {
        int end = i;
        while (end < nargs && strcmp(args[end], ",") != 0)
            end++;
        if (end > i && strcmp(args[i], "sleep") == 0)
            usleep((useconds_t)(end > i + 1 ? atoi(args[i + 1]) : 0) * 1000);
        else if (end > i)
            status |= do_one(args[i], args + i + 1, end - i - 1);
        fflush(stdout);
        i = end + 1;
    }
    return status;
}

static void on_signal(int sig) { (void)sig; }

/* The thread a signal is for, and how long after it starts waiting. */
struct signal_plan {
    pthread_t target;
    pid_t target_tid;
    int sig;
    int delay_ms;
};

static void *send_when_waiting(void *p)
{
    struct signal_plan *plan = p;
    until_waiting(plan->target_tid);
    usleep((useconds_t)plan->delay_ms * 1000);
    double sent = now_ms() - start;
    pthread_kill(plan->target, plan->sig);
    /* the marker a test waits for before it lets the pool initialize */
    printf("signal sent ms=%.1f", sent);
    print_moments();
    printf("\n");
    fflush(stdout);
    return NULL;
}

/* Starts a thread that sends sig to the calling thread delay_ms after it starts waiting. */
static pthread_t signal_me_when_waiting(struct signal_plan *plan, int sig, int delay_ms)
{
    plan->target = pthread_self();
    plan->target_tid = gettid();
    plan->sig = sig;
    plan->delay_ms = delay_ms;
    pthread_t sender;
    pthread_create(&sender, NULL, send_when_waiting, plan);
    return sender;
}

/* signal restart|eintr DELAY_MS ACTION...: a handler (with or without SA_RESTART) runs in the
 * calling thread DELAY_MS after it starts waiting; "signal sent" is printed when it was sent. */
static int do_signal(char **argv, int argc)
{
    if (argc < 3)
        return 2;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = strcmp(argv[0], "restart") == 0 ? SA_RESTART : 0;
    sigaction(SIGALRM, &sa, NULL);
    struct signal_plan plan;
    pthread_t sender = signal_me_when_waiting(&plan, SIGALRM, (int)strtol(argv[1], NULL, 10));
    int rc = do_one(argv[2], argv + 3, argc - 3);
    pthread_join(sender, NULL);
    return rc;
}

struct thread_arg {
    double ms, exec_ms, boot_ms;
    ssize_t ret;
    int err;
    pid_t tid;
};

/* What the whole process had used when the first waiter returned: the cost of the wait itself,
 * apart from the wake-ups and thread exits that follow it (large under ASan). */
static struct rusage first_return_usage;
static double first_return_ms;
static int first_returned;

static void *thread_main(void *p)
{
    struct thread_arg *a = p;
    unsigned char b[16];
    __atomic_store_n(&a->tid, gettid(), __ATOMIC_RELEASE);
    a->ret = getrandom(b, sizeof b, 0);
    a->err = errno;
    if (__atomic_exchange_n(&first_returned, 1, __ATOMIC_ACQ_REL) == 0) {
        getrusage(RUSAGE_SELF, &first_return_usage);
        first_return_ms = now_ms();
    }
    a->ms = now_ms() - start;
    a->boot_ms = spawn_boottime_ms();
    a->exec_ms = a->boot_ms - exec_boot_ms;
    return NULL;
}

static pthread_t start_waiter(struct thread_arg *a)
{
    pthread_t id;
    memset(a, 0, sizeof *a);
    pthread_create(&id, NULL, thread_main, a);
    return id;
}

/* Blocks until the waiter sleeps in the library's wait; false if it returned first. */
static bool until_thread_waits(struct thread_arg *a, pthread_t id)
{
    pid_t tid;
    while ((tid = __atomic_load_n(&a->tid, __ATOMIC_ACQUIRE)) == 0)
        usleep(200);
    while (!thread_sleeps_in_wait(getpid(), tid)) {
        if (pthread_tryjoin_np(id, NULL) == 0)
            return false;
        usleep(500);
    }
    return true;
}

static double usage_cpu_ms(const struct rusage *ru)
{
    return ru->ru_utime.tv_sec * 1e3 + ru->ru_utime.tv_usec / 1e3 + ru->ru_stime.tv_sec * 1e3 +
           ru->ru_stime.tv_usec / 1e3;
}

/* threads N [mark]: N threads wait in getrandom at once; prints the earliest and latest return.
 * With mark, "threads waiting" is printed once all of them sleep in the wait, and a second line
 * tells what the process spent from then until the first of them returned: wall time, CPU and
 * voluntary context switches (each sleep of each thread is one, so they count the wake-ups). */
static int do_threads(int count, bool mark)
{
    pthread_t *ids = calloc((size_t)count, sizeof *ids);
    struct thread_arg *args = calloc((size_t)count, sizeof *args);
    for (int i = 0; i < count; i++)
        ids[i] = start_waiter(&args[i]);
    /* a thread that returned before waiting is joined already, and must not be joined twice */
    bool *joined = calloc((size_t)count, sizeof *joined);
    if (mark) {
        for (int i = 0; i < count; i++)
            joined[i] = !until_thread_waits(&args[i], ids[i]);
        printf("threads waiting\n");
        fflush(stdout);
    }
    /* From here on: the threads' waits and wake-ups, not their creation (costly under ASan). */
    struct rusage at_mark;
    getrusage(RUSAGE_SELF, &at_mark);
    double mark_ms = now_ms();
    double cpu_created = usage_cpu_ms(&at_mark);
    double min = 1e18, max = 0, min_exec = 1e18, max_exec = 0, min_boot = 1e18, max_boot = 0;
    int ok = 0;
    for (int i = 0; i < count; i++) {
        if (!joined[i])
            pthread_join(ids[i], NULL);
        ok += args[i].ret == 16;
        min = args[i].ms < min ? args[i].ms : min;
        max = args[i].ms > max ? args[i].ms : max;
        min_exec = args[i].exec_ms < min_exec ? args[i].exec_ms : min_exec;
        max_exec = args[i].exec_ms > max_exec ? args[i].exec_ms : max_exec;
        min_boot = args[i].boot_ms < min_boot ? args[i].boot_ms : min_boot;
        max_boot = args[i].boot_ms > max_boot ? args[i].boot_ms : max_boot;
    }
    printf("threads ok=%d of=%d min_ms=%.1f max_ms=%.1f cpu=%.1f min_exec_ms=%.1f max_exec_ms=%.1f "
           "min_boot_ms=%.1f max_boot_ms=%.1f\n",
           ok, count, min, max, cpu_ms() - cpu_created, min_exec, max_exec, min_boot, max_boot);
    if (mark)
        printf("threads asleep wait_ms=%.1f wait_cpu=%.1f wait_switches=%ld\n", first_return_ms - mark_ms,
               usage_cpu_ms(&first_return_usage) - cpu_created,
               first_return_usage.ru_nvcsw - at_mark.ru_nvcsw);
    free(ids);
    free(args);
    free(joined);
    return ok == count ? 0 : 1;
}

/* The first waiter of "handover N longjmp": its signal handler leaves the wait with siglongjmp,
 * as a program that times out a blocking call with alarm() does, and it never waits again. */
static sigjmp_buf first_waiter_jump;

static void jump_out(int sig)
{
    (void)sig;
    siglongjmp(first_waiter_jump, 1);
}

static void *first_waiter_main(void *p)
{
    struct thread_arg *a = p;
    if (sigsetjmp(first_waiter_jump, 1) != 0) {
        a->ret = -1;
        a->err = EINTR;
        return NULL;
    }
    return thread_main(a);
}

/* timeouts N [thread]: N requests, each cut short after 20 ms by a SIGALRM whose handler leaves
 * the wait with siglongjmp (a pool that never initializes), in this thread or in a thread of its
 * own that then exits; prints how many timed out and how many descriptors above 2 the process
 * holds then. */
static sigjmp_buf timeout_jump;

static void time_out(int sig)
{
    (void)sig;
    siglongjmp(timeout_jump, 1);
}

static int count_descriptors_above_stdio(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.' && atoi(e->d_name) > 2 && atoi(e->d_name) != dirfd(d);
    closedir(d);
    return n;
}

struct timeouts {
    int n, timed_out;
};

static void *time_out_requests(void *p)
{
    struct timeouts *t = p;
    sigset_t alarm_only;
    sigemptyset(&alarm_only);
    sigaddset(&alarm_only, SIGALRM);
    pthread_sigmask(SIG_UNBLOCK, &alarm_only, NULL);
    volatile int timed_out = 0;
    for (volatile int i = 0; i < t->n; i++) {
        if (sigsetjmp(timeout_jump, 1) != 0) {
            timed_out++;
            continue;
        }
        struct itimerval in_20ms = { { 0, 0 }, { 0, 20000 } };
        setitimer(ITIMER_REAL, &in_20ms, NULL);
        unsigned char b[16];
        (void)!getrandom(b, sizeof b, 0);
    }
    t->timed_out = timed_out;
    return NULL;
}

static int do_timeouts(int n, bool in_thread)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = time_out;
    sigaction(SIGALRM, &sa, NULL);
    int before = count_descriptors_above_stdio();
    struct timeouts t = { n, 0 };
    if (in_thread) {
        sigset_t alarm_only;
        sigemptyset(&alarm_only);
        sigaddset(&alarm_only, SIGALRM);
        pthread_sigmask(SIG_BLOCK, &alarm_only, NULL); /* the alarms are the thread's */
        pthread_t id;
        pthread_create(&id, NULL, time_out_requests, &t);
        pthread_join(id, NULL);
    } else {
        time_out_requests(&t);
    }
    printf("timeouts %d of %d descriptors_above_stdio=%d before=%d\n", t.timed_out, n,
           count_descriptors_above_stdio(), before);
    return 0;
}

/* handover N [longjmp]: a first waiter (the one that looks at the ready file for the process,
 * being the first to wait) is interrupted by a signal while N others wait, its wait ending with
 * EINTR or left with siglongjmp; "handover first=eintr" is printed then, and the others must still
 * see the file appear (created by the test after that line). */
static int do_handover(int count, bool jump)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = jump ? jump_out : on_signal; /* no SA_RESTART: the wait ends with EINTR */
    sigaction(SIGUSR1, &sa, NULL);
    struct thread_arg first_arg;
    memset(&first_arg, 0, sizeof first_arg);
    pthread_t first;
    pthread_create(&first, NULL, first_waiter_main, &first_arg);
    if (!until_thread_waits(&first_arg, first)) {
        printf("handover first=returned (the pool was initialized before the others waited)\n");
        return 1;
    }
    pthread_t *ids = calloc((size_t)count, sizeof *ids);
    struct thread_arg *args = calloc((size_t)count, sizeof *args);
    for (int i = 0; i < count; i++)
        ids[i] = start_waiter(&args[i]);
    bool *joined = calloc((size_t)count, sizeof *joined);
    int waiting = 0;
    for (int i = 0; i < count; i++) {
        joined[i] = !until_thread_waits(&args[i], ids[i]);
        waiting += !joined[i];
    }
    /* One signal: even one that lands while the watcher is between two of its 40 ms sleeps ends
     * its wait, as the kernel's (tests/hardening/test_signals.c shows it in a blocked log write). */
    pthread_kill(first, SIGUSR1);
    pthread_join(first, NULL);
    bool eintr = first_arg.ret < 0 && first_arg.err == EINTR;
    printf("handover first=%s others_waiting=%d\n", eintr ? "eintr" : "returned", waiting);
    fflush(stdout);
    int ok = 0;
    double max = 0, max_boot = 0;
    for (int i = 0; i < count; i++) {
        if (!joined[i])
            pthread_join(ids[i], NULL);
        ok += args[i].ret == 16;
        max = args[i].ms > max ? args[i].ms : max;
        max_boot = args[i].boot_ms > max_boot ? args[i].boot_ms : max_boot;
    }
    printf("handover ok=%d of=%d max_ms=%.1f max_boot_ms=%.1f\n", ok, count, max, max_boot);
    free(ids);
    free(args);
    free(joined);
    return ok == count && eintr ? 0 : 1;
}

/* fork: a thread waits in getrandom while the main thread forks; the child asks too. */
static int do_fork(void)
{
    struct thread_arg arg;
    pthread_t waiter = start_waiter(&arg);
    bool waited = until_thread_waits(&arg, waiter);
    pid_t pid = fork();
    if (pid == 0) {
        unsigned char b[8];
        ssize_t r = getrandom(b, sizeof b, 0);
        _exit(r == 8 ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    if (waited)
        pthread_join(waiter, NULL);
    printf("fork child=%s parent_thread=%s forked_while_waiting=%d ms=%.1f",
           WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "ok" : "failed",
           arg.ret == 16 ? "ok" : "failed", waited, now_ms() - start);
    print_moments();
    printf("\n");
    return 0;
}

struct background_request {
    ssize_t got;
    pid_t tid;
};

static void *request_in_background(void *arg)
{
    struct background_request *q = arg;
    __atomic_store_n(&q->tid, gettid(), __ATOMIC_RELEASE);
    char buf[16];
    q->got = getrandom(buf, sizeof buf, GRND_NONBLOCK);
    return NULL;
}

/* Whether the thread whose /proc syscall file is open at fd is in system call nr. Read with
 * pread, and closed only by the caller: a close here would wait for the record being written. */
static bool thread_in_syscall(int fd, long nr)
{
    char text[256];
    ssize_t len = pread(fd, text, sizeof text - 1, 0);
    if (len <= 0)
        return false;
    text[len] = '\0';
    return strtol(text, NULL, 10) == nr;
}

static double thread_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* close-while-logging: another thread asks for entropy, and its record is sent to a journal that
 * makes it wait; once that thread is seen in sendmsg, this one closes a descriptor of its own.
 * Prints how long the close took, in wall time and in this thread's CPU time, and whether the
 * other thread was seen sending (within 10 s). */
static int do_close_while_logging(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    struct background_request q = { 0, 0 };
    pthread_t requester;
    pthread_create(&requester, NULL, request_in_background, &q);
    pid_t tid;
    while ((tid = __atomic_load_n(&q.tid, __ATOMIC_ACQUIRE)) == 0)
        usleep(1000);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    int syscall_fd = open(path, O_RDONLY | O_CLOEXEC);
    bool sending = false;
    for (int i = 0; i < 10000 && !sending && syscall_fd >= 0; i++) {
        sending = thread_in_syscall(syscall_fd, SYS_sendmsg);
        if (!sending)
            usleep(1000);
    }
    double wall = now_ms(), cpu = thread_cpu_ms();
    int rc = close(fd);
    wall = now_ms() - wall;
    cpu = thread_cpu_ms() - cpu;
    pthread_join(requester, NULL);
    if (syscall_fd >= 0)
        close(syscall_fd);
    printf("close rc=%d close_ms=%.1f close_cpu_ms=%.1f request=%zd sending=%d\n", rc, wall, cpu,
           q.got, sending);
    return 0;
}

int main(int argc, char **argv)
{
    start = now_ms();
    start_cpu = cpu_ms();
    exec_boot_ms = exec_moment_ms();
    if (argc < 2) {
        fprintf(stderr, "usage: er-probe ACTION [ARG...]\n");
        return 2;
    }
    if (strcmp(argv[1], "signal") == 0)
        return do_signal(argv + 2, argc - 2);
    if (strcmp(argv[1], "threads") == 0)
        return do_threads(argc > 2 ? atoi(argv[2]) : 8, argc > 3 && strcmp(argv[3], "mark") == 0);
    if (strcmp(argv[1], "handover") == 0)
        return do_handover(argc > 2 ? atoi(argv[2]) : 8, argc > 3 && strcmp(argv[3], "longjmp") == 0);
    if (strcmp(argv[1], "fork") == 0)
        return do_fork();
    if (strcmp(argv[1], "timeouts") == 0 && argc > 2)
        return do_timeouts(atoi(argv[2]), argc > 3 && strcmp(argv[3], "thread") == 0);
    if (strcmp(argv[1], "seq") == 0)
        return do_seq(argv + 2, argc - 2);
    if (strcmp(argv[1], "close-while-logging") == 0)
        return do_close_while_logging();
    return do_one(argv[1], argv + 2, argc - 2);
}
