#include "devices.h"

#include <errno.h>
#include <fcntl.h>

#include "fdtrack.h"
#include "logrec.h"

extern int __fcntl(int, int, ...);

void er_device_opened(const char *api, int fd, const char *flags_text, const void *caller)
{
    if (fd < 0)
        return;
    enum er_fd_kind k = er_fd_probe(fd);
    if (k != ER_FD_RANDOM && k != ER_FD_URANDOM)
        return;
    struct er_request q;
    er_request_init(&q, api, caller);
    q.device = er_fd_device_name(k);
    size_t n = 0;
    while (flags_text[n] && n + 1 < sizeof q.flags) {
        q.flags[n] = flags_text[n];
        n++;
    }
    q.flags[n] = '\0';
    er_note(&q, fd, 0);
}

void er_device_opened_flags(const char *api, int fd, int open_flags, const void *caller)
{
    if (fd < 0)
        return;
    char text[96];
    er_format_open_flags(open_flags, text, sizeof text);
    er_device_opened(api, fd, text, caller);
}

bool er_device_read_request(struct er_request *q, const char *api, int fd, size_t len,
                            const void *caller)
{
    enum er_fd_kind k = er_fd_kind(fd);
    if (k != ER_FD_RANDOM && k != ER_FD_URANDOM)
        return false;
    int saved = errno;
    int status = __fcntl(fd, F_GETFL);
    errno = saved;
    /* A descriptor the kernel would not read from (write-only, O_PATH) gets its EBADF at once. */
    if (status >= 0 && ((status & O_ACCMODE) == O_WRONLY || (status & O_PATH) != 0))
        return false;
    er_request_init(q, api, caller);
    q->device = er_fd_device_name(k);
    q->has_bytes = true;
    q->bytes = len;
    if (status >= 0)
        er_format_open_flags(status, q->flags, sizeof q->flags);
    q->kind = er_classify_device_read_on(er_kernel_of(&er_settings), k == ER_FD_URANDOM,
                                         status >= 0 && (status & O_NONBLOCK));
    return true;
}
