/* The record ring: every record arrives whole, once, in the order its producer put it; a full or
 * closed ring refuses without waiting; a mapping that is not a ring for this log is refused. */
#include <criterion/criterion.h>

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

static void *fresh_ring(struct er_ring *r, uint32_t slots)
{
    void *mem = calloc(1, er_ring_bytes(slots));
    cr_assert_not_null(mem);
    cr_assert(er_ring_format(r, mem, slots, "/tmp/log.jsonl"));
    return mem;
}

struct taken {
    char text[64][ER_RING_PAYLOAD_MAX + 1];
    size_t n;
};

static void keep(const char *record, size_t len, void *ctx)
{
    struct taken *t = ctx;
    memcpy(t->text[t->n], record, len);
    t->text[t->n][len] = '\0';
    t->n++;
}

Test(ring, records_come_out_whole_and_in_order)
{
    struct er_ring r;
    void *mem = fresh_ring(&r, 8);
    cr_assert_eq(er_ring_put(&r, "one\n", 4), ER_RING_PUT_OK);
    cr_assert_eq(er_ring_put(&r, "two\n", 4), ER_RING_PUT_OK);
    struct taken t = { .n = 0 };
    while (er_ring_take(&r, keep, &t))
        continue;
    cr_assert_eq(t.n, 2);
    cr_expect_str_eq(t.text[0], "one\n");
    cr_expect_str_eq(t.text[1], "two\n");
    cr_expect_eq(er_ring_pending(&r), 0);
    free(mem);
}

Test(ring, a_full_ring_refuses_at_once_and_takes_again_once_drained)
{
    struct er_ring r;
    void *mem = fresh_ring(&r, 4);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(er_ring_put(&r, "x", 1), ER_RING_PUT_OK);
    cr_expect_eq(er_ring_put(&r, "y", 1), ER_RING_PUT_FULL);
    struct taken t = { .n = 0 };
    cr_assert(er_ring_take(&r, keep, &t));
    cr_expect_eq(er_ring_put(&r, "z", 1), ER_RING_PUT_OK, "the freed slot is reused a lap later");
    while (er_ring_take(&r, keep, &t))
        continue;
    cr_expect_eq(t.n, 5);
    cr_expect_str_eq(t.text[4], "z");
    free(mem);
}

Test(ring, a_record_longer_than_a_slot_is_refused)
{
    struct er_ring r;
    void *mem = fresh_ring(&r, 4);
    char big[ER_RING_PAYLOAD_MAX + 1];
    memset(big, 'a', sizeof big);
    cr_expect_eq(er_ring_put(&r, big, sizeof big), ER_RING_PUT_TOO_LONG);
    cr_expect_eq(er_ring_put(&r, big, ER_RING_PAYLOAD_MAX), ER_RING_PUT_OK);
    cr_expect_eq(er_ring_pending(&r), 1);
    free(mem);
}

Test(ring, after_close_nothing_is_claimed_and_pending_records_are_still_taken)
{
    struct er_ring r;
    void *mem = fresh_ring(&r, 4);
    cr_assert_eq(er_ring_put(&r, "a", 1), ER_RING_PUT_OK);
    cr_expect_eq(er_ring_close(&r), 1);
    cr_expect_eq(er_ring_put(&r, "b", 1), ER_RING_PUT_CLOSED);
    struct taken t = { .n = 0 };
    cr_expect(er_ring_take(&r, keep, &t));
    cr_expect_not(er_ring_take(&r, keep, &t));
    free(mem);
}

Test(ring, a_claimed_slot_never_committed_blocks_until_given_up)
{
    struct er_ring r;
    void *mem = fresh_ring(&r, 4);
    r.header->head = 1; /* a producer claimed ticket 0 and died before committing it */
    cr_assert_eq(er_ring_put(&r, "after", 5), ER_RING_PUT_OK);
    struct taken t = { .n = 0 };
    cr_expect_not(er_ring_take(&r, keep, &t), "the dead producer's slot comes first");
    cr_expect_eq(er_ring_pending(&r), 2);
    cr_expect(er_ring_skip_abandoned(&r));
    cr_expect(er_ring_take(&r, keep, &t));
    cr_expect_str_eq(t.text[0], "after");
    cr_expect_not(er_ring_skip_abandoned(&r), "nothing left to give up");
    free(mem);
}

Test(ring, attach_refuses_what_is_not_a_ring_for_this_log)
{
    struct er_ring r, mine;
    size_t size = er_ring_bytes(8);
    void *mem = fresh_ring(&r, 8);
    cr_expect(er_ring_attach(&mine, mem, size, "/tmp/log.jsonl"));
    cr_expect_eq(mine.slot_count, 8);
    cr_expect_not(er_ring_attach(&mine, mem, size, "/tmp/other.jsonl"), "another log");
    cr_expect_not(er_ring_attach(&mine, mem, size - 1, "/tmp/log.jsonl"), "mapping too small");
    cr_expect_not(er_ring_attach(&mine, mem, 100, "/tmp/log.jsonl"), "smaller than the header");
    r.header->slot_count = 6;
    cr_expect_not(er_ring_attach(&mine, mem, size, "/tmp/log.jsonl"), "not a power of two");
    r.header->slot_count = 8;
    memset(r.header->log_path, 'p', sizeof r.header->log_path);
    cr_expect_not(er_ring_attach(&mine, mem, size, "/tmp/log.jsonl"), "unterminated path");
    r.header->magic = 0;
    cr_expect_not(er_ring_attach(&mine, mem, size, "/tmp/log.jsonl"), "no magic");
    free(mem);
    char long_path[5000];
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[sizeof long_path - 1] = '\0';
    void *other = calloc(1, er_ring_bytes(4));
    cr_expect_not(er_ring_format(&r, other, 4, long_path));
    free(other);
}

/* Producers on several threads against one consumer, with a small ring so that it fills and
 * wraps many times: every record that was accepted comes out once, whole, in its producer's
 * order; every refusal said FULL. Producers retry a refused record, so the ring must wrap. No
 * assertion runs on the producers' threads: Criterion reports each one to its runner. */
#define PRODUCERS 4
#define PER_PRODUCER 5000

struct producer {
    struct er_ring *r;
    int id;
    int accepted, refused, wrong;
};

static void *produce(void *arg)
{
    struct producer *p = arg;
    char rec[64];
    while (p->accepted < PER_PRODUCER) {
        int len = snprintf(rec, sizeof rec, "p%d n%06d %s\n", p->id, p->accepted,
                           "padding-to-make-it-longer");
        enum er_ring_put put = er_ring_put(p->r, rec, (size_t)len);
        if (put == ER_RING_PUT_OK) {
            p->accepted++;
        } else {
            p->refused++;
            p->wrong += put != ER_RING_PUT_FULL;
            sched_yield();
        }
    }
    return NULL;
}

struct checker {
    int next[PRODUCERS];
    long total;
    int bad;
};

static void check(const char *record, size_t len, void *ctx)
{
    struct checker *c = ctx;
    char copy[128];
    int id, n;
    if (len >= sizeof copy) {
        c->bad++;
        return;
    }
    memcpy(copy, record, len);
    copy[len] = '\0';
    if (sscanf(copy, "p%d n%d ", &id, &n) != 2 || id < 0 || id >= PRODUCERS || n != c->next[id] ||
        copy[len - 1] != '\n' || strstr(copy, "padding-to-make-it-longer\n") == NULL)
        c->bad++;
    else
        c->next[id]++;
    c->total++;
}

Test(ring, many_producers_one_consumer_nothing_lost_or_torn)
{
    struct er_ring r;
    void *mem = fresh_ring(&r, 64);
    pthread_t threads[PRODUCERS];
    struct producer ps[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++) {
        ps[i] = (struct producer){ &r, i, 0, 0, 0 };
        cr_assert_eq(pthread_create(&threads[i], NULL, produce, &ps[i]), 0);
    }
    struct checker c = { { 0 }, 0, 0 };
    bool joined[PRODUCERS] = { false };
    int running = PRODUCERS;
    while (running > 0) {
        while (er_ring_take(&r, check, &c))
            continue;
        for (int i = 0; i < PRODUCERS; i++)
            if (!joined[i] && pthread_tryjoin_np(threads[i], NULL) == 0) {
                joined[i] = true;
                running--;
            }
    }
    while (er_ring_take(&r, check, &c))
        continue;
    long accepted = 0;
    for (int i = 0; i < PRODUCERS; i++) {
        accepted += ps[i].accepted;
        cr_expect_eq(ps[i].wrong, 0, "producer %d: a refusal other than FULL", i);
        cr_expect_eq(c.next[i], ps[i].accepted, "producer %d: %d taken of %d accepted", i,
                     c.next[i], ps[i].accepted);
    }
    cr_expect_eq(c.bad, 0, "%d records torn, duplicated or out of order", c.bad);
    cr_expect_eq(c.total, accepted);
    cr_expect_eq(accepted, PRODUCERS * PER_PRODUCER, "every record got in, the ring wrapping");
    cr_expect_eq(er_ring_pending(&r), 0);
    free(mem);
}

Test(ring, a_sleeping_consumer_is_woken_once_when_a_burst_fills_an_eighth)
{
    struct er_ring r;
    void *mem = fresh_ring(&r, 64);
    cr_assert(er_ring_set_wake_path(&r, "/proc/1/fd/5"));
    cr_expect_str_eq(er_ring_wake_path(&r), "/proc/1/fd/5");
    /* Awake, the consumer is never woken. */
    for (int i = 0; i < 8; i++)
        cr_assert_eq(er_ring_put(&r, "x", 1), ER_RING_PUT_OK);
    cr_expect_not(er_ring_wake_due(&r), "the consumer is awake");
    struct taken t = { .n = 0 };
    while (er_ring_take(&r, keep, &t))
        t.n = 0;
    /* Asleep: nothing until the eighth record, then one producer only. */
    er_ring_consumer_sleeps(&r, true);
    for (int i = 0; i < 7; i++) {
        cr_assert_eq(er_ring_put(&r, "x", 1), ER_RING_PUT_OK);
        cr_expect_not(er_ring_wake_due(&r), "%d records are no burst", i + 1);
    }
    cr_assert_eq(er_ring_put(&r, "x", 1), ER_RING_PUT_OK);
    cr_expect(er_ring_wake_due(&r), "an eighth of the ring wakes the consumer");
    cr_assert_eq(er_ring_put(&r, "x", 1), ER_RING_PUT_OK);
    cr_expect_not(er_ring_wake_due(&r), "one wake-up per sleep");
    free(mem);
}

Test(ring, a_wake_up_path_that_does_not_fit_or_is_not_absolute_is_not_used)
{
    struct er_ring r;
    void *mem = fresh_ring(&r, 8);
    cr_expect_null(er_ring_wake_path(&r), "none set");
    char long_path[100];
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[0] = '/';
    long_path[sizeof long_path - 1] = '\0';
    cr_expect_not(er_ring_set_wake_path(&r, long_path));
    cr_expect(er_ring_set_wake_path(&r, "relative/path"));
    cr_expect_null(er_ring_wake_path(&r), "a relative path");
    memset(r.header->wake_path, '/', sizeof r.header->wake_path);
    cr_expect_null(er_ring_wake_path(&r), "unterminated");
    free(mem);
}
