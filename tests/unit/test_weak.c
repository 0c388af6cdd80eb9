/* The deterministic weak stream (SplitMix64, random access) and er_uniform. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "weak.h"

static uint64_t le64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

/* Published SplitMix64 outputs (the xoshiro reference seeding): seed 0 gives e220a8397b1dcdaf,
 * 6e789e6aa1b965f4, 06c45d188009454f; the stream is those words, little-endian. */
Test(weak, known_splitmix64_vectors)
{
    unsigned char b[24];
    er_weak_fill(0, 0, b, sizeof b);
    cr_expect_eq(le64(b), UINT64_C(0xe220a8397b1dcdaf));
    cr_expect_eq(le64(b + 8), UINT64_C(0x6e789e6aa1b965f4));
    cr_expect_eq(le64(b + 16), UINT64_C(0x06c45d188009454f));
    cr_expect_eq(b[0], 0xaf, "little-endian: the low byte comes first");
    er_weak_fill(1, 0, b, 8);
    cr_expect_eq(le64(b), UINT64_C(0x910a2dec89025cc1));
    er_weak_fill(42, 8, b, 8);
    cr_expect_eq(le64(b), UINT64_C(0x28efe333b266f103));
}

Test(weak, same_seed_same_bytes)
{
    static const uint64_t seeds[] = { 0, 1, 7, 42, UINT64_MAX, UINT64_C(0x8000000000000000) };
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        unsigned char a[1000], b[1000];
        memset(a, 0x11, sizeof a);
        memset(b, 0x22, sizeof b);
        er_weak_fill(seeds[i], 0, a, sizeof a);
        er_weak_fill(seeds[i], 0, b, sizeof b);
        cr_expect_eq(memcmp(a, b, sizeof a), 0, "seed %zu not reproducible", i);
    }
}

Test(weak, different_seeds_differ)
{
    static const uint64_t seeds[] = { 0, 1, 2, 3, 42, 43, UINT64_MAX, UINT64_MAX - 1,
                                      UINT64_C(0x8000000000000000), UINT64_C(0x9E3779B97F4A7C15) };
    enum { N = sizeof seeds / sizeof seeds[0] };
    unsigned char out[N][32];
    for (size_t i = 0; i < N; i++)
        er_weak_fill(seeds[i], 0, out[i], 32);
    for (size_t i = 0; i < N; i++)
        for (size_t j = i + 1; j < N; j++)
            cr_expect_neq(memcmp(out[i], out[j], 32), 0, "seeds #%zu and #%zu give the same bytes",
                          i, j);
}

/* Filling [0, 100) at once equals filling [0, k) then [k, 100), for every k. */
Test(weak, random_access_is_consistent)
{
    static const uint64_t seeds[] = { 0, 5, UINT64_MAX };
    for (size_t s = 0; s < 3; s++) {
        unsigned char whole[100];
        er_weak_fill(seeds[s], 0, whole, sizeof whole);
        for (size_t k = 0; k <= 100; k++) {
            unsigned char parts[100];
            memset(parts, 0, sizeof parts);
            er_weak_fill(seeds[s], 0, parts, k);
            er_weak_fill(seeds[s], k, parts + k, 100 - k);
            cr_assert_eq(memcmp(whole, parts, 100), 0, "seed #%zu split at %zu", s, k);
        }
        unsigned char bytes[100];
        for (size_t i = 0; i < 100; i++)
            er_weak_fill(seeds[s], i, bytes + i, 1);
        cr_expect_eq(memcmp(whole, bytes, 100), 0, "byte by byte, seed #%zu", s);
        unsigned char three[100];
        er_weak_fill(seeds[s], 0, three, 37);
        er_weak_fill(seeds[s], 37, three + 37, 26);
        er_weak_fill(seeds[s], 63, three + 63, 37);
        cr_expect_eq(memcmp(whole, three, 100), 0, "[0,37) [37,63) [63,100), seed #%zu", s);
    }
}

/* Out of order and far into the stream (offsets near 2^64 wrap the word index harmlessly). */
Test(weak, far_offsets)
{
    static const uint64_t offs[] = { UINT64_C(1) << 40, (UINT64_C(1) << 63) + 5, UINT64_MAX - 64 };
    for (size_t i = 0; i < 3; i++) {
        unsigned char whole[50], a[50];
        er_weak_fill(9, offs[i], whole, 50);
        er_weak_fill(9, offs[i] + 20, a + 20, 30);
        er_weak_fill(9, offs[i], a, 20);
        cr_expect_eq(memcmp(whole, a, 50), 0, "offset #%zu", i);
    }
}

Test(weak, zero_length_writes_nothing)
{
    unsigned char b[16];
    memset(b, 0x5a, sizeof b);
    er_weak_fill(3, 5, b + 4, 0);
    for (size_t i = 0; i < sizeof b; i++)
        cr_expect_eq(b[i], 0x5a);
    er_weak_fill(3, 0, NULL, 0);
}

Test(weak, writes_exactly_len_bytes)
{
    unsigned char b[64];
    for (size_t off = 0; off < 9; off++)
        for (size_t len = 0; len < 20; len++) {
            memset(b, 0xee, sizeof b);
            er_weak_fill(11, off, b + 8, len);
            for (size_t i = 0; i < 8; i++)
                cr_assert_eq(b[i], 0xee, "byte before the buffer written (off %zu len %zu)", off, len);
            for (size_t i = 8 + len; i < sizeof b; i++)
                cr_assert_eq(b[i], 0xee, "byte after the buffer written (off %zu len %zu)", off, len);
        }
}

/* The byte histogram of a long stream is flat (chi-square, 255 degrees of freedom). */
Test(weak, bytes_look_uniform)
{
    enum { N = 1 << 18 };
    unsigned char *b = malloc(N);
    cr_assert_not_null(b);
    er_weak_fill(2024, 0, b, N);
    double count[256] = { 0 };
    for (size_t i = 0; i < N; i++)
        count[b[i]]++;
    double e = N / 256.0, chi = 0;
    for (int v = 0; v < 256; v++)
        chi += (count[v] - e) * (count[v] - e) / e;
    /* Mean 255, sd about 22.6; 400 is beyond six standard deviations. */
    cr_expect_lt(chi, 400.0, "chi-square %f", chi);
    free(b);
}

/* A 32-bit source over the weak stream. */
struct stream {
    uint64_t seed, off;
    unsigned calls;
};

static uint32_t stream_next32(void *ctx)
{
    struct stream *s = ctx;
    unsigned char b[4];
    er_weak_fill(s->seed, s->off, b, 4);
    s->off += 4;
    s->calls++;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* A scripted source. */
struct script {
    const uint32_t *values;
    size_t n, i;
};

static uint32_t script_next32(void *ctx)
{
    struct script *s = ctx;
    cr_assert_lt(s->i, s->n, "er_uniform asked for more values than scripted");
    return s->values[s->i++];
}

Test(weak, uniform_small_uppers_are_zero_without_drawing)
{
    struct stream s = { 1, 0, 0 };
    cr_expect_eq(er_uniform(0, stream_next32, &s), 0);
    cr_expect_eq(er_uniform(1, stream_next32, &s), 0);
    cr_expect_eq(s.calls, 0, "upper < 2 needs no randomness");
}

Test(weak, uniform_always_below_upper)
{
    static const uint32_t uppers[] = { 2, 3, 5, 7, 10, 100, 255, 256, 1000, 65537, 0x7fffffff,
                                       0x80000000, 0x80000001, 0xc0000000, 0xfffffffe, 0xffffffff };
    struct stream s = { 77, 0, 0 };
    for (size_t u = 0; u < sizeof uppers / sizeof uppers[0]; u++)
        for (int i = 0; i < 20000; i++) {
            uint32_t r = er_uniform(uppers[u], stream_next32, &s);
            cr_assert_lt(r, uppers[u], "er_uniform(%u) gave %u", uppers[u], r);
        }
}

/* Values below 2^32 mod upper are rejected; the first acceptable one is reduced mod upper. */
Test(weak, uniform_rejects_the_biased_low_range)
{
    /* upper = 0x80000001: 2^32 mod upper = 0x7fffffff. */
    static const uint32_t v1[] = { 0, 1, 0x7ffffffe, 0x7fffffff };
    struct script s1 = { v1, 4, 0 };
    cr_expect_eq(er_uniform(0x80000001u, script_next32, &s1), 0x7fffffffu);
    cr_expect_eq(s1.i, 4, "three values below the threshold are rejected");

    static const uint32_t v2[] = { 0xffffffff };
    struct script s2 = { v2, 1, 0 };
    cr_expect_eq(er_uniform(0x80000001u, script_next32, &s2), 0xffffffffu - 0x80000001u);

    /* upper = 3: 2^32 mod 3 = 1, so only 0 is rejected. */
    static const uint32_t v3[] = { 0, 1 };
    struct script s3 = { v3, 2, 0 };
    cr_expect_eq(er_uniform(3, script_next32, &s3), 1);
    cr_expect_eq(s3.i, 2);

    /* A power of two needs no rejection at all. */
    static const uint32_t v4[] = { 0 };
    struct script s4 = { v4, 1, 0 };
    cr_expect_eq(er_uniform(1u << 20, script_next32, &s4), 0);
    cr_expect_eq(s4.i, 1);
}

Test(weak, uniform_chi_square_upper_10)
{
    enum { DRAWS = 100000, UPPER = 10 };
    struct stream s = { 12345, 0, 0 };
    double count[UPPER] = { 0 };
    for (int i = 0; i < DRAWS; i++)
        count[er_uniform(UPPER, stream_next32, &s)]++;
    double e = (double)DRAWS / UPPER, chi = 0;
    for (int v = 0; v < UPPER; v++)
        chi += (count[v] - e) * (count[v] - e) / e;
    /* 9 degrees of freedom: p = 0.001 at 27.9; 40 is generous. */
    cr_expect_lt(chi, 40.0, "chi-square %f over %d draws", chi, DRAWS);
}

/* With upper = 3 * 2^30 a plain modulo would give [0, 2^30) half the time instead of a third. */
Test(weak, uniform_is_unbiased_for_large_upper)
{
    enum { DRAWS = 100000 };
    struct stream s = { 99, 0, 0 };
    int low = 0;
    for (int i = 0; i < DRAWS; i++)
        low += er_uniform(0xc0000000u, stream_next32, &s) < 0x40000000u;
    double frac = (double)low / DRAWS;
    cr_expect(frac > 0.32 && frac < 0.347, "fraction in the low third: %f", frac);
}

Test(weak, uniform_is_deterministic_over_a_deterministic_source)
{
    struct stream a = { 5, 0, 0 }, b = { 5, 0, 0 };
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(er_uniform(1000, stream_next32, &a), er_uniform(1000, stream_next32, &b));
}
