/*
 * expect.h - how a test program says what it did, so tests/test_shim.c
 * can check that the imported trace equals it, event for event.
 *
 * Each call appends one line to the file named by $VRAMSIM_EXPECT (one
 * write(2) per line, O_APPEND: threads and processes may share the file):
 *   E pid tid kind dev size req addr aux stream result api label
 * kind is a trace kind name ("alloc", "free", "marker", ...), dev the
 * physical fake device (-1 host, x: not compared), api an API name or "-",
 * label the marker/snapshot label or "-". And, for the snapshot a clean
 * exit takes of a device that still has a context:
 *   X pid dev used total
 * Without $VRAMSIM_EXPECT nothing is written (the program runs untraced).
 */
#ifndef FAKE_EXPECT_H
#define FAKE_EXPECT_H

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define X_DEV (-99)   /* device not compared */

static inline void ex_write(const char *line, size_t n)
{
	const char *path = getenv("VRAMSIM_EXPECT");
	if (!path)
		return;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, n) != (ssize_t)n)
		abort();
	close(fd);
}

/* The physical fake device behind an ordinal (CUDA_VISIBLE_DEVICES). */
static inline int ex_phys(int ordinal)
{
	if (ordinal < 0)
		return ordinal;
	const char *v = getenv("CUDA_VISIBLE_DEVICES");
	if (!v)
		return ordinal;
	for (int i = 0; *v; i++) {
		char *end;
		long d = strtol(v, &end, 10);
		if (i == ordinal)
			return (int)d;
		if (*end != ',')
			break;
		v = end + 1;
	}
	return -98;
}

static inline void ex(const char *kind, int ordinal, unsigned long long size,
		      unsigned long long req, unsigned long long addr, unsigned long long aux,
		      unsigned long long stream, int result, const char *api, const char *label)
{
	char line[512], dev[16];
	if (ordinal == X_DEV)
		snprintf(dev, sizeof(dev), "x");
	else
		snprintf(dev, sizeof(dev), "%d", ex_phys(ordinal));
	int n = snprintf(line, sizeof(line), "E %d %ld %s %s %llu %llu %llu %llu %llu %d %s %s\n",
			 (int)getpid(), (long)syscall(SYS_gettid), kind, dev, size, req, addr, aux,
			 stream, result, api ? api : "-", label ? label : "-");
	ex_write(line, (size_t)n);
}

/* An allocation (or its failure: kind "oom" with size = req). */
static inline void ex_alloc(int dev, unsigned long long size, unsigned long long req,
			    unsigned long long addr, const char *api)
{
	ex("alloc", dev, size, req, addr, 0, 0, 0, api, NULL);
}

static inline void ex_free(int dev, unsigned long long size, unsigned long long addr,
			   const char *api)
{
	ex("free", dev, size, 0, addr, 0, 0, 0, api, NULL);
}

static inline void ex_marker(int dev, unsigned long long addr, const char *api, const char *label)
{
	ex("marker", dev, 0, 0, addr, 0, 0, 0, api, label);
}

static inline void ex_snap(int dev, long long used, unsigned long long total, const char *why)
{
	char label[64];
	snprintf(label, sizeof(label), "snapshot: %s", why);
	ex("snapshot", dev, (unsigned long long)used, 0, 0, total, 0, 0, "snapshot", label);
}

static inline void ex_exit_snap(int dev, long long used, unsigned long long total)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "X %d %d %lld %llu\n", (int)getpid(), ex_phys(dev),
			 used, total);
	ex_write(line, (size_t)n);
}

/* A check inside the program: print and exit 1 when it fails. */
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
	__FILE__, __LINE__, #cond); exit(1); } } while (0)

#endif
