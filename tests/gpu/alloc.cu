// alloc.cu - linear device memory through the runtime: a ladder of
// cudaMalloc sizes, pinned host memory, then everything freed. Prints what
// it allocated and what cudaMemGetInfo said, for tests/gpu/run.sh.
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
	cudaFree(0); // create the context
	size_t base = used_now();
	void *p[10];
	size_t sum = 0;
	for (int i = 0; i < 10; i++) {
		size_t n = (size_t)1 << (20 + i % 8); // 1 MiB .. 128 MiB
		n += (size_t)i * 4096;
		if (cudaMalloc(&p[i], n) != cudaSuccess) {
			std::printf("error: cudaMalloc %zu\n", n);
			return 1;
		}
		sum += n;
	}
	void *h = nullptr;
	cudaMallocHost(&h, 64 << 20);
	size_t peak = used_now();
	usleep(150000); // a periodic snapshot (VRAMSIM_SNAPSHOT_MS) sees the peak
	for (int i = 0; i < 10; i++)
		cudaFree(p[i]);
	cudaFreeHost(h);
	std::printf("expect_device_bytes %zu\n", sum);
	std::printf("meminfo_used_before %zu\nmeminfo_used_peak %zu\n", base, peak);
	return 0;
}
