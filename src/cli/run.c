#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../seccomp/filter.h"
#include "../seccomp/supervisor.h"
#include "binprobe.h"
#include "bootview.h"
#include "conffile.h"
#include "config.h"
#include "hang.h"
#include "logparse.h"
#include "plan.h"
#include "ringdrain.h"
#include "summary.h"
#include "tail.h"
#include "tree.h"

#ifndef PKGLIBDIR
#error "PKGLIBDIR must be defined by the build"
#endif

#define LIBRARY_NAME "libearlyrandom.so"
#define POLL_MS 50           /* how often the log is read: a hang is noticed within this */
#define BUSY_POLL_MS 1       /* while records flow, so that the ring seldom fills */
#define RING_SLOTS 4096      /* 4 MiB of shared memory: a burst of a few ms between drains */
#define RING_SETTLE_MS 200   /* how long a record being copied into the ring is waited for */
#define KILL_GRACE_MS 2000   /* between SIGTERM and SIGKILL, as a short timeout(1) -k */
#define RENDER_MAX 16384     /* a readable line with a full backtrace */

struct run {
    const struct er_cli_options *o;
    struct er_plan plan;
    char tmpdir[64];  /* private directory of the log when the user asked for none; or "" */
    char private_log[96];
    struct er_tail tail;
    struct er_ringdrain ring; /* how the library's records reach the log; ring.buf NULL without */
    struct er_summary summary;
    pid_t child;
    bool follow; /* the log is a regular file this process can read back */
    bool have_conffile;
    struct er_conffile conffile;
    char conffile_text[ER_CONFFILE_MAX_BYTES + 1];
    bool child_done, verdict, oom;
    bool filter_wanted;       /* install the seccomp filter in the child */
    struct er_seccomp *sec;   /* its supervisor, once the child handed the listener over */
    int child_status;
    char render[RENDER_MAX];
};

static void message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One write per message, so that it does not interleave with the program's own stderr. */
static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

static void message(const char *fmt, ...)
{
    char buf[2 * ER_PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        write_all(STDERR_FILENO, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static bool usable_file(const char *path) { return access(path, R_OK) == 0; }

bool er_find_library(char *out, size_t cap, char *err, size_t errlen)
{
    const char *forced = getenv("EARLYRANDOM_LIBRARY");
    if (forced != NULL) {
        char resolved[PATH_MAX];
        errno = 0;
        if (realpath(forced, resolved) == NULL || strlen(resolved) >= cap || !usable_file(resolved)) {
            snprintf(err, errlen, "EARLYRANDOM_LIBRARY='%s': %s", forced,
                     strerror(errno ? errno : ENAMETOOLONG));
            return false;
        }
        strcpy(out, resolved);
        return true;
    }
    /* From the build tree: the command is src/cli/earlyrandom, the library src/lib/.libs/. */
    char self[PATH_MAX], candidate[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash != NULL) {
            *slash = '\0';
            snprintf(candidate, sizeof candidate, "%s/../lib/.libs/" LIBRARY_NAME, self);
            char resolved[PATH_MAX];
            if (realpath(candidate, resolved) != NULL && strlen(resolved) < cap &&
                usable_file(resolved)) {
                strcpy(out, resolved);
                return true;
            }
        }
    }
    if (usable_file(PKGLIBDIR "/" LIBRARY_NAME) && strlen(PKGLIBDIR "/" LIBRARY_NAME) < cap) {
        strcpy(out, PKGLIBDIR "/" LIBRARY_NAME);
        return true;
    }
    snprintf(err, errlen,
             "cannot find " LIBRARY_NAME " (looked in %s/../lib/.libs and in " PKGLIBDIR
             "); set EARLYRANDOM_LIBRARY to its path",
             n > 0 ? self : "the build tree");
    return false;
}

/* The library's path goes into LD_PRELOAD, which the loader splits at spaces and colons. */
static bool set_preload(const char *lib)
{
    if (strpbrk(lib, " :") != NULL) {
        message("earlyrandom: the library path '%s' contains a space or a colon, which LD_PRELOAD "
                "cannot hold\n", lib);
        return false;
    }
    const char *existing = getenv("LD_PRELOAD");
    size_t cap = (existing ? strlen(existing) : 0) + strlen(lib) + 2;
    char *merged = malloc(cap);
    bool ok = merged != NULL && er_preload_merge(existing, lib, merged, cap) &&
              setenv("LD_PRELOAD", merged, 1) == 0;
    free(merged);
    if (!ok)
        message("earlyrandom: cannot set LD_PRELOAD: %s\n", strerror(errno));
    return ok;
}

static void warn_blind(const char *path, const char *what)
{
    message("earlyrandom: warning: %s %s: the library cannot see its entropy requests; the log "
            "will stay empty for it\n", path, what);
}

/* Warns about a program the library cannot see into, or a script's interpreter that is one. */
static void probe_command(const char *name)
{
    char path[ER_PATH_MAX];
    struct er_probe p;
    if (!er_find_in_path(name, getenv("PATH"), path, sizeof path))
        return; /* execvp will say why */
    for (int depth = 0; depth < 2 && er_probe_file(path, getuid(), getgid(), &p); depth++) {
        if (p.is_go)
            warn_blind(path, "is a Go program (Go makes its own system calls)");
        else if (p.is_static)
            warn_blind(path, "is statically linked");
        if (p.is_secure)
            warn_blind(path, "is setuid, setgid or has file capabilities (the loader ignores "
                             "LD_PRELOAD for it)");
        if (p.is_elf || p.interpreter[0] != '/')
            return;
        snprintf(path, sizeof path, "%s", p.interpreter);
    }
}

static int64_t boottime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *lookup_env(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

static bool export(const char *name, const char *value)
{
    if (value == NULL || value[0] == '\0' || setenv(name, value, 1) == 0)
        return true;
    message("earlyrandom: cannot set %s: %s\n", name, strerror(errno));
    return false;
}

/* The private log lives in a fresh directory nobody else can write to. */
static bool make_private_log(struct run *r)
{
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(r->tmpdir, sizeof r->tmpdir, "%s/earlyrandom.XXXXXX",
                     tmp && tmp[0] == '/' && strlen(tmp) < 40 ? tmp : "/tmp");
    if (n <= 0 || mkdtemp(r->tmpdir) == NULL) {
        message("earlyrandom: cannot create a temporary directory in %s: %s\n",
                tmp ? tmp : "/tmp", strerror(errno));
        r->tmpdir[0] = '\0';
        return false;
    }
    snprintf(r->private_log, sizeof r->private_log, "%s/log.jsonl", r->tmpdir);
    r->follow = true;
    int fd = open(r->private_log, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        message("earlyrandom: cannot create %s: %s\n", r->private_log, strerror(errno));
        return false;
    }
    close(fd);
    return true;
}

static void remove_private_log(struct run *r)
{
    if (r->tmpdir[0] == '\0')
        return;
    unlink(r->private_log);
    rmdir(r->tmpdir);
}

static void note_unfollowable(const struct run *r, const char *log)
{
    if (r->o->summary || r->o->fail_on_hang)
        message("earlyrandom: note: the log %s cannot be read back: --summary and --fail-on-hang "
                "see nothing\n", log);
}

/* Makes sure the user's log file can be written, and follows it from its current end. A FIFO or a
 * device is written to but not followed: a reader that never reads would block the writers. */
static bool check_log_file(struct run *r, off_t *start)
{
    const char *path = r->plan.log_path;
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        note_unfollowable(r, path);
        return true;
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0 || fstat(fd, &st) != 0) {
        message("earlyrandom: --log '%s': %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    close(fd);
    *start = st.st_size;
    r->follow = true;
    return true;
}

/* Exports the plan and starts following the log the library will write. */
static bool prepare_log_and_env(struct run *r, const char *lib)
{
    const struct er_plan *p = &r->plan;
    const char *log = p->log_path;
    off_t start = 0;
    if (p->log_direct) {
        log = p->log_direct;
        note_unfollowable(r, log);
    } else if (p->log_to_file) {
        if (!check_log_file(r, &start))
            return false;
    } else {
        if (!make_private_log(r))
            return false;
        log = r->private_log;
    }
    er_tail_init(&r->tail, r->follow ? log : NULL, start);
    /* Records for a file the command follows travel through its ring; without one the library
     * appends to the file itself, which costs more per record but loses nothing. */
    if (r->follow && lib != NULL && !er_ringdrain_open(&r->ring, log, RING_SLOTS))
        message("earlyrandom: note: no shared ring (%s): the library writes the log itself\n",
                strerror(errno));
    /* An outer earlyrandom's ring must not take the records of this tree's log. */
    if (r->ring.buf == NULL)
        unsetenv(ER_ENV_RING);
    return (lib == NULL || set_preload(lib)) &&
           export(ER_ENV_RING, r->ring.buf ? r->ring.path : NULL) && export(ER_ENV_POLICY, p->policy) &&
           export(ER_ENV_INIT_AFTER, p->init_after) && export(ER_ENV_EPOCH, p->epoch) &&
           export(ER_ENV_READY_FILE, p->ready_file) && export(ER_ENV_WEAK, p->weak) &&
           export(ER_ENV_LOG, log) && export(ER_ENV_LOG_ALL, p->log_all) &&
           export(ER_ENV_HANG_TIMEOUT, p->hang_timeout) && export(ER_ENV_KERNEL, r->o->kernel);
}

static void note_ready_file(const struct run *r)
{
    if (r->plan.ready_file[0] != '\0' && access(r->plan.ready_file, F_OK) == 0 && !r->o->quiet)
        message("earlyrandom: note: the ready file %s already exists: the pool counts as "
                "initialized from the start\n", r->plan.ready_file);
}

static bool is(const char *a, const char *b) { return a != NULL && strcmp(a, b) == 0; }

/* Shows one record as the user asked: all, only hangs, or nothing. */
static void render(struct run *r, const struct er_record *rec)
{
    bool hang = is(rec->event, "hang");
    if (r->plan.render == ER_RENDER_NONE || (r->plan.render == ER_RENDER_HANGS && !hang))
        return;
    if (!hang && !r->plan.show_post_init && is(rec->pool, "initialized"))
        return; /* logged only for --summary */
    if (!hang && !is(rec->event, "request"))
        return; /* an event of a later version */
    size_t n = er_format_text(rec, r->render, sizeof r->render);
    write_all(STDERR_FILENO, r->render, n);
}

static void give_verdict(struct run *r, const struct er_record *rec)
{
    size_t n = er_format_hang_report(rec, r->render, sizeof r->render);
    write_all(STDERR_FILENO, r->render, n);
    message("earlyrandom: stopping the process tree (exit %d)\n", ER_EXIT_HANG);
    r->verdict = true;
}

static void on_line(char *line, bool too_long, void *ctx)
{
    struct run *r = ctx;
    struct er_parsed parsed = { 0 };
    enum er_parse_status st = too_long ? ER_PARSE_MALFORMED : er_parse_record(line, &parsed);
    if (r->o->summary && !er_summary_add_parsed(&r->summary, st, &parsed, NULL))
        r->oom = true;
    if (st != ER_PARSE_OK)
        return;
    if (is(parsed.rec.event, "hang") && r->o->fail_on_hang) {
        if (!r->verdict)
            give_verdict(r, &parsed.rec);
        return;
    }
    render(r, &parsed.rec);
}

static void on_reaped(pid_t pid, int status, void *ctx)
{
    struct run *r = ctx;
    if (pid == r->child) {
        r->child_done = true;
        r->child_status = status;
    }
}

/* Passes a signal sent to earlyrandom on to the command, as timeout(1) does. One typed at the
 * terminal (SI_KERNEL) already reached the command, which shares our process group. */
static void forward_signal(struct run *r, const struct signalfd_siginfo *si)
{
    if (si->ssi_signo == SIGCHLD || r->child_done || si->ssi_code == SI_KERNEL)
        return;
    kill(r->child, (int)si->ssi_signo);
}

static void drain_signals(struct run *r, int sfd)
{
    struct signalfd_siginfo si;
    while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
        forward_signal(r, &si);
}

/* In the child: installs the filter and hands the listener over before anything it traps can
 * run. As root it keeps no_new_privs unset, so that setuid programs keep their privileges.
 * False when the command must not run (--engine=seccomp without a filter). */
static bool child_install_filter(const struct run *r, int sock)
{
    bool auto_engine = r->plan.engine == ER_ENGINE_AUTO;
    /* An outer earlyrandom's filter stays above ours, or above a tree without one. */
    bool outer_filter = getenv(ER_ENV_FILTERED) != NULL;
    /* Set first: setenv may allocate, and nothing may be trapped before the handover. */
    if (auto_engine)
        setenv(ER_ENV_FILTERED, "1", 1);
    bool nnp = geteuid() != 0;
    /* Without the preload, every open of a random device is the filter's to see. */
    bool every_open = !auto_engine;
    int fd = er_seccomp_install(nnp, every_open);
    if (fd == -EACCES && !nnp)
        fd = er_seccomp_install(nnp = true, every_open);
    if (fd < 0) {
        if (auto_engine && !outer_filter)
            unsetenv(ER_ENV_FILTERED);
        er_seccomp_send_listener(sock, -1, -fd);
        close(sock);
        return auto_engine;
    }
    er_seccomp_send_listener(sock, fd, nnp);
    close(fd);
    close(sock);
    return true;
}

/* The parent's side of the handover: the supervisor, or the reason there is none. Returns false
 * when the run must stop. */
static bool take_listener(struct run *r, int sock)
{
    int no_new_privs = 0;
    int fd = er_seccomp_recv_listener(sock, &no_new_privs);
    close(sock);
    if (fd < 0) {
        if (r->plan.engine == ER_ENGINE_SECCOMP) {
            message("earlyrandom: --engine=seccomp: cannot install the filter: %s%s\n",
                    strerror(-fd), fd == -EBUSY ? " (another supervisor's filter is above)" : "");
            return false;
        }
        message("earlyrandom: warning: the syscall engine is unavailable (%s%s): the preload runs "
                "alone\n", strerror(-fd), fd == -EBUSY ? ": another supervisor's filter is above" : "");
        return true;
    }
    struct er_settings set;
    char err[4096];
    er_settings_load_layered(&set, lookup_env, NULL, r->have_conffile ? &r->conffile : NULL, err,
                             sizeof err);
    if (no_new_privs && !r->o->quiet)
        message("earlyrandom: warning: not run as root, the syscall engine sets no_new_privs: "
                "setuid programs in the tree run without their privileges (--engine=preload "
                "keeps them)\n");
    r->sec = er_seccomp_new(fd, &set, set.log == ER_LOG_FILE ? set.log_path : NULL);
    if (r->sec == NULL) {
        close(fd);
        message("earlyrandom: out of memory\n");
        return false;
    }
    return true;
}

/* Starts the command; returns its pid, or -errno when exec failed (reported by the child). */
static pid_t start_child(struct run *r, char *const *argv, const sigset_t *old_mask)
{
    int pipefd[2], sock[2] = { -1, -1 };
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return -errno;
    if (r->filter_wanted && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock) != 0) {
        int e = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        return -e;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        if (sock[0] >= 0) {
            close(sock[0]);
            close(sock[1]);
        }
        return -e;
    }
    if (pid == 0) {
        close(pipefd[0]);
        signal(SIGPIPE, SIG_DFL);
        if (sock[0] >= 0) {
            close(sock[0]);
            if (!child_install_filter(r, sock[1]))
                _exit(ER_EXIT_USAGE);
        }
        sigprocmask(SIG_SETMASK, old_mask, NULL);
        execvp(argv[0], argv);
        int e = errno;
        write_all(pipefd[1], (const char *)&e, sizeof e);
        _exit(ER_EXIT_NOT_FOUND);
    }
    close(pipefd[1]);
    if (sock[0] >= 0) {
        close(sock[1]);
        if (!take_listener(r, sock[0])) {
            close(pipefd[0]);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                continue;
            return -ECANCELED;
        }
    }
    int e = 0;
    ssize_t n;
    while ((n = read(pipefd[0], &e, sizeof e)) < 0 && errno == EINTR)
        continue;
    close(pipefd[0]);
    if (n == (ssize_t)sizeof e) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            continue;
        return -e;
    }
    return pid;
}

/* Watches the log and the signals until the command ends or a hang verdict is given. */
static void supervise(struct run *r, int sfd)
{
    struct pollfd pfd[3] = { { sfd, POLLIN, 0 }, { r->sec ? er_seccomp_fd(r->sec) : -1, POLLIN, 0 },
                             { -1, POLLIN, 0 } };
    int log_timeout = POLL_MS; /* shorter while the ring has records coming */
    while (!r->child_done && !r->verdict) {
        /* Idle, the ring's producers wake the command when a burst begins. */
        if (log_timeout == POLL_MS) {
            enum er_ringdrain_sleep sleep = er_ringdrain_sleep(&r->ring);
            if (sleep == ER_RINGDRAIN_ASLEEP)
                pfd[2].fd = er_ringdrain_wake_fd(&r->ring);
            else if (sleep == ER_RINGDRAIN_BURST)
                log_timeout = BUSY_POLL_MS;
        }
        int timeout = r->sec ? er_seccomp_tick(r->sec, log_timeout) : log_timeout;
        int ready = poll(pfd, 3, timeout);
        if (pfd[2].fd >= 0) {
            er_ringdrain_awake(&r->ring);
            pfd[2].fd = -1;
        }
        if (ready > 0) {
            if (pfd[0].revents)
                drain_signals(r, sfd);
            /* Answered first: a trapped call waits for nothing else. */
            if ((pfd[1].revents & POLLIN) && !er_seccomp_receive(r->sec))
                pfd[1].fd = -1;
            else if (pfd[1].revents & (POLLHUP | POLLERR))
                pfd[1].fd = -1; /* no process uses the filter any more */
        }
        er_tree_reap(on_reaped, r);
        log_timeout = er_ringdrain_poll(&r->ring) > 0 ? BUSY_POLL_MS : POLL_MS;
        er_tail_poll(&r->tail, on_line, r);
    }
    if (r->sec != NULL)
        er_seccomp_finish(r->sec);
    /* Records written just before the command ended may still give the verdict on an orphan. */
    er_ringdrain_poll(&r->ring);
    er_tail_poll(&r->tail, on_line, r);
    if (r->verdict)
        er_tree_kill(KILL_GRACE_MS, on_reaped, r);
    er_tree_reap(on_reaped, r);
    /* From here on, what the tree still logs goes straight to the file. */
    er_ringdrain_finish(&r->ring, RING_SETTLE_MS);
    if (r->ring.abandoned > 0)
        message("earlyrandom: %llu log records were lost: their processes were killed while "
                "writing them\n", (unsigned long long)r->ring.abandoned);
    er_tail_finish(&r->tail, on_line, r);
}

static void print_summary(struct run *r)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem == NULL)
        return;
    fputs("earlyrandom: summary\n", mem);
    er_summary_print_table(&r->summary, mem);
    /* What this run's engines could not see, so that a missing row is not read as "no entropy". */
    unsigned engines = (r->plan.engine != ER_ENGINE_SECCOMP ? ER_SEEN_PRELOAD : 0u) |
                       (r->sec != NULL ? ER_SEEN_SECCOMP : 0u);
    er_blind_spots_print_brief(engines, mem);
    if (fclose(mem) == 0)
        write_all(STDERR_FILENO, text, len);
    free(text);
}

static int exit_status(const struct run *r)
{
    if (r->verdict)
        return ER_EXIT_HANG;
    if (WIFSIGNALED(r->child_status))
        return 128 + WTERMSIG(r->child_status);
    return WEXITSTATUS(r->child_status);
}

/* Reads the configuration file the library will read (EARLYRANDOM_CONFIG, else the default), so
 * that its values are checked before the run and count as inherited settings. False after
 * printing the file's bad lines. */
static bool load_conffile(struct run *r)
{
    const char *path = getenv(ER_ENV_CONFIG);
    if (path == NULL || path[0] == '\0')
        path = ER_CONFFILE_DEFAULT;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return true; /* no usable file: the library runs without one too */
    }
    size_t len = 0;
    ssize_t n;
    while (len < ER_CONFFILE_MAX_BYTES &&
           ((n = read(fd, r->conffile_text + len, ER_CONFFILE_MAX_BYTES - len)) > 0 ||
            (n < 0 && errno == EINTR)))
        len += n > 0 ? (size_t)n : 0;
    close(fd);
    r->conffile_text[len] = '\0';
    char err[2048];
    if (er_conffile_parse(r->conffile_text, path, &r->conffile, err, sizeof err) > 0) {
        message("%s", err);
        return false;
    }
    r->have_conffile = true;
    return true;
}

/* Everything up to the fork: settings checked, library found, warnings given. */
static int prepare(struct run *r)
{
    char err[2 * ER_PATH_MAX], cwd[ER_PATH_MAX], lib[ER_PATH_MAX];
    if (getcwd(cwd, sizeof cwd) == NULL)
        strcpy(cwd, "/");
    if (!load_conffile(r))
        return ER_EXIT_USAGE;
    struct er_inherited in = { lookup_env, NULL, r->have_conffile ? &r->conffile : NULL };
    if (er_plan_make(r->o, &in, cwd, boottime_ns(), &r->plan, err, sizeof err) != 0) {
        message("earlyrandom: %s\n", err);
        return ER_EXIT_USAGE;
    }
    if (r->plan.engine != ER_ENGINE_PRELOAD) {
        const char *why = NULL;
        r->filter_wanted = er_seccomp_probe(&why);
        if (!r->filter_wanted && r->plan.engine == ER_ENGINE_SECCOMP) {
            message("earlyrandom: --engine=seccomp: %s\n", why);
            return ER_EXIT_USAGE;
        }
        if (!r->filter_wanted) {
            message("earlyrandom: warning: the syscall engine is unavailable (%s): the preload "
                    "runs alone\n", why);
            r->plan.engine = ER_ENGINE_PRELOAD;
        }
    }
    bool preload = r->plan.engine != ER_ENGINE_SECCOMP;
    if (preload && !er_find_library(lib, sizeof lib, err, sizeof err)) {
        message("earlyrandom: %s\n", err);
        return ER_EXIT_USAGE;
    }
    /* Under the filter the command sees what the library cannot. */
    if (!r->filter_wanted)
        probe_command(r->o->command[0]);
    note_ready_file(r);
    return prepare_log_and_env(r, preload ? lib : NULL) ? 0 : ER_EXIT_USAGE;
}

static int run_prepared(struct run *r)
{
    sigset_t mask, old_mask;
    sigemptyset(&mask);
    int sigs[] = { SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(&mask, sigs[i]);
    sigprocmask(SIG_BLOCK, &mask, &old_mask);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    /* Orphaned grandchildren come back to us, so the whole tree can be found and stopped. */
    if (sfd < 0 || prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        message("earlyrandom: cannot supervise the command: %s\n", strerror(errno));
        return ER_EXIT_USAGE;
    }
    /* A closed stderr must not kill earlyrandom while the command still runs. */
    signal(SIGPIPE, SIG_IGN);
    pid_t pid = start_child(r, r->o->command, &old_mask);
    if (pid == -ECANCELED) {
        close(sfd);
        return ER_EXIT_USAGE;
    }
    if (pid < 0) {
        message("earlyrandom: failed to run command '%s': %s\n", r->o->command[0], strerror((int)-pid));
        close(sfd);
        return -pid == ENOENT || -pid == ENOTDIR ? ER_EXIT_NOT_FOUND : ER_EXIT_CANNOT_RUN;
    }
    r->child = pid;
    supervise(r, sfd);
    close(sfd);
    if (r->o->summary)
        print_summary(r);
    if (r->oom)
        message("earlyrandom: out of memory: the summary is incomplete\n");
    return exit_status(r);
}

int er_cli_run(const struct er_cli_options *o)
{
    struct run *r = calloc(1, sizeof *r);
    if (r == NULL) {
        message("earlyrandom: out of memory\n");
        return ER_EXIT_USAGE;
    }
    r->o = o;
    er_summary_init(&r->summary);
    er_tail_init(&r->tail, NULL, 0);
    r->ring.memfd = r->ring.log_fd = -1;
    int status = prepare(r);
    if (status == 0)
        status = run_prepared(r);
    er_seccomp_free(r->sec);
    er_tail_close(&r->tail);
    er_ringdrain_close(&r->ring);
    remove_private_log(r);
    er_summary_free(&r->summary);
    free(r);
    return status;
}
