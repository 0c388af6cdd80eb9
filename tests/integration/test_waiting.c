/* A blocked request behaves like the kernel's: it sleeps (no CPU), resumes at the init moment or
 * when the ready file appears, honours signals, and survives threads and fork. Programs that
 * close every descriptor, and errno on every success path, are tests/hardening/test_descriptors.c's
 * (hard-helper's fds and errno actions). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

/* Time is what these tests are about, so they measure it on the moments that matter: from the
 * exec of the probe (before the library's load, which the init moment counts from), or from the
 * moment the test created the ready file; upper bounds leave a loaded 2-core machine its
 * scheduling delays. Whatever must happen while the probe waits is done once it is seen asleep
 * in the wait (spawn_await_waiting) or once it says so on its output. */
TestSuite(waiting, .timeout = 120);

/* Longest a wake-up may take on a loaded machine: a thread that was never woken would wait on
 * until the deadline, seconds later. */
#define WAKE_MARGIN_MS 1500
/* The library looks at the ready file every 40 ms (ER_READY_FILE_POLL_NS). */
#define READY_POLL_MS 40

Test(waiting, a_300ms_init_waits_300ms_and_burns_no_cpu)
{
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=300ms", "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    double ms = field(r.out, "exec_ms", -1);
    cr_expect(strncmp(r.out, "ok getrandom ret=16", 19) == 0, "got: %s", r.out);
    cr_expect(ms >= 300 && ms < 300 + WAKE_MARGIN_MS, "getrandom returned %.1f ms after exec, expected ~300", ms);
    cr_expect(field(r.out, "cpu", -1) >= 0 && field(r.out, "cpu", -1) < 15, "the 300 ms wait used %.1f ms of CPU",
              field(r.out, "cpu", -1));
}

Test(waiting, never_waits_until_killed)
{
    const char *env[] = { "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    struct spawn_proc *p = start_program(argv, env, 30000);
    /* asleep in the wait, and still there a second later */
    bool waiting = spawn_await_waiting(p, 20000);
    usleep(1000 * 1000);
    bool still = spawn_await_waiting(p, 0);
    kill(spawn_pid(p), SIGKILL);
    struct spawn_result r;
    spawn_finish(p, &r);
    cr_expect(waiting && still, "getrandom did not sleep in the wait although the pool never initializes: %s %s",
              r.out, r.err);
    cr_expect(r.out[0] == '\0', "no result expected, got: %s", r.out);
}

/* Runs argv with a ready file that the test creates once the probe waits (or once its output
 * shows marker); returns CLOCK_BOOTTIME of the creation, or -1 if that moment never came. */
static double run_with_ready_file(struct spawn_result *r, const char *name, const char *const *argv,
                                  const char *marker)
{
    static char path[1024], var[1100];
    snprintf(path, sizeof path, "%s", test_path(name));
    unlink(path);
    snprintf(var, sizeof var, "EARLYRANDOM_READY_FILE=%s", path);
    const char *env[] = { var, "EARLYRANDOM_LOG=none", NULL };
    struct spawn_proc *p = start_program(argv, env, 30000);
    bool ready = marker ? spawn_await_output(p, marker, 20000) : spawn_await_waiting(p, 20000);
    double created = -1;
    if (ready) {
        /* the instant before the file exists: the program can wake before a later reading */
        created = spawn_boottime_ms();
        create_file(path);
    }
    spawn_finish(p, r);
    return created;
}

Test(waiting, the_ready_file_ends_the_wait_soon_after_it_appears)
{
    const char *argv[] = { er_probe_plain, "getentropy", "16", NULL };
    struct spawn_result r;
    double created = run_with_ready_file(&r, "ready", argv, NULL);
    cr_assert(created > 0, "the probe never waited: %s %s", r.out, r.err);
    double at = field(r.out, "boot_ms", -1);
    cr_expect(strncmp(r.out, "ok getentropy", 13) == 0, "got: %s", r.out);
    cr_expect(at >= created && at < created + READY_POLL_MS + WAKE_MARGIN_MS,
              "returned %.1f ms after the file was created", at - created);
}

Test(waiting, a_ready_file_that_exists_means_initialized)
{
    static char path[512], var[600];
    snprintf(path, sizeof path, "%s", test_path("ready-already"));
    create_file(path);
    snprintf(var, sizeof var, "EARLYRANDOM_READY_FILE=%s", path);
    const char *env[] = { var, NULL };
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    cr_expect(strncmp(r.out, "ok getrandom", 12) == 0, "got: %s", r.out);
    cr_expect(r.err[0] == '\0', "nothing is logged after init (so nothing waited): %s", r.err);
}

Test(waiting, a_signal_without_SA_RESTART_gives_EINTR)
{
    /* the pool never initializes: only the signal can end the wait */
    const char *env[] = { "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "signal", "eintr", "200", "getrandom", "16", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    cr_expect(strstr(r.out, "err getrandom errno=EINTR") != NULL, "got: %s", r.out);
    double sent = field(line_with(r.out, "signal sent"), "ms", -1);
    double ms = field(line_with(r.out, "err getrandom"), "ms", -1);
    cr_expect(sent >= 200 && ms >= sent && ms < sent + WAKE_MARGIN_MS,
              "interrupted at %.1f ms, signal sent at %.1f, 200 ms into the wait", ms, sent);
}

/* The signal is handled while the probe waits (it says so), then the pool initializes (the
 * ready file): a wait that goes on through the handler returns then. */
static void check_waits_on_through_a_signal(const char *api, const char *restart, const char *want)
{
    const char *argv[] = { er_probe_plain, "signal", restart, "200", api, "16", NULL };
    struct spawn_result r;
    double created = run_with_ready_file(&r, "ready-signal", argv, "signal sent");
    cr_assert(created > 0, "the signal was never sent: %s %s", r.out, r.err);
    cr_expect(strstr(r.out, want) != NULL, "got: %s", r.out);
    double at = field(line_with(r.out, want), "boot_ms", -1);
    cr_expect(at >= created && at < created + READY_POLL_MS + WAKE_MARGIN_MS,
              "returned %.1f ms after the ready file, created after the signal", at - created);
}

Test(waiting, a_signal_with_SA_RESTART_keeps_waiting)
{
    check_waits_on_through_a_signal("getrandom", "restart", "ok getrandom ret=16");
}

Test(waiting, getentropy_keeps_waiting_through_EINTR_as_glibc_does)
{
    check_waits_on_through_a_signal("getentropy", "eintr", "ok getentropy ret=0");
}

Test(waiting, a_dev_random_read_is_interrupted_like_getrandom)
{
    const char *env[] = { "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "signal", "eintr", "200", "dev-read", "/dev/random", "8", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    cr_expect(strstr(r.out, "err read errno=EINTR") != NULL, "got: %s", r.out);
}

Test(waiting, many_threads_waiting_across_the_init_moment_sleep_and_all_resume)
{
    SKIP_IF_EMULATED("its wake-ups are counted for the whole process, which under qemu-user also "
                     "runs the emulator's own threads (60 counted in one arm64 run)");
    /* the init comes late enough for 64 threads to be seen asleep first, even under ASan */
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=1500ms", "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "threads", "64", "mark", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    cr_expect(strstr(r.out, "threads ok=64 of=64") != NULL, "got: %s %s", r.out, r.err);
    double min = field(r.out, "min_exec_ms", -1), max = field(r.out, "max_exec_ms", -1);
    cr_expect(min >= 1500 && max < 1500 + WAKE_MARGIN_MS, "threads resumed between %.1f and %.1f ms after exec, init at 1500",
              min, max);
    /* From the moment all sleep until the first returns: no thread wakes, nothing burns CPU. The
     * threads' wake-ups and exits after it are left out: ASan makes those cost tens of ms. */
    const char *asleep = line_with(r.out, "threads asleep");
    double wait_ms = field(asleep, "wait_ms", -1), cpu = field(asleep, "wait_cpu", -1);
    double switches = field(asleep, "wait_switches", -1);
    cr_assert(wait_ms > 0, "the threads were not all asleep before the init: %s", r.out);
    cr_expect(switches >= 0 && switches <= 8, "%.0f wake-ups in %.1f ms of sleep", switches, wait_ms);
    cr_expect(cpu >= 0 && cpu < 5 + wait_ms / 50, "the sleeping threads used %.1f ms of CPU in %.1f ms", cpu, wait_ms);
}

Test(waiting, fork_while_another_thread_waits)
{
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=400ms", "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "fork", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    cr_expect(strstr(r.out, "fork child=ok parent_thread=ok") != NULL, "got: %s %s", r.out, r.err);
    /* unless the machine took 400 ms to start the thread, the fork came while it waited */
    double ms = field(r.out, "exec_ms", -1);
    cr_expect(ms >= 400 && ms < 400 + WAKE_MARGIN_MS, "done %.1f ms after exec; the child shares the init moment (400)",
              ms);
}

/* Polls a file until it holds needle (the library writes its log there); false after timeout_ms. */
static bool await_in_file(const char *path, const char *needle, int timeout_ms)
{
    double until = spawn_now_ms() + timeout_ms;
    for (;;) {
        char *text = read_whole(path, NULL);
        bool found = text && strstr(text, needle);
        free(text);
        if (found)
            return true;
        if (spawn_now_ms() > until)
            return false;
        usleep(5000);
    }
}

Test(waiting, the_hang_timeout_writes_a_hang_record_with_a_backtrace_and_keeps_waiting)
{
    static char log_path[512], log_var[600], ready_path[512], ready_var[600];
    snprintf(log_path, sizeof log_path, "%s", test_path("hang.jsonl"));
    snprintf(ready_path, sizeof ready_path, "%s", test_path("hang-ready"));
    unlink(log_path);
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s", log_path);
    snprintf(ready_var, sizeof ready_var, "EARLYRANDOM_READY_FILE=%s", ready_path);
    const char *env[] = { ready_var, "EARLYRANDOM_HANG_TIMEOUT=300ms", log_var, NULL };
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    struct spawn_proc *p = start_program(argv, env, 30000);
    /* the pool initializes only once the hang record is there: the wait went on after it */
    bool hang = await_in_file(log_path, "\"event\":\"hang\"", 20000);
    /* the instant before the file exists: the program can wake before a later reading */
    double created = spawn_boottime_ms();
    create_file(ready_path);
    struct spawn_result r;
    spawn_finish(p, &r);
    cr_expect(hang, "no hang record within 20 s");
    cr_expect(strncmp(r.out, "ok getrandom", 12) == 0 && field(r.out, "boot_ms", -1) >= created, "got: %s", r.out);
    char *log = read_whole(log_path, NULL);
    cr_assert(log != NULL);
    cr_expect(count_lines_with(log, "\"event\":\"hang\"") == 1, "one hang record expected: %s", log);
    cr_expect(strstr(log, "\"backtrace\":[") != NULL, "the hang record has a backtrace: %s", log);
    cr_expect(strstr(log, "er-probe") != NULL, "the backtrace reaches the program: %s", log);
    cr_expect(count_lines_with(log, "\"event\":\"request\"") == 1, "then the request itself: %s", log);
    free(log);
}

Test(waiting, dev_random_becomes_readable_for_poll_at_the_init_moment)
{
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=300ms", "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "dev-poll", "/dev/random", "10000", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    cr_expect(strstr(r.out, "poll ret=1 revents=IN") != NULL, "got: %s", r.out);
    double ms = field(r.out, "exec_ms", -1);
    cr_expect(ms >= 300 && ms < 300 + WAKE_MARGIN_MS, "readable %.1f ms after exec, init at 300", ms);
}

Test(waiting, dev_random_is_not_readable_for_poll_before_init)
{
    const char *env[] = { "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "dev-poll", "/dev/random", "200", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    cr_expect(strstr(r.out, "poll ret=0 revents= ") != NULL, "got: %s", r.out);
    double ms = field(r.out, "ms", -1);
    cr_expect(ms >= 195 && ms < 200 + WAKE_MARGIN_MS, "timed out after %.1f ms, timeout 200", ms);
}

Test(waiting, many_threads_waiting_for_the_ready_file_sleep_while_one_watches_it_and_all_resume)
{
    static char path[1024], var[1100];
    snprintf(path, sizeof path, "%s", test_path("ready-many"));
    unlink(path);
    snprintf(var, sizeof var, "EARLYRANDOM_READY_FILE=%s", path);
    const char *env[] = { var, "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "threads", "64", "mark", NULL };
    struct spawn_proc *p = start_program(argv, env, 30000);
    bool waiting = spawn_await_output(p, "threads waiting", 20000);
    double created = -1;
    if (waiting) {
        /* long enough for 64 watchers to show: each would look at the file 10 times */
        usleep(400 * 1000);
        created = spawn_boottime_ms();
        create_file(path);
    }
    struct spawn_result r;
    spawn_finish(p, &r);
    cr_assert(waiting, "the threads never all waited: %s %s", r.out, r.err);
    cr_expect(strstr(r.out, "threads ok=64 of=64") != NULL, "got: %s %s", r.out, r.err);
    double min = field(r.out, "min_boot_ms", -1), max = field(r.out, "max_boot_ms", -1);
    cr_expect(min >= created && max < created + READY_POLL_MS + WAKE_MARGIN_MS,
              "resumed between %.1f and %.1f ms after the file was created", min - created, max - created);
    const char *asleep = line_with(r.out, "threads asleep");
    double wait_ms = field(asleep, "wait_ms", -1), cpu = field(asleep, "wait_cpu", -1);
    double switches = field(asleep, "wait_switches", -1);
    cr_assert(wait_ms >= 400, "the wait lasted %.1f ms, the file came 400 ms after the mark: %s", wait_ms, r.out);
    /* One thread looks at the file for all: one wake-up per look (and the first one's return),
     * where 64 watchers would make 64 per look. Four times the looks leaves timer slack and a
     * loaded machine their due (34 wake-ups for 11 looks were seen at load average 13), and is
     * still a sixteenth of what 64 watchers make. */
    double looks = wait_ms / READY_POLL_MS;
    if (spawn_emulator() != NULL)
        fprintf(stderr, "waiting: wake-up count not checked: emulated by %s, whose own threads wake up in the "
                        "process too (%.0f counted)\n", spawn_emulator(), switches);
    else
        cr_expect(switches >= 0 && switches <= 4 * looks + 16,
                  "%.0f wake-ups in %.1f ms: one watcher looks %.0f times", switches, wait_ms, looks);
    /* Sleeping costs nothing: a twentieth of the time is a generous bound for 10 looks. */
    cr_expect(cpu >= 0 && cpu < wait_ms / 20, "the sleeping threads used %.1f ms of CPU in %.1f ms", cpu, wait_ms);
}

/* handover N [longjmp]: the first waiter, which watches the ready file, leaves its wait (EINTR or
 * siglongjmp) while N others wait; the file is created only then, so nobody watches it but the
 * one that took over, and all N must resume within resume_ms of its creation. */
static void check_handover(int others, const char *how, const char *file, double resume_ms)
{
    char count[16], first[64], all[64];
    snprintf(count, sizeof count, "%d", others);
    snprintf(first, sizeof first, "handover first=eintr others_waiting=%d", others);
    snprintf(all, sizeof all, "handover ok=%d of=%d", others, others);
    const char *argv[] = { er_probe_plain, "handover", count, how, NULL };
    struct spawn_result r;
    double created = run_with_ready_file(&r, file, argv, "handover first=");
    cr_assert(created > 0, "the probe never reached the handover: %s %s", r.out, r.err);
    cr_expect(strstr(r.out, first) != NULL, "got: %s %s", r.out, r.err);
    cr_expect(strstr(r.out, all) != NULL, "got: %s %s", r.out, r.err);
    double max = field(line_with(r.out, "handover ok="), "max_boot_ms", -1);
    cr_expect(max >= created && max < created + resume_ms,
              "the others resumed %.1f ms after the file was created", max - created);
}

Test(waiting, when_the_thread_watching_the_ready_file_is_interrupted_another_takes_over)
{
    check_handover(16, NULL, "ready-handover", READY_POLL_MS + WAKE_MARGIN_MS);
}

/* A poller whose handler leaves its wait with siglongjmp never hands its role on: the others look
 * every 5 s whether it still looks at the file, and one takes over from a silent one (1 s). */
#define POLLER_TAKEOVER_MS (5000 + 1000)

Test(waiting, when_the_thread_watching_the_ready_file_jumps_out_of_its_wait_another_takes_over)
{
    check_handover(4, "longjmp", "ready-longjmp", POLLER_TAKEOVER_MS + WAKE_MARGIN_MS);
}

/* timeouts N [thread] (er-probe): the process's descriptors above 2 before and after. */
struct timeouts_seen {
    int timed_out, held, before;
};

static struct timeouts_seen run_timeouts(const char *count, const char *where)
{
    const char *env[] = { "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "timeouts", count, where, NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    const char *line = strstr(r.out, "timeouts ");
    struct timeouts_seen seen = { -1, -1, -1 };
    int n = -1;
    cr_assert(line != NULL && sscanf(line, "timeouts %d of %d descriptors_above_stdio=%d before=%d",
                                     &seen.timed_out, &n, &seen.held, &seen.before) == 4,
              "got: %s %s", r.out, r.err);
    spawn_free(&r);
    return seen;
}

/* A program that times out its requests with an alarm whose handler leaves the wait with
 * siglongjmp: each next request ends the wait left behind, so the timers do not pile up (one, the
 * last wait's, may remain until the next request). */
Test(waiting, requests_timed_out_with_siglongjmp_leave_no_timers_behind)
{
    struct timeouts_seen seen = run_timeouts("20", NULL);
    cr_expect(seen.timed_out == 20, "%d of 20 requests timed out", seen.timed_out);
    cr_expect(seen.held <= seen.before + 1, "after 20 timeouts the process holds %d descriptors above 2, %d before",
              seen.held, seen.before);
}

/* The same in a thread that exits then: the last wait's timer goes with it. */
Test(waiting, a_thread_that_timed_out_its_requests_with_siglongjmp_leaves_no_timer_when_it_exits)
{
    struct timeouts_seen seen = run_timeouts("5", "thread");
    cr_expect(seen.timed_out == 5, "%d of 5 requests timed out", seen.timed_out);
    cr_expect(seen.held == seen.before, "after the thread exited the process holds %d descriptors above 2, %d before",
              seen.held, seen.before);
}
