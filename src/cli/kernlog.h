/* Records in the kernel log and in text dumps of logs: the library's kmsg sink writes
 * "earlyrandom: {json}" to /dev/kmsg and its syslog sink "<13>earlyrandom: {json}" to /dev/log,
 * and dmesg, journalctl, /var/log/syslog or a copy of /dev/kmsg put a prefix of their own before
 * it. Finding the record in such a line is pure; er_kmsg_read reads /dev/kmsg. */
#ifndef ER_CLI_KERNLOG_H
#define ER_CLI_KERNLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum er_line_kind {
    ER_LINE_BLANK,
    ER_LINE_JSON,       /* the line is a record by itself: JSON Lines, journalctl -o cat */
    ER_LINE_PREFIXED,   /* a record after "earlyrandom: " or "earlyrandom[PID]: " */
    ER_LINE_SUPPRESSED, /* the kernel's "N output lines suppressed due to ratelimiting" */
    ER_LINE_OTHER,      /* anything else: another program's message, or garbage */
};

/* Classifies a line (NUL-terminated, without its newline). For JSON and PREFIXED *json gets
 * where the record starts; for SUPPRESSED *suppressed gets N. */
enum er_line_kind er_kernlog_classify(char *line, char **json, uint64_t *suppressed);

/* Whether the line is the kernel's "random: crng init done", in a dmesg or kmsg dump or a journal
 * (any prefix); *has_boot says whether the prefix gave the time after boot ("[    0.912345] ",
 * "PRI,SEQ,USEC,FLAGS;"), then *boot_ns has it. */
bool er_kernlog_crng_done(const char *line, bool *has_boot, int64_t *boot_ns);

/* Decodes in place the \xHH escapes with which /dev/kmsg (and dmesg --raw) write bytes outside
 * printable ASCII and the backslash itself; a JSON escaped backslash (a backslash pair) is left
 * as it is, so a record that was never escaped comes out unchanged. Returns how many it decoded. */
size_t er_kernlog_unescape(char *s);

/* Splits one record read from /dev/kmsg, "PRI,SEQ,USEC,FLAGS[,...];MESSAGE\n" with optional
 * " KEY=VALUE\n" lines after it: the sequence number and the message, NUL-terminated in place
 * (still escaped). rec needs len + 1 bytes. False when it is not such a record. */
bool er_kmsg_split(char *rec, size_t len, uint64_t *seq, char **msg);

struct er_kmsg_stats {
    uint64_t records;
    uint64_t overwritten; /* messages the ring buffer dropped before they were read */
    bool has_first;
    uint64_t first_seq; /* the oldest message still there: as many were dropped since boot */
};

/* Reads every message now in the kernel log without waiting for more, calling fn with each
 * message (escaped as /dev/kmsg writes it) and its time after boot. Returns 0, or an errno value (EPERM, EACCES: the
 * kernel lets only privileged users read it when kernel.dmesg_restrict is 1). */
int er_kmsg_read(const char *path, void (*fn)(char *msg, int64_t boot_ns, void *ctx), void *ctx,
                 struct er_kmsg_stats *st);

#endif
