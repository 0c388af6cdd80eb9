/* Living with other preloads and libraries: Debian's libjemalloc2 and libfaketime in both orders;
 * a library whose constructor asks for entropy before ours has run (linked into the program, or
 * preloaded before or after us); an allocator preload that asks for entropy inside malloc and
 * calloc, which dlsym re-enters. The helper is the unsanitized build: an allocator preload and
 * ASan cannot share a process. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hardening.h"

TestSuite(coexist, .timeout = 180);

/* The init moments here are a second after the library's load: far more than any start-up of
 * the helper takes on a loaded machine, so that its request comes before them; the upper bounds
 * leave a loaded machine its scheduling delays, the helper's own alarm (10 s) catches a wait
 * that never ends. */
#define WAKE_MARGIN_MS 2500

#if defined(__x86_64__)
#define MULTIARCH "/usr/lib/x86_64-linux-gnu"
#elif defined(__aarch64__)
#define MULTIARCH "/usr/lib/aarch64-linux-gnu"
#else
#error "add this architecture's Debian multiarch directory"
#endif
#define JEMALLOC MULTIARCH "/libjemalloc.so.2"
#define FAKETIME MULTIARCH "/faketime/libfaketime.so.1"

static void need(const char *path, const char *package)
{
    int found = access(path, R_OK);
    /* scripts/matrix's emulated root has only the base packages: a skip there, a failure elsewhere */
    char why[256];
    snprintf(why, sizeof why, "%s is not installed in this root", package);
    SKIP_EMULATED_IF(found != 0, why);
    cr_assert(found == 0, "%s is missing: install the Debian package %s", path, package);
}

/* timedwait: getrandom(16, 0) with init 1 s after the start; an alarm kills it at 10 s */
static void check_wait_with(const char *preload, const char *const *extra_env, const char *what)
{
    const char *env[8] = { "EARLYRANDOM_INIT_AFTER=1s" };
    size_t n = 1;
    for (size_t i = 0; extra_env && extra_env[i] && n < 7; i++)
        env[n++] = extra_env[i];
    const char *argv[] = { hard_helper_nosan, "timedwait", "10000", NULL };
    struct spawn_opts o = { .argv = argv, .env = env, .preload = preload, .timeout_ms = 30000 };
    struct spawn_result r;
    spawn_run(&r, &o);
    cr_expect(strstr(r.out, "timedwait ret=16") != NULL && r.exit_code == 0,
              "%s: getrandom did not return (exit %d, signal %d, %.0f ms; SIGALRM=14 means still waiting after 10 s):\n%s%s",
              what, r.exit_code, r.signal, r.wall_ms, r.out, r.err);
    /* the helper's own clock may be faked: the runner's is not */
    cr_expect(r.wall_ms >= 1000 && r.wall_ms < 1000 + WAKE_MARGIN_MS, "%s: returned after %.0f ms, init at 1000", what,
              r.wall_ms);
    cr_expect(r.cpu_ms < 100, "%s: the wait used %.0f ms of CPU", what, r.cpu_ms);
    cr_expect(strstr(r.err, "waited") != NULL, "%s: the wait was not logged: %s", what, r.err);
    spawn_free(&r);
}

Test(coexist, jemalloc_before_us)
{
    need(JEMALLOC, "libjemalloc2");
    check_wait_with(preload_list(JEMALLOC, er_library), NULL, "jemalloc first");
}

Test(coexist, jemalloc_after_us)
{
    need(JEMALLOC, "libjemalloc2");
    check_wait_with(preload_list(er_library, JEMALLOC), NULL, "jemalloc second");
}

static const char *const faked_day[] = { "FAKETIME=-1d", NULL };
static const char *const faked_future[] = { "FAKETIME=+2h", NULL };
static const char *const faked_wall_only[] = { "FAKETIME=-1d", "FAKETIME_DONT_FAKE_MONOTONIC=1", NULL };

Test(coexist, faketime_before_us)
{
    need(FAKETIME, "faketime");
    check_wait_with(preload_list(FAKETIME, er_library), faked_day, "libfaketime -1d first");
    check_wait_with(preload_list(FAKETIME, er_library), faked_future, "libfaketime +2h first");
}

Test(coexist, faketime_after_us)
{
    need(FAKETIME, "faketime");
    check_wait_with(preload_list(er_library, FAKETIME), faked_day, "libfaketime -1d second");
    check_wait_with(preload_list(er_library, FAKETIME), faked_future, "libfaketime +2h second");
}

Test(coexist, faketime_with_real_monotonic_clocks)
{
    need(FAKETIME, "faketime");
    check_wait_with(preload_list(FAKETIME, er_library), faked_wall_only, "libfaketime -1d, monotonic not faked, first");
    check_wait_with(preload_list(er_library, FAKETIME), faked_wall_only, "libfaketime -1d, monotonic not faked, second");
}

/* A library linked into the program asks for entropy in its constructor, which runs before the
 * preload's own: the request is still simulated (EAGAIN under eagain) and logged. */
Test(coexist, a_linked_library_asks_for_entropy_before_our_constructor)
{
    static char log_path[1024], log_var[1100];
    snprintf(log_path, sizeof log_path, "%s", test_path("ctor.jsonl"));
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s", log_path);
    const char *env[] = { "EARLYRANDOM_POLICY=eagain", log_var, NULL };
    const char *argv[] = { hard_ctor_prog, NULL };
    struct spawn_opts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 30000 };
    struct spawn_result r;
    spawn_run(&r, &o);
    cr_expect(r.exit_code == 0, "exit %d, signal %d, timed out %d: %s %s", r.exit_code, r.signal, r.timed_out,
              r.out, r.err);
    cr_expect(strstr(r.out, "main sees: hardctor getrandom=-1 errno=EAGAIN getentropy=-1 errno=EAGAIN") != NULL,
              "the constructor's requests were not simulated:\n%s%s", r.out, r.err);
    cr_expect(strstr(r.out, "main getrandom=-1 errno=EAGAIN") != NULL, "%s", r.out);
    char *log = read_whole(log_path, NULL);
    cr_assert(log != NULL, "nothing logged");
    cr_expect(count_lines(log) == 3, "three records expected:\n%s", log);
    cr_expect(count_lines_with(log, "libhardctor.so\"") == 2, "the constructor's two requests, its caller named:\n%s", log);
    free(log);
    spawn_free(&r);
}

Test(coexist, a_linked_constructor_that_blocks_waits_for_the_init_moment)
{
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=1s", "EARLYRANDOM_LOG=none", NULL };
    const char *argv[] = { hard_ctor_prog, NULL };
    struct spawn_opts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 30000 };
    struct spawn_result r;
    spawn_run(&r, &o);
    cr_expect(strstr(r.out, "main sees: hardctor getrandom=16 errno=0 getentropy=0 errno=0") != NULL,
              "exit %d, signal %d: %s %s", r.exit_code, r.signal, r.out, r.err);
    cr_expect(r.wall_ms >= 1000 && r.wall_ms < 1000 + WAKE_MARGIN_MS,
              "the constructor did not wait for init (1000 ms): %.0f ms", r.wall_ms);
    spawn_free(&r);
}

static void check_preloaded_ctor(const char *preload, const char *what)
{
    const char *env[] = { "EARLYRANDOM_POLICY=eagain", NULL };
    const char *argv[] = { hard_helper_nosan, "secure", NULL };
    struct spawn_opts o = { .argv = argv, .env = env, .preload = preload, .timeout_ms = 30000 };
    struct spawn_result r;
    spawn_run(&r, &o);
    cr_expect(r.exit_code == 0, "%s: exit %d, signal %d: %s %s", what, r.exit_code, r.signal, r.out, r.err);
    cr_expect(strstr(r.err, "hardctor getrandom=-1 errno=EAGAIN getentropy=-1 errno=EAGAIN") != NULL,
              "%s: the constructor's requests were not simulated:\n%s", what, r.err);
    cr_expect(count_lines_with(r.err, "earlyrandom: ") == 3, "%s: three log lines expected:\n%s", what, r.err);
    spawn_free(&r);
}

/* The loader runs the constructors of preloads in the reverse of their order in LD_PRELOAD:
 * listed after us, the library's constructor runs before ours. */
Test(coexist, a_preloaded_constructor_asking_for_entropy_listed_before_us)
{
    check_preloaded_ctor(preload_list(hard_ctor_lib, er_library), "constructor library listed first");
}

Test(coexist, a_preloaded_constructor_asking_for_entropy_listed_after_us_runs_before_ours)
{
    check_preloaded_ctor(preload_list(er_library, hard_ctor_lib), "constructor library listed second");
}

/* The allocator asks for entropy (GRND_NONBLOCK) in every malloc and calloc, including any that
 * dlsym makes while the library's constructor looks up its next getrandom. glibc 2.36's dlsym
 * allocates only on failure, so on Debian 12 the allocator's report shows reentered=0 here; glibc
 * 2.31's callocs in every thread's first dlsym once libpthread is loaded (Debian 11: a hook that
 * called dlsym recursed here until SIGSEGV, and jemalloc above deadlocked on its init lock); the
 * test below reaches the re-entry through the dlopen of the hang report. */
static void check_allocator(const char *preload, const char *what)
{
    static char log_var[1100];
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s", test_path("alloc.jsonl"));
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=200ms", log_var, NULL };
    const char *argv[] = { hard_helper_nosan, "timedwait", "10000", NULL };
    struct spawn_opts o = { .argv = argv, .env = env, .preload = preload, .timeout_ms = 30000 };
    struct spawn_result r;
    spawn_run(&r, &o);
    fprintf(stderr, "coexist: %s: %s\n", what, line_with(r.err, "hardalloc "));
    cr_expect(r.exit_code == 0 && strstr(r.out, "timedwait ret=16") != NULL,
              "%s: exit %d, signal %d, timed out %d: %s %s", what, r.exit_code, r.signal, r.timed_out, r.out, r.err);
    cr_expect(r.wall_ms >= 200 && r.wall_ms < 200 + WAKE_MARGIN_MS, "%s: returned after %.0f ms, init at 200", what,
              r.wall_ms);
    const char *stats = line_with(r.err, "hardalloc ");
    cr_expect(stats[0] != '\0', "%s: the allocator's report is missing (crashed before exit?):\n%s", what, r.err);
    cr_expect(field(stats, "asked", 0) >= 1 && field(stats, "other", -1) == 0,
              "%s: the allocator's getrandom failed other than with EAGAIN: %s", what, stats);
    spawn_free(&r);
}

Test(coexist, an_allocator_preloaded_before_us_asks_for_entropy_inside_calloc)
{
    check_allocator(preload_list(hard_alloc_lib, er_library), "allocator first");
}

Test(coexist, an_allocator_preloaded_after_us_asks_for_entropy_inside_calloc)
{
    check_allocator(preload_list(er_library, hard_alloc_lib), "allocator second");
}

/* The hang report's backtrace loads libgcc_s with dlopen, which allocates: the allocator then asks
 * for entropy from inside the library's own work on a waiting request. */
static void check_allocator_during_hang(const char *preload, const char *what)
{
    /* the pool initializes (the ready file) once the hang report is out */
    static char ready_path[1024], ready_var[1100];
    snprintf(ready_path, sizeof ready_path, "%s", test_path("hang.ready"));
    unlink(ready_path);
    snprintf(ready_var, sizeof ready_var, "EARLYRANDOM_READY_FILE=%s", ready_path);
    const char *env[] = { ready_var, "EARLYRANDOM_HANG_TIMEOUT=100ms", NULL };
    const char *argv[] = { hard_helper_nosan, "timedwait", "20000", NULL };
    struct spawn_opts o = { .argv = argv, .env = env, .preload = preload, .timeout_ms = 30000 };
    struct spawn_proc *p = spawn_start(&o);
    bool hang = spawn_await_output(p, "still waiting after", 20000);
    create_file(ready_path);
    struct spawn_result r;
    spawn_finish(p, &r);
    fprintf(stderr, "coexist: %s, hang report: %s\n", what, line_with(r.err, "hardalloc "));
    cr_expect(r.exit_code == 0 && strstr(r.out, "timedwait ret=16") != NULL,
              "%s: exit %d, signal %d, timed out %d: %s %s", what, r.exit_code, r.signal, r.timed_out, r.out, r.err);
    cr_expect(hang, "%s: no hang report:\n%s", what, r.err);
    cr_expect(count_lines_with(r.err, "called from ") >= 3 &&
                  count_lines_with(r.err, "libhardalloc.so") >= 1,
              "%s: the allocator's requests during the hang report were not handled:\n%s", what, r.err);
    spawn_free(&r);
}

Test(coexist, an_allocator_asking_for_entropy_while_the_library_reports_a_hang)
{
    check_allocator_during_hang(preload_list(hard_alloc_lib, er_library), "allocator first");
    check_allocator_during_hang(preload_list(er_library, hard_alloc_lib), "allocator second");
}

/* A sandbox's seccomp filter (or an older kernel) that refuses getrandom: the program sees what
 * it sees without the library, the weak bytes of the fallback policy included: glibc's
 * arc4random falls back to /dev/urandom on ENOSYS and aborts on any other refusal, getrandom and
 * getentropy fail as the kernel says, and a retry without GRND_INSECURE that succeeds keeps the
 * program's errno. */
static void check_refusal_as_without_the_library(const char *refusal, const char *which, const char *api)
{
#ifndef HAVE_ARC4RANDOM_BUF
    if (strcmp(api, "arc4random_buf") == 0)
        cr_skip_test("this C library has no arc4random_buf (glibc 2.36+)");
#endif
    const char *argv[] = { hard_helper_plain, "refused", refusal, which, api, NULL };
    struct spawn_opts o = { .argv = argv, .timeout_ms = 30000 };
    struct spawn_result native, r;
    spawn_run(&native, &o);
    SKIP_EMULATED_IF(strstr(native.out, "refused: no seccomp filter") != NULL,
                     "seccomp(2) is not emulated: no filter can refuse getrandom");
    char expected[256]; /* line_with's buffer is reused by the next call */
    snprintf(expected, sizeof expected, "%s", line_with(native.out, "refused api="));
    cr_assert(expected[0] != '\0' || native.signal != 0, "without the library: exit %d: %s %s",
              native.exit_code, native.out, native.err);
    const char *env[] = { "EARLYRANDOM_POLICY=fallback", "EARLYRANDOM_LOG=none", NULL };
    o.env = env;
    o.preload = er_library;
    spawn_run(&r, &o);
    const char *seen = line_with(r.out, "refused api=");
    cr_expect(r.exit_code == native.exit_code && r.signal == native.signal && strcmp(seen, expected) == 0,
              "%s refused with %s (%s) under the library: exit %d, signal %d, '%s' %s; without it: exit %d, "
              "signal %d, '%s' %s",
              api, refusal, which, r.exit_code, r.signal, seen, r.err, native.exit_code, native.signal, expected,
              native.err);
    if (native.signal != 0)
        cr_expect(strstr(r.err, "cannot get entropy for arc4random") != NULL, "glibc's words: %s", r.err);
    spawn_free(&r);
    spawn_free(&native);
}

Test(coexist, arc4random_buf_aborts_as_glibc_does_when_a_filter_refuses_getrandom)
{
    check_refusal_as_without_the_library("EPERM", "all", "arc4random_buf");
}
Test(coexist, arc4random_buf_reads_dev_urandom_as_glibc_does_when_getrandom_does_not_exist)
{
    check_refusal_as_without_the_library("ENOSYS", "all", "arc4random_buf");
}
Test(coexist, getrandom_fails_as_the_filter_says) { check_refusal_as_without_the_library("EPERM", "all", "getrandom"); }
Test(coexist, getentropy_fails_as_the_filter_says) { check_refusal_as_without_the_library("ENOSYS", "all", "getentropy"); }
Test(coexist, weak_bytes_from_a_kernel_without_grnd_insecure_keep_errno_in_getrandom)
{
    check_refusal_as_without_the_library("EINVAL", "insecure", "getrandom");
}
Test(coexist, weak_bytes_from_a_kernel_without_grnd_insecure_keep_errno_in_getentropy)
{
    check_refusal_as_without_the_library("EINVAL", "insecure", "getentropy");
}
