/* Settings from EARLYRANDOM_* variables: defaults, each parser, and what a bad value does (one
 * readable line naming the variable, the escaped value and the accepted values; passthrough). */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "duration.h"

#define S INT64_C(1000000000)
#define MS INT64_C(1000000)
#define NVARS 11

enum var {
    V_POLICY, V_INIT_AFTER, V_EPOCH, V_READY_FILE, V_WEAK, V_LOG, V_LOG_ALL, V_HANG,
    V_KERNEL, V_ENTROPY_RATE, V_KERNEL_LOG,
};

static const char *const var_names[NVARS] = {
    ER_ENV_POLICY, ER_ENV_INIT_AFTER, ER_ENV_EPOCH,   ER_ENV_READY_FILE,
    ER_ENV_WEAK,   ER_ENV_LOG,        ER_ENV_LOG_ALL, ER_ENV_HANG_TIMEOUT,
    ER_ENV_KERNEL, ER_ENV_ENTROPY_RATE, ER_ENV_KERNEL_LOG,
};

static const char *const var_accepts[NVARS] = {
    ER_ACCEPT_POLICY, ER_ACCEPT_INIT_AFTER, ER_ACCEPT_EPOCH,   ER_ACCEPT_READY_FILE,
    ER_ACCEPT_WEAK,   ER_ACCEPT_LOG,        ER_ACCEPT_LOG_ALL, ER_ACCEPT_HANG_TIMEOUT,
    ER_ACCEPT_KERNEL, ER_ACCEPT_ENTROPY_RATE, ER_ACCEPT_KERNEL_LOG,
};

/* A fake environment: values[i] for var_names[i], NULL when unset. Records the lookups made. */
struct env {
    const char *values[NVARS];
    int lookups;
    const char *asked[16];
};

static const char *env_lookup(const char *name, void *ctx)
{
    struct env *e = ctx;
    if (e->lookups < 16)
        e->asked[e->lookups] = name;
    e->lookups++;
    for (int i = 0; i < NVARS; i++)
        if (strcmp(name, var_names[i]) == 0)
            return e->values[i];
    return NULL;
}

static const char *null_lookup(const char *name, void *ctx)
{
    (void)name;
    (void)ctx;
    return NULL;
}

/* The escaping the error line must use, written independently: printable ASCII except the
 * backslash and the quote as is, everything else \xNN, at most 64 input bytes then "...". */
static void expect_quoted(const char *v, char *out, size_t cap)
{
    size_t len = 0, shown = 0;
    out[len++] = '\'';
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (shown++ == 64) {
            len += (size_t)snprintf(out + len, cap - len, "...");
            break;
        }
        if (*p >= 0x20 && *p < 0x7f && *p != '\\' && *p != '\'')
            out[len++] = (char)*p;
        else
            len += (size_t)snprintf(out + len, cap - len, "\\x%02x", *p);
    }
    out[len++] = '\'';
    out[len] = '\0';
    cr_assert(len < cap);
}

static void expected_line(int var, const char *value, char *out, size_t cap)
{
    char quoted[512];
    expect_quoted(value, quoted, sizeof quoted);
    snprintf(out, cap, "earlyrandom: %s=%s is not valid; accepted: %s" ER_PASSTHROUGH_NOTE "\n", var_names[var], quoted,
             var_accepts[var]);
}


/* Splits buf into lines; each must end in '\n'. Returns the count. */
static size_t split_lines(const char *buf, const char *lines[], size_t lens[], size_t max)
{
    size_t n = 0;
    const char *p = buf;
    while (*p) {
        const char *nl = strchr(p, '\n');
        cr_assert_not_null(nl, "error text must end every line with a newline: '%s'", p);
        cr_assert(n < max);
        lines[n] = p;
        lens[n] = (size_t)(nl - p + 1);
        n++;
        p = nl + 1;
    }
    return n;
}

static bool line_names(const char *line, size_t len, int var)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "earlyrandom: %s=", var_names[var]);
    return len >= strlen(prefix) && strncmp(line, prefix, strlen(prefix)) == 0;
}

/* Checks that errbuf holds exactly one line for each variable in bad[] (in documented order),
 * each equal to the expected text, and nothing else. */
static void check_error_text(const char *errbuf, const struct env *e, const bool bad[NVARS])
{
    const char *lines[32];
    size_t lens[32];
    size_t n = split_lines(errbuf, lines, lens, 32);
    size_t next = 0;
    int nbad = 0;
    for (int v = 0; v < NVARS; v++) {
        int naming = 0;
        for (size_t i = 0; i < n; i++)
            naming += line_names(lines[i], lens[i], v);
        cr_expect_eq(naming, bad[v] ? 1 : 0, "%d lines name %s, expected %d", naming, var_names[v],
                     bad[v] ? 1 : 0);
        if (!bad[v])
            continue;
        nbad++;
        char want[1024];
        expected_line(v, e->values[v], want, sizeof want);
        while (next < n && !line_names(lines[next], lens[next], v))
            next++;
        cr_assert(next < n, "no line for %s", var_names[v]);
        cr_expect(lens[next] == strlen(want) && memcmp(lines[next], want, lens[next]) == 0,
                  "line for %s is\n  %.*s  expected\n  %s", var_names[v], (int)lens[next],
                  lines[next], want);
    }
    for (size_t i = 0; i < n; i++) {
        bool known = false;
        for (int v = 0; v < NVARS; v++)
            known |= line_names(lines[i], lens[i], v);
        cr_expect(known, "unexpected error line: %.*s", (int)lens[i], lines[i]);
    }
    if (nbad == 0)
        cr_expect_str_empty(errbuf);
}

/* Good non-default values for every variable, and what each sets. */
static const char *const good_values[NVARS] = {
    "fallback", "250ms", "12345", "/run/er.ready", "deterministic:7", "/tmp/er.log", "1", "500ms",
    "4.19", "64", "1",
};

static void check_field_default(int v, const struct er_settings *s)
{
    struct er_settings d;
    er_settings_default(&d);
    switch (v) {
    case V_POLICY: break; /* becomes passthrough, checked by the caller */
    case V_INIT_AFTER: cr_expect_eq(s->init_after_ns, d.init_after_ns); break;
    case V_EPOCH:
        cr_expect_eq(s->epoch_kind, d.epoch_kind);
        cr_expect_eq(s->epoch_instant_ns, d.epoch_instant_ns);
        break;
    case V_READY_FILE:
        cr_expect_not(s->has_ready_file);
        cr_expect_str_empty(s->ready_file);
        break;
    case V_WEAK:
        cr_expect_eq(s->weak, d.weak);
        cr_expect_eq(s->weak_seed, d.weak_seed);
        break;
    case V_LOG:
        cr_expect_eq(s->log, d.log);
        cr_expect_str_empty(s->log_path);
        break;
    case V_LOG_ALL: cr_expect_eq(s->log_all, d.log_all); break;
    case V_HANG: cr_expect_eq(s->hang_timeout_ns, d.hang_timeout_ns); break;
    case V_KERNEL:
        cr_expect_eq(s->kernel, d.kernel);
        cr_expect_not(s->kernel_given, "a bad version names no kernel");
        break;
    case V_ENTROPY_RATE: cr_expect_eq(s->entropy_rate, d.entropy_rate); break;
    case V_KERNEL_LOG: cr_expect_eq(s->kernel_log, d.kernel_log); break;
    }
}

static void check_field_good(int v, const struct er_settings *s)
{
    switch (v) {
    case V_POLICY: break;
    case V_INIT_AFTER: cr_expect_eq(s->init_after_ns, 250 * MS); break;
    case V_EPOCH:
        cr_expect_eq(s->epoch_kind, ER_EPOCH_INSTANT);
        cr_expect_eq(s->epoch_instant_ns, 12345);
        break;
    case V_READY_FILE:
        cr_expect(s->has_ready_file);
        cr_expect_str_eq(s->ready_file, "/run/er.ready");
        break;
    case V_WEAK:
        cr_expect_eq(s->weak, ER_WEAK_DETERMINISTIC);
        cr_expect_eq(s->weak_seed, 7);
        break;
    case V_LOG:
        cr_expect_eq(s->log, ER_LOG_FILE);
        cr_expect_str_eq(s->log_path, "/tmp/er.log");
        break;
    case V_LOG_ALL: cr_expect(s->log_all); break;
    case V_HANG: cr_expect_eq(s->hang_timeout_ns, 500 * MS); break;
    case V_KERNEL:
        cr_expect_eq(s->kernel, ER_KERNEL_VERSION(4, 19));
        cr_expect(s->kernel_given);
        break;
    case V_ENTROPY_RATE: cr_expect_eq(s->entropy_rate, 64); break;
    case V_KERNEL_LOG: cr_expect(s->kernel_log); break;
    }
}

Test(config, defaults)
{
    struct er_settings s;
    memset(&s, 0xa5, sizeof s);
    er_settings_default(&s);
    cr_expect_eq(s.policy, ER_POLICY_BLOCK);
    cr_expect_eq(s.init_after_ns, ER_DURATION_NEVER);
    cr_expect_eq(s.epoch_kind, ER_EPOCH_PROCESS);
    cr_expect_not(s.has_ready_file);
    cr_expect_eq(s.weak, ER_WEAK_REAL);
    cr_expect_eq(s.log, ER_LOG_STDERR);
    cr_expect_not(s.log_all);
    cr_expect_eq(s.hang_timeout_ns, 10 * S);
}

Test(config, load_with_nothing_set_gives_defaults)
{
    struct er_settings s, d;
    char err[256];
    memset(err, 'x', sizeof err);
    memset(&s, 0xa5, sizeof s);
    cr_assert_eq(er_settings_load(&s, null_lookup, NULL, err, sizeof err), 0);
    cr_expect_str_empty(err);
    er_settings_default(&d);
    cr_expect_eq(memcmp(&s, &d, sizeof s), 0, "unset variables must give exactly the defaults");
}

Test(config, lookup_asks_each_variable_once_in_documented_order)
{
    struct er_settings s;
    struct env e = { { NULL }, 0, { NULL } };
    char err[64];
    er_settings_load(&s, env_lookup, &e, err, sizeof err);
    cr_assert_eq(e.lookups, NVARS);
    for (int v = 0; v < NVARS; v++)
        cr_expect_str_eq(e.asked[v], var_names[v]);
}

Test(config, all_good_values_apply)
{
    struct er_settings s;
    struct env e = { { NULL }, 0, { NULL } };
    for (int v = 0; v < NVARS; v++)
        e.values[v] = good_values[v];
    char err[256];
    cr_assert_eq(er_settings_load(&s, env_lookup, &e, err, sizeof err), 0);
    cr_expect_str_empty(err);
    cr_expect_eq(s.policy, ER_POLICY_FALLBACK);
    for (int v = 0; v < NVARS; v++)
        check_field_good(v, &s);
}

/* Each accepted spelling, one variable at a time, through er_settings_load. */
struct accept_case {
    int var;
    const char *value;
    int64_t i1, i2; /* meaning depends on the variable */
};

static const struct accept_case accepts[] = {
    { V_POLICY, "block", ER_POLICY_BLOCK, 0 },
    { V_POLICY, "fallback", ER_POLICY_FALLBACK, 0 },
    { V_POLICY, "eagain", ER_POLICY_EAGAIN, 0 },
    { V_POLICY, "passthrough", ER_POLICY_PASSTHROUGH, 0 },
    { V_INIT_AFTER, "0", 0, 0 },
    { V_INIT_AFTER, "250ms", 250 * MS, 0 },
    { V_INIT_AFTER, "1.5s", 1500 * MS, 0 },
    { V_INIT_AFTER, "2m", 120 * S, 0 },
    { V_INIT_AFTER, "10", 10 * S, 0 },
    { V_INIT_AFTER, "never", ER_DURATION_NEVER, 0 },
    { V_INIT_AFTER, "jitter", ER_INIT_JITTER, 0 },
    { V_EPOCH, "process", ER_EPOCH_PROCESS, 0 },
    { V_EPOCH, "boot", ER_EPOCH_BOOT, 0 },
    { V_EPOCH, "0", ER_EPOCH_INSTANT, 0 },
    { V_EPOCH, "123456789012", ER_EPOCH_INSTANT, 123456789012 },
    { V_EPOCH, "4611686018427387903", ER_EPOCH_INSTANT, INT64_MAX / 2 },
    { V_WEAK, "real", ER_WEAK_REAL, 0 },
    { V_WEAK, "deterministic", ER_WEAK_DETERMINISTIC, 0 },
    { V_WEAK, "deterministic:0", ER_WEAK_DETERMINISTIC, 0 },
    { V_WEAK, "deterministic:42", ER_WEAK_DETERMINISTIC, 42 },
    { V_WEAK, "deterministic:007", ER_WEAK_DETERMINISTIC, 7 },
    { V_WEAK, "deterministic:9223372036854775807", ER_WEAK_DETERMINISTIC, INT64_MAX },
    { V_LOG, "stderr", ER_LOG_STDERR, 0 },
    { V_LOG, "none", ER_LOG_NONE, 0 },
    { V_LOG, "kmsg", ER_LOG_KMSG, 0 },
    { V_LOG, "syslog", ER_LOG_SYSLOG, 0 },
    { V_LOG, "journal", ER_LOG_JOURNAL, 0 },
    { V_LOG, "/var/log/er.jsonl", ER_LOG_FILE, 0 },
    { V_LOG, "relative.log", ER_LOG_FILE, 0 },
    { V_LOG, "-1", ER_LOG_FILE, 0 },                 /* a strange but legal file name */
    { V_LOG, "/tmp/\xff\xfe.log", ER_LOG_FILE, 0 },  /* Linux paths are bytes */
    { V_LOG, "/tmp/a\\x1b b", ER_LOG_FILE, 0 },
    { V_LOG_ALL, "0", 0, 0 },
    { V_LOG_ALL, "1", 1, 0 },
    { V_HANG, "off", ER_DURATION_NEVER, 0 },
    { V_HANG, "10s", 10 * S, 0 },
    { V_HANG, "500ms", 500 * MS, 0 },
    { V_HANG, "1ns", 1, 0 },
    { V_HANG, "1", S, 0 },
    { V_HANG, "0.5", 500 * MS, 0 },
    { V_HANG, "2m", 120 * S, 0 },
    { V_READY_FILE, "/run/er.ready", 1, 0 },
    { V_READY_FILE, "ready", 1, 0 },
    { V_READY_FILE, "/tmp/\xc3\xa9t\xc3\xa9", 1, 0 },
    { V_KERNEL, "3.0", ER_KERNEL_VERSION(3, 0), 0 },
    { V_KERNEL, "3.10", 3010, 0 },
    { V_KERNEL, "4.4", 4004, 0 },
    { V_KERNEL, "4.19", 4019, 0 },
    { V_KERNEL, "5.4", 5004, 0 },
    { V_KERNEL, "5.10", 5010, 0 },
    { V_KERNEL, "6.1", 6001, 0 },
    { V_KERNEL, "6.1.0", 6001, 0 },
    { V_KERNEL, "6.1.0-13-amd64", 6001, 0 },
    { V_KERNEL, "6.18.44-fc", 6018, 0 },
    { V_KERNEL, "5.10-rc1", 5010, 0 },
    { V_KERNEL, "99.999", 99999, 0 },
    { V_KERNEL, "04.019", 4019, 0 },
    { V_ENTROPY_RATE, "0", 0, 0 },
    { V_ENTROPY_RATE, "2", 2, 0 },
    { V_ENTROPY_RATE, "1000000", 1000000, 0 },
    { V_KERNEL_LOG, "0", 0, 0 },
    { V_KERNEL_LOG, "1", 1, 0 },
};

Test(config, accepts_every_documented_value)
{
    for (size_t i = 0; i < sizeof accepts / sizeof accepts[0]; i++) {
        const struct accept_case *c = &accepts[i];
        struct env e = { { NULL }, 0, { NULL } };
        e.values[c->var] = c->value;
        struct er_settings s;
        char err[512];
        int bad = er_settings_load(&s, env_lookup, &e, err, sizeof err);
        cr_expect_eq(bad, 0, "%s='%s' must be accepted; got: %s", var_names[c->var], c->value, err);
        cr_expect_str_empty(err);
        switch (c->var) {
        case V_POLICY: cr_expect_eq((int64_t)s.policy, c->i1, "%s", c->value); break;
        case V_INIT_AFTER: cr_expect_eq(s.init_after_ns, c->i1, "%s", c->value); break;
        case V_EPOCH:
            cr_expect_eq((int64_t)s.epoch_kind, c->i1, "%s", c->value);
            if (c->i1 == ER_EPOCH_INSTANT)
                cr_expect_eq(s.epoch_instant_ns, c->i2, "%s", c->value);
            break;
        case V_WEAK:
            cr_expect_eq((int64_t)s.weak, c->i1, "%s", c->value);
            cr_expect_eq(s.weak_seed, (uint64_t)c->i2, "%s", c->value);
            break;
        case V_LOG:
            cr_expect_eq((int64_t)s.log, c->i1, "%s", c->value);
            if (c->i1 == ER_LOG_FILE)
                cr_expect_str_eq(s.log_path, c->value);
            break;
        case V_LOG_ALL: cr_expect_eq(s.log_all, c->i1 != 0, "%s", c->value); break;
        case V_HANG: cr_expect_eq(s.hang_timeout_ns, c->i1, "%s", c->value); break;
        case V_READY_FILE:
            cr_expect(s.has_ready_file);
            cr_expect_str_eq(s.ready_file, c->value);
            break;
        case V_KERNEL:
            cr_expect_eq((int64_t)s.kernel, c->i1, "%s", c->value);
            cr_expect(s.kernel_given);
            break;
        case V_ENTROPY_RATE: cr_expect_eq((int64_t)s.entropy_rate, c->i1, "%s", c->value); break;
        case V_KERNEL_LOG: cr_expect_eq(s.kernel_log, c->i1 != 0, "%s", c->value); break;
        }
        if (c->var != V_POLICY)
            cr_expect_eq(s.policy, ER_POLICY_BLOCK, "a good value keeps the default policy");
    }
}

Test(config, largest_seed_and_longest_paths)
{
    struct er_settings s;
    char err[128];
    struct env e = { { NULL }, 0, { NULL } };
    e.values[V_WEAK] = "deterministic:18446744073709551615";
    cr_assert_eq(er_settings_load(&s, env_lookup, &e, err, sizeof err), 0, "%s", err);
    cr_expect_eq(s.weak_seed, UINT64_MAX);

    char *longest = malloc(ER_PATH_MAX);
    cr_assert_not_null(longest);
    memset(longest, 'p', ER_PATH_MAX - 1);
    longest[ER_PATH_MAX - 1] = '\0';
    struct env e2 = { { NULL }, 0, { NULL } };
    e2.values[V_LOG] = longest;
    e2.values[V_READY_FILE] = longest;
    cr_assert_eq(er_settings_load(&s, env_lookup, &e2, err, sizeof err), 0,
                 "a path of ER_PATH_MAX - 1 bytes fits");
    cr_expect_str_eq(s.log_path, longest);
    cr_expect_str_eq(s.ready_file, longest);
    free(longest);
}

/* Bad values per variable. Huge values are added at run time. */
static const char *const bad_policy[] = {
    "", "Block", "BLOCK", "block ", " block", "blocks", "-1", "0", "1", "99999999999999999999s",
    "1e9h", "18446744073709551616", "\xff\xfe", "bl\xc3\xb6" "ck", "block\n", "block\x1b[31m",
    "block\\", "'block'", "pass", "fallback,block",
};
static const char *const bad_init_after[] = {
    "", "off", "Never", "NEVER", "-1", "-1s", "1e9h", "99999999999999999999s", "876001h",
    "18446744073709551616", "1 s", "\xff", "1s\x1b", "1\\s", "ten", "1d", "never ", "'1s'",
};
static const char *const bad_epoch[] = {
    "", "Process", "BOOT", "now", "-1", "+5", "1.5", "1e9", "18446744073709551616",
    "99999999999999999999", "4611686018427387904", "9223372036854775807", "0x10", " 5", "5 ",
    "5s", "\xff", "boot\n", "process\x1b", "1\\2",
};
static const char *const bad_weak[] = {
    "", "Real", "REAL", "true", "deterministic:", "deterministic:-1",
    "deterministic:18446744073709551616", "deterministic:99999999999999999999",
    "deterministic:1.5", "deterministic: 1", "deterministic:1 ", "deterministic:+1",
    "deterministic1", "deterministic:0x10", "deterministicx", "deterministic::1",
    "deterministic:\xff", "\xff", "1e9h", "-1", "real\x1b", "deterministic=1", "real\\",
};
static const char *const bad_log_all[] = {
    "", "2", "-1", "01", "00", "10", "true", "yes", "on", " 1", "1 ", "1\n", "\xff", "1e9h",
    "18446744073709551616", "99999999999999999999s", "\\1", "'1'",
};
static const char *const bad_hang[] = {
    "", "0", "0s", "0ms", "0.0s", "0.0000000001s", "never", "Off", "OFF", "-1", "-10s", "1e9h",
    "99999999999999999999s", "18446744073709551616", "876001h", "\xff", "10s\x1b", "off\n", "10\\s",
};
static const char *const bad_path[] = { "" };
static const char *const bad_kernel[] = {
    "", "6", "6.", ".1", "2.6", "2.6.32", "6.1.", "6.1x", "v6.1", "6.1 ", " 6.1", "6,1", "6.1.0.1",
    "6.1.x", "100.1", "6.1000", "99999.1", "-6.1", "6.-1", "6..1", "\xff", "6.1\n", "6.1\x1b",
    "current", "latest", "1e9h", "18446744073709551616", "6.1_", "6.1+",
};
static const char *const bad_entropy_rate[] = {
    "", "-1", "1.5", "1000001", "2 ", " 2", "0x10", "1e3", "two", "18446744073709551616",
    "2bits", "\xff", "2\n",
};

struct bad_set {
    int var;
    const char *const *values;
    size_t count;
    bool huge_ok; /* whether a huge value of each kind is rejected too (all but none) */
};

#define SET(v, a) { v, a, sizeof a / sizeof a[0], true }
static const struct bad_set bad_sets[] = {
    SET(V_POLICY, bad_policy),   SET(V_INIT_AFTER, bad_init_after), SET(V_EPOCH, bad_epoch),
    SET(V_READY_FILE, bad_path), SET(V_WEAK, bad_weak),             SET(V_LOG, bad_path),
    SET(V_LOG_ALL, bad_log_all), SET(V_HANG, bad_hang),
    SET(V_KERNEL, bad_kernel),   SET(V_ENTROPY_RATE, bad_entropy_rate), SET(V_KERNEL_LOG, bad_log_all),
};
#undef SET

/* Loads with every other variable set to a good non-default value and var set to value, and
 * checks the contract of a bad value. */
static void check_one_bad(int var, const char *value)
{
    struct env e = { { NULL }, 0, { NULL } };
    for (int v = 0; v < NVARS; v++)
        e.values[v] = good_values[v];
    e.values[var] = value;
    struct er_settings s;
    static char err[8192];
    memset(err, 'x', sizeof err);
    int bad = er_settings_load(&s, env_lookup, &e, err, sizeof err);
    cr_expect_eq(bad, 1, "%s (value of %zu bytes) must be rejected", var_names[var], strlen(value));
    cr_expect_eq(s.policy, ER_POLICY_PASSTHROUGH, "a bad %s must make the policy passthrough",
                 var_names[var]);
    bool isbad[NVARS] = { false };
    isbad[var] = true;
    check_error_text(err, &e, isbad);
    check_field_default(var, &s);
    for (int v = 0; v < NVARS; v++)
        if (v != var)
            check_field_good(v, &s);
}

Test(config, bad_values_of_every_variable)
{
    for (size_t k = 0; k < sizeof bad_sets / sizeof bad_sets[0]; k++)
        for (size_t i = 0; i < bad_sets[k].count; i++)
            check_one_bad(bad_sets[k].var, bad_sets[k].values[i]);
}

static char *make_huge(size_t n, char c)
{
    char *s = malloc(n + 1);
    cr_assert_not_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

Test(config, huge_values_of_every_variable)
{
    const size_t big = 100 * 1024;
    char *letters = make_huge(big, 'a');
    char *digits = make_huge(big, '9');
    char *escapes = make_huge(big, '\x1b');
    char *nonutf8 = make_huge(big, '\xff');
    char *path_max = make_huge(ER_PATH_MAX, '/');
    for (int v = 0; v < NVARS; v++) {
        check_one_bad(v, letters);
        check_one_bad(v, digits);
        check_one_bad(v, escapes);
        check_one_bad(v, nonutf8);
    }
    check_one_bad(V_LOG, path_max);
    check_one_bad(V_READY_FILE, path_max);

    /* Huge but well-formed: "deterministic:" followed by 100 KB of digits overflows. */
    char *seed = make_huge(big, '1');
    memcpy(seed, "deterministic:", 14);
    check_one_bad(V_WEAK, seed);
    /* 100 KB of leading zeros is still a valid 1s duration and 0 a valid instant. */
    char *zeros = make_huge(big, '0');
    struct env e = { { NULL }, 0, { NULL } };
    e.values[V_EPOCH] = zeros;
    struct er_settings s;
    char err[512];
    cr_expect_eq(er_settings_load(&s, env_lookup, &e, err, sizeof err), 0, "%s", err);
    cr_expect_eq(s.epoch_kind, ER_EPOCH_INSTANT);
    cr_expect_eq(s.epoch_instant_ns, 0);
    free(zeros);
    free(seed);
    free(path_max);
    free(nonutf8);
    free(escapes);
    free(digits);
    free(letters);
}

Test(config, value_escaping_and_shortening)
{
    static const struct { const char *value, *quoted; } cases[] = {
        { "", "''" },
        { "abc", "'abc'" },
        { "a'b", "'a\\x27b'" },
        { "a\\b", "'a\\x5cb'" },
        { "a\nb", "'a\\x0ab'" },
        { "\x1b[31mred", "'\\x1b[31mred'" },
        { "\x7f", "'\\x7f'" },
        { "\xc3\xa9", "'\\xc3\\xa9'" },
        { "\xff\xfe", "'\\xff\\xfe'" },
        { "tab\there", "'tab\\x09here'" },
        { "1234567890123456789012345678901234567890123456789012345678901234",
          "'1234567890123456789012345678901234567890123456789012345678901234'" },
        { "12345678901234567890123456789012345678901234567890123456789012345",
          "'1234567890123456789012345678901234567890123456789012345678901234...'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct env e = { { NULL }, 0, { NULL } };
        e.values[V_LOG_ALL] = cases[i].value;
        struct er_settings s;
        char err[1024], want[1024];
        cr_assert_eq(er_settings_load(&s, env_lookup, &e, err, sizeof err), 1);
        snprintf(want, sizeof want, "earlyrandom: " ER_ENV_LOG_ALL "=%s is not valid; accepted: "
                 ER_ACCEPT_LOG_ALL ER_PASSTHROUGH_NOTE "\n", cases[i].quoted);
        cr_expect_str_eq(err, want, "case %zu", i);
    }
}

Test(config, error_line_is_short_whatever_the_value)
{
    char *huge = make_huge(100 * 1024, '\x01');
    struct env e = { { NULL }, 0, { NULL } };
    e.values[V_EPOCH] = huge;
    struct er_settings s;
    char err[8192];
    cr_assert_eq(er_settings_load(&s, env_lookup, &e, err, sizeof err), 1);
    const char *nl = strchr(err, '\n');
    cr_assert_not_null(nl);
    /* 64 bytes shown as \xNN, plus the name, "...", and the accepted values. */
    cr_expect_lt((size_t)(nl - err), 64 * 4 + 200, "error line of %zu bytes", (size_t)(nl - err));
    free(huge);
}

Test(config, several_bad_values_one_line_each_good_values_still_apply)
{
    struct env e = { { NULL }, 0, { NULL } };
    for (int v = 0; v < NVARS; v++)
        e.values[v] = good_values[v];
    e.values[V_INIT_AFTER] = "soon";
    e.values[V_WEAK] = "deterministic:x";
    e.values[V_HANG] = "0";
    struct er_settings s;
    char err[2048];
    cr_assert_eq(er_settings_load(&s, env_lookup, &e, err, sizeof err), 3);
    cr_expect_eq(s.policy, ER_POLICY_PASSTHROUGH);
    bool isbad[NVARS] = { false };
    isbad[V_INIT_AFTER] = isbad[V_WEAK] = isbad[V_HANG] = true;
    check_error_text(err, &e, isbad);
    for (int v = 0; v < NVARS; v++) {
        if (isbad[v])
            check_field_default(v, &s);
        else
            check_field_good(v, &s);
    }
}

static void all_bad_env(struct env *e, char *huge)
{
    static const char *const values[NVARS] = {
        "nope\x1b", "-1s", "1e9h", "", "deterministic:18446744073709551616", "", "2", "0",
        "2.6.32", "-1", "yes",
    };
    memset(e, 0, sizeof *e);
    for (int v = 0; v < NVARS; v++)
        e->values[v] = values[v];
    e->values[V_WEAK] = huge;
}

Test(config, all_bad)
{
    char *huge = make_huge(100 * 1024, '\xfe');
    struct env e;
    all_bad_env(&e, huge);
    struct er_settings s, d;
    char err[8192];
    cr_assert_eq(er_settings_load(&s, env_lookup, &e, err, sizeof err), NVARS);
    bool isbad[NVARS];
    for (int v = 0; v < NVARS; v++)
        isbad[v] = true;
    check_error_text(err, &e, isbad);
    er_settings_default(&d);
    d.policy = ER_POLICY_PASSTHROUGH;
    cr_expect_eq(memcmp(&s, &d, sizeof s), 0, "all bad: defaults with passthrough");
    free(huge);
}

/* The error buffer never overflows and always holds a NUL-terminated prefix of the full text. */
Test(config, small_error_buffers)
{
    char *huge = make_huge(100 * 1024, 'z');
    struct env e;
    all_bad_env(&e, huge);
    struct er_settings s;
    static char full[16384];
    cr_assert_eq(er_settings_load(&s, env_lookup, &e, full, sizeof full), NVARS);
    size_t full_len = strlen(full);
    cr_assert_lt(full_len + 1, sizeof full);

    static const size_t sizes[] = { 0, 1, 2, 16, 64, 100, 255, 256, 1000 };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t errlen = sizes[k];
        enum { GUARD = 64 };
        unsigned char *mem = malloc(errlen + 2 * GUARD);
        cr_assert_not_null(mem);
        memset(mem, 0xcc, errlen + 2 * GUARD);
        char *err = (char *)mem + GUARD;
        int bad = er_settings_load(&s, env_lookup, &e, errlen ? err : NULL, errlen);
        cr_expect_eq(bad, NVARS);
        cr_expect_eq(s.policy, ER_POLICY_PASSTHROUGH);
        for (size_t i = 0; i < GUARD; i++) {
            cr_assert_eq(mem[i], 0xcc, "errlen %zu: byte before the buffer written", errlen);
            cr_assert_eq(mem[GUARD + errlen + i], 0xcc, "errlen %zu: byte %zu past the end written",
                         errlen, i);
        }
        if (errlen > 0) {
            size_t len = strnlen(err, errlen);
            cr_assert_lt(len, errlen, "errlen %zu: not NUL-terminated", errlen);
            size_t want = full_len < errlen - 1 ? full_len : errlen - 1;
            cr_expect_eq(len, want, "errlen %zu: %zu bytes kept, expected %zu", errlen, len, want);
            cr_expect_eq(memcmp(err, full, len), 0, "errlen %zu: not a prefix of the full text",
                         errlen);
        }
        free(mem);
    }
    free(huge);
}

/* A second load starts afresh: no state from the first survives. */
Test(config, load_is_repeatable)
{
    struct env bad = { { NULL }, 0, { NULL } };
    bad.values[V_POLICY] = "nope";
    bad.values[V_LOG] = "/tmp/x";
    struct env good = { { NULL }, 0, { NULL } };
    struct er_settings s;
    char err[512];
    cr_assert_eq(er_settings_load(&s, env_lookup, &bad, err, sizeof err), 1);
    cr_assert_eq(er_settings_load(&s, env_lookup, &good, err, sizeof err), 0);
    cr_expect_str_empty(err);
    cr_expect_eq(s.policy, ER_POLICY_BLOCK);
    cr_expect_eq(s.log, ER_LOG_STDERR);
    cr_expect_str_empty(s.log_path);
}

/* The per-value parsers directly: they leave outputs alone on failure. */
Test(config, parsers_leave_outputs_on_failure)
{
    enum er_policy p = (enum er_policy)77;
    cr_expect_not(er_parse_policy("x", &p));
    cr_expect_eq(p, (enum er_policy)77);

    int64_t ns = 77;
    cr_expect_not(er_parse_init_after("x", &ns));
    cr_expect_eq(ns, 77);
    cr_expect_not(er_parse_hang_timeout("0", &ns));
    cr_expect_eq(ns, 77);
    cr_expect_not(er_parse_hang_timeout("never", &ns));
    cr_expect_not(er_parse_init_after("off", &ns));
    cr_expect_eq(ns, 77);

    enum er_epoch_kind ek = (enum er_epoch_kind)77;
    int64_t inst = 77;
    cr_expect_not(er_parse_epoch("-5", &ek, &inst));
    cr_expect_eq(ek, (enum er_epoch_kind)77);
    cr_expect_eq(inst, 77);

    enum er_weak_kind wk = (enum er_weak_kind)77;
    uint64_t seed = 77;
    cr_expect_not(er_parse_weak("deterministic:18446744073709551616", &wk, &seed));
    cr_expect_eq(wk, (enum er_weak_kind)77);
    cr_expect_eq(seed, 77);

    enum er_log_kind lk = (enum er_log_kind)77;
    char path[8] = "keep";
    cr_expect_not(er_parse_log("", &lk, path, sizeof path));
    cr_expect_not(er_parse_log("12345678", &lk, path, sizeof path), "does not fit in 8 bytes");
    cr_expect_eq(lk, (enum er_log_kind)77);
    cr_expect_str_eq(path, "keep");
    cr_expect(er_parse_log("1234567", &lk, path, sizeof path), "fits in 8 bytes");
    cr_expect_str_eq(path, "1234567");
    cr_expect_eq(lk, ER_LOG_FILE);

    bool all = true;
    cr_expect_not(er_parse_log_all("2", &all));
    cr_expect(all);
    cr_expect(er_parse_log_all("0", &all));
    cr_expect_not(all);
}

Test(config, policy_names_round_trip)
{
    static const enum er_policy all[] = { ER_POLICY_BLOCK, ER_POLICY_FALLBACK, ER_POLICY_EAGAIN,
                                          ER_POLICY_PASSTHROUGH };
    static const char *const names[] = { "block", "fallback", "eagain", "passthrough" };
    for (size_t i = 0; i < 4; i++) {
        cr_expect_str_eq(er_policy_name(all[i]), names[i]);
        enum er_policy p = (enum er_policy)99;
        cr_expect(er_parse_policy(er_policy_name(all[i]), &p));
        cr_expect_eq(p, all[i]);
        cr_expect_not_null(strstr(ER_ACCEPT_POLICY, names[i]), "accepted list names %s", names[i]);
    }
    cr_expect_str_eq(er_policy_name((enum er_policy)99), "?");
    cr_expect_str_eq(er_policy_name((enum er_policy)-1), "?");
}

/* A named kernel from 5.4 on initializes its pool by its jitter loop unless told when; older
 * ones and the default profile wait for the moment they are given. */
Test(config, kernel_profile_sets_the_default_init)
{
    static const struct { const char *kernel, *init_after; int64_t expect; bool given; } cases[] = {
        { NULL, NULL, ER_DURATION_NEVER, false },
        { "3.10", NULL, ER_DURATION_NEVER, true },
        { "4.4", NULL, ER_DURATION_NEVER, true },
        { "5.3", NULL, ER_DURATION_NEVER, true },
        { "5.4", NULL, ER_INIT_JITTER, true },
        { "5.10", NULL, ER_INIT_JITTER, true },
        { "6.1", NULL, ER_INIT_JITTER, true },
        { "6.1", "2s", 2 * S, true },
        { "6.1", "never", ER_DURATION_NEVER, true },
        { "4.4", "jitter", ER_INIT_JITTER, true },
        { NULL, "jitter", ER_INIT_JITTER, false },
        { "6.1x", NULL, ER_DURATION_NEVER, false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct env e = { { NULL }, 0, { NULL } };
        e.values[V_KERNEL] = cases[i].kernel;
        e.values[V_INIT_AFTER] = cases[i].init_after;
        struct er_settings s;
        char err[512];
        er_settings_load(&s, env_lookup, &e, err, sizeof err);
        cr_expect_eq(s.init_after_ns, cases[i].expect, "kernel %s, init_after %s",
                     cases[i].kernel ? cases[i].kernel : "unset",
                     cases[i].init_after ? cases[i].init_after : "unset");
        cr_expect_eq(s.kernel_given, cases[i].given, "kernel %s",
                     cases[i].kernel ? cases[i].kernel : "unset");
    }
}

Test(config, default_profile_is_6_1_with_two_bits_a_second)
{
    struct er_settings d;
    er_settings_default(&d);
    cr_expect_eq(d.kernel, ER_KERNEL_VERSION(6, 1));
    cr_expect_not(d.kernel_given);
    cr_expect_eq(d.entropy_rate, 2);
    cr_expect_not(d.kernel_log);
}
