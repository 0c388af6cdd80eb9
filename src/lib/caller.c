#include "caller.h"
#include "nextsym.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>

#ifdef HAVE__DL_FIND_OBJECT
/* The main program's link map, found from its program headers (inside its first segment). The map,
 * not where the object starts, identifies it: _dl_find_object answers each segment of a main
 * program whose segments leave gaps (node's) with that segment's own start. */
static const struct link_map *main_program_map(void)
{
    static const struct link_map *map;
    if (map != NULL)
        return map;
    struct dl_find_object o;
    if (_dl_find_object((void *)getauxval(AT_PHDR), &o) == 0)
        map = o.dlfo_link_map;
    return map;
}
#else
/* Where the main program is mapped: its program headers are inside its first page. */
static const void *main_program_base(void)
{
    static const void *base;
    if (base != NULL)
        return base;
    Dl_info info;
    if (dladdr((const void *)getauxval(AT_PHDR), &info) != 0)
        base = info.dli_fbase;
    return base;
}
#endif

#ifdef HAVE__DL_FIND_OBJECT
/* Naming a return address's symbol means scanning its object's whole symbol table, as dladdr
 * does (er_object_symbol_at): about 50 us per record for a caller in libc (3,000 symbols) on
 * the machine this was measured on, more in libcrypto, against a budget of 2 us. A program has
 * few call sites, so each one's symbol is kept here, with the identity of the object it was
 * found in (where it is mapped, and a hash of its path); _dl_find_object (lock-free) finds the
 * object again at every record, so an object unloaded and another loaded in its place, even
 * from the same code, misses rather than lies. Entries are written under a sequence count and
 * copied out, never pointed to. */
#define CALLER_CACHE_SLOTS 64
static struct cached_caller {
    unsigned seq; /* odd while an entry is written */
    const void *address;
    const void *map;
    const void *map_start;
    const void *map_end;
    const void *eh_frame;
    uint64_t name_hash;
    char symbol[ER_CALLER_SYMBOL_MAX]; /* "" when the address is in no exported symbol */
} caller_cache[CALLER_CACHE_SLOTS];

static struct cached_caller *slot_of(const void *address)
{
    uintptr_t a = (uintptr_t)address;
    return &caller_cache[(a ^ (a >> 6) ^ (a >> 12)) % CALLER_CACHE_SLOTS];
}

static uint64_t name_hash(const struct dl_find_object *o)
{
    uint64_t h = 14695981039346656037ULL; /* FNV-1a */
    for (const char *c = o->dlfo_link_map->l_name; c != NULL && *c != '\0'; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    return h;
}

static int same_object(const struct cached_caller *c, const struct dl_find_object *o,
                       uint64_t hash)
{
    return c->map == o->dlfo_link_map && c->map_start == o->dlfo_map_start &&
           c->map_end == o->dlfo_map_end && c->eh_frame == o->dlfo_eh_frame &&
           c->name_hash == hash;
}

static int cached_symbol(const void *address, const struct dl_find_object *o, char *symbol)
{
    struct cached_caller *c = slot_of(address);
    unsigned seq = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);
    if (seq & 1)
        return 0;
    struct cached_caller copy;
    __atomic_load(&c->address, &copy.address, __ATOMIC_RELAXED);
    __atomic_load(&c->map, &copy.map, __ATOMIC_RELAXED);
    __atomic_load(&c->map_start, &copy.map_start, __ATOMIC_RELAXED);
    __atomic_load(&c->map_end, &copy.map_end, __ATOMIC_RELAXED);
    __atomic_load(&c->eh_frame, &copy.eh_frame, __ATOMIC_RELAXED);
    __atomic_load(&c->name_hash, &copy.name_hash, __ATOMIC_RELAXED);
    for (size_t i = 0; i < ER_CALLER_SYMBOL_MAX; i++)
        symbol[i] = __atomic_load_n(&c->symbol[i], __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&c->seq, __ATOMIC_RELAXED) != seq)
        return 0;
    symbol[ER_CALLER_SYMBOL_MAX - 1] = '\0';
    return copy.address == address && same_object(&copy, o, name_hash(o));
}

static void remember_symbol(const void *address, const struct dl_find_object *o,
                            const char *symbol)
{
    size_t len = symbol != NULL ? strlen(symbol) : 0;
    if (len >= ER_CALLER_SYMBOL_MAX)
        return; /* a long C++ name: looked up every time rather than cut */
    struct cached_caller *c = slot_of(address);
    unsigned seq = __atomic_load_n(&c->seq, __ATOMIC_RELAXED);
    /* Another thread (or a signal handler interrupting this one) writing it: leave it. */
    if ((seq & 1) || !__atomic_compare_exchange_n(&c->seq, &seq, seq + 1, false,
                                                  __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&c->address, address, __ATOMIC_RELAXED);
    __atomic_store_n(&c->map, (const void *)o->dlfo_link_map, __ATOMIC_RELAXED);
    __atomic_store_n(&c->map_start, (const void *)o->dlfo_map_start, __ATOMIC_RELAXED);
    __atomic_store_n(&c->map_end, (const void *)o->dlfo_map_end, __ATOMIC_RELAXED);
    __atomic_store_n(&c->eh_frame, (const void *)o->dlfo_eh_frame, __ATOMIC_RELAXED);
    __atomic_store_n(&c->name_hash, name_hash(o), __ATOMIC_RELAXED);
    for (size_t i = 0; i <= len; i++)
        __atomic_store_n(&c->symbol[i], len > 0 ? symbol[i] : '\0', __ATOMIC_RELAXED);
    __atomic_store_n(&c->seq, seq + 2, __ATOMIC_RELEASE);
}
#endif

void er_caller_lookup(const void *address, const char *main_program, struct er_caller *out)
{
    out->object = NULL;
    out->symbol = NULL;
    if (address == NULL)
        return;
    /* The return address points just after the call instruction; one byte back is inside it,
     * which matters when the call is the last instruction of a function. */
    const void *call = (const char *)address - 1;
#ifdef HAVE__DL_FIND_OBJECT
    /* Neither finding the object nor reading its symbols takes the loader's lock, which dladdr
     * takes: a record made while another thread is inside dlopen must not wait for it. */
    struct dl_find_object o;
    if (_dl_find_object((void *)call, &o) != 0)
        return;
    /* The loader names the main program by how it was started ("node", a symlink), or not at
     * all, rather than by the path of the file, which is what "exe" says. */
    out->object = o.dlfo_link_map == main_program_map() ? main_program : o.dlfo_link_map->l_name;
    if (cached_symbol(call, &o, out->symbol_copy)) {
        out->symbol = out->symbol_copy[0] != '\0' ? out->symbol_copy : NULL;
        return;
    }
    out->symbol = er_object_symbol_at(o.dlfo_link_map, call);
    remember_symbol(call, &o, out->symbol);
#else
    Dl_info info;
    if (dladdr(call, &info) != 0) {
        out->object = info.dli_fname;
        out->symbol = info.dli_sname;
        if (info.dli_fbase == main_program_base())
            out->object = main_program;
    }
#endif
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
