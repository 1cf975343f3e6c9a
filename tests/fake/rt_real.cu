// rt_real.cu - a CUDA runtime program built by nvcc (static and shared
// cudart). Over the fake driver the real runtime runs its whole
// cuGetProcAddress look-up phase and then gives up (it needs NVIDIA's
// private export tables): the test checks which symbols, versions and
// flags the shim was asked for and which wrappers it handed back.
#include <cstdio>
#include <cuda_runtime.h>

int main()
{
	void *p = nullptr;
	cudaError_t e = cudaMalloc(&p, 1 << 20);
	std::printf("cudaMalloc: %d\n", (int)e);
	if (e == cudaSuccess) {
		cudaStream_t s;
		cudaStreamCreate(&s);
		void *q = nullptr;
		cudaMallocAsync(&q, 1 << 20, s);
		cudaFreeAsync(q, s);
		cudaFree(p);
	}
	return 0;
}
