/* Built twice, as libcallsite-a.so and libcallsite-b.so, with SITE naming the one exported
 * function: the same code at the same offsets, so that the second, loaded where the first was,
 * has its call to getrandom at the first one's address (for er-callsites). */
#include <sys/random.h>

#define CALL_SITE_NAME(site) er_call_site_##site
#define CALL_SITE(site) CALL_SITE_NAME(site)

long CALL_SITE(SITE)(void);

long CALL_SITE(SITE)(void)
{
    char buf[16];
    return getrandom(buf, sizeof buf, GRND_NONBLOCK);
}
