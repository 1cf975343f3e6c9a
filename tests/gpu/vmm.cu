// vmm.cu - the driver's virtual memory management, as PyTorch's expandable
// segments and llama.cpp's VMM pool use it: reserve a large VA range, create
// physical chunks, map them, release the handles while mapped (ggml does),
// unmap, free the range.
#include <cstdio>
#include <cuda.h>
#include <unistd.h>

#define CK(x) do { CUresult r_ = (x); if (r_ != CUDA_SUCCESS) { \
	std::printf("error: %s = %d\n", #x, (int)r_); return 1; } } while (0)

static size_t used_now()
{
	size_t fr = 0, tot = 0;
	cuMemGetInfo(&fr, &tot);
	return tot - fr;
}

int main()
{
	CK(cuInit(0));
	CUdevice dev;
	CUcontext ctx;
	CK(cuDeviceGet(&dev, 0));
	CK(cuDevicePrimaryCtxRetain(&ctx, dev));
	CK(cuCtxSetCurrent(ctx));
	size_t base = used_now();
	CUmemAllocationProp prop = {};
	prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
	prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
	prop.location.id = dev;
	size_t g;
	CK(cuMemGetAllocationGranularity(&g, &prop, CU_MEM_ALLOC_GRANULARITY_MINIMUM));
	const int n = 8;
	size_t chunk = 16 * g, sum = 0;
	CUdeviceptr va;
	CK(cuMemAddressReserve(&va, 64 * chunk, 0, 0, 0));
	CUmemGenericAllocationHandle h[n];
	for (int i = 0; i < n; i++) {
		CK(cuMemCreate(&h[i], chunk, &prop, 0));
		CK(cuMemMap(va + i * chunk, chunk, 0, h[i], 0));
		CUmemAccessDesc acc = {};
		acc.location = prop.location;
		acc.flags = CU_MEM_ACCESS_FLAGS_PROT_READWRITE;
		CK(cuMemSetAccess(va + i * chunk, chunk, &acc, 1));
		CK(cuMemRelease(h[i]));
		sum += chunk;
	}
	size_t peak = used_now();
	usleep(150000); // a periodic snapshot (VRAMSIM_SNAPSHOT_MS) sees the peak
	for (int i = 0; i < n; i++)
		CK(cuMemUnmap(va + i * chunk, chunk));
	CK(cuMemAddressFree(va, 64 * chunk));
	CK(cuDevicePrimaryCtxRelease(dev));
	std::printf("expect_device_bytes %zu\n", sum);
	std::printf("meminfo_used_before %zu\nmeminfo_used_peak %zu\n", base, peak);
	return 0;
}
