/* Real programs under the preload: what PEP 524 is about, seen from outside. A program that is
 * not installed fails the test with its name: the suite installs them (see .ci/run). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

TestSuite(programs, .timeout = 180);

/* Runs argv under block until the library reports it waiting (its hang report, 100 ms into a
 * wait), then lets the pool initialize (the ready file). Returns CLOCK_BOOTTIME of that moment,
 * or -1 if the program never waited. */
static double run_released_when_waiting(struct spawn_result *r, const char *name, const char *const *argv)
{
    static char path[1024], var[1100];
    snprintf(path, sizeof path, "%s", test_path(name));
    unlink(path);
    snprintf(var, sizeof var, "EARLYRANDOM_READY_FILE=%s", path);
    const char *env[] = { var, "EARLYRANDOM_HANG_TIMEOUT=100ms", NULL };
    struct spawn_proc *p = start_program(argv, env, 30000);
    double created = -1;
    if (spawn_await_output(p, "still waiting after", 20000)) {
        /* the instant before the file exists: the program can wake before a later reading */
        created = spawn_boottime_ms();
        create_file(path);
    }
    spawn_finish(p, r);
    return created;
}

/* Debian's interpreter when there is one: a version manager's shim in PATH adds seconds. */
static const char *python3(void)
{
    return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

static void require(const char *program)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", program);
    int found = system(cmd);
    /* scripts/matrix's emulated root has only the base packages (each package's scripts would
     * run emulated too), so a program missing there is a skip, and a failure anywhere else. */
    char why[128];
    snprintf(why, sizeof why, "%s is not installed in this root", program);
    SKIP_EMULATED_IF(found != 0, why);
    cr_assert(found == 0, "%s is not installed: the suite needs it (apt-get install it)", program);
}

Test(programs, python3_starts_without_waiting_under_block)
{
    require("python3");
    const char *env[] = { "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { python3(), "-c", "print('started')", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    cr_expect(!r.timed_out && strstr(r.out, "started") != NULL,
              "python3 startup must not wait for a pool that never initializes (PEP 524): %s %s", r.out, r.err);
}

Test(programs, python3_os_urandom_waits_for_init)
{
    require("python3");
    const char *argv[] = { python3(), "-c",
                           "import os, time; os.urandom(16); print('returned at %.1f' % "
                           "(time.clock_gettime(time.CLOCK_BOOTTIME) * 1000))", NULL };
    struct spawn_result r;
    double released = run_released_when_waiting(&r, "python.ready", argv);
    double at = -1;
    const char *p = strstr(r.out, "returned at ");
    if (p)
        at = strtod(p + 12, NULL);
    cr_expect(released > 0 && at >= released, "os.urandom returned at %.1f, the pool initialized at %.1f: %s %s", at,
              released, r.out, r.err);
    cr_expect(strstr(r.err, "getrandom(16 bytes, 0) pool uninitialized, block: waited") != NULL, "log: %s", r.err);
    cr_expect(strstr(r.err, "getrandom(24 bytes, GRND_NONBLOCK)") != NULL,
              "the hash secret is read without blocking: %s", r.err);
    spawn_free(&r);
}

Test(programs, python3_under_eagain_gets_BlockingIOError)
{
    require("python3");
    const char *env[] = { "EARLYRANDOM_POLICY=eagain", "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { python3(), "-c", "import os; os.urandom(16)", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    cr_expect(r.exit_code == 1 && strstr(r.err, "BlockingIOError") != NULL, "exit %d: %s", r.exit_code, r.err);
}

/* How many bytes node's OpenSSL asks getentropy for when it first seeds its DRBG: 48 in OpenSSL 3
 * (entropy and nonce in one request, providers/implementations/rands/drbg.c), 32 in 1.1.1 (entropy
 * only; its nonce comes from the time and the pid, crypto/rand/rand_lib.c). The version is node's
 * own (process.versions.openssl: bundled, or the system's libcrypto it links, as Debian 11's
 * node 12 does with OpenSSL 1.1.1). */
static int node_openssl_seed_bytes(void)
{
    FILE *p = popen("node -p process.versions.openssl 2>/dev/null", "r");
    cr_assert(p != NULL, "cannot run node");
    char version[64] = "";
    if (fgets(version, sizeof version, p) == NULL)
        version[0] = '\0';
    pclose(p);
    cr_assert(version[0] >= '0' && version[0] <= '9', "node did not tell its OpenSSL version: '%s'", version);
    return atoi(version) >= 3 ? 48 : 32;
}

Test(programs, node_waits_at_startup)
{
    require("node");
    char seeding[96];
    snprintf(seeding, sizeof seeding, "getentropy(%d bytes) pool uninitialized, block: waited", node_openssl_seed_bytes());
    const char *argv[] = { "node", "-e", "1", NULL };
    struct spawn_result r;
    double released = run_released_when_waiting(&r, "node.ready", argv);
    cr_expect(released > 0 && r.exit_code == 0, "node -e 1 never waited, or failed (exit %d): %s", r.exit_code, r.err);
    cr_expect(strstr(r.err, seeding) != NULL, "OpenSSL's seeding through getentropy, '%s' expected: %s", seeding, r.err);
    spawn_free(&r);
}

Test(programs, node_hangs_when_the_pool_never_initializes)
{
    require("node");
    const char *env[] = { "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { "node", "-e", "console.log('started')", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 2500); /* any deadline: it never ends */
    cr_expect(r.timed_out && strstr(r.out, "started") == NULL, "node should hang at startup: %s", r.out);
}

Test(programs, openssl_rand_waits_then_prints)
{
    require("openssl");
    const char *argv[] = { "openssl", "rand", "-hex", "16", NULL };
    struct spawn_result r;
    double released = run_released_when_waiting(&r, "openssl.ready", argv);
    cr_expect(released > 0, "openssl rand never waited: %s", r.err);
    cr_expect(r.exit_code == 0 && strlen(r.out) == 33, "output: %s", r.out);
    cr_expect(strstr(r.err, "libcrypto") != NULL, "the log names libcrypto as the caller: %s", r.err);
    spawn_free(&r);
}

Test(programs, dd_reads_urandom_through_a_duplicated_descriptor)
{
    require("dd");
    static char log_path[512], log_var[600];
    snprintf(log_path, sizeof log_path, "%s", test_path("dd.jsonl"));
    unlink(log_path);
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s", log_path);
    const char *env[] = { log_var, NULL };
    const char *argv[] = { "dd", "if=/dev/urandom", "bs=16", "count=1", "status=none", "of=/dev/null", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    cr_expect(r.exit_code == 0, "dd failed: %s", r.err);
    FILE *f = fopen(log_path, "r");
    cr_assert(f != NULL, "no log");
    char log[8192];
    size_t got = fread(log, 1, sizeof log - 1, f);
    log[got] = '\0';
    fclose(f);
    cr_expect(strstr(log, "\"api\":\"read\",\"device\":\"/dev/urandom\",\"bytes\":16") != NULL, "log: %s", log);
}

/* perl seeds its hash from /dev/urandom as it starts (Perl_seed; perl-base is in every Debian
 * root). The device never waits on kernels before 5.18, so perl starts at once on weak bytes. */
Test(programs, perl_starts_at_once_on_weak_bytes_from_urandom)
{
    require("perl");
    const char *argv[] = { "perl", "-e", "print qq(started\\n)", NULL };
    struct spawn_result r;
    run_program(&r, argv, NULL, true, 30000);
    cr_expect(r.exit_code == 0 && strstr(r.out, "started") != NULL, "perl failed (exit %d): %s %s",
              r.exit_code, r.out, r.err);
    cr_expect(strstr(r.err, "read(/dev/urandom, ") != NULL &&
                  strstr(r.err, "pool uninitialized, block: weak bytes at once") != NULL,
              "perl's seed read is logged, served at once: %s", r.err);
    cr_expect(strstr(r.err, "waited") == NULL, "nothing waits: %s", r.err);
    spawn_free(&r);
}

/* From 5.18 a read of /dev/urandom before init runs the kernel's jitter loop, so the same perl
 * waits about a second as it starts (Python's startup waited so, 2.24 s, in a real Debian 12
 * boot); a 5.10 kernel, which has the jitter loop only for getrandom, serves it at once. */
Test(programs, perl_start_waits_for_the_jitter_init_on_6_1_and_not_on_5_10)
{
    require("perl");
    const char *argv[] = { "perl", "-e", "print qq(started\\n)", NULL };
    const char *on_6_1[] = { "EARLYRANDOM_KERNEL=6.1", "EARLYRANDOM_INIT_AFTER=jitter", NULL };
    struct spawn_result r;
    run_program(&r, argv, on_6_1, true, 30000);
    cr_expect(r.exit_code == 0 && strstr(r.out, "started") != NULL, "6.1: perl failed (exit %d): %s %s",
              r.exit_code, r.out, r.err);
    cr_expect(r.wall_ms >= 900, "6.1: perl started after %.0f ms, not after the jitter init: %s",
              r.wall_ms, r.err);
    cr_expect(strstr(r.err, "read(/dev/urandom, ") != NULL &&
                  strstr(r.err, "pool uninitialized, block: waited") != NULL,
              "6.1: perl's seed read waits for init: %s", r.err);
    spawn_free(&r);

    const char *on_5_10[] = { "EARLYRANDOM_KERNEL=5.10", "EARLYRANDOM_INIT_AFTER=jitter", NULL };
    run_program(&r, argv, on_5_10, true, 30000);
    cr_expect(r.exit_code == 0 && strstr(r.out, "started") != NULL, "5.10: perl failed (exit %d): %s %s",
              r.exit_code, r.out, r.err);
    cr_expect(strstr(r.err, "pool uninitialized, block: weak bytes at once") != NULL &&
                  strstr(r.err, "waited") == NULL,
              "5.10: perl's seed read is served at once: %s", r.err);
    spawn_free(&r);
}
