/* hard-ctor-prog: linked with libhardctor, whose constructor asks for entropy before any
 * preload's constructor has run. Prints what the constructor got, then asks once more itself. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include "../common/errname.h"

const char *hardctor_verdict(void);

int main(void)
{
    unsigned char b[16];
    printf("main sees: %s", hardctor_verdict());
    errno = 0;
    ssize_t r = getrandom(b, sizeof b, GRND_NONBLOCK);
    printf("main getrandom=%zd errno=%s\n", r, r < 0 ? er_test_errname(errno) : "0");
    return 0;
}
