# sim/engine/mtmd.mk - compiles llama.cpp's projector loader (tools/mtmd:
# clip.cpp and the graph builders under models/) of the pinned tag into one
# static archive for the planner. Run by engine.mk as a sub-make once
# fetch_mtmd.sh has unpacked the sources: the builders are globbed here,
# after the fetch, so another pinned tag with other models needs no list.
#
#   make -f sim/engine/mtmd.mk SRC=<dir> OBJ=<dir> LIB=<archive> MTMD_CXXFLAGS=...
#
# Third-party code: compiled without vramsim's warning flags (-w), as
# upstream's CMake does with its own.

SRC ?=
OBJ ?=
LIB ?=
MTMD_CXXFLAGS ?=
CXX ?= g++
AR ?= ar

MTMD_SRC := $(SRC)/clip.cpp $(sort $(wildcard $(SRC)/models/*.cpp))
MTMD_OBJ := $(MTMD_SRC:$(SRC)/%.cpp=$(OBJ)/%.o)

$(LIB): $(MTMD_OBJ)
	@rm -f $@
	$(AR) rcs $@ $(MTMD_OBJ)

$(OBJ)/%.o: $(SRC)/%.cpp
	@mkdir -p $(dir $@)
	@echo "  CXX     $< (engine, llama.cpp)"
	@$(CXX) $(MTMD_CXXFLAGS) -w -c -o $@ $<
