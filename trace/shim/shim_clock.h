/*
 * shim_clock.h - the clock every record is stamped with. Header-only so
 * that tests/bench_shim.c measures its floor ("a clock read and a store")
 * with the very same clock.
 *
 * Where the CPU has an invariant TSC (x86-64 with constant_tsc and
 * nonstop_tsc in /proc/cpuinfo) the clock is the TSC, scaled to
 * nanoseconds by a factor the writer thread measures against
 * CLOCK_MONOTONIC (shim_clock_calibrate, every flush): a few ns a read,
 * where clock_gettime costs 20-60 ns under a paravirtual clock source
 * (kvm-clock). Until the first calibration (>= 5 ms of baseline), and
 * everywhere else, it is clock_gettime(CLOCK_MONOTONIC) through the vDSO.
 * Each re-calibration starts from the current reading, so the clock never
 * goes back; its rate follows CLOCK_MONOTONIC's over the whole run.
 */
#ifndef VRAMSIM_SHIM_CLOCK_H
#define VRAMSIM_SHIM_CLOCK_H

#include <stdint.h>
#include <time.h>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

struct shim_clock {
	unsigned seq;         /* odd while the writer updates the fields below */
	int use_tsc;
	uint64_t tsc0;        /* anchor: TSC value ... */
	int64_t ns0;          /* ... and the nanoseconds it stands for */
	uint64_t mult;        /* nanoseconds per tick, << 32 */
	uint64_t base_tsc;    /* the calibration baseline (writer only) */
	int64_t base_ns;
	int tsc_ok;           /* the CPU's TSC is invariant (set once) */
};

extern struct shim_clock shim_clk;

static inline int64_t shim_clock_gettime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* CLOCK_MONOTONIC nanoseconds (TSC-derived where calibrated). */
static inline int64_t shim_clock_ns(void)
{
#if defined(__x86_64__)
	if (__atomic_load_n(&shim_clk.use_tsc, __ATOMIC_RELAXED)) {
		for (;;) {
			unsigned s = __atomic_load_n(&shim_clk.seq, __ATOMIC_ACQUIRE);
			uint64_t t0 = shim_clk.tsc0, m = shim_clk.mult;
			int64_t n0 = shim_clk.ns0;
			/* No fence: a record a sweep missed took its thread's
			 * lock after the sweep released it, microseconds after
			 * the watermark was read; an early RDTSC moves by cycles. */
			uint64_t t = __rdtsc();
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if ((s & 1) || s != __atomic_load_n(&shim_clk.seq, __ATOMIC_RELAXED))
				continue;
			int64_t d = (int64_t)(t - t0);
			if (d < 0)
				d = 0; /* another core's TSC a hair behind: no going back */
			return n0 + (int64_t)(((unsigned __int128)(uint64_t)d * m) >> 32);
		}
	}
#endif
	return shim_clock_gettime();
}

/* Decide once whether the TSC may be used (reads /proc/cpuinfo). */
void shim_clock_init(void);
/* Measure the TSC rate against CLOCK_MONOTONIC and move the anchor
 * (the writer thread, every flush). */
void shim_clock_calibrate(void);

#endif
