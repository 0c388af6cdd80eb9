/* libFuzzer harness for the settings: the input is up to 11 NUL-separated values, one for each
 * EARLYRANDOM_* variable in documented order (missing ones are unset); each value also goes through
 * er_parse_duration. Built by tests/fuzz/run-fuzz, not by make. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "duration.h"

#define NVARS ER_SETTINGS_COUNT

static const char *const names[NVARS] = {
    ER_ENV_POLICY,       ER_ENV_INIT_AFTER, ER_ENV_EPOCH,        ER_ENV_READY_FILE,
    ER_ENV_WEAK,         ER_ENV_LOG,        ER_ENV_LOG_ALL,      ER_ENV_HANG_TIMEOUT,
    ER_ENV_KERNEL,       ER_ENV_ENTROPY_RATE, ER_ENV_KERNEL_LOG,
};

struct env {
    const char *values[NVARS];
};

static const char *lookup(const char *name, void *ctx)
{
    struct env *e = ctx;
    for (int i = 0; i < NVARS; i++)
        if (strcmp(name, names[i]) == 0)
            return e->values[i];
    return NULL;
}

#define CHECK(cond)                                                                              \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);             \
            abort();                                                                             \
        }                                                                                        \
    } while (0)

/* An exact reference for whole numbers with an optional unit: the value if it is at most 100
 * years, -2 if it is larger, -3 if the text is not of that form. */
static int64_t reference_whole(const char *t)
{
    static const struct { const char *u; int64_t scale; } units[] = {
        { "", INT64_C(1000000000) }, { "ns", 1 }, { "us", INT64_C(1000) },
        { "ms", INT64_C(1000000) },  { "s", INT64_C(1000000000) },
        { "m", INT64_C(60000000000) }, { "h", INT64_C(3600000000000) },
    };
    const char *p = t;
    unsigned __int128 v = 0;
    bool big = false;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (unsigned)(*p - '0');
        if (v > (unsigned __int128)UINT64_MAX)
            big = true, v = (unsigned __int128)UINT64_MAX;
        p++;
    }
    if (p == t)
        return -3;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(p, units[i].u) == 0) {
            unsigned __int128 ns = v * (unsigned __int128)units[i].scale;
            if (big || ns > (unsigned __int128)ER_DURATION_MAX_NS)
                return -2;
            return (int64_t)ns;
        }
    }
    return -3;
}

static void check_duration(const char *v)
{
    int64_t ns = INT64_C(0x5a5a5a5a5a5a5a5a);
    bool ok = er_parse_duration(v, &ns);
    if (ok)
        CHECK(ns >= 0 && ns <= ER_DURATION_MAX_NS);
    else
        CHECK(ns == INT64_C(0x5a5a5a5a5a5a5a5a));
#ifndef ER_FUZZ_NO_REFERENCE
    int64_t want = reference_whole(v);
    if (want >= 0) {
        if (!ok || ns != want) {
            fprintf(stderr, "er_parse_duration('%s'): %s %lld, reference %lld\n", v,
                    ok ? "accepted" : "rejected", (long long)ns, (long long)want);
            abort();
        }
    } else if (want == -2) {
        CHECK(!ok);
    }
#endif
    /* INIT_AFTER and HANG_TIMEOUT accept exactly the durations (plus never / off, minus 0). */
    int64_t a = 0;
    CHECK(er_parse_init_after(v, &a) == (ok || strcmp(v, "never") == 0));
    int64_t h = 0;
    CHECK(er_parse_hang_timeout(v, &h) == ((ok && ns > 0) || strcmp(v, "off") == 0));
}

/* Loads with errbuf of exactly errlen heap bytes, so AddressSanitizer sees any overflow. */
static int load(struct env *e, size_t errlen, struct er_settings *s, char **text)
{
    char *err = errlen ? malloc(errlen) : NULL;
    if (errlen)
        CHECK(err != NULL);
    int bad = er_settings_load(s, lookup, e, err, errlen);
    CHECK(bad >= 0 && bad <= NVARS);
    if (errlen)
        CHECK(memchr(err, '\0', errlen) != NULL);
    *text = err;
    return bad;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    CHECK(copy != NULL);
    memcpy(copy, data, size);
    copy[size] = '\0';

    struct env e = { { NULL } };
    size_t pos = 0;
    for (int i = 0; i < NVARS && pos <= size; i++) {
        e.values[i] = copy + pos;
        pos += strlen(copy + pos) + 1;
    }
    for (int i = 0; i < NVARS; i++)
        if (e.values[i] != NULL)
            check_duration(e.values[i]);

    struct er_settings s;
    char *full;
    int bad = load(&e, 1 << 16, &s, &full);
    if (bad > 0)
        CHECK(s.policy == ER_POLICY_PASSTHROUGH);
    CHECK(s.init_after_ns == ER_DURATION_NEVER || s.init_after_ns == ER_INIT_JITTER ||
          (s.init_after_ns >= 0 && s.init_after_ns <= ER_DURATION_MAX_NS));
    CHECK(s.hang_timeout_ns == ER_DURATION_NEVER ||
          (s.hang_timeout_ns > 0 && s.hang_timeout_ns <= ER_DURATION_MAX_NS));
    CHECK(memchr(s.log_path, '\0', sizeof s.log_path) != NULL);
    CHECK(memchr(s.ready_file, '\0', sizeof s.ready_file) != NULL);
    if (s.epoch_kind == ER_EPOCH_INSTANT)
        CHECK(s.epoch_instant_ns >= 0 && s.epoch_instant_ns <= INT64_MAX / 2);

    /* Exactly one line per bad value, each ending in the passthrough note and '\n'. */
    size_t lines = 0, full_len = strlen(full);
    for (size_t i = 0; i < full_len; i++)
        lines += full[i] == '\n';
    CHECK(lines == (size_t)bad);
    CHECK(full_len == 0 || full[full_len - 1] == '\n');
    for (int v = 0; v < NVARS; v++) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "earlyrandom: %s=", names[v]);
        /* A value may itself contain the prefix (it is printable): count line starts only. */
        int naming = 0;
        for (const char *p = full; *p; p = strchr(p, '\n') + 1)
            naming += strncmp(p, prefix, strlen(prefix)) == 0;
        CHECK(naming <= 1);
    }
    for (size_t i = 0; i < full_len; i++)
        CHECK(full[i] == '\n' || (full[i] >= 0x20 && full[i] < 0x7f));

    /* Small buffers hold a prefix of the same text. */
    static const size_t small[] = { 0, 1, 2, 16, 64, 200 };
    for (size_t k = 0; k < sizeof small / sizeof small[0]; k++) {
        struct er_settings s2;
        char *t;
        CHECK(load(&e, small[k], &s2, &t) == bad);
        CHECK(memcmp(&s, &s2, sizeof s) == 0);
        if (small[k] > 0) {
            size_t n = strlen(t);
            CHECK(n == (full_len < small[k] - 1 ? full_len : small[k] - 1));
            CHECK(memcmp(t, full, n) == 0);
        }
        free(t);
    }
    free(full);
    free(copy);
    return 0;
}
