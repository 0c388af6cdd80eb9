/* 'earlyrandom audit': the ld.so.preload editing on its own, the options, and the command run
 * against temporary roots (--root), as root: entries and their order kept, idempotent enable,
 * refusals, and no partial file when a write fails halfway (a directory in the way, a file size
 * limit). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "options.h"
#include "testspawn.h"

#define ER ER_ABS_BUILDDIR "/src/cli/earlyrandom"
#define LIB ER_ABS_BUILDDIR "/src/lib/.libs/libearlyrandom.so"
#define IN_ROOT_LIB "/usr/lib/earlyrandom/libearlyrandom.so"

/* ------------------------------------------------------------------------ the pure editing */

static char *add(const char *text, enum er_preload_change *change)
{
    char *s = er_preload_add(text, IN_ROOT_LIB, change);
    cr_assert_not_null(s);
    return s;
}

Test(preload, add_appends_a_line_and_keeps_everything_else)
{
    enum er_preload_change c;
    char *s = add("", &c);
    cr_assert_str_eq(s, IN_ROOT_LIB "\n");
    cr_assert_eq(c, ER_PRELOAD_ADDED);
    free(s);
    s = add("/usr/lib/a.so\n/opt/b.so:/opt/c.so", &c);
    cr_assert_str_eq(s, "/usr/lib/a.so\n/opt/b.so:/opt/c.so\n" IN_ROOT_LIB "\n",
                     "a missing final newline is added before the entry");
    free(s);
    s = add("  /usr/lib/a.so  \n\n", &c);
    cr_assert_str_eq(s, "  /usr/lib/a.so  \n\n" IN_ROOT_LIB "\n");
    free(s);
}

Test(preload, add_is_idempotent_and_replaces_another_copy)
{
    enum er_preload_change c;
    char *s = add("/a.so " IN_ROOT_LIB " /b.so\n", &c);
    cr_assert_eq(c, ER_PRELOAD_PRESENT);
    cr_assert_str_eq(s, "/a.so " IN_ROOT_LIB " /b.so\n");
    free(s);
    s = add("/a.so\n/opt/old/libearlyrandom.so\n/b.so\n", &c);
    cr_assert_eq(c, ER_PRELOAD_REPLACED);
    cr_assert_str_eq(s, "/a.so\n" IN_ROOT_LIB "\n/b.so\n", "in place, order kept");
    free(s);
    s = add("/opt/old/libearlyrandom.so /b.so\n" IN_ROOT_LIB "\n", &c);
    cr_assert_eq(c, ER_PRELOAD_REPLACED);
    cr_assert_str_eq(s, IN_ROOT_LIB " /b.so\n", "preloaded once: the second copy goes");
    free(s);
}

static void check_remove(const char *in, const char *want, size_t want_removed)
{
    size_t removed;
    char *s = er_preload_remove(in, &removed);
    cr_assert_not_null(s);
    cr_assert_str_eq(s, want, "from [%s]", in);
    cr_assert_eq(removed, want_removed, "from [%s]", in);
    free(s);
}

Test(preload, remove_takes_only_ours_and_keeps_every_other_byte)
{
    check_remove("/a.so\n" IN_ROOT_LIB "\n/b.so\n", "/a.so\n/b.so\n", 1);
    check_remove("/a.so:" IN_ROOT_LIB ":/b.so\n", "/a.so:/b.so\n", 1);
    check_remove(IN_ROOT_LIB " /a.so\n", "/a.so\n", 1);
    check_remove("/a.so\t" IN_ROOT_LIB "\n", "/a.so\n", 1);
    check_remove("  " IN_ROOT_LIB "  \n/x.so", "/x.so", 1);
    check_remove(IN_ROOT_LIB "\n", "", 1);
    check_remove(IN_ROOT_LIB, "", 1);
    check_remove("libearlyrandom.so /opt/libearlyrandom.so\n", "", 2);
    check_remove("/opt/libearlyrandom.so.1 /opt/notlibearlyrandom.so\n",
                 "/opt/libearlyrandom.so.1 /opt/notlibearlyrandom.so\n", 0);
    check_remove("\n\n/a.so\n\n", "\n\n/a.so\n\n", 0);
    cr_assert(er_preload_empty(" \n\t:"));
    cr_assert(!er_preload_empty(" x "));
}

Test(preload, which_entries_are_ours)
{
    cr_assert(er_preload_is_ours("/usr/lib/earlyrandom/libearlyrandom.so", 38));
    cr_assert(er_preload_is_ours("libearlyrandom.so", 17));
    cr_assert(!er_preload_is_ours("/usr/lib/xlibearlyrandom.so", 27));
    cr_assert(!er_preload_is_ours("/usr/lib/libearlyrandom.so.0", 28));
}

Test(preload, values_of_the_options)
{
    cr_assert(er_audit_valid_log("/run/earlyrandom.log"));
    cr_assert(er_audit_valid_log("kmsg"));
    cr_assert(er_audit_valid_log("journal"));
    cr_assert(er_audit_valid_log("syslog"));
    cr_assert(!er_audit_valid_log("run/earlyrandom.log"), "relative: each process has its own cwd");
    cr_assert(!er_audit_valid_log("stderr"));
    cr_assert(!er_audit_valid_log("none"));
    cr_assert(!er_audit_valid_log("/run/a b.log"));
    cr_assert(!er_audit_valid_log("/run/a\nb"));
    cr_assert(!er_audit_valid_log("/run/"));
    cr_assert(er_audit_valid_library(IN_ROOT_LIB));
    cr_assert(!er_audit_valid_library("/usr/lib/libother.so"));
    cr_assert(!er_audit_valid_library("libearlyrandom.so"));
    cr_assert(!er_audit_valid_library("/a:b/libearlyrandom.so"));
    cr_assert(!er_audit_valid_library("/a b/libearlyrandom.so"));
    char buf[512];
    cr_assert(er_audit_conf_text("/run/x.log", buf, sizeof buf));
    cr_assert(strncmp(buf, ER_AUDIT_MARKER, strlen(ER_AUDIT_MARKER)) == 0);
    cr_assert(strstr(buf, "\npolicy = passthrough\nlog = /run/x.log\n") != NULL, "%s", buf);
    cr_assert(!er_audit_conf_text("/run/x.log", buf, 40));
}

/* ------------------------------------------------------------------------------- options */

static int parse(struct er_cli_options *o, char *err, ...)
{
    char *argv[16];
    int argc = 0;
    va_list ap;
    va_start(ap, err);
    for (char *a; argc < 15 && (a = va_arg(ap, char *)) != NULL;)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    return er_cli_parse(argc, argv, o, err, 512);
}

Test(options, audit)
{
    struct er_cli_options o;
    char err[512];
    cr_assert_eq(parse(&o, err, "earlyrandom", "audit", "enable", "--root", "/tmp/r", "--log=kmsg",
                       "--library", IN_ROOT_LIB, NULL),
                 0, "%s", err);
    cr_assert_eq(o.mode, ER_MODE_AUDIT);
    cr_assert_str_eq(o.audit_action, "enable");
    cr_assert_str_eq(o.audit_root, "/tmp/r");
    cr_assert_str_eq(o.audit_log, "kmsg");
    cr_assert_str_eq(o.audit_library, IN_ROOT_LIB);
    cr_assert_eq(parse(&o, err, "earlyrandom", "audit", "--root=/x", "status", NULL), 0, "%s", err);
    cr_assert_str_eq(o.audit_action, "status");
    cr_assert_eq(parse(&o, err, "earlyrandom", "audit", "--help", NULL), 0);
    cr_assert_str_eq(o.help_topic, "audit");

    cr_assert_eq(parse(&o, err, "earlyrandom", "audit", NULL), ER_EXIT_USAGE);
    cr_assert_str_eq(err, "audit: no action given; accepted: enable, disable, status");
    cr_assert_eq(parse(&o, err, "earlyrandom", "audit", "start", NULL), ER_EXIT_USAGE);
    cr_assert_str_eq(err, "audit action 'start' is not valid; accepted: enable, disable, status");
    cr_assert_eq(parse(&o, err, "earlyrandom", "audit", "enable", "disable", NULL), ER_EXIT_USAGE);
    cr_assert_str_eq(err, "audit: one action only; 'disable' is one too many");
    cr_assert_eq(parse(&o, err, "earlyrandom", "audit", "enable", "--log", "x.log", NULL),
                 ER_EXIT_USAGE);
    cr_assert_str_eq(err, "--log 'x.log' is not valid; accepted: " ER_AUDIT_ACCEPT_LOG);
    cr_assert_eq(parse(&o, err, "earlyrandom", "audit", "enable", "--library", "/x/lib.so", NULL),
                 ER_EXIT_USAGE);
    cr_assert_str_eq(err, "--library '/x/lib.so' is not valid; accepted: " ER_AUDIT_ACCEPT_LIBRARY);
    cr_assert_eq(parse(&o, err, "earlyrandom", "audit", "disable", "--log", "kmsg", NULL),
                 ER_EXIT_USAGE);
    cr_assert_str_eq(err, "audit disable: --log applies only to 'audit enable'");
    cr_assert_eq(parse(&o, err, "earlyrandom", "audit", "enable", "--log", NULL), ER_EXIT_USAGE);
    cr_assert_str_eq(err, "option --log needs a value (" ER_AUDIT_ACCEPT_LOG ")");
    cr_assert_eq(parse(&o, err, "earlyrandom", "audit", "enable", "--bogus", NULL), ER_EXIT_USAGE);
    cr_assert_str_eq(err, "unknown option '--bogus'");
    cr_assert_eq(parse(&o, err, "earlyrandom", "report", "--kmsg", NULL), 0, "no LOG with --kmsg");
    cr_assert(o.kmsg);
}

/* ------------------------------------------------------------------- runs on temporary roots */

static void require_root(void)
{
    cr_assert_eq(geteuid(), 0,
                 "these tests make root-owned files in a temporary root: run them as root");
    cr_assert_eq(access(LIB, R_OK), 0, "the library was not built: %s", LIB);
}

static void path_in(char *out, size_t cap, const char *root, const char *path)
{
    snprintf(out, cap, "%s%s", root, path);
}

static void write_file(const char *root, const char *path, const char *text, mode_t mode)
{
    char p[512];
    path_in(p, sizeof p, root, path);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
    cr_assert_geq(fd, 0, "%s: %s", p, strerror(errno));
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    chmod(p, mode);
}

/* The file's text, or NULL when it does not exist. */
static char *read_file(const char *root, const char *path)
{
    char p[512];
    path_in(p, sizeof p, root, path);
    FILE *f = fopen(p, "r");
    if (f == NULL) {
        cr_assert_eq(errno, ENOENT, "%s: %s", p, strerror(errno));
        return NULL;
    }
    char *text = calloc(1, 1 << 16);
    size_t n = fread(text, 1, (1 << 16) - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

static bool exists(const char *root, const char *path)
{
    char p[512];
    struct stat st;
    path_in(p, sizeof p, root, path);
    return lstat(p, &st) == 0;
}

static void copy_library(const char *to)
{
    FILE *in = fopen(LIB, "rb"), *out = fopen(to, "wb");
    cr_assert(in && out, "%s", to);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        cr_assert_eq(fwrite(buf, 1, n, out), n);
    fclose(in);
    cr_assert_eq(fclose(out), 0);
    chmod(to, 0755);
}

/* A root with /etc and the library at IN_ROOT_LIB, root-owned, mode 0755. */
static void make_root(char *dir)
{
    require_root();
    strcpy(dir, "/tmp/er-audit-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    static const char *const dirs[] = { "/etc", "/run", "/usr", "/usr/lib",
                                        "/usr/lib/earlyrandom" };
    char p[512];
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        path_in(p, sizeof p, dir, dirs[i]);
        cr_assert_eq(mkdir(p, 0755), 0, "%s", p);
    }
    path_in(p, sizeof p, dir, IN_ROOT_LIB);
    copy_library(p);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_root(const char *dir) { nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* No temporary file left next to the files audit writes. */
static void assert_no_temporaries(const char *root)
{
    char p[512];
    path_in(p, sizeof p, root, "/etc");
    DIR *d = opendir(p);
    cr_assert_not_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        cr_assert(strstr(de->d_name, ".earlyrandom-") == NULL, "left behind: %s/%s", p, de->d_name);
    closedir(d);
}

static void audit(struct spawn_result *r, const char *root, const char *action, const char *a1,
                  const char *a2)
{
    const char *argv[] = { ER, "audit", action, "--root", root, a1, a2, NULL };
    spawn_run(r, &(struct spawn_opts){ .argv = argv, .env = NULL, .inherit_env = true });
}

#define LIBOPT "--library=" IN_ROOT_LIB

static void assert_root_file(const char *root, const char *path, mode_t mode)
{
    char p[512];
    struct stat st;
    path_in(p, sizeof p, root, path);
    cr_assert_eq(stat(p, &st), 0, "%s", p);
    cr_assert_eq(st.st_uid, 0, "%s", p);
    cr_assert_eq(st.st_mode & 07777, mode, "%s: mode %o", p, st.st_mode & 07777);
}

Test(audit, enable_keeps_the_other_entries_in_their_order_and_says_how_to_undo)
{
    char root[64];
    make_root(root);
    write_file(root, "/etc/ld.so.preload", "/usr/lib/a.so\n/opt/b.so:/opt/c.so\n", 0644);
    struct spawn_result r;
    audit(&r, root, "enable", LIBOPT, NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    char *pre = read_file(root, "/etc/ld.so.preload");
    cr_assert_str_eq(pre, "/usr/lib/a.so\n/opt/b.so:/opt/c.so\n" IN_ROOT_LIB "\n");
    char *conf = read_file(root, "/etc/earlyrandom.conf");
    cr_assert(strstr(conf, "\npolicy = passthrough\nlog = journal\nlog_all = 1\n") != NULL, "%s",
              conf);
    assert_root_file(root, "/etc/ld.so.preload", 0644);
    assert_root_file(root, "/etc/earlyrandom.conf", 0644);
    assert_no_temporaries(root);
    char undo[512];
    snprintf(undo, sizeof undo, "edit %s/etc/ld.so.preload and remove the line " IN_ROOT_LIB, root);
    cr_assert(strstr(r.out, undo) != NULL, "%s", r.out);
    snprintf(undo, sizeof undo, "then rm %s/etc/earlyrandom.conf", root);
    cr_assert(strstr(r.out, undo) != NULL, "%s", r.out);
    free(pre);
    free(conf);
    spawn_free(&r);

    /* idempotent: nothing changes the second time */
    audit(&r, root, "enable", LIBOPT, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "already enabled, nothing changed") != NULL, "%s", r.out);
    pre = read_file(root, "/etc/ld.so.preload");
    cr_assert_str_eq(pre, "/usr/lib/a.so\n/opt/b.so:/opt/c.so\n" IN_ROOT_LIB "\n");
    free(pre);
    spawn_free(&r);

    /* status lists the entries */
    audit(&r, root, "status", NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strncmp(r.out, "earlyrandom audit: enabled in ", 30) == 0, "%s", r.out);
    cr_assert(strstr(r.out,
                     "    /opt/b.so\n    /opt/c.so\n    " IN_ROOT_LIB "   (earlyrandom)\n") != NULL,
              "%s", r.out);
    cr_assert(strstr(r.out, "policy = passthrough, log = journal") != NULL, "%s", r.out);
    spawn_free(&r);

    /* disable takes ours only */
    audit(&r, root, "disable", NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    pre = read_file(root, "/etc/ld.so.preload");
    cr_assert_str_eq(pre, "/usr/lib/a.so\n/opt/b.so:/opt/c.so\n");
    cr_assert(!exists(root, "/etc/earlyrandom.conf"));
    assert_no_temporaries(root);
    free(pre);
    spawn_free(&r);
    remove_root(root);
}

Test(audit, disable_removes_a_file_with_only_our_entry)
{
    char root[64];
    make_root(root);
    struct spawn_result r;
    audit(&r, root, "enable", LIBOPT, "--log=kmsg");
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *pre = read_file(root, "/etc/ld.so.preload");
    cr_assert_str_eq(pre, IN_ROOT_LIB "\n");
    free(pre);
    char *conf = read_file(root, "/etc/earlyrandom.conf");
    cr_assert(strstr(conf, "\nlog = kmsg\n") != NULL, "%s", conf);
    free(conf);
    spawn_free(&r);
    audit(&r, root, "disable", NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "it had no other entry") != NULL, "%s", r.out);
    cr_assert(!exists(root, "/etc/ld.so.preload"), "removed, not left empty");
    cr_assert(!exists(root, "/etc/earlyrandom.conf"));
    spawn_free(&r);
    audit(&r, root, "disable", NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "not enabled, nothing changed") != NULL, "%s", r.out);
    spawn_free(&r);
    remove_root(root);
}

static void assert_refused(const char *root, const char *why)
{
    struct spawn_result r;
    audit(&r, root, "enable", LIBOPT, NULL);
    cr_assert_eq(r.status, 125, "%s", r.out);
    cr_assert(strstr(r.err, why) != NULL, "%s", r.err);
    cr_assert_str_eq(r.out, "");
    cr_assert(!exists(root, "/etc/ld.so.preload") && !exists(root, "/etc/earlyrandom.conf"),
              "nothing written");
    spawn_free(&r);
}

Test(audit, refuses_a_library_root_does_not_own_alone)
{
    char root[64], p[512];
    make_root(root);
    path_in(p, sizeof p, root, IN_ROOT_LIB);
    cr_assert_eq(chown(p, 65534, 65534), 0);
    assert_refused(root,
                   "it is owned by uid 65534, mode 0755; it must be owned by root and writable "
                   "by nobody else");
    cr_assert_eq(chown(p, 0, 0), 0);
    cr_assert_eq(chmod(p, 0775), 0);
    assert_refused(root, "mode 0775");
    cr_assert_eq(chmod(p, 0755), 0);
    path_in(p, sizeof p, root, "/usr/lib/earlyrandom");
    cr_assert_eq(chown(p, 65534, 65534), 0);
    assert_refused(root, "the directory ");
    cr_assert_eq(chown(p, 0, 0), 0);
    path_in(p, sizeof p, root, IN_ROOT_LIB);
    write_file(root, IN_ROOT_LIB, "not an ELF file\n", 0755);
    assert_refused(root, "is not a shared library for this machine");
    cr_assert_eq(unlink(p), 0);
    assert_refused(root, "does not exist; install earlyrandom there");
    remove_root(root);
}

/* Absolute symbolic links inside the root lead inside the root, as in a chroot. */
Test(audit, resolves_paths_inside_the_root)
{
    char root[64], p[512], lib[512];
    make_root(root);
    path_in(p, sizeof p, root, "/opt");
    cr_assert_eq(mkdir(p, 0755), 0);
    path_in(lib, sizeof lib, root, IN_ROOT_LIB);
    path_in(p, sizeof p, root, "/opt/libearlyrandom.so");
    cr_assert_eq(rename(lib, p), 0);
    cr_assert_eq(symlink("/opt/libearlyrandom.so", lib), 0);
    struct spawn_result r;
    audit(&r, root, "enable", LIBOPT, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    spawn_free(&r);
    remove_root(root);
}

Test(audit, a_failed_write_leaves_every_file_as_it_was)
{
    char root[64], p[512];
    make_root(root);
    /* ld.so.preload cannot be replaced: the configuration written before it is taken back */
    path_in(p, sizeof p, root, "/etc/ld.so.preload");
    cr_assert_eq(mkdir(p, 0755), 0);
    struct spawn_result r;
    audit(&r, root, "enable", LIBOPT, NULL);
    cr_assert_eq(r.status, 125);
    cr_assert(strstr(r.err, "/etc/ld.so.preload is not a regular file") != NULL, "%s", r.err);
    cr_assert(!exists(root, "/etc/earlyrandom.conf"));
    assert_no_temporaries(root);
    spawn_free(&r);
    cr_assert_eq(rmdir(p), 0);

    /* A file size limit lets the configuration through and stops ld.so.preload halfway: its
     * temporary file goes, the old one stays byte for byte, the user's configuration comes back. */
    char big[3000] = "";
    while (strlen(big) < sizeof big - 40)
        strcat(big, "/usr/lib/x86_64-linux-gnu/libother.so\n");
    write_file(root, "/etc/ld.so.preload", big, 0644);
    write_file(root, "/etc/earlyrandom.conf", "policy = block\n", 0644);
    char script[1024];
    snprintf(script, sizeof script, "ulimit -f 2; exec '%s' audit enable --root '%s' " LIBOPT, ER,
             root);
    const char *argv[] = { "/bin/sh", "-c", script, NULL };
    spawn_run(&r, &(struct spawn_opts){ .argv = argv, .env = NULL, .inherit_env = true });
    cr_assert_eq(r.status, 125, "%s%s", r.out, r.err);
    cr_assert(strstr(r.err, "cannot write ") != NULL && strstr(r.err, "File too large") != NULL,
              "%s", r.err);
    char *pre = read_file(root, "/etc/ld.so.preload");
    cr_assert_str_eq(pre, big);
    free(pre);
    char *conf = read_file(root, "/etc/earlyrandom.conf");
    cr_assert_str_eq(conf, "policy = block\n");
    free(conf);
    cr_assert(!exists(root, "/etc/earlyrandom.conf.bak"));
    assert_no_temporaries(root);
    spawn_free(&r);
    remove_root(root);
}

Test(audit, another_configuration_is_kept_aside_and_put_back)
{
    char root[64];
    make_root(root);
    write_file(root, "/etc/earlyrandom.conf", "policy = eagain\nlog = /var/log/er.log\n", 0644);
    struct spawn_result r;
    audit(&r, root, "enable", LIBOPT, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "kept the previous ") != NULL, "%s", r.out);
    char *bak = read_file(root, "/etc/earlyrandom.conf.bak");
    cr_assert_str_eq(bak, "policy = eagain\nlog = /var/log/er.log\n");
    free(bak);
    spawn_free(&r);
    audit(&r, root, "disable", NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *conf = read_file(root, "/etc/earlyrandom.conf");
    cr_assert_str_eq(conf, "policy = eagain\nlog = /var/log/er.log\n");
    free(conf);
    cr_assert(!exists(root, "/etc/earlyrandom.conf.bak"));
    spawn_free(&r);

    /* with a backup already there, enable refuses rather than lose one of them */
    write_file(root, "/etc/earlyrandom.conf.bak", "policy = block\n", 0644);
    audit(&r, root, "enable", LIBOPT, NULL);
    cr_assert_eq(r.status, 125);
    cr_assert(strstr(r.err, "exists already: move one of them away first") != NULL, "%s", r.err);
    cr_assert(!exists(root, "/etc/ld.so.preload"));
    spawn_free(&r);
    remove_root(root);
}

Test(audit, tmpfiles_entry_makes_the_log_writable_for_every_user)
{
    char root[64], p[512];
    make_root(root);
    path_in(p, sizeof p, root, "/etc/tmpfiles.d");
    cr_assert_eq(mkdir(p, 0755), 0);
    struct spawn_result r;
    audit(&r, root, "enable", LIBOPT, "--log=/run/er/audit.log");
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *t = read_file(root, "/etc/tmpfiles.d/earlyrandom-audit.conf");
    cr_assert(strstr(t, "\nf /run/er/audit.log 0622 root root -\n") != NULL, "%s", t);
    free(t);
    spawn_free(&r);
    /* a sink that is no file needs none */
    audit(&r, root, "enable", LIBOPT, "--log=syslog");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(!exists(root, "/etc/tmpfiles.d/earlyrandom-audit.conf"));
    spawn_free(&r);
    audit(&r, root, "enable", LIBOPT, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    spawn_free(&r);
    audit(&r, root, "disable", NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(!exists(root, "/etc/tmpfiles.d/earlyrandom-audit.conf"));
    spawn_free(&r);
    remove_root(root);
}

/* The default log is the journal, which vouches for each sender: no log file writable by every
 * user (and so forgeable), no tmpfiles.d rule to make one. */
Test(audit, enable_logs_to_the_journal_by_default_with_no_tmpfiles_rule)
{
    char root[64], p[512];
    make_root(root);
    path_in(p, sizeof p, root, "/etc/tmpfiles.d");
    cr_assert_eq(mkdir(p, 0755), 0);
    struct spawn_result r;
    audit(&r, root, "enable", LIBOPT, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *conf = read_file(root, "/etc/earlyrandom.conf");
    cr_assert(strstr(conf, "\nlog = journal\n") != NULL, "%s", conf);
    cr_assert(!exists(root, "/etc/tmpfiles.d/earlyrandom-audit.conf"));
    cr_assert(strstr(r.out, "earlyrandom report --journal boot.json") != NULL, "%s", r.out);
    free(conf);
    spawn_free(&r);
    audit(&r, root, "status", NULL, NULL);
    cr_assert(strstr(r.out, "log: the journal") != NULL, "%s", r.out);
    spawn_free(&r);
    audit(&r, root, "disable", NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(!exists(root, "/etc/earlyrandom.conf"));
    cr_assert(!exists(root, "/etc/tmpfiles.d/earlyrandom-audit.conf"));
    spawn_free(&r);
    remove_root(root);
}

Test(audit, status_counts_the_records_and_warns_of_a_half_enabled_root)
{
    char root[64];
    make_root(root);
    struct spawn_result r;
    audit(&r, root, "status", NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strncmp(r.out, "earlyrandom audit: not enabled in ", 34) == 0, "%s", r.out);
    spawn_free(&r);
    audit(&r, root, "enable", LIBOPT, "--log=/run/earlyrandom.log");
    spawn_free(&r);
    write_file(root, "/run/earlyrandom.log",
               "{\"boot_ms\":1.000,\"event\":\"request\",\"pid\":1,\"exe\":\"/"
               "a\",\"kernel_pool\":\"uninitialized\"}\n"
               "{\"boot_ms\":9.000,\"event\":\"request\",\"pid\":1,\"exe\":\"/"
               "a\",\"kernel_pool\":\"initialized\"}\n",
               0644);
    audit(&r, root, "status", NULL, NULL);
    cr_assert(strstr(r.out, "/run/earlyrandom.log: 2 records, 1 made before the kernel's pool was "
                            "initialized") != NULL,
              "%s", r.out);
    spawn_free(&r);
    /* the preload without its configuration: every program would get the default policy */
    char p[512];
    path_in(p, sizeof p, root, "/etc/earlyrandom.conf");
    cr_assert_eq(unlink(p), 0);
    audit(&r, root, "status", NULL, NULL);
    cr_assert(strstr(r.out, "INCOMPLETE") != NULL && strstr(r.out, "WARNING: without the audit "
                                                                   "configuration") != NULL,
              "%s", r.out);
    spawn_free(&r);
    /* a library removed under the entry */
    path_in(p, sizeof p, root, IN_ROOT_LIB);
    cr_assert_eq(unlink(p), 0);
    audit(&r, root, "status", NULL, NULL);
    cr_assert(strstr(r.out, "is missing: every program prints an error from ld.so") != NULL, "%s",
              r.out);
    spawn_free(&r);
    remove_root(root);
}

Test(audit, refuses_what_it_cannot_replace_safely)
{
    char root[64], p[512];
    make_root(root);
    path_in(p, sizeof p, root, "/etc/ld.so.preload");
    cr_assert_eq(symlink("/etc/elsewhere", p), 0);
    struct spawn_result r;
    audit(&r, root, "enable", LIBOPT, NULL);
    cr_assert_eq(r.status, 125);
    cr_assert(strstr(r.err, "/etc/ld.so.preload is a symbolic link; edit it by hand") != NULL, "%s",
              r.err);
    cr_assert(!exists(root, "/etc/earlyrandom.conf"));
    spawn_free(&r);
    const char *argv[] = { ER, "audit", "status", "--root", "/nonexistent/root", NULL };
    spawn_run(&r, &(struct spawn_opts){ .argv = argv, .env = NULL, .inherit_env = true });
    cr_assert_eq(r.status, 125);
    cr_assert_str_eq(r.err,
                     "earlyrandom: audit status: --root '/nonexistent/root': No such file or "
                     "directory\n");
    spawn_free(&r);
    remove_root(root);
}
