#include "plan.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "duration.h"

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return ER_EXIT_USAGE;
}

/* An inherited value, shortened and with control characters shown, for one readable line. */
static int bad_variable(char *err, size_t errlen, const char *name, const char *value,
                        const char *accepted)
{
    char shown[96];
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)value; *p && n < sizeof shown - 4; p++)
        shown[n++] = (*p >= 0x20 && *p != 0x7f) ? (char)*p : '?';
    shown[n] = '\0';
    return fail(err, errlen, "%s='%s' is not valid; accepted: %s", name, shown, accepted);
}

bool er_absolute_path(const char *path, const char *cwd, char *out, size_t cap)
{
    int n = path[0] == '/' ? snprintf(out, cap, "%s", path)
                           : snprintf(out, cap, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, path);
    return n > 0 && (size_t)n < cap;
}

/* The option's value if given, else the inherited one (environment, then file) after checking it
 * with valid(); a bad one is named where it came from. */
static int pick(const char *option, const char *name, const char *accepted,
                bool (*valid)(const char *), const struct er_inherited *in, const char **out,
                char *err, size_t errlen)
{
    *out = option;
    if (option != NULL)
        return 0;
    const char *value = in->lookup(name, in->ctx);
    if (value != NULL) {
        if (!valid(value))
            return bad_variable(err, errlen, name, value, accepted);
    } else if (in->file != NULL) {
        int line = 0;
        value = er_conffile_lookup(in->file, name, &line);
        if (value != NULL && !valid(value)) {
            /* The file's name of the setting: EARLYRANDOM_HANG_TIMEOUT is hang_timeout. */
            char where[ER_PATH_MAX + 64], setting[32];
            size_t k = 0;
            for (const char *c = name + sizeof "EARLYRANDOM_" - 1; *c && k < sizeof setting - 1; c++)
                setting[k++] = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
            setting[k] = '\0';
            snprintf(where, sizeof where, "%.*s:%d: %s", ER_PATH_MAX, in->file->path, line,
                     setting);
            return bad_variable(err, errlen, where, value, accepted);
        }
    }
    *out = value;
    return 0;
}


/* What the user's log setting means for the command: a file it follows, a private file it renders
 * (stderr) or keeps to itself (none), or kmsg/syslog, which it passes on and cannot read back. */
static int plan_log_target(const struct er_cli_options *o, const struct er_inherited *in,
                           const char *cwd, struct er_plan *plan, char *err, size_t errlen)
{
    const char *spec;
    int rc = pick(o->log, ER_ENV_LOG, ER_ACCEPT_LOG, er_valid_log, in, &spec, err, errlen);
    if (rc != 0)
        return rc;
    enum er_log_kind kind = ER_LOG_STDERR;
    char path[ER_PATH_MAX];
    if (spec != NULL)
        er_parse_log(spec, &kind, path, sizeof path);
    plan->log_to_file = kind == ER_LOG_FILE;
    if (plan->log_to_file && !er_absolute_path(path, cwd, plan->log_path, sizeof plan->log_path))
        return fail(err, errlen, "--log: the path is too long");
    if (kind == ER_LOG_KMSG || kind == ER_LOG_SYSLOG || kind == ER_LOG_JOURNAL)
        plan->log_direct = kind == ER_LOG_KMSG     ? "kmsg"
                           : kind == ER_LOG_SYSLOG ? "syslog"
                                                   : "journal";
    plan->render = o->quiet || kind == ER_LOG_NONE || plan->log_direct ? ER_RENDER_NONE
                   : kind == ER_LOG_FILE                               ? ER_RENDER_HANGS
                                                                       : ER_RENDER_ALL;
    return 0;
}

static int plan_log(const struct er_cli_options *o, const struct er_inherited *in, const char *cwd,
                    struct er_plan *plan, char *err, size_t errlen)
{
    int rc = plan_log_target(o, in, cwd, plan, err, errlen);
    if (rc != 0)
        return rc;
    const char *log_all = NULL;
    rc = pick(o->log_all ? "1" : NULL, ER_ENV_LOG_ALL, ER_ACCEPT_LOG_ALL, er_valid_log_all, in,
              &log_all, err, errlen);
    if (rc != 0)
        return rc;
    plan->show_post_init = log_all != NULL && strcmp(log_all, "1") == 0;
    /* The summary counts every request, so the library must log the ones after init too; the
     * readable lines still leave those out unless --log-all asked for them. */
    plan->log_all = plan->show_post_init || o->summary ? "1" : log_all;
    return 0;
}

static int plan_hang(const struct er_cli_options *o, const struct er_inherited *in,
                     struct er_plan *plan, char *err, size_t errlen)
{
    int rc = pick(o->hang_timeout, ER_ENV_HANG_TIMEOUT, ER_ACCEPT_HANG_TIMEOUT, er_valid_hang_timeout,
                  in, &plan->hang_timeout, err, errlen);
    if (rc != 0)
        return rc;
    plan->hang_off = plan->hang_timeout != NULL && strcmp(plan->hang_timeout, "off") == 0;
    if (o->fail_on_hang && plan->hang_off)
        return fail(err, errlen, "--fail-on-hang needs a hang timeout, but %s is off",
                    o->hang_timeout != NULL ? "--hang-timeout" : ER_ENV_HANG_TIMEOUT);
    return 0;
}

static int plan_ready_file(const struct er_cli_options *o, const struct er_inherited *in,
                           const char *cwd, struct er_plan *plan, char *err, size_t errlen)
{
    const char *ready = NULL;
    int rc = pick(o->ready_file, ER_ENV_READY_FILE, ER_ACCEPT_READY_FILE, er_valid_ready_file, in,
                  &ready, err, errlen);
    if (rc != 0)
        return rc;
    if (ready != NULL && !er_absolute_path(ready, cwd, plan->ready_file, sizeof plan->ready_file))
        return fail(err, errlen, "--ready-file: the path is too long");
    return 0;
}

int er_plan_make(const struct er_cli_options *o, const struct er_inherited *in, const char *cwd,
                 int64_t boottime_ns, struct er_plan *plan, char *err, size_t errlen)
{
    memset(plan, 0, sizeof *plan);
    int rc;
    if ((rc = pick(o->policy, ER_ENV_POLICY, ER_ACCEPT_POLICY, er_valid_policy, in, &plan->policy,
                   err, errlen)) != 0 ||
        (rc = pick(o->init_after, ER_ENV_INIT_AFTER, ER_ACCEPT_INIT_AFTER, er_valid_init_after, in,
                   &plan->init_after, err, errlen)) != 0 ||
        (rc = pick(o->weak, ER_ENV_WEAK, ER_ACCEPT_WEAK, er_valid_weak, in, &plan->weak, err,
                   errlen)) != 0 ||
        (rc = plan_log(o, in, cwd, plan, err, errlen)) != 0 ||
        (rc = plan_hang(o, in, plan, err, errlen)) != 0 ||
        (rc = plan_ready_file(o, in, cwd, plan, err, errlen)) != 0)
        return rc;

    /* The kernel profile's settings reach the library as they are: a bad inherited one is
     * refused here, before anything runs, as the others are. */
    static const struct {
        const char *name, *accepted;
        bool (*valid)(const char *);
    } passed_on[] = {
        { ER_ENV_KERNEL, ER_ACCEPT_KERNEL, er_valid_kernel },
        { ER_ENV_ENTROPY_RATE, ER_ACCEPT_ENTROPY_RATE, er_valid_entropy_rate },
        { ER_ENV_KERNEL_LOG, ER_ACCEPT_KERNEL_LOG, er_valid_log_all },
    };
    for (size_t i = 0; i < sizeof passed_on / sizeof passed_on[0]; i++) {
        const char *value = in->lookup(passed_on[i].name, in->ctx);
        bool given_as_option = strcmp(passed_on[i].name, ER_ENV_KERNEL) == 0 && o->kernel != NULL;
        if (value != NULL && !given_as_option && !passed_on[i].valid(value))
            return bad_variable(err, errlen, passed_on[i].name, value, passed_on[i].accepted);
    }

    /* The engine is the command's own choice: the environment only, never the library's file. */
    const char *engine = o->engine != NULL ? o->engine : in->lookup(ER_ENV_ENGINE, in->ctx);
    if (engine != NULL && !er_valid_engine(engine))
        return bad_variable(err, errlen, ER_ENV_ENGINE, engine, ER_ACCEPT_ENGINE);
    plan->engine = engine == NULL || strcmp(engine, "auto") == 0 ? ER_ENGINE_AUTO
                   : strcmp(engine, "preload") == 0              ? ER_ENGINE_PRELOAD
                                                                 : ER_ENGINE_SECCOMP;

    /* A nested earlyrandom keeps the outer boot, so the whole tree sees one init moment. The
     * command's boot also wins over an epoch of the configuration file, as any variable does. */
    const char *epoch = in->lookup(ER_ENV_EPOCH, in->ctx);
    if (epoch != NULL && !er_valid_epoch(epoch))
        return bad_variable(err, errlen, ER_ENV_EPOCH, epoch, ER_ACCEPT_EPOCH);
    if (epoch == NULL)
        snprintf(plan->epoch, sizeof plan->epoch, "%" PRId64, boottime_ns);
    return 0;
}

/* Length of the next entry of an LD_PRELOAD list at s, after skipping separators. */
static size_t next_entry(const char **s)
{
    while (**s == ' ' || **s == ':')
        (*s)++;
    return strcspn(*s, " :");
}

static bool is_earlyrandom(const char *entry, size_t len)
{
    static const char name[] = "libearlyrandom.so";
    size_t n = sizeof name - 1;
    return len >= n && memcmp(entry + len - n, name, n) == 0 &&
           (len == n || entry[len - n - 1] == '/');
}

bool er_preload_merge(const char *existing, const char *lib, char *out, size_t cap)
{
    bool present = false;
    size_t len;
    for (const char *s = existing ? existing : ""; (len = next_entry(&s)) > 0; s += len)
        present = present || is_earlyrandom(s, len);
    /* Existing entries keep their place and their priority; the library goes last. */
    const char *base = existing ? existing : "";
    size_t blen = strlen(base);
    while (blen > 0 && (base[blen - 1] == ' ' || base[blen - 1] == ':'))
        blen--;
    int n;
    if (present)
        n = snprintf(out, cap, "%s", base);
    else if (blen == 0)
        n = snprintf(out, cap, "%s", lib);
    else
        n = snprintf(out, cap, "%.*s:%s", (int)blen, base, lib);
    return n >= 0 && (size_t)n < cap;
}
