/* Who made a call: the shared object and symbol of a return address, and a thread's backtrace. */
#ifndef ER_CALLER_H
#define ER_CALLER_H

#include <stddef.h>

#define ER_CALLER_SYMBOL_MAX 128

struct er_caller {
    const char *object; /* path of the shared object, or NULL */
    const char *symbol; /* nearest exported symbol, or NULL */
    char symbol_copy[ER_CALLER_SYMBOL_MAX]; /* where symbol points when it came from the cache */
};

/* main_program names the executable, which the loader knows only by its argv[0]. */
void er_caller_lookup(const void *address, const char *main_program, struct er_caller *out) __attribute__((visibility("hidden")));

/* Formats this thread's stack as "object(symbol+0xoff) [0xaddr]" lines into frames[], using
 * text as storage; returns the number of frames. */
size_t er_backtrace(const char **frames, size_t max_frames, char *text, size_t text_len)
    __attribute__((visibility("hidden")));

#endif
