/* er-callsites: asks for entropy from a function in one shared object, unloads it, loads another
 * built from the same code with another function name, and asks again, ROUNDS times; the log
 * must name each request's own object and function, even when the second is loaded where the
 * first was and its call comes from the very same address.
 *
 * Usage: er-callsites LIBRARY_A LIBRARY_B ROUNDS; prints "site a=ADDRESS b=ADDRESS" per round
 * (the functions' addresses, for the test to know whether the two shared an address). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static void *call_site(const char *library, const char *function)
{
    void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        fprintf(stderr, "er-callsites: %s\n", dlerror());
        exit(2);
    }
    long (*fn)(void) = (long (*)(void))dlsym(handle, function);
    if (fn == NULL || fn() != 16) {
        fprintf(stderr, "er-callsites: %s in %s did not get 16 bytes\n", function, library);
        exit(2);
    }
    dlclose(handle);
    return (void *)fn;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: er-callsites LIBRARY_A LIBRARY_B ROUNDS\n");
        return 2;
    }
    for (int round = atoi(argv[3]); round > 0; round--) {
        void *a = call_site(argv[1], "er_call_site_a");
        void *b = call_site(argv[2], "er_call_site_b");
        printf("site a=%p b=%p\n", a, b);
    }
    return 0;
}
