/* Reads one JSON Lines log record back into a struct er_record, the inverse of er_format_json.
 * Pure: strings are unescaped in place and point into the caller's line buffer. */
#ifndef ER_CLI_LOGPARSE_H
#define ER_CLI_LOGPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "logrec.h"

enum er_parse_status {
    ER_PARSE_OK,
    ER_PARSE_BLANK,     /* empty or only whitespace: not a record, not an error */
    ER_PARSE_MALFORMED, /* not one JSON object, a known field of the wrong type, or no "event" */
};

/* Room for the backtrace of a hang record; frames beyond it are dropped. */
#define ER_PARSE_MAX_FRAMES 64

struct er_parsed {
    struct er_record rec;
    const char *frames[ER_PARSE_MAX_FRAMES];
    bool has_time; /* time_ns is 0 without it */
};

/* Parses line (NUL-terminated, without its newline; modified in place). Unknown fields of any
 * JSON type are skipped, so records of a later version still parse. */
enum er_parse_status er_parse_record(char *line, struct er_parsed *out);

/* Walks one JSON object (line, modified in place), calling fn with each member's key and, for a
 * string, its unescaped value (NULL for a value of any other type). False when the line is not
 * one JSON object; fn may have been called for the members before the fault. */
typedef void (*er_json_member_fn)(const char *key, const char *string_value, void *ctx);
bool er_json_each_member(char *line, er_json_member_fn fn, void *ctx);

/* "2026-11-23T01:54:05.123456Z" to nanoseconds since the epoch; 0 to 9 fraction digits. */
bool er_parse_iso8601(const char *s, int64_t *ns_out);

#endif
