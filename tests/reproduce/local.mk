# The reproduction scenarios (scripts/reproduce/NN-*) run as tests. Each exits 0 when what it
# observes matches what it expects, 1 when it does not, and 77 (SKIP, never PASS) when a program
# it needs is missing and cannot be installed. tests/reproduce/NN-NAME.test runs
# scripts/reproduce/NN-NAME; TEST_LOG_COMPILER hands it the command of this build tree, so that
# the scenarios never build anything themselves (and work from a read-only source tree, as in
# distcheck: they write only under mktemp -d).
ER_REPRODUCE_TESTS = \
	tests/reproduce/01-startup-hang.test \
	tests/reproduce/02-python-pep524.test \
	tests/reproduce/03-policies.test \
	tests/reproduce/04-fixes.test \
	tests/reproduce/05-ssh-keygen-same-key.test \
	tests/reproduce/06-java-securerandom.test \
	tests/reproduce/07-kernel-eras.test
TESTS += $(ER_REPRODUCE_TESTS)
TEST_LOG_COMPILER = env EARLYRANDOM='$(abs_top_builddir)/src/cli/earlyrandom' $(SHELL)

dist_noinst_SCRIPTS += \
	scripts/reproduce/01-startup-hang \
	scripts/reproduce/02-python-pep524 \
	scripts/reproduce/03-policies \
	scripts/reproduce/04-fixes \
	scripts/reproduce/05-ssh-keygen-same-key \
	scripts/reproduce/06-java-securerandom \
	scripts/reproduce/07-kernel-eras \
	scripts/reproduce/all
EXTRA_DIST += \
	$(ER_REPRODUCE_TESTS) \
	scripts/reproduce/lib.sh \
	scripts/reproduce/logq.py
