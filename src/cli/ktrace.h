/* The kernel's own trace of getrandom, read back from tracefs text: the 'trace' file or
 * 'trace_pipe' as recorded with
 *   trace_event=syscalls:sys_enter_getrandom,syscalls:sys_exit_getrandom,sched:sched_process_exec
 * on the kernel command line. Each event line is
 *   "<comm>-<tid> [(<tgid>)] [<cpu>] <irq-flags> <secs>.<usecs>: <event>"
 * (print_trace_fmt in kernel/trace/trace_output.c); the events are
 *   "sys_getrandom(ubuf: 7ffd..., len: 8, flags: 1)"   (kernel/trace/trace_syscalls.c: the
 *       values are hex without 0x; recent kernels print them in decimal below 10 and with 0x
 *       above, which reads the same as hex; older kernels name the arguments buf and count),
 *   "sys_getrandom -> 0x8"                            (the return value, negative as 2^64-errno),
 *   "sched_process_exec: filename=/usr/bin/foo pid=123 old_pid=123" (include/trace/events/sched.h).
 * Parsing is pure; er_ktrace collects the calls and execs of a whole trace. */
#ifndef ER_CLI_KTRACE_H
#define ER_CLI_KTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum er_kt_kind {
    ER_KT_OTHER,   /* a comment, a blank line, or another event: not ours, not an error */
    ER_KT_ENTER,   /* sys_getrandom(...) */
    ER_KT_EXIT,    /* sys_getrandom -> 0x... */
    ER_KT_EXEC,    /* sched_process_exec: ... */
    ER_KT_LOST,    /* "CPU:1 [LOST 123 EVENTS]": the ring buffer dropped events */
    ER_KT_ENTRIES, /* "# entries-in-buffer/entries-written: 4009/4009   #P:2" */
    ER_KT_MALFORMED, /* an event line of ours that does not parse */
};

/* The longest comm the kernel keeps is 15 bytes; "<...>" when it had forgotten the name. */
#define ER_KT_COMM_MAX 64

struct er_kt_line {
    enum er_kt_kind kind;
    char comm[ER_KT_COMM_MAX];
    long tid;
    long tgid;     /* 0 unless the trace has the record-tgid column */
    int64_t ts_ns; /* the trace clock: local_clock by default, as printk's timestamps */
    uint64_t len, flags; /* ENTER */
    int64_t ret;         /* EXIT: a negative errno or the bytes returned */
    char *filename;      /* EXEC: points into the line, NUL-terminated in place */
    long exec_pid, old_pid;
    uint64_t lost;                 /* LOST */
    uint64_t in_buffer, written;   /* ENTRIES */
};

/* Parses one line (NUL-terminated, without its newline; modified in place for EXEC). */
enum er_kt_kind er_kt_parse_line(char *line, struct er_kt_line *out);

/* One getrandom call: its enter event and, when the trace has it, its exit. */
struct er_kt_call {
    long tid, tgid; /* tgid 0 when the trace does not say */
    char comm[ER_KT_COMM_MAX];
    int64_t enter_ns, exit_ns;
    bool has_exit;
    uint64_t len, flags;
    int64_t ret;
};

struct er_kt_exec {
    long pid, old_pid;
    int64_t ns;
    char comm[ER_KT_COMM_MAX];
    char *filename;
};

struct er_ktrace {
    struct er_kt_call *calls; /* in the order of their enter events */
    size_t ncalls, calls_cap;
    struct er_kt_exec *execs;
    size_t nexecs, execs_cap;
    size_t *pending; /* calls entered and not yet exited */
    size_t npending, pending_cap;
    uint64_t lines, events, malformed, lost, orphan_exits;
    unsigned long first_malformed; /* its line number, 0 if none */
    bool has_entries;
    uint64_t in_buffer, written;
};

void er_ktrace_init(struct er_ktrace *t);
void er_ktrace_free(struct er_ktrace *t);

/* Adds one line of the trace. False only when memory ran out. */
bool er_ktrace_add_line(struct er_ktrace *t, char *line);

/* The events the kernel dropped: LOST notices plus what entries-written says the buffer lost. */
uint64_t er_ktrace_lost(const struct er_ktrace *t);

#endif
