#include "jsonv.h"

#include <stdint.h>
#include <string.h>

struct parser {
    const unsigned char *s;
    size_t n, i;
    int depth;
    const char *why;
};

static bool fail(struct parser *p, const char *why)
{
    if (p->why == NULL)
        p->why = why;
    return false;
}

static void skip_ws(struct parser *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
                           p->s[p->i] == '\r'))
        p->i++;
}

size_t jv_utf8_len(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 0;
    unsigned char c = s[0];
    size_t len;
    uint32_t cp, min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, cp = c & 0x1fu, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, cp = c & 0x0fu, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, cp = c & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool read_u4(struct parser *p, uint32_t *out)
{
    if (p->n - p->i < 4)
        return fail(p, "short \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(p->s[p->i + (size_t)k]);
        if (h < 0)
            return fail(p, "bad hex digit in \\u escape");
        v = v << 4 | (uint32_t)h;
    }
    p->i += 4;
    *out = v;
    return true;
}

/* Appends code point cp as UTF-8 to out (when out is not NULL). */
static bool put_cp(uint32_t cp, char *out, size_t cap, size_t *len)
{
    unsigned char b[4];
    size_t k;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp, k = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xc0 | cp >> 6), b[1] = (unsigned char)(0x80 | (cp & 0x3f)), k = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xe0 | cp >> 12);
        b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        b[2] = (unsigned char)(0x80 | (cp & 0x3f));
        k = 3;
    } else {
        b[0] = (unsigned char)(0xf0 | cp >> 18);
        b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
        b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        b[3] = (unsigned char)(0x80 | (cp & 0x3f));
        k = 4;
    }
    if (out == NULL) {
        *len += k;
        return true;
    }
    if (*len + k + 1 > cap)
        return false;
    memcpy(out + *len, b, k);
    *len += k;
    return true;
}

/* Parses a string at p->i (which must be '"'); decodes into out when out is not NULL. */
static bool parse_string(struct parser *p, char *out, size_t cap, size_t *outlen)
{
    size_t len = 0;
    if (p->i >= p->n || p->s[p->i] != '"')
        return fail(p, "expected '\"'");
    p->i++;
    for (;;) {
        if (p->i >= p->n)
            return fail(p, "unterminated string");
        unsigned char c = p->s[p->i];
        if (c == '"') {
            p->i++;
            break;
        }
        if (c < 0x20)
            return fail(p, "raw control character in string");
        if (c == '\\') {
            p->i++;
            if (p->i >= p->n)
                return fail(p, "unterminated escape");
            unsigned char e = p->s[p->i++];
            uint32_t cp;
            switch (e) {
            case '"': cp = '"'; break;
            case '\\': cp = '\\'; break;
            case '/': cp = '/'; break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u':
                if (!read_u4(p, &cp))
                    return false;
                if (cp >= 0xdc00 && cp <= 0xdfff)
                    return fail(p, "lone low surrogate");
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    uint32_t lo;
                    if (p->n - p->i < 2 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u')
                        return fail(p, "lone high surrogate");
                    p->i += 2;
                    if (!read_u4(p, &lo))
                        return false;
                    if (lo < 0xdc00 || lo > 0xdfff)
                        return fail(p, "high surrogate without low surrogate");
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                }
                break;
            default:
                return fail(p, "unknown escape");
            }
            if (out != NULL && !put_cp(cp, out, cap, &len))
                return fail(p, "decoded string does not fit");
            continue;
        }
        size_t k = jv_utf8_len(p->s + p->i, p->n - p->i);
        if (k == 0)
            return fail(p, "invalid UTF-8 in string");
        if (out != NULL) {
            if (len + k + 1 > cap)
                return fail(p, "decoded string does not fit");
            memcpy(out + len, p->s + p->i, k);
        }
        len += k;
        p->i += k;
    }
    if (out != NULL)
        out[len] = '\0';
    if (outlen != NULL)
        *outlen = len;
    return true;
}

static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static bool parse_number(struct parser *p)
{
    if (p->i < p->n && p->s[p->i] == '-')
        p->i++;
    if (p->i >= p->n || !is_digit(p->s[p->i]))
        return fail(p, "number without digits");
    if (p->s[p->i] == '0') {
        p->i++;
        if (p->i < p->n && is_digit(p->s[p->i]))
            return fail(p, "leading zero in number");
    } else {
        while (p->i < p->n && is_digit(p->s[p->i]))
            p->i++;
    }
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        if (p->i >= p->n || !is_digit(p->s[p->i]))
            return fail(p, "no digits after '.'");
        while (p->i < p->n && is_digit(p->s[p->i]))
            p->i++;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
            p->i++;
        if (p->i >= p->n || !is_digit(p->s[p->i]))
            return fail(p, "no digits in exponent");
        while (p->i < p->n && is_digit(p->s[p->i]))
            p->i++;
    }
    return true;
}

static bool literal(struct parser *p, const char *word)
{
    size_t k = strlen(word);
    if (p->n - p->i < k || memcmp(p->s + p->i, word, k) != 0)
        return fail(p, "unknown literal");
    p->i += k;
    return true;
}

static bool parse_value(struct parser *p, struct jv_result *top);

static bool parse_object(struct parser *p, struct jv_result *top)
{
    p->i++; /* '{' */
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == '}') {
        p->i++;
        return true;
    }
    for (;;) {
        skip_ws(p);
        char key[JV_MAX_KEY];
        size_t klen = 0;
        if (top != NULL) {
            if (!parse_string(p, key, sizeof key, &klen))
                return false;
        } else if (!parse_string(p, NULL, 0, NULL)) {
            return false;
        }
        skip_ws(p);
        if (p->i >= p->n || p->s[p->i] != ':')
            return fail(p, "expected ':'");
        p->i++;
        skip_ws(p);
        size_t vstart = p->i;
        if (!parse_value(p, NULL))
            return false;
        if (top != NULL) {
            if (strlen(key) != klen)
                return fail(p, "NUL in a top-level key");
            for (size_t m = 0; m < top->nmembers; m++)
                if (strcmp(top->members[m].key, key) == 0)
                    return fail(p, "duplicate top-level key");
            if (top->nmembers == JV_MAX_MEMBERS)
                return fail(p, "too many top-level members");
            struct jv_member *mem = &top->members[top->nmembers++];
            memcpy(mem->key, key, klen + 1);
            mem->val = (const char *)p->s + vstart;
            mem->vlen = p->i - vstart;
        }
        skip_ws(p);
        if (p->i >= p->n)
            return fail(p, "unterminated object");
        if (p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->s[p->i] == '}') {
            p->i++;
            return true;
        }
        return fail(p, "expected ',' or '}'");
    }
}

static bool parse_array(struct parser *p)
{
    p->i++; /* '[' */
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == ']') {
        p->i++;
        return true;
    }
    for (;;) {
        skip_ws(p);
        if (!parse_value(p, NULL))
            return false;
        skip_ws(p);
        if (p->i >= p->n)
            return fail(p, "unterminated array");
        if (p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->s[p->i] == ']') {
            p->i++;
            return true;
        }
        return fail(p, "expected ',' or ']'");
    }
}

static bool parse_value(struct parser *p, struct jv_result *top)
{
    if (p->i >= p->n)
        return fail(p, "expected a value");
    if (++p->depth > JV_MAX_DEPTH)
        return fail(p, "nested too deeply");
    bool ok;
    switch (p->s[p->i]) {
    case '{': ok = parse_object(p, top); break;
    case '[': ok = parse_array(p); break;
    case '"': ok = parse_string(p, NULL, 0, NULL); break;
    case 't': ok = literal(p, "true"); break;
    case 'f': ok = literal(p, "false"); break;
    case 'n': ok = literal(p, "null"); break;
    default: ok = parse_number(p); break;
    }
    p->depth--;
    return ok;
}

bool jv_parse_object(const char *s, size_t n, struct jv_result *r)
{
    struct parser p = { (const unsigned char *)s, n, 0, 0, NULL };
    r->nmembers = 0;
    r->ok = false;
    r->why = NULL;
    r->err_at = 0;
    skip_ws(&p);
    bool ok;
    if (p.i >= p.n || p.s[p.i] != '{')
        ok = fail(&p, "top level is not an object");
    else
        ok = parse_value(&p, r);
    if (ok) {
        skip_ws(&p);
        if (p.i != p.n)
            ok = fail(&p, "trailing bytes after the object");
    }
    r->ok = ok;
    r->why = ok ? NULL : p.why;
    r->err_at = p.i;
    return ok;
}

bool jv_check_line(const char *buf, size_t len, struct jv_result *r)
{
    r->ok = false;
    r->nmembers = 0;
    r->err_at = 0;
    if (len == 0 || buf[len - 1] != '\n') {
        r->why = "line does not end in '\\n'";
        return false;
    }
    if (buf[len] != '\0' || strlen(buf) != len) {
        r->why = "length and NUL terminator disagree";
        return false;
    }
    const char *nl = memchr(buf, '\n', len);
    if (nl != buf + len - 1) {
        r->why = "'\\n' inside the line";
        r->err_at = (size_t)(nl - buf);
        return false;
    }
    return jv_parse_object(buf, len - 1, r);
}

const struct jv_member *jv_get(const struct jv_result *r, const char *key)
{
    for (size_t m = 0; m < r->nmembers; m++)
        if (strcmp(r->members[m].key, key) == 0)
            return &r->members[m];
    return NULL;
}

bool jv_decode_string(const char *tok, size_t toklen, char *out, size_t cap, size_t *outlen)
{
    struct parser p = { (const unsigned char *)tok, toklen, 0, 0, NULL };
    if (cap == 0)
        return false;
    if (!parse_string(&p, out, cap, outlen))
        return false;
    return p.i == toklen;
}

size_t jv_expected_token(const char *s, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t len = 0;
    out[len++] = '"';
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        size_t k = jv_utf8_len(p + i, n - i);
        if (c == '"' || c == '\\') {
            out[len++] = '\\';
            out[len++] = (char)c;
            i++;
        } else if (c < 0x20 || c == 0x7f || k == 0) {
            memcpy(out + len, "\\u00", 4);
            out[len + 4] = hex[c >> 4];
            out[len + 5] = hex[c & 15];
            len += 6;
            i++;
        } else {
            memcpy(out + len, p + i, k);
            len += k;
            i += k;
        }
    }
    out[len++] = '"';
    out[len] = '\0';
    return len;
}
