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

#define ARG_LO(n) (offsetof(struct seccomp_data, args) + 8 * (n))
#define ARG_HI(n) (ARG_LO(n) + 4)

#define LOAD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define JEQ(k, t, f) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define RET(k) BPF_STMT(BPF_RET | BPF_K, (k))

int er_seccomp_install(bool set_no_new_privs)
{
    /* Everything not named here is allowed: the engine is a simulator, not a sandbox. */
    struct sock_filter code[] = {
        /* 0 */ LOAD(offsetof(struct seccomp_data, arch)),
        /* 1 */ JEQ(ER_AUDIT_ARCH, 0, 13),
        /* 2 */ LOAD(offsetof(struct seccomp_data, nr)),
        /* 3 */ JEQ(__NR_getrandom, 3, 0),
#ifdef ER_X32_BIT
        /* 4 */ JEQ(ER_X32_BIT | __NR_getrandom, 2, 0),
#else
        /* 4 */ JEQ(__NR_getrandom, 2, 0),
#endif
        /* 5 */ JEQ(__NR_mmap, 6, 0),
        /* 6 */ RET(SECCOMP_RET_ALLOW),
        /* 7: getrandom; the preload's marked calls pass */
        LOAD(ARG_LO(3)),
        /* 8 */ JEQ((unsigned)ER_SECCOMP_MARK, 0, 2),
        /* 9 */ LOAD(ARG_HI(3)),
        /* 10 */ JEQ(0, 4, 0),
        /* 11 */ RET(SECCOMP_RET_USER_NOTIF),
        /* 12: mmap; a refused MAP_DROPPABLE makes the vDSO's users call the kernel */
        LOAD(ARG_LO(3)),
        /* 13 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ER_MAP_TYPE),
        /* 14 */ JEQ(ER_MAP_DROPPABLE, 1, 0),
        /* 15 */ RET(SECCOMP_RET_ALLOW),
        /* 16 */ RET(SECCOMP_RET_ERRNO | ENOMEM),
    };
    /* Jumps are relative to the next instruction: another architecture goes to 15 (allow);
     * getrandom to 7, mmap to 12; an unmarked getrandom to 11 (notify), a marked one to 15. */
    struct sock_fprog prog = { (unsigned short)(sizeof code / sizeof code[0]), code };
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
