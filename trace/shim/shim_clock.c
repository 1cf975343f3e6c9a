/*
 * shim_clock.c - deciding whether the TSC may stamp records, and keeping
 * its scale right (the reading itself is inline: shim_clock.h).
 */
#include "shim_clock.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

struct shim_clock shim_clk;

void shim_clock_init(void)
{
#if defined(__x86_64__)
	/* The flags line of the first CPU says whether the TSC runs at one
	 * rate in every power state (Linux: arch/x86/include/asm/cpufeatures.h). */
	char buf[8192];
	int fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	char *flags = strstr(buf, "\nflags");
	if (!flags)
		return;
	char *eol = strchr(flags + 1, '\n');
	if (eol)
		*eol = '\0';
	shim_clk.tsc_ok = strstr(flags, " constant_tsc") && strstr(flags, " nonstop_tsc");
	shim_clk.base_ns = shim_clock_gettime();
	shim_clk.base_tsc = __rdtsc();
#endif
}

void shim_clock_calibrate(void)
{
#if defined(__x86_64__)
	if (!shim_clk.tsc_ok)
		return;
	int64_t ns = shim_clock_gettime();
	uint64_t t = __rdtsc();
	int64_t dn = ns - shim_clk.base_ns;
	uint64_t dt = t - shim_clk.base_tsc;
	/* The first rate from 5 ms of baseline is within a few 1e-5 (the
	 * jitter of a clock_gettime over 5 ms), and records are stamped by
	 * the TSC from then on; later ones wait for 50 ms of it. A new rate
	 * never moves the clock back (below). */
	int64_t need = shim_clk.use_tsc ? 50 * 1000 * 1000 : 5 * 1000 * 1000;
	if (dn < need || dt == 0 || (int64_t)dt < 0)
		return; /* too short a baseline for a good rate */
	uint64_t m = (uint64_t)(((unsigned __int128)(uint64_t)dn << 32) / dt);
	/* Continue from the current reading; catch up if it fell behind
	 * CLOCK_MONOTONIC, never step back if it ran ahead. */
	int64_t anchor = ns;
	if (shim_clk.use_tsc) {
		int64_t d = (int64_t)(t - shim_clk.tsc0);
		int64_t now = shim_clk.ns0 +
			      (int64_t)(((unsigned __int128)(uint64_t)(d < 0 ? 0 : d) * shim_clk.mult) >> 32);
		if (now > anchor)
			anchor = now;
	}
	__atomic_store_n(&shim_clk.seq, shim_clk.seq + 1, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	shim_clk.tsc0 = t;
	shim_clk.ns0 = anchor;
	shim_clk.mult = m;
	__atomic_store_n(&shim_clk.seq, shim_clk.seq + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&shim_clk.use_tsc, 1, __ATOMIC_RELEASE);
#endif
}
