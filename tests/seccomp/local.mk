# The syscall engine (earlyrandom --engine): real programs the preload cannot see (a static C
# program, a raw system call from inline assembly, busybox, a Go program, a program whose only
# request is malloc's) under every policy; the vDSO's getrandom (glibc 2.41, Go 1.24) sent back to
# the system call; the engines together; signals, threads, fork and exec,
# the command killed mid-hold; and a kernel or sandbox without seccomp. Shell tests, run with
# TEST_LOG_COMPILER (EARLYRANDOM is the command of this build tree).
check_PROGRAMS += tests/seccomp/sc-probe tests/seccomp/sc-probe-static
tests_seccomp_sc_probe_SOURCES = tests/seccomp/sc-probe.c
tests_seccomp_sc_probe_LDADD = -lpthread
tests_seccomp_sc_probe_static_SOURCES = tests/seccomp/sc-probe.c
tests_seccomp_sc_probe_static_LDFLAGS = -all-static
tests_seccomp_sc_probe_static_LDADD = -lpthread

ER_SECCOMP_TESTS = \
	tests/seccomp/policies.test \
	tests/seccomp/engines.test \
	tests/seccomp/devices.test \
	tests/seccomp/go.test \
	tests/seccomp/vdso.test \
	tests/seccomp/vdso-go.test \
	tests/seccomp/i386.test \
	tests/seccomp/hardening.test \
	tests/seccomp/unavailable.test
TESTS += $(ER_SECCOMP_TESTS)
EXTRA_DIST += $(ER_SECCOMP_TESTS) tests/seccomp/lib.sh tests/seccomp/gorand.go \
	tests/seccomp/probe32.c
