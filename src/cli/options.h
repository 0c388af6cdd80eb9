/* The command line of earlyrandom, parsed into a struct without printing or exiting, so that every
 * accepted and rejected form is unit-tested. Values are validated with the library's own parsers. */
#ifndef ER_CLI_OPTIONS_H
#define ER_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

/* The exit statuses of env(1) and timeout(1), which scripts already know how to read. */
#define ER_EXIT_HANG 124
#define ER_EXIT_USAGE 125
#define ER_EXIT_CANNOT_RUN 126
#define ER_EXIT_NOT_FOUND 127

enum er_cli_mode {
    ER_MODE_RUN,
    ER_MODE_REPORT,
    ER_MODE_READY,
    ER_MODE_AUDIT,
    ER_MODE_HELP,
    ER_MODE_VERSION,
};

/* One setting given on the command line; NULL when the option was absent. Strings point into argv. */
struct er_cli_options {
    enum er_cli_mode mode;
    const char *help_topic; /* "run", "report", "ready" or "audit" for ER_MODE_HELP */

    /* run */
    const char *policy;
    const char *init_after;
    const char *kernel; /* --kernel=VERSION */
    const char *ready_file;
    const char *weak;
    const char *log; /* "-" already mapped to "stderr" */
    const char *hang_timeout;
    const char *engine; /* "auto", "preload" or "seccomp" */
    bool log_all;
    bool fail_on_hang;
    bool summary;
    bool quiet;
    char *const *command; /* argv of the command, NULL-terminated */

    /* report */
    bool json;
    bool kmsg;         /* also read the kernel log (/dev/kmsg, or kmsg_file) */
    const char *kmsg_file; /* --kmsg=FILE: a saved kernel log instead of /dev/kmsg */
    const char *trace;     /* --trace FILE: the kernel's getrandom trace (tracefs text) */
    const char *journal;   /* --journal FILE: journalctl -o json output, for log = journal */
    const char *root;      /* --root DIR: where the traced system's binaries are */
    const char *svg;   /* write the timeline picture here ("-": stdout, instead of the tables) */
    const char *html;  /* write the picture and the tables as one HTML page here */
    char *const *logs; /* NULL-terminated; empty only with kmsg, trace or journal */

    /* ready: NULL to use $EARLYRANDOM_READY_FILE */
    const char *ready_path;

    /* audit: NULL for the defaults (see audit.h) */
    const char *audit_action; /* "enable", "disable" or "status" */
    const char *audit_root;
    const char *audit_log;
    const char *audit_library;
    bool audit_kernel_trace; /* enable: also arrange for the next boot to record the trace */
};

/* The engines of --engine and EARLYRANDOM_ENGINE. */
#define ER_ENV_ENGINE "EARLYRANDOM_ENGINE"
#define ER_ACCEPT_ENGINE "auto, preload, seccomp"
bool er_valid_engine(const char *text);

/* Parses argv. Returns 0, or ER_EXIT_USAGE with a one-line message (no trailing newline, no
 * "earlyrandom: " prefix) in err. Uses getopt_long, so it resets getopt's global state first. */
int er_cli_parse(int argc, char **argv, struct er_cli_options *o, char *err, size_t errlen);

/* The help texts, printed by main and checked by the tests. */
extern const char er_cli_usage_run[];
extern const char er_cli_usage_report[];
extern const char er_cli_usage_ready[];
extern const char er_cli_usage_audit[];

#endif
