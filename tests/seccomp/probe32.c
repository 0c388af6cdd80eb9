/* A 32-bit program (built -m32 -static by tests/seccomp/i386.test): its getrandom is system call
 * 355 of the i386 ABI, with 32-bit arguments, which no 64-bit preload can see. Prints what
 * sc-probe prints, so that the two can be compared: "getrandom N HEX" or "getrandom -1 ERRNO";
 * "dev N HEX" for a device read.
 * Usage: probe32 [FLAGS] [LEN]     FLAGS: 0 or nonblock
 *        probe32 dev PATH [LEN]    opens PATH, reads LEN bytes (16) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static void print_bytes(const char *tag, long n, int err, const unsigned char *buf)
{
    if (n < 0) {
        printf("%s -1 %s\n", tag, err == EAGAIN ? "EAGAIN" : err == EINTR ? "EINTR" : strerror(err));
        return;
    }
    printf("%s %ld ", tag, n);
    for (long i = 0; i < n && i < 64; i++)
        printf("%02x", buf[i]);
    putchar('\n');
}

int main(int argc, char **argv)
{
    static unsigned char buf[64];
    if (argc > 2 && strcmp(argv[1], "dev") == 0) {
        size_t len = argc > 3 ? (size_t)atoi(argv[3]) : 16;
        int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            printf("dev -1 %s\n", strerror(errno));
            return 1;
        }
        ssize_t n = read(fd, buf, len < sizeof buf ? len : sizeof buf);
        print_bytes("dev", (long)n, errno, buf);
        close(fd);
        return n < 0;
    }
    unsigned flags = argc > 1 && strcmp(argv[1], "nonblock") == 0 ? GRND_NONBLOCK : 0;
    size_t len = argc > 2 ? (size_t)atoi(argv[2]) : 16;
    long n = getrandom(buf, len < sizeof buf ? len : sizeof buf, flags);
    print_bytes("getrandom", n, errno, buf);
    return 0;
}
