/*
 * bench_shim.c - what the recording shim costs: nanoseconds it adds to
 * each intercepted driver call (pairs of cuMemAlloc_v2 + cuMemFree_v2 over
 * the fake driver, 1 and 2 threads, traced minus untraced, best of 3 runs
 * each), the floor any recorder pays (a clock read and a buffer store),
 * the size of the native file per event, and what 20,000 short-lived
 * threads add to the peak resident memory (VmHWM, traced minus untraced).
 *
 * Run from the repository root: $BUILD/fake/bench_shim [PAIRS]
 * (BUILD defaults to "build"; PAIRS per thread, default 200000).
 * Each measurement runs this program again as a child ("child THREADS
 * PAIRS"), with or without LD_PRELOAD of $BUILD/shim/libvramtrace.so.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fakecuda.h"
#include "util.h"
#include "vrt.h"
#include "shim_clock.h"

#define CHURN_THREADS 20000

static long pairs = 200000;
static CUcontext ctx;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *loop(void *arg)
{
	double *ns = arg;
	if (cuCtxSetCurrent(ctx) != CUDA_SUCCESS)
		exit(3);
	double t0 = now_s();
	for (long i = 0; i < pairs; i++) {
		CUdeviceptr d;
		if (cuMemAlloc_v2(&d, 4096 + (size_t)(i & 63) * 512) != CUDA_SUCCESS ||
		    cuMemFree_v2(d) != CUDA_SUCCESS)
			exit(3);
	}
	*ns = (now_s() - t0) * 1e9 / (2.0 * (double)pairs);
	return NULL;
}

/* The child: time the calls, print ns per call (mean over threads). */
static int child(int threads)
{
	if (cuInit(0) != CUDA_SUCCESS || cuCtxCreate_v2(&ctx, 0, 0) != CUDA_SUCCESS)
		return 3;
	pthread_t th[8];
	double ns[8] = { 0 }, sum = 0;
	for (int t = 0; t < threads; t++)
		pthread_create(&th[t], NULL, loop, &ns[t]);
	for (int t = 0; t < threads; t++) {
		pthread_join(th[t], NULL);
		sum += ns[t];
	}
	printf("%.2f\n", sum / threads);
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

/* Run the child (traced or not), return its ns per call, best of 3. */
static double measure(const char *self, int threads, const char *shim, const char *dir)
{
	double best = -1;
	for (int run = 0; run < 3; run++) {
		char *cmd = util_xasprintf("rm -f %s/*.vrt.zst*; %s%s%s VRAMSIM_OUT='%s/bench.%%p.vrt.zst' "
					   "VRAMSIM_SNAPSHOT_MS=0 '%s' %s %d %ld", dir,
					   shim ? "LD_PRELOAD='" : "", shim ? shim : "",
					   shim ? "'" : "", dir, self, threads ? "child" : "churn",
					   threads, threads ? pairs : CHURN_THREADS);
		FILE *p = popen(cmd, "r");
		free(cmd);
		double ns = -1;
		if (!p || fscanf(p, "%lf", &ns) != 1)
			ns = -1;
		if (p && pclose(p) != 0)
			ns = -1;
		if (ns < 0) {
			fprintf(stderr, "bench_shim: child run failed\n");
			exit(1);
		}
		if (best < 0 || ns < best)
			best = ns;
	}
	return best;
}

/* A clock read and an 8-byte store into a buffer: the least a recorder
 * that timestamps every call does. */
static double floor_ns(void)
{
	static uint64_t buf[4096];
	long n = 4 * pairs;
	shim_clock_init();
	shim_clock_calibrate();
	struct timespec pause = { 0, 60 * 1000 * 1000 };
	nanosleep(&pause, NULL);
	shim_clock_calibrate(); /* the clock the shim stamps records with */
	double t0 = now_s();    /* after the calibration: only the loop counts */
	for (long i = 0; i < n; i++) {
		buf[i & 4095] = (uint64_t)shim_clock_ns();
		__asm__ __volatile__("" : : "r"(buf) : "memory");
	}
	return (now_s() - t0) * 1e9 / (double)n;
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
		return child(atoi(argv[2]) < 1 ? 1 : atoi(argv[2]) > 8 ? 8 : atoi(argv[2]));
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
	for (int threads = 1; threads <= 2; threads++) {
		double plain = measure(self, threads, NULL, dir);
		double traced = measure(self, threads, shim, dir);
		printf("shim: %+.0f ns per intercepted call, %d thread%s (alloc+free pairs over the "
		       "fake driver: %.0f ns untraced, %.0f ns traced)\n", traced - plain, threads,
		       threads == 1 ? "" : "s", plain, traced);
		if (threads == 1)
			file_size(dir);
	}
	printf("shim: floor: %.0f ns per call (a clock read and a buffer store)\n", floor_ns());
	/* measure() keeps the smallest of 3: here, the least peak memory. */
	double plain = measure(self, 0, NULL, dir), traced = measure(self, 0, shim, dir);
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
