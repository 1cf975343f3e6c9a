/*
 * fuzz_torch.c - PyTorch CUDA memory snapshot pickles through the import
 * driver (format "torch"): the pickle reader in streaming mode plus the
 * snapshot walker and reconciliation. Seeds: tests/fuzz/seeds/torch and
 * the pickles in tests/data/traces.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_import("torch", data, size);
	return 0;
}
