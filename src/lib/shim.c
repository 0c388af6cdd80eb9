#include "shim.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "caller.h"
#include "conffile.h"
#include "logrec.h"
#include "pool.h"
#include "rawsys.h"
#include "sink.h"
#include "weak.h"

extern ssize_t __write(int, const void *, size_t);

int er_fast_flag;
struct er_settings er_settings;

static int load_state; /* 0 not loaded, 1 loading, 2 loaded */
static __thread int loading_in_this_thread __attribute__((tls_model("initial-exec")));
static char exe_path[ER_PATH_MAX];
static uint64_t weak_offset;

static const char *lookup_variable(const char *name, void *ctx)
{
    (void)ctx;
    return secure_getenv(name);
}

/* pid and tid are asked of the kernel once (per process, per thread), not once per record. */
static pid_t cached_pid;
static __thread pid_t cached_tid __attribute__((tls_model("initial-exec")));

static void forget_ids_in_child(void)
{
    cached_pid = 0;
    cached_tid = 0;
}

static pid_t current_pid(void)
{
    pid_t pid = __atomic_load_n(&cached_pid, __ATOMIC_RELAXED);
    if (pid == 0) {
        pid = getpid();
        __atomic_store_n(&cached_pid, pid, __ATOMIC_RELAXED);
    }
    return pid;
}

static pid_t current_tid(void)
{
    if (cached_tid == 0)
        cached_tid = gettid();
    return cached_tid;
}

/* Whether the real kernel pool is initialized: asked with one byte without waiting until the
 * answer is yes, which it then stays. */
static const char *kernel_pool_state(void)
{
    static int ready;
    if (__atomic_load_n(&ready, __ATOMIC_RELAXED))
        return "initialized";
    unsigned char probe;
    if (er_raw_getrandom(&probe, 1, ER_GRND_NONBLOCK) == -EAGAIN)
        return "uninitialized";
    __atomic_store_n(&ready, 1, __ATOMIC_RELAXED);
    return "initialized";
}

extern int __open64(const char *, int, ...);
extern ssize_t __read(int, void *, size_t);
extern int __close(int);

/* The configuration file's text, parsed in place; it lives as long as the settings point into it. */
static char conffile_text[ER_CONFFILE_MAX_BYTES + 1];
static struct er_conffile conffile;

/* Reads the configuration file into conffile_text. In secure execution only a file owned by root
 * and writable by nobody else counts: anyone else could use it to steer a privileged program.
 * Returns false when there is no usable file. */
static bool read_conffile(const char *path, bool secure)
{
    int fd = __open64(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return false;
    struct stat st;
    bool usable = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                  (!secure || (st.st_uid == 0 && !(st.st_mode & (S_IWGRP | S_IWOTH))));
    size_t len = 0;
    while (usable && len < ER_CONFFILE_MAX_BYTES) {
        ssize_t n = __read(fd, conffile_text + len, ER_CONFFILE_MAX_BYTES - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    __close(fd);
    conffile_text[len] = '\0';
    return usable;
}

/* Whether the environment asks for the library: a setting, or LD_PRELOAD naming it. */
static bool asked_for_in_environment(void)
{
    extern char **environ;
    for (char **e = environ; e != NULL && *e != NULL; e++)
        if (strncmp(*e, "EARLYRANDOM_", 12) == 0)
            return true;
    const char *preload = secure_getenv("LD_PRELOAD");
    return preload != NULL && strstr(preload, "libearlyrandom") != NULL;
}

static void load_settings(void)
{
    int64_t load_ns = er_boottime_ns();
    bool secure = getauxval(AT_SECURE) != 0;
    /* Under AT_SECURE (setuid, capabilities) the environment belongs to whoever started the
     * program, not to its owner: only the root-owned file is consulted. */
    const char *path = secure ? NULL : secure_getenv(ER_ENV_CONFIG);
    if (path == NULL || path[0] == '\0')
        path = ER_CONFFILE_DEFAULT;
    bool have_file = read_conffile(path, secure);

    static char errors[16384]; /* 8 variables x ~420 bytes, plus the file's lines; once per process */
    size_t used = 0;
    int bad_lines = 0;
    if (have_file) {
        bad_lines = er_conffile_parse(conffile_text, path, &conffile, errors, sizeof errors);
        used = strlen(errors);
    }
    int bad_values = er_settings_load_layered(&er_settings, secure ? NULL : lookup_variable, NULL,
                                              have_file ? &conffile : NULL, errors + used,
                                              sizeof errors - used);
    /* A line that is not a setting at all makes the file as untrustworthy as a bad value. */
    if (bad_lines > 0)
        er_settings.policy = ER_POLICY_PASSTHROUGH;
    if (bad_lines + bad_values > 0)
        __write(STDERR_FILENO, errors, strlen(errors));
    /* Loaded without being asked (through /etc/ld.so.preload, with neither a configuration file
     * nor a variable, or in secure execution without a root-owned file), the library must not
     * make a whole machine wait or fill every program's stderr: it changes nothing. */
    if (!have_file && (secure || !asked_for_in_environment())) {
        er_settings.policy = ER_POLICY_PASSTHROUGH;
        er_settings.log = ER_LOG_NONE;
    }
    ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
    exe_path[n > 0 ? n : 0] = '\0';

    er_pool_setup(&er_settings, load_ns);
    er_sink_setup(&er_settings);
    pthread_atfork(NULL, NULL, forget_ids_in_child);
    bool nothing_to_log = er_settings.log == ER_LOG_NONE;
    if ((er_settings.policy == ER_POLICY_PASSTHROUGH && nothing_to_log) ||
        (!er_settings.log_all && er_pool_initialized()))
        __atomic_store_n(&er_fast_flag, 1, __ATOMIC_RELAXED);
}

bool er_loaded(void)
{
    if (__atomic_load_n(&load_state, __ATOMIC_ACQUIRE) == 2)
        return true;
    if (loading_in_this_thread)
        return false;
    int expected = 0;
    if (__atomic_compare_exchange_n(&load_state, &expected, 1, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
        int saved = errno;
        loading_in_this_thread = 1;
        load_settings();
        loading_in_this_thread = 0;
        __atomic_store_n(&load_state, 2, __ATOMIC_RELEASE);
        errno = saved;
        return true;
    }
    /* Another thread is reading the settings: it takes microseconds, once per process. */
    while (__atomic_load_n(&load_state, __ATOMIC_ACQUIRE) != 2)
        sched_yield();
    return true;
}

__attribute__((constructor)) static void earlyrandom_constructor(void)
{
    er_loaded();
}

void er_request_init(struct er_request *q, const char *api, const void *caller)
{
    memset(q, 0, sizeof *q);
    q->api = api;
    q->caller = caller;
}

void er_weak_take(void *buf, size_t len)
{
    uint64_t offset = __atomic_fetch_add(&weak_offset, (uint64_t)len, __ATOMIC_RELAXED);
    er_weak_fill(er_settings.weak_seed, offset, buf, len);
}

long long er_fail_minus_one(void *ctx, int err)
{
    (void)ctx;
    (void)err;
    return -1;
}

static int64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void fill_record(struct er_record *rec, const struct er_request *q, const char *event,
                        struct er_caller *who)
{
    memset(rec, 0, sizeof *rec);
    rec->event = event;
    rec->time_ns = realtime_ns();
    rec->has_boot = true;
    rec->boot_ns = q->start_ns != 0 ? q->start_ns : er_boottime_ns(); /* when the request came */
    /* What a boot audit needs to tell a real early request from a simulated one. */
    rec->kernel_pool = q->kernel_pool ? q->kernel_pool : kernel_pool_state();
    rec->pid = current_pid();
    rec->tid = current_tid();
    rec->exe = exe_path;
    rec->api = q->api;
    rec->device = q->device;
    rec->has_bytes = q->has_bytes;
    rec->bytes = q->bytes;
    rec->flags = q->flags[0] ? q->flags : NULL;
    rec->policy = er_policy_name(er_settings.policy);
    rec->pool = q->pool_initialized ? "initialized" : "uninitialized";
    rec->action = er_action_name(q->action);
    rec->has_waited = true;
    rec->waited_ns = q->waited_ns;
    er_caller_lookup(q->caller, exe_path, who);
    rec->caller = who->object;
    rec->caller_symbol = who->symbol;
}

/* People read stderr; every other destination gets JSON, sized for what it accepts. */
static size_t format_record(const struct er_record *rec, char *buf, size_t cap)
{
    size_t max = er_sink_record_max();
    if (cap > max)
        cap = max;
    return er_settings.log == ER_LOG_STDERR ? er_format_text(rec, buf, cap)
                                            : er_format_json(rec, buf, cap);
}

static void log_request(const struct er_request *q, long long result, int err)
{
    struct er_record rec;
    struct er_caller who;
    fill_record(&rec, q, "request", &who);
    rec.errno_name = err ? er_errno_name(err) : NULL;
    rec.has_result = true;
    rec.result = result;
    char buf[ER_RECORD_MAX];
    er_sink_write(buf, format_record(&rec, buf, sizeof buf));
}

/* A hang record carries a backtrace, too big for the stack of an arbitrary thread: it is built
 * in pages of its own, which a hang (once per wait, after seconds) can afford. */
#define HANG_FRAMES 32
#define HANG_BUFFER (64 * 1024)

static void log_hang(void *ctx, int64_t waited_ns)
{
    struct er_request *q = ctx;
    if (er_settings.log == ER_LOG_NONE)
        return;
    char *mem = mmap(NULL, HANG_BUFFER, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return;
    const char *frames[HANG_FRAMES];
    struct er_record rec;
    struct er_caller who;
    q->waited_ns = waited_ns;
    fill_record(&rec, q, "hang", &who);
    rec.backtrace = frames;
    rec.backtrace_len = er_backtrace(frames, HANG_FRAMES, mem, HANG_BUFFER / 2);
    char *out = mem + HANG_BUFFER / 2;
    er_sink_write(out, format_record(&rec, out, HANG_BUFFER / 2));
    munmap(mem, HANG_BUFFER);
}

void er_note(struct er_request *q, long long result, int err)
{
    if (!er_loaded() || er_settings.log == ER_LOG_NONE)
        return;
    int saved = errno;
    q->pool_initialized = er_pool_initialized();
    q->action = ER_ACTION_PASS;
    if (!q->pool_initialized || er_settings.log_all)
        log_request(q, result, err);
    errno = saved;
}

/* glibc's words when arc4random cannot get entropy (stdlib/arc4random.c), then its abort. */
static _Noreturn void arc4random_fatal(void)
{
    static const char message[] = "Fatal glibc error: cannot get entropy for arc4random\n";
    __write(STDERR_FILENO, message, sizeof message - 1);
    abort();
}

long long er_run(struct er_request *q, const struct er_ops *ops, void *ctx)
{
    int saved = errno;
    int err = 0;
    if (!er_loaded())
        return ops->call(ctx, false, &err);

    q->pool_initialized = er_pool_initialized();
    if (q->pool_initialized && !er_settings.log_all)
        __atomic_store_n(&er_fast_flag, 1, __ATOMIC_RELAXED);
    q->action = q->forward ? ER_ACTION_PASS
                           : er_decide(q->kind, q->pool_initialized, er_settings.policy);
    bool logged = er_settings.log != ER_LOG_NONE && (!q->pool_initialized || er_settings.log_all);
    if (logged || q->action == ER_ACTION_BLOCK)
        q->start_ns = er_boottime_ns();
    /* Before the call: a request the real kernel blocked until its pool was ready was early. */
    if (logged)
        q->kernel_pool = kernel_pool_state();

    long long result;
    bool synthesized = false; /* the result is ours, not the real function's */
    switch (q->action) {
    case ER_ACTION_BLOCK:
        if (er_pool_wait(q->wait_through_eintr, q->start_ns, er_settings.hang_timeout_ns, log_hang,
                         q) == EINTR) {
            q->action = ER_ACTION_INTERRUPTED;
            err = EINTR;
            synthesized = true;
            result = ops->fail(ctx, err);
            break;
        }
        errno = saved;
        result = ops->call(ctx, false, &err);
        break;
    case ER_ACTION_WEAK:
        errno = saved;
        result = ops->call(ctx, true, &err);
        if (err == 0 && er_settings.weak == ER_WEAK_DETERMINISTIC && ops->make_deterministic)
            result = ops->make_deterministic(ctx, result);
        break;
    case ER_ACTION_EAGAIN:
    case ER_ACTION_EINVAL:
        err = q->action == ER_ACTION_EAGAIN ? EAGAIN : EINVAL;
        synthesized = true;
        result = ops->fail(ctx, err);
        break;
    case ER_ACTION_ABORT:
        if (logged)
            log_request(q, 0, 0);
        arc4random_fatal();
    case ER_ACTION_PASS:
    case ER_ACTION_INTERRUPTED:
    default:
        errno = saved;
        result = ops->call(ctx, false, &err);
        break;
    }
    /* The real function's errno, success or not, is the program's; ours only when we failed. */
    int final_errno = synthesized ? err : errno;

    if (logged) {
        if (q->start_ns != 0 && (q->action == ER_ACTION_BLOCK || q->action == ER_ACTION_INTERRUPTED))
            q->waited_ns = er_boottime_ns() - q->start_ns;
        log_request(q, result, err);
    }
    errno = final_errno;
    return result;
}
