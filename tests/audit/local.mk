# Boot audit tests: 'earlyrandom audit' on temporary roots, 'earlyrandom report' on kernel log and
# journal dumps and on /dev/kmsg, and the real thing: a Debian root file system (debootstrap,
# cached in tests/audit/rootfs, or EARLYRANDOM_ROOTFS_CACHE) with its own /etc/ld.so.preload,
# entered with unshare and chroot (tests/audit/chroot-audit). They run as root.
if HAVE_CRITERION
ER_AUDIT_TESTS = \
	tests/audit/test-audit \
	tests/audit/test-report \
	tests/audit/test-chroot
check_PROGRAMS += $(ER_AUDIT_TESTS)
TESTS += $(ER_AUDIT_TESTS)

tests_audit_test_audit_SOURCES = tests/audit/test-audit.c $(ER_SPAWN)
tests_audit_test_audit_CPPFLAGS = $(ER_CLI_TEST_CPP) $(ER_SPAWN_CPP)
tests_audit_test_audit_CFLAGS = $(ER_CLI_TEST_CC)
tests_audit_test_audit_LDFLAGS = $(ER_CLI_TEST_LD)
tests_audit_test_audit_LDADD = $(ER_CLI_TEST_LIBS)

tests_audit_test_report_SOURCES = tests/audit/test-report.c $(ER_SPAWN)
tests_audit_test_report_CPPFLAGS = $(ER_CLI_TEST_CPP) $(ER_SPAWN_CPP)
tests_audit_test_report_CFLAGS = $(ER_CLI_TEST_CC)
tests_audit_test_report_LDFLAGS = $(ER_CLI_TEST_LD)
tests_audit_test_report_LDADD = $(ER_CLI_TEST_LIBS)

tests_audit_test_chroot_SOURCES = tests/audit/test-chroot.c
tests_audit_test_chroot_CPPFLAGS = $(ER_CLI_TEST_CPP)
tests_audit_test_chroot_CFLAGS = $(ER_CLI_TEST_CC)
tests_audit_test_chroot_LDFLAGS = $(ER_CLI_TEST_LD)
tests_audit_test_chroot_LDADD = $(ER_CLI_TEST_LIBS)
endif

# The timeline picture of 'report --svg/--html': its structure parsed back (python3), and its
# rendering in a real browser (chromium, headless); shell scripts run like the scenarios, with
# EARLYRANDOM set by TEST_LOG_COMPILER (tests/reproduce/local.mk).
TESTS += tests/audit/picture.test tests/audit/picture-browser.test
EXTRA_DIST += \
	tests/audit/picture.test \
	tests/audit/picture-browser.test \
	tests/audit/check-picture.py \
	tests/audit/data/picture.jsonl

# The root file system is built (debootstrap, the first time only) before any test starts, so
# that its minutes of dpkg do not run beside the tests that measure time. Best effort: without
# it, test-chroot builds it itself or fails saying why.
check_DATA = audit-rootfs
audit-rootfs:
	-@$(srcdir)/tests/audit/chroot-audit --prepare $(abs_top_builddir)
.PHONY: audit-rootfs

dist_noinst_SCRIPTS += tests/audit/chroot-audit
EXTRA_DIST += \
	tests/audit/data/boot.jsonl \
	tests/audit/data/dmesg.txt \
	tests/audit/data/journal.txt \
	tests/audit/data/kmsg.txt \
	docs/boot-audit.md

# The cached root file system and the last run's output: big, and root's.
clean-local: clean-local-audit
clean-local-audit:
	-rm -rf tests/audit/rootfs tests/audit/rootfs.new tests/audit/rootfs.lock \
		tests/audit/rootfs.debootstrap.log \
		tests/audit/chroot-out tests/audit/chroot-out.log
.PHONY: clean-local-audit
