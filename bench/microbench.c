/* microbench: the timed half of scripts/bench. Each invocation does one thing and prints numbers
 * on stdout; bench/run.py runs it with and without the preload, alternating, and takes medians.
 *
 *   microbench OP N [THREADS]      time N calls of OP (in each of THREADS threads) after a warm-up;
 *                                  prints nanoseconds per call (all threads together): wall
 *                                  clock, then CPU time of the process (user + system)
 *   microbench interleave OP BLOCK PAIRS
 *                                  in one process, PAIRS pairs of BLOCK calls of OP, one block
 *                                  through glibc's own functions (dlsym in libc.so.6, bypassing
 *                                  any preload), the other through the program's ordinary
 *                                  bindings (the hooks, when preloaded); prints per pair
 *                                  "DIRECT HOOKED", thread CPU ns per call
 *   microbench wait THREADS        THREADS threads each call getrandom(16, 0) once (for rusage)
 *   microbench stamp               prints "waiting NS", calls getrandom(16, 0), then prints the
 *                                  CLOCK_BOOTTIME instant (ns) at which it returned
 *   microbench spawn RUNS [VAR=VALUE...] -- CMD [ARG...]
 *                                  runs CMD 2*RUNS times, alternating the plain environment ("a")
 *                                  and the environment plus the assignments ("b"), the order
 *                                  swapped every pair; prints "a WALL CPU" / "b WALL CPU" per
 *                                  run (ns; CPU is the child's user + system time)
 *
 * OP: getrandom (16 bytes, flags 0), getrandom-nb (16 bytes, GRND_NONBLOCK), getentropy (32),
 * urandom (read of 16 bytes from an open /dev/urandom), open-read-close (a 4 KiB file, read
 * whole), read (64 bytes of an ordinary file, rewound at its end); and, for scale, getppid (a
 * bare system call that nothing hooks) and write-record (one write of a 310-byte line to a file
 * opened O_APPEND, as the log does). Failing calls are not errors: the strace comparison makes
 * getrandom fail with EAGAIN on purpose.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum op {
    OP_GETRANDOM, OP_GETRANDOM_NB, OP_GETENTROPY, OP_URANDOM, OP_OPEN_READ_CLOSE, OP_READ,
    OP_GETPPID, OP_WRITE_RECORD
};

static const char *const op_names[] = { "getrandom", "getrandom-nb",    "getentropy",
                                        "urandom",   "open-read-close", "read",
                                        "getppid",   "write-record" };

#define SMALL_FILE_SIZE 4096
#define BIG_FILE_SIZE (1024 * 1024)
#define READ_SIZE 64
#define RECORD_SIZE 310

static char small_path[64], big_path[64];

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what)
{
    perror(what);
    exit(2);
}

/* The files of the ordinary-file operations, in /tmp; the same files on both sides of a comparison
 * would be fairer still, but fresh ones keep runs independent and cost nothing inside the timing. */
static int make_file(char *path, size_t size)
{
    strcpy(path, "/tmp/er-bench-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        die("mkstemp");
    static char block[4096];
    memset(block, 'x', sizeof block);
    for (size_t done = 0; done < size; done += sizeof block)
        if (write(fd, block, sizeof block) != (ssize_t)sizeof block)
            die("write");
    return fd;
}

/* The functions an operation calls: normally the program's own bindings (the preload's hooks when
 * it is loaded), or glibc's definitions looked up directly, which bypass any preload. */
struct calls {
    ssize_t (*getrandom)(void *, size_t, unsigned int);
    int (*getentropy)(void *, size_t);
    int (*open)(const char *, int, ...);
    ssize_t (*read)(int, void *, size_t);
    int (*close)(int);
};

static const struct calls bound = { getrandom, getentropy, open, read, close };

struct worker {
    enum op op;
    long n;
    int fd; /* /dev/urandom or the big file, per thread */
    const struct calls *calls;
};

/* The loop alone, not inlined, so that callgrind can count exactly its instructions
 * (--toggle-collect=run_op). */
__attribute__((noinline)) static void run_op(const struct worker *w, long n)
{
    const struct calls *c = w->calls;
    unsigned char buf[SMALL_FILE_SIZE];
    for (long i = 0; i < n; i++) {
        switch (w->op) {
        case OP_GETRANDOM:
            (void)!c->getrandom(buf, 16, 0);
            break;
        case OP_GETRANDOM_NB:
            (void)!c->getrandom(buf, 16, GRND_NONBLOCK);
            break;
        case OP_GETENTROPY:
            (void)!c->getentropy(buf, 32);
            break;
        case OP_URANDOM:
            (void)!c->read(w->fd, buf, 16);
            break;
        case OP_OPEN_READ_CLOSE: {
            int fd = c->open(small_path, O_RDONLY);
            if (fd < 0)
                die("open");
            (void)!c->read(fd, buf, sizeof buf);
            c->close(fd);
            break;
        }
        case OP_READ:
            if (c->read(w->fd, buf, READ_SIZE) <= 0)
                lseek(w->fd, 0, SEEK_SET); /* once per 16384 reads */
            break;
        case OP_GETPPID:
            (void)getppid();
            break;
        case OP_WRITE_RECORD:
            memset(buf, 'x', RECORD_SIZE - 1);
            buf[RECORD_SIZE - 1] = '\n';
            (void)!write(w->fd, buf, RECORD_SIZE);
            break;
        }
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    run_op(w, w->n);
    return NULL;
}

static int open_for(enum op op)
{
    if (op == OP_URANDOM) {
        int fd = open("/dev/urandom", O_RDONLY);
        if (fd < 0)
            die("/dev/urandom");
        return fd;
    }
    if (op == OP_READ || op == OP_WRITE_RECORD) {
        int fd = open(big_path, op == OP_READ ? O_RDONLY : O_WRONLY | O_APPEND);
        if (fd < 0)
            die(big_path);
        return fd;
    }
    return -1;
}

static int parse_op(const char *name)
{
    for (size_t i = 0; i < sizeof op_names / sizeof op_names[0]; i++)
        if (strcmp(name, op_names[i]) == 0)
            return (int)i;
    fprintf(stderr, "microbench: unknown operation %s\n", name);
    exit(2);
}

static int cmd_op(const char *name, long n, int threads)
{
    int op = parse_op(name);
    if (n <= 0 || threads <= 0 || threads > 1024) {
        fprintf(stderr, "microbench: bad count or thread count\n");
        return 2;
    }
    close(make_file(small_path, SMALL_FILE_SIZE));
    close(make_file(big_path, BIG_FILE_SIZE));

    struct worker *w = calloc((size_t)threads, sizeof *w);
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    if (w == NULL || tid == NULL)
        die("calloc");
    for (int t = 0; t < threads; t++)
        w[t] = (struct worker){ (enum op)op, n, open_for((enum op)op), &bound };
    /* Warm-up: the first calls resolve symbols and fault in pages and caches. */
    run_op(&w[0], n / 20 + 1);
    if (op == OP_READ)
        lseek(w[0].fd, 0, SEEK_SET);

    int64_t t0 = clock_ns(CLOCK_MONOTONIC), c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    if (threads == 1) {
        run_op(&w[0], n);
    } else {
        for (int t = 0; t < threads; t++)
            if (pthread_create(&tid[t], NULL, worker_main, &w[t]) != 0)
                die("pthread_create");
        for (int t = 0; t < threads; t++)
            pthread_join(tid[t], NULL);
    }
    int64_t t1 = clock_ns(CLOCK_MONOTONIC), c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);

    unlink(small_path);
    unlink(big_path);
    double calls = (double)n * threads;
    printf("%.3f %.3f\n", (double)(t1 - t0) / calls, (double)(c1 - c0) / calls);
    return 0;
}

/* glibc's own definition of name, whatever is preloaded: looked up in libc.so.6 itself. */
static void *libc_symbol(void *libc, const char *name)
{
    void *p = dlsym(libc, name);
    if (p == NULL) {
        fprintf(stderr, "microbench: %s not found in libc.so.6\n", name);
        exit(2);
    }
    return p;
}

/* Same process, same files, blocks of BLOCK calls through glibc directly and through the
 * program's bindings, alternating (the order swapped every pair), so that a change of load on the
 * machine hits both sides of a pair alike. */
static int cmd_interleave(const char *name, long block, long pairs)
{
    int op = parse_op(name);
    if (block <= 0 || pairs <= 0) {
        fprintf(stderr, "microbench: bad block size or pair count\n");
        return 2;
    }
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    if (libc == NULL)
        die("dlopen libc.so.6");
    struct calls direct = {
        (ssize_t(*)(void *, size_t, unsigned int))libc_symbol(libc, "getrandom"),
        (int (*)(void *, size_t))libc_symbol(libc, "getentropy"),
        (int (*)(const char *, int, ...))libc_symbol(libc, "open"),
        (ssize_t(*)(int, void *, size_t))libc_symbol(libc, "read"),
        (int (*)(int))libc_symbol(libc, "close"),
    };
    close(make_file(small_path, SMALL_FILE_SIZE));
    close(make_file(big_path, BIG_FILE_SIZE));
    struct worker w[2] = { { (enum op)op, block, open_for((enum op)op), &direct },
                           { (enum op)op, block, open_for((enum op)op), &bound } };
    run_op(&w[0], block);
    run_op(&w[1], block);
    for (long p = 0; p < pairs; p++) {
        int64_t ns[2];
        for (int k = 0; k < 2; k++) {
            int side = (int)((p + k) % 2);
            /* Thread CPU time: time spent waiting for a CPU on a busy machine is not the call's. */
            int64_t c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
            run_op(&w[side], block);
            ns[side] = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
        }
        printf("%.3f %.3f\n", (double)ns[0] / block, (double)ns[1] / block);
    }
    unlink(small_path);
    unlink(big_path);
    return 0;
}

static void *wait_main(void *arg)
{
    (void)arg;
    unsigned char buf[16];
    (void)!getrandom(buf, sizeof buf, 0);
    return NULL;
}

static int cmd_wait(int threads)
{
    if (threads <= 0 || threads > 1024)
        return 2;
    pthread_t tid[1024];
    for (int t = 0; t < threads; t++)
        if (pthread_create(&tid[t], NULL, wait_main, NULL) != 0)
            die("pthread_create");
    for (int t = 0; t < threads; t++)
        pthread_join(tid[t], NULL);
    return 0;
}

static int cmd_stamp(void)
{
    unsigned char buf[16];
    /* The driver waits for this line before starting its clock for the ready file, and discards a
     * sample whose request started after the init moment (it did not wait). */
    printf("waiting %lld\n", (long long)clock_ns(CLOCK_BOOTTIME));
    fflush(stdout);
    ssize_t r = getrandom(buf, sizeof buf, 0);
    int64_t now = clock_ns(CLOCK_BOOTTIME);
    if (r != (ssize_t)sizeof buf)
        die("getrandom");
    printf("%lld\n", (long long)now);
    return 0;
}

/* One run of argv under envp: wall-clock nanoseconds from spawn to reaped exit, and the CPU time
 * (user + system) the child used. */
static void spawn_once(char **argv, char **envp, int64_t *wall, int64_t *cpu)
{
    pid_t pid;
    int64_t t0 = clock_ns(CLOCK_MONOTONIC);
    int err = posix_spawn(&pid, argv[0], NULL, NULL, argv, envp);
    if (err != 0) {
        errno = err;
        die(argv[0]);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0)
        die("wait4");
    *wall = clock_ns(CLOCK_MONOTONIC) - t0;
    *cpu = ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
           ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "microbench: %s failed (status %d)\n", argv[0], status);
        exit(3);
    }
}

static int cmd_spawn(int argc, char **argv)
{
    long runs = argc > 2 ? atol(argv[2]) : 0;
    int sep = 3;
    while (sep < argc && strcmp(argv[sep], "--") != 0)
        sep++;
    if (runs <= 0 || sep + 1 >= argc) {
        fprintf(stderr, "usage: microbench spawn RUNS [VAR=VALUE...] -- CMD [ARG...]\n");
        return 2;
    }
    /* Environment b: the assignments, then the current environment less the names assigned
     * (so that b can replace a's LD_PRELOAD rather than add a second one). */
    size_t n_env = 0;
    while (environ[n_env] != NULL)
        n_env++;
    size_t n_set = (size_t)(sep - 3);
    char **env_b = calloc(n_set + n_env + 1, sizeof *env_b);
    if (env_b == NULL)
        die("calloc");
    for (size_t i = 0; i < n_set; i++)
        env_b[i] = argv[3 + i];
    size_t used = n_set;
    for (size_t i = 0; i < n_env; i++) {
        bool assigned = false;
        for (size_t j = 0; j < n_set && !assigned; j++) {
            size_t name_len = strcspn(argv[3 + j], "=");
            assigned = strncmp(environ[i], argv[3 + j], name_len + 1) == 0;
        }
        if (!assigned)
            env_b[used++] = environ[i];
    }
    char **cmd = argv + sep + 1;

    int64_t wall, cpu;
    spawn_once(cmd, environ, &wall, &cpu); /* warm-up: page cache and dentries for both sides */
    spawn_once(cmd, env_b, &wall, &cpu);
    for (long i = 0; i < runs; i++) {
        bool b_first = i % 2 == 1;
        for (int k = 0; k < 2; k++) {
            bool b = (k == 0) == b_first;
            spawn_once(cmd, b ? env_b : environ, &wall, &cpu);
            printf("%c %lld %lld\n", b ? 'b' : 'a', (long long)wall, (long long)cpu);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "spawn") == 0)
        return cmd_spawn(argc, argv);
    if (argc == 3 && strcmp(argv[1], "wait") == 0)
        return cmd_wait(atoi(argv[2]));
    if (argc == 2 && strcmp(argv[1], "stamp") == 0)
        return cmd_stamp();
    if (argc == 5 && strcmp(argv[1], "interleave") == 0)
        return cmd_interleave(argv[2], atol(argv[3]), atol(argv[4]));
    if (argc == 3 || argc == 4)
        return cmd_op(argv[1], atol(argv[2]), argc == 4 ? atoi(argv[3]) : 1);
    fprintf(stderr, "usage: microbench OP N [THREADS] | interleave OP BLOCK PAIRS | wait THREADS | "
                    "stamp | spawn RUNS [VAR=VALUE...] -- CMD [ARG...]\n");
    return 2;
}
