#include "journal.h"

#include <string.h>

#include "logparse.h"

/* What one entry says, gathered member by member before it is classified. */
struct fields {
    struct er_journal_entry *e;
    bool ours;          /* EARLYRANDOM_RECORD or SYSLOG_IDENTIFIER=earlyrandom */
    bool bad_pid;       /* a _PID that is no number: nothing vouches for the sender */
    const char *source_monotonic;
};

static bool parse_decimal(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (s == NULL || *s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return *s == '\0';
}

static void take_member(const char *key, const char *value, void *ctx)
{
    struct fields *f = ctx;
    struct er_journal_entry *e = f->e;
    uint64_t n;
    /* A field given twice comes as an array (value NULL): nothing from it is trusted. */
    if (strcmp(key, "MESSAGE") == 0) {
        e->message = (char *)value;
    } else if (strcmp(key, "_TRANSPORT") == 0) {
        e->transport = value;
    } else if (strcmp(key, "_PID") == 0) {
        e->has_pid = parse_decimal(value, &n) && n <= (uint64_t)INT32_MAX;
        e->pid = e->has_pid ? (long)n : 0;
        f->bad_pid = !e->has_pid;
    } else if (strcmp(key, "_UID") == 0) {
        e->has_uid = parse_decimal(value, &n) && n <= UINT32_MAX;
        e->uid = e->has_uid ? (long)n : 0;
    } else if (strcmp(key, "_EXE") == 0) {
        e->exe = value;
    } else if (strcmp(key, "EARLYRANDOM_RECORD") == 0) {
        f->ours = true;
    } else if (strcmp(key, "SYSLOG_IDENTIFIER") == 0) {
        f->ours = f->ours || (value != NULL && strcmp(value, "earlyrandom") == 0);
    } else if (strcmp(key, "_SOURCE_MONOTONIC_TIMESTAMP") == 0) {
        f->source_monotonic = value;
    }
}

/* The number after prefix at the start of message, followed by suffix. */
static bool count_in(const char *message, const char *prefix, const char *suffix, uint64_t *n)
{
    size_t plen = strlen(prefix);
    if (message == NULL || strncmp(message, prefix, plen) != 0)
        return false;
    const char *p = message + plen;
    uint64_t v = 0;
    if (*p < '0' || *p > '9')
        return false;
    for (; *p >= '0' && *p <= '9'; p++)
        v = v * 10 + (uint64_t)(*p - '0');
    *n = v;
    return strncmp(p, suffix, strlen(suffix)) == 0;
}

static bool is(const char *value, const char *word)
{
    return value != NULL && strcmp(value, word) == 0;
}

enum er_journal_kind er_journal_parse(char *line, struct er_journal_entry *e)
{
    memset(e, 0, sizeof *e);
    const char *p = line;
    while (*p == ' ' || *p == '\t' || *p == '\r')
        p++;
    if (*p == '\0')
        return ER_JOURNAL_BLANK;
    struct fields f = { .e = e };
    if (!er_json_each_member(line, take_member, &f))
        return ER_JOURNAL_MALFORMED;
    if (f.bad_pid)
        e->has_pid = false;
    const char *m = e->message;
    /* journald's own notes come through no socket a client can write to (_TRANSPORT=driver). */
    if (is(e->transport, "driver")) {
        if (count_in(m, "Suppressed ", " messages from ", &e->lost))
            return ER_JOURNAL_RATELIMITED;
        if (count_in(m, "Missed ", " kernel messages", &e->lost))
            return ER_JOURNAL_KMSG_MISSED;
        return ER_JOURNAL_OTHER;
    }
    if (f.ours && m != NULL && m[0] == '{')
        return ER_JOURNAL_RECORD;
    uint64_t us;
    if (is(e->transport, "kernel") && m != NULL && strstr(m, "crng init done") != NULL) {
        e->has_boot = parse_decimal(f.source_monotonic, &us) && us <= (uint64_t)INT64_MAX / 1000;
        e->boot_ns = e->has_boot ? (int64_t)us * 1000 : 0;
        return ER_JOURNAL_CRNG_DONE;
    }
    return ER_JOURNAL_OTHER;
}

enum er_journal_verdict er_journal_vouch(const struct er_journal_entry *e, struct er_record *rec,
                                         const char *supervisor_exe)
{
    /* journald imports /dev/kmsg with no sender; writing there takes root. */
    if (is(e->transport, "kernel"))
        return ER_JOURNAL_ROOT_WROTE;
    if (e->has_pid && rec->pid != e->pid && is(rec->engine, "seccomp") && e->exe != NULL &&
        supervisor_exe != NULL && strcmp(e->exe, supervisor_exe) == 0)
        return ER_JOURNAL_SUPERVISED;
    if (!e->has_pid || rec->pid != e->pid)
        return ER_JOURNAL_FORGED;
    if (e->exe != NULL)
        rec->exe = e->exe;
    return ER_JOURNAL_VOUCHED;
}
