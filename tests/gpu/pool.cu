// pool.cu - stream-ordered allocation: the default pool keeps freed memory
// reserved until trimmed; an explicit pool on the same device.
#include <cstdio>
#include <cuda_runtime.h>
#include <unistd.h>

static size_t used_now()
{
	size_t fr = 0, tot = 0;
	cudaMemGetInfo(&fr, &tot);
	return tot - fr;
}

int main()
{
	cudaFree(0);
	size_t base = used_now();
	cudaStream_t s;
	cudaStreamCreate(&s);
	void *p[6];
	size_t sum = 0;
	for (int i = 0; i < 6; i++) {
		size_t n = (size_t)(i + 1) * (32 << 20);
		if (cudaMallocAsync(&p[i], n, s) != cudaSuccess) {
			std::printf("error: cudaMallocAsync\n");
			return 1;
		}
		sum += n;
	}
	cudaStreamSynchronize(s);
	cudaMemPoolProps props = {};
	props.allocType = cudaMemAllocationTypePinned;
	props.location.type = cudaMemLocationTypeDevice;
	props.location.id = 0;
	cudaMemPool_t pool;
	cudaMemPoolCreate(&pool, &props);
	void *q;
	cudaMallocFromPoolAsync(&q, 64 << 20, pool, s);
	sum += 64 << 20;
	cudaStreamSynchronize(s);
	size_t peak = used_now();
	usleep(150000); // a periodic snapshot (VRAMSIM_SNAPSHOT_MS) sees the peak
	for (int i = 0; i < 6; i++)
		cudaFreeAsync(p[i], s);
	cudaFreeAsync(q, s);
	cudaStreamSynchronize(s);
	cudaMemPool_t def;
	cudaDeviceGetDefaultMemPool(&def, 0);
	cudaMemPoolTrimTo(def, 0);
	cudaMemPoolDestroy(pool);
	std::printf("expect_device_bytes %zu\n", sum);
	std::printf("meminfo_used_before %zu\nmeminfo_used_peak %zu\n", base, peak);
	return 0;
}
