/*
 * prog_deep.c - a plugin loaded with dlopen(..., RTLD_DEEPBIND) binds to
 * the driver before the preloaded shim (issue 14): its allocations must be
 * recorded all the same, and the program must see what it sees untraced
 * (the plugin works, the driver is called once per allocation, dlerror()
 * has nothing to say, a bare library name is still found).
 *
 * Usage: prog_deep N PLUGIN_PATH... (each plugin a build of deep_plugin.c;
 * the first is also opened again by its bare name, libdeep_plugin.so)
 */
#include <dlfcn.h>

#include "expect.h"
#include "fakecuda.h"

int main(int argc, char **argv)
{
	CHECK(argc >= 3);
	int n = atoi(argv[1]);
	CHECK(cuInit(0) == CUDA_SUCCESS);
	CUcontext c;
	CHECK(cuDevicePrimaryCtxRetain(&c, 0) == CUDA_SUCCESS);
	ex_marker(0, (uintptr_t)c, "cuDevicePrimaryCtxRetain", "primary context retain");
	ex_snap(0, fakecuda_used(0), 1024ull << 20, "context create");
	CHECK(cuCtxSetCurrent(c) == CUDA_SUCCESS);
	void *h[8];
	for (int p = 2; p < argc && p < 10; p++) {
		h[p - 2] = dlopen(argv[p], RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
		CHECK(h[p - 2] != NULL);
		CHECK(dlerror() == NULL);
		int (*run)(int);
		*(void **)&run = dlsym(h[p - 2], "plugin_run");
		CHECK(run != NULL);
		CHECK(run(n) == 0);
		CHECK(fakecuda_calls("cuMemAlloc_v2") == n * (p - 1));
		CHECK(fakecuda_calls("cuMemFree_v2") == n * (p - 1));
	}
	/* Found by name through LD_LIBRARY_PATH: the same object. */
	void *again = dlopen("libdeep_plugin.so", RTLD_NOW | RTLD_DEEPBIND);
	CHECK(again == h[0]);
	CHECK(dlclose(again) == 0);
	for (int p = 2; p < argc && p < 10; p++)
		CHECK(dlclose(h[p - 2]) == 0);
	return 0;
}
