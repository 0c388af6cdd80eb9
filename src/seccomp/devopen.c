#include "devopen.h"

#include <fcntl.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>

#include "compat.h"

#ifndef __NR_openat2
#define __NR_openat2 437
#endif

bool er_seccomp_is_open(const struct seccomp_data *call)
{
    unsigned nr = (unsigned)call->nr;
    if (er_seccomp_is_compat(call->arch))
        return nr == ER_COMPAT_NR_OPEN || nr == ER_COMPAT_NR_OPENAT || nr == ER_COMPAT_NR_OPENAT2;
#ifdef __NR_open
    if (nr == __NR_open)
        return true;
#endif
    return nr == __NR_openat || nr == __NR_openat2;
}

/* Copies the caller's string at address into out, page by page: a path that ends just before an
 * unmapped page must still be read. False when it cannot be read whole. */
static bool read_string(pid_t tid, uint64_t address, char *out, size_t cap)
{
    size_t done = 0;
    while (done < cap) {
        uint64_t at = address + done;
        size_t to_page_end = 4096 - (size_t)(at & 4095);
        size_t n = cap - done < to_page_end ? cap - done : to_page_end;
        struct iovec local = { out + done, n };
        struct iovec remote = { (void *)(uintptr_t)at, n };
        ssize_t got = process_vm_readv(tid, &local, 1, &remote, 1, 0);
        if (got <= 0)
            return false;
        if (memchr(out + done, '\0', (size_t)got) != NULL)
            return true;
        done += (size_t)got;
    }
    return false; /* longer than PATH_MAX: the kernel refuses it too */
}

static const char *native_open_api(int nr)
{
#ifdef __NR_open
    if (nr == __NR_open)
        return "SYS_open";
#endif
    return nr == __NR_openat ? "SYS_openat" : "SYS_openat2";
}

const char *er_seccomp_open_api(const struct seccomp_data *call)
{
    if (!er_seccomp_is_compat(call->arch))
        return native_open_api(call->nr);
    unsigned nr = (unsigned)call->nr;
    return nr == ER_COMPAT_NR_OPEN ? "SYS_open" : nr == ER_COMPAT_NR_OPENAT ? "SYS_openat" : "SYS_openat2";
}

const char *er_seccomp_opened_device(pid_t tid, const struct seccomp_data *call, int *open_flags)
{
    /* Told apart by name, so that one path reads the arguments of either ABI. */
    const char *api = er_seccomp_open_api(call);
    uint64_t args[6];
    for (int i = 0; i < 6; i++)
        args[i] = er_seccomp_arg(call->arch, call->args[i]);
    int dirfd = AT_FDCWD;
    uint64_t path_at;
    *open_flags = 0;
    if (strcmp(api, "SYS_open") == 0) {
        path_at = args[0];
        *open_flags = (int)args[1];
    } else {
        dirfd = (int)args[0];
        path_at = args[1];
        if (strcmp(api, "SYS_openat2") == 0) {
            uint64_t how_flags = 0; /* struct open_how begins with its flags */
            struct iovec local = { &how_flags, sizeof how_flags };
            struct iovec remote = { (void *)(uintptr_t)args[2], sizeof how_flags };
            if (args[3] < sizeof how_flags ||
                process_vm_readv(tid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof how_flags)
                return NULL;
            *open_flags = (int)how_flags;
        } else {
            *open_flags = (int)args[2];
        }
    }
    char path[PATH_MAX];
    if (!read_string(tid, path_at, path, sizeof path) || path[0] == '\0')
        return NULL;
    /* The file as the caller finds it, whatever its root (a chroot) and working directory. */
    char where[PATH_MAX + 64];
    int n;
    if (path[0] == '/')
        n = snprintf(where, sizeof where, "/proc/%d/root%s", (int)tid, path);
    else if (dirfd == AT_FDCWD)
        n = snprintf(where, sizeof where, "/proc/%d/cwd/%s", (int)tid, path);
    else
        n = snprintf(where, sizeof where, "/proc/%d/fd/%d/%s", (int)tid, dirfd, path);
    if (n < 0 || (size_t)n >= sizeof where)
        return NULL;
    struct stat st;
    int looked = (*open_flags & O_NOFOLLOW) ? lstat(where, &st) : stat(where, &st);
    if (looked != 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 1)
        return NULL;
    return minor(st.st_rdev) == 8 ? "/dev/random" : minor(st.st_rdev) == 9 ? "/dev/urandom" : NULL;
}
