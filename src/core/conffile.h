/* The configuration file (/etc/earlyrandom.conf): the same settings as the variables, one
 * "name = value" a line, for a whole machine and for programs in secure execution, where the
 * environment is not to be trusted. Parsing only; the library reads the file. */
#ifndef ER_CONFFILE_H
#define ER_CONFFILE_H

#include <stdbool.h>
#include <stddef.h>

#define ER_CONFFILE_DEFAULT "/etc/earlyrandom.conf"
#define ER_CONFFILE_MAX_BYTES 16384
#define ER_CONFFILE_MAX_ENTRIES 16

struct er_conffile_entry {
    const char *name;  /* "policy", "init_after", ... */
    const char *value; /* points into the parsed text */
    int line;
};

struct er_conffile {
    const char *path;
    size_t count;
    struct er_conffile_entry entries[ER_CONFFILE_MAX_ENTRIES];
};

/* The setting names of the file: each variable's name without EARLYRANDOM_, in lower case. */
#define ER_CONF_NAMES                                                                        \
    "policy, init_after, epoch, ready_file, weak, log, log_all, hang_timeout, kernel, "      \
    "entropy_rate, kernel_log"

/* Parses text in place (NUL-terminated; lines are cut into names and values). Blank lines and
 * lines starting with '#' are ignored; values may be quoted with "". Returns the number of bad
 * lines, each reported as one line in errbuf naming the file and line. */
int er_conffile_parse(char *text, const char *path, struct er_conffile *out, char *errbuf,
                      size_t errlen);

/* The value of a variable (EARLYRANDOM_POLICY looks up "policy"), or NULL; *line gets its line. */
const char *er_conffile_lookup(const struct er_conffile *cf, const char *variable, int *line);

#endif
