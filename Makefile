# ember_persist.h — plain Make. Everything builds against the committed
# amalgamated header; it is regenerated from src/ only when asked (make header,
# needs python3), so a fresh clone builds with a C compiler and make alone.
# After editing src/, run make header; tools/amalgamate.py --check (CI, make
# parts) fails while the committed header is stale.
#
#   make            tools and examples
#   make demo       the tool and the main demo, run (files kept in build/demo)
#   make header     regenerate ember_persist.h from src/ (python3)
#   make install    PREFIX=/usr/local: the header, the tool and its man page
#   make test       the whole suite; ends with "N passed, N failed"
#   make test32     the suite as 32-bit programs
#   make cross      the suite on s390x, aarch64, armhf (qemu), i386, Windows (wine)
#   make size       library size per target and configuration (README table)
#   make compile-time  what including the header costs a build
#   make check      the suite under ASan+UBSan, then under valgrind
#   make tsan       the WAL and threads tests under ThreadSanitizer
#   make matrix     compile the header across compilers, standards and options
#   make bench      benchmarks (ratios against peers and physical limits)
#   make fuzz       build the libFuzzer targets (clang); make fuzz-replay runs the corpus
#   make parts      compile each src/<layer>/*.c on its own; check the layer rule

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wconversion
STD     := -std=c99
LDLIBS  ?= -lpthread -lm
LDLIBS_TEST ?= -lz -lcrypto $(LDLIBS)
BUILD   ?= build
# Cross builds (tools/cross.sh) set these: the executables' suffix (.exe for
# Windows) and defines for the test programs (EPT_NO_ZLIB, EPT_NO_OPENSSL
# where a target has no zlib/OpenSSL to link as an oracle).
EXE     ?=
TEST_DEFS ?=

HEADER  := ember_persist.h
PARTS   := $(wildcard src/*/*.h src/*/*.c src/*.txt)
TEST_SRCS    := $(wildcard tests/*/test_*.c)
SUPPORT_SRCS := $(wildcard tests/support/*.c)
EXAMPLE_SRCS := $(wildcard examples/*.c)
BENCH_SRCS   := $(wildcard bench/bench_*.c)
FUZZ_SRCS    := $(wildcard fuzz/fuzz_*.c)
TOOL_SRCS    := $(wildcard tools/cli/*.c)

TESTS    := $(patsubst tests/%.c,$(BUILD)/tests/%$(EXE),$(TEST_SRCS))
SUPPORT  := $(patsubst tests/support/%.c,$(BUILD)/support/%.o,$(SUPPORT_SRCS))
# Multi-file examples: one folder each under examples/, built as one program.
EXAMPLE_DIRS := $(patsubst %/,%,$(dir $(wildcard examples/*/main.c)))
EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%$(EXE),$(EXAMPLE_SRCS)) \
            $(patsubst examples/%,$(BUILD)/examples/%,$(EXAMPLE_DIRS)) \
            $(if $(filter examples/resp_server,$(EXAMPLE_DIRS)),$(BUILD)/examples/resp_server_poll,)
BENCHES  := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
TOOL     := $(if $(TOOL_SRCS),$(BUILD)/ember-persist$(EXE),)

.SECONDARY:
.PHONY: install all test test32 test-slow tsan cross size compile-time check asan valgrind matrix demo bench fuzz fuzz-replay parts clean header ctcheck ctcheck-selftest

all: $(TOOL) $(EXAMPLES)

# Only on request: a fresh checkout's timestamps must not call python3.
header:
	python3 tools/amalgamate.py

PREFIX  ?= /usr/local
DESTDIR ?=
install: $(TOOL)
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 $(HEADER) $(DESTDIR)$(PREFIX)/include/$(HEADER)
	install -m 755 $(TOOL) $(DESTDIR)$(PREFIX)/bin/ember-persist
	install -m 644 tools/cli/ember-persist.1 $(DESTDIR)$(PREFIX)/share/man/man1/ember-persist.1

# One object holds the implementation; tests, tools and examples link it.
$(BUILD)/impl.o: tests/impl.c $(HEADER)
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(CFLAGS) $(WARN) -I. -c $< -o $@

$(BUILD)/support/%.o: tests/support/%.c $(wildcard tests/*.h tests/support/*.h) $(HEADER)
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(CFLAGS) $(TEST_DEFS) -I. -Itests -c $< -o $@

$(BUILD)/tests/%$(EXE): tests/%.c $(SUPPORT) $(BUILD)/impl.o $(wildcard tests/*.h tests/support/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(CFLAGS) $(TEST_DEFS) -I. -Itests $< $(SUPPORT) $(BUILD)/impl.o -o $@ $(LDLIBS_TEST)
# test_crypto_small runs test_crypto.c's cases on the EP_SMALL_AES build.
$(BUILD)/tests/crypto/test_crypto_small$(EXE): tests/crypto/test_crypto.c

$(BUILD)/examples/%$(EXE): examples/%.c $(BUILD)/impl.o
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(CFLAGS) $(WARN) -I. $< $(BUILD)/impl.o -o $@ $(LDLIBS)

$(BUILD)/examples/resp_server: $(wildcard examples/resp_server/*.c examples/resp_server/*.h) $(BUILD)/impl.o
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(CFLAGS) $(WARN) -I. $(wildcard examples/resp_server/*.c) $(BUILD)/impl.o -o $@ -lpthread -lm

# The same server on its poll loop (what non-Linux systems run), for the
# tests that drive the event loop (test_resp_badinput).
$(BUILD)/examples/resp_server_poll: $(wildcard examples/resp_server/*.c examples/resp_server/*.h) $(BUILD)/impl.o
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(CFLAGS) $(WARN) -DSRV_USE_POLL -I. $(wildcard examples/resp_server/*.c) $(BUILD)/impl.o -o $@ -lpthread -lm

# Peers a benchmark links (and only it): LDLIBS_<bench name>.
LDLIBS_bench_wal := -lsqlite3 -llmdb
$(BUILD)/bench/%: bench/%.c $(BUILD)/impl.o bench/bench.h
	@mkdir -p $(dir $@)
	$(CC) $(STD) -O2 -g -march=native -I. -Ibench $< $(BUILD)/impl.o -o $@ -lz -lcrypto -lpthread -lm $(LDLIBS_$*)

# The no-OS example holds its own implementation (EMBER_PERSIST_STATIC,
# EP_NO_OS_VFS, its own allocator): linked alone.
$(BUILD)/examples/embedded_store$(EXE): examples/embedded_store.c $(HEADER)
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(CFLAGS) $(WARN) -I. $< -o $@

$(BUILD)/ember-persist$(EXE): $(TOOL_SRCS) $(wildcard tools/cli/*.h) $(BUILD)/impl.o
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(CFLAGS) $(WARN) -I. $(TOOL_SRCS) $(BUILD)/impl.o -o $@ $(LDLIBS)

# Test programs run JOBS at a time (tests/run.sh: output kept whole and in
# order); CI passes its CPU count.
JOBS ?= 1
RUN_TESTS = JOBS=$(JOBS) tests/run.sh

test: $(TESTS) $(TOOL) $(EXAMPLES)
	@$(RUN_TESTS) $(TESTS)

# The suite as 32-bit programs (gcc-multilib): other pointer and size_t
# widths, other struct layouts. No 32-bit zlib or OpenSSL is installed, so the
# oracle tests use a bitwise reference CRC and OpenSSL's committed output
# (EPT_NO_ZLIB, EPT_NO_OPENSSL), as the cross targets do. Where the kernel
# cannot run 32-bit programs they run under qemu-i386 (tools/runner32.sh).
TESTS_32 := $(patsubst $(BUILD)/%,build-32/%,$(TESTS))
test32:
	$(MAKE) --no-print-directory BUILD=build-32 CFLAGS="-O2 -g -m32" LDLIBS_TEST="-lpthread -lm" \
	  TEST_DEFS="-DEPT_NO_ZLIB -DEPT_NO_OPENSSL" build-32/impl.o build-32/ember-persist $(TESTS_32)
	@run=$$(tools/runner32.sh) || exit 1; cli=build-32/ember-persist; \
	if [ -n "$$run" ]; then \
	  printf '#!/bin/sh\nexec %s %s "$$@"\n' "$$run" "$$PWD/$$cli" > $$cli.sh; chmod +x $$cli.sh; cli=$$cli.sh; \
	  echo "test32: this kernel does not run 32-bit programs; they run under $$run"; fi; \
	EPT_QUICK=1 EP_CLI=$$cli WRAP="$$run" $(RUN_TESTS) $(TESTS_32)

# The suite on other CPUs and systems, run and not just compiled: s390x
# (big-endian), aarch64 (PMULL and ARMv8 crypto), armhf under qemu-user, i386
# (natively, or under qemu-i386), Windows (mingw-w64) under wine; then the files each target wrote,
# read back here. CROSS_TARGETS picks some (tools/cross.sh).
CROSS_TARGETS ?=
cross: $(HEADER)
	$(if $(filter command line environment,$(origin JOBS)),JOBS=$(JOBS)) tools/cross.sh $(CROSS_TARGETS)

# text/data/bss at -Os per target and configuration, as a Markdown table;
# and examples/embedded_store.c linked for Cortex-M4 (tools/size.sh).
size: $(HEADER)
	tools/size.sh

# What including the header costs a user's build (tools/compile_time.sh).
compile-time: $(HEADER)
	tools/compile_time.sh

demo: $(BUILD)/examples/demo $(TOOL)
	@$(BUILD)/examples/demo $(BUILD)/demo $(TOOL)

# Sanitizers: a separate build tree so the plain one stays fast.
asan:
	$(MAKE) --no-print-directory BUILD=build-asan \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  build-asan/impl.o $(patsubst $(BUILD)/%,build-asan/%,$(TESTS))
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(RUN_TESTS) $(patsubst $(BUILD)/%,build-asan/%,$(TESTS))

# ThreadSanitizer over the WAL tests (group commit from 16 threads, the
# threads layer, and the single-threaded WAL suites for races in setup).
WAL_TESTS := $(filter %/test_wal %/test_wal_threads %/test_wal_recover %/test_thread,$(TESTS))
tsan:
	$(MAKE) --no-print-directory BUILD=build-tsan CFLAGS="-O1 -g -fsanitize=thread -fno-omit-frame-pointer" \
	  build-tsan/impl.o $(patsubst $(BUILD)/%,build-tsan/%,$(WAL_TESTS))
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" $(RUN_TESTS) $(patsubst $(BUILD)/%,build-tsan/%,$(WAL_TESTS))

valgrind: $(TESTS)
	EPT_QUICK=1 WRAP="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" \
	  $(RUN_TESTS) $(TESTS)

check: asan valgrind ctcheck

# Constant-time check of the portable GCM path under memcheck (tests/ctcheck_gcm.c).
$(BUILD)/ctcheck_gcm$(CTSUFFIX): tests/ctcheck_gcm.c $(HEADER)
	@mkdir -p $(dir $@)
	$(CC) $(STD) -O2 -g $(CTFLAGS) -I. $< -o $@

# Both forms of the bitsliced word: vector lanes (default) and uint64_t.
ctcheck: $(BUILD)/ctcheck_gcm
	@$(MAKE) --no-print-directory $(BUILD)/ctcheck_gcm_scalar CTSUFFIX=_scalar CTFLAGS=-DEP_NO_SIMD >/dev/null
	@if valgrind -q --error-exitcode=1 $(BUILD)/ctcheck_gcm && \
	    valgrind -q --error-exitcode=1 $(BUILD)/ctcheck_gcm_scalar; then \
	  echo "ctcheck: 1 passed, 0 failed"; else echo "ctcheck: 0 passed, 1 failed"; exit 1; fi

# The same with a deliberately leaky tag comparison: memcheck must object.
ctcheck-selftest:
	@$(MAKE) --no-print-directory $(BUILD)/ctcheck_gcm_leaky CTSUFFIX=_leaky CTFLAGS=-DEP_CTCHECK_SELFTEST >/dev/null
	@if valgrind -q --error-exitcode=1 $(BUILD)/ctcheck_gcm_leaky >/dev/null 2>&1; then \
	  echo "ctcheck-selftest: leaky variant NOT caught: 0 passed, 1 failed"; exit 1; else \
	  echo "ctcheck-selftest: leaky variant caught: 1 passed, 0 failed"; fi

matrix: $(HEADER)
	tools/matrix.sh

# Each part on its own, and the layer rule: no include from a lower layer
# (src/<layer>/, in the order of tools/amalgamate.py) to a higher one.
parts:
	@python3 tools/amalgamate.py --check-layers && python3 tools/amalgamate.py --check-layers-selftest
	@for f in src/*/*.c; do \
	  echo "part $$f"; \
	  $(CC) $(STD) $(WARN) -Werror -DEP__PART_CHECK -Isrc -c $$f -o /dev/null || exit 1; \
	done

bench: $(BENCHES) $(BUILD)/examples/resp_server
	@for b in $(BENCHES); do echo "== $$b"; $$b || exit 1; done
	@echo "== bench/bench_server.sh"; RESP_SERVER=$(BUILD)/examples/resp_server bench/bench_server.sh
	@echo "== bench/bench_repl.sh"; RESP_SERVER=$(BUILD)/examples/resp_server bench/bench_repl.sh

FUZZ_BINS := $(patsubst fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
# The library is compiled once (instrumented, not linked with libFuzzer's
# main) and every target links it: each target's own
# EMBER_PERSIST_IMPLEMENTATION is skipped by the header's
# EMBER_PERSIST_IMPLEMENTATION_DONE guard. Compiling the whole header with
# ASan into each of the 19 targets took most of CI's fuzz replay stage.
FUZZ_SAN := -g -O1 -fno-sanitize-recover=undefined
$(BUILD)/fuzz/impl.o: tests/impl.c $(HEADER)
	@mkdir -p $(dir $@)
	clang $(FUZZ_SAN) -fsanitize=fuzzer-no-link,address,undefined -I. -c $< -o $@
$(BUILD)/fuzz/%: fuzz/%.c $(BUILD)/fuzz/impl.o
	clang $(FUZZ_SAN) -fsanitize=fuzzer,address,undefined -DEMBER_PERSIST_IMPLEMENTATION_DONE -I. $< $(BUILD)/fuzz/impl.o -o $@

# The differential target links the library a second time, without the
# decoders' fast paths (tests/support/slow_decode.c).
$(BUILD)/fuzz/fuzz_decode_diff: fuzz/fuzz_decode_diff.c tests/support/slow_decode.c tests/support/slow_decode.h $(HEADER)
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I. -Itests/support \
	  $< tests/support/slow_decode.c -o $@

# The server-level target links the server's sources but its main.c (the
# target is the loop: a fake client, a memory vfs).
RESP_SERVER_LIB := $(filter-out examples/resp_server/main.c,$(wildcard examples/resp_server/*.c))
$(BUILD)/fuzz/fuzz_resp_server: fuzz/fuzz_resp_server.c $(RESP_SERVER_LIB) $(wildcard examples/resp_server/*.h) $(BUILD)/fuzz/impl.o
	clang $(FUZZ_SAN) -fsanitize=fuzzer,address,undefined -DEMBER_PERSIST_IMPLEMENTATION_DONE -I. \
	  $< $(RESP_SERVER_LIB) $(BUILD)/fuzz/impl.o -o $@

fuzz: $(FUZZ_BINS)

# Replays every fuzz target over its seed corpus (what CI runs).
fuzz-replay: $(FUZZ_BINS)
	@for b in $(FUZZ_BINS); do \
	  n=$$(basename $$b); \
	  echo "replay $$n"; \
	  $$b -runs=0 fuzz/corpus/$$n >/dev/null 2>&1 || { echo "FAIL fuzz replay $$n"; exit 1; }; \
	done

clean:
	rm -rf build build-asan build-*

# The long loops at full size (100 SIGKILLs of resp_server ...).
test-slow: $(TESTS) $(TOOL) $(EXAMPLES)
	@EPT_SLOW=1 $(RUN_TESTS) $(TESTS)
