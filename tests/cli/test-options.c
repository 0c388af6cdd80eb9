/* The command line and the environment plan: what is accepted, what wins, what each error says. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdarg.h>
#include <string.h>

#include "options.h"
#include "plan.h"

/* Parses a NULL-terminated list of words (argv[0] included). */
static int parse(struct er_cli_options *o, char *err, ...)
{
    static char *argv[64];
    va_list ap;
    int argc = 0;
    va_start(ap, err);
    for (char *w; (w = va_arg(ap, char *)) != NULL && argc < 63;)
        argv[argc++] = w;
    va_end(ap);
    argv[argc] = NULL;
    return er_cli_parse(argc, argv, o, err, 512);
}

Test(options, defaults_and_command)
{
    struct er_cli_options o;
    char err[512];
    cr_assert_eq(parse(&o, err, "earlyrandom", "python3", "-c", "pass", NULL), 0, "%s", err);
    cr_assert_eq(o.mode, ER_MODE_RUN);
    cr_assert_null(o.policy);
    cr_assert_null(o.log);
    cr_assert(!o.fail_on_hang && !o.summary && !o.quiet && !o.log_all);
    cr_assert_str_eq(o.command[0], "python3");
    cr_assert_str_eq(o.command[1], "-c", "options after the command belong to it");
    cr_assert_str_eq(o.command[2], "pass");
    cr_assert_null(o.command[3]);
}

Test(options, every_option)
{
    struct er_cli_options o;
    char err[512];
    cr_assert_eq(parse(&o, err, "earlyrandom", "-p", "fallback", "--init-after=0", "-r", "/tmp/r",
                       "-w", "deterministic:42", "-l", "-", "--log-all", "-t", "500ms",
                       "--fail-on-hang", "--summary", "-q", "--", "prog", "--policy", NULL),
                 0, "%s", err);
    cr_assert_str_eq(o.policy, "fallback");
    cr_assert_str_eq(o.init_after, "0", "-i 0 means initialized at once");
    cr_assert_str_eq(o.ready_file, "/tmp/r");
    cr_assert_str_eq(o.weak, "deterministic:42");
    cr_assert_str_eq(o.log, "stderr", "'-' is stderr");
    cr_assert_str_eq(o.hang_timeout, "500ms");
    cr_assert(o.log_all && o.fail_on_hang && o.summary && o.quiet);
    cr_assert_str_eq(o.command[0], "prog");
    cr_assert_str_eq(o.command[1], "--policy");
}

Test(options, long_forms_and_files)
{
    struct er_cli_options o;
    char err[512];
    cr_assert_eq(parse(&o, err, "earlyrandom", "--policy", "eagain", "--log", "out.jsonl",
                       "--weak", "real", "--hang-timeout", "off", "--ready-file=x", "true", NULL),
                 0, "%s", err);
    cr_assert_str_eq(o.policy, "eagain");
    cr_assert_str_eq(o.log, "out.jsonl");
    cr_assert_str_eq(o.hang_timeout, "off");
    cr_assert_str_eq(o.command[0], "true");
}

static void expect_error(const char *expected, char **argv, int argc)
{
    struct er_cli_options o;
    char err[512];
    cr_assert_eq(er_cli_parse(argc, argv, &o, err, sizeof err), ER_EXIT_USAGE);
    cr_assert_str_eq(err, expected);
}

#define EXPECT_ERROR(expected, ...)                                                     \
    do {                                                                                \
        char *argv_[] = { "earlyrandom", __VA_ARGS__, NULL };                           \
        expect_error(expected, argv_, (int)(sizeof argv_ / sizeof argv_[0]) - 1);       \
    } while (0)

Test(options, bad_values_name_option_and_accepted_words)
{
    EXPECT_ERROR("--policy 'blok' is not valid; accepted: block, fallback, eagain, passthrough",
                 "-p", "blok", "true");
    EXPECT_ERROR("--init-after 'soon' is not valid; accepted: " ER_ACCEPT_INIT_AFTER,
                 "--init-after", "soon", "true");
    EXPECT_ERROR("--weak 'deterministic:x' is not valid; accepted: " ER_ACCEPT_WEAK, "-w",
                 "deterministic:x", "true");
    EXPECT_ERROR("--hang-timeout '0' is not valid; accepted: " ER_ACCEPT_HANG_TIMEOUT, "-t", "0",
                 "true");
    EXPECT_ERROR("--ready-file '' is not valid; accepted: " ER_ACCEPT_READY_FILE, "-r", "", "true");
    EXPECT_ERROR("--log '' is not valid; accepted: - (stderr), " ER_ACCEPT_LOG, "-l", "", "true");
    EXPECT_ERROR("--policy 'a\\x1bb' is not valid; accepted: " ER_ACCEPT_POLICY, "-p", "a\x1b" "b",
                 "true");
}

Test(options, usage_errors)
{
    EXPECT_ERROR("unknown option '--frobnicate'", "--frobnicate", "true");
    EXPECT_ERROR("unknown option '-x'", "-x", "true");
    EXPECT_ERROR("option --policy needs a value (" ER_ACCEPT_POLICY ")", "--policy");
    EXPECT_ERROR("option --hang-timeout needs a value (" ER_ACCEPT_HANG_TIMEOUT ")", "-t");
    EXPECT_ERROR("no command given", "-p", "block");
    EXPECT_ERROR("no command given", "--");
    EXPECT_ERROR("--fail-on-hang needs a hang timeout, but --hang-timeout is off",
                 "--fail-on-hang", "-t", "off", "true");
}

Test(options, help_and_version)
{
    struct er_cli_options o;
    char err[512];
    cr_assert_eq(parse(&o, err, "earlyrandom", "--help", NULL), 0);
    cr_assert_eq(o.mode, ER_MODE_HELP);
    cr_assert_str_eq(o.help_topic, "run");
    cr_assert_eq(parse(&o, err, "earlyrandom", "-V", NULL), 0);
    cr_assert_eq(o.mode, ER_MODE_VERSION);
    cr_assert_eq(parse(&o, err, "earlyrandom", "report", "--help", NULL), 0);
    cr_assert_str_eq(o.help_topic, "report");
    cr_assert(strstr(er_cli_usage_run, "Exit status") != NULL);
    cr_assert(strstr(er_cli_usage_run, "default") != NULL);
}

Test(options, report_pictures)
{
    struct er_cli_options o;
    char err[512];
    cr_assert_eq(parse(&o, err, "earlyrandom", "report", "--svg", "t.svg", "--html=t.html", "a",
                       NULL), 0);
    cr_assert_str_eq(o.svg, "t.svg");
    cr_assert_str_eq(o.html, "t.html");
    cr_assert_str_eq(o.logs[0], "a");
    cr_assert_eq(parse(&o, err, "earlyrandom", "report", "--svg", "-", "--json", "a", NULL),
                 ER_EXIT_USAGE);
    cr_assert_str_eq(err, "report: --svg - and --json both write to stdout; give a file name");
    cr_assert_eq(parse(&o, err, "earlyrandom", "report", "--svg=-", "--html=-", "a", NULL),
                 ER_EXIT_USAGE);
    cr_assert_str_eq(err, "report: --svg - and --html - both write to stdout; give one a file name");
    cr_assert_eq(parse(&o, err, "earlyrandom", "report", "--html=", "a", NULL), ER_EXIT_USAGE);
    cr_assert_str_eq(err, "--html '' is not valid; accepted: a file name, or - for stdout");
    cr_assert_eq(parse(&o, err, "earlyrandom", "report", "--svg", NULL), ER_EXIT_USAGE);
    cr_assert_str_eq(err, "option --svg needs a value (a file name, or - for stdout)");
    cr_assert(strstr(er_cli_usage_report, "--svg=FILE") != NULL);
    cr_assert(strstr(er_cli_usage_report, "--html=FILE") != NULL);
}

Test(options, subcommands)
{
    struct er_cli_options o;
    char err[512];
    cr_assert_eq(parse(&o, err, "earlyrandom", "report", "--json", "a.jsonl", "b.jsonl", NULL), 0);
    cr_assert_eq(o.mode, ER_MODE_REPORT);
    cr_assert(o.json);
    cr_assert_str_eq(o.logs[0], "a.jsonl");
    cr_assert_str_eq(o.logs[1], "b.jsonl");
    cr_assert_null(o.logs[2]);
    cr_assert_eq(parse(&o, err, "earlyrandom", "report", NULL), ER_EXIT_USAGE);
    cr_assert_str_eq(err, "report: no log file given (use '-' for stdin)");

    cr_assert_eq(parse(&o, err, "earlyrandom", "ready", NULL), 0);
    cr_assert_eq(o.mode, ER_MODE_READY);
    cr_assert_null(o.ready_path);
    cr_assert_eq(parse(&o, err, "earlyrandom", "ready", "/run/seed", NULL), 0);
    cr_assert_str_eq(o.ready_path, "/run/seed");
    cr_assert_eq(parse(&o, err, "earlyrandom", "ready", "a", "b", NULL), ER_EXIT_USAGE);

    /* Only the first word selects a subcommand. */
    cr_assert_eq(parse(&o, err, "earlyrandom", "--", "report", NULL), 0);
    cr_assert_eq(o.mode, ER_MODE_RUN);
    cr_assert_str_eq(o.command[0], "report");
    cr_assert_eq(parse(&o, err, "earlyrandom", "-q", "ready", NULL), 0);
    cr_assert_eq(o.mode, ER_MODE_RUN);
}

/* ---- the plan: options over inherited variables over defaults ---- */

struct env {
    const char *pairs[16][2];
};

static const char *lookup(const char *name, void *ctx)
{
    struct env *e = ctx;
    for (int i = 0; i < 16 && e->pairs[i][0]; i++)
        if (strcmp(e->pairs[i][0], name) == 0)
            return e->pairs[i][1];
    return NULL;
}

static struct er_conffile *conffile; /* under the environment, when a test sets it */

static int plan_for(struct er_plan *plan, struct env *env, char *err, ...)
{
    static char *argv[64];
    struct er_cli_options o;
    va_list ap;
    int argc = 0;
    va_start(ap, err);
    for (char *w; (w = va_arg(ap, char *)) != NULL && argc < 63;)
        argv[argc++] = w;
    va_end(ap);
    argv[argc] = NULL;
    cr_assert_eq(er_cli_parse(argc, argv, &o, err, 512), 0, "%s", err);
    struct er_inherited in = { lookup, env, conffile };
    return er_plan_make(&o, &in, "/work/dir", 123456789, plan, err, 512);
}

Test(plan, defaults)
{
    struct env env = { { { NULL } } };
    struct er_plan p;
    char err[512];
    cr_assert_eq(plan_for(&p, &env, err, "earlyrandom", "true", NULL), 0, "%s", err);
    cr_assert_null(p.policy, "the library's default applies");
    cr_assert_str_eq(p.epoch, "123456789", "one boot for the whole tree");
    cr_assert(!p.log_to_file);
    cr_assert_eq(p.render, ER_RENDER_ALL);
    cr_assert_str_eq(p.ready_file, "");
    cr_assert_null(p.log_all);
}

Test(plan, option_wins_over_inherited)
{
    struct env env = { { { "EARLYRANDOM_POLICY", "eagain" }, { "EARLYRANDOM_INIT_AFTER", "5s" } } };
    struct er_plan p;
    char err[512];
    cr_assert_eq(plan_for(&p, &env, err, "earlyrandom", "-p", "fallback", "true", NULL), 0);
    cr_assert_str_eq(p.policy, "fallback");
    cr_assert_str_eq(p.init_after, "5s", "an inherited value is kept");
}

Test(plan, bad_inherited_value_names_the_variable)
{
    struct env env = { { { "EARLYRANDOM_POLICY", "blok" } } };
    struct er_plan p;
    char err[512];
    cr_assert_eq(plan_for(&p, &env, err, "earlyrandom", "true", NULL), ER_EXIT_USAGE);
    cr_assert_str_eq(err, "EARLYRANDOM_POLICY='blok' is not valid; accepted: " ER_ACCEPT_POLICY);
    /* ...unless the option replaces it. */
    cr_assert_eq(plan_for(&p, &env, err, "earlyrandom", "-p", "block", "true", NULL), 0);

    struct env env2 = { { { "EARLYRANDOM_EPOCH", "yesterday" } } };
    cr_assert_eq(plan_for(&p, &env2, err, "earlyrandom", "true", NULL), ER_EXIT_USAGE);
    cr_assert_str_eq(err, "EARLYRANDOM_EPOCH='yesterday' is not valid; accepted: " ER_ACCEPT_EPOCH);
}

/* The kernel profile's variables are checked before a run too; --kernel replaces an inherited
 * one. */
Test(plan, bad_inherited_kernel_settings_name_the_variable)
{
    struct er_plan p;
    char err[512];
    struct env kernel = { { { "EARLYRANDOM_KERNEL", "linux" } } };
    cr_assert_eq(plan_for(&p, &kernel, err, "earlyrandom", "true", NULL), ER_EXIT_USAGE);
    cr_assert_str_eq(err, "EARLYRANDOM_KERNEL='linux' is not valid; accepted: " ER_ACCEPT_KERNEL);
    cr_assert_eq(plan_for(&p, &kernel, err, "earlyrandom", "--kernel=4.4", "true", NULL), 0, "%s",
                 err);
    struct env rate = { { { "EARLYRANDOM_ENTROPY_RATE", "-1" } } };
    cr_assert_eq(plan_for(&p, &rate, err, "earlyrandom", "true", NULL), ER_EXIT_USAGE);
    cr_assert_str_eq(err, "EARLYRANDOM_ENTROPY_RATE='-1' is not valid; accepted: "
                          ER_ACCEPT_ENTROPY_RATE);
    struct env log = { { { "EARLYRANDOM_KERNEL_LOG", "yes" } } };
    cr_assert_eq(plan_for(&p, &log, err, "earlyrandom", "true", NULL), ER_EXIT_USAGE);
    cr_assert_str_eq(err,
                     "EARLYRANDOM_KERNEL_LOG='yes' is not valid; accepted: " ER_ACCEPT_KERNEL_LOG);
    struct env good = { { { "EARLYRANDOM_KERNEL", "5.4" }, { "EARLYRANDOM_ENTROPY_RATE", "8" },
                          { "EARLYRANDOM_KERNEL_LOG", "1" } } };
    cr_assert_eq(plan_for(&p, &good, err, "earlyrandom", "true", NULL), 0, "%s", err);
}

Test(plan, nested_run_keeps_the_outer_boot)
{
    struct env env = { { { "EARLYRANDOM_EPOCH", "999" } } };
    struct er_plan p;
    char err[512];
    cr_assert_eq(plan_for(&p, &env, err, "earlyrandom", "true", NULL), 0);
    cr_assert_str_eq(p.epoch, "", "the inherited epoch is left alone");
}

Test(plan, log_targets)
{
    struct env none = { { { NULL } } };
    struct env inherited = { { { "EARLYRANDOM_LOG", "rel.jsonl" } } };
    struct er_plan p;
    char err[512];
    cr_assert_eq(plan_for(&p, &none, err, "earlyrandom", "-l", "out.jsonl", "true", NULL), 0);
    cr_assert(p.log_to_file);
    cr_assert_str_eq(p.log_path, "/work/dir/out.jsonl", "relative paths are made absolute");
    cr_assert_eq(p.render, ER_RENDER_HANGS);
    cr_assert_eq(plan_for(&p, &inherited, err, "earlyrandom", "true", NULL), 0);
    cr_assert_str_eq(p.log_path, "/work/dir/rel.jsonl");
    cr_assert_eq(plan_for(&p, &inherited, err, "earlyrandom", "-l", "-", "true", NULL), 0);
    cr_assert(!p.log_to_file);
    cr_assert_eq(plan_for(&p, &none, err, "earlyrandom", "-l", "none", "true", NULL), 0);
    cr_assert_eq(p.render, ER_RENDER_NONE);
    cr_assert_eq(plan_for(&p, &none, err, "earlyrandom", "-q", "true", NULL), 0);
    cr_assert_eq(p.render, ER_RENDER_NONE);
}

Test(plan, kmsg_and_syslog_are_passed_on)
{
    struct env none = { { { NULL } } };
    struct er_plan p;
    char err[512];
    cr_assert_eq(plan_for(&p, &none, err, "earlyrandom", "-l", "kmsg", "true", NULL), 0);
    cr_assert_str_eq(p.log_direct, "kmsg");
    cr_assert(!p.log_to_file);
    cr_assert_eq(p.render, ER_RENDER_NONE);
    struct env sys = { { { "EARLYRANDOM_LOG", "syslog" } } };
    cr_assert_eq(plan_for(&p, &sys, err, "earlyrandom", "true", NULL), 0);
    cr_assert_str_eq(p.log_direct, "syslog");
}

Test(plan, configuration_file_under_the_environment)
{
    static char text[] = "# machine settings\npolicy = fallback\nhang_timeout = off\n"
                         "weak = sometimes\n";
    static struct er_conffile cf;
    char err[512];
    cr_assert_eq(er_conffile_parse(text, "/etc/er.conf", &cf, err, sizeof err), 0, "%s", err);
    conffile = &cf;
    struct env none = { { { NULL } } };
    struct env env = { { { "EARLYRANDOM_POLICY", "eagain" }, { "EARLYRANDOM_WEAK", "real" } } };
    struct er_plan p;
    cr_assert_eq(plan_for(&p, &none, err, "earlyrandom", "-w", "real", "true", NULL), 0, "%s", err);
    cr_assert_str_eq(p.policy, "fallback", "from the file");
    cr_assert(p.hang_off);
    cr_assert_eq(plan_for(&p, &env, err, "earlyrandom", "true", NULL), 0, "%s", err);
    cr_assert_str_eq(p.policy, "eagain", "the environment wins over the file");
    cr_assert_eq(plan_for(&p, &none, err, "earlyrandom", "true", NULL), ER_EXIT_USAGE);
    cr_assert_str_eq(err, "/etc/er.conf:4: weak='sometimes' is not valid; accepted: " ER_ACCEPT_WEAK);
    conffile = NULL;
}

Test(plan, summary_logs_everything_but_shows_only_early_requests)
{
    struct env none = { { { NULL } } };
    struct er_plan p;
    char err[512];
    cr_assert_eq(plan_for(&p, &none, err, "earlyrandom", "--summary", "true", NULL), 0);
    cr_assert_str_eq(p.log_all, "1");
    cr_assert(!p.show_post_init);
    cr_assert_eq(plan_for(&p, &none, err, "earlyrandom", "--log-all", "true", NULL), 0);
    cr_assert(p.show_post_init);
}

Test(plan, ready_file_and_hang_timeout)
{
    struct env off = { { { "EARLYRANDOM_HANG_TIMEOUT", "off" } } };
    struct er_plan p;
    char err[512];
    cr_assert_eq(plan_for(&p, &off, err, "earlyrandom", "-r", "seed", "true", NULL), 0);
    cr_assert_str_eq(p.ready_file, "/work/dir/seed");
    cr_assert(p.hang_off);
    cr_assert_eq(plan_for(&p, &off, err, "earlyrandom", "--fail-on-hang", "true", NULL),
                 ER_EXIT_USAGE);
    cr_assert_str_eq(err, "--fail-on-hang needs a hang timeout, but EARLYRANDOM_HANG_TIMEOUT is off");
    cr_assert_eq(plan_for(&p, &off, err, "earlyrandom", "--fail-on-hang", "-t", "1s", "true", NULL),
                 0);
}

Test(plan, preload_merge)
{
    char out[256];
    const char *lib = "/b/libearlyrandom.so";
    cr_assert(er_preload_merge(NULL, lib, out, sizeof out));
    cr_assert_str_eq(out, lib);
    cr_assert(er_preload_merge("", lib, out, sizeof out));
    cr_assert_str_eq(out, lib);
    cr_assert(er_preload_merge("/x/libfoo.so", lib, out, sizeof out));
    cr_assert_str_eq(out, "/x/libfoo.so:/b/libearlyrandom.so", "existing entries keep priority");
    cr_assert(er_preload_merge("/x/a.so /y/b.so ", lib, out, sizeof out));
    cr_assert_str_eq(out, "/x/a.so /y/b.so:/b/libearlyrandom.so");
    cr_assert(er_preload_merge("/x/a.so:/b/libearlyrandom.so", lib, out, sizeof out));
    cr_assert_str_eq(out, "/x/a.so:/b/libearlyrandom.so", "never twice");
    cr_assert(er_preload_merge("/usr/lib/earlyrandom/libearlyrandom.so", lib, out, sizeof out));
    cr_assert_str_eq(out, "/usr/lib/earlyrandom/libearlyrandom.so", "not another copy either");
    cr_assert(er_preload_merge("/x/notlibearlyrandom.so", lib, out, sizeof out));
    cr_assert_str_eq(out, "/x/notlibearlyrandom.so:/b/libearlyrandom.so");
    cr_assert(!er_preload_merge("/x/libfoo.so", lib, out, 10));
}

Test(plan, absolute_path)
{
    char out[64];
    cr_assert(er_absolute_path("a/b", "/", out, sizeof out));
    cr_assert_str_eq(out, "/a/b");
    cr_assert(er_absolute_path("/abs", "/cwd", out, sizeof out));
    cr_assert_str_eq(out, "/abs");
    cr_assert(!er_absolute_path("name", "/a/very/long/working/directory/that/does/not/fit/in/here",
                                out, 32));
}

Test(plan, engine_from_option_or_environment)
{
    struct env env = { { { NULL } } };
    struct er_plan p;
    char err[512];
    cr_assert_eq(plan_for(&p, &env, err, "earlyrandom", "true", NULL), 0, "%s", err);
    cr_assert_eq(p.engine, ER_ENGINE_AUTO, "auto is the default");
    cr_assert_eq(plan_for(&p, &env, err, "earlyrandom", "--engine=preload", "true", NULL), 0);
    cr_assert_eq(p.engine, ER_ENGINE_PRELOAD);
    cr_assert_eq(plan_for(&p, &env, err, "earlyrandom", "-e", "seccomp", "true", NULL), 0);
    cr_assert_eq(p.engine, ER_ENGINE_SECCOMP);

    struct env inherited = { { { "EARLYRANDOM_ENGINE", "seccomp" } } };
    cr_assert_eq(plan_for(&p, &inherited, err, "earlyrandom", "true", NULL), 0);
    cr_assert_eq(p.engine, ER_ENGINE_SECCOMP);
    cr_assert_eq(plan_for(&p, &inherited, err, "earlyrandom", "--engine=auto", "true", NULL), 0);
    cr_assert_eq(p.engine, ER_ENGINE_AUTO, "the option wins");

    struct env bad = { { { "EARLYRANDOM_ENGINE", "ptrace" } } };
    cr_assert_eq(plan_for(&p, &bad, err, "earlyrandom", "true", NULL), ER_EXIT_USAGE);
    cr_assert_str_eq(err, "EARLYRANDOM_ENGINE='ptrace' is not valid; accepted: " ER_ACCEPT_ENGINE);
}

Test(options, engine_values)
{
    struct er_cli_options o;
    char err[512];
    cr_assert_eq(parse(&o, err, "earlyrandom", "--engine", "bogus", "true", NULL), ER_EXIT_USAGE);
    cr_assert_str_eq(err, "--engine 'bogus' is not valid; accepted: " ER_ACCEPT_ENGINE);
    cr_assert_eq(parse(&o, err, "earlyrandom", "--engine", NULL), ER_EXIT_USAGE);
    cr_assert_str_eq(err, "option --engine needs a value (" ER_ACCEPT_ENGINE ")");
    cr_assert(strstr(er_cli_usage_run, "--engine=ENGINE") != NULL);
}
