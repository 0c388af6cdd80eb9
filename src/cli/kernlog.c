#include "kernlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char marker[] = "earlyrandom";

/* At p, just after "earlyrandom": an optional "[digits]", then ": {". Returns the '{' or NULL. */
static char *after_marker(char *p)
{
    if (*p == '[') {
        char *q = p + 1;
        while (*q >= '0' && *q <= '9')
            q++;
        if (q == p + 1 || *q != ']')
            return NULL;
        p = q + 1;
    }
    return p[0] == ':' && p[1] == ' ' && p[2] == '{' ? p + 2 : NULL;
}

static bool suppressed_note(const char *line, uint64_t *n)
{
    static const char phrase[] = " output lines suppressed due to ratelimiting";
    const char *at = strstr(line, phrase);
    if (at == NULL)
        return false;
    const char *d = at;
    while (d > line && d[-1] >= '0' && d[-1] <= '9')
        d--;
    if (d == at)
        return false;
    uint64_t v = 0;
    for (const char *p = d; p < at && v < UINT64_MAX / 10 - 10; p++)
        v = v * 10 + (uint64_t)(*p - '0');
    *n = v;
    return true;
}

enum er_line_kind er_kernlog_classify(char *line, char **json, uint64_t *suppressed)
{
    char *p = line;
    while (*p == ' ' || *p == '\t' || *p == '\r')
        p++;
    if (*p == '\0')
        return ER_LINE_BLANK;
    if (*p == '{') {
        *json = p;
        return ER_LINE_JSON;
    }
    for (char *m = strstr(p, marker); m != NULL; m = strstr(m + 1, marker)) {
        char *brace = after_marker(m + sizeof marker - 1);
        if (brace != NULL) {
            *json = brace;
            return ER_LINE_PREFIXED;
        }
    }
    if (suppressed_note(p, suppressed))
        return ER_LINE_SUPPRESSED;
    return ER_LINE_OTHER;
}

/* "PRI,SEQ,USEC,": the microseconds after boot of a /dev/kmsg record. */
static bool kmsg_usec(const char *p, int64_t *usec)
{
    for (int field = 0; field < 2; field++) {
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p++ != ',')
            return false;
    }
    int64_t v = 0;
    if (*p < '0' || *p > '9')
        return false;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > INT64_MAX / 10000)
            return false;
        v = v * 10 + (*p - '0');
    }
    *usec = v;
    return *p == ',' || *p == ';';
}

/* "[    0.912345]": seconds and a fraction after boot, as dmesg and journalctl -o
 * short-monotonic print them. */
static bool bracket_time(const char *p, int64_t *ns)
{
    if (*p++ != '[')
        return false;
    while (*p == ' ')
        p++;
    int64_t sec = 0, frac = 0, scale = 100000000;
    if (*p < '0' || *p > '9')
        return false;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (sec > INT64_MAX / 1000000000 / 10)
            return false;
        sec = sec * 10 + (*p - '0');
    }
    if (*p++ != '.' || *p < '0' || *p > '9')
        return false;
    for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
        frac += (*p - '0') * scale;
    *ns = sec * 1000000000 + frac;
    return *p == ']';
}

bool er_kernlog_crng_done(const char *line, bool *has_boot, int64_t *boot_ns)
{
    if (strstr(line, "crng init done") == NULL)
        return false;
    while (*line == ' ' || *line == '\t')
        line++;
    int64_t usec;
    if (bracket_time(line, boot_ns)) {
        *has_boot = true;
    } else if (kmsg_usec(line, &usec)) {
        *has_boot = true;
        *boot_ns = usec * 1000;
    } else {
        *has_boot = false;
    }
    return true;
}

static int hex(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

size_t er_kernlog_unescape(char *s)
{
    char *r = s, *w = s;
    size_t n = 0;
    while (*r) {
        if (r[0] == '\\' && r[1] == '\\') {
            *w++ = *r++;
            *w++ = *r++;
        } else if (r[0] == '\\' && r[1] == 'x' && hex(r[2]) >= 0 && hex(r[3]) >= 0 &&
                   (hex(r[2]) | hex(r[3])) != 0) {
            *w++ = (char)(hex(r[2]) << 4 | hex(r[3]));
            r += 4;
            n++;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return n;
}

bool er_kmsg_split(char *rec, size_t len, uint64_t *seq, char **msg)
{
    rec[len] = '\0';
    char *semi = memchr(rec, ';', len);
    char *comma = memchr(rec, ',', len);
    if (semi == NULL || comma == NULL || comma > semi)
        return false;
    uint64_t v = 0;
    char *p = comma + 1;
    if (*p < '0' || *p > '9')
        return false;
    for (; *p >= '0' && *p <= '9'; p++)
        v = v * 10 + (uint64_t)(*p - '0');
    if (*p != ',' && *p != ';')
        return false;
    *seq = v;
    *msg = semi + 1;
    char *nl = strchr(*msg, '\n');
    if (nl != NULL)
        *nl = '\0';
    return true;
}

int er_kmsg_read(const char *path, void (*fn)(char *msg, int64_t boot_ns, void *ctx), void *ctx,
                 struct er_kmsg_stats *st)
{
    memset(st, 0, sizeof *st);
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return errno;
    /* One read is one message; the kernel refuses a buffer too small for it (EINVAL). */
    enum { CAP = 16384 };
    char *buf = malloc(CAP + 1);
    int err = buf == NULL ? ENOMEM : 0;
    while (err == 0) {
        ssize_t n = read(fd, buf, CAP);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EPIPE) { /* overwritten under us: the next read resumes at the oldest */
                st->overwritten++;
                continue;
            }
            if (errno != EAGAIN)
                err = errno;
            break;
        }
        if (n == 0)
            break;
        uint64_t seq;
        int64_t usec = 0;
        char *msg;
        buf[n] = '\0';
        kmsg_usec(buf, &usec);
        if (!er_kmsg_split(buf, (size_t)n, &seq, &msg))
            continue;
        if (!st->has_first) {
            st->has_first = true;
            st->first_seq = seq;
        }
        st->records++;
        fn(msg, usec * 1000, ctx);
    }
    free(buf);
    close(fd);
    return err;
}
