# The Debian package: built from the tree (dpkg-buildpackage, lintian), installed, used, upgraded,
# removed and purged with the boot audit enabled in a copy of the audit's Debian root file system
# (tests/package/test-deb). It runs as root; its .deb is cached in tests/package/deb. The bash
# completion the package installs, under bash-completion (tests/package/test-completion).
TESTS += tests/package/test-completion tests/package/test-deb

dist_noinst_SCRIPTS += tests/package/test-completion tests/package/test-deb tests/package/build-deb tests/package/in-root.sh
EXTRA_DIST += \
	debian/changelog \
	debian/control \
	debian/copyright \
	debian/earlyrandom.lintian-overrides \
	debian/earlyrandom.postinst \
	debian/earlyrandom.postrm \
	debian/earlyrandom.prerm \
	debian/rules \
	debian/source/format

clean-local: clean-local-package
clean-local-package:
	-rm -rf tests/package/deb tests/package/root tests/package/in-root \
		tests/package/in-root.log tests/package/rootfs.log tests/package/contents.txt
.PHONY: clean-local-package
