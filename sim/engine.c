/*
 * engine.c - vramsim's client of the engine planner process (see engine.h
 * for what it plans, sim/engine/planner.c for the other end and
 * sim/engwire.h for the protocol).
 */
#include "engine.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engwire.h"
#include "util.h"

extern char **environ;

#define ENG_MEMO 8

struct eng {
	char *planner;   /* path of vramsim-engine */
	char *libdir;    /* --engine-lib, or NULL */
	pid_t pid;
	FILE *to, *from;
	FILE *err;       /* the planner's stderr: ggml's assertion messages */
	char describe[256];
	char *line;
	size_t line_cap;
	char **log;      /* warnings and errors of the request in flight */
	int n_log;
	size_t log_cap;
	/* the last plans answered, each with its request and the model
	 * file's identity: asked again, answered without the planner */
	char *memo_req[ENG_MEMO];
	struct eng_plan memo[ENG_MEMO];
	int memo_next;
};

void eng_req_init(struct eng_req *r)
{
	memset(r, 0, sizeof(*r));
	r->n_gpu_layers = ENG_UNSET;
	r->main_gpu = ENG_UNSET;
}

static int executable(const char *p)
{
	return access(p, X_OK) == 0;
}

/* $VRAMSIM_ENGINE, beside the binary, one folder up (sanitizer builds
 * live in build-*), the install directory. */
static char *find_planner(void)
{
	const char *env = getenv("VRAMSIM_ENGINE");
	if (env && *env)
		return executable(env) ? util_xstrdup(env) : NULL;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			static const char *const rel[] = { "/build/engine/vramsim-engine", "/../build/engine/vramsim-engine",
							   "/engine/vramsim-engine" };
			for (size_t i = 0; i < UTIL_ARRAY_SIZE(rel); i++) {
				char *p = util_xasprintf("%s%s", exe, rel[i]);
				if (executable(p))
					return p;
				free(p);
			}
		}
	}
#ifdef VRAMSIM_LIBDIR
	char *p = util_xasprintf("%s/vramsim/vramsim-engine", VRAMSIM_LIBDIR);
	if (executable(p))
		return p;
	free(p);
#endif
	return NULL;
}

/* Write to the planner with SIGPIPE ignored (a planner that died must not
 * kill vramsim), then restore the caller's disposition: `vramsim plan |
 * head` still ends quietly. */
typedef void (*sig_fn)(int);

static sig_fn pipe_guard(void)
{
	return signal(SIGPIPE, SIG_IGN);
}

static void pipe_unguard(sig_fn old)
{
	signal(SIGPIPE, old);
}

/*
 * Planners killed but not yet reaped. The kernel takes a few to ~15 ms to
 * tear down a planner that held a 70B model; nothing waits for that: each
 * is reaped (by its own pid) when it is gone, at a later start or stop,
 * or by init once vramsim has exited.
 */
static pid_t dying[32];
static int n_dying;

static void reap_dying(void)
{
	int st;
	for (int i = 0; i < n_dying;)
		if (waitpid(dying[i], &st, WNOHANG) != 0)
			dying[i] = dying[--n_dying];
		else
			i++;
}

static void stop(struct eng *e)
{
	if (e->to)
		fclose(e->to);
	if (e->from)
		fclose(e->from);
	if (e->err)
		fclose(e->err);
	e->to = e->from = e->err = NULL;
	if (e->pid > 0) {
		int st;
		if (waitpid(e->pid, &st, WNOHANG) == 0) {
			kill(e->pid, SIGKILL);
			reap_dying();
			if (waitpid(e->pid, &st, WNOHANG) == 0) {
				if (n_dying < (int)UTIL_ARRAY_SIZE(dying))
					dying[n_dying++] = e->pid;
				else
					waitpid(e->pid, &st, 0);
			}
		}
	}
	e->pid = 0;
}

static void log_clear(struct eng *e)
{
	for (int i = 0; i < e->n_log; i++)
		free(e->log[i]);
	e->n_log = 0;
}

/* Read one line; NULL at EOF (the planner ended). */
static char *readline(struct eng *e)
{
	ssize_t n = getline(&e->line, &e->line_cap, e->from);
	return n < 0 ? NULL : e->line;
}

/* The last line of the planner's stderr that says something (ggml's
 * "file:line: GGML_ASSERT(...) failed"), or NULL; malloc'd. */
static char *last_err_line(struct eng *e)
{
	if (!e->err || fflush(e->err) != 0 || fseek(e->err, 0, SEEK_END) != 0)
		return NULL;
	long end = ftell(e->err), from = end > 2048 ? end - 2048 : 0;
	char buf[2049];
	if (end <= 0 || fseek(e->err, from, SEEK_SET) != 0)
		return NULL;
	size_t n = fread(buf, 1, sizeof(buf) - 1, e->err);
	buf[n] = '\0';
	char *best = NULL;
	for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (strstr(l, "GGML_ASSERT") || strstr(l, "error") || strstr(l, "terminate") || !best)
			best = l;
	return best ? util_xstrdup(best) : NULL;
}

/* How the planner ended, for a message. */
static char *death(struct eng *e)
{
	int st = 0;
	char *why;
	if (e->pid > 0 && waitpid(e->pid, &st, 0) == e->pid) {
		e->pid = 0;
		if (WIFSIGNALED(st))
			why = util_xasprintf("killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
		else
			why = util_xasprintf("exited with status %d", WEXITSTATUS(st));
	} else {
		why = util_xstrdup("closed its output");
	}
	char *words = last_err_line(e);
	char *last = words ? util_xasprintf(": %s", words)
		     : e->n_log ? util_xasprintf("; its last words: %s", e->log[e->n_log - 1]) : util_xstrdup("");
	char *msg = util_xasprintf("the llama.cpp engine planner %s%s", why, last);
	free(words);
	free(why);
	free(last);
	return msg;
}

/*
 * The planner's glibc tunables: the caller's, plus transparent huge pages
 * for malloc's heap (glibc.malloc.hugetlb=1, glibc >= 2.35: madvise
 * MADV_HUGEPAGE on the heap; the glibc manual, "Memory Allocation
 * Tunables"). Loading a model builds a few hundred thousand small objects
 * (the vocabulary, the GGUF metadata): with 4 KiB pages, faulting that
 * heap in was a third of a 70B plan's time on a virtual machine. Where
 * huge pages are off ("never"), or glibc is older, the setting does
 * nothing (glibc ignores tunables it does not know); a caller's own
 * hugetlb setting is kept. Never NULL; malloc'd.
 */
static char *tunables(void)
{
	const char *old = getenv("GLIBC_TUNABLES");
	if (old && strstr(old, "glibc.malloc.hugetlb="))
		return util_xasprintf("GLIBC_TUNABLES=%s", old);
	return util_xasprintf("GLIBC_TUNABLES=%s%sglibc.malloc.hugetlb=1", old && *old ? old : "", old && *old ? ":" : "");
}

static int start(struct eng *e, char **cause)
{
	reap_dying();
	int in[2], out[2];
	if (pipe(in) < 0 || pipe(out) < 0)
		return util_err(cause, UTIL_ERR, "engine: pipe: %s", strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	/* The engine's stderr (ggml's assertions) goes to a file read on its
	 * death; no debugger backtrace (ggml would run gdb). */
	e->err = tmpfile();
	if (e->err)
		posix_spawn_file_actions_adddup2(&fa, fileno(e->err), 2);
	else
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 0, 0);
	char *extra[4] = { util_xstrdup("GGML_NO_BACKTRACE=1"), NULL, NULL, tunables() };
	if (e->libdir) {
		/* Another build of the same ABI: its libraries first, and its CPU
		 * backend variants. */
		const char *old = getenv("LD_LIBRARY_PATH");
		extra[1] = util_xasprintf("LD_LIBRARY_PATH=%s%s%s", e->libdir, old && *old ? ":" : "", old ? old : "");
		extra[2] = util_xasprintf("VRAMSIM_ENGINE_LIB=%s", e->libdir);
	}
	size_t n_env = 0;
	while (environ[n_env])
		n_env++;
	char **env = util_xcalloc(n_env + 5, sizeof(*env));
	size_t k = 0;
	for (size_t i = 0; i < n_env; i++)
		if (!(e->libdir && (!strncmp(environ[i], "LD_LIBRARY_PATH=", 16) ||
				    !strncmp(environ[i], "VRAMSIM_ENGINE_LIB=", 19))) &&
		    strncmp(environ[i], "GGML_NO_BACKTRACE=", 18) && strncmp(environ[i], "GLIBC_TUNABLES=", 15))
			env[k++] = environ[i];
	for (int i = 0; i < 4; i++)
		if (extra[i])
			env[k++] = extra[i];
	char *argv[] = { e->planner, NULL };
	int rc = posix_spawn(&e->pid, e->planner, &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	for (int i = 0; i < 4; i++)
		free(extra[i]);
	close(in[0]);
	close(out[1]);
	if (rc != 0) {
		close(in[1]);
		close(out[0]);
		e->pid = 0;
		return util_err(cause, UTIL_ERR, "cannot start the engine planner %s: %s", e->planner, strerror(rc));
	}
	e->to = fdopen(in[1], "w");
	e->from = fdopen(out[0], "r");
	if (!e->to || !e->from)
		return util_err(cause, UTIL_ERR, "engine: fdopen: %s", strerror(errno));
	char *l = readline(e);
	char *verb;
	struct engwire_kv kv[ENGWIRE_MAX_FIELDS];
	int n = l ? engwire_split(l, &verb, kv, ENGWIRE_MAX_FIELDS) : -1;
	if (n >= 0 && strcmp(verb, "refused") == 0) {
		const char *t = engwire_get(kv, n, "text");
		rc = util_err(cause, UTIL_ERR, "engine refused%s%s: %s", e->libdir ? " --engine-lib " : "",
			      e->libdir ? e->libdir : "", t ? t : "?");
		stop(e);
		return rc;
	}
	if (n < 0 || strcmp(verb, "ready") != 0) {
		char *d = death(e);
		rc = util_err(cause, UTIL_ERR, "%s before it was ready%s%s%s", d,
			      e->libdir ? " (is " : "", e->libdir ? e->libdir : "",
			      e->libdir ? " a llama.cpp build of the same version, with the same library names?)" : "");
		free(d);
		stop(e);
		return rc;
	}
	const char *tag = engwire_get(kv, n, "tag"), *ll = engwire_get(kv, n, "llama"),
		   *gg = engwire_get(kv, n, "ggml"), *cm = engwire_get(kv, n, "commit");
	snprintf(e->describe, sizeof(e->describe), "llama.cpp %s (libllama %s, ggml %s %s%s%s)", tag ? tag : "?",
		 ll ? ll : "?", gg ? gg : "?", cm ? cm : "?", e->libdir ? ", from " : "", e->libdir ? e->libdir : "");
	return 0;
}

struct eng *eng_open(const char *libdir, char **cause)
{
	char *planner = find_planner();
	if (!planner) {
		util_err(cause, UTIL_ERR, "no llama.cpp engine planner (built with ENGINE=none, or not found: "
			 "set VRAMSIM_ENGINE to build/engine/vramsim-engine)");
		return NULL;
	}
	struct eng *e = util_xcalloc(1, sizeof(*e));
	e->planner = planner;
	e->libdir = libdir ? util_xstrdup(libdir) : NULL;
	if (start(e, cause) < 0) {
		eng_close(e);
		return NULL;
	}
	return e;
}

int eng_backend_known(const char *name)
{
	size_t n = strlen(name);
	for (const char *w = ENG_BACKENDS; *w; w += strcspn(w, " "), w += *w == ' ') {
		if (n && strncmp(w, name, n) == 0 && (w[n] == ' ' || !w[n]))
			return 1;
	}
	return 0;
}

const char *eng_describe(const struct eng *e)
{
	return e->describe;
}

static void memo_drop(struct eng *e)
{
	for (int i = 0; i < ENG_MEMO; i++) {
		free(e->memo_req[i]);
		e->memo_req[i] = NULL;
		eng_plan_free(&e->memo[i]);
	}
}

void eng_close(struct eng *e)
{
	if (!e)
		return;
	if (e->to) {
		sig_fn old = pipe_guard();
		fputs("quit\n", e->to);
		fflush(e->to);
		pipe_unguard(old);
	}
	stop(e);
	memo_drop(e);
	log_clear(e);
	free(e->log);
	free(e->line);
	free(e->planner);
	free(e->libdir);
	free(e);
}

/* ------------------------------------------------------------ requests */

/* A deep copy of p (its notes duplicated). */
static void plan_copy(struct eng_plan *to, const struct eng_plan *p)
{
	*to = *p;
	to->notes = p->n_notes ? util_xcalloc((size_t)p->n_notes, sizeof(*to->notes)) : NULL;
	for (int i = 0; i < p->n_notes; i++)
		to->notes[i] = util_xstrdup(p->notes[i]);
}

static void put_req(FILE *f, const char *verb, const struct eng_req *r)
{
	fputs(verb, f);
	engwire_put(f, "model", r->model);
	if (r->mmproj)
		engwire_put(f, "mmproj", r->mmproj);
	if (r->backend)
		engwire_put(f, "backend", r->backend);
	engwire_putf(f, "gpus", "%d", r->n_gpus);
	for (int i = 0; i < r->n_gpus && i < ENG_MAX_GPUS; i++) {
		char k[16];
		snprintf(k, sizeof(k), "mem%d", i);
		engwire_putf(f, k, "%llu", (unsigned long long)r->mem[i]);
		if (r->free_mem[i]) {
			snprintf(k, sizeof(k), "free%d", i);
			engwire_putf(f, k, "%llu", (unsigned long long)r->free_mem[i]);
		}
	}
	if (r->ctx)
		engwire_putf(f, "ctx", "%u", r->ctx);
	if (r->batch)
		engwire_putf(f, "batch", "%u", r->batch);
	if (r->ubatch)
		engwire_putf(f, "ubatch", "%u", r->ubatch);
	if (r->parallel)
		engwire_putf(f, "parallel", "%u", r->parallel);
	if (r->flash_attn)
		engwire_put(f, "fa", r->flash_attn);
	if (r->type_k)
		engwire_put(f, "ctk", r->type_k);
	if (r->type_v)
		engwire_put(f, "ctv", r->type_v);
	if (r->n_gpu_layers != ENG_UNSET)
		engwire_putf(f, "ngl", "%d", r->n_gpu_layers);
	if (r->split_mode)
		engwire_put(f, "split_mode", r->split_mode);
	if (r->main_gpu != ENG_UNSET)
		engwire_putf(f, "main_gpu", "%d", r->main_gpu);
	char buf[512];
	size_t k = 0;
	for (int i = 0; i < r->n_split && i < ENG_MAX_GPUS && k < sizeof(buf); i++)
		k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%g", i ? "," : "", (double)r->split[i]);
	if (r->n_split)
		engwire_put(f, "split", buf);
	k = 0;
	for (int i = 0; i < r->n_ollama && i < ENG_MAX_GPUS && k < sizeof(buf); i++)
		k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%d", i ? "," : "", r->ollama_layers[i]);
	if (r->n_ollama)
		engwire_put(f, "ollama_layers", buf);
	for (int i = 0; i < r->n_ot && i < ENG_MAX_OT; i++)
		engwire_put(f, "ot", r->ot[i]);
	if (r->cpu_moe)
		engwire_put(f, "cpu_moe", "1");
	if (r->n_cpu_moe)
		engwire_putf(f, "n_cpu_moe", "%d", r->n_cpu_moe);
	if (r->no_kv_offload)
		engwire_put(f, "no_kv_offload", "1");
	if (r->no_op_offload)
		engwire_put(f, "no_op_offload", "1");
	if (r->swa_full)
		engwire_put(f, "swa_full", "1");
	if (r->kv_unified)
		engwire_put(f, "kv_unified", "1");
	if (r->no_pipeline)
		engwire_put(f, "no_pipeline", "1");
	if (r->fit_margin)
		engwire_putf(f, "margin", "%llu", (unsigned long long)r->fit_margin);
	if (r->fit_min_ctx)
		engwire_putf(f, "fit_min_ctx", "%u", r->fit_min_ctx);
	fputc('\n', f);
	fflush(f);
}

static uint64_t num(const struct engwire_kv *kv, int n, const char *key)
{
	const char *v = engwire_get(kv, n, key);
	return v ? strtoull(v, NULL, 10) : 0;
}

static void read_dev(struct eng_dev *d, const struct engwire_kv *kv, int n)
{
	const char *name = engwire_get(kv, n, "name");
	snprintf(d->name, sizeof(d->name), "%s", name ? name : "?");
	d->weights = num(kv, n, "weights");
	d->kv = num(kv, n, "kv");
	d->compute = num(kv, n, "compute");
	d->output = num(kv, n, "output");
	d->layers = (int)num(kv, n, "layers");
}

static void split_list(const char *s, float *out, int *n)
{
	*n = 0;
	while (s && *s && *n < ENG_MAX_GPUS) {
		char *end;
		out[(*n)++] = strtof(s, &end);
		s = *end == ',' ? end + 1 : NULL;
	}
}

/* Send one request and read its answer up to "done" or "error". */
static int request(struct eng *e, const char *verb, const struct eng_req *r, struct eng_fit *fit,
		   struct eng_plan *out, char **cause)
{
	memset(out, 0, sizeof(*out));
	if (fit)
		memset(fit, 0, sizeof(*fit));
	if (!r->model)
		return util_err(cause, UTIL_EINPUT, "engine: no model to plan");
	if (r->n_gpus < 0 || r->n_gpus > ENG_MAX_GPUS)
		return util_err(cause, UTIL_EINPUT, "%d GPUs: llama.cpp plans at most %d devices (llama_max_devices)",
				r->n_gpus, ENG_MAX_GPUS);
	/* The request as sent, with the model file's identity: the planner
	 * is deterministic, so the same text for the same file gets the same
	 * plan (a replay asks for its scenario twice, around its baseline). */
	char *text = NULL;
	size_t text_len = 0;
	FILE *mem = open_memstream(&text, &text_len);
	if (!mem)
		return util_err(cause, UTIL_ERR, "engine: open_memstream: %s", strerror(errno));
	put_req(mem, verb, r);
	struct stat st;
	if (stat(r->model, &st) == 0)
		fprintf(mem, "%llu %llu %lld %lld.%09ld\n", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
			(long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	if (fclose(mem) != 0)
		return util_err(cause, UTIL_ERR, "engine: out of memory");
	int memo_ok = !fit && (!strcmp(verb, "plan") || !strcmp(verb, "cpu"));
	for (int i = 0; memo_ok && i < ENG_MEMO; i++)
		if (e->memo_req[i] && !strcmp(text, e->memo_req[i])) {
			free(text);
			plan_copy(out, &e->memo[i]);
			out->memo = 1;
			out->reused = 1; /* nothing was loaded */
			return 0;
		}
	if (!e->to && start(e, cause) < 0) {
		free(text);
		return UTIL_ERR;
	}
	log_clear(e);
	sig_fn old = pipe_guard();
	/* the request line only, not the identity line after it */
	fwrite(text, 1, strcspn(text, "\n") + 1, e->to);
	fflush(e->to);
	pipe_unguard(old);
	for (char *l; (l = readline(e));) {
		char *v;
		struct engwire_kv kv[ENGWIRE_MAX_FIELDS];
		int n = engwire_split(l, &v, kv, ENGWIRE_MAX_FIELDS);
		if (n < 0)
			continue;
		if (!strcmp(v, "log")) {
			const char *t = engwire_get(kv, n, "text");
			UTIL_GROW(e->log, (size_t)e->n_log + 1, e->log_cap);
			e->log[e->n_log++] = util_xstrdup(t ? t : "");
		} else if (!strcmp(v, "dev")) {
			int i = (int)num(kv, n, "i");
			if (i >= 0 && i < ENG_MAX_GPUS) {
				read_dev(&out->gpu[i], kv, n);
				if (i + 1 > out->n_gpus)
					out->n_gpus = i + 1;
			}
		} else if (!strcmp(v, "host")) {
			read_dev(&out->host, kv, n);
		} else if (!strcmp(v, "mmproj")) {
			const char *dev = engwire_get(kv, n, "dev"), *fa = engwire_get(kv, n, "fa");
			out->proj.planned = 1;
			out->proj.dev = dev ? atoi(dev) : -1;
			out->proj.weights = num(kv, n, "weights");
			out->proj.counted = num(kv, n, "counted");
			for (int i = 0; i < ENG_MAX_GPUS; i++) {
				char k[24];
				snprintf(k, sizeof(k), "compute%d", i);
				out->proj.compute[i] = num(kv, n, k);
			}
			out->proj.host_compute = num(kv, n, "host_compute");
			out->proj.flash_attn = fa ? atoi(fa) : -1;
		} else if (!strcmp(v, "info")) {
			out->n_ctx = (uint32_t)num(kv, n, "n_ctx");
			out->n_seq = (uint32_t)num(kv, n, "n_seq");
			out->n_batch = (uint32_t)num(kv, n, "n_batch");
			out->n_ubatch = (uint32_t)num(kv, n, "n_ubatch");
			out->copies = (int)num(kv, n, "copies");
			out->n_layer = (int)num(kv, n, "n_layer");
			out->model_size = num(kv, n, "model_size");
			out->reused = (int)num(kv, n, "reused");
			out->peak_rss = num(kv, n, "peak_rss");
			out->cpu_us = num(kv, n, "cpu_us");
		} else if (!strcmp(v, "fit") && fit) {
			const char *ngl = engwire_get(kv, n, "ngl");
			fit->status = (int)num(kv, n, "status");
			fit->n_gpu_layers = ngl ? atoi(ngl) : -1;
			fit->ctx = (uint32_t)num(kv, n, "ctx");
			split_list(engwire_get(kv, n, "split"), fit->split, &fit->n_split);
			for (int i = 0; i < n; i++)
				if (!strcmp(kv[i].key, "ot")) {
					fit->ot = util_xrealloc(fit->ot, sizeof(*fit->ot) * (size_t)(fit->n_ot + 1));
					fit->ot[fit->n_ot++] = util_xstrdup(kv[i].val);
				}
		} else if (!strcmp(v, "done")) {
			out->notes = e->log;
			out->n_notes = e->n_log;
			e->log = NULL;
			e->n_log = 0;
			e->log_cap = 0;
			if (memo_ok) {
				int m = e->memo_next;
				e->memo_next = (m + 1) % ENG_MEMO;
				free(e->memo_req[m]);
				eng_plan_free(&e->memo[m]);
				e->memo_req[m] = text;
				plan_copy(&e->memo[m], out);
			} else {
				free(text);
			}
			return 0;
		} else if (!strcmp(v, "error")) {
			free(text);
			const char *t = engwire_get(kv, n, "text");
			return util_err(cause, UTIL_EINPUT, "%s", t ? t : "the engine refused the request");
		}
	}
	free(text);
	/* llama.cpp aborts on some models it cannot plan (an assertion on
	 * their hyper-parameters): the input must change, so an input error
	 * naming the file. The planner restarts with the next request. */
	char *d = death(e);
	int rc = util_err(cause, UTIL_EINPUT, "%s while planning %s", d, r->model);
	free(d);
	stop(e);
	return rc;
}

int eng_plan(struct eng *e, const struct eng_req *r, struct eng_plan *out, char **cause)
{
	return request(e, "plan", r, NULL, out, cause);
}

int eng_plan_cpu(struct eng *e, const struct eng_req *r, struct eng_plan *out, char **cause)
{
	return request(e, "cpu", r, NULL, out, cause);
}

int eng_plan_real_cpu(struct eng *e, const struct eng_req *r, struct eng_plan *out, char **cause)
{
	return request(e, "real", r, NULL, out, cause);
}

int eng_fit(struct eng *e, const struct eng_req *r, struct eng_fit *fit, struct eng_plan *out, char **cause)
{
	return request(e, "fit", r, fit, out, cause);
}

void eng_plan_free(struct eng_plan *p)
{
	for (int i = 0; i < p->n_notes; i++)
		free(p->notes[i]);
	free(p->notes);
	p->notes = NULL;
	p->n_notes = 0;
}

void eng_fit_free(struct eng_fit *f)
{
	for (int i = 0; i < f->n_ot; i++)
		free(f->ot[i]);
	free(f->ot);
	f->ot = NULL;
	f->n_ot = 0;
}
