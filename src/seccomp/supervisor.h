/* The syscall engine's supervisor: it answers every getrandom system call the filter sends to its
 * listener with the policy core's decision (er_decide), holds blocked calls until the simulated
 * init and then lets the kernel run them, writes weak bytes into the caller, and logs each request
 * once, with "engine":"seccomp". Opens the filter shows it run unchanged; those of /dev/random and
 * /dev/urandom are logged. Single-threaded: the command's loop calls it. */
#ifndef ER_SECCOMP_SUPERVISOR_H
#define ER_SECCOMP_SUPERVISOR_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct er_seccomp;

/* Takes over the listener. settings are the run's, read back from the environment the command
 * exported (so both engines read the same values); log_path is the file the preload writes when
 * settings->log is a file. NULL when memory ran out. */
struct er_seccomp *er_seccomp_new(int listener, const struct er_settings *settings,
                                  const char *log_path);

int er_seccomp_fd(const struct er_seccomp *s);

/* Receives and answers the notifications waiting on the listener (call on POLLIN). Returns false
 * once the listener is gone (no process uses the filter any more). */
bool er_seccomp_receive(struct er_seccomp *s);

/* Time-driven work: the simulated init releases held calls, interrupted calls are noticed, and a
 * call held for the hang timeout gets a hang record. Returns the milliseconds until it wants to be
 * called again (at most max_ms). */
int er_seccomp_tick(struct er_seccomp *s, int max_ms);

/* At the end of a run: held calls that went away (the caller got EINTR and ended) are logged. */
void er_seccomp_finish(struct er_seccomp *s);

/* How many calls are held now (for tests and the end of a run). */
unsigned er_seccomp_held(const struct er_seccomp *s);

/* Closes the listener (held calls and later ones get ENOSYS) and frees everything. */
void er_seccomp_free(struct er_seccomp *s);

#endif
