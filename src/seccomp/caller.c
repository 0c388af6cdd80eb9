#include "caller.h"

#include <elf.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define ELF_CLASS_BITS 64
#include "caller-elfclass.h"
#undef ELF_CLASS_BITS
#define ELF_CLASS_BITS 32
#include "caller-elfclass.h"
#undef ELF_CLASS_BITS

void er_elf_symbol_at(const char *path, uint64_t file_offset, char *symbol, size_t cap)
{
    symbol[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    struct stat st;
    if (fd < 0)
        return;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size < sizeof(Elf64_Ehdr)) {
        close(fd);
        return;
    }
    size_t size = (size_t)st.st_size;
    unsigned char *img = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (img == MAP_FAILED)
        return;
    uint64_t vaddr;
    if (memcmp(img, ELFMAG, SELFMAG) == 0 && img[EI_CLASS] == ELFCLASS64) {
        if (offset_to_vaddr_64(img, size, file_offset, &vaddr))
            find_symbol_64(img, size, vaddr, symbol, cap);
    } else if (memcmp(img, ELFMAG, SELFMAG) == 0 && img[EI_CLASS] == ELFCLASS32) {
        /* An i386 program's own file or its 32-bit C library. */
        if (offset_to_vaddr_32(img, size, file_offset, &vaddr))
            find_symbol_32(img, size, vaddr, symbol, cap);
    }
    munmap(img, size);
}

/* The mapping of /proc/TID/maps that holds address: its name into object, its symbol into
 * symbol. Returns false when no mapping holds it. */
static bool name_mapping(FILE *maps, uint64_t at, char *object, size_t object_cap, char *symbol,
                         size_t symbol_cap)
{
    char line[4096 + 256];
    rewind(maps);
    while (fgets(line, sizeof line, maps) != NULL) {
        uint64_t start, end, pgoff;
        int name_at = 0;
        if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64 " %*s %*s %n", &start, &end,
                   &pgoff, &name_at) < 3 || at < start || at >= end)
            continue;
        char *name = line + name_at;
        name[strcspn(name, "\n")] = '\0';
        snprintf(object, object_cap, "%s", name[0] ? name : "[anonymous]");
        if (name[0] == '/')
            er_elf_symbol_at(name, at - start + pgoff, symbol, symbol_cap);
        return true;
    }
    return false;
}

/* An i386 program enters the kernel through the vDSO's __kernel_vsyscall, which pushes ecx, edx
 * and ebp first: the code that called it is at the return address above them. The stack pointer
 * is the one /proc/TID/syscall shows for the thread held in its call. 0 when unknown. */
static uint64_t vsyscall_return_address(pid_t tid)
{
    char path[64], text[512];
    snprintf(path, sizeof path, "/proc/%d/syscall", (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return 0;
    ssize_t len = read(fd, text, sizeof text - 1);
    close(fd);
    if (len <= 0)
        return 0;
    text[len] = '\0';
    uint64_t sp = 0;
    if (sscanf(text, "%*d %*x %*x %*x %*x %*x %*x %" SCNx64, &sp) != 1 || sp == 0)
        return 0;
    uint32_t ret = 0;
    struct iovec local = { &ret, sizeof ret }, remote = { (void *)(uintptr_t)(sp + 12), sizeof ret };
    if (process_vm_readv(tid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof ret)
        return 0;
    return ret;
}

void er_seccomp_name_caller(pid_t tid, uint64_t ip, bool via_vsyscall, char *object,
                            size_t object_cap, char *symbol, size_t symbol_cap)
{
    object[0] = symbol[0] = '\0';
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)tid);
    FILE *maps = fopen(path, "re");
    if (maps == NULL)
        return;
    /* The instruction pointer is just after the syscall instruction, inside the same mapping. */
    uint64_t at = ip > 0 ? ip - 1 : ip;
    if (name_mapping(maps, at, object, object_cap, symbol, symbol_cap) && via_vsyscall &&
        strcmp(object, "[vdso]") == 0) {
        uint64_t ret = vsyscall_return_address(tid);
        char caller_object[4096], caller_symbol[512] = "";
        if (ret != 0 && name_mapping(maps, ret - 1, caller_object, sizeof caller_object,
                                     caller_symbol, sizeof caller_symbol)) {
            snprintf(object, object_cap, "%s", caller_object);
            snprintf(symbol, symbol_cap, "%s", caller_symbol);
        }
    }
    fclose(maps);
}
