/* What the integration tests run: the library and er-probe, and a one-call way to run a program
 * under the preload with a minimal environment (tests/common/testspawn.h). */
#ifndef ER_TEST_PROBE_H
#define ER_TEST_PROBE_H

#include "testspawn.h"

static const char *const er_library = ER_LIBRARY;
static const char *const er_probe_plain = ER_PROBE_PLAIN;
static const char *const er_probe_fortified = ER_PROBE_FORTIFIED;

/* Runs argv with env added to a minimal environment, LD_PRELOAD=<the library> unless preload is
 * false, killed after timeout_ms. */
static inline void run_program(struct spawn_result *r, const char *const *argv, const char *const *env,
                               bool preload, int timeout_ms)
{
    struct spawn_opts o = { .argv = argv, .env = env, .preload = preload ? er_library : NULL,
                            .timeout_ms = timeout_ms };
    spawn_run(r, &o);
}

/* Starts argv under the preload, for a test that acts on it while it runs. */
static inline struct spawn_proc *start_program(const char *const *argv, const char *const *env, int timeout_ms)
{
    struct spawn_opts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = timeout_ms };
    return spawn_start(&o);
}

#endif
