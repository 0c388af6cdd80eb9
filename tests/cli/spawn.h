/* Runs a program the way a user's shell would, with changes to the environment, and captures its
 * exit status (128+N for a signal), its output and how long it took. */
#ifndef ER_TEST_SPAWN_H
#define ER_TEST_SPAWN_H

#include <sys/types.h>

struct spawn_result {
    int status;
    char *out, *err;
    double seconds;
};

/* argv[0] is a path. env lists "NAME=VALUE" to set and "NAME" to unset; both NULL-terminated. */
void spawn_run(const char *const *argv, const char *const *env, struct spawn_result *r);

/* Starts without waiting; spawn_wait collects the result. */
pid_t spawn_start(const char *const *argv, const char *const *env, struct spawn_result *r);
void spawn_wait(pid_t pid, struct spawn_result *r);

void spawn_free(struct spawn_result *r);

#endif
