/* The report printed when --fail-on-hang gives its verdict: who waited, in what, for how long,
 * called from where, and the backtrace. Pure formatting. */
#ifndef ER_CLI_HANG_H
#define ER_CLI_HANG_H

#include <stddef.h>

#include "logrec.h"

/* Writes the report, lines prefixed "earlyrandom: ", into buf (always NUL-terminated; shortened
 * if cap is too small). Returns the length. */
size_t er_format_hang_report(const struct er_record *r, char *buf, size_t cap);

#endif
