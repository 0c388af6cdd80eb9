#include "coverage.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

#include "audit.h"
#include "binprobe.h"

#define GRND_NONBLOCK_BIT 1u
#define GRND_INSECURE_BIT 4u
/* Within one boot the trace's and the records' clocks keep one offset; matches spread wider
 * than this pair calls and records of different boots by chance. */
#define OFFSET_SPREAD_MAX_NS INT64_C(500000000)
/* glibc's own request: malloc's tcache key, or a temporary file's name (__gen_tempname). */
#define GLIBC_OWN_LEN 8

static bool is(const char *a, const char *b) { return a != NULL && strcmp(a, b) == 0; }

const char *er_cov_reason_name(enum er_cov_reason r)
{
    static const char *const names[] = { "seen", "glibc", "static", "go", "setuid", "initramfs",
                                         "no_exec", "binary_gone", "unexplained" };
    return (size_t)r < sizeof names / sizeof names[0] ? names[r] : "unexplained";
}

/* The library's symbolic flags ("GRND_NONBLOCK|GRND_RANDOM", "0", "0x8") as the kernel's bits. */
static bool grnd_bits(const char *s, unsigned *out)
{
    unsigned v = 0;
    if (s == NULL)
        return false;
    while (*s) {
        size_t n = strcspn(s, "|");
        if (n == 13 && strncmp(s, "GRND_NONBLOCK", n) == 0)
            v |= 1;
        else if (n == 11 && strncmp(s, "GRND_RANDOM", n) == 0)
            v |= 2;
        else if (n == 13 && strncmp(s, "GRND_INSECURE", n) == 0)
            v |= 4;
        else if (n > 2 && strncmp(s, "0x", 2) == 0)
            v |= (unsigned)strtoul(s + 2, NULL, 16);
        else if (!(n == 1 && s[0] == '0'))
            return false;
        s += n;
        if (*s == '|')
            s++;
    }
    *out = v;
    return true;
}

/* Whether a request with these flags reaches the kernel with those: glibc 2.41 adds
 * GRND_NONBLOCK to a GRND_INSECURE request (which never waits anyway), so a record that says
 * GRND_INSECURE shows in a trixie boot's trace as flags 5. */
static bool same_request_flags(unsigned asked, unsigned traced)
{
    if (asked == traced)
        return true;
    return (asked & GRND_INSECURE_BIT) && (asked | GRND_NONBLOCK_BIT) == traced;
}

/* The flags a record's request reached the kernel with, or false when it never did (the library
 * answered it itself) or its API makes no getrandom call of the same length. */
static bool kernel_call_of(const struct er_record *r, unsigned *flags, bool *any_flags)
{
    *any_flags = false;
    if (!is(r->event, "request") || !r->has_bytes || is(r->action, "eagain") ||
        is(r->action, "einval") || is(r->action, "interrupted") || is(r->action, "abort"))
        return false;
    /* Weak bytes are asked for with GRND_INSECURE (or GRND_NONBLOCK), whatever the program said. */
    *any_flags = is(r->action, "weak");
    if (is(r->api, "getrandom") || is(r->api, "syscall") || is(r->api, "SYS_getrandom")) {
        if (!grnd_bits(r->flags, flags))
            *any_flags = true; /* flags the record cannot say: the length alone must do */
        return true;
    }
    if (is(r->api, "getentropy") || is(r->api, "arc4random_buf") || is(r->api, "arc4random")) {
        *flags = 0;
        return true;
    }
    return false;
}

struct pair {
    long key;
    int64_t ns;
    size_t index;
};

static int compare_pair(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if (x->ns != y->ns)
        return x->ns < y->ns ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* ---- the work space of one build ---------------------------------------------------------- */

struct work {
    const struct er_cov_input *in;
    const struct er_ktrace *t;
    struct er_coverage *c;
    long *call_pid;       /* per call: its process, the tgid when anything says it */
    long *call_record;    /* per call: the matched record, or -1 */
    bool *call_probe;     /* per call: the library's own probe of the kernel's pool */
    size_t *exec_order;   /* execs by pid, then time */
    long *rec_call;       /* per record: the matched call, or -1 */
    long *rec_proc;       /* per record: its process in c->procs, or -1 */
    int64_t real_init_ns; /* PID 1's exec of the real root's init; INT64_MIN if none */
    struct pair *by_tid;  /* the calls by thread, then time */
};

static const struct er_kt_exec *exec_at(const struct work *w, size_t i)
{
    return &w->t->execs[w->exec_order[i]];
}

static int compare_exec(const void *a, const void *b, void *ctx)
{
    const struct er_ktrace *t = ctx;
    const struct er_kt_exec *x = &t->execs[*(const size_t *)a], *y = &t->execs[*(const size_t *)b];
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    if (x->ns != y->ns)
        return x->ns < y->ns ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* The exec that started what pid ran at ns: the latest one before it, or -1 for none. */
static long exec_of(const struct work *w, long pid, int64_t ns)
{
    size_t lo = 0, hi = w->t->nexecs;
    while (lo < hi) { /* the first exec of a pid >= pid */
        size_t mid = (lo + hi) / 2;
        if (exec_at(w, mid)->pid < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    long found = -1;
    for (size_t i = lo; i < w->t->nexecs && exec_at(w, i)->pid == pid; i++)
        if (exec_at(w, i)->ns <= ns)
            found = (long)w->exec_order[i];
    return found;
}

static long record_tid(const struct er_record *r) { return r->tid > 0 ? r->tid : r->pid; }

/* A thread's process, from the trace's tgid column or from the library's records. */
static void assign_pids(struct work *w)
{
    const struct er_ktrace *t = w->t;
    struct pair *map = malloc((w->in->nrecords ? w->in->nrecords : 1) * sizeof *map);
    size_t n = 0;
    for (size_t i = 0; map != NULL && i < w->in->nrecords; i++)
        map[n++] = (struct pair){ record_tid(w->in->records[i]), 0,
                                  (size_t)w->in->records[i]->pid };
    if (map != NULL)
        qsort(map, n, sizeof *map, compare_pair);
    for (size_t i = 0; i < t->ncalls; i++) {
        const struct er_kt_call *call = &t->calls[i];
        w->call_pid[i] = call->tgid > 0 ? call->tgid : call->tid;
        if (call->tgid > 0 || map == NULL)
            continue;
        struct pair key = { call->tid, INT64_MIN, 0 };
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (map[mid].key < key.key)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < n && map[lo].key == call->tid && map[lo].index > 0)
            w->call_pid[i] = (long)map[lo].index;
    }
    free(map);
}

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Pairs the library's getrandom records with the trace's calls, thread by thread in order: a
 * record takes the next unmatched call of its length and flags, which skips the calls the
 * library could not see (glibc's own) and its own probes. */
static bool match_calls(struct work *w)
{
    const struct er_ktrace *t = w->t;
    size_t nr = w->in->nrecords;
    struct pair *calls = malloc((t->ncalls ? t->ncalls : 1) * sizeof *calls);
    struct pair *recs = malloc((nr ? nr : 1) * sizeof *recs);
    int64_t *offsets = malloc((nr ? nr : 1) * sizeof *offsets);
    if (calls == NULL || recs == NULL || offsets == NULL) {
        free(calls);
        free(recs);
        free(offsets);
        return false;
    }
    for (size_t i = 0; i < t->ncalls; i++)
        calls[i] = (struct pair){ t->calls[i].tid, 0, i };
    size_t n = 0, noff = 0;
    for (size_t i = 0; i < nr; i++) {
        unsigned flags;
        bool any;
        if (kernel_call_of(w->in->records[i], &flags, &any))
            recs[n++] = (struct pair){ record_tid(w->in->records[i]), 0, i };
    }
    qsort(calls, t->ncalls, sizeof *calls, compare_pair);
    qsort(recs, n, sizeof *recs, compare_pair);
    size_t ci = 0;
    for (size_t ri = 0; ri < n; ri++) {
        const struct er_record *r = w->in->records[recs[ri].index];
        unsigned flags = 0;
        bool any;
        kernel_call_of(r, &flags, &any);
        while (ci < t->ncalls && calls[ci].key < recs[ri].key)
            ci++;
        for (size_t k = ci; k < t->ncalls && calls[k].key == recs[ri].key; k++) {
            const struct er_kt_call *call = &t->calls[calls[k].index];
            if (w->call_record[calls[k].index] >= 0 || call->len != r->bytes ||
                (!any && !same_request_flags(flags, call->flags)))
                continue;
            w->call_record[calls[k].index] = (long)recs[ri].index;
            w->rec_call[recs[ri].index] = (long)calls[k].index;
            w->c->matched_calls++;
            if (r->has_boot)
                offsets[noff++] = call->enter_ns - r->boot_ns;
            ci = k + 1;
            break;
        }
    }
    if (noff > 0) {
        qsort(offsets, noff, sizeof *offsets, compare_i64);
        w->c->has_offset = true;
        w->c->offset_ns = offsets[noff / 2];
        w->c->offset_spread_ns = offsets[noff - 1 - noff / 10] - offsets[noff / 10];
    }
    free(calls);
    free(recs);
    free(offsets);
    return true;
}

/* The library asks the kernel with GRND_NONBLOCK before each record it writes while the pool is
 * not ready, for zero bytes (for one in older versions): an unmatched such call in a thread the
 * library logged is that probe. */
static void mark_probes(struct work *w)
{
    const struct er_ktrace *t = w->t;
    struct pair *logged = malloc((w->in->nrecords ? w->in->nrecords : 1) * sizeof *logged);
    if (logged == NULL)
        return;
    for (size_t i = 0; i < w->in->nrecords; i++)
        logged[i] = (struct pair){ record_tid(w->in->records[i]), 0, 0 };
    qsort(logged, w->in->nrecords, sizeof *logged, compare_pair);
    for (size_t i = 0; i < t->ncalls; i++) {
        const struct er_kt_call *call = &t->calls[i];
        if (w->call_record[i] >= 0 || call->len > 1 || call->flags != GRND_NONBLOCK_BIT)
            continue;
        struct pair key = { call->tid, 0, 0 };
        w->call_probe[i] =
            bsearch(&key, logged, w->in->nrecords, sizeof *logged, compare_pair) != NULL;
        w->c->library_probes += w->call_probe[i];
    }
    free(logged);
}

/* The moment the pool became initialized: the kernel log's, else the trace's own bound, the
 * first request that got bytes without GRND_INSECURE (a non-blocking one when it entered, a
 * blocking one when it returned). */
static void init_moment(struct work *w)
{
    struct er_coverage *c = w->c;
    if (w->in->has_crng) {
        c->has_init = true;
        c->init_ns = w->in->crng_ns;
        c->init_source = "kernel log";
        return;
    }
    for (size_t i = 0; i < w->t->ncalls; i++) {
        const struct er_kt_call *call = &w->t->calls[i];
        if (!call->has_exit || call->ret <= 0 || (call->flags & GRND_INSECURE_BIT) ||
            w->call_probe[i])
            continue;
        int64_t at = (call->flags & GRND_NONBLOCK_BIT) ? call->enter_ns : call->exit_ns;
        if (!c->has_init || at < c->init_ns) {
            c->has_init = true;
            c->init_ns = at;
            c->init_source = "trace";
        }
    }
}

/* The initramfs's tools that PID 1 becomes to switch roots: still the initramfs's own files. */
static bool switches_root(const char *filename)
{
    const char *slash = strrchr(filename, '/');
    const char *base = slash ? slash + 1 : filename;
    return strcmp(base, "run-init") == 0 || strcmp(base, "switch_root") == 0;
}

/* PID 1's exec of another file than its first one, past initramfs-tools' run-init or busybox's
 * switch_root, which /init execs as PID 1 to switch: the real root's init. */
static void find_real_init(struct work *w)
{
    w->real_init_ns = INT64_MIN;
    const struct er_kt_exec *first = NULL;
    for (size_t i = 0; i < w->t->nexecs; i++) {
        const struct er_kt_exec *e = exec_at(w, i);
        if (e->pid != 1)
            continue;
        if (first == NULL)
            first = e;
        else if (strcmp(e->filename, first->filename) != 0 && !switches_root(e->filename)) {
            w->real_init_ns = e->ns;
            return;
        }
    }
}

static bool early_call(const struct work *w, size_t i)
{
    const struct er_kt_call *call = &w->t->calls[i];
    return !w->call_probe[i] && call->len > 0 &&
           (!w->c->has_init || call->enter_ns < w->c->init_ns);
}

static struct er_cov_process *find_process(struct er_coverage *c, long pid,
                                           const struct er_kt_exec *e)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->procs[i].pid == pid && c->procs[i].exec == e)
            return &c->procs[i];
    return NULL;
}

static bool build_processes(struct work *w)
{
    struct er_coverage *c = w->c;
    for (size_t i = 0; i < w->t->ncalls; i++) {
        if (!early_call(w, i))
            continue;
        const struct er_kt_call *call = &w->t->calls[i];
        long ex = exec_of(w, w->call_pid[i], call->enter_ns);
        const struct er_kt_exec *e = ex >= 0 ? &w->t->execs[ex] : NULL;
        struct er_cov_process *p = find_process(c, w->call_pid[i], e);
        if (p == NULL) {
            if (!er_reserve((void **)&c->procs, &c->cap, c->n, sizeof c->procs[0]))
                return false;
            p = &c->procs[c->n++];
            memset(p, 0, sizeof *p);
            p->pid = w->call_pid[i];
            p->tid = call->tid;
            p->exec = e;
            p->first_ns = call->enter_ns;
            memcpy(p->comm, call->comm, sizeof p->comm);
        }
        if (call->tid == p->pid && strcmp(call->comm, "<...>") != 0)
            memcpy(p->comm, call->comm, sizeof p->comm);
        p->early_calls++;
        p->early_bytes += call->len;
        if (call->has_exit && call->exit_ns - call->enter_ns > p->kernel_wait_ns)
            p->kernel_wait_ns = call->exit_ns - call->enter_ns;
        if (w->call_record[i] >= 0)
            p->matched++;
        else if (call->len == GLIBC_OWN_LEN && call->flags == GRND_NONBLOCK_BIT)
            p->glibc_own++;
        else
            p->other_unseen++;
    }
    return true;
}

/* A record's moment on the trace's clock: its boot_ms moved by the offset the matches showed. */
static int64_t trace_time(const struct work *w, const struct er_record *r)
{
    return r->has_boot ? r->boot_ns + (w->c->has_offset ? w->c->offset_ns : 0) : INT64_MAX;
}

/* Where a record belongs: its matched call's process, else its pid's at its time. */
static long process_of_record(struct work *w, size_t ri)
{
    const struct er_record *r = w->in->records[ri];
    long pid = r->pid, ex;
    if (w->rec_call[ri] >= 0) {
        size_t ci = (size_t)w->rec_call[ri];
        pid = w->call_pid[ci];
        ex = exec_of(w, pid, w->t->calls[ci].enter_ns);
    } else {
        ex = exec_of(w, pid, trace_time(w, r));
    }
    struct er_cov_process *p = find_process(w->c, pid, ex >= 0 ? &w->t->execs[ex] : NULL);
    return p ? (long)(p - w->c->procs) : -1;
}

static void how_key(const struct er_record *r, char *buf, size_t cap)
{
    const char *detail = r->device ? r->device : r->flags;
    snprintf(buf, cap, detail ? "%s(%s)->%s" : "%s->%s", r->api ? r->api : "?",
             detail ? detail : (r->action ? r->action : "?"), r->action ? r->action : "?");
}

static bool attach_records(struct work *w)
{
    for (size_t i = 0; i < w->in->nrecords; i++) {
        long pi = w->rec_proc[i] = process_of_record(w, i);
        if (pi < 0)
            continue;
        const struct er_record *r = w->in->records[i];
        struct er_cov_process *p = &w->c->procs[pi];
        if (!is(r->event, "request"))
            continue;
        p->records++;
        if (p->exe == NULL && r->exe != NULL && (p->exe = strdup(r->exe)) == NULL)
            return false;
        if (!is(r->kernel_pool, "uninitialized"))
            continue;
        char key[300], who[600];
        how_key(r, key, sizeof key);
        snprintf(who, sizeof who, "%s%s%s", r->caller ? r->caller : "?",
                 r->caller_symbol ? " " : "", r->caller_symbol ? r->caller_symbol : "");
        if (!er_counts_add(&p->seen, key, 1) || !er_counts_add(&p->callers, who, 1))
            return false;
        p->library_wait_ns += r->has_waited ? r->waited_ns : 0;
    }
    return true;
}

/* ---- evidence from the binary -------------------------------------------------------------- */

struct probe_cache {
    char *path;
    bool found;
    int err;
    struct er_probe probe;
};

struct binaries {
    const char *root;
    bool preload_has_library; /* the root's /etc/ld.so.preload names libearlyrandom.so */
    struct probe_cache *items;
    size_t n, cap;
};

/* Opens path as seen from inside root: absolute symbolic links stay inside it. */
static int open_in_root(int rootfd, const char *root, const char *path)
{
#ifdef SYS_openat2
    struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                            .resolve = RESOLVE_IN_ROOT };
    long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    if (fd >= 0 || errno != ENOSYS)
        return (int)fd;
#endif
    (void)rootfd;
    char full[4096];
    if ((size_t)snprintf(full, sizeof full, "%s/%s", root, path) >= sizeof full) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
}

static bool probe_path(const char *root, const char *path, struct er_probe *out, int *err)
{
    int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        *err = errno;
        return false;
    }
    int fd = open_in_root(rootfd, root, path);
    *err = errno;
    close(rootfd);
    if (fd < 0)
        return false;
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
    /* Any user but the file's owner may run it: setuid is secure mode for all of them. */
    bool ok = er_probe_file(self, (uid_t)-1, (gid_t)-1, out);
    *err = ok ? 0 : errno;
    close(fd);
    return ok;
}

static const struct probe_cache *examine(struct binaries *b, const char *path)
{
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->items[i].path, path) == 0)
            return &b->items[i];
    if (!er_reserve((void **)&b->items, &b->cap, b->n, sizeof b->items[0]))
        return NULL;
    struct probe_cache *pc = &b->items[b->n];
    memset(pc, 0, sizeof *pc);
    if ((pc->path = strdup(path)) == NULL)
        return NULL;
    pc->found = probe_path(b->root, path, &pc->probe, &pc->err);
    /* A script is run by its interpreter: that is the binary the loader sees. */
    if (pc->found && !pc->probe.is_elf && pc->probe.interpreter[0] == '/') {
        struct er_probe interp;
        int err;
        if (probe_path(b->root, pc->probe.interpreter, &interp, &err)) {
            char name[sizeof pc->probe.interpreter];
            memcpy(name, pc->probe.interpreter, sizeof name);
            pc->probe = interp;
            memcpy(pc->probe.interpreter, name, sizeof name);
        }
    }
    b->n++;
    return pc;
}

static void note_preload_entry(const char *entry, size_t len, void *ctx)
{
    if (er_preload_is_ours(entry, len))
        *(bool *)ctx = true;
}

static void read_root_preload(struct binaries *b)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s" ER_AUDIT_PRELOAD, b->root) >= sizeof path)
        return;
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return;
    char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    er_preload_each(text, note_preload_entry, &b->preload_has_library);
}

static bool glibc_loader(const struct er_probe *p)
{
    const char *base = strrchr(p->loader, '/');
    base = base ? base + 1 : p->loader;
    return strncmp(base, "ld-linux", 8) == 0 || strncmp(base, "ld64.so", 7) == 0 ||
           strncmp(base, "ld.so", 5) == 0;
}

/* ---- the verdicts --------------------------------------------------------------------------- */

static bool set_why(struct er_cov_process *p, enum er_cov_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool set_why(struct er_cov_process *p, enum er_cov_reason reason, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (n < 0)
        return false;
    free(p->why);
    p->why = text;
    p->reason = reason;
    return true;
}

static void ms(int64_t ns, char *buf, size_t cap)
{
    bool neg = ns < 0;
    uint64_t us = (uint64_t)(neg ? -ns : ns) / 1000;
    snprintf(buf, cap, "%s%" PRIu64 ".%03u", neg ? "-" : "", us / 1000, (unsigned)(us % 1000));
}

static void secs(int64_t ns, char *buf, size_t cap)
{
    uint64_t us = (uint64_t)(ns < 0 ? 0 : ns) / 1000;
    snprintf(buf, cap, "%" PRIu64 ".%06u", us / 1000000, (unsigned)(us % 1000000));
}

/* Another process that ran the same file and that the library logged: proof it loads there. */
static long logged_sibling(const struct work *w, const struct er_cov_process *p)
{
    for (size_t i = 0; i < w->in->nrecords; i++) {
        long pid = w->in->records[i]->pid;
        if (pid == p->pid)
            continue;
        const struct er_record *r = w->in->records[i];
        long ex = exec_of(w, pid, trace_time(w, r));
        if (ex >= 0 && strcmp(w->t->execs[ex].filename, p->exec->filename) == 0)
            return pid;
    }
    return 0;
}

static const char glibc_words[] =
    "glibc's own 8-byte GRND_NONBLOCK request (malloc's tcache key, or a temporary file's name), "
    "made inside glibc where no preload can see it";

static bool judge_unlogged(struct work *w, struct binaries *b, struct er_cov_process *p)
{
    char t1[32], t2[32];
    bool only_glibc = p->other_unseen == 0 && p->glibc_own > 0;
    if (p->exec != NULL && w->real_init_ns != INT64_MIN && p->exec->ns < w->real_init_ns) {
        secs(p->exec->ns, t1, sizeof t1);
        secs(w->real_init_ns, t2, sizeof t2);
        return set_why(p, ER_COV_INITRAMFS,
                       "started before the library could load: exec'd at %s s, before PID 1 "
                       "exec'd the real root's init at %s s (the initramfs has no "
                       "/etc/ld.so.preload naming the library)",
                       t1, t2);
    }
    /* A fork that exec'd nothing (udevd's workers) asking before the switch runs the initramfs's
     * program, as kernel threads and their usermode helpers then do. */
    if (p->exec == NULL && w->real_init_ns != INT64_MIN && p->first_ns < w->real_init_ns) {
        secs(p->first_ns, t1, sizeof t1);
        secs(w->real_init_ns, t2, sizeof t2);
        return set_why(p, ER_COV_INITRAMFS,
                       "ran in the initramfs: no exec of its own in the trace (a fork, as udevd's "
                       "workers are), it asked at %s s, before PID 1 exec'd the real root's init "
                       "at %s s (the initramfs has no /etc/ld.so.preload naming the library)",
                       t1, t2);
    }
    if (p->exec == NULL)
        return set_why(p, ER_COV_NO_EXEC,
                       "no exec seen in the trace: a kernel thread, a usermode helper or a fork "
                       "of a process the trace does not name, so there is no binary to examine");
    const char *file = p->exec->filename;
    long sibling = only_glibc ? logged_sibling(w, p) : 0;
    if (sibling > 0)
        return set_why(p, ER_COV_GLIBC,
                       "%s: the library loads into %s (it logged pid %ld running it)", glibc_words,
                       file, sibling);
    if (b->root != NULL) {
        const struct probe_cache *pc = examine(b, file);
        if (pc == NULL)
            return false;
        if (!pc->found)
            return set_why(p, ER_COV_GONE, "binary gone: %s cannot be read under %s (%s)", file,
                           b->root, strerror(pc->err));
        const struct er_probe *pr = &pc->probe;
        if (pr->is_go)
            return set_why(p, ER_COV_GO,
                           "a Go program (%s has Go's build ID): its runtime makes the getrandom "
                           "system call itself, past any preload",
                           file);
        if (pr->is_static)
            return set_why(p, ER_COV_STATIC,
                           "statically linked (%s has no program interpreter): no preload loads "
                           "into it",
                           file);
        /* glibc's own request is out of sight whether or not the library is loaded. */
        if (only_glibc && glibc_loader(pr))
            return set_why(p, ER_COV_GLIBC, "%s: %s is dynamically linked against glibc (%s)",
                           glibc_words, file, pr->loader);
        if (pr->is_secure && !b->preload_has_library)
            return set_why(p, ER_COV_SETUID,
                           "setuid, setgid or file capabilities (%s): run by another user than "
                           "its owner, the loader runs it in secure mode (AT_SECURE) and ignores "
                           "LD_PRELOAD, and the root's /etc/ld.so.preload does not name the "
                           "library",
                           file);
        return set_why(p, ER_COV_UNEXPLAINED,
                       "%s is dynamically linked (%s), yet the library logged none of its %" PRIu64
                       " request%s",
                       file, pr->loader[0] ? pr->loader : "no interpreter",
                       p->early_calls, p->early_calls == 1 ? "" : "s");
    }
    if (only_glibc)
        return set_why(p, ER_COV_UNEXPLAINED,
                       "only 8-byte GRND_NONBLOCK requests, the shape of glibc's own, but %s was "
                       "not examined to show it is a glibc program (give --root DIR)",
                       file);
    return set_why(p, ER_COV_UNEXPLAINED,
                   "the library logged nothing for %s and nothing else explains why (give --root "
                   "DIR to examine the binary)",
                   file);
}

static bool judge(struct work *w, struct binaries *b, struct er_cov_process *p)
{
    if (p->records == 0)
        return judge_unlogged(w, b, p);
    if (p->other_unseen == 0) {
        if (p->glibc_own == 0)
            return set_why(p, ER_COV_SEEN, "the library saw every request");
        return set_why(p, ER_COV_SEEN, "the library saw every other request; %" PRIu64 " %s %s",
                       p->glibc_own, p->glibc_own == 1 ? "was" : "were", glibc_words);
    }
    if (b->root != NULL && p->exec != NULL) {
        const struct probe_cache *pc = examine(b, p->exec->filename);
        if (pc == NULL)
            return false;
        if (pc->found && pc->probe.is_go)
            return set_why(p, ER_COV_GO,
                           "a Go program (%s): its runtime made %" PRIu64
                           " request%s itself, past the library",
                           p->exec->filename, p->other_unseen, p->other_unseen == 1 ? "" : "s");
    }
    return set_why(p, ER_COV_UNEXPLAINED,
                   "the library logged this process but not %" PRIu64 " of its requests that are "
                   "not glibc's own",
                   p->other_unseen);
}

/* ---- the names the processes ran as -------------------------------------------------------- */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The comm of pid's own thread in the trace, at or after ns (after an exec the name changes). */
static const char *comm_of(const struct work *w, long pid, int64_t from_ns)
{
    size_t lo = 0, hi = w->t->ncalls;
    struct pair key = { pid, from_ns, 0 };
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (compare_pair(&w->by_tid[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < w->t->ncalls && w->by_tid[i].key == pid; i++) {
        const char *comm = w->t->calls[w->by_tid[i].index].comm;
        if (strcmp(comm, "<...>") != 0)
            return comm;
    }
    return NULL;
}

/* The name the trace gives a record: the file its process was exec'd as when the exe (symbolic
 * links resolved) has another name, or the comm of a fork that never exec'd. */
static bool name_records(struct work *w)
{
    struct er_coverage *c = w->c;
    for (size_t i = 0; i < w->in->nrecords; i++) {
        const struct er_record *r = w->in->records[i];
        const char *exe = r->exe ? r->exe : "";
        long ex;
        if (w->rec_call[i] >= 0)
            ex = exec_of(w, w->call_pid[w->rec_call[i]], w->t->calls[w->rec_call[i]].enter_ns);
        else
            ex = exec_of(w, r->pid, trace_time(w, r));
        const char *name = NULL;
        if (ex >= 0) {
            const char *file = w->t->execs[ex].filename;
            if (exe[0] == '\0' || strcmp(base_name(file), base_name(exe)) != 0)
                name = file;
            else {
                const char *comm = comm_of(w, r->pid, w->t->execs[ex].ns);
                /* A fork of it that renamed itself, as udevd's workers do. */
                if (comm != NULL && strncmp(comm, base_name(exe), 15) != 0 && comm[0] == '(')
                    name = comm;
            }
        } else {
            const char *comm = comm_of(w, r->pid, INT64_MIN);
            if (comm != NULL && (exe[0] == '\0' || strncmp(comm, base_name(exe), 15) != 0))
                name = comm;
        }
        if (name != NULL && strcmp(name, exe) != 0 && (c->names[i] = strdup(name)) == NULL)
            return false;
    }
    return true;
}

static int compare_process(const void *a, const void *b)
{
    const struct er_cov_process *x = a, *y = b;
    if (x->first_ns != y->first_ns)
        return x->first_ns < y->first_ns ? -1 : 1;
    return x->pid < y->pid ? -1 : x->pid > y->pid;
}

bool er_coverage_build(struct er_coverage *c, const struct er_cov_input *in)
{
    memset(c, 0, sizeof *c);
    const struct er_ktrace *t = in->trace;
    size_t nc = t->ncalls ? t->ncalls : 1, nr = in->nrecords ? in->nrecords : 1;
    size_t ne = t->nexecs ? t->nexecs : 1;
    struct work w = { in, t, c, calloc(nc, sizeof(long)), malloc(nc * sizeof(long)),
                      calloc(nc, sizeof(bool)), malloc(ne * sizeof(size_t)),
                      malloc(nr * sizeof(long)), malloc(nr * sizeof(long)), INT64_MIN,
                      malloc(nc * sizeof(struct pair)) };
    struct binaries b = { in->root, false, NULL, 0, 0 };
    c->names = calloc(nr, sizeof *c->names);
    c->nrecords = in->nrecords;
    c->lost_events = er_ktrace_lost(t);
    c->examined_binaries = in->root != NULL;
    bool ok = w.call_pid && w.call_record && w.call_probe && w.exec_order && w.rec_call &&
              w.rec_proc && w.by_tid && c->names;
    if (ok) {
        for (size_t i = 0; i < t->ncalls; i++)
            w.by_tid[i] = (struct pair){ t->calls[i].tid, t->calls[i].enter_ns, i };
        qsort(w.by_tid, t->ncalls, sizeof *w.by_tid, compare_pair);
        for (size_t i = 0; i < t->ncalls; i++)
            w.call_record[i] = -1;
        for (size_t i = 0; i < in->nrecords; i++)
            w.rec_call[i] = w.rec_proc[i] = -1;
        for (size_t i = 0; i < t->nexecs; i++)
            w.exec_order[i] = i;
        qsort_r(w.exec_order, t->nexecs, sizeof *w.exec_order, compare_exec, (void *)t);
        if (in->root != NULL)
            read_root_preload(&b);
        assign_pids(&w);
        ok = match_calls(&w);
    }
    if (ok) {
        mark_probes(&w);
        init_moment(&w);
        find_real_init(&w);
        ok = build_processes(&w) && attach_records(&w) && name_records(&w);
    }
    for (size_t i = 0; ok && i < in->nrecords; i++) {
        unsigned flags;
        bool any;
        c->unmatched_records += w.rec_call[i] < 0 && kernel_call_of(in->records[i], &flags, &any);
    }
    for (size_t i = 0; ok && i < c->n; i++) {
        struct er_cov_process *p = &c->procs[i];
        const char *name = p->exec ? p->exec->filename : p->comm;
        ok = (p->name = strdup(name[0] ? name : "?")) != NULL && judge(&w, &b, p);
        c->seen += p->records > 0;
        c->explained += ok && p->reason != ER_COV_UNEXPLAINED;
    }
    if (ok)
        qsort(c->procs, c->n, sizeof *c->procs, compare_process);
    free(w.call_pid);
    free(w.call_record);
    free(w.call_probe);
    free(w.exec_order);
    free(w.rec_call);
    free(w.rec_proc);
    free(w.by_tid);
    for (size_t i = 0; i < b.n; i++)
        free(b.items[i].path);
    free(b.items);
    return ok;
}

void er_coverage_free(struct er_coverage *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->procs[i].name);
        free(c->procs[i].exe);
        free(c->procs[i].why);
        er_counts_free(&c->procs[i].seen);
        er_counts_free(&c->procs[i].callers);
    }
    free(c->procs);
    for (size_t i = 0; c->names != NULL && i < c->nrecords; i++)
        free(c->names[i]);
    free(c->names);
    memset(c, 0, sizeof *c);
}

const char *er_coverage_name(const struct er_coverage *c, size_t i)
{
    return c->names != NULL && i < c->nrecords ? c->names[i] : NULL;
}

/* ---- output ---------------------------------------------------------------------------------- */

static void print_counts(FILE *out, const struct er_counts *cn)
{
    for (size_t i = 0; i < cn->len; i++) {
        fputs(i ? " " : "", out);
        er_print_clean(out, cn->items[i].name, 0);
        fprintf(out, ":%" PRIu64, cn->items[i].n);
    }
}

void er_coverage_print_text(const struct er_coverage *c, FILE *out)
{
    char t[32], off[32];
    fputs("\nKernel trace: every process the kernel saw asking for random bytes before its pool "
          "was initialized\n",
          out);
    if (c->has_init) {
        secs(c->init_ns, t, sizeof t);
        fprintf(out, "The pool was initialized at %s s (%s).\n", t,
                strcmp(c->init_source, "trace") == 0
                    ? "from the trace: its first request that got bytes without GRND_INSECURE; "
                      "give the kernel log for 'crng init done'"
                    : "'crng init done' in the kernel log");
    } else {
        fputs("Neither the kernel log nor the trace shows the pool initialized: every request in "
              "the trace counts.\n",
              out);
    }
    if (c->lost_events > 0)
        fprintf(out,
                "WARNING: the trace lost %" PRIu64 " events (its ring buffer was full): processes "
                "may be missing; boot with a larger trace_buf_size=.\n",
                c->lost_events);
    if (c->matched_calls == 0 && c->unmatched_records > 0)
        fprintf(out,
                "WARNING: none of the library's %" PRIu64 " getrandom records matches a call of "
                "the trace: are the log and the trace of the same boot?\n",
                c->unmatched_records);
    else if (c->has_offset && c->offset_spread_ns > OFFSET_SPREAD_MAX_NS) {
        ms(c->offset_spread_ns, t, sizeof t);
        fprintf(out,
                "WARNING: the calls matched to the library's records disagree on the clocks' "
                "offset by %s ms (one boot's stay within milliseconds): are the log and the trace "
                "of the same boot?\n",
                t);
    }
    if (c->n == 0)
        fputs("no process asked before then\n", out);
    else
        fprintf(out, "%7s  %-50s %6s %8s  %s\n", "pid", "process", "calls", "bytes",
                "what the library saw, or why it could not");
    for (size_t i = 0; i < c->n; i++) {
        const struct er_cov_process *p = &c->procs[i];
        fprintf(out, "%7ld  ", p->pid);
        er_print_clean(out, p->name, 50);
        fprintf(out, " %6" PRIu64 " %8" PRIu64 "  %s\n", p->early_calls, p->early_bytes,
                p->reason == ER_COV_SEEN ? "seen" : er_cov_reason_name(p->reason));
        if (p->seen.len > 0) {
            fputs("           saw: ", out);
            print_counts(out, &p->seen);
            fputs("\n           callers: ", out);
            print_counts(out, &p->callers);
            fputc('\n', out);
        }
        if (p->kernel_wait_ns >= 1000000) {
            ms(p->kernel_wait_ns, t, sizeof t);
            ms(p->library_wait_ns, off, sizeof off);
            fprintf(out, "           the kernel held a request %s ms (the library waited %s ms)\n",
                    t, off);
        }
        fputs("           ", out);
        er_print_clean(out, p->why ? p->why : "", 0);
        fputc('\n', out);
    }
    fprintf(out,
            "Coverage: %zu process%s asked before init in the trace; the library logged %zu; "
            "%zu %s explained",
            c->n, c->n == 1 ? "" : "es", c->seen, c->explained, c->explained == 1 ? "is" : "are");
    if (c->explained == c->n) {
        fputs("; none is unexplained.\n", out);
    } else {
        fputs("; unexplained:", out);
        for (size_t i = 0, k = 0; i < c->n; i++) {
            if (c->procs[i].reason != ER_COV_UNEXPLAINED)
                continue;
            fprintf(out, "%s %ld ", k++ ? "," : "", c->procs[i].pid);
            er_print_clean(out, c->procs[i].name, 0);
        }
        fputs(".\n", out);
    }
    if (c->has_offset) {
        ms(c->offset_ns, off, sizeof off);
        fprintf(out,
                "%" PRIu64 " calls matched the library's records one for one (thread, order, "
                "length, flags); the trace's clock is %s ms ahead of the records' boot_ms.\n",
                c->matched_calls, off);
    }
    if (c->library_probes > 0)
        fprintf(out,
                "%" PRIu64 " GRND_NONBLOCK calls for zero bytes (one in older versions) were the "
                "library's own probes of the kernel's pool, left out.\n",
                c->library_probes);
    if (!c->examined_binaries)
        fputs("No binary was examined: give --root DIR (/ on the machine that booted) to name "
              "static, Go and setuid programs and glibc's own requests from the files.\n",
              out);
}

static void json_counts(FILE *out, const char *key, const struct er_counts *cn)
{
    fprintf(out, ",\"%s\":{", key);
    for (size_t i = 0; i < cn->len; i++) {
        fputs(i ? "," : "", out);
        er_json_string(out, cn->items[i].name);
        fprintf(out, ":%" PRIu64, cn->items[i].n);
    }
    fputc('}', out);
}

static void json_process(FILE *out, const struct er_cov_process *p)
{
    char t[32];
    fprintf(out, "{\"pid\":%ld,\"tid\":%ld,\"process\":", p->pid, p->tid);
    er_json_string(out, p->name);
    fputs(",\"comm\":", out);
    er_json_string(out, p->comm);
    fputs(",\"exe\":", out);
    if (p->exe)
        er_json_string(out, p->exe);
    else
        fputs("null", out);
    secs(p->first_ns, t, sizeof t);
    fprintf(out,
            ",\"early_calls\":%" PRIu64 ",\"early_bytes\":%" PRIu64 ",\"matched\":%" PRIu64
            ",\"glibc_own\":%" PRIu64 ",\"other_unseen\":%" PRIu64 ",\"records\":%" PRIu64
            ",\"first_s\":%s",
            p->early_calls, p->early_bytes, p->matched, p->glibc_own, p->other_unseen, p->records,
            t);
    ms(p->kernel_wait_ns, t, sizeof t);
    fprintf(out, ",\"kernel_wait_ms\":%s", t);
    ms(p->library_wait_ns, t, sizeof t);
    fprintf(out, ",\"library_wait_ms\":%s", t);
    json_counts(out, "seen", &p->seen);
    json_counts(out, "callers", &p->callers);
    fprintf(out, ",\"reason\":\"%s\",\"why\":", er_cov_reason_name(p->reason));
    er_json_string(out, p->why ? p->why : "");
    fputc('}', out);
}

void er_coverage_print_json_member(const struct er_coverage *c, FILE *out)
{
    char t[32];
    fprintf(out, "\"coverage\":{\"trace_processes\":%zu,\"seen_by_library\":%zu,\"explained\":%zu,"
                 "\"unexplained\":[",
            c->n, c->seen, c->explained);
    for (size_t i = 0, k = 0; i < c->n; i++)
        if (c->procs[i].reason == ER_COV_UNEXPLAINED) {
            fputs(k++ ? "," : "", out);
            json_process(out, &c->procs[i]);
        }
    fputs("],\"init_s\":", out);
    if (c->has_init) {
        secs(c->init_ns, t, sizeof t);
        fprintf(out, "%s,\"init_source\":\"%s\"", t, c->init_source);
    } else {
        fputs("null,\"init_source\":null", out);
    }
    fputs(",\"clock_offset_ms\":", out);
    if (c->has_offset) {
        ms(c->offset_ns, t, sizeof t);
        fputs(t, out);
        ms(c->offset_spread_ns, t, sizeof t);
        fprintf(out, ",\"clock_offset_spread_ms\":%s", t);
    } else {
        fputs("null,\"clock_offset_spread_ms\":null", out);
    }
    fprintf(out,
            ",\"matched_calls\":%" PRIu64 ",\"library_probes\":%" PRIu64
            ",\"unmatched_records\":%" PRIu64 ",\"lost_events\":%" PRIu64
            ",\"binaries_examined\":%s,\"processes\":[",
            c->matched_calls, c->library_probes, c->unmatched_records, c->lost_events,
            c->examined_binaries ? "true" : "false");
    for (size_t i = 0; i < c->n; i++) {
        fputs(i ? "," : "", out);
        json_process(out, &c->procs[i]);
    }
    fputs("]}", out);
}
