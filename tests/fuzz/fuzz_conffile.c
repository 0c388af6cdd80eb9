/* libFuzzer harness for the configuration file: the input is the file's text; it is parsed and
 * then loaded as the only source of settings (as in secure execution). Built by
 * tests/fuzz/run-fuzz, not by make. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conffile.h"
#include "config.h"
#include "duration.h"

#define CHECK(cond)                                                                              \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);             \
            abort();                                                                             \
        }                                                                                        \
    } while (0)

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > ER_CONFFILE_MAX_BYTES)
        return 0;
    char *text = malloc(size + 1);
    CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    char *orig = strdup(text);
    CHECK(orig != NULL);

    struct er_conffile cf;
    static char err[1 << 16];
    int bad = er_conffile_parse(text, "/etc/earlyrandom.conf", &cf, err, sizeof err);
    CHECK(bad >= 0);
    CHECK(count_lines(err) == (size_t)bad);
    CHECK(cf.count <= ER_CONFFILE_MAX_ENTRIES);
    for (size_t i = 0; i < cf.count; i++) {
        CHECK(strstr(ER_CONF_NAMES, cf.entries[i].name) != NULL);
        CHECK(cf.entries[i].value >= text && cf.entries[i].value <= text + size);
        CHECK(cf.entries[i].line >= 1);
    }

    /* Small error buffers: a terminated prefix, never an overflow (exact-size heap buffers). */
    size_t full_len = strlen(err);
    static const size_t small[] = { 1, 2, 16, 64 };
    for (size_t k = 0; k < sizeof small / sizeof small[0]; k++) {
        char *copy = strdup(orig);
        CHECK(copy != NULL);
        char *e = malloc(small[k]);
        CHECK(e != NULL);
        struct er_conffile cf2;
        CHECK(er_conffile_parse(copy, "/etc/earlyrandom.conf", &cf2, e, small[k]) == bad);
        size_t n = strlen(e);
        CHECK(n == (full_len < small[k] - 1 ? full_len : small[k] - 1));
        CHECK(memcmp(e, err, n) == 0);
        free(e);
        free(copy);
    }

    struct er_settings s;
    static char lerr[1 << 16];
    int lbad = er_settings_load_layered(&s, NULL, NULL, &cf, lerr, sizeof lerr);
    CHECK(lbad >= 0 && lbad <= ER_SETTINGS_COUNT);
    CHECK(count_lines(lerr) == (size_t)lbad);
    if (lbad > 0)
        CHECK(s.policy == ER_POLICY_PASSTHROUGH);
    CHECK(s.init_after_ns == ER_DURATION_NEVER || s.init_after_ns == ER_INIT_JITTER ||
          (s.init_after_ns >= 0 && s.init_after_ns <= ER_DURATION_MAX_NS));
    CHECK(s.hang_timeout_ns == ER_DURATION_NEVER ||
          (s.hang_timeout_ns > 0 && s.hang_timeout_ns <= ER_DURATION_MAX_NS));
    CHECK(memchr(s.log_path, '\0', sizeof s.log_path) != NULL);
    CHECK(memchr(s.ready_file, '\0', sizeof s.ready_file) != NULL);

    free(orig);
    free(text);
    return 0;
}
