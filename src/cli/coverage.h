/* 'earlyrandom report --trace': the kernel's trace of getrandom held against the library's log.
 * Every process the trace shows asking for random bytes before the kernel's pool was
 * initialized either has what the library saw (matched call for call by thread, order, length
 * and flags) or a reason the library could not see it, named from evidence: the library's other
 * records, the binary the trace's exec event names (under --root), or the trace's own order of
 * events. What has neither is listed as unexplained. */
#ifndef ER_CLI_COVERAGE_H
#define ER_CLI_COVERAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ktrace.h"
#include "logrec.h"
#include "summary.h"

enum er_cov_reason {
    ER_COV_SEEN,      /* every early call matched a record, or was glibc's own beside them */
    ER_COV_GLIBC,     /* glibc's own 8-byte GRND_NONBLOCK request, where a preload cannot see */
    ER_COV_STATIC,    /* statically linked: no preload loads into it */
    ER_COV_GO,        /* Go: its runtime makes the system call itself */
    ER_COV_SETUID,    /* secure mode: the loader ignores LD_PRELOAD */
    ER_COV_INITRAMFS, /* exec'd before PID 1 switched to the real root: no library there */
    ER_COV_NO_EXEC,   /* the trace has no exec for it: no binary to look at */
    ER_COV_GONE,      /* the binary the exec named is not under --root any more */
    ER_COV_UNEXPLAINED,
};

struct er_cov_process {
    long pid, tid;
    const struct er_kt_exec *exec; /* NULL: no exec seen */
    char comm[ER_KT_COMM_MAX];
    char *name;       /* the exec's file name, else the comm */
    char *exe;        /* the library's exe for it, NULL without records */
    uint64_t early_calls, early_bytes, matched, glibc_own, other_unseen;
    int64_t first_ns;
    int64_t kernel_wait_ns; /* the longest early call, from its enter to its exit */
    uint64_t records;       /* the library's records for this process, early or not */
    struct er_counts seen;  /* what the library saw early: "api(flags)->action" */
    struct er_counts callers;
    int64_t library_wait_ns;
    enum er_cov_reason reason;
    char *why; /* the evidence, in words */
};

struct er_coverage {
    struct er_cov_process *procs; /* in order of their first early call */
    size_t n, cap;
    size_t seen, explained;
    bool has_init;
    int64_t init_ns;
    const char *init_source; /* "kernel log" or "trace" */
    bool has_offset;
    int64_t offset_ns; /* trace clock minus the library's boot_ms, median of matched calls */
    int64_t offset_spread_ns; /* between the 10th and the 90th percentile of those offsets */
    uint64_t matched_calls, library_probes, unmatched_records;
    uint64_t lost_events;
    bool examined_binaries; /* --root was given */
    char **names;           /* per record: the name it ran as, or NULL for its exe */
    size_t nrecords;
};

struct er_cov_input {
    const struct er_ktrace *trace;
    const struct er_record *const *records; /* the library's request records, in log order */
    size_t nrecords;
    bool has_crng;
    int64_t crng_ns;  /* "crng init done" from the kernel log, on the trace's clock */
    const char *root; /* where the traced system's files are, or NULL not to look */
};

/* Builds the coverage. False only when memory ran out. */
bool er_coverage_build(struct er_coverage *c, const struct er_cov_input *in);
void er_coverage_free(struct er_coverage *c);

/* The name record i ran as, when the trace tells it apart from its exe; NULL otherwise. */
const char *er_coverage_name(const struct er_coverage *c, size_t i);

/* The reason's word in the JSON: "seen", "glibc", "static", ... */
const char *er_cov_reason_name(enum er_cov_reason r);

void er_coverage_print_text(const struct er_coverage *c, FILE *out);
/* "coverage":{...} without braces around it. */
void er_coverage_print_json_member(const struct er_coverage *c, FILE *out);

#endif
