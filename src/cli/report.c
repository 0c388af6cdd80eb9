#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootview.h"
#include "coverage.h"
#include "journal.h"
#include "kernlog.h"
#include "ktrace.h"
#include "logparse.h"
#include "summary.h"
#include "tail.h"
#include "timeline.h"

#define KMSG_PATH "/dev/kmsg"

struct report_ctx {
    struct er_summary summary;
    struct er_boot boot;
    struct er_boot_sources src;
    struct er_timeline timeline; /* filled only for --svg and --html */
    bool picture;
    bool oom;

    /* --trace: the records are kept, to be named and matched once the trace is read */
    bool keep;
    struct kept *kept;
    size_t nkept, kept_cap;
    struct er_ktrace trace;
    struct er_coverage coverage;
    bool has_crng_file, has_crng_live; /* 'crng init done' in a saved log, in /dev/kmsg */
    int64_t crng_file_ns, crng_live_ns;

    /* the source being read */
    const char *name;
    unsigned long line;
    bool looks_like_dump; /* its first line has a log's prefix (dmesg, journal, syslog, kmsg) */
    bool kernel_log_seen; /* it had prefixed records or kernel notices */
    uint64_t foreign;     /* lines that are neither records nor blank */
    unsigned long first_foreign;
    unsigned long first_malformed; /* line of its first malformed record, 0 if none */
    bool had_first_malformed;      /* the note's first location was set by an earlier source */

    char own_exe[4096]; /* this command's file: the sender of the syscall engine's records */
};

/* The prefix of a line that a log tool wrote: "[    1.234567] " (dmesg), "-- Journal begins"
 * or "-- Logs begin" or "-- No entries --" (journalctl), "Nov 23 02:06:19 " (syslog, journal),
 * "2026-11-23T02:06:19" (rsyslog, journalctl -o short-iso), "6,1234,5678,-;" (/dev/kmsg). */
static bool digits(const char **p, int min)
{
    int n = 0;
    while (**p >= '0' && **p <= '9') {
        (*p)++;
        n++;
    }
    return n >= min;
}

static bool looks_like_log_line(const char *s)
{
    const char *p = s;
    if (*p == '[') {
        p++;
        while (*p == ' ')
            p++;
        return digits(&p, 1) && *p++ == '.' && digits(&p, 1) && *p == ']';
    }
    if (strncmp(s, "-- ", 3) == 0)
        return true;
    p = s;
    if (digits(&p, 1) && *p++ == ',' && digits(&p, 1) && *p++ == ',' && digits(&p, 1) && *p == ',')
        return true;
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int m = 0; m < 12; m++) {
        if (strncmp(s, months + 3 * m, 3) == 0 && s[3] == ' ') {
            p = s + 4;
            while (*p == ' ')
                p++;
            return digits(&p, 1) && *p++ == ' ' && digits(&p, 2) && *p == ':';
        }
    }
    p = s;
    return digits(&p, 4) && *p == '-' && strlen(s) >= 19 && s[10] == 'T' && s[13] == ':';
}

/* A record parsed from its own copy of the line, which its strings point into. */
struct kept {
    char *text;
    struct er_parsed parsed;
};

static void track_malformed(struct report_ctx *rc, uint64_t before)
{
    if (rc->summary.malformed > before && rc->first_malformed == 0)
        rc->first_malformed = rc->line;
}

static void add_record(struct report_ctx *rc, const struct er_record *r, bool has_time)
{
    bool ok = er_summary_add(&rc->summary, r, has_time) && er_boot_add(&rc->boot, r);
    if (rc->picture)
        ok = er_timeline_add(&rc->timeline, r, has_time) && ok;
    rc->oom = rc->oom || !ok;
}

/* Whether a record from the journal counts: a forged one is counted as such and dropped, a vouched
 * one takes the sender's executable. */
static bool vouched(struct report_ctx *rc, const struct er_journal_entry *sender,
                    struct er_record *rec)
{
    switch (er_journal_vouch(sender, rec, rc->own_exe[0] ? rc->own_exe : NULL)) {
    case ER_JOURNAL_SUPERVISED: rc->src.journal_supervised++; return true;
    case ER_JOURNAL_FORGED: rc->src.journal_forged++; return false;
    case ER_JOURNAL_ROOT_WROTE: rc->src.journal_from_kmsg++; return true;
    case ER_JOURNAL_VOUCHED: rc->src.journal_exe_unread += sender->exe == NULL; return true;
    }
    return true;
}

/* Keeps a well-formed record for later; what is not one is counted at once, as without --trace.
 * A record from the journal keeps the sender's executable after its text. */
static bool keep_json(struct report_ctx *rc, const char *json, const char *where,
                      const struct er_journal_entry *sender)
{
    size_t json_len = strlen(json);
    const char *exe = sender != NULL && sender->exe != NULL ? sender->exe : "";
    char *copy = malloc(json_len + 1 + strlen(exe) + 1);
    if (copy != NULL) {
        memcpy(copy, json, json_len + 1);
        strcpy(copy + json_len + 1, exe);
    }
    if (copy == NULL ||
        !er_reserve((void **)&rc->kept, &rc->kept_cap, rc->nkept, sizeof rc->kept[0])) {
        free(copy);
        return false;
    }
    struct kept *k = &rc->kept[rc->nkept];
    enum er_parse_status st = er_parse_record(copy, &k->parsed);
    if (st == ER_PARSE_OK && strcmp(k->parsed.rec.event, "truncated") != 0) {
        if (sender != NULL) {
            struct er_journal_entry kept_sender = *sender;
            kept_sender.exe = sender->exe != NULL ? copy + json_len + 1 : NULL;
            if (!vouched(rc, &kept_sender, &k->parsed.rec)) {
                free(copy);
                return true;
            }
        }
        k->text = copy;
        rc->nkept++;
        return true;
    }
    uint64_t before = rc->summary.malformed;
    bool ok = er_summary_add_parsed(&rc->summary, st, &k->parsed, where);
    track_malformed(rc, before);
    free(copy);
    return ok;
}

/* sender: the journal entry that carried the record, NULL for other sources. */
static void add_json_from(struct report_ctx *rc, char *json, const char *where,
                          const struct er_journal_entry *sender)
{
    if (sender == NULL) /* journald has decoded the kernel log's escapes already */
        er_kernlog_unescape(json);
    if (rc->keep) {
        rc->oom = rc->oom || !keep_json(rc, json, where, sender);
        return;
    }
    struct er_parsed parsed;
    enum er_parse_status st = er_parse_record(json, &parsed);
    if (st == ER_PARSE_OK && sender != NULL && strcmp(parsed.rec.event, "truncated") != 0 &&
        !vouched(rc, sender, &parsed.rec))
        return;
    uint64_t before = rc->summary.malformed;
    bool ok = er_summary_add_parsed(&rc->summary, st, &parsed, where);
    if (st == ER_PARSE_OK)
        ok = er_boot_add(&rc->boot, &parsed.rec) && ok;
    if (st == ER_PARSE_OK && rc->picture)
        ok = er_timeline_add(&rc->timeline, &parsed.rec, parsed.has_time) && ok;
    rc->oom = rc->oom || !ok;
    track_malformed(rc, before);
}

static void add_json(struct report_ctx *rc, char *json, const char *where)
{
    add_json_from(rc, json, where, NULL);
}

/* The kernel's own moment of init, for the picture. from_kmsg: /dev/kmsg gave the time. */
static void note_crng(struct report_ctx *rc, const char *msg, bool from_kmsg, int64_t kmsg_ns)
{
    bool has_boot;
    int64_t boot_ns;
    if (!er_kernlog_crng_done(msg, &has_boot, &boot_ns))
        return;
    if (rc->picture)
        er_timeline_note_crng(&rc->timeline, has_boot || from_kmsg,
                              from_kmsg ? kmsg_ns : boot_ns);
    /* The first of a boot is the moment; a saved log's wins over this machine's /dev/kmsg. */
    if (from_kmsg && !rc->has_crng_live) {
        rc->has_crng_live = true;
        rc->crng_live_ns = kmsg_ns;
    } else if (!from_kmsg && has_boot && !rc->has_crng_file) {
        rc->has_crng_file = true;
        rc->crng_file_ns = boot_ns;
    }
}

static void report_line(char *line, bool too_long, void *ctx)
{
    struct report_ctx *rc = ctx;
    char where[512];
    rc->line++;
    snprintf(where, sizeof where, "%s:%lu", rc->name, rc->line);
    if (too_long) {
        uint64_t before = rc->summary.malformed;
        rc->oom = rc->oom || !er_summary_add_parsed(&rc->summary, ER_PARSE_MALFORMED, NULL, where);
        track_malformed(rc, before);
        return;
    }
    char *json = NULL;
    uint64_t dropped = 0;
    switch (er_kernlog_classify(line, &json, &dropped)) {
    case ER_LINE_BLANK:
        return;
    case ER_LINE_PREFIXED:
        rc->kernel_log_seen = true;
        rc->src.kernel_log = true;
        /* fall through */
    case ER_LINE_JSON:
        add_json(rc, json, where);
        return;
    case ER_LINE_SUPPRESSED:
        rc->kernel_log_seen = true;
        rc->src.kernel_log = true;
        rc->src.suppressed += dropped;
        rc->src.suppressed_notes++;
        return;
    case ER_LINE_OTHER:
        note_crng(rc, line, false, 0);
        if (rc->foreign++ == 0) {
            rc->first_foreign = rc->line;
            rc->looks_like_dump = rc->line == 1 && looks_like_log_line(line);
        }
        return;
    }
}

/* One entry of journalctl -o json: a record, a note of lost messages, the kernel's init. */
static void journal_line(char *line, bool too_long, void *ctx)
{
    struct report_ctx *rc = ctx;
    char where[512];
    rc->line++;
    snprintf(where, sizeof where, "%s:%lu", rc->name, rc->line);
    struct er_journal_entry e;
    /* An entry longer than any record of ours is another program's. */
    switch (too_long ? ER_JOURNAL_OTHER : er_journal_parse(line, &e)) {
    case ER_JOURNAL_BLANK: return;
    case ER_JOURNAL_RECORD: add_json_from(rc, e.message, where, &e); return;
    case ER_JOURNAL_RATELIMITED:
        rc->src.journal_ratelimited += e.lost;
        rc->src.journal_ratelimit_notes++;
        return;
    case ER_JOURNAL_KMSG_MISSED: rc->src.journal_kmsg_missed += e.lost; return;
    case ER_JOURNAL_CRNG_DONE:
        if (e.has_boot && !rc->has_crng_file) {
            rc->has_crng_file = true;
            rc->crng_file_ns = e.boot_ns;
        }
        if (e.has_boot && rc->picture)
            er_timeline_note_crng(&rc->timeline, true, e.boot_ns);
        return;
    case ER_JOURNAL_MALFORMED:
    case ER_JOURNAL_OTHER: rc->src.other_lines++; return;
    }
}

static void begin_source(struct report_ctx *rc, const char *name)
{
    rc->name = name;
    rc->line = 0;
    rc->looks_like_dump = rc->kernel_log_seen = false;
    rc->foreign = 0;
    rc->first_foreign = rc->first_malformed = 0;
    rc->had_first_malformed = rc->summary.first_malformed != NULL;
}

/* Lines that were not records: other messages of a kernel log or journal, or, in a JSON Lines
 * log, malformed lines (counted where they were, for the note's first location). */
static void end_source(struct report_ctx *rc)
{
    if (rc->foreign == 0)
        return;
    if (rc->kernel_log_seen || rc->looks_like_dump) {
        rc->src.other_lines += rc->foreign;
        return;
    }
    struct er_summary *s = &rc->summary;
    s->malformed += rc->foreign;
    if (!rc->had_first_malformed &&
        (rc->first_malformed == 0 || rc->first_foreign < rc->first_malformed)) {
        char where[512];
        snprintf(where, sizeof where, "%s:%lu", rc->name, rc->first_foreign);
        free(s->first_malformed);
        s->first_malformed = strdup(where);
        rc->oom = rc->oom || s->first_malformed == NULL;
    }
}

static void kmsg_message(char *msg, int64_t boot_ns, void *ctx)
{
    struct report_ctx *rc = ctx;
    char where[64];
    rc->line++;
    snprintf(where, sizeof where, KMSG_PATH " message %lu", rc->line);
    char *json = NULL;
    uint64_t dropped = 0;
    switch (er_kernlog_classify(msg, &json, &dropped)) {
    case ER_LINE_PREFIXED:
        add_json(rc, json, where);
        break;
    case ER_LINE_SUPPRESSED:
        rc->src.suppressed += dropped;
        rc->src.suppressed_notes++;
        break;
    default: /* the kernel's and other programs' messages */
        note_crng(rc, msg, true, boot_ns);
        break;
    }
}

static const char *read_devkmsg_setting(void)
{
    static char value[32];
    int fd = open("/proc/sys/kernel/printk_devkmsg", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    ssize_t n = read(fd, value, sizeof value - 1);
    close(fd);
    if (n <= 0)
        return NULL;
    value[n] = '\0';
    value[strcspn(value, "\n")] = '\0';
    return value;
}

static bool read_kmsg(struct report_ctx *rc)
{
    struct er_kmsg_stats st;
    begin_source(rc, KMSG_PATH);
    int err = er_kmsg_read(KMSG_PATH, kmsg_message, rc, &st);
    if (err != 0) {
        fprintf(
            stderr, "earlyrandom: report: cannot read the kernel log %s: %s%s\n", KMSG_PATH,
            strerror(err),
            err == EPERM || err == EACCES
                ? " (with kernel.dmesg_restrict = 1 only root may; run as root, or save it with "
                  "'journalctl -k -b > FILE' and report FILE)"
                : "");
        return false;
    }
    rc->src.read_kmsg = true;
    rc->src.kernel_log = true;
    rc->src.kmsg_overwritten = st.overwritten + (st.has_first ? st.first_seq : 0);
    rc->src.devkmsg = read_devkmsg_setting();
    return true;
}

static void close_all(int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fds[i] > STDERR_FILENO)
            close(fds[i]);
}

/* Opens every log before reading any, so that a typo fails at once and prints no partial table. */
static bool open_logs(const char *const *logs, const char *const *options, int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fds[i] = strcmp(logs[i], "-") == 0 ? STDIN_FILENO : open(logs[i], O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0) {
            fprintf(stderr, "earlyrandom: report: cannot open %s'%s': %s\n",
                    options[i] ? options[i] : "", logs[i], strerror(errno));
            close_all(fds, i);
            return false;
        }
    }
    return true;
}

/* The tables as text, for the HTML page; NULL when memory ran out. */
static char *tables_text(struct report_ctx *rc, bool boot)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem == NULL)
        return NULL;
    if (boot)
        er_boot_print_table(&rc->boot, &rc->src, mem);
    else
        er_summary_print_table(&rc->summary, mem);
    if (fclose(mem) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static char *coverage_text(struct report_ctx *rc)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem == NULL)
        return NULL;
    er_coverage_print_text(&rc->coverage, mem);
    if (fclose(mem) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static void html_section(FILE *out, const char *heading, const char *text)
{
    fprintf(out, "<h2>%s</h2>\n<pre>", heading);
    er_xml_text(out, text ? text : "(out of memory)");
    fputs("</pre>\n", out);
}

/* One page with everything inline: no script, no style sheet, font or image from elsewhere. */
static void write_html(FILE *out, struct report_ctx *rc, const struct er_cli_options *o)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<title>earlyrandom report</title>\n<style>\n"
          "body { font-family: 'DejaVu Sans', Verdana, sans-serif; margin: 16px; color: #222; "
          "background: #fff; }\n"
          "pre { font-family: 'DejaVu Sans Mono', monospace; font-size: 12px; background: "
          "#f4f6f8; padding: 8px; overflow-x: auto; }\n"
          "svg { display: block; }\n</style>\n</head>\n<body>\n"
          "<h1>earlyrandom report</h1>\n<p>From ",
          out);
    for (size_t i = 0; o->logs != NULL && o->logs[i] != NULL; i++) {
        fputs(i ? ", <code>" : "<code>", out);
        er_xml_text(out, strcmp(o->logs[i], "-") == 0 ? "stdin" : o->logs[i]);
        fputs("</code>", out);
    }
    if (o->kmsg)
        fprintf(out, "%s<code>" KMSG_PATH "</code>", o->logs && o->logs[0] ? " and " : "");
    fputs(".</p>\n", out);
    er_timeline_write_svg_element(&rc->timeline, out);
    char *summary = tables_text(rc, false), *boot = tables_text(rc, true);
    html_section(out, "Requests per program", summary);
    html_section(out, "Boot audit and blind spots", boot);
    free(summary);
    free(boot);
    if (o->trace != NULL) {
        char *coverage = coverage_text(rc);
        html_section(out, "Kernel trace: coverage", coverage);
        free(coverage);
    }
    fputs("</body>\n</html>\n", out);
}

/* Writes the picture (or the page) to path, "-" for stdout. Returns 0 or ER_EXIT_USAGE. */
static int write_picture(const char *path, bool html, struct report_ctx *rc,
                         const struct er_cli_options *o)
{
    bool to_stdout = strcmp(path, "-") == 0;
    FILE *out = to_stdout ? stdout : fopen(path, "we");
    if (out == NULL) {
        fprintf(stderr, "earlyrandom: report: cannot write '%s': %s\n", path, strerror(errno));
        return ER_EXIT_USAGE;
    }
    if (html)
        write_html(out, rc, o);
    else
        er_timeline_write_svg(&rc->timeline, out);
    if (to_stdout)
        return 0; /* checked with the rest of stdout */
    bool failed = ferror(out) != 0;
    if (fclose(out) != 0 || failed) {
        fprintf(stderr, "earlyrandom: report: cannot write '%s': %s\n", path, strerror(errno));
        return ER_EXIT_USAGE;
    }
    return 0;
}

static bool is_stdout(const char *path) { return path != NULL && strcmp(path, "-") == 0; }

static void trace_line(char *line, bool too_long, void *ctx)
{
    struct report_ctx *rc = ctx;
    /* A line longer than any event of ours is someone else's. */
    if (!too_long)
        rc->oom = rc->oom || !er_ktrace_add_line(&rc->trace, line);
}

/* Matches the kept records with the trace, then counts them under the names they ran as. */
static bool cover(struct report_ctx *rc, const struct er_cli_options *o)
{
    if (rc->trace.events == 0) {
        fprintf(stderr,
                "earlyrandom: report: --trace '%s' holds no sys_getrandom or sched_process_exec "
                "event; record it with trace_event=syscalls:sys_enter_getrandom,"
                "syscalls:sys_exit_getrandom,sched:sched_process_exec (see 'audit enable "
                "--kernel-trace')\n",
                o->trace);
        return false;
    }
    const struct er_record **records = malloc((rc->nkept ? rc->nkept : 1) * sizeof *records);
    if (records == NULL) {
        rc->oom = true;
        return true;
    }
    for (size_t i = 0; i < rc->nkept; i++)
        records[i] = &rc->kept[i].parsed.rec;
    struct er_cov_input in = {
        .trace = &rc->trace,
        .records = records,
        .nrecords = rc->nkept,
        .has_crng = rc->has_crng_file || rc->has_crng_live,
        .crng_ns = rc->has_crng_file ? rc->crng_file_ns : rc->crng_live_ns,
        .root = o->root,
    };
    rc->oom = rc->oom || !er_coverage_build(&rc->coverage, &in);
    free(records);
    for (size_t i = 0; !rc->oom && i < rc->nkept; i++) {
        struct er_record r = rc->kept[i].parsed.rec;
        const char *name = er_coverage_name(&rc->coverage, i);
        if (name != NULL)
            r.exe = name;
        add_record(rc, &r, rc->kept[i].parsed.has_time);
    }
    return true;
}

static void free_kept(struct report_ctx *rc)
{
    for (size_t i = 0; i < rc->nkept; i++)
        free(rc->kept[i].text);
    free(rc->kept);
}

int er_cli_report(const struct er_cli_options *o)
{
    size_t nlogs = 0;
    while (o->logs != NULL && o->logs[nlogs] != NULL)
        nlogs++;
    /* The files in the order they are read: the logs, the saved kernel log, the journal, the
     * trace. */
    size_t n = nlogs + (o->kmsg_file != NULL) + (o->journal != NULL) + (o->trace != NULL);
    size_t journal_at = nlogs + (o->kmsg_file != NULL);
    const char **files = calloc(n + 1, sizeof *files), **options = calloc(n + 1, sizeof *options);
    int *fds = calloc(n + 1, sizeof *fds);
    if (files == NULL || options == NULL || fds == NULL) {
        fputs("earlyrandom: report: out of memory\n", stderr);
        free(files);
        free(options);
        free(fds);
        return ER_EXIT_USAGE;
    }
    for (size_t i = 0; i < nlogs; i++)
        files[i] = o->logs[i];
    if (o->kmsg_file != NULL) {
        options[nlogs] = "--kmsg ";
        files[nlogs] = o->kmsg_file;
    }
    if (o->journal != NULL) {
        options[journal_at] = "--journal ";
        files[journal_at] = o->journal;
    }
    if (o->trace != NULL) {
        options[n - 1] = "--trace ";
        files[n - 1] = o->trace;
    }
    if (!open_logs(files, options, fds, n)) {
        free(files);
        free(options);
        free(fds);
        return ER_EXIT_USAGE;
    }
    struct report_ctx rc;
    memset(&rc, 0, sizeof rc);
    er_summary_init(&rc.summary);
    er_boot_init(&rc.boot);
    er_timeline_init(&rc.timeline);
    er_ktrace_init(&rc.trace);
    rc.picture = o->svg != NULL || o->html != NULL;
    rc.keep = o->trace != NULL;
    rc.src.journal = o->journal != NULL;
    if (rc.src.journal) {
        ssize_t len = readlink("/proc/self/exe", rc.own_exe, sizeof rc.own_exe - 1);
        rc.own_exe[len > 0 ? len : 0] = '\0';
    }
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = strcmp(files[i], "-") == 0 ? "stdin" : files[i];
        bool is_trace = o->trace != NULL && i == n - 1;
        bool is_journal = o->journal != NULL && i == journal_at;
        begin_source(&rc, name);
        if (!er_read_lines(fds[i], is_trace ? trace_line : is_journal ? journal_line : report_line,
                           &rc)) {
            fprintf(stderr, "earlyrandom: report: cannot read '%s': %s\n", name, strerror(errno));
            status = ER_EXIT_USAGE;
        }
        if (!is_trace)
            end_source(&rc);
    }
    close_all(fds, n);
    free(fds);
    free(files);
    free(options);
    if (status == 0 && o->kmsg && o->kmsg_file == NULL && !read_kmsg(&rc))
        status = ER_EXIT_USAGE;
    if (status == 0 && o->trace != NULL && !rc.oom && !cover(&rc, o))
        status = ER_EXIT_USAGE;
    bool tables = !is_stdout(o->svg) && !is_stdout(o->html);
    if (rc.oom) {
        fputs("earlyrandom: report: out of memory\n", stderr);
        status = ER_EXIT_USAGE;
    } else if (status == 0 && tables && o->json) {
        fputc('{', stdout);
        er_summary_print_json_members(&rc.summary, stdout);
        fputc(',', stdout);
        er_boot_print_json_members(&rc.boot, &rc.src, stdout);
        if (o->trace != NULL) {
            fputc(',', stdout);
            er_coverage_print_json_member(&rc.coverage, stdout);
        }
        fputs("}\n", stdout);
    } else if (status == 0 && tables) {
        er_summary_print_table(&rc.summary, stdout);
        er_boot_print_table(&rc.boot, &rc.src, stdout);
        if (o->trace != NULL)
            er_coverage_print_text(&rc.coverage, stdout);
    }
    if (status == 0 && o->svg != NULL)
        status = write_picture(o->svg, false, &rc, o);
    if (status == 0 && o->html != NULL)
        status = write_picture(o->html, true, &rc, o);
    er_summary_free(&rc.summary);
    er_boot_free(&rc.boot);
    er_timeline_free(&rc.timeline);
    er_coverage_free(&rc.coverage);
    er_ktrace_free(&rc.trace);
    free_kept(&rc);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "earlyrandom: report: write error: %s\n", strerror(errno));
        status = ER_EXIT_USAGE;
    }
    return status;
}
