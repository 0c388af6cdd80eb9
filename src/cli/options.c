#include "options.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "config.h"

const char er_cli_usage_run[] =
    "Usage: earlyrandom [OPTION]... [--] COMMAND [ARG]...\n"
    "       earlyrandom report [--json] [--kmsg[=FILE]] [--trace FILE [--root DIR]]\n"
    "                          [--svg FILE] [--html FILE] [LOG]...\n"
    "       earlyrandom ready [PATH]\n"
    "       earlyrandom audit enable|disable|status [--root DIR] [--log WHERE]\n"
    "                          [--kernel-trace]\n"
    "Run COMMAND as if early at boot, before the kernel's random pool is initialized,\n"
    "and show which programs ask for entropy and what they get.\n"
    "\n"
    "  -p, --policy=POLICY      block (default), fallback, eagain, passthrough\n"
    "  -i, --init-after=TIME    pool initialized TIME after start: 0, 250ms, 1.5s, 2m,\n"
    "                           never (default), or jitter (a second after the\n"
    "                           first request that waits, as kernels from 5.4 do)\n"
    "  -k, --kernel=VERSION     simulate that kernel's random driver: 3.10, 4.4,\n"
    "                           4.19, 5.4, 5.10, 6.1...; default: 6.1 without jitter\n"
    "  -r, --ready-file=PATH    pool initialized once PATH exists (see 'ready')\n"
    "  -w, --weak=MODE          weak bytes: real (default), deterministic[:SEED]\n"
    "  -l, --log=FILE           append JSON Lines to FILE; '-' (default) shows\n"
    "                           readable lines on stderr; also kmsg, syslog, none\n"
    "      --log-all            also log requests made after init\n"
    "  -e, --engine=ENGINE      auto (default): the preload, and a seccomp filter\n"
    "                           for system calls it cannot see (static and Go\n"
    "                           programs, the C library's own requests); preload;\n"
    "                           seccomp: the filter alone\n"
    "  -t, --hang-timeout=TIME  report a request waiting this long (default 10s; off)\n"
    "      --fail-on-hang       on a hang, report it, stop the process tree, exit 124\n"
    "      --summary            print a table per program when COMMAND ends\n"
    "  -q, --quiet              do not show log lines on stderr\n"
    "  -h, --help               show this help and exit\n"
    "  -V, --version            show the version and exit\n"
    "\n"
    "Subcommands:\n"
    "  report [--json] LOG...   the --summary table from saved logs ('-' is stdin),\n"
    "                           and which programs asked before the kernel's pool\n"
    "                           was initialized; --kmsg reads the kernel log;\n"
    "                           --trace FILE holds them against the kernel's trace;\n"
    "                           --svg/--html FILE draw them on a timeline\n"
    "  ready [PATH]             create the ready file (default $EARLYRANDOM_READY_FILE)\n"
    "  audit enable|disable|status\n"
    "                           log every program's requests from the next boot on\n"
    "                           (/etc/ld.so.preload and /etc/earlyrandom.conf);\n"
    "                           --kernel-trace: and the kernel's getrandom trace\n"
    "\n"
    "Exit status: COMMAND's status (128+N if killed by signal N), 124 after a hang\n"
    "with --fail-on-hang, 125 if earlyrandom itself fails, 126 if COMMAND cannot be\n"
    "run, 127 if it is not found.\n"
    "\n"
    "Example: earlyrandom --fail-on-hang -t 2s -- python3 -c 'import os; os.urandom(8)'\n"
    "See earlyrandom(1) and libearlyrandom(7).\n";

const char er_cli_usage_report[] =
    "Usage: earlyrandom report [--json] [--svg FILE] [--html FILE] LOG...\n"
    "       earlyrandom report [--json] [--svg|--html FILE] --kmsg[=FILE] [LOG]...\n"
    "       earlyrandom report [OPTION]... --trace FILE [--root DIR] [LOG]...\n"
    "       earlyrandom report [OPTION]... --journal FILE [LOG]...\n"
    "Print a table per program (requests by API, bytes, waits, weak bytes, EAGAIN)\n"
    "from logs written with --log, EARLYRANDOM_LOG or /etc/earlyrandom.conf, then the\n"
    "boot audit: which programs asked for entropy while the kernel's own pool was\n"
    "not initialized yet, how, and what they got; then what the log cannot show.\n"
    "A LOG is JSON Lines, or a kernel log or journal saved as text (dmesg,\n"
    "journalctl -k, journalctl -t earlyrandom): lines with 'earlyrandom: {' count,\n"
    "the others are skipped. '-' reads stdin.\n"
    "\n"
    "      --json        one JSON object instead of the tables\n"
    "      --kmsg        also read the kernel log (/dev/kmsg), for log = kmsg\n"
    "      --kmsg=FILE   read a saved kernel log (dmesg, journalctl -k) instead\n"
    "      --journal=FILE  the journal, for log = journal: what 'journalctl -b -o json\n"
    "                    --all' wrote ('-' is stdin); a record counts only if the\n"
    "                    journal vouches for its sender (its _PID is the record's\n"
    "                    pid, or it came from /dev/kmsg, which only root writes),\n"
    "                    and is named by the sender's _EXE; the others are\n"
    "                    reported as forged, journald's 'Suppressed N messages'\n"
    "                    and 'Missed N kernel messages' as lost\n"
    "      --trace=FILE  the kernel's trace of getrandom and exec (tracefs text, as\n"
    "                    'audit enable --kernel-trace' sets up; - is stdin): for\n"
    "                    each process it shows asking before 'crng init done' (from\n"
    "                    the kernel log), what the library saw, or the evidence why\n"
    "                    it could not; rows are named as the processes ran\n"
    "      --root=DIR    with --trace: the traced system's files, to examine the\n"
    "                    binaries the trace names (/ on the machine that booted)\n"
    "      --svg=FILE    also draw the records on a timeline, as an SVG picture:\n"
    "                    a row per process, a mark per request coloured by what\n"
    "                    it got, waits as bars, the simulated init and the\n"
    "                    kernel's 'crng init done'; details in each mark's tooltip\n"
    "      --html=FILE   the same picture with the tables and the blind spots, in\n"
    "                    one HTML page that needs nothing from the network\n"
    "                    ('-' as FILE writes to stdout instead of the tables)\n"
    "  -h, --help        show this help and exit\n"
    "\n"
    "Malformed or truncated lines are counted and skipped. Exit status: 0, or 125\n"
    "if a LOG or the trace cannot be read (or the trace has no getrandom or exec\n"
    "event), a picture cannot be written or an option is wrong.\n";

const char er_cli_usage_ready[] =
    "Usage: earlyrandom ready [PATH]\n"
    "Mark the simulated pool initialized by creating PATH (default\n"
    "$EARLYRANDOM_READY_FILE), as a seed loaded from disk would at boot.\n"
    "An existing PATH is left as it is. Exit status: 0, or 125 on error.\n";

const char er_cli_usage_audit[] =
    "Usage: earlyrandom audit enable|disable|status [--root DIR] [--log WHERE]\n"
    "                                               [--library PATH] [--kernel-trace]\n"
    "Audit a real boot: 'enable' writes /etc/earlyrandom.conf (policy = passthrough,\n"
    "so nothing changes for any program, and log = WHERE) and then adds the library\n"
    "to /etc/ld.so.preload, so that every dynamically linked program started from\n"
    "then on, setuid ones included, logs its entropy requests. Reboot, then run\n"
    "'EARLYRANDOM_LOG=none journalctl -b -o json --all > boot.json', then\n"
    "'earlyrandom report --journal boot.json' (with --log FILE: 'earlyrandom report\n"
    "FILE'). 'disable'\n"
    "removes the entry (keeping every other one) and the files 'enable' wrote.\n"
    "'status' says whether it is enabled and how many records the log holds.\n"
    "Every file is replaced atomically (written aside, synced, renamed).\n"
    "\n"
    "      --root=DIR      work on DIR/etc instead of /etc, for a chroot or an image\n"
    "      --log=WHERE     " ER_AUDIT_ACCEPT_LOG "\n"
    "                      (enable; default " ER_AUDIT_DEFAULT_LOG ")\n"
    "      --library=PATH  the library as seen inside DIR (enable; default\n"
    "                      " ER_AUDIT_DEFAULT_LIBRARY ");\n"
    "                      it must be owned by root and writable by nobody else\n"
    "      --kernel-trace  enable: also have the next boot record the kernel's trace\n"
    "                      of getrandom and exec, for 'report --trace': a drop-in in\n"
    "                      /etc/default/grub.d (GRUB; run update-grub), the words in\n"
    "                      /etc/kernel/cmdline (systemd-boot, kernel-install), or,\n"
    "                      where neither is there, the words to add by hand;\n"
    "                      disable always takes them away\n"
    "  -h, --help          show this help and exit\n"
    "\n"
    "Exit status: 0, or 125 if an option is wrong or a file cannot be read or\n"
    "written; a failed enable puts back what it changed (when only the kernel\n"
    "trace fails, the audit stays enabled and it says so). Run it as root.\n";

#define ER_ACCEPT_PICTURE "a file name, or - for stdout"
#define ER_ACCEPT_TRACE "a saved tracefs trace file, or - for stdin"
#define ER_ACCEPT_JOURNAL "the output of journalctl -o json saved in a file, or - for stdin"
#define ER_ACCEPT_KMSG "nothing (/dev/kmsg), or =FILE: a saved dmesg or journalctl -k"

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


enum {
    OPT_LOG_ALL = 256, OPT_FAIL_ON_HANG, OPT_SUMMARY, OPT_JSON, OPT_KMSG, OPT_SVG, OPT_HTML,
    OPT_ROOT, OPT_AUDIT_LOG, OPT_LIBRARY, OPT_TRACE, OPT_KERNEL_TRACE, OPT_JOURNAL,
};

/* What a value-taking option accepts, for "needs a value" and "is not valid" messages. */
struct value_option {
    int key;
    const char *name;
    const char *accepted;
    bool (*valid)(const char *);
};

static const struct value_option value_options[] = {
    { 'p', "--policy", ER_ACCEPT_POLICY, er_valid_policy },
    { 'i', "--init-after", ER_ACCEPT_INIT_AFTER, er_valid_init_after },
    { 'k', "--kernel", ER_ACCEPT_KERNEL, er_valid_kernel },
    { 'r', "--ready-file", ER_ACCEPT_READY_FILE, er_valid_ready_file },
    { 'w', "--weak", ER_ACCEPT_WEAK, er_valid_weak },
    { 'l', "--log", "- (stderr), " ER_ACCEPT_LOG, er_valid_log },
    { 't', "--hang-timeout", ER_ACCEPT_HANG_TIMEOUT, er_valid_hang_timeout },
    { 'e', "--engine", ER_ACCEPT_ENGINE, er_valid_engine },
};

bool er_valid_engine(const char *text)
{
    return strcmp(text, "auto") == 0 || strcmp(text, "preload") == 0 ||
           strcmp(text, "seccomp") == 0;
}

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
    case 'k': o->kernel = arg; break;
    case 'r': o->ready_file = arg; break;
    case 'w': o->weak = arg; break;
    case 'l': o->log = strcmp(arg, "-") == 0 ? "stderr" : arg; break;
    case 't': o->hang_timeout = arg; break;
    case 'e': o->engine = arg; break;
    }
    return 0;
}

static int parse_run(int argc, char **argv, struct er_cli_options *o, char *err, size_t errlen)
{
    static const struct option longopts[] = {
        { "policy", required_argument, NULL, 'p' },
        { "init-after", required_argument, NULL, 'i' },
        { "kernel", required_argument, NULL, 'k' },
        { "ready-file", required_argument, NULL, 'r' },
        { "weak", required_argument, NULL, 'w' },
        { "log", required_argument, NULL, 'l' },
        { "log-all", no_argument, NULL, OPT_LOG_ALL },
        { "hang-timeout", required_argument, NULL, 't' },
        { "engine", required_argument, NULL, 'e' },
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
    while ((c = getopt_long(argc, argv, "+:p:i:k:r:w:l:t:e:qhV", longopts, NULL)) != -1) {
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
        { "kmsg", optional_argument, NULL, OPT_KMSG },
        { "svg", required_argument, NULL, OPT_SVG },
        { "html", required_argument, NULL, OPT_HTML },
        { "trace", required_argument, NULL, OPT_TRACE },
        { "journal", required_argument, NULL, OPT_JOURNAL },
        { "root", required_argument, NULL, OPT_ROOT },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    getopt_reset();
    while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_JSON: o->json = true; break;
        case OPT_KMSG:
            if (optarg != NULL && optarg[0] == '\0')
                return bad_value(err, errlen, "--kmsg", optarg, ER_ACCEPT_KMSG);
            o->kmsg = true;
            o->kmsg_file = optarg;
            break;
        case OPT_TRACE:
            if (optarg[0] == '\0')
                return bad_value(err, errlen, "--trace", optarg, ER_ACCEPT_TRACE);
            o->trace = optarg;
            break;
        case OPT_JOURNAL:
            if (optarg[0] == '\0')
                return bad_value(err, errlen, "--journal", optarg, ER_ACCEPT_JOURNAL);
            o->journal = optarg;
            break;
        case OPT_ROOT:
            if (optarg[0] == '\0')
                return bad_value(err, errlen, "--root", optarg, "a directory");
            o->root = optarg;
            break;
        case OPT_SVG:
        case OPT_HTML:
            if (optarg[0] == '\0')
                return bad_value(err, errlen, c == OPT_SVG ? "--svg" : "--html", optarg,
                                 ER_ACCEPT_PICTURE);
            *(c == OPT_SVG ? &o->svg : &o->html) = optarg;
            break;
        case 'h': o->mode = ER_MODE_HELP; o->help_topic = "report"; return 0;
        case ':':
            if (optopt == OPT_SVG || optopt == OPT_HTML)
                return fail(err, errlen, "option %s needs a value (%s)",
                            optopt == OPT_SVG ? "--svg" : "--html", ER_ACCEPT_PICTURE);
            if (optopt == OPT_TRACE)
                return fail(err, errlen, "option --trace needs a value (%s)", ER_ACCEPT_TRACE);
            if (optopt == OPT_JOURNAL)
                return fail(err, errlen, "option --journal needs a value (%s)",
                            ER_ACCEPT_JOURNAL);
            if (optopt == OPT_ROOT)
                return fail(err, errlen, "option --root needs a value (a directory)");
            return getopt_error(argv, c, err, errlen);
        default: return getopt_error(argv, c, err, errlen);
        }
    }
    if (optind >= argc && !o->kmsg && o->trace == NULL && o->journal == NULL)
        return fail(err, errlen, "report: no log file given (use '-' for stdin)");
    if (o->root != NULL && o->trace == NULL)
        return fail(err, errlen, "report: --root applies only with --trace (it is where the "
                                 "traced system's binaries are)");
    if (o->trace != NULL && strcmp(o->trace, "-") == 0)
        for (int i = optind; i < argc; i++)
            if (strcmp(argv[i], "-") == 0)
                return fail(err, errlen, "report: --trace - and the log '-' both read stdin; "
                                         "give one a file name");
    if (o->journal != NULL && strcmp(o->journal, "-") == 0) {
        bool other_stdin = o->trace != NULL && strcmp(o->trace, "-") == 0;
        for (int i = optind; i < argc; i++)
            other_stdin = other_stdin || strcmp(argv[i], "-") == 0;
        if (other_stdin)
            return fail(err, errlen, "report: --journal - and another input both read stdin; "
                                     "give one a file name");
    }
    bool svg_out = o->svg != NULL && strcmp(o->svg, "-") == 0;
    bool html_out = o->html != NULL && strcmp(o->html, "-") == 0;
    if (svg_out && html_out)
        return fail(err, errlen, "report: --svg - and --html - both write to stdout; give one a "
                                 "file name");
    if ((svg_out || html_out) && o->json)
        return fail(err, errlen, "report: --%s - and --json both write to stdout; give a file "
                                 "name", svg_out ? "svg" : "html");
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
        if (!er_valid_ready_file(o->ready_path))
            return bad_value(err, errlen, "ready PATH", o->ready_path, ER_ACCEPT_READY_FILE);
    }
    return 0;
}

/* audit ACTION with its options before or after it: nothing here runs a command, so getopt may
 * permute. */
static int parse_audit(int argc, char **argv, struct er_cli_options *o, char *err, size_t errlen)
{
    static const struct option longopts[] = {
        { "root", required_argument, NULL, OPT_ROOT },
        { "log", required_argument, NULL, OPT_AUDIT_LOG },
        { "library", required_argument, NULL, OPT_LIBRARY },
        { "kernel-trace", no_argument, NULL, OPT_KERNEL_TRACE },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    getopt_reset();
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_ROOT:
            if (!er_valid_ready_file(optarg))
                return bad_value(err, errlen, "--root", optarg, "a directory");
            o->audit_root = optarg;
            break;
        case OPT_AUDIT_LOG:
            if (!er_audit_valid_log(optarg))
                return bad_value(err, errlen, "--log", optarg, ER_AUDIT_ACCEPT_LOG);
            o->audit_log = optarg;
            break;
        case OPT_LIBRARY:
            if (!er_audit_valid_library(optarg))
                return bad_value(err, errlen, "--library", optarg, ER_AUDIT_ACCEPT_LIBRARY);
            o->audit_library = optarg;
            break;
        case OPT_KERNEL_TRACE: o->audit_kernel_trace = true; break;
        case 'h': o->mode = ER_MODE_HELP; o->help_topic = "audit"; return 0;
        case ':':
            if (optopt == OPT_ROOT)
                return fail(err, errlen, "option --root needs a value (a directory)");
            if (optopt == OPT_AUDIT_LOG)
                return fail(err, errlen, "option --log needs a value (%s)", ER_AUDIT_ACCEPT_LOG);
            if (optopt == OPT_LIBRARY)
                return fail(err, errlen, "option --library needs a value (%s)",
                            ER_AUDIT_ACCEPT_LIBRARY);
            return getopt_error(argv, c, err, errlen);
        default: return getopt_error(argv, c, err, errlen);
        }
    }
    char q[160];
    if (optind >= argc)
        return fail(err, errlen, "audit: no action given; accepted: enable, disable, status");
    if (argc - optind > 1)
        return fail(err, errlen, "audit: one action only; %s is one too many",
                    quote(argv[optind + 1], q, sizeof q));
    const char *action = argv[optind];
    if (strcmp(action, "enable") != 0 && strcmp(action, "disable") != 0 &&
        strcmp(action, "status") != 0)
        return bad_value(err, errlen, "audit action", action, "enable, disable, status");
    o->audit_action = action;
    if (strcmp(action, "enable") != 0 &&
        (o->audit_log != NULL || o->audit_library != NULL || o->audit_kernel_trace))
        return fail(err, errlen, "audit %s: %s applies only to 'audit enable'%s", action,
                    o->audit_log != NULL       ? "--log"
                    : o->audit_library != NULL ? "--library"
                                               : "--kernel-trace",
                    o->audit_kernel_trace && strcmp(action, "disable") == 0
                        ? " (disable always takes the kernel trace away)"
                        : "");
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
    if (argc >= 2 && strcmp(argv[1], "audit") == 0) {
        o->mode = ER_MODE_AUDIT;
        return parse_audit(argc - 1, argv + 1, o, err, errlen);
    }
    o->mode = ER_MODE_RUN;
    return parse_run(argc, argv, o, err, errlen);
}
