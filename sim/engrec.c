/*
 * engrec.c - recorded loads against engine plans (see engrec.h).
 */
#include "engrec.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"
#include "settings.h"
#include "util.h"

static void note(struct engrec *rec, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct engrec *rec, const char *fmt, ...)
{
	size_t k = strlen(rec->settings);
	if (k + 2 >= sizeof(rec->settings))
		return;
	va_list ap;
	va_start(ap, fmt);
	if (k)
		rec->settings[k++] = ' ';
	vsnprintf(rec->settings + k, sizeof(rec->settings) - k, fmt, ap);
	va_end(ap);
}

static void missing(struct engrec *rec, const char *what)
{
	size_t k = strlen(rec->missing);
	snprintf(rec->missing + k, sizeof(rec->missing) - k, "%s%s", k ? "; " : "", what);
}

/* s with every character that is not [A-Za-z0-9_] backslash-escaped
 * (tensor names hold '.'), appended to out (size n) at *k. */
static void esc(char *out, size_t n, size_t *k, const char *s, size_t len)
{
	for (size_t i = 0; i < len && *k + 3 < n; i++) {
		char c = s[i];
		if (!(c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			out[(*k)++] = '\\';
		out[(*k)++] = c;
	}
	out[*k] = '\0';
}

/*
 * -ot rules that move exactly the tensors list names ("NAME=DEV;..."):
 * one rule per tensor kind and device, its layers an alternation
 * ("^blk\.(0|1|2)\.ffn_up_exps\.weight$=CPU"), a tensor outside the
 * blocks by its own name. Devices: CPU (CPU_* buffer types too) and
 * CUDAn; another one, or more rules than the engine takes, is named in
 * rec->missing and the rules are not used.
 */
static void rules_from_tensors(char *list, struct eng_req *r, struct engrec *rec)
{
	struct grp {
		char kind[128], dev[16];
		char layers[1024];
	} *g = util_xcalloc(ENG_MAX_OT + 1, sizeof(*g));
	int ng = 0, bad = 0;
	char *save = NULL;
	for (char *t = strtok_r(list, ";", &save); t && !bad; t = strtok_r(NULL, ";", &save)) {
		char *eq = strrchr(t, '=');
		if (!eq)
			continue;
		*eq = '\0';
		const char *dev = eq + 1;
		char d[16];
		if (strncmp(dev, "CPU", 3) == 0)
			snprintf(d, sizeof(d), "CPU");
		else if (strncmp(dev, "CUDA", 4) == 0 && dev[4] >= '0' && dev[4] <= '9' && strlen(dev) < sizeof(d))
			snprintf(d, sizeof(d), "%s", dev);
		else {
			char m[160];
			snprintf(m, sizeof(m), "-ot rules: tensors moved to %.40s, a buffer type the engine has not", dev);
			missing(rec, m);
			bad = 1;
			break;
		}
		int layer = -1, used = 0;
		const char *kind = t;
		if (sscanf(t, "blk.%d.%n", &layer, &used) == 1 && used > 0 && layer >= 0)
			kind = t + used;
		else
			layer = -1;
		int k = 0;
		while (k < ng && !(strcmp(g[k].kind, kind) == 0 && strcmp(g[k].dev, d) == 0 &&
				   (layer >= 0) == (g[k].layers[0] != '\0')))
			k++;
		if (k == ng) {
			if (ng == ENG_MAX_OT || strlen(kind) >= sizeof(g[0].kind)) {
				missing(rec, "-ot rules: more kinds of moved tensors than the engine takes (not used)");
				bad = 1;
				break;
			}
			snprintf(g[k].kind, sizeof(g[k].kind), "%s", kind);
			snprintf(g[k].dev, sizeof(g[k].dev), "%s", d);
			ng++;
		}
		if (layer >= 0) {
			size_t l = strlen(g[k].layers);
			snprintf(g[k].layers + l, sizeof(g[k].layers) - l, "%s%d", l ? "|" : "", layer);
		}
	}
	size_t k = 0;
	for (int i = 0; i < ng && !bad; i++) {
		const char *start = rec->ot_ + k;
		if (k + 16 >= sizeof(rec->ot_))
			bad = 1;
		if (g[i].layers[0]) {
			k += (size_t)snprintf(rec->ot_ + k, sizeof(rec->ot_) - k, "^blk\\.(%s)\\.", g[i].layers);
		} else {
			rec->ot_[k++] = '^';
		}
		esc(rec->ot_, sizeof(rec->ot_), &k, g[i].kind, strlen(g[i].kind));
		k += (size_t)snprintf(rec->ot_ + k, sizeof(rec->ot_) - k, "$=%s", g[i].dev);
		if (k + 1 >= sizeof(rec->ot_)) {
			missing(rec, "-ot rules from the overridden tensors: too long (not used)");
			bad = 1;
			break;
		}
		k++; /* past the terminating NUL */
		r->ot[r->n_ot++] = start;
	}
	if (bad) {
		r->n_ot = 0;
	} else if (ng) {
		for (int i = 0; i < r->n_ot; i++)
			note(rec, "-ot %s", r->ot[i]);
		note(rec, "(-ot from the log's overridden tensors: %d rule%s)", ng, ng == 1 ? "" : "s");
	}
	free(g);
}

/*
 * Where the recorded load put its tensors, beyond layers and split: the
 * -ot rules, --cpu-moe and --n-cpu-moe of its command line, and the free
 * memory per GPU its `using device` lines printed (llama.cpp's default
 * split is proportional to free memory: llama-model.cpp, load_tensors,
 * tag v0.5.0). The command line wins for each.
 */
static void recorded_placement(struct settings_rd *rd, struct eng_req *r, struct engrec *rec)
{
	int set = 0;
	int64_t v;
	static char big[65536]; /* one tensor list at a time: engrec_load is not reentrant anyway */
	int64_t cmdline = settings_rd_int(rd, SET_CMDLINE, 0, &set);
	int have_cmd = set && cmdline;
	char eng[64];
	/* a plan kept by `plan --save` keeps its rules and any --free itself */
	int kept = settings_rd_str(rd, SET_ENGINE, eng, sizeof(eng), NULL) && strcmp(eng, "llama.cpp engine plan") == 0;
	if (!r->n_ot && settings_rd_str(rd, SET_OVERRIDE_TENSOR, rec->ot_, sizeof(rec->ot_), NULL)) {
		char *save = NULL;
		for (char *t = strtok_r(rec->ot_, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
			if (r->n_ot == ENG_MAX_OT) {
				missing(rec, "-ot rules beyond the engine's limit (left out)");
				break;
			}
			r->ot[r->n_ot++] = t;
			note(rec, "-ot %s", t);
		}
	}
	int from_tensors = 0;
	if (!r->n_ot && !have_cmd && settings_rd_str(rd, SET_TENSORS_OVERRIDDEN, big, sizeof(big), NULL)) {
		rules_from_tensors(big, r, rec);
		from_tensors = r->n_ot > 0;
	}
	if (!r->cpu_moe && (v = settings_rd_int(rd, SET_CPU_MOE, 0, &set), set) && v) {
		r->cpu_moe = 1;
		note(rec, "cpu-moe");
	}
	if (!r->n_cpu_moe && (v = settings_rd_int(rd, SET_N_CPU_MOE, 0, &set), set) && v > 0) {
		r->n_cpu_moe = (int)v;
		note(rec, "n-cpu-moe %d", r->n_cpu_moe);
	}
	if (!have_cmd && !kept && !from_tensors)
		missing(rec, "no command line in the log: -ot, --cpu-moe and --n-cpu-moe unknown (planned without)");

	int given = 0;
	for (int i = 0; i < r->n_gpus; i++)
		given |= r->free_mem[i] != 0;
	char fs[512];
	if (given || r->n_split)
		return; /* --free given, or a split that makes free memory moot */
	if (!settings_rd_str(rd, SET_GPU_FREE_MIB, fs, sizeof(fs), NULL)) {
		if (!kept)
			missing(rec, "free memory per GPU not in the log: the split follows the GPUs' sizes");
		return;
	}
	uint64_t mib[ENG_MAX_GPUS];
	int k = 0, ok = 1;
	for (char *s = fs, *end; *s && ok; s = *end ? end + 1 : end) {
		if (k == ENG_MAX_GPUS || *s == '?') {
			ok = 0;
			break;
		}
		mib[k++] = strtoull(s, &end, 10);
		ok = end != s && (*end == ',' || !*end) && mib[k - 1] <= (UINT64_MAX >> 20);
	}
	for (int i = 0; ok && i < k && k == r->n_gpus; i++)
		ok = (mib[i] << 20) <= r->mem[i];
	if (!ok || k != r->n_gpus) {
		char m[640];
		snprintf(m, sizeof(m), "recorded free memory (%s MiB) does not fit the %d GPUs planned: the split "
			 "follows the GPUs' sizes", fs, r->n_gpus);
		missing(rec, m);
		return;
	}
	for (int i = 0; i < k; i++)
		r->free_mem[i] = mib[i] << 20;
	note(rec, "free %s MiB", fs);
}

/* The recorded GPUs' backend (gpu_backend: "CUDA", "Vulkan", "CUDA+RPC")
 * as the engine's allocation rules, or what it lacks in rec->missing. */
static void recorded_backend(struct eng_req *r, struct engrec *rec, const char *be)
{
	char *low = rec->store_[2];
	size_t i = 0;
	for (; be[i] && i + 1 < sizeof(rec->store_[2]); i++)
		low[i] = (char)tolower((unsigned char)be[i]);
	low[i] = '\0';
	if (strcmp(low, "mtl") == 0) /* Metal's buffers: "MTL0" (ggml-metal.cpp GGML_METAL_NAME) */
		snprintf(low, sizeof(rec->store_[2]), "metal");
	if (eng_backend_known(low)) {
		r->backend = low;
		note(rec, "backend %s", low);
		return;
	}
	char m[256];
	snprintf(m, sizeof(m), "the log's GPUs are %s, the engine knows one backend at a time of %s: "
		 "planned with CUDA's rules", be, ENG_BACKENDS);
	missing(rec, m);
}

/*
 * llama.cpp's --fit (llama-server's default where a build has it): "--fit
 * on" on the command line, or, without one, its lines in the log. It
 * changes only what the user left at its default (common/fit.h), so the
 * re-run starts from the recorded command line; a context it reduced was
 * the default one (llama_params_fit: "context size reduced from N to M").
 */
static void recorded_fit(struct settings_rd *rd, struct eng_req *r, struct engrec *rec, int ctx_logged)
{
	char v[160];
	int set;
	if (settings_rd_str(rd, SET_FIT, v, sizeof(v), NULL))
		rec->fit = !strcmp(v, "on") || !strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "enabled");
	else
		rec->fit = settings_rd_str(rd, SET_FIT_RESULT, v, sizeof(v), NULL) != NULL ||
			   (settings_rd_int(rd, SET_FIT_N_CTX, 0, &set), set);
	if (!rec->fit)
		return;
	note(rec, "fit on");
	int64_t from = settings_rd_int(rd, SET_FIT_N_CTX_FROM, 0, &set);
	if (set && from > 0 && ctx_logged)
		r->ctx = 0; /* the default context, which --fit reduced (the log's is its choice) */
	if (!r->fit_margin && settings_rd_str(rd, SET_FIT_TARGET_MIB, v, sizeof(v), NULL)) {
		char *end;
		unsigned long mib = strtoul(v, &end, 10);
		if (end != v && mib <= (1ul << 30))
			r->fit_margin = (uint64_t)mib << 20;
		if (*end == ',')
			missing(rec, "--fit-target per device: the first value taken for every GPU");
	}
	int64_t mc = settings_rd_int(rd, SET_FIT_MIN_CTX, 0, &set);
	if (!r->fit_min_ctx && set && mc > 0 && mc <= UINT32_MAX)
		r->fit_min_ctx = (uint32_t)mc;
}

int engrec_load(struct store *st, const char *ref, struct eng_req *r, struct engrec *rec, char **cause)
{
	memset(rec, 0, sizeof(*rec));
	struct store_trace_info ti = { 0 };
	int rc = store_trace_resolve(st, ref, &rec->trace, cause);
	if (!rc)
		rc = store_trace_get(st, rec->trace, &ti, cause);
	if (rc)
		return rc;
	snprintf(rec->name, sizeof(rec->name), "%s", ti.name);
	store_trace_info_clear(&ti);

	struct trace_device *dev = NULL;
	size_t nd = 0;
	if ((rc = store_devices(st, rec->trace, &dev, &nd, cause)))
		return rc;
	int max_dev = -1;
	for (size_t i = 0; i < nd; i++)
		if (dev[i].index > max_dev)
			max_dev = dev[i].index;
	if (max_dev + 1 > ENG_MAX_GPUS) {
		free(dev);
		return util_err(cause, UTIL_EINPUT, "trace %s: %d GPUs; llama.cpp plans at most %d devices",
				rec->name, max_dev + 1, ENG_MAX_GPUS);
	}
	rec->n_gpus = max_dev + 1;
	if (!r->n_gpus) {
		r->n_gpus = rec->n_gpus;
		for (size_t i = 0; i < nd; i++)
			r->mem[dev[i].index] = dev[i].total;
		for (int i = 0; i < r->n_gpus; i++)
			if (!r->mem[i]) {
				free(dev);
				return util_err(cause, UTIL_EINPUT, "trace %s does not record the size of GPU %d: "
						"give --gpus", rec->name, i);
			}
	}
	free(dev);
	if (!r->n_gpus)
		return util_err(cause, UTIL_EINPUT, "trace %s records no GPU: give --gpus", rec->name);

	/* the settings llama.cpp/Ollama logs print (import/llamalog.c) */
	struct settings_rd rd = { st, rec->trace, 0, cause };
	int set;
	int64_t v;
	char be[64];
	if (!r->backend && settings_rd_str(&rd, SET_GPU_BACKEND, be, sizeof(be), NULL))
		recorded_backend(r, rec, be);
	int ctx_logged = 0;
	if (!r->ctx && (v = settings_rd_int(&rd, SET_N_CTX, 0, &set), set) && v > 0) {
		r->ctx = (uint32_t)v;
		ctx_logged = 1;
		note(rec, "ctx %u", r->ctx);
	}
	if (!r->parallel && (v = settings_rd_int(&rd, SET_N_SEQ_MAX, 0, &set), set ? 1 : (v = settings_rd_int(&rd, SET_PARALLEL, 0, &set), set)) && v > 0) {
		r->parallel = (uint32_t)v;
		note(rec, "parallel %u", r->parallel);
	}
	if (!r->batch && (v = settings_rd_int(&rd, SET_N_BATCH, 0, &set), set) && v > 0) {
		r->batch = (uint32_t)v;
		note(rec, "batch %u", r->batch);
	}
	if (!r->ubatch && (v = settings_rd_int(&rd, SET_N_UBATCH, 0, &set), set) && v > 0) {
		r->ubatch = (uint32_t)v;
		note(rec, "ubatch %u", r->ubatch);
	}
	if (!r->flash_attn && (v = settings_rd_int(&rd, SET_FLASH_ATTN, 0, &set), set)) {
		r->flash_attn = v ? "on" : "off";
		note(rec, "flash-attn %s", r->flash_attn);
	}
	char ku[16];
	if (!r->kv_unified && settings_rd_str(&rd, SET_KV_UNIFIED, ku, sizeof(ku), NULL) &&
	    (!strcmp(ku, "true") || !strcmp(ku, "1"))) {
		r->kv_unified = 1;
		note(rec, "kv-unified");
	}
	if (!r->type_k && (r->type_k = settings_rd_str(&rd, SET_TYPE_K, rec->store_[0], sizeof(rec->store_[0]), NULL)))
		note(rec, "type_k %s", r->type_k);
	if (!r->type_v && (r->type_v = settings_rd_str(&rd, SET_TYPE_V, rec->store_[1], sizeof(rec->store_[1]), NULL)))
		note(rec, "type_v %s", r->type_v);
	if (r->n_gpu_layers == ENG_UNSET && (v = settings_rd_int(&rd, SET_N_GPU_LAYERS, 0, &set), set) && v >= 0) {
		r->n_gpu_layers = (int)v;
		note(rec, "num-gpu %d", r->n_gpu_layers);
	}
	if ((v = settings_rd_int(&rd, SET_N_COPIES, 0, &set), set) && v > 0)
		rec->copies = (int)v;
	if ((v = settings_rd_int(&rd, SET_LLAMA_BUILD, 0, &set), set) && v > 0)
		rec->build = (long)v;
	recorded_fit(&rd, r, rec, ctx_logged);
	if ((v = settings_rd_int(&rd, SET_META_N_LAYER, 0, &set), set) ||
	    (v = settings_rd_int(&rd, SET_N_LAYER_TOTAL, 0, &set) - 1, set))
		rec->n_layer = (int)v;
	char ts[64];
	if (!r->n_split && settings_rd_str(&rd, SET_TENSOR_SPLIT, ts, sizeof(ts), NULL)) {
		int k = 0;
		for (char *s = ts, *end; *s && k < ENG_MAX_GPUS; s = *end ? end + 1 : end) {
			r->split[k++] = strtof(s, &end);
			if (end == s)
				break;
		}
		if (k == r->n_gpus) {
			r->n_split = k;
			note(rec, "split %s", ts);
		}
	}

	recorded_placement(&rd, r, rec);
	if (rd.rc)
		return rd.rc;
	struct store_event_stat *es = NULL;
	size_t ne = 0;
	if ((rc = store_event_stats(st, rec->trace, &es, &ne, cause)))
		return rc;
	for (size_t i = 0; i < ne; i++) {
		if (es[i].kind != TRACE_ALLOC)
			continue;
		int d = es[i].device < 0 ? ENG_MAX_GPUS : es[i].device;
		if (d > ENG_MAX_GPUS)
			continue;
		switch (es[i].category) {
		case TRACE_CAT_WEIGHTS: rec->weights[d] += es[i].bytes; break;
		case TRACE_CAT_KV: rec->kv[d] += es[i].bytes; break;
		case TRACE_CAT_COMPUTE: rec->compute[d] += es[i].bytes; break;
		case TRACE_CAT_OUTPUT: rec->output[d] += es[i].bytes; break;
		case TRACE_CAT_CONTEXT: rec->context[d] += es[i].bytes; break;
		default: break;
		}
	}
	free(es);
	return 0;
}

int engrec_saved_plan(struct store *st, int64_t trace, struct engrec_saved *s, char **cause)
{
	memset(s, 0, sizeof(*s));
	llm_scenario_init(&s->base);
	struct settings_rd rd = { st, trace, 0, cause };
	char eng[64];
	if (!settings_rd_str(&rd, SET_ENGINE, eng, sizeof(eng), NULL) || strcmp(eng, "llama.cpp engine plan") != 0 ||
	    !settings_rd_str(&rd, SET_PLAN_MODEL, s->spec, sizeof(s->spec), NULL))
		return rd.rc ? rd.rc : ENGREC_NOT_PLAN;
	int set, set_seq;
	int64_t ctx = settings_rd_int(&rd, SET_N_CTX, 0, &set);
	int64_t seq = settings_rd_int(&rd, SET_N_SEQ_MAX, 0, &set_seq);
	if (set_seq && seq > 0)
		s->base.parallel = (int)seq;
	if (set && ctx > 0)
		s->base.ctx = (uint64_t)ctx / (uint64_t)(set_seq && seq > 0 ? seq : 1); /* per slot */
	int64_t v;
	if ((v = settings_rd_int(&rd, SET_N_BATCH, 0, &set), set) && v > 0)
		s->base.batch = (int)v;
	if ((v = settings_rd_int(&rd, SET_N_UBATCH, 0, &set), set) && v > 0)
		s->base.ubatch = (int)v;
	if ((v = settings_rd_int(&rd, SET_FLASH_ATTN, 0, &set), set))
		s->base.flash_attn = v != 0;
	if ((v = settings_rd_int(&rd, SET_N_GPU_LAYERS, 0, &set), set) && v >= 0)
		s->base.n_gpu_layers = (int)v;
	settings_rd_str(&rd, SET_TYPE_K, s->type_k, sizeof(s->type_k), NULL);
	settings_rd_str(&rd, SET_TYPE_V, s->type_v, sizeof(s->type_v), NULL);
	char ts[256];
	if (settings_rd_str(&rd, SET_TENSOR_SPLIT, ts, sizeof(ts), NULL)) {
		int k = 0;
		for (char *p = ts, *end; *p && k < TOPO_MAX_GPUS; p = *end ? end + 1 : end) {
			s->base.split[k++] = strtod(p, &end);
			if (end == p)
				break;
		}
		s->base.n_split = k;
	}
	if (settings_rd_str(&rd, SET_OVERRIDE_TENSOR, s->ot_, sizeof(s->ot_), NULL)) {
		char *save = NULL;
		for (char *t = strtok_r(s->ot_, ";", &save); t && s->n_ot < ENG_MAX_OT; t = strtok_r(NULL, ";", &save))
			s->ot[s->n_ot++] = t;
	}
	settings_rd_str(&rd, SET_PLAN_MMPROJ, s->mmproj, sizeof(s->mmproj), NULL);
	if ((v = settings_rd_int(&rd, SET_CPU_MOE, 0, &set), set))
		s->cpu_moe = v != 0;
	if ((v = settings_rd_int(&rd, SET_N_CPU_MOE, 0, &set), set) && v > 0)
		s->n_cpu_moe = (int)v;
	settings_rd_str(&rd, SET_GPU_BACKEND, s->backend, sizeof(s->backend), NULL);
	if ((v = settings_rd_int(&rd, SET_PLAN_NO_PIPELINE, 0, &set), set))
		s->no_pipeline = v != 0;
	return rd.rc;
}

/* One plan of r: llama.cpp's --fit first where the load ran it. */
static int plan_once(struct eng *e, const struct eng_req *r, struct engrec *rec, struct eng_plan *p,
		     int say, char **cause)
{
	if (!rec->fit)
		return eng_plan(e, r, p, cause);
	struct eng_fit f;
	int rc = eng_fit(e, r, &f, p, cause);
	if (rc)
		return rc;
	if (say) {
		char split[160] = "", ngl[16] = "all";
		size_t k = 0;
		for (int i = 0; f.n_split > 1 && i < f.n_split && k < sizeof(split); i++)
			k += (size_t)snprintf(split + k, sizeof(split) - k, "%s%.3g", i ? "," : ", split ", f.split[i]);
		if (f.n_gpu_layers >= 0)
			snprintf(ngl, sizeof(ngl), "%d", f.n_gpu_layers);
		note(rec, "(--fit re-run on the recorded free memory: %s, -ngl %s -c %u%s, %d override%s)",
		     f.status == 0 ? "fits" : "does not fit", ngl, f.ctx, split, f.n_ot, f.n_ot == 1 ? "" : "s");
	}
	eng_fit_free(&f);
	return 0;
}

int engrec_plan(struct eng *e, struct eng_req *r, struct engrec *rec, struct eng_plan *p, char **cause)
{
	int rc = plan_once(e, r, rec, p, 1, cause);
	if (rc || rec->copies != 1 || p->copies <= 1 || r->no_pipeline)
		return rc;
	int planned = p->copies;
	eng_plan_free(p);
	r->no_pipeline = 1;
	if ((rc = plan_once(e, r, rec, p, 0, cause)))
		return rc;
	note(rec, "no-pipeline (the load ran one scheduler copy where the engine plans %d: its GPUs or "
		  "build had no pipeline parallelism)", planned);
	return 0;
}

static void row(FILE *f, const char *dev, const char *cat, uint64_t rec, uint64_t plan)
{
	double d = ((double)plan - (double)rec) / UTIL_MIB;
	fprintf(f, "%-8s %-9s %12.2f %12.2f %+11.2f", dev, cat, rec / UTIL_MIB, plan / UTIL_MIB, d);
	if (rec)
		fprintf(f, " %+7.1f%%", 100.0 * ((double)plan - (double)rec) / (double)rec);
	fputc('\n', f);
}

void engrec_print(FILE *f, const struct engrec *rec, const struct eng_plan *p)
{
	fprintf(f, "recorded: trace %s (%s)\n", rec->name, rec->settings[0] ? rec->settings : "no settings recorded");
	if (rec->missing[0])
		fprintf(f, "not recovered: %s\n", rec->missing);
	/* measured: the pinned engine's compute buffers against logs of
	 * builds 5192-5622 differ by up to 5.5%, and llama.cpp b5590 plans
	 * those logs to the 0.01 MiB (tests/drift/run.sh, README "Accuracy") */
	if (rec->build)
		fprintf(f, "build: the log's llama.cpp b%ld, planned by the pinned engine: compute buffers drift "
			"between builds (up to 5.5%% measured), weights and KV did not\n", rec->build);
	if (rec->n_layer > 0 && rec->n_layer != p->n_layer)
		fprintf(f, "warning: the recorded load's model has %d layers, this one %d: not the same model\n",
			rec->n_layer, p->n_layer);
	fprintf(f, "\n%-8s %-9s %12s %12s %11s %8s\n", "device", "category", "recorded", "engine", "engine-rec", "");
	for (int i = 0; i <= p->n_gpus; i++) {
		int d = i < p->n_gpus ? i : ENG_MAX_GPUS;
		const struct eng_dev *e = i < p->n_gpus ? &p->gpu[i] : &p->host;
		const char *name = i < p->n_gpus ? e->name : "host";
		row(f, name, "weights", rec->weights[d], e->weights);
		row(f, name, "kv", rec->kv[d], e->kv);
		row(f, name, "compute", rec->compute[d], e->compute);
		if (i == p->n_gpus)
			row(f, name, "output", rec->output[d], e->output);
		else if (rec->context[d])
			fprintf(f, "%-8s %-9s %12.2f %12s  (not a ggml buffer: measured runtime overhead)\n", name,
				"context", rec->context[d] / UTIL_MIB, "-");
	}
	fprintf(f, "(MiB)\n");
}
