# terraform-provider-lxdcapi: one C binary serving the lxdcapi/lxd and
# lxdcapi/k8s Terraform providers over tfplugin6.
#
#   make            build build/terraform-provider-lxdcapi
#   make test       install Debian deps, build with -Werror, run unit tests,
#                   the tfplugin6 test client's own tests, the unit tests
#                   under ASan+UBSan, and the end-to-end suites
#   make demo       sandboxed LXD + examples/quickstart, show an empty plan
#   make install    put the binary in the implied local mirror (both types)
#   make fuzz       libFuzzer targets (FUZZ_SECONDS each)
#   make bench      this provider against the Go baseline: start, memory,
#                   wall time, CPU and LXD requests per resource, floors
#                   (BENCH_N="20 200 1000"; see tests/bench/run.sh)
#   make bench-deps install Debian's Go packages for the Go baseline
#   make docs       regenerate the schema parts of docs/ from the C tables
#
# Variant builds: BUILD=build-asan SAN="-fsanitize=address,undefined".

VERSION      := 0.1.0
BUILD        ?= build
CC           ?= cc
OPT          ?= -O2
SAN          ?=
PKGS         := grpc libprotobuf-c jansson msgpack yaml-0.1 openssl
PLUGIN_DIR   ?= $(HOME)/.terraform.d/plugins/registry.terraform.io/lxdcapi
FUZZ_SECONDS ?= 60
# Debian's curl source package (tests/deps.sh fetches it there).
CURL_SRC     ?= /var/cache/lxdcapi/curl-src

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wformat=2 -Wvla -Wstrict-prototypes \
           -Wno-missing-field-initializers
# The minimal libcurl (provider/http/curl-min/build.sh): one build for all
# variants (not instrumented, like OpenSSL), its headers before any system
# include directory.
CURL_DIR   := build/curl
CURL_STAMP := $(CURL_DIR)/stamp
CURL_LIB   := $(CURL_DIR)/lib/libcurl.a

CFLAGS  := -std=gnu11 $(WARN) -g $(OPT) $(SAN) -D_GNU_SOURCE -pthread \
           -I. -I$(BUILD)/gen -I$(CURL_DIR)/include $(PKG_CFLAGS) -MMD -MP
LDFLAGS := $(SAN) -pthread -static-libgcc -Wl,--as-needed -Wl,-O1
# Linking (see docs/internals/architecture.md, "Start-up cost"):
# - gRPC core with its abseil/re2/upb/c-ares deps, protobuf-c, jansson,
#   msgpack-c and libyaml are linked from Debian's static archives: the
#   shared gRPC alone is ~50 shared objects and 12k symbol lookups at every
#   start, and Terraform starts the provider several times per command.
# - libcurl is a minimal static build of Debian's curl source
#   (provider/http/curl-min/build.sh): HTTP(S) over OpenSSL, unix sockets,
#   proxies; none of the protocol and auth libraries Debian's libcurl4
#   loads (28 shared objects).
# - OpenSSL (libssl, libcrypto: one copy, used by gRPC and libcurl),
#   libstdc++ and libgcc are static too: a shared libcrypto maps its 0.8 MB
#   of dynamic symbol and relocation tables and dirties all 0.37 MB of its
#   relocated data at every start; static, only what is used is mapped
#   (1.8 MB less RSS at idle). Only libc and libm stay shared. Like gRPC,
#   a security update of these libraries needs a rebuild of the provider.
STATIC_PKGS := $(filter -lgrpc -laddress_sorting -lre2 -lupb -lcares -lz -lgpr -labsl_%, \
                 $(shell pkg-config --static --libs grpc 2>/dev/null)) \
               -lprotobuf-c -ljansson -lmsgpackc -lyaml -lssl -lcrypto -lstdc++
LIBS    := $(CURL_LIB) -Wl,-Bstatic $(STATIC_PKGS) -Wl,-Bdynamic \
           -ldl -lrt -latomic -lm

PROTOS  := proto/tfplugin6.proto proto/grpc_controller.proto \
           proto/google/protobuf/timestamp.proto
GEN_C   := $(patsubst proto/%.proto,$(BUILD)/gen/%.pb-c.c,$(PROTOS))
GEN_H   := $(GEN_C:.c=.h)

LIB_SRC := $(sort $(wildcard schema/*.c) \
             $(filter-out provider/main.c,$(shell find provider -name '*.c')))
LIB_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRC)) \
           $(patsubst %.c,%.o,$(GEN_C))
LIB     := $(BUILD)/libtfp.a
BIN     := $(BUILD)/terraform-provider-lxdcapi

TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TEST_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))

.SECONDARY:

.PHONY: all deps test unit tfclient asan e2e fuzz bench bench-deps demo install lint format tidy clean proto docs docs-check FORCE

all: $(BIN)

proto: $(GEN_C)

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: proto/%.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --c_out=$(BUILD)/gen -Iproto $<

# Objects and binaries are redone when the flags change (another OPT or
# SAN, a new library list), not only when sources do: the stamp holds the
# flags of the last build and is rewritten only when they differ.
FLAGS_STAMP := $(BUILD)/flags
FLAGS_NOW   := $(CC) | $(CFLAGS) | $(LDFLAGS) | $(LIBS)
$(FLAGS_STAMP): FORCE
	@mkdir -p $(BUILD)
	@printf '%s\n' '$(FLAGS_NOW)' | cmp -s - $@ || \
	  printf '%s\n' '$(FLAGS_NOW)' >$@
STAMPS := $(CURL_STAMP) $(FLAGS_STAMP)

# Generated code is not ours to warn about beyond the basics.
$(BUILD)/gen/%.pb-c.o: $(BUILD)/gen/%.pb-c.c $(FLAGS_STAMP)
	$(CC) -std=gnu11 -g $(OPT) $(SAN) -I$(BUILD)/gen $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/obj/schema/%.o: schema/%.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.c $(GEN_H) $(FLAGS_STAMP) | $(CURL_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(BUILD)/obj/provider/main.o $(LIB) $(STAMPS)
	$(CC) $(LDFLAGS) -o $@ $(filter-out $(STAMPS),$^) $(LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIB) $(STAMPS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter-out $(STAMPS),$^) $(LIBS) -lcmocka

# The stamp is written last; the script does nothing when it is current.
# `+`: curl's make takes its jobs from this make's jobserver.
$(CURL_STAMP): provider/http/curl-min/build.sh $(wildcard $(CURL_SRC)/curl_*.dsc)
	+@provider/http/curl-min/build.sh $(CURL_SRC) $(CURL_DIR)

# Every unit suite; prints a closing "N passed, N failed" line.
unit: $(BIN) $(TEST_BIN)
	@tests/run-unit.sh $(BUILD)/tests

# The Python tfplugin6 test client's own tests (tests/tfclient; no provider
# binary needed: it talks to a fake go-plugin server). The client against
# the real binary is the e2e scenario test_protocol_client.sh.
tfclient:
	@tests/tfclient/run-tests.sh

asan:
	$(MAKE) BUILD=build-asan OPT=-O1 \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" unit

# The scenarios run the ASan+UBSan build: any sanitizer report or leak in
# the provider fails them (tests/e2e/lib.sh).
ASAN_BIN := build-asan/terraform-provider-lxdcapi
E2E_BIN  ?= $(ASAN_BIN)

ifneq ($(BUILD),build-asan)
$(ASAN_BIN): FORCE
	$(MAKE) BUILD=build-asan OPT=-O1 \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" $(ASAN_BIN)
endif

e2e: $(E2E_BIN) $(TEST_BIN)
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 tests/e2e/run.sh $(E2E_BIN)

FORCE:

deps:
	@tests/deps.sh

test: deps
	$(MAKE) all
	$(MAKE) lint
	$(MAKE) docs-check
	$(MAKE) unit
	$(MAKE) tfclient
	$(MAKE) asan
	$(MAKE) e2e

# The schema parts of docs/ (between <!-- schema: ... --> markers) come from
# the description strings in the C schema tables (tests/docs/gen_docs.py).
# Rewrite the tree to .clang-format (what `make lint` checks).
format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

docs: $(BIN)
	@tests/docs/docs.sh $(BIN) write

docs-check: $(BIN)
	@tests/docs/docs.sh $(BIN) check

install: $(BIN)
	@for t in lxd k8s; do \
	  d=$(PLUGIN_DIR)/$$t/$(VERSION)/linux_amd64; mkdir -p $$d; \
	  install -m 0755 $(BIN) $$d/terraform-provider-$${t}_v$(VERSION); \
	  echo "installed $$d/terraform-provider-$${t}_v$(VERSION)"; done

fuzz:
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

bench: $(BIN)
	@tests/bench/run.sh $(BIN)

# Not part of `make test`: only the benchmark's Go baseline needs them.
bench-deps:
	@tests/bench/deps.sh

demo: deps
	$(MAKE) install
	@tests/rig/demo.sh

# Also: no file-level dependency cycle among the objects of provider/ and
# schema/ (tests/lint/objdeps.py reads their symbols; it names every cycle).
lint: $(LIB)
	@clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')
	@! git grep -nE '\b(strcpy|strcat|sprintf|atoi|strtok)\(' -- '*.c' '*.h'
	@python3 tests/lint/objdeps.py $(filter $(BUILD)/obj/%,$(LIB_OBJ))
	@$(MAKE) --no-print-directory tidy

# Static analysis with a small agreed set: cppcheck's warning and
# portability checks (its leak check is off: it does not understand the
# cleanup attribute; ASan's LeakSanitizer covers leaks in make test).
tidy:
	@cppcheck --enable=warning,portability --error-exitcode=1 --inline-suppr -q \
	  --std=c11 --suppress=memleak --suppress=unknownMacro -I. -I$(BUILD)/gen \
	  provider schema
	@echo "lint: clang-format, banned calls, no cycles, cppcheck: clean"

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
