/* er_parse_duration: "0", "250ms", "1.5s", "2m", a bare number of seconds; nothing else. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"

#define S INT64_C(1000000000)
#define MS INT64_C(1000000)
#define US INT64_C(1000)
#define SENTINEL INT64_C(0x5a5a5a5a5a5a5a5a)

struct good {
    const char *text;
    int64_t ns;
};

static const struct good goods[] = {
    { "0", 0 },
    { "0s", 0 },
    { "0ms", 0 },
    { "0ns", 0 },
    { "0.0", 0 },
    { "250ms", 250 * MS },
    { "1.5s", 1500 * MS },
    { "2m", 120 * S },
    { "1h", 3600 * S },
    { "10", 10 * S },          /* a bare number is seconds */
    { "1.5", 1500 * MS },      /* a bare fraction too */
    { "1ns", 1 },
    { "1us", 1000 },
    { "1ms", MS },
    { "1s", S },
    { "0.5ms", 500 * US },
    { "0.5us", 500 },
    { "1.001ms", 1001 * US },
    { "1.25m", 75 * S },
    { "2.5h", 9000 * S },
    { "0.000000001s", 1 },
    { "0.000001ms", 1 },
    { "007s", 7 * S },
    { "10s", 10 * S },
    { "500ms", 500 * MS },
    { "86400", 86400 * S },
    { "3153600000", ER_DURATION_MAX_NS }, /* 100 years in seconds: the maximum */
    { "3153600000s", ER_DURATION_MAX_NS },
    { "52560000m", ER_DURATION_MAX_NS },
    { "876000h", ER_DURATION_MAX_NS },
    { "3153599999.999999999s", ER_DURATION_MAX_NS - 1 },
};

Test(duration, accepts_documented_forms)
{
    for (size_t i = 0; i < sizeof goods / sizeof goods[0]; i++) {
        int64_t ns = SENTINEL;
        cr_expect(er_parse_duration(goods[i].text, &ns), "'%s' must parse", goods[i].text);
        cr_expect_eq(ns, goods[i].ns, "'%s' -> %" PRId64 ", expected %" PRId64, goods[i].text, ns,
                     goods[i].ns);
    }
}

/* Every whole number of each unit up to a few thousand maps exactly. */
Test(duration, whole_numbers_of_every_unit)
{
    static const struct { const char *unit; int64_t scale; } units[] = {
        { "", S }, { "ns", 1 }, { "us", US }, { "ms", MS }, { "s", S },
        { "m", 60 * S }, { "h", 3600 * S },
    };
    char text[64];
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        for (int64_t n = 0; n <= 5000; n += 7) {
            snprintf(text, sizeof text, "%" PRId64 "%s", n, units[u].unit);
            int64_t ns = SENTINEL;
            cr_assert(er_parse_duration(text, &ns), "'%s' must parse", text);
            cr_assert_eq(ns, n * units[u].scale, "'%s' -> %" PRId64, text, ns);
        }
    }
}

/* The largest count of each unit that still fits in 100 years is accepted, one more is not. */
Test(duration, limit_of_every_unit)
{
    static const struct { const char *unit; int64_t scale; } units[] = {
        { "s", S }, { "m", 60 * S }, { "h", 3600 * S }, { "ms", MS },
    };
    char text[64];
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        int64_t max = ER_DURATION_MAX_NS / units[u].scale;
        int64_t ns = SENTINEL;
        snprintf(text, sizeof text, "%" PRId64 "%s", max, units[u].unit);
        cr_expect(er_parse_duration(text, &ns), "'%s' (the limit) must parse", text);
        cr_expect_eq(ns, max * units[u].scale, "'%s' -> %" PRId64, text, ns);
        snprintf(text, sizeof text, "%" PRId64 "%s", max + 1, units[u].unit);
        ns = SENTINEL;
        cr_expect_not(er_parse_duration(text, &ns), "'%s' (beyond 100 years) must fail", text);
        cr_expect_eq(ns, SENTINEL, "'%s' must leave the output untouched", text);
    }
}

/* Durations well inside 100 years written in a small unit have many digits; they are valid. */
Test(duration, large_counts_of_small_units)
{
    static const struct good big[] = {
        { "3600000000000ns", 3600 * S },            /* one hour in nanoseconds */
        { "1000000000010ns", 1000 * S + 10 },       /* about 17 minutes */
        { "86400000000000ns", 86400 * S },          /* one day */
        { "3600000000000us", 3600000 * S },         /* 1000 hours */
        { "2000000000000ms", 2000000000 * S },      /* about 63 years */
        { "3153600000000000000ns", ER_DURATION_MAX_NS },
    };
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        int64_t ns = SENTINEL;
        cr_expect(er_parse_duration(big[i].text, &ns), "'%s' is %" PRId64 " ns, below the 100-year "
                  "limit, and must parse", big[i].text, big[i].ns);
        cr_expect_eq(ns, big[i].ns, "'%s' -> %" PRId64, big[i].text, ns);
    }
}

static const char *const bads[] = {
    "", "s", "ms", "h", ".", ".5", ".5s", "1.", "1.s", "1..5s", "1.5.5s", "-1", "-1s", "-0",
    "+1s", " 1s", "1s ", "1 s", "\t1s", "1s\n", "1S", "1MS", "1sec", "1d", "1w", "1y", "1mn",
    "1e3", "1e9h", "1E9", "0x10", "0x10s", "1,5s", "1_000s", "never", "off", "nan", "inf",
    "infinity", "1msx", "1sm", "ss", "1ss", "1hh", "\xff", "1\xffs", "1\x1bs", "\xc3\xa9" "1s",
    "1s\xc2\xa0", "99999999999999999999s", "99999999999999999999", "18446744073709551616",
    "18446744073709551616ns", "9223372036854775807", "9223372036854775807ns",
    "9223372036854775808ns", "3153600001", "3153600001s", "3153600000.000000001s", "876001h",
    "876000.001h", "52560001m", "1.5e3s", "1s1s", "1h30m", "1:30",
};

Test(duration, rejects_malformed_negative_and_overflowing)
{
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        int64_t ns = SENTINEL;
        cr_expect_not(er_parse_duration(bads[i], &ns), "bad duration #%zu must be rejected", i);
        cr_expect_eq(ns, SENTINEL, "bad duration #%zu must leave the output untouched", i);
    }
}

Test(duration, rejects_null)
{
    int64_t ns = SENTINEL;
    cr_assert_not(er_parse_duration(NULL, &ns));
    cr_assert_eq(ns, SENTINEL);
}

static char *filled(size_t n, char c, const char *suffix)
{
    size_t k = strlen(suffix);
    char *s = malloc(n + k + 1);
    cr_assert_not_null(s);
    memset(s, c, n);
    memcpy(s + n, suffix, k + 1);
    return s;
}

Test(duration, huge_inputs)
{
    const size_t big = 100 * 1024;
    int64_t ns;

    char *nines = filled(big, '9', "s");
    ns = SENTINEL;
    cr_expect_not(er_parse_duration(nines, &ns), "100 KB of 9s must be rejected");
    cr_expect_eq(ns, SENTINEL);
    free(nines);

    char *letters = filled(big, 'x', "");
    cr_expect_not(er_parse_duration(letters, &ns));
    free(letters);

    /* Leading zeros do not change the value, however many. */
    char *zeros = filled(big, '0', "1s");
    ns = SENTINEL;
    cr_expect(er_parse_duration(zeros, &ns), "100 KB of leading zeros then 1s must parse");
    cr_expect_eq(ns, S);
    free(zeros);

    /* A very long fraction: only nanosecond precision matters. */
    char *frac = filled(big, '0', "s");
    frac[0] = '1';
    frac[1] = '.';
    ns = SENTINEL;
    cr_expect(er_parse_duration(frac, &ns), "1.000...0s (100 KB) must parse");
    cr_expect_eq(ns, S);
    free(frac);

    char *frac9 = filled(big, '9', "ms");
    frac9[0] = '0';
    frac9[1] = '.';
    ns = SENTINEL;
    cr_expect(er_parse_duration(frac9, &ns), "0.999...9ms (100 KB) must parse");
    cr_expect(ns >= 999999 && ns <= MS, "0.999...9ms -> %" PRId64, ns);
    free(frac9);
}

/* The result never exceeds the documented maximum, whatever the digits. */
Test(duration, never_above_maximum)
{
    static const char *const units[] = { "", "ns", "us", "ms", "s", "m", "h" };
    char text[64];
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
        int digits = (int)(x % 21) + 1;
        char num[32];
        snprintf(num, sizeof num, "%020" PRIu64, x);
        const char *unit = units[(x >> 20) % 7];
        if ((x >> 30) & 1)
            snprintf(text, sizeof text, "%.*s.%.3s%s", digits, num, num + 5, unit);
        else
            snprintf(text, sizeof text, "%.*s%s", digits, num, unit);
        int64_t ns = SENTINEL;
        if (er_parse_duration(text, &ns))
            cr_assert(ns >= 0 && ns <= ER_DURATION_MAX_NS, "'%s' -> %" PRId64, text, ns);
        else
            cr_assert_eq(ns, SENTINEL, "'%s' failed but wrote the output", text);
    }
}

Test(duration, maximum_leaves_room_for_sums)
{
    cr_assert(ER_DURATION_MAX_NS < INT64_MAX / 2);
    cr_assert(ER_DURATION_NEVER < 0);
}
