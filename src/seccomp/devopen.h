/* Which random device a trapped open names. The supervisor sees open, openat and openat2 only
 * from code the preload cannot see (static programs, Go, a program's own system calls); it reads
 * the path from the caller's memory and looks at the file it names, as the caller would find it:
 * through the caller's root, working directory or directory descriptor. */
#ifndef ER_SECCOMP_DEVOPEN_H
#define ER_SECCOMP_DEVOPEN_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <sys/types.h>

/* Whether the call is one of the opens the filter may trap (native or 32-bit). */
bool er_seccomp_is_open(const struct seccomp_data *call);

/* The log's name of a trapped open: "SYS_open", "SYS_openat" or "SYS_openat2". */
const char *er_seccomp_open_api(const struct seccomp_data *call);

/* The device the open in call (made by thread tid) names: "/dev/random", "/dev/urandom", or NULL
 * (another file, a path that cannot be read or resolved). *open_flags gets the open's flags.
 * Allocates nothing. */
const char *er_seccomp_opened_device(pid_t tid, const struct seccomp_data *call, int *open_flags);

#endif
