/*
 * ctor_lib.c - a library whose constructor calls the driver, as CUDA
 * plugins and Python extensions do when they are dlopen'ed. glibc runs
 * it holding its loader lock. prog_ctor.c makes the program's main
 * thread enter the shim for the first time at that very moment: a shim
 * that held its own lock across dlopen/dlsym would deadlock here
 * (issue 14: reproduced 3 of 3 runs on the shim of that time).
 */
#include <time.h>

#include "expect.h"
#include "fakecuda.h"

CUresult ctor_lib_result = -1;

__attribute__((constructor)) static void ctor_lib_init(void)
{
	/* Tell the program we are inside (a pipe: no loader call), then let
	 * its main thread take the shim's first-call path meanwhile. */
	const char *fd = getenv("CTOR_FD");
	if (fd && write(atoi(fd), "c", 1) != 1)
		abort();
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	while (nanosleep(&ts, &ts) != 0)
		;
	CUdeviceptr p = 0;
	ctor_lib_result = cuMemAlloc_v2(&p, 4096);
	if (ctor_lib_result == CUDA_SUCCESS)
		cuMemFree_v2(p);
}
