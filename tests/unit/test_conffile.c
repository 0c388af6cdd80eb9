/* The configuration file: "name = value" lines under the variables, and er_settings_load_layered
 * (a variable wins over the file; a bad value from the file is reported with file and line). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conffile.h"
#include "config.h"
#include "duration.h"

#define PATH "/etc/earlyrandom.conf"
#define GUARD 64


/* Parses a copy of text (the parser cuts it in place); the copy stays alive in *keep. */
static int parse(const char *text, struct er_conffile *cf, char *err, size_t errlen, char **keep)
{
    *keep = strdup(text);
    cr_assert_not_null(*keep);
    return er_conffile_parse(*keep, PATH, cf, err, errlen);
}

Test(conffile, names_values_lines_comments_quotes)
{
    struct er_conffile cf;
    char err[512], *text;
    int bad = parse("policy = fallback\n"
                    "init_after=250ms\n"
                    "# a comment = with an equals sign\n"
                    "\n"
                    "  weak = \"deterministic:7\"  \r\n"
                    "\t log\t=\t/tmp/a=b c \n"
                    "   # indented comment\n"
                    "log_all = \"\"\n"
                    "epoch = \"\n",
                    &cf, err, sizeof err, &text);
    cr_assert_eq(bad, 0, "%s", err);
    cr_expect_str_empty(err);
    cr_expect_str_eq(cf.path, PATH);
    cr_assert_eq(cf.count, 6);
    static const struct { const char *name, *value; int line; } want[] = {
        { "policy", "fallback", 1 },  { "init_after", "250ms", 2 }, { "weak", "deterministic:7", 5 },
        { "log", "/tmp/a=b c", 6 },   { "log_all", "", 8 },         { "epoch", "\"", 9 },
    };
    for (size_t i = 0; i < 6; i++) {
        cr_expect_str_eq(cf.entries[i].name, want[i].name, "entry %zu", i);
        cr_expect_str_eq(cf.entries[i].value, want[i].value, "entry %zu", i);
        cr_expect_eq(cf.entries[i].line, want[i].line, "entry %zu", i);
    }
    free(text);
}

Test(conffile, lookup_by_variable)
{
    struct er_conffile cf;
    char err[256], *text;
    cr_assert_eq(parse("policy = block\nlog_all = 1\nlog = /x\npolicy = eagain\n", &cf, err,
                       sizeof err, &text), 0);
    int line = -1;
    cr_expect_str_eq(er_conffile_lookup(&cf, ER_ENV_POLICY, &line), "eagain", "the last one wins");
    cr_expect_eq(line, 4);
    cr_expect_str_eq(er_conffile_lookup(&cf, ER_ENV_LOG_ALL, &line), "1");
    cr_expect_eq(line, 2);
    cr_expect_str_eq(er_conffile_lookup(&cf, ER_ENV_LOG, &line), "/x", "log is not log_all");
    cr_expect_eq(line, 3);
    line = -1;
    cr_expect_null(er_conffile_lookup(&cf, ER_ENV_WEAK, &line));
    cr_expect_eq(line, -1, "line untouched when not found");
    cr_expect_null(er_conffile_lookup(&cf, "POLICY", &line), "the prefix is required");
    cr_expect_null(er_conffile_lookup(&cf, "EARLYRANDOM_", &line));
    cr_expect_null(er_conffile_lookup(&cf, "EARLYRANDOM_POLICYX", &line));
    cr_expect_null(er_conffile_lookup(&cf, "EARLYRANDOM_LOG_", &line));
    cr_expect_null(er_conffile_lookup(NULL, ER_ENV_POLICY, &line));
    free(text);
}

Test(conffile, every_setting_name_is_known)
{
    static const char *const vars[] = {
        ER_ENV_POLICY, ER_ENV_INIT_AFTER, ER_ENV_EPOCH,   ER_ENV_READY_FILE,
        ER_ENV_WEAK,   ER_ENV_LOG,        ER_ENV_LOG_ALL, ER_ENV_HANG_TIMEOUT,
        ER_ENV_KERNEL, ER_ENV_ENTROPY_RATE, ER_ENV_KERNEL_LOG,
    };
    enum { NVARS = sizeof vars / sizeof vars[0] };
    char text[1024] = "";
    for (size_t i = 0; i < NVARS; i++) {
        char line[128], name[64];
        size_t k = 0;
        for (const char *p = vars[i] + strlen("EARLYRANDOM_"); *p; p++)
            name[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        name[k] = '\0';
        cr_expect_not_null(strstr(ER_CONF_NAMES, name), "ER_CONF_NAMES lacks %s", name);
        snprintf(line, sizeof line, "%s = v%zu\n", name, i);
        strcat(text, line);
    }
    struct er_conffile cf;
    char err[256], *copy;
    cr_assert_eq(parse(text, &cf, err, sizeof err, &copy), 0, "%s", err);
    for (size_t i = 0; i < NVARS; i++) {
        int line = 0;
        char want[8];
        snprintf(want, sizeof want, "v%zu", i);
        const char *v = er_conffile_lookup(&cf, vars[i], &line);
        cr_expect(v != NULL && strcmp(v, want) == 0, "%s -> %s", vars[i], v ? v : "(null)");
        cr_expect_eq(line, (int)i + 1);
    }
    free(copy);
}

Test(conffile, bad_lines_one_error_line_each)
{
    struct er_conffile cf;
    char err[2048], *text;
    int bad = parse("nonsense\n"
                    "colour = red\n"
                    "= x\n"
                    "Policy = block\n"
                    "policy = block\n"
                    "\x1b[31m\n",
                    &cf, err, sizeof err, &text);
    cr_expect_eq(bad, 5);
    cr_expect_eq(cf.count, 1);
    const char *want =
        "earlyrandom: " PATH ":1: expected 'name = value', got 'nonsense'" ER_PASSTHROUGH_NOTE "\n"
        "earlyrandom: " PATH ":2: unknown setting (known: " ER_CONF_NAMES ") 'colour'" ER_PASSTHROUGH_NOTE "\n"
        "earlyrandom: " PATH ":3: unknown setting (known: " ER_CONF_NAMES ") ''" ER_PASSTHROUGH_NOTE "\n"
        "earlyrandom: " PATH ":4: unknown setting (known: " ER_CONF_NAMES ") 'Policy'" ER_PASSTHROUGH_NOTE "\n"
        "earlyrandom: " PATH ":6: expected 'name = value', got '\\x1b[31m'" ER_PASSTHROUGH_NOTE "\n";
    cr_expect_str_eq(err, want);
    free(text);
}

Test(conffile, too_many_entries)
{
    char text[2048] = "";
    for (int i = 0; i < ER_CONFFILE_MAX_ENTRIES + 3; i++)
        strcat(text, "log_all = 1\n");
    struct er_conffile cf;
    char err[2048], *copy;
    cr_expect_eq(parse(text, &cf, err, sizeof err, &copy), 3);
    cr_expect_eq(cf.count, ER_CONFFILE_MAX_ENTRIES);
    char want[256];
    snprintf(want, sizeof want, "earlyrandom: " PATH ":%d: too many settings, ignored: 'log_all'" ER_PASSTHROUGH_NOTE "\n",
             ER_CONFFILE_MAX_ENTRIES + 1);
    cr_expect_eq(strncmp(err, want, strlen(want)), 0, "%s", err);
    free(copy);
}

Test(conffile, empty_and_odd_texts)
{
    static const char *const texts[] = { "", "\n", "\n\n\n", "#", "   \t  ", "\r\n\r\n",
                                         "policy = block", /* no final newline */ };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct er_conffile cf;
        char err[256], *text;
        cr_expect_eq(parse(texts[i], &cf, err, sizeof err, &text), 0, "text %zu: %s", i, err);
        cr_expect_eq(cf.count, i == 6 ? 1u : 0u, "text %zu", i);
        free(text);
    }
}

/* Error buffers of any size: no overflow, always terminated, a prefix of the full text. */
Test(conffile, small_error_buffers)
{
    static const char text[] = "a\nb = 1\n\xff\xfe = 2\nwhat\n";
    struct er_conffile cf;
    char full[4096], *copy;
    int bad = parse(text, &cf, full, sizeof full, &copy);
    free(copy);
    cr_assert_eq(bad, 4);
    size_t full_len = strlen(full);
    static const size_t sizes[] = { 0, 1, 2, 16, 64, 100 };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t errlen = sizes[k];
        unsigned char *mem = malloc(errlen + 2 * GUARD);
        cr_assert_not_null(mem);
        memset(mem, 0xcc, errlen + 2 * GUARD);
        char *err = (char *)mem + GUARD;
        cr_expect_eq(parse(text, &cf, errlen ? err : NULL, errlen, &copy), 4);
        free(copy);
        for (size_t i = 0; i < GUARD; i++) {
            cr_assert_eq(mem[i], 0xcc, "errlen %zu: wrote before", errlen);
            cr_assert_eq(mem[GUARD + errlen + i], 0xcc, "errlen %zu: wrote past the end", errlen);
        }
        if (errlen > 0) {
            size_t len = strnlen(err, errlen);
            cr_assert_lt(len, errlen);
            cr_expect_eq(len, full_len < errlen - 1 ? full_len : errlen - 1);
            cr_expect_eq(memcmp(err, full, len), 0);
        }
        free(mem);
    }
}

Test(conffile, huge_text)
{
    size_t n = ER_CONFFILE_MAX_BYTES;
    char *text = malloc(n + 1);
    cr_assert_not_null(text);
    for (size_t i = 0; i < n; i++)
        text[i] = i % 100 == 99 ? '\n' : (char)('a' + i % 26);
    text[n] = '\0';
    struct er_conffile cf;
    static char err[1 << 16];
    int bad = er_conffile_parse(text, PATH, &cf, err, sizeof err);
    cr_expect_eq(bad, (int)(n / 100) + (n % 100 != 0));
    cr_expect_eq(cf.count, 0);
    free(text);
}

/* ---- layered settings -------------------------------------------------------------------------- */

struct env {
    const char *name[8], *value[8];
    int n;
};

static const char *env_lookup(const char *name, void *ctx)
{
    const struct env *e = ctx;
    for (int i = 0; i < e->n; i++)
        if (strcmp(e->name[i], name) == 0)
            return e->value[i];
    return NULL;
}

Test(layered, file_fills_in_what_the_environment_leaves_out)
{
    struct er_conffile cf;
    char err[1024], *text;
    cr_assert_eq(parse("policy = fallback\nlog_all = 1\nweak = deterministic:9\n", &cf, err,
                       sizeof err, &text), 0);
    struct env e = { { ER_ENV_LOG_ALL }, { "0" }, 1 };
    struct er_settings s;
    cr_assert_eq(er_settings_load_layered(&s, env_lookup, &e, &cf, err, sizeof err), 0, "%s", err);
    cr_expect_str_empty(err);
    cr_expect_eq(s.policy, ER_POLICY_FALLBACK, "from the file");
    cr_expect_not(s.log_all, "the variable wins over the file");
    cr_expect_eq(s.weak, ER_WEAK_DETERMINISTIC);
    cr_expect_eq(s.weak_seed, 9);
    free(text);
}

Test(layered, bad_value_in_the_file_names_file_and_line)
{
    struct er_conffile cf;
    char err[1024], *text;
    cr_assert_eq(parse("policy = fallback\n\nhang_timeout = 0\nlog_all = 1\n", &cf, err, sizeof err,
                       &text), 0);
    struct er_settings s;
    cr_assert_eq(er_settings_load_layered(&s, NULL, NULL, &cf, err, sizeof err), 1);
    const char *want = "earlyrandom: " PATH ":3: hang_timeout='0' is not valid; accepted: "
                       ER_ACCEPT_HANG_TIMEOUT ER_PASSTHROUGH_NOTE "\n";
    cr_expect_str_eq(err, want, "exactly one line: %s", err);
    cr_expect_eq(s.policy, ER_POLICY_PASSTHROUGH);
    cr_expect(s.log_all, "good values from the file still apply");
    cr_expect_eq(s.hang_timeout_ns, INT64_C(10000000000));
    free(text);
}

Test(layered, bad_variable_wins_over_a_good_file_value)
{
    struct er_conffile cf;
    char err[1024], *text;
    cr_assert_eq(parse("policy = fallback\nepoch = boot\n", &cf, err, sizeof err, &text), 0);
    struct env e = { { ER_ENV_EPOCH }, { "yesterday" }, 1 };
    struct er_settings s;
    cr_assert_eq(er_settings_load_layered(&s, env_lookup, &e, &cf, err, sizeof err), 1);
    const char *want = "earlyrandom: " ER_ENV_EPOCH "='yesterday' is not valid; accepted: "
                       ER_ACCEPT_EPOCH ER_PASSTHROUGH_NOTE "\n";
    cr_expect_eq(strncmp(err, want, strlen(want)), 0, "%s", err);
    cr_expect_eq(s.epoch_kind, ER_EPOCH_PROCESS, "the bad variable is not replaced by the file");
    cr_expect_eq(s.policy, ER_POLICY_PASSTHROUGH);
    free(text);
}

Test(layered, secure_execution_reads_only_the_file)
{
    struct er_conffile cf;
    char err[1024], *text;
    cr_assert_eq(parse("policy = eagain\n", &cf, err, sizeof err, &text), 0);
    struct er_settings s;
    cr_assert_eq(er_settings_load_layered(&s, NULL, NULL, &cf, err, sizeof err), 0);
    cr_expect_eq(s.policy, ER_POLICY_EAGAIN);
    cr_assert_eq(er_settings_load_layered(&s, NULL, NULL, NULL, err, sizeof err), 0);
    cr_expect_eq(s.policy, ER_POLICY_BLOCK, "no file, no environment: defaults");
    free(text);
}

Test(layered, without_a_file_equals_plain_load)
{
    struct env e = { { ER_ENV_POLICY, ER_ENV_LOG }, { "eagain", "none" }, 2 };
    struct er_settings a, b;
    char ea[256], eb[256];
    int na = er_settings_load(&a, env_lookup, &e, ea, sizeof ea);
    int nb = er_settings_load_layered(&b, env_lookup, &e, NULL, eb, sizeof eb);
    cr_expect_eq(na, nb);
    cr_expect_eq(memcmp(&a, &b, sizeof a), 0);
    cr_expect_str_eq(ea, eb);
}

/* A machine's file can name its kernel: the profile and its jitter init come from there. */
Test(layered, kernel_profile_from_the_file)
{
    struct er_conffile cf;
    char err[1024], *text;
    cr_assert_eq(parse("kernel = 5.10\nentropy_rate = 8\nkernel_log = 1\n", &cf, err, sizeof err,
                       &text), 0);
    struct er_settings s;
    cr_assert_eq(er_settings_load_layered(&s, NULL, NULL, &cf, err, sizeof err), 0, "%s", err);
    cr_expect_eq(s.kernel, ER_KERNEL_VERSION(5, 10));
    cr_expect(s.kernel_given);
    cr_expect_eq(s.init_after_ns, ER_INIT_JITTER);
    cr_expect_eq(s.entropy_rate, 8);
    cr_expect(s.kernel_log);
    free(text);

    cr_assert_eq(parse("kernel = 2.6.32\n", &cf, err, sizeof err, &text), 0);
    cr_expect_eq(er_settings_load_layered(&s, NULL, NULL, &cf, err, sizeof err), 1);
    cr_expect_str_eq(err, "earlyrandom: " PATH ":1: kernel='2.6.32' is not valid; accepted: "
                          ER_ACCEPT_KERNEL ER_PASSTHROUGH_NOTE "\n");
    free(text);
}
