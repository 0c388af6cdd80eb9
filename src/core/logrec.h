/* Log records: one event as JSON Lines (for tools) or as one readable line (for people).
 * Formatting only: no I/O, no allocation, no locale, so it can run inside any hooked call. */
#ifndef ER_LOGREC_H
#define ER_LOGREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One record fits in one write() of at most this many bytes, which also keeps it atomic on a pipe. */
#define ER_RECORD_MAX 4096

/* Every string is optional (NULL leaves the field out). The library fills it from a request; the
 * command fills it by parsing a line back, so both speak through the same structure. */
struct er_record {
    const char *event; /* "request" | "hang" | "kernel" (a message of the simulated kernel) */
    int64_t time_ns;   /* CLOCK_REALTIME */
    bool has_boot;
    int64_t boot_ns;   /* CLOCK_BOOTTIME: time since the machine booted */
    long pid, tid;
    const char *exe;
    const char *comm;   /* the calling thread's name: tells apart programs that share an exe */
    const char *api;
    const char *engine; /* "seccomp" when the command's syscall engine saw it; NULL: the preload */
    const char *device; /* "/dev/random" | "/dev/urandom" */
    bool has_bytes;
    uint64_t bytes;
    const char *flags; /* symbolic: "GRND_NONBLOCK", "O_RDONLY|O_CLOEXEC", "0" */
    const char *policy;
    const char *pool; /* "uninitialized" | "initialized": the simulated pool */
    const char *kernel_pool; /* the same for the real kernel's pool at that moment */
    const char *action;
    bool has_waited;
    int64_t waited_ns;
    const char *errno_name; /* only when the request failed */
    bool has_result;
    int64_t result;
    const char *caller;        /* the shared object that made the call */
    const char *caller_symbol; /* the nearest exported symbol, when known */
    const char *message; /* kernel events: the line the kernel of that era would print */
    const char *const *backtrace; /* hang events */
    size_t backtrace_len;
};

/* Each returns the length written (without the terminating NUL) and always ends the output with
 * '\n' and a NUL, shortening strings rather than ever producing a torn or invalid line. cap must
 * be at least 256. */
size_t er_format_json(const struct er_record *r, char *buf, size_t cap);
size_t er_format_text(const struct er_record *r, char *buf, size_t cap);

/* "2026-11-23T01:54:05.123456Z"; out must hold 32 bytes. */
void er_format_iso8601(int64_t realtime_ns, char *out);

/* Symbolic flags for the log: "0", "GRND_NONBLOCK|GRND_RANDOM", "O_RDONLY|O_NONBLOCK|0x200000". */
void er_format_grnd_flags(unsigned int flags, char *out, size_t cap);
void er_format_open_flags(int flags, char *out, size_t cap);

/* "EAGAIN" and so on; never NULL. */
const char *er_errno_name(int err);

#endif
