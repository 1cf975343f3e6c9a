# bench_import.mk - `make bench-import`: throughput (MB/s) and peak memory of
# the PyTorch snapshot and Kineto importers on the fixtures and a synthetic
# 40 MB snapshot (tests/bench_import_torch.c). `make bench` runs it too
# (tests/bench.sh runs every $(BUILD)/bench/bench_*).
BENCH_IMPORT := $(BUILD)/bench/bench_import_torch

$(BENCH_IMPORT): tests/bench_import_torch.c tests/pkl_write.h $(LIBVS) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BENCH-CC $<")
	$(Q)$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(LIBVS) \
		$(VS_LDFLAGS) $(LDFLAGS) $(PKG_LIBS) -lm -lpthread -ldl $(LDLIBS)

BENCH_EXTRA += $(BENCH_IMPORT)

.PHONY: bench-import
## bench-import: MB/s and peak memory of the torch snapshot and Kineto importers
bench-import: $(BENCH_IMPORT)
	$(Q)$(BENCH_IMPORT)
