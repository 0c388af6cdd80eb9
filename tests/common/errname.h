/* An errno value's name ("EAGAIN"), as glibc's strerrorname_np gives it from 2.32 on. The test
 * helpers print names, not numbers; glibc 2.31 (Debian 11) lacks the function, and there the
 * helpers name the values themselves (NULL for one they do not know, as strerrorname_np does). */
#ifndef ER_TEST_ERRNAME_H
#define ER_TEST_ERRNAME_H

#include <errno.h>
#include <string.h>

static inline const char *er_test_errname(int err)
{
#ifdef HAVE_STRERRORNAME_NP
    return strerrorname_np(err);
#else
#define ER_ERRNAME(e) \
    case e: \
        return #e;
    switch (err) {
        ER_ERRNAME(EPERM) ER_ERRNAME(ENOENT) ER_ERRNAME(ESRCH) ER_ERRNAME(EINTR) ER_ERRNAME(EIO)
        ER_ERRNAME(ENXIO) ER_ERRNAME(E2BIG) ER_ERRNAME(ENOEXEC) ER_ERRNAME(EBADF) ER_ERRNAME(ECHILD)
        ER_ERRNAME(EAGAIN) ER_ERRNAME(ENOMEM) ER_ERRNAME(EACCES) ER_ERRNAME(EFAULT) ER_ERRNAME(EBUSY)
        ER_ERRNAME(EEXIST) ER_ERRNAME(ENODEV) ER_ERRNAME(ENOTDIR) ER_ERRNAME(EISDIR) ER_ERRNAME(EINVAL)
        ER_ERRNAME(ENFILE) ER_ERRNAME(EMFILE) ER_ERRNAME(ENOTTY) ER_ERRNAME(EFBIG) ER_ERRNAME(ENOSPC)
        ER_ERRNAME(ESPIPE) ER_ERRNAME(EROFS) ER_ERRNAME(EPIPE) ER_ERRNAME(EDOM) ER_ERRNAME(ERANGE)
        ER_ERRNAME(EDEADLK) ER_ERRNAME(ENAMETOOLONG) ER_ERRNAME(ENOSYS) ER_ERRNAME(ENOTEMPTY)
        ER_ERRNAME(ELOOP) ER_ERRNAME(ENODATA) ER_ERRNAME(EOVERFLOW) ER_ERRNAME(ENOTSUP)
        ER_ERRNAME(ETIMEDOUT) ER_ERRNAME(ECANCELED) ER_ERRNAME(EOWNERDEAD)
    default:
        return NULL;
    }
#undef ER_ERRNAME
#endif
}

#endif
