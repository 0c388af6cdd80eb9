/* The process tree under earlyrandom: found by scanning /proc for parent links (orphans come back
 * to earlyrandom, a child subreaper), stopped as timeout(1) would, and reaped. */
#ifndef ER_CLI_TREE_H
#define ER_CLI_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Called for every child reaped, with its wait status. */
typedef void (*er_reaped_fn)(pid_t pid, int status, void *ctx);

/* Fills pids with the living (not zombie) descendants of root; returns how many, at most cap. */
size_t er_tree_descendants(pid_t root, pid_t *pids, size_t cap);

/* Reaps every child that has exited, without waiting. Returns how many. */
size_t er_tree_reap(er_reaped_fn fn, void *ctx);

/* Stops every descendant of this process: SIGTERM, then SIGKILL to what is left after grace_ms.
 * The tree is frozen with SIGSTOP first so that nothing forks past the signal. Reaps them all. */
void er_tree_kill(int grace_ms, er_reaped_fn fn, void *ctx);

#endif
