/*
 * progress.c - throttled progress on a terminal.
 */
#include "progress.h"
#include "cli.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define PROG_DELAY_NS (1000000000LL)      /* nothing for the first second */
#define PROG_PERIOD_NS (1000000000LL / 6) /* at most six redraws a second */

struct progress {
	const char *what;
	uint64_t total;
	int64_t start, last;
	int drawn;
};

struct progress *progress_start(const char *what, uint64_t total)
{
	if (cli_quiet || !isatty(2) || getenv("VRAMSIM_NO_PROGRESS"))
		return NULL;
	struct progress *p = util_xcalloc(1, sizeof(*p));
	p->what = what;
	p->total = total;
	p->start = p->last = util_now_ns();
	return p;
}

void progress_update(struct progress *p, uint64_t done)
{
	if (!p)
		return;
	int64_t now = util_now_ns();
	if (now - p->start < PROG_DELAY_NS || now - p->last < PROG_PERIOD_NS)
		return;
	p->last = now;
	p->drawn = 1;
	double s = (double)(now - p->start) / 1e9;
	if (p->total)
		fprintf(stderr, "\r%s: %5.1f%% (%llu of %llu, %.0f/s) ", p->what,
			100.0 * (double)done / (double)p->total, (unsigned long long)done,
			(unsigned long long)p->total, (double)done / s);
	else
		fprintf(stderr, "\r%s: %llu (%.0f/s) ", p->what, (unsigned long long)done,
			(double)done / s);
	fflush(stderr);
}

void progress_end(struct progress *p)
{
	if (!p)
		return;
	if (p->drawn)
		fputs("\r\033[K", stderr);
	free(p);
}
