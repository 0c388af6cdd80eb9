/* libFuzzer harness for the log records: a record built from the input is formatted as JSON and
 * as a readable line at several caps; every JSON line must be valid JSON (strict validator in
 * tests/unit/jsonv.c) ending in exactly one '\n', and no output may reach its cap. Built by
 * tests/fuzz/run-fuzz, not by make.
 *
 * Input: a 40-byte header (zero-padded when shorter), then NUL-separated strings for event, exe,
 * api, device, flags, policy, pool, action, errno, caller, caller_symbol, kernel_pool, then
 * backtrace frames.
 * A string that is exactly "\x01" stands for NULL; missing strings are NULL. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonv.h"
#include "logrec.h"

#define CHECK(cond)                                                                              \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);             \
            abort();                                                                             \
        }                                                                                        \
    } while (0)

#define HEADER 40
#define NSTR 12
#define MAXFRAMES 256

static const char *const key_order[] = {
    "time",   "boot_ms", "event",  "pid",         "tid",       "exe",    "api",
    "device", "bytes",   "flags",  "policy",      "pool",      "kernel_pool", "action",
    "waited_ms", "errno", "result", "caller",     "caller_symbol", "backtrace",
};

static uint64_t get64(const uint8_t *h)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | h[i];
    return v;
}

/* Keys appear in the documented order, each at most once (the validator rejects duplicates). */
static void check_keys(const struct jv_result *res)
{
    size_t k = 0;
    for (size_t m = 0; m < res->nmembers; m++) {
        while (k < sizeof key_order / sizeof key_order[0] &&
               strcmp(key_order[k], res->members[m].key) != 0)
            k++;
        if (k == sizeof key_order / sizeof key_order[0]) {
            /* Only the last-resort marker may carry anything else. */
            CHECK(res->nmembers == 1 && strcmp(res->members[0].key, "event") == 0);
            return;
        }
    }
}

static void check_json(const struct er_record *r, size_t cap, bool expect_exact)
{
    char *buf = malloc(cap);
    CHECK(buf != NULL);
    size_t n = er_format_json(r, buf, cap);
    CHECK(n < cap);
    CHECK(buf[n] == '\0');
    CHECK(strlen(buf) == n);
    struct jv_result res;
    if (!jv_check_line(buf, n, &res)) {
        fprintf(stderr, "cap %zu: invalid JSON line (%s at %zu): %s\n", cap, res.why, res.err_at,
                buf);
        abort();
    }
    check_keys(&res);
    if (expect_exact) {
        /* Short strings and plenty of room: every string comes out exactly escaped. */
        const struct { const char *key, *value; } fields[] = {
            { "event", r->event },   { "exe", r->exe },       { "api", r->api },
            { "device", r->device }, { "flags", r->flags },   { "policy", r->policy },
            { "pool", r->pool },     { "action", r->action }, { "errno", r->errno_name },
            { "caller", r->caller }, { "caller_symbol", r->caller_symbol },
            { "kernel_pool", r->kernel_pool },
        };
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
            const struct jv_member *m = jv_get(&res, fields[i].key);
            if (fields[i].value == NULL) {
                CHECK(m == NULL);
                continue;
            }
            CHECK(m != NULL);
            char want[6 * 16 + 3 + 1];
            size_t k = jv_expected_token(fields[i].value, strlen(fields[i].value), want);
            if (m->vlen != k || memcmp(m->val, want, k) != 0) {
                fprintf(stderr, "%s: got %.*s, expected %s\n", fields[i].key, (int)m->vlen, m->val,
                        want);
                abort();
            }
        }
    }
    free(buf);
}

static void check_text(const struct er_record *r, size_t cap)
{
    char *buf = malloc(cap);
    CHECK(buf != NULL);
    size_t n = er_format_text(r, buf, cap);
    CHECK(n > 0 && n < cap);
    CHECK(buf[n] == '\0');
    CHECK(buf[n - 1] == '\n');
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t h[HEADER] = { 0 };
    memcpy(h, data, size < HEADER ? size : HEADER);
    size_t rest = size > HEADER ? size - HEADER : 0;
    char *copy = malloc(rest + 1);
    CHECK(copy != NULL);
    memcpy(copy, data + (size - rest), rest);
    copy[rest] = '\0';

    const char *strs[NSTR] = { NULL };
    static const char *frames[MAXFRAMES];
    size_t nframes = 0, pos = 0;
    bool short_strings = true;
    for (size_t i = 0; rest > 0 && pos <= rest; i++) {
        const char *s = copy + pos;
        pos += strlen(s) + 1;
        if (strcmp(s, "\x01") == 0)
            s = NULL;
        if (s != NULL && strlen(s) > 16)
            short_strings = false;
        if (i < NSTR)
            strs[i] = s;
        else if (nframes < MAXFRAMES)
            frames[nframes++] = s;
        else
            break;
    }

    struct er_record r;
    memset(&r, 0, sizeof r);
    switch (h[0] & 3) {
    case 0: r.event = NULL; break;
    case 1: r.event = "request"; break;
    case 2: r.event = "hang"; break;
    case 3: r.event = strs[0]; break;
    }
    r.time_ns = (int64_t)get64(h + 8);
    r.waited_ns = (int64_t)get64(h + 16);
    r.result = (int64_t)get64(h + 24);
    r.bytes = get64(h + 32);
    r.pid = (long)(int32_t)get64(h + 24);
    r.tid = (long)get64(h + 16);
    r.has_bytes = h[0] & 4;
    r.has_waited = h[0] & 8;
    r.has_result = h[0] & 16;
    r.exe = strs[1];
    r.api = strs[2];
    r.device = strs[3];
    r.flags = strs[4];
    r.policy = strs[5];
    r.pool = strs[6];
    r.action = strs[7];
    r.errno_name = strs[8];
    r.caller = strs[9];
    r.caller_symbol = strs[10];
    r.kernel_pool = strs[11];
    r.has_boot = h[0] & 64;
    r.boot_ns = (int64_t)get64(h + 32);
    if (h[0] & 32) {
        r.backtrace = frames;
        r.backtrace_len = nframes;
    }

    size_t cap = 256 + ((size_t)h[1] << 8 | h[2]) % (8192 - 256);
    check_json(&r, 256, false);
    check_json(&r, cap, false);
    check_json(&r, ER_RECORD_MAX, short_strings && r.backtrace == NULL);
    check_text(&r, 256);
    check_text(&r, cap);
    check_text(&r, ER_RECORD_MAX);

    char iso[32];
    er_format_iso8601(r.time_ns, iso);
    CHECK(strlen(iso) == 27 && iso[4] == '-' && iso[10] == 'T' && iso[26] == 'Z');

    size_t fcap = 2 + h[3] % 62;
    char *out = malloc(fcap);
    CHECK(out != NULL);
    er_format_grnd_flags((unsigned)get64(h + 8), out, fcap);
    CHECK(memchr(out, '\0', fcap) != NULL);
    er_format_open_flags((int)get64(h + 16), out, fcap);
    CHECK(memchr(out, '\0', fcap) != NULL);
    free(out);

    free(copy);
    return 0;
}
