/*
 * prog_lifetime.c - memory that dies without a free call, for the replay
 * checks of tests/test_shim.c (issue 14): each mode prints the most
 * device memory the fake driver had in use beyond the contexts ("peak N",
 * bytes), which a replay of the trace must reproduce.
 *
 *   swap   an Ollama model swap: a child takes 600 MiB and is killed with
 *          SIGKILL, then another child takes 600 MiB and exits without
 *          freeing (device 0: 1 GiB)
 *   vmm    a VMM pool as ggml keeps one: 4 x 64 MiB mapped side by side,
 *          released with ONE cuMemUnmap, then a 512 MiB allocation
 *   pool   a stream-ordered pool keeps 300 MiB reserved after the free
 *          (trimmed to keep it all), then a 400 MiB allocation
 *   ctx    a context destroyed while holding 300 MiB, then 600 MiB in a
 *          new context
 *   graph  300 MiB allocated while the stream is captured into a graph
 *          (no memory until launched), then 800 MiB; the pool found by
 *          CUDA 13's cuMemGetMemPool, its release threshold set
 *
 *   graphmem  graph memory (issue 14): an explicit graph (memory nodes of
 *          200 and 100 MiB, both freed in it: 300 MiB) and a captured one
 *          (150 then 50 MiB, each freed: 150 MiB) instantiated, the second
 *          with upload; launches map their memory, an exec destroy keeps
 *          it, 100 MiB more, a trim gives it back, a launch maps again,
 *          200 MiB more
 *   graphmodel  the same with a driver that has no
 *          cuDeviceGetGraphMemAttribute (the importer's model)
 *   graphnode, graphnodemodel  the same two, the explicit graph's memory
 *          nodes added through cuGraphAddNode and cuGraphAddNode_v2
 *          (CUgraphNodeParams), with an empty node among them
 *   managed  800 MiB of managed memory (not on the device until touched),
 *          300 MiB of device memory
 *   owners  memory of other owners: a 256 MiB VMM handle exported and
 *          imported again, both mapped; a multicast object bound to it;
 *          external memory (512 MiB) with a mapped buffer; a green
 *          context; and a 3-level mipmapped array (21 MiB), which counts
 *
 * Besides "peak N", a line "apis NAME..." names driver calls the trace
 * must hold (succeeded).
 *
 * Usage: prog_lifetime swap|vmm|pool|ctx|graph|graphmem|graphmodel|managed|owners
 */
#include <signal.h>
#include <sys/wait.h>

#include "expect.h"
#include "fakecuda.h"

#define MiB (1024ull * 1024)

static long long base_used;

static CUcontext start(void)
{
	CHECK(cuInit(0) == CUDA_SUCCESS);
	CUcontext c;
	CHECK(cuDevicePrimaryCtxRetain(&c, 0) == CUDA_SUCCESS);
	CHECK(cuCtxSetCurrent(c) == CUDA_SUCCESS);
	base_used = fakecuda_used(0);
	return c;
}

static long long beyond(void)
{
	return fakecuda_used(0) - base_used;
}

static void hold(int n, size_t each)
{
	for (int i = 0; i < n; i++) {
		CUdeviceptr p;
		CHECK(cuMemAlloc_v2(&p, each) == CUDA_SUCCESS);
	}
}

/* Pinned VMM memory on device 0. */
static CUmemAllocationProp device0_prop(void)
{
	CUmemAllocationProp prop;
	memset(&prop, 0, sizeof(prop));
	prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
	prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
	prop.location.id = 0;
	return prop;
}

static long long peak_now(long long peak)
{
	return beyond() > peak ? beyond() : peak;
}

/* Add a memory node: by its own entry point, or (generic) through
 * cuGraphAddNode / cuGraphAddNode_v2 with CUgraphNodeParams. */
static void add_alloc_node(int generic, void *g, CUDA_MEM_ALLOC_NODE_PARAMS *p)
{
	void *node;
	if (!generic) {
		CHECK(cuGraphAddMemAllocNode(&node, g, NULL, 0, p) == CUDA_SUCCESS);
		return;
	}
	CUgraphNodeParams np;
	memset(&np, 0, sizeof(np));
	np.type = CU_GRAPH_NODE_TYPE_MEM_ALLOC;
	np.alloc = *p;
	if (generic == 1)
		CHECK(cuGraphAddNode(&node, g, NULL, 0, &np) == CUDA_SUCCESS);
	else
		CHECK(cuGraphAddNode_v2(&node, g, NULL, NULL, 0, &np) == CUDA_SUCCESS);
	p->dptr = np.alloc.dptr;
}

static void add_free_node(int generic, void *g, CUdeviceptr dptr)
{
	void *node;
	if (!generic) {
		CHECK(cuGraphAddMemFreeNode(&node, g, NULL, 0, dptr) == CUDA_SUCCESS);
		return;
	}
	CUgraphNodeParams np;
	memset(&np, 0, sizeof(np));
	np.type = CU_GRAPH_NODE_TYPE_MEM_FREE;
	np.free.dptr = dptr;
	if (generic == 1)
		CHECK(cuGraphAddNode(&node, g, NULL, 0, &np) == CUDA_SUCCESS);
	else
		CHECK(cuGraphAddNode_v2(&node, g, NULL, NULL, 0, &np) == CUDA_SUCCESS);
}

static void graphmem(int generic)
{
	CUstream s;
	CHECK(cuStreamCreate(&s, 0) == CUDA_SUCCESS);
	void *g, *node;
	CHECK(cuGraphCreate(&g, 0) == CUDA_SUCCESS);
	CUDA_MEM_ALLOC_NODE_PARAMS p;
	memset(&p, 0, sizeof(p));
	p.poolProps.allocType = CU_MEM_ALLOCATION_TYPE_PINNED;
	p.poolProps.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
	p.poolProps.location.id = 0;
	p.bytesize = 200 * MiB;
	add_alloc_node(generic, g, &p);
	CUdeviceptr a = p.dptr;
	p.bytesize = 100 * MiB;
	add_alloc_node(generic ? 2 : 0, g, &p);
	if (generic) { /* a node without memory: passed through, not recorded */
		CUgraphNodeParams np;
		memset(&np, 0, sizeof(np));
		np.type = CU_GRAPH_NODE_TYPE_EMPTY;
		CHECK(cuGraphAddNode(&node, g, NULL, 0, &np) == CUDA_SUCCESS);
	}
	add_free_node(generic, g, a);
	add_free_node(generic ? 2 : 0, g, p.dptr);
	CHECK(cuStreamBeginCapture_v2(s, 0) == CUDA_SUCCESS);
	CUdeviceptr c;
	CHECK(cuMemAllocAsync(&c, 150 * MiB, s) == CUDA_SUCCESS);
	CHECK(cuMemFreeAsync(c, s) == CUDA_SUCCESS);
	CHECK(cuMemAllocAsync(&c, 50 * MiB, s) == CUDA_SUCCESS);
	CHECK(cuMemFreeAsync(c, s) == CUDA_SUCCESS);
	void *g2;
	CHECK(cuStreamEndCapture(s, &g2) == CUDA_SUCCESS);
	CHECK(beyond() == 0); /* nothing yet */
	void *e1, *e2;
	CHECK(cuGraphInstantiateWithFlags(&e1, g, 0) == CUDA_SUCCESS);
	CUDA_GRAPH_INSTANTIATE_PARAMS ip = { CUDA_GRAPH_INSTANTIATE_FLAG_UPLOAD, s, NULL, 0 };
	CHECK(cuGraphInstantiateWithParams(&e2, g2, &ip) == CUDA_SUCCESS);
	CHECK(cuGraphLaunch(e1, s) == CUDA_SUCCESS);
	CHECK(cuGraphLaunch(e1, s) == CUDA_SUCCESS);
	long long peak = peak_now(0);
	CHECK(cuGraphExecDestroy(e1) == CUDA_SUCCESS);
	hold(1, 100 * MiB);
	peak = peak_now(peak);
	CHECK(cuDeviceGraphMemTrim(0) == CUDA_SUCCESS);
	CHECK(cuGraphLaunch(e2, s) == CUDA_SUCCESS);
	hold(1, 200 * MiB);
	peak = peak_now(peak);
	printf("peak %lld\n", peak);
	printf("apis cuGraphAddMemAllocNode cuGraphAddMemFreeNode cuGraphInstantiateWithFlags "
	       "cuGraphInstantiateWithParams cuGraphLaunch cuGraphExecDestroy cuDeviceGraphMemTrim\n");
}

static void owners(void)
{
	CUdeviceptr va;
	CHECK(cuMemAddressReserve(&va, 512 * MiB, 0, 0, 0) == CUDA_SUCCESS);
	CUmemAllocationProp prop = device0_prop();
	CUmemGenericAllocationHandle h, h2, mc;
	CHECK(cuMemCreate(&h, 256 * MiB, &prop, 0) == CUDA_SUCCESS);
	int fd = -1;
	CHECK(cuMemExportToShareableHandle(&fd, h, 1, 0) == CUDA_SUCCESS);
	CHECK(cuMemImportFromShareableHandle(&h2, (void *)(uintptr_t)fd, 1) == CUDA_SUCCESS);
	CHECK(cuMemMap(va, 256 * MiB, 0, h, 0) == CUDA_SUCCESS);
	CHECK(cuMemMap(va + 256 * MiB, 256 * MiB, 0, h2, 0) == CUDA_SUCCESS);
	CUmulticastObjectProp mp = { 1, 64 * MiB, 1, 0 };
	CHECK(cuMulticastCreate(&mc, &mp) == CUDA_SUCCESS);
	CHECK(cuMulticastAddDevice(mc, 0) == CUDA_SUCCESS);
	CHECK(cuMulticastBindMem(mc, 0, h, 0, 64 * MiB, 0) == CUDA_SUCCESS);
	CUDA_ARRAY3D_DESCRIPTOR ad = { 1024, 1024, 0, CU_AD_FORMAT_FLOAT, 4, 0 };
	CUarray mip;
	CHECK(cuMipmappedArrayCreate(&mip, &ad, 3) == CUDA_SUCCESS); /* 16 + 4 + 1 MiB */
	CUDA_EXTERNAL_MEMORY_HANDLE_DESC ed;
	memset(&ed, 0, sizeof(ed));
	ed.type = 1; /* CU_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD */
	ed.handle.fd = 3;
	ed.size = 512 * MiB;
	void *ext;
	CHECK(cuImportExternalMemory(&ext, &ed) == CUDA_SUCCESS);
	CUDA_EXTERNAL_MEMORY_BUFFER_DESC bd;
	memset(&bd, 0, sizeof(bd));
	bd.size = 256 * MiB;
	CUdeviceptr eb;
	CHECK(cuExternalMemoryGetMappedBuffer(&eb, ext, &bd) == CUDA_SUCCESS);
	void *green;
	CHECK(cuGreenCtxCreate(&green, NULL, 0, 1) == CUDA_SUCCESS);
	long long peak = peak_now(0);
	CHECK(cuGreenCtxDestroy(green) == CUDA_SUCCESS);
	CHECK(cuMemFree_v2(eb) == CUDA_SUCCESS);
	CHECK(cuDestroyExternalMemory(ext) == CUDA_SUCCESS);
	CHECK(cuMulticastUnbind(mc, 0, 0, 64 * MiB) == CUDA_SUCCESS);
	CHECK(cuMemRelease(mc) == CUDA_SUCCESS);
	CHECK(cuMemUnmap(va, 512 * MiB) == CUDA_SUCCESS);
	CHECK(cuMemRelease(h2) == CUDA_SUCCESS);
	CHECK(cuMemRelease(h) == CUDA_SUCCESS);
	CHECK(cuMemAddressFree(va, 512 * MiB) == CUDA_SUCCESS);
	CHECK(cuMipmappedArrayDestroy(mip) == CUDA_SUCCESS);
	hold(1, 100 * MiB);
	peak = peak_now(peak);
	printf("peak %lld\n", peak);
	printf("apis cuMemExportToShareableHandle cuMemImportFromShareableHandle cuMulticastCreate "
	       "cuMulticastAddDevice cuMulticastBindMem cuMulticastUnbind cuMipmappedArrayCreate "
	       "cuMipmappedArrayDestroy cuImportExternalMemory cuExternalMemoryGetMappedBuffer "
	       "cuDestroyExternalMemory cuGreenCtxCreate cuGreenCtxDestroy\n");
}

static int swap_child(int die)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		start();
		hold(6, 100 * MiB);
		if (die)
			raise(SIGKILL);
		exit(0); /* holding: the driver frees it all at exit */
	}
	int st;
	CHECK(waitpid(pid, &st, 0) == pid);
	return st;
}

int main(int argc, char **argv)
{
	CHECK(argc == 2);
	long long peak = 0;
	if (strcmp(argv[1], "swap") == 0) {
		CHECK(WIFSIGNALED(swap_child(1)));
		CHECK(WIFEXITED(swap_child(0)));
		peak = 600 * MiB; /* each child's, one after the other */
	} else if (strcmp(argv[1], "vmm") == 0) {
		start();
		CUdeviceptr va;
		CHECK(cuMemAddressReserve(&va, 256 * MiB, 0, 0, 0) == CUDA_SUCCESS);
		CUmemAllocationProp prop = device0_prop();
		CUmemGenericAllocationHandle h[4];
		for (int i = 0; i < 4; i++) {
			CHECK(cuMemCreate(&h[i], 64 * MiB, &prop, 0) == CUDA_SUCCESS);
			CHECK(cuMemMap(va + (CUdeviceptr)i * 64 * MiB, 64 * MiB, 0, h[i], 0) ==
			      CUDA_SUCCESS);
		}
		peak = beyond();
		CHECK(cuMemUnmap(va, 256 * MiB) == CUDA_SUCCESS); /* one call, four mappings */
		for (int i = 0; i < 4; i++)
			CHECK(cuMemRelease(h[i]) == CUDA_SUCCESS);
		CHECK(cuMemAddressFree(va, 256 * MiB) == CUDA_SUCCESS);
		hold(1, 512 * MiB);
		if (beyond() > peak)
			peak = beyond();
	} else if (strcmp(argv[1], "pool") == 0) {
		start();
		CUmemoryPool pool;
		CHECK(cuDeviceGetDefaultMemPool(&pool, 0) == CUDA_SUCCESS);
		CUdeviceptr p;
		CHECK(cuMemAllocAsync(&p, 300 * MiB, NULL) == CUDA_SUCCESS);
		CHECK(cuMemFreeAsync(p, NULL) == CUDA_SUCCESS);
		CHECK(cuMemPoolTrimTo(pool, 1024 * MiB) == CUDA_SUCCESS); /* keeps all */
		hold(1, 400 * MiB);
		peak = beyond();
	} else if (strcmp(argv[1], "ctx") == 0) {
		CHECK(cuInit(0) == CUDA_SUCCESS);
		CUcontext c;
		CHECK(cuCtxCreate_v2(&c, 0, 0) == CUDA_SUCCESS);
		hold(3, 100 * MiB);
		CHECK(cuCtxDestroy_v2(c) == CUDA_SUCCESS);
		CHECK(cuCtxCreate_v2(&c, 0, 0) == CUDA_SUCCESS);
		hold(6, 100 * MiB);
		peak = 600 * MiB;
	} else if (strcmp(argv[1], "graph") == 0) {
		start();
		CUmemLocation loc = { CU_MEM_LOCATION_TYPE_DEVICE, 0 };
		CUmemoryPool pool;
		CHECK(cuMemGetMemPool(&pool, &loc, CU_MEM_ALLOCATION_TYPE_PINNED) == CUDA_SUCCESS);
		uint64_t keep = 64 * MiB;
		CHECK(cuMemPoolSetAttribute(pool, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, &keep) ==
		      CUDA_SUCCESS);
		CUstream s;
		CHECK(cuStreamCreate(&s, 0) == CUDA_SUCCESS);
		CHECK(cuStreamBeginCapture_v2(s, 0) == CUDA_SUCCESS);
		CUdeviceptr g;
		CHECK(cuMemAllocAsync(&g, 300 * MiB, s) == CUDA_SUCCESS);
		void *graph;
		CHECK(cuStreamEndCapture(s, &graph) == CUDA_SUCCESS);
		hold(1, 800 * MiB);
		peak = beyond();
	} else if (strcmp(argv[1], "graphmem") == 0 || strcmp(argv[1], "graphmodel") == 0 ||
		   strcmp(argv[1], "graphnode") == 0 || strcmp(argv[1], "graphnodemodel") == 0) {
		if (strstr(argv[1], "model"))
			setenv("FAKECUDA_NO_GRAPH_ATTR", "1", 1);
		start();
		graphmem(strstr(argv[1], "node") != NULL);
		return 0;
	} else if (strcmp(argv[1], "managed") == 0) {
		start();
		CUdeviceptr m;
		CHECK(cuMemAllocManaged(&m, 800 * MiB, 1) == CUDA_SUCCESS);
		hold(1, 300 * MiB);
		peak = beyond();
	} else if (strcmp(argv[1], "owners") == 0) {
		start();
		owners();
		return 0;
	} else {
		CHECK(!"unknown mode");
	}
	printf("peak %lld\n", peak);
	return 0;
}
