/* Finds the next definition of a function after the library, as dlsym(RTLD_NEXT) does since glibc
 * 2.36 (the default version; older glibc returned the oldest, BZ #14932), without
 * dlsym: no lock, no allocation, no error state, so a hook may ask from anywhere (an allocator's
 * init, a signal handler), and a program that calls no hooked function pays nothing. */
#ifndef ER_NEXTSYM_H
#define ER_NEXTSYM_H

#include <link.h>

/* One shared object's exported, default-version definition of NAME: its address, or NULL when the
 * object defines no such function (or only an IFUNC, which only the dynamic linker may resolve:
 * *found_ifunc is then set and the caller must not look further). */
void *er_object_symbol(const struct link_map *map, const char *name, int *found_ifunc)
    __attribute__((visibility("hidden")));

/* The name of map's exported symbol that holds address, as dladdr finds it, without the loader's
 * lock dladdr takes; NULL when none does. It reads the whole table: callers keep the answer. */
const char *er_object_symbol_at(const struct link_map *map, const void *address)
    __attribute__((visibility("hidden")));

/* NAME's definition in the objects that follow SELF, up to and including LAST (or the end), in
 * load order, leaving out the vDSO: what dlsym(RTLD_NEXT) returns when the objects are the
 * program's own (loaded before any constructor ran). NULL when none defines it. */
void *er_symbol_after(const struct link_map *self, const struct link_map *last, const char *name)
    __attribute__((visibility("hidden")));

/* Finds the library's own place in the list of loaded objects and the list's end: once, from the
 * constructor. Returns 0 when the library is not in the list (loaded in another namespace); then
 * er_next_symbol keeps answering -1 and hooks keep their fallbacks. */
int er_next_symbol_setup(void) __attribute__((visibility("hidden")));

/* er_symbol_after for this library, into *fn: 1 when found, 0 when there is none, -1 before
 * er_next_symbol_setup has found the library (a hook called by another library's constructor). */
int er_next_symbol(const char *name, void **fn) __attribute__((visibility("hidden")));

#endif
