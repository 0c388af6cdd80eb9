/* The kernel trace parser (src/cli/ktrace.c), on lines in the formats the kernel writes:
 * print_trace_fmt's "comm-tid [cpu] flags secs.usecs: " prefix, print_syscall_enter/exit and
 * sched_process_exec's TP_printk. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "ktrace.h"

static enum er_kt_kind parse(const char *text, struct er_kt_line *l)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    return er_kt_parse_line(buf, l);
}

Test(ktrace, enter_of_kernel_6_1_in_hex_without_prefix)
{
    struct er_kt_line l;
    cr_assert_eq(parse("         systemd-1       [000] .....     2.709123: sys_getrandom(ubuf: "
                       "7ffd3a1c2b40, len: 10, flags: 4)",
                       &l),
                 ER_KT_ENTER);
    cr_assert_str_eq(l.comm, "systemd");
    cr_assert_eq(l.tid, 1);
    cr_assert_eq(l.tgid, 0);
    cr_assert_eq(l.ts_ns, INT64_C(2709123000));
    cr_assert_eq(l.len, 16, "len: 10 is hex");
    cr_assert_eq(l.flags, 4);
}

Test(ktrace, enter_of_newer_kernels_and_older_argument_names)
{
    struct er_kt_line l;
    cr_assert_eq(parse("  python3-812  [001] d..1.  12.000001: sys_getrandom(buf: 0x7ffd3a1c2b40, "
                       "count: 0x18, flags: 1)",
                       &l),
                 ER_KT_ENTER);
    cr_assert_eq(l.len, 24);
    cr_assert_eq(l.flags, 1);
    cr_assert_eq(parse("  python3-812  [001] .....  12.000001: sys_getrandom(buf: 0x7ffd3a1c2b40, "
                       "count: 8, flags: 0)",
                       &l),
                 ER_KT_ENTER);
    cr_assert_eq(l.len, 8);
    cr_assert_eq(l.flags, 0);
}

Test(ktrace, verbose_argument_types)
{
    struct er_kt_line l;
    cr_assert_eq(parse("foo-9 [000] ..... 1.000000: sys_getrandom(char * ubuf: 7ffd, size_t len: 20, "
                       "unsigned int flags: 0)",
                       &l),
                 ER_KT_ENTER);
    cr_assert_eq(l.len, 32);
}

Test(ktrace, comm_with_dashes_spaces_and_brackets)
{
    struct er_kt_line l;
    cr_assert_eq(parse(" systemd-journal-116     [001] .....     5.407357: sys_getrandom(ubuf: 1, len: 10, "
                       "flags: 4)",
                       &l),
                 ER_KT_ENTER);
    cr_assert_str_eq(l.comm, "systemd-journal");
    cr_assert_eq(l.tid, 116);
    cr_assert_eq(parse("   (udev-worker)-140     [000] .....     6.1: sys_getrandom -> 0x10", &l),
                 ER_KT_EXIT);
    cr_assert_str_eq(l.comm, "(udev-worker)");
    cr_assert_eq(l.tid, 140);
    cr_assert_eq(parse("Web Content-3 [x]-77 [003] ..... 9.5: sys_getrandom -> 0x1", &l), ER_KT_EXIT);
    cr_assert_str_eq(l.comm, "Web Content-3 [x]");
    cr_assert_eq(l.tid, 77);
    cr_assert_eq(parse("   <...>-91      [000] .....     2.630000: sys_getrandom -> 0x8", &l),
                 ER_KT_EXIT);
    cr_assert_str_eq(l.comm, "<...>");
    cr_assert_eq(l.tid, 91);
}

Test(ktrace, record_tgid_column)
{
    struct er_kt_line l;
    cr_assert_eq(parse("  gmain-205  (    201) [001] .....  8.25: sys_getrandom(ubuf: 5, len: 10, flags: 4)",
                       &l),
                 ER_KT_ENTER);
    cr_assert_eq(l.tid, 205);
    cr_assert_eq(l.tgid, 201);
    cr_assert_eq(parse("  kworker-5  (-------) [001] .....  8.25: sys_getrandom -> 0x10", &l),
                 ER_KT_EXIT);
    cr_assert_eq(l.tgid, 0, "an unknown tgid stays 0");
}

Test(ktrace, exit_values_negative_on_64_and_32_bit_kernels)
{
    struct er_kt_line l;
    cr_assert_eq(parse("modprobe-91 [000] ..... 2.63: sys_getrandom -> 0xfffffffffffffff5", &l),
                 ER_KT_EXIT);
    cr_assert_eq(l.ret, -11);
    cr_assert_eq(parse("modprobe-91 [000] ..... 2.63: sys_getrandom -> 0xfffffff5", &l), ER_KT_EXIT);
    cr_assert_eq(l.ret, -11);
    cr_assert_eq(parse("modprobe-91 [000] ..... 2.63: sys_getrandom -> 0x20", &l), ER_KT_EXIT);
    cr_assert_eq(l.ret, 32);
}

Test(ktrace, exec_with_a_space_in_the_file_name)
{
    struct er_kt_line l;
    cr_assert_eq(parse("   systemd-93      [001] .....     3.500000: sched_process_exec: "
                       "filename=/usr/lib/systemd/system-generators/systemd-fstab-generator pid=96 "
                       "old_pid=96",
                       &l),
                 ER_KT_EXEC);
    cr_assert_str_eq(l.filename, "/usr/lib/systemd/system-generators/systemd-fstab-generator");
    cr_assert_eq(l.exec_pid, 96);
    cr_assert_eq(l.old_pid, 96);
    cr_assert_eq(parse("a-5 [000] ..... 1.0: sched_process_exec: filename=/opt/my pid=7 tool pid=5 "
                       "old_pid=6",
                       &l),
                 ER_KT_EXEC);
    cr_assert_str_eq(l.filename, "/opt/my pid=7 tool");
    cr_assert_eq(l.exec_pid, 5);
    cr_assert_eq(l.old_pid, 6);
}

Test(ktrace, header_lost_events_and_other_lines)
{
    struct er_kt_line l;
    cr_assert_eq(parse("# tracer: nop", &l), ER_KT_OTHER);
    cr_assert_eq(parse("# entries-in-buffer/entries-written: 4009/4100   #P:2", &l), ER_KT_ENTRIES);
    cr_assert_eq(l.in_buffer, 4009);
    cr_assert_eq(l.written, 4100);
    cr_assert_eq(parse("#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION", &l), ER_KT_OTHER);
    cr_assert_eq(parse("CPU:1 [LOST 123 EVENTS]", &l), ER_KT_LOST);
    cr_assert_eq(l.lost, 123);
    cr_assert_eq(parse("##### CPU 1 buffer started ####", &l), ER_KT_OTHER);
    cr_assert_eq(parse("", &l), ER_KT_OTHER);
    cr_assert_eq(parse("systemd-1 [000] ..... 2.5: sys_openat(dfd: ffffff9c, filename: 1, flags: 0, "
                       "mode: 0)",
                       &l),
                 ER_KT_OTHER, "another event is not ours");
    cr_assert_eq(parse("systemd-1 [000] ..... 2.5: p_crng_reseed_0: (crng_reseed+0x0/0x90)", &l),
                 ER_KT_OTHER);
}

Test(ktrace, malformed_lines_of_our_events)
{
    struct er_kt_line l;
    cr_assert_eq(parse("systemd-1 [000] ..... 2.5: sys_getrandom(ubuf: 1, len: zz, flags: 0)", &l),
                 ER_KT_MALFORMED);
    cr_assert_eq(parse("systemd-1 [000] ..... 2.5: sys_getrandom(ubuf: 1, len: 8)", &l),
                 ER_KT_MALFORMED);
    cr_assert_eq(parse("systemd-1 [000] ..... 2.5: sys_getrandom -> -11", &l), ER_KT_MALFORMED);
    cr_assert_eq(parse("systemd [000] ..... 2.5: sys_getrandom -> 0x1", &l), ER_KT_MALFORMED,
                 "no tid");
    cr_assert_eq(parse("systemd-1 [000] ..... 2.x5: sys_getrandom -> 0x1", &l), ER_KT_MALFORMED);
    cr_assert_eq(parse("systemd-1 [000] ..... 2.5: sched_process_exec: filename=/x pid=1", &l),
                 ER_KT_MALFORMED);
}

static void add(struct er_ktrace *t, const char *text)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    cr_assert(er_ktrace_add_line(t, buf));
}

Test(ktrace, calls_pair_enter_and_exit_per_thread)
{
    struct er_ktrace t;
    er_ktrace_init(&t);
    add(&t, "# entries-in-buffer/entries-written: 6/8   #P:2");
    add(&t, "systemd-1 [000] ..... 2.000000: sched_process_exec: filename=/sbin/init pid=1 old_pid=1");
    add(&t, "systemd-1 [000] ..... 2.460000: sys_getrandom(ubuf: 1, len: 8, flags: 1)");
    add(&t, "random-seed-124 [001] ..... 5.900000: sys_getrandom(ubuf: 1, len: 20, flags: 0)");
    add(&t, "systemd-1 [000] ..... 2.460010: sys_getrandom -> 0xfffffffffffffff5");
    add(&t, "random-seed-124 [001] ..... 7.330000: sys_getrandom -> 0x20");
    add(&t, "other-7 [001] ..... 7.5: sys_getrandom -> 0x20");
    add(&t, "CPU:0 [LOST 5 EVENTS]");
    cr_assert_eq(t.ncalls, 2);
    cr_assert_eq(t.nexecs, 1);
    cr_assert_str_eq(t.execs[0].filename, "/sbin/init");
    cr_assert(t.calls[0].has_exit);
    cr_assert_eq(t.calls[0].ret, -11);
    cr_assert_eq(t.calls[1].len, 32);
    cr_assert_eq(t.calls[1].exit_ns - t.calls[1].enter_ns, INT64_C(1430000000));
    cr_assert_eq(t.orphan_exits, 1);
    cr_assert_eq(er_ktrace_lost(&t), 7, "5 lost plus 2 overwritten");
    er_ktrace_free(&t);
}
