/* Log records: every JSON line is valid JSON ending in exactly one '\n' and fits its cap; field
 * names and order; escaping; shortening; ISO 8601 time; flag and errno names; readable lines. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonv.h"
#include "logrec.h"
#include "weak.h"

#define GUARD 64

/* ---- helpers -------------------------------------------------------------------------------- */

typedef size_t (*format_fn)(const struct er_record *, char *, size_t);

/* Formats into a heap buffer of exactly cap bytes surrounded by guard bytes; checks the common
 * contract (length below cap, NUL-terminated, ends in '\n', nothing written outside) and returns
 * the buffer (owned by the caller, output at +GUARD) and the length. */
static char *format_guarded(format_fn fn, const struct er_record *r, size_t cap, size_t *len_out)
{
    unsigned char *mem = malloc(cap + 2 * GUARD);
    cr_assert_not_null(mem);
    memset(mem, 0xcd, cap + 2 * GUARD);
    char *buf = (char *)mem + GUARD;
    size_t n = fn(r, buf, cap);
    for (size_t i = 0; i < GUARD; i++) {
        cr_assert_eq(mem[i], 0xcd, "cap %zu: wrote before the buffer", cap);
        cr_assert_eq(mem[GUARD + cap + i], 0xcd, "cap %zu: wrote %zu bytes past the cap", cap, i + 1);
    }
    cr_assert_lt(n, cap, "cap %zu: returned length %zu does not leave room for the NUL", cap, n);
    cr_assert_eq(buf[n], '\0', "cap %zu: not NUL-terminated at the returned length", cap);
    cr_assert_eq(strlen(buf), n, "cap %zu: NUL inside the output", cap);
    cr_assert(n > 0 && buf[n - 1] == '\n', "cap %zu: output does not end in '\\n'", cap);
    *len_out = n;
    return (char *)mem;
}

/* Formats r as JSON with cap, validates the line, and fills res; returns the allocation. */
static char *json_checked(const struct er_record *r, size_t cap, struct jv_result *res,
                          const char **line)
{
    size_t n;
    char *mem = format_guarded(er_format_json, r, cap, &n);
    *line = mem + GUARD;
    cr_assert(jv_check_line(*line, n, res), "cap %zu: invalid JSON line (%s at byte %zu): %s", cap,
              res->why, res->err_at, *line);
    return mem;
}

/* The decoded string value of key, or NULL when absent. */
static const char *str_field(const struct jv_result *res, const char *key, char *out, size_t cap)
{
    const struct jv_member *m = jv_get(res, key);
    if (m == NULL)
        return NULL;
    cr_assert(m->vlen > 0 && m->val[0] == '"', "%s is not a string", key);
    cr_assert(jv_decode_string(m->val, m->vlen, out, cap, NULL), "%s does not decode", key);
    return out;
}

static void raw_field(const struct jv_result *res, const char *key, char *out, size_t cap)
{
    const struct jv_member *m = jv_get(res, key);
    cr_assert_not_null(m, "field %s missing", key);
    cr_assert_lt(m->vlen, cap);
    memcpy(out, m->val, m->vlen);
    out[m->vlen] = '\0';
}

static const char *const bt2[] = { "/lib/x86_64-linux-gnu/libc.so.6(getrandom+0x20)",
                                   "python3(+0x1234)" };

static struct er_record full_record(void)
{
    struct er_record r = {
        .event = "request",
        .time_ns = INT64_C(951782400123456789),
        .has_boot = true,
        .boot_ns = INT64_C(1234567000),
        .pid = 42,
        .tid = 43,
        .exe = "/usr/bin/python3",
        .api = "getrandom",
        .device = "/dev/random",
        .has_bytes = true,
        .bytes = 24,
        .flags = "GRND_NONBLOCK",
        .policy = "block",
        .pool = "uninitialized",
        .kernel_pool = "initialized",
        .action = "eagain",
        .has_waited = true,
        .waited_ns = INT64_C(2000312000),
        .errno_name = "EAGAIN",
        .has_result = true,
        .result = -1,
        .caller = "/usr/lib/libpython3.11.so",
        .caller_symbol = "_PyOS_URandom",
        .backtrace = bt2,
        .backtrace_len = 2,
    };
    return r;
}

static const char *const all_keys[] = {
    "time",   "boot_ms", "event",       "pid",    "tid",       "exe",    "api",
    "device", "bytes",   "flags",       "policy", "pool",      "kernel_pool", "action",
    "waited_ms", "errno", "result",     "caller", "caller_symbol", "backtrace",
};
#define NKEYS (sizeof all_keys / sizeof all_keys[0])

/* ---- the strict validator itself --------------------------------------------------------------- */

Test(jsonv, accepts_and_rejects)
{
    static const char *const good[] = {
        "{}", "{\"a\":1}", " {\"a\" : [1, -2.5e+3, true, false, null, {\"b\":\"\\u00e9\\n\"}]} ",
        "{\"s\":\"\\ud834\\udd1e\"}", "{\"u\":\"\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e\"}",
        "{\"z\":0,\"y\":-0.0}",
    };
    static const char *const bad[] = {
        "", "[]", "1", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{a:1}", "{\"a\":01}",
        "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}", "{\"a\":\"\x01\"}", "{\"a\":\"\\x41\"}",
        "{\"a\":\"\\u00g0\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"\xff\"}",
        "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":1}{}", "{\"a\":1,\"a\":2}",
        "{\"a\":tru}", "{\"a\":\"x}", "{\"a\":[1,]}", "{\"a\":NaN}",
    };
    struct jv_result r;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        cr_expect(jv_parse_object(good[i], strlen(good[i]), &r), "good #%zu: %s", i, r.why);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(jv_parse_object(bad[i], strlen(bad[i]), &r), "bad #%zu accepted", i);
    cr_expect(jv_check_line("{}\n", 3, &r));
    cr_expect_not(jv_check_line("{}\n\n", 4, &r));
    cr_expect_not(jv_check_line("{}", 2, &r));
    cr_expect_not(jv_check_line("{\n}\n", 4, &r));
    char out[16];
    size_t n;
    cr_expect(jv_decode_string("\"a\\u00ffb\"", 10, out, sizeof out, &n));
    cr_expect_str_eq(out, "a\xc3\xbf" "b");
}

/* ---- JSON: fields ------------------------------------------------------------------------------ */

Test(json, golden_full_record)
{
    struct er_record r = full_record();
    char buf[ER_RECORD_MAX];
    size_t n = er_format_json(&r, buf, sizeof buf);
    const char *want =
        "{\"time\":\"2000-02-29T00:00:00.123456Z\",\"boot_ms\":1234.567,\"event\":\"request\","
        "\"pid\":42,\"tid\":43,"
        "\"exe\":\"/usr/bin/python3\",\"api\":\"getrandom\",\"device\":\"/dev/random\",\"bytes\":24,"
        "\"flags\":\"GRND_NONBLOCK\",\"policy\":\"block\",\"pool\":\"uninitialized\","
        "\"kernel_pool\":\"initialized\",\"action\":\"eagain\",\"waited_ms\":2000.312,"
        "\"errno\":\"EAGAIN\",\"result\":-1,"
        "\"caller\":\"/usr/lib/libpython3.11.so\",\"caller_symbol\":\"_PyOS_URandom\","
        "\"backtrace\":[\"/lib/x86_64-linux-gnu/libc.so.6(getrandom+0x20)\",\"python3(+0x1234)\"]}\n";
    cr_expect_str_eq(buf, want);
    cr_expect_eq(n, strlen(want));
}

Test(json, field_names_and_order)
{
    struct er_record r = full_record();
    struct jv_result res;
    const char *line;
    char *mem = json_checked(&r, ER_RECORD_MAX, &res, &line);
    cr_assert_eq(res.nmembers, NKEYS, "%zu fields: %s", res.nmembers, line);
    for (size_t i = 0; i < NKEYS; i++)
        cr_expect_str_eq(res.members[i].key, all_keys[i], "field %zu", i);
    free(mem);
}

Test(json, minimal_record_has_only_time_pid_tid)
{
    struct er_record r;
    memset(&r, 0, sizeof r);
    struct jv_result res;
    const char *line;
    char *mem = json_checked(&r, 256, &res, &line);
    cr_expect_str_eq(line, "{\"time\":\"1970-01-01T00:00:00.000000Z\",\"pid\":0,\"tid\":0}\n");
    free(mem);
}

/* Leaving out any one optional field removes exactly that field and keeps the order. */
Test(json, each_optional_field_omitted)
{
    for (size_t k = 0; k < NKEYS; k++) {
        const char *key = all_keys[k];
        if (!strcmp(key, "time") || !strcmp(key, "pid") || !strcmp(key, "tid"))
            continue;
        struct er_record r = full_record();
        if (!strcmp(key, "event")) r.event = NULL;
        else if (!strcmp(key, "boot_ms")) r.has_boot = false;
        else if (!strcmp(key, "kernel_pool")) r.kernel_pool = NULL;
        else if (!strcmp(key, "exe")) r.exe = NULL;
        else if (!strcmp(key, "api")) r.api = NULL;
        else if (!strcmp(key, "device")) r.device = NULL;
        else if (!strcmp(key, "bytes")) r.has_bytes = false;
        else if (!strcmp(key, "flags")) r.flags = NULL;
        else if (!strcmp(key, "policy")) r.policy = NULL;
        else if (!strcmp(key, "pool")) r.pool = NULL;
        else if (!strcmp(key, "action")) r.action = NULL;
        else if (!strcmp(key, "waited_ms")) r.has_waited = false;
        else if (!strcmp(key, "errno")) r.errno_name = NULL;
        else if (!strcmp(key, "result")) r.has_result = false;
        else if (!strcmp(key, "caller")) r.caller = NULL;
        else if (!strcmp(key, "caller_symbol")) r.caller_symbol = NULL;
        else if (!strcmp(key, "backtrace")) r.backtrace = NULL;
        else cr_assert_fail("unhandled key %s", key);
        struct jv_result res;
        const char *line;
        char *mem = json_checked(&r, ER_RECORD_MAX, &res, &line);
        cr_expect_null(jv_get(&res, key), "%s present although unset: %s", key, line);
        cr_expect_eq(res.nmembers, NKEYS - 1, "without %s: %s", key, line);
        size_t m = 0;
        for (size_t i = 0; i < NKEYS && m < res.nmembers; i++) {
            if (i == k)
                continue;
            cr_expect_str_eq(res.members[m].key, all_keys[i], "without %s, field %zu", key, m);
            m++;
        }
        free(mem);
    }
}

Test(json, has_flags_false_ignore_values)
{
    struct er_record r;
    memset(&r, 0, sizeof r);
    r.bytes = 99;
    r.waited_ns = 99;
    r.boot_ns = 99;
    r.result = 99;
    r.backtrace = NULL;
    r.backtrace_len = 5; /* no array: the length is ignored */
    char buf[512];
    er_format_json(&r, buf, sizeof buf);
    cr_expect_null(strstr(buf, "99"), "%s", buf);
    cr_expect_null(strstr(buf, "backtrace"), "%s", buf);
}

Test(json, numbers)
{
    struct er_record r;
    memset(&r, 0, sizeof r);
    r.pid = -1;
    r.tid = LONG_MAX;
    r.has_bytes = true;
    r.bytes = UINT64_MAX;
    r.has_result = true;
    r.result = INT64_MIN;
    struct jv_result res;
    const char *line;
    char raw[64];
    char *mem = json_checked(&r, 512, &res, &line);
    raw_field(&res, "pid", raw, sizeof raw);
    cr_expect_str_eq(raw, "-1");
    raw_field(&res, "tid", raw, sizeof raw);
    char want[32];
    snprintf(want, sizeof want, "%ld", LONG_MAX);
    cr_expect_str_eq(raw, want);
    raw_field(&res, "bytes", raw, sizeof raw);
    cr_expect_str_eq(raw, "18446744073709551615");
    raw_field(&res, "result", raw, sizeof raw);
    cr_expect_str_eq(raw, "-9223372036854775808");
    free(mem);
}

Test(json, waited_ms_and_boot_ms_have_three_decimals)
{
    static const struct { int64_t ns; const char *ms; } cases[] = {
        { 0, "0.000" },
        { 999, "0.000" },
        { 1000, "0.001" },
        { 1500000, "1.500" },
        { 10000000, "10.000" },
        { INT64_C(2000312000), "2000.312" },
        { INT64_C(10000000000), "10000.000" },
        { INT64_C(86400000000000), "86400000.000" },
        { -5, "0.000" },
        { INT64_MAX, "9223372036854.775" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct er_record r;
        memset(&r, 0, sizeof r);
        r.has_waited = true;
        r.waited_ns = cases[i].ns;
        r.has_boot = true;
        r.boot_ns = cases[i].ns;
        struct jv_result res;
        const char *line;
        char raw[64];
        char *mem = json_checked(&r, 256, &res, &line);
        raw_field(&res, "waited_ms", raw, sizeof raw);
        cr_expect_str_eq(raw, cases[i].ms, "%" PRId64 " ns", cases[i].ns);
        raw_field(&res, "boot_ms", raw, sizeof raw);
        cr_expect_str_eq(raw, cases[i].ms, "boot %" PRId64 " ns", cases[i].ns);
        free(mem);
    }
}

Test(json, backtrace_entries)
{
    static const char *const bt[] = { "a", NULL, "c\"d" };
    struct er_record r;
    memset(&r, 0, sizeof r);
    r.event = "hang";
    r.backtrace = bt;
    r.backtrace_len = 3;
    struct jv_result res;
    const char *line;
    char raw[128];
    char *mem = json_checked(&r, 512, &res, &line);
    raw_field(&res, "backtrace", raw, sizeof raw);
    cr_expect_str_eq(raw, "[\"a\",\"?\",\"c\\\"d\"]");
    free(mem);

    r.backtrace_len = 0;
    mem = json_checked(&r, 512, &res, &line);
    raw_field(&res, "backtrace", raw, sizeof raw);
    cr_expect_str_eq(raw, "[]");
    free(mem);
}

/* ---- JSON: escaping ------------------------------------------------------------------------------- */

/* Formats a record whose exe is s and returns the raw exe token in out. */
static void exe_token(const char *s, char *out, size_t cap)
{
    struct er_record r;
    memset(&r, 0, sizeof r);
    r.exe = s;
    struct jv_result res;
    const char *line;
    char *mem = json_checked(&r, ER_RECORD_MAX, &res, &line);
    raw_field(&res, "exe", out, cap);
    free(mem);
}

Test(json, escaping_of_quotes_backslashes_and_controls)
{
    static const struct { const char *in, *tok; } cases[] = {
        { "", "\"\"" },
        { "plain", "\"plain\"" },
        { "a\"b", "\"a\\\"b\"" },
        { "a\\b", "\"a\\\\b\"" },
        { "\"\\\"", "\"\\\"\\\\\\\"\"" },
        { "a\nb", "\"a\\u000ab\"" },
        { "\t\r\x01\x1f", "\"\\u0009\\u000d\\u0001\\u001f\"" },
        { "\x1b[31m", "\"\\u001b[31m\"" },
        { "\x7f", "\"\\u007f\"" },
        { "/path/with/slashes", "\"/path/with/slashes\"" },
        { "</script>", "\"</script>\"" },
    };
    char tok[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        exe_token(cases[i].in, tok, sizeof tok);
        cr_expect_str_eq(tok, cases[i].tok, "case %zu", i);
    }
}

Test(json, every_single_byte)
{
    char in[2] = { 0, 0 }, tok[64], want[64];
    for (int b = 1; b < 256; b++) {
        in[0] = (char)b;
        exe_token(in, tok, sizeof tok);
        jv_expected_token(in, strlen(in), want);
        cr_expect_str_eq(tok, want, "byte 0x%02x", b);
        if (b >= 0x80)
            cr_expect_eq(strncmp(tok, "\"\\u00", 5), 0, "byte 0x%02x alone is not UTF-8", b);
    }
}

/* Runs of plain bytes are measured a word at a time: every byte at every offset of a word and of
 * the bytes after the last whole word must still be seen. */
Test(json, every_single_byte_at_every_offset)
{
    char in[20], tok[128], want[128];
    int wrong = 0, first_byte = 0, first_offset = 0;
    for (int b = 1; b < 256; b++) {
        for (int at = 0; at < 19; at++) {
            memset(in, 'a', 19);
            in[19] = '\0';
            in[at] = (char)b;
            exe_token(in, tok, sizeof tok);
            jv_expected_token(in, strlen(in), want);
            if (strcmp(tok, want) != 0 && wrong++ == 0) {
                first_byte = b;
                first_offset = at;
            }
        }
    }
    cr_assert_eq(wrong, 0, "%d strings escaped wrongly, the first byte 0x%02x at offset %d", wrong,
                 first_byte, first_offset);
}

Test(json, valid_multibyte_utf8_passes_through)
{
    static const char *const valid[] = {
        "\xc2\x80",         /* U+0080 */
        "\xc3\xa9t\xc3\xa9", /* été */
        "\xdf\xbf",         /* U+07FF */
        "\xe0\xa0\x80",     /* U+0800 */
        "\xe2\x82\xac",     /* € */
        "\xed\x9f\xbf",     /* U+D7FF */
        "\xee\x80\x80",     /* U+E000 */
        "\xef\xbf\xbf",     /* U+FFFF */
        "\xf0\x90\x80\x80", /* U+10000 */
        "\xf0\x9d\x84\x9e", /* musical G clef */
        "\xf4\x8f\xbf\xbf", /* U+10FFFF */
        "/home/\xe7\x94\xa8\xe6\x88\xb7/bin/\xf0\x9f\x94\x91",
    };
    char tok[256], want[256];
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        exe_token(valid[i], tok, sizeof tok);
        snprintf(want, sizeof want, "\"%s\"", valid[i]);
        cr_expect_str_eq(tok, want, "valid UTF-8 #%zu must pass through unchanged", i);
    }
}

Test(json, invalid_utf8_becomes_u00xx)
{
    static const struct { const char *in, *tok; } cases[] = {
        { "\xff", "\"\\u00ff\"" },
        { "\x80", "\"\\u0080\"" },                                   /* lone continuation */
        { "\xc0\x80", "\"\\u00c0\\u0080\"" },                        /* overlong NUL */
        { "\xc1\xbf", "\"\\u00c1\\u00bf\"" },                        /* overlong */
        { "\xe0\x80\x80", "\"\\u00e0\\u0080\\u0080\"" },             /* overlong */
        { "\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"" },             /* surrogate */
        { "\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"" }, /* above U+10FFFF */
        { "\xf5\x80\x80\x80", "\"\\u00f5\\u0080\\u0080\\u0080\"" },
        { "\xf8\x88\x80\x80\x80", "\"\\u00f8\\u0088\\u0080\\u0080\\u0080\"" },
        { "\xc3\x41", "\"\\u00c3A\"" },                              /* bad continuation */
        { "a\xc3", "\"a\\u00c3\"" },                                 /* truncated at end */
        { "\xe2\x82", "\"\\u00e2\\u0082\"" },
        { "\xf0\x9d\x84", "\"\\u00f0\\u009d\\u0084\"" },
        { "\xe2\x82\xac\xe2\x82", "\"\xe2\x82\xac\\u00e2\\u0082\"" }, /* good then truncated */
    };
    char tok[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        exe_token(cases[i].in, tok, sizeof tok);
        cr_expect_str_eq(tok, cases[i].tok, "case %zu", i);
    }
}

/* ---- random records ------------------------------------------------------------------------------- */

struct rng {
    uint64_t seed, off;
};

static uint64_t rnd(struct rng *g)
{
    unsigned char b[8];
    er_weak_fill(g->seed, g->off, b, 8);
    g->off += 8;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | b[i];
    return v;
}

/* A string of up to maxlen bytes mixing ASCII, controls, quotes, valid and broken UTF-8. */
static char *rnd_string(struct rng *g, size_t maxlen)
{
    static const char *const pieces[] = {
        "a", "Z", "/", " ", "\"", "\\", "\n", "\x01", "\x1b", "\x7f", "\xc3\xa9", "\xe2\x82\xac",
        "\xf0\x9f\x94\x91", "\xff", "\x80", "\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80", "...",
    };
    size_t want = (size_t)(rnd(g) % (maxlen + 1));
    if (rnd(g) % 4 == 0)
        want = (size_t)(rnd(g) % 24); /* many short strings too */
    char *s = malloc(want + 8);
    cr_assert_not_null(s);
    size_t len = 0;
    while (len < want) {
        const char *p = pieces[rnd(g) % (sizeof pieces / sizeof pieces[0])];
        size_t k = strlen(p);
        if (len + k > want)
            break;
        memcpy(s + len, p, k);
        len += k;
    }
    s[len] = '\0';
    return s;
}

/* Strings short enough never to be shortened come out exactly as the reference escapes them. */
Test(json, random_short_strings_escape_exactly)
{
    struct rng g = { 4242, 0 };
    for (int it = 0; it < 3000; it++) {
        char *s = rnd_string(&g, 100);
        char tok[1024], want[1024];
        exe_token(s, tok, sizeof tok);
        jv_expected_token(s, strlen(s), want);
        cr_assert_str_eq(tok, want, "iteration %d", it);
        free(s);
    }
}

struct rnd_record {
    struct er_record r;
    char *strs[14];
    char *bt[40];
};

static const char *maybe(struct rng *g, char **slot, size_t maxlen)
{
    if (rnd(g) % 5 == 0) {
        *slot = NULL;
        return NULL;
    }
    *slot = rnd_string(g, maxlen);
    return *slot;
}

static void rnd_record_make(struct rnd_record *x, struct rng *g, size_t maxlen)
{
    memset(x, 0, sizeof *x);
    struct er_record *r = &x->r;
    r->event = maybe(g, &x->strs[0], maxlen);
    r->time_ns = (int64_t)rnd(g);
    r->pid = (long)rnd(g);
    r->tid = (long)rnd(g);
    r->exe = maybe(g, &x->strs[1], maxlen);
    r->api = maybe(g, &x->strs[2], maxlen);
    r->device = maybe(g, &x->strs[3], maxlen);
    r->has_bytes = rnd(g) & 1;
    r->bytes = rnd(g);
    r->flags = maybe(g, &x->strs[4], maxlen);
    r->policy = maybe(g, &x->strs[5], maxlen);
    r->pool = maybe(g, &x->strs[6], maxlen);
    r->kernel_pool = maybe(g, &x->strs[11], maxlen);
    r->has_boot = rnd(g) & 1;
    r->boot_ns = (int64_t)rnd(g);
    r->action = maybe(g, &x->strs[7], maxlen);
    r->has_waited = rnd(g) & 1;
    r->waited_ns = (int64_t)rnd(g);
    r->errno_name = maybe(g, &x->strs[8], maxlen);
    r->has_result = rnd(g) & 1;
    r->result = (int64_t)rnd(g);
    r->caller = maybe(g, &x->strs[9], maxlen);
    r->caller_symbol = maybe(g, &x->strs[10], maxlen);
    if (rnd(g) & 1) {
        size_t n = (size_t)(rnd(g) % 40);
        for (size_t i = 0; i < n; i++)
            x->bt[i] = rnd(g) % 10 == 0 ? NULL : rnd_string(g, maxlen);
        r->backtrace = (const char *const *)x->bt;
        r->backtrace_len = n;
    }
}

static void rnd_record_free(struct rnd_record *x)
{
    for (size_t i = 0; i < 14; i++)
        free(x->strs[i]);
    for (size_t i = 0; i < 40; i++)
        free(x->bt[i]);
}

/* Random records, short and long, at several caps: always one valid JSON line within the cap. */
Test(json, random_records_are_always_valid_lines, .timeout = 120)
{
    static const size_t caps[] = { 256, 257, 300, 512, 1024, 2048, 4096, 8192 };
    struct rng g = { 31337, 0 };
    for (int it = 0; it < 600; it++) {
        struct rnd_record x;
        rnd_record_make(&x, &g, it % 3 == 0 ? 6000 : 200);
        for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
            struct jv_result res;
            const char *line;
            char *mem = json_checked(&x.r, caps[c], &res, &line);
            free(mem);
            size_t n;
            mem = format_guarded(er_format_text, &x.r, caps[c], &n);
            free(mem);
        }
        rnd_record_free(&x);
    }
}

/* When everything fits, the strings come back exactly (valid UTF-8, controls included). */
Test(json, short_valid_strings_round_trip)
{
    static const char *const samples[] = {
        "plain", "with \"quotes\" and \\backslashes\\", "tab\tnew\nline\r", "\x01\x02\x1f\x7f",
        "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e", "", "{\"nested\":\"json\"}",
    };
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        struct er_record r = full_record();
        r.exe = r.api = r.device = r.flags = r.policy = r.pool = r.kernel_pool = r.action =
            r.errno_name = r.caller = r.caller_symbol = r.event = samples[i];
        struct jv_result res;
        const char *line;
        char *mem = json_checked(&r, ER_RECORD_MAX, &res, &line);
        static const char *const keys[] = { "event",  "exe",    "api",         "device",
                                            "flags",  "policy", "pool",        "kernel_pool",
                                            "action", "errno",  "caller",      "caller_symbol" };
        char out[256];
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            cr_assert_not_null(str_field(&res, keys[k], out, sizeof out), "%s missing", keys[k]);
            cr_expect_str_eq(out, samples[i], "sample %zu field %s", i, keys[k]);
        }
        free(mem);
    }
}

/* ---- JSON: shortening ------------------------------------------------------------------------------ */

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    cr_assert_not_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

Test(json, huge_string_is_shortened_within_the_cap)
{
    static const size_t caps[] = { 256, 1024, 4096 };
    char *huge = repeat('a', 100 * 1024);
    for (size_t c = 0; c < 3; c++) {
        struct er_record r = full_record();
        r.exe = huge;
        struct jv_result res;
        const char *line;
        char *mem = json_checked(&r, caps[c], &res, &line);
        char exe[8192];
        const char *got = str_field(&res, "exe", exe, sizeof exe);
        if (got != NULL) {
            size_t n = strlen(got);
            cr_expect(n > 3 && strcmp(got + n - 3, "...") == 0, "cap %zu: a shortened string "
                      "ends in '...': %s", caps[c], got);
            cr_expect_eq(strspn(got, "a"), n - 3, "cap %zu: the kept part is the start", caps[c]);
        }
        free(mem);
    }
    /* With the default cap there is room for the string shortened to 512 bytes. */
    struct er_record r = full_record();
    r.exe = huge;
    struct jv_result res;
    const char *line;
    char *mem = json_checked(&r, ER_RECORD_MAX, &res, &line);
    char exe[8192];
    cr_assert_not_null(str_field(&res, "exe", exe, sizeof exe));
    cr_expect_eq(strlen(exe), 512 + 3);
    free(mem);
    free(huge);
}

Test(json, huge_escaped_and_invalid_strings)
{
    static const size_t caps[] = { 256, 1024, 4096 };
    static const char fill[] = { '\x01', '"', '\xff', '\\' };
    for (size_t f = 0; f < sizeof fill; f++) {
        char *huge = repeat(fill[f], 100 * 1024);
        for (size_t c = 0; c < 3; c++) {
            struct er_record r = full_record();
            r.exe = r.caller = r.caller_symbol = huge;
            struct jv_result res;
            const char *line;
            char *mem = json_checked(&r, caps[c], &res, &line);
            free(mem);
        }
        free(huge);
    }
    /* A multibyte character cut by the shortening still gives valid JSON. */
    char *euros = malloc(3 * 40000 + 1);
    cr_assert_not_null(euros);
    for (size_t i = 0; i < 40000; i++)
        memcpy(euros + 3 * i, "\xe2\x82\xac", 3);
    euros[3 * 40000] = '\0';
    for (size_t c = 0; c < 3; c++) {
        struct er_record r = full_record();
        r.exe = euros;
        struct jv_result res;
        const char *line;
        char *mem = json_checked(&r, caps[c], &res, &line);
        free(mem);
    }
    free(euros);
}

Test(json, huge_backtraces)
{
    static const size_t caps[] = { 256, 1024, 4096 };
    enum { FRAMES = 5000 };
    const char **bt = malloc(FRAMES * sizeof *bt);
    cr_assert_not_null(bt);
    char *frame = repeat('f', 300);
    for (size_t i = 0; i < FRAMES; i++)
        bt[i] = frame;
    for (size_t c = 0; c < 3; c++) {
        struct er_record r = full_record();
        r.event = "hang";
        r.backtrace = bt;
        r.backtrace_len = FRAMES;
        struct jv_result res;
        const char *line;
        char *mem = json_checked(&r, caps[c], &res, &line);
        free(mem);
        size_t n;
        mem = format_guarded(er_format_text, &r, caps[c], &n);
        free(mem);
    }
    /* A few long frames: shortened, but the backtrace is kept at the default cap. */
    char *long_frame = repeat('g', 5000);
    const char *few[3] = { long_frame, long_frame, long_frame };
    struct er_record r = full_record();
    r.event = "hang";
    r.backtrace = few;
    r.backtrace_len = 3;
    struct jv_result res;
    const char *line;
    char *mem = json_checked(&r, ER_RECORD_MAX, &res, &line);
    cr_expect_not_null(jv_get(&res, "backtrace"), "three long frames fit once shortened: %s", line);
    free(mem);
    free(long_frame);
    free(frame);
    free(bt);
}

/* Every field at its longest, smallest cap: still a valid line (possibly the truncation marker). */
Test(json, everything_huge_at_the_smallest_cap)
{
    char *huge = repeat('\x1b', 50 * 1024);
    const char *bt[64];
    for (size_t i = 0; i < 64; i++)
        bt[i] = huge;
    struct er_record r = {
        .event = huge,       .time_ns = INT64_MIN,   .has_boot = true,    .boot_ns = INT64_MAX,
        .pid = LONG_MIN,     .tid = LONG_MIN,        .exe = huge,         .api = huge,
        .device = huge,      .has_bytes = true,      .bytes = UINT64_MAX, .flags = huge,
        .policy = huge,      .pool = huge,           .kernel_pool = huge, .action = huge,
        .has_waited = true,  .waited_ns = INT64_MAX, .errno_name = huge,  .has_result = true,
        .result = INT64_MIN, .caller = huge,         .caller_symbol = huge, .backtrace = bt,
        .backtrace_len = 64,
    };
    for (size_t cap = 256; cap <= 4096; cap += 97) {
        struct jv_result res;
        const char *line;
        char *mem = json_checked(&r, cap, &res, &line);
        free(mem);
        size_t n;
        mem = format_guarded(er_format_text, &r, cap, &n);
        free(mem);
    }
    free(huge);
}

/* The time is fixed-width and what a reader parses first: shortening must not cut it. */
Test(json, time_is_never_shortened)
{
    char *longs = repeat('a', 200);
    struct er_record r = full_record();
    r.exe = r.api = r.device = r.flags = r.policy = r.pool = r.kernel_pool = r.action =
        r.errno_name = r.caller = r.caller_symbol = longs;
    static const size_t caps[] = { 256, 512, 1024, 2048 };
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        struct jv_result res;
        const char *line;
        char *mem = json_checked(&r, caps[c], &res, &line);
        char t[64];
        if (str_field(&res, "time", t, sizeof t) != NULL)
            cr_expect_str_eq(t, "2000-02-29T00:00:00.123456Z", "cap %zu: %s", caps[c], line);
        free(mem);
    }
    free(longs);
}

/* ---- ISO 8601 ----------------------------------------------------------------------------------- */

static void iso(int64_t ns, char *out)
{
    unsigned char mem[32 + 2 * GUARD];
    memset(mem, 0xab, sizeof mem);
    er_format_iso8601(ns, (char *)mem + GUARD);
    for (size_t i = 0; i < GUARD; i++) {
        cr_assert_eq(mem[i], 0xab);
        cr_assert_eq(mem[GUARD + 32 + i], 0xab);
    }
    memcpy(out, mem + GUARD, 32);
    cr_assert_eq(strnlen(out, 32), 27, "ISO time is 27 characters: %.32s", out);
}

Test(iso8601, known_instants)
{
    static const struct { int64_t ns; const char *s; } cases[] = {
        { 0, "1970-01-01T00:00:00.000000Z" },
        { INT64_C(951782400123456789), "2000-02-29T00:00:00.123456Z" },
        { INT64_C(951868800000000000), "2000-03-01T00:00:00.000000Z" },
        { 999, "1970-01-01T00:00:00.000000Z" },
        { 1000, "1970-01-01T00:00:00.000001Z" },
        { -1, "1969-12-31T23:59:59.999999Z" },
        { -1000, "1969-12-31T23:59:59.999999Z" },
        { -1001, "1969-12-31T23:59:59.999998Z" },
        { INT64_C(-1000000000), "1969-12-31T23:59:59.000000Z" },
        { INT64_C(-86400000000000), "1969-12-31T00:00:00.000000Z" },
        { INT64_C(-2208988800000000000), "1900-01-01T00:00:00.000000Z" },
        { INT64_C(2147483647000000000), "2038-01-19T03:14:07.000000Z" },
        { INT64_C(2147483648000000000), "2038-01-19T03:14:08.000000Z" },
        { INT64_C(4107542400000000000), "2100-03-01T00:00:00.000000Z" },
        { INT64_C(4107542399999999999), "2100-02-28T23:59:59.999999Z" },
        { INT64_C(1795398845123456000), "2026-11-23T01:54:05.123456Z" },
        { INT64_MAX, "2262-04-11T23:47:16.854775Z" },
        { INT64_MIN, "1677-09-21T00:12:43.145224Z" },
    };
    char out[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        iso(cases[i].ns, out);
        cr_expect_str_eq(out, cases[i].s, "%" PRId64, cases[i].ns);
    }
}

/* Agrees with gmtime_r over the whole int64 range. */
Test(iso8601, agrees_with_gmtime)
{
    struct rng g = { 8, 0 };
    for (int i = 0; i < 20000; i++) {
        int64_t ns = (int64_t)rnd(&g);
        if (i % 2)
            ns /= (int64_t)(1 + rnd(&g) % 1000000); /* many instants near the epoch too */
        int64_t secs = ns / 1000000000, rem = ns % 1000000000;
        if (rem < 0) {
            rem += 1000000000;
            secs--;
        }
        time_t t = (time_t)secs;
        struct tm tm;
        cr_assert_not_null(gmtime_r(&t, &tm));
        char want[64], got[32];
        size_t k = strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(want + k, sizeof want - k, ".%06" PRId64 "Z", rem / 1000);
        iso(ns, got);
        cr_assert_str_eq(got, want, "%" PRId64, ns);
    }
}

/* ---- flags and errno ---------------------------------------------------------------------------- */

static void grnd(unsigned flags, char *out, size_t cap)
{
    er_format_grnd_flags(flags, out, cap);
}

Test(flags, grnd_flags)
{
    static const struct { unsigned f; const char *s; } cases[] = {
        { 0, "0" },
        { 1, "GRND_NONBLOCK" },
        { 2, "GRND_RANDOM" },
        { 4, "GRND_INSECURE" },
        { 1 | 2, "GRND_NONBLOCK|GRND_RANDOM" },
        { 4 | 1, "GRND_NONBLOCK|GRND_INSECURE" },
        { 4 | 2, "GRND_RANDOM|GRND_INSECURE" },
        { 7, "GRND_NONBLOCK|GRND_RANDOM|GRND_INSECURE" },
        { 8, "0x8" },
        { 1 | 8, "GRND_NONBLOCK|0x8" },
        { 0x10, "0x10" },
        { 0xabc0, "0xabc0" },
        { 0x80000000u, "0x80000000" },
        { 0xffffffffu, "GRND_NONBLOCK|GRND_RANDOM|GRND_INSECURE|0xfffffff8" },
    };
    char out[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(out, 'x', sizeof out);
        grnd(cases[i].f, out, sizeof out);
        cr_expect_str_eq(out, cases[i].s, "flags %#x", cases[i].f);
    }
}

/* Any cap: NUL-terminated, a prefix of the full text, nothing written past cap. */
Test(flags, small_caps_never_overflow)
{
    char full[128];
    grnd(0xffffffffu, full, sizeof full);
    for (size_t cap = 1; cap <= 48; cap++) {
        unsigned char mem[48 + 2 * GUARD];
        memset(mem, 0xee, sizeof mem);
        char *out = (char *)mem + GUARD;
        er_format_grnd_flags(0xffffffffu, out, cap);
        for (size_t i = 0; i < GUARD; i++)
            cr_assert_eq(mem[GUARD + cap + i], 0xee, "cap %zu: wrote byte %zu past the cap", cap, i);
        size_t n = strnlen(out, cap);
        cr_assert_lt(n, cap, "cap %zu: not terminated", cap);
        cr_expect_eq(strncmp(out, full, n), 0, "cap %zu: not a prefix", cap);
    }
    for (size_t cap = 1; cap <= 48; cap++) {
        unsigned char mem[48 + 2 * GUARD];
        memset(mem, 0xee, sizeof mem);
        char *out = (char *)mem + GUARD;
        er_format_open_flags(O_RDWR | O_NONBLOCK | O_CLOEXEC | O_CREAT, out, cap);
        for (size_t i = 0; i < GUARD; i++)
            cr_assert_eq(mem[GUARD + cap + i], 0xee, "open flags cap %zu: wrote past the cap", cap);
        cr_assert_lt(strnlen(out, cap), cap, "open flags cap %zu: not terminated", cap);
    }
}

/* Splits "A|B|C" into tokens; returns how many. */
static size_t tokens(const char *s, char tok[][32], size_t max)
{
    size_t n = 0;
    while (*s && n < max) {
        size_t k = strcspn(s, "|");
        cr_assert_lt(k, 32);
        memcpy(tok[n], s, k);
        tok[n][k] = '\0';
        n++;
        s += k;
        if (*s == '|')
            s++;
    }
    return n;
}

static bool has_token(const char *s, const char *want)
{
    char tok[16][32];
    size_t n = tokens(s, tok, 16);
    for (size_t i = 0; i < n; i++)
        if (strcmp(tok[i], want) == 0)
            return true;
    return false;
}

Test(flags, open_flags)
{
    static const struct { int f; const char *s; } cases[] = {
        { O_RDONLY, "O_RDONLY" },
        { O_WRONLY, "O_WRONLY" },
        { O_RDWR, "O_RDWR" },
        { O_RDONLY | O_CLOEXEC, "O_RDONLY|O_CLOEXEC" },
        { O_RDONLY | O_NONBLOCK, "O_RDONLY|O_NONBLOCK" },
        { O_RDONLY | O_NONBLOCK | O_CLOEXEC, "O_RDONLY|O_NONBLOCK|O_CLOEXEC" },
        { O_RDONLY | O_NOCTTY, "O_RDONLY|O_NOCTTY" },
        { O_RDONLY | O_NOFOLLOW, "O_RDONLY|O_NOFOLLOW" },
        { O_RDONLY | O_DIRECT, "O_RDONLY|O_DIRECT" },
        { O_RDONLY | O_DIRECTORY, "O_RDONLY|O_DIRECTORY" },
        { O_RDONLY | O_DIRECTORY | O_NOFOLLOW, "O_RDONLY|O_DIRECTORY|O_NOFOLLOW" },
        { O_RDONLY | O_NOATIME, "O_RDONLY|O_NOATIME" },
        { O_PATH | O_CLOEXEC, "O_RDONLY|O_CLOEXEC|O_PATH" },
        { O_RDWR | O_TMPFILE, "O_RDWR|O_TMPFILE" },
        { O_RDONLY | 0x40000000, "O_RDONLY|0x40000000" },
    };
    char out[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        er_format_open_flags(cases[i].f, out, sizeof out);
        cr_expect_str_eq(out, cases[i].s, "flags %#o", (unsigned)cases[i].f);
    }
    er_format_open_flags(O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_EXCL, out, sizeof out);
    cr_expect(out[0] == 'O' && strncmp(out, "O_WRONLY", 8) == 0, "%s", out);
    static const char *const want[] = { "O_WRONLY", "O_CREAT", "O_TRUNC", "O_APPEND", "O_EXCL" };
    char tok[16][32];
    cr_expect_eq(tokens(out, tok, 16), 5, "%s", out);
    for (size_t i = 0; i < 5; i++)
        cr_expect(has_token(out, want[i]), "%s lacks %s", out, want[i]);
}

/* The kernel's values of the flags whose numbers differ between architectures (arch/x86 and
 * arch/arm64's uapi fcntl.h), so that a table taken from the wrong one fails here, and the bit
 * the kernel reports as O_LARGEFILE on every descriptor, which is left out. */
#if defined(__x86_64__)
#define KERNEL_O_DIRECT 040000
#define KERNEL_O_DIRECTORY 0200000
#define KERNEL_O_NOFOLLOW 0400000
#define KERNEL_O_LARGEFILE 0100000
#elif defined(__aarch64__)
#define KERNEL_O_DIRECT 0200000
#define KERNEL_O_DIRECTORY 040000
#define KERNEL_O_NOFOLLOW 0100000
#define KERNEL_O_LARGEFILE 0400000
#endif

#ifdef KERNEL_O_LARGEFILE
Test(flags, open_flags_by_this_architectures_kernel_values)
{
    char out[128];
    er_format_open_flags(O_RDONLY | KERNEL_O_DIRECT, out, sizeof out);
    cr_expect_str_eq(out, "O_RDONLY|O_DIRECT", "%#o", KERNEL_O_DIRECT);
    er_format_open_flags(O_RDONLY | KERNEL_O_DIRECTORY, out, sizeof out);
    cr_expect_str_eq(out, "O_RDONLY|O_DIRECTORY", "%#o", KERNEL_O_DIRECTORY);
    er_format_open_flags(O_RDONLY | KERNEL_O_NOFOLLOW, out, sizeof out);
    cr_expect_str_eq(out, "O_RDONLY|O_NOFOLLOW", "%#o", KERNEL_O_NOFOLLOW);
}

Test(flags, open_flags_omit_kernel_largefile)
{
    char out[128];
    er_format_open_flags(O_RDONLY | KERNEL_O_LARGEFILE, out, sizeof out);
    cr_expect_str_eq(out, "O_RDONLY");
    er_format_open_flags(O_RDONLY | O_CLOEXEC | KERNEL_O_LARGEFILE, out, sizeof out);
    cr_expect_str_eq(out, "O_RDONLY|O_CLOEXEC");
    er_format_open_flags(O_RDONLY | O_NONBLOCK | KERNEL_O_LARGEFILE, out, sizeof out);
    cr_expect_str_eq(out, "O_RDONLY|O_NONBLOCK");
}
#endif

/* O_SYNC is two bits (__O_SYNC | O_DSYNC); O_DSYNC alone is not O_SYNC. */
Test(flags, open_flags_dsync_is_not_sync)
{
    char out[128];
    er_format_open_flags(O_WRONLY | O_SYNC, out, sizeof out);
    cr_expect_str_eq(out, "O_WRONLY|O_SYNC");
    er_format_open_flags(O_WRONLY | O_DSYNC, out, sizeof out);
    cr_expect_not(has_token(out, "O_SYNC"), "O_WRONLY|O_DSYNC shown as %s", out);
}

Test(errno_names, names)
{
    cr_expect_str_eq(er_errno_name(EAGAIN), "EAGAIN");
    cr_expect_str_eq(er_errno_name(EINVAL), "EINVAL");
    cr_expect_str_eq(er_errno_name(EINTR), "EINTR");
    cr_expect_str_eq(er_errno_name(EIO), "EIO");
    cr_expect_str_eq(er_errno_name(ENOSYS), "ENOSYS");
    cr_expect_str_eq(er_errno_name(EFAULT), "EFAULT");
    static const int odd[] = { 0, -1, 4096, 100000, INT_MAX, INT_MIN };
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        const char *n = er_errno_name(odd[i]);
        cr_expect_not_null(n, "errno %d", odd[i]);
        if (n != NULL)
            cr_expect_gt(strlen(n), 0);
    }
}

/* ---- readable lines ----------------------------------------------------------------------------- */

static struct er_record text_record(const char *action)
{
    struct er_record r;
    memset(&r, 0, sizeof r);
    r.event = "request";
    r.exe = "/usr/bin/python3";
    r.pid = 42;
    r.tid = 42;
    r.api = "getrandom";
    r.has_bytes = true;
    r.bytes = 24;
    r.flags = "0";
    r.policy = "block";
    r.pool = "uninitialized";
    r.action = action;
    return r;
}

static void expect_text(const struct er_record *r, const char *want)
{
    size_t n;
    char *mem = format_guarded(er_format_text, r, ER_RECORD_MAX, &n);
    cr_expect_str_eq(mem + GUARD, want);
    free(mem);
}

Test(text, each_action)
{
    struct er_record r = text_record("pass");
    r.pool = "initialized";
    expect_text(&r, "earlyrandom: python3[42] getrandom(24 bytes, 0) pool initialized, block: "
                    "passed to the kernel\n");

    r = text_record("block");
    r.has_waited = true;
    r.waited_ns = INT64_C(2000312000);
    expect_text(&r, "earlyrandom: python3[42] getrandom(24 bytes, 0) pool uninitialized, block: "
                    "waited 2000.312 ms for init\n");

    r = text_record("weak");
    r.policy = "fallback";
    expect_text(&r, "earlyrandom: python3[42] getrandom(24 bytes, 0) pool uninitialized, "
                    "fallback: weak bytes at once\n");

    r = text_record("eagain");
    r.flags = "GRND_NONBLOCK";
    r.errno_name = "EAGAIN";
    expect_text(&r, "earlyrandom: python3[42] getrandom(24 bytes, GRND_NONBLOCK) pool "
                    "uninitialized, block: failed at once with EAGAIN\n");

    r = text_record("einval");
    r.flags = "GRND_RANDOM|GRND_INSECURE";
    r.errno_name = "EINVAL";
    expect_text(&r, "earlyrandom: python3[42] getrandom(24 bytes, GRND_RANDOM|GRND_INSECURE) pool "
                    "uninitialized, block: invalid flags, EINVAL\n");

    r = text_record("interrupted");
    r.has_waited = true;
    r.waited_ns = 1500000;
    r.errno_name = "EINTR";
    expect_text(&r, "earlyrandom: python3[42] getrandom(24 bytes, 0) pool uninitialized, block: "
                    "interrupted by a signal after 1.500 ms (EINTR)\n");

    r = text_record("abort");
    r.exe = "/usr/bin/ssh-keygen";
    r.pid = 7;
    r.api = "arc4random";
    r.has_bytes = false;
    r.flags = NULL;
    r.policy = "eagain";
    expect_text(&r, "earlyrandom: ssh-keygen[7] arc4random() pool uninitialized, eagain: "
                    "no entropy: aborting as glibc does\n");
}

Test(text, device_reads_and_callers)
{
    struct er_record r = text_record("block");
    r.api = "read";
    r.device = "/dev/random";
    r.bytes = 16;
    r.flags = "O_RDONLY";
    r.has_waited = true;
    r.waited_ns = 0;
    r.caller = "/usr/lib/jvm/libjava.so";
    r.caller_symbol = "readBytes";
    expect_text(&r, "earlyrandom: python3[42] read(/dev/random, 16 bytes, O_RDONLY) pool "
                    "uninitialized, block: waited 0.000 ms for init; called from "
                    "/usr/lib/jvm/libjava.so readBytes\n");

    r = text_record("weak");
    r.api = "read";
    r.device = "/dev/urandom";
    r.has_bytes = false;
    r.flags = NULL;
    r.caller = "/lib/libc.so.6";
    expect_text(&r, "earlyrandom: python3[42] read(/dev/urandom) pool uninitialized, block: "
                    "weak bytes at once; called from /lib/libc.so.6\n");

    r = text_record("weak");
    r.has_bytes = false;
    expect_text(&r, "earlyrandom: python3[42] getrandom(0) pool uninitialized, block: weak bytes "
                    "at once\n");
}

Test(text, hang_with_backtrace)
{
    static const char *const bt[] = { "libc.so.6(getrandom+0x20)", NULL, "python3(main+0x10)" };
    struct er_record r = text_record("block");
    r.event = "hang";
    r.bytes = 32;
    r.has_waited = true;
    r.waited_ns = INT64_C(10000000000);
    r.caller = "/usr/bin/python3";
    r.caller_symbol = "_PyOS_URandom";
    r.backtrace = bt;
    r.backtrace_len = 3;
    r.errno_name = "EINTR"; /* not shown for a hang */
    expect_text(&r, "earlyrandom: HANG python3[42] getrandom(32 bytes, 0) pool uninitialized, "
                    "block: still waiting after 10000.000 ms; called from /usr/bin/python3 "
                    "_PyOS_URandom\n"
                    "    #0 libc.so.6(getrandom+0x20)\n"
                    "    #1 ?\n"
                    "    #2 python3(main+0x10)\n");
}

Test(text, unknown_and_missing_fields)
{
    struct er_record r;
    memset(&r, 0, sizeof r);
    expect_text(&r, "earlyrandom: ?[0] ?() pool ?, ?: ?\n");
    r = text_record("something-new");
    r.errno_name = "EIO";
    expect_text(&r, "earlyrandom: python3[42] getrandom(24 bytes, 0) pool uninitialized, block: "
                    "something-new (EIO)\n");
    r = text_record("pass");
    r.exe = "noslash";
    r.pid = -3;
    expect_text(&r, "earlyrandom: noslash[-3] getrandom(24 bytes, 0) pool uninitialized, block: "
                    "passed to the kernel\n");
}

Test(text, huge_fields_stay_within_cap)
{
    static const size_t caps[] = { 256, 1024, 4096 };
    char *huge = repeat('x', 100 * 1024);
    for (size_t c = 0; c < 3; c++) {
        struct er_record r = text_record("block");
        r.exe = r.api = r.caller = r.caller_symbol = huge;
        size_t n;
        char *mem = format_guarded(er_format_text, &r, caps[c], &n);
        cr_expect_eq(n, caps[c] - 1, "a full line uses the whole cap");
        cr_expect_eq(strncmp(mem + GUARD, "earlyrandom: ", 13), 0);
        free(mem);
    }
    free(huge);
}

/* ---- kernel messages ------------------------------------------------------------------------ */

static struct er_record kernel_record(const char *message)
{
    struct er_record r;
    memset(&r, 0, sizeof r);
    r.event = "kernel";
    r.time_ns = INT64_C(951782400123456000);
    r.has_boot = true;
    r.boot_ns = INT64_C(2500000000);
    r.pid = 42;
    r.tid = 42;
    r.exe = "/usr/bin/python3.11";
    r.message = message;
    return r;
}

Test(json, kernel_event_carries_the_message)
{
    struct er_record r = kernel_record("random: python3: uninitialized urandom read (24 bytes read)");
    struct jv_result res;
    const char *line;
    char *mem = json_checked(&r, ER_RECORD_MAX, &res, &line);
    cr_expect_str_eq(line, "{\"time\":\"2000-02-29T00:00:00.123456Z\",\"boot_ms\":2500.000,"
                           "\"event\":\"kernel\",\"pid\":42,\"tid\":42,\"exe\":\"/usr/bin/python3.11\","
                           "\"message\":\"random: python3: uninitialized urandom read (24 bytes "
                           "read)\"}\n");
    free(mem);
    /* a task name is the program's to choose: quotes and controls stay valid JSON */
    r = kernel_record("random: a\"b\\c\x1b: uninitialized urandom read (1 bytes read)");
    mem = json_checked(&r, ER_RECORD_MAX, &res, &line);
    cr_expect_not_null(jv_get(&res, "message"), "%s", line);
    free(mem);
}

Test(text, kernel_event_reads_like_dmesg)
{
    struct er_record r = kernel_record("random: crng init done");
    expect_text(&r, "earlyrandom: kernel: random: crng init done\n");
    r = kernel_record("random: evil\x1b[31m: uninitialized urandom read (8 bytes read)");
    expect_text(&r, "earlyrandom: kernel: random: evil\\x1b[31m: uninitialized urandom read (8 "
                    "bytes read)\n");
}

Test(text, older_kernels_actions)
{
    struct er_record r = text_record("enosys");
    r.errno_name = "ENOSYS";
    expect_text(&r, "earlyrandom: python3[42] getrandom(24 bytes, 0) pool uninitialized, block: "
                    "no getrandom in this kernel, ENOSYS\n");
    r = text_record("draw");
    r.pool = "initialized";
    r.has_waited = true;
    r.waited_ns = INT64_C(1000500000);
    expect_text(&r, "earlyrandom: python3[42] getrandom(24 bytes, 0) pool initialized, block: "
                    "waited 1000.500 ms for the blocking pool\n");
}
