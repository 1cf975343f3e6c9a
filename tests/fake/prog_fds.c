/*
 * prog_fds.c - a program that does to its descriptors what daemons and
 * launchers do, after the shim has opened its trace file: the shim must
 * never write into the program's own files (issue 16).
 *
 *   closeall  close every descriptor >= 3, open its file "data"
 *   dup2      open "data", dup2 it over every descriptor 3..1023
 *   exec      close every descriptor (0, 1 and 2 too), exec itself as
 *             "exec2", which opens "data2" (descriptor 0) and allocates
 *
 * Each writes "0123456789" to its file, allocates and frees while several
 * flush periods pass, writes "abcdefghij" and exits 0: the file must hold
 * exactly those 20 bytes, and every call must be in the trace.
 *
 * Usage: prog_fds closeall | dup2 | exec
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

static void some_calls(int n)
{
	CUdeviceptr p[16];
	for (int i = 0; i < n; i++) {
		size_t sz = (size_t)(i + 1) << 16;
		CHECK(cuMemAlloc_v2(&p[i], sz) == CUDA_SUCCESS);
		ex_alloc(1, sz, sz, p[i], "cuMemAlloc_v2");
	}
	for (int i = 0; i < n; i++) {
		CHECK(cuMemFree_v2(p[i]) == CUDA_SUCCESS);
		ex_free(1, (size_t)(i + 1) << 16, p[i], "cuMemFree_v2");
	}
}

static void close_from(int lo)
{
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = lo; fd < max; fd++)
		close(fd);
}

static CUcontext start(void)
{
	CHECK(cuInit(0) == CUDA_SUCCESS);
	CUcontext c;
	CHECK(cuDevicePrimaryCtxRetain(&c, 1) == CUDA_SUCCESS);
	ex_marker(1, (uintptr_t)c, "cuDevicePrimaryCtxRetain", "primary context retain");
	ex_snap(1, fakecuda_used(1), 2048ull << 20, "context create");
	CHECK(cuCtxSetCurrent(c) == CUDA_SUCCESS);
	return c;
}

/* Write to the program's own file around calls that outlast flushes. */
static void own_file_work(int own)
{
	CHECK(write(own, "0123456789", 10) == 10);
	for (int k = 0; k < 4; k++) {
		some_calls(8);
		nap_ms(30); /* VRAMSIM_FLUSH_MS=20: the writer runs */
	}
	CHECK(write(own, "abcdefghij", 10) == 10);
	CHECK(close(own) == 0);
}

int main(int argc, char **argv)
{
	CHECK(argc == 2);
	if (strcmp(argv[1], "exec2") == 0) {
		/* Every descriptor was closed before the exec. */
		int own = open("data2", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (own != 0)
			_exit(3);
		start();
		own_file_work(own);
		ex_exit_snap(1, fakecuda_used(1), 2048ull << 20);
		return 0;
	}
	start();
	some_calls(4);
	nap_ms(30); /* the trace file exists and has been written */
	if (strcmp(argv[1], "closeall") == 0) {
		close_from(3);
		int own = open("data", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		CHECK(own == 3);
		own_file_work(own);
	} else if (strcmp(argv[1], "dup2") == 0) {
		int own = open("data", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		CHECK(own >= 3);
		for (int fd = 3; fd < 1024; fd++)
			if (fd != own)
				CHECK(dup2(own, fd) == fd);
		own_file_work(own);
	} else if (strcmp(argv[1], "exec") == 0) {
		close_from(0);
		execl("/proc/self/exe", "prog_fds", "exec2", (char *)NULL);
		_exit(4);
	} else {
		CHECK(!"unknown mode");
	}
	ex_exit_snap(1, fakecuda_used(1), 2048ull << 20);
	return 0;
}
