/* The timeline picture's model and drawing (timeline.c), without a browser: escaping of what
 * logs may hold, rows and marks, folding at many processes, the moments of init, the time base,
 * determinism, and the kernel log's "crng init done". */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernlog.h"
#include "timeline.h"

static char *render(const struct er_timeline *t)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    cr_assert_not_null(mem);
    er_timeline_write_svg(t, mem);
    cr_assert_eq(fclose(mem), 0);
    return text;
}

static char *escaped(const char *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    er_xml_text(mem, s);
    fclose(mem);
    return text;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

static struct er_record request(const char *exe, long pid, double boot_ms, const char *action)
{
    struct er_record r;
    memset(&r, 0, sizeof r);
    r.event = "request";
    r.exe = exe;
    r.pid = r.tid = pid;
    r.has_boot = true;
    r.boot_ns = (int64_t)(boot_ms * 1e6);
    r.api = "getrandom";
    r.flags = "0";
    r.has_bytes = true;
    r.bytes = 16;
    r.policy = "block";
    r.pool = "uninitialized";
    r.kernel_pool = "initialized";
    r.action = action;
    r.has_waited = true;
    return r;
}

static void add(struct er_timeline *t, struct er_record r)
{
    cr_assert(er_timeline_add(t, &r, false));
}

Test(timeline, escapes_markup_controls_and_bytes_that_are_not_utf8)
{
    char *s = escaped("a<b>&\"c'\x01\xff caf\xc3\xa9 \xc2\x85 \xef\xbf\xbe!");
    cr_assert_str_eq(s, "a&lt;b&gt;&amp;&quot;c&#39;\xef\xbf\xbd\xef\xbf\xbd caf\xc3\xa9 "
                        "\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!");
    free(s);
    s = escaped("\xe2\x82"); /* cut short at the end of the string */
    cr_assert_str_eq(s, "\xef\xbf\xbd\xef\xbf\xbd");
    free(s);
}

Test(timeline, a_row_per_process_grouped_by_program_and_a_mark_per_record)
{
    struct er_timeline t;
    er_timeline_init(&t);
    add(&t, request("/usr/bin/python3", 10, 100, "eagain"));
    add(&t, request("/usr/bin/openssl", 20, 110, "block"));
    add(&t, request("/usr/bin/python3", 11, 120, "weak"));
    add(&t, request("/usr/bin/python3", 10, 130, "weak"));
    struct er_record hang = request("/usr/bin/openssl", 20, 110, "block");
    hang.event = "hang";
    hang.waited_ns = 50000000;
    add(&t, hang);
    struct er_record other = request("/usr/bin/openssl", 20, 110, "pass");
    other.event = "truncated"; /* not a request: the summary does not count it either */
    add(&t, other);
    cr_assert_eq(t.records, 5);
    char *svg = render(&t);
    cr_assert_eq(count(svg, "<g class=\"row\""), 3);
    cr_assert_eq(count(svg, "<rect class=\"mark "), 5);
    cr_assert_eq(count(svg, "class=\"mark hang wait\""), 1);
    /* python3's two processes next to each other, before openssl (their first record is first) */
    const char *a = strstr(svg, "data-pid=\"10\""), *b = strstr(svg, "data-pid=\"11\""),
               *c = strstr(svg, "data-pid=\"20\"");
    cr_assert(a && b && c && a < b && b < c, "%s", svg);
    cr_assert_not_null(strstr(svg, ">python3 [10]</text>"));
    cr_assert_not_null(strstr(svg, "5 records from 3 processes of 2 programs"));
    free(svg);
    er_timeline_free(&t);
}

/* Each mark's tooltip says which engine saw its record (no "engine" field: the preload). */
Test(timeline, a_tooltip_names_the_engine)
{
    struct er_timeline t;
    er_timeline_init(&t);
    add(&t, request("/usr/bin/python3", 10, 100, "eagain"));
    struct er_record trapped = request("/usr/local/bin/static-tool", 11, 110, "eagain");
    trapped.engine = "seccomp";
    trapped.api = "SYS_getrandom";
    add(&t, trapped);
    char *svg = render(&t);
    cr_assert_eq(count(svg, "seen by the preload"), 1, "%s", svg);
    cr_assert_eq(count(svg, "seen by the syscall engine (seccomp)"), 1, "%s", svg);
    const char *a = strstr(svg, "SYS_getrandom(0)"), *b = strstr(svg, "seen by the syscall engine");
    cr_assert(a && b && a < b, "the engine in the trapped call's own tooltip: %s", svg);
    free(svg);
    er_timeline_free(&t);
}

Test(timeline, a_hostile_program_name_stays_text)
{
    struct er_timeline t;
    er_timeline_init(&t);
    add(&t, request("/tmp/\"><script>alert(1)</script>\x07\xfe", 1, 5, "pass"));
    char *svg = render(&t);
    cr_assert_null(strstr(svg, "<script"));
    cr_assert_null(strstr(svg, "\x07"));
    cr_assert_null(strstr(svg, "\xfe"));
    cr_assert_not_null(strstr(svg, "data-exe=\"/tmp/&quot;&gt;&lt;script&gt;"));
    free(svg);
    er_timeline_free(&t);
}

Test(timeline, the_same_records_give_the_same_bytes)
{
    struct er_timeline t;
    er_timeline_init(&t);
    for (int i = 0; i < 200; i++)
        add(&t, request(i % 3 ? "/usr/bin/a" : "/usr/bin/b", 100 + i % 70, 1000 + i * 1.25,
                        i % 5 ? "pass" : "block"));
    char *one = render(&t), *two = render(&t);
    cr_assert_str_eq(one, two);
    free(one);
    free(two);
    er_timeline_free(&t);
}

Test(timeline, many_processes_with_trivial_requests_fold_into_one_row)
{
    struct er_timeline t;
    er_timeline_init(&t);
    for (long pid = 1; pid <= 100; pid++) {
        struct er_record r = request("/usr/bin/trivial", pid, 2000 + (double)pid, "pass");
        r.pool = "initialized";
        add(&t, r);
    }
    add(&t, request("/usr/bin/early", 500, 10, "block"));
    add(&t, request("/usr/bin/early", 501, 12, "eagain"));
    char *svg = render(&t);
    cr_assert_eq(count(svg, "<g class=\"row\""), 3);
    cr_assert_eq(count(svg, "<rect class=\"mark "), 102);
    cr_assert_not_null(strstr(svg, "data-folded=\"trivial\" data-processes=\"100\""));
    cr_assert_not_null(strstr(svg, "100 processes that made only trivial requests"));
    free(svg);
    er_timeline_free(&t);
}

Test(timeline, a_few_processes_never_fold)
{
    struct er_timeline t;
    er_timeline_init(&t);
    for (long pid = 1; pid <= ER_TIMELINE_MAX_ROWS; pid++) {
        struct er_record r = request("/usr/bin/trivial", pid, 2000, "pass");
        r.pool = "initialized";
        add(&t, r);
    }
    char *svg = render(&t);
    cr_assert_eq(count(svg, "<g class=\"row\""), ER_TIMELINE_MAX_ROWS);
    cr_assert_null(strstr(svg, "folded"));
    free(svg);
    er_timeline_free(&t);
}

Test(timeline, still_too_many_rows_share_one_per_program)
{
    struct er_timeline t;
    er_timeline_init(&t);
    for (long pid = 1; pid <= 60; pid++)
        add(&t, request(pid % 2 ? "/usr/bin/odd" : "/usr/bin/even", pid, (double)pid, "weak"));
    char *svg = render(&t);
    cr_assert_eq(count(svg, "<g class=\"row\""), 2);
    cr_assert_eq(count(svg, "<rect class=\"mark "), 60);
    cr_assert_not_null(strstr(svg, ">odd (30 processes)</text>"));
    cr_assert_not_null(strstr(svg, "the processes of each program share one row"));
    free(svg);
    er_timeline_free(&t);
}

Test(timeline, the_simulated_init_is_where_a_wait_for_it_ended)
{
    struct er_timeline t;
    er_timeline_init(&t);
    struct er_record r = request("/usr/bin/openssl", 7, 1000, "block");
    r.waited_ns = 1500000000;
    add(&t, r);
    r = request("/usr/bin/ssh", 8, 1200, "block");
    r.waited_ns = 1300000000;
    add(&t, r);
    char *svg = render(&t);
    cr_assert_not_null(strstr(svg, "simulated init 2500.000 ms"), "%s", svg);
    cr_assert_eq(count(svg, "class=\"mark block wait\""), 2);
    free(svg);
    er_timeline_free(&t);
}

Test(timeline, crng_init_done_near_the_records_is_drawn_far_is_said)
{
    struct er_timeline t;
    er_timeline_init(&t);
    add(&t, request("/usr/bin/a", 1, 800, "pass"));
    add(&t, request("/usr/bin/a", 1, 1000, "pass"));
    er_timeline_note_crng(&t, true, 950000000);
    er_timeline_note_crng(&t, true, 990000000); /* a later boot's: the earliest is kept */
    char *svg = render(&t);
    cr_assert_not_null(strstr(svg, "crng init done 950.000 ms"));
    free(svg);
    t.crng_boot_ns = 3600000000000; /* an hour away from a run of 200 ms */
    svg = render(&t);
    cr_assert_null(strstr(svg, "class=\"moment crng-init\""));
    cr_assert_not_null(strstr(svg, "at 3600000.000 ms after boot, far outside"));
    free(svg);
    er_timeline_free(&t);
}

Test(timeline, records_without_boot_ms_use_the_wall_clock)
{
    struct er_timeline t;
    er_timeline_init(&t);
    struct er_record r = request("/usr/bin/a", 1, 0, "pass");
    r.has_boot = false;
    r.time_ns = 1700000000000000000;
    cr_assert(er_timeline_add(&t, &r, true));
    r.time_ns += 5000000;
    cr_assert(er_timeline_add(&t, &r, true));
    char *svg = render(&t);
    cr_assert_not_null(strstr(svg, "time after the first record (no boot_ms)"));
    cr_assert_eq(count(svg, "<rect class=\"mark "), 2);
    free(svg);
    er_timeline_free(&t);
}

Test(timeline, no_records_is_still_a_picture_that_says_so)
{
    struct er_timeline t;
    er_timeline_init(&t);
    char *svg = render(&t);
    cr_assert_not_null(strstr(svg, "No request or hang record in the logs."));
    cr_assert_not_null(strstr(svg, "</svg>\n"));
    free(svg);
    er_timeline_free(&t);
}

Test(kernlog, crng_init_done_and_its_time_after_boot)
{
    bool has = false;
    int64_t ns = 0;
    cr_assert(er_kernlog_crng_done("[    0.912345] random: crng init done", &has, &ns));
    cr_assert(has);
    cr_assert_eq(ns, 912345000);
    cr_assert(er_kernlog_crng_done("5,612,3100250,-;random: crng init done", &has, &ns));
    cr_assert(has);
    cr_assert_eq(ns, 3100250000);
    cr_assert(er_kernlog_crng_done("[   12.5] vm kernel: random: crng init done", &has, &ns));
    cr_assert_eq(ns, 12500000000);
    cr_assert(er_kernlog_crng_done("Nov 23 06:00:01 vm kernel: random: crng init done", &has, &ns));
    cr_assert_not(has, "a syslog time is not a time after boot");
    cr_assert_not(er_kernlog_crng_done("[    0.5] random: fast init done", &has, &ns));
}
