/* Secure execution (AT_SECURE: setuid, setgid, file capabilities), reached through
 * /etc/ld.so.preload since the loader drops LD_PRELOAD there: the EARLYRANDOM_* variables are
 * ignored, no log file is opened from an environment path, and the library passes everything
 * through unless a root-owned configuration says otherwise. Each case runs secure-sandbox.sh in
 * a private mount namespace (a tmpfs and an overlay of /etc that vanish with it) as nobody. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hardening.h"

TestSuite(secure, .timeout = 60);

static struct spawn_result sandbox(const char *mode, const char *conf)
{
    cr_assert(geteuid() == 0, "the secure-execution tests build a setuid sandbox and must run as root "
                              "(a private mount namespace, a tmpfs, an overlay of /etc, setpriv to nobody)");
    cr_assert(access("/usr/bin/unshare", X_OK) == 0 && access("/usr/bin/setpriv", X_OK) == 0,
              "unshare and setpriv are missing: install the Debian package util-linux");
    static char script[1200];
    snprintf(script, sizeof script, "%s/secure-sandbox.sh", hard_srcdir);
    const char *argv[] = { "/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", script,
                           er_library, hard_helper_nosan, mode, conf, NULL };
    struct spawn_opts o = { .argv = argv, .preload = NULL, .timeout_ms = 60000 };
    struct spawn_result r;
    spawn_run(&r, &o);
    cr_assert(strstr(r.out, "sandbox-error") == NULL && r.exit_code == 0,
              "the sandbox could not be built (exit %d): %s %s", r.exit_code, r.out, r.err);
    cr_assert(strstr(r.out, "helper-exit=0") != NULL,
              "%s/%s: the helper did not end normally (14 = killed by its 2 s alarm: it waited):\n%s%s", mode, conf,
              r.out, r.err);
    cr_assert(strstr(r.out, "library=loaded") != NULL,
              "%s/%s: the library was not loaded through /etc/ld.so.preload:\n%s%s", mode, conf, r.out, r.err);
    SKIP_EMULATED_IF(strcmp(mode, "plain") != 0 && strstr(line_with(r.out, "secure "), "at_secure=0") != NULL,
                     "binfmt_misc takes an emulated program's credentials from qemu's file (no 'C' flag), so "
                     "setuid, setgid and file capabilities give no secure execution (at_secure=0)");
    return r;
}

static void check_passthrough(const char *mode)
{
    struct spawn_result r = sandbox(mode, "none");
    const char *line = line_with(r.out, "secure ");
    cr_expect(strstr(line, "at_secure=1") != NULL, "%s: not in secure execution: %s", mode, line);
    cr_expect(strstr(line, "getrandom=ok") != NULL,
              "%s: EARLYRANDOM_POLICY=eagain from the environment was obeyed: %s", mode, line);
    /* a wait would last until the helper's 2 s alarm; this leaves a loaded machine its delays */
    cr_expect(field(line, "ms", 1e9) < 1000, "%s: getrandom waited: %s", mode, line);
    cr_expect(strstr(r.out, "envlog=absent") != NULL,
              "%s: the log file named by EARLYRANDOM_LOG was created:\n%s", mode, r.out);
    cr_expect(strstr(r.out, "evillog=absent") != NULL,
              "%s: the configuration named by EARLYRANDOM_CONFIG was read:\n%s", mode, r.out);
    cr_expect(strstr(r.err, "earlyrandom") == NULL, "%s: the library spoke: %s", mode, r.err);
    spawn_free(&r);
}

Test(secure, setuid_root_ignores_the_environment_and_passes_through) { check_passthrough("setuid"); }
Test(secure, setgid_ignores_the_environment_and_passes_through) { check_passthrough("setgid"); }
Test(secure, file_capabilities_ignore_the_environment_and_pass_through) { check_passthrough("fcaps"); }

/* The control: the same sandbox without privilege obeys the environment, so the tests above
 * would see it if secure execution did too. */
Test(secure, without_privilege_the_same_sandbox_obeys_the_environment)
{
    struct spawn_result r = sandbox("plain", "none");
    const char *line = line_with(r.out, "secure ");
    cr_expect(strstr(line, "at_secure=0") != NULL, "%s", line);
    cr_expect(strstr(line, "getrandom=err:EAGAIN") != NULL, "EARLYRANDOM_POLICY=eagain not obeyed: %s", line);
    cr_expect(strstr(r.out, "envlog=present") != NULL, "EARLYRANDOM_LOG not obeyed:\n%s", r.out);
    spawn_free(&r);
}

Test(secure, a_root_owned_configuration_applies_in_secure_execution)
{
    struct spawn_result r = sandbox("setuid", "root");
    const char *line = line_with(r.out, "secure ");
    cr_expect(strstr(line, "at_secure=1") != NULL, "%s", line);
    cr_expect(strstr(line, "getrandom=err:EAGAIN") != NULL,
              "policy = eagain from /etc/earlyrandom.conf (root, 0644) not applied: %s", line);
    cr_expect(strstr(r.out, "conflog=present") != NULL, "the configuration's log was not written:\n%s", r.out);
    cr_expect(strstr(r.out, "envlog=absent") != NULL && strstr(r.out, "evillog=absent") != NULL,
              "the environment still counted:\n%s", r.out);
    spawn_free(&r);
}

static void check_untrusted_configuration(const char *conf)
{
    struct spawn_result r = sandbox("setuid", conf);
    const char *line = line_with(r.out, "secure ");
    cr_expect(strstr(line, "at_secure=1") != NULL, "%s", line);
    cr_expect(strstr(line, "getrandom=ok") != NULL, "%s: an untrusted configuration was applied: %s", conf, line);
    cr_expect(strstr(r.out, "conflog=absent") != NULL && strstr(r.out, "envlog=absent") != NULL,
              "%s: a log file was created:\n%s", conf, r.out);
    spawn_free(&r);
}

Test(secure, a_configuration_owned_by_another_user_is_ignored) { check_untrusted_configuration("nobody"); }
Test(secure, a_group_writable_configuration_is_ignored) { check_untrusted_configuration("groupwritable"); }
