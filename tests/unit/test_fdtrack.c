/* The descriptor table (src/lib/fdtrack.c) against a thread that looks at a descriptor while
 * another replaces what it refers to: what the table says once the replacing thread has stored
 * the device it opened is the device, never what the looking thread saw before. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "fdtrack.h"

#define NUMBER 500 /* the descriptor number both threads use */

static atomic_bool stop;

static void *keep_looking(void *unused)
{
    (void)unused;
    while (!atomic_load(&stop))
        er_fd_kind(NUMBER);
    return NULL;
}

Test(fdtrack, a_look_that_saw_the_old_file_never_overwrites_the_device_opened_since)
{
    int file = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    int device = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    cr_assert(file >= 0 && device >= 0);
    pthread_t looker;
    pthread_create(&looker, NULL, keep_looking, NULL);
    long stale = 0, rounds = 200000;
    for (long i = 0; i < rounds; i++) {
        /* as close and open hooks do: the number forgotten, then the new descriptor learned */
        dup2(file, NUMBER);
        er_fd_forget(NUMBER);
        for (int spin = 0; spin < 20; spin++)
            er_fd_kind(NUMBER);
        dup2(device, NUMBER);
        er_fd_probe(NUMBER);
        for (int spin = 0; spin < 20; spin++)
            if (er_fd_kind(NUMBER) != ER_FD_URANDOM) {
                stale++;
                break;
            }
    }
    atomic_store(&stop, true);
    pthread_join(looker, NULL);
    cr_expect(stale == 0, "%ld of %ld rounds: the table said the device was the old file", stale, rounds);
}
