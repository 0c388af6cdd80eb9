#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include "logrec.h"
#include "rawsys.h"
#include "ring.h"

/* glibc's exported aliases, so that the library's own I/O never goes through its hooks. */
extern int __open64(const char *, int, ...);
extern int __close(int);
extern ssize_t __write(int, const void *, size_t);

static enum er_log_kind kind = ER_LOG_NONE;
static const char *path;
static dev_t stderr_dev;
static ino_t stderr_ino;
static bool stderr_ok;

/* The command's ring, when the library runs under it: attached at the first record, so that a
 * program that never asks for entropy early never maps it. */
enum ring_state { RING_UNKNOWN, RING_ATTACHING, RING_ATTACHED, RING_NONE };
static int ring_state = RING_UNKNOWN;
static char ring_path[128];
static struct er_ring ring;
static char wake_path[64]; /* copied at attach: the tree's processes can all write the header */

/* Where the journal sink sends its datagrams, copied because the program may change its
 * environment later. */
static struct sockaddr_un journal_address = { .sun_family = AF_UNIX,
                                              .sun_path = ER_JOURNAL_SOCKET };

void er_sink_setup(const struct er_settings *s, const char *ring_variable,
                   const char *journal_socket_variable)
{
    kind = s->log;
    path = s->log_path;
    if (journal_socket_variable != NULL && journal_socket_variable[0] != '\0' &&
        strlen(journal_socket_variable) < sizeof journal_address.sun_path)
        strcpy(journal_address.sun_path, journal_socket_variable);
    if (kind != ER_LOG_FILE || ring_variable == NULL || ring_variable[0] == '\0' ||
        strlen(ring_variable) >= sizeof ring_path)
        ring_state = RING_NONE;
    else
        strcpy(ring_path, ring_variable); /* the program may change its environment later */
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
    /* The journal sink may have to fall back to the kernel log, so its records fit there too. */
    return kind == ER_LOG_KMSG || kind == ER_LOG_JOURNAL ? ER_KMSG_RECORD_MAX : ER_RECORD_MAX;
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

/* One open, append and close per record: between two requests the program finds no descriptor
 * of ours, and a number it closed and reused can never receive a record. O_NONBLOCK keeps a FIFO
 * without a reader from hanging the program: the record is dropped instead. */
static void append_to_log_file(const char *record, size_t len)
{
    int fd = __open64(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
    if (fd < 0)
        return;
    write_all_once(fd, record, len);
    __close(fd);
}

/* Maps the command's ring; the descriptor lives only inside this call. */
static bool map_ring(void)
{
    int fd = __open64(ring_path, O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return false;
    struct stat st;
    void *mem = MAP_FAILED;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= (off_t)sizeof(struct er_ring_header))
        mem = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    __close(fd);
    if (mem == MAP_FAILED)
        return false;
    if (er_ring_attach(&ring, mem, (size_t)st.st_size, path)) {
        const char *wake = er_ring_wake_path(&ring);
        if (wake != NULL)
            strcpy(wake_path, wake);
        return true;
    }
    munmap(mem, (size_t)st.st_size);
    return false;
}

/* The ring when it can be had; another thread attaching meanwhile means the file, this once. */
static bool ring_ready(void)
{
    int state = __atomic_load_n(&ring_state, __ATOMIC_ACQUIRE);
    if (state != RING_UNKNOWN)
        return state == RING_ATTACHED;
    if (!__atomic_compare_exchange_n(&ring_state, &state, RING_ATTACHING, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return false;
    state = map_ring() ? RING_ATTACHED : RING_NONE;
    __atomic_store_n(&ring_state, state, __ATOMIC_RELEASE);
    return state == RING_ATTACHED;
}

static void write_log_file(const char *record, size_t len)
{
    bool was_attached = __atomic_load_n(&ring_state, __ATOMIC_ACQUIRE) == RING_ATTACHED;
    if (ring_ready()) {
        if (!was_attached && er_ring_put(&ring, record, len) == ER_RING_PUT_OK)
            return;
        /* Full, closed (the command is ending) or too long for a slot: the file takes it. */
        er_ring_note_bypass(&ring);
    }
    append_to_log_file(record, len);
}

/* Writers and the program's closes exclude each other (Dekker, sequentially consistent): a
 * record is never written to a number the program is closing and reusing. */
static int writers, closers;
static __thread int in_write __attribute__((tls_model("initial-exec")));
static __thread int in_close __attribute__((tls_model("initial-exec")));

void er_sink_forget_in_child(void)
{
    /* Only the forking thread lives on; a fork from a signal handler that interrupted its own
     * write or close still ends them in the child, and must find itself counted. */
    writers = in_write;
    closers = in_close;
    /* A thread of the parent was mapping the ring: the child looks again at its next record. */
    if (ring_state == RING_ATTACHING)
        ring_state = RING_UNKNOWN;
}

void er_sink_close_begin(void)
{
    in_close++;
    __atomic_add_fetch(&closers, 1, __ATOMIC_SEQ_CST);
    if (in_write) /* a signal handler that closes, interrupting this thread's own write */
        return;
    unsigned turns = 0;
    while (__atomic_load_n(&writers, __ATOMIC_SEQ_CST) != 0)
        er_wait_a_turn(&turns);
}

void er_sink_close_end(void)
{
    __atomic_sub_fetch(&closers, 1, __ATOMIC_SEQ_CST);
    in_close--;
}

static void enter_write(void)
{
    for (;;) {
        __atomic_add_fetch(&writers, 1, __ATOMIC_SEQ_CST);
        if (in_close || __atomic_load_n(&closers, __ATOMIC_SEQ_CST) == 0)
            break;
        __atomic_sub_fetch(&writers, 1, __ATOMIC_SEQ_CST);
        unsigned turns = 0;
        while (__atomic_load_n(&closers, __ATOMIC_SEQ_CST) != 0)
            er_wait_a_turn(&turns);
    }
    in_write++;
}

static void leave_write(void)
{
    in_write--;
    __atomic_sub_fetch(&writers, 1, __ATOMIC_SEQ_CST);
}

static bool stderr_is_ours(void)
{
    return fd_is(STDERR_FILENO, stderr_dev, stderr_ino);
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

static const char journal_fields[] = ER_JOURNAL_RECORD_FIELDS;

/* One datagram of journald's native protocol, with the record as MESSAGE; returns what sendmsg
 * did, errno set on failure. */
static ssize_t send_journal_datagram(int fd, const char *record, size_t len, int flags)
{
    static const char message_field[] = "MESSAGE=";
    /* A record ends in '\n', which would end the field early; the record has no other newline. */
    if (len > 0 && record[len - 1] == '\n')
        len--;
    struct iovec iov[3] = {
        { .iov_base = (void *)message_field, .iov_len = sizeof message_field - 1 },
        { .iov_base = (void *)record, .iov_len = len },
        { .iov_base = (void *)journal_fields, .iov_len = sizeof journal_fields - 1 },
    };
    struct msghdr mh = {
        .msg_name = &journal_address,
        .msg_namelen = sizeof journal_address,
        .msg_iov = iov,
        .msg_iovlen = 3,
    };
    ssize_t sent;
    while ((sent = sendmsg(fd, &mh, flags | MSG_NOSIGNAL)) < 0 && errno == EINTR)
        continue;
    return sent;
}

/* How long a record waits for room in journald's queue before the kernel log takes it: journald is
 * busy then (or not started yet), not gone, and systemd's own clients wait for it too. */
#define JOURNAL_FULL_WAIT_SECONDS 2

/* Whether waiting for room in journald's queue could only mean waiting for oneself. */
static bool must_not_wait_for_journald(void)
{
    /* PID 1 starts journald, and journald itself is the queue's only reader (its task name is
     * cut to 15 characters). */
    char task_name[16] = "";
    return getpid() == 1 ||
           (prctl(PR_GET_NAME, task_name) == 0 && strcmp(task_name, "systemd-journal") == 0);
}

/* PID 1's records that journald cannot take yet (no socket before /run and journald's socket
 * exist, or a full queue PID 1 must not wait on): kept in order, in memory only PID 1 ever
 * touches, and sent before its next record once the socket takes them. The kernel log, the other
 * place root can write, lost hundreds of them from its ring buffer on a real boot, since PID 1
 * asks hundreds of times before journald runs. Records end in '\n', which separates them here. */
#define HELD_BYTES (512 * 1024)
static char held[HELD_BYTES];
static size_t held_start, held_end;
static int held_busy; /* taken without waiting: a signal handler or another thread finds it busy */

static bool take_held(void)
{
    return __atomic_exchange_n(&held_busy, 1, __ATOMIC_ACQUIRE) == 0;
}

static void release_held(void) { __atomic_store_n(&held_busy, 0, __ATOMIC_RELEASE); }

/* Sends the held records in order until journald refuses one; returns whether none is left. */
static bool send_held(int fd)
{
    while (held_start < held_end) {
        const char *record = held + held_start;
        const char *end = memchr(record, '\n', held_end - held_start);
        size_t len = end != NULL ? (size_t)(end - record) + 1 : held_end - held_start;
        if (send_journal_datagram(fd, record, len, MSG_DONTWAIT) < 0)
            return false;
        held_start += len;
    }
    held_start = held_end = 0;
    return true;
}

static bool hold(const char *record, size_t len)
{
    if (held_end + len > sizeof held && held_start > 0) {
        memmove(held, held + held_start, held_end - held_start);
        held_end -= held_start;
        held_start = 0;
    }
    if (len == 0 || record[len - 1] != '\n' || held_end + len > sizeof held)
        return false;
    memcpy(held + held_end, record, len);
    held_end += len;
    return true;
}

/* To journald, whose socket vouches for the sender's pid, uid and executable. PID 1 holds what
 * journald cannot take yet (above). For another process where the socket is not there yet
 * (systemd's generators, before journald's socket is bound), the kernel log takes the record:
 * only root can write it, and journald imports it when it starts. A full queue makes a process
 * wait a bounded time, except journald itself. */
static void write_journal(const char *record, size_t len)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bool sent = false;
    if (getpid() == 1 && take_held()) {
        sent = fd >= 0 && send_held(fd) &&
               send_journal_datagram(fd, record, len, MSG_DONTWAIT) >= 0;
        if (!sent)
            sent = hold(record, len);
        release_held();
    } else if (fd >= 0) {
        sent = send_journal_datagram(fd, record, len, MSG_DONTWAIT) >= 0;
        bool queue_full = !sent && (errno == EAGAIN || errno == EWOULDBLOCK);
        struct timeval wait = { .tv_sec = JOURNAL_FULL_WAIT_SECONDS };
        if (queue_full && !must_not_wait_for_journald() &&
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof wait) == 0)
            sent = send_journal_datagram(fd, record, len, 0) >= 0;
    }
    if (fd >= 0)
        __close(fd);
    if (!sent)
        write_kmsg(record, len);
}

/* One byte into the command's wake-up pipe, through a descriptor that lives only inside this
 * call and is held against the program's closes like the log file's. */
static void wake_the_command(void)
{
    if (wake_path[0] == '\0')
        return;
    int saved = errno;
    enter_write();
    int fd = __open64(wake_path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd >= 0) {
        write_all_once(fd, "", 1);
        __close(fd);
    }
    leave_write();
    errno = saved;
}

void er_sink_write(const char *record, size_t len)
{
    /* The usual way under the command: no descriptor, so nothing to hold against closes. */
    int cancel_state;
    if (__atomic_load_n(&ring_state, __ATOMIC_ACQUIRE) == RING_ATTACHED &&
        er_ring_put(&ring, record, len) == ER_RING_PUT_OK) {
        if (er_ring_wake_due(&ring)) {
            pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
            wake_the_command();
            pthread_setcancelstate(cancel_state, &cancel_state);
        }
        return;
    }
    int saved = errno;
    /* The library's own opens and writes are no cancellation points of the program's: a thread
     * cancelled in one would stay counted among the writers, and every later close wait for it. */
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
    /* stderr is the program's own and may block on a full pipe: records to it are not held
     * against closes, at the price of a line in a file the program points fd 2 at meanwhile. */
    bool exclusive = kind != ER_LOG_STDERR;
    if (exclusive)
        enter_write();
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
    case ER_LOG_JOURNAL:
        write_journal(record, len);
        break;
    case ER_LOG_NONE:
        break;
    }
    if (exclusive)
        leave_write();
    pthread_setcancelstate(cancel_state, &cancel_state);
    errno = saved;
}
