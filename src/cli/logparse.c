#include "logparse.h"

#include <stdlib.h>
#include <string.h>

/* Deeper nesting than this in an unknown field is treated as garbage rather than recursed into. */
#define MAX_DEPTH 32

struct cursor {
    char *p;
    bool bad;
};

static void skip_ws(struct cursor *c)
{
    while (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n')
        c->p++;
}

static bool expect(struct cursor *c, char ch)
{
    skip_ws(c);
    if (*c->p != ch)
        return c->bad = true, false;
    c->p++;
    return true;
}

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static bool read_hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(s[i]);
        if (d < 0)
            return false;
        v = v << 4 | (unsigned)d;
    }
    *out = v;
    return true;
}

static char *put_utf8(char *w, unsigned cp)
{
    if (cp < 0x80) {
        *w++ = (char)cp;
    } else if (cp < 0x800) {
        *w++ = (char)(0xc0 | cp >> 6);
        *w++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *w++ = (char)(0xe0 | cp >> 12);
        *w++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *w++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *w++ = (char)(0xf0 | cp >> 18);
        *w++ = (char)(0x80 | (cp >> 12 & 0x3f));
        *w++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *w++ = (char)(0x80 | (cp & 0x3f));
    }
    return w;
}

/* Decodes a \u escape at r (just after the backslash-u), a surrogate pair included; U+0000 and
 * lone surrogates become U+FFFD so that the C string stays whole. Returns the input consumed. */
static size_t decode_u_escape(const char *r, unsigned *cp)
{
    unsigned hi, lo;
    if (!read_hex4(r, &hi))
        return 0;
    if (hi >= 0xd800 && hi < 0xdc00 && r[4] == '\\' && r[5] == 'u' && read_hex4(r + 6, &lo) &&
        lo >= 0xdc00 && lo < 0xe000) {
        *cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
        return 10;
    }
    *cp = (hi == 0 || (hi >= 0xd800 && hi < 0xe000)) ? 0xfffd : hi;
    return 4;
}

/* Unescapes a string in place: the output never outgrows the input, so it is written from the
 * opening quote on and NUL-terminated at or before the closing quote. */
static char *parse_string(struct cursor *c)
{
    skip_ws(c);
    if (*c->p != '"')
        return c->bad = true, NULL;
    char *start = c->p, *w = c->p, *r = c->p + 1;
    for (;;) {
        unsigned char ch = (unsigned char)*r;
        if (ch == '"')
            break;
        if (ch < 0x20) /* the line ended inside the string, or a raw control character */
            return c->bad = true, NULL;
        if (ch != '\\') {
            *w++ = *r++;
            continue;
        }
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *esc = r[1] != '\0' ? strchr(from, r[1]) : NULL;
        if (esc != NULL) {
            *w++ = to[esc - from];
            r += 2;
        } else if (r[1] == 'u') {
            unsigned cp;
            size_t used = decode_u_escape(r + 2, &cp);
            if (used == 0)
                return c->bad = true, NULL;
            w = put_utf8(w, cp);
            r += 2 + used;
        } else {
            return c->bad = true, NULL;
        }
    }
    *w = '\0';
    c->p = r + 1;
    return start;
}

/* Scans a JSON number; reports where its integer part ends and whether it has a fraction or an
 * exponent. */
struct number {
    const char *start;
    bool negative, has_frac, has_exp;
    const char *frac; /* first fraction digit */
};

static bool scan_number(struct cursor *c, struct number *n)
{
    skip_ws(c);
    char *p = c->p;
    memset(n, 0, sizeof *n);
    n->start = p;
    if (*p == '-') {
        n->negative = true;
        p++;
    }
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (*p >= '0' && *p <= '9')
            p++;
    } else {
        return c->bad = true, false;
    }
    if (*p == '.') {
        p++;
        n->has_frac = true;
        n->frac = p;
        if (!(*p >= '0' && *p <= '9'))
            return c->bad = true, false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        n->has_exp = true;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return c->bad = true, false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    c->p = p;
    return true;
}

/* The magnitude of the integer part, false on overflow. */
static bool integer_part(const struct number *n, uint64_t *out)
{
    uint64_t v = 0;
    for (const char *p = n->start + n->negative; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static bool parse_i64(struct cursor *c, int64_t *out)
{
    struct number n;
    uint64_t mag;
    if (!scan_number(c, &n))
        return false;
    if (n.has_frac || n.has_exp || !integer_part(&n, &mag) ||
        mag > (n.negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
        return c->bad = true, false;
    *out = n.negative ? (int64_t)(0 - mag) : (int64_t)mag;
    return true;
}

static bool parse_u64(struct cursor *c, uint64_t *out)
{
    struct number n;
    if (!scan_number(c, &n))
        return false;
    if (n.negative || n.has_frac || n.has_exp || !integer_part(&n, out))
        return c->bad = true, false;
    return true;
}

/* Milliseconds as the library writes them ("1500.125") to nanoseconds, exactly, without floating
 * point; an exponent form, which the library never writes, goes through strtod. */
static bool parse_ms(struct cursor *c, int64_t *ns_out)
{
    struct number n;
    uint64_t whole;
    if (!scan_number(c, &n))
        return false;
    if (n.negative)
        return c->bad = true, false;
    if (n.has_exp) {
        double ms = strtod(n.start, NULL);
        if (!(ms >= 0 && ms < 9e12))
            return c->bad = true, false;
        *ns_out = (int64_t)(ms * 1e6);
        return true;
    }
    if (!integer_part(&n, &whole) || whole > (uint64_t)INT64_MAX / 1000000 - 1)
        return c->bad = true, false;
    int64_t ns = (int64_t)whole * 1000000, scale = 100000;
    for (const char *p = n.frac; n.has_frac && *p >= '0' && *p <= '9' && scale > 0; p++) {
        ns += (*p - '0') * scale;
        scale /= 10;
    }
    *ns_out = ns;
    return true;
}

static bool skip_value(struct cursor *c, int depth);

static bool skip_container(struct cursor *c, int depth, char close, bool keyed)
{
    c->p++;
    skip_ws(c);
    if (*c->p == close) {
        c->p++;
        return true;
    }
    for (;;) {
        if (keyed && (parse_string(c) == NULL || !expect(c, ':')))
            return false;
        if (!skip_value(c, depth + 1))
            return false;
        skip_ws(c);
        if (*c->p == close) {
            c->p++;
            return true;
        }
        if (!expect(c, ','))
            return false;
    }
}

static bool skip_literal(struct cursor *c, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(c->p, word, n) != 0)
        return c->bad = true, false;
    c->p += n;
    return true;
}

static bool skip_value(struct cursor *c, int depth)
{
    struct number n;
    skip_ws(c);
    if (depth > MAX_DEPTH)
        return c->bad = true, false;
    switch (*c->p) {
    case '"': return parse_string(c) != NULL;
    case '{': return skip_container(c, depth, '}', true);
    case '[': return skip_container(c, depth, ']', false);
    case 't': return skip_literal(c, "true");
    case 'f': return skip_literal(c, "false");
    case 'n': return skip_literal(c, "null");
    default: return scan_number(c, &n);
    }
}

/* A string field; null counts as absent, so a later version may write it. */
static bool parse_opt_string(struct cursor *c, const char **out)
{
    skip_ws(c);
    if (*c->p == 'n')
        return skip_literal(c, "null") && (*out = NULL, true);
    char *s = parse_string(c);
    if (s != NULL)
        *out = s;
    return s != NULL;
}

static bool parse_backtrace(struct cursor *c, struct er_parsed *out)
{
    if (!expect(c, '['))
        return false;
    out->rec.backtrace = out->frames;
    out->rec.backtrace_len = 0;
    skip_ws(c);
    if (*c->p == ']') {
        c->p++;
        return true;
    }
    for (;;) {
        char *frame = parse_string(c);
        if (frame == NULL)
            return false;
        if (out->rec.backtrace_len < ER_PARSE_MAX_FRAMES)
            out->frames[out->rec.backtrace_len++] = frame;
        skip_ws(c);
        if (*c->p == ']') {
            c->p++;
            return true;
        }
        if (!expect(c, ','))
            return false;
    }
}

static bool parse_time(struct cursor *c, struct er_parsed *out)
{
    char *s = parse_string(c);
    if (s == NULL || !er_parse_iso8601(s, &out->rec.time_ns))
        return c->bad = true, false;
    out->has_time = true;
    return true;
}

static bool parse_field(struct cursor *c, const char *key, struct er_parsed *out)
{
    struct er_record *r = &out->rec;
    static const struct { const char *key; size_t offset; } strings[] = {
#define S(k, f) { k, offsetof(struct er_record, f) }
        S("event", event), S("exe", exe), S("comm", comm), S("api", api), S("engine", engine), S("device", device), S("flags", flags),
        S("policy", policy), S("pool", pool), S("kernel_pool", kernel_pool), S("action", action),
        S("errno", errno_name),
        S("caller", caller), S("caller_symbol", caller_symbol),
#undef S
    };
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        if (strcmp(key, strings[i].key) == 0)
            return parse_opt_string(c, (const char **)((char *)r + strings[i].offset));
    int64_t v;
    if (strcmp(key, "pid") == 0 || strcmp(key, "tid") == 0) {
        if (!parse_i64(c, &v))
            return false;
        *(key[0] == 'p' ? &r->pid : &r->tid) = (long)v;
        return true;
    }
    if (strcmp(key, "bytes") == 0)
        return r->has_bytes = parse_u64(c, &r->bytes);
    if (strcmp(key, "waited_ms") == 0)
        return r->has_waited = parse_ms(c, &r->waited_ns);
    if (strcmp(key, "boot_ms") == 0)
        return r->has_boot = parse_ms(c, &r->boot_ns);
    if (strcmp(key, "result") == 0)
        return r->has_result = parse_i64(c, &r->result);
    if (strcmp(key, "time") == 0)
        return parse_time(c, out);
    if (strcmp(key, "backtrace") == 0)
        return parse_backtrace(c, out);
    return skip_value(c, 1);
}

enum er_parse_status er_parse_record(char *line, struct er_parsed *out)
{
    memset(out, 0, sizeof *out);
    struct cursor c = { line, false };
    skip_ws(&c);
    if (*c.p == '\0')
        return ER_PARSE_BLANK;
    if (!expect(&c, '{'))
        return ER_PARSE_MALFORMED;
    skip_ws(&c);
    bool done = *c.p == '}';
    if (done)
        c.p++;
    while (!done) {
        char *key = parse_string(&c);
        if (key == NULL || !expect(&c, ':') || !parse_field(&c, key, out))
            return ER_PARSE_MALFORMED;
        skip_ws(&c);
        if (*c.p == '}') {
            c.p++;
            done = true;
        } else if (!expect(&c, ',')) {
            return ER_PARSE_MALFORMED;
        }
    }
    skip_ws(&c);
    if (*c.p != '\0' || c.bad || out->rec.event == NULL)
        return ER_PARSE_MALFORMED;
    return ER_PARSE_OK;
}

/* Reads exactly n digits. */
static bool digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*s)++) {
        if (**s < '0' || **s > '9')
            return false;
        v = v * 10 + (**s - '0');
    }
    *out = v;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool er_parse_iso8601(const char *s, int64_t *ns_out)
{
    int y, mo, d, h, mi, sec;
    if (!digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) || *s++ != '-' ||
        !digits(&s, 2, &d) || *s++ != 'T' || !digits(&s, 2, &h) || *s++ != ':' ||
        !digits(&s, 2, &mi) || *s++ != ':' || !digits(&s, 2, &sec))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return false;
    int64_t frac = 0, scale = 100000000;
    if (*s == '.') {
        s++;
        if (*s < '0' || *s > '9')
            return false;
        for (; *s >= '0' && *s <= '9'; s++) {
            frac += (*s - '0') * scale;
            scale /= 10;
            if (scale == 0 && s[1] >= '0' && s[1] <= '9')
                return false; /* more than nanoseconds */
        }
    }
    if (s[0] != 'Z' || s[1] != '\0')
        return false;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    *ns_out = secs * 1000000000 + frac;
    return true;
}

bool er_json_each_member(char *line, er_json_member_fn fn, void *ctx)
{
    struct cursor c = { .p = line };
    if (!expect(&c, '{'))
        return false;
    skip_ws(&c);
    if (*c.p == '}') {
        c.p++;
    } else {
        for (;;) {
            char *key = parse_string(&c);
            if (key == NULL || !expect(&c, ':'))
                return false;
            skip_ws(&c);
            const char *value = NULL;
            if (*c.p == '"') {
                value = parse_string(&c);
                if (value == NULL)
                    return false;
            } else if (!skip_value(&c, 1)) {
                return false;
            }
            fn(key, value, ctx);
            skip_ws(&c);
            if (*c.p == '}') {
                c.p++;
                break;
            }
            if (!expect(&c, ','))
                return false;
        }
    }
    skip_ws(&c);
    return *c.p == '\0';
}
