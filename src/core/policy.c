#include "policy.h"

enum er_request_kind er_classify_getrandom(unsigned int flags)
{
    /* The kernel's order (drivers/char/random.c): unknown bits and INSECURE|RANDOM are EINVAL;
     * INSECURE never waits; only then does NONBLOCK turn a wait into EAGAIN. */
    if (flags & ~(ER_GRND_NONBLOCK | ER_GRND_RANDOM | ER_GRND_INSECURE))
        return ER_REQ_INVALID;
    if ((flags & (ER_GRND_INSECURE | ER_GRND_RANDOM)) == (ER_GRND_INSECURE | ER_GRND_RANDOM))
        return ER_REQ_INVALID;
    if (flags & ER_GRND_INSECURE)
        return ER_REQ_INSECURE;
    if (flags & ER_GRND_NONBLOCK)
        return ER_REQ_NONBLOCKING;
    return ER_REQ_BLOCKING;
}

enum er_request_kind er_classify_device_read(bool is_urandom, bool nonblocking)
{
    if (is_urandom)
        return ER_REQ_INSECURE;
    return nonblocking ? ER_REQ_NONBLOCKING : ER_REQ_BLOCKING;
}

struct er_kernel er_kernel_of(const struct er_settings *s)
{
    struct er_kernel k = { s->kernel, s->init_after_ns == ER_INIT_JITTER };
    return k;
}

bool er_kernel_has_getrandom(unsigned v) { return v >= ER_KERNEL_VERSION(3, 17); }
bool er_kernel_has_blocking_pool(unsigned v) { return v < ER_KERNEL_VERSION(5, 6); }
bool er_kernel_has_jitter(unsigned v) { return v >= ER_KERNEL_VERSION(5, 4); }
bool er_kernel_urandom_runs_jitter(unsigned v) { return v >= ER_KERNEL_VERSION(5, 18); }
bool er_kernel_has_vdso_getrandom(unsigned v) { return v >= ER_KERNEL_VERSION(6, 11); }

bool er_kernel_random_honours_nonblock(unsigned v)
{
    /* 5.6's random_read went straight to wait_for_random_bytes; 6.0 checks O_NONBLOCK again. */
    return v < ER_KERNEL_VERSION(5, 6) || v >= ER_KERNEL_VERSION(6, 0);
}

bool er_kernel_same_after_init(unsigned v) { return v >= ER_KERNEL_VERSION(5, 6); }

uint64_t er_pool_draw_bits(uint64_t bytes)
{
    return (bytes < ER_POOL_XFER_BYTES ? bytes : ER_POOL_XFER_BYTES) * 8;
}

/* Nanoseconds the estimate takes to gain bits at rate. */
static int64_t credit_ns(uint64_t bits, uint32_t rate)
{
    return (int64_t)(bits * UINT64_C(1000000000) / rate);
}

int64_t er_estimate_holds_at(int64_t empty_at, int64_t now, uint64_t bits, uint32_t rate)
{
    if (bits > ER_POOL_MAX_BITS)
        bits = ER_POOL_MAX_BITS;
    if (rate == 0)
        return bits == 0 ? empty_at : ER_ESTIMATE_NEVER;
    /* A full pool credits nothing more: the empty moment moves up behind it. */
    int64_t full = credit_ns(ER_POOL_MAX_BITS, rate);
    if (now - empty_at > full)
        empty_at = now - full;
    return empty_at + credit_ns(bits, rate);
}

enum er_request_kind er_classify_getrandom_on(struct er_kernel k, unsigned int flags)
{
    if (!er_kernel_has_getrandom(k.version))
        return ER_REQ_NOSYS;
    if (!er_kernel_has_blocking_pool(k.version))
        return er_classify_getrandom(flags);
    /* Before 5.6 (4.19's sys_getrandom): any bit but NONBLOCK and RANDOM is EINVAL, and RANDOM
     * reads the blocking pool. INSECURE is a flag today's kernel knows, so it is ours to refuse. */
    if (flags & ~(ER_GRND_NONBLOCK | ER_GRND_RANDOM | ER_GRND_INSECURE))
        return ER_REQ_INVALID;
    if (flags & ER_GRND_INSECURE)
        return ER_REQ_UNSUPPORTED;
    if (flags & ER_GRND_RANDOM)
        return flags & ER_GRND_NONBLOCK ? ER_REQ_RANDOM_POOL_NONBLOCKING : ER_REQ_RANDOM_POOL;
    return flags & ER_GRND_NONBLOCK ? ER_REQ_NONBLOCKING : ER_REQ_BLOCKING;
}

enum er_request_kind er_classify_device_read_on(struct er_kernel k, bool is_urandom,
                                                bool nonblocking)
{
    if (is_urandom)
        return k.jitter && er_kernel_urandom_runs_jitter(k.version) ? ER_REQ_URANDOM_JITTER
                                                                    : ER_REQ_INSECURE;
    if (er_kernel_has_blocking_pool(k.version))
        return nonblocking ? ER_REQ_RANDOM_POOL_NONBLOCKING : ER_REQ_RANDOM_POOL;
    if (!er_kernel_random_honours_nonblock(k.version))
        return ER_REQ_BLOCKING;
    return er_classify_device_read(false, nonblocking);
}

enum er_request_kind er_classify_getentropy_on(struct er_kernel k)
{
    /* glibc's getentropy hands getrandom's ENOSYS back as it is (loops on EINTR only). */
    return er_kernel_has_getrandom(k.version) ? ER_REQ_BLOCKING : ER_REQ_NOSYS;
}

enum er_request_kind er_classify_arc4random_on(struct er_kernel k)
{
    return er_kernel_has_getrandom(k.version) ? ER_REQ_ARC4RANDOM : ER_REQ_ARC4RANDOM_FALLBACK;
}

enum er_action er_decide(enum er_request_kind kind, bool pool_initialized, enum er_policy policy)
{
    return er_decide_estimate(kind, pool_initialized, false, policy);
}

/* What a policy makes of a request that would wait. */
static enum er_action instead_of_waiting(enum er_request_kind kind, enum er_policy policy,
                                         enum er_action wait)
{
    switch (policy) {
    case ER_POLICY_BLOCK:
        return wait;
    case ER_POLICY_FALLBACK:
        return ER_ACTION_WEAK;
    case ER_POLICY_EAGAIN:
        return kind == ER_REQ_ARC4RANDOM ? ER_ACTION_ABORT : ER_ACTION_EAGAIN;
    case ER_POLICY_PASSTHROUGH:
        break;
    }
    return ER_ACTION_PASS;
}

enum er_action er_decide_estimate(enum er_request_kind kind, bool pool_initialized,
                                  bool entropy_short, enum er_policy policy)
{
    if (policy == ER_POLICY_PASSTHROUGH)
        return ER_ACTION_PASS;
    /* What an older kernel answers whatever the state of its nonblocking pool. */
    switch (kind) {
    case ER_REQ_NOSYS:
        return ER_ACTION_ENOSYS;
    case ER_REQ_UNSUPPORTED:
        return ER_ACTION_EINVAL;
    case ER_REQ_RANDOM_POOL:
        return entropy_short ? instead_of_waiting(kind, policy, ER_ACTION_DRAW) : ER_ACTION_DRAW;
    case ER_REQ_RANDOM_POOL_NONBLOCKING:
        return entropy_short ? ER_ACTION_EAGAIN : ER_ACTION_DRAW;
    default:
        break;
    }
    if (pool_initialized)
        return ER_ACTION_PASS;
    switch (kind) {
    case ER_REQ_INVALID:
        return ER_ACTION_EINVAL;
    case ER_REQ_INSECURE:
        return ER_ACTION_WEAK;
    case ER_REQ_NONBLOCKING:
        return ER_ACTION_EAGAIN;
    case ER_REQ_ARC4RANDOM_FALLBACK:
        return ER_ACTION_WEAK;
    case ER_REQ_URANDOM_JITTER:
        /* The kernel never fails a /dev/urandom read: a policy that would not wait gets it weak. */
        return policy == ER_POLICY_BLOCK ? ER_ACTION_BLOCK : ER_ACTION_WEAK;
    case ER_REQ_BLOCKING:
    case ER_REQ_ARC4RANDOM:
        return instead_of_waiting(kind, policy, ER_ACTION_BLOCK);
    case ER_REQ_NOSYS:
    case ER_REQ_UNSUPPORTED:
    case ER_REQ_RANDOM_POOL:
    case ER_REQ_RANDOM_POOL_NONBLOCKING:
        break;
    }
    return ER_ACTION_PASS;
}

const char *er_action_name(enum er_action a)
{
    static const char *const names[] = {
        [ER_ACTION_PASS] = "pass",
        [ER_ACTION_BLOCK] = "block",
        [ER_ACTION_WEAK] = "weak",
        [ER_ACTION_EAGAIN] = "eagain",
        [ER_ACTION_EINVAL] = "einval",
        [ER_ACTION_INTERRUPTED] = "interrupted",
        [ER_ACTION_ABORT] = "abort",
        [ER_ACTION_ENOSYS] = "enosys",
        [ER_ACTION_DRAW] = "draw",
    };
    if ((unsigned)a < sizeof names / sizeof names[0])
        return names[a];
    return "?";
}
