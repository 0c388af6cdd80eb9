# The earlyrandom command. Everything but main.c is a convenience library, so that the unit tests
# link exactly the objects the command runs.
noinst_LTLIBRARIES += src/cli/libercli.la
src_cli_libercli_la_SOURCES = \
	src/cli/audit.c src/cli/audit.h \
	src/cli/binprobe.c src/cli/binprobe.h \
	src/cli/bootview.c src/cli/bootview.h \
	src/cli/coverage.c src/cli/coverage.h \
	src/cli/hang.c src/cli/hang.h \
	src/cli/journal.c src/cli/journal.h \
	src/cli/kernlog.c src/cli/kernlog.h \
	src/cli/ktrace.c src/cli/ktrace.h \
	src/cli/logparse.c src/cli/logparse.h \
	src/cli/options.c src/cli/options.h \
	src/cli/plan.c src/cli/plan.h \
	src/cli/report.c src/cli/report.h \
	src/cli/ringdrain.c src/cli/ringdrain.h \
	src/cli/run.c src/cli/run.h \
	src/cli/summary.c src/cli/summary.h \
	src/cli/tail.c src/cli/tail.h \
	src/cli/timeline.c src/cli/timeline.h \
	src/cli/tree.c src/cli/tree.h
# The installed library's place, the last one the command looks in.
src_cli_libercli_la_CPPFLAGS = $(AM_CPPFLAGS) -DPKGLIBDIR=\"$(pkglibdir)\"
src_cli_libercli_la_CFLAGS = $(AM_CFLAGS) $(SANITIZE_CFLAGS)

ER_CLI_LIBS = src/cli/libercli.la src/core/libercore-checked.la

bin_PROGRAMS += src/cli/earlyrandom
src_cli_earlyrandom_SOURCES = src/cli/main.c
src_cli_earlyrandom_CFLAGS = $(AM_CFLAGS) $(SANITIZE_CFLAGS)
src_cli_earlyrandom_LDFLAGS = $(SANITIZE_CFLAGS)
src_cli_earlyrandom_LDADD = $(ER_CLI_LIBS)

dist_man_MANS += man/earlyrandom.1 man/libearlyrandom.7
# The README's picture, made by scripts/timeline-picture.
EXTRA_DIST += docs/demo-timeline.svg scripts/timeline-picture

# Tests of the command: unit tests of its pure parts, and runs of the built command.
if HAVE_CRITERION
ER_CLI_TEST_CPP = $(AM_CPPFLAGS) -I$(top_srcdir)/src/cli \
	-DER_ABS_BUILDDIR=\"$(abs_top_builddir)\" -DER_ABS_SRCDIR=\"$(abs_top_srcdir)\"
ER_CLI_TEST_CC = $(AM_CFLAGS) $(SANITIZE_CFLAGS) $(CRITERION_CFLAGS)
ER_CLI_TEST_LD = $(SANITIZE_CFLAGS)
ER_CLI_TEST_LIBS = $(ER_CLI_LIBS) $(CRITERION_LIBS)

ER_CLI_TESTS = \
	tests/cli/test-options \
	tests/cli/test-logparse \
	tests/cli/test-journal \
	tests/cli/test-summary \
	tests/cli/test-units \
	tests/cli/test-timeline \
	tests/cli/test-run \
	tests/cli/test-trace
check_PROGRAMS += $(ER_CLI_TESTS)
TESTS += $(ER_CLI_TESTS)

tests_cli_test_options_SOURCES = tests/cli/test-options.c
tests_cli_test_options_CPPFLAGS = $(ER_CLI_TEST_CPP)
tests_cli_test_options_CFLAGS = $(ER_CLI_TEST_CC)
tests_cli_test_options_LDFLAGS = $(ER_CLI_TEST_LD)
tests_cli_test_options_LDADD = $(ER_CLI_TEST_LIBS)

tests_cli_test_logparse_SOURCES = tests/cli/test-logparse.c
tests_cli_test_logparse_CPPFLAGS = $(ER_CLI_TEST_CPP)
tests_cli_test_logparse_CFLAGS = $(ER_CLI_TEST_CC)
tests_cli_test_logparse_LDFLAGS = $(ER_CLI_TEST_LD)
tests_cli_test_logparse_LDADD = $(ER_CLI_TEST_LIBS)
tests_cli_test_journal_SOURCES = tests/cli/test-journal.c
tests_cli_test_journal_CPPFLAGS = $(ER_CLI_TEST_CPP)
tests_cli_test_journal_CFLAGS = $(ER_CLI_TEST_CC)
tests_cli_test_journal_LDFLAGS = $(ER_CLI_TEST_LD)
tests_cli_test_journal_LDADD = $(ER_CLI_TEST_LIBS)

tests_cli_test_summary_SOURCES = tests/cli/test-summary.c
tests_cli_test_summary_CPPFLAGS = $(ER_CLI_TEST_CPP)
tests_cli_test_summary_CFLAGS = $(ER_CLI_TEST_CC)
tests_cli_test_summary_LDFLAGS = $(ER_CLI_TEST_LD)
tests_cli_test_summary_LDADD = $(ER_CLI_TEST_LIBS)

tests_cli_test_units_SOURCES = tests/cli/test-units.c $(ER_SPAWN)
tests_cli_test_units_CPPFLAGS = $(ER_CLI_TEST_CPP) $(ER_SPAWN_CPP)
tests_cli_test_units_CFLAGS = $(ER_CLI_TEST_CC)
tests_cli_test_units_LDFLAGS = $(ER_CLI_TEST_LD)
tests_cli_test_units_LDADD = $(ER_CLI_TEST_LIBS)

tests_cli_test_timeline_SOURCES = tests/cli/test-timeline.c
tests_cli_test_timeline_CPPFLAGS = $(ER_CLI_TEST_CPP)
tests_cli_test_timeline_CFLAGS = $(ER_CLI_TEST_CC)
tests_cli_test_timeline_LDFLAGS = $(ER_CLI_TEST_LD)
tests_cli_test_timeline_LDADD = $(ER_CLI_TEST_LIBS)

tests_cli_test_run_SOURCES = tests/cli/test-run.c $(ER_SPAWN)
tests_cli_test_run_CPPFLAGS = $(ER_CLI_TEST_CPP) $(ER_SPAWN_CPP)
tests_cli_test_run_CFLAGS = $(ER_CLI_TEST_CC)
tests_cli_test_run_LDFLAGS = $(ER_CLI_TEST_LD)
tests_cli_test_run_LDADD = $(ER_CLI_TEST_LIBS)

tests_cli_test_trace_SOURCES = tests/cli/test-trace.c $(ER_SPAWN)
tests_cli_test_trace_CPPFLAGS = $(ER_CLI_TEST_CPP) $(ER_SPAWN_CPP)
tests_cli_test_trace_CFLAGS = $(ER_CLI_TEST_CC)
tests_cli_test_trace_LDFLAGS = $(ER_CLI_TEST_LD)
tests_cli_test_trace_LDADD = $(ER_CLI_TEST_LIBS)

# Programs the library cannot see into: one statically linked, one that looks like Go.
check_PROGRAMS += tests/cli/static-helper tests/cli/fake-go
tests_cli_static_helper_SOURCES = tests/cli/static-helper.c
tests_cli_static_helper_LDFLAGS = -all-static
tests_cli_fake_go_SOURCES = tests/cli/fake-go.c
endif

EXTRA_DIST += \
	tests/cli/data/sample.jsonl \
	tests/cli/data/second.jsonl \
	tests/cli/data/garbage.jsonl \
	tests/cli/data/engines.jsonl \
	tests/cli/data/trace/trace.txt \
	tests/cli/data/trace/dmesg.txt \
	tests/cli/data/trace/log.jsonl \
	tests/data/realboot/README.md \
	tests/data/realboot/trace.txt \
	tests/data/realboot/dmesg.txt \
	tests/data/realboot/log.jsonl \
	tests/data/initramfs/README.md \
	tests/data/initramfs/trim.py \
	tests/data/initramfs/trace.txt \
	tests/data/initramfs/dmesg.txt
CLEANFILES += tests/cli/setuid-true
