/* A blocked request behaves like the kernel's: it sleeps (no CPU), resumes at the init moment or
 * when the ready file appears, honours signals, and survives threads, fork and programs that
 * close every descriptor. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

/* The helper measures from its own main(), while the init moment counts from the library's
 * load, a little earlier: lower bounds leave room for that startup on a loaded machine. */
TestSuite(waiting, .timeout = 60);

Test(waiting, a_300ms_init_waits_300ms_and_burns_no_cpu)
{
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=300ms", "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    struct run_result r;
    run_program(&r, argv, env, true, 5000);
    double ms = field_ms(r.out);
    cr_expect(strncmp(r.out, "ok getrandom ret=16", 19) == 0, "got: %s", r.out);
    cr_expect(ms >= 250 && ms < 450, "getrandom returned after %.1f ms, expected ~300", ms);
    cr_expect(field_cpu(r.out) >= 0 && field_cpu(r.out) < 15, "the 300 ms wait used %.1f ms of CPU", field_cpu(r.out));
}

Test(waiting, never_waits_until_killed)
{
    const char *env[] = { "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    struct run_result r;
    run_program(&r, argv, env, true, 1500);
    cr_expect(r.timed_out, "getrandom returned although the pool never initializes: %s", r.out);
    cr_expect(r.out[0] == '\0', "no result expected, got: %s", r.out);
}

static void *create_later(void *path)
{
    struct timespec ts = { 0, 400 * 1000000 };
    nanosleep(&ts, NULL);
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    close(fd);
    return NULL;
}

Test(waiting, the_ready_file_ends_the_wait_within_50ms)
{
    static char path[512], var[600];
    snprintf(path, sizeof path, "%s", temp_path("ready"));
    unlink(path);
    snprintf(var, sizeof var, "EARLYRANDOM_READY_FILE=%s", path);
    const char *env[] = { var, "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "getentropy", "16", NULL };
    pthread_t t;
    pthread_create(&t, NULL, create_later, path);
    struct run_result r;
    run_program(&r, argv, env, true, 5000);
    pthread_join(t, NULL);
    double ms = field_ms(r.out);
    cr_expect(strncmp(r.out, "ok getentropy", 13) == 0, "got: %s", r.out);
    /* created at ~400 ms after the start of the run; the probe starts a little later */
    cr_expect(ms >= 300 && ms < 400 + 50 + 60, "returned after %.1f ms, file created at ~400", ms);
}

Test(waiting, a_ready_file_that_exists_means_initialized)
{
    static char path[512], var[600];
    snprintf(path, sizeof path, "%s", temp_path("ready-already"));
    close(open(path, O_CREAT | O_WRONLY, 0644));
    snprintf(var, sizeof var, "EARLYRANDOM_READY_FILE=%s", path);
    const char *env[] = { var, NULL };
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    struct run_result r;
    run_program(&r, argv, env, true, 5000);
    cr_expect(field_ms(r.out) < 100, "got: %s", r.out);
    cr_expect(r.err[0] == '\0', "nothing is logged after init: %s", r.err);
}

Test(waiting, a_signal_without_SA_RESTART_gives_EINTR)
{
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=2s", "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "signal", "eintr", "200", "getrandom", "16", NULL };
    struct run_result r;
    run_program(&r, argv, env, true, 5000);
    cr_expect(strstr(r.out, "err getrandom errno=EINTR") != NULL, "got: %s", r.out);
    double ms = field_ms(r.out);
    cr_expect(ms >= 190 && ms < 600, "interrupted after %.1f ms, signal at 200", ms);
}

Test(waiting, a_signal_with_SA_RESTART_keeps_waiting)
{
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=600ms", "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "signal", "restart", "200", "getrandom", "16", NULL };
    struct run_result r;
    run_program(&r, argv, env, true, 5000);
    cr_expect(strstr(r.out, "ok getrandom ret=16") != NULL, "got: %s", r.out);
    double ms = field_ms(r.out);
    cr_expect(ms >= 540 && ms < 900, "returned after %.1f ms, init at 600", ms);
}

Test(waiting, getentropy_keeps_waiting_through_EINTR_as_glibc_does)
{
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=600ms", "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "signal", "eintr", "200", "getentropy", "16", NULL };
    struct run_result r;
    run_program(&r, argv, env, true, 5000);
    cr_expect(strstr(r.out, "ok getentropy ret=0") != NULL, "got: %s", r.out);
    cr_expect(field_ms(r.out) >= 540, "returned after %.1f ms, init at 600", field_ms(r.out));
}

Test(waiting, a_dev_random_read_is_interrupted_like_getrandom)
{
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=2s", "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "signal", "eintr", "200", "dev-read", "/dev/random", "8", NULL };
    struct run_result r;
    run_program(&r, argv, env, true, 5000);
    cr_expect(strstr(r.out, "err read errno=EINTR") != NULL, "got: %s", r.out);
}

Test(waiting, many_threads_waiting_across_the_init_moment_all_resume)
{
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=500ms", "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "threads", "64", NULL };
    struct run_result r;
    run_program(&r, argv, env, true, 10000);
    cr_expect(strstr(r.out, "threads ok=64 of=64") != NULL, "got: %s %s", r.out, r.err);
    double min = -1, max = -1;
    const char *p = strstr(r.out, "min_ms=");
    if (p)
        sscanf(p, "min_ms=%lf max_ms=%lf", &min, &max);
    cr_expect(min >= 440 && max < 1000, "threads resumed between %.1f and %.1f ms, init at 500", min, max);
    /* a sleeping wait costs nothing of its own; what is left is waking 64 threads */
    cr_expect(field_cpu(r.out) >= 0 && field_cpu(r.out) < 60, "64 waiting threads used %.1f ms of CPU", field_cpu(r.out));
}

Test(waiting, fork_while_another_thread_waits)
{
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=400ms", "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "fork", NULL };
    struct run_result r;
    run_program(&r, argv, env, true, 5000);
    cr_expect(strstr(r.out, "fork child=ok parent_thread=ok") != NULL, "got: %s %s", r.out, r.err);
    double ms = field_ms(r.out);
    cr_expect(ms >= 340 && ms < 900, "done after %.1f ms; the child shares the init moment (400)", ms);
}

Test(waiting, a_program_that_closes_every_descriptor_keeps_its_files_and_we_keep_our_log)
{
    static char file[512], log_path[512], log_var[600];
    snprintf(file, sizeof file, "%s", temp_path("closeall-own-file"));
    snprintf(log_path, sizeof log_path, "%s", temp_path("closeall.jsonl"));
    unlink(log_path);
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s", log_path);
    const char *env[] = { "EARLYRANDOM_POLICY=fallback", log_var, NULL };
    const char *argv[] = { er_probe_plain, "closeall", file, NULL };
    struct run_result r;
    run_program(&r, argv, env, true, 5000);
    cr_expect(r.exit_code == 0, "the program's own file was changed or a call failed (exit %d)", r.exit_code);
    FILE *f = fopen(log_path, "r");
    cr_assert(f != NULL, "the log did not arrive");
    char log[8192];
    size_t got = fread(log, 1, sizeof log - 1, f);
    log[got] = '\0';
    fclose(f);
    cr_expect(count_lines_with(log, "\"api\":\"getentropy\"") == 1, "log: %s", log);
    cr_expect(count_lines_with(log, "\"api\":\"read\"") == 1, "log: %s", log);
}

Test(waiting, errno_is_unchanged_on_success)
{
    static const char *const calls[] = { "getrandom", "getentropy", "read", "open" };
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=100ms", NULL };
    for (size_t i = 0; i < 4; i++) {
        const char *argv[] = { er_probe_plain, "errno", calls[i], NULL };
        struct run_result r;
        run_program(&r, argv, env, true, 5000);
        cr_expect(r.exit_code == 0, "%s changed errno: %s", calls[i], r.out);
    }
}

Test(waiting, the_hang_timeout_writes_a_hang_record_with_a_backtrace_and_keeps_waiting)
{
    static char log_path[512], log_var[600];
    snprintf(log_path, sizeof log_path, "%s", temp_path("hang.jsonl"));
    unlink(log_path);
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s", log_path);
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=900ms", "EARLYRANDOM_HANG_TIMEOUT=300ms", log_var, NULL };
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    struct run_result r;
    run_program(&r, argv, env, true, 5000);
    cr_expect(strncmp(r.out, "ok getrandom", 12) == 0 && field_ms(r.out) >= 840, "got: %s", r.out);
    FILE *f = fopen(log_path, "r");
    cr_assert(f != NULL);
    char log[65536];
    size_t got = fread(log, 1, sizeof log - 1, f);
    log[got] = '\0';
    fclose(f);
    cr_expect(count_lines_with(log, "\"event\":\"hang\"") == 1, "one hang record expected: %s", log);
    cr_expect(strstr(log, "\"backtrace\":[") != NULL, "the hang record has a backtrace: %s", log);
    cr_expect(strstr(log, "er-probe") != NULL, "the backtrace reaches the program: %s", log);
    cr_expect(count_lines_with(log, "\"event\":\"request\"") == 1, "then the request itself: %s", log);
}

Test(waiting, dev_random_becomes_readable_for_poll_at_the_init_moment)
{
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=300ms", "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "dev-poll", "/dev/random", "3000", NULL };
    struct run_result r;
    run_program(&r, argv, env, true, 5000);
    cr_expect(strstr(r.out, "poll ret=1 revents=IN") != NULL, "got: %s", r.out);
    double ms = field_ms(r.out);
    cr_expect(ms >= 250 && ms < 600, "readable after %.1f ms, init at 300", ms);
}

Test(waiting, dev_random_is_not_readable_for_poll_before_init)
{
    const char *env[] = { "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "dev-poll", "/dev/random", "200", NULL };
    struct run_result r;
    run_program(&r, argv, env, true, 5000);
    cr_expect(strstr(r.out, "poll ret=0 revents= ") != NULL, "got: %s", r.out);
    double ms = field_ms(r.out);
    cr_expect(ms >= 195 && ms < 500, "timed out after %.1f ms, timeout 200", ms);
}

static void ready_at(const char *name, char *var, size_t var_len, pthread_t *creator)
{
    static char path[512];
    snprintf(path, sizeof path, "%s", temp_path(name));
    unlink(path);
    snprintf(var, var_len, "EARLYRANDOM_READY_FILE=%s", path);
    pthread_create(creator, NULL, create_later, path); /* at ~400 ms */
}

Test(waiting, many_threads_waiting_for_the_ready_file_all_resume_soon_after_it_appears)
{
    static char var[600];
    pthread_t creator;
    ready_at("ready-many", var, sizeof var, &creator);
    const char *env[] = { var, "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "threads", "64", NULL };
    struct run_result r;
    run_program(&r, argv, env, true, 10000);
    pthread_join(creator, NULL);
    double min = -1, max = -1;
    const char *p = strstr(r.out, "min_ms=");
    if (p)
        sscanf(p, "min_ms=%lf max_ms=%lf", &min, &max);
    cr_expect(strstr(r.out, "threads ok=64 of=64") != NULL, "got: %s %s", r.out, r.err);
    cr_expect(min >= 300 && max < 400 + 50 + 100, "resumed between %.1f and %.1f ms, file at ~400", min, max);
    /* one thread looks at the file for all of them */
    cr_expect(field_cpu(r.out) >= 0 && field_cpu(r.out) < 40, "64 threads waiting for a file used %.1f ms of CPU",
              field_cpu(r.out));
}

Test(waiting, when_the_thread_watching_the_ready_file_is_interrupted_another_takes_over)
{
    static char var[600];
    pthread_t creator;
    ready_at("ready-handover", var, sizeof var, &creator);
    const char *env[] = { var, "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "handover", "16", NULL };
    struct run_result r;
    run_program(&r, argv, env, true, 10000);
    pthread_join(creator, NULL);
    cr_expect(strstr(r.out, "handover first=eintr ok=16 of=16") != NULL, "got: %s %s", r.out, r.err);
    double max = -1;
    const char *p = strstr(r.out, "max_ms=");
    if (p)
        max = strtod(p + 7, NULL);
    cr_expect(max >= 300 && max < 400 + 50 + 100, "the others resumed by %.1f ms, file at ~400", max);
}
