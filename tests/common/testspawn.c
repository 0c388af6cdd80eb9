#include "testspawn.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

double spawn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double spawn_boottime_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---------------------------------------------------------------------------------------------
 * The environment */

struct envlist {
    char **v;
    size_t n, cap;
};

static void env_put(struct envlist *e, const char *entry)
{
    const char *eq = strchr(entry, '=');
    size_t name_len = eq ? (size_t)(eq - entry) : strlen(entry);
    for (size_t i = 0; i < e->n; i++) {
        if (strncmp(e->v[i], entry, name_len) == 0 && e->v[i][name_len] == '=') {
            free(e->v[i]);
            e->v[i] = e->v[--e->n];
            break;
        }
    }
    if (eq == NULL)
        return; /* "NAME": unset */
    if (e->n + 2 > e->cap) {
        e->cap = e->cap ? e->cap * 2 : 64;
        e->v = realloc(e->v, e->cap * sizeof *e->v);
        if (e->v == NULL)
            abort();
    }
    e->v[e->n++] = strdup(entry);
    e->v[e->n] = NULL;
}

static void env_put_pair(struct envlist *e, const char *name, const char *value)
{
    size_t len = strlen(name) + strlen(value) + 2;
    char *entry = malloc(len);
    if (entry == NULL)
        abort();
    snprintf(entry, len, "%s=%s", name, value);
    env_put(e, entry);
    free(entry);
}

static void env_free(struct envlist *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i]);
    free(e->v);
}

static struct envlist build_env(const struct spawn_opts *o)
{
    struct envlist e = { NULL, 0, 0 };
    env_put(&e, "HOME=/root"); /* makes e.v non-NULL even when all else is unset */
    if (o->inherit_env) {
        for (char **p = environ; *p; p++)
            env_put(&e, *p);
        /* ASan (--enable-sanitizers) refuses to start behind another preload; the tests add one. */
        env_put(&e, "ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1");
    } else {
        const char *path = getenv("PATH");
        env_put_pair(&e, "PATH", path ? path : "/usr/bin:/bin");
        env_put(&e, "LANG=C");
        /* Sanitizer settings reach the helpers of a sanitized build (see scripts/test). */
        static const char *const passed_on[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS" };
        for (size_t i = 0; i < 3; i++)
            if (getenv(passed_on[i]))
                env_put_pair(&e, passed_on[i], getenv(passed_on[i]));
    }
    if (o->preload)
        env_put_pair(&e, "LD_PRELOAD", o->preload);
    for (size_t i = 0; o->env && o->env[i]; i++)
        env_put(&e, o->env[i]);
    return e;
}

/* ---------------------------------------------------------------------------------------------
 * Running */

struct buffer {
    char *text;
    size_t len, cap;
};

static void buffer_add(struct buffer *b, const char *src, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->text = realloc(b->text, b->cap);
        if (b->text == NULL)
            abort();
    }
    memcpy(b->text + b->len, src, n);
    b->len += n;
    b->text[b->len] = '\0';
}

struct spawn_proc {
    pid_t pid;
    int fds[2]; /* stdout, stderr; -1 once closed */
    struct buffer out, err;
    double start_ms, deadline_ms;
    bool timed_out;
};

struct spawn_proc *spawn_start(const struct spawn_opts *o)
{
    struct spawn_proc *p = calloc(1, sizeof *p);
    if (p == NULL)
        abort();
    buffer_add(&p->out, "", 0);
    buffer_add(&p->err, "", 0);
    int outp[2], errp[2];
    if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0)
        abort();
    struct envlist env = build_env(o);
    fflush(NULL);
    p->start_ms = spawn_now_ms();
    p->deadline_ms = p->start_ms + (o->timeout_ms > 0 ? o->timeout_ms : SPAWN_DEFAULT_TIMEOUT_MS);
    p->pid = fork();
    if (p->pid < 0)
        abort();
    if (p->pid == 0) {
        int in = open(o->stdin_path ? o->stdin_path : "/dev/null", O_RDONLY);
        dup2(in, 0);
        dup2(outp[1], 1);
        dup2(errp[1], 2);
        /* nothing of the test's own reaches the program */
#ifdef HAVE_CLOSEFROM
        closefrom(3);
#else
        /* glibc < 2.34 has no closefrom: the system call (Linux 5.9), else one at a time */
        if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
            for (int fd = 3; fd < 65536; fd++)
                close(fd);
#endif
        /* its own process group, so that the deadline kills everything it started */
        setpgid(0, 0);
        /* as a terminal would start it: a test run in the background (SIGINT and SIGQUIT ignored,
         * which exec keeps) must not make python3 ignore its Ctrl-C, nor a blocked signal linger */
        for (int sig = 1; sig < NSIG; sig++)
            signal(sig, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (o->cwd && chdir(o->cwd) != 0)
            _exit(126);
        execvpe(o->argv[0], (char *const *)o->argv, env.v);
        dprintf(2, "cannot run %s: %s\n", o->argv[0], strerror(errno));
        _exit(errno == ENOENT ? 127 : 126);
    }
    env_free(&env);
    close(outp[1]);
    close(errp[1]);
    p->fds[0] = outp[0];
    p->fds[1] = errp[0];
    return p;
}

pid_t spawn_pid(const struct spawn_proc *p) { return p->pid; }

/* Reads what is there, waiting up to wait_ms for something; false once both pipes are closed. */
static bool collect(struct spawn_proc *p, int wait_ms)
{
    struct pollfd fds[2] = { { p->fds[0], POLLIN, 0 }, { p->fds[1], POLLIN, 0 } };
    if (fds[0].fd < 0 && fds[1].fd < 0)
        return false;
    if (poll(fds, 2, wait_ms) < 0 && errno != EINTR)
        abort();
    for (int i = 0; i < 2; i++) {
        if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        char buf[65536];
        ssize_t got = read(fds[i].fd, buf, sizeof buf);
        if (got <= 0) {
            close(fds[i].fd);
            p->fds[i] = -1;
        } else {
            buffer_add(i == 0 ? &p->out : &p->err, buf, (size_t)got);
        }
    }
    return p->fds[0] >= 0 || p->fds[1] >= 0;
}

static bool past(double deadline_ms) { return spawn_now_ms() >= deadline_ms; }

static bool ended(const struct spawn_proc *p)
{
    siginfo_t si;
    si.si_pid = 0;
    return waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == p->pid;
}

bool spawn_await_output(struct spawn_proc *p, const char *needle, int timeout_ms)
{
    double until = spawn_now_ms() + timeout_ms;
    for (;;) {
        if (strstr(p->out.text, needle) || strstr(p->err.text, needle))
            return true;
        if (past(until) || past(p->deadline_ms))
            return false;
        if (!collect(p, 10) && strstr(p->out.text, needle) == NULL && strstr(p->err.text, needle) == NULL)
            return false;
    }
}

/* The state letter of /proc/PID/task/TID/stat (after the command name, which may hold spaces). */
static char thread_state(pid_t pid, pid_t tid)
{
    char path[64], text[512];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return '?';
    ssize_t got = read(fd, text, sizeof text - 1);
    close(fd);
    if (got <= 0)
        return '?';
    text[got] = '\0';
    const char *paren = strrchr(text, ')');
    return paren && paren[1] == ' ' ? paren[2] : '?';
}

/* ---------------------------------------------------------------------------------------------
 * Emulation */

/* What a look at a helper process found: the emulator running it, if any, and under one the
 * host's numbers of read(2), write(2) and ppoll(2), which /proc shows for a guest thread asleep
 * in them. */
static struct {
    bool known;
    char emulator[256];
    long host_read, host_write, host_ppoll;
} emu;

/* The system call thread tid of pid sleeps in, seen twice 20 ms apart; -1 if it never sleeps
 * in one within about 5 s. */
static long sleeping_syscall(pid_t pid, pid_t tid)
{
    char path[64], text[256];
    snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
    long last = -1;
    for (int i = 0; i < 250; i++) {
        long nr = -1;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t got = read(fd, text, sizeof text - 1);
            close(fd);
            char *end = text;
            if (got > 0) {
                text[got] = '\0';
                nr = strtol(text, &end, 10);
            }
            if (end == text || thread_state(pid, tid) != 'S')
                nr = -1;
        }
        if (nr >= 0 && nr == last)
            return nr;
        last = nr;
        usleep(20000);
    }
    return -1;
}

enum asleep_in { ASLEEP_IN_READ, ASLEEP_IN_WRITE, ASLEEP_IN_PPOLL };

/* A child of this process asleep in read, in write to a full pipe, or in ppoll, which ends when
 * *release is closed. */
static pid_t asleep_child(enum asleep_in call, int *release)
{
    bool in_write = call == ASLEEP_IN_WRITE;
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    pid_t child = fork();
    if (child == 0) {
        signal(SIGPIPE, SIG_IGN);
        char byte = 0;
        if (in_write) {
            close(p[0]);
            int fl = fcntl(p[1], F_GETFL);
            fcntl(p[1], F_SETFL, fl | O_NONBLOCK);
            while (write(p[1], &byte, 1) == 1)
                continue;
            fcntl(p[1], F_SETFL, fl);
            (void)!write(p[1], &byte, 1);
        } else if (call == ASLEEP_IN_PPOLL) {
            close(p[1]);
            struct pollfd readable = { .fd = p[0], .events = POLLIN };
            (void)!ppoll(&readable, 1, NULL, NULL);
        } else {
            close(p[1]);
            (void)!read(p[0], &byte, 1);
        }
        _exit(0);
    }
    close(in_write ? p[1] : p[0]);
    *release = in_write ? p[0] : p[1];
    if (child < 0) {
        close(*release);
        return -1;
    }
    return child;
}

static void end_child(pid_t child, int release)
{
    close(release);
    while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
        continue;
}

/* qemu-user answers a process's questions about /proc/self/exe with the emulated program, but not
 * those about its thread's own entry, which shows the emulator as it is; only then do children
 * asleep in read, write and ppoll tell which numbers the host gives those calls. */
static void look_for_emulation(void)
{
    if (emu.known)
        return;
    char path[64], exe[sizeof emu.emulator];
    snprintf(path, sizeof path, "/proc/self/task/%ld/exe", (long)syscall(SYS_gettid));
    ssize_t n = readlink(path, exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    const char *base = strrchr(exe, '/');
    if (strncmp(base ? base + 1 : exe, "qemu-", 5) != 0)
        exe[0] = '\0';
    long host[3] = { -1, -1, -1 };
    for (int i = 0; exe[0] != '\0' && i < 3; i++) {
        int release;
        pid_t child = asleep_child((enum asleep_in)i, &release);
        if (child > 0) {
            host[i] = sleeping_syscall(child, child);
            end_child(child, release);
        }
    }
    memcpy(emu.emulator, exe, sizeof exe);
    emu.host_read = host[0];
    emu.host_write = host[1];
    emu.host_ppoll = host[2];
    emu.known = true;
}

const char *spawn_emulator(void)
{
    look_for_emulation();
    return emu.emulator[0] != '\0' ? emu.emulator : NULL;
}

bool spawn_subreaper_works(void)
{
    static int works = -1;
    if (works < 0) {
        pid_t child = fork();
        if (child == 0)
            _exit(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0 ? 0 : 1);
        int status = 0;
        while (child > 0 && waitpid(child, &status, 0) < 0 && errno == EINTR)
            continue;
        works = child > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    return works;
}

void spawn_skip_note(const char *suite, const char *test, const char *why)
{
    fprintf(stderr, "[SKIP] %s::%s: %s\n", suite, test, why);
}

static bool in_syscall(pid_t pid, pid_t tid, long want)
{
    char path[64], text[256];
    snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t got = read(fd, text, sizeof text - 1);
    close(fd);
    if (got <= 0)
        return false;
    text[got] = '\0';
    /* "running" while on a CPU; else the number of the system call it sleeps in */
    char *end;
    long nr = strtol(text, &end, 10);
    return end != text && nr == want;
}

/* Under an emulator, a guest thread asleep in read, write or ppoll shows the host's system call. */
static long as_the_kernel_shows(long nr)
{
    if (spawn_emulator() == NULL)
        return nr;
    return nr == SYS_read ? emu.host_read : nr == SYS_write ? emu.host_write
                          : nr == SYS_ppoll ? emu.host_ppoll : nr;
}

/* In the system call and asleep there (a thread preempted in one is 'R'), on both sides of the
 * look. */
bool thread_sleeps_in_syscall(pid_t pid, pid_t tid, long nr)
{
    nr = as_the_kernel_shows(nr);
    return thread_state(pid, tid) == 'S' && in_syscall(pid, tid, nr) && thread_state(pid, tid) == 'S';
}

bool thread_sleeps_in_wait(pid_t pid, pid_t tid)
{
    return thread_sleeps_in_syscall(pid, tid, SYS_read) || thread_sleeps_in_syscall(pid, tid, SYS_ppoll);
}

/* True when some thread of pid passes the check. */
static bool some_thread(pid_t pid, bool (*check)(pid_t, pid_t))
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            found = check(pid, (pid_t)atoi(e->d_name));
    closedir(d);
    return found;
}

static bool thread_stopped(pid_t pid, pid_t tid) { return thread_state(pid, tid) == 'T'; }

static bool await_thread(struct spawn_proc *p, bool (*check)(pid_t, pid_t), int timeout_ms)
{
    double until = spawn_now_ms() + timeout_ms;
    for (;;) {
        if (some_thread(p->pid, check))
            return true;
        if (ended(p) || past(until) || past(p->deadline_ms))
            return false;
        collect(p, 1);
    }
}

bool spawn_await_waiting(struct spawn_proc *p, int timeout_ms)
{
    return await_thread(p, thread_sleeps_in_wait, timeout_ms);
}

bool spawn_await_stopped(struct spawn_proc *p, int timeout_ms)
{
    return await_thread(p, thread_stopped, timeout_ms);
}

/* Every result's output stays reachable until spawn_free, so that a test may keep what it ran
 * until it ends without the leak checker of a sanitized build counting it as lost. */
static char **kept;
static size_t nkept, kept_cap;

static void keep(char *text)
{
    if (nkept == kept_cap) {
        kept_cap = kept_cap ? kept_cap * 2 : 64;
        kept = realloc(kept, kept_cap * sizeof *kept);
        if (kept == NULL)
            abort();
    }
    kept[nkept++] = text;
}

static void release(char *text)
{
    for (size_t i = 0; text && i < nkept; i++) {
        if (kept[i] == text) {
            kept[i] = kept[--nkept];
            break;
        }
    }
    free(text);
}

void spawn_finish(struct spawn_proc *p, struct spawn_result *r)
{
    memset(r, 0, sizeof *r);
    for (;;) {
        double left = p->deadline_ms - spawn_now_ms();
        if (left <= 0) {
            p->timed_out = true;
            kill(-p->pid, SIGKILL);
            kill(p->pid, SIGKILL);
            break;
        }
        if (!collect(p, left > 1000 ? 1000 : (int)left + 1))
            break;
    }
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(p->pid, &status, 0, &ru) < 0 && errno == EINTR)
        continue;
    if (p->timed_out)
        kill(-p->pid, SIGKILL);
    for (int i = 0; i < 2; i++)
        if (p->fds[i] >= 0)
            close(p->fds[i]);
    r->wall_ms = spawn_now_ms() - p->start_ms;
    r->cpu_ms = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 + ru.ru_stime.tv_sec * 1e3 +
                ru.ru_stime.tv_usec / 1e3;
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r->timed_out = p->timed_out;
    r->out = p->out.text;
    r->outlen = p->out.len;
    r->err = p->err.text;
    r->errlen = p->err.len;
    keep(r->out);
    keep(r->err);
    free(p);
}

void spawn_run(struct spawn_result *r, const struct spawn_opts *o)
{
    spawn_finish(spawn_start(o), r);
}

void spawn_free(struct spawn_result *r)
{
    release(r->out);
    release(r->err);
    r->out = r->err = NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Files and text */

static char dir_path[256];
static pid_t dir_owner;

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

/* The directory goes when the test's process ends (each Criterion test runs in its own). */
static void remove_dir(void)
{
    if (dir_path[0] != '\0' && getpid() == dir_owner)
        nftw(dir_path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *test_dir(void)
{
    if (dir_path[0] == '\0' || dir_owner != getpid()) {
        snprintf(dir_path, sizeof dir_path, "/tmp/er-test-XXXXXX");
        if (mkdtemp(dir_path) == NULL)
            abort();
        chmod(dir_path, 0755);
        if (dir_owner == 0)
            atexit(remove_dir);
        dir_owner = getpid();
    }
    return dir_path;
}

const char *test_path(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", test_dir(), name);
    return path;
}

char *read_whole(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct buffer b = { NULL, 0, 0 };
    buffer_add(&b, "", 0);
    for (;;) {
        char chunk[65536];
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        buffer_add(&b, chunk, (size_t)got);
    }
    close(fd);
    if (len)
        *len = b.len;
    return b.text;
}

bool file_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

void create_file(const char *path)
{
    int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0)
        abort();
    close(fd);
}

int count_lines(const char *s)
{
    int n = 0;
    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

int count_lines_with(const char *s, const char *needle)
{
    int count = 0;
    while (s && *s) {
        const char *end = strchr(s, '\n');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        const char *hit = strstr(s, needle);
        if (hit && hit + strlen(needle) <= s + len)
            count++;
        s = end ? end + 1 : s + len;
    }
    return count;
}

const char *line_with(const char *s, const char *needle)
{
    static char line[4096];
    line[0] = '\0';
    while (s && *s) {
        const char *end = strchr(s, '\n');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        const char *hit = strstr(s, needle);
        if (hit && hit + strlen(needle) <= s + len) {
            if (len >= sizeof line)
                len = sizeof line - 1;
            memcpy(line, s, len);
            line[len] = '\0';
            return line;
        }
        s = end ? end + 1 : s + len;
    }
    return line;
}

double field(const char *s, const char *key, double def)
{
    char pat[128];
    snprintf(pat, sizeof pat, "%s=", key);
    for (const char *p = s ? strstr(s, pat) : NULL; p; p = strstr(p + 1, pat)) {
        /* the key must start a word */
        if (p == s || p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\t')
            return strtod(p + strlen(pat), NULL);
    }
    return def;
}
