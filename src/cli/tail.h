/* Follows a log file that other processes append to, handing over whole lines only: a record is
 * seen once its newline is there, a partial last line waits for the next round. */
#ifndef ER_CLI_TAIL_H
#define ER_CLI_TAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Longer lines than this are no record of the library (at most 4 KiB): cut off, flagged. */
#define ER_TAIL_MAX_LINE 65536

/* line is NUL-terminated without its newline and may be modified; too_long marks a cut line. */
typedef void (*er_line_fn)(char *line, bool too_long, void *ctx);

struct er_tail {
    const char *path;
    int fd; /* -1 until the file exists */
    off_t offset;
    char *buf;
    size_t len;
    bool skipping; /* inside a line that was too long, until its newline */
};

/* Starts following path at offset (its size when the command started); a NULL path follows
 * nothing. */
void er_tail_init(struct er_tail *t, const char *path, off_t offset);

/* Reads what was appended and calls fn for each complete line. False on a read error. */
bool er_tail_poll(struct er_tail *t, er_line_fn fn, void *ctx);

/* Reads the rest and hands over a last line without its newline too (a truncated record). */
bool er_tail_finish(struct er_tail *t, er_line_fn fn, void *ctx);

void er_tail_close(struct er_tail *t);

/* Reads a whole stream line by line the same way (for 'report'). False on a read error. */
bool er_read_lines(int fd, er_line_fn fn, void *ctx);

#endif
