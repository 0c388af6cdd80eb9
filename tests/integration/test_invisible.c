/* The library is invisible inside the program: between two of its calls it holds no descriptor,
 * so a program that looks at every descriptor number finds exactly what it finds without the
 * library, and open after close(0) returns 0; in every sink and every policy, alone and under the
 * earlyrandom command, in the program, a fork child and an exec'd child. And the records still
 * all arrive, whole (CPython's test_posix and test_subprocess found a log descriptor on 0). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

TestSuite(invisible, .timeout = 120);

static const char *const census_argv[] = { ER_FD_CENSUS, "fork", NULL };

/* getrandom, open and read of /dev/urandom, twice, in each of three processes */
#define RECORDS_PER_RUN 18

static char *baseline(void)
{
    struct spawn_result r;
    run_program(&r, census_argv, NULL, false, 30000);
    cr_assert_eq(r.exit_code, 0, "fd-census without the library: %s", r.err);
    cr_assert(strstr(r.out, "parent open-after-close-0 fd=0") != NULL, "%s", r.out);
    char *out = strdup(r.out);
    spawn_free(&r);
    return out;
}

struct setting {
    const char *name;
    const char *policy, *init_after;
};

static const struct setting settings[] = {
    { "block, init at 0", "block", "0" },
    { "fallback, never initialized", "fallback", "never" },
    { "eagain, never initialized", "eagain", "never" },
    { "passthrough, never initialized", "passthrough", "never" },
};

static void expect_same_census(const char *what, const char *base, const struct spawn_result *r)
{
    cr_expect_eq(r->exit_code, 0, "%s: fd-census failed (exit %d): %s", what, r->exit_code, r->err);
    cr_expect_str_eq(r->out, base, "%s: the program sees other descriptors than without the library",
                     what);
}

static void expect_records(const char *what, const char *log_path)
{
    size_t len = 0;
    char *log = read_whole(log_path, &len);
    cr_assert_not_null(log, "%s: no log", what);
    /* under the command's default engine it also logs the C library's own requests itself */
    int by_command = count_lines_with(log, "\"engine\":\"seccomp\"");
    int lines = count_lines(log) - by_command;
    int records = count_lines_with(log, "\"event\":\"request\"") - by_command;
    cr_expect_eq(records, RECORDS_PER_RUN, "%s: %d records of %d expected:\n%s", what, records,
                 RECORDS_PER_RUN, log);
    cr_expect_eq(lines, records, "%s: %d lines for %d records (torn or foreign lines)", what,
                 lines, records);
    free(log);
}

static void run_alone(const char *sink, bool counted)
{
    char *base = baseline();
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        const struct setting *s = &settings[i];
        char what[128], policy[64], init[64], log[1100];
        const char *log_path = test_path("log.jsonl");
        unlink(log_path);
        snprintf(what, sizeof what, "%s sink, %s", sink, s->name);
        snprintf(policy, sizeof policy, "EARLYRANDOM_POLICY=%s", s->policy);
        snprintf(init, sizeof init, "EARLYRANDOM_INIT_AFTER=%s", s->init_after);
        snprintf(log, sizeof log, "EARLYRANDOM_LOG=%s", counted ? log_path : sink);
        const char *env[] = { policy, init, log, "EARLYRANDOM_LOG_ALL=1", NULL };
        struct spawn_result r;
        run_program(&r, census_argv, env, true, 30000);
        expect_same_census(what, base, &r);
        if (counted)
            expect_records(what, log_path);
        else if (strcmp(sink, "stderr") == 0)
            cr_expect_eq(count_lines_with(r.err, "earlyrandom: fd-census"), RECORDS_PER_RUN,
                         "%s: the readable lines did not all arrive:\n%s", what, r.err);
        spawn_free(&r);
    }
    free(base);
}

Test(invisible, file_sink_every_policy) { run_alone("file", true); }
Test(invisible, stderr_sink_every_policy) { run_alone("stderr", false); }
/* Whether or not /dev/kmsg and /dev/log take the records here, the descriptors must not show. */
Test(invisible, kmsg_sink_every_policy) { run_alone("kmsg", false); }
Test(invisible, syslog_sink_every_policy) { run_alone("syslog", false); }

/* Under the command the records travel through its shared ring: nothing to see there either, and
 * every record of the three processes reaches the command's log. */
Test(invisible, under_the_command_every_policy)
{
    SKIP_IF_NO_SUBREAPER();
    char *base = baseline();
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        const struct setting *s = &settings[i];
        char what[128], policy[64], init[64], log[1100], lib[1100];
        const char *log_path = test_path("log.jsonl");
        unlink(log_path);
        snprintf(what, sizeof what, "under the command, %s", s->name);
        snprintf(policy, sizeof policy, "--policy=%s", s->policy);
        snprintf(init, sizeof init, "--init-after=%s", s->init_after);
        snprintf(log, sizeof log, "--log=%s", log_path);
        snprintf(lib, sizeof lib, "EARLYRANDOM_LIBRARY=%s", er_library);
        const char *argv[] = { ER_COMMAND, policy, init, log, "--log-all", "--quiet", "--",
                               ER_FD_CENSUS, "fork", NULL };
        const char *env[] = { lib, NULL };
        struct spawn_opts o = { .argv = argv, .env = env, .timeout_ms = 30000 };
        struct spawn_result r;
        spawn_run(&r, &o);
        expect_same_census(what, base, &r);
        expect_records(what, log_path);
        spawn_free(&r);
    }
    free(base);
}

/* Once the pool is initialized the library costs no system call: a program that opens, reads and
 * closes an ordinary file, and never asks for entropy, makes exactly the stat calls after its
 * open that it makes without the library (the library used to fstat every descriptor such a program opened). strace
 * is the independent witness. */
static int stat_calls(const char *probe, bool preload)
{
    const char *trace_path = test_path("stat-calls.strace");
    unlink(trace_path);
    const char *argv[] = { "/usr/bin/strace", "-f", "-qq", "-e", "trace=%fstat,%stat,openat",
                           "-e", "signal=none", "-o", trace_path, probe, "dev-read",
                           "/etc/passwd", "64", NULL };
    /* LeakSanitizer cannot run under ptrace: a sanitized build's probe goes without it here. */
    char asan[512];
    const char *asan_now = getenv("ASAN_OPTIONS");
    snprintf(asan, sizeof asan, "ASAN_OPTIONS=%s%sdetect_leaks=0", asan_now ? asan_now : "",
             asan_now ? ":" : "");
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=0", "EARLYRANDOM_LOG=none", asan, NULL };
    struct spawn_result r;
    run_program(&r, argv, env, preload, 30000);
    cr_assert_eq(r.exit_code, 0, "strace %s failed (exit %d): %s", probe, r.exit_code, r.err);
    spawn_free(&r);
    size_t len = 0;
    char *trace = read_whole(trace_path, &len);
    cr_assert_not_null(trace, "strace wrote nothing");
    /* From the program's open on: the loader's own fstat of the preloaded library comes before. */
    const char *opened = strstr(trace, "\"/etc/passwd\"");
    cr_assert_not_null(opened, "strace saw no open of /etc/passwd:\n%s", trace);
    int calls = count_lines_with(opened, "stat");
    free(trace);
    return calls;
}

Test(invisible, no_system_call_of_its_own_once_initialized)
{
    if (access("/usr/bin/strace", X_OK) != 0)
        cr_skip_test("strace is not installed (scripts/install-deps installs it)");
    SKIP_IF_EMULATED("qemu-user implements no ptrace (PTRACE_TRACEME: ENOSYS), so strace cannot trace");
    const char *const probes[] = { er_probe_plain, er_probe_fortified };
    for (size_t i = 0; i < 2; i++) {
        int without = stat_calls(probes[i], false), with = stat_calls(probes[i], true);
        cr_expect_eq(with, without, "%s: %d stat calls with the library, %d without", probes[i],
                     with, without);
    }
}
