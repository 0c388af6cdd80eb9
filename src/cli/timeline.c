#include "timeline.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "summary.h"

/* ------------------------------------------------------------------------- the model */

void er_timeline_init(struct er_timeline *t) { memset(t, 0, sizeof *t); }

void er_timeline_free(struct er_timeline *t)
{
    for (size_t i = 0; i < t->len; i++) {
        struct er_timeline_proc *p = &t->procs[i];
        for (size_t j = 0; j < p->len; j++)
            free(p->marks[j].tip);
        free(p->marks);
        free(p->exe);
    }
    free(t->procs);
    memset(t, 0, sizeof *t);
}

static bool is(const char *a, const char *b) { return a != NULL && strcmp(a, b) == 0; }

/* A process is a program and a pid: pids are reused across boots and logs, programs by many. */
static struct er_timeline_proc *find_proc(struct er_timeline *t, const char *exe, long pid)
{
    for (size_t i = t->len; i-- > 0;)
        if (t->procs[i].pid == pid && strcmp(t->procs[i].exe, exe) == 0)
            return &t->procs[i];
    if (!er_reserve((void **)&t->procs, &t->cap, t->len, sizeof t->procs[0]))
        return NULL;
    struct er_timeline_proc *p = &t->procs[t->len];
    memset(p, 0, sizeof *p);
    if ((p->exe = strdup(exe)) == NULL)
        return NULL;
    p->pid = pid;
    p->seq = t->seq++;
    t->len++;
    return p;
}

/* The colour classes of the picture: the library's action, "hang" for a hang record, and
 * "eagain" too for a call passed to a kernel that failed it so (a boot audit's passthrough). */
static const char *mark_kind(const struct er_record *r)
{
    static const char *const known[] = { "pass",   "weak",  "eagain", "block",
                                         "interrupted", "einval", "abort" };
    if (is(r->event, "hang"))
        return "hang";
    if (is(r->action, "pass") && is(r->errno_name, "EAGAIN"))
        return "eagain";
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (is(r->action, known[i]))
            return known[i];
    return "other";
}

static void format_ms(int64_t ns, char *buf, size_t cap)
{
    uint64_t us = (uint64_t)(ns < 0 ? 0 : ns) / 1000;
    snprintf(buf, cap, "%" PRIu64 ".%03u", us / 1000, (unsigned)(us % 1000));
}

/* Appends to a fixed buffer, cutting what does not fit. */
struct text {
    char buf[2048];
    size_t len;
};

static void add(struct text *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct text *x, const char *fmt, ...)
{
    if (x->len >= sizeof x->buf - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(x->buf + x->len, sizeof x->buf - x->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        x->len += (size_t)n < sizeof x->buf - x->len ? (size_t)n : sizeof x->buf - 1 - x->len;
}

static const char *or_q(const char *s) { return s ? s : "?"; }

static char *tooltip(const struct er_record *r, const char *kind)
{
    struct text x = { .len = 0 };
    char ms[32];
    x.buf[0] = '\0';
    add(&x, "%s [pid %ld, tid %ld]\n", or_q(r->exe), r->pid, r->tid);
    if (is(kind, "hang"))
        add(&x, "HANG: ");
    add(&x, "%s", or_q(r->api));
    if (r->device || r->flags)
        add(&x, "(%s)", r->device ? r->device : r->flags);
    if (r->device && r->flags)
        add(&x, " %s", r->flags);
    if (r->has_bytes)
        add(&x, ", %" PRIu64 " bytes", r->bytes);
    add(&x, "\naction %s", or_q(r->action));
    if (r->policy)
        add(&x, " (policy %s)", r->policy);
    if (r->errno_name)
        add(&x, ", errno %s", r->errno_name);
    if (r->has_result)
        add(&x, ", result %" PRId64, r->result);
    if (r->has_boot) {
        format_ms(r->boot_ns, ms, sizeof ms);
        add(&x, "\nat %s ms after boot", ms);
    }
    if (r->has_waited) {
        format_ms(r->waited_ns, ms, sizeof ms);
        add(&x, is(kind, "hang") ? ", waiting for %s ms so far" : ", waited %s ms", ms);
    }
    if (r->pool || r->kernel_pool)
        add(&x, "\nsimulated pool %s, kernel's pool %s", or_q(r->pool), or_q(r->kernel_pool));
    if (r->caller)
        add(&x, "\ncaller %s%s%s%s", r->caller, r->caller_symbol ? " (" : "",
            r->caller_symbol ? r->caller_symbol : "", r->caller_symbol ? ")" : "");
    add(&x, "\nseen by the %s", er_record_engine(r) == ER_SEEN_SECCOMP ? "syscall engine (seccomp)"
                                                                      : "preload");
    for (size_t i = 0; i < r->backtrace_len && i < 8; i++)
        add(&x, "\n  #%zu %s", i, or_q(r->backtrace[i]));
    return strdup(x.buf);
}

static int pool_state(const char *s)
{
    return is(s, "uninitialized") ? 1 : is(s, "initialized") ? 2 : 0;
}

bool er_timeline_add(struct er_timeline *t, const struct er_record *r, bool has_time)
{
    if (!is(r->event, "request") && !is(r->event, "hang"))
        return true;
    struct er_timeline_proc *p = find_proc(t, r->exe ? r->exe : "?", r->pid);
    if (p == NULL || !er_reserve((void **)&p->marks, &p->cap, p->len, sizeof p->marks[0]))
        return false;
    struct er_timeline_mark *m = &p->marks[p->len];
    memset(m, 0, sizeof *m);
    m->kind = mark_kind(r);
    m->has_boot = r->has_boot;
    m->boot_ns = r->boot_ns;
    m->has_time = has_time;
    m->time_ns = r->time_ns;
    m->waited_ns = r->has_waited && r->waited_ns > 0 ? r->waited_ns : 0;
    m->pool = pool_state(r->pool);
    m->ends_at_init = is(r->event, "request") && is(r->action, "block");
    m->trivial = is(m->kind, "pass") && r->errno_name == NULL && m->waited_ns < 1000000 &&
                 m->pool != 1 && pool_state(r->kernel_pool) != 1;
    if ((m->tip = tooltip(r, m->kind)) == NULL)
        return false;
    p->len++;
    t->records++;
    return true;
}

void er_timeline_note_crng(struct er_timeline *t, bool has_boot, int64_t boot_ns)
{
    if (!has_boot) {
        t->crng_untimed = true;
        return;
    }
    if (!t->has_crng || boot_ns < t->crng_boot_ns) {
        t->has_crng = true;
        t->crng_boot_ns = boot_ns;
    }
}

/* ------------------------------------------------------------------------- escaping */

/* Length of the valid UTF-8 sequence at s that XML allows, or 0. */
static size_t xml_char_len(const unsigned char *s)
{
    if (s[0] < 0x80)
        return s[0] >= 0x20 || s[0] == '\n' || s[0] == '\t' ? 1 : 0;
    size_t len = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0)
        return 0;
    uint32_t cp = s[0] & (0x7fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    static const uint32_t min_cp[] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
        cp == 0xffff || (cp >= 0x7f && cp <= 0x9f))
        return 0;
    return len;
}

void er_xml_text(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = xml_char_len(p);
        if (n == 0) {
            fputs("\xef\xbf\xbd", out); /* U+FFFD */
            p++;
        } else if (*p == '&') {
            fputs("&amp;", out), p++;
        } else if (*p == '<') {
            fputs("&lt;", out), p++;
        } else if (*p == '>') {
            fputs("&gt;", out), p++;
        } else if (*p == '"') {
            fputs("&quot;", out), p++;
        } else if (*p == '\'') {
            fputs("&#39;", out), p++;
        } else {
            fwrite(p, 1, n, out);
            p += n;
        }
    }
}

/* ------------------------------------------------------------------------- the rows */

/* A row of the picture: one process, or several folded into one. */
struct row {
    const char *exe; /* NULL for the row of folded trivial processes */
    long pid;        /* when it holds one process */
    size_t procs, records;
    const struct er_timeline_proc **members;
    size_t nmembers;
};

enum time_base { BASE_BOOT, BASE_TIME, BASE_NONE };

static bool mark_at(const struct er_timeline_mark *m, enum time_base base, int64_t origin,
                    int64_t *at)
{
    if (base == BASE_BOOT && m->has_boot)
        return *at = m->boot_ns, true;
    if (base == BASE_TIME && m->has_time)
        return *at = m->time_ns - origin, true;
    return false;
}

static bool proc_first(const struct er_timeline_proc *p, enum time_base base, int64_t origin,
                       int64_t *first)
{
    bool has = false;
    for (size_t j = 0; j < p->len; j++) {
        int64_t at;
        if (mark_at(&p->marks[j], base, origin, &at) && (!has || at < *first))
            *first = at, has = true;
    }
    return has;
}

static bool proc_trivial(const struct er_timeline_proc *p)
{
    for (size_t j = 0; j < p->len; j++)
        if (!p->marks[j].trivial)
            return false;
    return true;
}

struct layout {
    enum time_base base;
    int64_t origin; /* subtracted from realtime stamps when base is BASE_TIME */
    struct row *rows;
    size_t nrows;
    const struct er_timeline_proc **members; /* storage of every row's members */
    size_t folded_trivial, folded_by_program;  /* processes folded, by each rule */
    uint64_t undrawn; /* records without a usable time */
    size_t programs;
};

struct proc_order {
    const struct er_timeline_proc *p;
    size_t program; /* index of its program in order of first appearance */
    bool has_first;
    int64_t first;
    bool trivial;
};

static int compare_first(bool ha, int64_t a, bool hb, int64_t b)
{
    if (ha != hb)
        return ha ? -1 : 1;
    if (ha && a != b)
        return a < b ? -1 : 1;
    return 0;
}

static int compare_procs(const void *x, const void *y)
{
    const struct proc_order *a = x, *b = y;
    if (a->program != b->program)
        return a->program < b->program ? -1 : 1;
    int c = compare_first(a->has_first, a->first, b->has_first, b->first);
    if (c != 0)
        return c;
    return a->p->seq < b->p->seq ? -1 : a->p->seq > b->p->seq;
}

struct program_order {
    const char *exe;
    bool has_first;
    int64_t first;
    uint64_t seq;
};

static int compare_programs(const void *x, const void *y)
{
    const struct program_order *a = x, *b = y;
    int c = compare_first(a->has_first, a->first, b->has_first, b->first);
    if (c != 0)
        return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Orders processes by program (programs by their first record), then by their first record. */
static struct proc_order *order_procs(const struct er_timeline *t, const struct layout *l,
                                      size_t *nprograms)
{
    struct proc_order *v = calloc(t->len ? t->len : 1, sizeof *v);
    struct program_order *g = calloc(t->len ? t->len : 1, sizeof *g);
    size_t ng = 0;
    if (v == NULL || g == NULL) {
        free(v);
        free(g);
        return NULL;
    }
    for (size_t i = 0; i < t->len; i++) {
        struct proc_order *o = &v[i];
        o->p = &t->procs[i];
        o->has_first = proc_first(o->p, l->base, l->origin, &o->first);
        o->trivial = proc_trivial(o->p);
        size_t k = 0;
        while (k < ng && strcmp(g[k].exe, o->p->exe) != 0)
            k++;
        if (k == ng)
            g[ng++] = (struct program_order){ o->p->exe, false, 0, o->p->seq };
        if (o->has_first && (!g[k].has_first || o->first < g[k].first))
            g[k].has_first = true, g[k].first = o->first;
    }
    qsort(g, ng, sizeof *g, compare_programs);
    for (size_t i = 0; i < t->len; i++)
        for (size_t k = 0; k < ng; k++)
            if (strcmp(g[k].exe, v[i].p->exe) == 0)
                v[i].program = k;
    qsort(v, t->len, sizeof *v, compare_procs);
    free(g);
    *nprograms = ng;
    return v;
}

static void add_member(struct layout *l, struct row *r, const struct proc_order *o, size_t *used)
{
    l->members[(*used)++] = o->p;
    r->nmembers++;
    r->procs++;
    r->records += o->p->len;
}

/* Folding: trivial processes into one row when there are too many rows; then, if still too
 * many, each program's processes into one row. */
static bool make_rows(const struct er_timeline *t, struct layout *l)
{
    size_t nprog = 0;
    struct proc_order *v = order_procs(t, l, &nprog);
    l->programs = nprog;
    l->rows = calloc(t->len + 1, sizeof *l->rows);
    l->members = calloc(t->len ? t->len : 1, sizeof *l->members);
    if (v == NULL || l->rows == NULL || l->members == NULL) {
        free(v);
        return false;
    }
    size_t ntrivial = 0;
    for (size_t i = 0; i < t->len; i++)
        ntrivial += v[i].trivial;
    bool fold_trivial = t->len > ER_TIMELINE_MAX_ROWS && ntrivial >= 2;
    size_t remaining = fold_trivial ? t->len - ntrivial + 1 : t->len;
    bool by_program = remaining > ER_TIMELINE_MAX_ROWS;
    size_t used = 0;
    for (size_t i = 0; i < t->len; i++) {
        if (fold_trivial && v[i].trivial)
            continue;
        struct row *r = NULL;
        if (by_program && l->nrows > 0 && l->rows[l->nrows - 1].exe != NULL &&
            strcmp(l->rows[l->nrows - 1].exe, v[i].p->exe) == 0) {
            r = &l->rows[l->nrows - 1];
            l->folded_by_program += r->procs == 1 ? 2 : 1;
        } else {
            r = &l->rows[l->nrows++];
            r->exe = v[i].p->exe;
            r->pid = v[i].p->pid;
            r->members = &l->members[used];
        }
        add_member(l, r, &v[i], &used);
    }
    if (fold_trivial) {
        struct row *r = &l->rows[l->nrows++];
        r->members = &l->members[used];
        for (size_t i = 0; i < t->len; i++)
            if (v[i].trivial)
                add_member(l, r, &v[i], &used);
        l->folded_trivial = r->procs;
    }
    free(v);
    return true;
}

/* ------------------------------------------------------------------------- drawing */

enum {
    WIDTH = 1200,
    LABEL_X = 10,
    PLOT_X0 = 300,
    PLOT_X1 = 1180,
    TOP = 78,
    ROW_H = 16,
    LABEL_MAX = 44,
};

struct kind_style {
    const char *kind, *colour, *meaning;
};

/* Okabe and Ito's palette, which readers with a colour vision deficiency can tell apart. */
static const struct kind_style styles[] = {
    { "pass", "#009e73", "pass: the real call, at once" },
    { "weak", "#e69f00", "weak: weak bytes handed out" },
    { "eagain", "#56b4e9", "eagain: failed with EAGAIN (the library's or the kernel's)" },
    { "block", "#0072b2", "block: waited for init" },
    { "hang", "#d55e00", "hang: still waiting at the hang timeout" },
    { "interrupted", "#cc79a7", "interrupted: a wait ended by a signal" },
    { "einval", "#882255", "einval: failed with EINVAL" },
    { "abort", "#000000", "abort: glibc aborted" },
    { "other", "#c0c0c0", "other action" },
};

static const struct kind_style *style_of(const char *kind)
{
    for (size_t i = 0; i < sizeof styles / sizeof styles[0]; i++)
        if (strcmp(styles[i].kind, kind) == 0)
            return &styles[i];
    return &styles[sizeof styles / sizeof styles[0] - 1];
}

struct scale {
    int64_t lo, hi; /* ns */
};

static double x_of(const struct scale *s, int64_t ns)
{
    return PLOT_X0 + (double)(ns - s->lo) * (PLOT_X1 - PLOT_X0) / (double)(s->hi - s->lo);
}

/* 1, 2 or 5 times a power of ten, in ns, giving at most about eight ticks. */
static int64_t tick_step(int64_t span)
{
    int64_t step = 1000; /* 1 us */
    for (;;) {
        static const int mult[] = { 1, 2, 5 };
        for (int i = 0; i < 3; i++)
            if (span / (step * mult[i]) <= 8)
                return step * mult[i];
        step *= 10;
    }
}

/* A tick's label: ms below ten seconds of step, else seconds; as few decimals as the step needs. */
static void tick_label(int64_t ns, int64_t step, char *buf, size_t cap)
{
    bool seconds = step >= 1000000000;
    int64_t unit = seconds ? 1000000000 : 1000000;
    int decimals = 0;
    for (int64_t s = step; s < unit && decimals < 6; s *= 10)
        decimals++;
    int64_t whole = ns / unit, frac = ns % unit;
    if (frac < 0)
        whole--, frac += unit;
    if (decimals == 0) {
        snprintf(buf, cap, "%" PRId64 "%s", whole, seconds ? " s" : " ms");
        return;
    }
    int64_t div = unit;
    for (int i = 0; i < decimals; i++)
        div /= 10;
    snprintf(buf, cap, "%" PRId64 ".%0*" PRId64 "%s", whole, decimals, frac / div,
             seconds ? " s" : " ms");
}

struct moments {
    bool has_sim, sim_exact;
    int64_t sim;
    bool crng_drawn, crng_outside;
};

/* The simulated init: where the earliest wait for it ended; without one, the first record that
 * found the simulated pool initialized after others found it not. */
static void simulated_init(const struct er_timeline *t, const struct layout *l, struct moments *mo)
{
    bool has_uninit = false, has_init = false;
    int64_t first_init = 0;
    for (size_t i = 0; i < t->len; i++) {
        for (size_t j = 0; j < t->procs[i].len; j++) {
            const struct er_timeline_mark *m = &t->procs[i].marks[j];
            int64_t at;
            if (!mark_at(m, l->base, l->origin, &at))
                continue;
            if (m->ends_at_init && (!mo->sim_exact || at + m->waited_ns < mo->sim))
                mo->sim_exact = true, mo->sim = at + m->waited_ns;
            has_uninit = has_uninit || m->pool == 1;
            if (m->pool == 2 && (!has_init || at < first_init))
                has_init = true, first_init = at;
        }
    }
    if (mo->sim_exact)
        mo->has_sim = true;
    else if (has_uninit && has_init)
        mo->has_sim = true, mo->sim = first_init;
}

static void compute_scale(const struct er_timeline *t, const struct layout *l,
                          struct moments *mo, struct scale *s)
{
    bool any = false;
    int64_t lo = 0, hi = 0;
    for (size_t i = 0; i < t->len; i++) {
        for (size_t j = 0; j < t->procs[i].len; j++) {
            const struct er_timeline_mark *m = &t->procs[i].marks[j];
            int64_t at;
            if (!mark_at(m, l->base, l->origin, &at))
                continue;
            lo = !any || at < lo ? at : lo;
            hi = !any || at + m->waited_ns > hi ? at + m->waited_ns : hi;
            any = true;
        }
    }
    if (mo->has_sim) {
        lo = !any || mo->sim < lo ? mo->sim : lo;
        hi = !any || mo->sim > hi ? mo->sim : hi;
        any = true;
    }
    /* The kernel's moment widens the axis only when it is near the records (a run on a machine
     * that booted hours ago would otherwise be squeezed into a sliver). */
    if (t->has_crng && l->base == BASE_BOOT) {
        int64_t span = hi - lo;
        if (!any || (t->crng_boot_ns >= lo - span - 1000000 && t->crng_boot_ns <= hi + span + 1000000)) {
            lo = !any || t->crng_boot_ns < lo ? t->crng_boot_ns : lo;
            hi = !any || t->crng_boot_ns > hi ? t->crng_boot_ns : hi;
            any = true;
            mo->crng_drawn = true;
        } else {
            mo->crng_outside = true;
        }
    }
    int64_t span = hi - lo;
    if (span < 1000000)
        span = 1000000;
    int64_t pad = span / 40;
    s->lo = lo - pad;
    s->hi = lo + span + pad;
    if (s->lo < 0 && lo >= 0) /* no tick before boot, or before the first record */
        s->lo = 0;
}

static void attr_text(FILE *out, const char *name, const char *value)
{
    fprintf(out, " %s=\"", name);
    er_xml_text(out, value);
    fputc('"', out);
}

/* The program's name for a label: its last path component, shortened to fit the column. */
static void row_label(const struct row *r, char *buf, size_t cap)
{
    if (r->exe == NULL) {
        snprintf(buf, cap, "%zu processes, trivial requests only", r->procs);
        return;
    }
    const char *base = strrchr(r->exe, '/');
    base = base && base[1] ? base + 1 : r->exe;
    char name[LABEL_MAX + 8];
    size_t n = strlen(base);
    if (n > LABEL_MAX - 12) {
        /* cut on a character boundary, then mark the cut */
        size_t keep = LABEL_MAX - 14;
        while (keep > 0 && ((unsigned char)base[keep] & 0xc0) == 0x80)
            keep--;
        snprintf(name, sizeof name, "%.*s\xe2\x80\xa6", (int)keep, base);
    } else {
        snprintf(name, sizeof name, "%s", base);
    }
    if (r->procs == 1)
        snprintf(buf, cap, "%s [%ld]", name, r->pid);
    else
        snprintf(buf, cap, "%s (%zu processes)", name, r->procs);
}

/* A request answered at once is a tick in one of two lanes, so that an error and the bytes a
 * program asked for next, a fraction of a millisecond apart, are both seen: failures above,
 * bytes below. */
static bool upper_lane(const char *kind)
{
    return strcmp(kind, "pass") != 0 && strcmp(kind, "weak") != 0;
}

static void draw_mark(FILE *out, const struct scale *s, const struct er_timeline_mark *m,
                      int64_t at, double y)
{
    const struct kind_style *st = style_of(m->kind);
    double x = x_of(s, at);
    bool bar = m->waited_ns > 0 && x_of(s, at + m->waited_ns) - x >= 3;
    double w, h, top;
    if (bar) {
        w = x_of(s, at + m->waited_ns) - x;
        h = strcmp(m->kind, "hang") == 0 ? 6 : 10;
        top = y + (ROW_H - h) / 2;
    } else {
        x = (double)(long)(x - 2 + 0.5); /* whole pixels: a 4 px tick stays crisp */
        w = 4;
        h = 7;
        top = y + (upper_lane(m->kind) ? 1 : 8);
    }
    fprintf(out,
            "<rect class=\"mark %s%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" "
            "fill=\"%s\"><title>",
            m->kind, bar ? " wait" : "", x, top, w, h, st->colour);
    er_xml_text(out, m->tip);
    fputs("</title></rect>\n", out);
}

/* Waits first, hangs over them, then ticks: weak bytes over passed calls in their lane. */
static int draw_layer(const struct er_timeline_mark *m)
{
    if (strcmp(m->kind, "hang") == 0)
        return 1;
    if (m->waited_ns > 0)
        return 0;
    return strcmp(m->kind, "pass") == 0 ? 2 : 3;
}

static void draw_row(FILE *out, const struct layout *l, const struct scale *s, size_t index,
                     bool shaded)
{
    const struct row *r = &l->rows[index];
    double y = TOP + (double)index * ROW_H;
    fputs("<g class=\"row\"", out);
    if (r->exe != NULL)
        attr_text(out, "data-exe", r->exe);
    else
        fputs(" data-folded=\"trivial\"", out);
    if (r->procs == 1)
        fprintf(out, " data-pid=\"%ld\"", r->pid);
    fprintf(out, " data-processes=\"%zu\" data-records=\"%zu\">\n", r->procs, r->records);
    fputs("<title>", out);
    if (r->exe != NULL) {
        er_xml_text(out, r->exe);
        if (r->procs == 1)
            fprintf(out, " [pid %ld]", r->pid);
        else
            fprintf(out, ": %zu processes folded into one row", r->procs);
    } else {
        fprintf(out, "%zu processes whose every request passed at once, after init, folded into "
                     "one row:", r->procs);
        for (size_t k = 0; k < r->nmembers && k < 40; k++) {
            fputs("\n", out);
            er_xml_text(out, r->members[k]->exe);
            fprintf(out, " [%ld]", r->members[k]->pid);
        }
        if (r->nmembers > 40)
            fputs("\n...", out);
    }
    fprintf(out, ", %zu record%s</title>\n", r->records, r->records == 1 ? "" : "s");
    if (shaded)
        fprintf(out, "<rect class=\"band\" x=\"0\" y=\"%.0f\" width=\"%d\" height=\"%d\" "
                     "fill=\"#eef2f6\"/>\n", y, WIDTH, ROW_H);
    char label[LABEL_MAX + 64];
    row_label(r, label, sizeof label);
    fprintf(out, "<text class=\"label\" x=\"%d\" y=\"%.0f\"%s>", LABEL_X, y + ROW_H - 4,
            r->exe == NULL ? " font-style=\"italic\"" : "");
    er_xml_text(out, label);
    fputs("</text>\n", out);
    for (int layer = 0; layer < 4; layer++) {
        for (size_t k = 0; k < r->nmembers; k++) {
            const struct er_timeline_proc *p = r->members[k];
            for (size_t j = 0; j < p->len; j++) {
                int64_t at;
                if (draw_layer(&p->marks[j]) == layer &&
                    mark_at(&p->marks[j], l->base, l->origin, &at))
                    draw_mark(out, s, &p->marks[j], at, y);
            }
        }
    }
    fputs("</g>\n", out);
}

static void draw_axis(FILE *out, const struct layout *l, const struct scale *s, double bottom)
{
    int64_t step = tick_step(s->hi - s->lo);
    int64_t first = s->lo / step * step;
    if (first < s->lo)
        first += step;
    fputs("<g class=\"axis\">\n", out);
    for (int64_t at = first; at <= s->hi; at += step) {
        char label[48];
        tick_label(at, step, label, sizeof label);
        double x = x_of(s, at);
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#d0d4d8\"/>"
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                x, TOP - 8, x, bottom, x, TOP - 12, label);
    }
    fprintf(out,
            "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>\n</g>\n", LABEL_X, TOP - 12,
            l->base == BASE_BOOT ? "time after boot (boot_ms)"
                                 : "time after the first record (no boot_ms)");
}

static void draw_moment(FILE *out, const struct scale *s, int64_t at, double bottom,
                        const char *cls, const char *colour, const char *dash, const char *text,
                        int text_row)
{
    char ms[32];
    format_ms(at, ms, sizeof ms);
    double x = x_of(s, at);
    fprintf(out,
            "<g class=\"moment %s\"><title>%s at %s ms</title>"
            "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"%s\" stroke-width=\"2\" "
            "stroke-dasharray=\"%s\"/>"
            "<text x=\"%.1f\" y=\"%d\" fill=\"%s\" text-anchor=\"%s\">%s %s ms</text></g>\n",
            cls, text, ms, x, TOP - 4, x, bottom, colour, dash, x + (x > PLOT_X1 - 200 ? -4 : 4),
            TOP - 30 + 12 * text_row, colour, x > PLOT_X1 - 200 ? "end" : "start", text, ms);
}

static double draw_legend(FILE *out, const struct moments *mo, double y)
{
    fputs("<g class=\"legend\">\n", out);
    int x = LABEL_X;
    for (size_t i = 0; i < sizeof styles / sizeof styles[0] - 1; i++) {
        int w = 30 + 6 * (int)strlen(styles[i].meaning);
        if (x + w > WIDTH - 10) {
            x = LABEL_X;
            y += 18;
        }
        fprintf(out,
                "<rect class=\"key\" x=\"%d\" y=\"%.0f\" width=\"14\" height=\"10\" fill=\"%s\"/>"
                "<text x=\"%d\" y=\"%.0f\">%s</text>\n",
                x, y, styles[i].colour, x + 18, y + 9, styles[i].meaning);
        x += w;
    }
    y += 18;
    fprintf(out,
            "<line x1=\"%d\" y1=\"%.0f\" x2=\"%d\" y2=\"%.0f\" stroke=\"#444\" stroke-width=\"2\" "
            "stroke-dasharray=\"6 3\"/><text x=\"%d\" y=\"%.0f\">simulated init%s</text>\n",
            LABEL_X, y + 5, LABEL_X + 14, y + 5, LABEL_X + 18, y + 9,
            mo->has_sim && !mo->sim_exact
                ? " (by then: the first record that found the simulated pool initialized)"
                : " (where the first wait for it ended)");
    fprintf(out,
            "<line x1=\"%d\" y1=\"%.0f\" x2=\"%d\" y2=\"%.0f\" stroke=\"#b2182b\" "
            "stroke-width=\"2\" stroke-dasharray=\"2 2\"/><text x=\"%d\" y=\"%.0f\">the kernel's "
            "\"crng init done\", from the kernel log</text>\n",
            LABEL_X + 560, y + 5, LABEL_X + 574, y + 5, LABEL_X + 578, y + 9);
    y += 18;
    fputs("<text x=\"10\" y=\"", out);
    fprintf(out, "%.0f\">a bar is a wait, from the request to its end; a tick is a request "
                 "answered at once (failures above, bytes below); hover over a mark for the "
                 "record</text>\n</g>\n", y + 9);
    return y + 18;
}

static double note(FILE *out, double y, const char *text)
{
    fprintf(out, "<text class=\"note\" x=\"%d\" y=\"%.0f\">", LABEL_X, y + 9);
    er_xml_text(out, text);
    fputs("</text>\n", out);
    return y + 16;
}

static void count_undrawn(const struct er_timeline *t, struct layout *l)
{
    for (size_t i = 0; i < t->len; i++)
        for (size_t j = 0; j < t->procs[i].len; j++) {
            int64_t at;
            l->undrawn += !mark_at(&t->procs[i].marks[j], l->base, l->origin, &at);
        }
}

static void choose_base(const struct er_timeline *t, struct layout *l)
{
    bool boot = false, time = false;
    int64_t origin = 0;
    for (size_t i = 0; i < t->len; i++)
        for (size_t j = 0; j < t->procs[i].len; j++) {
            const struct er_timeline_mark *m = &t->procs[i].marks[j];
            boot = boot || m->has_boot;
            if (m->has_time && (!time || m->time_ns < origin))
                origin = m->time_ns;
            time = time || m->has_time;
        }
    l->base = boot ? BASE_BOOT : time ? BASE_TIME : BASE_NONE;
    l->origin = l->base == BASE_TIME ? origin : 0;
}

static void write_svg(const struct er_timeline *t, FILE *out, bool standalone)
{
    struct layout l;
    memset(&l, 0, sizeof l);
    choose_base(t, &l);
    count_undrawn(t, &l);
    if (!make_rows(t, &l)) {
        free(l.rows);
        free(l.members);
        l.rows = NULL;
        l.members = NULL;
        l.nrows = 0;
    }
    struct moments mo;
    memset(&mo, 0, sizeof mo);
    simulated_init(t, &l, &mo);
    struct scale s;
    compute_scale(t, &l, &mo, &s);

    size_t notes = 1 + (l.folded_trivial > 0) + (l.folded_by_program > 0) + (l.undrawn > 0) +
                   (t->crng_untimed && !mo.crng_drawn) + mo.crng_outside + (t->len == 0) +
                   (t->has_crng && l.base != BASE_BOOT);
    double bottom = TOP + (double)(l.nrows ? l.nrows : 1) * ROW_H;
    double height = bottom + 12 + 4 * 18 + (double)notes * 16 + 12;
    if (standalone)
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"earlyrandom-timeline\" "
            "width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\" font-family=\"DejaVu Sans, "
            "Verdana, sans-serif\" font-size=\"11\">\n",
            WIDTH, height, WIDTH, height);
    fputs("<title>earlyrandom: entropy requests over time</title>\n", out);
    fprintf(out, "<rect class=\"background\" width=\"%d\" height=\"%.0f\" fill=\"#ffffff\"/>\n",
            WIDTH, height);
    fprintf(out,
            "<text class=\"heading\" x=\"%d\" y=\"18\" font-size=\"14\" font-weight=\"bold\">"
            "earlyrandom: %" PRIu64 " record%s from %zu process%s of %zu program%s</text>\n",
            LABEL_X, t->records, t->records == 1 ? "" : "s", t->len, t->len == 1 ? "" : "es",
            l.programs, l.programs == 1 ? "" : "s");
    draw_axis(out, &l, &s, bottom);
    fputs("<g class=\"rows\">\n", out);
    size_t program_index = 0;
    for (size_t i = 0; i < l.nrows; i++) {
        if (i > 0 && (l.rows[i].exe == NULL || l.rows[i - 1].exe == NULL ||
                      strcmp(l.rows[i].exe, l.rows[i - 1].exe) != 0))
            program_index++;
        draw_row(out, &l, &s, i, program_index % 2 == 1);
    }
    fputs("</g>\n", out);
    if (mo.has_sim)
        draw_moment(out, &s, mo.sim, bottom, "simulated-init", "#444444", "6 3",
                    mo.sim_exact ? "simulated init" : "simulated pool initialized by", 0);
    if (mo.crng_drawn)
        draw_moment(out, &s, t->crng_boot_ns, bottom, "crng-init", "#b2182b", "2 2",
                    "crng init done", 1);
    double y = draw_legend(out, &mo, bottom + 12);
    char text[256];
    if (t->len == 0)
        y = note(out, y, "No request or hang record in the logs.");
    if (l.folded_trivial > 0) {
        snprintf(text, sizeof text,
                 "%zu processes that made only trivial requests (passed at once, after init, "
                 "no error) are folded into the last row.", l.folded_trivial);
        y = note(out, y, text);
    }
    if (l.folded_by_program > 0) {
        snprintf(text, sizeof text,
                 "Still more than %d rows: the processes of each program share one row "
                 "(%zu processes folded).", ER_TIMELINE_MAX_ROWS, l.folded_by_program);
        y = note(out, y, text);
    }
    if (l.undrawn > 0) {
        snprintf(text, sizeof text,
                 "%" PRIu64 " record%s without %s not drawn (counted in the rows' totals).",
                 l.undrawn, l.undrawn == 1 ? "" : "s",
                 l.base == BASE_BOOT ? "boot_ms (an older library wrote them)" : "a time");
        y = note(out, y, text);
    }
    if (mo.crng_outside) {
        char ms[32];
        format_ms(t->crng_boot_ns, ms, sizeof ms);
        snprintf(text, sizeof text,
                 "The kernel log says crng init done at %s ms after boot, far outside the "
                 "records' time: not drawn.", ms);
        y = note(out, y, text);
    }
    if (t->crng_untimed && !mo.crng_drawn)
        y = note(out, y, "The kernel log says crng init done, but its dump gives no time after "
                         "boot (use dmesg or journalctl -o short-monotonic).");
    if (t->has_crng && l.base != BASE_BOOT)
        y = note(out, y, "The records have no boot_ms: crng init done cannot be placed.");
    note(out, y, l.base == BASE_BOOT
                     ? "Time is the records' boot_ms (CLOCK_BOOTTIME), shared by every process "
                       "and log of one boot."
                     : "Time is the records' wall clock, from the first record.");
    fputs("</svg>\n", out);
    free(l.rows);
    free(l.members);
}

void er_timeline_write_svg(const struct er_timeline *t, FILE *out) { write_svg(t, out, true); }

void er_timeline_write_svg_element(const struct er_timeline *t, FILE *out)
{
    write_svg(t, out, false);
}
