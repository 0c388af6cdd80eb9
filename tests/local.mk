# The test suite: unit tests of the pure modules, helper programs run under the preload,
# integration tests with real programs, hardening tests, and the reproduction scenarios.
include tests/unit/local.mk
include tests/fuzz/local.mk
include tests/integration/local.mk
include tests/hardening/local.mk
include tests/reproduce/local.mk
include tests/audit/local.mk
include tests/package/local.mk
include tests/docs/local.mk
