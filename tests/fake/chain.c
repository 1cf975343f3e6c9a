/*
 * chain.c - another LD_PRELOAD interposer, written the usual way: it
 * exports cuMemAlloc_v2 and cuMemFree_v2, counts them and forwards with
 * dlsym(RTLD_NEXT, ...). Preloaded before or after the shim, each call
 * must reach the driver once, be counted once and be recorded once.
 */
#include <dlfcn.h>
#include <stdatomic.h>

#include "fakecuda.h"

typedef CUresult (*alloc_fn)(CUdeviceptr *, size_t);
typedef CUresult (*free_fn)(CUdeviceptr);

static atomic_int n_alloc, n_free;

int chain_count(const char *what);
int chain_count(const char *what)
{
	return what[0] == 'a' ? atomic_load(&n_alloc) : atomic_load(&n_free);
}

CUresult cuMemAlloc_v2(CUdeviceptr *d, size_t n)
{
	static alloc_fn next;
	if (!next)
		next = (alloc_fn)dlsym(RTLD_NEXT, "cuMemAlloc_v2");
	atomic_fetch_add(&n_alloc, 1);
	return next(d, n);
}

CUresult cuMemFree_v2(CUdeviceptr d)
{
	static free_fn next;
	if (!next)
		next = (free_fn)dlsym(RTLD_NEXT, "cuMemFree_v2");
	atomic_fetch_add(&n_free, 1);
	return next(d);
}
