# uringbridge — build, test, install.
#   make            build the library (target/release/liburingbridge.so)
#   make demo       build and run the C examples on real files
#   make test       every test: header drift, Rust, C (+ASan), examples, on both engines
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
        test-examples test-valgrind test-seccomp test-install test-go test-haskell demo install bench clean

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

test: deps lib check-header test-rust test-c test-valgrind test-examples test-go test-haskell test-seccomp test-install
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
test-valgrind: c-tests
	@failed=""; for t in $(C_TESTS); do \
	  echo "== C $$t under valgrind (URB_BACKEND=fallback)"; \
	  URB_BACKEND=fallback timeout 600 $(VALGRIND) $(BUILD)/tests/$$t | tail -1 || failed="$$failed $$t/fallback"; \
	done; \
	for t in $(VALGRIND_ON_URING); do \
	  echo "== C $$t under valgrind (URB_BACKEND unset)"; \
	  timeout 600 $(VALGRIND) $(BUILD)/tests/$$t | tail -1 || failed="$$failed $$t/auto"; \
	done; \
	if [ -n "$$failed" ]; then echo "valgrind failed:$$failed"; exit 1; fi

# Each binding owns a test script; it installs its own toolchain packages.
test-go: lib
	@if [ -x bindings/go/test.sh ]; then bindings/go/test.sh; fi

test-haskell: lib
	@if [ -x bindings/haskell/test.sh ]; then bindings/haskell/test.sh; fi

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
	  if [ -x $(BUILD)/haskell/dist/build/spec/spec ]; then \
	    env -u URB_BACKEND $(BUILD)/no_io_uring $$err $(BUILD)/haskell/dist/build/spec/spec | grep -E "^engine|examples, "; fi; \
	  if [ -x bindings/go/test.sh ]; then (cd bindings/go && PATH=$$PATH:/usr/local/go/bin \
	    env -u URB_BACKEND $(BUILD)/no_io_uring $$err go test -count=1 -v ./... 2>&1 | grep -E "^engine|^ok|^FAIL|^--- FAIL"); fi; \
	  if URB_BACKEND=io_uring $(BUILD)/no_io_uring $$err $(BUILD)/examples/nop 10 2>$(BUILD)/seccomp.err; then \
	    echo "URB_BACKEND=io_uring did not fail where io_uring is refused"; exit 1; \
	  fi; grep -q "io_uring is unavailable" $(BUILD)/seccomp.err; \
	  echo "URB_BACKEND=io_uring fails loudly: $$(head -1 $(BUILD)/seccomp.err)"; \
	done

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

bench: lib
	@bench/run

clean:
	$(CARGO) clean
	rm -rf $(BUILD)
