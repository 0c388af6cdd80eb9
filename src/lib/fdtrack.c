#include "fdtrack.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* Descriptors below this are cached (256 KiB of zero pages until used); higher ones are looked at
 * with fstat every time, which only costs something before init. */
#define TABLE_SIZE 65536

/* Each entry is a kind in its low two bits and, above them, a count of the stores made to it: a
 * look with fstat records what it saw only if nothing was stored in between, so that a thread
 * that saw the old file cannot overwrite what a close or an open in another thread stored since
 * (the count would have to wrap, 2^30 stores, while one thread is between its fstat and its
 * store). */
static uint32_t table[TABLE_SIZE];

#define KIND_MASK 3u
#define STORE_STEP 4u

static bool in_table(int fd) { return fd >= 0 && fd < TABLE_SIZE; }

/* The entry after one more store, of kind k. */
static uint32_t stored(uint32_t entry, enum er_fd_kind k)
{
    return ((entry & ~KIND_MASK) + STORE_STEP) | (uint32_t)k;
}

static void store_kind(int fd, enum er_fd_kind k)
{
    uint32_t old = __atomic_load_n(&table[fd], __ATOMIC_RELAXED), new;
    do
        new = stored(old, k);
    while (!__atomic_compare_exchange_n(&table[fd], &old, new, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

static enum er_fd_kind look(int fd)
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
    return k;
}

enum er_fd_kind er_fd_probe(int fd)
{
    enum er_fd_kind k = look(fd);
    if (in_table(fd))
        store_kind(fd, k);
    return k;
}

enum er_fd_kind er_fd_kind(int fd)
{
    if (!in_table(fd))
        return look(fd);
    uint32_t seen = __atomic_load_n(&table[fd], __ATOMIC_ACQUIRE);
    if ((seen & KIND_MASK) == ER_FD_OTHER)
        return ER_FD_OTHER;
    /* Unknown, or a device that may since have been replaced: look at the descriptor itself. */
    enum er_fd_kind k = look(fd);
    __atomic_compare_exchange_n(&table[fd], &seen, stored(seen, k), false, __ATOMIC_RELAXED,
                                __ATOMIC_RELAXED);
    return k;
}

void er_fd_forget(int fd)
{
    if (in_table(fd))
        store_kind(fd, ER_FD_UNKNOWN);
}

void er_fd_forget_range(unsigned int first, unsigned int last)
{
    /* closefrom(3) spans the whole table: entries never stored to are left alone. */
    for (unsigned int fd = first; fd <= last && fd < TABLE_SIZE; fd++)
        if (__atomic_load_n(&table[fd], __ATOMIC_RELAXED) != 0)
            store_kind((int)fd, ER_FD_UNKNOWN);
}

const char *er_fd_device_name(enum er_fd_kind k)
{
    return k == ER_FD_RANDOM ? "/dev/random" : k == ER_FD_URANDOM ? "/dev/urandom" : NULL;
}
