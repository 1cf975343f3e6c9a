# fuzz.mk - libFuzzer targets for every parser (included by the Makefile).
#
#   make fuzz                   build every target, run each for FUZZ_SECONDS
#   make fuzz FUZZ_SECONDS=600  longer; `make -j2 fuzz` runs two at a time
#   make fuzz FUZZ_TARGETS='gguf pickle'   only these
#   make fuzz-build             build only (build-fuzz/fuzz_*)
#   make fuzz-regress           run every target once over tests/fuzz/regress
#                               and tests/bad (no fuzzing: seconds)
#
# The library is compiled again with clang, coverage instrumentation and
# ASan+UBSan into build-fuzz/ (the gcc build is never linked in). Each run
# starts from a fresh corpus in build-fuzz/run/NAME/, filled from the seeds
# (tests/fuzz/seeds/NAME, the matching files under tests/data, and the saved
# regressions tests/fuzz/regress/NAME), so the sources are never written.
# A crash, leak, sanitizer report or broken contract (tests/fuzz/fuzz.h)
# fails the target; its input is saved as build-fuzz/crashes/NAME-crash-*,
# its log as build-fuzz/logs/NAME.log. To keep a crash as a regression test:
#   build-fuzz/fuzz_NAME -minimize_crash=1 -runs=10000 build-fuzz/crashes/NAME-crash-X
#   cp build-fuzz/crashes/NAME-minimized-from-* tests/fuzz/regress/NAME/
# and to replay one input: build-fuzz/fuzz_NAME FILE.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_BUILD   ?= build-fuzz
FUZZ_ALL     := llamalog gguf pickle torch kineto nsys vrt detect labels topo llm scenario ollama shimw term engwire estimate
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_SAN     ?= -fsanitize=address,undefined -fno-sanitize-recover=address,undefined
# The house warnings, minus -Werror for the library (clang warns where gcc
# does not: a new clang warning must not stop a fuzzing run) and minus the
# flavour flags of a SANITIZE build. The targets themselves keep -Werror.
FUZZ_WARN    := $(filter-out -Werror -fsanitize=% -fno-sanitize-recover=% -fno-omit-frame-pointer,$(VS_CFLAGS))
FUZZ_CFLAGS   = $(FUZZ_WARN) -Wno-format-nonliteral $(PKG_CFLAGS) $(CPPFLAGS) -g -O1 \
		-fno-omit-frame-pointer $(FUZZ_SAN)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_LIB     := $(FUZZ_BUILD)/libvramsim.a
FUZZ_BIN     := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_LIBS     = $(PKG_LIBS) -lm -lpthread -ldl
# Longest input per target, large enough that the blow-ups found by hand
# are reachable (issue 16): a gzip bomb (~1 MB inflating to 1 GB), 200 k
# distinct pids (1.2-7 MB of Kineto JSON), a 16 MB log read whole, GGUF
# headers with 300 k tensors. libFuzzer starts small and grows inputs up
# to this; -rss_limit_mb and -timeout then turn a blow-up into a failure.
FUZZ_MAXLEN          := 1048576
FUZZ_MAXLEN_llamalog := 16777216
FUZZ_MAXLEN_gguf     := 8388608
FUZZ_MAXLEN_torch    := 8388608
FUZZ_MAXLEN_pickle   := 8388608
FUZZ_MAXLEN_kineto   := 8388608
FUZZ_MAXLEN_detect   := 8388608
FUZZ_MAXLEN_vrt      := 4194304
FUZZ_MAXLEN_topo     := 4096
FUZZ_MAXLEN_llm      := 4096
FUZZ_MAXLEN_scenario := 4096
FUZZ_MAXLEN_labels   := 65536
# A run over 10 s or 2 GiB of memory is a failure (the budget of one input).
FUZZ_OPTS    ?= -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1

# Seeds of each target (files; folders are expanded by the shell at run time).
FUZZ_SEEDS_llamalog := tests/data/logs/*.log
FUZZ_SEEDS_gguf     := tests/data/gguf/*.gguf
FUZZ_SEEDS_torch    := tests/data/traces/*.pickle
FUZZ_SEEDS_pickle   := tests/fuzz/seeds/torch/* tests/data/traces/*.pickle
FUZZ_SEEDS_kineto   := tests/data/traces/*.json.gz tests/data/traces/*.json
FUZZ_SEEDS_vrt      := $(shell find tests/data -name '*.vrt.zst' 2>/dev/null)
FUZZ_SEEDS_term     := tests/cli/terminal.sh tests/data/logs/llamacpp-15860-memory-breakdown-3x4090.log
FUZZ_SEEDS_detect    = $(foreach t,llamalog gguf torch kineto vrt,$(FUZZ_SEEDS_$(t)) tests/fuzz/seeds/$(t)/*) \
		       tests/bad/*

# fuzz-run-NAME is not .PHONY: make would not search the pattern rule for
# it. No file of that name is ever made, so it always runs.
.PHONY: fuzz-build fuzz-regress

## fuzz: run every libFuzzer target FUZZ_SECONDS (30) seconds; fails on any crash
fuzz: $(FUZZ_TARGETS:%=fuzz-run-%)
	@echo "fuzz: $(words $(FUZZ_TARGETS)) targets ran $(FUZZ_SECONDS) s each without a crash"

fuzz-build: $(FUZZ_BIN)

$(FUZZ_BUILD)/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ-CC $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIB) | $(DEPS_OK)
	@$(if $(Q),echo "  FUZZ-LD $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -Itests/fuzz -fsanitize=fuzzer -MMD -MP -o $@ $< \
		$(FUZZ_LIB) $(FUZZ_LIBS)

$(FUZZ_BUILD)/seed_vrt: tests/fuzz/seed_vrt.c tests/fuzz/fuzz_vrt.h $(FUZZ_LIB) | $(DEPS_OK)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -Itests/fuzz -fsanitize=fuzzer-no-link -o $@ $< \
		$(FUZZ_LIB) $(FUZZ_LIBS)

$(FUZZ_BUILD)/fuzz_vrt: tests/fuzz/fuzz_vrt.h
fuzz-run-vrt: $(FUZZ_BUILD)/seed_vrt

# One run: fresh corpus from the seeds, then fuzz. The per-target seed
# folder and regressions are optional; missing globs are skipped.
fuzz-run-%: $(FUZZ_BUILD)/fuzz_%
	$(Q)set -e; t=$*; run=$(FUZZ_BUILD)/run/$$t; \
	rm -rf $$run; mkdir -p $$run/corpus $(FUZZ_BUILD)/crashes $(FUZZ_BUILD)/logs $$run/tmp; \
	for f in tests/fuzz/seeds/$$t/* tests/fuzz/regress/$$t/* $(FUZZ_SEEDS_$*); do \
		if [ -f "$$f" ]; then cp "$$f" "$$run/corpus/$$(echo "$$f" | tr / _)"; fi; \
	done; \
	if [ "$$t" = vrt ]; then $(FUZZ_BUILD)/seed_vrt $$run/corpus; fi; \
	dict=; [ -f tests/fuzz/$$t.dict ] && dict=-dict=tests/fuzz/$$t.dict; \
	echo "  FUZZ    $$t for $(FUZZ_SECONDS) s ($$(ls $$run/corpus | wc -l) seeds)"; \
	if TMPDIR=$$PWD/$$run/tmp ASAN_OPTIONS=detect_leaks=1:$${ASAN_OPTIONS:-} \
	   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:$${UBSAN_OPTIONS:-} \
	   $(FUZZ_BUILD)/fuzz_$$t $(FUZZ_OPTS) -max_total_time=$(FUZZ_SECONDS) \
		-max_len=$(or $(FUZZ_MAXLEN_$*),$(FUZZ_MAXLEN)) $$dict \
		-artifact_prefix=$(FUZZ_BUILD)/crashes/$$t- $$run/corpus \
		>$(FUZZ_BUILD)/logs/$$t.log 2>&1; then \
		awk -v t=$$t '/stat::number_of_executed_units/ {n=$$2} /stat::average_exec_per_sec/ {r=$$2} \
			/cov: / {c=$$0} END {sub(/^.*cov: /, "cov: ", c); sub(/ ft:.*/, "", c); \
			printf "  fuzz: %-9s %10s runs, %6s/s, %s\n", t, n, r, c}' $(FUZZ_BUILD)/logs/$$t.log; \
	else \
		echo "fuzz: $$t FAILED (log: $(FUZZ_BUILD)/logs/$$t.log, input: $(FUZZ_BUILD)/crashes/$$t-*)"; \
		grep -E -A30 '^==[0-9]+==ERROR|runtime error|fuzz: contract broken|^ALARM|out-of-memory' \
			$(FUZZ_BUILD)/logs/$$t.log | head -60; \
		exit 1; \
	fi

## fuzz-regress: run each fuzz target once over its saved crash inputs and tests/bad
fuzz-regress: $(FUZZ_BIN)
	$(Q)st=0; for t in $(FUZZ_TARGETS); do \
		set -- tests/fuzz/regress/$$t/* tests/bad/*; files=; \
		for f in "$$@"; do if [ -f "$$f" ]; then files="$$files $$f"; fi; done; \
		[ -z "$$files" ] && continue; \
		mkdir -p $(FUZZ_BUILD)/tmp; \
		if TMPDIR=$$PWD/$(FUZZ_BUILD)/tmp $(FUZZ_BUILD)/fuzz_$$t -runs=1 $$files \
		   >$(FUZZ_BUILD)/regress-$$t.log 2>&1; \
		then echo "  fuzz-regress: $$t ok"; \
		else echo "fuzz-regress: $$t FAILED (log: $(FUZZ_BUILD)/regress-$$t.log)"; st=1; fi; \
	done; exit $$st

-include $(shell find $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
