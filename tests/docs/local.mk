# The documentation's commands, run as written: docs/ci.md.
TESTS += tests/docs/test-ci-md
dist_noinst_SCRIPTS += tests/docs/test-ci-md
EXTRA_DIST += docs/ci.md
