#include "options.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

const char er_cli_usage_run[] =
    "Usage: earlyrandom [OPTION]... [--] COMMAND [ARG]...\n"
    "       earlyrandom report [--json] LOG...\n"
    "       earlyrandom ready [PATH]\n"
    "Run COMMAND as if early at boot, before the kernel's random pool is initialized,\n"
    "and show which programs ask for entropy and what they get.\n"
    "\n"
    "  -p, --policy=POLICY      block (default), fallback, eagain, passthrough\n"
    "  -i, --init-after=TIME    pool initialized TIME after start: 0, 250ms, 1.5s, 2m,\n"
    "                           or never (default)\n"
    "  -r, --ready-file=PATH    pool initialized once PATH exists (see 'ready')\n"
    "  -w, --weak=MODE          weak bytes: real (default), deterministic[:SEED]\n"
    "  -l, --log=FILE           append JSON Lines to FILE; '-' (default) shows\n"
    "                           readable lines on stderr; also kmsg, syslog, none\n"
    "      --log-all            also log requests made after init\n"
    "  -t, --hang-timeout=TIME  report a request waiting this long (default 10s; off)\n"
    "      --fail-on-hang       on a hang, report it, stop the process tree, exit 124\n"
    "      --summary            print a table per program when COMMAND ends\n"
    "  -q, --quiet              do not show log lines on stderr\n"
    "  -h, --help               show this help and exit\n"
    "  -V, --version            show the version and exit\n"
    "\n"
    "Subcommands:\n"
    "  report [--json] LOG...   the --summary table from saved logs ('-' is stdin)\n"
    "  ready [PATH]             create the ready file (default $EARLYRANDOM_READY_FILE)\n"
    "\n"
    "Exit status: COMMAND's status (128+N if killed by signal N), 124 after a hang\n"
    "with --fail-on-hang, 125 if earlyrandom itself fails, 126 if COMMAND cannot be\n"
    "run, 127 if it is not found.\n"
    "\n"
    "Example: earlyrandom --fail-on-hang -t 2s -- python3 -c 'import os; os.urandom(8)'\n"
    "See earlyrandom(1) and libearlyrandom(7).\n";

const char er_cli_usage_report[] =
    "Usage: earlyrandom report [--json] LOG...\n"
    "Print a table per program (requests by API, bytes, waits, weak bytes, EAGAIN)\n"
    "from JSON Lines logs written with --log or EARLYRANDOM_LOG. '-' reads stdin.\n"
    "\n"
    "      --json     one JSON object instead of the table\n"
    "  -h, --help     show this help and exit\n"
    "\n"
    "Malformed or truncated lines are counted and skipped. Exit status: 0, or 125\n"
    "if a LOG cannot be read or an option is wrong.\n";

const char er_cli_usage_ready[] =
    "Usage: earlyrandom ready [PATH]\n"
    "Mark the simulated pool initialized by creating PATH (default\n"
    "$EARLYRANDOM_READY_FILE), as a seed loaded from disk would at boot.\n"
    "An existing PATH is left as it is. Exit status: 0, or 125 on error.\n";

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return ER_EXIT_USAGE;
}

/* Quotes a user's value for a message, escaping what would break the line or the terminal. */
static const char *quote(const char *v, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    out[n++] = '\'';
    for (const unsigned char *p = (const unsigned char *)v; *p && n + 8 < cap; p++) {
        if (*p >= 0x20 && *p != 0x7f && *p != '\\' && *p != '\'') {
            out[n++] = (char)*p;
        } else {
            out[n++] = '\\';
            out[n++] = 'x';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        }
    }
    out[n++] = '\'';
    out[n] = '\0';
    return out;
}

static int bad_value(char *err, size_t errlen, const char *option, const char *value,
                     const char *accepted)
{
    char q[160];
    return fail(err, errlen, "%s %s is not valid; accepted: %s", option, quote(value, q, sizeof q),
                accepted);
}

static bool valid_path(const char *v) { return v[0] != '\0' && strlen(v) < ER_PATH_MAX; }

static bool valid_log(const char *v)
{
    enum er_log_kind kind;
    char path[ER_PATH_MAX];
    return er_parse_log(v, &kind, path, sizeof path);
}

static bool valid_policy(const char *v)
{
    enum er_policy p;
    return er_parse_policy(v, &p);
}

static bool valid_init_after(const char *v)
{
    int64_t ns;
    return er_parse_init_after(v, &ns);
}

static bool valid_weak(const char *v)
{
    enum er_weak_kind kind;
    uint64_t seed;
    return er_parse_weak(v, &kind, &seed);
}

static bool valid_hang_timeout(const char *v)
{
    int64_t ns;
    return er_parse_hang_timeout(v, &ns);
}

enum { OPT_LOG_ALL = 256, OPT_FAIL_ON_HANG, OPT_SUMMARY, OPT_JSON };

/* What a value-taking option accepts, for "needs a value" and "is not valid" messages. */
struct value_option {
    int key;
    const char *name;
    const char *accepted;
    bool (*valid)(const char *);
};

static const struct value_option value_options[] = {
    { 'p', "--policy", ER_ACCEPT_POLICY, valid_policy },
    { 'i', "--init-after", ER_ACCEPT_INIT_AFTER, valid_init_after },
    { 'r', "--ready-file", ER_ACCEPT_READY_FILE, valid_path },
    { 'w', "--weak", ER_ACCEPT_WEAK, valid_weak },
    { 'l', "--log", "- (stderr), " ER_ACCEPT_LOG, valid_log },
    { 't', "--hang-timeout", ER_ACCEPT_HANG_TIMEOUT, valid_hang_timeout },
};

static const struct value_option *find_value_option(int key)
{
    for (size_t i = 0; i < sizeof value_options / sizeof value_options[0]; i++)
        if (value_options[i].key == key)
            return &value_options[i];
    return NULL;
}

/* getopt reports an unknown or incomplete option through optopt and optind; this turns that into
 * one sentence naming the option as the user typed it. */
static int getopt_error(char **argv, int c, char *err, size_t errlen)
{
    const char *word = argv[optind - 1];
    char q[160];
    if (c == ':') {
        const struct value_option *vo = find_value_option(optopt);
        if (vo != NULL)
            return fail(err, errlen, "option %s needs a value (%s)", vo->name, vo->accepted);
        return fail(err, errlen, "option %s needs a value", quote(word, q, sizeof q));
    }
    if (optopt != 0 && strncmp(word, "--", 2) != 0)
        return fail(err, errlen, "unknown option '-%c'", optopt);
    return fail(err, errlen, "unknown option %s", quote(word, q, sizeof q));
}

/* Resets getopt so that each call parses from scratch (the tests call this many times). */
static void getopt_reset(void)
{
    optind = 0;
    opterr = 0;
}

static int store_run_value(struct er_cli_options *o, int c, const char *arg, char *err, size_t errlen)
{
    const struct value_option *vo = find_value_option(c);
    if (!vo->valid(arg))
        return bad_value(err, errlen, vo->name, arg, vo->accepted);
    switch (c) {
    case 'p': o->policy = arg; break;
    case 'i': o->init_after = arg; break;
    case 'r': o->ready_file = arg; break;
    case 'w': o->weak = arg; break;
    case 'l': o->log = strcmp(arg, "-") == 0 ? "stderr" : arg; break;
    case 't': o->hang_timeout = arg; break;
    }
    return 0;
}

static int parse_run(int argc, char **argv, struct er_cli_options *o, char *err, size_t errlen)
{
    static const struct option longopts[] = {
        { "policy", required_argument, NULL, 'p' },
        { "init-after", required_argument, NULL, 'i' },
        { "ready-file", required_argument, NULL, 'r' },
        { "weak", required_argument, NULL, 'w' },
        { "log", required_argument, NULL, 'l' },
        { "log-all", no_argument, NULL, OPT_LOG_ALL },
        { "hang-timeout", required_argument, NULL, 't' },
        { "fail-on-hang", no_argument, NULL, OPT_FAIL_ON_HANG },
        { "summary", no_argument, NULL, OPT_SUMMARY },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int c, rc;
    getopt_reset();
    /* '+': the first word that is not an option starts the command, whose own options follow. */
    while ((c = getopt_long(argc, argv, "+:p:i:r:w:l:t:qhV", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_LOG_ALL: o->log_all = true; break;
        case OPT_FAIL_ON_HANG: o->fail_on_hang = true; break;
        case OPT_SUMMARY: o->summary = true; break;
        case 'q': o->quiet = true; break;
        case 'h': o->mode = ER_MODE_HELP; o->help_topic = "run"; return 0;
        case 'V': o->mode = ER_MODE_VERSION; return 0;
        case '?':
        case ':':
            return getopt_error(argv, c, err, errlen);
        default:
            if ((rc = store_run_value(o, c, optarg, err, errlen)) != 0)
                return rc;
        }
    }
    if (optind >= argc)
        return fail(err, errlen, "no command given");
    if (o->fail_on_hang && o->hang_timeout != NULL && strcmp(o->hang_timeout, "off") == 0)
        return fail(err, errlen, "--fail-on-hang needs a hang timeout, but --hang-timeout is off");
    o->command = argv + optind;
    return 0;
}

/* Parses the options of a subcommand: argv[0] is the subcommand's name. */
static int parse_report(int argc, char **argv, struct er_cli_options *o, char *err, size_t errlen)
{
    static const struct option longopts[] = {
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    getopt_reset();
    while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_JSON: o->json = true; break;
        case 'h': o->mode = ER_MODE_HELP; o->help_topic = "report"; return 0;
        default: return getopt_error(argv, c, err, errlen);
        }
    }
    if (optind >= argc)
        return fail(err, errlen, "report: no log file given (use '-' for stdin)");
    o->logs = argv + optind;
    return 0;
}

static int parse_ready(int argc, char **argv, struct er_cli_options *o, char *err, size_t errlen)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    getopt_reset();
    while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
        if (c == 'h') {
            o->mode = ER_MODE_HELP;
            o->help_topic = "ready";
            return 0;
        }
        return getopt_error(argv, c, err, errlen);
    }
    if (argc - optind > 1)
        return fail(err, errlen, "ready: too many arguments (one PATH at most)");
    if (optind < argc) {
        o->ready_path = argv[optind];
        if (!valid_path(o->ready_path))
            return bad_value(err, errlen, "ready PATH", o->ready_path, ER_ACCEPT_READY_FILE);
    }
    return 0;
}

int er_cli_parse(int argc, char **argv, struct er_cli_options *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (errlen > 0)
        err[0] = '\0';
    /* Only the very first word selects a subcommand: "earlyrandom -- report" runs a program. */
    if (argc >= 2 && strcmp(argv[1], "report") == 0) {
        o->mode = ER_MODE_REPORT;
        return parse_report(argc - 1, argv + 1, o, err, errlen);
    }
    if (argc >= 2 && strcmp(argv[1], "ready") == 0) {
        o->mode = ER_MODE_READY;
        return parse_ready(argc - 1, argv + 1, o, err, errlen);
    }
    o->mode = ER_MODE_RUN;
    return parse_run(argc, argv, o, err, errlen);
}
