# tests/stress.mk - the programs tests/test_shim_stress.c runs under the
# shim (included by the Makefile after tests/shim.mk's fake driver rules).
# They go to $(BUILD)/fake beside the fake driver, built with the same
# SANITIZE flags. prog_stress_suid is prog_stress linked to the shim
# itself, with absolute run paths: a setuid process ignores LD_PRELOAD
# paths, LD_LIBRARY_PATH and $ORIGIN, so this is how the shim gets into
# one (and must then switch itself off).

STRESS_DIR   := $(BUILD)/fake
STRESS_CC     = $(CC) $(VS_CFLAGS) -Itests/fake $(CPPFLAGS) $(CFLAGS)
STRESS_HDRS  := tests/fake/fakecuda.h tests/fake/expect.h
STRESS_PROGS := $(STRESS_DIR)/prog_stress $(STRESS_DIR)/prog_stress_exec \
		$(STRESS_DIR)/prog_stress_kill

$(STRESS_PROGS): $(STRESS_DIR)/%: tests/fake/%.c $(STRESS_HDRS) $(STRESS_DIR)/libcuda.so
	@$(if $(Q),echo "  FAKE    $@")
	$(Q)$(STRESS_CC) -o $@ $< -L$(STRESS_DIR) -Wl,-rpath,'$$ORIGIN' $(VS_LDFLAGS) $(LDFLAGS) \
		-lcuda -lpthread

$(STRESS_DIR)/prog_stress_suid: tests/fake/prog_stress.c $(STRESS_HDRS) $(STRESS_DIR)/libcuda.so \
		$(BUILD)/shim/libvramtrace.so
	@$(if $(Q),echo "  FAKE    $@")
	$(Q)$(STRESS_CC) -o $@ $< -Wl,--no-as-needed $(BUILD)/shim/libvramtrace.so \
		-L$(STRESS_DIR) -lcuda -Wl,-rpath,$(abspath $(STRESS_DIR)):$(abspath $(BUILD)/shim) \
		$(VS_LDFLAGS) $(LDFLAGS) -lpthread

CHECK_EXTRA += $(STRESS_PROGS) $(STRESS_DIR)/prog_stress_suid
