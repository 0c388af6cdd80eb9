/* The smaller parts of the command: the hang report, the log follower, the binary probe, the
 * process tree. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "binprobe.h"
#include "hang.h"
#include "tail.h"
#include "tree.h"
#include "testspawn.h"

/* The library's own frames are left out: the report starts at the program's call. */
Test(hang, report)
{
    const char *frames[] = { "/b/src/lib/.libs/libearlyrandom.so(+0x24b5) [0x7f4a50b854b5]",
                             "libearlyrandom.so(+0x42e4)", "/usr/bin/python3.11(+0x1f00)",
                             "/lib/libc.so.6(__libc_start_main+0x85)" };
    struct er_record r = { .event = "hang", .pid = 1234, .exe = "/usr/bin/python3.11",
                           .api = "getrandom", .has_bytes = true, .bytes = 16, .flags = "0",
                           .has_waited = true, .waited_ns = INT64_C(10049000000),
                           .caller = "/usr/bin/python3.11", .backtrace = frames, .backtrace_len = 4 };
    char buf[1024];
    er_format_hang_report(&r, buf, sizeof buf);
    cr_assert_str_eq(buf,
                     "earlyrandom: hang: python3.11 [pid 1234] waited 10.0 s in getrandom(16 bytes, "
                     "flags 0) called from /usr/bin/python3.11\n"
                     "earlyrandom:   program: /usr/bin/python3.11\n"
                     "earlyrandom:   #0 /usr/bin/python3.11(+0x1f00)\n"
                     "earlyrandom:   #1 /lib/libc.so.6(__libc_start_main+0x85)\n");
}

Test(hang, report_of_a_device_read_with_a_symbol_and_no_room)
{
    struct er_record r = { .event = "hang", .pid = 7, .exe = "/bin/dd\x1b[2J", .api = "read",
                           .device = "/dev/random", .has_bytes = true, .bytes = 1,
                           .has_waited = true, .waited_ns = 500000000,
                           .caller = "/lib/libc.so.6", .caller_symbol = "fread" };
    char buf[1024];
    er_format_hang_report(&r, buf, sizeof buf);
    cr_assert(strstr(buf, "hang: dd?[2J [pid 7] waited 0.5 s in read(/dev/random, 1 byte) called "
                          "from /lib/libc.so.6 fread\n") != NULL, "%s", buf);
    char small[40];
    size_t n = er_format_hang_report(&r, small, sizeof small);
    cr_assert_lt(n, sizeof small);
    cr_assert_eq(strlen(small), n);
}

/* ---- following a log ---- */

struct lines {
    char text[8][128];
    bool cut[8];
    int n;
};

static void collect(char *line, bool too_long, void *ctx)
{
    struct lines *l = ctx;
    cr_assert_lt(l->n, 8);
    snprintf(l->text[l->n], sizeof l->text[0], "%.100s", line);
    l->cut[l->n++] = too_long;
}

static void append(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
    close(fd);
}

Test(tail, whole_lines_only_from_the_start_offset)
{
    char path[] = "/tmp/er-tail-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    append(path, "old line\n");

    struct er_tail t;
    struct lines l = { .n = 0 };
    er_tail_init(&t, path, 9);
    cr_assert(er_tail_poll(&t, collect, &l));
    cr_assert_eq(l.n, 0, "what was there before is not ours");
    append(path, "one\ntw");
    cr_assert(er_tail_poll(&t, collect, &l));
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(l.text[0], "one");
    append(path, "o\nthree");
    cr_assert(er_tail_poll(&t, collect, &l));
    cr_assert_eq(l.n, 2);
    cr_assert_str_eq(l.text[1], "two");
    cr_assert(er_tail_finish(&t, collect, &l));
    cr_assert_eq(l.n, 3);
    cr_assert_str_eq(l.text[2], "three", "a truncated last line is handed over at the end");
    er_tail_close(&t);
    unlink(path);
}

Test(tail, file_appears_later_and_long_lines_are_cut)
{
    char dir[] = "/tmp/er-tail-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/log", dir);
    struct er_tail t;
    struct lines l = { .n = 0 };
    er_tail_init(&t, path, 0);
    cr_assert(er_tail_poll(&t, collect, &l), "a missing file is not an error");
    char *big = malloc(ER_TAIL_MAX_LINE * 2 + 16);
    memset(big, 'x', ER_TAIL_MAX_LINE * 2);
    strcpy(big + ER_TAIL_MAX_LINE * 2, "\nafter\n");
    append(path, big);
    free(big);
    cr_assert(er_tail_poll(&t, collect, &l));
    cr_assert_eq(l.n, 2);
    cr_assert(l.cut[0]);
    cr_assert(!l.cut[1]);
    cr_assert_str_eq(l.text[1], "after");
    er_tail_close(&t);
    unlink(path);
    rmdir(dir);
}

/* ---- probing binaries ---- */

Test(binprobe, dynamic_static_go_and_scripts)
{
    struct er_probe p;
    cr_assert(er_probe_file("/bin/sh", getuid(), getgid(), &p));
    cr_assert(p.is_elf && !p.is_static && !p.is_go && !p.is_secure);

    cr_assert(er_probe_file(ER_ABS_BUILDDIR "/tests/cli/static-helper", getuid(), getgid(), &p));
    cr_assert(p.is_elf && p.is_static && !p.is_go);

    cr_assert(er_probe_file(ER_ABS_BUILDDIR "/tests/cli/fake-go", getuid(), getgid(), &p));
    cr_assert(p.is_elf && p.is_go && !p.is_static);

    char path[] = "/tmp/er-script-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "#! /bin/sh -e\necho\n", 19), 19);
    close(fd);
    cr_assert(er_probe_file(path, getuid(), getgid(), &p));
    cr_assert(!p.is_elf);
    cr_assert_str_eq(p.interpreter, "/bin/sh");
    unlink(path);

    cr_assert(!er_probe_file("/nonexistent/x", getuid(), getgid(), &p));
    cr_assert(!er_probe_file("/tmp", getuid(), getgid(), &p), "a directory is no program");
}

/* A setuid copy of true, owned by us: secure for anyone else, not for its owner. */
Test(binprobe, setuid_to_someone_else)
{
    char path[] = ER_ABS_BUILDDIR "/tests/cli/er-suid-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp /bin/true %s && chmod 4755 %s", path, path);
    cr_assert_eq(system(cmd), 0);
    struct statvfs vfs;
    cr_assert_eq(statvfs(path, &vfs), 0);
    bool nosuid = (vfs.f_flag & ST_NOSUID) != 0;
    struct er_probe p;
    cr_assert(er_probe_file(path, getuid() + 4242, getgid(), &p));
    cr_assert(p.is_elf);
    cr_assert_eq(p.is_secure, !nosuid, "setuid to someone else, unless the mount ignores it");
    cr_assert(er_probe_file(path, getuid(), getgid(), &p));
    cr_assert(!p.is_secure, "setuid to oneself changes nothing");
    unlink(path);
}

Test(binprobe, find_in_path)
{
    char out[256];
    cr_assert(er_find_in_path("sh", "/nonexistent:/bin:/usr/bin", out, sizeof out));
    cr_assert_str_eq(out, "/bin/sh");
    cr_assert(er_find_in_path("./relative", "/bin", out, sizeof out));
    cr_assert_str_eq(out, "./relative", "a name with a slash is not searched");
    errno = 0;
    cr_assert(!er_find_in_path("no-such-program-xyz", "/bin:/usr/bin", out, sizeof out));
    cr_assert_eq(errno, ENOENT);
    cr_assert(!er_find_in_path("passwd", "/etc", out, sizeof out), "not executable");
    cr_assert_eq(errno, EACCES);
    cr_assert(!er_find_in_path("", "/bin", out, sizeof out));
}

/* ---- the process tree ---- */

Test(tree, finds_and_kills_grandchildren_that_ignore_term)
{
    int subreaper = prctl(PR_SET_CHILD_SUBREAPER, 1);
    SKIP_EMULATED_IF(subreaper != 0, "prctl(PR_SET_CHILD_SUBREAPER) fails, so no orphan comes back to us");
    cr_assert_eq(subreaper, 0);
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        /* A child with a grandchild that ignores SIGTERM, and an orphan that reparents to us. */
        signal(SIGTERM, SIG_IGN);
        if (fork() == 0) {
            if (fork() == 0)
                for (;;)
                    pause();
            _exit(0);
        }
        for (;;)
            pause();
    }
    pid_t pids[16];
    size_t n = 0;
    /* until both exist, within 10 s */
    for (int i = 0; i < 1000 && (n = er_tree_descendants(getpid(), pids, 16)) < 2; i++)
        usleep(10000);
    cr_assert_geq(n, 2, "child and orphan: %zu", n);
    er_tree_kill(200, NULL, NULL);
    cr_assert_eq(er_tree_descendants(getpid(), pids, 16), 0);
    cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "everything was reaped");
    cr_assert_eq(errno, ECHILD);
}
