#include "ring.h"

#include <string.h>

_Static_assert(sizeof(struct er_ring_header) == 4096, "the header fills the first page");
_Static_assert(sizeof(struct er_ring_slot) == ER_RING_SLOT_SIZE, "slot size");

static struct er_ring_slot *slot_at(const struct er_ring *r, uint64_t ticket)
{
    return &r->slots[ticket & (r->slot_count - 1)];
}

size_t er_ring_bytes(uint32_t slot_count)
{
    return sizeof(struct er_ring_header) + (size_t)slot_count * sizeof(struct er_ring_slot);
}

static void view(struct er_ring *r, void *mem, uint32_t slot_count)
{
    r->header = mem;
    r->slots = (struct er_ring_slot *)((char *)mem + sizeof(struct er_ring_header));
    r->slot_count = slot_count;
}

bool er_ring_format(struct er_ring *r, void *mem, uint32_t slot_count, const char *log_path)
{
    size_t path_len = strlen(log_path);
    if (path_len >= sizeof r->header->log_path)
        return false;
    view(r, mem, slot_count);
    memcpy(r->header->log_path, log_path, path_len + 1);
    r->header->slot_size = ER_RING_SLOT_SIZE;
    r->header->slot_count = slot_count;
    for (uint32_t i = 0; i < slot_count; i++)
        r->slots[i].seq = i;
    __atomic_store_n(&r->header->magic, ER_RING_MAGIC, __ATOMIC_RELEASE);
    return true;
}

bool er_ring_attach(struct er_ring *r, void *mem, size_t size, const char *log_path)
{
    const struct er_ring_header *h = mem;
    if (size < sizeof *h || __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != ER_RING_MAGIC)
        return false;
    uint32_t n = h->slot_count;
    if (h->slot_size != ER_RING_SLOT_SIZE || n == 0 || (n & (n - 1)) != 0 || er_ring_bytes(n) > size)
        return false;
    if (strnlen(h->log_path, sizeof h->log_path) == sizeof h->log_path ||
        strcmp(h->log_path, log_path) != 0)
        return false;
    view(r, mem, n);
    return true;
}

enum er_ring_put er_ring_put(const struct er_ring *r, const char *record, size_t len)
{
    if (len > ER_RING_PAYLOAD_MAX)
        return ER_RING_PUT_TOO_LONG;
    uint64_t head = __atomic_load_n(&r->header->head, __ATOMIC_RELAXED);
    struct er_ring_slot *slot;
    for (;;) {
        if (head & ER_RING_CLOSED)
            return ER_RING_PUT_CLOSED;
        slot = slot_at(r, head);
        int64_t lag = (int64_t)(__atomic_load_n(&slot->seq, __ATOMIC_ACQUIRE) - head);
        if (lag < 0)
            return ER_RING_PUT_FULL; /* the consumer has not taken this slot's last record yet */
        if (lag == 0 && __atomic_compare_exchange_n(&r->header->head, &head, head + 1, true,
                                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            break;
        if (lag > 0) /* another producer claimed this ticket first */
            head = __atomic_load_n(&r->header->head, __ATOMIC_RELAXED);
    }
    memcpy(slot->data, record, len);
    slot->len = (uint32_t)len;
    __atomic_store_n(&slot->seq, head + 1, __ATOMIC_RELEASE); /* committed */
    return ER_RING_PUT_OK;
}

void er_ring_note_bypass(const struct er_ring *r)
{
    __atomic_add_fetch(&r->header->bypassed, 1, __ATOMIC_RELAXED);
}

/* Frees the consumer's slot for the producer that will claim it a lap later. */
static void advance(const struct er_ring *r, uint64_t tail)
{
    __atomic_store_n(&slot_at(r, tail)->seq, tail + r->slot_count, __ATOMIC_RELEASE);
    __atomic_store_n(&r->header->tail, tail + 1, __ATOMIC_RELEASE);
}

bool er_ring_take(const struct er_ring *r, er_ring_record_fn fn, void *ctx)
{
    uint64_t tail = r->header->tail;
    struct er_ring_slot *slot = slot_at(r, tail);
    if (__atomic_load_n(&slot->seq, __ATOMIC_ACQUIRE) != tail + 1)
        return false;
    uint32_t len = slot->len;
    fn(slot->data, len <= ER_RING_PAYLOAD_MAX ? len : ER_RING_PAYLOAD_MAX, ctx);
    advance(r, tail);
    return true;
}

uint64_t er_ring_close(const struct er_ring *r)
{
    uint64_t head = __atomic_fetch_or(&r->header->head, ER_RING_CLOSED, __ATOMIC_ACQ_REL);
    return (head & ~ER_RING_CLOSED) - r->header->tail;
}

bool er_ring_skip_abandoned(const struct er_ring *r)
{
    if (er_ring_pending(r) == 0)
        return false;
    advance(r, r->header->tail);
    return true;
}

uint64_t er_ring_pending(const struct er_ring *r)
{
    return (__atomic_load_n(&r->header->head, __ATOMIC_ACQUIRE) & ~ER_RING_CLOSED) -
           __atomic_load_n(&r->header->tail, __ATOMIC_ACQUIRE);
}

uint64_t er_ring_bypassed(const struct er_ring *r)
{
    return __atomic_load_n(&r->header->bypassed, __ATOMIC_RELAXED);
}

bool er_ring_set_wake_path(const struct er_ring *r, const char *path)
{
    size_t len = strlen(path);
    if (len >= sizeof r->header->wake_path)
        return false;
    memcpy(r->header->wake_path, path, len + 1);
    return true;
}

/* Sleeping is announced before the consumer looks at the ring a last time, and a producer looks
 * at the announcement after its record is claimed (both sequentially consistent): one of the two
 * sees the other, so a burst cannot start unseen between them. */
void er_ring_consumer_sleeps(const struct er_ring *r, bool asleep)
{
    __atomic_store_n(&r->header->consumer_asleep, asleep ? 1u : 0u, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

bool er_ring_wake_due(const struct er_ring *r)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&r->header->consumer_asleep, __ATOMIC_SEQ_CST) == 0 ||
        er_ring_pending(r) < r->slot_count / 8)
        return false;
    return __atomic_exchange_n(&r->header->consumer_asleep, 0u, __ATOMIC_SEQ_CST) != 0;
}

const char *er_ring_wake_path(const struct er_ring *r)
{
    const char *path = r->header->wake_path;
    if (path[0] != '/' || strnlen(path, sizeof r->header->wake_path) == sizeof r->header->wake_path)
        return NULL;
    return path;
}
