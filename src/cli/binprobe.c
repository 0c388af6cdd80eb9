#include "binprobe.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

/* The parts of an ELF header the probe needs, whatever the class. */
struct elf_info {
    bool is64;
    uint16_t type, phnum, phentsize, shnum, shentsize, shstrndx;
    uint64_t phoff, shoff;
};

static bool read_at(int fd, void *buf, size_t len, uint64_t off)
{
    return off <= (uint64_t)INT64_MAX && pread(fd, buf, len, (off_t)off) == (ssize_t)len;
}

static bool read_elf_header(int fd, struct elf_info *e)
{
    Elf64_Ehdr h64;
    Elf32_Ehdr h32;
    unsigned char ident[EI_NIDENT];
    if (!read_at(fd, ident, sizeof ident, 0) || memcmp(ident, ELFMAG, SELFMAG) != 0)
        return false;
    e->is64 = ident[EI_CLASS] == ELFCLASS64;
    if (e->is64 && read_at(fd, &h64, sizeof h64, 0)) {
        *e = (struct elf_info){ true, h64.e_type, h64.e_phnum, h64.e_phentsize, h64.e_shnum,
                                h64.e_shentsize, h64.e_shstrndx, h64.e_phoff, h64.e_shoff };
        return true;
    }
    if (ident[EI_CLASS] == ELFCLASS32 && read_at(fd, &h32, sizeof h32, 0)) {
        *e = (struct elf_info){ false, h32.e_type, h32.e_phnum, h32.e_phentsize, h32.e_shnum,
                                h32.e_shentsize, h32.e_shstrndx, h32.e_phoff, h32.e_shoff };
        return true;
    }
    return false;
}

struct segment {
    uint32_t type;
    uint64_t offset, filesz;
};

static bool read_segment(int fd, const struct elf_info *e, unsigned i, struct segment *s)
{
    uint64_t off = e->phoff + (uint64_t)i * e->phentsize;
    if (e->is64) {
        Elf64_Phdr p;
        if (e->phentsize < sizeof p || !read_at(fd, &p, sizeof p, off))
            return false;
        *s = (struct segment){ p.p_type, p.p_offset, p.p_filesz };
    } else {
        Elf32_Phdr p;
        if (e->phentsize < sizeof p || !read_at(fd, &p, sizeof p, off))
            return false;
        *s = (struct segment){ p.p_type, p.p_offset, p.p_filesz };
    }
    return true;
}

/* Go's build ID note: name "Go" (namesz 4, padded), type 4, in a PT_NOTE segment (kept even when sections are gone). */
static bool notes_have_go(int fd, const struct segment *s)
{
    unsigned char buf[4096];
    size_t len = s->filesz < sizeof buf ? (size_t)s->filesz : sizeof buf;
    if (!read_at(fd, buf, len, s->offset))
        return false;
    size_t pos = 0;
    while (pos + 12 <= len) {
        uint32_t namesz, descsz, type;
        memcpy(&namesz, buf + pos, 4);
        memcpy(&descsz, buf + pos + 4, 4);
        memcpy(&type, buf + pos + 8, 4);
        size_t name_at = pos + 12, next = name_at + ((namesz + 3u) & ~3u) + ((descsz + 3u) & ~3u);
        if ((namesz == 3 || namesz == 4) && type == 4 && name_at + 3 <= len && memcmp(buf + name_at, "Go", 3) == 0)
            return true;
        if (next <= pos || next > len)
            break;
        pos = next;
    }
    return false;
}

static void probe_segments(int fd, const struct elf_info *e, struct er_probe *out)
{
    bool interp = false;
    for (unsigned i = 0; i < e->phnum; i++) {
        struct segment s;
        if (!read_segment(fd, e, i, &s))
            break;
        if (s.type == PT_INTERP && !interp) {
            interp = true;
            size_t n = s.filesz < sizeof out->loader ? (size_t)s.filesz : sizeof out->loader - 1;
            if (!read_at(fd, out->loader, n, s.offset))
                n = 0;
            out->loader[n] = '\0';
        }
        if (s.type == PT_NOTE && notes_have_go(fd, &s))
            out->is_go = true;
    }
    out->is_static = !interp && (e->type == ET_EXEC || e->type == ET_DYN);
}

static bool section_name_offset(int fd, const struct elf_info *e, unsigned i, uint32_t *name,
                                uint64_t *offset, uint64_t *size)
{
    uint64_t off = e->shoff + (uint64_t)i * e->shentsize;
    if (e->is64) {
        Elf64_Shdr s;
        if (e->shentsize < sizeof s || !read_at(fd, &s, sizeof s, off))
            return false;
        *name = s.sh_name, *offset = s.sh_offset, *size = s.sh_size;
    } else {
        Elf32_Shdr s;
        if (e->shentsize < sizeof s || !read_at(fd, &s, sizeof s, off))
            return false;
        *name = s.sh_name, *offset = s.sh_offset, *size = s.sh_size;
    }
    return true;
}

/* Looks for the sections the Go toolchain always emits. */
static bool sections_have_go(int fd, const struct elf_info *e)
{
    uint32_t name;
    uint64_t str_off, str_size, off, size;
    if (e->shoff == 0 || e->shstrndx >= e->shnum ||
        !section_name_offset(fd, e, e->shstrndx, &name, &str_off, &str_size))
        return false;
    static const char *const go_sections[] = { ".note.go.buildid", ".go.buildinfo", ".gopclntab" };
    for (unsigned i = 0; i < e->shnum; i++) {
        char buf[32] = { 0 };
        if (!section_name_offset(fd, e, i, &name, &off, &size) || name >= str_size)
            continue;
        if (pread(fd, buf, sizeof buf - 1, (off_t)(str_off + name)) <= 0)
            continue;
        for (size_t k = 0; k < sizeof go_sections / sizeof go_sections[0]; k++)
            if (strcmp(buf, go_sections[k]) == 0)
                return true;
    }
    return false;
}

/* The loader's secure mode (AT_SECURE) drops LD_PRELOAD; these are the file's ways to cause it. */
static bool runs_secure(const char *path, const struct stat *st, uid_t uid, gid_t gid)
{
    struct statvfs vfs;
    if (statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_NOSUID))
        return false;
    if ((st->st_mode & S_ISUID) && st->st_uid != uid)
        return true;
    if ((st->st_mode & S_ISGID) && st->st_gid != gid)
        return true;
    return uid != 0 && getxattr(path, "security.capability", NULL, 0) > 0;
}

/* The interpreter of a "#!" line: its first word. */
static void read_shebang(int fd, struct er_probe *out)
{
    char line[sizeof out->interpreter + 2] = { 0 };
    if (pread(fd, line, sizeof line - 1, 0) < 2 || line[0] != '#' || line[1] != '!')
        return;
    const char *p = line + 2;
    p += strspn(p, " \t");
    size_t n = strcspn(p, " \t\n");
    if (n > 0 && n < sizeof out->interpreter) {
        memcpy(out->interpreter, p, n);
        out->interpreter[n] = '\0';
    }
}

bool er_probe_file(const char *path, uid_t uid, gid_t gid, struct er_probe *out)
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    struct stat st;
    if (fd < 0)
        return false;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return false;
    }
    struct elf_info e;
    if (read_elf_header(fd, &e)) {
        out->is_elf = true;
        probe_segments(fd, &e, out);
        out->is_go = out->is_go || sections_have_go(fd, &e);
        out->is_secure = runs_secure(path, &st, uid, gid);
    } else {
        read_shebang(fd, out);
    }
    close(fd);
    return true;
}

static bool is_executable_file(const char *path)
{
    struct stat st;
    return access(path, X_OK) == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool er_find_in_path(const char *file, const char *path_var, char *out, size_t cap)
{
    if (file[0] == '\0') {
        errno = ENOENT;
        return false;
    }
    if (strchr(file, '/') != NULL) {
        if ((size_t)snprintf(out, cap, "%s", file) >= cap) {
            errno = ENAMETOOLONG;
            return false;
        }
        return true;
    }
    /* execvp's default search path when PATH is unset. */
    const char *p = path_var ? path_var : "/bin:/usr/bin";
    bool denied = false;
    for (;;) {
        size_t n = strcspn(p, ":");
        int w = n == 0 ? snprintf(out, cap, "%s", file)
                       : snprintf(out, cap, "%.*s/%s", (int)n, p, file);
        if (w > 0 && (size_t)w < cap) {
            if (is_executable_file(out))
                return true;
            denied = denied || access(out, F_OK) == 0;
        }
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    errno = denied ? EACCES : ENOENT;
    return false;
}
