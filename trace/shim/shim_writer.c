/*
 * shim_writer.c - where records go: per-thread buffers, the background
 * writer thread, zstd frames and the output file; fork, exec and exit.
 *
 * Hot path: a thread encodes into its own buffer under its own tiny lock
 * (contended only while the writer copies the buffer out), so threads
 * never wait for each other. The clock is read while that lock is held:
 * the writer reads a watermark W before it sweeps the buffers, so every
 * record it misses is stamped after W. The frame that completes a sweep
 * carries W, and the importer may release every record older than W in
 * time order (see trace/FORMAT.md, "Ordering").
 *
 * Crash safety: the writer turns the buffers into independent zstd
 * frames (checksum + content size) every VRAMSIM_FLUSH_MS (250 ms) or
 * when a buffer passes 48 KiB, and synchronously on out-of-memory, before
 * fork and exec, and at exit. A crash, _exit or SIGKILL loses at most
 * what was recorded since the last flush. No signal handler is installed.
 */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#define TLS_IE __attribute__((tls_model("initial-exec")))

#define TBUF_CAP   (64 * 1024)               /* one thread's pending records */
#define TBUF_WAKE  (48 * 1024)               /* wake the writer from here on */
#define FRAME_CAP  (VRT_FRAME_TARGET + TBUF_CAP + 256)

struct tbuf {
	atomic_int lock;
	int32_t tid;
	int retired;          /* its thread has exited (freed once empty) */
	uint64_t nev;         /* events in enc not yet handed to the writer */
	struct vrt_enc enc;
	struct tbuf *next;
	uint8_t data[TBUF_CAP];
};

static atomic_int g_state;                   /* enum shim_state_e */
static atomic_int cfg_ready;
static atomic_uint g_warned;
static atomic_ullong g_lost;
static atomic_int w_wake;
static __thread struct tbuf *t_buf TLS_IE;
static __thread int t_guard TLS_IE;
static __thread int32_t t_tid TLS_IE;

static struct {
	char pattern[4096];        /* absolute VRAMSIM_OUT pattern */
	char session[VRT_KEY_MAX];
	int flush_ms, snap_ms, level;
	int64_t mono_start, real_start;
	long start_unix;
	int32_t pid, ppid;
} cfg;
static pthread_once_t cfg_once = PTHREAD_ONCE_INIT;
static pthread_key_t t_key;

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct tbuf *reg_head;

/* The writer's state: everything here is guarded by W.mu. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd;
	int thread_on;
	int ended;                 /* END written, file closed */
	uint64_t frame_no, events;
	int64_t watermark;
	ZSTD_CCtx *cc;
	uint8_t *stage;            /* chunks swept from the thread buffers */
	size_t stage_len, stage_cap;
	size_t *chunk;             /* offsets of the chunks in stage */
	size_t nchunk, chunk_cap;
	uint8_t *frame;            /* one frame's raw bytes */
	uint8_t *zbuf;             /* its compressed form */
	size_t zcap;
	char path[4096];
} W = { .mu = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

static struct vrt_header hdr;  /* big (cmdline): static, used under W.mu */

/* ---- small helpers ---- */

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int32_t my_tid(void)
{
	if (!t_tid)
		t_tid = (int32_t)syscall(SYS_gettid);
	return t_tid;
}

void shim_warn_once(unsigned key, const char *fmt, ...)
{
	if (atomic_fetch_or(&g_warned, key) & key)
		return;
	char buf[600];
	int n = snprintf(buf, sizeof(buf), "vramsim: warning: ");
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	int e = errno;
	ssize_t w = write(2, buf, (size_t)n);
	(void)w;
	errno = e;
}

static void tb_lock(struct tbuf *b)
{
	while (atomic_exchange_explicit(&b->lock, 1, memory_order_acquire))
		while (atomic_load_explicit(&b->lock, memory_order_relaxed))
			sched_yield();
}

static void tb_unlock(struct tbuf *b)
{
	atomic_store_explicit(&b->lock, 0, memory_order_release);
}

static int env_int(const char *name, int def, int lo, int hi)
{
	const char *s = getenv(name);
	if (!s || !*s)
		return def;
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi)
		return def;
	return (int)v;
}

/* ---- configuration, fork and thread-exit hooks ---- */

static void fork_prepare(void);
static void fork_parent(void);
static void fork_child(void);

static void thread_gone(void *p)
{
	/* Runs in the exiting thread: hand the buffer to the writer, which
	 * frees it once swept. A later record of this thread (another TLS
	 * destructor freeing memory) starts a fresh buffer. */
	struct tbuf *b = p;
	tb_lock(b);
	b->retired = 1;
	tb_unlock(b);
	t_buf = NULL;
}

static void init_cond(void)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&W.cv, &ca);
	pthread_condattr_destroy(&ca);
}

static void config_load(void)
{
	cfg.pid = (int32_t)getpid();
	cfg.ppid = (int32_t)getppid();
	cfg.mono_start = mono_ns();
	cfg.real_start = real_ns();
	cfg.start_unix = (long)time(NULL);
	const char *out = getenv("VRAMSIM_OUT");
	if (!out || !*out)
		out = "vramsim.%e.%p.vrt.zst";
	/* Absolute now: the program may chdir before its first flush. */
	char cwd[2048];
	if (out[0] != '/' && getcwd(cwd, sizeof(cwd)))
		snprintf(cfg.pattern, sizeof(cfg.pattern), "%s/%s", cwd, out);
	else
		snprintf(cfg.pattern, sizeof(cfg.pattern), "%s", out);
	const char *ses = getenv("VRAMSIM_SESSION");
	snprintf(cfg.session, sizeof(cfg.session), "%s", ses ? ses : "");
	cfg.flush_ms = env_int("VRAMSIM_FLUSH_MS", 250, 1, 60000);
	cfg.snap_ms = env_int("VRAMSIM_SNAPSHOT_MS", 1000, 0, 3600000);
	cfg.level = env_int("VRAMSIM_ZSTD_LEVEL", 3, 1, 19);
	const char *dis = getenv("VRAMSIM_DISABLE");
	/* A setuid/setgid program is not traced (AT_SECURE), nor one whose
	 * user asked. */
	if (getauxval(AT_SECURE) || (dis && *dis && strcmp(dis, "0") != 0))
		atomic_store(&g_state, SHIM_OFF);
	init_cond();
	pthread_key_create(&t_key, thread_gone);
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	atomic_store(&cfg_ready, 1);
}

void shim_config_init(void)
{
	pthread_once(&cfg_once, config_load);
}

__attribute__((constructor)) static void shim_ctor(void)
{
	shim_config_init();
}

int shim_enter(void)
{
	if (t_guard)
		return 0;
	if (!atomic_load_explicit(&cfg_ready, memory_order_acquire))
		shim_config_init();
	if (atomic_load_explicit(&g_state, memory_order_relaxed) >= SHIM_OFF)
		return 0;
	t_guard = 1;
	return 1;
}

void shim_leave(void)
{
	t_guard = 0;
}

/* ---- the output file ---- */

static void put_clean(char **o, char *end, const char *s)
{
	for (; *s && *o < end; s++) {
		char c = *s;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '+' || c == '-';
		*(*o)++ = ok ? c : '_';
	}
}

/*
 * Expand the pattern: %p pid, %e executable name, %h host, %t start time
 * (Unix seconds), %% a percent sign. A pattern without %p gets ".%p"
 * before its ".vrt.zst" (or at its end), so processes never share a
 * file; try > 1 inserts "-<try>" at the same place (a name already taken
 * by an earlier image of the same pid, after exec).
 */
static int expand_path(char *out, size_t cap, int try)
{
	const char *pat = cfg.pattern;
	size_t plen = strlen(pat);
	const char *suffix = ".vrt.zst";
	size_t slen = strlen(suffix);
	size_t cut = plen >= slen && strcmp(pat + plen - slen, suffix) == 0 ? plen - slen : plen;
	int has_pid = strstr(pat, "%p") != NULL;
	const char *slash = strrchr(hdr.exe, '/');
	const char *exe = slash ? slash + 1 : hdr.exe, *host = hdr.hostname;
	char *o = out, *end = out + cap - 1;
	char num[32];
	for (size_t i = 0; i <= plen && o < end; i++) {
		if (i == cut) {
			if (!has_pid) {
				snprintf(num, sizeof(num), ".%d", (int)cfg.pid);
				put_clean(&o, end, num);
			}
			if (try > 1) {
				snprintf(num, sizeof(num), "-%d", try);
				put_clean(&o, end, num);
			}
		}
		if (i == plen)
			break;
		if (pat[i] != '%' || i + 1 >= plen) {
			*o++ = pat[i];
			continue;
		}
		char c = pat[++i];
		switch (c) {
		case 'p': snprintf(num, sizeof(num), "%d", (int)cfg.pid); put_clean(&o, end, num); break;
		case 't': snprintf(num, sizeof(num), "%ld", cfg.start_unix); put_clean(&o, end, num); break;
		case 'e': put_clean(&o, end, exe[0] ? exe : "unknown"); break;
		case 'h': put_clean(&o, end, host[0] ? host : "localhost"); break;
		case '%': *o++ = '%'; break;
		default: if (o + 1 < end) { *o++ = '%'; *o++ = c; } break;
		}
	}
	*o = '\0';
	return o < end ? 0 : -1;
}

static void read_identity(void)
{
	memset(&hdr, 0, sizeof(hdr));
	hdr.pid = cfg.pid;
	hdr.ppid = cfg.ppid;
	hdr.mono_start_ns = cfg.mono_start;
	hdr.real_start_ns = cfg.real_start;
	snprintf(hdr.session, sizeof(hdr.session), "%s", cfg.session);
	snprintf(hdr.shim_version, sizeof(hdr.shim_version), "%s", SHIM_VERSION);
	if (gethostname(hdr.hostname, sizeof(hdr.hostname) - 1) != 0)
		hdr.hostname[0] = '\0';
	ssize_t n = readlink("/proc/self/exe", hdr.exe, sizeof(hdr.exe) - 1);
	hdr.exe[n > 0 ? n : 0] = '\0';
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		size_t got = 0;
		while (got < sizeof(hdr.cmdline) - 1) {
			ssize_t r = read(fd, hdr.cmdline + got, sizeof(hdr.cmdline) - 1 - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		close(fd);
		/* /proc ends every argument with a NUL; keep them as separators. */
		while (got > 0 && hdr.cmdline[got - 1] == '\0')
			got--;
		hdr.cmdline_len = got;
	}
}

/*
 * Write one frame without letting the traced program die of it: a write
 * past RLIMIT_FSIZE raises SIGXFSZ in the writing thread, whose default
 * action ends the process. Program threads write too (the header, and
 * flushes at exit, fork, exec, OOM), so block the signal around the
 * write and take back the one our write raised; the EFBIG then turns the
 * recording off with its one warning, like any other write error. A
 * SIGXFSZ that was pending before stays pending for the program.
 */
static int write_frame(size_t n)
{
	sigset_t xfsz, old, pending;
	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	pthread_sigmask(SIG_BLOCK, &xfsz, &old);
	sigpending(&pending);
	int had = sigismember(&pending, SIGXFSZ) == 1;
	int rc = vrt_write_frame(W.fd, W.cc, W.frame, n, W.zbuf, W.zcap);
	int e = errno;
	if (rc != 0 && e == EFBIG && !had) {
		struct timespec zero = { 0, 0 };
		while (sigtimedwait(&xfsz, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return rc;
}

static void go_off(const char *what)
{
	shim_warn_once(WARN_OUTPUT, "%s %s: %s; recording stops", what, W.path, strerror(errno));
	if (W.fd >= 0)
		close(W.fd);
	W.fd = -1;
	atomic_store(&g_state, SHIM_OFF);
}

/* Create the file and write the header frame (W.mu held). */
static int open_output(void)
{
	read_identity();
	int fd = -1;
	for (int try = 1; try < 100; try++) {
		if (expand_path(W.path, sizeof(W.path), try)) {
			errno = ENAMETOOLONG;
			break;
		}
		fd = open(W.path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		go_off("cannot create");
		return -1;
	}
	W.fd = fd;
	size_t n = vrt_header_encode(W.frame, FRAME_CAP, &hdr);
	if (n == 0 || write_frame(n) != 0) {
		go_off("cannot write");
		return -1;
	}
	return 0;
}

/* ---- sweeping buffers into frames (W.mu held) ---- */

static int stage_reserve(size_t more)
{
	if (W.stage_len + more <= W.stage_cap && W.nchunk < W.chunk_cap)
		return 0;
	if (W.stage_len + more > W.stage_cap) {
		size_t cap = W.stage_cap ? W.stage_cap * 2 : 4 * TBUF_CAP;
		while (cap < W.stage_len + more)
			cap *= 2;
		uint8_t *p = realloc(W.stage, cap);
		if (!p)
			return -1;
		W.stage = p;
		W.stage_cap = cap;
	}
	if (W.nchunk >= W.chunk_cap) {
		size_t cap = W.chunk_cap ? W.chunk_cap * 2 : 64;
		size_t *c = realloc(W.chunk, cap * sizeof(*c));
		if (!c)
			return -1;
		W.chunk = c;
		W.chunk_cap = cap;
	}
	return 0;
}

/* Move every thread's records into stage; returns the watermark. */
static int64_t sweep(void)
{
	W.stage_len = 0;
	W.nchunk = 0;
	int64_t wm = mono_ns() - cfg.mono_start;
	pthread_mutex_lock(&reg_mu);
	struct tbuf **pp = &reg_head;
	while (*pp) {
		struct tbuf *b = *pp;
		tb_lock(b);
		if (b->enc.len) {
			if (stage_reserve(VRT_HDR_PIECE_MAX + b->enc.len) == 0) {
				W.chunk[W.nchunk++] = W.stage_len;
				W.stage_len += vrt_put_chunk(W.stage + W.stage_len, b->tid,
							     b->enc.base_t, b->enc.len);
				memcpy(W.stage + W.stage_len, b->enc.buf, b->enc.len);
				W.stage_len += b->enc.len;
				W.events += b->nev;
			} else {
				atomic_fetch_add(&g_lost, b->nev);
			}
			b->enc.len = 0;
			b->nev = 0;
		}
		int dead = b->retired;
		tb_unlock(b);
		if (dead) {
			*pp = b->next;
			free(b);
			continue;
		}
		pp = &b->next;
	}
	pthread_mutex_unlock(&reg_mu);
	return wm;
}

/* Sweep and write; with final, end the file with END (reason). */
static void flush_locked(int final, int reason)
{
	if (atomic_load(&g_state) != SHIM_ACTIVE || W.ended)
		return;
	int64_t wm = sweep();
	if (W.nchunk == 0 && !final)
		return;
	size_t i = 0;
	do {
		/* Chunks [i, j) fill one frame of about VRT_FRAME_TARGET bytes. */
		size_t j = i, raw = VRT_HDR_PIECE_MAX;
		while (j < W.nchunk) {
			size_t end = j + 1 < W.nchunk ? W.chunk[j + 1] : W.stage_len;
			size_t sz = end - W.chunk[j];
			if (j > i && raw + sz > VRT_FRAME_TARGET)
				break;
			raw += sz;
			j++;
		}
		int last = j == W.nchunk;
		size_t n = vrt_put_frame(W.frame, ++W.frame_no, last ? wm : W.watermark);
		if (j > i) {
			size_t from = W.chunk[i], to = j < W.nchunk ? W.chunk[j] : W.stage_len;
			memcpy(W.frame + n, W.stage + from, to - from);
			n += to - from;
		}
		if (last && final)
			n += vrt_put_end(W.frame + n, W.events, atomic_load(&g_lost), reason);
		if (write_frame(n) != 0) {
			go_off("cannot write");
			return;
		}
		i = j;
	} while (i < W.nchunk);
	W.watermark = wm;
	if (final) {
		close(W.fd);
		W.fd = -1;
		W.ended = 1;
	}
}

void shim_flush_sync(void)
{
	if (atomic_load(&g_state) != SHIM_ACTIVE)
		return;
	pthread_mutex_lock(&W.mu);
	flush_locked(0, 0);
	pthread_mutex_unlock(&W.mu);
}

/* ---- the writer thread ---- */

static void *writer_main(void *arg)
{
	(void)arg;
	int64_t next_snap = cfg.snap_ms ? mono_ns() + (int64_t)cfg.snap_ms * 1000000 : INT64_MAX;
	pthread_mutex_lock(&W.mu);
	for (;;) {
		if (atomic_load(&g_state) != SHIM_ACTIVE || W.ended) {
			/* Finished (exit, exec) or off: park. Ending the thread
			 * would race with a leak checker's stop-the-world at
			 * exit; a failed exec makes recording active again. */
			pthread_cond_wait(&W.cv, &W.mu);
			continue;
		}
		if (!atomic_exchange(&w_wake, 0)) {
			int64_t due = mono_ns() + (int64_t)cfg.flush_ms * 1000000;
			if (due > next_snap)
				due = next_snap;
			struct timespec ts = { (time_t)(due / 1000000000), (long)(due % 1000000000) };
			pthread_cond_timedwait(&W.cv, &W.mu, &ts);
			atomic_store(&w_wake, 0);
		}
		flush_locked(0, 0);
		if (mono_ns() >= next_snap && atomic_load(&g_state) == SHIM_ACTIVE) {
			/* Snapshots call the driver: never while holding W.mu, so a
			 * flush from another thread is never stuck behind the driver. */
			pthread_mutex_unlock(&W.mu);
			shim_snapshot_all(VRT_SNAP_PERIODIC);
			pthread_mutex_lock(&W.mu);
			next_snap = mono_ns() + (int64_t)cfg.snap_ms * 1000000;
		}
	}
	return NULL;
}

/* Allocate the writer, open the file, start the thread (W.mu held). */
static int writer_setup(void)
{
	if (!W.frame) {
		W.zcap = vrt_frame_bound(FRAME_CAP > VRT_HEADER_MAX ? FRAME_CAP : VRT_HEADER_MAX);
		W.frame = malloc(FRAME_CAP > VRT_HEADER_MAX ? FRAME_CAP : VRT_HEADER_MAX);
		W.zbuf = malloc(W.zcap);
		W.cc = vrt_cctx_new(cfg.level);
		if (!W.frame || !W.zbuf || !W.cc) {
			errno = ENOMEM;
			snprintf(W.path, sizeof(W.path), "(output)");
			go_off("cannot set up");
			return -1;
		}
	}
	W.ended = 0;
	W.frame_no = 0;
	W.events = 0;
	W.watermark = 0;
	atomic_store(&g_lost, 0);
	shim_devices_forget(); /* every file describes its own devices */
	if (open_output())
		return -1;
	atomic_store(&g_state, SHIM_ACTIVE);
	if (W.thread_on)
		pthread_cond_signal(&W.cv); /* parked after a failed exec */
	if (!W.thread_on) {
		/* The writer must never take the program's signals. */
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		pthread_t th;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&th, &at, writer_main, NULL) == 0)
			W.thread_on = 1;
		/* Without the thread, records are still written at OOM, when a
		 * buffer fills, before fork/exec and at exit. */
		pthread_attr_destroy(&at);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	return 0;
}

static const char *const env_keys[] = {
	"CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "CUDA_MODULE_LOADING",
	"CUDA_LAUNCH_BLOCKING", "PYTORCH_CUDA_ALLOC_CONF", "PYTORCH_NO_CUDA_MEMORY_CACHING",
	"NCCL_CUMEM_ENABLE", "GGML_CUDA_ENABLE_UNIFIED_MEMORY", "OLLAMA_NUM_PARALLEL",
	"XLA_PYTHON_CLIENT_MEM_FRACTION", "TF_FORCE_GPU_ALLOW_GROWTH",
};

static void rec_put(int kind, const void *p, const char *v2);

/* Start recording on the first record of the process. */
static int ensure_active(void)
{
	int s = atomic_load_explicit(&g_state, memory_order_relaxed);
	if (s == SHIM_ACTIVE)
		return 1;
	if (s != SHIM_IDLE)
		return 0;
	int first = 0;
	pthread_mutex_lock(&W.mu);
	if (atomic_load(&g_state) == SHIM_IDLE && writer_setup() == 0)
		first = 1;
	pthread_mutex_unlock(&W.mu);
	if (first) {
		for (size_t i = 0; i < sizeof(env_keys) / sizeof(env_keys[0]); i++) {
			const char *v = getenv(env_keys[i]);
			char key[VRT_KEY_MAX];
			snprintf(key, sizeof(key), "env.%s", env_keys[i]);
			if (v)
				rec_put(3, key, v);
		}
	}
	return atomic_load(&g_state) == SHIM_ACTIVE;
}

/* ---- recording ---- */

static struct tbuf *tb_get(void)
{
	struct tbuf *b = t_buf;
	if (b)
		return b;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->tid = my_tid();
	b->enc.buf = b->data;
	b->enc.cap = TBUF_CAP;
	pthread_mutex_lock(&reg_mu);
	b->next = reg_head;
	reg_head = b;
	pthread_mutex_unlock(&reg_mu);
	t_buf = b;
	pthread_setspecific(t_key, b);
	return b;
}

static int enc_one(struct tbuf *b, int kind, const void *p, const char *v2, int64_t t)
{
	switch (kind) {
	case 0: return vrt_enc_event(&b->enc, t, p);
	case 1: return vrt_enc_device(&b->enc, t, p);
	case 2: return vrt_enc_lookup(&b->enc, t, p);
	default: return vrt_enc_info(&b->enc, t, p, v2);
	}
}

static void rec_put(int kind, const void *p, const char *v2)
{
	if (!ensure_active())
		return;
	struct tbuf *b = tb_get();
	if (!b) {
		atomic_fetch_add(&g_lost, 1);
		return;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		tb_lock(b);
		int64_t t = mono_ns() - cfg.mono_start;
		if (b->enc.len == 0)
			vrt_enc_reset(&b->enc, t);
		if (enc_one(b, kind, p, v2, t) == 0) {
			if (kind == 0)
				b->nev++;
			size_t len = b->enc.len;
			tb_unlock(b);
			/* Read before writing: a shared line written by every
			 * record would cost all threads. */
			if (len >= TBUF_WAKE && !atomic_load_explicit(&w_wake, memory_order_relaxed) &&
			    !atomic_exchange(&w_wake, 1))
				pthread_cond_signal(&W.cv);
			return;
		}
		tb_unlock(b);
		shim_flush_sync(); /* the buffer is full: make room ourselves */
	}
	atomic_fetch_add(&g_lost, 1);
}

void shim_rec_event(const struct vrt_event *ev) { rec_put(0, ev, NULL); }
void shim_rec_device(const struct vrt_device *d) { rec_put(1, d, NULL); }
void shim_rec_lookup(const struct vrt_lookup *lu) { rec_put(2, lu, NULL); }
void shim_rec_info(const char *key, const char *value) { rec_put(3, key, value); }

/* ---- exec, fork, exit ---- */

static int exec_was_active;

/* A vfork child shares our memory and has not run fork_child: its exec
 * must not touch the parent's file or state. */
static int in_vfork_child(void)
{
	return (int32_t)getpid() != cfg.pid;
}

void shim_before_exec(void)
{
	if (!atomic_load(&cfg_ready) || in_vfork_child())
		return;
	pthread_mutex_lock(&W.mu);
	exec_was_active = atomic_load(&g_state) == SHIM_ACTIVE;
	if (exec_was_active) {
		flush_locked(1, VRT_END_EXEC);
		if (atomic_load(&g_state) == SHIM_ACTIVE)
			atomic_store(&g_state, SHIM_DONE);
	}
	pthread_mutex_unlock(&W.mu);
}

void shim_exec_failed(void)
{
	/* The program goes on: a new file continues this process. */
	if (!atomic_load(&cfg_ready) || in_vfork_child())
		return;
	pthread_mutex_lock(&W.mu);
	if (exec_was_active && atomic_load(&g_state) == SHIM_DONE)
		atomic_store(&g_state, SHIM_IDLE);
	pthread_mutex_unlock(&W.mu);
}

static void fork_prepare(void)
{
	/* Write the parent's records before the child copies them, and keep
	 * the writer and registry locks so the child inherits them quiet. */
	pthread_mutex_lock(&W.mu);
	flush_locked(0, 0);
	pthread_mutex_lock(&reg_mu);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&reg_mu);
	pthread_mutex_unlock(&W.mu);
}

static void fork_child(void)
{
	/* The child is a new process with its own file. This thread took
	 * both locks in fork_prepare, so it may release them; the condition
	 * variable may hold the parent's writer thread as a waiter: renew it.
	 * Buffers of other threads are dropped (their records are the
	 * parent's, already written by fork_prepare). */
	pthread_mutex_unlock(&reg_mu);
	pthread_mutex_unlock(&W.mu);
	init_cond();
	if (W.fd >= 0)
		close(W.fd);
	W.fd = -1;
	W.thread_on = 0;
	W.ended = 0;
	t_tid = 0;
	struct tbuf *mine = t_buf;
	for (struct tbuf *b = reg_head, *next; b; b = next) {
		next = b->next;
		if (b != mine)
			free(b);
	}
	reg_head = mine;
	if (mine) {
		atomic_store(&mine->lock, 0);
		mine->next = NULL;
		mine->retired = 0;
		mine->enc.len = 0;
		mine->nev = 0;
		mine->tid = my_tid();
	}
	cfg.ppid = cfg.pid;
	cfg.pid = (int32_t)getpid();
	cfg.mono_start = mono_ns();
	cfg.real_start = real_ns();
	cfg.start_unix = (long)time(NULL);
	atomic_store(&g_lost, 0);
	atomic_store(&w_wake, 0);
	int s = atomic_load(&g_state);
	if (s == SHIM_ACTIVE)
		atomic_store(&g_state, SHIM_IDLE);
	shim_state_reset();
	shim_resolve_after_fork();
}

__attribute__((destructor)) static void shim_fini(void)
{
	/* Last chance at exit: write everything with END. No driver calls
	 * here (the driver may already be finalised). Later calls pass
	 * through unrecorded. */
	if (atomic_load(&g_state) != SHIM_ACTIVE)
		return;
	pthread_mutex_lock(&W.mu);
	flush_locked(1, VRT_END_EXIT);
	if (atomic_load(&g_state) == SHIM_ACTIVE)
		atomic_store(&g_state, SHIM_DONE);
	pthread_mutex_unlock(&W.mu);
}
