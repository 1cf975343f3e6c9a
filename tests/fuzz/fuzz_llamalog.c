/*
 * fuzz_llamalog.c - llama.cpp / Ollama / ik_llama.cpp server logs through
 * the import driver (format "llamalog"). Seeds: tests/data/logs.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_import("llamalog", data, size);
	return 0;
}
