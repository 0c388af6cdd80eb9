/* Log integrity: 8 processes of 8 threads each append to one log as fast as they can; every line
 * is one valid JSON record, none torn, none lost: counted overall, per process and per thread. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hardening.h"
#include "jsonv.h"

TestSuite(log, .timeout = 120);

#define PROCS 8
#define THREADS 8
#define EVENTS 2000

/* The member's raw value as a number, or -1. */
static long member_long(const struct jv_result *jr, const char *key)
{
    const struct jv_member *m = jv_get(jr, key);
    return m ? strtol(m->val, NULL, 10) : -1;
}

Test(log, eight_processes_of_eight_threads_share_one_log_without_a_torn_or_lost_line)
{
    static char log_path[1024], log_var[1100];
    snprintf(log_path, sizeof log_path, "%s", test_path("storm.jsonl"));
    unlink(log_path);
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s", log_path);
    const char *env[] = { log_var, "EARLYRANDOM_POLICY=passthrough", "EARLYRANDOM_LOG_ALL=1",
                          "EARLYRANDOM_INIT_AFTER=0", NULL };
    char threads[16], events[16];
    snprintf(threads, sizeof threads, "%d", THREADS);
    snprintf(events, sizeof events, "%d", EVENTS);
    const char *argv[] = { hard_helper_nosan, "logstorm", threads, events, NULL };
    struct spawn_opts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 110000 };
    /* all of them at once, then their ends collected */
    struct spawn_proc *procs[PROCS];
    pid_t pids[PROCS];
    for (int i = 0; i < PROCS; i++) {
        procs[i] = spawn_start(&o);
        pids[i] = spawn_pid(procs[i]);
    }
    char summary[8192] = "";
    for (int i = 0; i < PROCS; i++) {
        struct spawn_result r;
        spawn_finish(procs[i], &r);
        cr_expect(r.exit_code == 0, "process %d ended with exit %d, signal %d, timed out %d:\n%s%s", (int)pids[i],
                  r.exit_code, r.signal, r.timed_out, r.out, r.err);
        strncat(summary, r.out, sizeof summary - strlen(summary) - 1);
        spawn_free(&r);
    }
    cr_expect(count_lines_with(summary, "failed=0") == PROCS, "%s", summary);

    size_t len;
    char *log = read_whole(log_path, &len);
    cr_assert(log != NULL, "no log");
    long bad;
    char first_bad[2048];
    long good = check_jsonl(log, len, &bad, first_bad, sizeof first_bad);
    fprintf(stderr, "log: %ld records, %ld invalid, %zu bytes\n", good, bad, len);
    cr_expect(bad == 0, "%ld torn or invalid lines; the first:\n%s", bad, first_bad);
    cr_expect(good == (long)PROCS * THREADS * EVENTS, "%ld records, expected %d", good, PROCS * THREADS * EVENTS);
    cr_expect(len > 0 && log[len - 1] == '\n', "the log does not end with a whole line");

    /* per process and per thread: every one of them got all its records in */
    long per_proc[PROCS] = { 0 };
    struct { long tid, count; } tids[PROCS * THREADS];
    size_t ntids = 0, overflow = 0;
    char *p = log;
    static char line[1 << 16];
    while (*p) {
        char *nl = strchr(p, '\n');
        size_t ll = nl ? (size_t)(nl - p) + 1 : strlen(p);
        struct jv_result jr;
        if (ll < sizeof line) {
            memcpy(line, p, ll);
            line[ll] = '\0';
            if (jv_check_line(line, ll, &jr)) {
                long pid = member_long(&jr, "pid"), tid = member_long(&jr, "tid");
                for (int i = 0; i < PROCS; i++)
                    if (pids[i] == pid)
                        per_proc[i]++;
                size_t t = 0;
                while (t < ntids && tids[t].tid != tid)
                    t++;
                if (t == ntids) {
                    if (ntids < PROCS * THREADS) {
                        tids[ntids].tid = tid;
                        tids[ntids++].count = 0;
                    } else {
                        overflow++;
                        t = SIZE_MAX;
                    }
                }
                if (t != SIZE_MAX)
                    tids[t].count++;
            }
        }
        p += ll;
    }
    for (int i = 0; i < PROCS; i++)
        cr_expect(per_proc[i] == THREADS * EVENTS, "process %d: %ld records, expected %d", (int)pids[i],
                  per_proc[i], THREADS * EVENTS);
    cr_expect(ntids == PROCS * THREADS && overflow == 0, "%zu threads seen in the log, expected %d", ntids + overflow,
              PROCS * THREADS);
    for (size_t t = 0; t < ntids; t++)
        cr_expect(tids[t].count == EVENTS, "thread %ld: %ld records, expected %d", tids[t].tid, tids[t].count, EVENTS);
    free(log);
    unlink(log_path); /* 50 MB */
}
