/* The library's own symbol lookup (src/lib/nextsym.c) against the dynamic linker's: for every
 * function the hooks chain to, and for the cases where a lookup can go wrong (several versions of
 * one name, an IFUNC, a name nobody defines, an object with only the old SysV hash table, the
 * vDSO, listed among the objects but outside the search scope, with a read-only dynamic section),
 * it finds what dlsym finds. */
#include <criterion/criterion.h>

#include <dlfcn.h>
#include <link.h>
#include <string.h>
#include <sys/auxv.h>

#include "nextsym.h"
#include "real.h"

static const char *const hooked_functions[] = {
#define ER_NAME(name, ret, params, fallback) #name,
    ER_REAL_FUNCTIONS(ER_NAME)
#undef ER_NAME
};

static const struct link_map *map_of(const char *soname)
{
    void *handle = dlopen(soname, RTLD_NOW | RTLD_NOLOAD);
    cr_assert_not_null(handle, "%s is not loaded: %s", soname, dlerror());
    struct link_map *map = NULL;
    cr_assert_eq(dlinfo(handle, RTLD_DI_LINKMAP, &map), 0);
    dlclose(handle);
    return map;
}

static const struct link_map *main_map(void)
{
    return _r_debug.r_map;
}

/* From the program, which defines none of these, RTLD_DEFAULT finds the next definition as
 * RTLD_NEXT does, and with the default version on every glibc: before 2.36 (BZ #14932) RTLD_NEXT
 * returned the oldest one, such as glibc 2.31 libpthread's compat-only fcntl. */
Test(next_symbol, every_hooked_function_is_the_default_definition_dlsym_finds)
{
    for (size_t i = 0; i < sizeof hooked_functions / sizeof hooked_functions[0]; i++) {
        const char *name = hooked_functions[i];
        void *expected = dlsym(RTLD_DEFAULT, name);
        void *found = er_symbol_after(main_map(), NULL, name);
        cr_expect_eq(found, expected, "%s: found %p, dlsym(RTLD_DEFAULT) %p", name, found, expected);
    }
}

Test(next_symbol, a_name_with_an_old_version_gets_the_default_one)
{
    /* On x86_64 these keep their first ABI under the hidden version GLIBC_2.2.5. */
    const char *names[] = {"realpath", "pthread_cond_wait", "sched_setaffinity", "timer_create"};
    const struct link_map *libc = map_of("libc.so.6");
    void *handle = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    int with_an_old_version = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        void *expected = dlsym(handle, names[i]);
        int ifunc = 0;
        void *found = er_object_symbol(libc, names[i], &ifunc);
        cr_expect_eq(found, expected, "%s: found %p, dlsym %p", names[i], found, expected);
        void *old = dlvsym(handle, names[i], "GLIBC_2.2.5");
        if (old != NULL && old != expected)
            with_an_old_version++;
    }
    dlclose(handle);
#ifdef __x86_64__
    cr_assert_gt(with_an_old_version, 0, "none of the names has an old version: the test proves nothing");
#endif
}

Test(next_symbol, an_ifunc_is_reported_not_resolved)
{
    int ifunc = 0;
    cr_assert_null(er_object_symbol(map_of("libc.so.6"), "memcpy", &ifunc));
    cr_assert_eq(ifunc, 1, "memcpy is an IFUNC in glibc on every architecture it supports");
}

Test(next_symbol, a_name_nobody_defines_is_not_found)
{
    int ifunc = 1;
    cr_assert_null(er_object_symbol(map_of("libc.so.6"), "er_no_such_function", &ifunc));
    cr_assert_eq(ifunc, 0);
    cr_assert_null(er_symbol_after(main_map(), NULL, "er_no_such_function"));
    /* Declared by libc, defined only by the program: an undefined entry must not match. */
    cr_assert_null(er_object_symbol(map_of("libc.so.6"), "main", &ifunc));
}

Test(next_symbol, the_walk_stops_at_the_last_object_it_is_given)
{
    /* The first object that defines read: libc, or a sanitizer's runtime loaded before it. */
    const struct link_map *definer = NULL;
    for (const struct link_map *m = main_map()->l_next; m != NULL && definer == NULL; m = m->l_next) {
        int ifunc = 0;
        if (er_object_symbol(m, "read", &ifunc) != NULL)
            definer = m;
    }
    cr_assert_not_null(definer, "no object defines read");
    int ifunc = 0;
    cr_assert_eq(er_symbol_after(main_map(), definer, "read"), er_object_symbol(definer, "read", &ifunc));
    /* With the list cut just before it, nothing defines read (a cut at the program itself would
     * be no cut: the walk starts after it). */
    if (definer->l_prev != main_map())
        cr_assert_null(er_symbol_after(main_map(), definer->l_prev, "read"));
}

Test(next_symbol, an_object_with_only_a_sysv_hash_table)
{
    void *handle = dlopen(NEXTSYM_SYSV_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    cr_assert_not_null(handle, "%s", dlerror());
    struct link_map *map = NULL;
    cr_assert_eq(dlinfo(handle, RTLD_DI_LINKMAP, &map), 0);
    int has_gnu_hash = 0, has_sysv_hash = 0;
    for (const ElfW(Dyn) *d = map->l_ld; d->d_tag != DT_NULL; d++) {
        has_gnu_hash |= d->d_tag == DT_GNU_HASH;
        has_sysv_hash |= d->d_tag == DT_HASH;
    }
    cr_assert(has_sysv_hash && !has_gnu_hash, "the test library must have the SysV table only");
    const char *names[] = {"er_sysv_first", "er_sysv_second", "er_sysv_third"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int ifunc = 0;
        void *expected = dlsym(handle, names[i]);
        cr_assert_not_null(expected);
        cr_expect_eq(er_object_symbol(map, names[i], &ifunc), expected, "%s", names[i]);
    }
    int ifunc = 0;
    cr_expect_null(er_object_symbol(map, "er_sysv_hidden", &ifunc));
    dlclose(handle);
}

Test(next_symbol, the_vdso_whose_dynamic_section_is_not_relocated)
{
    const struct link_map *vdso = NULL;
    ElfW(Addr) ehdr = (ElfW(Addr))getauxval(AT_SYSINFO_EHDR);
    for (const struct link_map *m = main_map(); m != NULL && ehdr != 0; m = m->l_next)
        if ((ElfW(Addr))m->l_ld > ehdr && (ElfW(Addr))m->l_ld < ehdr + 65536)
            vdso = m;
    if (vdso == NULL)
        cr_skip_test("this process has no vDSO");
    int ifunc = 0;
    const char *names[] = {"__vdso_clock_gettime", "__kernel_clock_gettime"};
    int found = 0;
    for (size_t i = 0; i < 2; i++) {
        void *fn = er_object_symbol(vdso, names[i], &ifunc);
        if (fn != NULL) {
            found++;
            cr_expect_gt((ElfW(Addr))fn, ehdr, "%s at %p, outside the vDSO", names[i], fn);
            cr_expect_lt((ElfW(Addr))fn, ehdr + 65536, "%s at %p, outside the vDSO", names[i], fn);
        }
    }
    cr_assert_eq(found, 1, "the vDSO's clock_gettime was not found");
}

/* er_object_symbol_at names a caller without the loader's lock that dladdr takes: for addresses
 * all through the code of every object loaded here (the program, libc, Criterion's libraries,
 * the vDSO), it must name the symbol dladdr names, or none where dladdr finds none. */
struct symbol_comparison {
    unsigned long compared, named, differing;
    char first_difference[256];
};

static int compare_code_of(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct symbol_comparison *c = data;
    const struct link_map *map = NULL;
    for (const struct link_map *m = main_map(); m != NULL; m = m->l_next)
        if (m->l_addr == info->dlpi_addr)
            map = m;
    if (map == NULL)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        for (ElfW(Addr) a = info->dlpi_addr + ph->p_vaddr;
             a < info->dlpi_addr + ph->p_vaddr + ph->p_memsz; a += 61) {
            Dl_info dl;
            const char *expected = dladdr((void *)a, &dl) != 0 ? dl.dli_sname : NULL;
            const char *found = er_object_symbol_at(map, (void *)a);
            c->compared++;
            c->named += found != NULL;
            if ((expected == NULL) != (found == NULL) ||
                (expected != NULL && strcmp(expected, found) != 0)) {
                if (c->differing++ == 0)
                    snprintf(c->first_difference, sizeof c->first_difference,
                             "%s+%#lx: dladdr '%s', er_object_symbol_at '%s'", map->l_name,
                             (unsigned long)(a - info->dlpi_addr), expected ? expected : "(none)",
                             found ? found : "(none)");
            }
        }
    }
    return 0;
}

Test(next_symbol, the_symbol_at_an_address_is_the_one_dladdr_names)
{
    struct symbol_comparison c = { 0 };
    dl_iterate_phdr(compare_code_of, &c);
    cr_assert_gt(c.named, 1000, "only %lu of %lu addresses named: the walk saw little code",
                 c.named, c.compared);
    cr_expect_eq(c.differing, 0, "%lu of %lu addresses differ; first: %s", c.differing,
                 c.compared, c.first_difference);
}

Test(next_symbol, the_symbol_at_an_address_in_a_sysv_hash_object)
{
    void *handle = dlopen(NEXTSYM_SYSV_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    cr_assert_not_null(handle, "%s", dlerror());
    struct link_map *map = NULL;
    cr_assert_eq(dlinfo(handle, RTLD_DI_LINKMAP, &map), 0);
    const char *fn = dlsym(handle, "er_sysv_second");
    cr_assert_not_null(fn);
    cr_expect_str_eq(er_object_symbol_at(map, fn + 1), "er_sysv_second");
    dlclose(handle);
}
