#include "kmsg.h"

#include "config.h"
#include "strbuf.h"

void er_kmsg_limiter_init(struct er_kmsg_limiter *l)
{
    *l = (struct er_kmsg_limiter){ 0, 0, ER_KMSG_MAXWARN, 0, false, false };
}

/* The kernel's __ratelimit: a window opens at the first event and lets ER_KMSG_BURST through. */
static bool ratelimit(struct er_kmsg_limiter *l, int64_t now_ns)
{
    if (l->window_start_ns == 0 || now_ns - l->window_start_ns >= ER_KMSG_INTERVAL_NS) {
        l->window_start_ns = now_ns != 0 ? now_ns : 1;
        l->in_window = 0;
    }
    if (l->in_window < ER_KMSG_BURST) {
        l->in_window++;
        return true;
    }
    l->missed++;
    return false;
}

bool er_kmsg_urandom_allowed(struct er_kmsg_limiter *l, unsigned version, int64_t now_ns)
{
    if (version < ER_KERNEL_VERSION(3, 13))
        return false;
    if (version < ER_KERNEL_VERSION(4, 8)) {
        bool first = !l->printed_once;
        l->printed_once = true;
        return first;
    }
    if (version < ER_KERNEL_VERSION(5, 18)) {
        /* 4.19's urandom_read: maxwarn counts every read, printed or not. */
        if (l->maxwarn_left <= 0)
            return false;
        l->maxwarn_left--;
        return ratelimit(l, now_ns);
    }
    /* 5.18's urandom_read_iter: maxwarn counts printed messages; later reads are missed ones. */
    if (l->maxwarn_left <= 0) {
        l->missed++;
        return false;
    }
    if (!ratelimit(l, now_ns))
        return false;
    l->maxwarn_left--;
    return true;
}

size_t er_kmsg_urandom_text(unsigned version, const char *comm, uint64_t bytes, char *out,
                            size_t cap)
{
    struct er_strbuf sb = { out, 0, cap };
    if (cap > 0)
        out[0] = '\0';
    if (version < ER_KERNEL_VERSION(3, 13))
        return 0;
    er_sb_puts(&sb, "random: ");
    er_sb_puts(&sb, comm);
    if (version < ER_KERNEL_VERSION(4, 8)) {
        /* The count is the nonblocking pool's entropy_total, which the model does not keep. */
        er_sb_puts(&sb, " urandom read with 0 bits of entropy available");
        return sb.len;
    }
    er_sb_puts(&sb, ": uninitialized urandom read (");
    er_sb_put_uint(&sb, (unsigned long)bytes);
    er_sb_puts(&sb, " bytes read)");
    return sb.len;
}

size_t er_kmsg_init_text(unsigned version, const struct er_kmsg_limiter *l, int index, char *out,
                         size_t cap)
{
    struct er_strbuf sb = { out, 0, cap };
    if (cap > 0)
        out[0] = '\0';
    if (version < ER_KERNEL_VERSION(3, 13))
        return 0;
    if (version < ER_KERNEL_VERSION(4, 8)) {
        if (index == 0)
            er_sb_puts(&sb, "random: nonblocking pool is initialized");
        return sb.len;
    }
    if (index == 0) {
        er_sb_puts(&sb, "random: crng init done");
    } else if (index == 1 && l->missed > 0) {
        er_sb_puts(&sb, "random: ");
        er_sb_put_uint(&sb, (unsigned long)l->missed);
        er_sb_puts(&sb, " urandom warning(s) missed due to ratelimiting");
    }
    return sb.len;
}
