#include "summary.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "logparse.h"

void er_summary_init(struct er_summary *s) { memset(s, 0, sizeof *s); }

static void counts_free(struct er_counts *c)
{
    for (size_t i = 0; i < c->len; i++)
        free(c->items[i].name);
    free(c->items);
}

void er_summary_free(struct er_summary *s)
{
    for (size_t i = 0; i < s->len; i++) {
        free(s->programs[i].exe);
        counts_free(&s->programs[i].stats.apis);
    }
    free(s->programs);
    free(s->first_malformed);
    memset(s, 0, sizeof *s);
}

bool er_reserve(void **items, size_t *cap, size_t len, size_t elem)
{
    if (len < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = realloc(*items, ncap * elem);
    if (p == NULL)
        return false;
    *items = p;
    *cap = ncap;
    return true;
}

static bool counts_add(struct er_counts *c, const char *name, uint64_t n)
{
    for (size_t i = 0; i < c->len; i++) {
        if (strcmp(c->items[i].name, name) == 0) {
            c->items[i].n += n;
            return true;
        }
    }
    if (!er_reserve((void **)&c->items, &c->cap, c->len, sizeof c->items[0]))
        return false;
    char *copy = strdup(name);
    if (copy == NULL)
        return false;
    c->items[c->len++] = (struct er_count){ copy, n };
    return true;
}

static struct er_program *find_program(struct er_summary *s, const char *exe)
{
    for (size_t i = 0; i < s->len; i++)
        if (strcmp(s->programs[i].exe, exe) == 0)
            return &s->programs[i];
    if (!er_reserve((void **)&s->programs, &s->cap, s->len, sizeof s->programs[0]))
        return NULL;
    struct er_program *p = &s->programs[s->len];
    memset(p, 0, sizeof *p);
    if ((p->exe = strdup(exe)) == NULL)
        return NULL;
    p->first_seq = s->seq;
    s->len++;
    return p;
}

static bool is(const char *a, const char *b) { return a != NULL && strcmp(a, b) == 0; }

const char *er_record_program(const struct er_record *r)
{
    const char *comm = r->comm != NULL && r->comm[0] != '\0' && r->pid == r->tid ? r->comm : NULL;
    if (r->exe == NULL || r->exe[0] == '\0')
        return comm != NULL ? comm : "?";
    if (comm == NULL)
        return r->exe;
    const char *slash = strrchr(r->exe, '/');
    const char *base = slash != NULL && slash[1] != '\0' ? slash + 1 : r->exe;
    /* The kernel keeps 15 bytes of a name: python3.11 runs as "python3", a long name cut short */
    size_t comm_len = strlen(comm), base_len = strlen(base);
    if (strncmp(base, comm, comm_len) == 0 || strncmp(comm, base, base_len) == 0)
        return r->exe;
    /* both: the name tells the programs apart, the path says what file they ran */
    static char both[4352];
    snprintf(both, sizeof both, "%s (%s)", comm, r->exe);
    return both;
}

unsigned er_record_engine(const struct er_record *r)
{
    return is(r->engine, "seccomp") ? ER_SEEN_SECCOMP : ER_SEEN_PRELOAD;
}

const char *er_engines_name(unsigned engines)
{
    switch (engines & (ER_SEEN_PRELOAD | ER_SEEN_SECCOMP)) {
    case ER_SEEN_PRELOAD: return "preload";
    case ER_SEEN_SECCOMP: return "seccomp";
    case ER_SEEN_PRELOAD | ER_SEEN_SECCOMP: return "preload+seccomp";
    default: return "-";
    }
}

static bool stats_add_request(struct er_stats *st, const struct er_record *r)
{
    st->requests++;
    unsigned engine = er_record_engine(r);
    st->engines |= engine;
    st->by_preload += engine == ER_SEEN_PRELOAD;
    st->by_seccomp += engine == ER_SEEN_SECCOMP;
    st->bytes += r->has_bytes ? r->bytes : 0;
    if (is(r->action, "block") || is(r->action, "interrupted")) {
        st->waited++;
        st->waited_ns += r->has_waited ? r->waited_ns : 0;
    }
    st->weak += is(r->action, "weak");
    st->eagain += is(r->action, "eagain");
    st->einval += is(r->action, "einval");
    st->interrupted += is(r->action, "interrupted");
    st->aborted += is(r->action, "abort");
    return counts_add(&st->apis, r->api ? r->api : "?", 1);
}

bool er_summary_add(struct er_summary *s, const struct er_record *r, bool has_time)
{
    bool request = is(r->event, "request"), hang = is(r->event, "hang");
    if (!request && !hang)
        return true;
    struct er_program *p = find_program(s, er_record_program(r));
    if (p == NULL)
        return false;
    s->seq++;
    s->records++;
    if (has_time && (!p->has_time || r->time_ns < p->first_time_ns)) {
        p->has_time = true;
        p->first_time_ns = r->time_ns;
    }
    if (hang) {
        p->stats.hangs++;
        p->stats.engines |= er_record_engine(r);
        return true;
    }
    return stats_add_request(&p->stats, r);
}

bool er_summary_add_parsed(struct er_summary *s, int status, const struct er_parsed *parsed,
                           const char *where)
{
    if (status == ER_PARSE_BLANK)
        return true;
    /* "truncated" is the library's last-resort record for one it could not shorten enough. */
    if (status == ER_PARSE_OK && !is(parsed->rec.event, "truncated"))
        return er_summary_add(s, &parsed->rec, parsed->has_time);
    if (s->malformed++ == 0 && where != NULL && (s->first_malformed = strdup(where)) == NULL)
        return false;
    return true;
}

bool er_summary_add_line(struct er_summary *s, char *line, const char *where)
{
    struct er_parsed parsed;
    enum er_parse_status st = er_parse_record(line, &parsed);
    return er_summary_add_parsed(s, st, &parsed, where);
}

/* Programs in order of their first record: by time where both have one, else by arrival. */
static int compare_programs(const void *a, const void *b)
{
    const struct er_program *x = *(const struct er_program *const *)a;
    const struct er_program *y = *(const struct er_program *const *)b;
    if (x->has_time && y->has_time && x->first_time_ns != y->first_time_ns)
        return x->first_time_ns < y->first_time_ns ? -1 : 1;
    return x->first_seq < y->first_seq ? -1 : x->first_seq > y->first_seq;
}

/* An array of pointers in table order; NULL only when memory ran out (then arrival order). */
static struct er_program **sorted(struct er_summary *s)
{
    struct er_program **v = malloc((s->len ? s->len : 1) * sizeof *v);
    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < s->len; i++)
        v[i] = &s->programs[i];
    qsort(v, s->len, sizeof *v, compare_programs);
    return v;
}

static struct er_program *nth(struct er_summary *s, struct er_program **order, size_t i)
{
    return order ? order[i] : &s->programs[i];
}

static void stats_sum(struct er_stats *t, const struct er_stats *st)
{
    t->requests += st->requests;
    t->bytes += st->bytes;
    t->waited += st->waited;
    t->waited_ns += st->waited_ns;
    t->weak += st->weak;
    t->eagain += st->eagain;
    t->einval += st->einval;
    t->interrupted += st->interrupted;
    t->aborted += st->aborted;
    t->hangs += st->hangs;
    t->by_preload += st->by_preload;
    t->by_seccomp += st->by_seccomp;
    t->engines |= st->engines;
    for (size_t i = 0; i < st->apis.len; i++)
        counts_add(&t->apis, st->apis.items[i].name, st->apis.items[i].n);
}

static void totals(struct er_summary *s, struct er_program **order, struct er_stats *t)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < s->len; i++)
        stats_sum(t, &nth(s, order, i)->stats);
}

/* A name for the table: control characters from a hostile log must not reach the terminal. */
static void print_clean(FILE *out, const char *name, int width)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++, n++)
        fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
    fprintf(out, "%*s", width > n ? width - n : 0, "");
}

static void format_ms(int64_t ns, char *buf, size_t cap)
{
    uint64_t us = (uint64_t)(ns < 0 ? 0 : ns) / 1000;
    snprintf(buf, cap, "%" PRIu64 ".%03u", us / 1000, (unsigned)(us % 1000));
}

static void print_apis(FILE *out, const struct er_counts *c)
{
    for (size_t i = 0; i < c->len; i++) {
        fputs(i ? " " : "", out);
        print_clean(out, c->items[i].name, 0);
        fprintf(out, ":%" PRIu64, c->items[i].n);
    }
    fputc('\n', out);
}

static void print_row(FILE *out, const char *name, int width, int engine_width,
                      const struct er_stats *st)
{
    char ms[32];
    format_ms(st->waited_ns, ms, sizeof ms);
    print_clean(out, name, width);
    fprintf(out, " %8" PRIu64 " %9" PRIu64 " %6" PRIu64 " %11s %6" PRIu64 " %6" PRIu64 " %5" PRIu64 "  %-*s  ",
            st->requests, st->bytes, st->waited, ms, st->weak, st->eagain, st->hangs, engine_width,
            er_engines_name(st->engines));
    print_apis(out, &st->apis);
}

void er_summary_print_table(struct er_summary *s, FILE *out)
{
    struct er_program **order = sorted(s);
    int width = (int)strlen("program");
    for (size_t i = 0; i < s->len; i++) {
        int n = (int)strlen(s->programs[i].exe);
        width = n > width ? n : width;
    }
    if (s->len == 0) {
        fputs("no entropy requests recorded\n", out);
    } else {
        struct er_stats t;
        totals(s, order, &t);
        /* The totals' engines are the widest: every engine of any row. */
        int engine_width = (int)strlen(er_engines_name(t.engines));
        engine_width = engine_width > 6 ? engine_width : 6;
        print_clean(out, "program", width);
        fprintf(out, " %8s %9s %6s %11s %6s %6s %5s  %-*s  %s\n", "requests", "bytes", "waited",
                "wait_ms", "weak", "eagain", "hangs", engine_width, "engine", "apis");
        for (size_t i = 0; i < s->len; i++)
            print_row(out, nth(s, order, i)->exe, width, engine_width, &nth(s, order, i)->stats);
        print_row(out, "total", width, engine_width, &t);
        /* Which engine saw what: the syscall engine names the system call it trapped. */
        bool by_syscall_engine = false, by_preload = false;
        for (size_t i = 0; i < t.apis.len; i++) {
            if (strncmp(t.apis.items[i].name, "SYS_", 4) == 0)
                by_syscall_engine = true;
            else
                by_preload = true;
        }
        if (by_syscall_engine)
            fprintf(out,
                    "apis: SYS_* were seen by the syscall engine (the program's own system "
                    "calls: static and Go programs, the C library's internal requests)%s\n",
                    by_preload ? "; the others by the library's hooks" : "");
        counts_free(&t.apis);
    }
    if (s->malformed > 0)
        fprintf(out, "%" PRIu64 " malformed line%s skipped%s%s%s\n", s->malformed,
                s->malformed == 1 ? "" : "s", s->first_malformed ? " (first at " : "",
                s->first_malformed ? s->first_malformed : "", s->first_malformed ? ")" : "");
    free(order);
}

/* Length of the valid UTF-8 sequence at s, or 0 (the same rule as the library's log). */
static size_t utf8_len(const unsigned char *s)
{
    size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
                                 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    uint32_t cp = len == 1 ? s[0] : len == 2 ? s[0] & 0x1fu : len == 3 ? s[0] & 0x0fu : s[0] & 0x07u;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    static const uint32_t min_cp[] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (len > 1 && (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)))
        return 0;
    return len;
}

static void json_string(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', out);
    while (*p) {
        size_t n = utf8_len(p);
        if (*p == '"' || *p == '\\') {
            fprintf(out, "\\%c", *p++);
        } else if (*p < 0x20 || *p == 0x7f || n == 0) {
            fprintf(out, "\\u%04x", *p++);
        } else {
            fwrite(p, 1, n, out);
            p += n;
        }
    }
    fputc('"', out);
}

static void json_stats(FILE *out, const struct er_stats *st)
{
    char ms[32];
    format_ms(st->waited_ns, ms, sizeof ms);
    fprintf(out,
            "\"requests\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"waited\":%" PRIu64
            ",\"waited_ms\":%s,\"weak\":%" PRIu64 ",\"eagain\":%" PRIu64 ",\"einval\":%" PRIu64
            ",\"interrupted\":%" PRIu64 ",\"abort\":%" PRIu64 ",\"hangs\":%" PRIu64 ",\"apis\":{",
            st->requests, st->bytes, st->waited, ms, st->weak, st->eagain, st->einval,
            st->interrupted, st->aborted, st->hangs);
    for (size_t i = 0; i < st->apis.len; i++) {
        fputs(i ? "," : "", out);
        json_string(out, st->apis.items[i].name);
        fprintf(out, ":%" PRIu64, st->apis.items[i].n);
    }
    fputs("},\"engine\":", out);
    json_string(out, er_engines_name(st->engines));
    fprintf(out, ",\"engines\":{\"preload\":%" PRIu64 ",\"seccomp\":%" PRIu64 "}}",
            st->by_preload, st->by_seccomp);
}

void er_summary_print_json(struct er_summary *s, FILE *out)
{
    fputc('{', out);
    er_summary_print_json_members(s, out);
    fputs("}\n", out);
}

void er_summary_print_json_members(struct er_summary *s, FILE *out)
{
    struct er_program **order = sorted(s);
    fputs("\"programs\":[", out);
    for (size_t i = 0; i < s->len; i++) {
        fputs(i ? ",{\"exe\":" : "{\"exe\":", out);
        json_string(out, nth(s, order, i)->exe);
        fputc(',', out);
        json_stats(out, &nth(s, order, i)->stats);
    }
    struct er_stats t;
    totals(s, order, &t);
    fputs("],\"totals\":{", out);
    json_stats(out, &t);
    counts_free(&t.apis);
    fprintf(out, ",\"records\":%" PRIu64 ",\"malformed\":%" PRIu64, s->records, s->malformed);
    free(order);
}

bool er_counts_add(struct er_counts *c, const char *name, uint64_t n)
{
    return counts_add(c, name, n);
}

void er_counts_free(struct er_counts *c) { counts_free(c); }

void er_print_clean(FILE *out, const char *name, int width) { print_clean(out, name, width); }

void er_json_string(FILE *out, const char *s) { json_string(out, s); }
