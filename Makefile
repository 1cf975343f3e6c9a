# vramsim - where did my VRAM go, and will it fit?
#
#   make            build ./vramsim and trace/libvramtrace.so
#   make check      build and run every test (CUnit suites + CLI tests)
#   make demo       build, import the bundled sample, replay it on 4x24G, draw PNGs
#   make help       list all targets
#
# Knobs: CC, CFLAGS, CPPFLAGS, LDFLAGS, LDLIBS, PREFIX, DESTDIR, V=1,
# SANITIZE=address,undefined (objects go to their own build folder),
# ENGINE=none (no llama.cpp engine planner; see sim/engine/engine.mk).

PREFIX   ?= /usr/local
prefix   ?= $(PREFIX)
bindir   ?= $(prefix)/bin
libdir   ?= $(prefix)/lib
datadir  ?= $(prefix)/share
mandir   ?= $(datadir)/man
INSTALL  ?= install
PKG_CONFIG ?= pkg-config

VERSION  := 0.1.0
CFLAGS   ?= -O2 -g
SANITIZE ?=
BUILD    ?= build$(if $(SANITIZE),-$(subst $(comma),-,$(SANITIZE)))
comma    := ,
# A folder of the installed tree relative to bindir (found from the binary,
# so a DESTDIR or moved install finds its files); absolute when it is not
# under the prefix beside bindir.
rel_to_bin = $(if $(filter $(prefix)/bin,$(bindir)),$(patsubst $(prefix)/%,../%,$(1)),$(1))

ifeq ($(V),1)
Q :=
else
Q := @
endif

# Debian packages the build, tests and demo need.
DEB_PKGS := gcc make pkg-config libsqlite3-dev libzstd-dev libcunit1-dev \
	    libjansson-dev zlib1g-dev gnuplot-nox

# Evaluated lazily (=), after the deps stamp has installed pkg-config.
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags sqlite3 libzstd jansson zlib 2>/dev/null)
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs sqlite3 libzstd jansson zlib 2>/dev/null)
CUNIT_LIBS = $(shell $(PKG_CONFIG) --libs cunit 2>/dev/null || echo -lcunit)

VS_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	     -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wformat=2 \
	     -Itrace -Iimport -Isim -Iplots -DVRAMSIM_VERSION='"$(VERSION)"' \
	     -DVRAMSIM_DATADIR='"$(datadir)/vramsim"' -DVRAMSIM_LIBDIR='"$(libdir)"' \
	     -DVRAMSIM_DATADIR_REL='"$(call rel_to_bin,$(datadir))/vramsim"' \
	     -DVRAMSIM_LIBDIR_REL='"$(call rel_to_bin,$(libdir))"'
ifneq ($(SANITIZE),)
VS_CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=$(SANITIZE) -fno-omit-frame-pointer
VS_LDFLAGS += -fsanitize=$(SANITIZE)
endif
ALL_CFLAGS = $(VS_CFLAGS) $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS)

# Only the top of each folder is the library; a subfolder with its own .mk
# fragment is built apart (trace/shim/: the shim, which loads into other
# people's processes and links only libc and zstd).
MAIN_SRC  := plots/vramsim.c
LIB_SRC   := $(filter-out $(MAIN_SRC),$(sort $(wildcard trace/*.c import/*.c sim/*.c plots/*.c)))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ  := $(MAIN_SRC:%.c=$(BUILD)/%.o)
TEST_SRC  := $(sort $(wildcard tests/test_*.c))
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_HELPER_SRC := $(filter-out $(TEST_SRC),$(wildcard tests/cu_*.c))
TEST_HELPER_OBJ := $(TEST_HELPER_SRC:%.c=$(BUILD)/%.o)
LIBVS     := $(BUILD)/libvramsim.a
# A sanitizer build keeps its own binary so it never replaces ./vramsim.
BIN       := $(if $(SANITIZE),$(BUILD)/vramsim,vramsim)
DEPS_OK   := build/.deps-ok

# Stage-specific rules (the shim, fake CUDA libraries, fuzzers) live beside
# their code and are included here.
-include $(filter-out build%,$(wildcard */*/*.mk */*.mk))

.PHONY: man all deps check check-asan check-unit check-cli demo install uninstall \
	clean help bench validate fuzz
.DEFAULT_GOAL := all
.SECONDARY:

## all: build ./vramsim and the recording shim (the default)
all: vramsim $(SHIM_LIB)

## deps: install missing Debian packages (as root) or print the apt-get line
deps: $(DEPS_OK)
$(DEPS_OK):
	@missing=""; \
	if command -v dpkg >/dev/null 2>&1; then \
	  for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	fi; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "vramsim: installing missing packages:$$missing" >&2; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >&2 || exit 1; \
	  else \
	    echo "vramsim: missing Debian packages; install them with:" >&2; \
	    echo "  sudo apt-get install$$missing" >&2; exit 1; \
	  fi; \
	fi; mkdir -p build && touch $@

# Objects are rebuilt when the flags change (CFLAGS, PREFIX, SANITIZE, ...).
FLAGS_STAMP := $(BUILD)/.flags
.PHONY: FORCE
$(FLAGS_STAMP): FORCE | $(DEPS_OK)
	$(shell mkdir -p $(dir $@))$(file >$@.new,$(ALL_CFLAGS) $(VS_LDFLAGS) $(LDFLAGS))
	@cmp -s $@.new $@ || mv $@.new $@; rm -f $@.new

$(BUILD)/%.o: %.c $(FLAGS_STAMP) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBVS): $(LIB_OBJ)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BIN): $(MAIN_OBJ) $(LIBVS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(VS_LDFLAGS) $(LDFLAGS) -o $@ $(MAIN_OBJ) $(LIBVS) $(PKG_LIBS) -lm -lpthread -ldl $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(LIBVS) $(TEST_HELPER_OBJ) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST-CC $<")
	$(Q)$(CC) $(ALL_CFLAGS) -Itests -MMD -MP -o $@ $< $(TEST_HELPER_OBJ) $(LIBVS) \
		$(VS_LDFLAGS) $(LDFLAGS) $(CUNIT_LIBS) $(PKG_LIBS) -lm -lpthread -ldl $(LDLIBS)


## check: build and run every test suite, then the CLI tests
check: $(BIN) $(TEST_BIN) $(CHECK_EXTRA)
	$(Q)BUILD=$(BUILD) VRAMSIM=$(abspath $(BIN)) SANITIZE=$(SANITIZE) sh tests/run.sh $(TEST_BIN)

## check-asan: the same suite under AddressSanitizer + UndefinedBehaviorSanitizer
check-asan:
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		$(MAKE) --no-print-directory check SANITIZE=address,undefined CFLAGS='-O1 -g'

## demo: import the bundled 70B log, replay on 4x24G and 2x24G,1x12G, draw PNGs
demo: vramsim
	$(Q)sh tests/demo.sh

# bench_shim is built by tests/shim.mk against the fake CUDA libraries.
BENCH_SRC := $(filter-out tests/bench_shim.c,$(sort $(wildcard tests/bench_*.c)))
BENCH_BIN := $(BENCH_SRC:tests/%.c=$(BUILD)/bench/%)
$(BUILD)/bench/%: tests/%.c $(LIBVS) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(LIBVS) $(VS_LDFLAGS) $(LDFLAGS) $(PKG_LIBS) -lm -lpthread -ldl $(LDLIBS)

## validate: predict load B from load A; re-plan every log that prints its model with the engine
validate: $(BUILD)/validate $(BUILD)/validate_logs
	$(Q)$(BUILD)/validate sim/model_error.h
	$(Q)$(BUILD)/validate_logs tests/data/logs
$(BUILD)/validate: tests/validate.c $(LIBVS) | $(DEPS_OK)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBVS) $(VS_LDFLAGS) $(LDFLAGS) $(PKG_LIBS) -lm -lpthread -ldl $(LDLIBS)
# tests/cli/engine_vs_log.sh synthesises the logs' models with it
check: $(BUILD)/validate_logs
$(BUILD)/validate_logs: tests/validate_logs.c $(LIBVS) | $(DEPS_OK)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBVS) $(VS_LDFLAGS) $(LDFLAGS) $(PKG_LIBS) -lm -lpthread -ldl $(LDLIBS)

# tests/gpu's scripts read a trace's events through it; built here so it cannot rot
check: $(BUILD)/gpu_rows
$(BUILD)/gpu_rows: tests/gpu/rows.c $(LIBVS) | $(DEPS_OK)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBVS) $(VS_LDFLAGS) $(LDFLAGS) $(PKG_LIBS) -lm -lpthread -ldl $(LDLIBS)

## bench: print throughput figures (events/s, ns per call, bytes per event)
bench: vramsim $(BENCH_BIN) $(BENCH_EXTRA)
	$(Q)BUILD=$(BUILD) sh tests/bench.sh

## man: generate the man page vramsim.1 from the --help texts
man: vramsim.1
vramsim.1: vramsim
	$(Q)./vramsim --man > $@

## install: install vramsim, the shim and the gnuplot scripts under DESTDIR/PREFIX
install: all vramsim.1 install-engine
	$(INSTALL) -d $(DESTDIR)$(bindir) $(DESTDIR)$(libdir) $(DESTDIR)$(datadir)/vramsim
	$(INSTALL) -m 755 vramsim $(DESTDIR)$(bindir)/vramsim
	$(if $(SHIM_LIB),$(INSTALL) -m 755 $(SHIM_LIB) $(DESTDIR)$(libdir)/libvramtrace.so)
	$(INSTALL) -m 644 $(wildcard plots/*.gp) $(DESTDIR)$(datadir)/vramsim/
	$(if $(wildcard vramsim.1),$(INSTALL) -d $(DESTDIR)$(mandir)/man1 && $(INSTALL) -m 644 vramsim.1 $(DESTDIR)$(mandir)/man1/vramsim.1)
	$(INSTALL) -d $(DESTDIR)$(datadir)/bash-completion/completions $(DESTDIR)$(datadir)/zsh/vendor-completions
	./vramsim completion bash > $(DESTDIR)$(datadir)/bash-completion/completions/vramsim
	./vramsim completion zsh > $(DESTDIR)$(datadir)/zsh/vendor-completions/_vramsim

## uninstall: remove what install installed
uninstall:
	rm -rf $(DESTDIR)$(libdir)/vramsim
	rm -f $(DESTDIR)$(bindir)/vramsim $(DESTDIR)$(libdir)/libvramtrace.so \
	      $(DESTDIR)$(mandir)/man1/vramsim.1 \
	      $(DESTDIR)$(datadir)/bash-completion/completions/vramsim \
	      $(DESTDIR)$(datadir)/zsh/vendor-completions/_vramsim
	rm -rf $(DESTDIR)$(datadir)/vramsim

## clean: remove build outputs
clean:
	rm -rf build build-* vramsim vramsim.1 trace/libvramtrace.so demo-out

## help: this list
help:
	@echo "vramsim $(VERSION) make targets:"
	@sed -n 's/^## \([a-z-]*\): \(.*\)/  \1\t\2/p' $(MAKEFILE_LIST) | expand -t 16

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
