/* Which entropy calls reach the kernel as system calls: getrandom(), getentropy(), arc4random()
 * and malloc's first use (its tcache key), each marked by a write() to stderr so that strace's
 * output can be cut at the marks. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static void mark(const char *what) { write(2, what, strlen(what)); }

int main(int argc, char **argv)
{
    unsigned char b[16];
    const char *what = argc > 1 ? argv[1] : "all";
    mark("== malloc\n");
    void *volatile p = malloc(64); /* volatile: the compiler may not drop the pair */
    free(p);
    if (!strcmp(what, "all") || !strcmp(what, "getrandom")) {
        mark("== getrandom\n");
        if (getrandom(b, sizeof b, 0) != sizeof b) return 1;
        mark("== getrandom again\n");
        if (getrandom(b, sizeof b, 0) != sizeof b) return 1;
    }
    mark("== getentropy\n");
    if (getentropy(b, sizeof b)) return 1;
#ifdef HAVE_ARC4
    mark("== arc4random\n");
    printf("%u\n", arc4random());
#endif
    mark("== end\n");
    return 0;
}
