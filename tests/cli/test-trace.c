/* 'earlyrandom report --trace' on a boot written in the kernel's own trace format
 * (tests/cli/data/trace: trace.txt as tracefs writes it, dmesg.txt, the library's log.jsonl),
 * and the blind spot that used to say a request the kernel held counts as later. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "bootview.h"
#include "testspawn.h"

#define ER ER_ABS_BUILDDIR "/src/cli/earlyrandom"
#define DATA ER_ABS_SRCDIR "/tests/cli/data/trace/"
#define REALBOOT ER_ABS_SRCDIR "/tests/data/realboot/"
#define INITRAMFS ER_ABS_SRCDIR "/tests/data/initramfs/"

static void run(struct spawn_result *r, const char *const *args)
{
    const char *argv[32] = { ER };
    size_t a = 1;
    for (size_t i = 0; args[i] && a < 31; i++)
        argv[a++] = args[i];
    argv[a] = NULL;
    spawn_run(r, &(struct spawn_opts){ .argv = argv, .inherit_env = true });
}

#define RUN(r, ...) run((r), (const char *const[]){ __VA_ARGS__, NULL })

static void has(const char *text, const char *what)
{
    cr_assert(strstr(text, what) != NULL, "missing: %s\n--- in:\n%s", what, text);
}

static void lacks(const char *text, const char *what)
{
    cr_assert(strstr(text, what) == NULL, "unexpected: %s\n--- in:\n%s", what, text);
}

/* The words of the blind spots: the library samples the kernel's pool before the call. */
Test(blind_spots, a_request_the_kernel_held_counts_as_early)
{
    bool early = false;
    for (size_t i = 0; er_blind_spots[i].text != NULL; i++) {
        lacks(er_blind_spots[i].text, "counts as later");
        early = early || strstr(er_blind_spots[i].text, "counts as early") != NULL;
    }
    cr_assert(early, "no blind spot says that a request the kernel held counts as early");
}

/* ...and the view counts such a record (flags 0, the pool uninitialized before it) as early. */
Test(blind_spots, the_boot_view_agrees)
{
    struct er_boot b;
    er_boot_init(&b);
    struct er_record r = { .event = "request", .api = "getrandom", .flags = "0", .has_bytes = true,
                           .bytes = 32, .exe = "/usr/lib/systemd/systemd-random-seed",
                           .kernel_pool = "uninitialized", .action = "pass" };
    cr_assert(er_boot_add(&b, &r));
    cr_assert_eq(b.early, 1);
    cr_assert_eq(b.later, 0);
    er_boot_free(&b);
}

Test(trace, text_without_binaries)
{
    struct spawn_result r;
    RUN(&r, "report", "--trace", DATA "trace.txt", "--kmsg=" DATA "dmesg.txt", DATA "log.jsonl");
    cr_assert_eq(r.status, 0, "%s", r.err);
    has(r.out, "The pool was initialized at 7.354211 s ('crng init done' in the kernel log).");
    has(r.out, "Coverage: 18 processes asked before init in the trace; the library logged 8; 12 "
               "are explained; unexplained: 91 /sbin/modprobe, 111 /sbin/modprobe, 150 "
               "/usr/local/bin/static-tool, 160 /usr/bin/go-daemon, 170 /usr/bin/mystery, 175 "
               "/usr/bin/suid-tool.");
    has(r.out, "was not examined to show it is a glibc program (give --root DIR)");
    /* glibc's own request, with the library's records of the same process as evidence */
    has(r.out, "the library saw every other request; 1 was glibc's own 8-byte GRND_NONBLOCK");
    /* ...or of another process that ran the same file */
    has(r.out, "the library loads into /usr/bin/systemd-tmpfiles (it logged pid 128 running it)");
    has(r.out, "exec'd at 1.200000 s, before PID 1 exec'd the real root's init at 2.400000 s");
    has(r.out, "     70  <...>");
    has(r.out, "no exec seen in the trace");
    /* the zero-byte probe and the request after init are not counted */
    lacks(r.out, "/usr/bin/checker");
    lacks(r.out, "/usr/bin/late");
    /* the kernel's wait, which the passthrough record cannot hold */
    has(r.out, "the kernel held a request 1420.000 ms (the library waited 0.000 ms)");
    has(r.out, "14 calls matched the library's records one for one");
    has(r.out, "the trace's clock is 25.800 ms ahead of the records' boot_ms");
    has(r.out, "13 GRND_NONBLOCK calls for zero bytes (one in older versions) were the library's "
               "own probes");
    spawn_free(&r);
}

/* udevd runs as a symbolic link to udevadm; its workers are forks that rename themselves. */
Test(trace, rows_by_the_name_each_ran_as)
{
    struct spawn_result r;
    RUN(&r, "report", "--trace", DATA "trace.txt", "--kmsg=" DATA "dmesg.txt", DATA "log.jsonl");
    cr_assert_eq(r.status, 0, "%s", r.err);
    has(r.out, "\n/usr/bin/udevadm                            1        16 ");
    has(r.out, "\n/lib/systemd/systemd-udevd                  2        32 ");
    has(r.out, "\n(udev-worker)                               1        16 ");
    has(r.out, "\n(sd-executor)                               2        32 ");
    has(r.out, "\n/sbin/init                                  3        48 "); /* exe "" in its log */
    spawn_free(&r);
    /* Without the trace the log has only the resolved exe: one row for all three. */
    RUN(&r, "report", DATA "log.jsonl");
    cr_assert_eq(r.status, 0, "%s", r.err);
    has(r.out, "\n/usr/bin/udevadm                            4        64 ");
    lacks(r.out, "systemd-udevd");
    spawn_free(&r);
}

static void copy_file(const char *from, const char *root, const char *to)
{
    char path[4096], cmd[16384];
    snprintf(path, sizeof path, "%s%s", root, to);
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\" && cp '%s' '%s'", path, from, path);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* The root the binaries are examined in: a static one, a Go one, glibc programs. */
static void make_root(char *root, size_t cap)
{
    snprintf(root, cap, "/tmp/er-trace-root-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    copy_file("/bin/true", root, "/sbin/modprobe");
    copy_file(ER_ABS_BUILDDIR "/tests/cli/static-helper", root, "/usr/local/bin/static-tool");
    copy_file(ER_ABS_BUILDDIR "/tests/cli/fake-go", root, "/usr/bin/go-daemon");
    copy_file("/bin/true", root, "/usr/bin/mystery");
    copy_file("/bin/true", root, "/usr/bin/suid-tool");
    char suid[4200];
    snprintf(suid, sizeof suid, "%s/usr/bin/suid-tool", root);
    cr_assert_eq(chmod(suid, 04755), 0);
    /* An absolute symbolic link resolves inside the root, not on this machine. */
    char link[4200];
    snprintf(link, sizeof link, "%s/sbin/modprobe-link", root);
    cr_assert_eq(symlink("/sbin/modprobe", link), 0);
}

static void remove_root(const char *root)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    cr_assert_eq(system(cmd), 0);
}

Test(trace, json_with_the_binaries)
{
    char root[64];
    make_root(root, sizeof root);
    struct spawn_result r;
    RUN(&r, "report", "--json", "--trace", DATA "trace.txt", "--kmsg=" DATA "dmesg.txt", "--root",
        root, DATA "log.jsonl");
    cr_assert_eq(r.status, 0, "%s", r.err);
    has(r.out, "\"coverage\":{\"trace_processes\":18,\"seen_by_library\":8,\"explained\":17,"
               "\"unexplained\":[{\"pid\":170,");
    has(r.out, "\"reason\":\"static\"");
    has(r.out, "\"reason\":\"setuid\"");
    has(r.out, "\"reason\":\"go\"");
    has(r.out, "is dynamically linked against glibc (/lib");
    has(r.out, "\"init_s\":7.354211,\"init_source\":\"kernel log\",\"clock_offset_ms\":25.800,"
               "\"clock_offset_spread_ms\":0.000,");
    /* It parses as one JSON document. */
    char path[] = "/tmp/er-trace-json-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, r.out, strlen(r.out)), (ssize_t)strlen(r.out));
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "python3 -c 'import json,sys; json.load(open(sys.argv[1]))' %s", path);
    cr_assert_eq(system(cmd), 0, "not JSON: %s", r.out);
    unlink(path);
    spawn_free(&r);
    /* Through /etc/ld.so.preload the loader preloads even a setuid program: no excuse then. */
    char preload[4200];
    snprintf(preload, sizeof preload, "%s/etc/ld.so.preload", root);
    copy_file(DATA "log.jsonl", root, "/etc/.keep");
    FILE *f = fopen(preload, "w");
    cr_assert_not_null(f);
    fputs("/usr/lib/earlyrandom/libearlyrandom.so\n", f);
    fclose(f);
    RUN(&r, "report", "--json", "--trace", DATA "trace.txt", "--kmsg=" DATA "dmesg.txt", "--root",
        root, DATA "log.jsonl");
    cr_assert_eq(r.status, 0, "%s", r.err);
    has(r.out, "\"explained\":16,");
    lacks(r.out, "\"reason\":\"setuid\"");
    has(r.out, "/usr/bin/suid-tool is dynamically linked (/lib");
    spawn_free(&r);
    remove_root(root);
}

Test(trace, the_moment_from_the_trace_without_a_kernel_log)
{
    struct spawn_result r;
    RUN(&r, "report", "--trace", DATA "trace.txt", DATA "log.jsonl");
    cr_assert_eq(r.status, 0, "%s", r.err);
    has(r.out, "The pool was initialized at 7.334450 s (from the trace: its first request that got "
               "bytes without GRND_INSECURE");
    spawn_free(&r);
    /* a dump of the kernel log given as a LOG counts too */
    RUN(&r, "report", "--trace", DATA "trace.txt", DATA "dmesg.txt", DATA "log.jsonl");
    cr_assert_eq(r.status, 0, "%s", r.err);
    has(r.out, "The pool was initialized at 7.354211 s ('crng init done' in the kernel log).");
    spawn_free(&r);
}

Test(trace, errors_name_the_option)
{
    struct spawn_result r;
    RUN(&r, "report", "--trace", "/nonexistent/trace.txt", DATA "log.jsonl");
    cr_assert_eq(r.status, 125);
    cr_assert_str_eq(r.err, "earlyrandom: report: cannot open --trace '/nonexistent/trace.txt': "
                            "No such file or directory\n");
    cr_assert_str_eq(r.out, "");
    spawn_free(&r);
    RUN(&r, "report", "--trace", DATA "log.jsonl", DATA "log.jsonl");
    cr_assert_eq(r.status, 125);
    has(r.err, "holds no sys_getrandom or sched_process_exec event; record it with "
               "trace_event=syscalls:sys_enter_getrandom,");
    cr_assert_str_eq(r.out, "");
    spawn_free(&r);
    /* a log of another boot: nothing matches, and the report says so */
    RUN(&r, "report", "--trace", REALBOOT "trace.txt", DATA "log.jsonl");
    cr_assert_eq(r.status, 0, "%s", r.err);
    has(r.out, "ms (one boot's stay within milliseconds): are the log and the trace of the same "
               "boot?");
    spawn_free(&r);
    RUN(&r, "report", "--trace", DATA "trace.txt", DATA "log.jsonl");
    lacks(r.out, "WARNING");
    spawn_free(&r);
    RUN(&r, "report", "--root", "/", DATA "log.jsonl");
    cr_assert_eq(r.status, 125);
    has(r.err, "--root applies only with --trace");
    spawn_free(&r);
    RUN(&r, "report", "--trace");
    cr_assert_eq(r.status, 125);
    has(r.err, "option --trace needs a value (a saved tracefs trace file, or - for stdin)");
    spawn_free(&r);
    RUN(&r, "report", "--kmsg=", DATA "log.jsonl");
    cr_assert_eq(r.status, 125);
    has(r.err, "--kmsg '' is not valid; accepted: ");
    spawn_free(&r);
}

/* One real boot (tests/data/realboot, from scripts/boot-vm on branch vm): Debian 12, kernel
 * 6.1, the audit's file log. Without its binaries, what the trace and the log prove alone: 14
 * processes the library logged, and 22 whose only request was the 8-byte GRND_NONBLOCK that
 * glibc makes for malloc's tcache key, which nothing but the binary can confirm. */
Test(trace, real_boot_without_its_binaries)
{
    struct spawn_result r;
    RUN(&r, "report", "--json", "--trace", REALBOOT "trace.txt", "--kmsg=" REALBOOT "dmesg.txt",
        REALBOOT "log.jsonl");
    cr_assert_eq(r.status, 0, "%s", r.err);
    has(r.out, "\"coverage\":{\"trace_processes\":36,\"seen_by_library\":14,\"explained\":14,");
    has(r.out, "\"init_s\":7.690566,\"init_source\":\"kernel log\",\"clock_offset_ms\":58.186,");
    has(r.out, "\"matched_calls\":350,");
    /* every one of the 22 is unexplained for want of its binary, and for nothing else */
    size_t unexamined = 0;
    for (const char *p = strstr(r.out, "was not examined to show it is a glibc program"); p != NULL;
         p = strstr(p + 1, "was not examined to show it is a glibc program"))
        unexamined++;
    cr_assert_eq(unexamined, 2 * 22, "each is listed in unexplained and in processes");
    /* the kernel's wait for the one blocking request, which the record cannot hold */
    has(r.out, "\"process\":\"/lib/systemd/systemd-random-seed\"");
    has(r.out, "\"kernel_wait_ms\":1796.285,\"library_wait_ms\":0.000");
    spawn_free(&r);
    /* udevd has a row of its own: its log records say only /usr/bin/udevadm */
    RUN(&r, "report", "--trace", REALBOOT "trace.txt", "--kmsg=" REALBOOT "dmesg.txt",
        REALBOOT "log.jsonl");
    cr_assert_eq(r.status, 0, "%s", r.err);
    has(r.out, "\n/lib/systemd/systemd-udevd ");
    has(r.out, "\n/usr/bin/udevadm ");
    spawn_free(&r);
}

/* The same boot with a glibc program where each of the 22 ran: this machine's /bin/true stands
 * in for Debian's binaries, which the tree does not carry, so that the real trace's processes,
 * threads, probes and clocks go through the binary evidence. Nothing is left unexplained. */
Test(trace, real_boot_with_glibc_binaries)
{
    static const char *const ran[] = {
        "/sbin/modprobe", "/bin/mount", "/lib/systemd/systemd-remount-fs", "/usr/bin/journalctl",
        "/lib/systemd/systemd-update-utmp",
        "/usr/lib/systemd/system-generators/systemd-debug-generator",
        "/usr/lib/systemd/system-generators/systemd-getty-generator",
        "/usr/lib/systemd/system-generators/systemd-fstab-generator",
        "/usr/lib/systemd/system-generators/systemd-integritysetup-generator",
        "/usr/lib/systemd/system-generators/systemd-hibernate-resume-generator",
        "/usr/lib/systemd/system-generators/systemd-rc-local-generator",
        "/usr/lib/systemd/system-generators/systemd-run-generator",
        "/usr/lib/systemd/system-generators/systemd-veritysetup-generator",
        "/usr/lib/systemd/system-generators/systemd-system-update-generator",
    };
    char root[64];
    snprintf(root, sizeof root, "/tmp/er-trace-real-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    for (size_t i = 0; i < sizeof ran / sizeof ran[0]; i++)
        copy_file("/bin/true", root, ran[i]);
    struct spawn_result r;
    RUN(&r, "report", "--json", "--trace", REALBOOT "trace.txt", "--kmsg=" REALBOOT "dmesg.txt",
        "--root", root, REALBOOT "log.jsonl");
    cr_assert_eq(r.status, 0, "%s", r.err);
    has(r.out, "\"coverage\":{\"trace_processes\":36,\"seen_by_library\":14,\"explained\":36,"
               "\"unexplained\":[],");
    spawn_free(&r);
    remove_root(root);
}

/* The initramfs of one real boot (tests/data/initramfs, from scripts/boot-vm --initramfs):
 * initramfs-tools' /init, its klibc tools, udevd and its workers, up to PID 1's exec of the real
 * root's /sbin/init, which came after its exec of run-init. No library was there to log anything,
 * and every process, the forks of udevd that exec nothing included, is said to be the
 * initramfs's, with the moment of the switch to /sbin/init. */
Test(trace, real_initramfs)
{
    struct spawn_result r;
    RUN(&r, "report", "--json", "--trace", INITRAMFS "trace.txt", "--kmsg=" INITRAMFS "dmesg.txt",
        "/dev/null");
    cr_assert_eq(r.status, 0, "%s", r.err);
    has(r.out, "\"coverage\":{\"trace_processes\":19,\"seen_by_library\":0,\"explained\":19,"
               "\"unexplained\":[],");
    size_t initramfs = 0;
    for (const char *p = strstr(r.out, "\"reason\":\"initramfs\""); p != NULL;
         p = strstr(p + 1, "\"reason\":\"initramfs\""))
        initramfs++;
    cr_assert_eq(initramfs, 19, "each of the 19 is the initramfs's:\n%s", r.out);
    /* udevd's daemon fork and its workers: no exec of their own, but asked before the switch */
    has(r.out, "\"pid\":114,\"tid\":114,\"process\":\"(udev-worker)\"");
    has(r.out, "PID 1 exec'd the real root's init at 13.767914 s");
    lacks(r.out, "13.515082");
    spawn_free(&r);
}

/* ---- audit enable --kernel-trace ---- */

#define WORDS ER_AUDIT_TRACE_WORDS

static void check_add(const char *in, const char *want, bool want_changed)
{
    bool changed, conflict;
    char *s = er_cmdline_add_trace(in, &changed, &conflict);
    cr_assert_not_null(s);
    cr_assert_str_eq(s, want, "from [%s]", in);
    cr_assert_eq(changed, want_changed, "from [%s]", in);
    cr_assert(!conflict);
    free(s);
}

static void check_remove(const char *in, const char *want, size_t want_removed)
{
    size_t removed;
    char *s = er_cmdline_remove_trace(in, &removed);
    cr_assert_not_null(s);
    cr_assert_str_eq(s, want, "from [%s]", in);
    cr_assert_eq(removed, want_removed, "from [%s]", in);
    free(s);
}

Test(kernel_trace, cmdline_words_added_once_and_taken_away_exactly)
{
    check_add("root=/dev/sda1 quiet\n", "root=/dev/sda1 quiet " WORDS "\n", true);
    check_add("root=/dev/sda1 quiet", "root=/dev/sda1 quiet " WORDS "\n", true);
    check_add("", WORDS "\n", true);
    check_add("quiet " WORDS "\n", "quiet " WORDS "\n", false);
    check_add("quiet " ER_AUDIT_TRACE_BUF "\n", "quiet " ER_AUDIT_TRACE_BUF " " ER_AUDIT_TRACE_EVENTS "\n",
              true);
    check_remove("root=/dev/sda1 quiet " WORDS "\n", "root=/dev/sda1 quiet\n", 2);
    check_remove(WORDS " quiet\n", "quiet\n", 2);
    check_remove("a " ER_AUDIT_TRACE_EVENTS "  b\tc\n", "a  b\tc\n", 1);
    check_remove("trace_buf_size=4Mx quiet\n", "trace_buf_size=4Mx quiet\n", 0);
    bool changed, conflict;
    char *s = er_cmdline_add_trace("quiet trace_event=sched:* x\n", &changed, &conflict);
    cr_assert(conflict, "another trace_event= would override ours, or ours it");
    cr_assert(!changed);
    cr_assert_str_eq(s, "quiet trace_event=sched:* x\n");
    free(s);
}

#define LIB ER_ABS_BUILDDIR "/src/lib/.libs/libearlyrandom.so"
#define IN_ROOT_LIB "/usr/lib/earlyrandom/libearlyrandom.so"

static char *slurp(const char *root, const char *path)
{
    char full[512];
    snprintf(full, sizeof full, "%s%s", root, path);
    FILE *f = fopen(full, "r");
    if (f == NULL)
        return NULL;
    static char buf[8][4096];
    static int next;
    char *b = buf[next++ % 8];
    size_t n = fread(b, 1, sizeof buf[0] - 1, f);
    b[n] = '\0';
    fclose(f);
    return b;
}

static void put(const char *root, const char *path, const char *text)
{
    char full[512], cmd[1200];
    snprintf(full, sizeof full, "%s%s", root, path);
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", full);
    cr_assert_eq(system(cmd), 0);
    FILE *f = fopen(full, "w");
    cr_assert_not_null(f, "%s", full);
    fputs(text, f);
    fclose(f);
}

/* A root with the library where --library says, as 'audit enable' requires. */
static void audit_root(char *root, size_t cap)
{
    cr_assert_eq(geteuid(), 0, "the audit tests run as root (audit enable refuses otherwise)");
    snprintf(root, cap, "/tmp/er-trace-audit-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    copy_file(LIB, root, IN_ROOT_LIB);
    put(root, "/etc/tmpfiles.d/.keep", "");
}

#define AUDIT(r, root, ...)                                                                        \
    RUN((r), "audit", __VA_ARGS__, "--root", (root), "--library", IN_ROOT_LIB)

Test(kernel_trace, grub_and_kernel_cmdline_set_up_then_taken_away)
{
    char root[64];
    audit_root(root, sizeof root);
    put(root, "/etc/default/grub", "GRUB_CMDLINE_LINUX=\"\"\n");
    put(root, "/etc/kernel/cmdline", "root=UUID=1234 ro quiet\n");
    struct spawn_result r;
    AUDIT(&r, root, "enable", "--kernel-trace");
    cr_assert_eq(r.status, 0, "%s", r.err);
    has(r.out, "the kernel trace is set up for the next boot");
    has(r.out, "then run update-grub inside ");
    has(slurp(root, "/etc/default/grub.d/earlyrandom-trace.cfg"),
        "\nGRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX " WORDS "\"\n");
    cr_assert_str_eq(slurp(root, "/etc/kernel/cmdline"), "root=UUID=1234 ro quiet " WORDS "\n");
    cr_assert_not_null(slurp(root, "/etc/ld.so.preload"), "the audit itself is enabled too");
    spawn_free(&r);
    RUN(&r, "audit", "status", "--root", root);
    has(r.out, "kernel trace: asked for in ");
    spawn_free(&r);
    AUDIT(&r, root, "enable", "--kernel-trace");
    cr_assert_eq(r.status, 0, "%s", r.err);
    has(r.out, "the kernel trace was set up already, nothing changed");
    spawn_free(&r);
    RUN(&r, "audit", "disable", "--root", root);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_null(slurp(root, "/etc/default/grub.d/earlyrandom-trace.cfg"));
    cr_assert_str_eq(slurp(root, "/etc/kernel/cmdline"), "root=UUID=1234 ro quiet\n");
    cr_assert_str_eq(slurp(root, "/etc/default/grub"), "GRUB_CMDLINE_LINUX=\"\"\n");
    spawn_free(&r);
    RUN(&r, "audit", "status", "--root", root);
    has(r.out, "kernel trace: not asked for");
    spawn_free(&r);
    remove_root(root);
}

Test(kernel_trace, the_words_where_the_boot_loader_is_unknown)
{
    char root[64];
    audit_root(root, sizeof root);
    struct spawn_result r;
    AUDIT(&r, root, "enable", "--kernel-trace");
    cr_assert_eq(r.status, 0, "%s", r.err);
    has(r.out, "the kernel trace needs words on the kernel command line");
    has(r.out, "by hand:\n    " WORDS "\n");
    cr_assert_null(slurp(root, "/etc/default/grub.d/earlyrandom-trace.cfg"));
    cr_assert_null(slurp(root, "/etc/kernel/cmdline"));
    spawn_free(&r);
    remove_root(root);
}

Test(kernel_trace, another_trace_event_is_not_overridden)
{
    char root[64];
    audit_root(root, sizeof root);
    put(root, "/etc/kernel/cmdline", "quiet trace_event=sched:*\n");
    struct spawn_result r;
    AUDIT(&r, root, "enable", "--kernel-trace");
    cr_assert_eq(r.status, 125);
    has(r.err, "has a trace_event= of its own, and the kernel keeps only the last one");
    has(r.err, "the audit is enabled, the kernel trace is not");
    cr_assert_str_eq(slurp(root, "/etc/kernel/cmdline"), "quiet trace_event=sched:*\n");
    spawn_free(&r);
    RUN(&r, "audit", "status", "--kernel-trace");
    cr_assert_eq(r.status, 125);
    has(r.err, "--kernel-trace applies only to 'audit enable'");
    spawn_free(&r);
    remove_root(root);
}

/* With trace_options=record-tgid a thread's calls go with its process, even one never logged. */
Test(trace, threads_by_the_tgid_column)
{
    char path[] = "/tmp/er-trace-tgid-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    static const char trace[] =
        "         systemd-201     (    201) [000] .....     3.000000: sched_process_exec: "
        "filename=/usr/bin/threads pid=201 old_pid=201\n"
        "         threads-201     (    201) [000] .....     3.000100: sys_getrandom(ubuf: 5, "
        "len: 8, flags: 1)\n"
        "         threads-201     (    201) [000] .....     3.000110: sys_getrandom -> "
        "0xfffffffffffffff5\n"
        "           gmain-205     (    201) [001] .....     3.100000: sys_getrandom(ubuf: 5, "
        "len: 20, flags: 1)\n"
        "           gmain-205     (    201) [001] .....     3.100010: sys_getrandom -> "
        "0xfffffffffffffff5\n";
    cr_assert_eq(write(fd, trace, sizeof trace - 1), (ssize_t)(sizeof trace - 1));
    close(fd);
    struct spawn_result r;
    RUN(&r, "report", "--trace", path, "--kmsg=" DATA "dmesg.txt");
    cr_assert_eq(r.status, 0, "%s", r.err);
    has(r.out, "    201  /usr/bin/threads                                        2       40  "
               "unexplained");
    has(r.out, "Coverage: 1 process asked before init in the trace; the library logged 0; 0 are "
               "explained; unexplained: 201 /usr/bin/threads.");
    spawn_free(&r);
    unlink(path);
}

/* glibc 2.41 asks the kernel for a GRND_INSECURE request with GRND_NONBLOCK added (a trixie
 * boot's trace says flags 5 where the record says GRND_INSECURE): the two still match. */
Test(trace, an_insecure_request_matches_its_call_with_nonblock_added)
{
    char trace_path[] = "/tmp/er-trace-insecure-XXXXXX", log_path[] = "/tmp/er-log-insecure-XXXXXX";
    int tfd = mkstemp(trace_path), lfd = mkstemp(log_path);
    cr_assert(tfd >= 0 && lfd >= 0);
    static const char trace[] =
        "         systemd-301     (    301) [000] .....     3.000000: sched_process_exec: "
        "filename=/usr/bin/insecure pid=301 old_pid=301\n"
        "        insecure-301     (    301) [000] .....     3.000100: sys_getrandom(ubuf: 5, "
        "len: 8, flags: 5)\n"
        "        insecure-301     (    301) [000] .....     3.000110: sys_getrandom -> 0x8\n";
    static const char log[] =
        "{\"time\":\"2026-12-02T10:00:00.000000Z\",\"boot_ms\":3000.100,\"event\":\"request\","
        "\"pid\":301,\"tid\":301,\"exe\":\"/usr/bin/insecure\",\"api\":\"getrandom\",\"bytes\":8,"
        "\"flags\":\"GRND_INSECURE\",\"policy\":\"passthrough\",\"pool\":\"uninitialized\","
        "\"kernel_pool\":\"uninitialized\",\"action\":\"pass\",\"waited_ms\":0.010,\"result\":8}\n";
    cr_assert_eq(write(tfd, trace, sizeof trace - 1), (ssize_t)(sizeof trace - 1));
    cr_assert_eq(write(lfd, log, sizeof log - 1), (ssize_t)(sizeof log - 1));
    close(tfd);
    close(lfd);
    struct spawn_result r;
    RUN(&r, "report", "--trace", trace_path, "--kmsg=" DATA "dmesg.txt", log_path);
    cr_assert_eq(r.status, 0, "%s", r.err);
    has(r.out, "the library logged 1; 1 is explained; none is unexplained.");
    has(r.out, "1 calls matched the library's records one for one");
    spawn_free(&r);
    unlink(trace_path);
    unlink(log_path);
}
