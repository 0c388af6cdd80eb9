/* Descriptors and errno: a program that closes every descriptor (a loop, closefrom, close_range)
 * and reuses the numbers keeps its files intact and still gets its log, even while other threads
 * wait; between two calls the library holds no descriptor at all (only a wait's timer, during the
 * wait, which a fork child does not keep); every descriptor of the library is O_CLOEXEC and none
 * survives exec; every hook leaves errno alone on success. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardening.h"

TestSuite(descriptors, .timeout = 180);

/* The requests of "hard-helper fds", each one log record: before the close, getrandom
 * GRND_NONBLOCK, an interrupted getrandom, and GRND_NONBLOCK again just before it; after it, GRND_NONBLOCK, GRND_INSECURE, an
 * interrupted getrandom, opening /dev/urandom, reading it, fopen of it, fread from it. */
#define FDS_RECORDS 10

static void check_descriptors(const char *helper, const char *mode)
{
    char dir[1024], log_path[1100], log_var[1200], report_path[1100];
    snprintf(dir, sizeof dir, "%s", test_path(mode));
    mkdir(dir, 0755);
    snprintf(log_path, sizeof log_path, "%s/log.jsonl", dir);
    snprintf(report_path, sizeof report_path, "%s/report", dir);
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s", log_path);
    const char *env[] = { log_var, "EARLYRANDOM_HANG_TIMEOUT=off", NULL };
    const char *argv[] = { helper, "fds", mode, dir, NULL };
    struct spawn_opts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 30000 };
    struct spawn_result r;
    spawn_run(&r, &o);
    char *report = read_whole(report_path, NULL);
    cr_assert(report != NULL, "%s: no report (exit %d, signal %d): %s %s", mode, r.exit_code, r.signal,
              r.out, r.err);

    cr_expect(count_lines_with(report, "start-fd") == 0,
              "%s: the library holds descriptors before the program asked for anything:\n%s", mode, report);
    cr_expect(count_lines_with(report, "phase1-wait EINTR") == 1 &&
                  count_lines_with(report, "phase2-wait EINTR") == 1,
              "%s: the waits were not interrupted as set up:\n%s", mode, report);
    cr_expect(count_lines_with(report, "phase1-libfd") == 0,
              "%s: the library holds a descriptor between calls:\n%s", mode, report);
    cr_expect(count_lines_with(report, "phase2-libfd") == 0,
              "%s: after the close, the library holds a descriptor between calls:\n%s", mode, report);
    cr_expect(strstr(report, "cloexec=0") == NULL,
              "%s: a descriptor of the library is not O_CLOEXEC: %s\n%s", mode,
              line_with(report, "cloexec=0"), report);
    /* the timer of each wait, seen from another thread during the wait */
    cr_expect(count_lines_with(report, "phase1-waitfd") >= 1 && count_lines_with(report, "phase2-waitfd") >= 1 &&
                  strstr(report, "timerfd") != NULL,
              "%s: the wait's timer descriptor was not seen:\n%s", mode, report);
    cr_expect(count_lines_with(report, "phase2-devread 16") == 1 && count_lines_with(report, "phase2-fread 16") == 1,
              "%s: reading /dev/urandom failed:\n%s", mode, report);
    for (int k = 1; k <= 7; k++) {
        char want[128];
        snprintf(want, sizeof want, "own %d fd=%d size=4096 same=1 offset_kept=1", k, k);
        cr_expect(strstr(report, want) != NULL,
                  "%s: the program's file %d was written, read or moved by the library:\n%s", mode, k, report);
    }
    cr_expect(strstr(report, "after-exec fds=8 leaked=0") != NULL,
              "%s: a descriptor of the library survived exec:\n%s", mode, report);
    cr_expect(r.exit_code == 0, "%s: exit %d (signal %d): %s", mode, r.exit_code, r.signal, r.err);

    size_t len = 0;
    char *log = read_whole(log_path, &len);
    cr_assert(log != NULL, "%s: the log never arrived", mode);
    long bad = 0;
    char first_bad[512];
    long good = check_jsonl(log, len, &bad, first_bad, sizeof first_bad);
    cr_expect(bad == 0, "%s: %ld invalid log lines, first: %s", mode, bad, first_bad);
    cr_expect(good == FDS_RECORDS, "%s: %ld log records, expected %d:\n%s", mode, good, FDS_RECORDS, log);
    cr_expect(count_lines_with(log, "\"action\":\"interrupted\"") == 2, "%s: %s", mode, log);
    free(log);
    free(report);
    spawn_free(&r);
}

/* closefrom and close_range came with glibc 2.34: no program calls them where the C library lacks them. */
#ifdef HAVE_CLOSEFROM
#define NEEDS_CLOSEFROM() ((void)0)
#else
#define NEEDS_CLOSEFROM() cr_skip_test("this C library has no closefrom (glibc 2.34+)")
#endif
#ifdef HAVE_CLOSE_RANGE
#define NEEDS_CLOSE_RANGE() ((void)0)
#else
#define NEEDS_CLOSE_RANGE() cr_skip_test("this C library has no close_range (glibc 2.34+)")
#endif

Test(descriptors, close_loop_plain) { check_descriptors(hard_helper_plain, "loop"); }
Test(descriptors, closefrom_plain)
{
    NEEDS_CLOSEFROM();
    check_descriptors(hard_helper_plain, "closefrom");
}
Test(descriptors, close_range_plain)
{
    NEEDS_CLOSE_RANGE();
    check_descriptors(hard_helper_plain, "close_range");
}
/* a close the hooks cannot see: a bare system call, as Go, static code or glibc itself make */
Test(descriptors, close_range_as_a_bare_system_call) { check_descriptors(hard_helper_plain, "raw"); }
Test(descriptors, close_loop_fortified) { check_descriptors(hard_helper_fortified, "loop"); }
Test(descriptors, closefrom_fortified)
{
    NEEDS_CLOSEFROM();
    check_descriptors(hard_helper_fortified, "closefrom");
}
Test(descriptors, close_range_fortified)
{
    NEEDS_CLOSE_RANGE();
    check_descriptors(hard_helper_fortified, "close_range");
}

/* The helper's errno checks that a C library without arc4random (3 calls), close_range or
 * closefrom (one per file, 3 files) leaves out: glibc < 2.36 and < 2.34. */
#define ERRNO_CHECKS_ABSENT (ARC4_ABSENT * 3 + CLOSE_RANGE_ABSENT * 3 + CLOSEFROM_ABSENT * 3)
#ifdef HAVE_ARC4RANDOM
#define ARC4_ABSENT 0
#else
#define ARC4_ABSENT 1
#endif
#ifdef HAVE_CLOSE_RANGE
#define CLOSE_RANGE_ABSENT 0
#else
#define CLOSE_RANGE_ABSENT 1
#endif
#ifdef HAVE_CLOSEFROM
#define CLOSEFROM_ABSENT 0
#else
#define CLOSEFROM_ABSENT 1
#endif

/* A program that frees every number above 2 while two threads wait in getrandom (the waits'
 * timers among them), then puts pipes of its own on the lowest numbers: the waits still end at the
 * init moment, or when the ready file appears, and the library neither reads, closes nor takes
 * the program's numbers (the pipes get 3 to 10, as without the library). */
static void check_close_during_wait(const char *how, bool ready_file)
{
    static char ready_path[1024], ready_var[1100];
    snprintf(ready_path, sizeof ready_path, "%s", test_path("waitclose-ready"));
    unlink(ready_path);
    snprintf(ready_var, sizeof ready_var, "EARLYRANDOM_READY_FILE=%s", ready_path);
    const char *env[] = { ready_file ? ready_var : "EARLYRANDOM_INIT_AFTER=1500ms", "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { hard_helper_plain, "waitclose", how, NULL };
    struct spawn_opts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 30000 };
    struct spawn_proc *p = spawn_start(&o);
    bool closed = spawn_await_output(p, "waitclose closed", 20000);
    if (closed && ready_file)
        create_file(ready_path);
    struct spawn_result r;
    spawn_finish(p, &r);
    cr_assert(closed, "%s: the program never closed its descriptors: exit %d, signal %d: %s %s", how, r.exit_code,
              r.signal, r.out, r.err);
    cr_expect(strstr(r.out, "waitclose returned=2 of=2") != NULL,
              "%s: the waits did not both return with 16 bytes (signal 14: still waiting after 20 s): signal %d: %s %s",
              how, r.signal, r.out, r.err);
    cr_expect(strstr(r.out, "intact=4 of=4") != NULL, "%s: a pipe of the program's was read or closed: %s", how, r.out);
    if (strcmp(how, "dup2") == 0) {
        const char *kept = strstr(r.out, "devnull_kept=");
        int n = -1, of = -2;
        cr_expect(kept != NULL && sscanf(kept, "devnull_kept=%d of=%d", &n, &of) == 2 && n == of,
                  "dup2: a number the program put /dev/null on was closed: %s", r.out);
    } else {
        cr_expect(strstr(r.out, "pipes on 3..10") != NULL, "%s: the program's pipes did not get the lowest numbers: %s",
                  how, r.out);
    }
    spawn_free(&r);
}

Test(descriptors, closing_a_waits_timer_with_close_leaves_the_program_its_numbers) { check_close_during_wait("loop", false); }
Test(descriptors, closing_a_waits_timer_with_dup2_leaves_the_program_its_files) { check_close_during_wait("dup2", false); }
Test(descriptors, closing_a_waits_timer_unseen_leaves_the_program_its_files) { check_close_during_wait("raw", false); }
Test(descriptors, closing_the_timers_of_ready_file_waits_still_ends_them_when_it_appears)
{
    check_close_during_wait("loop", true);
}
#ifdef HAVE_CLOSE_RANGE
Test(descriptors, closing_a_waits_timer_with_close_range_leaves_the_program_its_numbers)
{
    check_close_during_wait("close_range", false);
}
#endif
#ifdef HAVE_CLOSEFROM
Test(descriptors, closing_a_waits_timer_with_closefrom_leaves_the_program_its_numbers)
{
    check_close_during_wait("closefrom", true);
}
#endif

/* A fork while another thread waits: the child holds the descriptors the parent held before the
 * wait began, not the wait's timer, which nothing in the child would ever close. */
Test(descriptors, a_fork_child_does_not_inherit_a_waits_timer)
{
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=1500ms", "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { hard_helper_plain, "forkwait", NULL };
    struct spawn_opts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 30000 };
    struct spawn_result r;
    spawn_run(&r, &o);
    const char *child = strstr(r.out, "forkwait child: ");
    int in_child = -1, before = -2;
    cr_assert(child != NULL && sscanf(child, "forkwait child: %d descriptors above 2, %d before", &in_child, &before) == 2,
              "no report from the child: exit %d, signal %d: %s %s", r.exit_code, r.signal, r.out, r.err);
    cr_expect(in_child == before, "the child holds %d descriptors above 2, the parent held %d before the wait: %s",
              in_child, before, r.out);
    cr_expect(strstr(r.out, "forkwait parent: getrandom 16") != NULL && r.exit_code == 0, "the parent's wait: %s %s",
              r.out, r.err);
    spawn_free(&r);
}

/* errno: every hook, on its success path, leaves errno as the program set it (4242). The helper
 * runs first without the preload: a call that glibc itself lets change errno would be excused
 * there, so the comparison is with what the program sees without us. */
static void check_errno(const char *helper, const char *what, const char *const *env, bool before_init)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", test_path("errno"));
    mkdir(dir, 0755);
    const char *argv[] = { helper, "errno", dir, before_init ? "before-init" : NULL, NULL };
    struct spawn_opts base = { .argv = argv, .env = NULL, .preload = NULL, .timeout_ms = 30000 };
    struct spawn_result b;
    spawn_run(&b, &base);
    cr_assert(b.exit_code == 0 || count_lines_with(b.out, "errno ") > 100,
              "the helper does not run without the preload: %s %s", b.out, b.err);
    struct spawn_opts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 30000 };
    struct spawn_result r;
    spawn_run(&r, &o);
    cr_expect(r.exit_code == 0, "%s: a hook changed errno or failed (exit %d, signal %d); stderr: %s", what,
              r.exit_code, r.signal, r.err);
    int calls = count_lines_with(r.out, "errno ") - 1;
    cr_expect(calls == count_lines_with(b.out, "errno ") - 1 && calls > 120 - ERRNO_CHECKS_ABSENT,
              "%s: %d calls checked under the preload: %s", what, calls, r.out);
    /* every line that differs from the run without the preload names the call */
    const char *p = r.out;
    while (*p) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char line[256];
        snprintf(line, sizeof line, "%.*s", (int)(n < 255 ? n : 255), p);
        if (strncmp(line, "errno ", 6) == 0 && strncmp(line, "errno failures", 14) != 0 &&
            strstr(b.out, line) == NULL)
            cr_expect(0, "%s: %s (without the preload: %s)", what, line,
                      line_with(b.out, strtok(line + 6, " ")));
        p = end ? end + 1 : p + n;
    }
    spawn_free(&b);
    spawn_free(&r);
}

Test(descriptors, errno_before_init_fallback_with_a_log_file)
{
    const char *env[] = { "EARLYRANDOM_POLICY=fallback", NULL, NULL };
    static char var[1200];
    snprintf(var, sizeof var, "EARLYRANDOM_LOG=%s", test_path("errno-fallback.jsonl"));
    env[1] = var;
    check_errno(hard_helper_plain, "plain, fallback", env, true);
    check_errno(hard_helper_fortified, "fortified, fallback", env, true);
    cr_expect(file_exists(test_path("errno-fallback.jsonl")), "the requests were not logged");
}

Test(descriptors, errno_before_init_blocking_until_a_near_init)
{
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=150ms", "EARLYRANDOM_LOG=stderr", NULL };
    check_errno(hard_helper_plain, "plain, block until 150 ms", env, true);
}

Test(descriptors, errno_passthrough_logging)
{
    static char var[1200];
    snprintf(var, sizeof var, "EARLYRANDOM_LOG=%s", test_path("errno-pass.jsonl"));
    const char *env[] = { "EARLYRANDOM_POLICY=passthrough", var, NULL };
    check_errno(hard_helper_plain, "plain, passthrough", env, false);
}

Test(descriptors, errno_after_init_logging_everything)
{
    static char var[1200];
    snprintf(var, sizeof var, "EARLYRANDOM_LOG=%s", test_path("errno-all.jsonl"));
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=0", "EARLYRANDOM_LOG_ALL=1", var, NULL };
    check_errno(hard_helper_plain, "plain, after init, log all", env, false);
    check_errno(hard_helper_fortified, "fortified, after init, log all", env, false);
}

Test(descriptors, errno_after_init_fast_path)
{
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=0", NULL };
    check_errno(hard_helper_plain, "plain, after init", env, false);
    check_errno(hard_helper_fortified, "fortified, after init", env, false);
}

/* The same while other threads log without pause: the program closes every descriptor above 2
 * and opens a file of its own 10000 times, and until that file took the log's number 10 times.
 * Not one record may land in the program's file, and none may be lost: the log holds one record
 * per request. */
Test(descriptors, closing_every_descriptor_while_other_threads_log)
{
    char dir[1024], log_path[1100], log_var[1200];
    snprintf(dir, sizeof dir, "%s", test_path("closerace"));
    mkdir(dir, 0755);
    snprintf(log_path, sizeof log_path, "%s/log.jsonl", dir);
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s", log_path);
    const char *env[] = { log_var, NULL };
    const char *argv[] = { hard_helper_nosan, "closerace", "3", "10000", "10", dir, NULL };
    struct spawn_opts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 120000 };
    struct spawn_result r;
    spawn_run(&r, &o);
    char sum[512];
    snprintf(sum, sizeof sum, "%s", line_with(r.out, "closerace cycles="));
    fprintf(stderr, "descriptors: %s\n", sum);
    cr_assert(sum[0] != '\0', "no summary: exit %d, signal %d: %s %s", r.exit_code, r.signal, r.out, r.err);
    /* the race was run: the loggers were busy throughout, and the program's file took the log's
     * first number (3) again and again */
    cr_expect(field(sum, "requests", 0) > 10000 && field(sum, "reused", 0) >= 10, "the race did not happen: %s", sum);
    cr_expect(field(sum, "polluted", -1) == 0,
              "the library wrote log records into the program's own file (%s):\n%s\n%.2000s", sum,
              line_with(r.out, "first pollution"), r.err);
    size_t len;
    char *log = read_whole(log_path, &len);
    cr_assert(log != NULL, "no log");
    long bad;
    char first_bad[512];
    long good = check_jsonl(log, len, &bad, first_bad, sizeof first_bad);
    cr_expect(bad == 0, "%ld invalid lines in the log: %s", bad, first_bad);
    cr_expect(good == (long)field(sum, "requests", -1), "%ld records in the log for %.0f requests", good,
              field(sum, "requests", -1));
    free(log);
    unlink(log_path);
    spawn_free(&r);
}
