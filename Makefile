# steward - build, run, test, bench and fuzz.  `make run` and `make test` do all set-up.
CC      ?= gcc
FUZZCC  ?= clang
BUILD   ?= build
WARN     = -Wall -Wextra -Werror
CSTD     = -std=c11 -D_GNU_SOURCE
INC      = -Iinclude -Isrc
OPT     ?= -O2 -g
CFLAGS_BASE = $(CSTD) $(INC) $(WARN) -fopenmp -pthread
LIBS     = -lsodium -ljansson -lutf8proc -lcurl -lsqlite3 -lmicrohttpd -lm -fopenmp -pthread
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

.PHONY: all run serve test bench fuzz setup clean asan fault
all: steward

setup:
	@bash scripts/setup.sh

# ---- optimised build ----
$(BUILD)/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC   $<"; $(CC) $(CFLAGS_BASE) $(OPT) $(call simd,$*) -c $< -o $@

$(BUILD)/libsteward.a: $(call objs,$(BUILD),$(LIB_SRC))
	@rm -f $@; ar rcs $@ $^

steward: $(call objs,$(BUILD),$(CLI_SRC)) $(BUILD)/libsteward.a
	$(CC) $(OPT) -o $@ $^ $(LIBS)

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

$(ASAN)/tests/%: tests/unit/%.c tests/unit/t.h $(ASAN)/libsteward.a
	@mkdir -p $(dir $@)
	@echo "  CC   $<"; $(CC) $(CFLAGS_BASE) $(SANFLAGS) -Itests/unit -o $@ $< $(ASAN)/libsteward.a $(LIBS)

asan: $(ASAN)/steward $(patsubst tests/unit/%.c,$(ASAN)/tests/%,$(UNIT_SRC))

# ---- fault injection: the optimised CLI with write, pwrite, fsync, fdatasync, rename,
# mmap, open and ftruncate routed through tests/fault/fault_shim.c (STEWARD_FAULT) ----
FAULT_WRAP = -Wl,--wrap=write,--wrap=pwrite,--wrap=fsync,--wrap=fdatasync,--wrap=rename,--wrap=mmap,--wrap=open,--wrap=ftruncate
$(BUILD)/fault/steward: tests/fault/fault_shim.c $(call objs,$(BUILD),$(CLI_SRC)) $(BUILD)/libsteward.a
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
	$(FUZZCC) $(FUZZFLAGS) -fsanitize=fuzzer -o $@ $^ -lsodium -ljansson -lutf8proc -lsqlite3 -lm -pthread

FUZZ_BINS = $(patsubst fuzz/%.c,$(FUZZB)/%,$(FUZZ_SRC))
FUZZ_SECONDS ?= 60

# ---- the README's two commands ----
run: setup steward
	@bash scripts/run.sh

# the HTTP API on the default model, with a demo key; prints curl examples
serve: setup steward
	@bash scripts/serve.sh

test: setup steward asan fault $(FUZZ_BINS)
	@STEWARD_BUILD=$(BUILD) bash tests/run.sh

bench: setup steward $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
	@STEWARD_BUILD=$(BUILD) bash bench/run.sh

fuzz: setup $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do n=$$(basename $$f); mkdir -p $(FUZZB)/corpus/$$n; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) $(FUZZB)/corpus/$$n fuzz/corpus/$$n || exit 1; done

clean:
	rm -rf $(BUILD) steward
