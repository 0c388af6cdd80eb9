#include "conffile.h"

#include <string.h>

#include "config.h"
#include "strbuf.h"

static const char *const known_names[] = {
    "policy", "init_after", "epoch", "ready_file", "weak", "log", "log_all", "hang_timeout",
    "kernel", "entropy_rate", "kernel_log",
};

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static char *trim(char *s)
{
    while (is_space(*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && is_space(end[-1]))
        *--end = '\0';
    return s;
}

static bool known(const char *name)
{
    for (size_t i = 0; i < sizeof known_names / sizeof known_names[0]; i++)
        if (strcmp(name, known_names[i]) == 0)
            return true;
    return false;
}

static void report_line(struct er_strbuf *sb, const char *path, int line, const char *what,
                        const char *detail)
{
    er_sb_puts(sb, "earlyrandom: ");
    er_sb_puts(sb, path);
    er_sb_puts(sb, ":");
    er_sb_put_uint(sb, (unsigned long)line);
    er_sb_puts(sb, ": ");
    er_sb_puts(sb, what);
    er_sb_put_value(sb, detail);
    er_sb_puts(sb, ER_PASSTHROUGH_NOTE "\n");
}

int er_conffile_parse(char *text, const char *path, struct er_conffile *out, char *errbuf,
                      size_t errlen)
{
    struct er_strbuf sb = { errbuf, 0, errlen };
    if (errlen > 0)
        errbuf[0] = '\0';
    memset(out, 0, sizeof *out);
    out->path = path;
    int bad = 0, line = 0;
    char *next = text;
    while (next != NULL) {
        char *cur = next;
        next = strchr(cur, '\n');
        if (next != NULL)
            *next++ = '\0';
        line++;
        char *s = trim(cur);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            report_line(&sb, path, line, "expected 'name = value', got ", s);
            bad++;
            continue;
        }
        *eq = '\0';
        char *name = trim(s), *value = trim(eq + 1);
        size_t vlen = strlen(value);
        if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
            value[vlen - 1] = '\0';
            value++;
        }
        if (!known(name)) {
            report_line(&sb, path, line, "unknown setting (known: " ER_CONF_NAMES ") ", name);
            bad++;
        } else if (out->count == ER_CONFFILE_MAX_ENTRIES) {
            report_line(&sb, path, line, "too many settings, ignored: ", name);
            bad++;
        } else {
            out->entries[out->count++] = (struct er_conffile_entry){ name, value, line };
        }
    }
    return bad;
}

const char *er_conffile_lookup(const struct er_conffile *cf, const char *variable, int *line)
{
    static const char prefix[] = "EARLYRANDOM_";
    if (cf == NULL || strncmp(variable, prefix, sizeof prefix - 1) != 0)
        return NULL;
    const char *suffix = variable + sizeof prefix - 1;
    const char *found = NULL;
    /* The last occurrence wins, as in most configuration files. */
    for (size_t i = 0; i < cf->count; i++) {
        const char *a = cf->entries[i].name, *b = suffix;
        while (*a && *b && *a == (*b >= 'A' && *b <= 'Z' ? *b - 'A' + 'a' : *b)) {
            a++;
            b++;
        }
        if (*a == '\0' && *b == '\0') {
            found = cf->entries[i].value;
            *line = cf->entries[i].line;
        }
    }
    return found;
}
