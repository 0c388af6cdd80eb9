/* The one way every test suite runs a program: an explicit or inherited environment, a preload,
 * a deadline after which its process group is killed, and what a user would see (output, how it
 * ended, how long it took, its CPU). A test that needs the program at a given point starts it,
 * waits for an event (a line of its output, one of its threads asleep in a read) and acts then,
 * instead of sleeping and hoping. Also the small file and text utilities the tests share. */
#ifndef ER_TESTSPAWN_H
#define ER_TESTSPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Longer than any run of the tests takes, even on a loaded machine. */
#define SPAWN_DEFAULT_TIMEOUT_MS 60000

struct spawn_opts {
    const char *const *argv;  /* NULL-terminated; argv[0] a path or a name looked up in PATH */
    const char *const *env;   /* "NAME=value" to set, "NAME" to unset; applied last */
    bool inherit_env;         /* start from the test's environment; else PATH, HOME, LANG=C and
                                 the sanitizer options */
    const char *preload;      /* the LD_PRELOAD value, NULL to leave it as the environment has it */
    int timeout_ms;           /* 0: SPAWN_DEFAULT_TIMEOUT_MS; then the process group is killed */
    const char *cwd;          /* NULL: the test's own */
    const char *stdin_path;   /* NULL: /dev/null */
};

struct spawn_result {
    char *out, *err; /* whole output, NUL-terminated, malloc'ed */
    size_t outlen, errlen;
    int exit_code;   /* -1 when killed by a signal */
    int signal;      /* the signal that ended it, 0 if none */
    int status;      /* as a shell shows it: the exit code, or 128 + the signal */
    bool timed_out;  /* still running at the deadline, then killed */
    double wall_ms;
    double cpu_ms;   /* user + system of the program and the children it waited for */
};

/* Runs to the end (or the deadline). */
void spawn_run(struct spawn_result *r, const struct spawn_opts *o);

/* The same in steps: start, wait for events while the output is collected, act, finish. */
struct spawn_proc;
struct spawn_proc *spawn_start(const struct spawn_opts *o);
pid_t spawn_pid(const struct spawn_proc *p);
/* Until needle appears in the output so far (stdout, then stderr); false if the program ended or
 * timeout_ms passed first. */
bool spawn_await_output(struct spawn_proc *p, const char *needle, int timeout_ms);
/* Until some thread of the program sleeps where the library's wait sleeps (thread_sleeps_in_wait;
 * the programs run here read or poll nothing else that blocks); false if it ended or timeout_ms
 * passed. */
bool spawn_await_waiting(struct spawn_proc *p, int timeout_ms);
/* Until the program is stopped by a signal (SIGSTOP); false as above. */
bool spawn_await_stopped(struct spawn_proc *p, int timeout_ms);
/* Collects the rest (up to the deadline) and frees p. */
void spawn_finish(struct spawn_proc *p, struct spawn_result *r);

void spawn_free(struct spawn_result *r);

/* CLOCK_MONOTONIC and CLOCK_BOOTTIME in ms: the programs report on the same clocks. */
double spawn_now_ms(void);
double spawn_boottime_ms(void);

/* True when thread tid of process pid sleeps where the library's wait sleeps (see
 * spawn_await_waiting): in read(2) on its timer, or in ppoll(2) when every signal handler the
 * thread lets through ends the wait; or in the system call numbered nr (SYS_clock_nanosleep: the
 * wait without a timer descriptor). */
bool thread_sleeps_in_wait(pid_t pid, pid_t tid);
bool thread_sleeps_in_syscall(pid_t pid, pid_t tid, long nr);

/* The emulator running this test (qemu-user through binfmt_misc, as the arm64 root of
 * scripts/matrix runs), or NULL on real hardware. Under one, thread_sleeps_in_syscall takes the
 * host's numbers of read and write, and the few tests that cannot work emulated skip. */
const char *spawn_emulator(void);
/* Prints "[SKIP] suite::test: why" on stderr, the line Criterion prints only when verbose, so that
 * the test's log and scripts/matrix name each skipped case and its reason. */
void spawn_skip_note(const char *suite, const char *test, const char *why);
/* Under an emulator, whether prctl(PR_SET_CHILD_SUBREAPER) works (tried in a child), without
 * which the earlyrandom command refuses to supervise a tree; qemu-user 7.2 does not pass it on. */
bool spawn_subreaper_works(void);
/* In a Criterion test: skips it, saying why, when it runs emulated and cond holds (cond is not
 * evaluated on real hardware, where nothing is skipped). */
#define SKIP_EMULATED_IF(cond, why)                                                               \
    do {                                                                                          \
        const char *emulator_ = spawn_emulator();                                                 \
        if (emulator_ != NULL && (cond)) {                                                        \
            char why_[512];                                                                       \
            snprintf(why_, sizeof why_, "emulated by %s: %s", emulator_, (why));                  \
            spawn_skip_note(criterion_current_test->category, criterion_current_test->name, why_); \
            cr_skip_test("%s", why_);                                                             \
        }                                                                                         \
    } while (0)
#define SKIP_IF_EMULATED(why) SKIP_EMULATED_IF(true, why)
/* Before running a command the earlyrandom command must supervise. */
#define SKIP_IF_NO_SUBREAPER()                                                                    \
    SKIP_EMULATED_IF(!spawn_subreaper_works(),                                                    \
                     "prctl(PR_SET_CHILD_SUBREAPER) fails, and the command does not supervise "   \
                     "a tree without it")

/* A fresh private directory for the test's process (created, removed when it ends), and a path
 * inside it (a static buffer, overwritten by the next call). */
const char *test_dir(void);
const char *test_path(const char *name);

/* Whole file, NUL-terminated, malloc'ed; NULL if it cannot be read. *len gets its size. */
char *read_whole(const char *path, size_t *len);
bool file_exists(const char *path);
void create_file(const char *path);
int count_lines(const char *s);
int count_lines_with(const char *s, const char *needle);
/* The first line of s containing needle, copied into a static buffer ("" if none). */
const char *line_with(const char *s, const char *needle);
/* The number after "key=" (at the start of a word) in s, or def. */
double field(const char *s, const char *key, double def);

#endif
