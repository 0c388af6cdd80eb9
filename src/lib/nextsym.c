#include "nextsym.h"

#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/auxv.h>

/* The loader relocates these entries in place, except where an object's dynamic section is
 * read-only (the vDSO; MIPS and RISC-V objects): a value below the load address is an offset. */
static ElfW(Addr) address_of(const struct link_map *map, ElfW(Addr) value)
{
    return value < map->l_addr ? value + map->l_addr : value;
}

static int same_name(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

struct dynamic_tables {
    const ElfW(Sym) *symtab;
    const char *strtab;
    const ElfW(Half) *versym;
    const uint32_t *gnu_hash;
    const Elf_Symndx *sysv_hash;
};

static int read_dynamic(const struct link_map *map, struct dynamic_tables *t)
{
    *t = (struct dynamic_tables){0};
    if (map->l_ld == NULL)
        return 0;
    for (const ElfW(Dyn) *d = map->l_ld; d->d_tag != DT_NULL; d++) {
        switch (d->d_tag) {
        case DT_SYMTAB:
            t->symtab = (const ElfW(Sym) *)address_of(map, d->d_un.d_ptr);
            break;
        case DT_STRTAB:
            t->strtab = (const char *)address_of(map, d->d_un.d_ptr);
            break;
        case DT_VERSYM:
            t->versym = (const ElfW(Half) *)address_of(map, d->d_un.d_ptr);
            break;
        case DT_GNU_HASH:
            t->gnu_hash = (const uint32_t *)address_of(map, d->d_un.d_ptr);
            break;
        case DT_HASH:
            t->sysv_hash = (const Elf_Symndx *)address_of(map, d->d_un.d_ptr);
            break;
        default:
            break;
        }
    }
    return t->symtab != NULL && t->strtab != NULL && (t->gnu_hash != NULL || t->sysv_hash != NULL);
}

enum match { NO_MATCH, MATCH, MATCH_IFUNC };

/* What dlsym accepts without a version: a defined, exported function whose version, if any, is
 * the default one (a hidden version is an old ABI kept for old binaries). */
/* ELF64_ST_* and ELF32_ST_* are the same macros. */
static enum match matches(const struct dynamic_tables *t, Elf_Symndx index, const char *name)
{
    const ElfW(Sym) *sym = &t->symtab[index];
    if (sym->st_shndx == SHN_UNDEF || sym->st_value == 0)
        return NO_MATCH;
    int type = ELF64_ST_TYPE(sym->st_info), bind = ELF64_ST_BIND(sym->st_info);
    if ((type != STT_FUNC && type != STT_GNU_IFUNC) ||
        (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE))
        return NO_MATCH;
    int visibility = ELF64_ST_VISIBILITY(sym->st_other);
    if (visibility == STV_HIDDEN || visibility == STV_INTERNAL)
        return NO_MATCH;
    if (t->versym != NULL && ((t->versym[index] & 0x8000) || (t->versym[index] & 0x7fff) == 0))
        return NO_MATCH;
    if (!same_name(t->strtab + sym->st_name, name))
        return NO_MATCH;
    return type == STT_GNU_IFUNC ? MATCH_IFUNC : MATCH;
}

static uint32_t gnu_hash(const char *name)
{
    uint32_t h = 5381;
    for (const unsigned char *c = (const unsigned char *)name; *c != '\0'; c++)
        h = h * 33 + *c;
    return h;
}

static uint32_t sysv_hash(const char *name)
{
    uint32_t h = 0;
    for (const unsigned char *c = (const unsigned char *)name; *c != '\0'; c++) {
        h = (h << 4) + *c;
        uint32_t high = h & 0xf0000000;
        if (high != 0)
            h ^= high >> 24;
        h &= ~high;
    }
    return h;
}

static enum match find_gnu(const struct dynamic_tables *t, const char *name, Elf_Symndx *found)
{
    const uint32_t *header = t->gnu_hash;
    uint32_t nbuckets = header[0], symoffset = header[1], bloom_size = header[2],
             bloom_shift = header[3];
    const ElfW(Addr) *bloom = (const ElfW(Addr) *)(header + 4);
    const uint32_t *buckets = (const uint32_t *)(bloom + bloom_size);
    const uint32_t *chain = buckets + nbuckets;
    if (nbuckets == 0 || bloom_size == 0)
        return NO_MATCH;

    const unsigned bits = sizeof(ElfW(Addr)) * 8;
    uint32_t h = gnu_hash(name);
    ElfW(Addr) word = bloom[(h / bits) & (bloom_size - 1)];
    ElfW(Addr) mask = ((ElfW(Addr))1 << (h % bits)) | ((ElfW(Addr))1 << ((h >> bloom_shift) % bits));
    if ((word & mask) != mask)
        return NO_MATCH; /* most objects, for most names: one load */
    uint32_t index = buckets[h % nbuckets];
    if (index < symoffset)
        return NO_MATCH;
    for (;; index++) {
        uint32_t entry = chain[index - symoffset];
        if (((entry ^ h) >> 1) == 0) {
            enum match m = matches(t, index, name);
            if (m != NO_MATCH) {
                *found = index;
                return m;
            }
        }
        if (entry & 1)
            return NO_MATCH;
    }
}

static enum match find_sysv(const struct dynamic_tables *t, const char *name, Elf_Symndx *found)
{
    Elf_Symndx nbuckets = t->sysv_hash[0];
    const Elf_Symndx *buckets = t->sysv_hash + 2, *chain = buckets + nbuckets;
    if (nbuckets == 0)
        return NO_MATCH;
    for (Elf_Symndx index = buckets[sysv_hash(name) % nbuckets]; index != STN_UNDEF;
         index = chain[index]) {
        enum match m = matches(t, index, name);
        if (m != NO_MATCH) {
            *found = index;
            return m;
        }
    }
    return NO_MATCH;
}

void *er_object_symbol(const struct link_map *map, const char *name, int *found_ifunc)
{
    *found_ifunc = 0;
    struct dynamic_tables t;
    if (!read_dynamic(map, &t))
        return NULL;
    Elf_Symndx index = 0;
    enum match m = t.gnu_hash != NULL ? find_gnu(&t, name, &index) : find_sysv(&t, name, &index);
    if (m == MATCH_IFUNC)
        *found_ifunc = 1;
    if (m != MATCH)
        return NULL;
    return (void *)(map->l_addr + t.symtab[index].st_value);
}

/* The indices of the symbols a hash table lists (the exported ones): [*first, *end). */
static void hashed_symbols(const struct dynamic_tables *t, Elf_Symndx *first, Elf_Symndx *end)
{
    *first = *end = 0;
    if (t->gnu_hash == NULL) {
        *end = t->sysv_hash[1]; /* nchain: one per symbol of the table */
        return;
    }
    const uint32_t *header = t->gnu_hash;
    uint32_t nbuckets = header[0], symoffset = header[1], bloom_size = header[2];
    const uint32_t *buckets = (const uint32_t *)((const ElfW(Addr) *)(header + 4) + bloom_size);
    const uint32_t *chain = buckets + nbuckets;
    uint32_t last = 0;
    for (uint32_t b = 0; b < nbuckets; b++)
        last = buckets[b] > last ? buckets[b] : last;
    if (last < symoffset)
        return; /* no symbol is exported */
    while (!(chain[last - symoffset] & 1))
        last++;
    *first = symoffset;
    *end = last + 1;
}

/* What dladdr matches (glibc's elf/dl-addr.c): a defined, exported symbol, neither TLS nor
 * absolute, that holds the address (or starts at it, when it has no size). */
static int holds(const struct link_map *map, const ElfW(Sym) *sym, ElfW(Addr) address)
{
    if ((sym->st_shndx == SHN_UNDEF && sym->st_value == 0) || sym->st_shndx == SHN_ABS ||
        ELF64_ST_TYPE(sym->st_info) == STT_TLS)
        return 0;
    int bind = ELF64_ST_BIND(sym->st_info), visibility = ELF64_ST_VISIBILITY(sym->st_other);
    if ((bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE) ||
        visibility == STV_HIDDEN || visibility == STV_INTERNAL)
        return 0;
    ElfW(Addr) start = map->l_addr + sym->st_value;
    if (address < start)
        return 0;
    if (sym->st_shndx == SHN_UNDEF || sym->st_size == 0)
        return address == start;
    return address < start + sym->st_size;
}

const char *er_object_symbol_at(const struct link_map *map, const void *address)
{
    struct dynamic_tables t;
    if (!read_dynamic(map, &t))
        return NULL;
    Elf_Symndx first, end;
    hashed_symbols(&t, &first, &end);
    const ElfW(Sym) *best = NULL;
    for (Elf_Symndx i = first; i < end; i++) {
        const ElfW(Sym) *sym = &t.symtab[i];
        /* Among the symbols that hold it, the one that starts last, as dladdr chooses. */
        if (holds(map, sym, (ElfW(Addr))address) && (best == NULL || best->st_value < sym->st_value))
            best = sym;
    }
    return best != NULL ? t.strtab + best->st_name : NULL;
}

/* The vDSO is in the list of loaded objects but not in the program's search scope, where dlsym
 * looks: its getrandom (Linux 6.11) is the kernel's, with other arguments than libc's. */
static int is_vdso(const struct link_map *map)
{
    int saved = errno; /* getauxval sets ENOENT where there is no vDSO (under valgrind) */
    ElfW(Addr) start = (ElfW(Addr))getauxval(AT_SYSINFO_EHDR), end = start;
    errno = saved;
    if (start == 0)
        return 0;
    const ElfW(Ehdr) *ehdr = (const ElfW(Ehdr) *)start;
    const ElfW(Phdr) *phdr = (const ElfW(Phdr) *)(start + ehdr->e_phoff);
    for (int i = 0; i < ehdr->e_phnum; i++)
        if (phdr[i].p_type == PT_LOAD && start + phdr[i].p_offset + phdr[i].p_memsz > end)
            end = start + phdr[i].p_offset + phdr[i].p_memsz;
    ElfW(Addr) dynamic = (ElfW(Addr))map->l_ld;
    return dynamic >= start && dynamic < end;
}

void *er_symbol_after(const struct link_map *self, const struct link_map *last, const char *name)
{
    if (self == NULL)
        return NULL;
    for (const struct link_map *m = self->l_next; m != NULL; m = m->l_next) {
        if (is_vdso(m)) {
            if (m == last)
                break;
            continue;
        }
        int ifunc;
        void *fn = er_object_symbol(m, name, &ifunc);
        if (fn != NULL || ifunc)
            return fn;
        if (m == last)
            break;
    }
    return NULL;
}

extern ElfW(Dyn) _DYNAMIC[];

/* Objects loaded after the constructor (dlopen) are not looked at, as dlsym(RTLD_NEXT) from the
 * constructor did not see them either; they may also be unloaded at any moment. In .data for the
 * reason shim.c gives for its start. */
static const struct link_map *self_map __attribute__((section(".data.er_start")));
static const struct link_map *last_map __attribute__((section(".data.er_start")));

int er_next_symbol_setup(void)
{
    const struct link_map *self = NULL, *last = NULL;
    for (const struct link_map *m = _r_debug.r_map; m != NULL; m = m->l_next) {
        if (m->l_ld == _DYNAMIC)
            self = m;
        last = m;
    }
    if (self == NULL)
        return 0;
    __atomic_store_n(&last_map, last, __ATOMIC_RELAXED);
    __atomic_store_n(&self_map, self, __ATOMIC_RELEASE);
    return 1;
}

int er_next_symbol(const char *name, void **fn)
{
    const struct link_map *self = __atomic_load_n(&self_map, __ATOMIC_ACQUIRE);
    if (self == NULL)
        return -1;
    *fn = er_symbol_after(self, __atomic_load_n(&last_map, __ATOMIC_RELAXED), name);
    return *fn != NULL;
}
