/*
 * prog_stress.c - load for tests/test_shim_stress.c: many threads
 * allocating at once, and forks taken while they do.
 *
 *   prog_stress threads T N
 *       T threads (devices alternate 0, 1) each make N cuMemAlloc_v2 /
 *       cuMemFree_v2 pairs; pair i of thread t asks for t*N + i + 1 bytes,
 *       so the trace tells which thread and which pair every event is.
 *   prog_stress fork A B N F C
 *       while A + B threads work, another thread forks F times (300 us
 *       apart, waiting for each child). Allocating thread a makes pairs
 *       of sizes a*STRIDE + i + 1; failing thread b calls
 *       cuMemAlloc_v2(NULL, FAIL_BASE + b*STRIDE + i + 1), which the
 *       driver refuses (a recorded failed allocation). They go on until
 *       the forks are done, at least N calls each. Child f takes its own
 *       context, makes C pairs of sizes CHILD_BASE + f*C + j + 1 and exits.
 *   prog_stress suid N
 *       one thread, N pairs; also says whether the process runs in secure
 *       mode (AT_SECURE: setuid). Built linked to the shim
 *       (prog_stress_suid) for the setuid test.
 *
 * stdout holds only what does not depend on timing or pids, so a traced
 * run must print exactly what an untraced one does. With $VRAMSIM_EXPECT,
 * fork mode appends there "P pid" (itself), "C f pid" (each child) and
 * "W a|b w tid calls" (each worker).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <time.h>

#include "expect.h"
#include "fakecuda.h"

#define FAIL_BASE  (1ull << 40)
#define STRIDE     (1ull << 22)  /* calls of one fork-mode worker */
#define CHILD_BASE (1ull << 28)  /* real allocations: must fit a fake device */

static int n_pairs;
static CUcontext prim[2];
/* The fake driver takes a process-wide mutex inside its calls, and a
 * forked child inherits it locked if another thread held it: the
 * allocating threads hold this lock (shared) around each call and the
 * forking thread takes it exclusively around fork(). The threads whose
 * calls fail take no lock: the driver refuses them before its mutex,
 * so a fork can land in the middle of their recording. */
static pthread_rwlock_t fork_lock;
static atomic_int forks_done;

static void nap_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void pairs(unsigned long long base, int n, int locked)
{
	for (int i = 0; i < n; i++) {
		size_t size = (size_t)(base + (unsigned long long)i + 1);
		CUdeviceptr d;
		if (locked)
			pthread_rwlock_rdlock(&fork_lock);
		CHECK(cuMemAlloc_v2(&d, size) == CUDA_SUCCESS);
		if (locked) {
			pthread_rwlock_unlock(&fork_lock);
			pthread_rwlock_rdlock(&fork_lock);
		}
		CHECK(cuMemFree_v2(d) == CUDA_SUCCESS);
		if (locked)
			pthread_rwlock_unlock(&fork_lock);
	}
}

static void *thread_worker(void *arg)
{
	int t = (int)(intptr_t)arg;
	CHECK(cuCtxSetCurrent(prim[t % 2]) == CUDA_SUCCESS);
	pairs((unsigned long long)t * (unsigned long long)n_pairs, n_pairs, 0);
	return NULL;
}

/* Fork mode: the workers go on until every fork is done (at least
 * n_pairs calls), then say how many calls they made. */
static void say_count(char role, int w, long n)
{
	char line[96];
	int k = snprintf(line, sizeof(line), "W %c %d %d %ld\n", role, w,
			 (int)syscall(SYS_gettid), n);
	ex_write(line, (size_t)k);
}

/* Bursts of 16 calls, then a pause: the trace stays small however long
 * the forks take (a sanitizer's leak check in each child is slow). */
static void pace(long i)
{
	if (i % 16 == 15)
		nap_us(100);
}

static void *alloc_worker(void *arg)
{
	int a = (int)(intptr_t)arg;
	CHECK(cuCtxSetCurrent(prim[a % 2]) == CUDA_SUCCESS);
	long i = 0;
	for (; i < n_pairs || !atomic_load(&forks_done); i++) {
		CHECK(i < (long)STRIDE - 1);
		pairs((unsigned long long)a * STRIDE + (unsigned long long)i, 1, 1);
		pace(i);
	}
	say_count('a', a, i);
	return NULL;
}

static void *fail_worker(void *arg)
{
	int b = (int)(intptr_t)arg;
	CHECK(cuCtxSetCurrent(prim[b % 2]) == CUDA_SUCCESS);
	long i = 0;
	for (; i < n_pairs || !atomic_load(&forks_done); i++) {
		CHECK(i < (long)STRIDE - 1);
		size_t code = (size_t)(FAIL_BASE + (unsigned long long)b * STRIDE +
				       (unsigned long long)i + 1);
		CHECK(cuMemAlloc_v2(NULL, code) == CUDA_ERROR_INVALID_VALUE);
		pace(i);
	}
	say_count('b', b, i);
	return NULL;
}

static int n_forks, child_pairs, forks_ok;

static void *forker(void *arg)
{
	(void)arg;
	for (int f = 0; f < n_forks; f++) {
		/* Let the workers run between forks. */
		nap_us(300);
		pthread_rwlock_wrlock(&fork_lock);
		pid_t p = fork();
		CHECK(p >= 0);
		pthread_rwlock_unlock(&fork_lock);
		if (p == 0) {
			/* The parent's current context is not the child's. */
			cuCtxSetCurrent(NULL);
			int dev = f % 2;
			CUcontext c;
			CHECK(cuDevicePrimaryCtxRetain(&c, dev) == CUDA_SUCCESS);
			CHECK(cuCtxSetCurrent(c) == CUDA_SUCCESS);
			pairs(CHILD_BASE + (unsigned long long)f * (unsigned)child_pairs,
			      child_pairs, 0);
			CHECK(cuDevicePrimaryCtxRelease_v2(dev) == CUDA_SUCCESS);
			exit(0);
		}
		char line[64];
		int n = snprintf(line, sizeof(line), "C %d %d\n", f, (int)p);
		ex_write(line, (size_t)n);
		int st;
		CHECK(waitpid(p, &st, 0) == p);
		forks_ok += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	atomic_store(&forks_done, 1);
	return NULL;
}

static void retain_both(void)
{
	CHECK(cuInit(0) == CUDA_SUCCESS);
	for (int d = 0; d < 2; d++)
		CHECK(cuDevicePrimaryCtxRetain(&prim[d], d) == CUDA_SUCCESS);
}

static int run_threads(int nt)
{
	retain_both();
	pthread_t th[256];
	for (int t = 0; t < nt; t++)
		CHECK(pthread_create(&th[t], NULL, thread_worker, (void *)(intptr_t)t) == 0);
	for (int t = 0; t < nt; t++)
		CHECK(pthread_join(th[t], NULL) == 0);
	long long pairs_done = fakecuda_calls("cuMemFree_v2");
	printf("threads %d x %d pairs: %d allocations, %lld frees; in use: %lld, %lld bytes\n",
	       nt, n_pairs, fakecuda_calls("cuMemAlloc_v2"), pairs_done, fakecuda_used(0),
	       fakecuda_used(1));
	return pairs_done == (long long)nt * n_pairs ? 0 : 1;
}

static int run_fork(int na, int nb)
{
	pthread_rwlockattr_t ra;
	pthread_rwlockattr_init(&ra);
	/* Writer preference: the forks are not starved by the workers. */
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&fork_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	retain_both();
	char line[64];
	int n = snprintf(line, sizeof(line), "P %d\n", (int)getpid());
	ex_write(line, (size_t)n);
	fflush(stdout);
	pthread_t th[256], fk;
	for (int t = 0; t < na; t++)
		CHECK(pthread_create(&th[t], NULL, alloc_worker, (void *)(intptr_t)t) == 0);
	for (int b = 0; b < nb; b++)
		CHECK(pthread_create(&th[na + b], NULL, fail_worker, (void *)(intptr_t)b) == 0);
	CHECK(pthread_create(&fk, NULL, forker, NULL) == 0);
	for (int t = 0; t < na + nb; t++)
		CHECK(pthread_join(th[t], NULL) == 0);
	CHECK(pthread_join(fk, NULL) == 0);
	printf("fork: %d allocating and %d failing threads, %d of %d children exited 0 after "
	       "%d pairs each\n", na, nb, forks_ok, n_forks, child_pairs);
	pthread_rwlock_destroy(&fork_lock);
	return forks_ok == n_forks ? 0 : 1;
}

static int run_suid(void)
{
	retain_both();
	CHECK(cuCtxSetCurrent(prim[0]) == CUDA_SUCCESS);
	pairs(0, n_pairs, 0);
	printf("suid: %d pairs, %d frees; secure %lu\n", n_pairs, fakecuda_calls("cuMemFree_v2"),
	       getauxval(AT_SECURE));
	return 0;
}

int main(int argc, char **argv)
{
	CHECK(argc >= 3);
	if (strcmp(argv[1], "threads") == 0 && argc == 4) {
		int nt = atoi(argv[2]);
		n_pairs = atoi(argv[3]);
		CHECK(nt > 0 && nt <= 256 && n_pairs > 0);
		return run_threads(nt);
	}
	if (strcmp(argv[1], "fork") == 0 && argc == 7) {
		int na = atoi(argv[2]), nb = atoi(argv[3]);
		n_pairs = atoi(argv[4]);
		n_forks = atoi(argv[5]);
		child_pairs = atoi(argv[6]);
		CHECK(na >= 0 && nb >= 0 && na + nb <= 255 && n_pairs > 0 && n_forks >= 0 &&
		      child_pairs > 0);
		CHECK((unsigned long long)na * STRIDE < CHILD_BASE && n_pairs < (int)STRIDE / 2 &&
		      (unsigned long long)n_forks * (unsigned)child_pairs < CHILD_BASE);
		return run_fork(na, nb);
	}
	if (strcmp(argv[1], "suid") == 0) {
		n_pairs = atoi(argv[2]);
		CHECK(n_pairs > 0);
		return run_suid();
	}
	fprintf(stderr, "usage: prog_stress threads T N | fork A B N F C | suid N\n");
	return 2;
}
