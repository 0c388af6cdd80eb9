#include "ktrace.h"

#include <stdlib.h>
#include <string.h>

/* Room for one more item of size elem; the parser stands alone, so it has its own. */
static bool grow(void **items, size_t *cap, size_t len, size_t elem)
{
    if (len < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 64;
    void *p = realloc(*items, ncap * elem);
    if (p == NULL)
        return false;
    *items = p;
    *cap = ncap;
    return true;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Decimal digits at *p into *v; false when there are none or they overflow. */
static bool read_dec(const char **p, uint64_t *v)
{
    const char *s = *p;
    uint64_t n = 0;
    if (!is_digit(*s))
        return false;
    for (; is_digit(*s); s++) {
        if (n > (UINT64_MAX - 9) / 10)
            return false;
        n = n * 10 + (uint64_t)(*s - '0');
    }
    *v = n;
    *p = s;
    return true;
}

static int hex_value(char c)
{
    return is_digit(c)              ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* A value as the syscall events print it: hex with or without 0x (a bare decimal below 10 is
 * the same number in hex). */
static bool read_hex(const char **p, uint64_t *v)
{
    const char *s = *p;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    uint64_t n = 0;
    int digits = 0;
    for (; hex_value(*s) >= 0; s++, digits++) {
        if (digits == 16)
            return false;
        n = n << 4 | (uint64_t)hex_value(*s);
    }
    if (digits == 0)
        return false;
    *v = n;
    *p = s;
    return true;
}

/* "secs.frac" to nanoseconds; the trace prints microseconds, some clocks nanoseconds. */
static bool read_timestamp(const char *s, const char *end, int64_t *ns)
{
    uint64_t secs;
    if (!read_dec(&s, &secs) || secs > (uint64_t)INT64_MAX / 1000000000 - 1 || *s != '.')
        return false;
    s++;
    int64_t frac = 0, scale = 100000000;
    if (s >= end || !is_digit(*s))
        return false;
    for (; s < end && is_digit(*s); s++) {
        if (scale == 0)
            return false;
        frac += (*s - '0') * scale;
        scale /= 10;
    }
    if (s != end)
        return false;
    *ns = (int64_t)secs * 1000000000 + frac;
    return true;
}

/* At bracket, "[ddd] " (the CPU). Reads back "comm-tid" and an optional "(tgid)" before it. */
static bool read_task(const char *line, const char *bracket, struct er_kt_line *out)
{
    const char *q = bracket;
    while (q > line && q[-1] == ' ')
        q--;
    out->tgid = 0;
    if (q > line && q[-1] == ')') {
        const char *open = q - 1;
        while (open > line && *open != '(')
            open--;
        if (*open != '(')
            return false;
        const char *d = open + 1;
        while (*d == ' ')
            d++;
        uint64_t tgid;
        if (read_dec(&d, &tgid) && *d == ')')
            out->tgid = (long)tgid;
        q = open;
        while (q > line && q[-1] == ' ')
            q--;
    }
    const char *digits_end = q;
    while (q > line && is_digit(q[-1]))
        q--;
    if (q == digits_end || q == line || q[-1] != '-')
        return false;
    uint64_t tid;
    const char *d = q;
    if (!read_dec(&d, &tid) || tid > (uint64_t)INT32_MAX)
        return false;
    out->tid = (long)tid;
    const char *comm_end = q - 1, *comm = line;
    while (comm < comm_end && *comm == ' ')
        comm++;
    size_t n = (size_t)(comm_end - comm);
    if (n >= sizeof out->comm)
        n = sizeof out->comm - 1;
    memcpy(out->comm, comm, n);
    out->comm[n] = '\0';
    return true;
}

/* The CPU column: " [" digits "] ". */
static const char *find_cpu(const char *line)
{
    for (const char *p = strstr(line, " ["); p != NULL; p = strstr(p + 1, " [")) {
        const char *d = p + 2;
        while (is_digit(*d))
            d++;
        if (d > p + 2 && d[0] == ']' && d[1] == ' ')
            return p + 1;
    }
    return NULL;
}

/* "sys_getrandom(ubuf: 7ffd, len: 8, flags: 1)": the second and third arguments, by position
 * so that the older names (buf, count) and the verbose form with types read the same. */
static enum er_kt_kind parse_enter(const char *args, struct er_kt_line *out)
{
    uint64_t values[3];
    const char *p = args;
    for (int i = 0; i < 3; i++) {
        const char *end = strpbrk(p, i < 2 ? "," : ")");
        if (end == NULL)
            return ER_KT_MALFORMED;
        const char *colon = NULL;
        for (const char *c = p; c < end; c++)
            if (c[0] == ':' && c[1] == ' ')
                colon = c;
        if (colon == NULL)
            return ER_KT_MALFORMED;
        const char *v = colon + 2;
        if (!read_hex(&v, &values[i]) || v != end)
            return ER_KT_MALFORMED;
        p = end + 1;
        while (*p == ' ')
            p++;
    }
    out->len = values[1];
    out->flags = values[2];
    return ER_KT_ENTER;
}

static enum er_kt_kind parse_exit(const char *v, struct er_kt_line *out)
{
    uint64_t raw;
    const char *start = v;
    if (!read_hex(&v, &raw) || *v != '\0')
        return ER_KT_MALFORMED;
    /* A 64-bit kernel prints -11 as 0xfffffffffffffff5, a 32-bit one as 0xfffffff5. */
    size_t digits = (size_t)(v - start) - (start[1] == 'x' ? 2 : 0);
    if (digits <= 8 && raw >= 0xfffff001u && raw <= 0xffffffffu)
        out->ret = (int64_t)raw - INT64_C(0x100000000);
    else
        out->ret = (int64_t)raw;
    return ER_KT_EXIT;
}

/* "filename=/usr/bin/foo pid=123 old_pid=123": the name may hold spaces, so the numbers are
 * found from the end. */
static enum er_kt_kind parse_exec(char *text, struct er_kt_line *out)
{
    if (strncmp(text, "filename=", 9) != 0)
        return ER_KT_MALFORMED;
    char *pid_at = NULL;
    for (char *p = strstr(text, " pid="); p != NULL; p = strstr(p + 1, " pid="))
        pid_at = p;
    if (pid_at == NULL)
        return ER_KT_MALFORMED;
    const char *p = pid_at + 5;
    uint64_t pid, old_pid;
    if (!read_dec(&p, &pid) || strncmp(p, " old_pid=", 9) != 0)
        return ER_KT_MALFORMED;
    p += 9;
    if (!read_dec(&p, &old_pid) || *p != '\0' || pid > INT32_MAX || old_pid > INT32_MAX)
        return ER_KT_MALFORMED;
    *pid_at = '\0';
    out->filename = text + 9;
    out->exec_pid = (long)pid;
    out->old_pid = (long)old_pid;
    return ER_KT_EXEC;
}

static enum er_kt_kind parse_comment(const char *p, struct er_kt_line *out)
{
    static const char key[] = "entries-in-buffer/entries-written:";
    const char *at = strstr(p, key);
    if (at == NULL)
        return ER_KT_OTHER;
    p = at + sizeof key - 1;
    while (*p == ' ')
        p++;
    if (!read_dec(&p, &out->in_buffer) || *p++ != '/' || !read_dec(&p, &out->written))
        return ER_KT_OTHER;
    return ER_KT_ENTRIES;
}

enum er_kt_kind er_kt_parse_line(char *line, struct er_kt_line *out)
{
    memset(out, 0, sizeof *out);
    const char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '#')
        return parse_comment(p, out);
    if (strncmp(p, "CPU:", 4) == 0) {
        const char *lost = strstr(p, "[LOST ");
        if (lost != NULL) {
            lost += 6;
            return read_dec(&lost, &out->lost) && strncmp(lost, " EVENTS]", 8) == 0
                       ? ER_KT_LOST
                       : ER_KT_OTHER;
        }
        return ER_KT_OTHER;
    }
    const char *cpu = find_cpu(line);
    if (cpu == NULL)
        return ER_KT_OTHER;
    const char *after = strchr(cpu, ']') + 2;
    char *colon = strstr(after, ": ");
    if (colon == NULL)
        return ER_KT_OTHER;
    char *event = colon + 2;
    enum er_kt_kind kind = strncmp(event, "sys_getrandom(", 14) == 0      ? ER_KT_ENTER
                           : strncmp(event, "sys_getrandom -> ", 17) == 0 ? ER_KT_EXIT
                           : strncmp(event, "sched_process_exec: ", 20) == 0 ? ER_KT_EXEC
                                                                            : ER_KT_OTHER;
    if (kind == ER_KT_OTHER)
        return ER_KT_OTHER;
    const char *ts = colon;
    while (ts > after && ts[-1] != ' ')
        ts--;
    if (!read_task(line, cpu, out) || !read_timestamp(ts, colon, &out->ts_ns))
        return ER_KT_MALFORMED;
    if (kind == ER_KT_ENTER)
        return parse_enter(event + 14, out);
    if (kind == ER_KT_EXIT)
        return parse_exit(event + 17, out);
    return parse_exec(event + 20, out);
}

void er_ktrace_init(struct er_ktrace *t) { memset(t, 0, sizeof *t); }

void er_ktrace_free(struct er_ktrace *t)
{
    for (size_t i = 0; i < t->nexecs; i++)
        free(t->execs[i].filename);
    free(t->execs);
    free(t->calls);
    free(t->pending);
    memset(t, 0, sizeof *t);
}

static bool add_enter(struct er_ktrace *t, const struct er_kt_line *l)
{
    /* A thread has one system call in flight: an enter without its exit means the exit was lost. */
    for (size_t i = 0; i < t->npending; i++) {
        if (t->calls[t->pending[i]].tid == l->tid) {
            t->pending[i] = t->pending[--t->npending];
            break;
        }
    }
    if (!grow((void **)&t->calls, &t->calls_cap, t->ncalls, sizeof t->calls[0]) ||
        !grow((void **)&t->pending, &t->pending_cap, t->npending, sizeof t->pending[0]))
        return false;
    struct er_kt_call *c = &t->calls[t->ncalls];
    memset(c, 0, sizeof *c);
    c->tid = l->tid;
    c->tgid = l->tgid;
    memcpy(c->comm, l->comm, sizeof c->comm);
    c->enter_ns = l->ts_ns;
    c->len = l->len;
    c->flags = l->flags;
    t->pending[t->npending++] = t->ncalls++;
    return true;
}

static void add_exit(struct er_ktrace *t, const struct er_kt_line *l)
{
    for (size_t i = 0; i < t->npending; i++) {
        struct er_kt_call *c = &t->calls[t->pending[i]];
        if (c->tid == l->tid) {
            c->has_exit = true;
            c->exit_ns = l->ts_ns;
            c->ret = l->ret;
            t->pending[i] = t->pending[--t->npending];
            return;
        }
    }
    t->orphan_exits++;
}

static bool add_exec(struct er_ktrace *t, const struct er_kt_line *l)
{
    if (!grow((void **)&t->execs, &t->execs_cap, t->nexecs, sizeof t->execs[0]))
        return false;
    struct er_kt_exec *e = &t->execs[t->nexecs];
    if ((e->filename = strdup(l->filename)) == NULL)
        return false;
    e->pid = l->exec_pid;
    e->old_pid = l->old_pid;
    e->ns = l->ts_ns;
    memcpy(e->comm, l->comm, sizeof e->comm);
    t->nexecs++;
    return true;
}

bool er_ktrace_add_line(struct er_ktrace *t, char *line)
{
    struct er_kt_line l;
    t->lines++;
    switch (er_kt_parse_line(line, &l)) {
    case ER_KT_OTHER:
        return true;
    case ER_KT_MALFORMED:
        if (t->malformed++ == 0)
            t->first_malformed = (unsigned long)t->lines;
        return true;
    case ER_KT_LOST:
        t->lost += l.lost;
        return true;
    case ER_KT_ENTRIES:
        t->has_entries = true;
        t->in_buffer = l.in_buffer;
        t->written = l.written;
        return true;
    case ER_KT_ENTER:
        t->events++;
        return add_enter(t, &l);
    case ER_KT_EXIT:
        t->events++;
        add_exit(t, &l);
        return true;
    case ER_KT_EXEC:
        t->events++;
        return add_exec(t, &l);
    }
    return true;
}

uint64_t er_ktrace_lost(const struct er_ktrace *t)
{
    bool overwrote = t->has_entries && t->written > t->in_buffer;
    uint64_t overwritten = overwrote ? t->written - t->in_buffer : 0;
    return t->lost + overwritten;
}
