# libFuzzer harnesses: not part of 'make check'; tests/fuzz/run-fuzz builds and runs them with
# clang directly (CI calls it).
EXTRA_DIST += \
	tests/fuzz/run-fuzz \
	tests/fuzz/fuzz_settings.c \
	tests/fuzz/fuzz_logrec.c \
	tests/fuzz/fuzz_conffile.c \
	tests/fuzz/settings.dict \
	tests/fuzz/logrec.dict \
	tests/fuzz/conffile.dict
