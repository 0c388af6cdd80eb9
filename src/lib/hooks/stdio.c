/* Reading /dev/random and /dev/urandom through stdio. glibc fills a stream's buffer with its
 * internal __read, which no preload sees, so the stream functions themselves are hooked. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "devices.h"
#include "real.h"
#include "shim.h"

/* bits/stdio.h turns these into macros when optimizing; the hooks need the real names. */
#undef fread_unlocked
#undef getc
#undef fgetc

/* Declared by glibc's headers only for fortified builds. */
size_t __fread_chk(void *ptr, size_t ptrlen, size_t size, size_t nmemb, FILE *stream);

enum stdio_api { S_FREAD, S_FREAD_UNLOCKED, S_FREAD_CHK, S_FGETC, S_GETC };

struct stdio_call {
    enum stdio_api api;
    void *ptr;
    size_t ptrlen; /* __fread_chk */
    size_t size, nmemb;
    FILE *stream;
};

static long long stdio_real(const struct stdio_call *c)
{
    switch (c->api) {
    case S_FREAD:
        return (long long)er_real_fread()(c->ptr, c->size, c->nmemb, c->stream);
    case S_FREAD_UNLOCKED:
        return (long long)er_real_fread_unlocked()(c->ptr, c->size, c->nmemb, c->stream);
    case S_FREAD_CHK:
        return (long long)er_real___fread_chk()(c->ptr, c->ptrlen, c->size, c->nmemb, c->stream);
    case S_FGETC:
        return er_real_fgetc()(c->stream);
    case S_GETC:
        return er_real_getc()(c->stream);
    }
    return 0;
}

static bool is_char_api(enum stdio_api api) { return api == S_FGETC || api == S_GETC; }

static long long stdio_call(void *ctx, bool weak, int *err)
{
    struct stdio_call *c = ctx;
    (void)weak; /* the devices answer at once on a running machine */
    long long r = stdio_real(c);
    bool failed = is_char_api(c->api) ? r == EOF : (size_t)r < c->nmemb;
    *err = failed && ferror(c->stream) ? errno : 0;
    return r;
}

static long long stdio_deterministic(void *ctx, long long result)
{
    struct stdio_call *c = ctx;
    if (is_char_api(c->api)) {
        if (result == EOF)
            return result;
        unsigned char byte;
        er_weak_take(&byte, 1);
        return byte;
    }
    er_weak_take(c->ptr, (size_t)result * c->size);
    return result;
}

/* A stream fails the way glibc's do: the error indicator set, a short count or EOF. */
static long long stdio_fail(void *ctx, int err)
{
    struct stdio_call *c = ctx;
    (void)err;
    c->stream->_flags |= _IO_ERR_SEEN;
    return is_char_api(c->api) ? EOF : 0;
}

static const struct er_ops stdio_ops = {
    .call = stdio_call,
    .make_deterministic = stdio_deterministic,
    .fail = stdio_fail,
};

/* The bytes a stream holds that have not been read yet. */
static size_t buffered(const FILE *stream)
{
    const char *next = stream->_IO_read_ptr, *end = stream->_IO_read_end;
    return next != NULL && end > next ? (size_t)(end - next) : 0;
}

ER_SLOW_PATH static long long handle_stdio(const char *api, struct stdio_call *c, const void *caller)
{
    struct er_request q;
    size_t bytes;
    if (__builtin_mul_overflow(c->size, c->nmemb, &bytes))
        bytes = SIZE_MAX;
    /* Nothing asked for, or all of it already in the stream's buffer: glibc does not read. */
    if (bytes == 0 || c->stream == NULL || buffered(c->stream) >= bytes)
        return stdio_real(c);
    int saved = errno;
    int fd = fileno(c->stream);
    errno = saved;
    if (fd < 0 || !er_device_read_request(&q, api, fd, bytes, caller))
        return stdio_real(c);
    return er_run(&q, &stdio_ops, c);
}

ER_EXPORT size_t fread(void *ptr, size_t size, size_t nmemb, FILE *stream)
{
    if (er_fast())
        return er_real_fread()(ptr, size, nmemb, stream);
    struct stdio_call c = { S_FREAD, ptr, 0, size, nmemb, stream };
    return (size_t)handle_stdio("fread", &c, __builtin_return_address(0));
}

ER_EXPORT size_t fread_unlocked(void *ptr, size_t size, size_t nmemb, FILE *stream)
{
    if (er_fast())
        return er_real_fread_unlocked()(ptr, size, nmemb, stream);
    struct stdio_call c = { S_FREAD_UNLOCKED, ptr, 0, size, nmemb, stream };
    return (size_t)handle_stdio("fread_unlocked", &c, __builtin_return_address(0));
}

ER_EXPORT size_t __fread_chk(void *ptr, size_t ptrlen, size_t size, size_t nmemb, FILE *stream)
{
    struct stdio_call c = { S_FREAD_CHK, ptr, ptrlen, size, nmemb, stream };
    size_t bytes;
    /* An overflowing request goes to glibc, whose check aborts before anything is read. */
    if (er_fast() || __builtin_mul_overflow(size, nmemb, &bytes) || bytes > ptrlen)
        return (size_t)stdio_real(&c);
    return (size_t)handle_stdio("__fread_chk", &c, __builtin_return_address(0));
}

ER_EXPORT int fgetc(FILE *stream)
{
    if (er_fast())
        return er_real_fgetc()(stream);
    struct stdio_call c = { S_FGETC, NULL, 0, 1, 1, stream };
    return (int)handle_stdio("fgetc", &c, __builtin_return_address(0));
}

ER_EXPORT int getc(FILE *stream)
{
    if (er_fast())
        return er_real_getc()(stream);
    struct stdio_call c = { S_GETC, NULL, 0, 1, 1, stream };
    return (int)handle_stdio("getc", &c, __builtin_return_address(0));
}
