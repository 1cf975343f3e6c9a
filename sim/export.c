/*
 * export.c - stream a replay as CSV, JSON or a Chrome/Perfetto trace.
 *
 * The replay tells its observer (replay.h) when a GPU's usage changes but
 * not which event caused it, and sources have no hook on each event. So
 * a second source (the tap) yields the same events in the same order,
 * and the observer reads res->n_events - which sim_replay() increments
 * before it applies an event - to know how far the replay has got: the
 * events up to the current one are written then, each with the usage of
 * its GPU. Events that change nothing are written at the next change or
 * at the end.
 */
#include "export.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int export_format_parse(const char *name)
{
	static const char *const names[] = { "csv", "json", "perfetto" };
	for (int i = 0; name && i < (int)UTIL_ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

int export_replay_scen(struct store *st, const char *ref, const struct scen_opts *o,
		       struct scen *sc, int *assumed, char **cause)
{
	struct scen_opts so = *o;
	char *spec = NULL;
	int rc;
	*assumed = 0;
	memset(sc, 0, sizeof(*sc));
	if (!so.gpus && !so.model_spec) {
		int64_t id;
		struct topo t;
		if ((rc = store_trace_resolve(st, ref, &id, cause)) ||
		    (rc = scen_recorded_topo(st, id, NULL, &t, assumed, cause)))
			return rc;
		if (*assumed) {
			/* Room for TOPO_MAX_GPUS groups of the longest size. */
			spec = util_xcalloc(TOPO_MAX_GPUS, 32);
			topo_format(&t, spec, TOPO_MAX_GPUS * 32);
			so.gpus = spec;
			so.topo = t;
		}
	}
	rc = scen_prepare(st, ref, &so, sc, cause);
	free(spec);
	return rc;
}

/* A CSV field, quoted when it must be (RFC 4180 section 2). */
static void csv_text(FILE *f, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* Microseconds with three decimals, exactly: ts of the Trace Event Format. */
static void put_us(FILE *f, int64_t ns)
{
	uint64_t a = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
	fprintf(f, "%s%" PRIu64 ".%03u", ns < 0 ? "-" : "", a / 1000, (unsigned)(a % 1000));
}

struct state {
	FILE *f;
	const struct export_meta *m;
	const struct sim_config *cfg;
	const struct sim_result *res;   /* live: n_events = the event being replayed */
	struct sim_source *tap;
	struct store *st;
	uint64_t written;               /* events written so far */
	uint64_t n_items;               /* JSON array items (for commas) */
	uint64_t pend;                  /* the last event a callback was about, 0: none */
	int pend_dev;                   /* its GPU, -1: spilled to host */
	uint64_t last[TOPO_MAX_GPUS];   /* usage at the last callback for that GPU */
	uint32_t seen[TOPO_MAX_GPUS];   /* perfetto: categories ever non-zero */
	uint32_t host_seen;             /* the same for host memory */
	int rc;
	char *cause;
};

/* The virtual GPU of a recorded device, as replay.c maps it; -1 host. */
static int vgpu(const struct sim_config *c, int recorded)
{
	if (recorded < 0)
		return -1;
	if (c->n_map > 0)
		return recorded < c->n_map && c->device_map[recorded] >= 0 &&
		       c->device_map[recorded] < c->topo.n ? c->device_map[recorded] : -1;
	return recorded % c->topo.n;
}

static void csv_header(FILE *f)
{
	fputs("t_ns,pid,seq,kind,gpu,category,size,addr,layer_lo,layer_hi,used_gpu,label\n", f);
}

static void csv_row(FILE *f, const struct trace_event *ev, int gpu, uint64_t used, const char *label)
{
	fprintf(f, "%" PRId64 ",%" PRId32 ",%" PRId64 ",%s,", ev->t_ns, ev->pid, ev->seq,
		trace_kind_name(ev->kind));
	if (gpu >= 0)
		fprintf(f, "%d", gpu);
	fprintf(f, ",%s,%" PRIu64 ",", trace_cat_name(ev->category), ev->size);
	if (ev->addr)
		fprintf(f, "%" PRIu64, ev->addr);
	if (ev->layer_lo != TRACE_LAYER_NONE)
		fprintf(f, ",%" PRId32 ",%" PRId32 ",", ev->layer_lo, ev->layer_hi);
	else
		fputs(",,,", f);
	if (gpu >= 0)
		fprintf(f, "%" PRIu64, used);
	fputc(',', f);
	csv_text(f, label);
	fputc('\n', f);
}

static void json_row(FILE *f, const struct trace_event *ev, int gpu, uint64_t used,
		     const char *label, int first)
{
	fprintf(f, "%s\n{\"t_ns\":%" PRId64 ",\"pid\":%" PRId32 ",\"seq\":%" PRId64 ",\"kind\":\"%s\","
		"\"gpu\":", first ? "" : ",", ev->t_ns, ev->pid, ev->seq, trace_kind_name(ev->kind));
	if (gpu >= 0)
		fprintf(f, "%d", gpu);
	else
		fputs("null", f);
	fprintf(f, ",\"category\":\"%s\",\"size\":%" PRIu64 ",\"addr\":", trace_cat_name(ev->category),
		ev->size);
	if (ev->addr)
		fprintf(f, "%" PRIu64, ev->addr);
	else
		fputs("null", f);
	if (ev->layer_lo != TRACE_LAYER_NONE)
		fprintf(f, ",\"layer_lo\":%" PRId32 ",\"layer_hi\":%" PRId32, ev->layer_lo, ev->layer_hi);
	else
		fputs(",\"layer_lo\":null,\"layer_hi\":null", f);
	fputs(",\"used_gpu\":", f);
	if (gpu >= 0)
		fprintf(f, "%" PRIu64, used);
	else
		fputs("null", f);
	fputs(",\"label\":", f);
	util_json_str(f, label);
	fputc('}', f);
}

/*
 * Write the next event of the tap, event j. Its GPU is the one the last
 * change of j was reported for (j == s->pend), else its device mapped as
 * the replay maps it. busy is the GPU whose change is being reported now
 * (-1: none): its usage before that change is s->last[busy]; every other
 * GPU's is read from the live result, which no later event has touched.
 */
static void write_next(struct state *s, int busy)
{
	struct trace_event ev;
	int rc = sim_source_next(s->tap, &ev, &s->cause);
	if (rc <= 0) {
		s->rc = rc ? rc : util_err(&s->cause, UTIL_ERR, "export: the event source ended early");
		return;
	}
	s->written++;
	if (ev.category < 0 || ev.category >= TRACE_CAT_MAX)
		ev.category = TRACE_CAT_OTHER; /* as the replay counts it */
	int gpu = s->written == s->pend ? s->pend_dev : vgpu(s->cfg, ev.device);
	uint64_t used = gpu < 0 ? 0 : gpu == busy ? s->last[busy] : s->res->dev[gpu].total;
	char *label = NULL;
	if (ev.label && s->st && (s->rc = store_label_text(s->st, ev.label, &label, &s->cause)))
		return;
	if (s->m->format == EXPORT_CSV)
		csv_row(s->f, &ev, gpu, used, label);
	else
		json_row(s->f, &ev, gpu, used, label, s->n_items++ == 0);
	free(label);
}

/* The replay is at event k: the events before it are complete. */
static void write_before(struct state *s, uint64_t k, int busy)
{
	while (!s->rc && s->written + 1 < k)
		write_next(s, busy);
}

static uint64_t sum(const uint64_t *used)
{
	uint64_t t = 0;
	for (int c = 0; c < TRACE_CAT_MAX; c++)
		t += used[c];
	return t;
}

/* A sample's time: the event's, or where the source has no clock (a log,
 * a recomposed load: times are line or event numbers) one millisecond per
 * event, so the samples spread out as the load's steps, not within 1 us. */
static int64_t sample_ns(const struct state *s, int64_t t)
{
	return s->m->no_clock ? (int64_t)s->res->n_events * 1000000 : t;
}

/*
 * Bytes as MiB, the unit nvidia-smi prints, with seven decimals (a ten
 * millionth of a MiB is a tenth of a byte, so round(v * 2^20) gives the
 * bytes back) and trailing zeros dropped. Integer arithmetic: exact for
 * any size and the same in every locale.
 */
static void put_mib(FILE *f, uint64_t bytes)
{
	uint64_t whole = bytes >> 20, frac = bytes & ((1u << 20) - 1);
	uint64_t part = (frac * 10000000 + (1u << 19)) >> 20; /* rounded */
	if (part == 10000000) {
		whole++;
		part = 0;
	}
	fprintf(f, "%" PRIu64, whole);
	if (!part)
		return;
	char d[16];
	snprintf(d, sizeof(d), "%07u", (unsigned)part);
	for (int i = 6; i > 0 && d[i] == '0'; i--)
		d[i] = 0;
	fprintf(f, ".%s", d);
}

/*
 * One counter event: name at ts in process pid, args as "key [MiB]".
 * Perfetto names each series' track "<name> <key>", so a track reads
 * "GPU 0 kv [MiB]" or "GPU 0 memory.used [MiB]" (nvidia-smi's names for
 * the query fields).
 */
static void counter_open(FILE *f, const char *name, int64_t ns, int pid)
{
	fprintf(f, ",\n{\"name\":\"%s\",\"cat\":\"vram\",\"ph\":\"C\",\"ts\":", name);
	put_us(f, ns);
	fprintf(f, ",\"pid\":%d,\"tid\":0,\"args\":{", pid);
}

/* The categories ever non-zero on a track (*seen), so a category that
 * drops to zero shows the drop; then "}}". */
static void counter_cats(FILE *f, uint32_t *seen, const uint64_t *used)
{
	int first = 1;
	for (int c = 0; c < TRACE_CAT_MAX; c++)
		if (used[c])
			*seen |= 1u << c;
	for (int c = 0; c < TRACE_CAT_MAX; c++)
		if (*seen & (1u << c)) {
			fprintf(f, "%s\"%s [MiB]\":", first ? "" : ",", trace_cat_name(c));
			put_mib(f, used[c]);
			first = 0;
		}
	fputs("}}", f);
}

static void counter_one(FILE *f, const char *name, int64_t ns, int pid, uint64_t bytes)
{
	counter_open(f, name, ns, pid);
	fputs("\"[MiB]\":", f);
	put_mib(f, bytes);
	fputs("}}", f);
}

/* A GPU's sample: its categories, then its total against its capacity,
 * as nvidia-smi shows a GPU, so a glance says how close it came. */
static void perfetto_counter(struct state *s, int dev, int64_t t, const uint64_t *used)
{
	char name[48];
	t = sample_ns(s, t);
	snprintf(name, sizeof(name), "GPU %d", dev);
	counter_open(s->f, name, t, dev + 1);
	counter_cats(s->f, &s->seen[dev], used);
	snprintf(name, sizeof(name), "GPU %d memory.used", dev);
	counter_one(s->f, name, t, dev + 1, sum(used));
	snprintf(name, sizeof(name), "GPU %d memory.total", dev);
	counter_one(s->f, name, t, dev + 1, s->cfg->topo.capacity[dev]);
}

/* Host memory: pinned and CPU buffers (a log's "CPU" lines, cudaHostAlloc),
 * and what --on-oom spill moved there. Its process follows the GPUs'. */
static void on_host(void *ud, int64_t t, const uint64_t *used)
{
	struct state *s = ud;
	if (s->rc || s->m->format != EXPORT_PERFETTO)
		return;
	int pid = s->cfg->topo.n + 1;
	t = sample_ns(s, t);
	counter_open(s->f, "Host", t, pid);
	counter_cats(s->f, &s->host_seen, used);
	counter_one(s->f, "Host memory.used", t, pid, sum(used));
}

static void perfetto_oom(struct state *s, const struct sim_oom *o)
{
	FILE *f = s->f;
	fputs(",\n{\"name\":\"OOM\",\"cat\":\"oom\",\"ph\":\"i\",\"s\":\"p\",\"ts\":", f);
	put_us(f, sample_ns(s, o->t_ns));
	fprintf(f, ",\"pid\":%d,\"tid\":0,\"args\":{\"size [MiB]\":", o->device + 1);
	put_mib(f, o->size);
	fputs(",\"free [MiB]\":", f);
	put_mib(f, o->free);
	fputs(",\"used [MiB]\":", f);
	put_mib(f, o->used);
	fprintf(f, ",\"category\":\"%s\",\"recorded\":%s", trace_cat_name(o->category),
		o->recorded ? "true" : "false");
	if (o->layer_lo != TRACE_LAYER_NONE)
		fprintf(f, ",\"layer_lo\":%" PRId32 ",\"layer_hi\":%" PRId32, o->layer_lo, o->layer_hi);
	char *label = NULL;
	if (o->label && s->st && (s->rc = store_label_text(s->st, o->label, &label, &s->cause)))
		return;
	if (label) {
		fputs(",\"label\":", f);
		util_json_str(f, label);
		free(label);
	}
	fputs("}}", f);
}

static void on_change(void *ud, int dev, int64_t t, const uint64_t *used, uint64_t reserved)
{
	struct state *s = ud;
	(void)reserved;
	if (s->rc)
		return;
	if (s->m->format == EXPORT_PERFETTO) {
		perfetto_counter(s, dev, t, used);
		return;
	}
	/* An event may report more than one change: its row waits for the
	 * next event's callback or the end, so it shows the last. */
	uint64_t k = s->res->n_events;
	write_before(s, k, dev);
	s->last[dev] = sum(used);
	if (s->pend != k || s->pend_dev >= 0)
		s->pend_dev = dev;
	s->pend = k;
}

static void on_oom(void *ud, const struct sim_oom *o)
{
	struct state *s = ud;
	if (s->rc)
		return;
	if (s->m->format == EXPORT_PERFETTO) {
		/* The usage the allocation failed against: it may hold a CUDA
		 * context charged without a change being reported. */
		perfetto_counter(s, o->device, o->t_ns, s->res->dev[o->device].used);
		perfetto_oom(s, o);
		return;
	}
	uint64_t k = s->res->n_events;
	write_before(s, k, o->device);
	s->last[o->device] = o->used; /* the CUDA context may just have been charged */
	s->pend = k;
	s->pend_dev = !o->recorded && s->cfg->on_oom == SIM_OOM_SPILL ? -1 : o->device;
}

static void json_trace(FILE *f, const struct export_meta *m)
{
	fputs("\"trace\":{\"id\":", f);
	if (m->trace_id)
		fprintf(f, "%" PRId64, m->trace_id);
	else
		fputs("null", f);
	fputs(",\"name\":", f);
	util_json_str(f, m->trace_name);
	fputc('}', f);
}

static void json_head(FILE *f, const struct export_meta *m, const struct topo *t)
{
	fprintf(f, "{\"format\":\"vramsim-export\",\"version\":%d,", EXPORT_VERSION);
	json_trace(f, m);
	fputs(",\"topology\":{\"spec\":", f);
	util_json_str(f, m->topology);
	fputs(",\"gpus\":[", f);
	for (int g = 0; g < t->n; g++)
		fprintf(f, "%s{\"index\":%d,\"capacity\":%" PRIu64 "}", g ? "," : "", g, t->capacity[g]);
	fputs("]},\"scenario\":", f);
	util_json_str(f, m->scenario);
	fputs(",\"allocator_model\":", f);
	util_json_str(f, m->model);
	fputs(",\"events\":[", f);
}

static void json_tail(FILE *f, const struct sim_result *r)
{
	fprintf(f, "\n],\"summary\":{\"events\":%" PRIu64 ",\"stopped\":%s,\"ooms\":%" PRIu64
		",\"unmatched_frees\":%" PRIu64 ",\"peaks\":[", r->n_events,
		r->stopped ? "true" : "false", r->n_oom, r->n_unmatched);
	for (int g = 0; g < r->n_dev; g++)
		fprintf(f, "%s{\"gpu\":%d,\"peak\":%" PRIu64 ",\"peak_t_ns\":%" PRId64 "}", g ? "," : "",
			g, r->dev[g].peak, r->dev[g].peak_t);
	fputs("],\"first_oom\":", f);
	if (r->has_oom) {
		const struct sim_oom *o = &r->first_oom;
		fprintf(f, "{\"t_ns\":%" PRId64 ",\"gpu\":%d,\"size\":%" PRIu64 ",\"category\":\"%s\","
			"\"free\":%" PRIu64 "}", o->t_ns, o->device, o->size, trace_cat_name(o->category),
			o->free);
	} else {
		fputs("null", f);
	}
	fputs("}}\n", f);
}

/*
 * Perfetto: the JSON Object Format of the Trace Event Format (Google,
 * "Trace Event Format", docs.google.com/document/d/
 * 1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU), which ui.perfetto.dev
 * and trace_processor import:
 *   {"traceEvents":[...],"displayTimeUnit":"ns","otherData":{...}}
 * - one process per GPU (pid = GPU + 1), named with its capacity by
 *   metadata events ("ph":"M", "process_name", "process_sort_index"),
 *   and one for host memory (pid = GPUs + 1) after them;
 * - counter events ("ph":"C"): each key of args is a series, shown as its
 *   own track named "<event name> <key>": per GPU "GPU n" with one series
 *   per category ("GPU 0 kv [MiB]"), "GPU n memory.used" (the total) and
 *   "GPU n memory.total" (the capacity) - nvidia-smi's query field names
 *   and unit -; "Host" and "Host memory.used" the same for host memory;
 * - instant events ("ph":"i", "s":"p": process scope) for each OOM;
 * - ts in microseconds, fractions allowed (ns precision here).
 */
static void perfetto_head(FILE *f, const struct topo *t)
{
	fputs("{\"traceEvents\":[", f);
	for (int g = 0; g < t->n; g++) {
		char mib[32];
		fprintf(f, "%s\n{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":0,"
			"\"args\":{\"name\":\"GPU %d (%s MiB)\"}},", g ? "," : "", g + 1, g,
			util_mib(mib, sizeof(mib), t->capacity[g], 0));
		fprintf(f, "\n{\"name\":\"process_sort_index\",\"ph\":\"M\",\"pid\":%d,\"tid\":0,"
			"\"args\":{\"sort_index\":%d}}", g + 1, g);
	}
	fprintf(f, ",\n{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":0,"
		"\"args\":{\"name\":\"Host memory (pinned and CPU buffers)\"}},", t->n + 1);
	fprintf(f, "\n{\"name\":\"process_sort_index\",\"ph\":\"M\",\"pid\":%d,\"tid\":0,"
		"\"args\":{\"sort_index\":%d}}", t->n + 1, t->n);
}

static void perfetto_tail(FILE *f, const struct export_meta *m)
{
	fprintf(f, "\n],\"displayTimeUnit\":\"ns\",\"otherData\":{\"format\":\"vramsim-perfetto\","
		"\"version\":%d,", EXPORT_VERSION);
	json_trace(f, m);
	fputs(",\"topology\":", f);
	util_json_str(f, m->topology);
	fputs(",\"scenario\":", f);
	util_json_str(f, m->scenario);
	fputs(",\"unit\":\"MiB\"", f);
	fprintf(f, ",\"time_axis\":\"%s\"}}\n", m->no_clock
		? "event number, 1 ms per event (the source has no timestamps)" : "recorded time");
}

int export_stream(FILE *f, const struct export_meta *m, const struct sim_config *cfg,
		  struct sim_source *src, struct sim_source *tap, struct store *st,
		  struct sim_result *res, char **cause)
{
	if (m->format != EXPORT_PERFETTO && !tap)
		return util_err(cause, UTIL_ERR, "export: csv and json need a second event source");
	if (cfg->topo.n < 1 || cfg->topo.n > TOPO_MAX_GPUS)
		return util_err(cause, UTIL_EINPUT, "export needs at least one GPU (--gpus)");
	struct state *s = util_xcalloc(1, sizeof(*s));
	*s = (struct state){ .f = f, .m = m, .cfg = cfg, .res = res, .tap = tap, .st = st };
	struct sim_observer obs = { .ud = s, .change = on_change, .oom = on_oom, .host = on_host };
	struct sim_config c = *cfg;
	c.obs = &obs;
	if (m->format == EXPORT_PERFETTO)
		perfetto_head(f, &cfg->topo);
	else if (m->format == EXPORT_JSON)
		json_head(f, m, &cfg->topo);
	else if (m->header)
		csv_header(f);
	int rc = sim_replay(&c, src, res, cause);
	/* The rest changed nothing: the live result is their usage. */
	if (!rc && m->format != EXPORT_PERFETTO)
		write_before(s, res->n_events + 1, -1);
	if (!rc && (rc = s->rc))
		util_err(cause, rc, "%s", s->cause ? s->cause : "export failed");
	free(s->cause);
	free(s);
	if (rc)
		return rc;
	if (m->format == EXPORT_PERFETTO)
		perfetto_tail(f, m);
	else if (m->format == EXPORT_JSON)
		json_tail(f, res);
	if (fflush(f) != 0 || ferror(f))
		return util_err(cause, UTIL_ERR, "writing the export failed: %s", strerror(errno));
	return 0;
}

int export_scen(FILE *f, enum export_format format, int header, struct store *st,
		struct scen *sc, struct sim_result *res, char **cause)
{
	struct sim_source *src = NULL, *tap = NULL;
	int rc = 0;
	/* The same choice scen_run() makes: the scenario's events, else the store. */
	if (sc->ld) {
		src = sim_source_array(sc->ev, sc->n_ev);
		tap = sim_source_array(sc->ev, sc->n_ev);
	} else if (!(rc = sim_source_store(st, sc->trace, &src, cause)) && format != EXPORT_PERFETTO) {
		rc = sim_source_store(st, sc->trace, &tap, cause);
	}
	struct export_meta m = {
		.format = format, .header = header, .trace_id = sc->trace,
		.trace_name = sc->trace_name, .topology = sc->topo_str, .scenario = sc->desc,
		.model = scen_model_name(sc->cfg.model),
		/* A recomposed load's events are built, not timed. */
		.no_clock = sc->ld != NULL,
	};
	/* A log's times are its line numbers (import/llamalog.c). */
	struct store_trace_info ti;
	if (!m.no_clock && st && sc->trace && !store_trace_get(st, sc->trace, &ti, NULL)) {
		m.no_clock = ti.format && !strcmp(ti.format, "llamalog");
		store_trace_info_clear(&ti);
	}
	if (!rc)
		rc = export_stream(f, &m, &sc->cfg, src, tap, st, res, cause);
	sim_source_free(src);
	sim_source_free(tap);
	return rc;
}

int export_out_open(struct export_out *o, const char *path, int force, char **cause)
{
	memset(o, 0, sizeof(*o));
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return util_err(cause, UTIL_EINPUT, "-o %s: expected a file name", path);
	if (!force && access(path, F_OK) == 0)
		return util_err(cause, UTIL_EINPUT, "%s: exists; use -f to overwrite", path);
	/* Beside the target, so rename() stays within one file system. */
	o->tmp = util_xasprintf("%.*s.%s.XXXXXX", slash ? (int)(slash - path + 1) : 0, path, base);
	int fd = mkstemp(o->tmp);
	if (fd < 0) {
		int e = errno;
		free(o->tmp);
		o->tmp = NULL;
		return util_err(cause, e == ENOENT || e == ENOTDIR ? UTIL_EINPUT : UTIL_ERR,
				"%s: cannot create a file there: %s", path, strerror(e));
	}
	/* mkstemp() makes 0600; an export is an ordinary file. */
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0 || !(o->f = fdopen(fd, "w"))) {
		int e = errno;
		close(fd);
		export_out_abort(o);
		return util_err(cause, UTIL_ERR, "%s: %s", path, strerror(e));
	}
	o->path = util_xstrdup(path);
	return 0;
}

int export_out_commit(struct export_out *o, int force, char **cause)
{
	int bad = fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) != 0;
	int e = bad ? errno : 0;
	if (fclose(o->f) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	o->f = NULL;
	int rc = 0;
	if (bad) {
		rc = util_err(cause, UTIL_ERR, "%s: write failed: %s", o->path, strerror(e));
	} else if (!force && link(o->tmp, o->path) == 0) {
		; /* in place; the temporary name is removed below */
	} else if (!force && (errno == EEXIST || access(o->path, F_OK) == 0)) {
		rc = util_err(cause, UTIL_EINPUT, "%s: exists; use -f to overwrite", o->path);
	} else if (rename(o->tmp, o->path) != 0) {
		rc = util_err(cause, UTIL_ERR, "%s: %s", o->path, strerror(errno));
	} else {
		free(o->tmp); /* renamed: nothing left to remove */
		o->tmp = NULL;
	}
	export_out_abort(o);
	return rc;
}

void export_out_abort(struct export_out *o)
{
	if (o->f)
		fclose(o->f);
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof(*o));
}
