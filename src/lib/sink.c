#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <string.h>
#include <unistd.h>

#include "fdtrack.h"
#include "logrec.h"

/* glibc's exported aliases, so that the library's own I/O never goes through its hooks. */
extern int __open64(const char *, int, ...);
extern int __close(int);
extern ssize_t __write(int, const void *, size_t);
extern int __fcntl(int, int, ...);

static enum er_log_kind kind = ER_LOG_NONE;
static const char *path;
/* The descriptor and the identity of what it was opened on. -1 until the first record, so that a
 * program that never asks for entropy early never gets a log file or a descriptor; PUBLISHING
 * while one thread installs a fresh descriptor and its identity. */
#define PUBLISHING (-2)
static int log_fd = -1;
static uint64_t log_dev, log_ino;
/* The descriptor generation at which log_fd (or fd 2) was last seen to be ours: until a close or
 * dup in the program changes it, no fstat is needed before a write. */
static unsigned long log_fd_checked = (unsigned long)-1;
static unsigned long stderr_checked = (unsigned long)-1;
static dev_t stderr_dev;
static ino_t stderr_ino;
static bool stderr_ok;

void er_sink_setup(const struct er_settings *s)
{
    kind = s->log;
    path = s->log_path;
    if (kind == ER_LOG_STDERR) {
        /* Remember what stderr was when the program started: if the program later points fd 2 at
         * a file of its own (a daemon's log), the readable lines stop instead of landing there. */
        struct stat st;
        int saved = errno;
        stderr_ok = fstat(STDERR_FILENO, &st) == 0;
        errno = saved;
        if (stderr_ok) {
            stderr_dev = st.st_dev;
            stderr_ino = st.st_ino;
        }
    }
}

size_t er_sink_record_max(void)
{
    return kind == ER_LOG_KMSG ? ER_KMSG_RECORD_MAX : ER_RECORD_MAX;
}

static bool fd_is(int fd, uint64_t dev, uint64_t ino)
{
    struct stat st;
    return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

static void write_all_once(int fd, const char *record, size_t len)
{
    /* One write keeps the record whole among concurrent writers; a short write is not retried,
     * since retrying would let another record interleave. Only EINTR before any byte is retried. */
    while (__write(fd, record, len) < 0 && errno == EINTR)
        continue;
}

/* Opens the log file. O_NONBLOCK keeps a FIFO without a reader from hanging the program; it is
 * cleared again so that a slow reader delays a record instead of losing it. */
static int open_log_file(uint64_t *dev, uint64_t *ino)
{
    int fd = __open64(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        __close(fd);
        return -1;
    }
    if (S_ISFIFO(st.st_mode))
        __fcntl(fd, F_SETFL, O_WRONLY | O_APPEND);
    *dev = st.st_dev;
    *ino = st.st_ino;
    return fd;
}

static bool log_fd_is_ours(int fd)
{
    unsigned long now = er_fd_generation();
    if (__atomic_load_n(&log_fd_checked, __ATOMIC_ACQUIRE) == now)
        return true;
    if (!fd_is(fd, __atomic_load_n(&log_dev, __ATOMIC_ACQUIRE),
               __atomic_load_n(&log_ino, __ATOMIC_ACQUIRE)))
        return false;
    __atomic_store_n(&log_fd_checked, now, __ATOMIC_RELEASE);
    return true;
}

static bool stderr_is_ours(void)
{
    unsigned long now = er_fd_generation();
    if (__atomic_load_n(&stderr_checked, __ATOMIC_ACQUIRE) == now)
        return true;
    if (!fd_is(STDERR_FILENO, stderr_dev, stderr_ino))
        return false;
    __atomic_store_n(&stderr_checked, now, __ATOMIC_RELEASE);
    return true;
}

/* Writes to the log file, reopening it when our descriptor was closed or its number reused. The
 * old number is never closed here: it may already belong to the program. */
static void write_log_file(const char *record, size_t len)
{
    int fd = __atomic_load_n(&log_fd, __ATOMIC_ACQUIRE);
    if (fd >= 0 && log_fd_is_ours(fd)) {
        write_all_once(fd, record, len);
        return;
    }
    uint64_t dev, ino;
    int fresh = open_log_file(&dev, &ino);
    if (fresh < 0)
        return;
    write_all_once(fresh, record, len);
    if (fd != PUBLISHING &&
        __atomic_compare_exchange_n(&log_fd, &fd, PUBLISHING, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&log_dev, dev, __ATOMIC_RELEASE);
        __atomic_store_n(&log_ino, ino, __ATOMIC_RELEASE);
        __atomic_store_n(&log_fd_checked, er_fd_generation(), __ATOMIC_RELEASE);
        __atomic_store_n(&log_fd, fresh, __ATOMIC_RELEASE);
        return;
    }
    /* Another thread is installing its own descriptor: this one was only for this record. */
    __close(fresh);
}

/* The kernel log and syslog get one short-lived descriptor per record: boot-time auditing writes
 * few records, and nothing is left open in the program between them. */
#define SYSLOG_PREFIX "<13>earlyrandom: "

static void write_kmsg(const char *record, size_t len)
{
    int fd = __open64("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return;
    char line[ER_KMSG_RECORD_MAX + sizeof SYSLOG_PREFIX];
    size_t n = sizeof SYSLOG_PREFIX - 1;
    memcpy(line, SYSLOG_PREFIX, n);
    if (len > ER_KMSG_RECORD_MAX)
        len = ER_KMSG_RECORD_MAX;
    memcpy(line + n, record, len);
    write_all_once(fd, line, n + len);
    __close(fd);
}

static void write_syslog(const char *record, size_t len)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
    char line[ER_RECORD_MAX + sizeof SYSLOG_PREFIX];
    size_t n = sizeof SYSLOG_PREFIX - 1;
    memcpy(line, SYSLOG_PREFIX, n);
    if (len > ER_RECORD_MAX)
        len = ER_RECORD_MAX;
    memcpy(line + n, record, len);
    /* a record ends in '\n', which syslog daemons do not want inside a message */
    if (n + len > 0 && line[n + len - 1] == '\n')
        len--;
    sendto(fd, line, n + len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&addr, sizeof addr);
    __close(fd);
}

void er_sink_write(const char *record, size_t len)
{
    int saved = errno;
    switch (kind) {
    case ER_LOG_FILE:
        write_log_file(record, len);
        break;
    case ER_LOG_STDERR:
        if (stderr_ok && stderr_is_ours())
            write_all_once(STDERR_FILENO, record, len);
        break;
    case ER_LOG_KMSG:
        write_kmsg(record, len);
        break;
    case ER_LOG_SYSLOG:
        write_syslog(record, len);
        break;
    case ER_LOG_NONE:
        break;
    }
    errno = saved;
}
