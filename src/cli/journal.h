/* The library's records in systemd's journal, as 'journalctl -o json' writes it (one JSON object
 * an entry): which entries are records, whether the journal vouches for who sent them, and the
 * journal's own notes of messages it dropped. Pure: no I/O; strings point into the line. */
#ifndef ER_CLI_JOURNAL_H
#define ER_CLI_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "logrec.h"

enum er_journal_kind {
    ER_JOURNAL_BLANK,
    ER_JOURNAL_MALFORMED,   /* not one JSON object */
    ER_JOURNAL_RECORD,      /* a record (EARLYRANDOM_RECORD=1, or the identifier earlyrandom) */
    ER_JOURNAL_RATELIMITED, /* journald's "Suppressed N messages from UNIT": N lost */
    ER_JOURNAL_KMSG_MISSED, /* journald's "Missed N kernel messages": N lost before import */
    ER_JOURNAL_CRNG_DONE,   /* the kernel's "random: crng init done" */
    ER_JOURNAL_OTHER,       /* any other program's or the kernel's message */
};

struct er_journal_entry {
    char *message;         /* RECORD: the record's JSON */
    const char *transport; /* _TRANSPORT: journal, syslog, kernel, driver, stdout... */
    bool has_pid;
    long pid; /* _PID: the sender, from the socket's credentials, which the kernel vouches for */
    bool has_uid;
    long uid;
    const char *exe; /* _EXE, NULL when journald could not read it (the sender had exited) */
    uint64_t lost;   /* RATELIMITED, KMSG_MISSED */
    bool has_boot;
    int64_t boot_ns; /* CRNG_DONE: its kernel timestamp (_SOURCE_MONOTONIC_TIMESTAMP) */
};

/* Classifies one line of 'journalctl -o json' output (modified in place: the strings of *e point
 * into it). */
enum er_journal_kind er_journal_parse(char *line, struct er_journal_entry *e);

enum er_journal_verdict {
    ER_JOURNAL_VOUCHED,   /* sent through a socket by the very process the record names */
    ER_JOURNAL_ROOT_WROTE, /* imported from /dev/kmsg, which only root can write */
    ER_JOURNAL_FORGED,    /* names another process than its sender, or came with no sender */
    ER_JOURNAL_SUPERVISED, /* the syscall engine's, sent by the earlyrandom command that traced it */
};

/* Holds a parsed record against the entry's trusted fields. A vouched record gets the executable
 * journald read for the sender (_EXE) instead of the one it claims, when there is one. The
 * syscall engine's records are sent by the command, not the process they name: they count when
 * the sender ran supervisor_exe, the file of the earlyrandom reading them (NULL: never), which
 * an unprivileged user cannot replace when it is installed. */
enum er_journal_verdict er_journal_vouch(const struct er_journal_entry *e, struct er_record *rec,
                                         const char *supervisor_exe);

#endif
