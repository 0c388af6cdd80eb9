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

/* Every line of the storm's log is one valid record, and every thread of every process got all
 * of its records in. */
static void check_storm_log(const char *log_path)
{
    size_t len;
    char *log = read_whole(log_path, &len);
    cr_assert(log != NULL, "no log");
    long bad;
    char first_bad[2048];
    long good = check_jsonl(log, len, &bad, first_bad, sizeof first_bad);
    fprintf(stderr, "log: %ld records, %ld invalid, %zu bytes\n", good, bad, len);
    cr_expect(bad == 0, "%ld torn or invalid lines; the first:\n%s", bad, first_bad);
    long by_command = 0; /* counted line by line below: a search of the whole log per line is quadratic */
    cr_expect(len > 0 && log[len - 1] == '\n', "the log does not end with a whole line");

    /* per process and per thread: every one of them got all its records in */
    struct { long pid, count; } procs[PROCS];
    size_t nprocs = 0;
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
            /* under the command's default engine, the C library's own requests (malloc's key,
             * in bash and seq too) are the command's records: not the storm's */
            bool theirs = strstr(line, "\"engine\":\"seccomp\"") != NULL;
            by_command += theirs;
            if (jv_check_line(line, ll, &jr) && !theirs) {
                long pid = member_long(&jr, "pid"), tid = member_long(&jr, "tid");
                size_t k = 0;
                while (k < nprocs && procs[k].pid != pid)
                    k++;
                if (k == nprocs && nprocs < PROCS) {
                    procs[nprocs].pid = pid;
                    procs[nprocs++].count = 0;
                }
                if (k < nprocs)
                    procs[k].count++;
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
    cr_expect(good - by_command == (long)PROCS * THREADS * EVENTS, "%ld records, expected %d",
              good - by_command, PROCS * THREADS * EVENTS);
    cr_expect(nprocs == PROCS, "%zu processes seen in the log, expected %d", nprocs, PROCS);
    for (size_t k = 0; k < nprocs; k++)
        cr_expect(procs[k].count == THREADS * EVENTS, "process %ld: %ld records, expected %d",
                  procs[k].pid, procs[k].count, THREADS * EVENTS);
    cr_expect(ntids == PROCS * THREADS && overflow == 0, "%zu threads seen in the log, expected %d", ntids + overflow,
              PROCS * THREADS);
    for (size_t t = 0; t < ntids; t++)
        cr_expect(tids[t].count == EVENTS, "thread %ld: %ld records, expected %d", tids[t].tid, tids[t].count, EVENTS);
    free(log);
    unlink(log_path); /* 50 MB */
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
    check_storm_log(log_path);
}

/* The same storm under the earlyrandom command: the records travel through its shared ring, which
 * holds fewer records than the storm makes at once, so the overflow goes to the file directly. */
Test(log, the_same_storm_under_the_command_through_its_ring)
{
    SKIP_IF_NO_SUBREAPER();
    static char log_path[1024], log_opt[1100], lib_var[1100], script[4096];
    snprintf(log_path, sizeof log_path, "%s", test_path("storm-command.jsonl"));
    unlink(log_path);
    snprintf(log_opt, sizeof log_opt, "--log=%s", log_path);
    snprintf(lib_var, sizeof lib_var, "EARLYRANDOM_LIBRARY=%s", er_library);
    snprintf(script, sizeof script,
             "pids=; for i in $(seq %d); do \"$0\" logstorm %d %d & pids=\"$pids $!\"; done; "
             "fail=0; for p in $pids; do wait $p || fail=1; done; exit $fail",
             PROCS, THREADS, EVENTS);
    const char *argv[] = { ER_COMMAND, "--policy=passthrough", "--init-after=0", "--log-all",
                           "--quiet", log_opt, "--", "/bin/bash", "-c", script, hard_helper_nosan,
                           NULL };
    const char *env[] = { lib_var, NULL };
    struct spawn_opts o = { .argv = argv, .env = env, .timeout_ms = 110000 };
    struct spawn_result r;
    spawn_run(&r, &o);
    cr_expect(r.exit_code == 0, "exit %d, signal %d, timed out %d:\n%s%s", r.exit_code, r.signal,
              r.timed_out, r.out, r.err);
    cr_expect(count_lines_with(r.out, "failed=0") == PROCS, "%s", r.out);
    cr_expect(strstr(r.err, "lost") == NULL, "%s", r.err);
    spawn_free(&r);
    check_storm_log(log_path);
}
