/* Running a command under the library: environment, the log it writes, supervision of its whole
 * process tree, the hang verdict, the summary. */
#ifndef ER_CLI_RUN_H
#define ER_CLI_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

/* Runs o->command and returns earlyrandom's exit status. */
int er_cli_run(const struct er_cli_options *o);

/* Finds libearlyrandom.so: $EARLYRANDOM_LIBRARY, the build tree next to this executable, the
 * installed pkglibdir. Returns false with a message in err. */
bool er_find_library(char *out, size_t cap, char *err, size_t errlen);

#endif
