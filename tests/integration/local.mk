# Helper programs built plain and with _FORTIFY_SOURCE=2, and the Criterion tests that run them
# (and real programs) under the preload.

check_PROGRAMS += tests/helpers/er-probe tests/helpers/er-probe-fortified
tests_helpers_er_probe_SOURCES = tests/helpers/er-probe.c $(ER_SPAWN)
tests_helpers_er_probe_CPPFLAGS = $(AM_CPPFLAGS) $(ER_SPAWN_CPP)
tests_helpers_er_probe_CFLAGS = $(AM_CFLAGS) $(SANITIZE_CFLAGS) -O2 -U_FORTIFY_SOURCE -pthread
tests_helpers_er_probe_LDFLAGS = $(SANITIZE_CFLAGS) -pthread
tests_helpers_er_probe_fortified_SOURCES = tests/helpers/er-probe.c $(ER_SPAWN)
tests_helpers_er_probe_fortified_CPPFLAGS = $(AM_CPPFLAGS) $(ER_SPAWN_CPP)
tests_helpers_er_probe_fortified_CFLAGS = $(AM_CFLAGS) $(SANITIZE_CFLAGS) -O2 -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2 -pthread
tests_helpers_er_probe_fortified_LDFLAGS = $(SANITIZE_CFLAGS) -pthread
# er-probe-gapped: its segments aligned to 2 MiB leave holes between them in memory, as node's do,
# so the loader finds each segment as an object of its own.
check_PROGRAMS += tests/helpers/er-probe-gapped
tests_helpers_er_probe_gapped_SOURCES = tests/helpers/er-probe.c $(ER_SPAWN)
tests_helpers_er_probe_gapped_CPPFLAGS = $(AM_CPPFLAGS) $(ER_SPAWN_CPP)
tests_helpers_er_probe_gapped_CFLAGS = $(AM_CFLAGS) $(SANITIZE_CFLAGS) -O2 -pthread
tests_helpers_er_probe_gapped_LDFLAGS = $(SANITIZE_CFLAGS) -pthread -Wl,-z,max-page-size=0x200000

# fd-census takes a census of the program's descriptors around its entropy requests.
check_PROGRAMS += tests/helpers/fd-census
tests_helpers_fd_census_SOURCES = tests/helpers/fd-census.c
tests_helpers_fd_census_CFLAGS = $(AM_CFLAGS) $(SANITIZE_CFLAGS)
tests_helpers_fd_census_LDFLAGS = $(SANITIZE_CFLAGS)

# er-callsites loads two shared objects of the same code, one after the other, at one address.
check_PROGRAMS += tests/helpers/er-callsites
tests_helpers_er_callsites_SOURCES = tests/helpers/er-callsites.c
tests_helpers_er_callsites_LDADD = $(LIBS)
check_LTLIBRARIES += tests/helpers/libcallsite-a.la tests/helpers/libcallsite-b.la
tests_helpers_libcallsite_a_la_SOURCES = tests/helpers/callsite-lib.c
tests_helpers_libcallsite_a_la_CPPFLAGS = $(AM_CPPFLAGS) -DSITE=a
tests_helpers_libcallsite_a_la_LDFLAGS = -module -avoid-version -shared -rpath $(abs_builddir)/tests/helpers
tests_helpers_libcallsite_b_la_SOURCES = tests/helpers/callsite-lib.c
tests_helpers_libcallsite_b_la_CPPFLAGS = $(AM_CPPFLAGS) -DSITE=b
tests_helpers_libcallsite_b_la_LDFLAGS = -module -avoid-version -shared -rpath $(abs_builddir)/tests/helpers

if HAVE_CRITERION
ER_INTEGRATION_TESTS = \
	tests/integration/test-invisible \
	tests/integration/test-entrypoints \
	tests/integration/test-waiting \
	tests/integration/test-config-and-log \
	tests/integration/test-journal \
	tests/integration/test-kernels \
	tests/integration/test-programs
check_PROGRAMS += $(ER_INTEGRATION_TESTS)
TESTS += $(ER_INTEGRATION_TESTS)

ER_IT_CPP = $(AM_CPPFLAGS) $(ER_SPAWN_CPP) \
	-DER_LIBRARY='"$(abs_top_builddir)/src/lib/.libs/libearlyrandom.so"' \
	-DER_PROBE_PLAIN='"$(abs_top_builddir)/tests/helpers/er-probe"' \
	-DER_PROBE_FORTIFIED='"$(abs_top_builddir)/tests/helpers/er-probe-fortified"' \
	-DER_PROBE_GAPPED='"$(abs_top_builddir)/tests/helpers/er-probe-gapped"' \
	-DER_FD_CENSUS='"$(abs_top_builddir)/tests/helpers/fd-census"' \
	-DER_CALLSITES='"$(abs_top_builddir)/tests/helpers/er-callsites"' \
	-DER_CALLSITE_A='"$(abs_top_builddir)/tests/helpers/.libs/libcallsite-a.so"' \
	-DER_CALLSITE_B='"$(abs_top_builddir)/tests/helpers/.libs/libcallsite-b.so"' \
	-DER_COMMAND='"$(abs_top_builddir)/src/cli/earlyrandom"'
ER_IT_CC = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(SANITIZE_CFLAGS)
ER_IT_LIBS = $(CRITERION_LIBS) -lpthread
ER_IT_COMMON = tests/integration/probe.h $(ER_SPAWN)

tests_integration_test_invisible_SOURCES = tests/integration/test_invisible.c $(ER_IT_COMMON)
tests_integration_test_invisible_CPPFLAGS = $(ER_IT_CPP)
tests_integration_test_invisible_CFLAGS = $(ER_IT_CC)
tests_integration_test_invisible_LDADD = $(ER_IT_LIBS)
tests_integration_test_invisible_LDFLAGS = $(SANITIZE_CFLAGS)
tests_integration_test_entrypoints_SOURCES = tests/integration/test_entrypoints.c $(ER_IT_COMMON)
tests_integration_test_entrypoints_CPPFLAGS = $(ER_IT_CPP)
tests_integration_test_entrypoints_CFLAGS = $(ER_IT_CC)
tests_integration_test_entrypoints_LDADD = $(ER_IT_LIBS)
tests_integration_test_entrypoints_LDFLAGS = $(SANITIZE_CFLAGS)
tests_integration_test_kernels_SOURCES = tests/integration/test_kernels.c $(ER_IT_COMMON)
tests_integration_test_kernels_CPPFLAGS = $(ER_IT_CPP)
tests_integration_test_kernels_CFLAGS = $(ER_IT_CC)
tests_integration_test_kernels_LDADD = $(ER_IT_LIBS)
tests_integration_test_kernels_LDFLAGS = $(SANITIZE_CFLAGS)
tests_integration_test_waiting_SOURCES = tests/integration/test_waiting.c $(ER_IT_COMMON)
tests_integration_test_waiting_CPPFLAGS = $(ER_IT_CPP)
tests_integration_test_waiting_CFLAGS = $(ER_IT_CC)
tests_integration_test_waiting_LDADD = $(ER_IT_LIBS)
tests_integration_test_waiting_LDFLAGS = $(SANITIZE_CFLAGS)
tests_integration_test_config_and_log_SOURCES = tests/integration/test_config_and_log.c $(ER_IT_COMMON)
tests_integration_test_config_and_log_CPPFLAGS = $(ER_IT_CPP)
tests_integration_test_config_and_log_CFLAGS = $(ER_IT_CC)
tests_integration_test_config_and_log_LDADD = $(ER_IT_LIBS)
tests_integration_test_config_and_log_LDFLAGS = $(SANITIZE_CFLAGS)
tests_integration_test_journal_SOURCES = tests/integration/test_journal.c $(ER_IT_COMMON)
tests_integration_test_journal_CPPFLAGS = $(ER_IT_CPP)
tests_integration_test_journal_CFLAGS = $(ER_IT_CC)
tests_integration_test_journal_LDADD = $(ER_IT_LIBS)
tests_integration_test_journal_LDFLAGS = $(SANITIZE_CFLAGS)
tests_integration_test_programs_SOURCES = tests/integration/test_programs.c $(ER_IT_COMMON)
tests_integration_test_programs_CPPFLAGS = $(ER_IT_CPP)
tests_integration_test_programs_CFLAGS = $(ER_IT_CC)
tests_integration_test_programs_LDADD = $(ER_IT_LIBS)
tests_integration_test_programs_LDFLAGS = $(SANITIZE_CFLAGS)
endif
