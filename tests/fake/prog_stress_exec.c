/*
 * prog_stress_exec.c - an exec chain for tests/test_shim_stress.c: image k
 * (k = 0..N) takes a context on device k % 2, makes K + k alloc/free
 * pairs of sizes k*EXEC_STRIDE + j + 1, keeps one more allocation of
 * k*EXEC_STRIDE + EXEC_STRIDE/2 bytes alive, then execs itself as image
 * k + 1 through one of the exec functions in turn (execv, execve,
 * execvp, execvpe, execl, execle, execlp), or exits 0 after image N.
 * With VIA "fexecve" every exec is fexecve() of this program instead.
 * Every image is one process (the pid stays) with its own trace file.
 *
 * Usage: prog_stress_exec N K all|fexecve [k]
 */
#include "expect.h"
#include "fakecuda.h"

#define EXEC_STRIDE 100000

extern char **environ;

static void next_image(char **argv, int image)
{
	const char *self = argv[0], *n = argv[1], *k = argv[2], *via = argv[3];
	char arg[16];
	snprintf(arg, sizeof(arg), "%d", image);
	char *const v[] = { (char *)self, (char *)n, (char *)k, (char *)via, arg, NULL };
	if (strcmp(via, "fexecve") == 0) {
		int fd = open(self, O_RDONLY | O_CLOEXEC);
		CHECK(fd >= 0);
		fexecve(fd, v, environ);
	}
	switch (image % 7) {
	case 0: execv(self, v); break;
	case 1: execve(self, v, environ); break;
	case 2: execvp(self, v); break;
	case 3: execvpe(self, v, environ); break;
	case 4: execl(self, self, n, k, via, arg, (char *)NULL); break;
	case 5: execle(self, self, n, k, via, arg, (char *)NULL, environ); break;
	default: execlp(self, self, n, k, via, arg, (char *)NULL); break;
	}
	perror("exec");
	exit(126);
}

int main(int argc, char **argv)
{
	CHECK(argc == 4 || argc == 5);
	int n = atoi(argv[1]), k = atoi(argv[2]), image = argc == 5 ? atoi(argv[4]) : 0;
	CHECK(strcmp(argv[3], "all") == 0 || strcmp(argv[3], "fexecve") == 0);
	CHECK(n >= 0 && k > 0 && k + n < EXEC_STRIDE / 2 && image >= 0 && image <= n);
	/* argv[0] must name this program by path: execvp must not search. */
	CHECK(strchr(argv[0], '/') != NULL);
	CHECK(cuInit(0) == CUDA_SUCCESS);
	CUcontext c;
	CHECK(cuDevicePrimaryCtxRetain(&c, image % 2) == CUDA_SUCCESS);
	CHECK(cuCtxSetCurrent(c) == CUDA_SUCCESS);
	unsigned long long base = (unsigned long long)image * EXEC_STRIDE;
	for (int j = 0; j < k + image; j++) {
		CUdeviceptr d;
		CHECK(cuMemAlloc_v2(&d, base + (unsigned)j + 1) == CUDA_SUCCESS);
		CHECK(cuMemFree_v2(d) == CUDA_SUCCESS);
	}
	CUdeviceptr keep;
	CHECK(cuMemAlloc_v2(&keep, base + EXEC_STRIDE / 2) == CUDA_SUCCESS);
	printf("image %d of %d: %d pairs, one allocation kept\n", image, n, k + image);
	fflush(stdout);
	if (image < n)
		next_image(argv, image + 1);
	return 0;
}
