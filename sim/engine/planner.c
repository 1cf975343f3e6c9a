/*
 * planner.c - vramsim-engine: plans llama.cpp's memory with llama.cpp's own
 * loader and scheduler on virtual GPUs (vdev.h), for vramsim (sim/engine.h).
 *
 * A separate process because llama.cpp aborts on some bad input, its
 * backend registry and logger are global, and vramsim must work without
 * these libraries. It reads requests on stdin and answers on stdout in the
 * protocol of sim/engwire.h:
 *
 *   -> ready engine=llama.cpp tag=v0.5.0 llama=... ggml=... maxdev=16 backends=cuda,rocm
 *            variants=scored|kept selfcheck=run|kept   (start-up cache, stamp.h)
 *   <- plan|fit|cpu|real model=PATH gpus=N mem0=BYTES free0=BYTES ... ctx=8192 ...
 *   -> log level=warn text=...          (engine warnings and errors, as they come)
 *   -> fit status=0 ngl=.. ctx=.. split=.. ot=REGEX=DEV ...   (fit only)
 *   -> mmproj dev=0|-1 weights=.. counted=.. compute0=.. host_compute=.. fa=..  (mmproj=PATH only)
 *   -> dev i=0 name=CUDA0 weights=.. kv=.. compute=.. layers=..
 *   -> host name=CPU weights=.. kv=.. compute=.. output=..
 *   -> info n_ctx=.. n_seq=.. copies=.. n_layer=.. gpu_layers=.. reused=0|1 peak_rss=.. cpu_us=..
 *   -> done                  or   -> error what=model|option|topology|engine text=...
 *
 * `cpu` plans on the engine's own CPU device only (no virtual GPU): the
 * reference the tests compare the GPU plans with; `real` does the same
 * with real allocations (the tensor data is read), to check no_alloc. Every field and its
 * meaning is in pl_params() below. The loaded model is kept while the next
 * request changes only context settings.
 *
 * Just over 800 lines in one file: it is the planner program's main loop
 * and its request handlers (plan, cpu, fit, projector), which share the
 * loaded-model cache and the wire state; the virtual devices, the C++
 * bridge, the self-check and the start-up cache have their own files.
 */
#include <ctype.h>
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends.h"
#include "engwire.h"
#include "ggml-backend.h"
#include "llama.h"
#include "llb.h"
#include "proj.h"
#include "selfcheck.h"
#include "vdev.h"

#define PL_MAX_OT 64
#define PL_MAX_BUF 64

/* The request's first engine error line, quoted in an error reply. */
static char pl_last_error[1024];
static char pl_logline[4096];
static size_t pl_loglen;
/* layers per device, from the loader's "layer N assigned to device X" debug lines */
static int pl_layers[VDEV_MAX + 1];
static int pl_copies = 1;

static void pl_reply_err(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void pl_reply_err(const char *what, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fputs("error", stdout);
	engwire_put(stdout, "what", what);
	engwire_put(stdout, "text", buf);
	fputc('\n', stdout);
	fflush(stdout);
}

static int pl_debug; /* VRAMSIM_ENGINE_DEBUG: every engine log line on stderr */

static void pl_line(enum ggml_log_level level, const char *line)
{
	if (pl_debug)
		fputs(line, stderr);
	const char *p = strstr(line, "assigned to device ");
	if (p && strstr(line, "layer")) {
		p += strlen("assigned to device ");
		char name[64];
		size_t n = strcspn(p, ", \n");
		if (n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
			int slot = VDEV_MAX; /* CPU */
			for (int i = 0; i < VDEV_MAX; i++)
				if (strcmp(ggml_backend_dev_name(vdev_get(i)), name) == 0)
					slot = i;
			pl_layers[slot]++;
		}
	}
	if ((p = strstr(line, "sched copies = ")))
		pl_copies = atoi(p + strlen("sched copies = "));
	if (level == GGML_LOG_LEVEL_ERROR || level == GGML_LOG_LEVEL_WARN) {
		char text[1024];
		size_t tl = strlen(line) < sizeof(text) - 1 ? strlen(line) : sizeof(text) - 1;
		memcpy(text, line, tl);
		text[tl] = '\0';
		text[strcspn(text, "\n")] = '\0';
		if (level == GGML_LOG_LEVEL_ERROR && !pl_last_error[0]) /* the first says why */
			snprintf(pl_last_error, sizeof(pl_last_error), "%s", text);
		fputs("log", stdout);
		engwire_put(stdout, "level", level == GGML_LOG_LEVEL_ERROR ? "error" : "warn");
		engwire_put(stdout, "text", text);
		fputc('\n', stdout);
		fflush(stdout); /* seen by vramsim even if the engine aborts next */
	}
}

/* llama.cpp's logger hands out pieces of lines (CONT continues the last
 * level); collect whole lines. */
static void pl_log(enum ggml_log_level level, const char *text, void *user)
{
	static enum ggml_log_level last = GGML_LOG_LEVEL_INFO;
	(void)user;
	if (level != GGML_LOG_LEVEL_CONT)
		last = level;
	for (const char *p = text; *p; p++) {
		if (pl_loglen + 1 < sizeof(pl_logline))
			pl_logline[pl_loglen++] = *p;
		if (*p == '\n') {
			pl_logline[pl_loglen] = '\0';
			pl_line(last, pl_logline);
			pl_loglen = 0;
		}
	}
}

/* ------------------------------------------------------------ request */

struct pl_req {
	char verb[8];
	const char *model;
	const char *mmproj; /* a projector, planned by clip after the model (proj.h) */
	const struct vdev_rules *rules;
	int n_gpus;
	uint64_t mem[VDEV_MAX], free_bytes[VDEV_MAX];
	struct llama_model_params mp;
	struct llama_context_params cp;
	float split[VDEV_MAX];
	int has_split;
	struct llama_model_tensor_buft_override ot[PL_MAX_OT + 1];
	int n_ot;
	int ollama[VDEV_MAX], has_ollama;
	size_t margin;
	uint32_t fit_min_ctx;
	int no_pipeline; /* GPUs without async/events: one scheduler copy */
	char model_key[4096]; /* everything that changes the loaded model */
};

static int pl_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s == '-' || end == s || *end || v > 0xffffffffULL)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int pl_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s == '-' || end == s || *end)
		return -1;
	*out = v;
	return 0;
}

static int pl_type(const char *s, enum ggml_type *out)
{
	for (int t = 0; t < GGML_TYPE_COUNT; t++) {
		const char *n = ggml_type_name((enum ggml_type)t);
		if (n && strcmp(n, s) == 0 && ggml_type_size((enum ggml_type)t) > 0) {
			*out = (enum ggml_type)t;
			return 0;
		}
	}
	return -1;
}

/* A device of an override or Ollama placement: CPU, or a GPU index by
 * "GPU<i>", "<i>" or the backend's name ("CUDA1"). */
static ggml_backend_buffer_type_t pl_buft(const struct pl_req *r, const char *dev)
{
	if (strcasecmp(dev, "CPU") == 0)
		return ggml_backend_cpu_buffer_type();
	const char *num = dev;
	if (strncasecmp(dev, "GPU", 3) == 0)
		num = dev + 3;
	else if (strncasecmp(dev, r->rules->dev_prefix, strlen(r->rules->dev_prefix)) == 0)
		num = dev + strlen(r->rules->dev_prefix);
	char *end;
	long i = strtol(num, &end, 10);
	if (!isdigit((unsigned char)*num) || *end || i < 0 || i >= r->n_gpus)
		return NULL;
	return ggml_backend_dev_buffer_type(vdev_get((int)i));
}

static char pl_ot_store[PL_MAX_OT][512];

/* Parse the request fields into llama.cpp parameters; 0, or -1 after an
 * error reply. Defaults are llama.cpp's own (llama_*_default_params). */
static int pl_params(struct pl_req *r, const struct engwire_kv *kv, int n)
{
	r->mp = llama_model_default_params();
	r->cp = llama_context_default_params();
	r->mp.no_alloc = true;                  /* plan, allocate nothing */
	r->mp.load_mode = LLAMA_LOAD_MODE_NONE; /* mmap with no_alloc aborts */
	r->cp.n_threads = r->cp.n_threads_batch = 1;
	r->cp.n_ctx = 0; /* as llama-server: 0 = the model's training context */
	r->cp.swa_full = false; /* llama-server default (common_params); the library says true */
	r->rules = vdev_rules_find("cuda");
	r->margin = 1024u << 20;
	r->fit_min_ctx = 4096;
	size_t kl = 0, ml = 0;
	/* GPU sizes change the loaded model only through llama.cpp's default
	 * split (proportional to free memory): with an explicit split or
	 * Ollama's placement they are context settings, so a search that
	 * freezes the placement and moves the GPUs' sizes reuses the model */
	char memkey[1024];
	int placed = 0;
	memkey[0] = '\0';
	for (int i = 0; i < n; i++) {
		const char *k = kv[i].key, *v = kv[i].val;
		uint32_t u = 0;
		int bad = 0;
		if (!strcmp(k, "model")) {
			r->model = v;
		} else if (!strcmp(k, "mmproj")) {
			r->mmproj = v;
		} else if (!strcmp(k, "backend")) {
			if (!(r->rules = vdev_rules_find(v))) {
				pl_reply_err("topology", "backend %s: the virtual GPUs know the rules of %s only", v, vdev_rules_names());
				return -1;
			}
		} else if (!strcmp(k, "gpus")) {
			bad = pl_u32(v, &u) < 0 || u > VDEV_MAX;
			if (bad) {
				pl_reply_err("topology", "%s GPUs: llama.cpp %s plans at most %d devices (llama_max_devices)", v, ENG_TAG, VDEV_MAX);
				return -1;
			}
			r->n_gpus = (int)u;
		} else if (!strncmp(k, "mem", 3) || !strncmp(k, "free", 4)) {
			const char *num = k + (k[0] == 'm' ? 3 : 4);
			uint32_t gi;
			uint64_t b;
			bad = pl_u32(num, &gi) < 0 || gi >= VDEV_MAX || pl_u64(v, &b) < 0;
			if (!bad)
				(k[0] == 'm' ? r->mem : r->free_bytes)[gi] = b;
		} else if (!strcmp(k, "ctx")) {
			bad = pl_u32(v, &r->cp.n_ctx);
		} else if (!strcmp(k, "batch")) {
			bad = pl_u32(v, &r->cp.n_batch) || !r->cp.n_batch;
		} else if (!strcmp(k, "ubatch")) {
			bad = pl_u32(v, &r->cp.n_ubatch) || !r->cp.n_ubatch;
		} else if (!strcmp(k, "parallel")) {
			bad = pl_u32(v, &r->cp.n_seq_max) || !r->cp.n_seq_max;
		} else if (!strcmp(k, "fa")) {
			bad = strcmp(v, "on") && strcmp(v, "off") && strcmp(v, "auto");
			r->cp.flash_attn_type = !strcmp(v, "on") ? LLAMA_FLASH_ATTN_TYPE_ENABLED
					      : !strcmp(v, "off") ? LLAMA_FLASH_ATTN_TYPE_DISABLED : LLAMA_FLASH_ATTN_TYPE_AUTO;
		} else if (!strcmp(k, "ctk")) {
			bad = pl_type(v, &r->cp.type_k);
		} else if (!strcmp(k, "ctv")) {
			bad = pl_type(v, &r->cp.type_v);
		} else if (!strcmp(k, "ngl")) {
			r->mp.n_gpu_layers = atoi(v);
			bad = strcmp(v, "-1") && (pl_u32(v, &u) || u > 100000);
		} else if (!strcmp(k, "split_mode")) {
			if (!strcmp(v, "row")) {
				pl_reply_err("topology", "--split-mode row: CUDA's row-split buffer type (ggml_backend_split_buffer_type) is not modelled by the virtual GPUs; plan with layer or none");
				return -1;
			}
			bad = strcmp(v, "layer") && strcmp(v, "none");
			r->mp.split_mode = !strcmp(v, "none") ? LLAMA_SPLIT_MODE_NONE : LLAMA_SPLIT_MODE_LAYER;
		} else if (!strcmp(k, "main_gpu")) {
			bad = pl_u32(v, &u);
			r->mp.main_gpu = (int32_t)u;
		} else if (!strcmp(k, "split") || !strcmp(k, "ollama_layers")) {
			int is_split = !strcmp(k, "split"), j = 0;
			char tmp[512];
			snprintf(tmp, sizeof(tmp), "%s", v);
			char *save = NULL;
			for (char *t = strtok_r(tmp, ",", &save); t && !bad; t = strtok_r(NULL, ",", &save), j++) {
				char *end;
				double d = strtod(t, &end);
				bad = j >= VDEV_MAX || end == t || *end || d < 0;
				if (bad)
					break;
				if (is_split)
					r->split[j] = (float)d;
				else
					r->ollama[j] = (int)d;
			}
			*(is_split ? &r->has_split : &r->has_ollama) = 1;
		} else if (!strcmp(k, "ot")) {
			const char *eq = strrchr(v, '=');
			ggml_backend_buffer_type_t b = NULL;
			bad = !eq || eq == v || r->n_ot >= PL_MAX_OT || (size_t)(eq - v) >= sizeof(pl_ot_store[0]);
			if (!bad) {
				memcpy(pl_ot_store[r->n_ot], v, (size_t)(eq - v));
				pl_ot_store[r->n_ot][eq - v] = '\0';
			}
			if (!bad && r->n_gpus > 0 && !(b = pl_buft(r, eq + 1))) {
				pl_reply_err("option", "--override-tensor %s: no device %s (CPU, GPU0..GPU%d or %s0..)", v, eq + 1, r->n_gpus - 1, r->rules->dev_prefix);
				return -1;
			}
			if (!bad && !b)
				b = ggml_backend_cpu_buffer_type();
			if (!bad) {
				r->ot[r->n_ot] = (struct llama_model_tensor_buft_override){ pl_ot_store[r->n_ot], b };
				r->n_ot++;
			}
		} else if (!strcmp(k, "cpu_moe") || !strcmp(k, "n_cpu_moe")) {
			/* llama.cpp --cpu-moe / --n-cpu-moe: LLM_FFN_EXPS_REGEX on the CPU
			 * (common/common.h l. 1131-1149, common/arg.cpp l. 2755-2770, v0.5.0) */
			uint32_t nl = 0;
			bad = pl_u32(v, &nl) || nl > 10000;
			int all = !strcmp(k, "cpu_moe");
			for (uint32_t l = 0; !bad && l < (all ? (nl ? 1u : 0u) : nl); l++) {
				if (r->n_ot >= PL_MAX_OT) {
					pl_reply_err("option", "too many tensor overrides (at most %d)", PL_MAX_OT);
					return -1;
				}
				if (all)
					snprintf(pl_ot_store[r->n_ot], sizeof(pl_ot_store[0]), "\\.ffn_(up|down|gate|gate_up)_(ch|)exps");
				else
					snprintf(pl_ot_store[r->n_ot], sizeof(pl_ot_store[0]), "blk\\.%u\\.ffn_(up|down|gate|gate_up)_(ch|)exps", l);
				r->ot[r->n_ot] = (struct llama_model_tensor_buft_override){ pl_ot_store[r->n_ot], ggml_backend_cpu_buffer_type() };
				r->n_ot++;
			}
		} else if (!strcmp(k, "no_kv_offload")) {
			r->cp.offload_kqv = strcmp(v, "1") != 0;
		} else if (!strcmp(k, "no_op_offload")) {
			r->cp.op_offload = strcmp(v, "1") != 0;
		} else if (!strcmp(k, "swa_full")) {
			r->cp.swa_full = strcmp(v, "1") == 0;
		} else if (!strcmp(k, "kv_unified")) {
			r->cp.kv_unified = strcmp(v, "1") == 0;
		} else if (!strcmp(k, "no_pipeline")) {
			r->no_pipeline = strcmp(v, "1") == 0;
		} else if (!strcmp(k, "margin")) {
			uint64_t m = 0;
			bad = pl_u64(v, &m);
			r->margin = (size_t)m;
		} else if (!strcmp(k, "fit_min_ctx")) {
			bad = pl_u32(v, &r->fit_min_ctx);
		} else {
			pl_reply_err("option", "unknown request field %s", k);
			return -1;
		}
		if (bad) {
			pl_reply_err("option", "bad value %s=%s", k, v);
			return -1;
		}
		/* the model key: every field except the context settings (and
		 * the projector, which clip loads apart from the text model) */
		static const char *const ctx_keys[] = { "ctx", "batch", "ubatch", "parallel", "fa", "ctk", "ctv",
							"no_kv_offload", "no_op_offload", "swa_full", "kv_unified",
							"no_pipeline", "margin", "fit_min_ctx", "mmproj" };
		int is_ctx = 0;
		for (size_t c = 0; c < sizeof(ctx_keys) / sizeof(ctx_keys[0]); c++)
			is_ctx |= !strcmp(k, ctx_keys[c]);
		int is_mem = !strncmp(k, "mem", 3) || !strncmp(k, "free", 4);
		placed |= !strcmp(k, "split") || !strcmp(k, "ollama_layers");
		if (is_mem && ml < sizeof(memkey))
			ml += (size_t)snprintf(memkey + ml, sizeof(memkey) - ml, "%s=%s\n", k, v);
		else if (!is_ctx && kl < sizeof(r->model_key))
			kl += (size_t)snprintf(r->model_key + kl, sizeof(r->model_key) - kl, "%s=%s\n", k, v);
	}
	if ((!placed || !strcmp(r->verb, "fit")) && kl < sizeof(r->model_key))
		kl += (size_t)snprintf(r->model_key + kl, sizeof(r->model_key) - kl, "%s", memkey);
	if (!r->model) {
		pl_reply_err("option", "no model");
		return -1;
	}
	/* a file rewritten under the same name is another model */
	struct stat st;
	if (stat(r->model, &st) == 0 && kl < sizeof(r->model_key))
		kl += (size_t)snprintf(r->model_key + kl, sizeof(r->model_key) - kl, "file=%llu:%llu:%lld:%lld.%09ld\n",
				       (unsigned long long)st.st_dev, (unsigned long long)st.st_ino, (long long)st.st_size,
				       (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	if (!strcmp(r->verb, "cpu") || !strcmp(r->verb, "real"))
		r->n_gpus = 0;
	/* `real`: the engine's CPU device allocating for real (tensor data
	 * read): what no_alloc is checked against */
	if (!strcmp(r->verb, "real")) {
		r->mp.no_alloc = false;
		kl += (size_t)snprintf(r->model_key + kl, kl < sizeof(r->model_key) ? sizeof(r->model_key) - kl : 0, "real\n");
	}
	if (r->rules->max_devices && r->n_gpus > r->rules->max_devices) {
		pl_reply_err("topology", "%d GPUs: %s has %d device%s (the machine's one GPU)", r->n_gpus, r->rules->name,
			     r->rules->max_devices, r->rules->max_devices == 1 ? "" : "s");
		return -1;
	}
	for (int i = 0; i < r->n_gpus; i++) {
		if (!r->mem[i]) {
			pl_reply_err("topology", "GPU %d has no memory size", i);
			return -1;
		}
		vdev_configure(i, r->mem[i], r->free_bytes[i] ? r->free_bytes[i] : r->mem[i], r->rules);
	}
	r->mp.devices = vdev_list(r->n_gpus);
	if (r->n_gpus == 0)
		r->mp.n_gpu_layers = 0;
	if (r->has_split)
		r->mp.tensor_split = r->split;
	if (r->mp.main_gpu >= (r->n_gpus ? r->n_gpus : 1)) {
		pl_reply_err("topology", "--main-gpu %d: there are %d GPUs", r->mp.main_gpu, r->n_gpus);
		return -1;
	}
	r->ot[r->n_ot] = (struct llama_model_tensor_buft_override){ NULL, NULL };
	if (r->n_ot)
		r->mp.tensor_buft_overrides = r->ot;
	return 0;
}

/*
 * Ollama's runner places an explicit number of repeating layers on each GPU
 * (the last layers of the model, in GPU order) and keeps the output layer
 * on the CPU. llama.cpp counts the output as layer n_layer: offloading
 * sum+1 layers with a split of the counts (the last GPU taking the output
 * slot) reproduces the per-GPU layers exactly (llama-model.cpp l. 1521-1531:
 * upper_bound of (il - i_gpu_start)/act_gpu_layers over the cumulative
 * split); an override then puts output.weight on the CPU, so the GPU runs
 * the output matmul of large batches with a copy of that weight in its
 * compute buffer (op offload, vdev.c).
 */
static int pl_ollama(struct pl_req *r)
{
	int sum = 0;
	for (int i = 0; i < r->n_gpus; i++) {
		sum += r->ollama[i];
		r->split[i] = (float)r->ollama[i];
	}
	if (r->n_gpus == 0 || sum == 0)
		return 0;
	r->split[r->n_gpus - 1] += 1.0f;
	r->mp.tensor_split = r->split;
	r->mp.n_gpu_layers = sum + 1;
	if (r->n_ot >= PL_MAX_OT)
		return -1;
	snprintf(pl_ot_store[r->n_ot], sizeof(pl_ot_store[0]), "^output\\.weight$");
	r->ot[r->n_ot] = (struct llama_model_tensor_buft_override){ pl_ot_store[r->n_ot], ggml_backend_cpu_buffer_type() };
	r->n_ot++;
	r->ot[r->n_ot] = (struct llama_model_tensor_buft_override){ NULL, NULL };
	r->mp.tensor_buft_overrides = r->ot;
	return 0;
}

/* ------------------------------------------------------------ planning */

static struct llama_model *pl_model;
static char pl_model_key[4096];
static int pl_model_layers[VDEV_MAX + 1];

static void pl_drop_model(void)
{
	if (pl_model)
		llama_model_free(pl_model);
	pl_model = NULL;
	pl_model_key[0] = '\0';
}

static unsigned long long pl_mib2(size_t b)
{
	return (unsigned long long)b;
}

/* Report the plan of ctx: one line per GPU, one for the host. */
/* Per device (GPU i, the host at VDEV_MAX) bytes of ctx's plan; 0, or -1
 * after an error reply. */
struct pl_sums {
	size_t w[VDEV_MAX + 1], kv[VDEV_MAX + 1], c[VDEV_MAX + 1];
};

static int pl_sum(struct llama_context *ctx, struct pl_sums *s)
{
	struct llb_buf bufs[PL_MAX_BUF];
	const char *why = NULL;
	int n = llb_breakdown(ctx, bufs, PL_MAX_BUF, &why);
	if (n < 0 || n > PL_MAX_BUF) {
		pl_reply_err("engine", "%s", n < 0 ? why : "too many buffer types");
		return -1;
	}
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < n; i++) {
		int slot = VDEV_MAX;
		if (!ggml_backend_buft_is_host(bufs[i].buft)) {
			int d = vdev_index(ggml_backend_buft_get_device(bufs[i].buft));
			slot = d >= 0 ? d : VDEV_MAX;
		}
		s->w[slot] += bufs[i].model;
		s->kv[slot] += bufs[i].context;
		s->c[slot] += bufs[i].compute;
	}
	return 0;
}

/* The GPU whose pipeline-parallel compute buffer would not fit beside
 * its weights and KV in its free memory, or -1. */
static int pl_pp_overflow(const struct pl_req *r, const struct pl_sums *s)
{
	for (int i = 0; i < r->n_gpus; i++) {
		uint64_t free_b = r->free_bytes[i] ? r->free_bytes[i] : r->mem[i];
		if ((uint64_t)s->w[i] + s->kv[i] + s->c[i] > free_b)
			return i;
	}
	return -1;
}

static void pl_report(const struct pl_req *r, struct llama_context *ctx, const struct pl_sums *sums, int reused)
{
	const size_t *w = sums->w, *kvb = sums->kv, *c = sums->c;
	for (int i = 0; i < r->n_gpus; i++) {
		fputs("dev", stdout);
		engwire_putf(stdout, "i", "%d", i);
		engwire_put(stdout, "name", ggml_backend_dev_name(vdev_get(i)));
		engwire_putf(stdout, "weights", "%llu", pl_mib2(w[i]));
		engwire_putf(stdout, "kv", "%llu", pl_mib2(kvb[i]));
		engwire_putf(stdout, "compute", "%llu", pl_mib2(c[i]));
		engwire_putf(stdout, "layers", "%d", pl_layers[i]);
		fputc('\n', stdout);
	}
	/* The output (logits) buffer, host memory: n_vocab floats per output row,
	 * n_seq_max rows reserved at context creation (llama_context::output_reserve,
	 * src/llama-context.cpp l. 2103-2160; no embeddings, no backend sampling). */
	const struct llama_vocab *vocab = llama_model_get_vocab(pl_model);
	size_t output = (size_t)llama_vocab_n_tokens(vocab) * llama_n_seq_max(ctx) * sizeof(float);
	fputs("host", stdout);
	engwire_put(stdout, "name", "CPU");
	engwire_putf(stdout, "weights", "%llu", pl_mib2(w[VDEV_MAX]));
	engwire_putf(stdout, "kv", "%llu", pl_mib2(kvb[VDEV_MAX]));
	engwire_putf(stdout, "compute", "%llu", pl_mib2(c[VDEV_MAX]));
	engwire_putf(stdout, "output", "%llu", pl_mib2(output));
	engwire_putf(stdout, "layers", "%d", pl_layers[VDEV_MAX]);
	fputc('\n', stdout);
	fputs("info", stdout);
	engwire_putf(stdout, "n_ctx", "%u", llama_n_ctx(ctx));
	engwire_putf(stdout, "n_seq", "%u", llama_n_seq_max(ctx));
	engwire_putf(stdout, "n_batch", "%u", llama_n_batch(ctx));
	engwire_putf(stdout, "n_ubatch", "%u", llama_n_ubatch(ctx));
	engwire_putf(stdout, "copies", "%d", pl_copies);
	engwire_putf(stdout, "n_layer", "%d", llama_model_n_layer(pl_model));
	engwire_putf(stdout, "model_size", "%llu", (unsigned long long)llama_model_size(pl_model));
	engwire_putf(stdout, "reused", "%d", reused);
	engwire_putf(stdout, "computes", "%ld", vdev_compute_calls());
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0) { /* the planner's peak resident set, bytes, and CPU time so far */
		engwire_putf(stdout, "peak_rss", "%llu", (unsigned long long)ru.ru_maxrss * 1024ull);
		engwire_putf(stdout, "cpu_us", "%llu",
			     (unsigned long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000ull +
				     (unsigned long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec));
	}
	fputs("\ndone\n", stdout);
	fflush(stdout);
}

/* The fit result in llama-server --fit on's terms. */
static void pl_report_fit(const struct pl_req *r, int status, const float *split,
			  const struct llama_model_tensor_buft_override *ov)
{
	fputs("fit", stdout);
	engwire_putf(stdout, "status", "%d", status);
	engwire_putf(stdout, "ngl", "%d", r->mp.n_gpu_layers);
	engwire_putf(stdout, "ctx", "%u", r->cp.n_ctx);
	char buf[512];
	size_t k = 0;
	buf[0] = '\0';
	for (int i = 0; i < r->n_gpus && k < sizeof(buf); i++)
		k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%g", i ? "," : "", (double)(r->mp.tensor_split ? split[i] : 0.0f));
	engwire_put(stdout, "split", buf);
	for (size_t i = 0; ov && ov[i].pattern; i++) {
		snprintf(buf, sizeof(buf), "%s=%s", ov[i].pattern, ggml_backend_buft_name(ov[i].buft));
		engwire_put(stdout, "ot", buf);
	}
	fputc('\n', stdout);
}

/* The projector of r (proj.h) with llama-server's -fa; 0, or -1 after an
 * error reply quoting clip. */
static int pl_projector(const struct pl_req *r, struct proj_plan *pp)
{
	const char *why = "";
	pl_last_error[0] = '\0';
	if (access(r->mmproj, R_OK) != 0) {
		pl_reply_err("model", "the projector %s: %s", r->mmproj, strerror(errno));
		return -1;
	}
	int fa = r->cp.flash_attn_type == LLAMA_FLASH_ATTN_TYPE_ENABLED ? 1
	       : r->cp.flash_attn_type == LLAMA_FLASH_ATTN_TYPE_DISABLED ? 0 : -1;
	if (proj_plan(r->mmproj, r->n_gpus, fa, r->rules->name, pp, &why) < 0) {
		pl_reply_err("model", "llama.cpp %s cannot load the projector %s (%s)%s%s", ENG_TAG, r->mmproj, why,
			     pl_last_error[0] ? ": " : "", pl_last_error);
		return -1;
	}
	return 0;
}

static void pl_report_proj(const struct pl_req *r, const struct proj_plan *pp)
{
	fputs("mmproj", stdout);
	engwire_putf(stdout, "dev", "%d", pp->dev);
	engwire_putf(stdout, "weights", "%llu", (unsigned long long)pp->weights);
	engwire_putf(stdout, "counted", "%llu", (unsigned long long)pp->counted);
	for (int i = 0; i < r->n_gpus; i++) {
		char k[24];
		snprintf(k, sizeof(k), "compute%d", i);
		engwire_putf(stdout, k, "%llu", (unsigned long long)pp->compute[i]);
	}
	engwire_putf(stdout, "host_compute", "%llu", (unsigned long long)pp->compute[VDEV_MAX]);
	engwire_putf(stdout, "fa", "%d", pp->flash_attn);
	engwire_putf(stdout, "cached", "%d", pp->cached);
	fputc('\n', stdout);
}

static void pl_handle(struct pl_req *r)
{
	static float fit_split[VDEV_MAX];
	static struct llama_model_tensor_buft_override fit_ov[PL_MAX_OT * 4 + 1];
	memset(pl_layers, 0, sizeof(pl_layers));
	pl_copies = 1;
	pl_last_error[0] = '\0';
	if (r->has_ollama && pl_ollama(r) < 0) {
		pl_reply_err("option", "too many tensor overrides");
		return;
	}
	if (!strcmp(r->verb, "fit")) {
		/* common_fit_params changes only parameters still at llama.cpp's
		 * defaults (common/fit.h): what the request left unset. */
		struct llama_model_params def = llama_model_default_params();
		r->mp.n_gpu_layers = r->mp.n_gpu_layers == 0 ? def.n_gpu_layers : r->mp.n_gpu_layers;
		if (!r->has_split)
			r->mp.tensor_split = NULL;
		size_t ovn = llama_max_tensor_buft_overrides();
		if (ovn > sizeof(fit_ov) / sizeof(fit_ov[0]))
			ovn = sizeof(fit_ov) / sizeof(fit_ov[0]);
		memset(fit_ov, 0, sizeof(fit_ov));
		memset(fit_split, 0, sizeof(fit_split));
		size_t margins[VDEV_MAX];
		for (int i = 0; i < VDEV_MAX; i++)
			margins[i] = r->margin;
		/* llama-server --fit with a projector first asks mtmd_get_memory_usage
		 * (clip's count of weights plus compute, per device) and adds it to
		 * the fit target of that GPU (tools/server/server-context.cpp
		 * l. 1062-1087, v0.5.0) */
		struct proj_plan pp;
		if (r->mmproj && pl_projector(r, &pp) < 0)
			return;
		for (int i = 0; r->mmproj && i < r->n_gpus; i++)
			margins[i] += (i == pp.dev ? pp.counted : 0) + pp.compute[i];
		pl_drop_model(); /* fit loads the model itself, repeatedly */
		vdev_set_async(!r->no_pipeline);
		int st = llb_fit(r->model, &r->mp, &r->cp, fit_split, fit_ov, margins, r->fit_min_ctx);
		vdev_set_async(1);
		if (st < 0 || st == 2) {
			pl_reply_err("model", "llama.cpp --fit could not plan %s%s%s", r->model,
				     pl_last_error[0] ? ": " : "", pl_last_error);
			return;
		}
		if (r->mp.tensor_split == fit_split || !r->mp.tensor_split)
			pl_report_fit(r, st, fit_split, r->mp.tensor_buft_overrides);
		else
			pl_report_fit(r, st, r->mp.tensor_split, r->mp.tensor_buft_overrides);
		memset(pl_layers, 0, sizeof(pl_layers));
		pl_copies = 1;
	}
	int reused = pl_model && !strcmp(pl_model_key, r->model_key) && strcmp(r->verb, "fit");
	if (!reused) {
		pl_drop_model();
		pl_model = llama_model_load_from_file(r->model, r->mp);
		if (!pl_model) {
			pl_reply_err("model", "llama.cpp %s cannot load %s%s%s", ENG_TAG, r->model,
				     pl_last_error[0] ? ": " : "", pl_last_error);
			return;
		}
		snprintf(pl_model_key, sizeof(pl_model_key), "%s", strcmp(r->verb, "fit") ? r->model_key : "");
		memcpy(pl_model_layers, pl_layers, sizeof(pl_layers));
	} else {
		/* the loader does not run again: its layer counts stand */
		memcpy(pl_layers, pl_model_layers, sizeof(pl_layers));
	}
	/* llama.cpp engages pipeline parallelism only where every GPU reports
	 * async compute and events (llama_context::llama_context,
	 * src/llama-context.cpp l. 427-456, v0.5.0): --no-pipeline plans a
	 * build or GPUs without (GGML_SCHED_MAX_COPIES=1; RPC before llama.cpp
	 * PR #18626) */
	vdev_set_async(!r->no_pipeline);
	struct llama_context *ctx = llama_init_from_model(pl_model, r->cp);
	vdev_set_async(1);
	if (!ctx) {
		pl_reply_err("option", "llama.cpp %s refuses these context settings%s%s", ENG_TAG,
			     pl_last_error[0] ? ": " : "", pl_last_error);
		return;
	}
	struct pl_sums sums;
	if (pl_sum(ctx, &sums) < 0) {
		llama_free(ctx);
		return;
	}
	/* On a real GPU the pipeline-parallel compute buffers are allocated
	 * after the weights and the KV cache; when they do not fit, llama.cpp
	 * retries without pipeline parallelism (llama_context::sched_reserve,
	 * src/llama-context.cpp l. 677-683, v0.5.0). In no_alloc nothing
	 * fails, so the retry is made here: the same context with the virtual
	 * GPUs' async caps off, which is what disables it. */
	int over = pl_copies > 1 ? pl_pp_overflow(r, &sums) : -1;
	if (over >= 0) {
		llama_free(ctx);
		vdev_set_async(0);
		pl_copies = 1;
		ctx = llama_init_from_model(pl_model, r->cp);
		vdev_set_async(1);
		if (!ctx || pl_sum(ctx, &sums) < 0) {
			if (!ctx)
				pl_reply_err("engine", "llama.cpp %s: the retry without pipeline parallelism failed", ENG_TAG);
			else
				llama_free(ctx);
			return;
		}
		char note[256];
		snprintf(note, sizeof(note), "the pipeline-parallel compute buffers do not fit on %s: llama.cpp "
			 "retries without pipeline parallelism (planned so)", ggml_backend_dev_name(vdev_get(over)));
		fputs("log", stdout);
		engwire_put(stdout, "level", "warn");
		engwire_put(stdout, "text", note);
		fputc('\n', stdout);
	}
	/* llama-server loads the projector after the text model and its
	 * context (tools/server/server-context.cpp l. 1099 and 1162, v0.5.0),
	 * on clip's device (proj.h) */
	struct proj_plan pp;
	if (r->mmproj && pl_projector(r, &pp) < 0) {
		llama_free(ctx);
		return;
	}
	if (r->mmproj)
		pl_report_proj(r, &pp);
	pl_report(r, ctx, &sums, reused);
	llama_free(ctx);
}

int main(int argc, char **argv)
{
	(void)argc, (void)argv;
	/* Loading a model allocates vectors of a few MB (a 128k-token
	 * vocabulary's entries) among a few hundred thousand small strings.
	 * Above glibc's default threshold (128 KiB, then moving) each vector
	 * is mmapped on its own and faulted in 4 KiB at a time; from the heap
	 * it takes huge pages where vramsim asked for them (engine.c,
	 * tunables()), and a heap kept between loads (--fit loads the model
	 * once per probe) is not faulted in again. mallopt(3). */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 512 << 20);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	pl_debug = getenv("VRAMSIM_ENGINE_DEBUG") != NULL;
	llama_log_set(pl_log, NULL);
	proj_init();
	/* The prebuilt CPU backend comes as one library per CPU generation,
	 * beside the planner's own libraries; ggml picks the best. */
	char dir[4096];
	ssize_t dn = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	const char *libdir = getenv("VRAMSIM_ENGINE_LIB");
	if (!libdir && dn > 0) {
		dir[dn] = '\0';
		char *slash = strrchr(dir, '/');
		if (slash)
			snprintf(slash, sizeof(dir) - (size_t)(slash - dir), "/lib");
		libdir = dir;
	}
	int variants_kept = 0, selfcheck_kept = 0;
	backends_load(libdir, &variants_kept);
	const char *want = ENG_TAG + 1; /* "v0.5.0" -> "0.5.0" */
	const char *have = llama_version();
	if (strncmp(have, want, strlen(want)) != 0 || (have[strlen(want)] && have[strlen(want)] != '-')) {
		printf("refused text=llama.cpp%%20library%%20%s%%20is%%20not%%20%s\n", have, ENG_TAG);
		return 3;
	}
	if (!ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU)) {
		printf("refused text=no%%20CPU%%20backend%%20in%%20%s\n", libdir ? libdir : "the library path");
		return 3;
	}
	vdev_register();
	llama_backend_init();
	char why[512];
	if (selfcheck_verdict(libdir ? libdir : "", &selfcheck_kept, why, sizeof(why)) < 0) {
		fputs("refused", stdout);
		engwire_put(stdout, "text", why);
		fputc('\n', stdout);
		return 3;
	}
	memset(pl_layers, 0, sizeof(pl_layers));
	pl_copies = 1;
	fputs("ready", stdout);
	engwire_put(stdout, "engine", "llama.cpp");
	engwire_put(stdout, "tag", ENG_TAG);
	engwire_put(stdout, "llama", have);
	engwire_put(stdout, "ggml", ggml_version());
	engwire_put(stdout, "commit", ggml_commit());
	engwire_putf(stdout, "maxdev", "%d", VDEV_MAX);
	engwire_put(stdout, "backends", vdev_rules_names());
	/* what this start took from the start-up cache (stamp.h) */
	engwire_put(stdout, "variants", variants_kept ? "kept" : "scored");
	engwire_put(stdout, "selfcheck", selfcheck_kept ? "kept" : "run");
	fputc('\n', stdout);
	fflush(stdout);

	static char line[1 << 16];
	while (fgets(line, sizeof(line), stdin)) {
		char *verb;
		struct engwire_kv kv[ENGWIRE_MAX_FIELDS];
		int n = engwire_split(line, &verb, kv, ENGWIRE_MAX_FIELDS);
		if (n < 0) {
			pl_reply_err("option", "malformed request line");
			continue;
		}
		if (!strcmp(verb, "quit"))
			break;
		if (strcmp(verb, "plan") && strcmp(verb, "fit") && strcmp(verb, "cpu") && strcmp(verb, "real")) {
			pl_reply_err("option", "unknown request %s", verb);
			continue;
		}
		static struct pl_req req;
		memset(&req, 0, sizeof(req));
		snprintf(req.verb, sizeof(req.verb), "%s", verb);
		if (pl_params(&req, kv, n) == 0)
			pl_handle(&req);
		fflush(stdout);
	}
	/* The process ends here: nothing is freed (a loaded 128k-token
	 * vocabulary alone takes tens of milliseconds to tear down), the
	 * libraries' exit handlers do not run. */
	fflush(stdout);
	_exit(0);
}
