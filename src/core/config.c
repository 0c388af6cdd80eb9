#include "config.h"

#include <string.h>

#include "conffile.h"
#include "duration.h"
#include "policy.h"
#include "strbuf.h"

void er_settings_default(struct er_settings *s)
{
    memset(s, 0, sizeof *s);
    s->policy = ER_POLICY_BLOCK;
    s->init_after_ns = ER_DURATION_NEVER;
    s->epoch_kind = ER_EPOCH_PROCESS;
    s->weak = ER_WEAK_REAL;
    s->log = ER_LOG_STDERR;
    s->hang_timeout_ns = INT64_C(10) * 1000000000;
    s->kernel = ER_KERNEL_DEFAULT;
    s->entropy_rate = ER_ENTROPY_RATE_DEFAULT;
}

static const char *const policy_names[] = {
    [ER_POLICY_BLOCK] = "block",
    [ER_POLICY_FALLBACK] = "fallback",
    [ER_POLICY_EAGAIN] = "eagain",
    [ER_POLICY_PASSTHROUGH] = "passthrough",
};

const char *er_policy_name(enum er_policy p)
{
    if ((unsigned)p < sizeof policy_names / sizeof policy_names[0])
        return policy_names[p];
    return "?";
}

bool er_parse_policy(const char *text, enum er_policy *out)
{
    for (size_t i = 0; i < sizeof policy_names / sizeof policy_names[0]; i++) {
        if (strcmp(text, policy_names[i]) == 0) {
            *out = (enum er_policy)i;
            return true;
        }
    }
    return false;
}

bool er_parse_init_after(const char *text, int64_t *ns_out)
{
    if (strcmp(text, "never") == 0) {
        *ns_out = ER_DURATION_NEVER;
        return true;
    }
    if (strcmp(text, "jitter") == 0) {
        *ns_out = ER_INIT_JITTER;
        return true;
    }
    return er_parse_duration(text, ns_out);
}

bool er_parse_hang_timeout(const char *text, int64_t *ns_out)
{
    if (strcmp(text, "off") == 0) {
        *ns_out = ER_DURATION_NEVER;
        return true;
    }
    int64_t ns;
    /* A zero timeout would report every request as a hang before it had waited at all. */
    if (!er_parse_duration(text, &ns) || ns == 0)
        return false;
    *ns_out = ns;
    return true;
}

/* Parses a decimal number without sign into *out, rejecting overflow and trailing text. */
static bool parse_u64(const char *text, uint64_t *out)
{
    if (*text == '\0')
        return false;
    uint64_t v = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        unsigned digit = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - digit) / 10)
            return false;
        v = v * 10 + digit;
    }
    *out = v;
    return true;
}

bool er_parse_epoch(const char *text, enum er_epoch_kind *kind, int64_t *instant_ns)
{
    if (strcmp(text, "process") == 0) {
        *kind = ER_EPOCH_PROCESS;
        return true;
    }
    if (strcmp(text, "boot") == 0) {
        *kind = ER_EPOCH_BOOT;
        return true;
    }
    uint64_t v;
    if (!parse_u64(text, &v) || v > (uint64_t)INT64_MAX / 2)
        return false;
    *kind = ER_EPOCH_INSTANT;
    *instant_ns = (int64_t)v;
    return true;
}

bool er_parse_weak(const char *text, enum er_weak_kind *kind, uint64_t *seed)
{
    static const char det[] = "deterministic";
    if (strcmp(text, "real") == 0) {
        *kind = ER_WEAK_REAL;
        return true;
    }
    if (strncmp(text, det, sizeof det - 1) != 0)
        return false;
    const char *rest = text + sizeof det - 1;
    uint64_t v = 0;
    if (*rest == ':') {
        if (!parse_u64(rest + 1, &v))
            return false;
    } else if (*rest != '\0') {
        return false;
    }
    *kind = ER_WEAK_DETERMINISTIC;
    *seed = v;
    return true;
}

bool er_parse_log(const char *text, enum er_log_kind *kind, char *path, size_t path_len)
{
    if (strcmp(text, "stderr") == 0) {
        *kind = ER_LOG_STDERR;
        return true;
    }
    if (strcmp(text, "none") == 0) {
        *kind = ER_LOG_NONE;
        return true;
    }
    if (strcmp(text, "kmsg") == 0) {
        *kind = ER_LOG_KMSG;
        return true;
    }
    if (strcmp(text, "syslog") == 0) {
        *kind = ER_LOG_SYSLOG;
        return true;
    }
    if (strcmp(text, "journal") == 0) {
        *kind = ER_LOG_JOURNAL;
        return true;
    }
    size_t n = strlen(text);
    if (n == 0 || n >= path_len)
        return false;
    memcpy(path, text, n + 1);
    *kind = ER_LOG_FILE;
    return true;
}

bool er_parse_log_all(const char *text, bool *out)
{
    if (strcmp(text, "0") == 0 || strcmp(text, "1") == 0) {
        *out = text[0] == '1';
        return true;
    }
    return false;
}

/* Reads a decimal number of at most four digits at *p, moving *p past it. */
static bool take_small_number(const char **p, unsigned *out)
{
    unsigned v = 0;
    int digits = 0;
    while (**p >= '0' && **p <= '9' && digits < 5) {
        v = v * 10 + (unsigned)(**p - '0');
        (*p)++;
        digits++;
    }
    *out = v;
    return digits > 0 && digits <= 4;
}

bool er_parse_kernel(const char *text, unsigned *version)
{
    /* MAJOR.MINOR, then what uname -r adds: ".PATCH" and a "-flavour" suffix. */
    const char *p = text;
    unsigned major, minor, patch;
    if (!take_small_number(&p, &major) || *p++ != '.' || !take_small_number(&p, &minor))
        return false;
    if (*p == '.' && (p++, !take_small_number(&p, &patch)))
        return false;
    if (*p != '\0' && *p != '-')
        return false;
    if (major < 3 || major > 99 || minor > 999)
        return false;
    *version = ER_KERNEL_VERSION(major, minor);
    return true;
}

bool er_parse_entropy_rate(const char *text, uint32_t *bits_per_second)
{
    uint64_t v;
    if (!parse_u64(text, &v) || v > ER_ENTROPY_RATE_MAX)
        return false;
    *bits_per_second = (uint32_t)v;
    return true;
}

bool er_valid_kernel(const char *text)
{
    unsigned v;
    return er_parse_kernel(text, &v);
}

bool er_valid_entropy_rate(const char *text)
{
    uint32_t v;
    return er_parse_entropy_rate(text, &v);
}

bool er_valid_policy(const char *text)
{
    enum er_policy p;
    return er_parse_policy(text, &p);
}

bool er_valid_init_after(const char *text)
{
    int64_t ns;
    return er_parse_init_after(text, &ns);
}

bool er_valid_epoch(const char *text)
{
    enum er_epoch_kind kind;
    int64_t ns;
    return er_parse_epoch(text, &kind, &ns);
}

bool er_valid_ready_file(const char *text)
{
    size_t n = strlen(text);
    return n > 0 && n < ER_PATH_MAX;
}

bool er_valid_weak(const char *text)
{
    enum er_weak_kind kind;
    uint64_t seed;
    return er_parse_weak(text, &kind, &seed);
}

bool er_valid_log(const char *text)
{
    enum er_log_kind kind;
    char path[ER_PATH_MAX];
    return er_parse_log(text, &kind, path, sizeof path);
}

bool er_valid_log_all(const char *text)
{
    bool on;
    return er_parse_log_all(text, &on);
}

bool er_valid_hang_timeout(const char *text)
{
    int64_t ns;
    return er_parse_hang_timeout(text, &ns);
}

static bool parse_ready_file(const char *text, struct er_settings *s)
{
    if (!er_valid_ready_file(text))
        return false;
    memcpy(s->ready_file, text, strlen(text) + 1);
    s->has_ready_file = true;
    return true;
}

/* Where a value came from, for the error message: the variable, or the file and its line. */
static void report_bad(struct er_strbuf *sb, const char *name, const struct er_conffile *cf,
                       int line, const char *value, const char *accepted)
{
    er_sb_puts(sb, "earlyrandom: ");
    if (line > 0) {
        er_sb_puts(sb, cf->path);
        er_sb_puts(sb, ":");
        er_sb_put_uint(sb, (unsigned long)line);
        er_sb_puts(sb, ": ");
        /* the file's name for the setting: the variable's, lower case, without the prefix */
        for (const char *p = name + sizeof "EARLYRANDOM_" - 1; *p; p++) {
            char c = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
            er_sb_put(sb, &c, 1);
        }
    } else {
        er_sb_puts(sb, name);
    }
    er_sb_puts(sb, "=");
    er_sb_put_value(sb, value);
    er_sb_puts(sb, " is not valid; accepted: ");
    er_sb_puts(sb, accepted);
    er_sb_puts(sb, ER_PASSTHROUGH_NOTE "\n");
}

int er_settings_load(struct er_settings *s, er_lookup_fn lookup, void *ctx, char *errbuf,
                     size_t errlen)
{
    return er_settings_load_layered(s, lookup, ctx, NULL, errbuf, errlen);
}

int er_settings_load_layered(struct er_settings *s, er_lookup_fn lookup, void *ctx,
                             const struct er_conffile *file, char *errbuf, size_t errlen)
{
    struct er_strbuf sb = { errbuf, 0, errlen };
    if (errlen > 0)
        errbuf[0] = '\0';
    er_settings_default(s);

    int bad = 0, line = 0;
    const char *v;
    /* A variable wins over the file; the file fills in what the environment leaves out. */
#define CHECK(name, ok, accepted)                                                            \
    do {                                                                                     \
        line = 0;                                                                            \
        v = lookup ? lookup(name, ctx) : NULL;                                               \
        if (v == NULL)                                                                       \
            v = er_conffile_lookup(file, name, &line);                                       \
        if (v != NULL && !(ok)) {                                                            \
            report_bad(&sb, name, file, line, v, accepted);                                  \
            bad++;                                                                           \
        }                                                                                    \
    } while (0)

    CHECK(ER_ENV_POLICY, er_parse_policy(v, &s->policy), ER_ACCEPT_POLICY);
    CHECK(ER_ENV_INIT_AFTER, er_parse_init_after(v, &s->init_after_ns), ER_ACCEPT_INIT_AFTER);
    bool init_after_given = v != NULL;
    CHECK(ER_ENV_EPOCH, er_parse_epoch(v, &s->epoch_kind, &s->epoch_instant_ns), ER_ACCEPT_EPOCH);
    CHECK(ER_ENV_READY_FILE, parse_ready_file(v, s), ER_ACCEPT_READY_FILE);
    CHECK(ER_ENV_WEAK, er_parse_weak(v, &s->weak, &s->weak_seed), ER_ACCEPT_WEAK);
    CHECK(ER_ENV_LOG, er_parse_log(v, &s->log, s->log_path, sizeof s->log_path), ER_ACCEPT_LOG);
    CHECK(ER_ENV_LOG_ALL, er_parse_log_all(v, &s->log_all), ER_ACCEPT_LOG_ALL);
    CHECK(ER_ENV_HANG_TIMEOUT, er_parse_hang_timeout(v, &s->hang_timeout_ns), ER_ACCEPT_HANG_TIMEOUT);
    CHECK(ER_ENV_KERNEL, er_parse_kernel(v, &s->kernel), ER_ACCEPT_KERNEL);
    s->kernel_given = v != NULL && er_valid_kernel(v);
    CHECK(ER_ENV_ENTROPY_RATE, er_parse_entropy_rate(v, &s->entropy_rate), ER_ACCEPT_ENTROPY_RATE);
    CHECK(ER_ENV_KERNEL_LOG, er_parse_log_all(v, &s->kernel_log), ER_ACCEPT_KERNEL_LOG);
#undef CHECK

    /* A named kernel that runs the jitter loop initializes the pool the way it does, unless told
     * otherwise; the default profile keeps the pool waiting for the moment it is given. */
    if (s->kernel_given && !init_after_given && er_kernel_has_jitter(s->kernel))
        s->init_after_ns = ER_INIT_JITTER;

    if (bad > 0)
        s->policy = ER_POLICY_PASSTHROUGH;
    return bad;
}
