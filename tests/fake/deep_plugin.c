/*
 * deep_plugin.c - a plugin that calls the driver directly, for
 * prog_deep.c: loaded with RTLD_DEEPBIND, its references to cuMemAlloc_v2
 * and cuMemFree_v2 bind to libcuda (its own dependency) before the
 * preloaded shim (issue 14).
 */
#include "expect.h"
#include "fakecuda.h"

int plugin_run(int n);

/* n allocations and frees on the current context's device (0). */
int plugin_run(int n)
{
	for (int i = 0; i < n; i++) {
		size_t sz = 4096 * (size_t)(i + 1);
		CUdeviceptr d;
		if (cuMemAlloc_v2(&d, sz) != CUDA_SUCCESS)
			return 1;
		ex_alloc(0, sz, sz, d, "cuMemAlloc_v2");
		if (cuMemFree_v2(d) != CUDA_SUCCESS)
			return 1;
		ex_free(0, sz, d, "cuMemFree_v2");
	}
	return 0;
}
