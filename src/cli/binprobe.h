/* Recognizes the programs a preload cannot see into, so that the user gets a warning instead of an
 * empty log: statically linked ones, Go programs (raw system calls), and those the loader runs in
 * secure mode (setuid, setgid, file capabilities), where LD_PRELOAD is ignored. */
#ifndef ER_CLI_BINPROBE_H
#define ER_CLI_BINPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct er_probe {
    bool is_elf;
    bool is_static; /* an executable without PT_INTERP (static or static-pie) */
    bool is_go;     /* a .note.go.buildid or .go.buildinfo section, or Go's build info magic */
    bool is_secure; /* setuid/setgid to someone else, or file capabilities */
    char interpreter[256]; /* of a "#!" script, when the file is one; probed instead */
    char loader[256];      /* an ELF's program interpreter (PT_INTERP), "" when it has none */
};

/* Probes path for a caller with real ids uid/gid. False if the file cannot be read. */
bool er_probe_file(const char *path, uid_t uid, gid_t gid, struct er_probe *out);

/* Finds file as execvp would: the first executable match in $PATH, or file itself if it has a
 * slash. Returns false (errno ENOENT or EACCES) when execvp would fail for lack of one. */
bool er_find_in_path(const char *file, const char *path_var, char *out, size_t cap);

#endif
