/* What the hardening tests run (the library, the helpers, two small shared objects) and their
 * checks of a whole log; programs are run through tests/common/testspawn.h. */
#ifndef ER_HARDENING_H
#define ER_HARDENING_H

#include <stdbool.h>
#include <stddef.h>

#include "testspawn.h"

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
