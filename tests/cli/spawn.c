#include "spawn.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Longer than any run of the tests takes, even on a loaded machine. */
#define SPAWN_TIMEOUT_S 40

/* Files, not pipes, hold the output: nothing can block however much a test prints. */
struct capture {
    FILE *out, *err;
};

static struct capture captures[8];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *slurp(FILE *f)
{
    fflush(f);
    long len = ftell(f);
    char *text = malloc((size_t)len + 1);
    cr_assert_not_null(text);
    rewind(f);
    size_t n = fread(text, 1, (size_t)len, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

static void apply_env(const char *const *env)
{
    /* ASan (--enable-sanitizers) refuses to start behind another preload; the tests add one. */
    setenv("ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=1", 1);
    for (size_t i = 0; env && env[i]; i++) {
        const char *eq = strchr(env[i], '=');
        if (eq == NULL) {
            unsetenv(env[i]);
        } else {
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)(eq - env[i]), env[i]);
            setenv(name, eq + 1, 1);
        }
    }
}

pid_t spawn_start(const char *const *argv, const char *const *env, struct spawn_result *r)
{
    memset(r, 0, sizeof *r);
    FILE *out = tmpfile(), *err = tmpfile();
    cr_assert(out && err);
    fflush(NULL);
    r->seconds = now();
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(fileno(out), STDOUT_FILENO);
        dup2(fileno(err), STDERR_FILENO);
        apply_env(env);
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "cannot run %s\n", argv[0]);
        _exit(99);
    }
    for (size_t i = 0; i < sizeof captures / sizeof captures[0]; i++) {
        if (captures[i].out == NULL) {
            captures[i] = (struct capture){ out, err };
            r->out = (char *)&captures[i]; /* a handle until spawn_wait */
            return pid;
        }
    }
    cr_assert_fail("too many runs at once");
    return -1;
}

void spawn_wait(pid_t pid, struct spawn_result *r)
{
    struct capture *c = (struct capture *)r->out;
    int status;
    /* Our own deadline instead of Criterion's .timeout, which leaks in its runner under ASan. */
    double deadline = now() + SPAWN_TIMEOUT_S;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            cr_assert_fail("still running after %d s", SPAWN_TIMEOUT_S);
        }
        usleep(5000);
    }
    r->seconds = now() - r->seconds;
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r->out = slurp(c->out);
    r->err = slurp(c->err);
    c->out = c->err = NULL;
}

void spawn_run(const char *const *argv, const char *const *env, struct spawn_result *r)
{
    spawn_wait(spawn_start(argv, env, r), r);
}

void spawn_free(struct spawn_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}
