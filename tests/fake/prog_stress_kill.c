/*
 * prog_stress_kill.c - allocates until it is killed, for the crash tests
 * of tests/test_shim_stress.c. T threads each keep a ring of 4 live
 * allocations: every step frees the oldest and allocates anew. Before
 * each call a thread appends one line to the log named by $STRESS_LOG
 * with a single write(2) (O_APPEND):
 *     a tid step size      before cuMemAlloc_v2(size)
 *     f tid step addr      before cuMemFree_v2(addr)
 * so whatever kills the process, the log holds every call made and at
 * most one per thread that was not made.
 *
 * Usage: prog_stress_kill T [EXIT_US [go]]
 *   without EXIT_US it runs until killed; with it, the main thread calls
 *   _exit(7) after EXIT_US microseconds (no exit handlers, no flush); with
 *   "go", it ends the way a Go program's os.Exit does: the exit_group
 *   system call, straight (no libc exit path at all); with "exec", it
 *   execs /bin/true while the other threads allocate.
 */
#include <pthread.h>
#include <time.h>

#include "expect.h"
#include "fakecuda.h"

#define RING 4

static int log_fd = -1;
static CUcontext ctx;

static void nap_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void log_line(char op, int tid, long step, unsigned long long v)
{
	char line[96];
	int n = snprintf(line, sizeof(line), "%c %d %ld %llu\n", op, tid, step, v);
	CHECK(write(log_fd, line, (size_t)n) == n);
}

static void *worker(void *arg)
{
	int t = (int)(intptr_t)arg, tid = (int)syscall(SYS_gettid);
	CHECK(cuCtxSetCurrent(ctx) == CUDA_SUCCESS);
	CUdeviceptr ring[RING];
	for (long step = 0;; step++) {
		if (step >= RING) {
			CUdeviceptr old = ring[step % RING];
			log_line('f', tid, step, old);
			CHECK(cuMemFree_v2(old) == CUDA_SUCCESS);
		}
		size_t size = 512 + (size_t)((t * 7919 + step * 13) % 65536);
		log_line('a', tid, step, size);
		CHECK(cuMemAlloc_v2(&ring[step % RING], size) == CUDA_SUCCESS);
		/* Bursts and pauses: frames close at every size, and the log
		 * stays small. */
		if (step % 4 == 3)
			nap_us(50);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	CHECK(argc >= 2 && argc <= 4);
	int nt = atoi(argv[1]);
	long exit_us = argc >= 3 ? atol(argv[2]) : -1;
	CHECK(nt > 0 && nt <= 16);
	const char *path = getenv("STRESS_LOG");
	CHECK(path != NULL);
	log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	CHECK(log_fd >= 0);
	CHECK(cuInit(0) == CUDA_SUCCESS);
	CHECK(cuDevicePrimaryCtxRetain(&ctx, 0) == CUDA_SUCCESS);
	pthread_t th;
	for (int t = 0; t < nt; t++)
		CHECK(pthread_create(&th, NULL, worker, (void *)(intptr_t)t) == 0);
	if (exit_us < 0)
		for (;;)
			nap_us(1000000);
	nap_us(exit_us);
	if (argc == 4 && strcmp(argv[3], "go") == 0)
		syscall(SYS_exit_group, 7);
	if (argc == 4 && strcmp(argv[3], "exec") == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(8);
	}
	_exit(7);
}
