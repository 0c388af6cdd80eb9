/* Per-program totals of log records, and the table or JSON object made of them: shared by
 * --summary (records as they arrive) and 'earlyrandom report' (saved logs). No I/O but the output
 * stream given to the print functions. */
#ifndef ER_CLI_SUMMARY_H
#define ER_CLI_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "logrec.h"

struct er_count {
    char *name;
    uint64_t n;
};

struct er_counts {
    struct er_count *items; /* in order of first appearance */
    size_t len, cap;
};

/* Which engine saw a record: the preload's hooks, or the command's syscall engine. */
enum er_engine_seen {
    ER_SEEN_PRELOAD = 1, /* a record without "engine" (the preload writes none) */
    ER_SEEN_SECCOMP = 2, /* "engine":"seccomp" */
};

struct er_stats {
    uint64_t requests, bytes;
    uint64_t waited; /* requests that waited for init (block, interrupted) */
    int64_t waited_ns;
    uint64_t weak, eagain, einval, interrupted, aborted, hangs;
    uint64_t by_preload, by_seccomp; /* requests by the engine that saw them */
    unsigned engines;                /* ER_SEEN_* of its requests and hangs */
    struct er_counts apis;
};

struct er_program {
    char *exe;
    bool has_time;
    int64_t first_time_ns; /* of its first record, for the order of the table */
    uint64_t first_seq;    /* order of arrival, when times are missing or equal */
    struct er_stats stats;
};

struct er_summary {
    struct er_program *programs;
    size_t len, cap;
    uint64_t seq;
    uint64_t records;   /* request and hang records counted */
    uint64_t malformed; /* lines that were not a record, or a record cut short */
    char *first_malformed; /* "FILE:LINE" of the first one, or NULL */
};

/* Grows an array of elem-sized items so that one more fits; false when out of memory. */
bool er_reserve(void **items, size_t *cap, size_t len, size_t elem);

void er_summary_init(struct er_summary *s);
void er_summary_free(struct er_summary *s);

/* Counts one parsed record; records of other events (a later version's) are ignored. False only
 * when memory ran out. */
bool er_summary_add(struct er_summary *s, const struct er_record *r, bool has_time);

/* Counts the result of er_parse_record on one line: a record, or a malformed line (a record the
 * library had to cut short counts as one), naming where ("FILE:LINE") for the note. */
struct er_parsed;
bool er_summary_add_parsed(struct er_summary *s, int status, const struct er_parsed *parsed,
                           const char *where);

/* Parses one line (modified in place) and counts it, or counts it as malformed, naming where
 * ("FILE:LINE") for the note. Blank lines are ignored. False only when memory ran out. */
bool er_summary_add_line(struct er_summary *s, char *line, const char *where);

/* The table, programs in order of first record, then totals and the malformed note. */
void er_summary_print_table(struct er_summary *s, FILE *out);

/* One JSON object: {"programs":[...],"totals":{...},"records":N,"malformed":N}; each program and
 * the totals say which engine saw their requests ("engine", and "engines" with the counts). */
void er_summary_print_json(struct er_summary *s, FILE *out);

/* The same members without the braces, for a caller that adds its own. */
void er_summary_print_json_members(struct er_summary *s, FILE *out);

/* The name a record's program is listed under: its exe, or "COMM (EXE)" when the kernel's name
 * for the process names another program, as systemd-udevd and its "(udev-worker)" forks, which
 * run udevadm's file. A thread's name is its own, so only a process's first thread counts. The
 * result lives until the next call. */
const char *er_record_program(const struct er_record *r);

/* The engine that saw a record, as an ER_SEEN_* bit. */
unsigned er_record_engine(const struct er_record *r);

/* "preload", "seccomp", "preload+seccomp", or "-" for none: a row's engine column. */
const char *er_engines_name(unsigned engines);

/* Helpers shared with the boot audit view (bootview.c). */
bool er_counts_add(struct er_counts *c, const char *name, uint64_t n);
void er_counts_free(struct er_counts *c);
/* A name for a table, control characters as '?', padded to width. */
void er_print_clean(FILE *out, const char *name, int width);
/* A JSON string, quotes included; bytes that are not UTF-8 become \u00XX. */
void er_json_string(FILE *out, const char *s);

#endif
