#include "logrec.h"

#include "errnames.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

/* A bounded writer: once full it drops further output and remembers that it did. */
struct writer {
    char *buf;
    size_t len, cap; /* cap excludes the room kept for "\n\0" */
    bool full;
};

static void w_put(struct writer *w, const char *s, size_t n)
{
    if (n > w->cap - w->len) {
        n = w->cap - w->len;
        w->full = true;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void w_puts(struct writer *w, const char *s) { w_put(w, s, strlen(s)); }

static void w_u64(struct writer *w, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    w_put(w, tmp + i, sizeof tmp - i);
}

static void w_i64(struct writer *w, int64_t v)
{
    if (v < 0) {
        w_puts(w, "-");
        w_u64(w, (uint64_t)0 - (uint64_t)v);
    } else {
        w_u64(w, (uint64_t)v);
    }
}

/* Milliseconds with microsecond precision: 2000.312 */
static void w_ms(struct writer *w, int64_t ns)
{
    if (ns < 0)
        ns = 0;
    uint64_t us = (uint64_t)ns / 1000;
    w_u64(w, us / 1000);
    char frac[4] = { '.', (char)('0' + us / 100 % 10), (char)('0' + us / 10 % 10),
                     (char)('0' + us % 10) };
    w_put(w, frac, 4);
}

/* Length of the valid UTF-8 sequence starting at s (at most n bytes), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len;
    uint32_t cp;
    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xe0) == 0xc0) {
        len = 2;
        cp = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3;
        cp = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    static const uint32_t min_cp[] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* Plain ASCII that JSON takes as it is: the usual content of every field. */
static inline bool json_plain(unsigned char c)
{
    return (unsigned char)(c - 0x20) < 0x5f && c != '"' && c != '\\';
}

/* Whether any of the eight bytes in x needs more than a copy: below 0x20 (NUL included), 0x7f
 * and above, '"' or '\\'. Bit tricks on a whole word, exact as a yes-or-no answer. */
static inline bool any_needs_escape(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\');
    uint64_t below_space = (x - ones * 0x20) & ~x;
    uint64_t is_quote = (quote - ones) & ~quote;
    uint64_t is_backslash = (backslash - ones) & ~backslash;
    uint64_t del_or_high = ((x & ~high) + ones) | x;
    return ((below_space | is_quote | is_backslash | del_or_high) & high) != 0;
}

/* How many of the n bytes at p JSON takes as they are, eight at a time while it can. */
static size_t plain_run(const unsigned char *p, size_t n)
{
    size_t run = 0;
    for (uint64_t x; run + 8 <= n; run += 8) {
        memcpy(&x, p + run, sizeof x);
        if (any_needs_escape(x))
            break;
    }
    while (run < n && json_plain(p[run]))
        run++;
    return run;
}

/* A JSON string, quotes included, of at most max_in input bytes. Bytes that are not valid UTF-8
 * become \u00XX so that every line stays valid JSON whatever a path contains. One pass: runs of
 * plain ASCII are measured a word at a time and copied at once, since every logged request
 * formats a record. */
static void w_json_string(struct writer *w, const char *s, size_t max_in)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strnlen(s, max_in);
    w_put(w, "\"", 1);
    size_t i = 0;
    while (i < n) {
        size_t run = plain_run(p + i, n - i);
        if (run > 0) {
            w_put(w, (const char *)p + i, run);
            i += run;
            continue;
        }
        unsigned char c = p[i];
        size_t seq = c >= 0x80 ? utf8_len(p + i, n - i) : 1;
        if (c == '"' || c == '\\') {
            char esc[2] = { '\\', (char)c };
            w_put(w, esc, 2);
            i++;
        } else if (c < 0x20 || c == 0x7f || seq == 0) {
            char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            w_put(w, esc, 6);
            i++;
        } else {
            w_put(w, (const char *)p + i, seq);
            i += seq;
        }
    }
    if (n == max_in && p[n] != '\0')
        w_put(w, "...", 3);
    w_put(w, "\"", 1);
}

/* Every record opens with "time", so every later key follows a comma; the key's text is a
 * constant, copied with its length known at compile time. */
#define W_KEY(w, key) w_put((w), ",\"" key "\":", sizeof(",\"" key "\":") - 1)

static void json_str_field(struct writer *w, const char *key_text, size_t key_len,
                           const char *value, size_t max_in)
{
    if (value == NULL)
        return;
    w_put(w, key_text, key_len);
    w_json_string(w, value, max_in);
}

#define JSON_STR_FIELD(w, key, value, max_in) \
    json_str_field((w), ",\"" key "\":", sizeof(",\"" key "\":") - 1, (value), (max_in))

/* Closes a line: the room for "\n\0" was reserved when the writer was made. */
static size_t w_finish(struct writer *w)
{
    w->buf[w->len++] = '\n';
    w->buf[w->len] = '\0';
    return w->len;
}

static size_t format_json_once(const struct er_record *r, char *buf, size_t cap, size_t max_str,
                               bool with_backtrace, bool *full)
{
    struct writer w = { buf, 0, cap - 2, false };
    char iso[32];
    er_format_iso8601(r->time_ns, iso);

    /* Fixed width and plain ASCII: nothing to escape or shorten. */
    w_put(&w, "{\"time\":\"", 9);
    w_put(&w, iso, strlen(iso));
    w_put(&w, "\"", 1);
    if (r->has_boot) {
        W_KEY(&w, "boot_ms");
        w_ms(&w, r->boot_ns);
    }
    JSON_STR_FIELD(&w, "event", r->event, max_str);
    W_KEY(&w, "pid");
    w_i64(&w, r->pid);
    W_KEY(&w, "tid");
    w_i64(&w, r->tid);
    JSON_STR_FIELD(&w, "exe", r->exe, max_str);
    JSON_STR_FIELD(&w, "comm", r->comm, max_str);
    JSON_STR_FIELD(&w, "api", r->api, max_str);
    JSON_STR_FIELD(&w, "engine", r->engine, max_str);
    JSON_STR_FIELD(&w, "device", r->device, max_str);
    if (r->has_bytes) {
        W_KEY(&w, "bytes");
        w_u64(&w, r->bytes);
    }
    JSON_STR_FIELD(&w, "flags", r->flags, max_str);
    JSON_STR_FIELD(&w, "policy", r->policy, max_str);
    JSON_STR_FIELD(&w, "pool", r->pool, max_str);
    JSON_STR_FIELD(&w, "kernel_pool", r->kernel_pool, max_str);
    JSON_STR_FIELD(&w, "action", r->action, max_str);
    if (r->has_waited) {
        W_KEY(&w, "waited_ms");
        w_ms(&w, r->waited_ns);
    }
    JSON_STR_FIELD(&w, "errno", r->errno_name, max_str);
    if (r->has_result) {
        W_KEY(&w, "result");
        w_i64(&w, r->result);
    }
    JSON_STR_FIELD(&w, "caller", r->caller, max_str);
    JSON_STR_FIELD(&w, "caller_symbol", r->caller_symbol, max_str);
    JSON_STR_FIELD(&w, "message", r->message, max_str);
    if (with_backtrace && r->backtrace != NULL) {
        W_KEY(&w, "backtrace");
        w_puts(&w, "[");
        for (size_t i = 0; i < r->backtrace_len; i++) {
            if (i > 0)
                w_puts(&w, ",");
            w_json_string(&w, r->backtrace[i] ? r->backtrace[i] : "?", max_str);
        }
        w_puts(&w, "]");
    }
    w_puts(&w, "}");
    *full = w.full;
    return w_finish(&w);
}

size_t er_format_json(const struct er_record *r, char *buf, size_t cap)
{
    /* Try in full, then with shorter strings, then without the backtrace: a shortened record is
     * better than a torn one, and the fixed fields alone always fit in 256 bytes... almost: the
     * last resort caps every string at 16 bytes. */
    static const struct { size_t max_str; bool backtrace; } tries[] = {
        { 4096, true }, { 512, true }, { 128, false }, { 16, false },
    };
    bool full = false;
    size_t n = 0;
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        n = format_json_once(r, buf, cap, tries[i].max_str, tries[i].backtrace, &full);
        if (!full)
            return n;
    }
    /* Even the smallest form did not fit: emit a minimal valid object rather than a torn one. */
    struct writer w = { buf, 0, cap - 2, false };
    w_puts(&w, "{\"event\":\"truncated\"}");
    return w_finish(&w);
}

static const char *or_unknown(const char *s) { return s ? s : "?"; }

/* A string in a readable line: control characters become \xNN, so that a file name holding a
 * newline or a terminal escape cannot forge a log line or drive the terminal. */
static void w_text(struct writer *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            char esc[4] = { '\\', 'x', hex[*p >> 4], hex[*p & 15] };
            w_put(w, esc, 4);
        } else {
            w_put(w, (const char *)p, 1);
        }
    }
}

/* Short program name from an executable path, for the readable line. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

size_t er_format_text(const struct er_record *r, char *buf, size_t cap)
{
    struct writer w = { buf, 0, cap - 2, false };
    bool hang = r->event != NULL && strcmp(r->event, "hang") == 0;
    const char *action = or_unknown(r->action);
    if (r->event != NULL && strcmp(r->event, "kernel") == 0) {
        /* As dmesg shows it, behind the prefix that says the kernel here is simulated. */
        w_puts(&w, "earlyrandom: kernel: ");
        w_text(&w, or_unknown(r->message));
        return w_finish(&w);
    }

    w_puts(&w, hang ? "earlyrandom: HANG " : "earlyrandom: ");
    w_text(&w, base_name(or_unknown(r->exe)));
    w_puts(&w, "[");
    w_i64(&w, r->pid);
    w_puts(&w, "] ");
    w_text(&w, or_unknown(r->api));
    w_puts(&w, "(");
    bool sep = false;
    if (r->device) {
        w_text(&w, r->device);
        sep = true;
    }
    if (r->has_bytes) {
        w_puts(&w, sep ? ", " : "");
        w_u64(&w, r->bytes);
        w_puts(&w, " bytes");
        sep = true;
    }
    if (r->flags) {
        w_puts(&w, sep ? ", " : "");
        w_text(&w, r->flags);
    }
    w_puts(&w, ") pool ");
    w_text(&w, or_unknown(r->pool));
    w_puts(&w, ", ");
    w_text(&w, or_unknown(r->policy));
    w_puts(&w, ": ");

    if (hang) {
        w_puts(&w, "still waiting after ");
        w_ms(&w, r->waited_ns);
        w_puts(&w, " ms");
    } else if (strcmp(action, "pass") == 0) {
        w_puts(&w, "passed to the kernel");
    } else if (strcmp(action, "block") == 0) {
        w_puts(&w, "waited ");
        w_ms(&w, r->waited_ns);
        w_puts(&w, " ms for init");
    } else if (strcmp(action, "weak") == 0) {
        w_puts(&w, "weak bytes at once");
    } else if (strcmp(action, "eagain") == 0) {
        w_puts(&w, "failed at once with EAGAIN");
    } else if (strcmp(action, "einval") == 0) {
        w_puts(&w, "invalid flags, EINVAL");
    } else if (strcmp(action, "interrupted") == 0) {
        w_puts(&w, "interrupted by a signal after ");
        w_ms(&w, r->waited_ns);
        w_puts(&w, " ms");
    } else if (strcmp(action, "abort") == 0) {
        w_puts(&w, "no entropy: aborting as glibc does");
    } else if (strcmp(action, "enosys") == 0) {
        w_puts(&w, "no getrandom in this kernel, ENOSYS");
    } else if (strcmp(action, "draw") == 0) {
        w_puts(&w, "waited ");
        w_ms(&w, r->waited_ns);
        w_puts(&w, " ms for the blocking pool");
    } else {
        w_text(&w, action);
    }
    if (r->errno_name && !hang && strcmp(action, "eagain") != 0 && strcmp(action, "einval") != 0 &&
        strcmp(action, "enosys") != 0) {
        w_puts(&w, " (");
        w_text(&w, r->errno_name);
        w_puts(&w, ")");
    }
    if (r->caller) {
        w_puts(&w, "; called from ");
        w_text(&w, r->caller);
        if (r->caller_symbol) {
            w_puts(&w, " ");
            w_text(&w, r->caller_symbol);
        }
    }
    for (size_t i = 0; hang && r->backtrace && i < r->backtrace_len; i++) {
        w_puts(&w, "\n    #");
        w_u64(&w, i);
        w_puts(&w, " ");
        w_text(&w, or_unknown(r->backtrace[i]));
    }
    return w_finish(&w);
}

void er_format_iso8601(int64_t realtime_ns, char *out)
{
    int64_t secs = realtime_ns / 1000000000;
    int64_t ns = realtime_ns % 1000000000;
    if (ns < 0) {
        ns += 1000000000;
        secs--;
    }
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    /* civil_from_days (Howard Hinnant): the proleptic Gregorian date of a day count since 1970. */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        y++;
    if (y < 0 || y > 9999) /* far outside any real clock: keep the fixed width */
        y = 0;

    int64_t fields[] = { y, m, d, rem / 3600, rem / 60 % 60, rem % 60, ns / 1000 };
    static const int widths[] = { 4, 2, 2, 2, 2, 2, 6 };
    static const char seps[] = "--T::.Z";
    char *p = out;
    for (int i = 0; i < 7; i++) {
        int64_t v = fields[i];
        for (int k = widths[i] - 1; k >= 0; k--) {
            p[k] = (char)('0' + v % 10);
            v /= 10;
        }
        p += widths[i];
        *p++ = seps[i];
    }
    *p = '\0';
}

struct flag_name {
    unsigned int bit;
    const char *name;
};

static void format_bits(unsigned int flags, const struct flag_name *names, size_t count,
                        const char *prefix, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    if (cap < 3) { /* no room for even one character and the reserve */
        if (cap > 0)
            out[0] = '\0';
        return;
    }
    struct writer w = { out, 0, cap - 2, false };
    bool any = false;
    if (prefix) {
        w_puts(&w, prefix);
        any = true;
    }
    for (size_t i = 0; i < count; i++) {
        /* all of a name's bits: O_SYNC includes O_DSYNC's */
        if ((flags & names[i].bit) == names[i].bit) {
            if (any)
                w_puts(&w, "|");
            w_puts(&w, names[i].name);
            flags &= ~names[i].bit;
            any = true;
        }
    }
    if (flags != 0 || !any) {
        if (any)
            w_puts(&w, "|");
        if (flags == 0) {
            w_puts(&w, "0");
        } else {
            char tmp[10];
            size_t i = sizeof tmp;
            while (flags) {
                tmp[--i] = hex[flags & 15];
                flags >>= 4;
            }
            w_puts(&w, "0x");
            w_put(&w, tmp + i, sizeof tmp - i);
        }
    }
    out[w.len] = '\0';
}

void er_format_grnd_flags(unsigned int flags, char *out, size_t cap)
{
    static const struct flag_name names[] = {
        { 0x1, "GRND_NONBLOCK" }, { 0x2, "GRND_RANDOM" }, { 0x4, "GRND_INSECURE" },
    };
    format_bits(flags, names, sizeof names / sizeof names[0], NULL, out, cap);
}

void er_format_open_flags(int flags, char *out, size_t cap)
{
    /* This platform's own values (O_DIRECT and O_DIRECTORY, for one, differ between x86_64 and
     * arm64); the names of several bits come first, so that O_TMPFILE is not shown as
     * O_DIRECTORY and another bit. */
    static const struct flag_name names[] = {
        { O_NONBLOCK, "O_NONBLOCK" }, { O_CLOEXEC, "O_CLOEXEC" }, { O_NOCTTY, "O_NOCTTY" },
        { O_APPEND, "O_APPEND" },     { O_CREAT, "O_CREAT" },     { O_TRUNC, "O_TRUNC" },
        { O_EXCL, "O_EXCL" },         { O_SYNC, "O_SYNC" },       { O_DSYNC, "O_DSYNC" },
#ifdef O_TMPFILE
        { O_TMPFILE, "O_TMPFILE" },
#endif
#ifdef O_DIRECTORY
        { O_DIRECTORY, "O_DIRECTORY" },
#endif
        { O_NOFOLLOW, "O_NOFOLLOW" },
#ifdef O_DIRECT
        { O_DIRECT, "O_DIRECT" },
#endif
#ifdef O_NOATIME
        { O_NOATIME, "O_NOATIME" },
#endif
#ifdef O_PATH
        { O_PATH, "O_PATH" },
#endif
    };
    unsigned int acc = (unsigned int)flags & O_ACCMODE;
    const char *mode = acc == O_RDONLY ? "O_RDONLY" : acc == O_WRONLY ? "O_WRONLY" : "O_RDWR";
    /* O_LARGEFILE says nothing about entropy and is left out; the kernel's value is needed, not
     * <fcntl.h>'s (0 on 64-bit), because F_GETFL reports it on every descriptor and the syscall
     * engine reads raw arguments (an i386 program's open on x86_64 passes it). */
#if defined(__x86_64__) || defined(__i386__)
    const unsigned int largefile = 0100000;
#elif defined(__aarch64__)
    const unsigned int largefile = 0400000;
#else
    const unsigned int largefile = O_LARGEFILE;
#endif
    unsigned int rest = (unsigned int)flags & ~(unsigned int)O_ACCMODE & ~largefile;
    format_bits(rest, names, sizeof names / sizeof names[0], mode, out, cap);
}

const char *er_errno_name(int err)
{
#ifdef HAVE_STRERRORNAME_NP
    const char *name = strerrorname_np(err);
#else
    const char *name = er_errno_table_name(err);
#endif
    return name ? name : "EUNKNOWN";
}
