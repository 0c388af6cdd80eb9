#include "hrun.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jsonv.h"

const char *const er_library = ER_LIBRARY;
const char *const er_probe_plain = ER_PROBE_PLAIN;
const char *const er_probe_fortified = ER_PROBE_FORTIFIED;
const char *const hard_helper_plain = HARD_HELPER_PLAIN;
const char *const hard_helper_fortified = HARD_HELPER_FORTIFIED;
const char *const hard_helper_nosan = HARD_HELPER_NOSAN;
const char *const hard_ctor_lib = HARD_CTOR_LIB;
const char *const hard_ctor_prog = HARD_CTOR_PROG;
const char *const hard_alloc_lib = HARD_ALLOC_LIB;
const char *const hard_srcdir = HARD_SRCDIR;
const bool hard_sanitized = HARD_SANITIZED;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void append(char **buf, size_t *len, size_t *cap, const char *src, size_t n)
{
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = realloc(*buf, *cap);
        if (*buf == NULL)
            abort();
    }
    memcpy(*buf + *len, src, n);
    *len += n;
    (*buf)[*len] = '\0';
}

void hrun(struct hres *r, const struct hopts *o)
{
    memset(r, 0, sizeof *r);
    size_t outcap = 0, errcap = 0;
    append(&r->out, &r->outlen, &outcap, "", 0);
    append(&r->err, &r->errlen, &errcap, "", 0);
    int outp[2], errp[2];
    if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0)
        abort();

    const char *envp[80];
    size_t n = 0;
    static char path_var[4096], preload_var[8192];
    snprintf(path_var, sizeof path_var, "PATH=%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    envp[n++] = path_var;
    envp[n++] = "HOME=/root";
    envp[n++] = "LANG=C";
    if (o->preload) {
        snprintf(preload_var, sizeof preload_var, "LD_PRELOAD=%s", o->preload);
        envp[n++] = preload_var;
    }
    static const char *const passed_on[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS" };
    static char passed[3][1024];
    for (size_t i = 0; i < 3; i++) {
        const char *v = getenv(passed_on[i]);
        if (v) {
            snprintf(passed[i], sizeof passed[i], "%s=%s", passed_on[i], v);
            envp[n++] = passed[i];
        }
    }
    for (size_t i = 0; o->env && o->env[i] && n < 79; i++)
        envp[n++] = o->env[i];
    envp[n] = NULL;

    double t0 = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        int in = open(o->stdin_path ? o->stdin_path : "/dev/null", O_RDONLY);
        dup2(in, 0);
        dup2(outp[1], 1);
        dup2(errp[1], 2);
        /* nothing of the test's own reaches the program */
        closefrom(3);
        setpgid(0, 0);
        if (o->cwd && chdir(o->cwd) != 0)
            _exit(126);
        execvpe(o->argv[0], (char *const *)o->argv, (char *const *)envp);
        dprintf(2, "exec %s: %s\n", o->argv[0], strerror(errno));
        _exit(127);
    }
    close(outp[1]);
    close(errp[1]);

    struct pollfd fds[2] = { { outp[0], POLLIN, 0 }, { errp[0], POLLIN, 0 } };
    int open_pipes = 2;
    size_t next_sig = 0;
    while (open_pipes > 0) {
        double elapsed = now_ms() - t0;
        int left = o->timeout_ms - (int)elapsed;
        if (left <= 0) {
            r->timed_out = true;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            break;
        }
        while (next_sig < 4 && o->signals[next_sig].sig != 0 && o->signals[next_sig].at_ms <= elapsed) {
            kill(pid, o->signals[next_sig].sig);
            next_sig++;
        }
        int wait = left;
        if (next_sig < 4 && o->signals[next_sig].sig != 0) {
            int until = o->signals[next_sig].at_ms - (int)elapsed;
            wait = until < wait ? (until > 0 ? until : 0) : wait;
        }
        if (poll(fds, 2, wait) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[65536];
            ssize_t got = read(fds[i].fd, buf, sizeof buf);
            if (got <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_pipes--;
            } else if (i == 0) {
                append(&r->out, &r->outlen, &outcap, buf, (size_t)got);
            } else {
                append(&r->err, &r->errlen, &errcap, buf, (size_t)got);
            }
        }
    }
    /* signals not yet due when the pipes closed (the program ended first) are not sent */
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
        continue;
    if (r->timed_out)
        kill(-pid, SIGKILL);
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0)
            close(fds[i].fd);
    r->wall_ms = now_ms() - t0;
    r->cpu_ms = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 + ru.ru_stime.tv_sec * 1e3 +
                ru.ru_stime.tv_usec / 1e3;
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

void hres_free(struct hres *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

static char hdir_path[256];
static pid_t hdir_owner;

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

/* The directory goes when the test's process ends (each Criterion test runs in its own). */
static void remove_hdir(void)
{
    if (hdir_path[0] != '\0' && getpid() == hdir_owner)
        nftw(hdir_path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *hdir(void)
{
    if (hdir_path[0] == '\0') {
        snprintf(hdir_path, sizeof hdir_path, "/tmp/er-hard-XXXXXX");
        if (mkdtemp(hdir_path) == NULL)
            abort();
        chmod(hdir_path, 0755);
        hdir_owner = getpid();
        atexit(remove_hdir);
    }
    return hdir_path;
}

const char *hpath(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", hdir(), name);
    return path;
}

char *read_whole(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 65536, used = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (used + 65536 + 1 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        ssize_t got = read(fd, buf + used, cap - used - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        used += (size_t)got;
    }
    close(fd);
    buf[used] = '\0';
    if (len)
        *len = used;
    return buf;
}

bool file_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
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

long check_jsonl(const char *text, size_t len, long *bad, char *first_bad, size_t cap)
{
    long good = 0;
    *bad = 0;
    if (cap)
        first_bad[0] = '\0';
    size_t i = 0;
    static char line[1 << 16];
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (text + i)) + 1 : len - i;
        struct jv_result jr;
        bool ok = false;
        if (n < sizeof line) {
            memcpy(line, text + i, n);
            line[n] = '\0';
            ok = jv_check_line(line, n, &jr);
        }
        if (ok) {
            good++;
        } else {
            if (*bad == 0 && cap) {
                size_t c = n < cap - 1 ? n : cap - 1;
                memcpy(first_bad, text + i, c);
                first_bad[c] = '\0';
            }
            (*bad)++;
        }
        i += n;
    }
    return good;
}

const char *preload_list(const char *a, const char *b)
{
    static char list[8192];
    snprintf(list, sizeof list, "%s %s", a, b);
    return list;
}
