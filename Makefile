# steward - build, run, test, bench and fuzz.  `make run` and `make test` do all set-up.
CC      ?= gcc
FUZZCC  ?= clang
BUILD   ?= build
WARN     = -Wall -Wextra -Werror
CSTD     = -std=c11 -D_GNU_SOURCE
INC      = -Iinclude -Isrc -I$(BUILD)/gen
OPT     ?= -O2 -g
CFLAGS_BASE = $(CSTD) $(INC) $(WARN) -fopenmp -pthread
LIBS     = -lsodium -lcrypto -ljansson -lutf8proc -lcurl -lsqlite3 -lmicrohttpd -lm -fopenmp -pthread
# Kernels that use AVX2/FMA/F16C live in files named *_avx2.c; the rest of the code
# chooses them at run time (__builtin_cpu_supports), so the binary runs on any x86-64.
SIMD_FLAGS = -mavx2 -mfma -mf16c
# ... and *_avx512.c files those of AVX-512 F/BW/VL/VNNI (chosen at run time the same way).
SIMD512_FLAGS = $(SIMD_FLAGS) -mavx512f -mavx512bw -mavx512vl -mavx512vnni
simd = $(if $(findstring _avx2,$(1)),$(SIMD_FLAGS))$(if $(findstring _avx512,$(1)),$(SIMD512_FLAGS))

LIB_SRC  = $(filter-out src/cli/%,$(wildcard src/*/*.c))
CLI_SRC  = $(wildcard src/cli/*.c)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
BENCH_SRC= $(wildcard bench/bench_*.c)
FUZZ_SRC = $(wildcard fuzz/fuzz_*.c)
HDRS     = $(wildcard include/steward/*.h src/*/*.h)

# obj_dir(build-dir, sources) -> object files
objs = $(patsubst src/%.c,$(1)/obj/%.o,$(2))

# The console's HTML, CSS and JavaScript, embedded in the binary as byte arrays.
CONSOLE_FILES = $(sort $(wildcard src/server/console/*))
$(BUILD)/gen/console_assets.h: $(CONSOLE_FILES) scripts/embed_console.sh
	@echo "  GEN  $@"; bash scripts/embed_console.sh $@ $(CONSOLE_FILES)
$(BUILD)/pic/obj/server/console.o $(BUILD)/asan/obj/server/console.o $(BUILD)/fuzz/obj/server/console.o: \
    $(BUILD)/gen/console_assets.h

.PHONY: all run serve test bench fuzz setup setup-run clean asan fault lib install deb chat-model
all: steward lib

# What running needs (compiler, libraries) and, for `make test`, what the tests need too.
setup-run:
	@bash scripts/setup.sh run
setup:
	@bash scripts/setup.sh test

# ---- optimised build: position-independent objects, so that the same objects make
# ./steward, libsteward.a and libsteward.so ----
PIC = $(BUILD)/pic

$(PIC)/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC   $<"; $(CC) $(CFLAGS_BASE) $(OPT) -fPIC $(call simd,$*) -c $< -o $@

$(BUILD)/libsteward.a: $(call objs,$(PIC),$(LIB_SRC))
	@rm -f $@; ar rcs $@ $^

steward: $(call objs,$(PIC),$(CLI_SRC)) $(BUILD)/libsteward.a
	$(CC) $(OPT) -o $@ $^ $(LIBS)

# The library for other programs (python/steward.py loads it with ctypes), beside ./steward.
# A shared object may not carry a .preinit_array, so threads.c is built again without its
# pre-initialiser (SW_NO_PREINIT): a program loading the library chooses OpenMP's waiting.
SO_OBJS = $(filter-out $(PIC)/obj/engine/threads.o,$(call objs,$(PIC),$(LIB_SRC))) $(PIC)/obj/engine/threads_so.o
$(PIC)/obj/engine/threads_so.o: src/engine/threads.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC   $< (shared)"; $(CC) $(CFLAGS_BASE) $(OPT) -fPIC -DSW_NO_PREINIT -c $< -o $@

libsteward.so: $(SO_OBJS)
	$(CC) -shared -o $@ $^ $(LIBS) -ldl

lib: libsteward.so

# ---- sanitised build for the tests (AddressSanitizer + UndefinedBehaviorSanitizer) ----
ASAN    = $(BUILD)/asan
SANFLAGS= -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

$(ASAN)/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC   $<"; $(CC) $(CFLAGS_BASE) $(SANFLAGS) $(call simd,$*) -c $< -o $@

$(ASAN)/libsteward.a: $(call objs,$(ASAN),$(LIB_SRC))
	@rm -f $@; ar rcs $@ $^

$(ASAN)/steward: $(call objs,$(ASAN),$(CLI_SRC)) $(ASAN)/libsteward.a
	$(CC) $(SANFLAGS) -o $@ $^ $(LIBS)

$(ASAN)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(ASAN)/libsteward.a
	@mkdir -p $(dir $@)
	@echo "  CC   $<"; $(CC) $(CFLAGS_BASE) $(SANFLAGS) -Itests/unit -o $@ $< $(ASAN)/libsteward.a $(LIBS)

asan: $(ASAN)/steward $(patsubst tests/unit/%.c,$(ASAN)/tests/%,$(UNIT_SRC))

# ---- fault injection: the optimised CLI with write, pwrite, fsync, fdatasync, rename,
# mmap, open and ftruncate routed through tests/fault/fault_shim.c (STEWARD_FAULT) ----
FAULT_WRAP = -Wl,--wrap=write,--wrap=pwrite,--wrap=fsync,--wrap=fdatasync,--wrap=rename,--wrap=mmap,--wrap=open,--wrap=ftruncate
$(BUILD)/fault/steward: tests/fault/fault_shim.c $(call objs,$(PIC),$(CLI_SRC)) $(BUILD)/libsteward.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(OPT) $(FAULT_WRAP) -o $@ $^ $(LIBS)

fault: $(BUILD)/fault/steward

# ---- benchmarks (optimised) ----
$(BUILD)/bench/%: bench/%.c $(BUILD)/libsteward.a
	@mkdir -p $(dir $@)
	@echo "  CC   $<"; $(CC) $(CFLAGS_BASE) $(OPT) -o $@ $< $(BUILD)/libsteward.a $(LIBS)

# ---- libFuzzer targets (clang; the library rebuilt with the fuzzer's instrumentation) ----
FUZZB    = $(BUILD)/fuzz
FUZZFLAGS= $(CSTD) $(INC) -O1 -g -fsanitize=fuzzer-no-link,address,undefined -Wno-unknown-pragmas

$(FUZZB)/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  FUZZCC $<"; $(FUZZCC) $(FUZZFLAGS) $(call simd,$*) -c $< -o $@

$(FUZZB)/libsteward.a: $(call objs,$(FUZZB),$(LIB_SRC))
	@rm -f $@; ar rcs $@ $^

# Linked against the archive, so a target pulls in only the objects it uses (the
# fuzzing build has no OpenMP runtime).
$(FUZZB)/%: fuzz/%.c $(FUZZB)/libsteward.a
	$(FUZZCC) $(FUZZFLAGS) -fsanitize=fuzzer -o $@ $^ -lsodium -lcrypto -ljansson -lutf8proc -lsqlite3 -lm -pthread

FUZZ_BINS = $(patsubst fuzz/%.c,$(FUZZB)/%,$(FUZZ_SRC))
FUZZ_SECONDS ?= 60

# ---- the README's two commands ----
run: setup-run steward
	@bash scripts/run.sh

# The chat model through `steward data build` and `steward train` (docs/data.md): niced,
# one thread, resumable from run/chat/checkpoint.bin; then its card's data, lineage and
# guard sections.
chat-model: setup-run steward
	bash scripts/chat_model.sh && python3 scripts/chat_card.py

# ---- installation: the binary, the library, the shipped models and data, the man page
# and the Python module; the installed binary finds share/steward/ beside its bin/ ----
PREFIX  ?= /usr/local
DESTDIR ?=
SHARE    = $(DESTDIR)$(PREFIX)/share/steward
RUN_MODELS = models/default.gguf models/default.ppl.json models/default.md models/guard-classifier.bin \
             models/guard-classifier.md

install: steward libsteward.so
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(SHARE)/models $(SHARE)/python \
	    $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 steward $(DESTDIR)$(PREFIX)/bin/steward
	install -m 0644 libsteward.so $(DESTDIR)$(PREFIX)/lib/libsteward.so
	install -m 0644 $(RUN_MODELS) $(SHARE)/models/
	rm -rf $(SHARE)/data && mkdir -p $(SHARE)/data && cp -R data/guard data/policy data/redteam data/bias $(SHARE)/data/
	install -m 0644 python/steward.py $(SHARE)/python/steward.py
	install -m 0644 docs/steward.1 $(DESTDIR)$(PREFIX)/share/man/man1/steward.1

# A Debian package of the same files under /usr (dpkg-deb only; no debhelper).
DEB_VERSION = $(shell sed -n 's/^#define SW_VERSION "\(.*\)"/\1/p' include/steward/core.h)
deb: steward libsteward.so
	rm -rf $(BUILD)/deb && $(MAKE) --no-print-directory install PREFIX=/usr DESTDIR=$(CURDIR)/$(BUILD)/deb
	mkdir -p $(BUILD)/deb/DEBIAN
	printf 'Package: steward\nVersion: %s\nArchitecture: %s\nMaintainer: steward developers <dev@steward.local>\nDepends: libsodium23, libjansson4, libutf8proc2, libgomp1\nDescription: responsible generative-AI runtime\n guards, watermark, labels, signed manifests and a Merkle audit log\n around its own transformer engine.\n' \
	    "$(DEB_VERSION)" "$$(dpkg --print-architecture)" >$(BUILD)/deb/DEBIAN/control
	dpkg-deb --root-owner-group --build $(BUILD)/deb steward_$(DEB_VERSION)_$$(dpkg --print-architecture).deb

# the HTTP API on the default model, with a demo key; prints curl examples
serve: setup-run steward
	@bash scripts/serve.sh

test: setup steward libsteward.so asan fault $(FUZZ_BINS)
	@STEWARD_BUILD=$(BUILD) bash tests/run.sh

bench: setup steward $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
	@STEWARD_BUILD=$(BUILD) bash bench/run.sh

fuzz: setup $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do n=$$(basename $$f); mkdir -p $(FUZZB)/corpus/$$n $(FUZZB)/artifacts; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 -artifact_prefix=$(FUZZB)/artifacts/$$n- \
	    $(FUZZB)/corpus/$$n fuzz/corpus/$$n || exit 1; done

clean:
	rm -rf $(BUILD) steward libsteward.so
