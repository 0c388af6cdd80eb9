/* fd-census: what a program finds among its descriptors, before and after asking for entropy.
 *
 * It asks for random bytes in several ways (getrandom, getentropy, /dev/urandom), then prints one
 * line per open descriptor number (fstat succeeds) with its close-on-exec flag and what it is,
 * closes descriptor 0, asks again, opens /dev/null and prints the number it got, and prints the
 * census again; "fork" does the same in a child that then execs itself. A test compares the whole
 * output with and without the library: it must be the same, whatever the sink and the policy.
 *
 * Usage: fd-census [fork]   (exit 0; 1 if an entropy request failed in a way no policy gives) */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

/* Requests that no policy makes wait forever: the tests run the pool at "never" under fallback,
 * eagain and passthrough, and at 0 under block. */
static void ask_for_entropy(void)
{
    unsigned char buf[32];
    if (getrandom(buf, sizeof buf, GRND_NONBLOCK) < 0 && errno != EAGAIN)
        failures++;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
        failures++;
    if (fd >= 0)
        close(fd);
}

static void census(const char *when)
{
    for (int fd = 0; fd < 1024; fd++) {
        struct stat st;
        if (fstat(fd, &st) != 0)
            continue;
        int flags = fcntl(fd, F_GETFD);
        char target[256] = "";
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        /* pipes and sockets carry an inode number that differs from run to run */
        if (strncmp(target, "pipe:", 5) == 0 || strncmp(target, "socket:", 7) == 0)
            target[strcspn(target, ":")] = '\0';
        printf("%s fd %d cloexec=%d %s\n", when, fd, (flags & FD_CLOEXEC) != 0, target);
    }
}

static void run(const char *who)
{
    char when[64];
    ask_for_entropy();
    snprintf(when, sizeof when, "%s-after-requests", who);
    census(when);
    close(0);
    ask_for_entropy();
    int fd = open("/dev/null", O_RDONLY);
    printf("%s open-after-close-0 fd=%d\n", who, fd);
    snprintf(when, sizeof when, "%s-after-reopen", who);
    census(when);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    bool in_child = argc > 1 && strcmp(argv[1], "child") == 0;
    run(in_child ? "exec-child" : "parent");
    if (argc > 1 && strcmp(argv[1], "fork") == 0) {
        pid_t pid = fork();
        if (pid == 0) {
            run("fork-child");
            execl("/proc/self/exe", argv[0], "child", (char *)NULL);
            _exit(127);
        }
        int status;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failures++;
    }
    return failures ? 1 : 0;
}
