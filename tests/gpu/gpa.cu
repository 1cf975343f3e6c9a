// gpa.cu - (a) of tests/gpu/run.sh: for every variant the shim wraps
// (trace/shim/shim.h, SHIM_VARIANTS), the real driver's cuGetProcAddress
// must return the same address as dlsym on libcuda.so.1. The shim hands
// out its wrapper only where the pointer it gets is the driver's exported
// function (pointer identity): this proves that identity holds. Run
// WITHOUT the shim. Prints one line per variant and "gpa: N of M same".
#include <cstdio>
#include <cstring>
#include <cuda.h>
#include <dlfcn.h>

#include "shim_variants.h"

struct variant { const char *name, *base; int version, per_thread; };

// The table, from the shim's own X-macro (names, base, version, ptsz).
#define SHIM_GPA_ROW(name, base, ver, pt) { #name, #base, ver, pt },
static const variant variants[] = { SHIM_VARIANTS(SHIM_GPA_ROW) };

int main()
{
	void *h = dlopen("libcuda.so.1", RTLD_NOW);
	if (!h) {
		std::printf("gpa: FAIL libcuda.so.1: %s\n", dlerror());
		return 1;
	}
	typedef CUresult (*gpa_fn)(const char *, void **, int, cuuint64_t, CUdriverProcAddressQueryResult *);
	gpa_fn gpa = (gpa_fn)dlsym(h, "cuGetProcAddress_v2");
	if (!gpa || cuInit(0) != CUDA_SUCCESS) {
		std::printf("gpa: FAIL no cuGetProcAddress_v2 or cuInit failed\n");
		return 1;
	}
	int drv = 0;
	cuDriverGetVersion(&drv);
	size_t n = sizeof(variants) / sizeof(variants[0]), same = 0, skipped = 0;
	for (size_t i = 0; i < n; i++) {
		const variant &v = variants[i];
		void *want = dlsym(h, v.name);
		void *got = nullptr;
		CUdriverProcAddressQueryResult st;
		cuuint64_t flags = v.per_thread ? CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM
						: CU_GET_PROC_ADDRESS_LEGACY_STREAM;
		CUresult r = gpa(v.base, &got, v.version, flags, &st);
		if (!want && (r != CUDA_SUCCESS || !got)) {
			std::printf("gpa: SKIP %s (not in this driver)\n", v.name);
			skipped++;
			continue;
		}
		bool ok = r == CUDA_SUCCESS && got == want;
		same += ok;
		std::printf("gpa: %s %s (%s, %d, %s): cuGetProcAddress %p, dlsym %p\n",
			    ok ? "PASS" : "FAIL", v.name, v.base, v.version,
			    v.per_thread ? "ptsz" : "legacy", got, want);
	}
	std::printf("gpa: %zu of %zu same (%zu not in driver %d)\n", same, n - skipped, skipped, drv);
	return same == n - skipped ? 0 : 1;
}
