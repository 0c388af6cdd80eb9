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

enum er_action er_decide(enum er_request_kind kind, bool pool_initialized, enum er_policy policy)
{
    if (pool_initialized || policy == ER_POLICY_PASSTHROUGH)
        return ER_ACTION_PASS;
    switch (kind) {
    case ER_REQ_INVALID:
        return ER_ACTION_EINVAL;
    case ER_REQ_INSECURE:
        return ER_ACTION_WEAK;
    case ER_REQ_NONBLOCKING:
        return ER_ACTION_EAGAIN;
    case ER_REQ_BLOCKING:
    case ER_REQ_ARC4RANDOM:
        switch (policy) {
        case ER_POLICY_BLOCK:
            return ER_ACTION_BLOCK;
        case ER_POLICY_FALLBACK:
            return ER_ACTION_WEAK;
        case ER_POLICY_EAGAIN:
            return kind == ER_REQ_ARC4RANDOM ? ER_ACTION_ABORT : ER_ACTION_EAGAIN;
        case ER_POLICY_PASSTHROUGH:
            break;
        }
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
    };
    if ((unsigned)a < sizeof names / sizeof names[0])
        return names[a];
    return "?";
}
