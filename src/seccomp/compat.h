/* The 32-bit programs an x86_64 kernel runs under IA32 emulation (i386): their system calls come
 * with their own audit architecture and numbers, and with arguments that are 32-bit values
 * (pointers included), so the filter and the supervisor must tell them from native calls. */
#ifndef ER_SECCOMP_COMPAT_H
#define ER_SECCOMP_COMPAT_H

#include <linux/audit.h>
#include <stdbool.h>
#include <stdint.h>

#if defined(__x86_64__)
#define ER_COMPAT_ARCH AUDIT_ARCH_I386
#define ER_COMPAT_NR_GETRANDOM 355u
#define ER_COMPAT_NR_OPEN 5u
#define ER_COMPAT_NR_OPENAT 295u
#define ER_COMPAT_NR_OPENAT2 437u
#else
/* No task has architecture 0: the filter's compat branch never matches (arm programs on arm64
 * are not handled yet, see earlyrandom(1)). */
#define ER_COMPAT_ARCH 0u
#define ER_COMPAT_NR_GETRANDOM 0xffffffffu
#define ER_COMPAT_NR_OPEN 0xffffffffu
#define ER_COMPAT_NR_OPENAT 0xffffffffu
#define ER_COMPAT_NR_OPENAT2 0xffffffffu
#endif

/* Whether a notification's call came from a 32-bit process. */
static inline bool er_seccomp_is_compat(uint32_t arch)
{
    return ER_COMPAT_ARCH != 0 && arch == ER_COMPAT_ARCH;
}

/* An argument as the call's ABI reads it: a 32-bit process's are 32 bits wide, whatever the
 * upper half of the register held. */
static inline uint64_t er_seccomp_arg(uint32_t arch, uint64_t value)
{
    return er_seccomp_is_compat(arch) ? (uint32_t)value : value;
}

#endif
