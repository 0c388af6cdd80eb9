/* The picture of 'earlyrandom report --svg' and '--html': every request and hang record of the
 * logs on a time axis (boot_ms), one row per process grouped by program, coloured by the
 * library's action, waits drawn as bars, with the simulated init and the kernel's own
 * "crng init done" as vertical lines. Pure: no I/O but the stream given to the write functions,
 * and the same records always give the same bytes. */
#ifndef ER_CLI_TIMELINE_H
#define ER_CLI_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "logrec.h"

/* Above this many rows, processes that made only trivial requests share one row, and then the
 * processes of each program share one. */
#define ER_TIMELINE_MAX_ROWS 48

struct er_timeline_mark {
    const char *kind; /* "pass", "weak", "eagain", "block", "hang", "interrupted", ... static */
    bool has_boot, has_time;
    int64_t boot_ns, time_ns; /* when the request came */
    int64_t waited_ns;
    bool ends_at_init; /* a wait for the simulated pool that ended because it initialized */
    int pool;          /* the simulated pool: 0 unknown, 1 uninitialized, 2 initialized */
    bool trivial;      /* passed at once, got bytes, with both pools initialized */
    char *tip;         /* the record's details, plain text */
};

struct er_timeline_proc {
    char *exe;
    long pid;
    uint64_t seq; /* order of arrival */
    struct er_timeline_mark *marks;
    size_t len, cap;
};

struct er_timeline {
    struct er_timeline_proc *procs;
    size_t len, cap;
    uint64_t seq, records;
    bool has_crng, crng_untimed;
    int64_t crng_boot_ns; /* the kernel log's "crng init done", in boot time */
};

void er_timeline_init(struct er_timeline *t);
void er_timeline_free(struct er_timeline *t);

/* Adds one parsed record (request and hang events only; has_time says whether r->time_ns is
 * set). False only when memory ran out. */
bool er_timeline_add(struct er_timeline *t, const struct er_record *r, bool has_time);

/* The kernel log said "crng init done": at boot_ns when has_boot, else at a moment it does not
 * give (a syslog-style dump); the earliest timed one is kept. */
void er_timeline_note_crng(struct er_timeline *t, bool has_boot, int64_t boot_ns);

/* The picture as a standalone SVG document. */
void er_timeline_write_svg(const struct er_timeline *t, FILE *out);

/* The picture for inclusion in an HTML page: the same, without the XML declaration. */
void er_timeline_write_svg_element(const struct er_timeline *t, FILE *out);

/* Writes text escaped for XML and HTML: markup characters as entities, control characters and
 * bytes that are not UTF-8 as U+FFFD, so that a hostile program name cannot break the document. */
void er_xml_text(FILE *out, const char *s);

#endif
