/* Runs a program under the preload with an explicit environment and reports what a user would
 * see: its output, how it ended, how long it took and how much CPU it used. */
#ifndef ER_TEST_RUNNER_H
#define ER_TEST_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

struct run_result {
    char out[65536];
    char err[65536];
    int exit_code;   /* -1 when killed by a signal */
    int signal;      /* the signal that ended it, 0 if none */
    bool timed_out;  /* still running at the deadline, then killed */
    double wall_ms;
    double cpu_ms;   /* user + system of the program and its waited-for children */
};

/* argv is NULL-terminated; env is a NULL-terminated list of "NAME=value" added to a minimal
 * environment (PATH, HOME, LANG=C) and LD_PRELOAD=<the library> unless preload is false. */
void run_program(struct run_result *r, const char *const *argv, const char *const *env,
                 bool preload, int timeout_ms);

/* run_program with the preload, argv and env given inline. */
#define RUN(r, timeout_ms, ...) run_program((r), (const char *const[]){ __VA_ARGS__, NULL }, NULL, true, (timeout_ms))

/* Path of a fresh file name in a private temporary directory (not created). */
const char *temp_path(const char *name);

/* Counts lines of s that contain needle. */
int count_lines_with(const char *s, const char *needle);

/* CPU ms from a "cpu=" field in the helper's output line, or -1. */
double field_cpu(const char *line);

/* Time in ms from a "ms=" field in the helper's output line, or -1. */
double field_ms(const char *line);

extern const char *const er_library;
extern const char *const er_probe_plain;
extern const char *const er_probe_fortified;

#endif
