/* An errno value's name ("EAGAIN"), as glibc's strerrorname_np gives it from 2.32 on. The test
 * helpers print names, not numbers; glibc 2.31 (Debian 11) lacks the function, and there the
 * helpers name the values themselves (NULL for one they do not know, as strerrorname_np does). */
#ifndef ER_TEST_ERRNAME_H
#define ER_TEST_ERRNAME_H

#include <errno.h>
#include <string.h>

#include "../../src/core/errnames.h"

static inline const char *er_test_errname(int err)
{
#ifdef HAVE_STRERRORNAME_NP
    return strerrorname_np(err);
#else
    return er_errno_table_name(err);
#endif
}

#endif
