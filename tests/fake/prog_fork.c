/*
 * prog_fork.c - fork and exec: the parent allocates, forks a child that
 * allocates on its own and exits, forks a second child that allocates,
 * tries to exec a program that does not exist, allocates again, then
 * execs this program ("exec-child": same pid, a new image that allocates
 * once more); the parent allocates again after both. Each process's
 * file must hold exactly its own events: the children drop what they
 * inherited, and the two images of the second child form one process.
 *
 * Usage: prog_fork [exec-child]
 */
#include <sys/wait.h>

#include "expect.h"
#include "fakecuda.h"

static void alloc_free(int dev, size_t n)
{
	CUdeviceptr d;
	CHECK(cuMemAlloc_v2(&d, n) == CUDA_SUCCESS);
	ex_alloc(dev, n, n, d, "cuMemAlloc_v2");
	CHECK(cuMemFree_v2(d) == CUDA_SUCCESS);
	ex_free(dev, n, d, "cuMemFree_v2");
}

static CUcontext retain(int dev)
{
	CUcontext c;
	CHECK(cuDevicePrimaryCtxRetain(&c, dev) == CUDA_SUCCESS);
	ex_marker(dev, (uintptr_t)c, "cuDevicePrimaryCtxRetain", "primary context retain");
	ex_snap(dev, fakecuda_used(dev), dev ? 2048ull << 20 : 1024ull << 20, "context create");
	CHECK(cuCtxSetCurrent(c) == CUDA_SUCCESS);
	return c;
}

static void release(int dev, CUcontext c)
{
	ex_snap(dev, fakecuda_used(dev), dev ? 2048ull << 20 : 1024ull << 20, "context destroy");
	CHECK(cuDevicePrimaryCtxRelease_v2(dev) == CUDA_SUCCESS);
	ex_marker(dev, (uintptr_t)c, "cuDevicePrimaryCtxRelease_v2", "primary context release");
}

int main(int argc, char **argv)
{
	CHECK(cuInit(0) == CUDA_SUCCESS);
	if (argc > 1 && strcmp(argv[1], "exec-child") == 0) {
		CUcontext c = retain(1);
		alloc_free(1, 3333);
		release(1, c);
		return 0;
	}
	CUcontext c = retain(0);
	alloc_free(0, 1111);

	pid_t a = fork();
	CHECK(a >= 0);
	if (a == 0) {
		/* A child uses its own context (a parent's is not valid here). */
		cuCtxSetCurrent(NULL);
		CUcontext cc = retain(1);
		alloc_free(1, 2222);
		release(1, cc);
		exit(0);
	}
	int st;
	CHECK(waitpid(a, &st, 0) == a && WIFEXITED(st) && WEXITSTATUS(st) == 0);

	pid_t b = fork();
	CHECK(b >= 0);
	if (b == 0) {
		cuCtxSetCurrent(NULL);
		CUcontext cc = retain(1);
		alloc_free(1, 4444);
		/* An exec that fails: the file was finished, recording goes on
		 * in a new one. */
		CHECK(execl("/nonexistent/prog", "prog", (char *)NULL) == -1);
		alloc_free(1, 4445);
		release(1, cc);
		execl("/proc/self/exe", argv[0], "exec-child", (char *)NULL);
		_exit(127);
	}
	CHECK(waitpid(b, &st, 0) == b && WIFEXITED(st) && WEXITSTATUS(st) == 0);

	alloc_free(0, 5555);
	release(0, c);
	return 0;
}
