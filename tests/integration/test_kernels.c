/* Kernel profiles as a program sees them: each era's errors, the blocking pool of kernels before
 * 5.6 long after init, the jitter init about a second after the first request that waits, and the
 * era's own messages in the log; through the plain and the fortified probe. Times are asserted as
 * order and lower bounds only: the machine is shared and its scheduling delays are long. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

TestSuite(kernels, .timeout = 120);

static const char *const *probes(void)
{
    static const char *both[3];
    both[0] = er_probe_plain;
    both[1] = er_probe_fortified;
    both[2] = NULL;
    return both;
}

/* Line n (from 0) of s, copied into a static buffer ("" past the end). */
static const char *nth_line(const char *s, int n)
{
    static char line[4096];
    line[0] = '\0';
    for (int i = 0; s && *s; i++) {
        const char *end = strchr(s, '\n');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        if (i == n) {
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

static bool starts(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

/* ---- answers that do not depend on time --------------------------------------------------- */

struct answer_case {
    const char *kernel, *init_after;
    const char *args[6];
    const char *expect; /* the start of the result line */
};

static const struct answer_case answers[] = {
    /* before 3.17 there is no getrandom, whichever way it is asked for, init or not */
    { "3.10", "never", { "getrandom", "16" }, "err getrandom errno=ENOSYS" },
    { "3.10", "0", { "getrandom", "16" }, "err getrandom errno=ENOSYS" },
    { "3.10", "0", { "getrandom", "16", "NONBLOCK" }, "err getrandom errno=ENOSYS" },
    { "3.10", "never", { "syscall", "16" }, "err syscall errno=ENOSYS" },
    { "3.10", "0", { "getentropy", "16" }, "err getentropy errno=ENOSYS" },
    /* ...and /dev/urandom never waits */
    { "3.10", "never", { "dev-read", "/dev/urandom", "16" }, "ok read ret=16" },
    { "3.10", "never", { "dev-fread", "/dev/urandom", "16" }, "ok fread ret=16" },
    /* GRND_INSECURE came with 5.6: EINVAL before, init or not */
    { "4.4", "never", { "getrandom", "16", "INSECURE" }, "err getrandom errno=EINVAL" },
    { "4.19", "0", { "getrandom", "16", "INSECURE" }, "err getrandom errno=EINVAL" },
    { "5.4", "0", { "syscall", "16", "INSECURE" }, "err syscall errno=EINVAL" },
    { "5.10", "never", { "getrandom", "16", "INSECURE" }, "ok getrandom ret=16" },
    { "6.1", "never", { "getrandom", "16", "INSECURE" }, "ok getrandom ret=16" },
    /* before init, without waiting */
    { "4.4", "never", { "getrandom", "16", "NONBLOCK" }, "err getrandom errno=EAGAIN" },
    { "4.4", "never", { "dev-read", "/dev/urandom", "16" }, "ok read ret=16" },
    /* 5.6 to 5.19 wait for init on /dev/random whatever O_NONBLOCK says; 6.0 honours it again */
    { "5.10", "300ms", { "dev-read", "/dev/random", "16", "nonblock" }, "ok read ret=16" },
    { "6.1", "never", { "dev-read", "/dev/random", "16", "nonblock" }, "err read errno=EAGAIN" },
};

Test(kernels, each_era_answers_as_its_kernel)
{
    for (const char *const *probe = probes(); *probe; probe++)
        for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
            const struct answer_case *c = &answers[i];
            char kernel[64], init[64];
            snprintf(kernel, sizeof kernel, "EARLYRANDOM_KERNEL=%s", c->kernel);
            snprintf(init, sizeof init, "EARLYRANDOM_INIT_AFTER=%s", c->init_after);
            const char *env[] = { kernel, init, "EARLYRANDOM_LOG=none", NULL };
            const char *argv[8] = { *probe };
            for (int a = 0; a < 6 && c->args[a]; a++)
                argv[a + 1] = c->args[a];
            struct spawn_result r;
            run_program(&r, argv, env, true, 20000);
            cr_expect(starts(r.out, c->expect), "%s, kernel %s, init %s, %s %s %s: got '%s', expected '%s...'",
                      *probe, c->kernel, c->init_after, c->args[0], c->args[1],
                      c->args[2] ? c->args[2] : "", r.out, c->expect);
            spawn_free(&r);
        }
}

/* Without EARLYRANDOM_KERNEL the library is what it was: a current kernel that waits for the
 * moment it is given, where GRND_INSECURE and /dev/urandom answer at once. */
Test(kernels, default_profile_is_unchanged)
{
    const char *env[] = { "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "seq", "getrandom", "16", "INSECURE", ",", "dev-read",
                           "/dev/urandom", "16", ",", "getrandom", "16", "NONBLOCK", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 20000);
    cr_expect(starts(nth_line(r.out, 0), "ok getrandom ret=16"), "%s", r.out);
    cr_expect(starts(nth_line(r.out, 1), "ok read ret=16"), "%s", r.out);
    cr_expect(starts(nth_line(r.out, 2), "err getrandom errno=EAGAIN"), "%s", r.out);
    spawn_free(&r);
}

Test(kernels, a_value_that_is_not_a_version_is_one_line_and_passthrough)
{
    const char *env[] = { "EARLYRANDOM_KERNEL=2.6.32", "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 20000);
    cr_expect(starts(r.out, "ok getrandom ret=16"), "passthrough answers at once: %s", r.out);
    cr_expect_eq(count_lines(r.err), 1, "one line: %s", r.err);
    cr_expect(strstr(r.err, "earlyrandom: EARLYRANDOM_KERNEL='2.6.32' is not valid; accepted: ") == r.err &&
              strstr(r.err, "3.10, 4.4, 4.19, 5.4, 5.10, 6.1") != NULL &&
              strstr(r.err, "this process runs as passthrough") != NULL, "%s", r.err);
    spawn_free(&r);
}

/* ---- the blocking pool (before 5.6) --------------------------------------------------------- */

/* 32 bytes from /dev/random are 256 bits: a second of credit at 256 bits a second, from the
 * library's load on; the second read waits for its own second, although the pool was initialized
 * from the start. */
Test(kernels, dev_random_blocks_long_after_init_on_4_4)
{
    for (const char *const *probe = probes(); *probe; probe++) {
        const char *env[] = { "EARLYRANDOM_KERNEL=4.4", "EARLYRANDOM_INIT_AFTER=0",
                              "EARLYRANDOM_ENTROPY_RATE=256", "EARLYRANDOM_LOG=none", NULL };
        const char *argv[] = { *probe, "seq", "getrandom", "16", ",", "dev-read", "/dev/random",
                               "32", ",", "dev-read", "/dev/random", "32", ",", "getrandom", "32",
                               "RANDOM|NONBLOCK", NULL };
        struct spawn_result r;
        run_program(&r, argv, env, true, 30000);
        const char *init = nth_line(r.out, 0);
        /* The call's own time, not the time since exec: a slow start on a loaded machine is no
         * wait (one for the blocking pool would take a second). */
        cr_expect(starts(init, "ok getrandom ret=16") && field(init, "ms", 1e9) < 500,
                  "%s: the pool is initialized, getrandom answers before the blocking pool: %s",
                  *probe, r.out);
        double first = field(nth_line(r.out, 1), "exec_ms", -1);
        double second = field(nth_line(r.out, 2), "exec_ms", -1);
        cr_expect(starts(nth_line(r.out, 1), "ok read ret=32") && first >= 1000,
                  "%s: the first read waits for 256 bits (>= 1000 ms after exec): %s", *probe, r.out);
        /* both are counted from the library's load: a late first wake-up does not move the
         * second's moment */
        cr_expect(starts(nth_line(r.out, 2), "ok read ret=32") && second >= 2000 && second > first,
                  "%s: the second read waits for 256 more bits (>= 2000 ms after exec): %s", *probe,
                  r.out);
        cr_expect(starts(nth_line(r.out, 3), "err getrandom errno=EAGAIN"),
                  "%s: the drained pool refuses GRND_RANDOM|GRND_NONBLOCK: %s", *probe, r.out);
        spawn_free(&r);
    }
}

/* poll on /dev/random follows the estimate: readable once it holds 64 bits (250 ms at 256/s). */
Test(kernels, poll_on_dev_random_follows_the_estimate_on_4_19)
{
    const char *env[] = { "EARLYRANDOM_KERNEL=4.19", "EARLYRANDOM_INIT_AFTER=0",
                          "EARLYRANDOM_ENTROPY_RATE=256", "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { er_probe_plain, "seq", "dev-poll", "/dev/random", "0", ",", "dev-poll",
                           "/dev/random", "10000", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    cr_expect(starts(nth_line(r.out, 0), "poll ret=0 revents= "), "empty at first: %s", r.out);
    const char *later = nth_line(r.out, 1);
    cr_expect(starts(later, "poll ret=1 revents=IN") && field(later, "exec_ms", -1) >= 250,
              "readable at 64 bits, not before 250 ms: %s", r.out);
    spawn_free(&r);
}

/* ---- jitter (5.4 on) ------------------------------------------------------------------------- */

/* The init comes a second after the first request that waits, not a second after the start: the
 * probe asks only half a second in. Requests that do not wait start nothing. */
Test(kernels, jitter_init_a_second_after_the_first_wait_on_5_4)
{
    for (const char *const *probe = probes(); *probe; probe++) {
        const char *env[] = { "EARLYRANDOM_KERNEL=5.4", "EARLYRANDOM_LOG=none", NULL };
        const char *argv[] = { *probe, "seq", "getrandom", "8", "NONBLOCK", ",", "sleep", "500", ",",
                               "getrandom", "8", "NONBLOCK", ",", "getentropy", "16", ",",
                               "getrandom", "8", "NONBLOCK", NULL };
        struct spawn_result r;
        run_program(&r, argv, env, true, 30000);
        cr_expect(starts(nth_line(r.out, 0), "err getrandom errno=EAGAIN"), "%s: %s", *probe, r.out);
        cr_expect(starts(nth_line(r.out, 1), "err getrandom errno=EAGAIN"),
                  "%s: no jitter without a wait, even 500 ms in: %s", *probe, r.out);
        const char *wait = nth_line(r.out, 2);
        /* The probe prints 0.1 ms: two roundings can take up to 0.1 ms off a full second (the
         * bullseye root printed 1507.6 and 507.6, whose difference as doubles is 999.99...). */
        cr_expect(starts(wait, "ok getentropy ret=0") && field(wait, "exec_ms", -1) >= 1500 &&
                      field(wait, "ms", -1) - field(nth_line(r.out, 1), "ms", 1e9) >= 999.85,
                  "%s: getentropy waits a second from its own start: %s", *probe, r.out);
        cr_expect(starts(nth_line(r.out, 3), "ok getrandom ret=8"), "%s: initialized after: %s",
                  *probe, r.out);
        spawn_free(&r);
    }
}

/* 5.18 on, a /dev/urandom read before init runs the jitter loop too; where the loop cannot run
 * (a fixed or never init) it answers at once. On 5.10 it never waits. */
Test(kernels, urandom_waits_for_jitter_from_5_18_only)
{
    static const struct { const char *kernel, *init; bool waits; } cases[] = {
        { "6.1", "jitter", true },
        { "5.18", NULL, true },
        { "5.10", NULL, false },
        { "6.1", "never", false },
        { "6.1", "30s", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char kernel[64], init[64];
        snprintf(kernel, sizeof kernel, "EARLYRANDOM_KERNEL=%s", cases[i].kernel);
        snprintf(init, sizeof init, "EARLYRANDOM_INIT_AFTER=%s", cases[i].init ? cases[i].init : "");
        const char *env[] = { kernel, "EARLYRANDOM_LOG=none", cases[i].init ? init : NULL, NULL };
        const char *argv[] = { er_probe_fortified, "seq", "dev-read", "/dev/urandom", "16", ",",
                               "getrandom", "8", "NONBLOCK", NULL };
        struct spawn_result r;
        run_program(&r, argv, env, true, 30000);
        const char *read = nth_line(r.out, 0);
        cr_expect(starts(read, "ok read ret=16"), "%s: %s", kernel, r.out);
        if (cases[i].waits) {
            cr_expect(field(read, "exec_ms", -1) >= 1000, "%s: waits for the jitter init: %s", kernel, r.out);
            cr_expect(starts(nth_line(r.out, 1), "ok getrandom ret=8"), "%s: then initialized: %s",
                      kernel, r.out);
        } else {
            cr_expect(starts(nth_line(r.out, 1), "err getrandom errno=EAGAIN"),
                      "%s: the read started no init: %s", kernel, r.out);
        }
        spawn_free(&r);
    }
}

/* ---- the era's messages --------------------------------------------------------------------- */

/* 12 quick /dev/urandom reads on 4.19: 3 messages in the first second, the next 7 missed (4.19
 * stops counting after 10), then at init "crng init done" and the count, as dmesg shows. */
Test(kernels, kernel_messages_with_the_era_rate_limit)
{
    char log_var[1100];
    const char *log_path = test_path("kmsg.jsonl");
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s", log_path);
    const char *env[] = { "EARLYRANDOM_KERNEL=4.19", "EARLYRANDOM_INIT_AFTER=1s",
                          "EARLYRANDOM_KERNEL_LOG=1", log_var, NULL };
    const char *argv[64] = { er_probe_plain, "seq" };
    int n = 2;
    for (int i = 0; i < 12; i++) {
        argv[n++] = "dev-read";
        argv[n++] = "/dev/urandom";
        argv[n++] = "24";
        argv[n++] = ",";
    }
    argv[n++] = "getrandom";
    argv[n++] = "16";
    argv[n] = NULL;
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    size_t len;
    char *log = read_whole(log_path, &len);
    cr_assert_not_null(log);
    cr_expect_eq(count_lines_with(log, "\"event\":\"kernel\""), 5, "%s", log);
    cr_expect_eq(count_lines_with(log, "\"message\":\"random: er-probe: uninitialized urandom read (24 bytes read)\""),
                 3, "%s", log);
    const char *done = strstr(log, "\"message\":\"random: crng init done\"");
    const char *missed = strstr(log, "\"message\":\"random: 7 urandom warning(s) missed due to ratelimiting\"");
    cr_expect(done != NULL && missed != NULL && done < missed, "init, then the count: %s", log);
    const char *last_read = NULL;
    for (const char *p = strstr(log, "uninitialized urandom read"); p; p = strstr(p + 1, "uninitialized urandom read"))
        last_read = p;
    cr_expect(last_read != NULL && done != NULL && last_read < done, "the warnings come before init");
    /* every line is still one JSON object */
    for (const char *p = log; *p;) {
        const char *end = strchr(p, '\n');
        cr_expect(*p == '{' && end != NULL && end[-1] == '}', "not a record: %.80s", p);
        p = end ? end + 1 : p + strlen(p);
    }
    free(log);
    spawn_free(&r);
}

/* ---- the syscall engine ---------------------------------------------------------------------- */

/* The command's seccomp supervisor answers from the same table: the probe's getrandom reaches it
 * as a system call (--engine=seccomp, no preload). Skipped where the filter cannot be installed. */
Test(kernels, the_syscall_engine_answers_from_the_same_table)
{
    static const struct { const char *kernel, *init, *rate; const char *args[3]; const char *expect;
                          double min_ms; } cases[] = {
        { "--kernel=3.10", "-i0", NULL, { "getrandom", "16", NULL }, "err getrandom errno=ENOSYS", 0 },
        { "--kernel=4.4", "-i0", NULL, { "getrandom", "16", "INSECURE" }, "err getrandom errno=EINVAL", 0 },
        { "--kernel=5.10", "-i0", NULL, { "getrandom", "16", "INSECURE" }, "ok getrandom ret=16", 0 },
        /* jitter: the first wait ends a second after it began */
        { "--kernel=5.4", NULL, NULL, { "getrandom", "16", NULL }, "ok getrandom ret=16", 1000 },
        /* the blocking pool after init: 256 bits at 256 bits a second */
        { "--kernel=4.4", "-i0", "EARLYRANDOM_ENTROPY_RATE=256", { "getrandom", "32", "RANDOM" },
          "ok getrandom ret=32", 1000 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[12] = { ER_COMMAND, "--engine=seccomp", "--quiet", cases[i].kernel };
        int n = 4;
        if (cases[i].init)
            argv[n++] = cases[i].init;
        argv[n++] = "--";
        argv[n++] = er_probe_plain;
        for (int a = 0; a < 3 && cases[i].args[a]; a++)
            argv[n++] = cases[i].args[a];
        argv[n] = NULL;
        const char *env[] = { "EARLYRANDOM_LOG=none", cases[i].rate, NULL };
        struct spawn_result r;
        /* The command's boot, from which the blocking pool's credit counts, comes after this
         * instant, and can come well before the probe's exec on a loaded machine. */
        double before_ms = spawn_boottime_ms();
        run_program(&r, argv, env, false, 30000);
        if (strstr(r.err, "--engine=seccomp: ") != NULL) {
            spawn_free(&r);
            cr_skip_test("the syscall engine is unavailable here");
        }
        cr_expect(starts(r.out, cases[i].expect), "%s %s %s: got '%s' (%s), expected '%s...'",
                  cases[i].kernel, cases[i].args[0], cases[i].args[2] ? cases[i].args[2] : "",
                  r.out, r.err, cases[i].expect);
        cr_expect(field(r.out, "boot_ms", -1) - before_ms >= cases[i].min_ms, "%s %s: %s",
                  cases[i].kernel, cases[i].args[0], r.out);
        spawn_free(&r);
    }
}
