/* The hardening tests' way to run a program: like tests/integration/runner.c, plus signals sent
 * at given moments, an explicit LD_PRELOAD list (several preloads, in a given order), a working
 * directory, and no inherited descriptor beyond 0, 1 and 2. Also the paths of what the tests
 * run, and small file and log utilities. */
#ifndef ER_HARD_RUN_H
#define ER_HARD_RUN_H

#include <stdbool.h>
#include <stddef.h>

struct hsig {
    int at_ms; /* after the start of the run */
    int sig;   /* 0: none */
};

struct hopts {
    const char *const *argv;  /* NULL-terminated; argv[0] a path or a name looked up in PATH */
    const char *const *env;   /* "NAME=value" added to PATH, HOME, LANG=C (and sanitizer options) */
    const char *preload;      /* the LD_PRELOAD value, NULL for none */
    int timeout_ms;           /* then the process group is killed */
    const char *cwd;          /* NULL: the test's own */
    struct hsig signals[4];   /* sent to the process (not its group) in order */
    const char *stdin_path;   /* NULL: /dev/null */
};

struct hres {
    char *out, *err; /* whole output, NUL-terminated, malloc'ed */
    size_t outlen, errlen;
    int exit_code;   /* -1 when killed by a signal */
    int signal;      /* the signal that ended it, 0 if none */
    bool timed_out;
    double wall_ms;
    double cpu_ms;   /* user + system of the program and the children it waited for */
};

void hrun(struct hres *r, const struct hopts *o);
void hres_free(struct hres *r);

/* A fresh private directory for one test (created), and a path inside it (a static buffer). */
const char *hdir(void);
const char *hpath(const char *name);

/* Whole file, NUL-terminated, malloc'ed; NULL if it cannot be read. *len gets its size. */
char *read_whole(const char *path, size_t *len);
bool file_exists(const char *path);
int count_lines(const char *s);
int count_lines_with(const char *s, const char *needle);
/* The first line of s containing needle, copied into a static buffer ("" if none). */
const char *line_with(const char *s, const char *needle);
/* The number after "key=" in s, or def. */
double field(const char *s, const char *key, double def);

/* JSON Lines: checks every line of a log file with the strict validator of tests/unit/jsonv.c.
 * Returns the number of valid records; *bad gets the number of invalid lines (torn, partial,
 * not JSON), and *first_bad a copy of the first one. */
long check_jsonl(const char *text, size_t len, long *bad, char *first_bad, size_t cap);

/* "A B" for LD_PRELOAD */
const char *preload_list(const char *a, const char *b);

extern const char *const er_library;
extern const char *const er_probe_plain, *const er_probe_fortified;
extern const char *const hard_helper_plain, *const hard_helper_fortified, *const hard_helper_nosan;
extern const char *const hard_ctor_lib, *const hard_ctor_prog, *const hard_alloc_lib;
extern const char *const hard_srcdir;
extern const bool hard_sanitized;

#endif
