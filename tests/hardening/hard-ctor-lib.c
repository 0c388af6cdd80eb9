/* libhardctor: a shared library whose constructor asks for entropy, as OpenSSL or a language
 * runtime may when it is loaded. Linked into hard-ctor-prog (its constructor then runs before
 * the preload's own), or preloaded itself. It reports on stderr what it got, with write(2) so
 * that it works before stdio is usable. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include "../common/errname.h"

static char verdict[256];

__attribute__((constructor)) static void ask_early(void)
{
    unsigned char b[16];
    errno = 0;
    ssize_t r = getrandom(b, sizeof b, 0);
    int e1 = errno;
    errno = 0;
    int g = getentropy(b, sizeof b);
    int e2 = errno;
    int n = snprintf(verdict, sizeof verdict, "hardctor getrandom=%zd errno=%s getentropy=%d errno=%s\n",
                     r, r < 0 ? er_test_errname(e1) : "0", g, g < 0 ? er_test_errname(e2) : "0");
    if (n > 0 && write(STDERR_FILENO, verdict, (size_t)n) < 0)
        verdict[0] = '\0';
}

/* For the program linked with it: what the constructor saw. */
const char *hardctor_verdict(void);
const char *hardctor_verdict(void) { return verdict; }
