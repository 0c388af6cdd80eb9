/* Threads and processes: 64 threads waiting across the init moment, 1000 times over, without a
 * deadlock or a lost wake-up; fork, vfork and posix_spawn while other threads wait, the children
 * that exec keeping the preload with settings of their own; cancelling a thread blocked in
 * getrandom or in a /dev/random read. */
#include <criterion/criterion.h>
#include <gnu/libc-version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "hardening.h"

TestSuite(threads, .timeout = 600);

/* Longest a wake-up may take on a loaded machine; a call that must not wait, likewise. */
#define WAKE_MARGIN_MS 1500
#define AT_ONCE_MS 2000

Test(threads, sixty_four_threads_across_the_init_moment_a_thousand_times)
{
    SKIP_IF_EMULATED("a round must exec a process and start its 64 threads within 12 ms of the "
                     "init moment, which an emulated exec cannot (in 400 s no thread called before "
                     "the moment), and 4000 emulated rounds exceed the deadline");
    static char pre[4200];
    snprintf(pre, sizeof pre, "HARD_PRELOAD=%s", er_library);
    const char *env[] = { pre, NULL };
    /* each round: a new process whose init moment is 12 ms ahead; half its threads call in the
     * 3 ms before it, half in the 3 ms after; 1000 rounds, and more until a quarter of all the
     * threads of 1000 rounds called before the moment (a loaded machine starts them late) */
    const char *argv[] = { hard_helper_nosan, "initrace-driver", "1000", "64", "12", "16000", NULL };
    struct spawn_opts o = { .argv = argv, .env = env, .preload = NULL, .timeout_ms = 400000 };
    struct spawn_result r;
    spawn_run(&r, &o);
    fprintf(stderr, "threads: %s", line_with(r.out, "initrace rounds="));
    const char *sum = line_with(r.out, "initrace rounds=");
    cr_expect(r.exit_code == 0 && field(sum, "rounds", 0) >= 1000 && field(sum, "ok", -1) == field(sum, "rounds", 0),
              "rounds failed (lost: a thread still waiting 10 s after the moment; early: returned "
              "before it; late: resumed more than 1.5 s after it):\n%.4000s\n%s",
              r.out, r.err);
    /* the race is only exercised if threads really were waiting when the moment came */
    double waited = field(r.out, "waited_threads", 0);
    cr_expect(waited >= 1000 * 64 / 4, "only %.0f threads called before the init moment in %.0f rounds", waited,
              field(sum, "rounds", 0));
    spawn_free(&r);
}

Test(threads, fork_vfork_and_posix_spawn_while_other_threads_wait)
{
    static char log_path[1024], log_var[1100];
    snprintf(log_path, sizeof log_path, "%s", test_path("spawnwait.jsonl"));
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s", log_path);
    /* the init moment init_ms after an instant the helper reports its times from; its 8 threads
     * must all be waiting before it forks and spawns: a later moment when the machine was too
     * slow for that */
    struct spawn_result r;
    char sum[512];
    int init_ms = 400;
    for (;; init_ms *= 4) {
        static char epoch_var[64], init_var[64];
        struct timespec now;
        clock_gettime(CLOCK_BOOTTIME, &now);
        snprintf(epoch_var, sizeof epoch_var, "EARLYRANDOM_EPOCH=%lld",
                 (long long)now.tv_sec * 1000000000 + now.tv_nsec);
        snprintf(init_var, sizeof init_var, "EARLYRANDOM_INIT_AFTER=%dms", init_ms);
        unlink(log_path);
        const char *env[] = { init_var, epoch_var, log_var, NULL };
        const char *argv[] = { hard_helper_plain, "spawnwait", er_probe_plain, NULL };
        struct spawn_opts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 60000 };
        spawn_run(&r, &o);
        snprintf(sum, sizeof sum, "%s", line_with(r.out, "spawnwait "));
        cr_assert(sum[0] != '\0', "no summary (exit %d, signal %d, timed out %d): %s %s", r.exit_code, r.signal,
                  r.timed_out, r.out, r.err);
        if (field(sum, "waiting", 0) == 8 || init_ms >= 6400)
            break;
        spawn_free(&r);
    }
    cr_expect(field(sum, "waiting", 0) == 8, "the threads were never all waiting before the init moment: %s", sum);
    cr_expect(strstr(sum, "threads_ok=8 ") != NULL, "%s", sum);
    double min = field(sum, "min_ms", -1), max = field(sum, "max_ms", -1);
    cr_expect(min >= init_ms - 1 && max < init_ms + WAKE_MARGIN_MS,
              "the waiting threads resumed between %.1f and %.1f ms, init at %d", min, max, init_ms);
    cr_expect(strstr(sum, "fork=0 ") != NULL,
              "the forked child did not wait for the inherited init moment (1: failed, 2: early): %s", sum);
    cr_expect(strstr(sum, "vfork=0 spawn1=0 spawn2=0") != NULL, "a spawned child failed: %s", sum);
    /* the exec'd children have the preload and settings of their own */
    cr_expect(count_lines_with(r.out, "err getrandom errno=EAGAIN") == 1,
              "the vfork+exec child (policy eagain) did not get EAGAIN:\n%s", r.out);
    char fallback[512];
    snprintf(fallback, sizeof fallback, "%s", line_with(r.out, "ok getrandom ret=16"));
    cr_expect(count_lines_with(r.out, "ok getrandom ret=16") == 2, "two spawned children succeed:\n%s", r.out);
    double first = field(fallback, "ms", -1);
    cr_expect(first >= 0 && first < AT_ONCE_MS, "the fallback child waited %.1f ms: %s", first, fallback);
    const char *second = strstr(r.out, fallback) + strlen(fallback);
    double own = field(line_with(second, "ok getrandom ret=16"), "exec_ms", -1);
    /* counted from its exec, before the library's load */
    cr_expect(own >= 600 && own < 600 + WAKE_MARGIN_MS,
              "the child with its own init moment (600 ms after its start, not the parent's) returned %.1f ms after "
              "its exec", own);

    size_t len;
    char *log = read_whole(log_path, &len);
    cr_assert(log != NULL, "no log");
    long bad;
    char first_bad[512];
    long good = check_jsonl(log, len, &bad, first_bad, sizeof first_bad);
    cr_expect(bad == 0, "%ld invalid lines: %s", bad, first_bad);
    /* 8 waiting threads, the fork child, the child with its own init moment: block; one eagain;
     * one fallback */
    cr_expect(good == 12, "%ld records, expected 12:\n%s", good, log);
    cr_expect(count_lines_with(log, "\"policy\":\"block\"") == 10, "%s", log);
    cr_expect(count_lines_with(log, "\"policy\":\"eagain\"") == 1, "%s", log);
    cr_expect(count_lines_with(log, "\"policy\":\"fallback\"") == 1, "%s", log);
    char pid_field[64];
    snprintf(pid_field, sizeof pid_field, "\"pid\":%d,", (int)field(sum, "pid", 0));
    cr_expect(count_lines_with(log, pid_field) == 8, "the parent's 8 threads logged under its pid:\n%s", log);
    cr_expect(count_lines_with(log, "er-probe\"") >= 3, "the exec'd children log as er-probe:\n%s", log);
    free(log);
    spawn_free(&r);
}

static void check_cancel(const char *mode)
{
    const char *env[] = { "EARLYRANDOM_LOG=none", "EARLYRANDOM_HANG_TIMEOUT=off", NULL };
    const char *argv[] = { hard_helper_plain, "cancel", mode, "20", NULL };
    struct spawn_opts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 60000 };
    struct spawn_result r;
    spawn_run(&r, &o);
    const char *sum = line_with(r.out, "cancel mode=");
    cr_expect(r.exit_code == 0, "%s: exit %d, signal %d, timed out %d: %s %s", mode, r.exit_code, r.signal,
              r.timed_out, r.out, r.err);
    cr_expect(strstr(sum, "canceled=20 stuck=0") != NULL, "%s: a cancelled thread did not end: %s", mode, sum);
    cr_expect(field(sum, "fds_before", -1) == field(sum, "fds_after", -2),
              "%s: descriptors leaked by cancelled waits: %s", mode, sum);
    cr_expect(field(sum, "worst_ms", 1e9) < WAKE_MARGIN_MS, "%s: cancellation took too long: %s", mode, sum);
    spawn_free(&r);
}

Test(threads, cancelling_a_thread_blocked_in_getrandom) { check_cancel("getrandom"); }
Test(threads, cancelling_a_thread_blocked_reading_dev_random) { check_cancel("read"); }
Test(threads, cancelling_getrandom_when_no_descriptor_is_left_for_the_timer) { check_cancel("nofd-getrandom"); }
Test(threads, cancelling_a_read_when_no_descriptor_is_left_for_the_timer) { check_cancel("nofd-read"); }

/* A cancellation pending as a thread calls each API: getentropy, arc4random_buf and syscall() are
 * no cancellation points, exactly as without the library, whether the call waits (block), fails at
 * once (eagain) or gets weak bytes; and the library's own work in the cancelled thread (loading
 * its settings, logging) never leaves the rest of the program waiting. getrandom is one before
 * init on every glibc: from 2.41 on glibc asks the vDSO first, without blocking, and makes its
 * cancellable system call when that would block, which is what it does before init; a run
 * without the library shows that only where glibc makes the system call anyway (before 2.41, or
 * a kernel without getrandom in its vDSO, before 6.11). */
static const char getrandom_cancelled[] = "cancelpoint api=getrandom canceled=1 mutex_left_locked=1 then_read=16";

static bool real_kernel_has_vdso_getrandom(void)
{
    struct utsname u;
    unsigned major = 0, minor = 0;
    return uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
           (major > 6 || (major == 6 && minor >= 11));
}

static bool glibc_asks_vdso_first(void)
{
    unsigned major = 0, minor = 0;
    return sscanf(gnu_get_libc_version(), "%u.%u", &major, &minor) == 2 &&
           (major > 2 || (major == 2 && minor >= 41)) && real_kernel_has_vdso_getrandom();
}

static void check_cancellation_as_without_the_library(const char *api)
{
    static char log_var[600];
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s", test_path("cancelpoint.jsonl"));
    const char *const policies[][3] = {
        { "EARLYRANDOM_POLICY=block", "EARLYRANDOM_INIT_AFTER=300ms" },
        { "EARLYRANDOM_POLICY=eagain" },
        { "EARLYRANDOM_POLICY=fallback" },
    };
    const char *argv[] = { hard_helper_plain, "cancelpoint", api, NULL };
    struct spawn_result native;
    struct spawn_opts o = { .argv = argv, .timeout_ms = 30000 };
    spawn_run(&native, &o);
    char expected[256]; /* line_with's buffer is reused by the next call */
    snprintf(expected, sizeof expected, "%s", line_with(native.out, "cancelpoint api="));
    cr_assert(native.exit_code == 0 && expected[0] != '\0', "%s without the library: exit %d: %s %s",
              api, native.exit_code, native.out, native.err);
    if (strcmp(api, "getrandom") == 0) {
        if (!glibc_asks_vdso_first())
            cr_expect(strcmp(expected, getrandom_cancelled) == 0, "getrandom without the library: '%s'", expected);
        snprintf(expected, sizeof expected, "%s", getrandom_cancelled);
    }
    for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++) {
        /* eagain makes arc4random abort, as glibc's does when getrandom fails: nothing to compare */
        if (strcmp(api, "arc4random_buf") == 0 && strcmp(policies[i][0], "EARLYRANDOM_POLICY=eagain") == 0)
            continue;
        const char *env[] = { policies[i][0], policies[i][1] ? policies[i][1] : log_var,
                              policies[i][1] ? log_var : NULL, NULL };
        struct spawn_opts p = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 30000 };
        struct spawn_result r;
        spawn_run(&r, &p);
        const char *seen = line_with(r.out, "cancelpoint api=");
        cr_expect(r.exit_code == 0 && strcmp(seen, expected) == 0,
                  "%s under %s: exit %d, signal %d: '%s', expected '%s' %s", api, policies[i][0], r.exit_code,
                  r.signal, seen, expected, r.err);
        spawn_free(&r);
    }
    spawn_free(&native);
}

/* After init, on a simulated kernel with getrandom in its vDSO (the real one has it too), glibc
 * 2.41 and later take the bytes from the vDSO and act on no cancellation, earlier ones do: as
 * without the library. */
Test(threads, after_init_a_pending_cancellation_acts_in_getrandom_as_without_the_library)
{
    if (!real_kernel_has_vdso_getrandom())
        cr_skip_test("this kernel has no getrandom in its vDSO (6.11 and later): a run without the library "
                     "is no oracle for a simulated kernel that has");
    const char *argv[] = { hard_helper_plain, "cancelpoint", "getrandom", NULL };
    struct spawn_result native, r;
    struct spawn_opts o = { .argv = argv, .timeout_ms = 30000 };
    spawn_run(&native, &o);
    char expected[256];
    snprintf(expected, sizeof expected, "%s", line_with(native.out, "cancelpoint api="));
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=0", "EARLYRANDOM_KERNEL=6.12", "EARLYRANDOM_LOG=none", NULL };
    o.env = env;
    o.preload = er_library;
    spawn_run(&r, &o);
    const char *seen = line_with(r.out, "cancelpoint api=");
    cr_expect(expected[0] != '\0' && strcmp(seen, expected) == 0, "after init: '%s', without the library: '%s' %s",
              seen, expected, r.err);
    spawn_free(&r);
    spawn_free(&native);
}

Test(threads, before_init_a_pending_cancellation_acts_in_getrandom) { check_cancellation_as_without_the_library("getrandom"); }
Test(threads, a_pending_cancellation_does_not_act_in_getentropy) { check_cancellation_as_without_the_library("getentropy"); }
Test(threads, a_pending_cancellation_does_not_act_in_arc4random_buf) { check_cancellation_as_without_the_library("arc4random_buf"); }
Test(threads, a_pending_cancellation_does_not_act_in_syscall_getrandom) { check_cancellation_as_without_the_library("syscall"); }
