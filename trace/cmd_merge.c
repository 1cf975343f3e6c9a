/*
 * cmd_merge.c - `vramsim merge OUT.db IN.db...`: per-rank or per-node
 * stores of one distributed run become one trace with one process per
 * rank, so one replay sees every GPU of every node.
 *
 * Devices are unified by UUID (one physical GPU seen by two processes is
 * one device); devices without a UUID stay apart. Processes keep their
 * pid unless two inputs share one (containers often run every rank as
 * pid 1), then they get the next free pid and the note says so. When
 * every process recorded its wall-clock start, times are aligned on it.
 *
 * The inputs are opened read-only and refused if they hold SQL (views,
 * triggers: trace/sqlsafe.h, via store_open). Work is O(events) with
 * hash lookups per event; the merged trace obeys the store's bounds
 * (STORE_MAX_PROCESSES, STORE_MAX_DEVICES).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "u64map.h"
#include "util.h"

enum { OPT_NAME = 'n' };

static const struct cli_opt merge_opts[] = {
	{ "name", OPT_NAME, "N", "name of the merged trace (default merged)", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

struct src {
	struct store *st;
	const char *path;
	int64_t trace;
	int64_t start_ns;   /* earliest process start of the trace, 0 if unknown */
};

/* What the merge has built so far. */
struct merged {
	struct trace_device *devs;
	size_t n_dev, a_dev;
	struct u64map dm;    /* (source, old device index) -> new index */
	struct u64map uuid;  /* FNV-1a of a device UUID -> new index + 1 */
	struct u64map pids;  /* pids taken in the output -> 1 */
	size_t n_pids;
	int remapped;
};

static uint64_t dm_key(int src, int old)
{
	return (uint64_t)(uint32_t)src << 32 | (uint32_t)old;
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static int new_device(struct store *out, int64_t dst, struct merged *m,
		      const struct trace_device *d, int *now, char **cause)
{
	if (m->n_dev >= STORE_MAX_DEVICES)
		return util_err(cause, UTIL_EINPUT, "more than %d devices in the merged trace "
				"(the store's limit, STORE_MAX_DEVICES)", STORE_MAX_DEVICES);
	*now = (int)m->n_dev;
	UTIL_GROW(m->devs, m->n_dev + 1, m->a_dev);
	m->devs[m->n_dev] = *d;
	m->devs[m->n_dev].index = *now;
	m->n_dev++;
	if (d->uuid[0])
		u64map_put(&m->uuid, fnv(d->uuid), (uint64_t)*now + 1);
	return store_device_add(out, dst, &m->devs[*now], cause);
}

static int merge_one(struct store *out, int64_t dst, struct src *s, int si, int64_t t0,
		     struct merged *m, char **cause)
{
	struct trace_device *d = NULL;
	size_t nd = 0;
	int rc = store_devices(s->st, s->trace, &d, &nd, cause);
	if (rc)
		return rc;
	for (size_t i = 0; i < nd && !rc; i++) {
		int now = -1;
		uint64_t at;
		if (d[i].uuid[0] && u64map_get(&m->uuid, fnv(d[i].uuid), &at) &&
		    !strcmp(m->devs[at - 1].uuid, d[i].uuid))
			now = (int)at - 1;
		if (now < 0)
			rc = new_device(out, dst, m, &d[i], &now, cause);
		u64map_put(&m->dm, dm_key(si, d[i].index), (uint64_t)now);
	}
	free(d);
	struct store_process *pr = NULL;
	size_t np = 0;
	int32_t *ep = NULL;
	size_t nep = 0;
	if (!rc)
		rc = store_processes(s->st, s->trace, &pr, &np, cause);
	if (!rc)
		rc = store_pids(s->st, s->trace, &ep, &nep, cause);
	int64_t shift = s->start_ns && t0 ? s->start_ns - t0 : 0;
	size_t k_pr = 0;
	for (size_t i = 0; i < nep && !rc; i++) {
		int32_t pid = ep[i], new_pid = pid;
		while (u64map_get(&m->pids, (uint32_t)new_pid, NULL))
			new_pid = new_pid == INT32_MAX ? 0 : new_pid + 1;
		m->remapped += new_pid != pid;
		u64map_put(&m->pids, (uint32_t)new_pid, 1);
		m->n_pids++;
		/* Both lists are ordered by pid. */
		const struct store_process *p = NULL;
		while (k_pr < np && pr[k_pr].pid < pid)
			k_pr++;
		if (k_pr < np && pr[k_pr].pid == pid)
			p = &pr[k_pr];
		char *exe = util_xasprintf("%s%s(pid %d in %s)", p && p->exe ? p->exe : "",
					   p && p->exe ? " " : "", pid, s->path);
		rc = store_process_add(out, dst, new_pid, exe, p ? p->cmdline : NULL,
				       p ? p->start_ns : 0, cause);
		free(exe);
		struct store_iter *it;
		if (rc || (rc = store_iter_open(s->st, s->trace, pid, &it, cause)))
			break;
		struct trace_event ev;
		while ((rc = store_iter_next(it, &ev, cause)) == 1) {
			ev.pid = new_pid;
			ev.t_ns += shift;
			if (ev.device >= 0) {
				uint64_t found;
				if (!u64map_get(&m->dm, dm_key(si, ev.device), &found)) {
					/* a device the source never described */
					struct trace_device bare = { .pid = new_pid, .ordinal = ev.device };
					int now;
					if ((rc = new_device(out, dst, m, &bare, &now, cause)))
						break;
					found = (uint64_t)now;
					u64map_put(&m->dm, dm_key(si, ev.device), found);
				}
				ev.device = (int16_t)found;
			}
			if (ev.label) {
				char *text = NULL;
				if ((rc = store_label_text(s->st, ev.label, &text, cause)))
					break;
				ev.label = 0;
				if (text)
					rc = store_label(out, dst, text, &ev.label, cause);
				free(text);
				if (rc)
					break;
			}
			if ((rc = store_event_add(out, dst, &ev, cause)))
				break;
		}
		store_iter_free(it);
		rc = rc < 0 ? rc : 0;
	}
	store_processes_free(pr, np);
	free(ep);
	return rc;
}

static int cmd_merge(struct cli_ctx *cx)
{
	const char *name = "merged", *arg;
	int c, argc = cx->argc, first = 0;
	char **argv = cx->argv;
	while ((c = cli_next(cx, &arg)) != -1)
		if (c == OPT_NAME)
			name = arg;
	if (argc - first < 2)
		return cli_usage("merge", "give OUT.db and at least one IN.db");
	const char *out_path = argv[first++];
	struct src *srcs = NULL;
	size_t n_src = 0, alloc_src = 0;
	char *cause = NULL;
	int rc = 0;
	/* Open every input and list its traces before writing anything. */
	for (int i = first; i < argc && !rc; i++) {
		struct store *in;
		if ((rc = store_open(argv[i], STORE_READONLY, &in, &cause)))
			break;
		struct store_trace_info *t = NULL;
		size_t nt = 0;
		if ((rc = store_trace_list(in, &t, &nt, &cause))) {
			store_close(in);
			break;
		}
		if (!nt)
			cli_warn("%s holds no trace", argv[i]);
		for (size_t k = 0; k < nt; k++) {
			UTIL_GROW(srcs, n_src + 1, alloc_src);
			srcs[n_src] = (struct src){ k == 0 ? in : NULL, argv[i], t[k].id, 0 };
			n_src++;
			store_trace_info_clear(&t[k]);
		}
		if (!nt)
			store_close(in);
		free(t);
	}
	/* Traces after the first of a store share its connection. */
	for (size_t k = 1; k < n_src; k++)
		if (!srcs[k].st && !strcmp(srcs[k].path, srcs[k - 1].path))
			srcs[k].st = srcs[k - 1].st;
	int64_t t0 = 0;
	int aligned = n_src > 0;
	for (size_t k = 0; k < n_src && !rc; k++) {
		struct store_process *p = NULL;
		size_t np = 0;
		if ((rc = store_processes(srcs[k].st, srcs[k].trace, &p, &np, &cause)))
			break;
		for (size_t i = 0; i < np; i++)
			if (p[i].start_ns && (!srcs[k].start_ns || p[i].start_ns < srcs[k].start_ns))
				srcs[k].start_ns = p[i].start_ns;
		store_processes_free(p, np);
		aligned &= srcs[k].start_ns != 0;
		if (srcs[k].start_ns && (!t0 || srcs[k].start_ns < t0))
			t0 = srcs[k].start_ns;
	}
	if (!aligned)
		t0 = 0;
	struct store *out = NULL;
	int64_t dst = 0;
	struct merged m = { 0 };
	if (!rc && !n_src)
		rc = util_err(&cause, UTIL_EINPUT, "the inputs hold no trace to merge");
	if (!rc && !(rc = store_open(out_path, STORE_CREATE, &out, &cause)) &&
	    !(rc = store_begin(out, &cause)) &&
	    !(rc = store_trace_new(out, name, NULL, "merge", out_path, 0, &dst, &cause))) {
		for (size_t k = 0; k < n_src && !rc; k++)
			rc = merge_one(out, dst, &srcs[k], (int)k, t0, &m, &cause);
		if (!rc) {
			char *note = util_xasprintf("merged from %zu trace%s; %s%s", n_src,
						    n_src == 1 ? "" : "s",
						    aligned ? "times aligned on process start"
							    : "times as recorded (no common clock)",
						    m.remapped ? "; clashing pids renumbered" : "");
			rc = store_trace_set(out, dst, 0, note, &cause);
			free(note);
		}
		if (!rc)
			rc = store_commit(out, &cause);
	}
	if (rc && out)
		store_rollback(out);
	if (!rc)
		printf("merged %zu trace%s into %s trace '%s' (%zu processes, %zu devices)\n", n_src,
		       n_src == 1 ? "" : "s", out_path, name, m.n_pids, m.n_dev);
	store_close(out);
	for (size_t k = 0; k < n_src; k++)
		if (k == 0 || srcs[k].st != srcs[k - 1].st)
			store_close(srcs[k].st);
	free(srcs);
	free(m.devs);
	u64map_free(&m.dm);
	u64map_free(&m.uuid);
	u64map_free(&m.pids);
	return rc ? cli_fail(rc, cause) : 0;
}

const struct cli_cmd cmd_merge_entry = {
	.name = "merge", .summary = "merge per-rank or per-node stores into one trace",
	.usage = "[--name N] [-q] OUT.db IN.db...",
	.about = "Merge every trace of every IN store into one new trace in OUT (created\n"
		 "if missing), one process per recorded process (rank), in one transaction.\n"
		 "Devices with the same UUID become one device. Times are aligned on the\n"
		 "processes' recorded wall-clock start when all have one.\n",
	.opts = merge_opts,
	.more = "example (one store per node, then one replay over all of them):\n"
		"  vramsim merge run.db node0.db node1.db && vramsim replay --store run.db --gpus 16x80G\n",
	.fn = cmd_merge,
};
