# Unit tests of the pure modules (src/core), one Criterion program per module. They link the
# sanitized copy of the core, so --enable-sanitizers covers them too.
if HAVE_CRITERION
ER_UNIT_TESTS = \
	tests/unit/test-duration \
	tests/unit/test-config \
	tests/unit/test-conffile \
	tests/unit/test-policy \
	tests/unit/test-kernel \
	tests/unit/test-weak \
	tests/unit/test-ring \
	tests/unit/test-logrec \
	tests/unit/test-nextsym \
	tests/unit/test-fdtrack \
	tests/unit/test-ktrace
check_PROGRAMS += $(ER_UNIT_TESTS)
TESTS += $(ER_UNIT_TESTS)

ER_UNIT_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(SANITIZE_CFLAGS)
ER_UNIT_LDADD = src/core/libercore-checked.la $(CRITERION_LIBS)

tests_unit_test_duration_SOURCES = tests/unit/test_duration.c
tests_unit_test_duration_CFLAGS = $(ER_UNIT_CFLAGS)
tests_unit_test_duration_LDADD = $(ER_UNIT_LDADD)
tests_unit_test_duration_LDFLAGS = $(SANITIZE_CFLAGS)

tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_CFLAGS = $(ER_UNIT_CFLAGS)
tests_unit_test_config_LDADD = $(ER_UNIT_LDADD)
tests_unit_test_config_LDFLAGS = $(SANITIZE_CFLAGS)

tests_unit_test_conffile_SOURCES = tests/unit/test_conffile.c
tests_unit_test_conffile_CFLAGS = $(ER_UNIT_CFLAGS)
tests_unit_test_conffile_LDADD = $(ER_UNIT_LDADD)
tests_unit_test_conffile_LDFLAGS = $(SANITIZE_CFLAGS)

tests_unit_test_policy_SOURCES = tests/unit/test_policy.c
tests_unit_test_policy_CFLAGS = $(ER_UNIT_CFLAGS)
tests_unit_test_policy_LDADD = $(ER_UNIT_LDADD)
tests_unit_test_policy_LDFLAGS = $(SANITIZE_CFLAGS)

tests_unit_test_kernel_SOURCES = tests/unit/test_kernel.c
tests_unit_test_kernel_CFLAGS = $(ER_UNIT_CFLAGS)
tests_unit_test_kernel_LDADD = $(ER_UNIT_LDADD)
tests_unit_test_kernel_LDFLAGS = $(SANITIZE_CFLAGS)

tests_unit_test_weak_SOURCES = tests/unit/test_weak.c
tests_unit_test_weak_CFLAGS = $(ER_UNIT_CFLAGS)
tests_unit_test_weak_LDADD = $(ER_UNIT_LDADD)
tests_unit_test_weak_LDFLAGS = $(SANITIZE_CFLAGS)

tests_unit_test_ring_SOURCES = tests/unit/test_ring.c
tests_unit_test_ring_CFLAGS = $(ER_UNIT_CFLAGS)
tests_unit_test_ring_LDADD = $(ER_UNIT_LDADD) -lpthread
tests_unit_test_ring_LDFLAGS = $(SANITIZE_CFLAGS)

# The preload's own symbol lookup, compiled in beside its test; the SysV-hash-only object is the
# case no system library shows it.
tests_unit_test_fdtrack_SOURCES = tests/unit/test_fdtrack.c src/lib/fdtrack.c src/lib/fdtrack.h
tests_unit_test_fdtrack_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/lib
tests_unit_test_fdtrack_CFLAGS = $(ER_UNIT_CFLAGS) -pthread
tests_unit_test_fdtrack_LDADD = $(CRITERION_LIBS) -lpthread
tests_unit_test_fdtrack_LDFLAGS = $(SANITIZE_CFLAGS)
tests_unit_test_nextsym_SOURCES = tests/unit/test_nextsym.c src/lib/nextsym.c src/lib/nextsym.h
tests_unit_test_nextsym_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/lib \
	-DNEXTSYM_SYSV_LIBRARY='"$(abs_builddir)/tests/unit/.libs/libnextsym-sysv.so"'
tests_unit_test_nextsym_CFLAGS = $(ER_UNIT_CFLAGS)
tests_unit_test_nextsym_LDADD = $(CRITERION_LIBS) $(LIBS)
tests_unit_test_nextsym_LDFLAGS = $(SANITIZE_CFLAGS)
tests_unit_test_nextsym_DEPENDENCIES = tests/unit/libnextsym-sysv.la
check_LTLIBRARIES += tests/unit/libnextsym-sysv.la
tests_unit_libnextsym_sysv_la_SOURCES = tests/unit/nextsym-sysv.c
tests_unit_libnextsym_sysv_la_LDFLAGS = -module -avoid-version -shared \
	-rpath $(abs_builddir)/tests/unit -Wl,--hash-style=sysv

# jsonv.[ch] is a strict JSON validator shared with the fuzz harnesses.
tests_unit_test_logrec_SOURCES = tests/unit/test_logrec.c tests/unit/jsonv.c tests/unit/jsonv.h
tests_unit_test_logrec_CFLAGS = $(ER_UNIT_CFLAGS)
tests_unit_test_logrec_LDADD = $(ER_UNIT_LDADD)
tests_unit_test_logrec_LDFLAGS = $(SANITIZE_CFLAGS)

# The kernel trace parser is the command's, but pure: the test compiles it in by itself.
tests_unit_test_ktrace_SOURCES = tests/unit/test_ktrace.c src/cli/ktrace.c src/cli/ktrace.h
tests_unit_test_ktrace_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/cli
tests_unit_test_ktrace_CFLAGS = $(ER_UNIT_CFLAGS)
tests_unit_test_ktrace_LDADD = $(CRITERION_LIBS)
tests_unit_test_ktrace_LDFLAGS = $(SANITIZE_CFLAGS)
endif
