/* Runs of the built command, checked from outside as a user would see them: exit statuses, the
 * environment the command gets, the shared boot, the hang verdict on a process tree, warnings. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testspawn.h"

#define ER ER_ABS_BUILDDIR "/src/cli/earlyrandom"
#define LIB ER_ABS_BUILDDIR "/src/lib/.libs/libearlyrandom.so"
#define PY "/usr/bin/python3"

/* The library is built with the command; a missing one is a failure, not a reason to skip. */
static void require_library(void)
{
    cr_assert_eq(access(LIB, R_OK), 0, "the library was not built: %s", LIB);
    cr_assert_eq(access(PY, X_OK), 0, "these tests run %s", PY);
}

static const char *const clean_env[] = {
    "EARLYRANDOM_POLICY", "EARLYRANDOM_INIT_AFTER", "EARLYRANDOM_EPOCH", "EARLYRANDOM_READY_FILE",
    "EARLYRANDOM_WEAK", "EARLYRANDOM_LOG", "EARLYRANDOM_LOG_ALL", "EARLYRANDOM_HANG_TIMEOUT",
    "EARLYRANDOM_LIBRARY", "LD_PRELOAD", NULL,
};

/* Runs earlyrandom with a clean environment plus extra "NAME=VALUE" settings. */
static void run_with(struct spawn_result *r, const char *const *extra, const char *const *args)
{
    const char *argv[64] = { ER };
    const char *env[64];
    size_t n = 0, a = 1;
    for (size_t i = 0; clean_env[i]; i++)
        env[n++] = clean_env[i];
    for (size_t i = 0; extra && extra[i] && n < 63; i++)
        env[n++] = extra[i];
    env[n] = NULL;
    for (size_t i = 0; args[i] && a < 63; i++)
        argv[a++] = args[i];
    argv[a] = NULL;
    spawn_run(r, &(struct spawn_opts){ .argv = argv, .env = env, .inherit_env = true });
}

#define RUN(r, ...) run_with((r), NULL, (const char *const[]){ __VA_ARGS__, NULL })
#define RUN_ENV(r, env, ...) run_with((r), (env), (const char *const[]){ __VA_ARGS__, NULL })

Test(run, exit_status_of_the_command)
{
    SKIP_IF_NO_SUBREAPER();
    require_library();
    struct spawn_result r;
    RUN(&r, "-q", "--", "true");
    cr_assert_eq(r.status, 0, "%s", r.err);
    spawn_free(&r);
    RUN(&r, "-q", "sh", "-c", "exit 3");
    cr_assert_eq(r.status, 3);
    spawn_free(&r);
    RUN(&r, "-q", "sh", "-c", "kill -TERM $$");
    cr_assert_eq(r.status, 128 + SIGTERM, "killed by a signal: 128+N");
    spawn_free(&r);
    RUN(&r, "-q", "sh", "-c", "kill -KILL $$");
    cr_assert_eq(r.status, 128 + SIGKILL);
    spawn_free(&r);
}

Test(run, own_errors_are_125)
{
    struct spawn_result r;
    RUN(&r, "--policy", "blok", "true");
    cr_assert_eq(r.status, 125);
    cr_assert_str_eq(r.err, "earlyrandom: --policy 'blok' is not valid; accepted: block, fallback, "
                            "eagain, passthrough\nTry 'earlyrandom --help' for more information.\n");
    spawn_free(&r);
    RUN(&r, "--bogus", "true");
    cr_assert_eq(r.status, 125);
    cr_assert(strstr(r.err, "unknown option '--bogus'") != NULL, "%s", r.err);
    spawn_free(&r);
    RUN(&r, "-q");
    cr_assert_eq(r.status, 125);
    spawn_free(&r);
    RUN_ENV(&r, ((const char *const[]){ "EARLYRANDOM_WEAK=sometimes", NULL }), "true");
    cr_assert_eq(r.status, 125);
    cr_assert(strstr(r.err, "EARLYRANDOM_WEAK='sometimes' is not valid; accepted: real") != NULL,
              "%s", r.err);
    spawn_free(&r);
    RUN_ENV(&r, ((const char *const[]){ "EARLYRANDOM_LIBRARY=/nonexistent/lib.so", NULL }), "true");
    cr_assert_eq(r.status, 125);
    cr_assert(strstr(r.err, "EARLYRANDOM_LIBRARY='/nonexistent/lib.so'") != NULL, "%s", r.err);
    spawn_free(&r);
}

Test(run, cannot_run_126_not_found_127)
{
    SKIP_IF_NO_SUBREAPER();
    require_library();
    struct spawn_result r;
    RUN(&r, "-q", "/etc/passwd");
    cr_assert_eq(r.status, 126, "%s", r.err);
    cr_assert(strstr(r.err, "earlyrandom: failed to run command '/etc/passwd': Permission denied")
              != NULL, "%s", r.err);
    spawn_free(&r);
    RUN(&r, "-q", "/etc");
    cr_assert_eq(r.status, 126);
    spawn_free(&r);
    RUN(&r, "-q", "no-such-command-for-earlyrandom");
    cr_assert_eq(r.status, 127);
    cr_assert(strstr(r.err, "'no-such-command-for-earlyrandom': No such file or directory") != NULL,
              "%s", r.err);
    spawn_free(&r);
    RUN(&r, "-q", "/nonexistent/dir/prog");
    cr_assert_eq(r.status, 127);
    spawn_free(&r);
}

Test(run, help_and_version)
{
    struct spawn_result r;
    RUN(&r, "--help");
    cr_assert_eq(r.status, 0);
    cr_assert(strncmp(r.out, "Usage: earlyrandom [OPTION]...", 30) == 0, "%s", r.out);
    cr_assert_str_eq(r.err, "");
    spawn_free(&r);
    RUN(&r, "--version");
    cr_assert_eq(r.status, 0);
    cr_assert_str_eq(r.out, "earlyrandom " PACKAGE_VERSION "\n");
    spawn_free(&r);
    RUN(&r, "report", "--help");
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "report [--json] [--svg FILE] [--html FILE] LOG...") != NULL);
    spawn_free(&r);
}

/* A real library that does not define any hooked symbol, to stand for a user's own preload. */
static const char *other_library(void)
{
    static char path[512];
    void *h = dlopen("libm.so.6", RTLD_NOW);
    Dl_info info;
    cr_assert(h && dladdr(dlsym(h, "cos"), &info) && info.dli_fname);
    snprintf(path, sizeof path, "%s", info.dli_fname);
    return path;
}

Test(run, existing_preload_kept_and_library_not_added_twice)
{
    SKIP_IF_NO_SUBREAPER();
    require_library();
    char preload[600], expected[1200], lib[512];
    cr_assert_not_null(realpath(LIB, lib));
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", other_library());
    snprintf(expected, sizeof expected, "%s:%s\n", other_library(), lib);
    const char *const env[] = { preload, NULL };
    struct spawn_result r;
    RUN_ENV(&r, env, "-q", "sh", "-c", "echo \"$LD_PRELOAD\"");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, expected, "the user's preload keeps its place, ours goes last");
    spawn_free(&r);
    /* A nested earlyrandom finds the library already there. */
    RUN_ENV(&r, env, "-q", ER, "-q", "sh", "-c", "echo \"$LD_PRELOAD\"");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, expected);
    spawn_free(&r);
}

Test(run, one_boot_for_the_whole_tree)
{
    SKIP_IF_NO_SUBREAPER();
    require_library();
    struct spawn_result r;
    RUN(&r, "-q", "-p", "passthrough", "sh", "-c",
        "echo \"$EARLYRANDOM_EPOCH\"; sleep 1; sh -c 'echo \"$EARLYRANDOM_EPOCH\"'");
    cr_assert_eq(r.status, 0, "%s", r.err);
    char first[64], second[64];
    cr_assert_eq(sscanf(r.out, "%63s %63s", first, second), 2, "%s", r.out);
    cr_assert_str_eq(first, second, "child and grandchild share one boot");
    cr_assert_gt(strtoll(first, NULL, 10), 0);
    spawn_free(&r);

    /* The python started 2 s late still sees the pool initialize 2.5 s after the start, not 2.5 s
     * after its own (4.5 s). */
    RUN(&r, "-q", "-i", "2.5", "--", "sh", "-c",
        "sleep 2; " PY " -c 'import os; os.urandom(1)'");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(r.wall_ms > 2400 && r.wall_ms < 4300, "took %.0f ms, expected about 2500", r.wall_ms);
    spawn_free(&r);

    /* A nested earlyrandom keeps the outer boot. */
    const char *const env[] = { "EARLYRANDOM_EPOCH=12345", NULL };
    RUN_ENV(&r, env, "-q", "-p", "passthrough", "sh", "-c", "echo \"$EARLYRANDOM_EPOCH\"");
    cr_assert_str_eq(r.out, "12345\n");
    spawn_free(&r);
}

/* True when some process still has word among its arguments. */
static bool process_with_argument(const char *word)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    bool found = false;
    while (!found && (de = readdir(d)) != NULL) {
        char path[300], buf[4096];
        snprintf(path, sizeof path, "/proc/%s/cmdline", de->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        for (ssize_t i = 0; i < n && !found; i += (ssize_t)strlen(buf + i) + 1) {
            buf[n] = '\0';
            found = strcmp(buf + i, word) == 0;
        }
    }
    closedir(d);
    return found;
}

Test(run, hang_verdict_on_a_grandchild)
{
    SKIP_IF_NO_SUBREAPER();
    require_library();
    char marker[64], script[512];
    snprintf(marker, sizeof marker, "er-hang-marker-%d", (int)getpid());
    /* sh -> sh -> python: only the grandchild asks for entropy that never comes. */
    snprintf(script, sizeof script,
             "sh -c '" PY " -c \"import os; os.urandom(8)\" %s; echo inner-not-reached'; "
             "echo not-reached",
             marker);
    struct spawn_result r;
    RUN(&r, "--fail-on-hang", "-t", "500ms", "--", "sh", "-c", script);
    cr_assert_eq(r.status, 124, "%s", r.err);
    /* without the verdict it would wait until the deadline */
    cr_assert(r.wall_ms < 15000, "took %.0f ms", r.wall_ms);
    cr_assert(strstr(r.err, "earlyrandom: hang: python3") != NULL, "%s", r.err);
    cr_assert(strstr(r.err, "in getrandom(8 bytes") != NULL, "%s", r.err);
    cr_assert(strstr(r.err, "earlyrandom:   #0 ") != NULL, "a backtrace: %s", r.err);
    cr_assert(strstr(r.err, "earlyrandom: stopping the process tree (exit 124)\n") != NULL, "%s",
              r.err);
    cr_assert(strstr(r.out, "not-reached") == NULL, "%s", r.out);
    cr_assert(!process_with_argument(marker), "a process of the tree was left running");
    spawn_free(&r);
}

Test(run, hang_without_verdict_is_reported_and_the_wait_goes_on)
{
    SKIP_IF_NO_SUBREAPER();
    require_library();
    struct spawn_result r;
    /* init 3 s after the start: python's request comes well before it, even on a loaded machine */
    RUN(&r, "-t", "300ms", "-i", "3s", "--", PY, "-c", "import os; os.urandom(8)");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(r.wall_ms > 2900, "took %.0f ms", r.wall_ms);
    cr_assert(strstr(r.err, "earlyrandom: HANG python3") != NULL, "%s", r.err);
    cr_assert(strstr(r.err, "ms for init") != NULL, "the request itself, after init: %s", r.err);
    spawn_free(&r);
}

Test(run, log_file_summary_and_report)
{
    SKIP_IF_NO_SUBREAPER();
    require_library();
    char dir[] = "/tmp/er-run-XXXXXX", log[128];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(log, sizeof log, "%s/log.jsonl", dir);
    FILE *before = fopen(log, "w");
    fputs("a line from an earlier run that is not JSON\n", before);
    fclose(before);
    struct spawn_result r;
    /* init 2 s after the start: python's request comes before it, even on a loaded machine */
    RUN(&r, "-l", log, "--summary", "-i", "2s", "--", PY, "-c", "import os; os.urandom(8)");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "malformed") == NULL, "the log is read from where it ended: %s", r.err);
    cr_assert(strstr(r.err, "earlyrandom: summary\nprogram") != NULL, "%s", r.err);
    cr_assert(strstr(r.err, "python3") != NULL, "%s", r.err);
    cr_assert(strstr(r.err, "getrandom:") != NULL, "%s", r.err);
    cr_assert(strstr(r.err, "earlyrandom: python3") == NULL, "a log file: no readable lines");
    spawn_free(&r);
    RUN(&r, "report", log);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "1 malformed line skipped (first at ") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "python3") != NULL && strstr(r.out, "total") != NULL, "%s", r.out);
    spawn_free(&r);
    RUN(&r, "report", "--json", log);
    cr_assert_eq(r.status, 0);
    cr_assert(strncmp(r.out, "{\"programs\":[{\"exe\":", 20) == 0, "%s", r.out);
    spawn_free(&r);
    unlink(log);
    rmdir(dir);
}

/* True when the directory has nothing in it. */
static bool empty_dir(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d)) != NULL)
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    return n == 0;
}

Test(run, readable_lines_by_default)
{
    SKIP_IF_NO_SUBREAPER();
    require_library();
    char tmp[] = "/tmp/er-tmpdir-XXXXXX", tmpdir_env[64];
    cr_assert_not_null(mkdtemp(tmp));
    snprintf(tmpdir_env, sizeof tmpdir_env, "TMPDIR=%s", tmp);
    struct spawn_result r;
    /* init 2 s after the start: python's request comes before it, even on a loaded machine */
    RUN_ENV(&r, ((const char *const[]){ tmpdir_env, NULL }), "-i", "2s", "--", PY, "-c",
            "import os; os.urandom(8)");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(empty_dir(tmp), "the private log is removed");
    rmdir(tmp);
    cr_assert(strstr(r.err, "earlyrandom: python3") != NULL, "%s", r.err);
    cr_assert(strstr(r.err, "getrandom(8 bytes, 0)") != NULL, "%s", r.err);
    spawn_free(&r);
    RUN(&r, "-q", "-i", "200ms", "--", PY, "-c", "import os; os.urandom(8)");
    cr_assert_str_eq(r.err, "", "--quiet");
    spawn_free(&r);
}

Test(run, report_of_saved_logs)
{
    struct spawn_result r;
    RUN(&r, "report", ER_ABS_SRCDIR "/tests/cli/data/sample.jsonl",
        ER_ABS_SRCDIR "/tests/cli/data/garbage.jsonl");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "4 malformed lines skipped (first at ") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "/bin/dd") != NULL);
    spawn_free(&r);
    RUN(&r, "report", "/nonexistent.jsonl");
    cr_assert_eq(r.status, 125);
    cr_assert_str_eq(r.err, "earlyrandom: report: cannot open '/nonexistent.jsonl': No such file "
                            "or directory\n");
    cr_assert_str_eq(r.out, "");
    spawn_free(&r);
}

Test(run, ready_creates_the_file)
{
    char dir[] = "/tmp/er-ready-XXXXXX", path[128], env_path[160];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/seed", dir);
    struct spawn_result r;
    RUN(&r, "ready", path);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(access(path, F_OK), 0);
    spawn_free(&r);
    RUN(&r, "ready", path);
    cr_assert_eq(r.status, 0, "an existing file is fine");
    spawn_free(&r);
    unlink(path);
    snprintf(env_path, sizeof env_path, "EARLYRANDOM_READY_FILE=%s", path);
    RUN_ENV(&r, ((const char *const[]){ env_path, NULL }), "ready");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(access(path, F_OK), 0);
    spawn_free(&r);
    unlink(path);
    RUN(&r, "ready");
    cr_assert_eq(r.status, 125);
    cr_assert_str_eq(r.err, "earlyrandom: ready: no PATH given and EARLYRANDOM_READY_FILE is not set\n");
    spawn_free(&r);
    RUN(&r, "ready", "/nonexistent/dir/seed");
    cr_assert_eq(r.status, 125);
    spawn_free(&r);
    rmdir(dir);
}

Test(run, ready_releases_a_waiting_program)
{
    SKIP_IF_NO_SUBREAPER();
    require_library();
    char dir[] = "/tmp/er-ready-XXXXXX", ready[128];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(ready, sizeof ready, "%s/ready", dir);
    struct spawn_result r;
    /* The script under test loads its seed after 0.5 s; python's os.urandom waits for it. */
    RUN(&r, "-q", "-r", ready, "--", "sh", "-c",
        "(sleep 0.5; " ER " ready) & " PY " -c 'import os; os.urandom(8)'; wait");
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* without the ready file, python would wait until the deadline */
    cr_assert(r.wall_ms > 450 && r.wall_ms < 15000, "took %.0f ms", r.wall_ms);
    spawn_free(&r);
    unlink(ready);
    rmdir(dir);
}

/* With the preload alone: the syscall engine (the default's filter) sees these programs. */
Test(run, warns_about_programs_it_cannot_see)
{
    SKIP_IF_NO_SUBREAPER();
    require_library();
    struct spawn_result r;
    RUN(&r, "-q", "--engine=preload", ER_ABS_BUILDDIR "/tests/cli/static-helper");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.err, "earlyrandom: warning: " ER_ABS_BUILDDIR "/tests/cli/static-helper is "
                            "statically linked: the library cannot see its entropy requests; the "
                            "log will stay empty for it\n");
    spawn_free(&r);
    RUN(&r, "-q", "--engine=preload", ER_ABS_BUILDDIR "/tests/cli/fake-go");
    cr_assert(strstr(r.err, "fake-go is a Go program") != NULL, "%s", r.err);
    spawn_free(&r);
    RUN(&r, "-q", "--engine=preload", "true");
    cr_assert_str_eq(r.err, "", "no warning for an ordinary program");
    RUN(&r, "-q", ER_ABS_BUILDDIR "/tests/cli/static-helper");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.err, "", "no warning where the syscall engine sees the program");
    spawn_free(&r);
}

Test(run, warns_about_setuid_programs)
{
    SKIP_IF_NO_SUBREAPER();
    require_library();
    if (geteuid() != 0)
        cr_skip_test("needs root to give a copy of true to another user");
    const char *copy = ER_ABS_BUILDDIR "/tests/cli/setuid-true";
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp /bin/true %s && chown 65534 %s && chmod 4755 %s", copy, copy, copy);
    cr_assert_eq(system(cmd), 0);
    struct spawn_result r;
    RUN(&r, "-q", "--engine=preload", copy);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "setuid-true is setuid, setgid or has file capabilities") != NULL, "%s",
              r.err);
    spawn_free(&r);
    unlink(copy);
}

/* True when a process whose parent is pid runs the program named comm (after its exec). */
static bool child_running(pid_t pid, const char *comm)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    bool found = false;
    while (!found && (de = readdir(d)) != NULL) {
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        buf[n > 0 ? n : 0] = '\0';
        const char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
        if (open_paren == NULL || close_paren == NULL)
            continue;
        int ppid = 0;
        char state;
        found = sscanf(close_paren + 1, " %c %d", &state, &ppid) == 2 && ppid == pid &&
                (size_t)(close_paren - open_paren - 1) == strlen(comm) &&
                strncmp(open_paren + 1, comm, strlen(comm)) == 0;
    }
    closedir(d);
    return found;
}

Test(run, signals_are_forwarded_to_the_command)
{
    SKIP_IF_NO_SUBREAPER();
    require_library();
    /* SIGTERM is sent once the command's child runs sleep, so that it is the command that
     * forwards it */
    const char *argv[] = { ER, "-q", "sleep", "20", NULL };
    struct spawn_opts o = { .argv = argv, .env = clean_env, .inherit_env = true };
    struct spawn_proc *p = spawn_start(&o);
    bool started = false;
    for (int i = 0; i < 20000 && !(started = child_running(spawn_pid(p), "sleep")); i++)
        usleep(1000);
    kill(spawn_pid(p), SIGTERM);
    struct spawn_result r;
    spawn_finish(p, &r);
    cr_assert(started, "the command's child never ran sleep: %s", r.err);
    cr_assert_eq(r.status, 128 + SIGTERM, "%s", r.err);
    /* the sleep lasts 20 s unless the signal reached it */
    cr_assert(r.wall_ms < 15000, "took %.0f ms: the child's sleep 20 was not ended", r.wall_ms);
    spawn_free(&r);
}
