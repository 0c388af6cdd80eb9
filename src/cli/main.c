/* earlyrandom: run a command as if early at boot (see run.c), summarize saved logs ('report'),
 * or mark the simulated pool initialized ('ready'). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "logparse.h"
#include "options.h"
#include "run.h"
#include "summary.h"
#include "tail.h"

struct report_ctx {
    struct er_summary summary;
    const char *name;
    unsigned long line;
    bool oom;
};

static void report_line(char *line, bool too_long, void *ctx)
{
    struct report_ctx *rc = ctx;
    char where[512];
    rc->line++;
    snprintf(where, sizeof where, "%s:%lu", rc->name, rc->line);
    bool ok = too_long ? er_summary_add_parsed(&rc->summary, ER_PARSE_MALFORMED, NULL, where)
                       : er_summary_add_line(&rc->summary, line, where);
    rc->oom = rc->oom || !ok;
}

static void close_all(int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fds[i] > STDERR_FILENO)
            close(fds[i]);
}

/* Opens every log before reading any, so that a typo fails at once and prints no partial table. */
static bool open_logs(char *const *logs, int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fds[i] = strcmp(logs[i], "-") == 0 ? STDIN_FILENO : open(logs[i], O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0) {
            fprintf(stderr, "earlyrandom: report: cannot open '%s': %s\n", logs[i], strerror(errno));
            close_all(fds, i);
            return false;
        }
    }
    return true;
}

static int report(const struct er_cli_options *o)
{
    size_t n = 0;
    while (o->logs[n] != NULL)
        n++;
    int *fds = calloc(n, sizeof *fds);
    if (fds == NULL || !open_logs(o->logs, fds, n)) {
        free(fds);
        return ER_EXIT_USAGE;
    }
    struct report_ctx rc = { .oom = false };
    er_summary_init(&rc.summary);
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        rc.name = strcmp(o->logs[i], "-") == 0 ? "stdin" : o->logs[i];
        rc.line = 0;
        if (!er_read_lines(fds[i], report_line, &rc)) {
            fprintf(stderr, "earlyrandom: report: cannot read '%s': %s\n", rc.name, strerror(errno));
            status = ER_EXIT_USAGE;
        }
    }
    close_all(fds, n);
    free(fds);
    if (rc.oom) {
        fputs("earlyrandom: report: out of memory\n", stderr);
        status = ER_EXIT_USAGE;
    } else if (status == 0) {
        (o->json ? er_summary_print_json : er_summary_print_table)(&rc.summary, stdout);
    }
    er_summary_free(&rc.summary);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "earlyrandom: report: write error: %s\n", strerror(errno));
        status = ER_EXIT_USAGE;
    }
    return status;
}

/* Creates the ready file: open with O_CREAT is atomic, and an existing file is left untouched. */
static int ready(const struct er_cli_options *o)
{
    const char *path = o->ready_path ? o->ready_path : getenv(ER_ENV_READY_FILE);
    if (path == NULL || path[0] == '\0') {
        fputs("earlyrandom: ready: no PATH given and " ER_ENV_READY_FILE " is not set\n", stderr);
        return ER_EXIT_USAGE;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
    if (fd < 0) {
        fprintf(stderr, "earlyrandom: ready: cannot create '%s': %s\n", path, strerror(errno));
        return ER_EXIT_USAGE;
    }
    close(fd);
    return 0;
}

static int help(const struct er_cli_options *o)
{
    const char *text = strcmp(o->help_topic, "report") == 0  ? er_cli_usage_report
                       : strcmp(o->help_topic, "ready") == 0 ? er_cli_usage_ready
                                                             : er_cli_usage_run;
    fputs(text, stdout);
    return fflush(stdout) == 0 ? 0 : ER_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    struct er_cli_options o;
    char err[512];
    if (er_cli_parse(argc, argv, &o, err, sizeof err) != 0) {
        fprintf(stderr, "earlyrandom: %s\nTry 'earlyrandom --help' for more information.\n", err);
        return ER_EXIT_USAGE;
    }
    switch (o.mode) {
    case ER_MODE_HELP:
        return help(&o);
    case ER_MODE_VERSION:
        printf("earlyrandom %s\n", PACKAGE_VERSION);
        return fflush(stdout) == 0 ? 0 : ER_EXIT_USAGE;
    case ER_MODE_REPORT:
        return report(&o);
    case ER_MODE_READY:
        return ready(&o);
    case ER_MODE_RUN:
        break;
    }
    return er_cli_run(&o);
}
