/*
 * prog_exit.c - ends without exit handlers: "exit" calls _exit(0) after
 * waiting past a flush period; "kill" announces itself in the file named
 * by its second argument and waits to be killed with SIGKILL. Either way
 * no END record is written: the trace is truncated, but every event
 * recorded before the last periodic flush is in it.
 *
 * Usage: prog_exit exit | kill READY_FILE
 */
#include <time.h>

#include "expect.h"
#include "fakecuda.h"

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) != 0)
		;
}

int main(int argc, char **argv)
{
	CHECK(argc > 1);
	CHECK(cuInit(0) == CUDA_SUCCESS);
	CUcontext c;
	CHECK(cuDevicePrimaryCtxRetain(&c, 1) == CUDA_SUCCESS);
	ex_marker(1, (uintptr_t)c, "cuDevicePrimaryCtxRetain", "primary context retain");
	ex_snap(1, fakecuda_used(1), 2048ull << 20, "context create");
	CHECK(cuCtxSetCurrent(c) == CUDA_SUCCESS);
	CUdeviceptr keep[8];
	for (int i = 0; i < 8; i++) {
		CHECK(cuMemAlloc_v2(&keep[i], (size_t)(i + 1) << 20) == CUDA_SUCCESS);
		ex_alloc(1, (size_t)(i + 1) << 20, (size_t)(i + 1) << 20, keep[i], "cuMemAlloc_v2");
	}
	for (int i = 0; i < 8; i += 2) {
		CHECK(cuMemFree_v2(keep[i]) == CUDA_SUCCESS);
		ex_free(1, (size_t)(i + 1) << 20, keep[i], "cuMemFree_v2");
	}
	/* Several flush periods (VRAMSIM_FLUSH_MS) pass. */
	nap_ms(300);
	if (strcmp(argv[1], "exit") == 0)
		_exit(0);
	CHECK(argc > 2);
	FILE *f = fopen(argv[2], "w");
	CHECK(f != NULL);
	fprintf(f, "%lld\n", fakecuda_used(1));
	fclose(f);
	for (;;)
		nap_ms(1000);
}
