#include "filter.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "compat.h"

#if defined(__x86_64__)
#define ER_AUDIT_ARCH AUDIT_ARCH_X86_64
#define ER_X32_BIT 0x40000000u
#elif defined(__aarch64__)
#define ER_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "the syscall engine knows x86_64 and aarch64 only (see src/seccomp/filter.c)"
#endif

/* mmap's flags: MAP_DROPPABLE is a mapping type of its own (Linux 6.11), in the type bits. */
#define ER_MAP_TYPE 0x0fu
#define ER_MAP_DROPPABLE 0x08u

#ifndef __NR_openat2
#define __NR_openat2 437
#endif
#ifdef __NR_open
#define ER_NR_OPEN __NR_open
#else
#define ER_NR_OPEN __NR_openat /* aarch64 has no open: the check is made twice */
#endif

/* Shared libraries are mapped at the top of the address space, programs (PIE or not) well below
 * it: a system call whose instruction pointer lies below this came from the program's own code (a
 * static program, Go), not from the C library, whose opens the preload sees. The upper half of the
 * address, as the filter reads it. A layout that breaks the rule (ulimit -s unlimited maps
 * libraries low) only sends more opens to the supervisor, which looks again. */
#if defined(__x86_64__)
#define ER_LIBRARY_REGION_HI 0x7000u /* 0x7000'0000'0000; libraries sit near 0x7fxx'xxxx'xxxx */
#else
#define ER_LIBRARY_REGION_HI 0xc000u /* 48-bit arm64: libraries near 0xffff..., PIE at 0xaaaa... */
#endif

#define ARG_LO(n) (offsetof(struct seccomp_data, args) + 8 * (n))
#define ARG_HI(n) (ARG_LO(n) + 4)
#define IP_HI (offsetof(struct seccomp_data, instruction_pointer) + 4)

/* Instructions at named positions; a jump names its targets, which must come later (BPF only
 * jumps forward). */
#define LOAD_AT(at, off) [at] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define JUMP_AT(at, op, k, t, f) \
    [at] = BPF_JUMP(BPF_JMP | (op) | BPF_K, (k), (t) - (at) - 1, (f) - (at) - 1)
#define JEQ_AT(at, k, t, f) JUMP_AT(at, BPF_JEQ, k, t, f)
#define RET_AT(at, k) [at] = BPF_STMT(BPF_RET | BPF_K, (k))

enum {
    AT_ARCH, AT_IS_ARCH, AT_NR, AT_IS_GETRANDOM, AT_IS_GETRANDOM_X32, AT_IS_MMAP, AT_IS_OPENAT,
    AT_IS_OPENAT2, AT_IS_OPEN,
    AT_IS_COMPAT_ARCH, AT_COMPAT_NR, AT_IS_COMPAT_GETRANDOM, AT_IS_COMPAT_OPEN,
    AT_IS_COMPAT_OPENAT, AT_IS_COMPAT_OPENAT2,
    AT_GETRANDOM, AT_IS_MARK_LO, AT_MARK_HI, AT_IS_MARK_HI,
    AT_MMAP, AT_MMAP_TYPE, AT_IS_DROPPABLE,
    AT_OPEN, AT_IS_LIBRARY,
    AT_NOTIFY, AT_REFUSE, AT_ALLOW, FILTER_LENGTH
};

int er_seccomp_install(bool set_no_new_privs, bool every_open)
{
#ifdef ER_X32_BIT
    const unsigned x32_getrandom = ER_X32_BIT | __NR_getrandom;
#else
    const unsigned x32_getrandom = __NR_getrandom;
#endif
    /* Everything not named here is allowed: the engine is a simulator, not a sandbox. */
    struct sock_filter code[FILTER_LENGTH] = {
        LOAD_AT(AT_ARCH, offsetof(struct seccomp_data, arch)),
        JEQ_AT(AT_IS_ARCH, ER_AUDIT_ARCH, AT_NR, AT_IS_COMPAT_ARCH),
        LOAD_AT(AT_NR, offsetof(struct seccomp_data, nr)),
        JEQ_AT(AT_IS_GETRANDOM, __NR_getrandom, AT_GETRANDOM, AT_IS_GETRANDOM_X32),
        JEQ_AT(AT_IS_GETRANDOM_X32, x32_getrandom, AT_GETRANDOM, AT_IS_MMAP),
        JEQ_AT(AT_IS_MMAP, __NR_mmap, AT_MMAP, AT_IS_OPENAT),
        JEQ_AT(AT_IS_OPENAT, __NR_openat, AT_OPEN, AT_IS_OPENAT2),
        JEQ_AT(AT_IS_OPENAT2, __NR_openat2, AT_OPEN, AT_IS_OPEN),
        JEQ_AT(AT_IS_OPEN, ER_NR_OPEN, AT_OPEN, AT_ALLOW),
        /* A 32-bit process never has the (64-bit) preload loaded: its getrandom and opens are
         * all the supervisor's, whichever code made them. */
        JEQ_AT(AT_IS_COMPAT_ARCH, ER_COMPAT_ARCH, AT_COMPAT_NR, AT_ALLOW),
        LOAD_AT(AT_COMPAT_NR, offsetof(struct seccomp_data, nr)),
        JEQ_AT(AT_IS_COMPAT_GETRANDOM, ER_COMPAT_NR_GETRANDOM, AT_NOTIFY, AT_IS_COMPAT_OPEN),
        JEQ_AT(AT_IS_COMPAT_OPEN, ER_COMPAT_NR_OPEN, AT_NOTIFY, AT_IS_COMPAT_OPENAT),
        JEQ_AT(AT_IS_COMPAT_OPENAT, ER_COMPAT_NR_OPENAT, AT_NOTIFY, AT_IS_COMPAT_OPENAT2),
        JEQ_AT(AT_IS_COMPAT_OPENAT2, ER_COMPAT_NR_OPENAT2, AT_NOTIFY, AT_ALLOW),
        /* getrandom: the preload's marked calls pass */
        LOAD_AT(AT_GETRANDOM, ARG_LO(3)),
        JEQ_AT(AT_IS_MARK_LO, (unsigned)ER_SECCOMP_MARK, AT_MARK_HI, AT_NOTIFY),
        LOAD_AT(AT_MARK_HI, ARG_HI(3)),
        JEQ_AT(AT_IS_MARK_HI, 0, AT_ALLOW, AT_NOTIFY),
        /* mmap: a refused MAP_DROPPABLE makes the vDSO's users call the kernel */
        LOAD_AT(AT_MMAP, ARG_LO(3)),
        [AT_MMAP_TYPE] = BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ER_MAP_TYPE),
        JEQ_AT(AT_IS_DROPPABLE, ER_MAP_DROPPABLE, AT_REFUSE, AT_ALLOW),
        /* opens: those from the program's own code, or all of them when no preload sees any */
        LOAD_AT(AT_OPEN, IP_HI),
        JUMP_AT(AT_IS_LIBRARY, BPF_JGE, every_open ? 0xffffffffu : ER_LIBRARY_REGION_HI, AT_ALLOW,
                AT_NOTIFY),
        RET_AT(AT_NOTIFY, SECCOMP_RET_USER_NOTIF),
        RET_AT(AT_REFUSE, SECCOMP_RET_ERRNO | ENOMEM),
        RET_AT(AT_ALLOW, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { FILTER_LENGTH, code };
    if (set_no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -errno;
    long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    return fd < 0 ? -errno : (int)fd;
}

int er_seccomp_send_listener(int sock, int fd, int status)
{
    int err = status;
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof control);
    struct iovec iov = { &err, sizeof err };
    struct msghdr msg = { 0 };
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (fd >= 0) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ssize_t n;
    while ((n = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        continue;
    return n == (ssize_t)sizeof err ? 0 : -(n < 0 ? errno : EIO);
}

int er_seccomp_recv_listener(int sock, int *status)
{
    int err = 0;
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof control);
    struct iovec iov = { &err, sizeof err };
    struct msghdr msg = { 0 };
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        continue;
    if (n < 0)
        return -errno;
    if (n != (ssize_t)sizeof err) /* the child died before it could say */
        return -EPIPE;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c != NULL && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        int fd;
        memcpy(&fd, CMSG_DATA(c), sizeof fd);
        *status = err;
        return fd;
    }
    return -(err > 0 ? err : EPROTO);
}

bool er_seccomp_probe(const char **why)
{
    struct seccomp_notif_sizes sizes;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) {
        *why = errno == ENOSYS ? "this kernel has no seccomp(2), or a sandbox forbids it"
               : errno == EINVAL ? "this kernel has no seccomp user notification (Linux 5.0)"
                                 : "seccomp(2) is refused here";
        return false;
    }
    unsigned int action = SECCOMP_RET_USER_NOTIF;
    if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0) {
        *why = "this kernel cannot notify a listener (SECCOMP_RET_USER_NOTIF, Linux 5.0)";
        return false;
    }
    /* A kernel that knows SECCOMP_FILTER_FLAG_TSYNC_ESRCH (5.7) has CONTINUE (5.5): unknown flags
     * are refused (EINVAL) before the missing filter is read (EFAULT). */
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC_ESRCH |
                SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC, NULL) == 0 ||
        errno != EFAULT) {
        *why = "this kernel is older than Linux 5.7 (no SECCOMP_USER_NOTIF_FLAG_CONTINUE)";
        return false;
    }
    return true;
}
