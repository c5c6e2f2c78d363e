# cutover - build, test, demo, bench, install.
#
# common/LAYER/**.c -> $(BUILD)/libcutover.a (the runtime every process links;
#                    layers in common/README.md, includes name them: "io/kafka.h")
# workers/NAME.c  -> $(BUILD)/bin/cutover-NAME (cutover.c -> the CLI, cutover;
#                    cutoverd.c -> the supervisor, cutoverd)
# demo/app.c, demo/loadgen.c -> $(BUILD)/bin/cutover-demo-app, cutover-loadgen
# tests/unit/test_*.c -> $(BUILD)/tests/test_* (cmocka); the other tests/unit/*.c
#                    are helpers (log capture, fake HTTP server) linked into each
# tests/integration/*_probe.c -> $(BUILD)/tests/*_probe (drive one provider call)
# tests/fuzz/fuzz_NAME.c -> $(BUILD)/tests/test_fuzz_NAME (gcc: replays the corpus
#                    tests/fuzz/corpus/NAME/ as unit test) and, by make fuzz,
#                    build-fuzz/tests/fuzz_NAME (clang, libFuzzer, ASan, UBSan)

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build

PKGS     := rdkafka libcurl libcjson libpq openssl libevent yaml-0.1 libmariadb hiredis
# built against these packages' headers only: the library is loaded when first
# needed (libxml-2.0: common/provider/aws/xml_lib.h)
LOADED_PKGS := libxml-2.0
CC       ?= cc
WARN     := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wvla -Werror
OPT      ?= -O2 -g
# VERSION: what cutover_build_info{version} reports (the git description at build time)
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
CPPFLAGS += -D_GNU_SOURCE -Icommon $(shell pkg-config --cflags $(PKGS) $(LOADED_PKGS) 2>/dev/null)
CFLAGS   += $(WARN) $(OPT) $(EXTRA_CFLAGS)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
LDFLAGS  += $(EXTRA_LDFLAGS)

COMMON_SRC := $(shell find common -name '*.c' | sort)
COMMON_HDR := $(shell find common -name '*.h')
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
WORKER_SRC := $(wildcard workers/*.c)
bin_name    = $(if $(filter cutover cutoverd,$(1)),$(1),cutover-$(1))
WORKER_BIN := $(foreach w,$(WORKER_SRC:workers/%.c=%),$(BUILD)/bin/$(call bin_name,$(w)))
DEMO_BIN   := $(BUILD)/bin/cutover-demo-app $(BUILD)/bin/cutover-loadgen
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_LIB_SRC := $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))
UNIT_LIB_OBJ := $(UNIT_LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_HDR   := $(wildcard tests/unit/*.h)
PROBE_SRC  := $(wildcard tests/integration/*_probe.c)
PROBE_BIN  := $(PROBE_SRC:tests/integration/%.c=$(BUILD)/tests/%)
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/test_%)
OPS_BIN    := $(BUILD)/bin/cutover-mock-broker
# the SNS tests' TEST-ONLY CA, certificates and keys, made at build time (never committed)
SNS_DATA   := $(BUILD)/tests/data/sns
# the private key files' fuzz harness replays throwaway keys made at build time (never committed)
FUZZ_MADE  := $(BUILD)/tests/fuzz-made

.PHONY: all test unit integration sanitize valgrind install demo demo-wordpress bench soak chaos bootstrap clean fuzz
.SECONDARY: # keep the object files of tests and probes, so that a second make does nothing
all: $(WORKER_BIN) $(DEMO_BIN) $(UNIT_BIN) $(PROBE_BIN) $(OPS_BIN) $(SNS_DATA)/test-ca.pem \
     $(FUZZ_REPLAY_BIN) $(FUZZ_MADE)/sshsig_private

$(BUILD)/%.o: %.c $(COMMON_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# the one object that carries the version, built again whenever it changes
$(BUILD)/common/base/metrics_process.o: CPPFLAGS += -DCUTOVER_VERSION='"$(VERSION)"'
$(BUILD)/common/base/metrics_process.o: $(BUILD)/version.stamp
$(BUILD)/version.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
.PHONY: FORCE

$(BUILD)/libcutover.a: $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/bin/cutover-%: $(BUILD)/workers/%.o $(BUILD)/libcutover.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bin/cutover $(BUILD)/bin/cutoverd: $(BUILD)/bin/%: $(BUILD)/workers/%.o $(BUILD)/libcutover.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bin/cutover-demo-app: demo/app.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(shell pkg-config --libs libevent) $(shell pkg-config --libs libcjson)

$(BUILD)/bin/cutover-loadgen: demo/loadgen.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(shell pkg-config --libs libevent) $(shell pkg-config --libs libcjson)

$(OPS_BIN): ops/mock-broker.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(shell pkg-config --libs rdkafka)

$(UNIT_SRC:%.c=$(BUILD)/%.o) $(UNIT_LIB_OBJ): $(UNIT_HDR)

$(BUILD)/tests/unit/test_sns.o: CPPFLAGS += -DSNS_TEST_DATA='"$(SNS_DATA)/"'
$(SNS_DATA)/test-ca.pem: tests/sns-test-certs.sh
	tests/sns-test-certs.sh $(SNS_DATA)

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(UNIT_LIB_OBJ) $(BUILD)/libcutover.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs cmocka)

# provider probes: drive one provider operation from the command line (tests, demo)
$(BUILD)/tests/%_probe: $(BUILD)/tests/integration/%_probe.o $(BUILD)/libcutover.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(FUZZ_SRC:%.c=$(BUILD)/%.o) $(BUILD)/tests/fuzz/harness.o: tests/fuzz/harness.h

$(FUZZ_MADE)/sshsig_private: tests/fuzz/seeds
	@rm -rf $@ $(FUZZ_MADE)/keys
	FUZZ_KEYS_DIR=$(CURDIR)/$(FUZZ_MADE)/keys tests/fuzz/seeds sshsig_private $(CURDIR)/$@

# fuzz harnesses replayed over their corpus: a plain program, so that make test
# and make sanitize run every corpus file as a regression case
$(BUILD)/tests/test_fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay.o \
                            $(BUILD)/tests/fuzz/harness.o \
                            $(BUILD)/libcutover.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# fuzz: every harness under libFuzzer for FUZZ_SECONDS each (clang, ASan, UBSan,
# leaks detected); what a run grows is merged, minimised, into tests/fuzz/corpus/
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build-fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_BIN     := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/tests/%)

fuzz: bootstrap
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang \
	    OPT="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
	    $(FUZZ_BIN)
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run $(FUZZ_TARGETS)

$(FUZZ_BUILD)/tests/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_BUILD)/tests/fuzz/harness.o \
                          $(FUZZ_BUILD)/libcutover.a
	@mkdir -p $(dir $@)
	$(CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LDLIBS)

bootstrap:
	@ops/bootstrap

# T=NAME: only the tests whose name contains NAME (make test T=rollback); all without T.
T ?=
T_PATTERN = $(if $(T),'$(T)')

# test: unit and integration tests against the real stack; ends with "N passed, M failed".
test: bootstrap
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tests/run $(T_PATTERN)

unit: all
	@BUILD=$(BUILD) tests/run --unit $(T_PATTERN)

sanitize: bootstrap
	@$(MAKE) --no-print-directory BUILD=build-sanitize \
	    OPT="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	    EXTRA_LDFLAGS="-fsanitize=address,undefined" all
	@BUILD=build-sanitize ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run $(T_PATTERN)

valgrind: bootstrap all
	@BUILD=$(BUILD) tests/valgrind

demo: bootstrap
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) ops/demo

demo-wordpress: bootstrap
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) ops/demo-wordpress

bench: bootstrap
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tests/bench/run

# soak: the zero-downtime soak under load and faults (not part of test); SOAK_SCALE=0.1 for a quick run.
soak: bootstrap
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tests/soak/run

# chaos: the chaos soak (CHAOS_SCALE=0.1 for a tenth); report in .run/chaos/
CHAOS_SCALE ?= 1
chaos: bootstrap
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) CHAOS_SCALE=$(CHAOS_SCALE) tests/chaos/run

install: $(WORKER_BIN) $(DEMO_BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/cutover/migrations \
	    $(DESTDIR)$(PREFIX)/share/cutover/schemas
	install -m 0755 $(WORKER_BIN) $(DEMO_BIN) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 migrations/*.sql $(DESTDIR)$(PREFIX)/share/cutover/migrations/
	cp -R schemas/. $(DESTDIR)$(PREFIX)/share/cutover/schemas/
	install -d $(DESTDIR)$(PREFIX)/share/cutover/systemd
	install -m 0644 ops/systemd/cutoverd.service ops/systemd/cutover.env ops/systemd/README.md \
	    $(DESTDIR)$(PREFIX)/share/cutover/systemd/

clean:
	rm -rf build build-sanitize build-fuzz
