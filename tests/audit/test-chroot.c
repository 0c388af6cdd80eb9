/* The boot audit for real, in a root file system of its own: tests/audit/chroot-audit builds (or
 * reuses) a Debian root, enables the audit in it with 'earlyrandom audit enable --root', runs
 * real programs inside it with unshare and chroot, and reports the log. This checks what came
 * out: every program is in the log and the report with the interface it used, a setuid program
 * was reached through ld.so.preload and ignored the variables, and the root was left clean. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "logparse.h"

#define SCRIPT ER_ABS_SRCDIR "/tests/audit/chroot-audit"
#define OUT ER_ABS_BUILDDIR "/tests/audit/chroot-out"
/* debootstrap once, on a slow mirror; every later run takes seconds */
#define DEADLINE_S 1500

static char *slurp_path(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    char *text = calloc(1, 1 << 20);
    size_t n = fread(text, 1, (1 << 20) - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

static char *slurp(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, OUT "/%s", name);
    return slurp_path(path);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs the script with its output in OUT.log; returns its exit status. */
static int run_script(double *seconds)
{
    fflush(NULL);
    double start = now();
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        FILE *log = freopen(OUT ".log", "w", stdout);
        if (log == NULL || dup2(STDOUT_FILENO, STDERR_FILENO) < 0)
            _exit(98);
        execl(SCRIPT, SCRIPT, ER_ABS_BUILDDIR, OUT, (char *)NULL);
        fprintf(stderr, "cannot run %s: %s\n", SCRIPT, strerror(errno));
        _exit(99);
    }
    int status;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (now() - start > DEADLINE_S) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            cr_assert_fail("%s still running after %d s", SCRIPT, DEADLINE_S);
        }
        usleep(100000);
    }
    *seconds = now() - start;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct seen {
    const char *exe; /* a prefix: python3 is python3.11 */
    const char *api; /* NULL: any */
    const char *device;
    int count;
    const char *policy, *action; /* of the last one */
    long pids[8];
    int npids;
};

static void scan(char *log, struct seen *want, size_t n, int *records)
{
    *records = 0;
    for (char *line = strtok(log, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        struct er_parsed p;
        cr_assert_eq(er_parse_record(line, &p), ER_PARSE_OK, "a record the command cannot read: %s",
                     line);
        (*records)++;
        for (size_t i = 0; i < n; i++) {
            if (p.rec.exe == NULL || strncmp(p.rec.exe, want[i].exe, strlen(want[i].exe)) != 0 ||
                (want[i].api != NULL &&
                 (p.rec.api == NULL || strcmp(p.rec.api, want[i].api) != 0)) ||
                (want[i].device != NULL &&
                 (p.rec.device == NULL || strcmp(p.rec.device, want[i].device) != 0)))
                continue;
            want[i].count++;
            bool known = false;
            for (int k = 0; k < want[i].npids; k++)
                known = known || want[i].pids[k] == p.rec.pid;
            if (!known && want[i].npids < 8)
                want[i].pids[want[i].npids++] = p.rec.pid;
            want[i].policy = p.rec.policy && strcmp(p.rec.policy, "passthrough") == 0
                                 ? "passthrough"
                             : p.rec.policy && strcmp(p.rec.policy, "eagain") == 0 ? "eagain"
                                                                                   : "other";
            want[i].action = p.rec.action && strcmp(p.rec.action, "pass") == 0 ? "pass" : "other";
        }
    }
}

Test(chroot, real_programs_in_a_root_of_their_own_are_all_reported)
{
    cr_assert_eq(geteuid(), 0, "this test builds a root file system and enters it: run it as root");
    double seconds;
    int status = run_script(&seconds);
    char *transcript = slurp_path(OUT ".log");
    cr_assert_eq(status, 0, "%s failed (status %d):\n%s", SCRIPT, status, transcript);
    fprintf(stderr, "%s (%.0f s in all):\n%s", SCRIPT, seconds, transcript);

    char *method = slurp("rootfs-method");
    bool debootstrap = strncmp(method, "debootstrap", 11) == 0;
    struct seen want[] = {
        { .exe = "/usr/bin/shuf", .api = "getrandom" },
        { .exe = "/usr/bin/mktemp", .api = "getrandom" },
        { .exe = "/usr/bin/dd", .api = "read", .device = "/dev/urandom" },
        { .exe = "/usr/bin/sort", .api = "getrandom" },
        { .exe = "/usr/bin/perl", .api = "read", .device = "/dev/urandom" },
        { .exe = "/usr/bin/python3", .api = "getrandom" },
        { .exe = "/usr/local/bin/er-setuid-shuf", .api = "getrandom" },
    };
    size_t n = sizeof want / sizeof want[0];
    char *log = slurp("earlyrandom.log");
    int records;
    scan(log, want, n, &records);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(want[i].exe, "/usr/bin/python3") == 0 && !debootstrap && want[i].count == 0)
            continue; /* the fallback root has python3 only when this machine's is Debian's */
        cr_expect_gt(want[i].count, 0, "no %s %s record from %s in the log", want[i].api,
                     want[i].device ? want[i].device : "", want[i].exe);
        cr_expect_str_eq(want[i].policy, "passthrough", "%s: the audit configuration's policy",
                         want[i].exe);
        cr_expect_str_eq(want[i].action, "pass", "%s", want[i].exe);
    }
    cr_expect_geq(want[1].npids, 2,
                  "mktemp as root and as nobody: the log is writable for every user");

    /* The setuid program got the variables too, and ignored them; shuf without setuid did not. */
    char *vars = slurp("variables.log");
    cr_expect(strstr(vars, "er-setuid-shuf") == NULL,
              "a setuid program followed EARLYRANDOM_LOG from its environment:\n%s", vars);
    struct seen control[] = { { .exe = "/usr/bin/shuf", .api = "getrandom" } };
    int control_records;
    scan(vars, control, 1, &control_records);
    cr_expect_gt(control[0].count, 0,
                 "the same variables did not reach a program that is not setuid");
    cr_expect_str_eq(control[0].policy ? control[0].policy : "", "eagain");

    /* The report lists every program with its interfaces, and its blind spots. */
    char *report = slurp("report.txt");
    static const char *const rows[] = {
        "\n/usr/bin/shuf ", "getrandom:",    "\n/usr/bin/mktemp ",
        "\n/usr/bin/dd ",   "open:1 read:1", "\n/usr/bin/sort ",
        "\n/usr/bin/perl ", "read:",         "\n/usr/local/bin/er-setuid-shuf ",
        "Boot audit:",      "Blind spots:",  "statically linked programs and Go programs",
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        cr_expect(strstr(report, rows[i]) != NULL, "the report lacks '%s':\n%s", rows[i], report);

    char *enable = slurp("enable.out");
    cr_expect(strstr(enable, "remove the line /usr/lib/earlyrandom/libearlyrandom.so") != NULL,
              "%s", enable);
    char *disable = slurp("disable.out");
    cr_expect(strstr(disable, "earlyrandom audit: disabled in ") != NULL, "%s", disable);
    free(transcript);
    free(method);
    free(log);
    free(vars);
    free(report);
    free(enable);
    free(disable);
}
