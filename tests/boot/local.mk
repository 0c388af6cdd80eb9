# A real boot in a VM (docs/boot-audit.md, "A real boot in a VM"): scripts/boot-vm boots a Debian
# image with the audit enabled in qemu with no entropy source, and tests/boot/vm.test checks what
# it collected. It skips (77, saying why) without root or when qemu, mmdebstrap or e2fsprogs cannot
# be installed. Not in TESTS: a cold run builds a root file system (minutes) and every run boots a
# VM, so it runs on its own, through the same harness: make check-boot.
EXTRA_DIST += \
	tests/boot/vm.test \
	scripts/boot-vm.d/earlyrandom-vm-collect \
	scripts/boot-vm.d/earlyrandom-vm-collect.service \
	scripts/boot-vm.d/earlyrandom-vm-early \
	scripts/boot-vm.d/earlyrandom-vm-early.service
dist_noinst_SCRIPTS += scripts/boot-vm

# Without the check programs and the chroot test's root file system, which check-TESTS would build
# first and this test does not use (scripts/boot-vm builds its own earlyrandom).
check-boot:
	$(MAKE) $(AM_MAKEFLAGS) check-TESTS TESTS=tests/boot/vm.test TEST_SUITE_LOG=tests/boot/boot-suite.log \
		check_PROGRAMS= check_LTLIBRARIES= check_DATA=
.PHONY: check-boot

clean-local: clean-local-boot
clean-local-boot:
	-rm -f tests/boot/boot-suite.log
.PHONY: clean-local-boot
