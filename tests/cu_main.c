/*
 * cu_main.c - the shared runner and helpers behind cutest.h.
 */
#include "cutest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[4096];

static void rm_tmpdir(void)
{
	if (tmpdir[0] && !getenv("VRAMSIM_KEEP_TMP"))
		cu_sh("rm -rf '%s'", tmpdir);
}

const char *cu_data(const char *name)
{
	static char buf[4096];
	snprintf(buf, sizeof(buf), "tests/data/%s", name);
	return buf;
}

const char *cu_tmpdir(void)
{
	if (!tmpdir[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/vramsim-test-XXXXXX", base ? base : "/tmp");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			exit(2);
		}
		atexit(rm_tmpdir);
	}
	return tmpdir;
}

const char *cu_tmp(const char *name)
{
	static char buf[4096];
	snprintf(buf, sizeof(buf), "%s/%s", cu_tmpdir(), name);
	return buf;
}

int cu_sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int cu_run(void (*reg)(void))
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	reg();
	if (CU_get_error() != CUE_SUCCESS) {
		fprintf(stderr, "cunit: %s\n", CU_get_error_msg());
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_tests_failed();
	unsigned failures = CU_get_number_of_failures();
	CU_cleanup_registry();
	return (failed || failures) ? 1 : 0;
}
