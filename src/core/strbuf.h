/* A bounded string builder for messages: never overflows, always terminated. */
#ifndef ER_STRBUF_H
#define ER_STRBUF_H

#include <stddef.h>

struct er_strbuf {
    char *buf;
    size_t len, cap;
};

void er_sb_put(struct er_strbuf *sb, const char *s, size_t n);
void er_sb_puts(struct er_strbuf *sb, const char *s);
void er_sb_put_uint(struct er_strbuf *sb, unsigned long v);
/* A value quoted for a message: printable ASCII as is, other bytes as \xNN, long values cut. */
void er_sb_put_value(struct er_strbuf *sb, const char *v);

#endif
