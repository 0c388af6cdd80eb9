/* A program whose entropy requests only a system call filter can see when built static, and one
 * with a getrandom straight from inline assembly in any build. Prints one line per request:
 * "getrandom N" with the bytes in hex, or "getrandom -1 ERRNO".
 * Usage: sc-probe [libc|raw] [FLAGS] [LEN] [COUNT]   (FLAGS: 0, nonblock, insecure, random)
 *        sc-probe signal restart|norestart [READY]  a blocking request, SIGUSR1 sent by a
 *                                               thread once it is held; READY created after
 *                                               the restarted call is held again; with
 *                                               SC_HANG_LOG, only once that log has a hang
 *        sc-probe fork                          a request in a forked child, then one after exec
 *        sc-probe threads N                     N threads each make a blocking request
 *        sc-probe readonly                      weak bytes into a read-only buffer: EFAULT
 *        sc-probe malloc                        no request but the C library's own (malloc's)
 *        sc-probe env                           prints LD_PRELOAD, or "LD_PRELOAD unset"
 *        sc-probe time raw|libc|getppid N      ns per call over N calls (for make bench)
 *        sc-probe time open PATH N              ns per open and close of PATH over N
 *        sc-probe dev PATH [LEN]                opens PATH, reads LEN bytes (16): "dev N hex"
 *        sc-probe noseccomp PROG [ARG]...       runs PROG where seccomp(2) fails with ENOSYS,
 *                                               as under a container profile that forbids it */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../common/errname.h"

/* The system call instruction itself, as Go and static programs issue it: no libc wrapper.
 * Never inlined, so that the engine's log names this function as the caller at any -O. */
static __attribute__((noinline)) long raw_getrandom(void *buf, unsigned long len, unsigned int flags)
{
    long ret;
#if defined(__x86_64__)
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"((long)SYS_getrandom), "D"(buf), "S"(len), "d"((long)flags)
                     : "rcx", "r11", "memory");
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = SYS_getrandom;
    register long x0 __asm__("x0") = (long)buf;
    register long x1 __asm__("x1") = (long)len;
    register long x2 __asm__("x2") = (long)flags;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    ret = x0;
#else
#error "sc-probe needs the raw system call sequence of this architecture"
#endif
    return ret;
}

static unsigned parse_flags(const char *s)
{
    if (strcmp(s, "nonblock") == 0)
        return GRND_NONBLOCK;
    if (strcmp(s, "insecure") == 0)
        return 0x4;
    if (strcmp(s, "random") == 0)
        return GRND_RANDOM;
    return (unsigned)strtoul(s, NULL, 0);
}

static void report(const char *tag, long r, int err, const unsigned char *buf)
{
    char line[600];
    int n = r < 0 ? snprintf(line, sizeof line, "%s -1 %s\n", tag, er_test_errname(err))
                  : snprintf(line, sizeof line, "%s %ld ", tag, r);
    for (long i = 0; r > 0 && i < r && i < 64; i++)
        n += snprintf(line + n, sizeof line - n, "%02x", buf[i]);
    if (r >= 0)
        line[n++] = '\n';
    if (write(STDOUT_FILENO, line, (size_t)n) < 0)
        _exit(3);
}

static long request(int raw, void *buf, size_t len, unsigned flags, int *err)
{
    if (raw) {
        long r = raw_getrandom(buf, len, flags);
        *err = r < 0 ? (int)-r : 0;
        return r < 0 ? -1 : r;
    }
    long r = getrandom(buf, len, flags);
    *err = r < 0 ? errno : 0;
    return r;
}

static volatile sig_atomic_t handled;
static void on_usr1(int sig) { (void)sig; handled++; }

static pid_t main_tid;
static const char *ready_file;

/* Whether the main thread sits in getrandom now, as the kernel shows it. */
static int main_in_getrandom(void)
{
    char path[64], text[64] = "";
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)main_tid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    int ok = fgets(text, sizeof text, f) != NULL;
    fclose(f);
    char want[16];
    snprintf(want, sizeof want, "%d ", SYS_getrandom);
    return ok && strncmp(text, want, strlen(want)) == 0;
}

/* Signals the main thread once it is held, and after a restart (held again) marks the pool
 * ready, so that nothing depends on timing. */
/* Whether the command has taken the held call: it logged a hang for it (SC_HANG_LOG). */
static int hang_logged(void)
{
    const char *log = getenv("SC_HANG_LOG");
    if (log == NULL)
        return 1;
    FILE *f = fopen(log, "r");
    if (f == NULL)
        return 0;
    char line[8192];
    int found = 0;
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = strstr(line, "\"event\":\"hang\"") != NULL;
    fclose(f);
    return found;
}

static void *send_signal(void *arg)
{
    (void)arg;
    while (!main_in_getrandom() || !hang_logged())
        usleep(2000);
    syscall(SYS_tgkill, getpid(), main_tid, SIGUSR1);
    while (!handled)
        usleep(2000);
    if (ready_file != NULL) {
        while (!main_in_getrandom())
            usleep(2000);
        FILE *f = fopen(ready_file, "w");
        if (f != NULL)
            fclose(f);
    }
    return NULL;
}

static void *blocking_request(void *arg)
{
    unsigned char buf[8];
    int err;
    long r = request(0, buf, sizeof buf, 0, &err);
    report((const char *)arg, r, err, buf);
    return NULL;
}

static int deny_seccomp_and_exec(char **argv)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_seccomp, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { sizeof code / sizeof code[0], code };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
        perror("sc-probe: seccomp");
        return 2;
    }
    execvp(argv[0], argv);
    perror("sc-probe: exec");
    return 127;
}

int main(int argc, char **argv)
{
    unsigned char buf[64];
    int err;
    const char *mode = argc > 1 ? argv[1] : "libc";
    if (strcmp(mode, "noseccomp") == 0 && argc > 2)
        return deny_seccomp_and_exec(argv + 2);
    if (strcmp(mode, "time") == 0 && argc > 4 && strcmp(argv[2], "open") == 0) {
        long n = atol(argv[4]);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (long i = 0; i < n; i++) {
            int fd = open(argv[3], O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                perror("sc-probe: open");
                return 1;
            }
            close(fd);
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("%.1f\n", ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)n);
        return 0;
    }
    if (strcmp(mode, "dev") == 0 && argc > 2) {
        size_t len = argc > 3 ? (size_t)atoi(argv[3]) : 16;
        if (len > sizeof buf)
            len = sizeof buf;
        int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            printf("dev -1 %s\n", strerror(errno));
            return 1;
        }
        ssize_t r = read(fd, buf, len);
        err = errno;
        close(fd);
        report("dev", r, err, buf);
        return 0;
    }
    if (strcmp(mode, "time") == 0 && argc > 3) {
        long n = atol(argv[3]);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (long i = 0; i < n; i++) {
            if (strcmp(argv[2], "getppid") == 0)
                syscall(SYS_getppid);
            else
                request(strcmp(argv[2], "raw") == 0, buf, 16, GRND_NONBLOCK, &err);
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)n;
        printf("%.1f\n", ns);
        return 0;
    }
    if (strcmp(mode, "malloc") == 0) {
        char *volatile p = malloc(100);
        printf("malloc %s\n", p != NULL ? "ok" : "failed");
        free(p);
        return 0;
    }
    if (strcmp(mode, "env") == 0) {
        const char *v = getenv("LD_PRELOAD");
        printf("LD_PRELOAD %s\n", v != NULL ? v : "unset");
        return 0;
    }
    if (strcmp(mode, "signal") == 0) {
        struct sigaction sa = { 0 };
        sa.sa_handler = on_usr1;
        sa.sa_flags = argc > 2 && strcmp(argv[2], "restart") == 0 ? SA_RESTART : 0;
        sigaction(SIGUSR1, &sa, NULL);
        main_tid = (pid_t)syscall(SYS_gettid);
        ready_file = argc > 3 ? argv[3] : NULL;
        pthread_t t;
        pthread_create(&t, NULL, send_signal, NULL);
        long r = request(1, buf, 16, 0, &err);
        report("getrandom", r, err, buf);
        printf("handled %d\n", (int)handled);
        return 0;
    }
    if (strcmp(mode, "threads") == 0) {
        int n = argc > 2 ? atoi(argv[2]) : 64;
        pthread_t *t = calloc((size_t)n, sizeof *t);
        for (int i = 0; i < n; i++)
            pthread_create(&t[i], NULL, blocking_request, "thread");
        for (int i = 0; i < n; i++)
            pthread_join(t[i], NULL);
        return 0;
    }
    if (strcmp(mode, "fork") == 0) {
        pid_t pid = fork();
        if (pid == 0) {
            long r = request(1, buf, 8, 0, &err);
            report("child", r, err, buf);
            execl("/proc/self/exe", argv[0], "raw", "0", "8", NULL);
            _exit(127);
        }
        int st;
        waitpid(pid, &st, 0);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
    }
    if (strcmp(mode, "readonly") == 0) {
        void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        long r = request(1, ro, 16, 0, &err);
        report("getrandom", r, err, ro);
        return 0;
    }
    int raw = strcmp(mode, "raw") == 0;
    unsigned flags = argc > 2 ? parse_flags(argv[2]) : 0;
    size_t len = argc > 3 ? (size_t)atoi(argv[3]) : 16;
    int count = argc > 4 ? atoi(argv[4]) : 1;
    if (len > sizeof buf)
        len = sizeof buf;
    for (int i = 0; i < count; i++) {
        long r = request(raw, buf, len, flags, &err);
        report("getrandom", r, err, buf);
    }
    return 0;
}
