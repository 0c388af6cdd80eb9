/* Naming the code that made a trapped system call: the mapping that holds its instruction pointer
 * (/proc/TID/maps), and the function around it where the ELF file keeps a symbol table. */
#ifndef ER_SECCOMP_CALLER_H
#define ER_SECCOMP_CALLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Fills object (the mapped file, "[vdso]" and the like; "" when unknown) and symbol ("" when
 * none contains ip). via_vsyscall: the call came from an i386 program, through the vDSO, and
 * its caller is named instead of the vDSO. */
void er_seccomp_name_caller(pid_t tid, uint64_t ip, bool via_vsyscall, char *object,
                            size_t object_cap, char *symbol, size_t symbol_cap);

/* The symbol of the ELF file at path that contains the address at file offset; "" when none.
 * Exposed for the tests. */
void er_elf_symbol_at(const char *path, uint64_t file_offset, char *symbol, size_t cap);

#endif
