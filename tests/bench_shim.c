/*
 * bench_shim.c - what the recording shim costs: nanoseconds it adds to
 * each intercepted driver call (cuMemAlloc_v2 + cuMemFree_v2 pairs over
 * the fake driver, 1 and 2 threads), the floor any recorder pays (a clock
 * read and a buffer store), the size of the native file per event, and
 * what 20,000 short-lived threads add to the peak resident memory (VmHWM,
 * traced minus untraced).
 *
 * Run from the repository root: $BUILD/fake/bench_shim [PAIRS]
 * (BUILD defaults to "build"; PAIRS per thread, default 200000).
 * Each measurement runs this program again as a child ("child THREADS
 * PAIRS"), with or without LD_PRELOAD of $BUILD/shim/libvramtrace.so.
 *
 * Method, chosen to measure the shim and nothing else:
 * - The fake driver runs with FAKECUDA_PERTHREAD=1: its cuMemAlloc_v2 and
 *   cuMemFree_v2 touch only the calling thread's state (fake_cuda.c says
 *   why). With its one global lock, the untraced two-thread baseline
 *   swung 52-223 ns between runs with how the scheduler placed the two
 *   threads, and the shim's work between calls relieved that lock, so the
 *   difference swung from -30 to +119 ns. Now any cache line the threads
 *   share on each call is the shim's, and is charged to it.
 * - Each thread times its calls with its own CPU clock
 *   (CLOCK_THREAD_CPUTIME_ID): time the thread spends running, including
 *   the kernel's work for it (page faults of the mapped tail), excluding
 *   time it waits for a CPU. The machines this runs on are shared, and
 *   wall time mostly measured the other programs; the wall figure is
 *   printed beside it. The writer thread's own CPU time (compression,
 *   on another thread) is not in the per-call figure; it is printed apart
 *   as CPU per event.
 * - 20,000 pairs per thread run first, untimed: the first record starts
 *   the writer, creates the files and describes the device, once.
 * - TRIALS times, alternately, an untraced and a traced child; the figure
 *   is the median of the TRIALS paired differences, printed with their
 *   range, so one disturbed run moves neither the figure nor the floor.
 *   The floor is the median of TRIALS loops, timed the same way.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fakecuda.h"
#include "util.h"
#include "vrt.h"
#include "shim_clock.h"

#define CHURN_THREADS 20000
#define WARM_PAIRS 20000
#define TRIALS 9
#define MAX_THREADS 8

static long pairs = 200000;
static CUcontext ctx;

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }

static void pairs_loop(long n)
{
	for (long i = 0; i < n; i++) {
		CUdeviceptr d;
		if (cuMemAlloc_v2(&d, 4096 + (size_t)(i & 63) * 512) != CUDA_SUCCESS ||
		    cuMemFree_v2(d) != CUDA_SUCCESS)
			exit(3);
	}
}

struct per_thread { double cpu_ns, wall_ns; };

static pthread_barrier_t start_line;

static void *loop(void *arg)
{
	struct per_thread *pt = arg;
	if (cuCtxSetCurrent(ctx) != CUDA_SUCCESS)
		exit(3);
	pairs_loop(WARM_PAIRS);
	pthread_barrier_wait(&start_line); /* the threads' timed loops overlap */
	double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), w0 = now_s();
	pairs_loop(pairs);
	pt->cpu_ns = (clock_s(CLOCK_THREAD_CPUTIME_ID) - c0) * 1e9 / (2.0 * (double)pairs);
	pt->wall_ns = (now_s() - w0) * 1e9 / (2.0 * (double)pairs);
	return NULL;
}

/* The child: time the calls, print ns per call, thread CPU and wall
 * (means over threads). */
static int child(int threads)
{
	if (cuInit(0) != CUDA_SUCCESS || cuCtxCreate_v2(&ctx, 0, 0) != CUDA_SUCCESS)
		return 3;
	pthread_t th[MAX_THREADS];
	struct per_thread pt[MAX_THREADS];
	double cpu = 0, wall = 0;
	pthread_barrier_init(&start_line, NULL, (unsigned)threads);
	for (int t = 0; t < threads; t++)
		pthread_create(&th[t], NULL, loop, &pt[t]);
	for (int t = 0; t < threads; t++) {
		pthread_join(th[t], NULL);
		cpu += pt[t].cpu_ns;
		wall += pt[t].wall_ns;
	}
	printf("%.3f %.3f\n", cpu / threads, wall / threads);
	return 0;
}

/* Thread churn: short-lived threads, 8 at a time, each one alloc+free. */
static void *one_pair(void *arg)
{
	(void)arg;
	CUdeviceptr d;
	if (cuCtxSetCurrent(ctx) != CUDA_SUCCESS || cuMemAlloc_v2(&d, 4096) != CUDA_SUCCESS ||
	    cuMemFree_v2(d) != CUDA_SUCCESS)
		exit(3);
	return NULL;
}

/* Peak resident memory of this process (VmHWM), KiB. */
static long peak_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

static int churn(long nthreads)
{
	if (cuInit(0) != CUDA_SUCCESS || cuCtxCreate_v2(&ctx, 0, 0) != CUDA_SUCCESS)
		return 3;
	for (long i = 0; i < nthreads; i += 8) {
		pthread_t th[8];
		for (int t = 0; t < 8; t++)
			pthread_create(&th[t], NULL, one_pair, NULL);
		for (int t = 0; t < 8; t++)
			pthread_join(th[t], NULL);
	}
	printf("%ld\n", peak_kib());
	return 0;
}

/* One child run (traced when shim): its figures, and the CPU time it
 * took in all its threads (the writer's too), from RUSAGE_CHILDREN. */
static void run_child(const char *self, int threads, const char *shim, const char *dir,
		      double out[2], double *all_cpu_s)
{
	char *cmd = util_xasprintf("rm -f %s/*.vrt.zst*; FAKECUDA_PERTHREAD=1 %s%s%s "
				   "VRAMSIM_OUT='%s/bench.%%p.vrt.zst' VRAMSIM_SNAPSHOT_MS=0 '%s' %s %d %ld",
				   dir, shim ? "LD_PRELOAD='" : "", shim ? shim : "",
				   shim ? "'" : "", dir, self, threads ? "child" : "churn",
				   threads, threads ? pairs : CHURN_THREADS);
	struct rusage r0, r1;
	getrusage(RUSAGE_CHILDREN, &r0);
	FILE *p = popen(cmd, "r");
	free(cmd);
	int got = p ? fscanf(p, "%lf %lf", &out[0], &out[1]) : 0;
	if (p && pclose(p) != 0)
		got = 0;
	if (got < 1 || (threads && got != 2)) {
		fprintf(stderr, "bench_shim: child run failed\n");
		exit(1);
	}
	getrusage(RUSAGE_CHILDREN, &r1);
	if (all_cpu_s)
		*all_cpu_s = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec -
				      r0.ru_stime.tv_sec) +
			     (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec -
				      r0.ru_stime.tv_usec) * 1e-6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* TRIALS untraced/traced pairs of children, alternating; prints the
 * median of the paired differences with their range. */
static void measure_calls(const char *self, int threads, const char *shim, const char *dir)
{
	double d_cpu[TRIALS], d_wall[TRIALS], d_all[TRIALS], plain[TRIALS], traced[TRIALS];
	double calls = 2.0 * (double)(pairs + WARM_PAIRS) * threads; /* for d_all */
	for (int k = 0; k < TRIALS; k++) {
		double u[2], t[2], ucpu, tcpu;
		run_child(self, threads, NULL, dir, u, &ucpu);
		run_child(self, threads, shim, dir, t, &tcpu);
		d_cpu[k] = t[0] - u[0];
		d_wall[k] = t[1] - u[1];
		/* The whole process's CPU per call, warm-up calls included;
		 * the shim's start-up (writer thread, files) is in it too. */
		d_all[k] = (tcpu - ucpu) * 1e9 / calls;
		plain[k] = u[0];
		traced[k] = t[0];
	}
	double m = median(d_cpu, TRIALS), lo = d_cpu[0], hi = d_cpu[TRIALS - 1];
	printf("shim: %+.0f ns per intercepted call, %d thread%s (median of %d paired runs, range "
	       "%+.0f..%+.0f; thread CPU time of alloc+free pairs over the fake driver: %.0f ns "
	       "untraced, %.0f ns traced; wall time %+.0f ns; CPU of the whole process, the "
	       "writer's compression included, %+.0f ns)\n", m, threads, threads == 1 ? "" : "s",
	       TRIALS, lo, hi, median(plain, TRIALS), median(traced, TRIALS),
	       median(d_wall, TRIALS), median(d_all, TRIALS));
}

/* Churn: the smallest peak of 3 runs each (a peak only grows with noise). */
static double measure_churn(const char *self, const char *shim, const char *dir)
{
	double best = -1;
	for (int run = 0; run < 3; run++) {
		double v[2];
		run_child(self, 0, shim, dir, v, NULL);
		if (best < 0 || v[0] < best)
			best = v[0];
	}
	return best;
}

/* A clock read and an 8-byte store into a buffer: the least a recorder
 * that timestamps every call does; timed as the calls are (thread CPU),
 * the median of TRIALS loops. */
static double floor_ns(void)
{
	static uint64_t buf[4096];
	long n = 4 * pairs;
	shim_clock_init();
	shim_clock_calibrate();
	struct timespec pause = { 0, 60 * 1000 * 1000 };
	nanosleep(&pause, NULL);
	shim_clock_calibrate(); /* the clock the shim stamps records with */
	double v[TRIALS];
	for (int k = 0; k < TRIALS; k++) {
		double t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
		for (long i = 0; i < n; i++) {
			buf[i & 4095] = (uint64_t)shim_clock_ns();
			__asm__ __volatile__("" : : "r"(buf) : "memory");
		}
		v[k] = (clock_s(CLOCK_THREAD_CPUTIME_ID) - t0) * 1e9 / (double)n;
	}
	return median(v, TRIALS);
}

/* Bytes per event of the file the last traced 1-thread run wrote. */
static void file_size(const char *dir)
{
	char *path = util_xasprintf("ls %s/bench.*.vrt.zst 2>/dev/null | head -n 1", dir);
	FILE *p = popen(path, "r");
	free(path);
	char name[4096] = "";
	if (!p || !fgets(name, sizeof(name), p)) {
		if (p)
			pclose(p);
		fprintf(stderr, "bench_shim: no native file written\n");
		exit(1);
	}
	pclose(p);
	name[strcspn(name, "\n")] = '\0';
	char *data = NULL, *cause = NULL;
	size_t len;
	if (util_read_file(name, &data, &len, &cause)) {
		fprintf(stderr, "bench_shim: %s\n", cause);
		exit(1);
	}
	struct vrt_reader *r;
	uint64_t events = 0;
	if (vrt_reader_open(data, len, &r) == 0) {
		struct vrt_rec rec;
		while (vrt_reader_next(r, &rec) == 1)
			events += rec.type == VRT_REC_EVENT;
	}
	vrt_reader_free(r);
	free(data);
	printf("shim: native file: %.2f bytes per event (%llu events, %zu bytes, zstd level 3)\n",
	       events ? (double)len / (double)events : 0.0, (unsigned long long)events, len);
}

int main(int argc, char **argv)
{
	if (argc > 3 && strcmp(argv[1], "churn") == 0)
		return churn(atol(argv[3]));
	if (argc > 3 && strcmp(argv[1], "child") == 0) {
		pairs = atol(argv[3]);
		return child(atoi(argv[2]) < 1 ? 1 : atoi(argv[2]) > MAX_THREADS ? MAX_THREADS
									  : atoi(argv[2]));
	}
	if (argc > 1)
		pairs = atol(argv[1]);
	if (pairs < 1000)
		pairs = 1000;
	const char *b = getenv("BUILD");
	char cwd[2048], self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (!getcwd(cwd, sizeof(cwd)) || n <= 0)
		return 1;
	self[n] = '\0';
	char *shim = util_xasprintf("%s/%s/shim/libvramtrace.so", cwd, b && *b ? b : "build");
	char dir[] = "/tmp/vramsim-bench-XXXXXX";
	if (access(shim, R_OK) != 0 || !mkdtemp(dir)) {
		fprintf(stderr, "bench_shim: %s missing (run from the repository root after make)\n",
			shim);
		return 1;
	}
	/* The floor first: printed beside the per-call figures it bounds. */
	printf("shim: floor: %.0f ns per call (a clock read and a buffer store, thread CPU time, "
	       "median of %d)\n", floor_ns(), TRIALS);
	for (int threads = 1; threads <= 2; threads++) {
		measure_calls(self, threads, shim, dir);
		if (threads == 1) {
			double v[2];
			run_child(self, 1, shim, dir, v, NULL);
			file_size(dir);
		}
	}
	double plain = measure_churn(self, NULL, dir), traced = measure_churn(self, shim, dir);
	printf("shim: thread churn: %+.1f MiB peak resident memory for %d short-lived threads "
	       "(8 at a time, one alloc+free each: %.1f MiB untraced, %.1f MiB traced)\n",
	       (traced - plain) / 1024, CHURN_THREADS, plain / 1024, traced / 1024);
	char *rm = util_xasprintf("rm -rf '%s'", dir);
	if (system(rm) != 0)
		fprintf(stderr, "bench_shim: could not remove %s\n", dir);
	free(rm);
	free(shim);
	return 0;
}
