/* From the options and the inherited environment to the variables the command is run with: pure,
 * so precedence (option over inherited variable over default) and every message are unit-tested. */
#ifndef ER_CLI_PLAN_H
#define ER_CLI_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conffile.h"
#include "config.h"
#include "options.h"

/* Which records the command shows on its stderr while the program runs. */
enum er_render {
    ER_RENDER_ALL,   /* log to stderr: every record as a readable line */
    ER_RENDER_HANGS, /* log to a file: the file has the records, stderr only the hangs */
    ER_RENDER_NONE,  /* --quiet, or a log of none */
};

enum er_engine {
    ER_ENGINE_AUTO,    /* the preload, and the seccomp filter for what it cannot see */
    ER_ENGINE_PRELOAD, /* the preload alone */
    ER_ENGINE_SECCOMP, /* the seccomp filter alone */
};

struct er_plan {
    enum er_engine engine;
    /* Values to export; NULL leaves the variable as inherited. */
    const char *policy, *init_after, *weak, *hang_timeout, *log_all;
    char ready_file[ER_PATH_MAX]; /* absolute; empty when there is none */
    char epoch[32];               /* empty when an inherited EARLYRANDOM_EPOCH is kept */
    bool log_to_file;             /* the user asked for a log file: log_path, else a private one */
    char log_path[ER_PATH_MAX];   /* absolute */
    const char *log_direct; /* "kmsg", "syslog" or "journal": passed on, nothing to read back */
    enum er_render render;
    bool show_post_init; /* show records of requests made after init (--log-all) */
    bool hang_off;
};

/* Where inherited settings come from: the environment, then the configuration file (may be NULL),
 * as the library reads them. */
struct er_inherited {
    er_lookup_fn lookup;
    void *ctx;
    const struct er_conffile *file;
};

/* Builds the plan. cwd makes relative paths absolute (the command may change directory);
 * boottime_ns is "now" on CLOCK_BOOTTIME, the shared boot of the whole tree. Returns 0, or
 * ER_EXIT_USAGE with a message naming the bad variable (or file line) and what it accepts. */
int er_plan_make(const struct er_cli_options *o, const struct er_inherited *in, const char *cwd,
                 int64_t boottime_ns, struct er_plan *plan, char *err, size_t errlen);

/* Makes path absolute against cwd into out; false if it does not fit. */
bool er_absolute_path(const char *path, const char *cwd, char *out, size_t cap);

/* Appends lib to an LD_PRELOAD list (space or colon separated) unless an entry already names a
 * libearlyrandom.so: a second copy would interpose twice. Returns false if out is too small. */
bool er_preload_merge(const char *existing, const char *lib, char *out, size_t cap);

#endif
