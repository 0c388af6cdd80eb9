#include "audit.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "conffile.h"
#include "config.h"
#include "logparse.h"
#include "tail.h"

/* ---------------------------------------------------------------- values and the preload text */

static bool has_bad_char(const char *v, const char *also)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p <= 0x20 || *p == 0x7f || strchr(also, *p) != NULL)
            return true;
    return false;
}

bool er_audit_valid_log(const char *v)
{
    if (strcmp(v, "kmsg") == 0 || strcmp(v, "syslog") == 0 || strcmp(v, "journal") == 0)
        return true;
    size_t n = strlen(v);
    return v[0] == '/' && n > 1 && n < ER_PATH_MAX && v[n - 1] != '/' && !has_bad_char(v, "\"#");
}

bool er_audit_valid_library(const char *v)
{
    size_t n = strlen(v), base = sizeof ER_AUDIT_LIBRARY_NAME - 1;
    return v[0] == '/' && n < ER_PATH_MAX && n > base && v[n - base - 1] == '/' &&
           strcmp(v + n - base, ER_AUDIT_LIBRARY_NAME) == 0 && !has_bad_char(v, ":");
}

static bool is_sep(char c) { return c == ' ' || c == '\t' || c == '\n' || c == ':'; }

bool er_preload_is_ours(const char *entry, size_t len)
{
    size_t base = sizeof ER_AUDIT_LIBRARY_NAME - 1;
    return len >= base && memcmp(entry + len - base, ER_AUDIT_LIBRARY_NAME, base) == 0 &&
           (len == base || entry[len - base - 1] == '/');
}

void er_preload_each(const char *text, void (*fn)(const char *entry, size_t len, void *ctx),
                     void *ctx)
{
    const char *p = text;
    for (;;) {
        while (*p && is_sep(*p))
            p++;
        if (*p == '\0')
            return;
        const char *start = p;
        while (*p && !is_sep(*p))
            p++;
        fn(start, (size_t)(p - start), ctx);
    }
}

bool er_preload_empty(const char *text)
{
    for (const char *p = text; *p; p++)
        if (!is_sep(*p))
            return false;
    return true;
}

/* A growing string. */
struct buf {
    char *s;
    size_t len, cap;
    bool oom;
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t ncap = (b->len + n + 1) * 2;
        char *p = realloc(b->s, ncap);
        if (p == NULL) {
            b->oom = true;
            return;
        }
        b->s = p;
        b->cap = ncap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static char *buf_take(struct buf *b)
{
    buf_put(b, "", 0);
    if (b->oom) {
        free(b->s);
        return NULL;
    }
    return b->s;
}

/* Rewrites one line (without its newline) into out without the entries of ours. Between two
 * entries that stay go the separators that followed the first of them; what comes before the
 * first entry and after the last stays. Returns whether the line had entries and now has none. */
static bool drop_ours_in_line(const char *line, size_t n, struct buf *out, size_t *removed)
{
    size_t kept = 0, dropped = 0, i = 0, lead = 0, tail_from = n;
    size_t prev_end = 0; /* end of the last entry kept */
    struct buf tmp = { 0 };
    while (lead < n && is_sep(line[lead]))
        lead++;
    buf_put(&tmp, line, lead);
    for (i = lead; i < n;) {
        size_t e = i;
        while (e < n && !is_sep(line[e]))
            e++;
        if (er_preload_is_ours(line + i, e - i)) {
            dropped++;
        } else {
            if (kept++ > 0) {
                size_t sep_end = prev_end;
                while (sep_end < n && is_sep(line[sep_end]))
                    sep_end++;
                buf_put(&tmp, line + prev_end, sep_end - prev_end);
            }
            buf_put(&tmp, line + i, e - i);
            prev_end = e;
        }
        tail_from = e;
        i = e;
        while (i < n && is_sep(line[i]))
            i++;
    }
    buf_put(&tmp, line + tail_from, n - tail_from);
    *removed += dropped;
    bool emptied = dropped > 0 && kept == 0;
    if (dropped == 0)
        buf_put(out, line, n);
    else if (!emptied && tmp.s != NULL)
        buf_put(out, tmp.s, tmp.len);
    out->oom = out->oom || tmp.oom;
    free(tmp.s);
    return emptied;
}

char *er_preload_remove(const char *text, size_t *removed)
{
    struct buf out = { 0 };
    *removed = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        bool emptied = drop_ours_in_line(p, n, &out, removed);
        if (nl != NULL && !emptied)
            buf_put(&out, "\n", 1);
        p += n + (nl != NULL);
    }
    return buf_take(&out);
}

struct find_ctx {
    const char *entry;
    bool same, other;
};

static void find_entry(const char *e, size_t len, void *ctx)
{
    struct find_ctx *f = ctx;
    if (strlen(f->entry) == len && memcmp(e, f->entry, len) == 0)
        f->same = true;
    else if (er_preload_is_ours(e, len))
        f->other = true;
}

char *er_preload_add(const char *text, const char *entry, enum er_preload_change *change)
{
    struct find_ctx f = { entry, false, false };
    er_preload_each(text, find_entry, &f);
    struct buf out = { 0 };
    if (f.same && !f.other) {
        *change = ER_PRELOAD_PRESENT;
        buf_put(&out, text, strlen(text));
        return buf_take(&out);
    }
    if (f.other || f.same) {
        /* Another copy of the library (or this one twice): the first entry of ours becomes
         * this path, the others go, so that it is preloaded once. */
        size_t removed;
        const char *p = text;
        bool done = false;
        while (*p && !done) {
            size_t sep = strspn(p, " \t\n:");
            buf_put(&out, p, sep);
            p += sep;
            size_t len = strcspn(p, " \t\n:");
            if (len > 0 && er_preload_is_ours(p, len)) {
                buf_put(&out, entry, strlen(entry));
                done = true;
            } else {
                buf_put(&out, p, len);
            }
            p += len;
        }
        /* the rest without further entries of ours */
        char *rest = er_preload_remove(p, &removed);
        if (rest == NULL) {
            free(out.s);
            return NULL;
        }
        buf_put(&out, rest, strlen(rest));
        free(rest);
        *change = ER_PRELOAD_REPLACED;
        return buf_take(&out);
    }
    *change = ER_PRELOAD_ADDED;
    size_t n = strlen(text);
    buf_put(&out, text, n);
    if (n > 0 && text[n - 1] != '\n')
        buf_put(&out, "\n", 1);
    buf_put(&out, entry, strlen(entry));
    buf_put(&out, "\n", 1);
    return buf_take(&out);
}

bool er_audit_conf_text(const char *log, char *buf, size_t cap)
{
    int n = snprintf(buf, cap,
                     ER_AUDIT_MARKER
                     " written by 'earlyrandom audit enable'; 'earlyrandom audit "
                     "disable' removes it.\n"
                     "# Read by every program that loads libearlyrandom.so from /etc/ld.so.preload."
                     "\n# passthrough only logs: no program gets anything else than it would "
                     "without\n# the library. Remove the ld.so.preload entry before this file, "
                     "or programs\n# would run under the default policy, block.\n"
                     "policy = passthrough\n"
                     "log = %s\n"
                     "log_all = 1\n",
                     log);
    return n > 0 && (size_t)n < cap;
}

/* ---------------------------------------------------------------- the kernel's command line */

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static const char *const trace_words[] = { ER_AUDIT_TRACE_EVENTS, ER_AUDIT_TRACE_BUF };

/* Where the word (a whole, blank-delimited one) starts in text, or NULL. */
static const char *find_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = strstr(text, word); p != NULL; p = strstr(p + 1, word))
        if ((p == text || is_blank(p[-1])) && (p[n] == '\0' || is_blank(p[n])))
            return p;
    return NULL;
}

/* Another trace_event= than ours, which ours would override or be overridden by. */
static bool other_trace_event(const char *text)
{
    static const char key[] = "trace_event=";
    for (const char *p = strstr(text, key); p != NULL; p = strstr(p + 1, key)) {
        if (p != text && !is_blank(p[-1]))
            continue;
        size_t n = strcspn(p, " \t\r\n");
        if (n != strlen(ER_AUDIT_TRACE_EVENTS) || strncmp(p, ER_AUDIT_TRACE_EVENTS, n) != 0)
            return true;
    }
    return false;
}

char *er_cmdline_add_trace(const char *text, bool *changed, bool *conflict)
{
    *changed = false;
    *conflict = other_trace_event(text);
    size_t len = strlen(text);
    size_t end = len;
    while (end > 0 && is_blank(text[end - 1]))
        end--;
    struct buf out = { 0 };
    buf_put(&out, text, end);
    for (size_t i = 0; !*conflict && i < sizeof trace_words / sizeof trace_words[0]; i++) {
        if (find_word(text, trace_words[i]) != NULL)
            continue;
        if (out.len > 0)
            buf_put(&out, " ", 1);
        buf_put(&out, trace_words[i], strlen(trace_words[i]));
        *changed = true;
    }
    buf_put(&out, text + end, len - end);
    if (*changed && len == end)
        buf_put(&out, "\n", 1);
    return buf_take(&out);
}

char *er_cmdline_remove_trace(const char *text, size_t *removed)
{
    *removed = 0;
    struct buf out = { 0 };
    buf_put(&out, text, strlen(text));
    char *s = buf_take(&out);
    for (size_t i = 0; s != NULL && i < sizeof trace_words / sizeof trace_words[0]; i++) {
        const char *at;
        while ((at = find_word(s, trace_words[i])) != NULL) {
            /* The word and the blanks before it go; at the start of the line, those after it. */
            size_t from = (size_t)(at - s), to = from + strlen(trace_words[i]);
            if (from > 0) {
                while (from > 0 && (s[from - 1] == ' ' || s[from - 1] == '\t'))
                    from--;
            } else {
                while (s[to] == ' ' || s[to] == '\t')
                    to++;
            }
            memmove(s + from, s + to, strlen(s + to) + 1);
            (*removed)++;
        }
    }
    return s;
}

static bool grub_dropin_text(char *buf, size_t cap)
{
    int n = snprintf(buf, cap,
                     ER_AUDIT_MARKER " written by 'earlyrandom audit enable --kernel-trace'; "
                     "'earlyrandom audit disable' removes it.\n"
                     "# The kernel records every getrandom call and exec from boot on, for\n"
                     "# 'earlyrandom report --trace'. update-grub puts it on the command line.\n"
                     "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX " ER_AUDIT_TRACE_WORDS "\"\n");
    return n > 0 && (size_t)n < cap;
}

static bool tmpfiles_text(const char *log, char *buf, size_t cap)
{
    int n = snprintf(buf, cap,
                     ER_AUDIT_MARKER
                     " written by 'earlyrandom audit enable'; 'earlyrandom audit "
                     "disable' removes it.\n"
                     "# Lets every program, whatever its user, append its records to the audit "
                     "log\n# (and so forge records for others: log = journal does not need it).\n"
                     "f %s 0622 root root -\n",
                     log);
    return n > 0 && (size_t)n < cap;
}

static bool is_ours_text(const char *text)
{
    return strncmp(text, ER_AUDIT_MARKER, sizeof ER_AUDIT_MARKER - 1) == 0;
}

/* ------------------------------------------------------------------------- files in the root */

struct root {
    int fd;                  /* the root directory, O_PATH */
    char shown[ER_PATH_MAX]; /* prefix for messages: "" for "/", else DIR without a final '/' */
    const char *cmd;         /* "audit enable" ... for messages */
};

static void err_msg(const struct root *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void err_msg(const struct root *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "earlyrandom: %s: ", r->cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* A path inside the root as seen from outside it, for messages: a few rotating buffers. */
static const char *shown(const struct root *r, const char *path)
{
    static char bufs[4][ER_PATH_MAX * 2];
    static unsigned next;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof bufs[0], "%s%s", r->shown, path);
    return b;
}

/* Opens path as if r were "/": absolute symbolic links and ".." stay inside the root, so that a
 * chroot's /lib -> usr/lib works and nothing outside it is touched. */
static int root_open(const struct root *r, const char *path, int flags)
{
    struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
                            .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
    long fd;
    for (int tries = 0; tries < 8; tries++) {
        fd = syscall(SYS_openat2, r->fd, path, &how, sizeof how);
        if (fd >= 0 || errno != EAGAIN)
            break;
    }
    if (fd < 0 && errno == ENOSYS) {
        /* before Linux 5.6: beneath the root, symbolic links as they come */
        const char *rel = path;
        while (*rel == '/')
            rel++;
        fd = openat(r->fd, *rel ? rel : ".", flags | O_CLOEXEC);
    }
    return (int)fd;
}

/* A file of /etc replaced as a whole: its directory (resolved in the root) and its name. */
struct target {
    const char *path; /* "/etc/ld.so.preload" */
    const char *name; /* "ld.so.preload" */
    int dirfd;
};

static int open_dir_of(const struct root *r, struct target *t)
{
    char dir[ER_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", t->path);
    char *slash = strrchr(dir, '/');
    *slash = '\0';
    t->name = t->path + (slash - dir) + 1;
    t->dirfd = root_open(r, dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY);
    return t->dirfd;
}

enum file_state { FILE_ABSENT, FILE_PRESENT, FILE_ERROR };

/* Reads a file that enable or disable may replace: a regular file (not a symbolic link, which
 * renaming would replace by a file), at most max bytes, without NUL bytes. */
static enum file_state read_target(const struct root *r, const struct target *t, size_t max,
                                   char **text)
{
    struct stat st;
    *text = NULL;
    if (fstatat(t->dirfd, t->name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            return FILE_ABSENT;
        err_msg(r, "cannot read %s: %s", shown(r, t->path), strerror(errno));
        return FILE_ERROR;
    }
    if (S_ISLNK(st.st_mode)) {
        err_msg(r, "%s is a symbolic link; edit it by hand, or replace it by a file",
                shown(r, t->path));
        return FILE_ERROR;
    }
    if (!S_ISREG(st.st_mode)) {
        err_msg(r, "%s is not a regular file", shown(r, t->path));
        return FILE_ERROR;
    }
    int fd = openat(t->dirfd, t->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    char *buf = fd >= 0 ? malloc(max + 1) : NULL;
    size_t len = 0;
    ssize_t n = 0;
    while (buf != NULL && len <= max) {
        n = read(fd, buf + len, max + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    int saved = errno;
    if (fd >= 0)
        close(fd);
    if (fd < 0 || buf == NULL || n < 0) {
        err_msg(r, "cannot read %s: %s", shown(r, t->path),
                strerror(fd < 0 || n < 0 ? saved : ENOMEM));
        free(buf);
        return FILE_ERROR;
    }
    if (len > max) {
        err_msg(r, "%s is larger than %zu bytes; edit it by hand", shown(r, t->path), max);
        free(buf);
        return FILE_ERROR;
    }
    buf[len] = '\0';
    if (strlen(buf) != len) {
        err_msg(r, "%s contains a NUL byte; edit it by hand", shown(r, t->path));
        free(buf);
        return FILE_ERROR;
    }
    *text = buf;
    return FILE_PRESENT;
}

static bool write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return false;
        }
        s += w;
        n -= (size_t)w;
    }
    return true;
}

/* Replaces the file with text, owned by root, mode 0644: written to a temporary file in the
 * same directory, synced, renamed over the file, and the directory synced, so that the file is
 * at every moment either the old one or the whole new one. On failure the old one stays and the
 * temporary file is gone. */
static bool write_atomic(const struct root *r, const struct target *t, const char *text)
{
    char tmp[300];
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < 100; attempt++) {
        snprintf(tmp, sizeof tmp, ".%s.earlyrandom-%ld-%d", t->name, (long)getpid(), attempt);
        fd = openat(t->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        err_msg(r, "cannot create a temporary file next to %s: %s", shown(r, t->path),
                strerror(errno));
        return false;
    }
    const char *step = "write";
    bool ok = write_all(fd, text, strlen(text));
    if (ok && !(ok = fchown(fd, 0, 0) == 0))
        step = "make root the owner of";
    if (ok && !(ok = fchmod(fd, 0644) == 0))
        step = "set the mode of";
    if (ok && !(ok = fsync(fd) == 0))
        step = "sync";
    int saved = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        step = "close";
        saved = errno;
    }
    if (ok && !(ok = renameat(t->dirfd, tmp, t->dirfd, t->name) == 0)) {
        step = "rename the new file over";
        saved = errno;
    }
    if (!ok) {
        unlinkat(t->dirfd, tmp, 0);
        err_msg(r, "cannot %s %s: %s (it was left as it was)", step, shown(r, t->path),
                strerror(saved));
        return false;
    }
    fsync(t->dirfd);
    return true;
}

static bool unlink_target(const struct root *r, const struct target *t)
{
    if (unlinkat(t->dirfd, t->name, 0) != 0 && errno != ENOENT) {
        err_msg(r, "cannot remove %s: %s", shown(r, t->path), strerror(errno));
        return false;
    }
    fsync(t->dirfd);
    return true;
}

/* ------------------------------------------------------------------------------ the library */

#if defined(__x86_64__)
#define ER_ELF_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define ER_ELF_MACHINE EM_AARCH64
#elif defined(__i386__)
#define ER_ELF_MACHINE EM_386
#elif defined(__arm__)
#define ER_ELF_MACHINE EM_ARM
#elif defined(__riscv)
#define ER_ELF_MACHINE EM_RISCV
#elif defined(__powerpc64__)
#define ER_ELF_MACHINE EM_PPC64
#elif defined(__s390x__)
#define ER_ELF_MACHINE EM_S390
#else
#define ER_ELF_MACHINE EM_NONE /* not checked */
#endif

static bool safe_owner(const struct stat *st)
{
    /* A sticky directory writable by all (/tmp) lets nobody else replace root's entries. */
    bool writable = (st->st_mode & (S_IWGRP | S_IWOTH)) != 0;
    return st->st_uid == 0 && (!writable || (S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX)));
}

/* The library is loaded into every program, setuid ones included: it and every directory on its
 * way must be root's alone, or whoever could replace it would run code as root. */
static bool check_library(const struct root *r, const char *lib)
{
    char dir[ER_PATH_MAX];
    struct stat st;
    for (const char *p = lib; p != NULL; p = strchr(p + 1, '/')) {
        size_t n = (size_t)(p - lib);
        memcpy(dir, lib, n);
        dir[n] = '\0';
        int fd = root_open(r, n ? dir : "/", O_PATH | O_DIRECTORY);
        if (fd < 0) {
            err_msg(r, "the library %s cannot be used: %s: %s", shown(r, lib),
                    shown(r, n ? dir : "/"), strerror(errno));
            return false;
        }
        bool ok = fstat(fd, &st) == 0;
        close(fd);
        if (ok && !safe_owner(&st)) {
            err_msg(
                r,
                "refusing to preload %s: the directory %s is owned by uid %ld, mode %04o; it "
                "must be owned by root and writable by nobody else, since every program, setuid "
                "ones included, would load what is there",
                shown(r, lib), shown(r, n ? dir : "/"), (long)st.st_uid,
                (unsigned)(st.st_mode & 07777));
            return false;
        }
    }
    int fd = root_open(r, lib, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            err_msg(r,
                    "the library %s does not exist; install earlyrandom there (make install), or "
                    "name the installed one with --library (a path inside the root)",
                    shown(r, lib));
        else
            err_msg(r, "cannot open the library %s: %s", shown(r, lib), strerror(errno));
        return false;
    }
    unsigned char h[sizeof(Elf64_Ehdr)];
    ssize_t n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, h, sizeof h) : -1;
    close(fd);
    if (n < 0 && !S_ISREG(st.st_mode)) {
        err_msg(r, "the library %s is not a regular file", shown(r, lib));
        return false;
    }
    if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        err_msg(
            r,
            "refusing to preload %s: it is owned by uid %ld, mode %04o; it must be owned "
            "by root and writable by nobody else, since every program, setuid ones included, "
            "would load it (chown root:root and chmod 0755 it, after checking who put it there)",
            shown(r, lib), (long)st.st_uid, (unsigned)(st.st_mode & 07777));
        return false;
    }
    bool elf = n >= (ssize_t)sizeof(Elf32_Ehdr) && memcmp(h, ELFMAG, SELFMAG) == 0 &&
               h[EI_CLASS] == (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32);
    uint16_t type = 0, machine = 0;
    if (elf) {
        /* e_type and e_machine sit at the same offsets in both classes */
        memcpy(&type, h + offsetof(Elf64_Ehdr, e_type), sizeof type);
        memcpy(&machine, h + offsetof(Elf64_Ehdr, e_machine), sizeof machine);
    }
    if (!elf || type != ET_DYN || (ER_ELF_MACHINE != EM_NONE && machine != ER_ELF_MACHINE)) {
        err_msg(r,
                "%s is not a shared library for this machine; every program would print an "
                "error loading it",
                shown(r, lib));
        return false;
    }
    return true;
}

/* -------------------------------------------------------------------------------- undo steps */

/* What a step changed, so that a later failure can put it back. */
struct undo {
    const struct target *t;
    enum { UNDO_NOTHING, UNDO_UNLINK, UNDO_RESTORE_TEXT, UNDO_RESTORE_BACKUP } kind;
    const char *text;            /* UNDO_RESTORE_TEXT */
    const struct target *backup; /* UNDO_RESTORE_BACKUP */
};

static void undo_all(const struct root *r, struct undo *u, size_t n)
{
    while (n-- > 0) {
        bool ok = true;
        switch (u[n].kind) {
        case UNDO_NOTHING:
            break;
        case UNDO_UNLINK:
            ok = unlink_target(r, u[n].t);
            break;
        case UNDO_RESTORE_TEXT:
            ok = write_atomic(r, u[n].t, u[n].text);
            break;
        case UNDO_RESTORE_BACKUP:
            ok = renameat(u[n].backup->dirfd, u[n].backup->name, u[n].t->dirfd, u[n].t->name) == 0;
            if (!ok)
                err_msg(r, "cannot move %s back to %s: %s", shown(r, u[n].backup->path),
                        shown(r, u[n].t->path), strerror(errno));
            fsync(u[n].t->dirfd);
            break;
        }
        if (ok && u[n].kind != UNDO_NOTHING)
            err_msg(r, "put %s back as it was", shown(r, u[n].t->path));
    }
}

/* ------------------------------------------------------------------------------- the commands */

#define PRELOAD_MAX (64 * 1024)

static void close_targets(struct target *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].dirfd >= 0)
            close(t[i].dirfd);
}

static bool open_target(const struct root *r, struct target *t, const char *path, bool required)
{
    t->path = path;
    if (open_dir_of(r, t) >= 0 || (!required && errno == ENOENT))
        return true;
    char dir[ER_PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", (int)(t->name - 1 - path), path);
    err_msg(r, "cannot open the directory %s: %s%s", shown(r, dir), strerror(errno),
            errno == ENOENT ? " (is the root a root file system?)" : "");
    return false;
}

static bool log_is_file(const char *log) { return log[0] == '/'; }

static int enable(const struct root *r, const char *lib, const char *log)
{
    struct target pre = { .dirfd = -1 }, conf = { .dirfd = -1 }, bak = { .dirfd = -1 },
                  tmpf = { .dirfd = -1 };
    char *pre_text = NULL, *new_pre = NULL, *conf_old = NULL, *bak_text = NULL, *tmpf_old = NULL;
    int status = ER_EXIT_USAGE;
    struct undo undo[3];
    size_t steps = 0;
    char conf_new[ER_PATH_MAX + 1024], tmpf_new[ER_PATH_MAX + 512];

    if (!check_library(r, lib))
        return ER_EXIT_USAGE;
    if (!open_target(r, &pre, ER_AUDIT_PRELOAD, true) ||
        !open_target(r, &conf, ER_AUDIT_CONF, true) ||
        !open_target(r, &bak, ER_AUDIT_CONF_BACKUP, true) ||
        !open_target(r, &tmpf, ER_AUDIT_TMPFILES, false))
        goto out;

    enum file_state pre_state = read_target(r, &pre, PRELOAD_MAX, &pre_text);
    enum file_state conf_state = read_target(r, &conf, ER_CONFFILE_MAX_BYTES, &conf_old);
    if (pre_state == FILE_ERROR || conf_state == FILE_ERROR)
        goto out;
    enum er_preload_change change;
    new_pre = er_preload_add(pre_text ? pre_text : "", lib, &change);
    if (new_pre == NULL) {
        err_msg(r, "out of memory");
        goto out;
    }
    bool conf_ours = conf_state == FILE_PRESENT && is_ours_text(conf_old);
    bool conf_foreign = conf_state == FILE_PRESENT && !conf_ours;
    if (conf_foreign) {
        enum file_state bs = read_target(r, &bak, ER_CONFFILE_MAX_BYTES, &bak_text);
        if (bs != FILE_ABSENT) {
            if (bs == FILE_PRESENT)
                err_msg(r,
                        "%s is not one 'audit enable' wrote, and %s exists already: move one "
                        "of them away first",
                        shown(r, conf.path), shown(r, bak.path));
            goto out;
        }
    }
    bool want_tmpfiles = log_is_file(log) && tmpf.dirfd >= 0;
    enum file_state tmpf_state = FILE_ABSENT;
    if (want_tmpfiles) {
        tmpf_state = read_target(r, &tmpf, 4096, &tmpf_old);
        if (tmpf_state == FILE_ERROR)
            goto out;
        if (tmpf_state == FILE_PRESENT && !is_ours_text(tmpf_old)) {
            err_msg(r, "%s exists and is not one 'audit enable' wrote; move it away first",
                    shown(r, tmpf.path));
            goto out;
        }
    }
    if (!er_audit_conf_text(log, conf_new, sizeof conf_new) ||
        !tmpfiles_text(log, tmpf_new, sizeof tmpf_new)) {
        err_msg(r, "the log path is too long");
        goto out;
    }

    /* 1. The configuration, before the library can be loaded by anything. */
    bool conf_same = conf_ours && strcmp(conf_old, conf_new) == 0;
    if (!conf_same) {
        if (conf_foreign && linkat(conf.dirfd, conf.name, bak.dirfd, bak.name, 0) != 0) {
            err_msg(r, "cannot keep %s as %s: %s", shown(r, conf.path), shown(r, bak.path),
                    strerror(errno));
            goto out;
        }
        if (!write_atomic(r, &conf, conf_new)) {
            if (conf_foreign)
                unlink_target(r, &bak);
            goto out;
        }
        undo[steps++] = conf_foreign ? (struct undo){ &conf, UNDO_RESTORE_BACKUP, NULL, &bak }
                        : conf_ours  ? (struct undo){ &conf, UNDO_RESTORE_TEXT, conf_old, NULL }
                                     : (struct undo){ &conf, UNDO_UNLINK, NULL, NULL };
    }
    /* 2. The log writable by every program, once systemd-tmpfiles has run at boot. */
    bool tmpf_same = tmpf_state == FILE_PRESENT && strcmp(tmpf_old, tmpf_new) == 0;
    if (want_tmpfiles && !tmpf_same) {
        if (!write_atomic(r, &tmpf, tmpf_new)) {
            undo_all(r, undo, steps);
            goto out;
        }
        undo[steps++] = tmpf_state == FILE_PRESENT
                            ? (struct undo){ &tmpf, UNDO_RESTORE_TEXT, tmpf_old, NULL }
                            : (struct undo){ &tmpf, UNDO_UNLINK, NULL, NULL };
    }
    /* 3. The preload entry, last. */
    if (change != ER_PRELOAD_PRESENT && !write_atomic(r, &pre, new_pre)) {
        undo_all(r, undo, steps);
        goto out;
    }
    /* A stale tmpfiles.d entry of ours for a log that is no longer a file. */
    if (!log_is_file(log) && tmpf.dirfd >= 0 &&
        read_target(r, &tmpf, 4096, &tmpf_old) == FILE_PRESENT && is_ours_text(tmpf_old))
        unlink_target(r, &tmpf);

    bool nothing = conf_same && change == ER_PRELOAD_PRESENT && (!want_tmpfiles || tmpf_same);
    printf("earlyrandom audit: %s in %s\n",
           nothing ? "already enabled, nothing changed" : "enabled", r->shown[0] ? r->shown : "/");
    if (!conf_same)
        printf("  wrote %s: policy = passthrough, log = %s, log_all = 1\n", shown(r, conf.path),
               log);
    if (conf_foreign)
        printf("  kept the previous %s as %s; disable puts it back\n", shown(r, conf.path),
               shown(r, bak.path));
    if (want_tmpfiles && !tmpf_same)
        printf("  wrote %s: systemd-tmpfiles makes %s writable by every program early at boot\n",
               shown(r, tmpf.path), log);
    if (log_is_file(log) && tmpf.dirfd < 0)
        printf("  note: %s has no /etc/tmpfiles.d: programs that do not run as root can write to "
               "%s only if it is made writable for them (mode 0622)\n",
               r->shown[0] ? r->shown : "/", log);
    if (change == ER_PRELOAD_ADDED)
        printf("  added %s to %s%s\n", lib, shown(r, pre.path),
               pre_state == FILE_PRESENT ? " (its other entries are kept as they were)" : "");
    else if (change == ER_PRELOAD_REPLACED)
        printf("  %s named another %s: it now names %s (other entries kept)\n", shown(r, pre.path),
               ER_AUDIT_LIBRARY_NAME, lib);
    printf("Every dynamically linked program started from now on in %s loads the library and logs\n"
           "its entropy requests (passthrough: nothing changes for the program). Reboot, then:\n"
           "  earlyrandom report %s\n",
           r->shown[0] ? r->shown : "this system",
           log_is_file(log) ? log
           : strcmp(log, "journal") == 0
               ? "--journal boot.json\n  (after: EARLYRANDOM_LOG=none journalctl -b -o json --all "
                 "> boot.json)"
           : strcmp(log, "kmsg") == 0
               ? "--kmsg (or: journalctl -k -b > boot.txt; earlyrandom report boot.txt)"
               : "boot.txt   (after: journalctl -b -t earlyrandom > boot.txt)");
    printf("To undo: earlyrandom audit disable%s%s, or by hand, in this order:\n"
           "  1. edit %s and remove the line %s (remove the file if nothing else is left);\n"
           "  2. then rm %s%s%s%s%s",
           r->shown[0] ? " --root " : "", r->shown, shown(r, pre.path), lib, shown(r, conf.path),
           want_tmpfiles ? " " : "", want_tmpfiles ? shown(r, tmpf.path) : "",
           conf_foreign ? " and mv " : "", conf_foreign ? shown(r, bak.path) : "");
    if (conf_foreign)
        printf(" %s", shown(r, conf.path));
    printf("\n  (never the other way round: the library without its configuration would run every\n"
           "  program under the default policy, block).\n");
    status = 0;
out:
    close_targets((struct target[]){ pre, conf, bak, tmpf }, 4);
    free(pre_text);
    free(new_pre);
    free(conf_old);
    free(bak_text);
    free(tmpf_old);
    return status;
}

/* ------------------------------------------------------------------------- the kernel trace */

static bool regular_at(int dirfd, const char *name)
{
    struct stat st;
    return dirfd >= 0 && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

static void print_trace_next_steps(const struct root *r, bool grub, bool cmdline)
{
    const char *in = r->shown[0] ? r->shown : "";
    if (grub)
        printf("  then run update-grub%s%s%s so that the next boot gets them\n",
               in[0] ? " inside " : "", in, in[0] ? " (chroot DIR update-grub)" : "");
    if (cmdline)
        printf("  kernel-install reads %s when it installs a kernel: reinstall the kernel (or\n"
               "  rebuild the unified kernel image) so that the next boot gets them\n",
               shown(r, ER_AUDIT_KERNEL_CMDLINE));
    printf("After that boot, stop the trace before it wraps and report it with the log:\n"
           "  echo 0 > /sys/kernel/tracing/tracing_on\n"
           "  earlyrandom report --trace /sys/kernel/tracing/trace --root / LOG\n"
           "(the kernel log's 'crng init done' is read from /dev/kmsg with --kmsg, or from a\n"
           "saved 'dmesg' given as a LOG; see docs/kernel-trace.md).\n");
}

/* Puts the trace words where the boot loader takes them: a GRUB drop-in, /etc/kernel/cmdline,
 * or, where neither is there, the words themselves for the user to add. */
static int enable_kernel_trace(const struct root *r)
{
    struct target def = { .dirfd = -1 }, dropin = { .dirfd = -1 }, cmd = { .dirfd = -1 };
    char *dropin_old = NULL, *cmd_old = NULL, *cmd_new = NULL, *grub_text = NULL;
    char dropin_new[1024];
    int status = ER_EXIT_USAGE;
    bool wrote_dropin = false, wrote_cmd = false, same_dropin = false;
    if (!open_target(r, &def, ER_AUDIT_GRUB_DEFAULT, false) ||
        !open_target(r, &cmd, ER_AUDIT_KERNEL_CMDLINE, false))
        goto out;
    bool grub = regular_at(def.dirfd, "grub");
    bool cmdline = regular_at(cmd.dirfd, "cmdline");
    if (grub && !open_target(r, &dropin, ER_AUDIT_GRUB_DROPIN, false))
        goto out;
    if (grub && dropin.dirfd < 0) {
        if (mkdirat(def.dirfd, "grub.d", 0755) != 0 && errno != EEXIST) {
            err_msg(r, "cannot create %s: %s", shown(r, "/etc/default/grub.d"), strerror(errno));
            goto out;
        }
        if (!open_target(r, &dropin, ER_AUDIT_GRUB_DROPIN, true))
            goto out;
    }
    if (grub) {
        enum file_state ds = read_target(r, &dropin, 4096, &dropin_old);
        if (ds == FILE_ERROR)
            goto out;
        if (ds == FILE_PRESENT && !is_ours_text(dropin_old)) {
            err_msg(r, "%s exists and is not one 'audit enable' wrote; move it away first",
                    shown(r, dropin.path));
            goto out;
        }
        if (!grub_dropin_text(dropin_new, sizeof dropin_new))
            goto out;
        same_dropin = ds == FILE_PRESENT && strcmp(dropin_old, dropin_new) == 0;
        if (read_target(r, &def, 64 * 1024, &grub_text) == FILE_PRESENT &&
            other_trace_event(grub_text))
            printf("  note: %s has a trace_event= of its own; the kernel keeps only the last one: "
                   "merge its events into ours by hand\n",
                   shown(r, def.path));
    }
    if (cmdline) {
        bool changed, conflict;
        if (read_target(r, &cmd, 64 * 1024, &cmd_old) != FILE_PRESENT)
            goto out;
        if ((cmd_new = er_cmdline_add_trace(cmd_old, &changed, &conflict)) == NULL) {
            err_msg(r, "out of memory");
            goto out;
        }
        if (conflict) {
            err_msg(r,
                    "%s has a trace_event= of its own, and the kernel keeps only the last one: "
                    "add these events to it by hand: %s",
                    shown(r, cmd.path), ER_AUDIT_TRACE_WORDS);
            goto out;
        }
        if (changed && !write_atomic(r, &cmd, cmd_new))
            goto out;
        wrote_cmd = changed;
    }
    if (grub && !same_dropin) {
        if (!write_atomic(r, &dropin, dropin_new)) {
            if (wrote_cmd && write_atomic(r, &cmd, cmd_old))
                err_msg(r, "put %s back as it was", shown(r, cmd.path));
            goto out;
        }
        wrote_dropin = true;
    }
    printf("earlyrandom audit: the kernel trace %s\n",
           !grub && !cmdline ? "needs words on the kernel command line"
           : wrote_dropin || wrote_cmd ? "is set up for the next boot"
                                       : "was set up already, nothing changed");
    if (wrote_dropin || same_dropin)
        printf("  %s %s: GRUB_CMDLINE_LINUX gets %s\n", wrote_dropin ? "wrote" : "kept",
               shown(r, dropin.path), ER_AUDIT_TRACE_WORDS);
    if (cmdline)
        printf("  %s %s %s\n", wrote_cmd ? "added to" : "already in", shown(r, cmd.path),
               ER_AUDIT_TRACE_WORDS);
    if (!grub && !cmdline)
        printf("  %s has neither %s (GRUB) nor %s (systemd-boot, kernel-install): add these\n"
               "  words to the kernel command line of the next boot by hand:\n    %s\n",
               r->shown[0] ? r->shown : "this system", shown(r, def.path), shown(r, cmd.path),
               ER_AUDIT_TRACE_WORDS);
    print_trace_next_steps(r, grub && (wrote_dropin || same_dropin), cmdline);
    status = 0;
out:
    close_targets((struct target[]){ def, dropin, cmd }, 3);
    free(dropin_old);
    free(cmd_old);
    free(cmd_new);
    free(grub_text);
    return status;
}

/* Takes away what enable_kernel_trace put: the drop-in if it is ours, our words from
 * /etc/kernel/cmdline. Prints what it did; false on an error. */
static bool disable_kernel_trace(const struct root *r, bool *changed)
{
    struct target dropin = { .dirfd = -1 }, cmd = { .dirfd = -1 };
    char *dropin_text = NULL, *cmd_text = NULL, *cmd_new = NULL;
    bool ok = false;
    *changed = false;
    if (!open_target(r, &dropin, ER_AUDIT_GRUB_DROPIN, false) ||
        !open_target(r, &cmd, ER_AUDIT_KERNEL_CMDLINE, false))
        goto out;
    if (dropin.dirfd >= 0) {
        enum file_state ds = read_target(r, &dropin, 4096, &dropin_text);
        if (ds == FILE_ERROR)
            goto out;
        if (ds == FILE_PRESENT && is_ours_text(dropin_text)) {
            if (!unlink_target(r, &dropin))
                goto out;
            printf("  removed %s: run update-grub%s so that the next boot is traced no more\n",
                   shown(r, dropin.path), r->shown[0] ? " inside the root" : "");
            *changed = true;
        }
    }
    if (regular_at(cmd.dirfd, "cmdline")) {
        size_t removed;
        if (read_target(r, &cmd, 64 * 1024, &cmd_text) != FILE_PRESENT)
            goto out;
        if ((cmd_new = er_cmdline_remove_trace(cmd_text, &removed)) == NULL) {
            err_msg(r, "out of memory");
            goto out;
        }
        if (removed > 0) {
            if (!write_atomic(r, &cmd, cmd_new))
                goto out;
            printf("  removed the trace words from %s (reinstall the kernel to apply it)\n",
                   shown(r, cmd.path));
            *changed = true;
        }
    }
    ok = true;
out:
    close_targets((struct target[]){ dropin, cmd }, 2);
    free(dropin_text);
    free(cmd_text);
    free(cmd_new);
    return ok;
}

static int disable(const struct root *r)
{
    struct target pre = { .dirfd = -1 }, conf = { .dirfd = -1 }, bak = { .dirfd = -1 },
                  tmpf = { .dirfd = -1 };
    char *pre_text = NULL, *new_pre = NULL, *conf_text = NULL, *bak_text = NULL, *tmpf_text = NULL;
    int status = ER_EXIT_USAGE;
    if (!open_target(r, &pre, ER_AUDIT_PRELOAD, true) ||
        !open_target(r, &conf, ER_AUDIT_CONF, true) ||
        !open_target(r, &bak, ER_AUDIT_CONF_BACKUP, true) ||
        !open_target(r, &tmpf, ER_AUDIT_TMPFILES, false))
        goto out;

    /* 1. The preload entry first: from then on no new program loads the library. */
    enum file_state pre_state = read_target(r, &pre, PRELOAD_MAX, &pre_text);
    if (pre_state == FILE_ERROR)
        goto out;
    size_t removed = 0;
    bool pre_gone = false;
    if (pre_state == FILE_PRESENT) {
        if ((new_pre = er_preload_remove(pre_text, &removed)) == NULL) {
            err_msg(r, "out of memory");
            goto out;
        }
        if (removed > 0) {
            pre_gone = er_preload_empty(new_pre);
            if (!(pre_gone ? unlink_target(r, &pre) : write_atomic(r, &pre, new_pre)))
                goto out;
        }
    }
    /* 2. The configuration, if it is ours; the one it replaced comes back. */
    enum file_state conf_state = read_target(r, &conf, ER_CONFFILE_MAX_BYTES, &conf_text);
    if (conf_state == FILE_ERROR)
        goto out;
    bool conf_ours = conf_state == FILE_PRESENT && is_ours_text(conf_text);
    bool restored = false;
    if (conf_ours) {
        enum file_state bs = read_target(r, &bak, ER_CONFFILE_MAX_BYTES, &bak_text);
        if (bs == FILE_ERROR)
            goto out;
        if (bs == FILE_PRESENT) {
            if (renameat(bak.dirfd, bak.name, conf.dirfd, conf.name) != 0) {
                err_msg(r, "cannot move %s back to %s: %s", shown(r, bak.path), shown(r, conf.path),
                        strerror(errno));
                goto out;
            }
            fsync(conf.dirfd);
            restored = true;
        } else if (!unlink_target(r, &conf)) {
            goto out;
        }
    }
    /* 3. The tmpfiles.d entry, if it is ours. */
    bool tmpf_removed = false;
    if (tmpf.dirfd >= 0) {
        enum file_state ts = read_target(r, &tmpf, 4096, &tmpf_text);
        if (ts == FILE_ERROR)
            goto out;
        if (ts == FILE_PRESENT && is_ours_text(tmpf_text)) {
            if (!unlink_target(r, &tmpf))
                goto out;
            tmpf_removed = true;
        }
    }

    bool nothing = removed == 0 && !conf_ours && !tmpf_removed;
    printf("earlyrandom audit: %s in %s\n", nothing ? "not enabled, nothing changed" : "disabled",
           r->shown[0] ? r->shown : "/");
    /* 4. The kernel trace, whether or not the rest was enabled. */
    bool trace_changed;
    if (!disable_kernel_trace(r, &trace_changed))
        goto out;
    if (removed > 0 && pre_gone)
        printf("  removed %s: it had no other entry\n", shown(r, pre.path));
    else if (removed > 0)
        printf("  removed %zu entr%s from %s; the others are kept\n", removed,
               removed == 1 ? "y" : "ies", shown(r, pre.path));
    if (restored)
        printf("  put the previous %s back (from %s)\n", shown(r, conf.path), shown(r, bak.path));
    else if (conf_ours)
        printf("  removed %s\n", shown(r, conf.path));
    else if (conf_state == FILE_PRESENT)
        printf("  left %s as it is: 'audit enable' did not write it\n", shown(r, conf.path));
    if (tmpf_removed)
        printf("  removed %s\n", shown(r, tmpf.path));
    if (!nothing)
        printf("Programs already running keep the library until they exit; the log is left for\n"
               "'earlyrandom report'.\n");
    status = 0;
out:
    close_targets((struct target[]){ pre, conf, bak, tmpf }, 4);
    free(pre_text);
    free(new_pre);
    free(conf_text);
    free(bak_text);
    free(tmpf_text);
    return status;
}

/* --------------------------------------------------------------------------------- status */

struct list_ctx {
    bool print;
    size_t n, ours;
    char first_ours[ER_PATH_MAX];
};

static void list_entry(const char *e, size_t len, void *ctx)
{
    struct list_ctx *l = ctx;
    bool ours = er_preload_is_ours(e, len);
    if (l->print)
        printf("    %.*s%s\n", (int)len, e, ours ? "   (earlyrandom)" : "");
    if (ours && l->ours++ == 0 && len < sizeof l->first_ours) {
        memcpy(l->first_ours, e, len);
        l->first_ours[len] = '\0';
    }
    l->n++;
}

struct count_ctx {
    unsigned long records, early, other;
};

static void count_line(char *line, bool too_long, void *ctx)
{
    struct count_ctx *c = ctx;
    struct er_parsed p;
    if (too_long || er_parse_record(line, &p) != ER_PARSE_OK) {
        c->other += line[0] != '\0';
        return;
    }
    c->records++;
    c->early += p.rec.kernel_pool != NULL && strcmp(p.rec.kernel_pool, "uninitialized") == 0;
}

static void status_log(const struct root *r, const char *log)
{
    if (strcmp(log, "journal") == 0) {
        printf("  log: the journal (journald's socket; before it exists, PID 1's memory or "
               "/dev/kmsg):\n    EARLYRANDOM_LOG=none journalctl -b -o json --all > FILE; "
               "earlyrandom report --journal FILE\n");
        return;
    }
    if (strcmp(log, "kmsg") == 0) {
        printf("  log: the kernel log (/dev/kmsg): earlyrandom report --kmsg\n");
        return;
    }
    if (strcmp(log, "syslog") == 0) {
        printf("  log: syslog (/dev/log): journalctl -b -t earlyrandom > FILE; earlyrandom report "
               "FILE\n");
        return;
    }
    if (log[0] != '/') {
        printf("  log: %s\n", log);
        return;
    }
    int fd = root_open(r, log, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        printf("  log: %s: %s\n", shown(r, log),
               errno == ENOENT ? "not there yet (created at the first request)" : strerror(errno));
        return;
    }
    struct count_ctx c = { 0 };
    bool ok = er_read_lines(fd, count_line, &c);
    close(fd);
    printf("  log: %s: %lu record%s, %lu made before the kernel's pool was initialized%s%s\n",
           shown(r, log), c.records, c.records == 1 ? "" : "s", c.early,
           c.other ? "; other lines: " : "", c.other ? "yes" : "");
    if (!ok)
        printf("  (reading it stopped early: %s)\n", strerror(errno));
}

static void status_kernel_trace(const struct root *r)
{
    struct target dropin = { .dirfd = -1 }, cmd = { .dirfd = -1 };
    char *text = NULL;
    bool in_dropin = false, in_cmdline = false;
    if (open_target(r, &dropin, ER_AUDIT_GRUB_DROPIN, false) && dropin.dirfd >= 0 &&
        regular_at(dropin.dirfd, dropin.name) &&
        read_target(r, &dropin, 4096, &text) == FILE_PRESENT)
        in_dropin = is_ours_text(text);
    free(text);
    text = NULL;
    if (open_target(r, &cmd, ER_AUDIT_KERNEL_CMDLINE, false) && regular_at(cmd.dirfd, "cmdline") &&
        read_target(r, &cmd, 64 * 1024, &text) == FILE_PRESENT)
        in_cmdline = find_word(text, ER_AUDIT_TRACE_EVENTS) != NULL;
    free(text);
    close_targets((struct target[]){ dropin, cmd }, 2);
    if (in_dropin || in_cmdline)
        printf("  kernel trace: asked for in %s%s%s (report --trace /sys/kernel/tracing/trace)\n",
               in_dropin ? shown(r, ER_AUDIT_GRUB_DROPIN) : "",
               in_dropin && in_cmdline ? " and " : "",
               in_cmdline ? shown(r, ER_AUDIT_KERNEL_CMDLINE) : "");
    else
        printf("  kernel trace: not asked for (audit enable --kernel-trace)\n");
}

static int status(const struct root *r)
{
    struct target pre = { .dirfd = -1 }, conf = { .dirfd = -1 };
    char *pre_text = NULL, *conf_text = NULL;
    int rc = ER_EXIT_USAGE;
    if (!open_target(r, &pre, ER_AUDIT_PRELOAD, true) ||
        !open_target(r, &conf, ER_AUDIT_CONF, true))
        goto out;
    enum file_state ps = read_target(r, &pre, PRELOAD_MAX, &pre_text);
    enum file_state cs = read_target(r, &conf, ER_CONFFILE_MAX_BYTES, &conf_text);
    if (ps == FILE_ERROR || cs == FILE_ERROR)
        goto out;
    struct list_ctx l = { .print = false };
    bool conf_ours = cs == FILE_PRESENT && is_ours_text(conf_text);

    /* The settings the library would read from the file. */
    const char *log = NULL, *policy = NULL;
    char errors[2048];
    struct er_conffile cf;
    char *parsed = cs == FILE_PRESENT ? strdup(conf_text) : NULL;
    int bad = 0, line;
    if (parsed != NULL) {
        bad = er_conffile_parse(parsed, shown(r, conf.path), &cf, errors, sizeof errors);
        log = er_conffile_lookup(&cf, ER_ENV_LOG, &line);
        policy = er_conffile_lookup(&cf, ER_ENV_POLICY, &line);
    }
    /* The entries, counted first to say the verdict before them. */
    if (ps == FILE_PRESENT)
        er_preload_each(pre_text, list_entry, &l);
    const char *verdict = l.ours > 0 && conf_ours ? "enabled"
                          : l.ours > 0 ? "INCOMPLETE: preloaded without the audit configuration"
                          : conf_ours  ? "not enabled (its configuration is left over)"
                                       : "not enabled";
    printf("earlyrandom audit: %s in %s\n", verdict, r->shown[0] ? r->shown : "/");
    if (ps == FILE_PRESENT) {
        printf("  %s:\n", shown(r, pre.path));
        l = (struct list_ctx){ .print = true };
        er_preload_each(pre_text, list_entry, &l);
        if (l.n == 0)
            printf("    (no entries)\n");
    } else {
        printf("  %s: not there\n", shown(r, pre.path));
    }
    if (l.ours > 0) {
        int fd = root_open(r, l.first_ours, O_PATH);
        if (fd < 0)
            printf("  WARNING: %s is missing: every program prints an error from ld.so; run "
                   "'earlyrandom audit disable'\n",
                   shown(r, l.first_ours));
        else
            close(fd);
    }
    if (cs == FILE_PRESENT) {
        printf("  %s: %s; policy = %s, log = %s%s\n", shown(r, conf.path),
               conf_ours ? "written by 'audit enable'" : "not written by 'audit enable'",
               policy ? policy : "(default, block)", log ? log : "(default, stderr)",
               bad ? " (it has bad lines: programs run as passthrough)" : "");
    } else {
        printf("  %s: not there\n", shown(r, conf.path));
    }
    if (l.ours > 0 && !conf_ours)
        printf("  WARNING: without the audit configuration the library applies %s to every "
               "program; run 'earlyrandom audit enable' or 'earlyrandom audit disable'\n",
               policy ? "that file's policy" : "its default policy, block,");
    if (log != NULL)
        status_log(r, log);
    status_kernel_trace(r);
    free(parsed);
    rc = 0;
out:
    close_targets((struct target[]){ pre, conf }, 2);
    free(pre_text);
    free(conf_text);
    return rc;
}

int er_cli_audit(const struct er_cli_options *o)
{
    struct root r = { .fd = -1 };
    char cmd[32];
    snprintf(cmd, sizeof cmd, "audit %s", o->audit_action);
    r.cmd = cmd;
    const char *dir = o->audit_root ? o->audit_root : "/";
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    snprintf(r.shown, sizeof r.shown, "%.*s", (int)n, strcmp(dir, "/") == 0 ? "" : dir);

    bool changes = strcmp(o->audit_action, "status") != 0;
    if (changes && geteuid() != 0) {
        err_msg(&r, "must run as root: it replaces %s and %s, owned by root",
                shown(&r, ER_AUDIT_PRELOAD), shown(&r, ER_AUDIT_CONF));
        return ER_EXIT_USAGE;
    }
    r.fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (r.fd < 0) {
        err_msg(&r, "--root '%s': %s", dir, strerror(errno));
        return ER_EXIT_USAGE;
    }
    /* A write past RLIMIT_FSIZE fails with EFBIG and is undone, instead of killing us midway. */
    signal(SIGXFSZ, SIG_IGN);
    int rc = strcmp(o->audit_action, "enable") == 0
                 ? enable(&r, o->audit_library ? o->audit_library : ER_AUDIT_DEFAULT_LIBRARY,
                          o->audit_log ? o->audit_log : ER_AUDIT_DEFAULT_LOG)
             : strcmp(o->audit_action, "disable") == 0 ? disable(&r)
                                                       : status(&r);
    /* The audit stays enabled when the trace cannot be set up: it says so, and exits 125. */
    if (rc == 0 && o->audit_kernel_trace && (rc = enable_kernel_trace(&r)) != 0)
        err_msg(&r, "the audit is enabled, the kernel trace is not");
    close(r.fd);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        err_msg(&r, "write error: %s", strerror(errno));
        rc = ER_EXIT_USAGE;
    }
    return rc;
}
