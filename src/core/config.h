/* The settings of one process, read once from the environment (EARLYRANDOM_*) and never changed. */
#ifndef ER_CONFIG_H
#define ER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ER_PATH_MAX 4096

enum er_policy {
    ER_POLICY_BLOCK,
    ER_POLICY_FALLBACK,
    ER_POLICY_EAGAIN,
    ER_POLICY_PASSTHROUGH,
};

enum er_epoch_kind {
    ER_EPOCH_PROCESS, /* the moment the library loaded in this process */
    ER_EPOCH_BOOT,    /* CLOCK_BOOTTIME zero */
    ER_EPOCH_INSTANT, /* an explicit CLOCK_BOOTTIME instant shared by a process tree */
};

enum er_weak_kind {
    ER_WEAK_REAL,
    ER_WEAK_DETERMINISTIC,
};

enum er_log_kind {
    ER_LOG_STDERR,
    ER_LOG_FILE,
    ER_LOG_NONE,
    ER_LOG_KMSG,   /* /dev/kmsg: the kernel log, there before any file system is writable */
    ER_LOG_SYSLOG, /* /dev/log */
    ER_LOG_JOURNAL, /* journald's native socket; /dev/kmsg where it is not there yet */
};

struct er_settings {
    enum er_policy policy;
    int64_t init_after_ns; /* ER_DURATION_NEVER when the pool never initializes by time */
    enum er_epoch_kind epoch_kind;
    int64_t epoch_instant_ns; /* only for ER_EPOCH_INSTANT */
    bool has_ready_file;
    char ready_file[ER_PATH_MAX];
    enum er_weak_kind weak;
    uint64_t weak_seed;
    enum er_log_kind log;
    char log_path[ER_PATH_MAX];
    bool log_all;
    int64_t hang_timeout_ns; /* ER_DURATION_NEVER when off */
    unsigned kernel;          /* the simulated random driver's version, ER_KERNEL_VERSION */
    bool kernel_given;        /* EARLYRANDOM_KERNEL was set (the default profile otherwise) */
    uint32_t entropy_rate;    /* bits per second credited to the blocking pool (before 5.6) */
    bool kernel_log;          /* write the simulated kernel's messages as "kernel" records */
};

/* journald's native socket, the journal sink's destination unless EARLYRANDOM_JOURNAL_SOCKET
 * names another (tests, or a journald in a container). */
#define ER_JOURNAL_SOCKET "/run/systemd/journal/socket"
/* The fields after a record's MESSAGE in its datagram: journalctl finds records with
 * EARLYRANDOM_RECORD=1 (or -t earlyrandom); priority 6 is LOG_INFO. */
#define ER_JOURNAL_RECORD_FIELDS                                                                   \
    "\nSYSLOG_IDENTIFIER=earlyrandom\nEARLYRANDOM_RECORD=1\nPRIORITY=6\n"

/* A kernel version as a number that orders like the versions: 4.19 is 4019, 6.1 is 6001. */
#define ER_KERNEL_VERSION(major, minor) ((unsigned)(major) * 1000u + (unsigned)(minor))
/* The default profile: Debian 12's 6.1 on a machine whose jitter loop cannot run. */
#define ER_KERNEL_DEFAULT ER_KERNEL_VERSION(6, 1)
/* One idle CPU credits one bit a second from interrupts; Debian's qemu guest had two. */
#define ER_ENTROPY_RATE_DEFAULT 2u
#define ER_ENTROPY_RATE_MAX 1000000u
/* EARLYRANDOM_INIT_AFTER=jitter: about a second after the first blocking request. */
#define ER_INIT_JITTER INT64_C(-2)

/* The variables, in the order they are documented; the first ER_SETTINGS_COUNT are the settings
 * that a value can get wrong, each reported once by er_settings_load_layered. */
#define ER_SETTINGS_COUNT 11
#define ER_ENV_POLICY "EARLYRANDOM_POLICY"
#define ER_ENV_INIT_AFTER "EARLYRANDOM_INIT_AFTER"
#define ER_ENV_EPOCH "EARLYRANDOM_EPOCH"
#define ER_ENV_READY_FILE "EARLYRANDOM_READY_FILE"
#define ER_ENV_WEAK "EARLYRANDOM_WEAK"
#define ER_ENV_LOG "EARLYRANDOM_LOG"
#define ER_ENV_LOG_ALL "EARLYRANDOM_LOG_ALL"
#define ER_ENV_HANG_TIMEOUT "EARLYRANDOM_HANG_TIMEOUT"
#define ER_ENV_KERNEL "EARLYRANDOM_KERNEL"
#define ER_ENV_ENTROPY_RATE "EARLYRANDOM_ENTROPY_RATE"
#define ER_ENV_KERNEL_LOG "EARLYRANDOM_KERNEL_LOG"
#define ER_ENV_CONFIG "EARLYRANDOM_CONFIG"
#define ER_ENV_JOURNAL_SOCKET "EARLYRANDOM_JOURNAL_SOCKET"
/* Set by the earlyrandom command when its seccomp filter watches the tree ("1"). */
#define ER_ENV_FILTERED "EARLYRANDOM_FILTERED"

/* What each variable accepts, as printed in error messages and --help. */
#define ER_ACCEPT_POLICY "block, fallback, eagain, passthrough"
#define ER_ACCEPT_INIT_AFTER \
    "a duration such as 0, 250ms, 1.5s, 2m (a bare number is seconds), never, or jitter"
#define ER_ACCEPT_EPOCH "process, boot, or a CLOCK_BOOTTIME instant in nanoseconds"
#define ER_ACCEPT_READY_FILE "a non-empty path"
#define ER_ACCEPT_WEAK "real, deterministic, deterministic:SEED (SEED a decimal number below 2^64)"
#define ER_ACCEPT_LOG "a file path, stderr, journal, kmsg, syslog, or none"
#define ER_ACCEPT_LOG_ALL "0 or 1"
#define ER_ACCEPT_HANG_TIMEOUT "a duration such as 10s, 500ms, or off"
#define ER_ACCEPT_KERNEL \
    "a version MAJOR.MINOR from 3.0 on, such as 3.10, 4.4, 4.19, 5.4, 5.10, 6.1 (uname -r's form too)"
#define ER_ACCEPT_ENTROPY_RATE "bits per second, a whole number from 0 to 1000000"
#define ER_ACCEPT_KERNEL_LOG "0 or 1"

/* Ends every message about a bad setting: what the process does about it. */
#define ER_PASSTHROUGH_NOTE "; this process runs as passthrough"

void er_settings_default(struct er_settings *s);

/* Per-value parsers, shared by the library and the command so both accept the same words. */
bool er_parse_policy(const char *text, enum er_policy *out);
bool er_parse_init_after(const char *text, int64_t *ns_out);
bool er_parse_epoch(const char *text, enum er_epoch_kind *kind, int64_t *instant_ns);
bool er_parse_weak(const char *text, enum er_weak_kind *kind, uint64_t *seed);
bool er_parse_hang_timeout(const char *text, int64_t *ns_out);
bool er_parse_log(const char *text, enum er_log_kind *kind, char *path, size_t path_len);
bool er_parse_log_all(const char *text, bool *out);
bool er_parse_kernel(const char *text, unsigned *version);
bool er_parse_entropy_rate(const char *text, uint32_t *bits_per_second);

const char *er_policy_name(enum er_policy p);

/* Whether a value is acceptable, for callers that only check (the command, before it runs). */
bool er_valid_policy(const char *text);
bool er_valid_init_after(const char *text);
bool er_valid_epoch(const char *text);
bool er_valid_ready_file(const char *text);
bool er_valid_weak(const char *text);
bool er_valid_log(const char *text);
bool er_valid_log_all(const char *text);
bool er_valid_hang_timeout(const char *text);
bool er_valid_kernel(const char *text);
bool er_valid_entropy_rate(const char *text);

/* Looks a variable up; the library passes secure_getenv, the tests a table. */
typedef const char *(*er_lookup_fn)(const char *name, void *ctx);

/* Fills *s from the variables. Each bad value adds one line to errbuf ("earlyrandom: VAR='value'
 * is not valid; accepted: ...; this process runs as passthrough\n") and is left at its default;
 * if any was bad the policy becomes passthrough, so a typo never breaks the program. Returns the
 * number of bad values. */
int er_settings_load(struct er_settings *s, er_lookup_fn lookup, void *ctx, char *errbuf,
                     size_t errlen);

struct er_conffile;

/* The same, with a parsed configuration file underneath the variables (NULL for none): a value
 * from the file that is bad is reported with the file's name and line. lookup may be NULL (secure
 * execution: the environment is not consulted at all). */
int er_settings_load_layered(struct er_settings *s, er_lookup_fn lookup, void *ctx,
                             const struct er_conffile *file, char *errbuf, size_t errlen);

#endif
