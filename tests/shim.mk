# tests/shim.mk - what the shim tests need (included by the Makefile): the
# fake CUDA driver and runtime, another interposer, the test programs,
# the real-runtime programs where nvcc exists, and the shim benchmark.
# Everything goes to $(BUILD)/fake/, built with the same SANITIZE flags
# as the rest (tests/test_shim.c preloads the sanitizer runtime first).

FAKE_DIR   := $(BUILD)/fake
FAKE_HDRS  := tests/fake/fakecuda.h tests/fake/expect.h
FAKE_CC    = $(CC) $(VS_CFLAGS) -Itests/fake $(CPPFLAGS) $(CFLAGS)
FAKE_RPATH := -Wl,-rpath,'$$ORIGIN'
FAKE_LIBS  := $(FAKE_DIR)/libcuda.so.1 $(FAKE_DIR)/libcuda.so $(FAKE_DIR)/libcudart.so \
	      $(FAKE_DIR)/libchain.so
FAKE_CUDA_PROGS := prog_direct prog_threads prog_fork prog_exit prog_chain prog_fds \
		   prog_lifetime
FAKE_PROGS := $(FAKE_CUDA_PROGS:%=$(FAKE_DIR)/%) $(FAKE_DIR)/prog_loader $(FAKE_DIR)/prog_rt \
	      $(FAKE_DIR)/prog_ctor $(FAKE_DIR)/ctor_lib.so $(FAKE_DIR)/prog_deep \
	      $(FAKE_DIR)/libdeep_plugin.so $(FAKE_DIR)/libdeep_lazy.so

# The fake driver resolves its own symbols internally (-Bsymbolic-functions),
# as the real one does: the shim's exports do not replace its functions.
$(FAKE_DIR)/libcuda.so.1: tests/fake/fake_cuda.c $(FAKE_HDRS) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FAKE    $@")
	$(Q)$(FAKE_CC) -fPIC -shared -Wl,-soname,libcuda.so.1 -Wl,-Bsymbolic-functions \
		-o $@ $< $(VS_LDFLAGS) $(LDFLAGS) -lpthread

$(FAKE_DIR)/libcuda.so: $(FAKE_DIR)/libcuda.so.1
	$(Q)ln -sf libcuda.so.1 $@

$(FAKE_DIR)/libcudart.so: tests/fake/fake_cudart.c $(FAKE_HDRS) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FAKE    $@")
	$(Q)$(FAKE_CC) -fPIC -shared -Wl,-soname,libcudart.so $(FAKE_RPATH) -o $@ $< \
		$(VS_LDFLAGS) $(LDFLAGS) -ldl -lpthread

$(FAKE_DIR)/libchain.so: tests/fake/chain.c $(FAKE_HDRS) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(Q)$(FAKE_CC) -fPIC -shared -o $@ $< $(VS_LDFLAGS) $(LDFLAGS) -ldl

$(FAKE_CUDA_PROGS:%=$(FAKE_DIR)/%): $(FAKE_DIR)/%: tests/fake/%.c $(FAKE_HDRS) $(FAKE_DIR)/libcuda.so
	@$(if $(Q),echo "  FAKE    $@")
	$(Q)$(FAKE_CC) -o $@ $< -L$(FAKE_DIR) $(FAKE_RPATH) $(VS_LDFLAGS) $(LDFLAGS) -lcuda -lpthread -ldl

# The constructor deadlock reproducer (issue 14).
$(FAKE_DIR)/ctor_lib.so: tests/fake/ctor_lib.c $(FAKE_HDRS) $(FAKE_DIR)/libcuda.so
	$(Q)$(FAKE_CC) -fPIC -shared -o $@ $< -L$(FAKE_DIR) $(FAKE_RPATH) $(VS_LDFLAGS) $(LDFLAGS) -lcuda
$(FAKE_DIR)/prog_ctor: tests/fake/prog_ctor.c $(FAKE_HDRS) $(FAKE_DIR)/libcuda.so
	$(Q)$(FAKE_CC) -o $@ $< $(FAKE_RPATH) $(VS_LDFLAGS) $(LDFLAGS) -ldl -lpthread

# A plugin loaded with RTLD_DEEPBIND (issue 14), twice: bound at load with
# its GOT read-only after (full RELRO), and bound lazily (writable GOT).
$(FAKE_DIR)/libdeep_plugin.so: tests/fake/deep_plugin.c $(FAKE_HDRS) $(FAKE_DIR)/libcuda.so
	$(Q)$(FAKE_CC) -fPIC -shared -o $@ $< -L$(FAKE_DIR) $(FAKE_RPATH) $(VS_LDFLAGS) $(LDFLAGS) \
		-Wl,-z,relro,-z,now -lcuda
$(FAKE_DIR)/libdeep_lazy.so: tests/fake/deep_plugin.c $(FAKE_HDRS) $(FAKE_DIR)/libcuda.so
	$(Q)$(FAKE_CC) -fPIC -shared -o $@ $< -L$(FAKE_DIR) $(FAKE_RPATH) $(VS_LDFLAGS) $(LDFLAGS) \
		-Wl,-z,lazy -lcuda
$(FAKE_DIR)/prog_deep: tests/fake/prog_deep.c $(FAKE_HDRS) $(FAKE_DIR)/libcuda.so
	$(Q)$(FAKE_CC) -o $@ $< -L$(FAKE_DIR) $(FAKE_RPATH) $(VS_LDFLAGS) $(LDFLAGS) -lcuda -ldl

$(FAKE_DIR)/prog_loader: tests/fake/prog_loader.c $(FAKE_HDRS) $(FAKE_DIR)/libcuda.so.1
	$(Q)$(FAKE_CC) -o $@ $< $(FAKE_RPATH) $(VS_LDFLAGS) $(LDFLAGS) -ldl

$(FAKE_DIR)/prog_rt: tests/fake/prog_rt.c $(FAKE_HDRS) $(FAKE_DIR)/libcudart.so $(FAKE_DIR)/libcuda.so.1
	$(Q)$(FAKE_CC) -o $@ $< -L$(FAKE_DIR) $(FAKE_RPATH) $(VS_LDFLAGS) $(LDFLAGS) -lcudart -ldl

# Programs of the toolkit's real runtime, static and shared, where nvcc
# exists (tests/test_shim.c says when they are skipped).
NVCC ?= $(firstword $(shell command -v nvcc 2>/dev/null) $(wildcard /usr/local/cuda/bin/nvcc))
ifneq ($(NVCC),)
FAKE_NVCC_PROGS := $(FAKE_DIR)/rt_real_static $(FAKE_DIR)/rt_real_shared
$(FAKE_DIR)/rt_real_static: tests/fake/rt_real.cu | $(DEPS_OK)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  NVCC    $@")
	$(Q)$(NVCC) -cudart static -o $@ $<
$(FAKE_DIR)/rt_real_shared: tests/fake/rt_real.cu | $(DEPS_OK)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  NVCC    $@")
	$(Q)$(NVCC) -cudart shared -o $@ $<
endif

# The shim benchmark: make bench runs it (tests/bench.sh).
$(FAKE_DIR)/bench_shim: tests/bench_shim.c trace/shim/shim_clock.c trace/shim/shim_clock.h \
		$(LIBVS) $(FAKE_DIR)/libcuda.so $(SHIM_SO)
	@$(if $(Q),echo "  BENCH   $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/fake -Itrace/shim -o $@ $< trace/shim/shim_clock.c $(LIBVS) \
		-L$(FAKE_DIR) $(FAKE_RPATH) \
		$(VS_LDFLAGS) $(LDFLAGS) -lcuda $(PKG_LIBS) -lpthread -ldl -lm

CHECK_EXTRA += $(SHIM_SO) $(SHIM_LIB) $(FAKE_LIBS) $(FAKE_PROGS) $(FAKE_NVCC_PROGS) \
	       $(FAKE_DIR)/bench_shim
BENCH_EXTRA += $(FAKE_DIR)/bench_shim
