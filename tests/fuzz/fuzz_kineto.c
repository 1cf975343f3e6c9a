/*
 * fuzz_kineto.c - PyTorch profiler / Kineto Chrome trace JSON (plain or
 * gzip) through the import driver (format "kineto"). Seeds: the small
 * traces in tests/fuzz/seeds/kineto and the real ones in tests/data/traces
 * (cut to -max_len, which exercises the cut-gzip paths).
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_import("kineto", data, size);
	return 0;
}
