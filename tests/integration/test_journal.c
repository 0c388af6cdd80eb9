/* The journal sink (EARLYRANDOM_LOG=journal) against a fake journald: a unix datagram socket bound
 * at EARLYRANDOM_JOURNAL_SOCKET that receives with the sender's credentials, as journald does.
 * Each record is one datagram of journald's native protocol (MESSAGE=<the JSON record> and the
 * fields that mark it), sent by the very process the record names; the program sees no descriptor
 * of the library's; records from many threads and processes at once all arrive whole. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "probe.h"

TestSuite(journal_sink, .timeout = 120);

static const char *const census_argv[] = { ER_FD_CENSUS, "fork", NULL };
/* getrandom, open and read of /dev/urandom, twice, in each of three processes (fd-census fork) */
#define CENSUS_RECORDS 18

struct datagram {
    char *text;
    size_t len;
    pid_t sender; /* from SCM_CREDENTIALS, as journald gets _PID */
};

/* The fake journald: receives on a thread while the program runs, so that senders never find
 * the queue full for long. */
struct fake_journal {
    int fd;
    char path[108];
    pthread_t thread;
    pthread_mutex_t lock;
    struct datagram *items;
    size_t len, cap;
    int stop_pipe[2];
};

static void *receive_all(void *arg)
{
    struct fake_journal *j = arg;
    static char buf[65536];
    for (;;) {
        fd_set set;
        FD_ZERO(&set);
        FD_SET(j->fd, &set);
        FD_SET(j->stop_pipe[0], &set);
        int maxfd = j->fd > j->stop_pipe[0] ? j->fd : j->stop_pipe[0];
        if (select(maxfd + 1, &set, NULL, NULL, NULL) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        bool stopping = FD_ISSET(j->stop_pipe[0], &set);
        for (;;) {
            char control[CMSG_SPACE(sizeof(struct ucred))];
            struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf - 1 };
            struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                                 .msg_controllen = sizeof control };
            ssize_t n = recvmsg(j->fd, &mh, MSG_DONTWAIT);
            if (n < 0)
                break;
            struct datagram d = { .len = (size_t)n, .sender = -1 };
            for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                    struct ucred cred;
                    memcpy(&cred, CMSG_DATA(c), sizeof cred);
                    d.sender = cred.pid;
                }
            d.text = malloc((size_t)n + 1);
            memcpy(d.text, buf, (size_t)n);
            d.text[n] = '\0';
            pthread_mutex_lock(&j->lock);
            if (j->len == j->cap) {
                j->cap = j->cap ? j->cap * 2 : 64;
                j->items = realloc(j->items, j->cap * sizeof *j->items);
            }
            j->items[j->len++] = d;
            pthread_mutex_unlock(&j->lock);
        }
        if (stopping)
            break;
    }
    return NULL;
}

static void fake_journal_start(struct fake_journal *j)
{
    memset(j, 0, sizeof *j);
    pthread_mutex_init(&j->lock, NULL);
    snprintf(j->path, sizeof j->path, "%s", test_path("journal.socket"));
    unlink(j->path);
    j->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(j->fd, 0);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", j->path);
    cr_assert_eq(bind(j->fd, (struct sockaddr *)&addr, sizeof addr), 0, "bind %s: %s", j->path,
                 strerror(errno));
    int on = 1;
    cr_assert_eq(setsockopt(j->fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on), 0);
    cr_assert_eq(pipe2(j->stop_pipe, O_CLOEXEC), 0);
    cr_assert_eq(pthread_create(&j->thread, NULL, receive_all, j), 0);
}

/* Stops receiving once everything sent has been read. */
static void fake_journal_stop(struct fake_journal *j)
{
    cr_assert_eq(write(j->stop_pipe[1], "x", 1), 1);
    pthread_join(j->thread, NULL);
    close(j->stop_pipe[0]);
    close(j->stop_pipe[1]);
    close(j->fd);
    unlink(j->path);
}

static void fake_journal_free(struct fake_journal *j)
{
    for (size_t i = 0; i < j->len; i++)
        free(j->items[i].text);
    free(j->items);
    pthread_mutex_destroy(&j->lock);
}

/* The datagram is MESSAGE=<one JSON object on one line>, then exactly the marking fields. */
static void expect_well_formed(const struct datagram *d)
{
    static const char fields[] =
        "\nSYSLOG_IDENTIFIER=earlyrandom\nEARLYRANDOM_RECORD=1\nPRIORITY=6\n";
    cr_assert(strncmp(d->text, "MESSAGE={", 9) == 0, "not a MESSAGE field: %s", d->text);
    size_t flen = sizeof fields - 1;
    cr_assert(d->len > 9 + flen && strcmp(d->text + d->len - flen, fields) == 0,
              "the datagram does not end with the marking fields: %s", d->text);
    const char *message_end = d->text + d->len - flen;
    cr_assert_eq(message_end[-1], '}', "the record was cut: %s", d->text);
    cr_assert_eq(memchr(d->text, '\n', (size_t)(message_end - d->text)), NULL,
                 "a newline inside MESSAGE: %s", d->text);
    char pid_field[64];
    snprintf(pid_field, sizeof pid_field, "\"pid\":%ld,", (long)d->sender);
    cr_assert(d->sender > 0 && strstr(d->text, pid_field) != NULL,
              "the record names another process than its sender %ld: %s", (long)d->sender,
              d->text);
}

static int count_containing(const struct fake_journal *j, const char *needle)
{
    int n = 0;
    for (size_t i = 0; i < j->len; i++)
        n += strstr(j->items[i].text, needle) != NULL;
    return n;
}

static void run_with_journal(struct spawn_result *r, const struct fake_journal *j,
                             const char *const *argv, const char *policy, const char *init_after)
{
    char socket_var[200], policy_var[64], init_var[64];
    snprintf(socket_var, sizeof socket_var, "EARLYRANDOM_JOURNAL_SOCKET=%s", j->path);
    snprintf(policy_var, sizeof policy_var, "EARLYRANDOM_POLICY=%s", policy);
    snprintf(init_var, sizeof init_var, "EARLYRANDOM_INIT_AFTER=%s", init_after);
    const char *env[] = { "EARLYRANDOM_LOG=journal", "EARLYRANDOM_LOG_ALL=1", socket_var,
                          policy_var, init_var, NULL };
    run_program(r, argv, env, true, 60000);
}

Test(journal_sink, each_record_is_one_datagram_sent_by_the_process_it_names)
{
    struct fake_journal j;
    fake_journal_start(&j);
    const char *argv[] = { ER_FD_CENSUS, NULL };
    struct spawn_result r;
    run_with_journal(&r, &j, argv, "passthrough", "never");
    fake_journal_stop(&j);
    cr_expect_eq(r.exit_code, 0, "fd-census failed: %s", r.err);
    cr_assert_eq(j.len, CENSUS_RECORDS / 3, "%zu datagrams of %d expected", j.len,
                 CENSUS_RECORDS / 3);
    for (size_t i = 0; i < j.len; i++)
        expect_well_formed(&j.items[i]);
    cr_expect_eq(count_containing(&j, "\"event\":\"request\""), CENSUS_RECORDS / 3);
    spawn_free(&r);
    fake_journal_free(&j);
}

Test(journal_sink, the_program_sees_no_descriptor_of_the_sink)
{
    struct spawn_result base;
    run_program(&base, census_argv, NULL, false, 30000);
    cr_assert_eq(base.exit_code, 0, "fd-census without the library: %s", base.err);
    struct fake_journal j;
    fake_journal_start(&j);
    struct spawn_result r;
    run_with_journal(&r, &j, census_argv, "block", "0");
    fake_journal_stop(&j);
    cr_expect_eq(r.exit_code, 0, "fd-census failed: %s", r.err);
    cr_expect_str_eq(r.out, base.out,
                     "the program sees other descriptors than without the library");
    cr_expect_eq(j.len, CENSUS_RECORDS, "%zu datagrams of %d expected", j.len, CENSUS_RECORDS);
    for (size_t i = 0; i < j.len; i++)
        expect_well_formed(&j.items[i]);
    spawn_free(&base);
    spawn_free(&r);
    fake_journal_free(&j);
}

/* 8 processes at once, each with 16 threads asking at once: every record arrives, whole, from the
 * process it names, one per thread. */
Test(journal_sink, records_from_many_threads_and_processes_arrive_whole)
{
    enum { PROCESSES = 8, THREADS = 16 };
    char script[512];
    snprintf(script, sizeof script,
             "for i in 1 2 3 4 5 6 7 8; do \"%s\" threads %d & done; wait", ER_PROBE_PLAIN,
             THREADS);
    const char *argv[] = { "/bin/sh", "-c", script, NULL };
    struct fake_journal j;
    fake_journal_start(&j);
    struct spawn_result r;
    run_with_journal(&r, &j, argv, "block", "0");
    fake_journal_stop(&j);
    cr_expect_eq(r.exit_code, 0, "the probes failed: %s%s", r.out, r.err);
    cr_expect_eq(count_lines_with(r.out, "threads ok=16 of=16"), PROCESSES, "%s", r.out);
    for (size_t i = 0; i < j.len; i++)
        expect_well_formed(&j.items[i]);
    int waiters = count_containing(&j, "\"api\":\"getrandom\",\"bytes\":16,");
    cr_expect_eq(waiters, PROCESSES * THREADS, "%d getrandom(16) records of %d expected", waiters,
                 PROCESSES * THREADS);
    /* one record per thread: no two datagrams name the same thread */
    int distinct = 0;
    for (size_t i = 0; i < j.len; i++) {
        const char *tid = strstr(j.items[i].text, "\"tid\":");
        if (tid == NULL || strstr(j.items[i].text, "\"bytes\":16,") == NULL)
            continue;
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++) {
            const char *other = strstr(j.items[k].text, "\"tid\":");
            seen = other != NULL && strstr(j.items[k].text, "\"bytes\":16,") != NULL &&
                   j.items[k].sender == j.items[i].sender && atol(other + 6) == atol(tid + 6);
        }
        distinct += !seen;
    }
    cr_expect_eq(distinct, PROCESSES * THREADS);
    spawn_free(&r);
    fake_journal_free(&j);
}

/* PID 1 asks before journald's socket exists (before /run is mounted, at boot): its records wait
 * in its memory and reach the journal, in order, with its first record once the socket is there,
 * rather than the kernel log, whose ring buffer lost hundreds of them on a real boot. The program
 * is PID 1 of a PID namespace of its own. */
Test(journal_sink, pid_1_holds_its_records_until_the_socket_takes_them)
{
    const char *python = "/usr/bin/python3";
    if (access(python, X_OK) != 0)
        cr_skip_test("no %s to run as PID 1", python);
    struct spawn_result probe;
    const char *probe_argv[] = { "unshare", "--user", "--map-root-user", "--pid", "--fork",
                                 "/bin/true", NULL };
    struct spawn_opts po = { .argv = probe_argv, .timeout_ms = 30000 };
    spawn_run(&probe, &po);
    if (probe.exit_code != 0)
        cr_skip_test("cannot make a PID namespace here (unshare: %s)", probe.err);
    spawn_free(&probe);

    struct fake_journal j;
    memset(&j, 0, sizeof j);
    snprintf(j.path, sizeof j.path, "%s", test_path("journal.socket"));
    unlink(j.path);
    char go[512];
    snprintf(go, sizeof go, "%s", test_path("go"));
    unlink(go);
    char script[1024];
    snprintf(script, sizeof script,
             "import os, sys, time\n"
             "assert os.getpid() == 1\n"
             "os.getrandom(7)\n"
             "print('asked', flush=True)\n"
             "while not os.path.exists('%s'):\n"
             "    time.sleep(0.02)\n"
             "os.getrandom(9)\n",
             go);
    char socket_var[200];
    snprintf(socket_var, sizeof socket_var, "EARLYRANDOM_JOURNAL_SOCKET=%s", j.path);
    const char *argv[] = { "unshare", "--user", "--map-root-user", "--pid", "--fork", python,
                           "-c", script, NULL };
    const char *env[] = { "EARLYRANDOM_LOG=journal", "EARLYRANDOM_LOG_ALL=1",
                          "EARLYRANDOM_POLICY=passthrough", socket_var, NULL };
    struct spawn_opts o = { .argv = argv, .env = env, .preload = er_library, .timeout_ms = 60000 };
    struct spawn_proc *p = spawn_start(&o);
    cr_assert(spawn_await_output(p, "asked", 30000), "the program never asked");
    /* journald comes up only now */
    fake_journal_start(&j);
    create_file(go);
    struct spawn_result r;
    spawn_finish(p, &r);
    fake_journal_stop(&j);
    cr_expect_eq(r.exit_code, 0, "%s%s", r.out, r.err);
    int before = -1, after = -1;
    for (size_t i = 0; i < j.len; i++) {
        const char *t = j.items[i].text;
        if (strstr(t, "\"pid\":1,") == NULL)
            continue;
        if (strstr(t, "\"bytes\":7,") != NULL)
            before = (int)i;
        if (strstr(t, "\"bytes\":9,") != NULL)
            after = (int)i;
    }
    cr_expect_geq(before, 0, "PID 1's record from before the socket existed never arrived");
    cr_expect_geq(after, 0, "PID 1's record from after the socket existed never arrived");
    cr_expect_lt(before, after, "PID 1's records arrived out of order");
    spawn_free(&r);
    fake_journal_free(&j);
}

Test(journal_sink, a_close_waiting_for_a_record_stuck_on_a_full_queue_burns_no_cpu)
{
    SKIP_IF_EMULATED("the probe finds its other thread in sendmsg through /proc, which shows the "
                     "emulator's host system call");
    /* A journald that reads nothing: its queue fills, and the library's next datagram waits for
     * room (JOURNAL_FULL_WAIT_SECONDS). A close on another thread waits for that record to leave
     * the descriptor it uses, and must sleep meanwhile, not spin. */
    char path[108];
    snprintf(path, sizeof path, "%s", test_path("full.socket"));
    unlink(path);
    int journal = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    cr_assert_eq(bind(journal, (struct sockaddr *)&addr, sizeof addr), 0, "bind: %s", strerror(errno));
    int filler = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int queued = 0;
    while (queued < 100000 && sendto(filler, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&addr,
                                     sizeof addr) == 1)
        queued++;
    cr_assert(errno == EAGAIN || errno == EWOULDBLOCK, "the queue never filled: %s", strerror(errno));
    char socket_var[200];
    snprintf(socket_var, sizeof socket_var, "EARLYRANDOM_JOURNAL_SOCKET=%s", path);
    const char *argv[] = { er_probe_plain, "close-while-logging", NULL };
    const char *env[] = { "EARLYRANDOM_LOG=journal", "EARLYRANDOM_LOG_ALL=1",
                          "EARLYRANDOM_POLICY=passthrough", "EARLYRANDOM_INIT_AFTER=0", socket_var,
                          NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    close(filler);
    close(journal);
    cr_assert_eq(r.exit_code, 0, "%s%s", r.out, r.err);
    double close_ms = -1, close_cpu_ms = -1;
    const char *line = strstr(r.out, "close rc=0 ");
    cr_assert_not_null(line, "output: %s", r.out);
    cr_assert_eq(sscanf(line, "close rc=0 close_ms=%lf close_cpu_ms=%lf", &close_ms, &close_cpu_ms),
                 2, "output: %s", r.out);
    /* The close came while the record was stuck, and waited for it. */
    cr_assert(strstr(line, "sending=1") != NULL, "the request was never seen sending: %s", r.out);
    cr_assert_gt(close_ms, 100, "the close did not wait (%.1f ms)", close_ms);
    cr_expect_lt(close_cpu_ms, close_ms / 20, "the close used %.1f ms of CPU in %.1f ms of waiting",
                 close_cpu_ms, close_ms);
    spawn_free(&r);
}
