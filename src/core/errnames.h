/* An errno value's name ("EAGAIN") where the C library lacks strerrorname_np (glibc < 2.32,
 * Debian 11): the values a request or a test helper can meet; NULL for another, as
 * strerrorname_np gives. Shared by the log formatting and the test helpers. */
#ifndef ER_ERRNAMES_H
#define ER_ERRNAMES_H

#include <errno.h>
#include <stddef.h>

static inline const char *er_errno_table_name(int err)
{
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
}

#endif
