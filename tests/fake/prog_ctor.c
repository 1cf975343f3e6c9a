/*
 * prog_ctor.c - the constructor deadlock of issue 14: one thread dlopens
 * ctor_lib.so (whose constructor calls cuMemAlloc_v2 under glibc's loader
 * lock, after a pause) while the main thread enters the shim for the
 * first time during that pause, by dlsym on the driver's handle (as the
 * CUDA runtime does), which makes the shim look for the driver. Exits 0 when both calls returned;
 * an alarm ends it with SIGALRM after 20 s if they deadlock.
 *
 * Usage: prog_ctor PATH_TO_ctor_lib.so
 */
#include <dlfcn.h>
#include <pthread.h>

#include "expect.h"
#include "fakecuda.h"

static void *opener(void *arg)
{
	void *h = dlopen(arg, RTLD_NOW | RTLD_LOCAL);
	CHECK(h != NULL);
	return h;
}

int main(int argc, char **argv)
{
	CHECK(argc == 2);
	alarm(20);
	/* The driver is loaded the runtime's way; the shim is not entered. */
	void *drv = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
	CHECK(drv != NULL);
	int pfd[2];
	CHECK(pipe(pfd) == 0);
	char num[16];
	snprintf(num, sizeof(num), "%d", pfd[1]);
	setenv("CTOR_FD", num, 1);
	pthread_t th;
	CHECK(pthread_create(&th, NULL, opener, argv[1]) == 0);
	char c;
	CHECK(read(pfd[0], &c, 1) == 1); /* the constructor runs: loader lock held */
	/* The program's first entry into the shim (its dlsym override, which
	 * finds the driver), while the constructor pauses. */
	typedef CUresult (*alloc_fn)(CUdeviceptr *, size_t);
	alloc_fn f = (alloc_fn)dlsym(drv, "cuMemAlloc_v2");
	CHECK(f != NULL);
	CUdeviceptr p = 0;
	CUresult r = f(&p, 8192);
	void *h;
	CHECK(pthread_join(th, &h) == 0);
	CUresult *cr = dlsym(h, "ctor_lib_result");
	CHECK(cr != NULL);
	printf("ctor: both calls returned (%d, %d)\n", (int)r, (int)*cr);
	return 0;
}
