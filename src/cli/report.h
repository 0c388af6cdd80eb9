/* 'earlyrandom report': the per-program table of saved logs, the boot audit view and the blind
 * spots, from JSON Lines logs, text dumps of the kernel log or journal, and /dev/kmsg (--kmsg);
 * with --svg and --html, the same records drawn on a timeline (timeline.h). */
#ifndef ER_CLI_REPORT_H
#define ER_CLI_REPORT_H

#include "options.h"

/* Prints the report on stdout and writes the picture files. Returns 0, or ER_EXIT_USAGE when a
 * log cannot be read or a picture cannot be written. */
int er_cli_report(const struct er_cli_options *o);

#endif
