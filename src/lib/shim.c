#include "shim.h"

#include <errno.h>
#include <gnu/libc-version.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "caller.h"
#include "conffile.h"
#include "kmsg.h"
#include "logrec.h"
#include "nextsym.h"
#include "pool.h"
#include "rawsys.h"
#include "real.h"
#include "ring.h"
#include "sink.h"
#include "weak.h"

extern ssize_t __write(int, const void *, size_t);

int er_fast_flag;
struct er_settings er_settings;
bool er_filtered;

static int load_state; /* 0 not loaded, 1 loading, 2 loaded */
static __thread int loading_in_this_thread __attribute__((tls_model("initial-exec")));
static uint64_t weak_offset;

/* What the settings are made of is taken when the process starts, so that a program that clears
 * or rewrites its environment (daemons; setproctitle writes over the strings) before its first
 * request keeps what it was started with; the settings themselves are made at the first hooked
 * call, so that a program that makes none pays for nothing but this copy. */
#define MAX_VARIABLES 32
/* In .data rather than .bss: the loader has already written that page (the lazy-binding table
 * beside it), so the constructor's writes cost no page fault, where a fresh .bss page costs two
 * (read, then copy) in every program the library is loaded into. nextsym.c's two pointers too. */
static struct {
    int64_t ns;
    bool env_asks_for_us; /* an EARLYRANDOM_ variable, or LD_PRELOAD naming the library */
    int env_count;
    const char *env_entries[MAX_VARIABLES]; /* "EARLYRANDOM_NAME=value", in env_copy */
    char env_copy[2048];                     /* the command's settings take a few hundred bytes */
} start __attribute__((section(".data.er_start")));

/* Plain loops rather than libc's string functions: at start each of those would cost the loader
 * a symbol lookup, in every program, for a few bytes of work. */
static bool starts_with(const char *s, const char *prefix)
{
    while (*prefix != '\0')
        if (*s++ != *prefix++)
            return false;
    return true;
}

static bool contains(const char *s, const char *word)
{
    for (; *s != '\0'; s++)
        if (starts_with(s, word))
            return true;
    return false;
}

/* The variables the library reads; any other EARLYRANDOM_ name only says it was asked for.
 * Arrays in .data, like the prefixes below: the constructor then reads no .rodata page. */
#define KNOWN_VARIABLE_MAX 32
static char known_variables[][KNOWN_VARIABLE_MAX] __attribute__((section(".data.er_start"))) = {
    ER_ENV_POLICY "=", ER_ENV_INIT_AFTER "=", ER_ENV_EPOCH "=",   ER_ENV_READY_FILE "=",
    ER_ENV_WEAK "=",   ER_ENV_LOG "=",        ER_ENV_LOG_ALL "=", ER_ENV_HANG_TIMEOUT "=",
    ER_ENV_CONFIG "=", ER_ENV_RING "=",   ER_ENV_FILTERED "=",
    ER_ENV_KERNEL "=", ER_ENV_ENTROPY_RATE "=", ER_ENV_KERNEL_LOG "=",
    ER_ENV_JOURNAL_SOCKET "=",
};
static char preload_prefix[] __attribute__((section(".data.er_start"))) = "LD_PRELOAD=";
static char library_name[] __attribute__((section(".data.er_start"))) = "libearlyrandom";
static char variable_prefix[] __attribute__((section(".data.er_start"))) = "EARLYRANDOM_";
static char filtered_variable[] __attribute__((section(".data.er_start"))) = ER_ENV_FILTERED;

static bool is_known_variable(const char *entry)
{
    for (size_t i = 0; i < sizeof known_variables / sizeof known_variables[0]; i++)
        if (starts_with(entry, known_variables[i]))
            return true;
    return false;
}

static void copy_environment(void)
{
    extern char **environ;
    size_t used = 0;
    for (char **e = environ; e != NULL && *e != NULL; e++) {
        if (starts_with(*e, preload_prefix) && contains(*e, library_name))
            start.env_asks_for_us = true;
        if (!starts_with(*e, variable_prefix))
            continue;
        start.env_asks_for_us = true;
        if (!is_known_variable(*e))
            continue;
        size_t len = 0;
        while ((*e)[len] != '\0')
            len++;
        if (start.env_count == MAX_VARIABLES)
            continue; /* a name given many times: the first ones count, as for getenv */
        if (used + len + 1 > sizeof start.env_copy) {
            /* settings this long (paths near PATH_MAX) are read where they are: the one case in
             * which a program that rewrites its environment early changes them */
            start.env_entries[start.env_count++] = *e;
            continue;
        }
        char *copy = start.env_copy + used;
        for (size_t i = 0; i <= len; i++)
            copy[i] = (*e)[i];
        start.env_entries[start.env_count++] = copy;
        used += len + 1;
    }
}

static const char *lookup_variable(const char *name, void *ctx)
{
    (void)ctx;
    for (int i = 0; i < start.env_count; i++) {
        const char *entry = start.env_entries[i];
        if (starts_with(entry, name)) {
            const char *rest = entry;
            for (const char *n = name; *n != '\0'; n++)
                rest++;
            if (*rest == '=')
                return rest + 1;
        }
    }
    return NULL;
}

/* The executable's path, read at the first record rather than at start: PID 1 and programs
 * started before /proc is mounted get it once /proc is there (until then, the path it was
 * started by). Another thread reading it meanwhile is waited for: it is one system call. */
static char exe_path[ER_PATH_MAX];
static int exe_state; /* 0 not read, 1 being read, 2 read */
static __thread int reading_exe_here __attribute__((tls_model("initial-exec")));

static const char *executable_path(void)
{
    int state;
    while ((state = __atomic_load_n(&exe_state, __ATOMIC_ACQUIRE)) != 2) {
        if (state == 1) {
            if (reading_exe_here) /* a signal handler interrupted this thread's own reading */
                break;
            sched_yield();
            continue;
        }
        if (!__atomic_compare_exchange_n(&exe_state, &state, 1, false, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE))
            continue;
        reading_exe_here = 1;
        int saved = errno;
        ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
        errno = saved;
        exe_path[n > 0 ? n : 0] = '\0';
        reading_exe_here = 0;
        __atomic_store_n(&exe_state, n > 0 ? 2 : 0, __ATOMIC_RELEASE);
        if (n <= 0)
            break;
    }
    if (state == 2 || __atomic_load_n(&exe_state, __ATOMIC_ACQUIRE) == 2)
        return exe_path;
    const char *started_as = (const char *)getauxval(AT_EXECFN);
    return started_as != NULL ? started_as : "";
}

/* pid and tid are asked of the kernel once (per process, per thread), not once per record. */
static pid_t cached_pid;
static __thread pid_t cached_tid __attribute__((tls_model("initial-exec")));

/* The kernel's name for the calling thread, read at its first record (name_of_thread). */
#define THREAD_NAME_MAX 16
static __thread char thread_name[THREAD_NAME_MAX] __attribute__((tls_model("initial-exec")));
static __thread int thread_name_read __attribute__((tls_model("initial-exec")));

static void forget_in_child(void)
{
    cached_pid = 0;
    cached_tid = 0;
    thread_name_read = 0; /* the child is likely to rename itself, as udevd's workers do */
    er_pool_forget_in_child();
    er_sink_forget_in_child();
    /* Another thread of the parent was loading the settings: the child loads them again rather
     * than wait for a thread it does not have. */
    if (__atomic_load_n(&load_state, __ATOMIC_RELAXED) == 1 && !loading_in_this_thread)
        __atomic_store_n(&load_state, 0, __ATOMIC_RELAXED);
    /* The same for the executable's path: a thread of the parent was reading it. */
    if (__atomic_load_n(&exe_state, __ATOMIC_RELAXED) == 1 && !reading_exe_here)
        __atomic_store_n(&exe_state, 0, __ATOMIC_RELAXED);
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

/* Whether the real kernel pool is initialized: asked for zero bytes without waiting (the kernel
 * answers EAGAIN before it looks at the length), until the answer is yes, which it then stays.
 * Zero bytes, so that a kernel trace tells these questions apart from requests (count: 0). */
static const char *kernel_pool_state(void)
{
    static int ready;
    if (__atomic_load_n(&ready, __ATOMIC_RELAXED))
        return "initialized";
    if (er_raw_getrandom(NULL, 0, ER_GRND_NONBLOCK) == -EAGAIN)
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

/* Runs before the program, but another library's constructor may make the first hooked call
 * earlier: whichever comes first takes the start. */
static void take_start(void)
{
    if (__atomic_load_n(&start.ns, __ATOMIC_ACQUIRE) != 0)
        return;
    copy_environment();
    /* Set before main; a request made before that is trapped and logged by the command instead.
     * Not in secure execution, where the environment is not the program's owner's. */
    const char *filtered = lookup_variable(filtered_variable, NULL);
    if (filtered != NULL && filtered[0] == '1' && filtered[1] == '\0' && getauxval(AT_SECURE) == 0)
        er_filtered = true; /* written only when set: another page the constructor need not touch */
    /* The system call rather than the vDSO: finding the vDSO's symbol can wait for a request. */
    struct timespec ts;
    er_raw_syscall3(SYS_clock_gettime, CLOCK_BOOTTIME, (long)&ts, 0);
    __atomic_store_n(&start.ns, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, __ATOMIC_RELEASE);
}

static void load_settings(void)
{
    bool secure = getauxval(AT_SECURE) != 0;
    /* Under AT_SECURE (setuid, capabilities) the environment belongs to whoever started the
     * program, not to its owner: only the root-owned file is consulted. */
    const char *path = secure ? NULL : lookup_variable(ER_ENV_CONFIG, NULL);
    if (path == NULL || path[0] == '\0')
        path = ER_CONFFILE_DEFAULT;
    bool have_file = read_conffile(path, secure);

    static char errors[16384]; /* 11 variables x ~420 bytes, plus the file's lines; once per process */
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
    if (!have_file && (secure || !start.env_asks_for_us)) {
        er_settings.policy = ER_POLICY_PASSTHROUGH;
        er_settings.log = ER_LOG_NONE;
    }
    er_pool_setup(&er_settings, start.ns);
    er_sink_setup(&er_settings, secure ? NULL : lookup_variable(ER_ENV_RING, NULL),
                  secure ? NULL : lookup_variable(ER_ENV_JOURNAL_SOCKET, NULL));
    bool nothing_to_log = er_settings.log == ER_LOG_NONE;
    if ((er_settings.policy == ER_POLICY_PASSTHROUGH && nothing_to_log) ||
        (!er_settings.log_all && er_kernel_same_after_init(er_settings.kernel) &&
         er_pool_initialized()))
        __atomic_store_n(&er_fast_flag, 1, __ATOMIC_RELAXED);
}

bool er_settle(void)
{
    if (!er_loaded())
        return false;
    if (!er_settings.log_all && er_kernel_same_after_init(er_settings.kernel) &&
        er_pool_initialized_by_clock())
        __atomic_store_n(&er_fast_flag, 1, __ATOMIC_RELAXED);
    return __atomic_load_n(&er_fast_flag, __ATOMIC_RELAXED);
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
        int saved = errno, cancel_state;
        /* The file's open and read are no cancellation points of the program's: a thread
         * cancelled there would leave every other one waiting for settings never loaded. */
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
        loading_in_this_thread = 1;
        take_start();
        load_settings();
        loading_in_this_thread = 0;
        __atomic_store_n(&load_state, 2, __ATOMIC_RELEASE);
        pthread_setcancelstate(cancel_state, &cancel_state);
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
    int saved = errno;
    er_next_symbol_setup();
    take_start();
    /* Here and not where the settings are loaded: that can be a close in a fork handler, which
     * runs under the lock pthread_atfork takes. */
    pthread_atfork(NULL, NULL, forget_in_child);
    errno = saved;
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

/* The kernel's name for the calling thread (TASK_COMM_LEN bytes): systemd-udevd, its
 * "(udev-worker)" children and udevadm all run /usr/bin/udevadm, and only this tells them apart.
 * Read once per thread, at its first record: the system call costs a microsecond on some
 * machines, against a budget of two per record. A fork's child reads its own again. */
static const char *name_of_thread(void)
{
    if (!thread_name_read) {
        char name[THREAD_NAME_MAX] = "";
        if (prctl(PR_GET_NAME, name) != 0)
            name[0] = '\0';
        name[THREAD_NAME_MAX - 1] = '\0';
        memcpy(thread_name, name, sizeof name);
        thread_name_read = 1;
    }
    return thread_name[0] ? thread_name : NULL;
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
    rec->exe = executable_path();
    rec->comm = name_of_thread();
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
    er_caller_lookup(q->caller, rec->exe, who);
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

/* The simulated kernel's messages (EARLYRANDOM_KERNEL_LOG). Its rate limit is one per process,
 * taken without waiting: a thread that finds it busy counts its message as missed. */
static struct er_kmsg_limiter kmsg_limiter = { 0, 0, ER_KMSG_MAXWARN, 0, false, false };
static int kmsg_busy;

static bool take_kmsg(void)
{
    int expected = 0;
    return __atomic_compare_exchange_n(&kmsg_busy, &expected, 1, false, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
}

static void give_kmsg(void) { __atomic_store_n(&kmsg_busy, 0, __ATOMIC_RELEASE); }

static void log_kernel_message(const char *message)
{
    if (er_settings.log == ER_LOG_NONE)
        return;
    struct er_record rec;
    memset(&rec, 0, sizeof rec);
    rec.event = "kernel";
    rec.time_ns = realtime_ns();
    rec.has_boot = true;
    rec.boot_ns = er_boottime_ns();
    rec.pid = current_pid();
    rec.tid = current_tid();
    rec.exe = executable_path();
    rec.message = message;
    char buf[ER_RECORD_MAX];
    er_sink_write(buf, format_record(&rec, buf, sizeof buf));
}

/* Both keep errno: they run after the real call, whose errno is the program's. */
static void note_urandom_message(uint64_t bytes)
{
    if (!take_kmsg()) {
        __atomic_fetch_add(&kmsg_limiter.missed, 1, __ATOMIC_RELAXED);
        return;
    }
    bool print = er_kmsg_urandom_allowed(&kmsg_limiter, er_settings.kernel, er_boottime_ns());
    give_kmsg();
    int saved = errno;
    char comm[17] = "";
    char line[128];
    /* The task's name as the kernel prints it (TASK_COMM_LEN, not the executable's path). */
    if (print && prctl(PR_GET_NAME, comm) == 0 &&
        er_kmsg_urandom_text(er_settings.kernel, comm, bytes, line, sizeof line) > 0)
        log_kernel_message(line);
    errno = saved;
}

static void note_init_messages(void)
{
    if (!take_kmsg())
        return;
    int saved = errno;
    bool first = !kmsg_limiter.init_reported;
    kmsg_limiter.init_reported = true;
    char line[128];
    for (int i = 0; first && er_kmsg_init_text(er_settings.kernel, &kmsg_limiter, i, line,
                                                sizeof line) > 0; i++)
        log_kernel_message(line);
    give_kmsg();
    errno = saved;
}

_Noreturn void er_arc4random_fatal(void)
{
    static const char message[] = "Fatal glibc error: cannot get entropy for arc4random\n";
    __write(STDERR_FILENO, message, sizeof message - 1);
    abort();
}

/* Whether the C library is glibc 2.41 or later, read once. */
static bool glibc_2_41_or_later(void)
{
    static int answer; /* 0: not known yet, 1: yes, 2: no; threads racing agree */
    int known = __atomic_load_n(&answer, __ATOMIC_RELAXED);
    if (known == 0) {
        const char *v = gnu_get_libc_version(); /* "2.41" */
        int major = 0, minor = 0;
        while (*v >= '0' && *v <= '9')
            major = major * 10 + (*v++ - '0');
        if (*v == '.')
            v++;
        while (*v >= '0' && *v <= '9')
            minor = minor * 10 + (*v++ - '0');
        known = major > 2 || (major == 2 && minor >= 41) ? 1 : 2;
        __atomic_store_n(&answer, known, __ATOMIC_RELAXED);
    }
    return known == 1;
}

/* glibc's getrandom makes a cancellable system call, except that from 2.41 on it first asks the
 * vDSO of a 6.11 or later kernel, without blocking, and makes that call only when the request
 * would block: a blocking request before init. */
static bool getrandom_is_cancellation_point(const struct er_request *q)
{
    if (!glibc_2_41_or_later() || !er_kernel_has_vdso_getrandom(er_settings.kernel))
        return true;
    return (q->kind == ER_REQ_BLOCKING || q->kind == ER_REQ_RANDOM_POOL) && !er_pool_initialized();
}

/* glibc's getentropy, arc4random and syscall() are no cancellation points (read and open are,
 * and getrandom mostly): neither their simulated wait nor the real call the library makes
 * for them (through getrandom) may become one, or a thread cancelled there would leave behind
 * whatever it held across a call that never acts on cancellation. */
static bool is_cancellation_point(const struct er_request *q)
{
    if (strcmp(q->api, "getrandom") == 0)
        return getrandom_is_cancellation_point(q);
    return strcmp(q->api, "getentropy") != 0 && strncmp(q->api, "arc4random", 10) != 0 &&
           strcmp(q->api, "syscall") != 0;
}

/* Returns the state to give back to release_cancellation, -1 when nothing was changed. */
static int hold_cancellation_unless_point(const struct er_request *q)
{
    int previous = -1;
    if (!is_cancellation_point(q))
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &previous);
    return previous;
}

static void release_cancellation(int previous)
{
    if (previous != -1)
        pthread_setcancelstate(previous, &previous);
}

long long er_run(struct er_request *q, const struct er_ops *ops, void *ctx)
{
    int saved = errno;
    int err = 0;
    if (!er_loaded())
        return ops->call(ctx, false, &err);
    /* A cancellation point acts on a pending cancellation as it is called, whatever the policy
     * answers; any other API never does, through its wait or the real call behind it. */
    int cancel_state = hold_cancellation_unless_point(q);
    if (cancel_state == -1)
        pthread_testcancel();

    q->pool_initialized = er_pool_initialized();
    if (q->pool_initialized && !er_settings.log_all && er_kernel_same_after_init(er_settings.kernel))
        __atomic_store_n(&er_fast_flag, 1, __ATOMIC_RELAXED);
    /* Only an older kernel's blocking pool asks how much its estimate holds. */
    bool from_pool = q->kind == ER_REQ_RANDOM_POOL || q->kind == ER_REQ_RANDOM_POOL_NONBLOCKING;
    bool entropy_short = from_pool && er_pool_entropy_short(er_pool_draw_bits(q->bytes));
    q->action = q->forward ? ER_ACTION_PASS
                           : er_decide_estimate(q->kind, q->pool_initialized, entropy_short,
                                                er_settings.policy);
    bool logged = er_settings.log != ER_LOG_NONE && (!q->pool_initialized || er_settings.log_all);
    if (logged || q->action == ER_ACTION_BLOCK || q->action == ER_ACTION_DRAW)
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
        if (er_settings.kernel_log)
            note_init_messages();
        break;
    case ER_ACTION_DRAW:
        if (er_pool_draw(er_pool_draw_bits(q->bytes), q->wait_through_eintr) == EINTR) {
            q->action = ER_ACTION_INTERRUPTED;
            err = EINTR;
            synthesized = true;
            result = ops->fail(ctx, err);
            break;
        }
        q->waited_ns = er_boottime_ns() - q->start_ns;
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
    case ER_ACTION_ENOSYS:
        err = q->action == ER_ACTION_EAGAIN ? EAGAIN : q->action == ER_ACTION_EINVAL ? EINVAL : ENOSYS;
        synthesized = true;
        result = ops->fail(ctx, err);
        break;
    case ER_ACTION_ABORT:
        if (logged)
            log_request(q, 0, 0);
        er_arc4random_fatal();
    case ER_ACTION_PASS:
    case ER_ACTION_INTERRUPTED:
    default:
        errno = saved;
        result = ops->call(ctx, false, &err);
        break;
    }
    /* The real function's errno, success or not, is the program's; ours only when we failed. */
    int final_errno = synthesized ? err : errno;
    if (er_settings.kernel_log && q->device != NULL && !er_pool_initialized() &&
        (q->kind == ER_REQ_INSECURE || q->kind == ER_REQ_URANDOM_JITTER))
        note_urandom_message(q->bytes);

    if (logged) {
        /* A request passed to a kernel whose own pool was not ready may have waited there (the
         * request that made a real boot's kernel initialize its pool waited 1.4 to 1.9 s). */
        bool kernel_may_wait = q->action == ER_ACTION_PASS && q->kernel_pool != NULL &&
                               strcmp(q->kernel_pool, "uninitialized") == 0;
        if (q->start_ns != 0 && (q->action == ER_ACTION_BLOCK ||
                                 q->action == ER_ACTION_INTERRUPTED || kernel_may_wait))
            q->waited_ns = er_boottime_ns() - q->start_ns;
        log_request(q, result, err);
    }
    release_cancellation(cancel_state);
    errno = final_errno;
    return result;
}
