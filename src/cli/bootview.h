/* The boot audit view of 'earlyrandom report': per program, the requests made while the real
 * kernel's pool was not initialized yet (the record's kernel_pool is "uninitialized": "early")
 * and those made later, how the early ones asked (API and flags or device) and what they got,
 * and the first moment after boot the program was seen. Then the blind spots: what no log of the
 * library can show, printed with every report so that nobody reads a missing row as "this
 * program uses no entropy". Pure: no I/O but the stream given to the print functions. */
#ifndef ER_CLI_BOOTVIEW_H
#define ER_CLI_BOOTVIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "logrec.h"
#include "summary.h"

struct er_boot_program {
    char *exe;
    uint64_t early, later, unknown; /* requests by the kernel pool's state */
    uint64_t early_bytes, later_bytes;
    bool has_first;
    int64_t first_boot_ns;    /* boot_ms of its first record, in ns */
    uint64_t seq;             /* order of arrival */
    struct er_counts how;     /* early requests by "api(flags or device)" */
    struct er_counts how_got; /* early requests by "how->outcome", for the table */
    struct er_counts got;     /* early requests by outcome: pass's bytes, errno, weak, eagain... */
    struct er_counts actions; /* early requests by the library's action */
    struct er_counts later_apis; /* later requests by API */
    uint64_t by_preload, by_seccomp; /* its requests by the engine that saw them */
};

struct er_boot {
    struct er_boot_program *programs;
    size_t len, cap;
    uint64_t seq;
    uint64_t early, later, unknown;
    bool has_last_uninit, has_first_init;
    int64_t last_uninit_ns; /* the latest boot time a record saw the kernel's pool uninitialized */
    int64_t first_init_ns;  /* the earliest one a record saw it initialized */
    unsigned engines;       /* ER_SEEN_* of every request and hang record */
};

/* Where the records came from, for the notes under the view. */
struct er_boot_sources {
    bool kernel_log;      /* some came from the kernel log (--kmsg, or a dmesg/journal dump) */
    bool read_kmsg;       /* /dev/kmsg itself was read */
    uint64_t other_lines; /* lines of dumps that were not records (other messages) */
    uint64_t suppressed;  /* lines the kernel says it dropped (ratelimiting notices) */
    uint64_t suppressed_notes;
    uint64_t kmsg_overwritten; /* messages gone from the ring buffer before we read them */
    const char *devkmsg;       /* kernel.printk_devkmsg now ("on", "off", "ratelimit"), or NULL */
    bool journal;                   /* --journal was read */
    uint64_t journal_forged;        /* records the journal does not vouch for: left out */
    uint64_t journal_from_kmsg;     /* records journald imported from /dev/kmsg (root wrote them) */
    uint64_t journal_exe_unread;    /* vouched, but journald could not read the sender's program */
    uint64_t journal_supervised;    /* the syscall engine's, sent by this earlyrandom's own file */
    uint64_t journal_ratelimited;   /* messages journald's "Suppressed N messages" notes dropped */
    uint64_t journal_ratelimit_notes;
    uint64_t journal_kmsg_missed;   /* kernel log messages journald says it missed */
};

void er_boot_init(struct er_boot *b);
void er_boot_free(struct er_boot *b);

/* Counts one record (request events only). False only when memory ran out. */
bool er_boot_add(struct er_boot *b, const struct er_record *r);

/* What an early request got, in one word: the library's action when it acted (weak, eagain,
 * block...), else the kernel's errno, else "opened" for an open, "unseeded" for /dev/urandom and
 * GRND_INSECURE (bytes from a pool not initialized), "bytes" otherwise. */
const char *er_boot_outcome(const struct er_record *r);

/* The table, the kernel pool's moment, the source notes and the blind spots of the engines whose
 * records were counted. */
void er_boot_print_table(struct er_boot *b, const struct er_boot_sources *src, FILE *out);

/* JSON members (no braces): "boot":{...},"blind_spots":[...],"sources":{...} */
void er_boot_print_json_members(struct er_boot *b, const struct er_boot_sources *src, FILE *out);

/* Which engines a blind spot applies to: the syscall engine closes some and has others of its
 * own. */
enum er_blind_when {
    ER_BLIND_ALWAYS,
    ER_BLIND_WITHOUT_SECCOMP, /* the preload alone: the syscall engine sees it */
    ER_BLIND_WITH_SECCOMP,    /* only where the syscall engine ran */
};

struct er_blind_spot {
    enum er_blind_when when;
    const char *text;  /* the sentence of the report */
    const char *brief; /* a few words for --summary; NULL: not worth its line */
};

/* The blind spots, ended by one whose text is NULL; the kernel log's own when reading one
 * (NULL-terminated). */
extern const struct er_blind_spot er_blind_spots[];
extern const char *const er_blind_spots_kernel_log[];

/* Whether a blind spot remains for a run of these engines (ER_SEEN_*; none counts as the
 * preload alone). */
bool er_blind_spot_applies(const struct er_blind_spot *spot, unsigned engines);

/* One line for --summary: what a run of these engines did not see. */
void er_blind_spots_print_brief(unsigned engines, FILE *out);

#endif
