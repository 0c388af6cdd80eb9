/* 'earlyrandom report' as a boot audit: records found in kernel log and journal dumps, in
 * /dev/kmsg itself, the early/later view, what each early request got, and the blind spots,
 * printed with every report. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootview.h"
#include "kernlog.h"
#include "logparse.h"
#include "testspawn.h"

#define ER ER_ABS_BUILDDIR "/src/cli/earlyrandom"
#define LIB ER_ABS_BUILDDIR "/src/lib/.libs/libearlyrandom.so"
#define DATA ER_ABS_SRCDIR "/tests/audit/data/"

/* ----------------------------------------------------------------------------- the lines */

static enum er_line_kind classify(const char *line, char **json_copy)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s", line);
    char *json = NULL;
    uint64_t n = 0;
    enum er_line_kind k = er_kernlog_classify(buf, &json, &n);
    *json_copy = json;
    return k;
}

Test(kernlog, finds_the_record_after_any_prefix)
{
    char *json;
    cr_assert_eq(classify("[    0.812400] earlyrandom: {\"event\":\"request\"}", &json),
                 ER_LINE_PREFIXED);
    cr_assert_str_eq(json, "{\"event\":\"request\"}");
    cr_assert_eq(classify("Nov 23 06:00:01 vm earlyrandom[211]: {\"a\":1}", &json),
                 ER_LINE_PREFIXED);
    cr_assert_str_eq(json, "{\"a\":1}");
    cr_assert_eq(classify("13,812,812400,-;earlyrandom: {}", &json), ER_LINE_PREFIXED);
    cr_assert_eq(classify("2026-11-23T06:00:01.5+00:00 vm earlyrandom: {}", &json),
                 ER_LINE_PREFIXED);
    cr_assert_eq(classify("  {\"event\":\"request\"}", &json), ER_LINE_JSON, "journalctl -o cat");
    cr_assert_str_eq(json, "{\"event\":\"request\"}");
    cr_assert_eq(classify("[    0.9] random: crng init done", &json), ER_LINE_OTHER);
    cr_assert_eq(classify("earlyrandom: HANG python3[5] getrandom(16 bytes, 0)", &json),
                 ER_LINE_OTHER);
    cr_assert_eq(classify("earlyrandom[x]: {}", &json), ER_LINE_OTHER);
    cr_assert_eq(classify(" \t\r", &json), ER_LINE_BLANK);
    char line[] = "[    2.0] printk: systemd-udevd: 7 output lines suppressed due to ratelimiting";
    uint64_t n = 0;
    cr_assert_eq(er_kernlog_classify(line, &json, &n), ER_LINE_SUPPRESSED);
    cr_assert_eq(n, 7);
}

Test(kernlog, undoes_the_escapes_of_dev_kmsg_only)
{
    char a[] = "{\"exe\":\"/opt/we\\x5c\"ird\\x5c\\x5cdir\",\"x\":\"caf\\xc3\\xa9\"}";
    cr_assert_eq(er_kernlog_unescape(a), 5);
    cr_assert_str_eq(a, "{\"exe\":\"/opt/we\\\"ird\\\\dir\",\"x\":\"caf\xc3\xa9\"}");
    char b[] = "{\"exe\":\"a\\\\x41\"}"; /* JSON for a\x41: an escaped backslash, then x41 */
    cr_assert_eq(er_kernlog_unescape(b), 0);
    cr_assert_str_eq(b, "{\"exe\":\"a\\\\x41\"}");
    char c[] = "keep \\x00 and \\xZZ";
    cr_assert_eq(er_kernlog_unescape(c), 0);
    cr_assert_str_eq(c, "keep \\x00 and \\xZZ");
}

Test(kernlog, splits_a_dev_kmsg_record)
{
    char rec[128] = "13,4711,812400,-,caller=T1;earlyrandom: {}\n SUBSYSTEM=x\n";
    uint64_t seq;
    char *msg;
    cr_assert(er_kmsg_split(rec, strlen(rec), &seq, &msg));
    cr_assert_eq(seq, 4711);
    cr_assert_str_eq(msg, "earlyrandom: {}");
    char bad[64] = "no record here\n";
    cr_assert(!er_kmsg_split(bad, strlen(bad), &seq, &msg));
    char bad2[64] = "13,x,1,-;m\n";
    cr_assert(!er_kmsg_split(bad2, strlen(bad2), &seq, &msg));
}

/* ----------------------------------------------------------------------- the boot view */

static struct er_record request(const char *exe, const char *api, const char *kernel_pool)
{
    struct er_record r = { .event = "request",
                           .exe = exe,
                           .api = api,
                           .kernel_pool = kernel_pool,
                           .action = "pass",
                           .has_boot = true,
                           .boot_ns = 1000000 };
    return r;
}

Test(bootview, outcome_of_an_early_request)
{
    struct er_record r = request("/a", "getrandom", "uninitialized");
    r.flags = "GRND_NONBLOCK";
    r.errno_name = "EAGAIN";
    cr_assert_str_eq(er_boot_outcome(&r), "EAGAIN");
    r.errno_name = NULL;
    r.flags = "GRND_INSECURE";
    cr_assert_str_eq(er_boot_outcome(&r), "unseeded");
    r = request("/a", "read", "uninitialized");
    r.device = "/dev/urandom";
    cr_assert_str_eq(er_boot_outcome(&r), "unseeded");
    r.api = "__open64_2";
    cr_assert_str_eq(er_boot_outcome(&r), "opened");
    r = request("/a", "getentropy", "uninitialized");
    r.action = "weak";
    cr_assert_str_eq(er_boot_outcome(&r), "weak", "the simulated policy's own action first");
    r.action = "pass";
    cr_assert_str_eq(er_boot_outcome(&r), "bytes");
}

Test(bootview, early_programs_first_and_the_moment_of_init)
{
    struct er_boot b;
    er_boot_init(&b);
    struct er_record r = request("/late", "getentropy", "initialized");
    r.boot_ns = 5000000;
    cr_assert(er_boot_add(&b, &r));
    r = request("/early", "getrandom", "uninitialized");
    r.boot_ns = 9000000;
    r.has_bytes = true;
    r.bytes = 16;
    r.flags = "GRND_INSECURE";
    cr_assert(er_boot_add(&b, &r));
    r = request("/old", "getrandom", NULL);
    cr_assert(er_boot_add(&b, &r));
    struct er_record hang = { .event = "hang", .exe = "/h" };
    cr_assert(er_boot_add(&b, &hang));
    cr_assert_eq(b.len, 3, "hang events are not requests");
    cr_assert_eq(b.early, 1);
    cr_assert_eq(b.later, 1);
    cr_assert_eq(b.unknown, 1);

    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    struct er_boot_sources src = { 0 };
    er_boot_print_table(&b, &src, out);
    fclose(out);
    char *early = strstr(text, "\n/early "), *late = strstr(text, "\n/late ");
    cr_assert(early && late && early < late, "early rows first:\n%s", text);
    cr_assert(strstr(early, "getrandom(GRND_INSECURE)->unseeded:1") != NULL, "%s", text);
    cr_assert(strstr(text,
                     "Records saw the kernel's pool uninitialized until 9.000 ms and initialized "
                     "from 5.000 ms after boot: the log holds more than one boot.") != NULL,
              "%s", text);
    cr_assert(strstr(text, "1 request do not say whether") != NULL, "%s", text);
    cr_assert(strstr(text, "Blind spots:") != NULL);
    cr_assert(strstr(text, "printk.devkmsg") == NULL, "the kernel log's own only when reading it");
    free(text);
    er_boot_free(&b);
}

/* ------------------------------------------------------------------------------ the command */

static void report(struct spawn_result *r, const char *a1, const char *a2)
{
    const char *argv[] = { ER, "report", a1, a2, NULL };
    spawn_run(r, &(struct spawn_opts){ .argv = argv, .env = NULL, .inherit_env = true });
}

/* The JSON output is one valid object: python3's parser says so. */
static void assert_valid_json(const char *text)
{
    char path[] = "/tmp/er-report-json-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "python3 -c 'import json,sys; json.load(open(sys.argv[1]))' %s",
             path);
    int rc = system(cmd);
    unlink(path);
    cr_assert_eq(rc, 0, "not valid JSON:\n%s", text);
}

Test(report, answers_who_asked_before_the_kernel_pool_was_ready)
{
    struct spawn_result r;
    report(&r, DATA "boot.jsonl", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out,
                     "\n/usr/lib/systemd/systemd            2      0      812.301          32  preload  "
                     "getrandom(GRND_INSECURE)->unseeded:1 getrandom(GRND_NONBLOCK)->EAGAIN:1\n") !=
                  NULL,
              "%s", r.out);
    cr_assert(strstr(r.out,
                     "\n/usr/bin/python3.11                 3      1      905.100          48  preload  "
                     "getrandom(GRND_NONBLOCK)->EAGAIN:1 open(/dev/urandom)->opened:1 "
                     "read(/dev/urandom)->unseeded:1\n") != NULL,
              "%s", r.out);
    cr_assert(
        strstr(r.out,
               "\n/usr/sbin/sshd                      0      2     1402.000           0  preload  -\n") !=
            NULL,
        "%s", r.out);
    cr_assert(strstr(r.out,
                     "3 of 4 programs asked for entropy before the kernel's pool was initialized "
                     "(6 early requests, 3 later).") != NULL,
              "%s", r.out);
    cr_assert(strstr(r.out, "became initialized between 905.300 and 1310.400 ms after boot") !=
                  NULL,
              "%s", r.out);
    cr_assert(strstr(r.out, "statically linked programs and Go programs") != NULL);
    cr_assert(strstr(r.out, "the kernel's own consumers") != NULL);
    cr_assert(strstr(r.out, "malloc's tcache key") != NULL);
    cr_assert(strstr(r.out, "setuid and setcap programs") != NULL);
    cr_assert(strstr(r.out, "the initramfs") != NULL);
    spawn_free(&r);

    report(&r, "--json", DATA "boot.jsonl");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strncmp(r.out, "{\"programs\":[{\"exe\":", 20) == 0,
              "the summary's members first: %s", r.out);
    cr_assert(strstr(r.out,
                     "\"boot\":{\"programs\":[{\"exe\":\"/usr/lib/systemd/systemd\",\"early\":2,"
                     "\"later\":0,\"unknown\":0,\"early_bytes\":32,\"later_bytes\":0,"
                     "\"first_boot_ms\":812.301,\"how\":{\"getrandom(GRND_INSECURE)\":1,"
                     "\"getrandom(GRND_NONBLOCK)\":1},\"got\":{\"unseeded\":1,\"EAGAIN\":1},"
                     "\"actions\":{\"pass\":2}") != NULL,
              "%s", r.out);
    cr_assert(strstr(r.out, "\"kernel_pool_uninitialized_until_ms\":905.300,"
                            "\"kernel_pool_initialized_by_ms\":1310.400") != NULL,
              "%s", r.out);
    cr_assert(strstr(r.out, "\"blind_spots\":[\"statically linked") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "\"blind_spots_engines\":\"preload\"") != NULL, "%s", r.out);
    assert_valid_json(r.out);
    spawn_free(&r);
}

/* Where the syscall engine's records show it ran, the blind spots it closes are gone, and its own
 * remain; each program says which engine saw it. */
Test(report, blind_spots_shrink_where_the_syscall_engine_ran)
{
    struct spawn_result r;
    report(&r, ER_ABS_SRCDIR "/tests/cli/data/engines.jsonl", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\n/usr/local/bin/static-tool        1        16      0       0.000      0      "
                            "1     0  seccomp          SYS_getrandom:1\n") != NULL,
              "%s", r.out);
    cr_assert(strstr(r.out, "\n/usr/bin/python3.11             2      0      900.050          32  "
                            "preload+seccomp  getrandom(GRND_NONBLOCK)->eagain:1 "
                            "SYS_getrandom(GRND_NONBLOCK)->eagain:1\n") != NULL,
              "the boot view's row: %s", r.out);
    cr_assert(strstr(r.out, "Records of the syscall engine are here") != NULL, "%s", r.out);
    const char *spots = strstr(r.out, "This log cannot show:");
    cr_assert(spots != NULL, "%s", r.out);
    cr_assert(strstr(spots, "statically linked programs and Go programs") == NULL, "%s", spots);
    cr_assert(strstr(spots, "malloc's tcache key") == NULL, "%s", spots);
    cr_assert(strstr(spots, "setuid and setcap programs") == NULL, "%s", spots);
    cr_assert(strstr(spots, "32-bit programs: the 64-bit library") == NULL, "%s", spots);
    cr_assert(strstr(spots, "AT_RANDOM") != NULL, "%s", spots);
    cr_assert(strstr(spots, "the kernel's own consumers") != NULL, "%s", spots);
    cr_assert(strstr(spots, "io_uring") != NULL, "%s", spots);
    cr_assert(strstr(spots, "answers their reads") != NULL, "%s", spots);
    cr_assert(strstr(spots, "processes outside the command's tree") != NULL, "%s", spots);
    spawn_free(&r);

    report(&r, "--json", ER_ABS_SRCDIR "/tests/cli/data/engines.jsonl");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"blind_spots_engines\":\"preload+seccomp\"") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "\"blind_spots\":[\"the AT_RANDOM bytes") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "\"engine\":\"preload+seccomp\",\"engines\":{\"preload\":1,"
                            "\"seccomp\":1}}") != NULL,
              "%s", r.out);
    assert_valid_json(r.out);
    spawn_free(&r);
}

Test(report, reads_dmesg_and_journal_dumps)
{
    struct spawn_result r;
    report(&r, DATA "dmesg.txt", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "malformed") == NULL, "other messages are no malformed records: %s",
              r.out);
    cr_assert(strstr(r.out, "2 other lines of the kernel log or journal skipped.") != NULL, "%s",
              r.out);
    cr_assert(strstr(r.out, "\n/opt/we\"ird\\dir/tool ") != NULL, "kmsg's \\x escapes undone: %s",
              r.out);
    cr_assert(strstr(r.out, "WARNING: the kernel dropped 7 lines written to /dev/kmsg") != NULL,
              "%s", r.out);
    cr_assert(strstr(r.out, "printk.devkmsg=on") != NULL, "the kernel log's blind spot: %s", r.out);
    spawn_free(&r);
    report(&r, DATA "journal.txt", DATA "kmsg.txt");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "/usr/lib/systemd/systemd-udevd") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "\n/usr/bin/python3.11 ") != NULL, "earlyrandom[PID]: %s", r.out);
    cr_assert(strstr(r.out, "3 of 4 programs asked") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "malformed") == NULL, "%s", r.out);
    spawn_free(&r);
    report(&r, "--json", DATA "dmesg.txt");
    cr_assert(strstr(r.out,
                     "\"sources\":{\"kernel_log\":true,\"read_kmsg\":false,\"other_lines\":2,"
                     "\"suppressed_lines\":7,\"suppressed_notices\":1") != NULL,
              "%s", r.out);
    assert_valid_json(r.out);
    spawn_free(&r);
}

Test(report, blind_spots_even_when_nothing_was_recorded)
{
    struct spawn_result r;
    report(&r, "/dev/null", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "no entropy requests recorded\n") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "Blind spots: a program missing here") != NULL, "%s", r.out);
    spawn_free(&r);
    report(&r, "--json", "/dev/null");
    assert_valid_json(r.out);
    spawn_free(&r);
}

/* JSON Lines logs keep their rules: a line that is not a record is malformed, where it is. */
Test(report, garbage_in_a_json_lines_log_is_still_malformed)
{
    char path[] = "/tmp/er-report-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    static const char text[] = "{\"event\":\"request\",\"pid\":1,\"exe\":\"/a\"}\n"
                               "{broken\n"
                               "not json at all\n";
    cr_assert_eq(write(fd, text, sizeof text - 1), (ssize_t)sizeof text - 1);
    close(fd);
    struct spawn_result r;
    report(&r, path, NULL);
    char want[128];
    snprintf(want, sizeof want, "2 malformed lines skipped (first at %s:2)", path);
    cr_assert(strstr(r.out, want) != NULL, "%s", r.out);
    spawn_free(&r);
    unlink(path);
}

/* A request logged to /dev/kmsg comes back through report --kmsg. Reading the kernel log takes
 * root (kernel.dmesg_restrict). */
Test(report, reads_the_kernel_log_itself)
{
    cr_assert_eq(geteuid(), 0, "reading /dev/kmsg takes root: run the tests as root");
    cr_assert_eq(access(LIB, R_OK), 0, "the library was not built: %s", LIB);
    char dir[] = "/tmp/er-kmsg-XXXXXX", prog[128], cmd[512];
    cr_assert_not_null(mkdtemp(dir));
    /* a program under a name of its own, so that this run's record is told from older ones */
    snprintf(prog, sizeof prog, "%s/shuf-%ld", dir, (long)getpid());
    snprintf(cmd, sizeof cmd, "cp /usr/bin/shuf %s", prog);
    cr_assert_eq(system(cmd), 0);
    struct spawn_result r;
    const char *argv[] = { prog, "-i", "1-9", "-n", "1", NULL };
    const char *env[] = { "LD_PRELOAD=" LIB, "EARLYRANDOM_POLICY=passthrough",
                          "EARLYRANDOM_LOG=kmsg", "EARLYRANDOM_CONFIG=/nonexistent", NULL };
    spawn_run(&r, &(struct spawn_opts){ .argv = argv, .env = env, .inherit_env = true });
    cr_assert_eq(r.status, 0, "%s", r.err);
    spawn_free(&r);
    const char *rep[] = { ER, "report", "--kmsg", "--json", NULL };
    spawn_run(&r, &(struct spawn_opts){ .argv = rep, .env = NULL, .inherit_env = true });
    cr_assert_eq(r.status, 0, "%s", r.err);
    char want[256];
    snprintf(want, sizeof want, "{\"exe\":\"%s\",\"requests\":1,", prog);
    cr_assert(strstr(r.out, want) != NULL, "%s not in the kernel log's report", prog);
    cr_assert(strstr(r.out, "\"read_kmsg\":true") != NULL);
    cr_assert(strstr(r.out, "printk.devkmsg=on") != NULL, "the kernel log's blind spot");
    assert_valid_json(r.out);
    spawn_free(&r);
    const char *text[] = { ER, "report", "--kmsg", NULL };
    spawn_run(&r, &(struct spawn_opts){ .argv = text, .env = NULL, .inherit_env = true });
    cr_assert(strstr(r.out, "kernel.printk_devkmsg is ") != NULL, "%s", r.out);
    spawn_free(&r);
    unlink(prog);
    rmdir(dir);
}
