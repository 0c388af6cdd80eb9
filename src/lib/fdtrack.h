/* Which descriptors are open on /dev/random or /dev/urandom. The program may close, duplicate or
 * replace descriptors behind our back (raw system calls, close_range, descriptors passed over a
 * socket), so the table is only a cache: an entry is set by the hooks that create descriptors,
 * learned with one fstat on first use, and a device entry is checked again before it is acted on. */
#ifndef ER_FDTRACK_H
#define ER_FDTRACK_H

#include <stdbool.h>

enum er_fd_kind {
    ER_FD_UNKNOWN = 0, /* not seen yet: look with fstat */
    ER_FD_OTHER,       /* anything but the two devices */
    ER_FD_RANDOM,      /* /dev/random, 1:8 */
    ER_FD_URANDOM,     /* /dev/urandom, 1:9 */
};

/* Looks at the descriptor itself (fstat) and records what it is, whatever another thread stored
 * meanwhile: for a descriptor just opened. Keeps errno. */
enum er_fd_kind er_fd_probe(int fd) __attribute__((visibility("hidden")));

/* What the descriptor is, from the table when it is sure and with fstat otherwise; what fstat
 * says is recorded only if no close, open or other look stored anything meanwhile. Keeps errno. */
enum er_fd_kind er_fd_kind(int fd) __attribute__((visibility("hidden")));

/* After close, and for the target of dup, dup2, dup3 and fcntl(F_DUPFD): the number now refers
 * to something else, learned again on first use. */
void er_fd_forget(int fd) __attribute__((visibility("hidden")));
void er_fd_forget_range(unsigned int first, unsigned int last) __attribute__((visibility("hidden")));

const char *er_fd_device_name(enum er_fd_kind k) __attribute__((visibility("hidden")));

#endif
