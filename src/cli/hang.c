#include "hang.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct out {
    char *buf;
    size_t len, cap;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
    if (o->len + 1 >= o->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n < o->cap - o->len ? (size_t)n : o->cap - o->len - 1;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

/* The library's own frames on top of a backtrace say nothing about who asked. */
static bool in_library(const char *frame)
{
    static const char name[] = "libearlyrandom.so";
    const char *at = frame ? strstr(frame, name) : NULL;
    const char *paren = frame ? strchr(frame, '(') : NULL;
    return at != NULL && paren != NULL && paren > at && (at == frame || at[-1] == '/');
}

/* "getrandom(16 bytes, 0)" or "read(/dev/random, 32 bytes, O_RDONLY)". */
static void put_call(struct out *o, const struct er_record *r)
{
    bool sep = false;
    put(o, "%s(", r->api ? r->api : "?");
    if (r->device) {
        put(o, "%s", r->device);
        sep = true;
    }
    if (r->has_bytes) {
        put(o, "%s%" PRIu64 " byte%s", sep ? ", " : "", r->bytes, r->bytes == 1 ? "" : "s");
        sep = true;
    }
    if (r->flags)
        put(o, "%sflags %s", sep ? ", " : "", r->flags);
    put(o, ")");
}

size_t er_format_hang_report(const struct er_record *r, char *buf, size_t cap)
{
    struct out o = { buf, 0, cap };
    if (cap == 0)
        return 0;
    buf[0] = '\0';
    int64_t tenths = (r->has_waited ? r->waited_ns : 0) / 100000000;
    put(&o, "earlyrandom: hang: %s [pid %ld] waited %" PRId64 ".%d s in ",
        r->exe ? base_name(r->exe) : "?", r->pid, tenths / 10, (int)(tenths % 10));
    put_call(&o, r);
    if (r->caller)
        put(&o, " called from %s%s%s", r->caller, r->caller_symbol ? " " : "",
            r->caller_symbol ? r->caller_symbol : "");
    put(&o, "\n");
    if (r->exe)
        put(&o, "earlyrandom:   program: %s\n", r->exe);
    size_t first = 0;
    while (r->backtrace && first < r->backtrace_len && in_library(r->backtrace[first]))
        first++;
    for (size_t i = first; r->backtrace && i < r->backtrace_len; i++)
        put(&o, "earlyrandom:   #%zu %s\n", i - first, r->backtrace[i] ? r->backtrace[i] : "?");
    /* Names come from a log anyone could write: no escape sequence reaches the terminal. */
    for (size_t i = 0; i < o.len; i++)
        if (((unsigned char)buf[i] < 0x20 && buf[i] != '\n') || buf[i] == 0x7f)
            buf[i] = '?';
    return o.len;
}
