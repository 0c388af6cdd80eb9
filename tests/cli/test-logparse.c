/* Reading log records back: every field of er_format_json, unknown fields, and broken lines. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "logparse.h"
#include "logrec.h"

static enum er_parse_status parse(const char *text, struct er_parsed *out, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", text);
    return er_parse_record(buf, out);
}

Test(logparse, round_trip_through_the_library_formatter)
{
    const char *frames[] = { "/usr/bin/python3(+0x10)", "libc.so.6(\"quoted\"\\)" };
    struct er_record r = {
        .event = "hang", .time_ns = INT64_C(1795398845123456000), .pid = 1234, .tid = 1235,
        .exe = "/usr/bin/pyth\xc3\xb6n", .api = "getrandom", .device = "/dev/random",
        .has_bytes = true, .bytes = 16, .flags = "GRND_RANDOM", .policy = "block",
        .pool = "uninitialized", .action = "block", .has_waited = true, .waited_ns = 10000123000,
        .errno_name = "EINTR", .has_result = true, .result = -1, .caller = "/lib/x\ty.so",
        .caller_symbol = "RAND_bytes", .backtrace = frames, .backtrace_len = 2,
    };
    char line[ER_RECORD_MAX];
    er_format_json(&r, line, sizeof line);
    line[strcspn(line, "\n")] = '\0';

    struct er_parsed p;
    cr_assert_eq(er_parse_record(line, &p), ER_PARSE_OK);
    cr_assert(p.has_time);
    cr_assert_eq(p.rec.time_ns, r.time_ns);
    cr_assert_str_eq(p.rec.event, "hang");
    cr_assert_eq(p.rec.pid, 1234);
    cr_assert_eq(p.rec.tid, 1235);
    cr_assert_str_eq(p.rec.exe, r.exe);
    cr_assert_str_eq(p.rec.api, "getrandom");
    cr_assert_str_eq(p.rec.device, "/dev/random");
    cr_assert(p.rec.has_bytes);
    cr_assert_eq(p.rec.bytes, 16);
    cr_assert_str_eq(p.rec.flags, "GRND_RANDOM");
    cr_assert_str_eq(p.rec.policy, "block");
    cr_assert_str_eq(p.rec.pool, "uninitialized");
    cr_assert_str_eq(p.rec.action, "block");
    cr_assert(p.rec.has_waited);
    cr_assert_eq(p.rec.waited_ns, 10000123000, "ms with 3 decimals: microseconds survive");
    cr_assert_str_eq(p.rec.errno_name, "EINTR");
    cr_assert(p.rec.has_result);
    cr_assert_eq(p.rec.result, -1);
    cr_assert_str_eq(p.rec.caller, "/lib/x\ty.so");
    cr_assert_str_eq(p.rec.caller_symbol, "RAND_bytes");
    cr_assert_eq(p.rec.backtrace_len, 2);
    cr_assert_str_eq(p.rec.backtrace[0], frames[0]);
    cr_assert_str_eq(p.rec.backtrace[1], frames[1]);
}

Test(logparse, optional_fields_absent)
{
    char buf[512];
    struct er_parsed p;
    cr_assert_eq(parse("{\"event\":\"request\",\"pid\":1,\"tid\":1}", &p, buf, sizeof buf),
                 ER_PARSE_OK);
    cr_assert(!p.has_time && !p.rec.has_bytes && !p.rec.has_waited && !p.rec.has_result);
    cr_assert_null(p.rec.exe);
    cr_assert_null(p.rec.backtrace);
}

Test(logparse, unknown_fields_of_every_type_are_skipped)
{
    char buf[512];
    struct er_parsed p;
    cr_assert_eq(parse(" { \"new\" : {\"a\":[1,-2.5e3,true,false,null,\"s\\u00e9\"]}, \"event\" : "
                       "\"request\", \"n\":0.5 , \"api\":\"getentropy\",\"z\":[]} \r",
                       &p, buf, sizeof buf),
                 ER_PARSE_OK);
    cr_assert_str_eq(p.rec.event, "request");
    cr_assert_str_eq(p.rec.api, "getentropy");
    cr_assert_eq(parse("{\"event\":\"request\",\"exe\":null}", &p, buf, sizeof buf), ER_PARSE_OK);
    cr_assert_null(p.rec.exe, "null counts as absent");
}

Test(logparse, escapes)
{
    char buf[512];
    struct er_parsed p;
    cr_assert_eq(parse("{\"event\":\"request\",\"exe\":\"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\\u0000\"}",
                       &p, buf, sizeof buf),
                 ER_PARSE_OK);
    cr_assert_str_eq(p.rec.exe, "a\"b\\c/d\n\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbd");
}

Test(logparse, blank_lines)
{
    char buf[64];
    struct er_parsed p;
    cr_assert_eq(parse("", &p, buf, sizeof buf), ER_PARSE_BLANK);
    cr_assert_eq(parse("  \t\r", &p, buf, sizeof buf), ER_PARSE_BLANK);
}

Test(logparse, malformed_lines)
{
    static const char *const bad[] = {
        "garbage",
        "[1,2]",
        "{",
        "{\"event\":\"request\"",                          /* truncated */
        "{\"event\":\"requ",                               /* truncated in a string */
        "{\"event\":\"request\"} trailing",
        "{\"event\":\"request\",}",
        "{\"pid\":1}",                                     /* no event */
        "{\"event\":\"request\",\"pid\":\"seven\"}",       /* wrong type */
        "{\"event\":\"request\",\"pid\":1.5}",
        "{\"event\":\"request\",\"bytes\":-1}",
        "{\"event\":\"request\",\"bytes\":18446744073709551616}",
        "{\"event\":\"request\",\"waited_ms\":-3}",
        "{\"event\":\"request\",\"time\":\"yesterday\"}",
        "{\"event\":\"request\",\"backtrace\":[1]}",
        "{\"event\":\"request\",\"exe\":\"a\\qb\"}",
        "{\"event\":\"request\",\"exe\":\"a\\u12\"}",
        "{\"event\":\"request\",\"x\":tru}",
        "{\"event\":\"request\",\"x\":01}",
        "{\"event\":\"request\",\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
        "{\"event\":5}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char buf[512];
        struct er_parsed p;
        cr_expect_eq(parse(bad[i], &p, buf, sizeof buf), ER_PARSE_MALFORMED, "accepted: %s", bad[i]);
    }
}

Test(logparse, numbers)
{
    char buf[256];
    struct er_parsed p;
    cr_assert_eq(parse("{\"event\":\"request\",\"result\":-9223372036854775808,\"bytes\":"
                       "18446744073709551615,\"waited_ms\":2,\"pid\":0}",
                       &p, buf, sizeof buf),
                 ER_PARSE_OK);
    cr_assert_eq(p.rec.result, INT64_MIN);
    cr_assert_eq(p.rec.bytes, UINT64_MAX);
    cr_assert_eq(p.rec.waited_ns, 2000000);
    cr_assert_eq(parse("{\"event\":\"request\",\"waited_ms\":1.5e3}", &p, buf, sizeof buf),
                 ER_PARSE_OK);
    cr_assert_eq(p.rec.waited_ns, INT64_C(1500000000));
}

Test(logparse, iso8601)
{
    int64_t ns;
    cr_assert(er_parse_iso8601("1970-01-01T00:00:00Z", &ns));
    cr_assert_eq(ns, 0);
    cr_assert(er_parse_iso8601("2026-11-23T01:54:05.123456Z", &ns));
    char back[32];
    er_format_iso8601(ns, back);
    cr_assert_str_eq(back, "2026-11-23T01:54:05.123456Z");
    cr_assert(er_parse_iso8601("2000-02-29T23:59:59.999999999Z", &ns));
    cr_assert_eq(ns % 1000000000, 999999999);
    cr_assert(!er_parse_iso8601("2026-11-23T01:54:05.1234567890Z", &ns));
    cr_assert(!er_parse_iso8601("2026-11-23 01:54:05Z", &ns));
    cr_assert(!er_parse_iso8601("2026-13-23T01:54:05Z", &ns));
    cr_assert(!er_parse_iso8601("2026-11-23T01:54:05", &ns));
    cr_assert(!er_parse_iso8601("2026-11-23T01:54:05.Z", &ns));
}
