#include "duration.h"

#include <string.h>

static bool unit_scale(const char *unit, int64_t *scale)
{
    static const struct { const char *name; int64_t scale; } units[] = {
        { "",   INT64_C(1000000000) },
        { "ns", INT64_C(1) },
        { "us", INT64_C(1000) },
        { "ms", INT64_C(1000000) },
        { "s",  INT64_C(1000000000) },
        { "m",  INT64_C(60000000000) },
        { "h",  INT64_C(3600000000000) },
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(unit, units[i].name) == 0) {
            *scale = units[i].scale;
            return true;
        }
    }
    return false;
}

bool er_parse_duration(const char *text, int64_t *ns_out)
{
    if (text == NULL)
        return false;
    const char *p = text;
    /* Integer and fraction are accumulated separately and capped, so that no input overflows. */
    uint64_t whole = 0;
    int whole_digits = 0;
    while (*p >= '0' && *p <= '9') {
        uint64_t digit = (uint64_t)(*p - '0');
        /* Beyond the largest count of the smallest unit: invalid in any unit, and no overflow. */
        if (whole > ((uint64_t)ER_DURATION_MAX_NS - digit) / 10)
            return false;
        whole = whole * 10 + digit;
        whole_digits++;
        p++;
    }
    uint64_t frac = 0, frac_scale = 1;
    int frac_digits = 0;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            if (frac_digits < 9) { /* nanosecond precision of a second is all that can matter */
                frac = frac * 10 + (uint64_t)(*p - '0');
                frac_scale *= 10;
            }
            frac_digits++;
            p++;
        }
        if (frac_digits == 0)
            return false;
    }
    if (whole_digits == 0)
        return false;

    int64_t scale;
    if (!unit_scale(p, &scale))
        return false;
    if (whole > (uint64_t)ER_DURATION_MAX_NS / (uint64_t)scale)
        return false;
    uint64_t ns = whole * (uint64_t)scale;
    /* frac < frac_scale <= 1e9 and scale <= 3.6e12, so compute in two steps to stay in range. */
    ns += (uint64_t)((double)frac / (double)frac_scale * (double)scale + 0.5);
    if (ns > (uint64_t)ER_DURATION_MAX_NS)
        return false;
    *ns_out = (int64_t)ns;
    return true;
}
