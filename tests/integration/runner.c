#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *const er_library = ER_LIBRARY;
const char *const er_probe_plain = ER_PROBE_PLAIN;
const char *const er_probe_fortified = ER_PROBE_FORTIFIED;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void append(char *dst, size_t cap, size_t *len, const char *src, size_t n)
{
    if (*len + n >= cap)
        n = cap - 1 - *len;
    memcpy(dst + *len, src, n);
    *len += n;
    dst[*len] = '\0';
}

void run_program(struct run_result *r, const char *const *argv, const char *const *env,
                 bool preload, int timeout_ms)
{
    memset(r, 0, sizeof *r);
    int outp[2], errp[2];
    if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0)
        abort();

    const char *envp[64];
    size_t n = 0;
    static char path_var[4096], preload_var[4200];
    snprintf(path_var, sizeof path_var, "PATH=%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    envp[n++] = path_var;
    envp[n++] = "HOME=/root";
    envp[n++] = "LANG=C";
    if (preload) {
        snprintf(preload_var, sizeof preload_var, "LD_PRELOAD=%s", er_library);
        envp[n++] = preload_var;
    }
    /* Sanitizer settings reach the helpers of a sanitized build (see scripts/test). */
    static const char *const passed_on[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS" };
    static char passed[3][1024];
    for (size_t i = 0; i < 3; i++) {
        const char *v = getenv(passed_on[i]);
        if (v) {
            snprintf(passed[i], sizeof passed[i], "%s=%s", passed_on[i], v);
            envp[n++] = passed[i];
        }
    }
    for (size_t i = 0; env && env[i] && n < 63; i++)
        envp[n++] = env[i];
    envp[n] = NULL;

    double t0 = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(outp[1], 1);
        dup2(errp[1], 2);
        /* Each run in its own process group, so a timeout kills everything it started. */
        setpgid(0, 0);
        execvpe(argv[0], (char *const *)argv, (char *const *)envp);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(outp[1]);
    close(errp[1]);

    size_t outlen = 0, errlen = 0;
    struct pollfd fds[2] = { { outp[0], POLLIN, 0 }, { errp[0], POLLIN, 0 } };
    int open_pipes = 2;
    while (open_pipes > 0) {
        int left = timeout_ms - (int)(now_ms() - t0);
        if (left <= 0) {
            r->timed_out = true;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            break;
        }
        if (poll(fds, 2, left) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[4096];
            ssize_t got = read(fds[i].fd, buf, sizeof buf);
            if (got <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_pipes--;
            } else if (i == 0) {
                append(r->out, sizeof r->out, &outlen, buf, (size_t)got);
            } else {
                append(r->err, sizeof r->err, &errlen, buf, (size_t)got);
            }
        }
    }
    int status;
    struct rusage ru;
    if (r->timed_out) {
        kill(-pid, SIGKILL);
    }
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
        continue;
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0)
            close(fds[i].fd);
    r->wall_ms = now_ms() - t0;
    r->cpu_ms = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 + ru.ru_stime.tv_sec * 1e3 +
                ru.ru_stime.tv_usec / 1e3;
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

const char *temp_path(const char *name)
{
    static char dir[256];
    static char path[512];
    if (dir[0] == '\0') {
        snprintf(dir, sizeof dir, "/tmp/er-test-XXXXXX");
        if (mkdtemp(dir) == NULL)
            abort();
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

int count_lines_with(const char *s, const char *needle)
{
    int count = 0;
    while (s && *s) {
        const char *end = strchr(s, '\n');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        const char *hit = strstr(s, needle);
        if (hit && hit < s + len)
            count++;
        s = end ? end + 1 : s + len;
    }
    return count;
}

double field_ms(const char *line)
{
    const char *p = line ? strstr(line, "ms=") : NULL;
    return p ? strtod(p + 3, NULL) : -1;
}

double field_cpu(const char *line)
{
    const char *p = line ? strstr(line, "cpu=") : NULL;
    return p ? strtod(p + 4, NULL) : -1;
}
