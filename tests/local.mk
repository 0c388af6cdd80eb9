# The test suite: unit tests of the pure modules, helper programs run under the preload, and
# integration tests with real programs.
include tests/unit/local.mk
include tests/fuzz/local.mk
include tests/integration/local.mk
