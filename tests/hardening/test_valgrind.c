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

TestSuite(valgrind, .timeout = 180);

#define VALGRIND "/usr/bin/valgrind"

/* expect: a word of the program's output; logged: whether a log line of the library must appear
 * on stderr (the library was loaded and saw the request under valgrind) */
static void under_valgrind(const char *const *program, const char *const *env, const char *expect, bool logged,
                           const char *what)
{
    cr_assert(access(VALGRIND, X_OK) == 0, VALGRIND " is missing: install the Debian package valgrind");
    static char supp[1200];
    snprintf(supp, sizeof supp, "--suppressions=%s/valgrind.supp", hard_srcdir);
    const char *argv[32] = { VALGRIND, "-q", "--error-exitcode=99", "--leak-check=full",
                             "--errors-for-leak-kinds=definite", "--track-fds=no", supp };
    size_t n = 7;
    for (size_t i = 0; program[i] && n < 31; i++)
        argv[n++] = program[i];
    argv[n] = NULL;
    struct spawn_opts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 60000 };
    struct spawn_result r;
    spawn_run(&r, &o);
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
        const char *wait[] = { p, "timedwait", "5000", NULL };
        const char *env[] = { "EARLYRANDOM_INIT_AFTER=1s", NULL };
        under_valgrind(wait, env, "timedwait ret=16", true, "timedwait");
        return;
    }
    /* an init moment far enough for valgrind's slow start on a loaded machine */
    const char *env_wait[] = { "EARLYRANDOM_INIT_AFTER=1s", NULL };
    const char *getrandom_wait[] = { p, "getrandom", "16", NULL };
    under_valgrind(getrandom_wait, env_wait, "ok getrandom ret=16", true, "getrandom blocking until 1 s");
    const char *devread[] = { p, "dev-read", "/dev/random", "16", NULL };
    under_valgrind(devread, env_wait, "ok read ret=16", true, "/dev/random read blocking until 1 s");
    const char *env_fallback[] = { "EARLYRANDOM_POLICY=fallback", "EARLYRANDOM_WEAK=deterministic:1", NULL };
    const char *fread_[] = { p, "dev-fread", "/dev/random", "16", NULL };
    under_valgrind(fread_, env_fallback, "ok fread ret=16", true, "fread, deterministic weak bytes");
    const char *fgetc_[] = { p, "dev-fgetc", "/dev/urandom", NULL };
    under_valgrind(fgetc_, env_fallback, "ok fgetc ret=1", true, "fgetc");
    const char *arc[] = { p, "arc4random_buf", "32", NULL };
    under_valgrind(arc, env_fallback, "ok arc4random_buf", true, "arc4random_buf, deterministic");
    const char *threads[] = { p, "threads", "8", NULL };
    under_valgrind(threads, env_wait, "threads ok=8 of=8", true, "8 threads waiting");
    const char *fork_[] = { p, "fork", NULL };
    under_valgrind(fork_, env_wait, "fork child=ok parent_thread=ok", true, "fork while a thread waits");
}

Test(valgrind, probe_plain) { probe_actions(false); }
Test(valgrind, probe_fortified) { probe_actions(true); }

Test(valgrind, hard_helper_cancel_and_descriptors)
{
    const char *env_never[] = { "EARLYRANDOM_LOG=none", "EARLYRANDOM_HANG_TIMEOUT=off", NULL };
    const char *cancel[] = { hard_helper_nosan, "cancel", "getrandom", "3", NULL };
    under_valgrind(cancel, env_never, "canceled=3 stuck=0", false, "cancel a blocked getrandom");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", test_path("vg-fds"));
    mkdir(dir, 0755);
    static char log_var[1200];
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s/log.jsonl", dir);
    const char *env_log[] = { log_var, "EARLYRANDOM_INIT_AFTER=100ms", NULL };
    const char *every[] = { hard_helper_nosan, "errno", dir, NULL };
    under_valgrind(every, env_log, "errno failures=0", false, "every hook (errno action), block until 100 ms");
}
