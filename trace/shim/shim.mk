# trace/shim/shim.mk - the recording shim, trace/libvramtrace.so (included by
# the Makefile).
#
# Every trace/shim/*.c, plus the native-format codecs trace/vrt*.c, is built
# position-independent with hidden visibility into $(BUILD)/shim/ and
# linked against libc and libzstd only. Exported: the wrapped CUDA driver
# entry points, the exec family, dlopen and dlsym (as dlsym@GLIBC_2.34 and
# dlsym@GLIBC_2.2.5, or GLIBC_2.17 on aarch64; the version script below
# defines those two version nodes and nothing else, so every other export
# stays unversioned and binds to any reference).
#
# $(BUILD)/shim/libvramtrace.so is the build of the current flavour;
# SHIM_LIB, the copy `vramsim record` finds beside its binary, is
# trace/libvramtrace.so, or for a SANITIZE build (whose binary is
# $(BUILD)/vramsim) $(BUILD)/trace/libvramtrace.so, so a sanitizer build
# never replaces the shim other programs load. The copy is refreshed
# whenever it differs from the build.

SHIM_LIB  := $(if $(SANITIZE),$(BUILD)/trace/libvramtrace.so,trace/libvramtrace.so)
SHIM_SO   := $(BUILD)/shim/libvramtrace.so
SHIM_SRC_ALL := $(sort $(wildcard trace/shim/*.c)) $(sort $(wildcard trace/vrt*.c))
# Objects mirror their source path (build/shim/trace/shim/x.o), so objects
# of an older layout (build/shim/x.o) and their dependency files never apply.
SHIM_OBJ  := $(SHIM_SRC_ALL:%.c=$(BUILD)/shim/%.o)
SHIM_VER  := $(BUILD)/shim/shim.ver
SHIM_BASE_GLIBC := $(if $(filter aarch64%,$(shell $(CC) -dumpmachine 2>/dev/null)),GLIBC_2.17,GLIBC_2.2.5)
SHIM_LIBS  = $(or $(shell $(PKG_CONFIG) --libs libzstd 2>/dev/null),-lzstd) -ldl -lpthread

SHIM_CC = $(CC) $(ALL_CFLAGS) -Itrace/shim -fPIC -fvisibility=hidden -MMD -MP -c
$(BUILD)/shim/%.o: %.c $(FLAGS_STAMP) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (shim)")
	$(Q)$(SHIM_CC) -o $@ $<

$(SHIM_VER): trace/shim/shim.mk
	@mkdir -p $(dir $@)
	$(Q)printf '%s { local: vramsim_dl*; };\nGLIBC_2.34 { } %s;\n' $(SHIM_BASE_GLIBC) $(SHIM_BASE_GLIBC) > $@

$(SHIM_SO): $(SHIM_OBJ) $(SHIM_VER)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,-soname,libvramtrace.so -Wl,--version-script=$(SHIM_VER) \
		-Wl,--no-undefined $(VS_LDFLAGS) $(LDFLAGS) -o $@ $(SHIM_OBJ) $(SHIM_LIBS)

.PHONY: shim-refresh
$(SHIM_LIB): $(SHIM_SO) shim-refresh
	@mkdir -p $(dir $@)
	$(Q)cmp -s $(SHIM_SO) $@ || cp $(SHIM_SO) $@
