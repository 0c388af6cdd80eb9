# Benchmarks: `make bench` measures the costs of the preload and prints one table (see
# docs/performance.md). Never part of `make check`: timings on a shared machine are no test.
# The program is built only for `make bench`, never by `make` or `make check`.
EXTRA_PROGRAMS = bench/microbench
bench_microbench_SOURCES = bench/microbench.c
bench_microbench_CFLAGS = $(AM_CFLAGS) -pthread
bench_microbench_LDFLAGS = -pthread
CLEANFILES += bench/microbench$(EXEEXT)

dist_noinst_SCRIPTS += scripts/bench scripts/bench-seccomp
EXTRA_DIST += bench/run.py docs/performance.md

bench: src/lib/libearlyrandom.la bench/microbench$(EXEEXT) src/cli/earlyrandom$(EXEEXT) \
		tests/seccomp/sc-probe$(EXEEXT) tests/seccomp/sc-probe-static$(EXEEXT)
	@EARLYRANDOM_BENCH_LIB=$(abs_top_builddir)/src/lib/.libs/libearlyrandom.so \
	EARLYRANDOM_BENCH_COMMAND=$(abs_top_builddir)/src/cli/earlyrandom$(EXEEXT) \
	EARLYRANDOM_BENCH_PROGRAM=$(abs_top_builddir)/bench/microbench$(EXEEXT) \
	$(top_srcdir)/scripts/bench
	@EARLYRANDOM=$(abs_top_builddir)/src/cli/earlyrandom$(EXEEXT) \
	EARLYRANDOM_SC_PROBE=$(abs_top_builddir)/tests/seccomp/sc-probe$(EXEEXT) \
	EARLYRANDOM_SC_PROBE_STATIC=$(abs_top_builddir)/tests/seccomp/sc-probe-static$(EXEEXT) \
	$(top_srcdir)/scripts/bench-seccomp
.PHONY: bench
