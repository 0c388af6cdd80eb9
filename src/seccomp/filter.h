/* The seccomp filter of the syscall engine, and its installation in the child that is about to
 * exec the command: getrandom goes to the listener unless the preload marked it, the vDSO's
 * MAP_DROPPABLE state mapping is refused so that glibc and Go fall back to the system call, and
 * opens that the preload cannot see go to the listener, which logs those of the random devices.
 * A 32-bit (i386) process's getrandom and opens all go to the listener (src/seccomp/compat.h). */
#ifndef ER_SECCOMP_FILTER_H
#define ER_SECCOMP_FILTER_H

#include <stdbool.h>

/* The preload's own getrandom system calls carry this in their fourth argument, which getrandom
 * ignores; the filter lets them through in the kernel (see src/lib/rawsys.h). */
#define ER_SECCOMP_MARK 0x45524e44L /* "ERND" */

/* ER_ENV_FILTERED (src/core/config.h) is set in the command's environment when the filter is
 * installed, so that the preload marks its calls even when they would otherwise go through the C
 * library. */
#include "config.h"

/* Installs the filter in the calling (single-threaded, about to exec) process and returns the
 * listener, or -errno. set_no_new_privs: prctl(PR_SET_NO_NEW_PRIVS) first; without it the call
 * needs CAP_SYS_ADMIN. every_open: trap every open, for a tree without the preload; otherwise
 * only those made outside the shared libraries (each trapped open costs a round trip). Uses no
 * function that could itself be trapped. */
int er_seccomp_install(bool set_no_new_privs, bool every_open);

/* Sends fd with a status (whether no_new_privs was set), or, when fd < 0, the errno that kept
 * the filter out, over a connected socket: the child's half of the handover. 0 or -errno. */
int er_seccomp_send_listener(int sock, int fd, int status);

/* The parent's half: returns the listener and its status, or -errno as the child reported it
 * (or as recvmsg failed). */
int er_seccomp_recv_listener(int sock, int *status);

/* Whether this kernel can notify a listener (SECCOMP_RET_USER_NOTIF and CONTINUE), asked without
 * installing anything. On false, why is one sentence. */
bool er_seccomp_probe(const char **why);

#endif
