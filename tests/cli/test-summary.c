/* The per-program table and its JSON form, on fixed logs (tests/cli/data). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "summary.h"
#include "tail.h"

struct feed {
    struct er_summary *s;
    const char *name;
    int line;
};

static void feed_line(char *line, bool too_long, void *ctx)
{
    struct feed *f = ctx;
    char where[256];
    snprintf(where, sizeof where, "%s:%d", f->name, ++f->line);
    cr_assert(!too_long);
    cr_assert(er_summary_add_line(f->s, line, where));
}

static void load(struct er_summary *s, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/cli/data/%s", ER_ABS_SRCDIR, name);
    int fd = open(path, O_RDONLY);
    cr_assert_geq(fd, 0, "cannot open %s", path);
    struct feed f = { s, name, 0 };
    cr_assert(er_read_lines(fd, feed_line, &f));
    close(fd);
}

/* Renders with a print function into a string the test owns. */
static char *render(struct er_summary *s, void (*print)(struct er_summary *, FILE *))
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    print(s, out);
    fclose(out);
    /* A copy, so that the compiler does not see pointers into the stream's own variable. */
    char *copy = strdup(text);
    free(text);
    return copy;
}

Test(summary, table_of_one_log)
{
    struct er_summary s;
    er_summary_init(&s);
    load(&s, "sample.jsonl");
    char *t = render(&s, er_summary_print_table);
    const char *expected =
        "program             requests     bytes waited     wait_ms   weak eagain hangs  engine   apis\n"
        "/usr/bin/python3.11        4        96      1    1400.000      1      1     1  preload  getrandom:3 read:1\n"
        "/usr/bin/openssl           1        48      1    1300.250      0      0     0  preload  getentropy:1\n"
        "total                      5       144      2    2700.250      1      1     1  preload  getrandom:3 read:1 getentropy:1\n";
    cr_assert_str_eq(t, expected);
    free(t);
    er_summary_free(&s);
}

Test(summary, programs_in_order_of_first_request_across_logs)
{
    struct er_summary s;
    er_summary_init(&s);
    load(&s, "sample.jsonl");
    load(&s, "second.jsonl"); /* ssh-keygen's record is the earliest of all */
    char *t = render(&s, er_summary_print_table);
    const char *ssh = strstr(t, "/usr/bin/ssh-keygen"), *py = strstr(t, "/usr/bin/python3.11"),
               *ossl = strstr(t, "/usr/bin/openssl");
    cr_assert(ssh && py && ossl, "%s", t);
    cr_assert(ssh < py && py < ossl, "%s", t);
    cr_assert(strstr(t, "malformed") == NULL, "blank lines and unknown events are no error: %s", t);
    free(t);
    er_summary_free(&s);
}

Test(summary, malformed_lines_are_counted_and_named)
{
    struct er_summary s;
    er_summary_init(&s);
    load(&s, "garbage.jsonl");
    cr_assert_eq(s.malformed, 4);
    cr_assert_eq(s.records, 1);
    char *t = render(&s, er_summary_print_table);
    cr_assert(strstr(t, "/bin/dd") != NULL, "%s", t);
    cr_assert(strstr(t, "4 malformed lines skipped (first at garbage.jsonl:1)\n") != NULL, "%s", t);
    free(t);
    er_summary_free(&s);
}

Test(summary, json)
{
    struct er_summary s;
    er_summary_init(&s);
    load(&s, "second.jsonl");
    load(&s, "garbage.jsonl");
    char *t = render(&s, er_summary_print_json);
    const char *expected =
        "{\"programs\":["
        "{\"exe\":\"/usr/bin/ssh-keygen\",\"requests\":1,\"bytes\":32,\"waited\":0,\"waited_ms\":0.000,"
        "\"weak\":0,\"eagain\":0,\"einval\":0,\"interrupted\":0,\"abort\":1,\"hangs\":0,"
        "\"apis\":{\"arc4random_buf\":1},\"engine\":\"preload\","
        "\"engines\":{\"preload\":1,\"seccomp\":0}},"
        "{\"exe\":\"/usr/bin/python3.11\",\"requests\":1,\"bytes\":32,\"waited\":0,\"waited_ms\":0.000,"
        "\"weak\":1,\"eagain\":0,\"einval\":0,\"interrupted\":0,\"abort\":0,\"hangs\":0,"
        "\"apis\":{\"getentropy\":1},\"engine\":\"preload\","
        "\"engines\":{\"preload\":1,\"seccomp\":0}},"
        "{\"exe\":\"/bin/dd\",\"requests\":1,\"bytes\":512,\"waited\":0,\"waited_ms\":0.000,"
        "\"weak\":0,\"eagain\":1,\"einval\":0,\"interrupted\":0,\"abort\":0,\"hangs\":0,"
        "\"apis\":{\"read\":1},\"engine\":\"preload\","
        "\"engines\":{\"preload\":1,\"seccomp\":0}}],"
        "\"totals\":{\"requests\":3,\"bytes\":576,\"waited\":0,\"waited_ms\":0.000,\"weak\":1,"
        "\"eagain\":1,\"einval\":0,\"interrupted\":0,\"abort\":1,\"hangs\":0,"
        "\"apis\":{\"arc4random_buf\":1,\"getentropy\":1,\"read\":1},"
        "\"engine\":\"preload\",\"engines\":{\"preload\":3,\"seccomp\":0}},"
        "\"records\":3,\"malformed\":4}\n";
    cr_assert_str_eq(t, expected);
    free(t);
    er_summary_free(&s);
}

Test(summary, json_escapes_names)
{
    struct er_summary s;
    er_summary_init(&s);
    struct er_record r = { .event = "request", .exe = "/tmp/a\"b\\c\x01\xff", .api = "getrandom" };
    cr_assert(er_summary_add(&s, &r, false));
    char *t = render(&s, er_summary_print_json);
    cr_assert(strstr(t, "\"exe\":\"/tmp/a\\\"b\\\\c\\u0001\\u00ff\"") != NULL, "%s", t);
    free(t);
    char *table = render(&s, er_summary_print_table);
    cr_assert(strstr(table, "/tmp/a\"b\\c?\xff") != NULL, "control characters hidden: %s", table);
    free(table);
    er_summary_free(&s);
}

Test(summary, empty)
{
    struct er_summary s;
    er_summary_init(&s);
    char *t = render(&s, er_summary_print_table);
    cr_assert_str_eq(t, "no entropy requests recorded\n");
    free(t);
    t = render(&s, er_summary_print_json);
    cr_assert(strncmp(t, "{\"programs\":[],\"totals\":{\"requests\":0,", 38) == 0, "%s", t);
    free(t);
    er_summary_free(&s);
}

Test(summary, hang_only_program_is_listed)
{
    struct er_summary s;
    er_summary_init(&s);
    char line[] = "{\"event\":\"hang\",\"pid\":5,\"tid\":5,\"exe\":\"/usr/bin/node\",\"api\":\"getentropy\","
                  "\"bytes\":48,\"action\":\"block\",\"waited_ms\":10000.000}";
    cr_assert(er_summary_add_line(&s, line, "x:1"));
    cr_assert_eq(s.len, 1);
    cr_assert_eq(s.programs[0].stats.hangs, 1);
    cr_assert_eq(s.programs[0].stats.requests, 0, "the hanging request has not returned yet");
    er_summary_free(&s);
}

/* Each row says which engine saw its requests: a record without "engine" is the preload's. */
Test(summary, each_row_names_the_engine_that_saw_it)
{
    struct er_summary s;
    er_summary_init(&s);
    load(&s, "engines.jsonl");
    char *t = render(&s, er_summary_print_table);
    const char *expected =
        "program                    requests     bytes waited     wait_ms   weak eagain hangs  "
        "engine           apis\n"
        "/usr/bin/python3.11               2        32      0       0.000      0      2     0  "
        "preload+seccomp  getrandom:1 SYS_getrandom:1\n"
        "/usr/local/bin/static-tool        1        16      0       0.000      0      1     0  "
        "seccomp          SYS_getrandom:1\n"
        "/usr/bin/openssl                  1        48      0       0.000      0      1     0  "
        "preload          getentropy:1\n"
        "/usr/bin/gorand                   0         0      0       0.000      0      0     1  "
        "seccomp          \n"
        "total                             4        96      0       0.000      0      4     1  "
        "preload+seccomp  getrandom:1 SYS_getrandom:2 getentropy:1\n"
        "apis: SYS_* were seen by the syscall engine (the program's own system calls: static and "
        "Go programs, the C library's internal requests); the others by the library's hooks\n";
    cr_assert_str_eq(t, expected);
    free(t);
    er_summary_free(&s);
}

Test(summary, json_counts_each_engines_requests)
{
    struct er_summary s;
    er_summary_init(&s);
    load(&s, "engines.jsonl");
    char *t = render(&s, er_summary_print_json);
    cr_assert(strstr(t, "\"exe\":\"/usr/bin/python3.11\"") != NULL, "%s", t);
    cr_assert(strstr(t, "\"apis\":{\"getrandom\":1,\"SYS_getrandom\":1},\"engine\":\"preload+seccomp\","
                        "\"engines\":{\"preload\":1,\"seccomp\":1}}") != NULL,
              "%s", t);
    cr_assert(strstr(t, "\"apis\":{\"SYS_getrandom\":1},\"engine\":\"seccomp\","
                        "\"engines\":{\"preload\":0,\"seccomp\":1}}") != NULL,
              "the static program: %s", t);
    cr_assert(strstr(t, "\"hangs\":1,\"apis\":{},\"engine\":\"seccomp\","
                        "\"engines\":{\"preload\":0,\"seccomp\":0}}") != NULL,
              "a program that only hung names the engine that held it: %s", t);
    cr_assert(strstr(t, "\"totals\":{\"requests\":4,") != NULL, "%s", t);
    cr_assert(strstr(t, "\"engine\":\"preload+seccomp\",\"engines\":{\"preload\":2,\"seccomp\":2}},"
                        "\"records\":5") != NULL,
              "the totals: %s", t);
    free(t);
    er_summary_free(&s);
}

Test(summary, engine_names)
{
    cr_assert_str_eq(er_engines_name(0), "-");
    cr_assert_str_eq(er_engines_name(ER_SEEN_PRELOAD), "preload");
    cr_assert_str_eq(er_engines_name(ER_SEEN_SECCOMP), "seccomp");
    cr_assert_str_eq(er_engines_name(ER_SEEN_PRELOAD | ER_SEEN_SECCOMP), "preload+seccomp");
    struct er_record preload = { .event = "request" }, seccomp = { .event = "request", .engine = "seccomp" };
    cr_assert_eq(er_record_engine(&preload), ER_SEEN_PRELOAD, "no engine field: the preload's");
    cr_assert_eq(er_record_engine(&seccomp), ER_SEEN_SECCOMP);
}

/* systemd-udevd, its forks and udevadm run one file: the kernel's name for each process tells
 * them apart; python3.11 runs as "python3", the same program; a thread's name is its own. */
Test(summary, programs_that_share_an_executable_are_listed_by_their_name)
{
    struct er_summary s;
    er_summary_init(&s);
    char lines[][256] = {
        "{\"event\":\"request\",\"pid\":10,\"tid\":10,\"exe\":\"/usr/bin/udevadm\",\"comm\":\"systemd-udevd\","
        "\"api\":\"getrandom\",\"bytes\":16,\"action\":\"pass\"}",
        "{\"event\":\"request\",\"pid\":11,\"tid\":11,\"exe\":\"/usr/bin/udevadm\",\"comm\":\"(udev-worker)\","
        "\"api\":\"getrandom\",\"bytes\":16,\"action\":\"pass\"}",
        "{\"event\":\"request\",\"pid\":12,\"tid\":12,\"exe\":\"/usr/bin/udevadm\",\"comm\":\"(udev-worker)\","
        "\"api\":\"getrandom\",\"bytes\":16,\"action\":\"pass\"}",
        "{\"event\":\"request\",\"pid\":13,\"tid\":13,\"exe\":\"/usr/bin/udevadm\",\"comm\":\"udevadm\","
        "\"api\":\"getrandom\",\"bytes\":16,\"action\":\"pass\"}",
        "{\"event\":\"request\",\"pid\":14,\"tid\":14,\"exe\":\"/usr/bin/python3.11\",\"comm\":\"python3\","
        "\"api\":\"getrandom\",\"bytes\":16,\"action\":\"pass\"}",
        "{\"event\":\"request\",\"pid\":14,\"tid\":15,\"exe\":\"/usr/bin/python3.11\",\"comm\":\"worker-1\","
        "\"api\":\"getrandom\",\"bytes\":16,\"action\":\"pass\"}",
        "{\"event\":\"request\",\"pid\":16,\"tid\":16,\"exe\":\"/usr/lib/systemd/systemd-journald\","
        "\"comm\":\"systemd-journal\",\"api\":\"getrandom\",\"bytes\":16,\"action\":\"pass\"}",
        "{\"event\":\"request\",\"pid\":1,\"tid\":1,\"comm\":\"systemd\",\"api\":\"getrandom\",\"bytes\":16,"
        "\"action\":\"pass\"}",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        cr_assert(er_summary_add_line(&s, lines[i], "x"));
    const char *want[] = { "systemd-udevd (/usr/bin/udevadm)", "(udev-worker) (/usr/bin/udevadm)",
                           "/usr/bin/udevadm", "/usr/bin/python3.11", "/usr/lib/systemd/systemd-journald",
                           "systemd" };
    uint64_t requests[] = { 1, 2, 1, 2, 1, 1 };
    cr_assert_eq(s.len, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < s.len; i++) {
        cr_expect_str_eq(s.programs[i].exe, want[i]);
        cr_expect_eq(s.programs[i].stats.requests, requests[i], "%s", want[i]);
    }
    er_summary_free(&s);
}
