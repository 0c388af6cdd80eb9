/* Every entry point under every policy, in the plain and the fortified helper: what the program
 * gets, how long it waits, and what the log says. The expectations are the table of the library
 * man page, written out independently of src/core/policy.c. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

enum kind { BLOCKING, ARC4, NONBLOCKING, INSECURE, INVALID };

struct probe_case {
    const char *args[5];
    enum kind kind;
};

static const struct probe_case cases[] = {
    { { "getrandom", "16" }, BLOCKING },
    { { "getrandom", "16", "RANDOM" }, BLOCKING },
    { { "getrandom", "16", "NONBLOCK" }, NONBLOCKING },
    { { "getrandom", "16", "RANDOM|NONBLOCK" }, NONBLOCKING },
    { { "getrandom", "16", "INSECURE" }, INSECURE },
    { { "getrandom", "16", "INSECURE|NONBLOCK" }, INSECURE },
    { { "getrandom", "16", "INSECURE|RANDOM" }, INVALID },
    { { "getrandom", "16", "BOGUS" }, INVALID },
    { { "syscall", "16" }, BLOCKING },
    { { "syscall", "16", "NONBLOCK" }, NONBLOCKING },
    { { "getentropy", "16" }, BLOCKING },
    { { "arc4random" }, ARC4 },
    { { "arc4random_buf", "8" }, ARC4 },
    { { "arc4random_uniform" }, ARC4 },
    { { "dev-read", "/dev/random", "8" }, BLOCKING },
    { { "dev-read", "/dev/random", "8", "nonblock" }, NONBLOCKING },
    { { "dev-read", "/dev/urandom", "8" }, INSECURE },
    { { "dev-readv", "/dev/random", "8" }, BLOCKING },
    { { "dev-pread", "/dev/random", "8" }, BLOCKING },
    { { "dev-fread", "/dev/random", "8" }, BLOCKING },
    { { "dev-fread", "/dev/urandom", "8" }, INSECURE },
    { { "dev-fgetc", "/dev/random" }, BLOCKING },
    { { "dev-dup2", "/dev/./random", "8" }, BLOCKING },
    { { "dev-fcntl", "/dev/random", "8" }, BLOCKING },
    { { "dev-openat", "/dev/random", "8" }, BLOCKING },
};

enum outcome { WAITS, AT_ONCE, FAILS_EAGAIN, FAILS_EINVAL, ABORTS };

static enum outcome expected(enum kind k, const char *policy)
{
    if (strcmp(policy, "passthrough") == 0)
        return k == INVALID ? FAILS_EINVAL : AT_ONCE;
    switch (k) {
    case INVALID:
        return FAILS_EINVAL;
    case INSECURE:
        return AT_ONCE;
    case NONBLOCKING:
        return FAILS_EAGAIN;
    case BLOCKING:
    case ARC4:
        if (strcmp(policy, "block") == 0)
            return WAITS;
        if (strcmp(policy, "fallback") == 0)
            return AT_ONCE;
        return k == ARC4 ? ABORTS : FAILS_EAGAIN;
    }
    return AT_ONCE;
}

static const char *expected_action(enum outcome o, enum kind k, const char *policy)
{
    if (strcmp(policy, "passthrough") == 0)
        return "pass";
    switch (o) {
    case WAITS:
        return "block";
    case AT_ONCE:
        return "weak";
    case FAILS_EAGAIN:
        return "eagain";
    case FAILS_EINVAL:
        return "einval";
    case ABORTS:
        return "abort";
    }
    (void)k;
    return "?";
}

/* The pool never initializes on its own: a call that must wait is seen asleep in the wait, then
 * the test creates the ready file and it must return after that; any other call has nothing to
 * wait for, and one that waited would wait until the deadline. */
#define AT_ONCE_MS 2000

static void check_case(const char *probe, const struct probe_case *c, const char *policy)
{
    char policy_var[64], log_var[1100], ready_var[1100], label[256], log_path[1024], ready_path[1024];
    snprintf(policy_var, sizeof policy_var, "EARLYRANDOM_POLICY=%s", policy);
    char name[128];
    snprintf(name, sizeof name, "entry-%d-%s-%s.jsonl", getpid(), policy, c->args[0]);
    snprintf(log_path, sizeof log_path, "%s", test_path(name));
    snprintf(name, sizeof name, "entry-%d-%s-%s.ready", getpid(), policy, c->args[0]);
    snprintf(ready_path, sizeof ready_path, "%s", test_path(name));
    unlink(log_path);
    unlink(ready_path);
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s", log_path);
    snprintf(ready_var, sizeof ready_var, "EARLYRANDOM_READY_FILE=%s", ready_path);
    snprintf(label, sizeof label, "%s %s %s %s %s under %s", probe, c->args[0],
             c->args[1] ? c->args[1] : "", c->args[2] ? c->args[2] : "",
             c->args[3] ? c->args[3] : "", policy);

    const char *argv[7] = { probe };
    for (int i = 0; i < 5 && c->args[i]; i++)
        argv[i + 1] = c->args[i];
    const char *env[] = { policy_var, ready_var, log_var, NULL };
    enum outcome o = expected(c->kind, policy);
    struct spawn_proc *p = start_program(argv, env, 30000);
    bool waited = false;
    double created = -1;
    if (o == WAITS) {
        waited = spawn_await_waiting(p, 20000);
        /* the instant before the file exists: the program can wake before a later reading */
        created = spawn_boottime_ms();
        create_file(ready_path);
    }
    struct spawn_result r;
    spawn_finish(p, &r);

    double ms = field(r.out, "ms", -1);
    switch (o) {
    case WAITS:
        cr_expect(strncmp(r.out, "ok ", 3) == 0, "%s: should succeed, got: %s %s", label, r.out, r.err);
        cr_expect(waited && field(r.out, "boot_ms", -1) >= created,
                  "%s: should wait until the pool initializes, returned %.1f ms before the ready file appeared", label,
                  created - field(r.out, "boot_ms", -1));
        break;
    case AT_ONCE:
        cr_expect(strncmp(r.out, "ok ", 3) == 0, "%s: should succeed, got: %s %s", label, r.out, r.err);
        cr_expect(ms >= 0 && ms < AT_ONCE_MS, "%s: should not wait, took %.1f ms", label, ms);
        break;
    case FAILS_EAGAIN:
        cr_expect(strstr(r.out, "errno=EAGAIN") != NULL, "%s: should fail with EAGAIN, got: %s", label, r.out);
        cr_expect(ms >= 0 && ms < AT_ONCE_MS, "%s: should fail at once, took %.1f ms", label, ms);
        break;
    case FAILS_EINVAL:
        if (strcmp(policy, "passthrough") == 0) {
            /* Passed through, the call gets what it gets without the library: EINVAL from the
             * kernel, or bytes where glibc answers from the vDSO without asking it (2.41). */
            struct spawn_result alone;
            run_program(&alone, argv, NULL, false, 30000);
            bool einval_alone = strstr(alone.out, "errno=EINVAL") != NULL;
            cr_expect((strstr(r.out, "errno=EINVAL") != NULL) == einval_alone,
                      "%s: should end as without the library (%s), got: %s", label, alone.out, r.out);
            spawn_free(&alone);
            break;
        }
        cr_expect(strstr(r.out, "errno=EINVAL") != NULL, "%s: should fail with EINVAL, got: %s", label, r.out);
        break;
    case ABORTS:
        cr_expect(r.signal == SIGABRT, "%s: should abort, ended with exit %d signal %d", label, r.exit_code, r.signal);
        cr_expect(strstr(r.err, "Fatal glibc error: cannot get entropy for arc4random") != NULL,
                  "%s: glibc's message expected on stderr, got: %s", label, r.err);
        break;
    }

    char *log = read_whole(log_path, NULL);
    char needle[64];
    snprintf(needle, sizeof needle, "\"action\":\"%s\"", expected_action(o, c->kind, policy));
    cr_expect(log && strstr(log, needle) != NULL, "%s: the log should record %s; log: %s", label, needle, log);
    cr_expect(log && strstr(log, "\"pool\":\"uninitialized\"") != NULL,
              "%s: the log should say the pool was uninitialized; log: %s", label, log);
    free(log);
    spawn_free(&r);
}

static void check_policy(const char *probe, const char *policy)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
#ifndef HAVE_ARC4RANDOM
        /* No program can call what the C library does not have (glibc < 2.36). */
        if (cases[i].kind == ARC4) {
            fprintf(stderr, "entrypoints: %s under %s: case skipped: this C library has no %s (glibc 2.36+)\n",
                    cases[i].args[0], policy, cases[i].args[0]);
            continue;
        }
#endif
        check_case(probe, &cases[i], policy);
    }
}

TestSuite(entrypoints, .timeout = 300);

Test(entrypoints, block_plain) { check_policy(er_probe_plain, "block"); }
Test(entrypoints, block_fortified) { check_policy(er_probe_fortified, "block"); }
Test(entrypoints, fallback_plain) { check_policy(er_probe_plain, "fallback"); }
Test(entrypoints, fallback_fortified) { check_policy(er_probe_fortified, "fallback"); }
Test(entrypoints, eagain_plain) { check_policy(er_probe_plain, "eagain"); }
Test(entrypoints, eagain_fortified) { check_policy(er_probe_fortified, "eagain"); }
Test(entrypoints, passthrough_plain) { check_policy(er_probe_plain, "passthrough"); }
Test(entrypoints, passthrough_fortified) { check_policy(er_probe_fortified, "passthrough"); }

/* The fortified build really goes through the _chk and _2 variants, and the log names them. */
Test(entrypoints, fortified_variants_are_the_ones_logged)
{
    const char *log_path = test_path("fortified.jsonl");
    char log_var[512];
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s", log_path);
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=0", "EARLYRANDOM_LOG_ALL=1", log_var, NULL };
    static const char *const readers[] = { "dev-read", "dev-pread", "dev-fread" };
    for (size_t i = 0; i < 3; i++) {
        const char *argv[] = { er_probe_fortified, readers[i], "/dev/urandom", "8", NULL };
        struct spawn_result r;
        run_program(&r, argv, env, true, 30000);
        cr_expect(strncmp(r.out, "ok ", 3) == 0, "%s: %s", readers[i], r.out);
    }
    FILE *f = fopen(log_path, "r");
    cr_assert(f != NULL, "no log at %s", log_path);
    char log[16384];
    size_t got = fread(log, 1, sizeof log - 1, f);
    log[got] = '\0';
    fclose(f);
    static const char *const apis[] = { "\"api\":\"__open_2\"", "\"api\":\"__read_chk\"",
                                        "\"api\":\"__pread_chk\"", "\"api\":\"__fread_chk\"" };
    for (size_t i = 0; i < 4; i++)
        cr_expect(strstr(log, apis[i]) != NULL, "expected %s in the log: %s", apis[i], log);
}

/* Reads the kernel answers without looking at its pool: a write-only or O_PATH descriptor, a
 * negative offset, a vector it cannot read or whose length it refuses (EBADF, EINVAL, EFAULT at
 * once), nothing asked for, a byte the stream already holds. Under the library they get the
 * same answer as without it, at once, however the pool stands; before, they waited or failed as
 * requests for entropy, and the unreadable vector crashed the program. */
static void check_odd_reads_as_without_the_library(const char *probe)
{
    static const char *const odd_reads[] = { "wronly",        "opath",      "pread-negative", "readv-badvec",
                                             "readv-hugelen", "fread-zero", "fgetc-pushback" };
    static const char *const policies[] = { "EARLYRANDOM_POLICY=eagain", "EARLYRANDOM_POLICY=block" };
    for (size_t i = 0; i < sizeof odd_reads / sizeof odd_reads[0]; i++) {
        /* qemu-user has no process_vm_readv: the library cannot tell a bad vector there, and
         * answers it as a good one rather than read it */
        if (spawn_emulator() != NULL && strncmp(odd_reads[i], "readv-", 6) == 0) {
            fprintf(stderr, "entrypoints: %s: case skipped: emulated by %s, which has no process_vm_readv\n",
                    odd_reads[i], spawn_emulator());
            continue;
        }
        const char *argv[] = { probe, "oddread", "/dev/random", odd_reads[i], NULL };
        struct spawn_result native;
        run_program(&native, argv, NULL, false, 30000);
        char expected[128]; /* line_with's buffer is reused by the next call */
        snprintf(expected, sizeof expected, "%s", line_with(native.out, "oddread "));
        cr_assert(expected[0] != '\0', "%s without the library: %s %s", odd_reads[i], native.out, native.err);
        for (size_t p = 0; p < sizeof policies / sizeof policies[0]; p++) {
            const char *env[] = { policies[p], "EARLYRANDOM_LOG=none", NULL };
            struct spawn_result r;
            /* a read that waited for the pool, which never initializes, is stopped here */
            run_program(&r, argv, env, true, 10000);
            const char *seen = line_with(r.out, "oddread ");
            cr_expect(r.exit_code == 0 && strcmp(seen, expected) == 0,
                      "%s under %s: exit %d, signal %d, after %.0f ms: '%s'; without the library: '%s' %s",
                      odd_reads[i], policies[p], r.exit_code, r.signal, r.wall_ms, seen, expected, r.err);
            spawn_free(&r);
        }
        spawn_free(&native);
    }
}

Test(entrypoints, odd_reads_as_without_the_library_plain) { check_odd_reads_as_without_the_library(er_probe_plain); }
Test(entrypoints, odd_reads_as_without_the_library_fortified)
{
    check_odd_reads_as_without_the_library(er_probe_fortified);
}

/* glibc opens and closes inside freopen and fclose, where no hook sees it: a device that takes
 * the number of a descriptor the library already knew as something else is still a device. */
static void check_device_on_a_reused_number(const char *action)
{
    const char *env[] = { "EARLYRANDOM_POLICY=eagain", NULL };
    const char *argv[] = { er_probe_plain, action, "/dev/random", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    cr_expect(r.exit_code == 0 && strncmp(r.out, "err ", 4) == 0 && strstr(r.out, "errno=EAGAIN") != NULL,
              "%s: the read of /dev/random was not answered by the policy (EAGAIN): exit %d: %s %s", action,
              r.exit_code, r.out, r.err);
    spawn_free(&r);
}

Test(entrypoints, a_device_freopen_puts_on_a_known_number_is_seen) { check_device_on_a_reused_number("reused-stdin"); }
Test(entrypoints, a_device_on_the_number_of_a_stream_fclose_closed_is_seen)
{
    check_device_on_a_reused_number("reused-fclose");
}
