# The syscall engine: the seccomp filter, the handover of its listener, and the supervisor that
# answers trapped getrandom calls with the policy core's decisions and logs the opens of the
# random devices it is shown. Linked into the command.
src_cli_libercli_la_SOURCES += \
	src/seccomp/caller.c src/seccomp/caller.h src/seccomp/caller-elfclass.h \
	src/seccomp/compat.h \
	src/seccomp/devopen.c src/seccomp/devopen.h \
	src/seccomp/filter.c src/seccomp/filter.h \
	src/seccomp/supervisor.c src/seccomp/supervisor.h
