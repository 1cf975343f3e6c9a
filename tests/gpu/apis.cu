// apis.cu - (c) of tests/gpu/run.sh: every runtime allocation API once,
// each printing the driver call it must land as ("expect BASE COUNT":
// BASE is the driver function without its _v2/_ptsz suffix); run.sh counts
// the trace's events by that base and compares exactly. Also prints what
// it measured: the physical rounding of small allocations (cudaMemGetInfo
// before and after 64 allocations of 1 byte).
#include <cstdio>
#include <cuda.h>
#include <cuda_runtime.h>
#include <unistd.h>

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { \
	std::printf("error: %s = %s\n", #x, cudaGetErrorString(e_)); return 1; } } while (0)

static size_t used_now()
{
	size_t fr = 0, tot = 0;
	cudaMemGetInfo(&fr, &tot);
	return tot - fr;
}

int main()
{
	CK(cudaFree(0));
	int expect_alloc = 0, expect_free = 0;
	// cudaMalloc: 64 one-byte allocations, to see the physical rounding.
	size_t before = used_now();
	void *small[64];
	for (int i = 0; i < 64; i++)
		CK(cudaMalloc(&small[i], 1));
	size_t after = used_now();
	expect_alloc += 64;
	std::printf("measured rounding of a 1-byte cudaMalloc: %zu bytes\n", (after - before) / 64);
	for (int i = 0; i < 64; i++)
		CK(cudaFree(small[i]));
	expect_free += 64;
	// cudaMallocPitch -> cuMemAllocPitch
	void *pp;
	size_t pitch;
	CK(cudaMallocPitch(&pp, &pitch, 1000, 100));
	std::printf("expect cuMemAllocPitch 1\n");
	CK(cudaFree(pp));
	expect_free++;
	// cudaMallocManaged -> cuMemAllocManaged
	void *mp;
	CK(cudaMallocManaged(&mp, 1 << 20));
	std::printf("expect cuMemAllocManaged 1\n");
	CK(cudaFree(mp));
	expect_free++;
	// cudaMallocHost -> cuMemAllocHost or cuMemHostAlloc; cudaFreeHost
	void *hp;
	CK(cudaMallocHost(&hp, 1 << 20));
	CK(cudaFreeHost(hp));
	std::printf("expect cuMemFreeHost 1\n");
	// cudaHostRegister -> cuMemHostRegister
	static char buf[1 << 16] __attribute__((aligned(4096)));
	CK(cudaHostRegister(buf, sizeof(buf), cudaHostRegisterDefault));
	CK(cudaHostUnregister(buf));
	std::printf("expect cuMemHostRegister 1\nexpect cuMemHostUnregister 1\n");
	// cudaMallocArray -> cuArrayCreate or cuArray3DCreate; cudaFreeArray
	cudaChannelFormatDesc cd = cudaCreateChannelDesc<float>();
	cudaArray_t arr;
	CK(cudaMallocArray(&arr, &cd, 256, 256));
	CK(cudaFreeArray(arr));
	std::printf("expect cuArrayDestroy 1\n");
	// cudaMallocAsync with an explicit pool -> cuMemAllocFromPoolAsync
	cudaStream_t s;
	CK(cudaStreamCreate(&s));
	cudaMemPoolProps props = {};
	props.allocType = cudaMemAllocationTypePinned;
	props.location.type = cudaMemLocationTypeDevice;
	props.location.id = 0;
	cudaMemPool_t pool;
	CK(cudaMemPoolCreate(&pool, &props));
	void *ap;
	CK(cudaMallocFromPoolAsync(&ap, 8 << 20, pool, s));
	CK(cudaFreeAsync(ap, s));
	CK(cudaStreamSynchronize(s));
	CK(cudaMemPoolDestroy(pool));
	std::printf("expect cuMemAllocFromPoolAsync 1\nexpect cuMemPoolCreate 1\n"
		    "expect cuMemPoolDestroy 1\n");
	// VMM through cudaGetDriverEntryPointByVersion (how ggml reaches it).
	void *fn = nullptr;
	cudaDriverEntryPointQueryResult q;
	CK(cudaGetDriverEntryPointByVersion("cuMemCreate", &fn, 12000, cudaEnableDefault, &q));
	CUmemAllocationProp prop = {};
	prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
	prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
	prop.location.id = 0;
	size_t gran = 2 << 20;
	CUmemGenericAllocationHandle h;
	typedef CUresult (*create_fn)(CUmemGenericAllocationHandle *, size_t,
				      const CUmemAllocationProp *, unsigned long long);
	if (!fn || ((create_fn)fn)(&h, gran, &prop, 0) != CUDA_SUCCESS) {
		std::printf("error: cuMemCreate through the entry point\n");
		return 1;
	}
	CK(cudaGetDriverEntryPointByVersion("cuMemRelease", &fn, 12000, cudaEnableDefault, &q));
	((CUresult (*)(CUmemGenericAllocationHandle))fn)(h);
	std::printf("expect cuMemCreate 1\nexpect cuMemRelease 1\n");
	// A captured graph allocation: cudaMallocAsync inside stream capture.
	cudaGraph_t g;
	cudaGraphExec_t ge;
	CK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
	void *gp;
	CK(cudaMallocAsync(&gp, 4 << 20, s));
	CK(cudaFreeAsync(gp, s));
	CK(cudaStreamEndCapture(s, &g));
	CK(cudaGraphInstantiate(&ge, g, 0));
	CK(cudaGraphLaunch(ge, s));
	CK(cudaStreamSynchronize(s));
	std::printf("expect cuMemAllocAsync 1\n"); // the captured call, recorded once
	CK(cudaGraphExecDestroy(ge));
	CK(cudaGraphDestroy(g));
	std::printf("expect cuMemAlloc %d\nexpect cuMemFree %d\n", expect_alloc, expect_free + 0);
	return 0;
}
