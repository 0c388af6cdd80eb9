# libearlyrandom.so: the preload. Hooks in src/lib/hooks/, one file per family; the shared
# machinery beside them; the pure decisions in src/core/.
pkglib_LTLIBRARIES += src/lib/libearlyrandom.la
src_lib_libearlyrandom_la_SOURCES = \
	src/lib/caller.c src/lib/caller.h \
	src/lib/devices.c src/lib/devices.h \
	src/lib/fdtrack.c src/lib/fdtrack.h \
	src/lib/nextsym.c src/lib/nextsym.h \
	src/lib/pool.c src/lib/pool.h \
	src/lib/rawsys.h \
	src/lib/real.c src/lib/real.h \
	src/lib/shim.c src/lib/shim.h \
	src/lib/sink.c src/lib/sink.h \
	src/lib/hooks/arc4random.c \
	src/lib/hooks/fdlife.c \
	src/lib/hooks/getentropy.c \
	src/lib/hooks/getrandom.c \
	src/lib/hooks/open.c \
	src/lib/hooks/poll.c \
	src/lib/hooks/read.c \
	src/lib/hooks/stdio.c
src_lib_libearlyrandom_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/lib
# Hidden by default, exported by name; initial-exec TLS so that no thread-local access allocates.
src_lib_libearlyrandom_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden -ftls-model=initial-exec
src_lib_libearlyrandom_la_LDFLAGS = -module -avoid-version -shared -no-undefined $(PRELOAD_LDFLAGS) \
	-Wl,--version-script=$(srcdir)/src/lib/exports.map
src_lib_libearlyrandom_la_LIBADD = src/core/libercore.la $(LIBS)
EXTRA_DIST += src/lib/exports.map
src_lib_libearlyrandom_la_DEPENDENCIES = src/core/libercore.la $(srcdir)/src/lib/exports.map

# Distributions ship the module alone; a libtool archive of a preload is of no use to anyone.
install-exec-hook: install-exec-hook-earlyrandom
install-exec-hook-earlyrandom:
	rm -f $(DESTDIR)$(pkglibdir)/libearlyrandom.la
uninstall-hook: uninstall-hook-earlyrandom
uninstall-hook-earlyrandom:
	rm -f $(DESTDIR)$(pkglibdir)/libearlyrandom.so
.PHONY: install-exec-hook-earlyrandom uninstall-hook-earlyrandom
