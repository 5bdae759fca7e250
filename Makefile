# uringbridge — build, test, install.
#   make            build the library (target/release/liburingbridge.so)
#   make demo       build and run the C examples on real files
#   make test       every test: lint, header drift, Rust, C (+ASan), examples, bindings, fuzzing, on both engines
#   make lint       clippy (warnings are errors) and rustfmt --check, for the library and fuzz/
#   make msrv       the crate builds with Cargo.toml's rust-version
#   make fuzz       every fuzz target for FUZZ_SECONDS each (make fuzz FUZZ_SECONDS=3600: a long run)
#   make install PREFIX=/usr/local
#   make bench      benchmarks (not tests)

SHELL   := /bin/bash
.SHELLFLAGS := -o pipefail -c
PREFIX  ?= /usr/local
CARGO   ?= cargo
CC      ?= cc
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
MAJOR   := $(firstword $(subst ., ,$(VERSION)))
LIBDIR  := $(CURDIR)/target/release
BUILD   := $(CURDIR)/build
SONAME  := liburingbridge.so.$(MAJOR)

STRICT  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wpedantic -Werror -O2 -g
LINK    := -I$(CURDIR)/include -L$(LIBDIR) -luringbridge -Wl,-rpath,$(LIBDIR) -lpthread
ASAN    := -fsanitize=address,undefined -fno-omit-frame-pointer

C_TESTS    := $(patsubst tests/c/%.c,%,$(wildcard tests/c/test_*.c))
C_EXAMPLES := $(patsubst examples-c/%.c,%,$(wildcard examples-c/*.c))

.PHONY: all lib deps header check-header examples c-tests test test-rust test-c \
        test-examples test-valgrind test-seccomp test-install test-go test-haskell test-haskell-warp demo install bench clean \
        lint msrv fuzz

all: lib

deps:
	@scripts/install-deps

lib:
	$(CARGO) build --release --quiet
	@ln -sf liburingbridge.so $(LIBDIR)/$(SONAME)

# The Go binding vendors the header (its own test checks it is current).
header:
	cbindgen --quiet --config cbindgen.toml --output include/uringbridge.h .
	cp include/uringbridge.h bindings/go/uringbridge.h

# The committed header must be exactly what cbindgen makes of the sources.
check-header:
	@mkdir -p $(BUILD)
	@cbindgen --quiet --config cbindgen.toml --output $(BUILD)/uringbridge.h .
	@if cmp -s $(BUILD)/uringbridge.h include/uringbridge.h; then \
	    echo "header: include/uringbridge.h matches cbindgen"; \
	else \
	    diff -u include/uringbridge.h $(BUILD)/uringbridge.h | head -40; \
	    echo "header: include/uringbridge.h is stale: run 'make header' and commit it"; exit 1; \
	fi

$(BUILD)/examples/%: examples-c/%.c examples-c/include/*.h include/uringbridge.h | lib
	@mkdir -p $(dir $@)
	$(CC) $(STRICT) -Iexamples-c/include $< -o $@ $(LINK)

$(BUILD)/tests/%: tests/c/%.c tests/c/*.h include/uringbridge.h | lib
	@mkdir -p $(dir $@)
	$(CC) $(STRICT) $< -o $@ $(LINK)

$(BUILD)/tests-asan/%: tests/c/%.c tests/c/*.h include/uringbridge.h | lib
	@mkdir -p $(dir $@)
	$(CC) $(STRICT) $(ASAN) $< -o $@ $(LINK)

examples: lib $(addprefix $(BUILD)/examples/,$(C_EXAMPLES))
c-tests: lib $(addprefix $(BUILD)/tests/,$(C_TESTS)) $(addprefix $(BUILD)/tests-asan/,$(C_TESTS))

test: deps lib lint msrv check-header test-rust test-c test-valgrind test-examples test-go test-haskell test-haskell-warp test-seccomp test-install fuzz
	@echo "make test: all suites passed"

# One process picks one engine, so every suite runs twice.
# --show-output lets each test binary's "engine: ..." line through.
test-rust:
	@echo "== Rust tests (URB_BACKEND unset: io_uring where available)"
	$(CARGO) test --release --quiet -- --show-output 2>&1 | grep -v '^$$\|^successes:\|^---- .* stdout ----$$\|^    [a-z_0-9]*$$'
	@echo "== Rust tests (URB_BACKEND=fallback)"
	URB_BACKEND=fallback $(CARGO) test --release --quiet -- --show-output 2>&1 | grep -v '^$$\|^successes:\|^---- .* stdout ----$$\|^    [a-z_0-9]*$$'

# Every binary runs even after a failure; the target fails at the end.
test-c: c-tests
	@failed=""; for t in $(C_TESTS); do \
	  for engine in auto fallback; do \
	    echo "== C $$t (URB_BACKEND=$$engine)"; \
	    URB_BACKEND=$$engine $(BUILD)/tests/$$t || failed="$$failed $$t/$$engine"; \
	    echo "== C $$t under ASan (URB_BACKEND=$$engine)"; \
	    ASAN_OPTIONS=detect_leaks=1 URB_BACKEND=$$engine $(BUILD)/tests-asan/$$t || failed="$$failed $$t/$$engine/asan"; \
	  done; \
	done; \
	if [ -n "$$failed" ]; then echo "C tests failed:$$failed"; exit 1; fi

# valgrind (memcheck, definite leaks are errors) over every C test on the
# fallback engine, where all I/O is plain system calls valgrind understands.
# On io_uring the kernel fills buffers through the rings behind valgrind's
# back (reported as uninitialised reads) and a thread waiting in
# io_uring_enter can stall valgrind's scheduler, so only the tests that
# read no data through a ring run there too.
VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
VALGRIND_ON_URING := test_info test_chains test_bad_input
# test_semantics forks over a thousand children (one per case and face),
# each a full valgrind process state: ten minutes and more under memcheck.
# It runs under ASan on both engines instead.
VALGRIND_SKIP := test_semantics
test-valgrind: c-tests
	@failed=""; for t in $(filter-out $(VALGRIND_SKIP),$(C_TESTS)); do \
	  echo "== C $$t under valgrind (URB_BACKEND=fallback)"; \
	  URB_BACKEND=fallback timeout 600 $(VALGRIND) $(BUILD)/tests/$$t | tail -1 || failed="$$failed $$t/fallback"; \
	done; \
	for t in $(VALGRIND_ON_URING); do \
	  echo "== C $$t under valgrind (URB_BACKEND unset)"; \
	  timeout 600 $(VALGRIND) $(BUILD)/tests/$$t | tail -1 || failed="$$failed $$t/auto"; \
	done; \
	if [ -n "$$failed" ]; then echo "valgrind failed:$$failed"; exit 1; fi

# Each binding owns a test script; it installs its own toolchain packages.
# A suite that cannot run is a failure, never a silent skip.
test-go: lib
	@test -x bindings/go/test.sh || { echo "test-go: bindings/go/test.sh is missing or not executable: the Go suite cannot run" >&2; exit 1; }
	@bindings/go/test.sh

test-haskell: lib
	@test -x bindings/haskell/test.sh || { echo "test-haskell: bindings/haskell/test.sh is missing or not executable: the Haskell suite cannot run" >&2; exit 1; }
	@bindings/haskell/test.sh

# Warp on uringbridge, served to curl, ab and slow Python clients.
test-haskell-warp: lib
	@bindings/haskell-warp/test.sh

# io_uring refused for real (seccomp, before the library loads): the probe
# must pick the fallback by itself, and the suites must pass on it.
$(BUILD)/no_io_uring: tests/seccomp/no_io_uring.c
	@mkdir -p $(dir $@)
	$(CC) $(STRICT) $< -o $@

test-seccomp: $(BUILD)/no_io_uring examples c-tests
	@set -e; for err in ENOSYS EPERM; do \
	  echo "== io_uring_setup refused with $$err"; \
	  env -u URB_BACKEND $(BUILD)/no_io_uring $$err $(BUILD)/examples/nop 1000 | tee $(BUILD)/seccomp.out; \
	  grep -q "engine fallback" $(BUILD)/seccomp.out || { echo "probe did not fall back"; exit 1; }; \
	  for t in $(C_TESTS); do env -u URB_BACKEND $(BUILD)/no_io_uring $$err $(BUILD)/tests/$$t; done; \
	  env -u URB_BACKEND $(BUILD)/no_io_uring $$err $(CARGO) test --release --quiet 2>&1 | grep "test result"; \
	  test -x $(BUILD)/haskell/dist/build/spec/spec || { echo "test-seccomp: the Haskell spec binary $(BUILD)/haskell/dist/build/spec/spec is missing: run 'make test-haskell' first" >&2; exit 1; }; \
	  env -u URB_BACKEND $(BUILD)/no_io_uring $$err $(BUILD)/haskell/dist/build/spec/spec | grep -E "^engine|examples, "; \
	  test -d bindings/go || { echo "test-seccomp: bindings/go is missing" >&2; exit 1; }; \
	  (cd bindings/go && PATH=$$PATH:/usr/local/go/bin GOTOOLCHAIN=local \
	    env -u URB_BACKEND $(BUILD)/no_io_uring $$err go test -count=1 -v ./... 2>&1 | grep -E "^engine|^ok|^FAIL|^--- FAIL"); \
	  if URB_BACKEND=io_uring $(BUILD)/no_io_uring $$err $(BUILD)/examples/nop 10 2>$(BUILD)/seccomp.err; then \
	    echo "URB_BACKEND=io_uring did not fail where io_uring is refused"; exit 1; \
	  fi; grep -q "io_uring is unavailable" $(BUILD)/seccomp.err; \
	  echo "URB_BACKEND=io_uring fails loudly: $$(head -1 $(BUILD)/seccomp.err)"; \
	done

# Warnings are errors; the fuzz crate (its own workspace) is held to the
# same rules. Go is vetted and gofmt-checked by bindings/go/test.sh.
lint:
	@echo "== clippy (library, tests, examples)"
	$(CARGO) clippy --all-targets --quiet -- -D warnings
	@echo "== rustfmt --check"
	$(CARGO) fmt --check
	@echo "== clippy and rustfmt --check (fuzz/)"
	$(CARGO) clippy --manifest-path fuzz/Cargo.toml --all-targets --quiet -- -D warnings
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml --check

# rust-version is the oldest toolchain this builds with, so check it with
# that toolchain (scripts/install-deps installs it).
MSRV := $(shell sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
msrv:
	@echo "== Rust $(MSRV) (Cargo.toml's rust-version) checks every target"
	CARGO_TARGET_DIR=$(BUILD)/msrv $(CARGO) +$(MSRV) check --locked --all-targets --quiet

# Coverage-guided fuzzing (fuzz/README.md): each cargo-fuzz target, then
# each Go fuzz test, for FUZZ_SECONDS. New inputs go to build/fuzz/corpus
# (not committed); the committed seeds in fuzz/seeds are read too. A crash,
# a hang (FUZZ_TIMEOUT seconds on one input) or a leak fails the target;
# the input is left in fuzz/artifacts/<target>/.
FUZZ_SECONDS ?= 15
FUZZ_TIMEOUT ?= 30
FUZZ_TARGETS := op_encode raw_sqe ring_calls readiness
GO_FUZZ      := FuzzSockaddrEncode FuzzSockaddrDecode FuzzPrep
fuzz: lib
	@echo "== fuzz: building the targets (cargo +nightly fuzz build)"
	cd fuzz && $(CARGO) +nightly fuzz build
	@failed=""; for t in $(FUZZ_TARGETS); do \
	  echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
	  mkdir -p $(BUILD)/fuzz/corpus/$$t fuzz/seeds/$$t; \
	  engine=; [ $$t = raw_sqe ] && engine=fallback; \
	  if (cd fuzz && env -u URB_BACKEND $${engine:+URB_BACKEND=$$engine} $(CARGO) +nightly fuzz run $$t \
	      $(BUILD)/fuzz/corpus/$$t seeds/$$t -- -max_total_time=$(FUZZ_SECONDS) -timeout=$(FUZZ_TIMEOUT) \
	      -print_final_stats=1 > $(BUILD)/fuzz/$$t.log 2>&1); then \
	    grep -E '^#[0-9]+.*DONE' $(BUILD)/fuzz/$$t.log | tail -1; \
	  else \
	    grep -E -A20 'panicked|ERROR: libFuzzer|ERROR: AddressSanitizer|^SUMMARY' $(BUILD)/fuzz/$$t.log | head -40; \
	    echo "fuzz $$t: FAILED (log: $(BUILD)/fuzz/$$t.log, input: fuzz/artifacts/$$t/)"; failed="$$failed $$t"; \
	  fi; \
	done; \
	for t in $(GO_FUZZ); do \
	  echo "== fuzz Go $$t for $(FUZZ_SECONDS) s"; \
	  (cd bindings/go && PATH=$$PATH:/usr/local/go/bin GOTOOLCHAIN=local go test -run '^$$' -fuzz "^$$t\$$" \
	      -fuzztime $(FUZZ_SECONDS)s -parallel 1 . 2>&1 | grep -v '^fuzz: elapsed' | tail -15) || failed="$$failed go:$$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz failed:$$failed"; exit 1; fi

# What `make install` lays down must be enough to build a program with
# pkg-config alone and run it.
test-install:
	@rm -rf $(BUILD)/prefix
	@$(MAKE) --no-print-directory install PREFIX=$(BUILD)/prefix >/dev/null
	@test -L $(BUILD)/prefix/lib/$(SONAME)
	@PKG_CONFIG_PATH=$(BUILD)/prefix/lib/pkgconfig; export PKG_CONFIG_PATH; \
	  $(CC) $(STRICT) examples-c/nop.c -o $(BUILD)/nop-installed $$(pkg-config --cflags --libs uringbridge) && \
	  LD_LIBRARY_PATH=$(BUILD)/prefix/lib $(BUILD)/nop-installed 1000 && \
	  readelf -d $(BUILD)/nop-installed | grep -q "NEEDED.*$(SONAME)" && \
	  echo "install: pkg-config build against the installed copy works (NEEDED $(SONAME))"
	@scripts/test-system-install

test-examples: examples
	@tests/examples.sh $(BUILD)/examples
	@tests/servers.sh $(BUILD)/examples

demo: deps lib examples
	@scripts/demo $(BUILD)/examples

install: lib
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(LIBDIR)/liburingbridge.so $(DESTDIR)$(PREFIX)/lib/liburingbridge.so.$(VERSION)
	ln -sf liburingbridge.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/liburingbridge.so
	install -m 644 $(LIBDIR)/liburingbridge.a $(DESTDIR)$(PREFIX)/lib/liburingbridge.a
	install -m 644 include/uringbridge.h $(DESTDIR)$(PREFIX)/include/uringbridge.h
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' uringbridge.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/uringbridge.pc
	@# The loader's cache must learn the new soname, or installed programs (C and
	@# Haskell alike) fail to find $(SONAME) until someone runs ldconfig. Only
	@# root installing for real (no DESTDIR, a staging tree) can and needs to;
	@# for a prefix the loader does not search this changes nothing.
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" -eq 0 ] && command -v ldconfig >/dev/null; then \
	    ldconfig; \
	fi

bench: lib
	@bench/run

clean:
	$(CARGO) clean
	rm -rf $(BUILD)
