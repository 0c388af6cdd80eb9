/* What the user configures and what the log tells: bad values, deterministic weak bytes, the
 * JSON record of a request, the readable line on stderr, post-init logging. */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

TestSuite(config_and_log, .timeout = 120);

/* A call that must not wait, for a pool that never initializes: one that waited would wait until
 * the deadline; this bound leaves a loaded machine its scheduling delays. */
#define AT_ONCE_MS 2000
#define WAKE_MARGIN_MS 1500

static void read_file(const char *path, char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t got = fread(buf, 1, cap - 1, f);
    buf[got] = '\0';
    fclose(f);
}

Test(config_and_log, a_bad_value_is_named_and_the_process_runs_as_passthrough)
{
    const char *env[] = { "EARLYRANDOM_POLICY=blok", NULL };
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    cr_expect(strstr(r.err, "EARLYRANDOM_POLICY='blok' is not valid; accepted: block, fallback, eagain, passthrough") != NULL,
              "stderr: %s", r.err);
    cr_expect(count_lines_with(r.err, "is not valid") == 1, "one line per bad value: %s", r.err);
    cr_expect(strncmp(r.out, "ok getrandom", 12) == 0 && field(r.out, "ms", -1) < AT_ONCE_MS,
              "passthrough: no wait although never initialized: %s", r.out);
}

Test(config_and_log, every_bad_variable_is_reported)
{
    const char *env[] = { "EARLYRANDOM_INIT_AFTER=soon", "EARLYRANDOM_EPOCH=yesterday",
                          "EARLYRANDOM_WEAK=deterministic:x", "EARLYRANDOM_LOG_ALL=yes",
                          "EARLYRANDOM_HANG_TIMEOUT=-1s", "EARLYRANDOM_READY_FILE=", NULL };
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    static const char *const names[] = { "EARLYRANDOM_INIT_AFTER='soon'", "EARLYRANDOM_EPOCH='yesterday'",
                                         "EARLYRANDOM_WEAK='deterministic:x'", "EARLYRANDOM_LOG_ALL='yes'",
                                         "EARLYRANDOM_HANG_TIMEOUT='-1s'", "EARLYRANDOM_READY_FILE=''" };
    for (size_t i = 0; i < 6; i++)
        cr_expect(strstr(r.err, names[i]) != NULL, "expected %s named in: %s", names[i], r.err);
    cr_expect(r.exit_code == 0 && field(r.out, "ms", -1) < AT_ONCE_MS, "the program is not broken: %s", r.out);
}

Test(config_and_log, deterministic_weak_bytes_repeat_across_runs_and_follow_the_seed)
{
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    const char *seed42[] = { "EARLYRANDOM_POLICY=fallback", "EARLYRANDOM_WEAK=deterministic:42", "EARLYRANDOM_LOG=none", NULL };
    const char *seed43[] = { "EARLYRANDOM_POLICY=fallback", "EARLYRANDOM_WEAK=deterministic:43", "EARLYRANDOM_LOG=none", NULL };
    const char *real[] = { "EARLYRANDOM_POLICY=fallback", "EARLYRANDOM_LOG=none", NULL };
    struct spawn_result a, b, c, d, e;
    run_program(&a, argv, seed42, true, 30000);
    run_program(&b, argv, seed42, true, 30000);
    run_program(&c, argv, seed43, true, 30000);
    run_program(&d, argv, real, true, 30000);
    run_program(&e, argv, real, true, 30000);
    char ba[64] = "", bb[64] = "", bc[64] = "", bd[64] = "", be[64] = "";
    sscanf(strstr(a.out, "bytes=") ?: "", "bytes=%63s", ba);
    sscanf(strstr(b.out, "bytes=") ?: "", "bytes=%63s", bb);
    sscanf(strstr(c.out, "bytes=") ?: "", "bytes=%63s", bc);
    sscanf(strstr(d.out, "bytes=") ?: "", "bytes=%63s", bd);
    sscanf(strstr(e.out, "bytes=") ?: "", "bytes=%63s", be);
    cr_expect(strlen(ba) == 32, "got: %s", a.out);
    cr_expect_str_eq(ba, bb, "same seed, same bytes");
    cr_expect_str_neq(ba, bc, "another seed, other bytes");
    cr_expect_str_neq(bd, be, "real weak bytes differ between runs");
}

Test(config_and_log, a_request_record_carries_every_field)
{
    static char log_path[512], log_var[600], ready_path[512], ready_var[600];
    snprintf(log_path, sizeof log_path, "%s", test_path("fields.jsonl"));
    snprintf(ready_path, sizeof ready_path, "%s", test_path("fields.ready"));
    unlink(log_path);
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s", log_path);
    snprintf(ready_var, sizeof ready_var, "EARLYRANDOM_READY_FILE=%s", ready_path);
    const char *env[] = { ready_var, log_var, NULL };
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    /* the pool initializes 200 ms after the probe is seen waiting */
    struct spawn_proc *p = start_program(argv, env, 30000);
    bool waiting = spawn_await_waiting(p, 20000);
    usleep(200 * 1000);
    create_file(ready_path);
    struct spawn_result r;
    spawn_finish(p, &r);
    cr_assert(waiting, "the probe never waited: %s %s", r.out, r.err);
    char log[8192];
    read_file(log_path, log, sizeof log);
    cr_expect(count_lines_with(log, "\"event\":\"request\"") == 1, "log: %s", log);
    static const char *const fields[] = {
        "{\"time\":\"20", "\"event\":\"request\"", "\"pid\":", "\"tid\":", "\"exe\":\"" ER_PROBE_PLAIN "\"",
        "\"api\":\"getrandom\"", "\"bytes\":16", "\"flags\":\"0\"", "\"policy\":\"block\"",
        "\"pool\":\"uninitialized\"", "\"action\":\"block\"", "\"waited_ms\":", "\"result\":16",
        "\"caller\":\"" ER_PROBE_PLAIN "\"",
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        cr_expect(strstr(log, fields[i]) != NULL, "expected %s in: %s", fields[i], log);
    cr_expect(strstr(log, "\"errno\"") == NULL, "no errno on success: %s", log);
    const char *w = strstr(log, "\"waited_ms\":");
    double waited = w ? strtod(w + 12, NULL) : -1;
    cr_expect(waited >= 200 && waited <= r.wall_ms,
              "waited_ms %.3f: the wait lasted at least 200 ms, and less than the run (%.1f ms)", waited, r.wall_ms);
    spawn_free(&r);
}

/* Whether a 64-bit ELF program's loadable segments leave a page or more between them. */
static bool segments_leave_holes(const char *path)
{
    Elf64_Ehdr eh;
    Elf64_Phdr ph[32];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    bool ok = fd >= 0 && pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
              eh.e_phnum <= 32 && eh.e_phentsize == sizeof ph[0] &&
              pread(fd, ph, eh.e_phnum * sizeof ph[0], (off_t)eh.e_phoff) == (ssize_t)(eh.e_phnum * sizeof ph[0]);
    if (fd >= 0)
        close(fd);
    if (!ok)
        return false;
    const Elf64_Addr page = (Elf64_Addr)sysconf(_SC_PAGESIZE);
    Elf64_Addr previous_end = 0;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD)
            continue;
        Elf64_Addr start = ph[i].p_vaddr & ~(page - 1);
        if (previous_end != 0 && start > previous_end)
            return true;
        previous_end = (ph[i].p_vaddr + ph[i].p_memsz + page - 1) & ~(page - 1);
    }
    return false;
}

Test(config_and_log, a_caller_in_a_main_program_whose_segments_leave_holes_is_named_by_its_path)
{
    /* The loader finds each segment of such a program (node is one) as an object of its own. */
    cr_assert(segments_leave_holes(ER_PROBE_GAPPED), "%s was linked without holes between its segments",
              ER_PROBE_GAPPED);
    static char log_path[512], log_var[600];
    snprintf(log_path, sizeof log_path, "%s", test_path("gapped.jsonl"));
    unlink(log_path);
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s", log_path);
    const char *env[] = { log_var, NULL };
    const char *argv[] = { ER_PROBE_GAPPED, "getrandom", "16", "NONBLOCK", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    char log[8192];
    read_file(log_path, log, sizeof log);
    cr_expect(count_lines_with(log, "\"event\":\"request\"") == 1, "log: %s %s", log, r.err);
    cr_expect(strstr(log, "\"caller\":\"" ER_PROBE_GAPPED "\"") != NULL, "the caller is the program: %s", log);
    spawn_free(&r);
}

Test(config_and_log, each_record_names_its_own_caller_when_one_library_replaces_another_at_its_address)
{
    /* The library remembers each call site's symbol: a stale memory would name the first library
     * and its function for the second's requests. */
    static char log_path[512], log_var[600];
    snprintf(log_path, sizeof log_path, "%s", test_path("callsites.jsonl"));
    unlink(log_path);
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s", log_path);
    const char *env[] = { log_var, "EARLYRANDOM_POLICY=passthrough", "EARLYRANDOM_LOG_ALL=1",
                          "EARLYRANDOM_INIT_AFTER=0", NULL };
    const char *argv[] = { ER_CALLSITES, ER_CALLSITE_A, ER_CALLSITE_B, "3", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    cr_assert_eq(r.exit_code, 0, "er-callsites: %s %s", r.out, r.err);
    void *a = NULL, *b = NULL;
    cr_assert_eq(sscanf(r.out, "site a=%p b=%p", &a, &b), 2, "output: %s", r.out);
    if (a != b)
        cr_skip_test("the second library was not loaded at the first one's address (%p, %p): "
                     "the case under test did not occur", a, b);
    static char log[65536];
    read_file(log_path, log, sizeof log);
    int from_a = 0, from_b = 0;
    for (const char *line = log; *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char one[4096];
        snprintf(one, sizeof one, "%.*s", (int)len, line);
        if (strstr(one, "er_call_site_a") != NULL) {
            from_a++;
            cr_expect(strstr(one, "\"caller\":\"" ER_CALLSITE_A "\"") != NULL, "%s", one);
        } else if (strstr(one, "er_call_site_b") != NULL) {
            from_b++;
            cr_expect(strstr(one, "\"caller\":\"" ER_CALLSITE_B "\"") != NULL, "%s", one);
        }
        line += len + (end ? 1 : 0);
    }
    cr_expect_eq(from_a, 3, "3 requests from er_call_site_a: %s", log);
    cr_expect_eq(from_b, 3, "3 requests from er_call_site_b: %s", log);
    spawn_free(&r);
}

Test(config_and_log, programs_that_share_an_executable_are_told_apart_by_their_name)
{
    /* As systemd-udevd is a symbolic link to udevadm: the same exe, the kernel's name differs. */
    static char link_path[512], log_path[512], log_var[600];
    snprintf(link_path, sizeof link_path, "%s", test_path("systemd-udevd"));
    snprintf(log_path, sizeof log_path, "%s", test_path("names.jsonl"));
    unlink(link_path);
    unlink(log_path);
    cr_assert(symlink(er_probe_plain, link_path) == 0, "symlink: %s", strerror(errno));
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s", log_path);
    const char *env[] = { "EARLYRANDOM_POLICY=fallback", log_var, NULL };
    const char *argv[] = { link_path, "getrandom", "16", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    char log[8192];
    read_file(log_path, log, sizeof log);
    cr_expect(strstr(log, "\"exe\":\"" ER_PROBE_PLAIN "\",\"comm\":\"systemd-udevd\"") != NULL,
              "the record names the executable and the name it ran under: %s", log);
}

Test(config_and_log, a_forked_child_that_renames_itself_is_logged_under_its_new_name)
{
    /* udevd's workers: the parent's name is known (it asked first), the child renames itself */
    static char log_path[512], log_var[600];
    snprintf(log_path, sizeof log_path, "%s", test_path("renamed.jsonl"));
    unlink(log_path);
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s", log_path);
    const char *env[] = { "EARLYRANDOM_POLICY=fallback", log_var, NULL };
    const char *argv[] = { er_probe_plain, "seq", "getrandom", "16", ",", "renamed-child", "(udev-worker)", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    cr_expect(strstr(r.out, "ok renamed-child") != NULL, "got: %s %s", r.out, r.err);
    char log[8192];
    read_file(log_path, log, sizeof log);
    cr_expect(count_lines_with(log, "\"comm\":\"er-probe\"") == 1, "the parent's record: %s", log);
    cr_expect(count_lines_with(log, "\"comm\":\"(udev-worker)\"") == 1, "the renamed child's record: %s", log);
}

Test(config_and_log, stderr_gets_one_readable_line_per_request)
{
    const char *env[] = { "EARLYRANDOM_POLICY=eagain", NULL };
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    cr_expect(count_lines_with(r.err, "earlyrandom: er-probe[") == 1, "stderr: %s", r.err);
    cr_expect(strstr(r.err, "getrandom(16 bytes, 0) pool uninitialized, eagain: failed at once with EAGAIN") != NULL,
              "stderr: %s", r.err);
}

Test(config_and_log, after_init_nothing_is_logged_unless_asked)
{
    const char *quiet[] = { "EARLYRANDOM_INIT_AFTER=0", NULL };
    const char *all[] = { "EARLYRANDOM_INIT_AFTER=0", "EARLYRANDOM_LOG_ALL=1", NULL };
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    struct spawn_result r;
    run_program(&r, argv, quiet, true, 30000);
    cr_expect(r.err[0] == '\0', "nothing after init: %s", r.err);
    run_program(&r, argv, all, true, 30000);
    cr_expect(strstr(r.err, "pool initialized, block: passed to the kernel") != NULL, "LOG_ALL: %s", r.err);
}

Test(config_and_log, a_shared_epoch_puts_a_process_tree_on_one_boot)
{
    /* The init moment is 1.2 s after an epoch taken now; a probe started 0.8 s later waits only
     * the rest, as it would on a real machine booting once, never the whole 1.2 s of its own. */
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    static char epoch[64];
    snprintf(epoch, sizeof epoch, "EARLYRANDOM_EPOCH=%lld", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    const char *env[] = { epoch, "EARLYRANDOM_INIT_AFTER=1200ms", "EARLYRANDOM_LOG=none", NULL };
    usleep(800 * 1000);
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    double epoch_ms = ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
    double since_epoch = field(r.out, "boot_ms", -1) - epoch_ms;
    cr_expect(strncmp(r.out, "ok getrandom", 12) == 0, "got: %s", r.out);
    cr_expect(since_epoch >= 1200 && since_epoch < 1200 + WAKE_MARGIN_MS,
              "the probe returned %.1f ms after the shared epoch, expected ~1200", since_epoch);
    cr_expect(field(r.out, "exec_ms", -1) < 1200, "the probe waited %.1f ms after its exec, as if from its own start",
              field(r.out, "exec_ms", -1));
}

Test(config_and_log, epoch_boot_counts_from_the_machine_boot)
{
    /* This machine booted long ago: a pool initialized 1 s after boot is ready. */
    const char *env[] = { "EARLYRANDOM_EPOCH=boot", "EARLYRANDOM_INIT_AFTER=1s", NULL };
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    cr_expect(field(r.out, "ms", -1) < AT_ONCE_MS && r.err[0] == '\0', "got: %s %s", r.out, r.err);
}

Test(config_and_log, syscall_forwards_other_numbers_unchanged)
{
    const char *argv[] = { er_probe_plain, "syscall-getpid", NULL };
    struct spawn_result r;
    run_program(&r, argv, NULL, true, 30000);
    cr_expect(strncmp(r.out, "ok syscall-getpid", 17) == 0, "got: %s", r.out);
}

static const char *write_conf(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s", test_path(name));
    FILE *f = fopen(path, "w");
    cr_assert(f != NULL);
    fputs(text, f);
    fclose(f);
    return path;
}

Test(config_and_log, the_configuration_file_fills_in_what_the_variables_leave_out)
{
    static char conf_var[600];
    snprintf(conf_var, sizeof conf_var, "EARLYRANDOM_CONFIG=%s",
             write_conf("eagain.conf", "# a comment\n\npolicy = eagain\ninit_after = \"never\"\n"));
    const char *from_file[] = { conf_var, NULL };
    const char *overridden[] = { conf_var, "EARLYRANDOM_POLICY=fallback", NULL };
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    struct spawn_result r;
    run_program(&r, argv, from_file, true, 30000);
    cr_expect(strstr(r.out, "err getrandom errno=EAGAIN") != NULL, "policy from the file: %s %s", r.out, r.err);
    run_program(&r, argv, overridden, true, 30000);
    cr_expect(strstr(r.out, "ok getrandom") != NULL && strstr(r.err, "fallback: weak bytes") != NULL,
              "the variable wins: %s %s", r.out, r.err);
}

Test(config_and_log, a_bad_configuration_line_is_named_and_the_process_runs_as_passthrough)
{
    static char conf_var[600];
    const char *path = write_conf("bad.conf", "policy = block\nplicy = eagain\n");
    snprintf(conf_var, sizeof conf_var, "EARLYRANDOM_CONFIG=%s", path);
    const char *env[] = { conf_var, NULL };
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    char expected[700];
    snprintf(expected, sizeof expected, "earlyrandom: %s:2: unknown setting", path);
    cr_expect(strstr(r.err, expected) != NULL, "stderr: %s", r.err);
    cr_expect(strstr(r.err, "'plicy'") != NULL, "the bad name is quoted: %s", r.err);
    cr_expect(strncmp(r.out, "ok getrandom", 12) == 0 && field(r.out, "ms", -1) < AT_ONCE_MS, "passthrough: %s", r.out);
}

Test(config_and_log, records_say_the_time_since_boot_and_the_real_pool_state)
{
    static char log_path[512], log_var[600];
    snprintf(log_path, sizeof log_path, "%s", test_path("boot.jsonl"));
    unlink(log_path);
    snprintf(log_var, sizeof log_var, "EARLYRANDOM_LOG=%s", log_path);
    const char *env[] = { "EARLYRANDOM_POLICY=eagain", log_var, NULL };
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    char log[4096];
    read_file(log_path, log, sizeof log);
    /* this machine has been up for a while: its real pool is ready */
    cr_expect(strstr(log, "\"kernel_pool\":\"initialized\"") != NULL, "log: %s", log);
    const char *b = strstr(log, "\"boot_ms\":");
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    double boot_ms = b ? strtod(b + 10, NULL) : -1;
    double now_ms = ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
    cr_expect(boot_ms > 0 && boot_ms <= now_ms && boot_ms > now_ms - 10000, "boot_ms %.3f, now %.3f", boot_ms, now_ms);
}

Test(config_and_log, the_kmsg_sink_writes_to_the_kernel_log)
{
    cr_assert(access("/dev/kmsg", W_OK) == 0, "/dev/kmsg is not writable here (the test needs root)");
    /* An unusual request size, different in every run, marks this run's record. */
    char size[16], needle[64];
    snprintf(size, sizeof size, "%d", 1000 + (int)(getpid() % 50000));
    snprintf(needle, sizeof needle, "\"bytes\":%s,", size);
    const char *env[] = { "EARLYRANDOM_LOG=kmsg", "EARLYRANDOM_POLICY=eagain", NULL };
    const char *argv[] = { er_probe_plain, "getrandom", size, NULL };
    struct spawn_result r;
    run_program(&r, argv, env, true, 30000);
    struct spawn_result d;
    const char *dmesg[] = { "dmesg", NULL };
    run_program(&d, dmesg, NULL, false, 30000);
    const char *line = strstr(d.out, needle);
    cr_expect(line != NULL, "no record with %s in the kernel log", needle);
    cr_expect(strstr(d.out, "earlyrandom: {\"time\"") != NULL, "records are prefixed 'earlyrandom: '");
}

/* What /etc/ld.so.preload does to every program of a machine, simulated with a copy of the
 * library under another name: nothing in the environment asks for it. */
static const char *disguised_library(void)
{
    static char path[512];
    snprintf(path, sizeof path, "%s", test_path("libother.so"));
    unlink(path);
    cr_assert(symlink(er_library, path) == 0, "symlink %s", path);
    return path;
}

Test(config_and_log, loaded_without_being_asked_it_changes_nothing)
{
    static char preload[600];
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", disguised_library());
    const char *env[] = { preload, NULL };
    const char *argv[] = { er_probe_plain, "getrandom", "16", NULL };
    struct spawn_result r;
    run_program(&r, argv, env, false, 30000);
    cr_expect(!r.timed_out && strncmp(r.out, "ok getrandom", 12) == 0 && field(r.out, "ms", -1) < AT_ONCE_MS,
              "no wait without a configuration or a variable: %s", r.out);
    cr_expect(r.err[0] == '\0', "and nothing on stderr: %s", r.err);

    const char *asked[] = { preload, "EARLYRANDOM_INIT_AFTER=300ms", NULL };
    run_program(&r, argv, asked, false, 30000);
    cr_expect(field(r.out, "exec_ms", -1) >= 300, "a variable asks for the simulation: %s %s", r.out, r.err);
}
