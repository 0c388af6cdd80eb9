/* 'earlyrandom report': the per-program table of saved logs, the boot audit view and the blind
 * spots, from JSON Lines logs, text dumps of the kernel log or journal, and /dev/kmsg (--kmsg). */
#ifndef ER_CLI_REPORT_H
#define ER_CLI_REPORT_H

#include "options.h"

/* Prints the report on stdout. Returns 0, or ER_EXIT_USAGE when a log cannot be read. */
int er_cli_report(const struct er_cli_options *o);

#endif
