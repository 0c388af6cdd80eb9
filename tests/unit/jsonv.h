/* A small strict JSON validator (RFC 8259) for the tests: no allocation, no dependencies, so the
 * unit tests and the fuzz harnesses check every produced log line independently of the code that
 * wrote it. Raw bytes inside strings must be valid UTF-8 (no overlongs, no surrogates); \u escapes
 * must not leave a lone surrogate; numbers follow the JSON grammar exactly. */
#ifndef ER_TEST_JSONV_H
#define ER_TEST_JSONV_H

#include <stdbool.h>
#include <stddef.h>

#define JV_MAX_MEMBERS 64
#define JV_MAX_KEY 64
#define JV_MAX_DEPTH 64

/* One member of the top-level object: its decoded key and the raw text of its value. */
struct jv_member {
    char key[JV_MAX_KEY];
    const char *val;
    size_t vlen;
};

struct jv_result {
    bool ok;
    const char *why; /* what was wrong, when !ok */
    size_t err_at;   /* byte offset of the problem */
    size_t nmembers;
    struct jv_member members[JV_MAX_MEMBERS];
};

/* Validates s[0, n) as exactly one JSON object (surrounding whitespace allowed) and records its
 * top-level members. Duplicate top-level keys are an error. */
bool jv_parse_object(const char *s, size_t n, struct jv_result *r);

/* Validates one JSON Lines record: buf holds len bytes followed by a NUL, the last byte is the
 * only '\n', and the rest is one JSON object. */
bool jv_check_line(const char *buf, size_t len, struct jv_result *r);

/* The member named key, or NULL. */
const struct jv_member *jv_get(const struct jv_result *r, const char *key);

/* Decodes a JSON string token (quotes included) into out as UTF-8, NUL-terminated; false if the
 * token is not a valid string or does not fit. */
bool jv_decode_string(const char *tok, size_t toklen, char *out, size_t cap, size_t *outlen);

/* The JSON string token (quotes included) that logrec must write for the bytes s[0, n) when it
 * does not shorten them: '"' and '\\' backslash-escaped, control characters, DEL and every byte
 * that does not start a valid UTF-8 sequence as \u00xx (lowercase), valid UTF-8 as is. out must
 * hold 6 * n + 3 bytes. Returns the token length. */
size_t jv_expected_token(const char *s, size_t n, char *out);

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0: an independent reference. */
size_t jv_utf8_len(const unsigned char *s, size_t n);

#endif
