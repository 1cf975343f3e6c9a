/*
 * prog_loader.c - reaches the driver the way the CUDA runtime does:
 * dlopen("libcuda.so.1", RTLD_LOCAL), dlsym(handle, "cuGetProcAddress_v2")
 * (through both glibc versions of dlsym), then cuGetProcAddress for every
 * entry point, with cudaVersion 2000/3020/12000/13000 and the legacy and
 * per-thread flags. For each look-up it checks the version and status
 * rules, that the pointer it got is the shim's wrapper (when traced) or
 * the driver's own function (when not), and that calling it reaches
 * exactly the driver variant the rules name.
 *
 * Usage: prog_loader traced|untraced
 */
#include <dlfcn.h>

#include "expect.h"
#include "fakecuda.h"

/* dlsym as programs linked against glibc < 2.34 reference it. */
#if defined(__aarch64__)
__asm__(".symver dlsym_old, dlsym@GLIBC_2.17");
#elif defined(__x86_64__)
__asm__(".symver dlsym_old, dlsym@GLIBC_2.2.5");
#endif
void *dlsym_old(void *h, const char *name);

typedef CUresult (*gpa2_fn)(const char *, void **, int, cuuint64_t, int *);
typedef CUresult (*gpa1_fn)(const char *, void **, int, cuuint64_t);
typedef CUresult (*alloc1_fn)(unsigned int *, unsigned int);
typedef CUresult (*alloc2_fn)(CUdeviceptr *, size_t);
typedef CUresult (*free2_fn)(CUdeviceptr);
typedef CUresult (*async_fn)(CUdeviceptr *, size_t, CUstream);
typedef CUresult (*freeasync_fn)(CUdeviceptr, CUstream);
typedef CUresult (*retain_fn)(CUcontext *, CUdevice);
typedef CUresult (*setcur_fn)(CUcontext);
typedef CUresult (*init_fn)(unsigned int);
typedef int (*calls_fn)(const char *);
typedef void *(*addr_fn)(const char *);
typedef long long (*used_fn)(int);

static int traced;
static calls_fn calls;
static addr_fn addr_of;
static gpa2_fn gpa;

/* Look symbol up; expect the driver variant `variant` (NULL: none, with
 * status `status`). Returns the pointer. */
static void *look(const char *symbol, int ver, cuuint64_t flags, const char *variant, int status)
{
	void *p = (void *)1;
	int st = -1;
	CHECK(gpa(symbol, &p, ver, flags, &st) == CUDA_SUCCESS);
	if (!variant) {
		CHECK(p == NULL && st == status);
		return NULL;
	}
	CHECK(p != NULL && st == CU_GET_PROC_ADDRESS_SUCCESS);
	void *own = addr_of(variant);
	CHECK(own != NULL);
	CHECK(traced ? p != own : p == own);
	return p;
}

int main(int argc, char **argv)
{
	traced = argc > 1 && strcmp(argv[1], "traced") == 0;
	void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	CHECK(h != NULL);
	calls = (calls_fn)dlsym(h, "fakecuda_calls");
	addr_of = (addr_fn)dlsym(h, "fakecuda_addr");
	used_fn used = (used_fn)dlsym(h, "fakecuda_used");
	CHECK(calls && addr_of && used);

	gpa2_fn boot = (gpa2_fn)dlsym(h, "cuGetProcAddress_v2");
	CHECK(boot != NULL);
	CHECK(traced ? (void *)boot != addr_of("cuGetProcAddress_v2")
		     : (void *)boot == addr_of("cuGetProcAddress_v2"));
	void *p = NULL;
	int st = -1;
	CHECK(boot("", &p, 0, 0, &st) == CUDA_SUCCESS && p == NULL &&
	      st == CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND);
	CHECK(boot("cuGetProcAddress", &p, 12000, 0, &st) == CUDA_SUCCESS && p);
	gpa = (gpa2_fn)p;
	CHECK(traced ? p != addr_of("cuGetProcAddress_v2") : p == addr_of("cuGetProcAddress_v2"));
	gpa1_fn gpa1 = (gpa1_fn)look("cuGetProcAddress", 11030, 0, "cuGetProcAddress", 0);

	/* The 4-argument cuGetProcAddress works through its wrapper too. */
	void *q = NULL;
	CHECK(gpa1("cuInit", &q, 2000, 0) == CUDA_SUCCESS && q == addr_of("cuInit"));
	CHECK(((init_fn)q)(0) == CUDA_SUCCESS);

	/* Not wrapped: handed back untouched. */
	retain_fn retain = (retain_fn)look("cuDevicePrimaryCtxRetain", 7000, 0,
					   "cuDevicePrimaryCtxRetain", 0);
	void *sc = NULL;
	CHECK(gpa("cuCtxSetCurrent", &sc, 4000, 0, &st) == CUDA_SUCCESS && sc == addr_of("cuCtxSetCurrent"));
	CUcontext pc;
	CHECK(retain(&pc, 0) == CUDA_SUCCESS);
	ex_marker(0, (uintptr_t)pc, "cuDevicePrimaryCtxRetain", "primary context retain");
	ex_snap(0, used(0), 1024ull << 20, "context create");
	CHECK(((setcur_fn)sc)(pc) == CUDA_SUCCESS);

	/* Versions: 2000 is the 32-bit cuMemAlloc, 3020 and later _v2. */
	alloc1_fn a1 = (alloc1_fn)look("cuMemAlloc", 2000, 0, "cuMemAlloc", 0);
	unsigned int d32;
	CHECK(a1(&d32, 512) == CUDA_SUCCESS);
	ex_alloc(0, 512, 512, d32, "cuMemAlloc");
	CHECK(calls("cuMemAlloc") == 1);
	static const int vers[] = { 3020, 12000, 13000 };
	for (int i = 0; i < 3; i++) {
		alloc2_fn a2 = (alloc2_fn)look("cuMemAlloc", vers[i], 0, "cuMemAlloc_v2", 0);
		CUdeviceptr d;
		CHECK(a2(&d, 1000 + (size_t)i) == CUDA_SUCCESS);
		ex_alloc(0, 1000 + (unsigned)i, 1000 + (unsigned)i, d, "cuMemAlloc_v2");
		CHECK(calls("cuMemAlloc_v2") == i + 1);
		free2_fn f2 = (free2_fn)look("cuMemFree", vers[i], 0, "cuMemFree_v2", 0);
		CHECK(f2(d) == CUDA_SUCCESS);
		ex_free(0, 1000 + (unsigned)i, d, "cuMemFree_v2");
	}

	/* Flags: default and legacy give the legacy variant, per-thread the
	 * _ptsz one, both flags the legacy one. */
	static const struct { cuuint64_t flags; const char *alloc, *free; } fl[] = {
		{ 0, "cuMemAllocAsync", "cuMemFreeAsync" },
		{ 1, "cuMemAllocAsync", "cuMemFreeAsync" },
		{ 2, "cuMemAllocAsync_ptsz", "cuMemFreeAsync_ptsz" },
		{ 3, "cuMemAllocAsync", "cuMemFreeAsync" },
	};
	for (int i = 0; i < 4; i++) {
		async_fn aa = (async_fn)look("cuMemAllocAsync", 11020, fl[i].flags, fl[i].alloc, 0);
		freeasync_fn fa = (freeasync_fn)look("cuMemFreeAsync", 12000, fl[i].flags,
						     fl[i].free, 0);
		int before = calls(fl[i].alloc);
		CUdeviceptr d;
		CHECK(aa(&d, 4096, CU_STREAM_PER_THREAD) == CUDA_SUCCESS);
		CHECK(calls(fl[i].alloc) == before + 1);
		ex("alloc", 0, 4096, 4096, d, 0, 2, 0, fl[i].alloc, NULL);
		CHECK(fa(d, CU_STREAM_PER_THREAD) == CUDA_SUCCESS);
		ex("free", 0, 4096, 0, d, 0, 2, 0, fl[i].free, NULL);
	}
	look("cuMemAllocFromPoolAsync", 13000, 2, "cuMemAllocFromPoolAsync_ptsz", 0);
	look("cuCtxCreate", 3020, 0, "cuCtxCreate_v2", 0);
	look("cuCtxCreate", 12050, 0, "cuCtxCreate_v4", 0);
	look("cuIpcOpenMemHandle", 4010, 0, "cuIpcOpenMemHandle", 0);
	look("cuIpcOpenMemHandle", 11000, 0, "cuIpcOpenMemHandle_v2", 0);

	/* Statuses pass back: too old a version, an unknown name. */
	look("cuMemCreate", 10000, 0, NULL, CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT);
	look("cuNoSuchFunction", 12000, 0, NULL, CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND);
	p = (void *)1;
	CHECK(gpa("cuMemAlloc", &p, 99990, 0, &st) == CUDA_ERROR_INVALID_VALUE);

	/* dlsym on the handle, both glibc versions: the shim's wrappers. */
	alloc2_fn da = (alloc2_fn)dlsym(h, "cuMemAlloc_v2");
	free2_fn df = (free2_fn)dlsym_old(h, "cuMemFree_v2");
	CHECK(da && df);
	CHECK(traced ? (void *)da != addr_of("cuMemAlloc_v2") : (void *)da == addr_of("cuMemAlloc_v2"));
	CHECK(traced ? (void *)df != addr_of("cuMemFree_v2") : (void *)df == addr_of("cuMemFree_v2"));
	CUdeviceptr d;
	CHECK(da(&d, 77777) == CUDA_SUCCESS);
	ex_alloc(0, 77777, 77777, d, "cuMemAlloc_v2");
	CHECK(df(d) == CUDA_SUCCESS);
	ex_free(0, 77777, d, "cuMemFree_v2");
	/* A symbol the shim does not wrap comes back as the driver's own. */
	CHECK(dlsym(h, "cuDeviceGet") == addr_of("cuDeviceGet"));
	CHECK(dlsym_old(h, "cuDeviceGet") == addr_of("cuDeviceGet"));
	CHECK(dlsym(h, "cuNoSuchFunction") == NULL);
	CHECK(dlerror() != NULL);

	ex_exit_snap(0, used(0), 1024ull << 20);
	return 0;
}
