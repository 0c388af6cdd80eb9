/* Signals during a wait: Ctrl-C on a waiting python3 gives KeyboardInterrupt; SIGSTOP/SIGCONT
 * does not lose the init moment; EINTR versus SA_RESTART through every blocking entry point, in
 * the plain and the fortified build. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hardening.h"

static const char *const a_getrandom[] = { "getrandom", "16", NULL };
static const char *const a_getentropy[] = { "getentropy", "16", NULL };
static const char *const a_devread[] = { "dev-read", "/dev/random", "16", NULL };

/* Each signal is sent at a moment the test has seen: the program asleep in the wait, or stopped,
 * or its "signal sent" line; the pool initializes at a moment the test controls (an epoch it
 * took, or a ready file it creates). Time bounds leave a loaded machine its scheduling delays. */
TestSuite(signals, .timeout = 180);

#define PYTHON "/usr/bin/python3"
#define WAKE_MARGIN_MS 1500

Test(signals, ctrl_c_on_a_waiting_python_gives_KeyboardInterrupt)
{
    cr_assert(access(PYTHON, X_OK) == 0, PYTHON " is missing: install the Debian package python3");
    const char *env[] = { "EARLYRANDOM_HANG_TIMEOUT=off", NULL };
    const char *argv[] = { PYTHON, "-c", "import os; os.urandom(16); print('returned')", NULL };
    struct spawn_opts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 30000 };
    struct spawn_proc *p = spawn_start(&o);
    bool waiting = spawn_await_waiting(p, 20000);
    double sent = spawn_now_ms();
    kill(spawn_pid(p), SIGINT);
    struct spawn_result r;
    spawn_finish(p, &r);
    double after = spawn_now_ms() - sent;
    cr_assert(waiting, "python3 never waited in os.urandom: %s %s", r.out, r.err);
    cr_expect(!r.timed_out, "python3 was still waiting long after Ctrl-C: %s", r.err);
    cr_expect(strstr(r.err, "KeyboardInterrupt") != NULL, "no KeyboardInterrupt on stderr:\n%s", r.err);
    cr_expect(strstr(r.out, "returned") == NULL, "os.urandom returned: %s", r.out);
    /* CPython ends an uncaught KeyboardInterrupt by killing itself with SIGINT (a shell shows 130) */
    cr_expect(r.signal == SIGINT || r.exit_code == 130 || r.exit_code == 1,
              "python3 ended with exit %d, signal %d", r.exit_code, r.signal);
    cr_expect(after < WAKE_MARGIN_MS, "ended %.0f ms after Ctrl-C", after);
    cr_expect(strstr(r.err, "interrupted") != NULL, "the interrupted wait is logged:\n%s", r.err);
    spawn_free(&r);
}

/* Fills the FIFO's buffer: whoever writes to it next blocks until the test drains it. */
static void fill_fifo(const char *path)
{
    int writer = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    cr_assert(writer >= 0, "opening the FIFO to fill it: %s", strerror(errno));
    static const char filler[4096] = { 0 };
    while (write(writer, filler, sizeof filler) > 0)
        continue;
    close(writer);
}

/* Reads the FIFO until its last writer closes it or timeout_ms passes; returns the bytes read
 * after the filler (the program's own stderr). */
static size_t drain_fifo(int reader, char *out, size_t cap, int timeout_ms)
{
    size_t got = 0;
    char buf[4096];
    double until = spawn_now_ms() + timeout_ms;
    while (spawn_now_ms() < until) {
        struct pollfd pfd = { reader, POLLIN, 0 };
        if (poll(&pfd, 1, 100) <= 0)
            continue;
        ssize_t n = read(reader, buf, sizeof buf);
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != '\0' && got + 1 < cap)
                out[got++] = buf[i];
    }
    out[got] = '\0';
    return got;
}

Test(signals, ctrl_c_while_the_waiting_python_logs_its_hang_still_gives_KeyboardInterrupt)
{
    /* The hang record goes to a stderr that blocks (a FIFO the test fills once python3 waits):
     * Ctrl-C lands while python3 is inside the wait but not asleep in it, and must still end the
     * wait, as it ends the kernel's. */
    cr_assert(access(PYTHON, X_OK) == 0, PYTHON " is missing: install the Debian package python3");
    const char *fifo = test_path("stderr.fifo");
    unlink(fifo);
    cr_assert(mkfifo(fifo, 0600) == 0, "mkfifo %s: %s", fifo, strerror(errno));
    int reader = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    cr_assert(reader >= 0, "opening the FIFO: %s", strerror(errno));
    /* the hang record comes long after the test has seen the wait and filled the FIFO */
    const char *env[] = { "EARLYRANDOM_HANG_TIMEOUT=2s", "EARLYRANDOM_LOG=stderr", NULL };
    const char *argv[] = { "/bin/sh", "-c", "exec \"$@\" 2>\"$0\"", fifo, PYTHON, "-c",
                           "import os; os.urandom(16); print('returned')", NULL };
    struct spawn_opts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 30000 };
    struct spawn_proc *p = spawn_start(&o);
    pid_t pid = spawn_pid(p);
    bool waiting = spawn_await_waiting(p, 20000), in_write = false;
    if (waiting) {
        fill_fifo(fifo);
        for (double until = spawn_now_ms() + 20000; !in_write && spawn_now_ms() < until; usleep(2000))
            in_write = thread_sleeps_in_syscall(pid, pid, SYS_write);
    }
    if (in_write)
        kill(pid, SIGINT);
    static char err[65536];
    drain_fifo(reader, err, sizeof err, 20000);
    close(reader);
    struct spawn_result r;
    spawn_finish(p, &r);
    cr_assert(waiting && in_write, "python3 never blocked writing its hang record: %s %s %s", r.out, r.err, err);
    cr_expect(!r.timed_out, "python3 still waited after Ctrl-C: the signal was lost to the log's write");
    cr_expect(strstr(err, "KeyboardInterrupt") != NULL, "no KeyboardInterrupt on stderr:\n%s", err);
    cr_expect(strstr(r.out, "returned") == NULL, "os.urandom returned: %s", r.out);
    spawn_free(&r);
}

/* Runs action with the init moment init_ms after an epoch taken at the start, stops it once it
 * waits and continues it 300 ms after the init moment (across) or 100 ms after the stop. Returns
 * false when the probe did not wait (the machine took longer than init_ms to start it): the
 * caller tries a later moment. */
static bool stopped_run(const char *const *action, int init_ms, bool across, struct spawn_result *r,
                        double *init_at, double *cont_at)
{
    static char epoch_var[64], init_var[64];
    double epoch = spawn_boottime_ms();
    snprintf(epoch_var, sizeof epoch_var, "EARLYRANDOM_EPOCH=%lld", (long long)(epoch * 1e6));
    snprintf(init_var, sizeof init_var, "EARLYRANDOM_INIT_AFTER=%dms", init_ms);
    *init_at = epoch + init_ms;
    const char *env[] = { epoch_var, init_var, "EARLYRANDOM_LOG=none", NULL };
    const char *argv[8] = { er_probe_plain };
    for (int i = 0; action[i] && i < 6; i++)
        argv[i + 1] = action[i];
    struct spawn_opts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 30000 };
    struct spawn_proc *p = spawn_start(&o);
    bool waiting = spawn_await_waiting(p, init_ms);
    if (waiting) {
        kill(spawn_pid(p), SIGSTOP);
        waiting = spawn_await_stopped(p, 20000);
        /* being stopped for a while is the behaviour under test */
        double until = across ? *init_at + 300 : spawn_boottime_ms() + 100;
        while (spawn_boottime_ms() < until)
            usleep(5000);
        *cont_at = spawn_boottime_ms();
        kill(spawn_pid(p), SIGCONT);
    }
    spawn_finish(p, r);
    return waiting;
}

Test(signals, stopped_across_the_init_moment_returns_right_after_SIGCONT)
{
    static const char *const *const actions[] = { a_getrandom, a_getentropy, a_devread };
    for (size_t i = 0; i < 3; i++) {
        struct spawn_result r;
        double init_at = 0, cont_at = 0;
        bool done = false;
        for (int init_ms = 1000; !done && init_ms <= 16000; init_ms *= 4) {
            done = stopped_run(actions[i], init_ms, true, &r, &init_at, &cont_at);
            if (!done || cont_at < init_at)
                spawn_free(&r), done = false;
        }
        cr_assert(done, "%s: never seen waiting, then stopped across the init moment", actions[i][0]);
        double at = field(r.out, "boot_ms", -1);
        cr_expect(strncmp(r.out, "ok ", 3) == 0, "%s: %s %s", actions[i][0], r.out, r.err);
        cr_expect(at >= cont_at && at < cont_at + WAKE_MARGIN_MS,
                  "%s: continued %.0f ms after the init moment, returned %.1f ms after SIGCONT", actions[i][0],
                  cont_at - init_at, at - cont_at);
        spawn_free(&r);
    }
}

Test(signals, stopped_and_continued_before_the_init_moment_returns_at_it)
{
    static const char *const *const actions[] = { a_getrandom, a_getentropy, a_devread };
    for (size_t i = 0; i < 3; i++) {
        struct spawn_result r;
        double init_at = 0, cont_at = 0;
        bool done = false;
        for (int init_ms = 1000; !done && init_ms <= 16000; init_ms *= 4) {
            done = stopped_run(actions[i], init_ms, false, &r, &init_at, &cont_at);
            if (!done || cont_at >= init_at)
                spawn_free(&r), done = false;
        }
        cr_assert(done, "%s: never seen waiting, then stopped and continued before the init moment", actions[i][0]);
        double at = field(r.out, "boot_ms", -1);
        cr_expect(strncmp(r.out, "ok ", 3) == 0, "%s: %s %s", actions[i][0], r.out, r.err);
        cr_expect(at >= init_at && at < init_at + WAKE_MARGIN_MS,
                  "%s: continued %.0f ms before the init moment, returned %.1f ms after it", actions[i][0],
                  init_at - cont_at, at - init_at);
        spawn_free(&r);
    }
}

/* EINTR versus SA_RESTART: a handler runs 150 ms into the wait. A blocked getrandom,
 * syscall(SYS_getrandom) or /dev/random read fails with EINTR after a handler without SA_RESTART
 * (stdio reports it through the stream's error indicator) and waits on after one with it, until
 * the pool initializes (the ready file, created once the signal was sent); getentropy and
 * arc4random wait through both, as glibc's loops do. */
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
#ifndef HAVE_ARC4RANDOM
        /* No program can call what the C library does not have (glibc < 2.36). */
        if (strncmp(c->action[0], "arc4random", 10) == 0) {
            fprintf(stderr, "signals: %s: case skipped: this C library has no %s (glibc 2.36+)\n", c->action[0],
                    c->action[0]);
            continue;
        }
#endif
        static char ready_path[1024], ready_var[1100];
        snprintf(ready_path, sizeof ready_path, "%s", test_path("ready"));
        unlink(ready_path);
        snprintf(ready_var, sizeof ready_var, "EARLYRANDOM_READY_FILE=%s", ready_path);
        bool waits_on = restart || c->keeps_waiting;
        /* Only a call that waits on gets a ready file: a pool that initializes while a signal is
         * on its way may end the wait with success, in the kernel as here (the condition is looked
         * at before the signal), so an EINTR case must have a pool that never initializes. */
        const char *env[] = { waits_on ? ready_var : "EARLYRANDOM_LOG=none", "EARLYRANDOM_LOG=none", NULL };
        const char *argv[10] = { probe, "signal", restart ? "restart" : "eintr", "150" };
        for (int k = 0; k < 4 && c->action[k]; k++)
            argv[4 + k] = c->action[k];
        struct spawn_opts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 30000 };
        struct spawn_proc *p = spawn_start(&o);
        bool sent = spawn_await_output(p, "signal sent", 20000);
        double created = spawn_boottime_ms();
        if (waits_on)
            create_file(ready_path);
        struct spawn_result r;
        spawn_finish(p, &r);
        char want[128];
        const char *sent_line = line_with(r.out, "signal sent");
        cr_expect(sent, "%s %s: the signal was never sent: %s %s", probe, c->action[0], r.out, r.err);
        if (waits_on) {
            snprintf(want, sizeof want, "ok %s ", c->reported);
            double at = field(line_with(r.out, want), "boot_ms", -1);
            cr_expect(strstr(r.out, want) != NULL && at >= created,
                      "%s %s with %s: expected to wait on until the pool initializes (after the signal), got: %s %s",
                      probe, c->action[0], restart ? "SA_RESTART" : "no SA_RESTART", r.out, r.err);
        } else {
            snprintf(want, sizeof want, "err %s errno=EINTR", c->reported);
            double ms = field(line_with(r.out, want), "ms", -1);
            cr_expect(strstr(r.out, want) != NULL && ms >= field(sent_line, "ms", 1e9),
                      "%s %s without SA_RESTART: expected EINTR after the signal, got: %s %s", probe, c->action[0],
                      r.out, r.err);
        }
        spawn_free(&r);
    }
}

Test(signals, eintr_through_every_blocking_entry_point_plain) { check_signal_matrix(er_probe_plain, false); }
Test(signals, sa_restart_through_every_blocking_entry_point_plain) { check_signal_matrix(er_probe_plain, true); }
Test(signals, eintr_through_every_blocking_entry_point_fortified) { check_signal_matrix(er_probe_fortified, false); }
Test(signals, sa_restart_through_every_blocking_entry_point_fortified) { check_signal_matrix(er_probe_fortified, true); }
