/* valgrind (memcheck) on the helper programs with the preload: a blocking getrandom, /dev/random
 * read through read and stdio, threads, fork, cancellation, closing every descriptor. No error
 * (invalid access, uninitialised value, bad free, fd or memory leak of the library) may appear.
 * In a sanitized build the ASan helpers cannot run under valgrind: the unsanitized build of
 * hard-helper is used there instead of er-probe. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardening.h"

TestSuite(valgrind, .timeout = 600);

#define VALGRIND "/usr/bin/valgrind"

/* expect: a word of the program's output; logged: whether a log line of the library must appear
 * on stderr (the library was loaded and saw the request under valgrind); released: the pool
 * never initializes on its own, the test creates the ready file once the library reports the
 * program waiting (its hang report, 100 ms into the wait), however long valgrind took to start
 * it. Valgrind's own threads wait for its lock in read(2), so a thread asleep there says nothing. */
static void under_valgrind(const char *const *program, const char *const *extra_env, const char *expect,
                           bool logged, bool released, const char *what)
{
    int found = access(VALGRIND, X_OK);
    /* scripts/matrix's emulated root has only the base packages: a skip there, a failure elsewhere */
    SKIP_EMULATED_IF(found != 0, "valgrind is not installed in this root");
    cr_assert(found == 0, VALGRIND " is missing: install the Debian package valgrind");
    static char supp[1200];
    snprintf(supp, sizeof supp, "--suppressions=%s/valgrind.supp", hard_srcdir);
    const char *argv[32] = { VALGRIND, "-q", "--error-exitcode=99", "--leak-check=full",
                             "--errors-for-leak-kinds=definite", "--track-fds=no", supp };
    size_t n = 7;
    for (size_t i = 0; program[i] && n < 31; i++)
        argv[n++] = program[i];
    argv[n] = NULL;
    static char ready_path[1024], ready_var[1100];
    snprintf(ready_path, sizeof ready_path, "%s", test_path("valgrind.ready"));
    unlink(ready_path);
    snprintf(ready_var, sizeof ready_var, "EARLYRANDOM_READY_FILE=%s", ready_path);
    const char *env[8] = { NULL };
    size_t k = 0;
    if (released) {
        env[k++] = ready_var;
        env[k++] = "EARLYRANDOM_HANG_TIMEOUT=100ms";
    }
    for (size_t i = 0; extra_env && extra_env[i] && k < 7; i++)
        env[k++] = extra_env[i];
    struct spawn_opts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 120000 };
    struct spawn_proc *p = spawn_start(&o);
    bool waited = !released || spawn_await_output(p, "still waiting after", 100000);
    if (released)
        create_file(ready_path);
    struct spawn_result r;
    spawn_finish(p, &r);
    cr_expect(waited, "%s: never waited:\n%s\n%.4000s", what, r.out, r.err);
    cr_expect(r.exit_code != 99, "%s: valgrind found errors:\n%.6000s", what, r.err);
    cr_expect(r.exit_code == 0 && !r.timed_out, "%s: exit %d, signal %d, timed out %d:\n%s\n%.4000s", what,
              r.exit_code, r.signal, r.timed_out, r.out, r.err);
    cr_expect(strstr(r.out, expect) != NULL, "%s: expected '%s' in:\n%s", what, expect, r.out);
    cr_expect(!logged || strstr(r.err, "earlyrandom: ") != NULL, "%s: the library did not log the request:\n%s", what,
              r.err);
    cr_expect(strstr(r.err, "==") == NULL || strstr(r.err, "ERROR SUMMARY: 0") != NULL,
              "%s: valgrind reported:\n%.6000s", what, r.err);
    spawn_free(&r);
}

static const char *probe(bool fortified)
{
    if (hard_sanitized)
        return fortified ? hard_helper_fortified : hard_helper_nosan;
    return fortified ? er_probe_fortified : er_probe_plain;
}

static void probe_actions(bool fortified)
{
    const char *p = probe(fortified);
    if (hard_sanitized) {
        /* the fortified hard-helper is sanitized too: only the unsanitized one runs here */
        if (fortified)
            return;
        const char *wait[] = { p, "timedwait", "100000", NULL };
        under_valgrind(wait, NULL, "timedwait ret=16", true, true, "timedwait");
        return;
    }
    const char *getrandom_wait[] = { p, "getrandom", "16", NULL };
    under_valgrind(getrandom_wait, NULL, "ok getrandom ret=16", true, true, "getrandom blocking");
    const char *devread[] = { p, "dev-read", "/dev/random", "16", NULL };
    under_valgrind(devread, NULL, "ok read ret=16", true, true, "/dev/random read blocking");
    const char *env_fallback[] = { "EARLYRANDOM_POLICY=fallback", "EARLYRANDOM_WEAK=deterministic:1", NULL };
    const char *fread_[] = { p, "dev-fread", "/dev/random", "16", NULL };
    under_valgrind(fread_, env_fallback, "ok fread ret=16", true, false, "fread, deterministic weak bytes");
    const char *fgetc_[] = { p, "dev-fgetc", "/dev/urandom", NULL };
    under_valgrind(fgetc_, env_fallback, "ok fgetc ret=1", true, false, "fgetc");
#ifdef HAVE_ARC4RANDOM
    const char *arc[] = { p, "arc4random_buf", "32", NULL };
    under_valgrind(arc, env_fallback, "ok arc4random_buf", true, false, "arc4random_buf, deterministic");
#else
    fprintf(stderr, "valgrind: arc4random_buf: case skipped: this C library has no arc4random_buf (glibc 2.36+)\n");
#endif
    const char *threads[] = { p, "threads", "8", NULL };
    under_valgrind(threads, NULL, "threads ok=8 of=8", true, true, "8 threads waiting");
    const char *fork_[] = { p, "fork", NULL };
    under_valgrind(fork_, NULL, "fork child=ok parent_thread=ok", true, true, "fork while a thread waits");
}

Test(valgrind, probe_plain) { probe_actions(false); }
Test(valgrind, probe_fortified) { probe_actions(true); }

Test(valgrind, hard_helper_cancel_and_descriptors)
{
    const char *env_never[] = { "EARLYRANDOM_LOG=none", "EARLYRANDOM_HANG_TIMEOUT=off", NULL };
    const char *cancel[] = { hard_helper_nosan, "cancel", "getrandom", "3", NULL };
    under_valgrind(cancel, env_never, "canceled=3 stuck=0", false, false, "cancel a blocked getrandom");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", test_path("vg-fds"));
    mkdir(dir, 0755);
    static char log_var[1200];
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s/log.jsonl", dir);
    const char *env_log[] = { log_var, "EARLYRANDOM_INIT_AFTER=100ms", NULL };
    const char *every[] = { hard_helper_nosan, "errno", dir, NULL };
    under_valgrind(every, env_log, "errno failures=0", false, false, "every hook (errno action), block until 100 ms");
}
