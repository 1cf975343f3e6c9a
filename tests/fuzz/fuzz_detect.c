/*
 * fuzz_detect.c - the import driver with no --format: every importer's
 * detect() sees the input and the most confident one runs it. Catches a
 * detect() that reads past the end of a short input and an importer that
 * claims bytes it then cannot parse without a clean error. Seeds: all of
 * the other targets' seeds.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_import(NULL, data, size);
	return 0;
}
