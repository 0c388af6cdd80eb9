#include "fdtrack.h"

#include <errno.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* Descriptors below this are cached (64 KiB of zero pages until used); higher ones are looked at
 * with fstat every time, which only costs something before init. */
#define TABLE_SIZE 65536

static unsigned char table[TABLE_SIZE];

static bool in_table(int fd) { return fd >= 0 && fd < TABLE_SIZE; }

static void set_kind(int fd, enum er_fd_kind k)
{
    if (in_table(fd))
        __atomic_store_n(&table[fd], (unsigned char)k, __ATOMIC_RELAXED);
}

enum er_fd_kind er_fd_probe(int fd)
{
    int saved = errno;
    struct stat st;
    enum er_fd_kind k = ER_FD_OTHER;
    if (fd < 0 || fstat(fd, &st) != 0)
        k = ER_FD_UNKNOWN; /* not open: nothing to remember */
    else if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 8)
        k = ER_FD_RANDOM;
    else if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 9)
        k = ER_FD_URANDOM;
    errno = saved;
    set_kind(fd, k);
    return k;
}

enum er_fd_kind er_fd_kind(int fd)
{
    if (in_table(fd) && __atomic_load_n(&table[fd], __ATOMIC_RELAXED) == ER_FD_OTHER)
        return ER_FD_OTHER;
    /* Unknown, or a device that may since have been replaced: look at the descriptor itself. */
    return er_fd_probe(fd);
}

void er_fd_forget(int fd)
{
    set_kind(fd, ER_FD_UNKNOWN);
}

void er_fd_forget_range(unsigned int first, unsigned int last)
{
    for (unsigned int fd = first; fd <= last && fd < TABLE_SIZE; fd++)
        __atomic_store_n(&table[fd], (unsigned char)ER_FD_UNKNOWN, __ATOMIC_RELAXED);
}

const char *er_fd_device_name(enum er_fd_kind k)
{
    return k == ER_FD_RANDOM ? "/dev/random" : k == ER_FD_URANDOM ? "/dev/urandom" : NULL;
}
