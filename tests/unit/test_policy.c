/* The decision table, tested as a table: request kind x policy -> action before init; everything
 * passes after init or under passthrough. */
#include <criterion/criterion.h>

#include "policy.h"

#define NKINDS 5
#define NPOLICIES 3

static const enum er_request_kind kinds[NKINDS] = {
    ER_REQ_BLOCKING, ER_REQ_ARC4RANDOM, ER_REQ_NONBLOCKING, ER_REQ_INSECURE, ER_REQ_INVALID,
};
static const char *const kind_names[NKINDS] = {
    "BLOCKING", "ARC4RANDOM", "NONBLOCKING", "INSECURE", "INVALID",
};
static const enum er_policy policies[NPOLICIES] = {
    ER_POLICY_BLOCK, ER_POLICY_FALLBACK, ER_POLICY_EAGAIN,
};

/* The documented table, row by row. */
static const enum er_action table[NKINDS][NPOLICIES] = {
    /*                block               fallback           eagain */
    /* BLOCKING */    { ER_ACTION_BLOCK,  ER_ACTION_WEAK,    ER_ACTION_EAGAIN },
    /* ARC4RANDOM */  { ER_ACTION_BLOCK,  ER_ACTION_WEAK,    ER_ACTION_ABORT },
    /* NONBLOCKING */ { ER_ACTION_EAGAIN, ER_ACTION_EAGAIN,  ER_ACTION_EAGAIN },
    /* INSECURE */    { ER_ACTION_WEAK,   ER_ACTION_WEAK,    ER_ACTION_WEAK },
    /* INVALID */     { ER_ACTION_EINVAL, ER_ACTION_EINVAL,  ER_ACTION_EINVAL },
};

Test(policy, decision_table_before_init)
{
    for (int k = 0; k < NKINDS; k++)
        for (int p = 0; p < NPOLICIES; p++) {
            enum er_action got = er_decide(kinds[k], false, policies[p]);
            cr_expect_eq(got, table[k][p], "%s under %s: got %s, expected %s", kind_names[k],
                         er_policy_name(policies[p]), er_action_name(got),
                         er_action_name(table[k][p]));
        }
}

Test(policy, everything_passes_after_init)
{
    static const enum er_policy all[] = { ER_POLICY_BLOCK, ER_POLICY_FALLBACK, ER_POLICY_EAGAIN,
                                          ER_POLICY_PASSTHROUGH };
    for (int k = 0; k < NKINDS; k++)
        for (int p = 0; p < 4; p++)
            cr_expect_eq(er_decide(kinds[k], true, all[p]), ER_ACTION_PASS, "%s under %s after init",
                         kind_names[k], er_policy_name(all[p]));
}

Test(policy, passthrough_always_passes)
{
    for (int k = 0; k < NKINDS; k++)
        for (int init = 0; init < 2; init++)
            cr_expect_eq(er_decide(kinds[k], init, ER_POLICY_PASSTHROUGH), ER_ACTION_PASS,
                         "%s under passthrough, init=%d", kind_names[k], init);
}

/* Every combination of the three known getrandom flags, as the kernel sees it. */
Test(policy, classify_getrandom_known_flags)
{
    static const struct { unsigned flags; enum er_request_kind kind; } cases[] = {
        { 0, ER_REQ_BLOCKING },
        { ER_GRND_NONBLOCK, ER_REQ_NONBLOCKING },
        { ER_GRND_RANDOM, ER_REQ_BLOCKING },
        { ER_GRND_RANDOM | ER_GRND_NONBLOCK, ER_REQ_NONBLOCKING },
        { ER_GRND_INSECURE, ER_REQ_INSECURE },
        { ER_GRND_INSECURE | ER_GRND_NONBLOCK, ER_REQ_INSECURE },
        { ER_GRND_INSECURE | ER_GRND_RANDOM, ER_REQ_INVALID },
        { ER_GRND_INSECURE | ER_GRND_RANDOM | ER_GRND_NONBLOCK, ER_REQ_INVALID },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_eq(er_classify_getrandom(cases[i].flags), cases[i].kind, "flags %#x",
                     cases[i].flags);
}

Test(policy, classify_getrandom_unknown_bits_are_invalid)
{
    for (unsigned bit = 3; bit < 32; bit++) {
        unsigned f = 1u << bit;
        cr_expect_eq(er_classify_getrandom(f), ER_REQ_INVALID, "flags %#x", f);
        cr_expect_eq(er_classify_getrandom(f | ER_GRND_NONBLOCK), ER_REQ_INVALID, "flags %#x",
                     f | ER_GRND_NONBLOCK);
        cr_expect_eq(er_classify_getrandom(f | ER_GRND_INSECURE), ER_REQ_INVALID, "flags %#x",
                     f | ER_GRND_INSECURE);
    }
    cr_expect_eq(er_classify_getrandom(0xffffffffu), ER_REQ_INVALID);
}

Test(policy, flag_values_match_the_kernel)
{
    cr_expect_eq(ER_GRND_NONBLOCK, 1u);
    cr_expect_eq(ER_GRND_RANDOM, 2u);
    cr_expect_eq(ER_GRND_INSECURE, 4u);
}

Test(policy, classify_device_read)
{
    cr_expect_eq(er_classify_device_read(false, false), ER_REQ_BLOCKING, "/dev/random");
    cr_expect_eq(er_classify_device_read(false, true), ER_REQ_NONBLOCKING, "/dev/random O_NONBLOCK");
    cr_expect_eq(er_classify_device_read(true, false), ER_REQ_INSECURE, "/dev/urandom");
    cr_expect_eq(er_classify_device_read(true, true), ER_REQ_INSECURE, "/dev/urandom O_NONBLOCK");
}

/* The table in the documentation as users read it: requests by API, through classification. */
enum req_src { GETRANDOM, DEVICE, GETENTROPY, ARC4 };
struct request {
    const char *what;
    enum req_src src;
    unsigned flags;   /* GETRANDOM */
    bool urandom, nb; /* DEVICE */
    const char *expect[NPOLICIES];
};

static const struct request requests[] = {
    { "getrandom(0)", GETRANDOM, 0, false, false, { "block", "weak", "eagain" } },
    { "getrandom(GRND_RANDOM)", GETRANDOM, 2, false, false, { "block", "weak", "eagain" } },
    { "getentropy", GETENTROPY, 0, false, false, { "block", "weak", "eagain" } },
    { "read /dev/random", DEVICE, 0, false, false, { "block", "weak", "eagain" } },
    { "arc4random", ARC4, 0, false, false, { "block", "weak", "abort" } },
    { "getrandom(GRND_NONBLOCK)", GETRANDOM, 1, false, false, { "eagain", "eagain", "eagain" } },
    { "getrandom(GRND_NONBLOCK|GRND_RANDOM)", GETRANDOM, 3, false, false,
      { "eagain", "eagain", "eagain" } },
    { "read /dev/random O_NONBLOCK", DEVICE, 0, false, true, { "eagain", "eagain", "eagain" } },
    { "getrandom(GRND_INSECURE)", GETRANDOM, 4, false, false, { "weak", "weak", "weak" } },
    { "getrandom(GRND_INSECURE|GRND_NONBLOCK)", GETRANDOM, 5, false, false,
      { "weak", "weak", "weak" } },
    { "read /dev/urandom", DEVICE, 0, true, false, { "weak", "weak", "weak" } },
    { "read /dev/urandom O_NONBLOCK", DEVICE, 0, true, true, { "weak", "weak", "weak" } },
    { "getrandom(8)", GETRANDOM, 8, false, false, { "einval", "einval", "einval" } },
    { "getrandom(GRND_INSECURE|GRND_RANDOM)", GETRANDOM, 6, false, false,
      { "einval", "einval", "einval" } },
};

Test(policy, documented_table_by_api)
{
    for (size_t i = 0; i < sizeof requests / sizeof requests[0]; i++) {
        const struct request *r = &requests[i];
        enum er_request_kind kind = ER_REQ_BLOCKING;
        switch (r->src) {
        case GETRANDOM: kind = er_classify_getrandom(r->flags); break;
        case DEVICE: kind = er_classify_device_read(r->urandom, r->nb); break;
        case GETENTROPY: kind = ER_REQ_BLOCKING; break;
        case ARC4: kind = ER_REQ_ARC4RANDOM; break;
        }
        for (int p = 0; p < NPOLICIES; p++) {
            cr_expect_str_eq(er_action_name(er_decide(kind, false, policies[p])), r->expect[p],
                             "%s under %s", r->what, er_policy_name(policies[p]));
            cr_expect_str_eq(er_action_name(er_decide(kind, true, policies[p])), "pass",
                             "%s under %s after init", r->what, er_policy_name(policies[p]));
        }
        cr_expect_str_eq(er_action_name(er_decide(kind, false, ER_POLICY_PASSTHROUGH)), "pass",
                         "%s under passthrough", r->what);
    }
}

Test(policy, action_names)
{
    static const struct { enum er_action a; const char *name; } names[] = {
        { ER_ACTION_PASS, "pass" },     { ER_ACTION_BLOCK, "block" },
        { ER_ACTION_WEAK, "weak" },     { ER_ACTION_EAGAIN, "eagain" },
        { ER_ACTION_EINVAL, "einval" }, { ER_ACTION_INTERRUPTED, "interrupted" },
        { ER_ACTION_ABORT, "abort" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        cr_expect_str_eq(er_action_name(names[i].a), names[i].name);
    cr_expect_str_eq(er_action_name((enum er_action)100), "?");
    cr_expect_str_eq(er_action_name((enum er_action)-1), "?");
}

/* No decision ever yields the two actions that are only logged or only produced elsewhere. */
Test(policy, decide_never_interrupts)
{
    static const enum er_policy all[] = { ER_POLICY_BLOCK, ER_POLICY_FALLBACK, ER_POLICY_EAGAIN,
                                          ER_POLICY_PASSTHROUGH };
    for (int k = 0; k < NKINDS; k++)
        for (int p = 0; p < 4; p++)
            for (int init = 0; init < 2; init++) {
                enum er_action a = er_decide(kinds[k], init, all[p]);
                cr_expect_neq(a, ER_ACTION_INTERRUPTED);
                if (kinds[k] != ER_REQ_ARC4RANDOM)
                    cr_expect_neq(a, ER_ACTION_ABORT, "only arc4random aborts");
            }
}
