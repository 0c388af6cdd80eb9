/* Kernel profiles: which request each era's random driver makes of each entry point (the era as
 * an input of the decision table), tested version by version against the table in
 * docs/kernels.md; and the era's own messages with their rate limits. */
#include <criterion/criterion.h>

#include <string.h>

#include "config.h"
#include "kmsg.h"
#include "policy.h"

#define V(maj, min) ER_KERNEL_VERSION(maj, min)

/* Every boundary of the table and the versions users name. */
static const unsigned versions[] = {
    V(3, 0),  V(3, 10), V(3, 16), V(3, 17), V(4, 4),  V(4, 19), V(5, 3),  V(5, 4),
    V(5, 5),  V(5, 6),  V(5, 10), V(5, 17), V(5, 18), V(5, 19), V(6, 0),  V(6, 1),
    V(6, 18),
};
#define NVERSIONS (sizeof versions / sizeof versions[0])

enum entry { GR_0, GR_NB, GR_RANDOM, GR_RANDOM_NB, GR_INSECURE, GR_INSECURE_NB, GR_BOGUS,
             DEV_RANDOM, DEV_RANDOM_NB, DEV_URANDOM, GETENTROPY, ARC4RANDOM, NENTRIES };
static const char *const entry_names[NENTRIES] = {
    "getrandom 0", "getrandom NONBLOCK", "getrandom RANDOM", "getrandom RANDOM|NONBLOCK",
    "getrandom INSECURE", "getrandom INSECURE|NONBLOCK", "getrandom 0x40", "/dev/random",
    "/dev/random O_NONBLOCK", "/dev/urandom", "getentropy", "arc4random",
};

static enum er_request_kind classify(struct er_kernel k, enum entry e)
{
    switch (e) {
    case GR_0: return er_classify_getrandom_on(k, 0);
    case GR_NB: return er_classify_getrandom_on(k, ER_GRND_NONBLOCK);
    case GR_RANDOM: return er_classify_getrandom_on(k, ER_GRND_RANDOM);
    case GR_RANDOM_NB: return er_classify_getrandom_on(k, ER_GRND_RANDOM | ER_GRND_NONBLOCK);
    case GR_INSECURE: return er_classify_getrandom_on(k, ER_GRND_INSECURE);
    case GR_INSECURE_NB: return er_classify_getrandom_on(k, ER_GRND_INSECURE | ER_GRND_NONBLOCK);
    case GR_BOGUS: return er_classify_getrandom_on(k, 0x40);
    case DEV_RANDOM: return er_classify_device_read_on(k, false, false);
    case DEV_RANDOM_NB: return er_classify_device_read_on(k, false, true);
    case DEV_URANDOM: return er_classify_device_read_on(k, true, false);
    case GETENTROPY: return er_classify_getentropy_on(k);
    case ARC4RANDOM: return er_classify_arc4random_on(k);
    case NENTRIES: break;
    }
    return ER_REQ_INVALID;
}

/* What the faithful policy (block) gives: before init; after init with the blocking pool's
 * estimate sufficient; after init with it short. Written from the kernels' sources, per era. */
struct row {
    unsigned from, to; /* versions [from, to) */
    bool jitter;
    enum entry entry;
    const char *before, *after, *after_short;
};

#define ALL_JITTER(from, to, e, b, a, s) { from, to, false, e, b, a, s }, { from, to, true, e, b, a, s }
static const struct row rows[] = {
    /* before 3.17: no getrandom system call at all, glibc passes ENOSYS on */
    ALL_JITTER(V(3, 0), V(3, 17), GR_0, "enosys", "enosys", "enosys"),
    ALL_JITTER(V(3, 0), V(3, 17), GR_NB, "enosys", "enosys", "enosys"),
    ALL_JITTER(V(3, 0), V(3, 17), GR_RANDOM, "enosys", "enosys", "enosys"),
    ALL_JITTER(V(3, 0), V(3, 17), GR_RANDOM_NB, "enosys", "enosys", "enosys"),
    ALL_JITTER(V(3, 0), V(3, 17), GR_INSECURE, "enosys", "enosys", "enosys"),
    ALL_JITTER(V(3, 0), V(3, 17), GR_INSECURE_NB, "enosys", "enosys", "enosys"),
    ALL_JITTER(V(3, 0), V(3, 17), GR_BOGUS, "enosys", "enosys", "enosys"),
    ALL_JITTER(V(3, 0), V(3, 17), GETENTROPY, "enosys", "enosys", "enosys"),
    /* glibc's arc4random falls back to /dev/urandom, which never waits */
    ALL_JITTER(V(3, 0), V(3, 17), ARC4RANDOM, "weak", "pass", "pass"),
    /* 3.17 to 5.5: getrandom(0) waits for the nonblocking pool; RANDOM and /dev/random draw from
     * the blocking pool, init or not; INSECURE does not exist */
    ALL_JITTER(V(3, 17), V(5, 6), GR_0, "block", "pass", "pass"),
    ALL_JITTER(V(3, 17), V(5, 6), GR_NB, "eagain", "pass", "pass"),
    ALL_JITTER(V(3, 17), V(5, 6), GR_RANDOM, "draw", "draw", "draw"),
    ALL_JITTER(V(3, 17), V(5, 6), GR_RANDOM_NB, "draw", "draw", "eagain"),
    ALL_JITTER(V(3, 17), V(5, 6), GR_INSECURE, "einval", "einval", "einval"),
    ALL_JITTER(V(3, 17), V(5, 6), GR_INSECURE_NB, "einval", "einval", "einval"),
    /* after init the real kernel rejects a bit unknown to every kernel itself */
    ALL_JITTER(V(3, 17), V(5, 6), GR_BOGUS, "einval", "pass", "pass"),
    ALL_JITTER(V(3, 17), V(5, 6), GETENTROPY, "block", "pass", "pass"),
    ALL_JITTER(V(3, 17), V(5, 6), ARC4RANDOM, "block", "pass", "pass"),
    /* the blocking pool behind /dev/random is older than getrandom */
    ALL_JITTER(V(3, 0), V(5, 6), DEV_RANDOM, "draw", "draw", "draw"),
    ALL_JITTER(V(3, 0), V(5, 6), DEV_RANDOM_NB, "draw", "draw", "eagain"),
    ALL_JITTER(V(3, 0), V(5, 18), DEV_URANDOM, "weak", "pass", "pass"),
    /* 5.6 on: no blocking pool; RANDOM is flags 0; INSECURE never waits */
    ALL_JITTER(V(5, 6), V(99, 0), GR_0, "block", "pass", "pass"),
    ALL_JITTER(V(5, 6), V(99, 0), GR_NB, "eagain", "pass", "pass"),
    ALL_JITTER(V(5, 6), V(99, 0), GR_RANDOM, "block", "pass", "pass"),
    ALL_JITTER(V(5, 6), V(99, 0), GR_RANDOM_NB, "eagain", "pass", "pass"),
    ALL_JITTER(V(5, 6), V(99, 0), GR_INSECURE, "weak", "pass", "pass"),
    ALL_JITTER(V(5, 6), V(99, 0), GR_INSECURE_NB, "weak", "pass", "pass"),
    ALL_JITTER(V(5, 6), V(99, 0), GR_BOGUS, "einval", "pass", "pass"),
    ALL_JITTER(V(5, 6), V(99, 0), GETENTROPY, "block", "pass", "pass"),
    ALL_JITTER(V(5, 6), V(99, 0), ARC4RANDOM, "block", "pass", "pass"),
    ALL_JITTER(V(5, 6), V(99, 0), DEV_RANDOM, "block", "pass", "pass"),
    /* 5.6 to 5.19 read /dev/random through wait_for_random_bytes whatever O_NONBLOCK says */
    ALL_JITTER(V(5, 6), V(6, 0), DEV_RANDOM_NB, "block", "pass", "pass"),
    ALL_JITTER(V(6, 0), V(99, 0), DEV_RANDOM_NB, "eagain", "pass", "pass"),
    /* 5.18 on: a /dev/urandom read runs the jitter loop, where there is a loop to run */
    { V(5, 18), V(99, 0), false, DEV_URANDOM, "weak", "pass", "pass" },
    { V(5, 18), V(99, 0), true, DEV_URANDOM, "block", "pass", "pass" },
};

Test(kernel, every_entry_point_in_every_era)
{
    int checked = 0;
    for (size_t v = 0; v < NVERSIONS; v++)
        for (int jitter = 0; jitter < 2; jitter++)
            for (int e = 0; e < NENTRIES; e++) {
                const struct row *row = NULL;
                for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++)
                    if (rows[r].entry == (enum entry)e && rows[r].jitter == (bool)jitter &&
                        versions[v] >= rows[r].from && versions[v] < rows[r].to) {
                        cr_assert_null(row, "two rows for %s on %u", entry_names[e], versions[v]);
                        row = &rows[r];
                    }
                cr_assert_not_null(row, "no row for %s on %u (jitter %d)", entry_names[e],
                                   versions[v], jitter);
                struct er_kernel k = { versions[v], jitter };
                enum er_request_kind kind = classify(k, (enum entry)e);
                const char *got[3] = {
                    er_action_name(er_decide_estimate(kind, false, false, ER_POLICY_BLOCK)),
                    er_action_name(er_decide_estimate(kind, true, false, ER_POLICY_BLOCK)),
                    er_action_name(er_decide_estimate(kind, true, true, ER_POLICY_BLOCK)),
                };
                const char *want[3] = { row->before, row->after, row->after_short };
                static const char *const states[3] = { "before init", "after init",
                                                       "after init, estimate short" };
                for (int s = 0; s < 3; s++)
                    cr_expect_str_eq(got[s], want[s], "%s on %u.%u (jitter %d), %s", entry_names[e],
                                     versions[v] / 1000, versions[v] % 1000, jitter, states[s]);
                checked++;
            }
    cr_expect_eq(checked, (int)(NVERSIONS * 2 * NENTRIES));
}

/* The policies other than block replace a wait, never an answer the kernel gives at once. */
Test(kernel, policies_replace_only_waits)
{
    static const enum er_request_kind kinds[] = {
        ER_REQ_NOSYS, ER_REQ_UNSUPPORTED, ER_REQ_RANDOM_POOL, ER_REQ_RANDOM_POOL_NONBLOCKING,
        ER_REQ_URANDOM_JITTER, ER_REQ_ARC4RANDOM_FALLBACK,
    };
    static const struct { enum er_request_kind kind; bool init, shortage; const char *fallback, *eagain; } cases[] = {
        { ER_REQ_NOSYS, false, false, "enosys", "enosys" },
        { ER_REQ_NOSYS, true, false, "enosys", "enosys" },
        { ER_REQ_UNSUPPORTED, false, false, "einval", "einval" },
        { ER_REQ_UNSUPPORTED, true, false, "einval", "einval" },
        { ER_REQ_RANDOM_POOL, true, false, "draw", "draw" },
        { ER_REQ_RANDOM_POOL, true, true, "weak", "eagain" },
        { ER_REQ_RANDOM_POOL, false, true, "weak", "eagain" },
        { ER_REQ_RANDOM_POOL_NONBLOCKING, false, true, "eagain", "eagain" },
        { ER_REQ_RANDOM_POOL_NONBLOCKING, true, false, "draw", "draw" },
        { ER_REQ_URANDOM_JITTER, false, false, "weak", "weak" },
        { ER_REQ_URANDOM_JITTER, true, false, "pass", "pass" },
        { ER_REQ_ARC4RANDOM_FALLBACK, false, false, "weak", "weak" },
        { ER_REQ_ARC4RANDOM_FALLBACK, true, false, "pass", "pass" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_expect_str_eq(er_action_name(er_decide_estimate(cases[i].kind, cases[i].init,
                                                           cases[i].shortage, ER_POLICY_FALLBACK)),
                         cases[i].fallback, "case %zu under fallback", i);
        cr_expect_str_eq(er_action_name(er_decide_estimate(cases[i].kind, cases[i].init,
                                                           cases[i].shortage, ER_POLICY_EAGAIN)),
                         cases[i].eagain, "case %zu under eagain", i);
    }
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        for (int init = 0; init < 2; init++)
            for (int shortage = 0; shortage < 2; shortage++)
                cr_expect_eq(er_decide_estimate(kinds[i], init, shortage, ER_POLICY_PASSTHROUGH),
                             ER_ACTION_PASS, "kind %d under passthrough", kinds[i]);
}

/* The default profile classifies exactly as the classifiers without a kernel do. */
Test(kernel, default_profile_is_the_plain_table)
{
    struct er_kernel k = { ER_KERNEL_DEFAULT, false };
    for (unsigned flags = 0; flags < 64; flags++)
        cr_expect_eq(er_classify_getrandom_on(k, flags), er_classify_getrandom(flags), "%#x", flags);
    for (int u = 0; u < 2; u++)
        for (int nb = 0; nb < 2; nb++)
            cr_expect_eq(er_classify_device_read_on(k, u, nb), er_classify_device_read(u, nb));
    cr_expect_eq(er_classify_getentropy_on(k), ER_REQ_BLOCKING);
    cr_expect_eq(er_classify_arc4random_on(k), ER_REQ_ARC4RANDOM);
}

Test(kernel, fast_path_only_where_the_real_kernel_answers_alike)
{
    cr_expect_not(er_kernel_same_after_init(V(3, 10)));
    cr_expect_not(er_kernel_same_after_init(V(4, 19)));
    cr_expect_not(er_kernel_same_after_init(V(5, 5)));
    cr_expect(er_kernel_same_after_init(V(5, 6)));
    cr_expect(er_kernel_same_after_init(V(6, 1)));
}

Test(kernel, blocking_pool_draws_at_most_one_transfer)
{
    cr_expect_eq(er_pool_draw_bits(0), 0);
    cr_expect_eq(er_pool_draw_bits(1), 8);
    cr_expect_eq(er_pool_draw_bits(32), 256);
    cr_expect_eq(er_pool_draw_bits(512), 4096);
    cr_expect_eq(er_pool_draw_bits(513), 4096);
    cr_expect_eq(er_pool_draw_bits(UINT64_MAX), 4096);
}

/* ---- messages --------------------------------------------------------------------------- */

static int allowed_in(unsigned version, int reads, int64_t step_ns, struct er_kmsg_limiter *l)
{
    er_kmsg_limiter_init(l);
    int printed = 0;
    for (int i = 0; i < reads; i++)
        printed += er_kmsg_urandom_allowed(l, version, INT64_C(5000000000) + i * step_ns);
    return printed;
}

Test(kmsg, rate_limits_per_era)
{
    struct er_kmsg_limiter l;
    /* before 3.13: nothing; 3.13 to 4.7: printk_once */
    cr_expect_eq(allowed_in(V(3, 10), 20, 0, &l), 0);
    cr_expect_eq(allowed_in(V(4, 4), 20, 0, &l), 1);
    /* 4.8 to 5.17: three a second, and maxwarn counts every read: 12 reads in one burst print 3 */
    cr_expect_eq(allowed_in(V(4, 19), 12, 0, &l), 3);
    cr_expect_eq(l.missed, 7, "the 4th to 10th are missed, the 11th and 12th not counted");
    /* one read a second: the first 10 print */
    cr_expect_eq(allowed_in(V(4, 19), 20, INT64_C(1000000000), &l), 10);
    cr_expect_eq(l.missed, 0);
    /* 5.18 on: maxwarn counts printed lines; the rest are missed */
    cr_expect_eq(allowed_in(V(6, 1), 12, 0, &l), 3);
    cr_expect_eq(l.missed, 9);
    cr_expect_eq(allowed_in(V(6, 1), 20, INT64_C(1000000000), &l), 10);
    cr_expect_eq(l.missed, 10);
    /* a window reopens after a second, not before */
    cr_expect_eq(allowed_in(V(6, 1), 4, INT64_C(350000000), &l), 4);
    cr_expect_eq(allowed_in(V(6, 1), 4, INT64_C(200000000), &l), 3);
}

Test(kmsg, texts_per_era)
{
    char line[128];
    cr_expect_eq(er_kmsg_urandom_text(V(3, 10), "python3", 24, line, sizeof line), 0);
    er_kmsg_urandom_text(V(4, 4), "python3", 24, line, sizeof line);
    cr_expect_str_eq(line, "random: python3 urandom read with 0 bits of entropy available");
    size_t n = er_kmsg_urandom_text(V(4, 19), "python3", 24, line, sizeof line);
    cr_expect_str_eq(line, "random: python3: uninitialized urandom read (24 bytes read)");
    cr_expect_eq(n, strlen(line));
    er_kmsg_urandom_text(V(6, 1), "systemd-udevd", 16, line, sizeof line);
    cr_expect_str_eq(line, "random: systemd-udevd: uninitialized urandom read (16 bytes read)");

    struct er_kmsg_limiter l;
    er_kmsg_limiter_init(&l);
    cr_expect_eq(er_kmsg_init_text(V(3, 10), &l, 0, line, sizeof line), 0);
    er_kmsg_init_text(V(4, 4), &l, 0, line, sizeof line);
    cr_expect_str_eq(line, "random: nonblocking pool is initialized");
    cr_expect_eq(er_kmsg_init_text(V(4, 4), &l, 1, line, sizeof line), 0);
    er_kmsg_init_text(V(6, 1), &l, 0, line, sizeof line);
    cr_expect_str_eq(line, "random: crng init done");
    cr_expect_eq(er_kmsg_init_text(V(6, 1), &l, 1, line, sizeof line), 0, "nothing missed");
    l.missed = 7;
    er_kmsg_init_text(V(5, 10), &l, 1, line, sizeof line);
    cr_expect_str_eq(line, "random: 7 urandom warning(s) missed due to ratelimiting");
    cr_expect_eq(er_kmsg_init_text(V(5, 10), &l, 2, line, sizeof line), 0);
}

Test(kmsg, small_buffers_stay_terminated)
{
    char line[8];
    memset(line, 'x', sizeof line);
    er_kmsg_urandom_text(V(6, 1), "a-long-task-name", 123456, line, sizeof line);
    cr_expect_eq(strnlen(line, sizeof line) < sizeof line, 1);
}

/* ---- the blocking pool's estimate ------------------------------------------------------------ */

#define SEC INT64_C(1000000000)

Test(estimate, credited_at_the_rate_and_capped_at_the_pool)
{
    /* empty at 10 s, 256 bits a second: 64 bits at 10.25 s, 256 at 11 s */
    cr_expect_eq(er_estimate_holds_at(10 * SEC, 10 * SEC, 64, 256), 10 * SEC + SEC / 4);
    cr_expect_eq(er_estimate_holds_at(10 * SEC, 10 * SEC, 256, 256), 11 * SEC);
    /* an hour later the pool is full (4096 bits): the bits are there at once, and a draw moves
     * the empty moment only as far back as a full pool allows */
    int64_t later = 3610 * SEC;
    int64_t at = er_estimate_holds_at(10 * SEC, later, 4096, 256);
    cr_expect_eq(at, later, "a full pool holds 4096 bits now");
    cr_expect_eq(er_estimate_holds_at(10 * SEC, later, 64, 256), later - 16 * SEC + SEC / 4);
    /* more than a pool is a pool */
    cr_expect_eq(er_estimate_holds_at(10 * SEC, later, 100000, 256), later);
}

Test(estimate, draws_chain)
{
    /* two draws of 256 bits at 256 bits a second from an empty pool: the second waits a second
     * more than the first, whenever it asks */
    int64_t empty = 0;
    int64_t first = er_estimate_holds_at(empty, 0, 256, 256);
    cr_expect_eq(first, SEC);
    int64_t second = er_estimate_holds_at(first, SEC / 2, 256, 256);
    cr_expect_eq(second, 2 * SEC);
    cr_expect(second > first);
}

Test(estimate, nothing_credited)
{
    cr_expect_eq(er_estimate_holds_at(0, 100 * SEC, 8, 0), ER_ESTIMATE_NEVER);
    cr_expect_eq(er_estimate_holds_at(5, 100 * SEC, 0, 0), 5, "no bits are always there");
}
