# Hardening tests: descriptors, secure execution, threads and processes, signals, other preloads,
# log integrity under load, bad settings at the process level, valgrind, errno. Helper programs
# built plain, fortified and (for valgrind, setuid runs and co-preloaded allocators, which do not
# mix with ASan) without sanitizers; two small shared objects; Criterion programs that run them.
ER_HARD_HELPER_CC = $(AM_CFLAGS) -O2 -U_FORTIFY_SOURCE -pthread

check_PROGRAMS += tests/hardening/hard-helper tests/hardening/hard-helper-fortified \
	tests/hardening/hard-helper-nosan tests/hardening/hard-ctor-prog
tests_hardening_hard_helper_SOURCES = tests/hardening/hard-helper.c $(ER_SPAWN)
tests_hardening_hard_helper_CPPFLAGS = $(AM_CPPFLAGS) $(ER_SPAWN_CPP)
tests_hardening_hard_helper_CFLAGS = $(ER_HARD_HELPER_CC) $(SANITIZE_CFLAGS)
tests_hardening_hard_helper_LDFLAGS = $(SANITIZE_CFLAGS) -pthread
tests_hardening_hard_helper_fortified_SOURCES = tests/hardening/hard-helper.c $(ER_SPAWN)
tests_hardening_hard_helper_fortified_CPPFLAGS = $(AM_CPPFLAGS) $(ER_SPAWN_CPP)
tests_hardening_hard_helper_fortified_CFLAGS = $(ER_HARD_HELPER_CC) $(SANITIZE_CFLAGS) -D_FORTIFY_SOURCE=2
tests_hardening_hard_helper_fortified_LDFLAGS = $(SANITIZE_CFLAGS) -pthread
tests_hardening_hard_helper_nosan_SOURCES = tests/hardening/hard-helper.c $(ER_SPAWN)
tests_hardening_hard_helper_nosan_CPPFLAGS = $(AM_CPPFLAGS) $(ER_SPAWN_CPP)
tests_hardening_hard_helper_nosan_CFLAGS = $(ER_HARD_HELPER_CC)
tests_hardening_hard_helper_nosan_LDFLAGS = -pthread

# A library whose constructor asks for entropy, and a program linked with it (-no-install: a
# real binary with the library's build directory in its run path, no libtool wrapper script);
# a preload that interposes the allocator and asks for entropy inside malloc and calloc. Never
# sanitized: they are loaded into other programs. -rpath makes libtool build them shared.
check_LTLIBRARIES += tests/hardening/libhardctor.la tests/hardening/libhardalloc.la
tests_hardening_libhardctor_la_SOURCES = tests/hardening/hard-ctor-lib.c
tests_hardening_libhardctor_la_LDFLAGS = -avoid-version -shared -rpath $(abs_builddir)/tests/hardening
tests_hardening_libhardalloc_la_SOURCES = tests/hardening/hard-alloc-preload.c
tests_hardening_libhardalloc_la_CFLAGS = $(AM_CFLAGS) -ftls-model=initial-exec
tests_hardening_libhardalloc_la_LDFLAGS = -module -avoid-version -shared -rpath $(abs_builddir)/tests/hardening
tests_hardening_hard_ctor_prog_SOURCES = tests/hardening/hard-ctor-prog.c
tests_hardening_hard_ctor_prog_LDADD = tests/hardening/libhardctor.la
tests_hardening_hard_ctor_prog_LDFLAGS = -no-install

EXTRA_DIST += tests/hardening/secure-sandbox.sh tests/hardening/valgrind.supp

if HAVE_CRITERION
ER_HARD_TESTS = \
	tests/hardening/test-hard-descriptors \
	tests/hardening/test-hard-secure \
	tests/hardening/test-hard-threads \
	tests/hardening/test-hard-signals \
	tests/hardening/test-hard-coexist \
	tests/hardening/test-hard-log \
	tests/hardening/test-hard-badenv \
	tests/hardening/test-hard-valgrind
check_PROGRAMS += $(ER_HARD_TESTS)
TESTS += $(ER_HARD_TESTS)

if SANITIZE
ER_HARD_SANITIZED = 1
else
ER_HARD_SANITIZED = 0
endif
ER_HARD_CPP = $(AM_CPPFLAGS) $(ER_SPAWN_CPP) -I$(top_srcdir)/tests/unit \
	-DER_LIBRARY='"$(abs_top_builddir)/src/lib/.libs/libearlyrandom.so"' \
	-DER_PROBE_PLAIN='"$(abs_top_builddir)/tests/helpers/er-probe"' \
	-DER_PROBE_FORTIFIED='"$(abs_top_builddir)/tests/helpers/er-probe-fortified"' \
	-DER_COMMAND='"$(abs_top_builddir)/src/cli/earlyrandom"' \
	-DHARD_HELPER_PLAIN='"$(abs_top_builddir)/tests/hardening/hard-helper"' \
	-DHARD_HELPER_FORTIFIED='"$(abs_top_builddir)/tests/hardening/hard-helper-fortified"' \
	-DHARD_HELPER_NOSAN='"$(abs_top_builddir)/tests/hardening/hard-helper-nosan"' \
	-DHARD_CTOR_LIB='"$(abs_top_builddir)/tests/hardening/.libs/libhardctor.so"' \
	-DHARD_CTOR_PROG='"$(abs_top_builddir)/tests/hardening/hard-ctor-prog"' \
	-DHARD_ALLOC_LIB='"$(abs_top_builddir)/tests/hardening/.libs/libhardalloc.so"' \
	-DHARD_SRCDIR='"$(abs_top_srcdir)/tests/hardening"' \
	-DHARD_SANITIZED=$(ER_HARD_SANITIZED)
ER_HARD_CC = $(AM_CFLAGS) $(CRITERION_CFLAGS) $(SANITIZE_CFLAGS)
ER_HARD_LIBS = $(CRITERION_LIBS) -lpthread
ER_HARD_COMMON = tests/hardening/hardening.c tests/hardening/hardening.h tests/unit/jsonv.c tests/unit/jsonv.h \
	$(ER_SPAWN)

tests_hardening_test_hard_descriptors_SOURCES = tests/hardening/test_descriptors.c $(ER_HARD_COMMON)
tests_hardening_test_hard_descriptors_CPPFLAGS = $(ER_HARD_CPP)
tests_hardening_test_hard_descriptors_CFLAGS = $(ER_HARD_CC)
tests_hardening_test_hard_descriptors_LDADD = $(ER_HARD_LIBS)
tests_hardening_test_hard_descriptors_LDFLAGS = $(SANITIZE_CFLAGS)
tests_hardening_test_hard_secure_SOURCES = tests/hardening/test_secure.c $(ER_HARD_COMMON)
tests_hardening_test_hard_secure_CPPFLAGS = $(ER_HARD_CPP)
tests_hardening_test_hard_secure_CFLAGS = $(ER_HARD_CC)
tests_hardening_test_hard_secure_LDADD = $(ER_HARD_LIBS)
tests_hardening_test_hard_secure_LDFLAGS = $(SANITIZE_CFLAGS)
tests_hardening_test_hard_threads_SOURCES = tests/hardening/test_threads.c $(ER_HARD_COMMON)
tests_hardening_test_hard_threads_CPPFLAGS = $(ER_HARD_CPP)
tests_hardening_test_hard_threads_CFLAGS = $(ER_HARD_CC)
tests_hardening_test_hard_threads_LDADD = $(ER_HARD_LIBS)
tests_hardening_test_hard_threads_LDFLAGS = $(SANITIZE_CFLAGS)
tests_hardening_test_hard_signals_SOURCES = tests/hardening/test_signals.c $(ER_HARD_COMMON)
tests_hardening_test_hard_signals_CPPFLAGS = $(ER_HARD_CPP)
tests_hardening_test_hard_signals_CFLAGS = $(ER_HARD_CC)
tests_hardening_test_hard_signals_LDADD = $(ER_HARD_LIBS)
tests_hardening_test_hard_signals_LDFLAGS = $(SANITIZE_CFLAGS)
tests_hardening_test_hard_coexist_SOURCES = tests/hardening/test_coexist.c $(ER_HARD_COMMON)
tests_hardening_test_hard_coexist_CPPFLAGS = $(ER_HARD_CPP)
tests_hardening_test_hard_coexist_CFLAGS = $(ER_HARD_CC)
tests_hardening_test_hard_coexist_LDADD = $(ER_HARD_LIBS)
tests_hardening_test_hard_coexist_LDFLAGS = $(SANITIZE_CFLAGS)
tests_hardening_test_hard_log_SOURCES = tests/hardening/test_log.c $(ER_HARD_COMMON)
tests_hardening_test_hard_log_CPPFLAGS = $(ER_HARD_CPP)
tests_hardening_test_hard_log_CFLAGS = $(ER_HARD_CC)
tests_hardening_test_hard_log_LDADD = $(ER_HARD_LIBS)
tests_hardening_test_hard_log_LDFLAGS = $(SANITIZE_CFLAGS)
tests_hardening_test_hard_badenv_SOURCES = tests/hardening/test_badenv.c $(ER_HARD_COMMON)
tests_hardening_test_hard_badenv_CPPFLAGS = $(ER_HARD_CPP)
tests_hardening_test_hard_badenv_CFLAGS = $(ER_HARD_CC)
tests_hardening_test_hard_badenv_LDADD = $(ER_HARD_LIBS)
tests_hardening_test_hard_badenv_LDFLAGS = $(SANITIZE_CFLAGS)
tests_hardening_test_hard_valgrind_SOURCES = tests/hardening/test_valgrind.c $(ER_HARD_COMMON)
tests_hardening_test_hard_valgrind_CPPFLAGS = $(ER_HARD_CPP)
tests_hardening_test_hard_valgrind_CFLAGS = $(ER_HARD_CC)
tests_hardening_test_hard_valgrind_LDADD = $(ER_HARD_LIBS)
tests_hardening_test_hard_valgrind_LDFLAGS = $(SANITIZE_CFLAGS)
endif
