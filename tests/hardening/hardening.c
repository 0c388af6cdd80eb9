#include "hardening.h"

#include <stdio.h>
#include <string.h>

#include "jsonv.h"

const char *const er_library = ER_LIBRARY;
const char *const er_probe_plain = ER_PROBE_PLAIN;
const char *const er_probe_fortified = ER_PROBE_FORTIFIED;
const char *const hard_helper_plain = HARD_HELPER_PLAIN;
const char *const hard_helper_fortified = HARD_HELPER_FORTIFIED;
const char *const hard_helper_nosan = HARD_HELPER_NOSAN;
const char *const hard_ctor_lib = HARD_CTOR_LIB;
const char *const hard_ctor_prog = HARD_CTOR_PROG;
const char *const hard_alloc_lib = HARD_ALLOC_LIB;
const char *const hard_srcdir = HARD_SRCDIR;
const bool hard_sanitized = HARD_SANITIZED;

long check_jsonl(const char *text, size_t len, long *bad, char *first_bad, size_t cap)
{
    long good = 0;
    *bad = 0;
    if (cap)
        first_bad[0] = '\0';
    size_t i = 0;
    static char line[1 << 16];
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (text + i)) + 1 : len - i;
        struct jv_result jr;
        bool ok = false;
        if (n < sizeof line) {
            memcpy(line, text + i, n);
            line[n] = '\0';
            ok = jv_check_line(line, n, &jr);
        }
        if (ok) {
            good++;
        } else {
            if (*bad == 0 && cap) {
                size_t c = n < cap - 1 ? n : cap - 1;
                memcpy(first_bad, text + i, c);
                first_bad[c] = '\0';
            }
            (*bad)++;
        }
        i += n;
    }
    return good;
}

const char *preload_list(const char *a, const char *b)
{
    static char list[8192];
    snprintf(list, sizeof list, "%s %s", a, b);
    return list;
}
