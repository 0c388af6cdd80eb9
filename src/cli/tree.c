#include "tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A process tree under test rarely has more than a few hundred members; beyond this the scan
 * still signals the first ones and repeats until none is left. */
#define MAX_PROCS 4096

struct proc {
    pid_t pid, ppid;
};

/* Reads the parent and the state from /proc/PID/stat; the command name in parentheses may hold
 * spaces and parentheses itself, so parsing starts after the last ')'. */
static bool read_stat(pid_t pid, pid_t *ppid, char *state)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    char *close_paren = strrchr(buf, ')');
    int parent;
    if (close_paren == NULL || sscanf(close_paren + 1, " %c %d", state, &parent) != 2)
        return false;
    *ppid = parent;
    return true;
}

static size_t scan_proc(struct proc *procs, size_t cap)
{
    DIR *d = opendir("/proc");
    if (d == NULL)
        return 0;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < cap) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        char state;
        pid_t ppid;
        if (*end != '\0' || pid <= 0 || !read_stat((pid_t)pid, &ppid, &state) || state == 'Z')
            continue;
        procs[n++] = (struct proc){ (pid_t)pid, ppid };
    }
    closedir(d);
    return n;
}

static bool contains(const pid_t *v, size_t n, pid_t pid)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == pid)
            return true;
    return false;
}

size_t er_tree_descendants(pid_t root, pid_t *pids, size_t cap)
{
    struct proc *procs = malloc(MAX_PROCS * sizeof *procs);
    if (procs == NULL)
        return 0;
    size_t nprocs = scan_proc(procs, MAX_PROCS), found = 0;
    /* One pass per level of the tree: a process joins once its parent is a known member. */
    for (bool grew = true; grew;) {
        grew = false;
        for (size_t i = 0; i < nprocs && found < cap; i++) {
            if (contains(pids, found, procs[i].pid))
                continue;
            if (procs[i].ppid == root || contains(pids, found, procs[i].ppid)) {
                pids[found++] = procs[i].pid;
                grew = true;
            }
        }
    }
    free(procs);
    return found;
}

size_t er_tree_reap(er_reaped_fn fn, void *ctx)
{
    size_t n = 0;
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        n++;
        if (fn != NULL)
            fn(pid, status, ctx);
    }
    return n;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        continue;
}

/* SIGSTOPs descendants until a scan finds none that is not stopped yet: then no member can fork
 * between the scan and the signal that follows. Returns the frozen set. */
static size_t freeze(pid_t *frozen, size_t cap)
{
    pid_t *now = malloc(cap * sizeof *now);
    size_t nfrozen = 0;
    if (now == NULL)
        return 0;
    for (int round = 0; round < 100; round++) {
        size_t n = er_tree_descendants(getpid(), now, cap), added = 0;
        for (size_t i = 0; i < n && nfrozen < cap; i++) {
            if (contains(frozen, nfrozen, now[i]))
                continue;
            kill(now[i], SIGSTOP);
            frozen[nfrozen++] = now[i];
            added++;
        }
        if (added == 0)
            break;
    }
    free(now);
    return nfrozen;
}

static size_t signal_tree(int sig, pid_t *pids, size_t cap)
{
    size_t n = freeze(pids, cap);
    for (size_t i = 0; i < n; i++) {
        kill(pids[i], sig);
        kill(pids[i], SIGCONT);
    }
    return n;
}

void er_tree_kill(int grace_ms, er_reaped_fn fn, void *ctx)
{
    pid_t *pids = malloc(MAX_PROCS * sizeof *pids);
    if (pids == NULL)
        return;
    signal_tree(SIGTERM, pids, MAX_PROCS);
    for (int waited = 0; waited < grace_ms; waited += 20) {
        er_tree_reap(fn, ctx);
        if (er_tree_descendants(getpid(), pids, 1) == 0)
            break;
        sleep_ms(20);
    }
    /* What ignored SIGTERM gets SIGKILL, until nothing is left (bounded, in case of a fork bomb). */
    for (int round = 0; round < 50 && er_tree_descendants(getpid(), pids, 1) > 0; round++) {
        signal_tree(SIGKILL, pids, MAX_PROCS);
        sleep_ms(20);
        er_tree_reap(fn, ctx);
    }
    er_tree_reap(fn, ctx);
    free(pids);
}
