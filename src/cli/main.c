/* earlyrandom: run a command as if early at boot (see run.c), summarize saved logs ('report'),
 * mark the simulated pool initialized ('ready'), or audit a real boot ('audit'). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "config.h"
#include "options.h"
#include "report.h"
#include "run.h"

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
                       : strcmp(o->help_topic, "audit") == 0 ? er_cli_usage_audit
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
        return er_cli_report(&o);
    case ER_MODE_READY:
        return ready(&o);
    case ER_MODE_AUDIT:
        return er_cli_audit(&o);
    case ER_MODE_RUN:
        break;
    }
    return er_cli_run(&o);
}
