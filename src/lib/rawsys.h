/* A raw system call for the moments when no libc function may be used: before the constructor has
 * run (another library's constructor, an allocator preloaded after us asking for entropy) the
 * next getrandom is not known yet, and our own syscall() is a hook. */
#ifndef ER_RAWSYS_H
#define ER_RAWSYS_H

#include <stdbool.h>
#include <sys/syscall.h>

static inline long er_raw_syscall3(long number, long a1, long a2, long a3)
{
    long ret;
#if defined(__x86_64__)
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(number), "D"(a1), "S"(a2), "d"(a3)
                     : "rcx", "r11", "memory");
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = number;
    register long x0 __asm__("x0") = a1;
    register long x1 __asm__("x1") = a2;
    register long x2 __asm__("x2") = a3;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    ret = x0;
#else
#error "earlyrandom needs a raw system call sequence for this architecture (see rawsys.h)"
#endif
    return ret;
}

static inline long er_raw_syscall6(long number, long a1, long a2, long a3, long a4, long a5, long a6)
{
    long ret;
#if defined(__x86_64__)
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(number), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = number;
    register long x0 __asm__("x0") = a1;
    register long x1 __asm__("x1") = a2;
    register long x2 __asm__("x2") = a3;
    register long x3 __asm__("x3") = a4;
    register long x4 __asm__("x4") = a5;
    register long x5 __asm__("x5") = a6;
    __asm__ volatile("svc 0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory");
    ret = x0;
#endif
    return ret;
}

/* One turn of waiting for another thread to finish something it holds: usually microseconds, so
 * the first turns only yield; after them the waiting side sleeps a millisecond between looks
 * rather than keep a CPU busy (the other thread may itself wait: for journald's queue, or inside
 * the program's close). */
static inline void er_wait_a_turn(unsigned *turns)
{
    if (++*turns < 64) {
        er_raw_syscall3(SYS_sched_yield, 0, 0, 0);
        return;
    }
    struct {
        long tv_sec, tv_nsec;
    } pause = { 0, 1000 * 1000 };
    er_raw_syscall6(SYS_nanosleep, (long)&pause, 0, 0, 0, 0, 0);
}

/* Carried in the fourth argument of the library's own getrandom system calls, which the kernel
 * ignores: the earlyrandom command's seccomp filter lets marked calls through in the kernel, so a
 * request the library already answered is not trapped a second time (src/seccomp/filter.h). */
#define ER_SYSCALL_MARK 0x45524e44L /* "ERND" */

/* True when the command's seccomp filter is installed (EARLYRANDOM_FILTERED=1): the hooks then
 * make their getrandom system calls themselves, marked, instead of through the C library. */
extern bool er_filtered __attribute__((visibility("hidden")));

/* getrandom(2) without libc, marked: returns the count, or -errno. */
static inline long er_raw_getrandom(void *buf, unsigned long len, unsigned int flags)
{
    return er_raw_syscall6(SYS_getrandom, (long)buf, (long)len, (long)flags, ER_SYSCALL_MARK, 0, 0);
}

#endif
