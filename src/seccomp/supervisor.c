#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "caller.h"
#include "compat.h"
#include "devopen.h"
#include "duration.h"
#include "logrec.h"
#include "policy.h"
#include "weak.h"

/* Debian 12's headers predate Linux 6.6's synchronous wake-up of the target. */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1
#endif

#define READY_FILE_POLL_MS 40  /* as the preload's waiting threads look at the ready file */
#define WEAK_CHUNK 65536
#define WEAK_MAX ((uint64_t)33554431) /* like the kernel's one-call cap, bounds our work */
#define NAME_MAX_LEN 4096

/* A getrandom the supervisor holds until the simulated init. */
struct held {
    uint64_t id;
    pid_t tid;
    uint64_t buf, len, flags, ip;
    bool compat;           /* an i386 program's call, made through the vDSO */
    int64_t start_ns;      /* CLOCK_BOOTTIME when it first came (a restart keeps it) */
    const char *kernel_pool;
    bool hang_logged;
    int64_t gone_ns;       /* when its notification stopped being valid; 0 while it is */
    int64_t drawn_at_ns;   /* a blocking-pool draw (kernels before 5.6): released then, not at init */
    pid_t tgid;            /* with names, taken while the caller surely lives; 0 until then */
    char *names;           /* "exe\0object\0symbol\0", malloc'd for a held call */
};

/* The position of a process in the deterministic weak stream, as the preload keeps one. */
struct weak_pos {
    pid_t tgid;
    uint64_t offset;
};

struct er_seccomp {
    int listener;
    struct er_settings set;
    int64_t init_at_ns; /* ER_DURATION_NEVER when only the ready file can end it */
    int64_t empty_at_ns; /* the blocking pool's estimate (er_estimate_holds_at) */
    bool initialized;
    int log_fd;
    struct held *held;
    size_t nheld, held_cap;
    struct weak_pos *weak;
    size_t nweak, weak_cap;
    struct seccomp_notif_sizes sizes;
    struct seccomp_notif *req;
    struct seccomp_notif_resp *resp;
    unsigned char chunk[WEAK_CHUNK];
};

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool pool_initialized(struct er_seccomp *s)
{
    if (!s->initialized)
        s->initialized =
            (s->init_at_ns != ER_DURATION_NEVER && clock_ns(CLOCK_BOOTTIME) >= s->init_at_ns) ||
            (s->set.has_ready_file && access(s->set.ready_file, F_OK) == 0);
    return s->initialized;
}

static void forget(struct held *h);

struct er_seccomp *er_seccomp_new(int listener, const struct er_settings *settings,
                                  const char *log_path)
{
    struct er_seccomp *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->listener = listener;
    s->set = *settings;
    s->log_fd = -1;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &s->sizes) != 0) {
        s->sizes.seccomp_notif = sizeof(struct seccomp_notif);
        s->sizes.seccomp_notif_resp = sizeof(struct seccomp_notif_resp);
    }
    /* The kernel may know a larger structure than these headers. */
    s->req = calloc(1, s->sizes.seccomp_notif > sizeof *s->req ? s->sizes.seccomp_notif
                                                               : sizeof *s->req);
    s->resp = calloc(1, s->sizes.seccomp_notif_resp > sizeof *s->resp ? s->sizes.seccomp_notif_resp
                                                                      : sizeof *s->resp);
    if (s->req == NULL || s->resp == NULL) {
        er_seccomp_free(s);
        return NULL;
    }
    int64_t epoch = settings->epoch_kind == ER_EPOCH_BOOT      ? 0
                    : settings->epoch_kind == ER_EPOCH_INSTANT ? settings->epoch_instant_ns
                                                               : clock_ns(CLOCK_BOOTTIME);
    /* With a jitter init the moment is set by the first call held for it. */
    s->init_at_ns = settings->init_after_ns == ER_DURATION_NEVER ||
                            settings->init_after_ns == ER_INIT_JITTER
                        ? ER_DURATION_NEVER
                        : epoch + settings->init_after_ns;
    s->empty_at_ns = epoch;
    /* Non-blocking open: a FIFO nobody reads must not stop the supervisor (and the tree). */
    if (settings->log == ER_LOG_FILE && log_path != NULL &&
        (s->log_fd = open(log_path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) >= 0)
        fcntl(s->log_fd, F_SETFL, O_APPEND);
    /* The target wakes on this CPU when answered: 6 µs a round trip instead of 50 (Linux 6.6+). */
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (unsigned long long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
    return s;
}

int er_seccomp_fd(const struct er_seccomp *s) { return s->listener; }

unsigned er_seccomp_held(const struct er_seccomp *s) { return (unsigned)s->nheld; }

void er_seccomp_free(struct er_seccomp *s)
{
    if (s == NULL)
        return;
    if (s->listener >= 0)
        close(s->listener);
    if (s->log_fd >= 0)
        close(s->log_fd);
    for (size_t i = 0; i < s->nheld; i++)
        forget(&s->held[i]);
    free(s->held);
    free(s->weak);
    free(s->req);
    free(s->resp);
    free(s);
}

/* ---- records ---------------------------------------------------------------------------- */

/* Zero bytes, as the library asks: a kernel trace shows the question as count 0, no request. */
static const char *kernel_pool_state(void)
{
    return getrandom(NULL, 0, GRND_NONBLOCK) < 0 && errno == EAGAIN ? "uninitialized" : "initialized";
}

static pid_t tgid_of(pid_t tid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tid;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    const char *t = strstr(buf, "\nTgid:");
    return t != NULL ? (pid_t)atoi(t + 6) : tid;
}

static void write_record(struct er_seccomp *s, const char *json, size_t len)
{
    static const char prefix[] = "<13>earlyrandom: ";
    char line[ER_RECORD_MAX + sizeof prefix];
    switch (s->set.log) {
    case ER_LOG_FILE:
        if (s->log_fd >= 0 && write(s->log_fd, json, len) < 0)
            return;
        break;
    case ER_LOG_KMSG:
    case ER_LOG_SYSLOG: {
        memcpy(line, prefix, sizeof prefix - 1);
        memcpy(line + sizeof prefix - 1, json, len);
        size_t n = sizeof prefix - 1 + len;
        if (s->set.log == ER_LOG_KMSG) {
            int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
            if (fd >= 0 && write(fd, line, n) < 0)
                n = 0;
            if (fd >= 0)
                close(fd);
        } else {
            int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
            if (fd >= 0) {
                sendto(fd, line, n - 1, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&addr,
                       sizeof addr);
                close(fd);
            }
        }
        break;
    }
    case ER_LOG_JOURNAL: {
        /* The command's own pid is the one journald vouches for, not the traced process's:
         * 'report --journal' takes the command's file (_EXE) as the voucher instead. */
        static const char message_field[] = "MESSAGE=", fields[] = ER_JOURNAL_RECORD_FIELDS;
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        const char *socket_path = getenv(ER_ENV_JOURNAL_SOCKET);
        snprintf(addr.sun_path, sizeof addr.sun_path, "%s",
                 socket_path != NULL && socket_path[0] != '\0' ? socket_path : ER_JOURNAL_SOCKET);
        struct iovec iov[3] = {
            { .iov_base = (void *)message_field, .iov_len = sizeof message_field - 1 },
            { .iov_base = (void *)json,
              .iov_len = len > 0 && json[len - 1] == '\n' ? len - 1 : len },
            { .iov_base = (void *)fields, .iov_len = sizeof fields - 1 },
        };
        struct msghdr mh = { .msg_name = &addr, .msg_namelen = sizeof addr, .msg_iov = iov,
                             .msg_iovlen = 3 };
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd >= 0) {
            sendmsg(fd, &mh, MSG_NOSIGNAL);
            close(fd);
        }
        break;
    }
    case ER_LOG_STDERR: /* the command always gives the preload a file; nothing to do here */
    case ER_LOG_NONE:
        break;
    }
}

/* Who made the call: its process, program, the kernel's name for its thread, mapping and
 * function. */
struct call_names {
    pid_t tgid;
    char exe[NAME_MAX_LEN], comm[16], object[NAME_MAX_LEN], symbol[NAME_MAX_LEN];
};

static void read_comm(pid_t tgid, pid_t tid, char comm[16])
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)tgid, (int)tid);
    comm[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, comm, 15);
    close(fd);
    comm[n > 0 ? n : 0] = '\0';
    comm[strcspn(comm, "\n")] = '\0';
}

static void name_call(const struct held *h, struct call_names *n)
{
    if (h->names != NULL) {
        n->tgid = h->tgid;
        const char *next = h->names;
        char *fields[] = { n->exe, n->comm, n->object, n->symbol };
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
            strcpy(fields[i], next);
            next += strlen(next) + 1;
        }
        return;
    }
    char path[64];
    n->tgid = tgid_of(h->tid);
    snprintf(path, sizeof path, "/proc/%d/exe", (int)n->tgid);
    ssize_t len = readlink(path, n->exe, NAME_MAX_LEN - 1);
    n->exe[len > 0 ? len : 0] = '\0';
    read_comm(n->tgid, h->tid, n->comm);
    er_seccomp_name_caller(h->tid, h->ip, h->compat, n->object, NAME_MAX_LEN, n->symbol,
                           NAME_MAX_LEN);
}

/* A held call keeps its names: when it is logged the caller may be gone. */
static void keep_names(struct held *h)
{
    struct call_names n;
    name_call(h, &n);
    h->tgid = n.tgid;
    const char *fields[] = { n.exe, n.comm, n.object, n.symbol };
    size_t total = 0;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        total += strlen(fields[i]) + 1;
    char *packed = malloc(total);
    if (packed == NULL)
        return;
    h->names = packed;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        size_t len = strlen(fields[i]) + 1;
        memcpy(packed, fields[i], len);
        packed += len;
    }
}

/* What every record of the engine says: when, who, and the pool's state. */
static void fill_common(const struct er_seccomp *s, struct er_record *r, const char *event,
                        const struct held *h, const struct call_names *n)
{
    r->event = event;
    r->time_ns = clock_ns(CLOCK_REALTIME);
    r->has_boot = true;
    r->boot_ns = h->start_ns;
    r->pid = n->tgid;
    r->tid = h->tid;
    r->exe = n->exe[0] ? n->exe : NULL;
    r->comm = n->comm[0] ? n->comm : NULL;
    r->engine = "seccomp";
    r->policy = er_policy_name(s->set.policy);
    r->pool = s->initialized ? "initialized" : "uninitialized";
    r->kernel_pool = h->kernel_pool;
    r->has_waited = true;
    r->caller = n->object[0] ? n->object : NULL;
    r->caller_symbol = n->symbol[0] ? n->symbol : NULL;
}

/* One record of a request (event "request") or of a call held too long (event "hang"). */
static void log_event(struct er_seccomp *s, const char *event, const struct held *h,
                      enum er_action action, int err, bool has_result, int64_t result)
{
    if (s->set.log == ER_LOG_NONE)
        return;
    char flags[64];
    struct call_names names;
    name_call(h, &names);
    er_format_grnd_flags((unsigned)h->flags, flags, sizeof flags);
    int64_t now = clock_ns(CLOCK_BOOTTIME);
    bool waited = action == ER_ACTION_BLOCK || action == ER_ACTION_INTERRUPTED ||
                  strcmp(event, "hang") == 0;
    struct er_record r = { 0 };
    fill_common(s, &r, event, h, &names);
    r.api = "SYS_getrandom";
    r.has_bytes = true;
    r.bytes = h->len;
    r.flags = flags;
    /* A call that waited came before init, whenever it is logged. */
    if (waited)
        r.pool = "uninitialized";
    r.action = er_action_name(action);
    r.waited_ns = waited ? (h->gone_ns ? h->gone_ns : now) - h->start_ns : 0;
    if (action == ER_ACTION_DRAW) /* waited for the blocking pool, after init as well */
        r.waited_ns = (h->gone_ns ? h->gone_ns : now) - h->start_ns;
    r.errno_name = err ? er_errno_name(err) : NULL;
    r.has_result = has_result;
    r.result = result;
    char buf[ER_RECORD_MAX];
    write_record(s, buf, er_format_json(&r, buf, sizeof buf));
}

/* The open of a random device, as the preload logs one it sees; the kernel runs the open itself
 * (the descriptor must be the device: libsodium and OpenSSL check), so there is no result. */
static void log_open(struct er_seccomp *s, const struct held *h, const char *api,
                     const char *device, int open_flags)
{
    char flags[96];
    struct call_names names;
    name_call(h, &names);
    er_format_open_flags(open_flags, flags, sizeof flags);
    struct er_record r = { 0 };
    fill_common(s, &r, "request", h, &names);
    r.api = api;
    r.device = device;
    r.flags = flags;
    r.action = er_action_name(ER_ACTION_PASS);
    char buf[ER_RECORD_MAX];
    write_record(s, buf, er_format_json(&r, buf, sizeof buf));
}

/* ---- answers ---------------------------------------------------------------------------- */

/* Returns false when the target is no longer waiting for this answer (a signal or death). */
static bool answer(struct er_seccomp *s, uint64_t id, int err, int64_t val, bool cont)
{
    memset(s->resp, 0, s->sizes.seccomp_notif_resp);
    s->resp->id = id;
    s->resp->error = err ? -err : 0;
    s->resp->val = err ? 0 : val;
    s->resp->flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
    return ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SEND, s->resp) == 0;
}

static bool still_waiting(struct er_seccomp *s, uint64_t id)
{
    return ioctl(s->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

static uint64_t *weak_offset(struct er_seccomp *s, pid_t tgid)
{
    for (size_t i = 0; i < s->nweak; i++)
        if (s->weak[i].tgid == tgid)
            return &s->weak[i].offset;
    if (s->nweak == s->weak_cap) {
        size_t cap = s->weak_cap ? 2 * s->weak_cap : 16;
        struct weak_pos *w = realloc(s->weak, cap * sizeof *w);
        if (w == NULL)
            return NULL;
        s->weak = w;
        s->weak_cap = cap;
    }
    s->weak[s->nweak] = (struct weak_pos){ tgid, 0 };
    return &s->weak[s->nweak++].offset;
}

/* Weak bytes into the caller's buffer. process_vm_writev respects page protections, so a
 * read-only buffer gives EFAULT as the kernel's own copy would. Returns the count written, or
 * -errno (EFAULT for a bad buffer, EPERM/ESRCH when the target cannot be written at all). */
static int64_t write_weak(struct er_seccomp *s, const struct held *h)
{
    uint64_t len = h->len < WEAK_MAX ? h->len : WEAK_MAX;
    uint64_t *offset = NULL;
    if (s->set.weak == ER_WEAK_DETERMINISTIC && (offset = weak_offset(s, tgid_of(h->tid))) == NULL)
        return -ENOMEM;
    uint64_t done = 0;
    while (done < len) {
        size_t n = len - done < WEAK_CHUNK ? (size_t)(len - done) : WEAK_CHUNK;
        if (offset != NULL)
            er_weak_fill(s->set.weak_seed, *offset + done, s->chunk, n);
        else if (getrandom(s->chunk, n, GRND_INSECURE) < 0 &&
                 getrandom(s->chunk, n, GRND_NONBLOCK) < 0)
            return -EIO;
        struct iovec local = { s->chunk, n };
        struct iovec remote = { (void *)(uintptr_t)(h->buf + done), n };
        ssize_t w = process_vm_writev(h->tid, &local, 1, &remote, 1, 0);
        if (w <= 0) {
            if (done > 0)
                break;
            return w == 0 ? -EFAULT : -errno;
        }
        done += (uint64_t)w;
        if ((size_t)w < n)
            break;
    }
    if (offset != NULL)
        *offset += done;
    return (int64_t)done;
}

static void remove_held(struct er_seccomp *s, size_t i)
{
    s->held[i] = s->held[--s->nheld];
}

static void forget(struct held *h)
{
    free(h->names);
    h->names = NULL;
}

static bool add_held(struct er_seccomp *s, const struct held *h)
{
    if (s->nheld == s->held_cap) {
        size_t cap = s->held_cap ? 2 * s->held_cap : 64;
        struct held *n = realloc(s->held, cap * sizeof *n);
        if (n == NULL)
            return false;
        s->held = n;
        s->held_cap = cap;
    }
    s->held[s->nheld++] = *h;
    return true;
}

/* A held call whose notification went away without an answer: the signal's handler returned
 * EINTR (or the thread died). */
static void log_interrupted(struct er_seccomp *s, const struct held *h)
{
    log_event(s, "request", h, ER_ACTION_INTERRUPTED, EINTR, true, -1);
}

static void handle(struct er_seccomp *s, const struct seccomp_notif *req)
{
    struct held h = { 0 };
    h.id = req->id;
    h.tid = (pid_t)req->pid;
    /* A 32-bit caller's buffer address and length are 32-bit values. */
    h.buf = er_seccomp_arg(req->data.arch, req->data.args[0]);
    h.len = er_seccomp_arg(req->data.arch, req->data.args[1]);
    h.flags = er_seccomp_arg(req->data.arch, req->data.args[2]);
    h.ip = req->data.instruction_pointer;
    h.compat = er_seccomp_is_compat(req->data.arch);
    h.start_ns = clock_ns(CLOCK_BOOTTIME);
    /* A thread is in one system call at a time: a held one of this thread was interrupted, and
     * the same arguments again are the kernel's restart of it (one request, as the preload logs). */
    bool restarted = false;
    for (size_t i = 0; i < s->nheld; i++) {
        if (s->held[i].tid != h.tid)
            continue;
        struct held old = s->held[i];
        remove_held(s, i);
        if (old.buf == h.buf && old.len == h.len && old.flags == h.flags) {
            h.start_ns = old.start_ns;
            h.hang_logged = old.hang_logged;
            h.kernel_pool = old.kernel_pool;
            h.tgid = old.tgid;
            h.names = old.names; /* now h's */
            h.drawn_at_ns = old.drawn_at_ns;
            restarted = true;
        } else {
            log_interrupted(s, &old);
            forget(&old);
        }
        break;
    }
    /* The restart of a held draw keeps the bits it reserved. */
    if (restarted && h.drawn_at_ns != 0) {
        if (add_held(s, &h))
            return;
        if (answer(s, h.id, 0, 0, true))
            log_event(s, "request", &h, ER_ACTION_DRAW, 0, false, 0);
        forget(&h);
        return;
    }
    bool initialized = pool_initialized(s);
    if (restarted && initialized) {
        /* Held before init and restarted after it: one request that waited. */
        if (answer(s, h.id, 0, 0, true))
            log_event(s, "request", &h, ER_ACTION_BLOCK, 0, false, 0);
        forget(&h);
        return;
    }
    bool logged = !initialized || s->set.log_all;
    if (h.kernel_pool == NULL && logged)
        h.kernel_pool = kernel_pool_state();
    /* Named before the answer: once answered, the caller may be gone in a moment. */
    if (logged && h.names == NULL)
        keep_names(&h);
    /* The kernel reads the flags as an unsigned int: the upper half of the register is ignored. */
    enum er_request_kind kind = er_classify_getrandom_on(er_kernel_of(&s->set), (unsigned)h.flags);
    uint64_t bits = er_pool_draw_bits(h.len);
    int64_t drawn_at = ER_ESTIMATE_NEVER;
    if (kind == ER_REQ_RANDOM_POOL || kind == ER_REQ_RANDOM_POOL_NONBLOCKING)
        drawn_at = er_estimate_holds_at(s->empty_at_ns, h.start_ns, bits, s->set.entropy_rate);
    bool entropy_short = drawn_at == ER_ESTIMATE_NEVER || drawn_at > h.start_ns;
    enum er_action action = er_decide_estimate(kind, initialized, entropy_short, s->set.policy);
    int err = 0;
    bool has_result = false;
    int64_t result = 0;
    bool answered = true;
    switch (action) {
    case ER_ACTION_DRAW:
        if (!entropy_short) {
            s->empty_at_ns = drawn_at;
            answered = answer(s, h.id, 0, 0, true);
            break;
        }
        /* Held until the estimate holds its bits; a pool that is never credited holds it until
         * the caller gives up, as the kernel's read would sleep until a signal. */
        if (drawn_at != ER_ESTIMATE_NEVER)
            s->empty_at_ns = drawn_at;
        h.drawn_at_ns = drawn_at == ER_ESTIMATE_NEVER ? INT64_MAX : drawn_at;
        if (h.names == NULL)
            keep_names(&h);
        if (add_held(s, &h))
            return;
        action = ER_ACTION_PASS;
        answered = answer(s, h.id, 0, 0, true);
        break;
    case ER_ACTION_BLOCK:
        /* The kernel's jitter loop starts with the first call that waits for init. */
        if (s->set.init_after_ns == ER_INIT_JITTER && s->init_at_ns == ER_DURATION_NEVER)
            s->init_at_ns = h.start_ns + ER_JITTER_INIT_NS;
        if (h.names == NULL)
            keep_names(&h);
        if (add_held(s, &h))
            return;
        action = ER_ACTION_PASS; /* out of memory: let the kernel answer */
        answered = answer(s, h.id, 0, 0, true);
        break;
    case ER_ACTION_EAGAIN:
    case ER_ACTION_EINVAL:
    case ER_ACTION_ENOSYS:
        err = action == ER_ACTION_EAGAIN ? EAGAIN : action == ER_ACTION_EINVAL ? EINVAL : ENOSYS;
        has_result = true;
        result = -1;
        answered = answer(s, h.id, err, 0, false);
        break;
    case ER_ACTION_WEAK: {
        /* The target must still be the one that asked before anything is written into it. */
        if (!still_waiting(s, h.id)) {
            answered = false;
            break;
        }
        int64_t n = write_weak(s, &h);
        if (n == -EFAULT) {
            err = EFAULT;
            has_result = true;
            result = -1;
            answered = answer(s, h.id, EFAULT, 0, false);
        } else if (n < 0) { /* not writable (not dumpable, Yama): the kernel answers instead */
            action = ER_ACTION_PASS;
            answered = answer(s, h.id, 0, 0, true);
        } else {
            has_result = true;
            result = n;
            answered = answer(s, h.id, 0, n, false);
        }
        break;
    }
    case ER_ACTION_PASS:
    default:
        answered = answer(s, h.id, 0, 0, true);
        break;
    }
    if (logged && answered)
        log_event(s, "request", &h, action, err, has_result, result);
    forget(&h);
}

/* Whether the preload in the caller's process logs this open itself: it was made from the C
 * library (the filter's address rule can be fooled by an unusual layout) of a process that has
 * the preload loaded. */
static bool seen_by_preload(pid_t tgid, const char *object)
{
    const char *base = strrchr(object, '/');
    base = base != NULL ? base + 1 : object;
    if (strncmp(base, "libc.so", 7) != 0)
        return false;
    char path[64], chunk[8192 + 32];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)tgid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    /* Read in overlapping chunks, so that a name across two reads is still found. */
    size_t keep = 0;
    bool found = false;
    ssize_t n;
    while (!found && (n = read(fd, chunk + keep, sizeof chunk - 1 - keep)) > 0) {
        size_t len = keep + (size_t)n;
        chunk[len] = '\0';
        found = strstr(chunk, "libearlyrandom") != NULL;
        keep = len < 32 ? len : 32;
        memmove(chunk, chunk + len - keep, keep);
    }
    close(fd);
    return found;
}

/* A trapped open: the kernel runs it unchanged; an open of a random device is logged like the
 * preload's. */
static void handle_open(struct er_seccomp *s, const struct seccomp_notif *req)
{
    int open_flags = 0;
    const char *device = s->set.log == ER_LOG_NONE ? NULL
                         : er_seccomp_opened_device((pid_t)req->pid, &req->data, &open_flags);
    bool logged = device != NULL && (!pool_initialized(s) || s->set.log_all);
    struct held h = { 0 };
    h.tid = (pid_t)req->pid;
    h.ip = req->data.instruction_pointer;
    h.compat = er_seccomp_is_compat(req->data.arch);
    h.start_ns = clock_ns(CLOCK_BOOTTIME);
    if (logged) {
        h.kernel_pool = kernel_pool_state();
        keep_names(&h); /* before the answer: once answered, the caller may be gone */
        const char *object = h.names != NULL ? h.names + strlen(h.names) + 1 : "";
        logged = !seen_by_preload(h.tgid, object);
    }
    if (answer(s, req->id, 0, 0, true) && logged)
        log_open(s, &h, er_seccomp_open_api(&req->data), device, open_flags);
    forget(&h);
}

bool er_seccomp_receive(struct er_seccomp *s)
{
    memset(s->req, 0, s->sizes.seccomp_notif);
    if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_RECV, s->req) != 0)
        /* ENOENT: the caller was interrupted or died before we took it; EINTR: ours. */
        return errno == ENOENT || errno == EINTR || errno == EAGAIN;
    if (er_seccomp_is_open(&s->req->data))
        handle_open(s, s->req);
    else
        handle(s, s->req);
    return true;
}

/* A held call runs in the kernel now, as a woken getrandom does. */
static void release(struct er_seccomp *s, struct held *h, enum er_action action, int64_t now)
{
    if (h->gone_ns == 0 && answer(s, h->id, 0, 0, true)) {
        h->gone_ns = now;
        log_event(s, "request", h, action, 0, false, 0);
    } else {
        log_interrupted(s, h);
    }
    forget(h);
}

/* The simulated init: every held call runs in the kernel now, as a woken getrandom does. */
static void release_all(struct er_seccomp *s)
{
    int64_t now = clock_ns(CLOCK_BOOTTIME);
    for (size_t i = 0; i < s->nheld;) {
        struct held *h = &s->held[i];
        if (h->drawn_at_ns != 0) { /* waits for the estimate, not for init */
            i++;
            continue;
        }
        release(s, h, ER_ACTION_BLOCK, now);
        remove_held(s, i);
    }
}

/* Blocking-pool draws whose bits the estimate now holds. Returns the next moment one is due. */
static int64_t release_draws(struct er_seccomp *s, int64_t now)
{
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < s->nheld;) {
        struct held *h = &s->held[i];
        if (h->drawn_at_ns != 0 && h->drawn_at_ns <= now) {
            release(s, h, ER_ACTION_DRAW, now);
            remove_held(s, i);
            continue;
        }
        if (h->drawn_at_ns != 0 && h->drawn_at_ns < next)
            next = h->drawn_at_ns;
        i++;
    }
    return next;
}

void er_seccomp_finish(struct er_seccomp *s)
{
    int64_t now = clock_ns(CLOCK_BOOTTIME);
    for (size_t i = 0; i < s->nheld;) {
        struct held *h = &s->held[i];
        if (h->gone_ns == 0 && !still_waiting(s, h->id))
            h->gone_ns = now;
        if (h->gone_ns != 0) {
            struct held old = *h;
            remove_held(s, i);
            log_interrupted(s, &old);
            forget(&old);
            continue;
        }
        i++;
    }
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

int er_seccomp_tick(struct er_seccomp *s, int max_ms)
{
    if (s->nheld == 0)
        return s->initialized ? max_ms : (int)min64(max_ms, 1000);
    int64_t now = clock_ns(CLOCK_BOOTTIME);
    int64_t next_draw = release_draws(s, now);
    if (pool_initialized(s))
        release_all(s);
    if (s->nheld == 0)
        return max_ms;
    int64_t wake = min64(now + (int64_t)max_ms * 1000000, next_draw);
    if (s->set.has_ready_file)
        wake = min64(wake, now + READY_FILE_POLL_MS * INT64_C(1000000));
    if (s->init_at_ns != ER_DURATION_NEVER)
        wake = min64(wake, s->init_at_ns);
    for (size_t i = 0; i < s->nheld;) {
        struct held *h = &s->held[i];
        if (h->gone_ns == 0 && !still_waiting(s, h->id))
            h->gone_ns = now;
        /* A call that went away is logged when its thread asks again (a restart is the same
         * request), at init or at the end: the restart may come after any handler. */
        if (h->gone_ns == 0 && s->set.hang_timeout_ns != ER_DURATION_NEVER && !h->hang_logged) {
            int64_t due = h->start_ns + s->set.hang_timeout_ns;
            if (now >= due) {
                h->hang_logged = true;
                log_event(s, "hang", h, ER_ACTION_BLOCK, 0, false, 0);
            } else {
                wake = min64(wake, due);
            }
        }
        /* Interrupted calls are noticed by looking: at least every 50 ms while one is held. */
        wake = min64(wake, now + 50 * INT64_C(1000000));
        i++;
    }
    int64_t ms = (wake - now + 999999) / 1000000;
    return (int)(ms < 1 ? 1 : ms > max_ms ? max_ms : ms);
}
