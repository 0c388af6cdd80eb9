#include "tail.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK 16384

void er_tail_init(struct er_tail *t, const char *path, off_t offset)
{
    memset(t, 0, sizeof *t);
    t->path = path;
    t->fd = -1;
    t->offset = offset;
}

void er_tail_close(struct er_tail *t)
{
    if (t->fd >= 0)
        close(t->fd);
    free(t->buf);
    t->fd = -1;
    t->buf = NULL;
    t->len = 0;
}

/* Hands over every complete line in buf and keeps the rest at its start. */
static void split_lines(struct er_tail *t, er_line_fn fn, void *ctx)
{
    size_t start = 0;
    char *nl;
    while ((nl = memchr(t->buf + start, '\n', t->len - start)) != NULL) {
        *nl = '\0';
        if (!t->skipping)
            fn(t->buf + start, false, ctx);
        t->skipping = false;
        start = (size_t)(nl - t->buf) + 1;
    }
    memmove(t->buf, t->buf + start, t->len - start);
    t->len -= start;
    /* A line that outgrew any record: report it once as cut, then drop bytes until its end. */
    if (t->len >= ER_TAIL_MAX_LINE) {
        t->buf[t->len] = '\0';
        if (!t->skipping)
            fn(t->buf, true, ctx);
        t->skipping = true;
        t->len = 0;
    }
}

/* Appends what can be read from fd to the buffer; returns bytes read, 0 at end, -1 on error. */
static ssize_t read_more(struct er_tail *t, int fd, bool positioned)
{
    if (t->buf == NULL && (t->buf = malloc(ER_TAIL_MAX_LINE + CHUNK + 1)) == NULL)
        return -1;
    ssize_t n;
    do {
        n = positioned ? pread(fd, t->buf + t->len, CHUNK, t->offset)
                       : read(fd, t->buf + t->len, CHUNK);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        t->len += (size_t)n;
        t->offset += n;
    }
    return n;
}

static bool ensure_open(struct er_tail *t)
{
    if (t->fd >= 0 || t->path == NULL)
        return true;
    t->fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (t->fd < 0)
        return errno == ENOENT; /* not written yet: nothing to read, not an error */
    struct stat st;
    /* A file replaced by a shorter one since the start: read it from its beginning. */
    if (fstat(t->fd, &st) == 0 && st.st_size < t->offset)
        t->offset = 0;
    return true;
}

bool er_tail_poll(struct er_tail *t, er_line_fn fn, void *ctx)
{
    if (!ensure_open(t))
        return false;
    if (t->fd < 0)
        return true;
    ssize_t n;
    while ((n = read_more(t, t->fd, true)) > 0)
        split_lines(t, fn, ctx);
    return n == 0;
}

/* Hands over what is left after the last newline as one more (truncated) line. */
static void flush_partial(struct er_tail *t, er_line_fn fn, void *ctx)
{
    if (t->len > 0 && !t->skipping) {
        t->buf[t->len] = '\0';
        fn(t->buf, false, ctx);
    }
    t->len = 0;
    t->skipping = false;
}

bool er_tail_finish(struct er_tail *t, er_line_fn fn, void *ctx)
{
    bool ok = er_tail_poll(t, fn, ctx);
    flush_partial(t, fn, ctx);
    return ok;
}

bool er_read_lines(int fd, er_line_fn fn, void *ctx)
{
    struct er_tail t;
    er_tail_init(&t, NULL, 0);
    ssize_t n;
    while ((n = read_more(&t, fd, false)) > 0)
        split_lines(&t, fn, ctx);
    flush_partial(&t, fn, ctx);
    free(t.buf);
    return n == 0;
}
