# sim/engine/engine.mk - the llama.cpp engine planner (included by the Makefile).
#
# `make` fetches one pinned llama.cpp (prebuilt CPU libraries and the headers
# of the same tag, both from the npm registry, sha256-checked, cached under
# build/engine/<tag>/) and builds build/engine/vramsim-engine: the planner
# process vramsim talks to (sim/engine.h). Nothing is downloaded at run time.
#
#   make ENGINE=none   build without it: vramsim uses its formula model and
#                      says so in every result.
#   make ENGINE=<tag>  another pinned engine from the table below.
#
# If the engine cannot be had (offline, not linux-x64, no npm), the build goes
# on without it and says why; `make check` then skips the engine tests, naming
# the reason.
#
# The planner and the engine libraries are built without sanitizers into
# build/engine/ for every flavour: the prebuilt libraries are not
# instrumented, and a sanitizer build of vramsim spawns the same planner.

# Pinned engines, one line each: tag, npm version of node-llama-cpp that ships
# it, sha256 of @node-llama-cpp/linux-x64-<ver>.tgz, sha256 of node-llama-cpp-<ver>.tgz.
ENGINE_PIN.v0.5.0 := 3.22.1 0d953e1503d5ab4608d8ed5b739132308c81ac05ffeb760d2a7f30e08a9f90e0 a0d9dd80eacd2ab1cfe71aee57ac8a806487fd70b3d2a38fbec637752d9e5c5f

ENGINE_HOST := $(shell uname -sm 2>/dev/null)
ENGINE ?= v0.5.0
ifneq ($(ENGINE_HOST),Linux x86_64)
override ENGINE := none
ENGINE_WHY := the pinned prebuilt libraries are for Linux x86_64, this is $(ENGINE_HOST)
endif

ENG_OUT     := build/engine
ENG_PLANNER := $(ENG_OUT)/vramsim-engine

ifneq ($(ENGINE),none)
ENG_PIN := $(ENGINE_PIN.$(ENGINE))
ifeq ($(ENG_PIN),)
$(error ENGINE=$(ENGINE): no such pinned engine (pinned: $(patsubst ENGINE_PIN.%,%,$(filter ENGINE_PIN.%,$(.VARIABLES))), or none))
endif
ENG_NPM  := $(word 1,$(ENG_PIN))
ENG_DIR  := $(ENG_OUT)/$(ENGINE)
ENG_INC  := $(ENG_DIR)/include
# Third-party headers are system includes: their warnings are not ours, and
# llama.cpp's gguf.h can never shadow a vramsim header.
ENG_ISYS := -isystem $(ENG_INC)/include -isystem $(ENG_INC)/ggml/include \
	    -isystem $(ENG_INC)/ggml/src -isystem $(ENG_INC)/src -isystem $(ENG_INC)/common
ENG_WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2
ENG_CFLAGS   := -std=c11 -D_GNU_SOURCE $(ENG_WARN) -Wstrict-prototypes -Wmissing-prototypes \
		-Wvla -O2 -g -Isim -Isim/engine $(ENG_ISYS) -DENG_TAG='"$(ENGINE)"'
ENG_CXXFLAGS := -std=c++17 $(ENG_WARN) -O2 -g -Isim/engine $(ENG_ISYS)
# libllama-common carries common_fit_params; the CPU backend variants are
# loaded at run time from lib/ (GGML_BACKEND_DL build).
ENG_LIBS := -L$(ENG_DIR)/lib -l:libllama-common.so -l:libllama.$(ENGINE).so \
	    -l:libggml.$(ENGINE).so -l:libggml-base.so -Wl,-rpath,'$$ORIGIN/lib' -Wl,--enable-new-dtags
ENG_SRC_C  := sim/engine/vdev.c sim/engine/vdev_rules.c sim/engine/planner.c sim/engine/selfcheck.c sim/engine/stamp.c \
	      sim/engine/backends.c sim/engwire.c sim/engine/proj.c
ENG_SRC_CC := sim/engine/llb.cpp
ENG_OBJ    := $(ENG_SRC_C:%.c=$(ENG_OUT)/obj/%.o) $(ENG_SRC_CC:%.cpp=$(ENG_OUT)/obj/%.o)
# The projector plan (--mmproj): llama.cpp's own clip loader (tools/mtmd of
# the same tag, not in the prebuilt package) built here into an archive by
# sim/engine/mtmd.mk, behind the one bridge file mmp.cpp (C interface mmp.h).
ENG_MTMD      := $(ENG_DIR)/mtmd
ENG_MTMD_LIB  := $(ENG_OUT)/obj/mtmd-$(ENGINE)/libclip.a
ENG_MTMD_FLAGS := -std=c++17 -O1 -isystem $(ENG_INC)/include -isystem $(ENG_INC)/ggml/include -I$(ENG_MTMD)
ENG_OBJ    += $(ENG_OUT)/obj/sim/engine/mmp.o
CXX ?= g++

# npm and git are only needed when missing (an npm from elsewhere is fine).
DEB_PKGS += g++ $(if $(shell command -v npm 2>/dev/null),,npm) $(if $(shell command -v git 2>/dev/null),,git)

$(ENG_DIR)/.ok: sim/engine/fetch.sh | $(DEPS_OK)
	@echo "  FETCH   llama.cpp $(ENGINE) (npm node-llama-cpp@$(ENG_NPM))"
	$(Q)sh sim/engine/fetch.sh $(ENG_DIR) $(ENG_NPM) $(ENGINE) $(word 2,$(ENG_PIN)) $(word 3,$(ENG_PIN))

$(ENG_OUT)/obj/%.o: %.c $(ENG_DIR)/.ok sim/engine/engine.mk
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (engine)")
	$(Q)$(CC) $(ENG_CFLAGS) -MMD -MP -c -o $@ $<

$(ENG_OUT)/obj/%.o: %.cpp $(ENG_DIR)/.ok $(ENG_MTMD)/.ok sim/engine/engine.mk
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CXX     $< (engine)")
	$(Q)$(CXX) $(ENG_CXXFLAGS) -isystem $(ENG_MTMD) -MMD -MP -c -o $@ $<

$(ENG_MTMD)/.ok: sim/engine/fetch_mtmd.sh $(ENG_DIR)/.ok
	@echo "  FETCH   llama.cpp $(ENGINE) tools/mtmd (the projector loader, from the same bundle)"
	$(Q)sh sim/engine/fetch_mtmd.sh $(ENG_DIR) $(ENG_NPM) $(ENGINE) $(word 3,$(ENG_PIN))

$(ENG_MTMD_LIB): $(ENG_MTMD)/.ok sim/engine/mtmd.mk
	$(Q)$(MAKE) --no-print-directory -f sim/engine/mtmd.mk SRC=$(ENG_MTMD) OBJ=$(dir $@) LIB=$@ \
		CXX='$(CXX)' MTMD_CXXFLAGS='$(ENG_MTMD_FLAGS)'

# The planner finds its libraries in lib/ beside it ($ORIGIN/lib).
$(ENG_PLANNER): $(ENG_OBJ) $(ENG_MTMD_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)rm -rf $(ENG_OUT)/lib && cp -a $(ENG_DIR)/lib $(ENG_OUT)/lib && cp $(ENG_DIR)/LICENSE $(ENG_OUT)/lib/LICENSE.llama.cpp
	$(Q)$(CXX) -o $@ $(ENG_OBJ) $(ENG_MTMD_LIB) $(ENG_LIBS) -lm -lpthread

# Soft: a failed fetch leaves vramsim on its formula model, saying why.
.PHONY: engine
engine: | $(DEPS_OK)
	$(Q)$(MAKE) --no-print-directory $(ENG_PLANNER) || \
		{ rm -f $(ENG_PLANNER); echo "vramsim: the llama.cpp engine is unavailable (see above); vramsim will use its formula model" >&2; }

install-engine: engine
	$(if $(wildcard $(ENG_PLANNER)),$(INSTALL) -d $(DESTDIR)$(libdir)/vramsim/lib && \
		$(INSTALL) -m 755 $(ENG_PLANNER) $(DESTDIR)$(libdir)/vramsim/vramsim-engine && \
		$(INSTALL) -m 644 $(ENG_OUT)/lib/* $(DESTDIR)$(libdir)/vramsim/lib/)

-include $(wildcard $(ENG_OUT)/obj/sim/*.d $(ENG_OUT)/obj/sim/engine/*.d)
else
.PHONY: engine install-engine
engine:
	@echo "vramsim: built with ENGINE=none$(if $(ENGINE_WHY), ($(ENGINE_WHY))): no llama.cpp engine; vramsim uses its formula model"
	$(Q)rm -f $(ENG_PLANNER)
install-engine:
endif

all: engine
CHECK_EXTRA += engine
BENCH_EXTRA += engine

# The engine benchmark and tests write header-only GGUFs with tests/cu_gguf.c.
$(BUILD)/bench/bench_engine: tests/bench_engine.c tests/cu_gguf.c $(LIBVS) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests -o $@ tests/bench_engine.c tests/cu_gguf.c $(LIBVS) $(VS_LDFLAGS) $(LDFLAGS) $(PKG_LIBS) -lm -lpthread -ldl $(LDLIBS)

# `make validate` also checks the planner's method (tests/validate_engine.c).
validate: validate-engine
.PHONY: validate-engine
validate-engine: $(BUILD)/validate_engine engine
	$(Q)$(BUILD)/validate_engine
$(BUILD)/validate_engine: tests/validate_engine.c tests/cu_gguf.c $(LIBVS) | $(DEPS_OK)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests -o $@ tests/validate_engine.c tests/cu_gguf.c $(LIBVS) $(VS_LDFLAGS) $(LDFLAGS) $(PKG_LIBS) -lm -lpthread -ldl $(LDLIBS)
