/* 'earlyrandom audit enable|disable|status': a real boot audited through /etc/ld.so.preload.
 *
 * enable writes DIR/etc/earlyrandom.conf (passthrough: nothing changes for any program, only the
 * log) and then adds the library to DIR/etc/ld.so.preload; disable undoes both in the reverse
 * order, so that the library is never preloaded without its passthrough configuration (without
 * it every program would run under the default policy, block). Every file is replaced
 * atomically: written to a temporary file in the same directory, synced, renamed, and the
 * directory synced. A step that fails undoes the steps before it.
 *
 * The ld.so.preload editing is pure and exported for the tests. */
#ifndef ER_CLI_AUDIT_H
#define ER_CLI_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

#ifndef PKGLIBDIR
#define PKGLIBDIR "/usr/local/lib/earlyrandom"
#endif

#define ER_AUDIT_LIBRARY_NAME "libearlyrandom.so"
#define ER_AUDIT_DEFAULT_LIBRARY PKGLIBDIR "/" ER_AUDIT_LIBRARY_NAME
/* The journal vouches for each record's sender and bounds its own size; a file log can be forged
 * into by any user (it must be writable by all) and grows without bound (docs/boot-audit.md). */
#define ER_AUDIT_DEFAULT_LOG "journal"
#define ER_AUDIT_ACCEPT_LOG "journal, an absolute file path, kmsg, or syslog"
#define ER_AUDIT_ACCEPT_LIBRARY                                                                    \
    "an absolute path ending in /" ER_AUDIT_LIBRARY_NAME ", without spaces, tabs or colons"

#define ER_AUDIT_PRELOAD "/etc/ld.so.preload"
#define ER_AUDIT_CONF "/etc/earlyrandom.conf"
#define ER_AUDIT_CONF_BACKUP "/etc/earlyrandom.conf.bak"
#define ER_AUDIT_TMPFILES "/etc/tmpfiles.d/earlyrandom-audit.conf"
/* --kernel-trace: the words that make the kernel record every getrandom call and exec from boot
 * on (for 'report --trace'), and where they go: a GRUB drop-in, systemd-boot's (kernel-install's)
 * /etc/kernel/cmdline. trace_buf_size is per CPU; 4M held a Debian boot's 4,000 events with room. */
#define ER_AUDIT_TRACE_EVENTS                                                                      \
    "trace_event=syscalls:sys_enter_getrandom,syscalls:sys_exit_getrandom,"                        \
    "sched:sched_process_exec"
#define ER_AUDIT_TRACE_BUF "trace_buf_size=4M"
#define ER_AUDIT_TRACE_WORDS ER_AUDIT_TRACE_EVENTS " " ER_AUDIT_TRACE_BUF
#define ER_AUDIT_GRUB_DEFAULT "/etc/default/grub"
#define ER_AUDIT_GRUB_DROPIN "/etc/default/grub.d/earlyrandom-trace.cfg"
#define ER_AUDIT_KERNEL_CMDLINE "/etc/kernel/cmdline"

/* A kernel command line (one line, maybe a final newline) with our trace words added at its end,
 * each only when missing; NULL when memory ran out. *conflict is set when it has another
 * trace_event= (the kernel keeps only the last one): then the text comes back unchanged. */
char *er_cmdline_add_trace(const char *text, bool *changed, bool *conflict);

/* The command line without our trace words; every other byte stays. *removed counts them. */
char *er_cmdline_remove_trace(const char *text, size_t *removed);

/* The first line of every file enable writes: what disable recognizes as its own. */
#define ER_AUDIT_MARKER "# earlyrandom audit:"

/* --log: a file path the library would resolve the same way in every process (absolute), with
 * nothing a configuration or tmpfiles.d line would mangle (no whitespace, no control
 * characters, no quotes), or kmsg or syslog. stderr and none make no sense for a whole boot. */
bool er_audit_valid_log(const char *v);

/* --library: absolute, named libearlyrandom.so, nothing ld.so would split it at. */
bool er_audit_valid_library(const char *v);

/* ld.so.preload holds entries separated by spaces, tabs, newlines or colons (what glibc splits
 * at). An entry is ours when its last path component is libearlyrandom.so. */
bool er_preload_is_ours(const char *entry, size_t len);

enum er_preload_change {
    ER_PRELOAD_ADDED,    /* appended as a line of its own */
    ER_PRELOAD_PRESENT,  /* there already: the text is unchanged */
    ER_PRELOAD_REPLACED, /* another libearlyrandom.so was there: it now names this one */
};

/* The text with entry added (see above); every other byte stays as it was. NULL when memory ran
 * out. */
char *er_preload_add(const char *text, const char *entry, enum er_preload_change *change);

/* The text without any entry of ours; a line left with nothing but separators goes too, and
 * every other byte stays. *removed counts the entries removed. NULL when memory ran out. */
char *er_preload_remove(const char *text, size_t *removed);

/* Calls fn for each entry in order (start and length into text). */
void er_preload_each(const char *text, void (*fn)(const char *entry, size_t len, void *ctx),
                     void *ctx);

/* True when the text has no entry at all (empty, or separators only). */
bool er_preload_empty(const char *text);

/* The configuration enable writes, NUL-terminated, into buf; false if it does not fit. */
bool er_audit_conf_text(const char *log, char *buf, size_t cap);

/* The command: o->audit_action is "enable", "disable" or "status". Prints what it did on stdout,
 * errors on stderr. Returns 0 or ER_EXIT_USAGE. */
int er_cli_audit(const struct er_cli_options *o);

#endif
