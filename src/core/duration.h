/* Durations as users write them: "0", "250ms", "1.5s", "2m", a bare number of seconds. */
#ifndef ER_DURATION_H
#define ER_DURATION_H

#include <stdbool.h>
#include <stdint.h>

/* Sentinel for "never" (EARLYRANDOM_INIT_AFTER) and "off" (EARLYRANDOM_HANG_TIMEOUT). */
#define ER_DURATION_NEVER INT64_C(-1)

/* The largest duration accepted: 100 years, far below INT64_MAX nanoseconds so sums never overflow. */
#define ER_DURATION_MAX_NS (INT64_C(100) * 365 * 24 * 3600 * 1000000000)

/* Parses a non-negative decimal number with an optional unit (ns, us, ms, s, m, h) into
 * nanoseconds. Returns false, leaving *ns_out untouched, for anything else. */
bool er_parse_duration(const char *text, int64_t *ns_out);

#endif
