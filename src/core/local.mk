# The pure modules: parsing, the decision table, weak bytes, log formatting. No I/O.
ER_CORE_SOURCES = \
	src/core/config.c src/core/config.h \
	src/core/conffile.c src/core/conffile.h \
	src/core/strbuf.c src/core/strbuf.h \
	src/core/duration.c src/core/duration.h \
	src/core/kmsg.c src/core/kmsg.h \
	src/core/logrec.c src/core/logrec.h src/core/errnames.h \
	src/core/policy.c src/core/policy.h \
	src/core/ring.c src/core/ring.h \
	src/core/weak.c src/core/weak.h

# Linked into the preload, which must not carry a sanitizer runtime into other programs.
noinst_LTLIBRARIES += src/core/libercore.la
src_core_libercore_la_SOURCES = $(ER_CORE_SOURCES)

# The same modules for the command and the tests, sanitized when configured so.
noinst_LTLIBRARIES += src/core/libercore-checked.la
src_core_libercore_checked_la_SOURCES = $(ER_CORE_SOURCES)
src_core_libercore_checked_la_CFLAGS = $(AM_CFLAGS) $(SANITIZE_CFLAGS)
