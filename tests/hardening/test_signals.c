/* Signals during a wait: Ctrl-C on a waiting python3 gives KeyboardInterrupt; SIGSTOP/SIGCONT
 * does not lose the init moment; EINTR versus SA_RESTART through every blocking entry point, in
 * the plain and the fortified build. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hrun.h"

TestSuite(signals, .timeout = 60);

#define PYTHON "/usr/bin/python3"

Test(signals, ctrl_c_on_a_waiting_python_gives_KeyboardInterrupt)
{
    cr_assert(access(PYTHON, X_OK) == 0, PYTHON " is missing: install the Debian package python3");
    const char *env[] = { "EARLYRANDOM_HANG_TIMEOUT=off", NULL };
    const char *argv[] = { PYTHON, "-c", "import os; os.urandom(16); print('returned')", NULL };
    struct hopts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 5000,
                       .signals = { { 300, SIGINT } } };
    struct hres r;
    hrun(&r, &o);
    cr_expect(!r.timed_out, "python3 was still waiting 5 s after Ctrl-C: %s", r.err);
    cr_expect(strstr(r.err, "KeyboardInterrupt") != NULL, "no KeyboardInterrupt on stderr:\n%s", r.err);
    cr_expect(strstr(r.out, "returned") == NULL, "os.urandom returned: %s", r.out);
    /* CPython ends an uncaught KeyboardInterrupt by killing itself with SIGINT (a shell shows 130) */
    cr_expect(r.signal == SIGINT || r.exit_code == 130 || r.exit_code == 1,
              "python3 ended with exit %d, signal %d", r.exit_code, r.signal);
    cr_expect(r.wall_ms >= 290 && r.wall_ms < 1500, "ended after %.0f ms, Ctrl-C at 300", r.wall_ms);
    cr_expect(strstr(r.err, "interrupted") != NULL, "the interrupted wait is logged:\n%s", r.err);
    hres_free(&r);
}

static void stop_and_continue(const char *const *action, int stop_ms, int cont_ms, double lo, double hi)
{
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=400ms", "EARLYRANDOM_LOG=none", NULL };
    const char *argv[8] = { er_probe_plain };
    for (int i = 0; action[i] && i < 6; i++)
        argv[i + 1] = action[i];
    struct hopts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 5000,
                       .signals = { { stop_ms, SIGSTOP }, { cont_ms, SIGCONT } } };
    struct hres r;
    hrun(&r, &o);
    cr_expect(strncmp(r.out, "ok ", 3) == 0, "%s: stopped %d..%d ms, init at 400: %s %s", action[0], stop_ms,
              cont_ms, r.out, r.err);
    /* the runner's clock: the signals are sent on it, and the program starts a little later */
    cr_expect(r.wall_ms >= lo && r.wall_ms < hi,
              "%s: stopped %d..%d ms, init at 400: returned after %.1f ms, expected %.0f..%.0f", action[0], stop_ms,
              cont_ms, r.wall_ms, lo, hi);
    hres_free(&r);
}

static const char *const a_getrandom[] = { "getrandom", "16", NULL };
static const char *const a_getentropy[] = { "getentropy", "16", NULL };
static const char *const a_devread[] = { "dev-read", "/dev/random", "16", NULL };

Test(signals, stopped_across_the_init_moment_returns_right_after_SIGCONT)
{
    stop_and_continue(a_getrandom, 100, 600, 600, 800);
    stop_and_continue(a_getentropy, 100, 600, 600, 800);
    stop_and_continue(a_devread, 100, 600, 600, 800);
}

Test(signals, stopped_and_continued_before_the_init_moment_returns_at_it)
{
    stop_and_continue(a_getrandom, 100, 200, 400, 650);
    stop_and_continue(a_getentropy, 100, 200, 400, 650);
    stop_and_continue(a_devread, 100, 200, 400, 650);
}

/* EINTR versus SA_RESTART: a handler runs at 150 ms, init is at 400 ms. A blocked getrandom,
 * syscall(SYS_getrandom) or /dev/random read fails with EINTR after a handler without SA_RESTART
 * (stdio reports it through the stream's error indicator) and waits on after one with it;
 * getentropy and arc4random wait through both, as glibc's loops do. */
struct blocking_call {
    const char *action[4];
    const char *reported; /* the api word of er-probe's result line */
    bool keeps_waiting;   /* through EINTR */
};

static const struct blocking_call calls[] = {
    { { "getrandom", "16", "RANDOM" }, "getrandom", false },
    { { "syscall", "16" }, "syscall", false },
    { { "dev-read", "/dev/random", "16" }, "read", false },
    { { "dev-readv", "/dev/random", "16" }, "readv", false },
    { { "dev-pread", "/dev/random", "16" }, "pread", false },
    { { "dev-openat", "/dev/random", "16" }, "openat", false },
    { { "dev-dup2", "/dev/random", "16" }, "dup2", false },
    { { "dev-fcntl", "/dev/random", "16" }, "fcntl", false },
    { { "dev-fread", "/dev/random", "16" }, "fread", false },
    { { "dev-fgetc", "/dev/random" }, "fgetc", false },
    { { "getentropy", "16" }, "getentropy", true },
    { { "arc4random" }, "arc4random", true },
    { { "arc4random_buf", "16" }, "arc4random_buf", true },
    { { "arc4random_uniform" }, "arc4random_uniform", true },
};

static void check_signal_matrix(const char *probe, bool restart)
{
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        const struct blocking_call *c = &calls[i];
        const char *env[] = { "EARLYRANDOM_INIT_AFTER=400ms", "EARLYRANDOM_LOG=none", NULL };
        const char *argv[10] = { probe, "signal", restart ? "restart" : "eintr", "150" };
        for (int k = 0; k < 4 && c->action[k]; k++)
            argv[4 + k] = c->action[k];
        struct hopts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 5000 };
        struct hres r;
        hrun(&r, &o);
        char want[128];
        double ms = field(r.out, "ms", -1);
        if (restart || c->keeps_waiting) {
            snprintf(want, sizeof want, "ok %s ", c->reported);
            /* the init moment counts from the library's load: the runner's clock sees all of it */
            cr_expect(strstr(r.out, want) != NULL && r.wall_ms >= 400 && r.wall_ms < 900,
                      "%s %s with %s: expected to wait on until init (400 ms), got after %.1f ms: %s %s", probe,
                      c->action[0], restart ? "SA_RESTART" : "no SA_RESTART", r.wall_ms, r.out, r.err);
        } else {
            snprintf(want, sizeof want, "err %s errno=EINTR", c->reported);
            cr_expect(strstr(r.out, want) != NULL && ms >= 145 && ms < 390,
                      "%s %s without SA_RESTART: expected EINTR at 150 ms, got: %s %s", probe, c->action[0],
                      r.out, r.err);
        }
        hres_free(&r);
    }
}

Test(signals, eintr_through_every_blocking_entry_point_plain) { check_signal_matrix(er_probe_plain, false); }
Test(signals, sa_restart_through_every_blocking_entry_point_plain) { check_signal_matrix(er_probe_plain, true); }
Test(signals, eintr_through_every_blocking_entry_point_fortified) { check_signal_matrix(er_probe_fortified, false); }
Test(signals, sa_restart_through_every_blocking_entry_point_fortified) { check_signal_matrix(er_probe_fortified, true); }
