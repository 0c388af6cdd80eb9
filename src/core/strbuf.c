#include "strbuf.h"

#include <string.h>

void er_sb_put(struct er_strbuf *sb, const char *s, size_t n)
{
    if (sb->cap == 0)
        return;
    size_t room = sb->cap - 1 - sb->len;
    if (n > room)
        n = room;
    memcpy(sb->buf + sb->len, s, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

void er_sb_puts(struct er_strbuf *sb, const char *s) { er_sb_put(sb, s, strlen(s)); }

/* A hostile or binary value still yields one readable line. */
void er_sb_put_value(struct er_strbuf *sb, const char *v)
{
    static const char hex[] = "0123456789abcdef";
    size_t shown = 0;
    er_sb_puts(sb, "'");
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (shown++ == 64) {
            er_sb_puts(sb, "...");
            break;
        }
        if (*p >= 0x20 && *p < 0x7f && *p != '\\' && *p != '\'') {
            er_sb_put(sb, (const char *)p, 1);
        } else {
            char esc[4] = { '\\', 'x', hex[*p >> 4], hex[*p & 15] };
            er_sb_put(sb, esc, 4);
        }
    }
    er_sb_puts(sb, "'");
}


void er_sb_put_uint(struct er_strbuf *sb, unsigned long v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    er_sb_put(sb, tmp + i, sizeof tmp - i);
}
