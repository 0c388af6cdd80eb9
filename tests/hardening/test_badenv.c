/* Bad settings at the process level: every variable given an empty, huge (100 KB), negative,
 * overflowing, non-UTF-8 or multi-line value. Each bad value gives exactly one readable line that
 * names the variable; the program runs on (as passthrough), never crashes. Values that are valid
 * for a variable (any non-empty path fits EARLYRANDOM_LOG) give no message and no crash. The
 * program runs in a private directory, where a log named by a strange value may be created. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardening.h"

TestSuite(badenv, .timeout = 120);

static const char *const variables[] = {
    "EARLYRANDOM_POLICY",  "EARLYRANDOM_INIT_AFTER", "EARLYRANDOM_EPOCH",   "EARLYRANDOM_READY_FILE",
    "EARLYRANDOM_WEAK",    "EARLYRANDOM_LOG",        "EARLYRANDOM_LOG_ALL", "EARLYRANDOM_HANG_TIMEOUT",
};
#define NVARS (sizeof variables / sizeof variables[0])

static bool is_path_variable(const char *v)
{
    return strcmp(v, "EARLYRANDOM_LOG") == 0 || strcmp(v, "EARLYRANDOM_READY_FILE") == 0;
}

static char *huge(char c, size_t n)
{
    char *s = malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

struct value {
    const char *what;
    const char *text;
    bool valid_path; /* a valid value for the path variables */
};

static void run_one(const char *var, const struct value *v, int *messages_seen)
{
    size_t need = strlen(var) + strlen(v->text) + 2;
    char *assign = malloc(need);
    snprintf(assign, need, "%s=%s", var, v->text);
    const char *env[] = { assign, NULL };
    const char *argv[] = { er_probe_plain, "getrandom", "16", "NONBLOCK", NULL };
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", test_path("cwd"));
    mkdir(dir, 0755);
    struct spawn_opts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 30000, .cwd = dir };
    struct spawn_result r;
    spawn_run(&r, &o);
    char named[128];
    snprintf(named, sizeof named, "%s=", var);
    int lines = count_lines_with(r.err, named);
    cr_expect(r.signal == 0 && !r.timed_out && r.exit_code == 0, "%s %s: exit %d, signal %d, timed out %d:\n%.2000s",
              var, v->what, r.exit_code, r.signal, r.timed_out, r.err);
    bool bad = !(is_path_variable(var) && v->valid_path);
    if (bad) {
        const char *line = line_with(r.err, named);
        cr_expect(lines == 1, "%s %s: %d lines name the variable, expected one:\n%.3000s", var, v->what, lines, r.err);
        cr_expect(strstr(line, "is not valid; accepted: ") != NULL && strlen(line) < 1024,
                  "%s %s: the message is not one readable line: %.3000s", var, v->what, line);
        cr_expect(strstr(r.out, "ok getrandom ret=16") != NULL, "%s %s: not run as passthrough: %s", var, v->what,
                  r.out);
        (*messages_seen)++;
    } else {
        cr_expect(lines == 0, "%s %s is a valid path, yet: %s", var, v->what, r.err);
        cr_expect(strstr(r.out, "getrandom") != NULL, "%s %s: %s", var, v->what, r.out);
    }
    free(assign);
    spawn_free(&r);
}

Test(badenv, every_variable_with_every_kind_of_bad_value)
{
    char *big = huge('7', 100 * 1024);
    char *bigbin = huge('\xff', 100 * 1024);
    const struct value values[] = {
        { "empty", "", false },
        { "100 KB of digits", big, false },
        { "100 KB of 0xff", bigbin, false },
        { "negative", "-1", true },
        { "negative duration", "-5s", true },
        { "overflowing", "99999999999999999999999999999", true },
        { "overflowing by one (2^64)", "18446744073709551616", true },
        { "overflowing duration", "9223372036854775808ms", true },
        { "overflowing seed", "deterministic:18446744073709551616", true },
        { "non-UTF-8", "\xff\xfe", true },
        { "non-UTF-8 after a valid word", "block\xc3", true },
        { "embedded newline", "1s\nEARLYRANDOM_POLICY=passthrough", true },
        { "trailing newline", "never\n", true },
        { "control characters", "\x1b[31m\x07", true },
        { "spaces", " block ", true },
    };
    int seen = 0, runs = 0;
    for (size_t i = 0; i < NVARS; i++)
        for (size_t k = 0; k < sizeof values / sizeof values[0]; k++, runs++)
            run_one(variables[i], &values[k], &seen);
    fprintf(stderr, "badenv: %d runs, %d bad values reported\n", runs, seen);
    free(big);
    free(bigbin);
}

/* All eight at once, each 100 KB of bytes that must be escaped: eight messages, each whole. */
Test(badenv, all_variables_bad_at_once_give_one_whole_line_each)
{
    char *bigbin = huge('\x9f', 100 * 1024);
    char *env[NVARS + 1];
    for (size_t i = 0; i < NVARS; i++) {
        size_t need = strlen(variables[i]) + strlen(bigbin) + 2;
        env[i] = malloc(need);
        snprintf(env[i], need, "%s=%s", variables[i], bigbin);
    }
    env[NVARS] = NULL;
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", test_path("cwd"));
    mkdir(dir, 0755);
    struct spawn_opts o = { .argv = argv, .env = (const char *const *)env, .preload = er_library, .timeout_ms = 30000,
                       .cwd = dir };
    struct spawn_result r;
    spawn_run(&r, &o);
    cr_expect(r.exit_code == 0 && strstr(r.out, "ok getrandom ret=16") != NULL, "exit %d, signal %d: %s", r.exit_code,
              r.signal, r.out);
    for (size_t i = 0; i < NVARS; i++) {
        char named[128];
        snprintf(named, sizeof named, "%s=", variables[i]);
        const char *line = line_with(r.err, named);
        cr_expect(count_lines_with(r.err, named) == 1 && strstr(line, "is not valid; accepted: ") != NULL,
                  "%s: no whole message among the %d lines on stderr (%zu bytes):\n%.5000s", variables[i],
                  count_lines(r.err), r.errlen, r.err);
    }
    cr_expect(count_lines_with(r.err, "passthrough") >= 1, "the verdict (passthrough) is missing:\n%.5000s", r.err);
    cr_expect(r.errlen > 0 && r.err[r.errlen - 1] == '\n', "stderr ends in the middle of a line:\n%.5000s", r.err);
    for (size_t i = 0; i < NVARS; i++)
        free(env[i]);
    free(bigbin);
    spawn_free(&r);
}
