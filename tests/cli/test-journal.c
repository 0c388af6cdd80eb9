/* Reading the library's records out of 'journalctl -o json': which entries are records, whether
 * the journal vouches for their sender, and journald's notes of what it dropped. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "journal.h"
#include "logparse.h"

/* A record of pid 412 as the library writes it, escaped as journalctl puts it in a JSON string. */
#define RECORD_412                                                                              \
    "{\\\"event\\\":\\\"request\\\",\\\"pid\\\":412,\\\"tid\\\":413,\\\"exe\\\":\\\"/usr/bin/"   \
    "claimed\\\",\\\"api\\\":\\\"getrandom\\\",\\\"bytes\\\":16,\\\"kernel_pool\\\":"           \
    "\\\"uninitialized\\\"}"

static char line[8192];

static enum er_journal_kind parse(const char *text, struct er_journal_entry *e)
{
    snprintf(line, sizeof line, "%s", text);
    return er_journal_parse(line, e);
}

/* Parses the entry's record and holds it against the entry. */
static enum er_journal_verdict vouch(const struct er_journal_entry *e, struct er_parsed *p)
{
    cr_assert_eq(er_parse_record(e->message, p), ER_PARSE_OK, "%s", e->message);
    return er_journal_vouch(e, &p->rec, "/usr/bin/earlyrandom");
}

Test(journal, a_record_sent_by_the_process_it_names_is_vouched_for_and_named_by_its_exe)
{
    struct er_journal_entry e;
    cr_assert_eq(parse("{\"__CURSOR\":\"s=1\",\"_TRANSPORT\":\"journal\",\"_PID\":\"412\","
                       "\"_UID\":\"101\",\"_EXE\":\"/usr/lib/systemd/systemd-journald\","
                       "\"EARLYRANDOM_RECORD\":\"1\",\"SYSLOG_IDENTIFIER\":\"earlyrandom\","
                       "\"MESSAGE\":\"" RECORD_412 "\",\"__MONOTONIC_TIMESTAMP\":\"9\"}",
                       &e),
                 ER_JOURNAL_RECORD);
    cr_expect(e.has_pid && e.pid == 412);
    cr_expect(e.has_uid && e.uid == 101);
    struct er_parsed p;
    cr_assert_eq(vouch(&e, &p), ER_JOURNAL_VOUCHED);
    cr_expect_str_eq(p.rec.exe, "/usr/lib/systemd/systemd-journald", "_EXE wins over the claim");
    cr_expect_str_eq(p.rec.api, "getrandom");
}

Test(journal, a_record_naming_another_pid_than_its_sender_is_forged)
{
    struct er_journal_entry e;
    cr_assert_eq(parse("{\"_TRANSPORT\":\"journal\",\"_PID\":\"9999\",\"_UID\":\"1000\","
                       "\"_EXE\":\"/home/mallory/forge\",\"EARLYRANDOM_RECORD\":\"1\","
                       "\"MESSAGE\":\"" RECORD_412 "\"}",
                       &e),
                 ER_JOURNAL_RECORD);
    struct er_parsed p;
    cr_expect_eq(vouch(&e, &p), ER_JOURNAL_FORGED);
}

/* The syscall engine's record of pid 412, as the command writes it for the process it traced. */
#define ENGINE_RECORD_412                                                                       \
    "{\\\"event\\\":\\\"request\\\",\\\"pid\\\":412,\\\"tid\\\":412,\\\"api\\\":"              \
    "\\\"SYS_getrandom\\\",\\\"engine\\\":\\\"seccomp\\\",\\\"bytes\\\":8}"

Test(journal, the_syscall_engines_record_counts_when_the_earlyrandom_command_sent_it)
{
    struct er_journal_entry e;
    struct er_parsed p;
    cr_assert_eq(parse("{\"_TRANSPORT\":\"journal\",\"_PID\":\"77\",\"_EXE\":\"/usr/bin/earlyrandom\","
                       "\"EARLYRANDOM_RECORD\":\"1\",\"MESSAGE\":\"" ENGINE_RECORD_412 "\"}",
                       &e),
                 ER_JOURNAL_RECORD);
    cr_expect_eq(vouch(&e, &p), ER_JOURNAL_SUPERVISED);
    /* another program sending the same, or a copy of the command elsewhere, forges it */
    cr_assert_eq(parse("{\"_TRANSPORT\":\"journal\",\"_PID\":\"77\",\"_EXE\":\"/tmp/earlyrandom\","
                       "\"EARLYRANDOM_RECORD\":\"1\",\"MESSAGE\":\"" ENGINE_RECORD_412 "\"}",
                       &e),
                 ER_JOURNAL_RECORD);
    cr_expect_eq(vouch(&e, &p), ER_JOURNAL_FORGED);
    /* a preload record sent by the command is not the engine's */
    cr_assert_eq(parse("{\"_TRANSPORT\":\"journal\",\"_PID\":\"77\",\"_EXE\":\"/usr/bin/earlyrandom\","
                       "\"EARLYRANDOM_RECORD\":\"1\",\"MESSAGE\":\"" RECORD_412 "\"}",
                       &e),
                 ER_JOURNAL_RECORD);
    cr_expect_eq(vouch(&e, &p), ER_JOURNAL_FORGED);
}

Test(journal, a_record_with_no_sender_or_an_unreadable_one_is_forged)
{
    struct er_journal_entry e;
    struct er_parsed p;
    cr_assert_eq(parse("{\"_TRANSPORT\":\"journal\",\"SYSLOG_IDENTIFIER\":\"earlyrandom\","
                       "\"MESSAGE\":\"" RECORD_412 "\"}",
                       &e),
                 ER_JOURNAL_RECORD);
    cr_expect_eq(vouch(&e, &p), ER_JOURNAL_FORGED, "no _PID");
    /* a field sent twice comes as an array: its value is nobody's word */
    cr_assert_eq(parse("{\"_TRANSPORT\":\"journal\",\"_PID\":[\"412\",\"412\"],"
                       "\"EARLYRANDOM_RECORD\":\"1\",\"MESSAGE\":\"" RECORD_412 "\"}",
                       &e),
                 ER_JOURNAL_RECORD);
    cr_expect_eq(vouch(&e, &p), ER_JOURNAL_FORGED, "_PID as an array");
    cr_assert_eq(parse("{\"_TRANSPORT\":\"journal\",\"_PID\":\"41x\","
                       "\"EARLYRANDOM_RECORD\":\"1\",\"MESSAGE\":\"" RECORD_412 "\"}",
                       &e),
                 ER_JOURNAL_RECORD);
    cr_expect_eq(vouch(&e, &p), ER_JOURNAL_FORGED, "_PID not a number");
}

Test(journal, without_exe_a_vouched_record_keeps_the_program_it_claims)
{
    struct er_journal_entry e;
    cr_assert_eq(parse("{\"_TRANSPORT\":\"syslog\",\"_PID\":\"412\",\"SYSLOG_IDENTIFIER\":"
                       "\"earlyrandom\",\"MESSAGE\":\"" RECORD_412 "\"}",
                       &e),
                 ER_JOURNAL_RECORD);
    struct er_parsed p;
    cr_assert_eq(vouch(&e, &p), ER_JOURNAL_VOUCHED);
    cr_expect_null(e.exe);
    cr_expect_str_eq(p.rec.exe, "/usr/bin/claimed");
}

Test(journal, a_record_imported_from_the_kernel_log_was_written_by_root)
{
    struct er_journal_entry e;
    cr_assert_eq(parse("{\"_TRANSPORT\":\"kernel\",\"SYSLOG_IDENTIFIER\":\"earlyrandom\","
                       "\"SYSLOG_FACILITY\":\"1\",\"MESSAGE\":\"" RECORD_412 "\"}",
                       &e),
                 ER_JOURNAL_RECORD);
    struct er_parsed p;
    cr_expect_eq(vouch(&e, &p), ER_JOURNAL_ROOT_WROTE);
    cr_expect_str_eq(p.rec.exe, "/usr/bin/claimed");
}

Test(journal, journald_notes_of_dropped_messages_count_only_from_journald_itself)
{
    struct er_journal_entry e;
    cr_assert_eq(parse("{\"_TRANSPORT\":\"driver\",\"MESSAGE_ID\":"
                       "\"ae8f7b866b0347b9af31fe1c80b127c0\",\"MESSAGE\":\"Suppressed 1234 "
                       "messages from /system.slice/systemd-udevd.service\",\"_PID\":\"180\"}",
                       &e),
                 ER_JOURNAL_RATELIMITED);
    cr_expect_eq(e.lost, 1234);
    cr_assert_eq(parse("{\"_TRANSPORT\":\"driver\",\"MESSAGE\":\"Missed 77 kernel messages\"}",
                       &e),
                 ER_JOURNAL_KMSG_MISSED);
    cr_expect_eq(e.lost, 77);
    /* anyone can send these words; only journald's own notes (_TRANSPORT=driver) count */
    cr_expect_eq(parse("{\"_TRANSPORT\":\"journal\",\"_PID\":\"5\",\"MESSAGE\":\"Suppressed 9 "
                       "messages from /x\"}",
                       &e),
                 ER_JOURNAL_OTHER);
    cr_expect_eq(parse("{\"_TRANSPORT\":\"driver\",\"MESSAGE\":\"Journal started\"}", &e),
                 ER_JOURNAL_OTHER);
}

Test(journal, the_kernels_crng_init_done_gives_its_boot_time)
{
    struct er_journal_entry e;
    cr_assert_eq(parse("{\"_TRANSPORT\":\"kernel\",\"SYSLOG_IDENTIFIER\":\"kernel\","
                       "\"MESSAGE\":\"random: crng init done\","
                       "\"_SOURCE_MONOTONIC_TIMESTAMP\":\"8123456\"}",
                       &e),
                 ER_JOURNAL_CRNG_DONE);
    cr_expect(e.has_boot);
    cr_expect_eq(e.boot_ns, INT64_C(8123456000));
    /* a program saying the words is not the kernel */
    cr_expect_eq(parse("{\"_TRANSPORT\":\"journal\",\"_PID\":\"5\",\"MESSAGE\":\"random: crng "
                       "init done\"}",
                       &e),
                 ER_JOURNAL_OTHER);
}

Test(journal, other_entries_blank_lines_and_garbage)
{
    struct er_journal_entry e;
    cr_expect_eq(parse("", &e), ER_JOURNAL_BLANK);
    cr_expect_eq(parse("  ", &e), ER_JOURNAL_BLANK);
    cr_expect_eq(parse("{\"_TRANSPORT\":\"stdout\",\"MESSAGE\":\"hello\"}", &e), ER_JOURNAL_OTHER);
    /* the readable lines of the stderr sink are not records */
    cr_expect_eq(parse("{\"_TRANSPORT\":\"syslog\",\"_PID\":\"4\",\"SYSLOG_IDENTIFIER\":"
                       "\"earlyrandom\",\"MESSAGE\":\"python3[4] getrandom(16 bytes)\"}",
                       &e),
                 ER_JOURNAL_OTHER);
    /* binary MESSAGE (an array of bytes) and a too large one (null) */
    cr_expect_eq(parse("{\"EARLYRANDOM_RECORD\":\"1\",\"MESSAGE\":[123,125]}", &e),
                 ER_JOURNAL_OTHER);
    cr_expect_eq(parse("{\"EARLYRANDOM_RECORD\":\"1\",\"MESSAGE\":null}", &e), ER_JOURNAL_OTHER);
    cr_expect_eq(parse("{\"MESSAGE\":\"cut", &e), ER_JOURNAL_MALFORMED);
    cr_expect_eq(parse("-- No entries --", &e), ER_JOURNAL_MALFORMED);
    cr_expect_eq(parse("{\"a\":1} trailing", &e), ER_JOURNAL_MALFORMED);
}
