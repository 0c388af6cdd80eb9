# The test suite: unit tests of the pure modules, helper programs run under the preload,
# integration tests with real programs, hardening tests, and the reproduction scenarios.
# Every suite runs programs through one spawner (tests/common/testspawn.c), as do the helpers
# that must see one of their threads asleep in the library's wait.
ER_SPAWN = tests/common/testspawn.c tests/common/testspawn.h
ER_SPAWN_CPP = -I$(top_srcdir)/tests/common

include tests/unit/local.mk
include tests/fuzz/local.mk
include tests/integration/local.mk
include tests/hardening/local.mk
include tests/reproduce/local.mk
include tests/audit/local.mk
include tests/seccomp/local.mk
include tests/package/local.mk
include tests/docs/local.mk
include tests/boot/local.mk
# Errno names for the helpers, also where the C library lacks strerrorname_np (glibc < 2.32).
EXTRA_DIST += tests/common/errname.h
