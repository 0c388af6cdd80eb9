#include "caller.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <string.h>
#include <sys/auxv.h>

/* Where the main program is mapped: its program headers are inside its first page. */
static const void *main_program_base(void)
{
    static const void *base;
    Dl_info info;
    if (base == NULL && dladdr((const void *)getauxval(AT_PHDR), &info) != 0)
        base = info.dli_fbase;
    return base;
}

void er_caller_lookup(const void *address, const char *main_program, struct er_caller *out)
{
    Dl_info info;
    out->object = NULL;
    out->symbol = NULL;
    /* The return address points just after the call instruction; one byte back is inside it,
     * which matters when the call is the last instruction of a function. */
    if (address != NULL && dladdr((const char *)address - 1, &info) != 0) {
        out->object = info.dli_fname;
        out->symbol = info.dli_sname;
        /* The loader names the main program by how it was started ("node", a symlink), not by
         * the path of the file, which is what "exe" says. */
        if (info.dli_fbase == main_program_base())
            out->object = main_program;
    }
}

static size_t append(char *text, size_t len, size_t used, const char *s)
{
    size_t n = strlen(s);
    if (used + n >= len)
        n = used < len ? len - used - 1 : 0;
    memcpy(text + used, s, n);
    return used + n;
}

static size_t append_hex(char *text, size_t len, size_t used, unsigned long v)
{
    char tmp[2 + 16 + 1];
    size_t i = sizeof tmp - 1;
    tmp[i] = '\0';
    do {
        tmp[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v != 0);
    tmp[--i] = 'x';
    tmp[--i] = '0';
    return append(text, len, used, tmp + i);
}

size_t er_backtrace(const char **frames, size_t max_frames, char *text, size_t text_len)
{
    void *addresses[64];
    if (max_frames > 64)
        max_frames = 64;
    /* backtrace() loads libgcc's unwinder on first use; it runs here only after a request has
     * waited for the whole hang timeout, never on an ordinary hook path. */
    int n = backtrace(addresses, (int)max_frames);
    size_t used = 0, count = 0;
    for (int i = 0; i < n && used + 1 < text_len; i++) {
        Dl_info info;
        const char *start = text + used;
        if (dladdr(addresses[i], &info) != 0 && info.dli_fname != NULL) {
            used = append(text, text_len, used, info.dli_fname);
            used = append(text, text_len, used, "(");
            if (info.dli_sname != NULL) {
                used = append(text, text_len, used, info.dli_sname);
                used = append(text, text_len, used, "+");
                used = append_hex(text, text_len, used,
                                  (unsigned long)((char *)addresses[i] - (char *)info.dli_saddr));
            } else {
                used = append(text, text_len, used, "+");
                used = append_hex(text, text_len, used,
                                  (unsigned long)((char *)addresses[i] - (char *)info.dli_fbase));
            }
            used = append(text, text_len, used, ") ");
        }
        used = append(text, text_len, used, "[");
        used = append_hex(text, text_len, used, (unsigned long)addresses[i]);
        used = append(text, text_len, used, "]");
        if (used + 1 >= text_len)
            break;
        text[used++] = '\0';
        frames[count++] = start;
    }
    return count;
}
