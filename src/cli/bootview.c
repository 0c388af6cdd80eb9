#include "bootview.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Every blind spot, each with the engines it applies to: what the syscall engine sees drops out
 * of the list once its records show that it ran. */
const struct er_blind_spot er_blind_spots[] = {
    { ER_BLIND_WITHOUT_SECCOMP,
      "statically linked programs and Go programs: they do not go through the C library's "
      "functions, so no preload sees them (busybox, many initramfs tools, Go daemons); the "
      "syscall engine (earlyrandom --engine=auto) does",
      "static and Go programs" },
    { ER_BLIND_WITHOUT_SECCOMP,
      "setuid and setcap programs, unless the library comes from /etc/ld.so.preload, as "
      "'earlyrandom audit enable' puts it: the loader ignores LD_PRELOAD for them",
      "setuid and setcap programs" },
    { ER_BLIND_WITHOUT_SECCOMP,
      "32-bit programs: the 64-bit library cannot be loaded into them",
      "32-bit programs" },
    { ER_BLIND_WITHOUT_SECCOMP,
      "the C library's own internal requests: malloc's tcache key, temporary file names "
      "(mkstemp, tmpfile)",
      "the C library's internal requests (malloc, temporary file names)" },
    { ER_BLIND_ALWAYS,
      "the AT_RANDOM bytes the kernel hands every process at exec for its stack protector and "
      "pointer guard: no system call asks for them",
      "AT_RANDOM" },
    { ER_BLIND_ALWAYS,
      "the kernel's own consumers: address space layout, stack canaries, hash seeds, network "
      "sequence numbers and the like never go through a program",
      "the kernel's own consumers" },
    { ER_BLIND_ALWAYS,
      "io_uring: an open or read of a random device submitted through io_uring makes no system "
      "call that a hook or the filter could see",
      "io_uring" },
    { ER_BLIND_WITH_SECCOMP,
      "what /dev/random and /dev/urandom give the programs the preload is not in (static and Go "
      "programs, every program with --engine=seccomp): the syscall engine logs their opens, and "
      "the kernel answers their reads, even before the simulated init",
      "what the random devices give programs without the preload (their opens are logged)" },
    { ER_BLIND_WITH_SECCOMP,
      "the vDSO's getrandom (Linux 6.11 and later) of a program that maps its state without "
      "MAP_DROPPABLE: the filter refuses that mapping, so glibc 2.41 and Go 1.24 fall back to the "
      "system call (the test suite checks both in a Debian 13 root)",
      "a vDSO getrandom whose state is not mapped MAP_DROPPABLE (glibc 2.41 and Go 1.24 fall back)" },
    { ER_BLIND_WITH_SECCOMP,
      "x32 programs' opens of the random devices (their getrandom is trapped, but that is "
      "untested), and 32-bit arm programs on arm64",
      "x32 programs' opens, arm programs on arm64" },
    { ER_BLIND_WITHOUT_SECCOMP,
      "programs started before the library was in /etc/ld.so.preload or outside that root: "
      "everything in the initramfs (a file system of its own), and programs already running when "
      "the audit was enabled",
      "programs the preload was not in from their start (the initramfs, processes outside the "
      "tree)" },
    { ER_BLIND_WITH_SECCOMP,
      "processes outside the command's tree: the filter and the preload reach only what "
      "earlyrandom started (not a boot's initramfs, nor daemons it did not start)",
      "processes outside the command's tree" },
    { ER_BLIND_ALWAYS,
      "records that could not be written: a program not running as root before the log file was "
      "made writable for it, /dev/kmsg (writable by root only), /dev/log before the journal's "
      "socket exists, or a program killed while the kernel held it in getrandom",
      NULL },
    { ER_BLIND_ALWAYS,
      "in logs of older versions of the library, how long the kernel itself held a request it "
      "passed: their waited_ms is 0 there (report --trace measures it from the kernel's trace). A "
      "request the kernel held until its pool was ready (getrandom without GRND_NONBLOCK, "
      "getentropy, reads of /dev/random) counts as early either way, since the library asks the "
      "kernel's pool before the call",
      NULL },
    { 0, NULL, NULL },
};

bool er_blind_spot_applies(const struct er_blind_spot *spot, unsigned engines)
{
    bool seccomp = (engines & ER_SEEN_SECCOMP) != 0;
    return spot->when == ER_BLIND_ALWAYS || (spot->when == ER_BLIND_WITH_SECCOMP) == seccomp;
}

const char *const er_blind_spots_kernel_log[] = {
    "the kernel log: printk.devkmsg=off refuses every line written to /dev/kmsg, and the default, "
    "ratelimit, drops lines beyond 10 in 5 s per opened /dev/kmsg (the library opens it for each "
    "record; a \"suppressed due to ratelimiting\" notice means lines were lost): boot with "
    "printk.devkmsg=on to rule both out. The kernel's ring buffer also drops the oldest messages "
    "when it is full (log_buf_len=); journalctl -k -b keeps what the journal read in time",
    NULL,
};

void er_boot_init(struct er_boot *b) { memset(b, 0, sizeof *b); }

void er_boot_free(struct er_boot *b)
{
    for (size_t i = 0; i < b->len; i++) {
        struct er_boot_program *p = &b->programs[i];
        free(p->exe);
        er_counts_free(&p->how);
        er_counts_free(&p->how_got);
        er_counts_free(&p->got);
        er_counts_free(&p->actions);
        er_counts_free(&p->later_apis);
    }
    free(b->programs);
    memset(b, 0, sizeof *b);
}

static bool is(const char *a, const char *b) { return a != NULL && strcmp(a, b) == 0; }

static struct er_boot_program *find(struct er_boot *b, const char *exe)
{
    for (size_t i = 0; i < b->len; i++)
        if (strcmp(b->programs[i].exe, exe) == 0)
            return &b->programs[i];
    if (b->len == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 8;
        struct er_boot_program *v = realloc(b->programs, ncap * sizeof *v);
        if (v == NULL)
            return NULL;
        b->programs = v;
        b->cap = ncap;
    }
    struct er_boot_program *p = &b->programs[b->len];
    memset(p, 0, sizeof *p);
    if ((p->exe = strdup(exe)) == NULL)
        return NULL;
    p->seq = b->seq++;
    b->len++;
    return p;
}

const char *er_boot_outcome(const struct er_record *r)
{
    if (r->action != NULL && !is(r->action, "pass"))
        return r->action;
    if (r->errno_name != NULL)
        return r->errno_name;
    if (r->api != NULL && strstr(r->api, "open") != NULL)
        return "opened";
    if (is(r->device, "/dev/urandom") || (r->flags != NULL && strstr(r->flags, "GRND_INSECURE")))
        return "unseeded";
    return "bytes";
}

/* "getrandom(GRND_NONBLOCK)", "read(/dev/urandom)", "getentropy" */
static void how_key(const struct er_record *r, char *buf, size_t cap)
{
    const char *api = r->api ? r->api : "?";
    const char *detail = r->device ? r->device : r->flags;
    if (detail != NULL)
        snprintf(buf, cap, "%s(%s)", api, detail);
    else
        snprintf(buf, cap, "%s", api);
}

bool er_boot_add(struct er_boot *b, const struct er_record *r)
{
    if (is(r->event, "request") || is(r->event, "hang"))
        b->engines |= er_record_engine(r);
    if (!is(r->event, "request"))
        return true;
    struct er_boot_program *p = find(b, er_record_program(r));
    if (p == NULL)
        return false;
    if (r->has_boot && (!p->has_first || r->boot_ns < p->first_boot_ns)) {
        p->has_first = true;
        p->first_boot_ns = r->boot_ns;
    }
    uint64_t bytes = r->has_bytes ? r->bytes : 0;
    unsigned engine = er_record_engine(r);
    p->by_preload += engine == ER_SEEN_PRELOAD;
    p->by_seccomp += engine == ER_SEEN_SECCOMP;
    if (is(r->kernel_pool, "uninitialized")) {
        b->early++;
        p->early++;
        p->early_bytes += bytes;
        if (r->has_boot && (!b->has_last_uninit || r->boot_ns > b->last_uninit_ns)) {
            b->has_last_uninit = true;
            b->last_uninit_ns = r->boot_ns;
        }
        char key[256], both[300];
        how_key(r, key, sizeof key);
        snprintf(both, sizeof both, "%s->%s", key, er_boot_outcome(r));
        return er_counts_add(&p->how, key, 1) && er_counts_add(&p->got, er_boot_outcome(r), 1) &&
               er_counts_add(&p->how_got, both, 1) &&
               er_counts_add(&p->actions, r->action ? r->action : "?", 1);
    }
    if (is(r->kernel_pool, "initialized")) {
        b->later++;
        p->later++;
        p->later_bytes += bytes;
        if (r->has_boot && (!b->has_first_init || r->boot_ns < b->first_init_ns)) {
            b->has_first_init = true;
            b->first_init_ns = r->boot_ns;
        }
        return er_counts_add(&p->later_apis, r->api ? r->api : "?", 1);
    }
    b->unknown++;
    p->unknown++;
    return true;
}

/* Early ones first, by their first moment after boot; then the others the same way. */
static int compare(const void *a, const void *b)
{
    const struct er_boot_program *x = *(const struct er_boot_program *const *)a;
    const struct er_boot_program *y = *(const struct er_boot_program *const *)b;
    if ((x->early > 0) != (y->early > 0))
        return x->early > 0 ? -1 : 1;
    if (x->has_first != y->has_first)
        return x->has_first ? -1 : 1;
    if (x->has_first && x->first_boot_ns != y->first_boot_ns)
        return x->first_boot_ns < y->first_boot_ns ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static struct er_boot_program **sorted(struct er_boot *b)
{
    struct er_boot_program **v = malloc((b->len ? b->len : 1) * sizeof *v);
    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < b->len; i++)
        v[i] = &b->programs[i];
    qsort(v, b->len, sizeof *v, compare);
    return v;
}

static struct er_boot_program *nth(struct er_boot *b, struct er_boot_program **order, size_t i)
{
    return order ? order[i] : &b->programs[i];
}

static void format_ms(int64_t ns, char *buf, size_t cap)
{
    uint64_t us = (uint64_t)(ns < 0 ? 0 : ns) / 1000;
    snprintf(buf, cap, "%" PRIu64 ".%03u", us / 1000, (unsigned)(us % 1000));
}

static void print_counts(FILE *out, const struct er_counts *c)
{
    if (c->len == 0)
        fputs("-", out);
    for (size_t i = 0; i < c->len; i++) {
        fputs(i ? " " : "", out);
        er_print_clean(out, c->items[i].name, 0);
        fprintf(out, ":%" PRIu64, c->items[i].n);
    }
}

/* Prints text wrapped at 100 columns, the first line after lead, the others indented. */
static void print_wrapped(FILE *out, const char *text, const char *lead, const char *end)
{
    enum { WIDTH = 100, INDENT = 4 };
    int col = fprintf(out, "%s", lead);
    bool line_start = true; /* no space before the first word of a line */
    const char *p = text;
    while (*p) {
        size_t word = strcspn(p, " ");
        bool last = p[word] == '\0';
        size_t need = word + (last ? strlen(end) : 0);
        if (!line_start && col + 1 + (int)need > WIDTH) {
            fprintf(out, "\n%*s", INDENT, "");
            col = INDENT;
        } else if (!line_start) {
            fputc(' ', out);
            col++;
        }
        line_start = false;
        fwrite(p, 1, word, out);
        col += (int)word;
        p += word;
        while (*p == ' ')
            p++;
    }
    fprintf(out, "%s\n", end);
}

static void print_list(FILE *out, const char *const *items, bool more)
{
    for (size_t i = 0; items[i] != NULL; i++)
        print_wrapped(out, items[i], "  - ", items[i + 1] != NULL || more ? ";" : ".");
}

void er_blind_spots_print_brief(unsigned engines, FILE *out)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem == NULL)
        return;
    fprintf(mem, "not seen by the %s:",
            engines & ER_SEEN_SECCOMP ? engines & ER_SEEN_PRELOAD ? "preload nor the syscall engine"
                                                                  : "syscall engine"
                                      : "preload");
    bool first = true;
    for (const struct er_blind_spot *b = er_blind_spots; b->text != NULL; b++) {
        if (b->brief == NULL || !er_blind_spot_applies(b, engines))
            continue;
        fprintf(mem, "%s %s", first ? "" : ",", b->brief);
        first = false;
    }
    if (fclose(mem) == 0)
        print_wrapped(out, text, "", ".");
    free(text);
}

#define MAX_BLIND_SPOTS 32

/* The blind spots that remain for these engines, in order; out holds MAX_BLIND_SPOTS + 1. */
static size_t remaining_spots(unsigned engines, const char **out)
{
    size_t n = 0;
    for (const struct er_blind_spot *b = er_blind_spots; b->text != NULL && n < MAX_BLIND_SPOTS; b++)
        if (er_blind_spot_applies(b, engines))
            out[n++] = b->text;
    out[n] = NULL;
    return n;
}

static unsigned program_engines(const struct er_boot_program *p)
{
    return (p->by_preload ? ER_SEEN_PRELOAD : 0u) | (p->by_seccomp ? ER_SEEN_SECCOMP : 0u);
}

static size_t count_early(const struct er_boot *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->len; i++)
        n += b->programs[i].early > 0;
    return n;
}

static void print_moment(const struct er_boot *b, FILE *out)
{
    char a[32], c[32];
    if (b->has_last_uninit)
        format_ms(b->last_uninit_ns, a, sizeof a);
    if (b->has_first_init)
        format_ms(b->first_init_ns, c, sizeof c);
    if (b->has_last_uninit && b->has_first_init && b->last_uninit_ns <= b->first_init_ns)
        fprintf(out,
                "The kernel's pool became initialized between %s and %s ms after boot (the last "
                "record that saw it uninitialized, the first that saw it initialized).\n",
                a, c);
    else if (b->has_last_uninit && b->has_first_init)
        fprintf(out,
                "Records saw the kernel's pool uninitialized until %s ms and initialized from "
                "%s ms after boot: the log holds more than one boot.\n",
                a, c);
    else if (b->has_last_uninit)
        fprintf(out,
                "Every record saw the kernel's pool uninitialized (the last %s ms after boot).\n",
                a);
    else if (b->has_first_init)
        fprintf(out,
                "Every record saw the kernel's pool initialized already (the first %s ms after "
                "boot): no program the library could see asked before it was ready.\n",
                c);
}

static const char *plural(uint64_t n) { return n == 1 ? "" : "s"; }

/* What the journal vouched for, and what it says it lost. */
static void print_journal_sources(const struct er_boot_sources *src, FILE *out)
{
    if (src->journal_from_kmsg > 0)
        fprintf(out,
                "%" PRIu64 " record%s came through the kernel log (written by root where "
                "journald's socket could not take them).\n",
                src->journal_from_kmsg, plural(src->journal_from_kmsg));
    if (src->journal_exe_unread > 0)
        fprintf(out,
                "%" PRIu64 " record%s named by the program they claim: the sender had exited "
                "before journald read its executable (its pid is vouched for).\n",
                src->journal_exe_unread, plural(src->journal_exe_unread));
    if (src->journal_supervised > 0)
        fprintf(out,
                "%" PRIu64 " record%s of the syscall engine sent by the earlyrandom command that "
                "traced the process (the journal vouches for the command, the command for it).\n",
                src->journal_supervised, plural(src->journal_supervised));
    if (src->journal_forged > 0)
        fprintf(out,
                "WARNING: %" PRIu64 " forged record%s left out: sent by another process than "
                "the one named in the record, as the journal's _PID shows.\n",
                src->journal_forged, plural(src->journal_forged));
    if (src->journal_ratelimit_notes > 0)
        fprintf(out,
                "WARNING: journald dropped %" PRIu64 " message%s over its rate limit (%" PRIu64
                " \"Suppressed\" note%s): records may be missing; raise RateLimitBurst= in "
                "journald.conf.\n",
                src->journal_ratelimited, plural(src->journal_ratelimited),
                src->journal_ratelimit_notes, plural(src->journal_ratelimit_notes));
    if (src->journal_kmsg_missed > 0)
        fprintf(out,
                "WARNING: journald missed %" PRIu64 " message%s of the kernel log before it "
                "started: records written there early may be missing.\n",
                src->journal_kmsg_missed, plural(src->journal_kmsg_missed));
}

static void print_sources(const struct er_boot_sources *src, FILE *out)
{
    if (src->other_lines > 0)
        fprintf(out, "%" PRIu64 " other line%s of the kernel log or journal skipped.\n",
                src->other_lines, src->other_lines == 1 ? "" : "s");
    if (src->suppressed_notes > 0)
        fprintf(out,
                "WARNING: the kernel dropped %" PRIu64 " line%s written to /dev/kmsg (%" PRIu64
                " \"suppressed due to ratelimiting\" notice%s): records are missing; boot with "
                "printk.devkmsg=on.\n",
                src->suppressed, src->suppressed == 1 ? "" : "s", src->suppressed_notes,
                src->suppressed_notes == 1 ? "" : "s");
    if (src->kmsg_overwritten > 0)
        fprintf(out,
                "WARNING: %" PRIu64 " message%s of the kernel log had been overwritten before "
                "they could be read: early records may be missing (journalctl -k -b may still "
                "have them).\n",
                src->kmsg_overwritten, src->kmsg_overwritten == 1 ? "" : "s");
    if (src->journal)
        print_journal_sources(src, out);
    if (src->read_kmsg && src->devkmsg != NULL)
        fprintf(
            out, "kernel.printk_devkmsg is %s%s\n", src->devkmsg,
            strcmp(src->devkmsg, "on") == 0 ? ": nothing written to /dev/kmsg is dropped."
            : strcmp(src->devkmsg, "off") == 0
                ? ": the kernel refuses lines written to /dev/kmsg, so log = kmsg records nothing."
                : ": bursts of lines written to /dev/kmsg may be dropped.");
}

void er_boot_print_table(struct er_boot *b, const struct er_boot_sources *src, FILE *out)
{
    struct er_boot_program **order = sorted(b);
    fputs("\nBoot audit: requests made while the kernel's own pool was not initialized yet "
          "(\"early\")\n",
          out);
    if (b->len == 0) {
        fputs("no requests recorded\n", out);
    } else if (b->early + b->later == 0) {
        fputs("the records do not say whether the kernel's pool was initialized (they come from a "
              "version of the library before kernel_pool)\n",
              out);
    } else {
        int width = (int)strlen("program");
        for (size_t i = 0; i < b->len; i++) {
            int n = (int)strlen(b->programs[i].exe);
            width = n > width ? n : width;
        }
        unsigned all_engines = 0;
        for (size_t i = 0; i < b->len; i++)
            all_engines |= program_engines(&b->programs[i]);
        int engine_width = (int)strlen(er_engines_name(all_engines));
        engine_width = engine_width > 6 ? engine_width : 6;
        er_print_clean(out, "program", width);
        fprintf(out, " %6s %6s %12s %11s  %-*s  %s\n", "early", "later", "first_ms", "early_bytes",
                engine_width, "engine", "early requests: how->what they got");
        for (size_t i = 0; i < b->len; i++) {
            struct er_boot_program *p = nth(b, order, i);
            char first[32] = "-";
            if (p->has_first)
                format_ms(p->first_boot_ns, first, sizeof first);
            er_print_clean(out, p->exe, width);
            fprintf(out, " %6" PRIu64 " %6" PRIu64 " %12s %11" PRIu64 "  %-*s  ", p->early,
                    p->later, first, p->early_bytes, engine_width,
                    er_engines_name(program_engines(p)));
            print_counts(out, &p->how_got);
            fputc('\n', out);
        }
        fprintf(out,
                "%zu of %zu program%s asked for entropy before the kernel's pool was initialized "
                "(%" PRIu64 " early request%s, %" PRIu64 " later).\n",
                count_early(b), b->len, b->len == 1 ? "" : "s", b->early, b->early == 1 ? "" : "s",
                b->later);
        print_moment(b, out);
    }
    if (b->unknown > 0)
        fprintf(out,
                "%" PRIu64 " request%s do not say whether the kernel's pool was initialized "
                "(an older library wrote them): neither early nor later.\n",
                b->unknown, b->unknown == 1 ? "" : "s");
    print_sources(src, out);
    fputs("\nBlind spots: a program missing here, or without early requests, may still use "
          "entropy early.\n",
          out);
    if (b->engines & ER_SEEN_SECCOMP)
        fputs("Records of the syscall engine are here (\"engine\":\"seccomp\"), so it ran: what "
              "only the preload misses is left out (a log merged with one made without it, such "
              "as a boot audit's, still misses those).\n",
              out);
    fputs("This log cannot show:\n", out);
    bool kernel_log = src->kernel_log || src->read_kmsg;
    const char *spots[MAX_BLIND_SPOTS + 1];
    remaining_spots(b->engines, spots);
    print_list(out, spots, kernel_log);
    if (kernel_log)
        print_list(out, er_blind_spots_kernel_log, false);
    free(order);
}

static void json_counts(FILE *out, const char *key, const struct er_counts *c)
{
    fprintf(out, ",\"%s\":{", key);
    for (size_t i = 0; i < c->len; i++) {
        fputs(i ? "," : "", out);
        er_json_string(out, c->items[i].name);
        fprintf(out, ":%" PRIu64, c->items[i].n);
    }
    fputc('}', out);
}

static void json_ms(FILE *out, const char *key, bool has, int64_t ns)
{
    char ms[32];
    format_ms(ns, ms, sizeof ms);
    fprintf(out, ",\"%s\":%s", key, has ? ms : "null");
}

static void json_list(FILE *out, const char *const *items, bool *first)
{
    for (size_t i = 0; items[i] != NULL; i++) {
        fputs(*first ? "" : ",", out);
        *first = false;
        er_json_string(out, items[i]);
    }
}

void er_boot_print_json_members(struct er_boot *b, const struct er_boot_sources *src, FILE *out)
{
    struct er_boot_program **order = sorted(b);
    fputs("\"boot\":{\"programs\":[", out);
    for (size_t i = 0; i < b->len; i++) {
        struct er_boot_program *p = nth(b, order, i);
        fputs(i ? ",{\"exe\":" : "{\"exe\":", out);
        er_json_string(out, p->exe);
        fprintf(out,
                ",\"early\":%" PRIu64 ",\"later\":%" PRIu64 ",\"unknown\":%" PRIu64
                ",\"early_bytes\":%" PRIu64 ",\"later_bytes\":%" PRIu64,
                p->early, p->later, p->unknown, p->early_bytes, p->later_bytes);
        json_ms(out, "first_boot_ms", p->has_first, p->first_boot_ns);
        json_counts(out, "how", &p->how);
        json_counts(out, "got", &p->got);
        json_counts(out, "actions", &p->actions);
        json_counts(out, "later_apis", &p->later_apis);
        fputs(",\"engine\":", out);
        er_json_string(out, er_engines_name(program_engines(p)));
        fprintf(out, ",\"engines\":{\"preload\":%" PRIu64 ",\"seccomp\":%" PRIu64 "}}",
                p->by_preload, p->by_seccomp);
    }
    fprintf(out,
            "],\"programs_early\":%zu,\"early\":%" PRIu64 ",\"later\":%" PRIu64
            ",\"unknown\":%" PRIu64,
            count_early(b), b->early, b->later, b->unknown);
    json_ms(out, "kernel_pool_uninitialized_until_ms", b->has_last_uninit, b->last_uninit_ns);
    json_ms(out, "kernel_pool_initialized_by_ms", b->has_first_init, b->first_init_ns);
    fputs("},\"blind_spots\":[", out);
    bool first = true;
    const char *spots[MAX_BLIND_SPOTS + 1];
    remaining_spots(b->engines, spots);
    json_list(out, spots, &first);
    if (src->kernel_log || src->read_kmsg)
        json_list(out, er_blind_spots_kernel_log, &first);
    /* The engines the blind spots are those of, as the records show them. */
    fputs("],\"blind_spots_engines\":", out);
    er_json_string(out, er_engines_name(b->engines ? b->engines : ER_SEEN_PRELOAD));
    fprintf(out,
            ",\"sources\":{\"kernel_log\":%s,\"read_kmsg\":%s,\"other_lines\":%" PRIu64
            ",\"suppressed_lines\":%" PRIu64 ",\"suppressed_notices\":%" PRIu64
            ",\"kmsg_overwritten\":%" PRIu64 ",\"printk_devkmsg\":",
            src->kernel_log ? "true" : "false", src->read_kmsg ? "true" : "false", src->other_lines,
            src->suppressed, src->suppressed_notes, src->kmsg_overwritten);
    if (src->devkmsg != NULL)
        er_json_string(out, src->devkmsg);
    else
        fputs("null", out);
    if (src->journal)
        fprintf(out,
                ",\"journal\":{\"forged\":%" PRIu64 ",\"from_kmsg\":%" PRIu64
                ",\"exe_unread\":%" PRIu64 ",\"supervised\":%" PRIu64 ",\"ratelimited\":%" PRIu64
                ",\"ratelimit_notes\":%" PRIu64 ",\"kmsg_missed\":%" PRIu64 "}",
                src->journal_forged, src->journal_from_kmsg, src->journal_exe_unread,
                src->journal_supervised,
                src->journal_ratelimited, src->journal_ratelimit_notes, src->journal_kmsg_missed);
    fputc('}', out);
    free(order);
}
