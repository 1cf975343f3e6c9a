/*
 * shim_writer.c - where records go: the background writer thread, zstd
 * frames, the output file and its descriptor; fork, exec and exit.
 *
 * Records are written by each thread into its slot of the mapped tail
 * file (shim_buf.c), where they are safe from the moment the wrapper
 * returns. The writer turns them into independent zstd frames (checksum +
 * content size) every VRAMSIM_FLUSH_MS (250 ms) or when slots fill, and
 * synchronously on out-of-memory, before fork and exec, and at exit. A
 * crash, _exit or SIGKILL leaves the newest records in the tail file,
 * from which the importer recovers them. No signal handler is installed.
 *
 * Ordering: the writer reads a watermark W before it sweeps the slots, so
 * every record it misses is stamped after W. The frame that completes a
 * sweep carries W, and the importer may release every record older than
 * W in time order.
 *
 * The descriptor: the program may close every descriptor or dup2 over
 * ours (daemons and launchers do). The shim keeps its descriptor high
 * (F_DUPFD_CLOEXEC), checks device and inode before every write, and
 * when the number is no longer its file it never writes to or closes it:
 * it reopens its file by path (checked the same way) or stops with one
 * warning. The tail file needs no descriptor once mapped.
 */
#include "shim.h"
#include "shim_clock.h"

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
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#define TLS_IE __attribute__((tls_model("initial-exec")))

#define FRAME_F_LEN 21                       /* 'F' and two 10-byte varints */

static atomic_int g_state;                   /* enum shim_state_e */
static atomic_int cfg_ready;
static atomic_uint g_warned;
static atomic_ullong g_lost;
static atomic_int w_wake;
static __thread int t_guard TLS_IE;

static struct {
	char pattern[4096];        /* absolute VRAMSIM_OUT pattern */
	char session[VRT_KEY_MAX];
	int flush_ms, snap_ms, level;
	int64_t mono_start, real_start;
	long start_unix;
	int32_t pid, ppid;
} cfg;
static pthread_once_t cfg_once = PTHREAD_ONCE_INIT;

/* The writer's state: everything here is guarded by W.mu. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd;                    /* ours only while dev/ino match */
	dev_t dev;
	ino_t ino;
	int thread_on;
	int ended;                 /* END written, file closed */
	int tail_gone;             /* the tail file was removed at exec */
	uint64_t frame_no, events;
	int64_t watermark;
	ZSTD_CCtx *cc;
	uint8_t *frame;            /* the header frame's raw bytes */
	uint8_t *zbuf;             /* a frame's compressed form */
	size_t zcap;
	char path[4096];
} W = { .mu = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };
static atomic_int w_thread_once;
static atomic_int w_settled; /* the writer thread reached writer_main, or was never made */

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

int64_t shim_now(void)
{
	return shim_clock_ns() - cfg.mono_start;
}

void shim_writer_wake(void)
{
	if (!atomic_load_explicit(&w_wake, memory_order_relaxed) && !atomic_exchange(&w_wake, 1))
		pthread_cond_signal(&W.cv);
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
	shim_clock_init();
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
	/* A leading dot becomes '_': a host or program named ".." never
	 * takes the file outside the pattern's directory. */
	for (const char *first = s; *s && *o < end; s++) {
		char c = s == first && *s == '.' ? '_' : *s;
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
 * Is W.fd still the file we created? If the program closed it or put
 * another file under its number, forget the number (it is the program's
 * now: never written, never closed) and reopen our file by path, checked
 * by device and inode. 0 when W.fd is ours, else -1 (errno set).
 */
static int fd_high(int fd)
{
	/* Above the range programs use, so a daemon's own open() or dup2 of
	 * a small number does not land on it. */
	struct rlimit rl;
	int want = 512;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < 1024)
		want = (int)rl.rlim_cur / 2;
	int h = fcntl(fd, F_DUPFD_CLOEXEC, want);
	if (h < 0)
		return fd;
	close(fd);
	return h;
}

static int fd_ours(void)
{
	struct stat sb;
	if (W.fd >= 0 && fstat(W.fd, &sb) == 0 && sb.st_dev == W.dev && sb.st_ino == W.ino)
		return 0;
	W.fd = -1;
	int fd = open(W.path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) != 0 || sb.st_dev != W.dev || sb.st_ino != W.ino) {
		close(fd);
		errno = ESTALE;
		return -1;
	}
	W.fd = fd_high(fd);
	return 0;
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
static int write_frame(const void *raw, size_t n)
{
	if (fd_ours() != 0)
		return -1;
	sigset_t xfsz, old, pending;
	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	pthread_sigmask(SIG_BLOCK, &xfsz, &old);
	sigpending(&pending);
	int had = sigismember(&pending, SIGXFSZ) == 1;
	int rc = vrt_write_frame(W.fd, W.cc, raw, n, W.zbuf, W.zcap);
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
	if (W.fd >= 0 && fd_ours() == 0)
		close(W.fd);
	W.fd = -1;
	atomic_store(&g_state, SHIM_OFF);
	shim_buf_stopped();
}

/* Create the file and its tail, write the header frame (W.mu held). */
static int open_output(void)
{
	read_identity();
	int fd = -1;
	for (int try = 1; try < 100; try++) {
		if (expand_path(W.path, sizeof(W.path), try)) {
			errno = ENAMETOOLONG;
			break;
		}
		/* Never through a symlink, never over an existing file. */
		fd = open(W.path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
			  0644);
		if (fd < 0 && errno != EEXIST)
			break;
		if (fd < 0)
			continue;
		if (W.tail_gone) {
			shim_buf_drop();
			W.tail_gone = 0;
		}
		/* A new tail, or after a failed exec the same one, renamed. */
		int r = shim_buf_open(W.path, cfg.pid, cfg.mono_start);
		if (r == 0)
			r = shim_buf_rename(W.path);
		if (r == 0)
			break;
		int e = errno;
		close(fd);
		unlink(W.path);
		fd = -1;
		errno = e;
		if (e != EEXIST)
			break;
	}
	if (fd < 0) {
		go_off("cannot create");
		return -1;
	}
	struct stat sb;
	fstat(fd, &sb);
	W.dev = sb.st_dev;
	W.ino = sb.st_ino;
	W.fd = fd_high(fd);
	size_t n = vrt_header_encode(W.frame, VRT_HEADER_MAX, &hdr);
	if (n == 0 || write_frame(W.frame, n) != 0) {
		go_off("cannot write");
		return -1;
	}
	return 0;
}

/* ---- frames (W.mu held) ---- */

/*
 * Sweep and write; with final, end the file with END (reason). With
 * full_only (the writer woken because slots filled up) only the slots
 * handed over are written: the threads' current slots, which take every
 * thread's buffer lock, wait for the periodic sweep (VRAMSIM_FLUSH_MS),
 * so a busy thread is not held up a few times a millisecond.
 */
static void flush_locked(int final, int reason, int full_only)
{
	if (atomic_load(&g_state) != SHIM_ACTIVE || W.ended)
		return;
	int64_t wm = shim_now();
	for (int round = 0;; round++) {
		uint64_t ev;
		int all;
		const uint8_t *raw;
		size_t n;
		int chunks = shim_buf_stage(W.frame_no + 1, W.watermark, wm, full_only && !final, &ev,
					    &all, &raw, &n);
		if (chunks < 0)
			return;
		if (chunks == 0 && !final && (all || full_only)) {
			shim_buf_stage_done();
			return;
		}
		if (all && final)
			n = shim_buf_append_end(W.events + ev, atomic_load(&g_lost) + shim_buf_lost(),
						reason);
		if (write_frame(raw, n) != 0) {
			go_off("cannot write");
			return; /* the stage stays in the tail: the importer has it */
		}
		shim_buf_stage_done();
		W.frame_no++;
		W.events += ev;
		if (all) {
			W.watermark = wm;
			break;
		}
		/* Threads filled more than a frame holds: go on, but a flush
		 * that is not final does not chase them for ever. */
		if (!final && round >= 8)
			break;
	}
	if (final) {
		if (fd_ours() == 0)
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
	flush_locked(0, 0, 0);
	pthread_mutex_unlock(&W.mu);
}

/* ---- the writer thread ---- */

static void *writer_main(void *arg)
{
	(void)arg;
	atomic_store(&w_settled, 1);
	int64_t next_snap = cfg.snap_ms ? mono_ns() + (int64_t)cfg.snap_ms * 1000000 : INT64_MAX;
	int64_t next_sweep = mono_ns() + (int64_t)cfg.flush_ms * 1000000;
	pthread_mutex_lock(&W.mu);
	for (;;) {
		if (atomic_load(&g_state) != SHIM_ACTIVE || W.ended) {
			/* Finished (exit, exec) or off: park. Ending the thread
			 * would race with a leak checker's stop-the-world at
			 * exit; a failed exec makes recording active again. */
			pthread_cond_wait(&W.cv, &W.mu);
			continue;
		}
		int woken = 1;
		if (!atomic_exchange(&w_wake, 0)) {
			woken = 0;
			int64_t due = mono_ns() + (int64_t)cfg.flush_ms * 1000000;
			if (due > next_snap)
				due = next_snap;
			/* The TSC clock is calibrated early (6 ms of baseline). */
			int64_t cal = shim_clk.base_ns + 6 * 1000000;
			if (shim_clk.tsc_ok && !shim_clk.use_tsc && due > cal)
				due = cal;
			struct timespec ts = { (time_t)(due / 1000000000), (long)(due % 1000000000) };
			pthread_cond_timedwait(&W.cv, &W.mu, &ts);
			atomic_store(&w_wake, 0);
		}
		shim_clock_calibrate();
		/* Woken for full slots: those only, unless a sweep is due. */
		int64_t now = mono_ns();
		int sweep = !woken || now >= next_sweep;
		flush_locked(0, 0, !sweep);
		if (sweep)
			next_sweep = now + (int64_t)cfg.flush_ms * 1000000;
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

/* Start the writer thread once, with no shim lock held: pthread_create
 * takes glibc's TLS/loader lock. */
static void writer_start(void)
{
	if (atomic_load(&w_thread_once) || atomic_exchange(&w_thread_once, 1))
		return;
	/* The writer must never take the program's signals. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t th;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	int ok = pthread_create(&th, &at, writer_main, NULL) == 0;
	/* Without the thread, records are still written at OOM, when slots
	 * run out, before fork/exec and at exit; the tail keeps the rest. */
	pthread_attr_destroy(&at);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!ok)
		atomic_store(&w_settled, 1);
	pthread_mutex_lock(&W.mu);
	W.thread_on = ok;
	pthread_mutex_unlock(&W.mu);
}

/* Allocate the writer, open the file (W.mu held). */
static int writer_setup(void)
{
	if (!W.frame) {
		W.zcap = vrt_frame_bound(VRT_FRAME_MAX > VRT_HEADER_MAX ? VRT_FRAME_MAX
									: VRT_HEADER_MAX);
		W.frame = malloc(VRT_HEADER_MAX);
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
		writer_start();
		for (size_t i = 0; i < sizeof(env_keys) / sizeof(env_keys[0]); i++) {
			const char *v = getenv(env_keys[i]);
			char key[VRT_KEY_MAX];
			snprintf(key, sizeof(key), "env.%s", env_keys[i]);
			if (v)
				rec_put(SHIM_REC_INFO, key, v);
		}
	}
	return atomic_load(&g_state) == SHIM_ACTIVE;
}

/* ---- recording ---- */

static void rec_put(int kind, const void *p, const char *v2)
{
	/* After END at exec, records still go to the tail: another thread's
	 * call that completes before the exec is not lost. */
	if (!ensure_active())
		return;
	shim_buf_put(kind, p, v2);
}

void shim_rec_event(const struct vrt_event *ev) { rec_put(SHIM_REC_EVENT, ev, NULL); }
void shim_rec_device(const struct vrt_device *d) { rec_put(SHIM_REC_DEVICE, d, NULL); }
void shim_rec_lookup(const struct vrt_lookup *lu) { rec_put(SHIM_REC_LOOKUP, lu, NULL); }
void shim_rec_info(const char *key, const char *value) { rec_put(SHIM_REC_INFO, key, value); }

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
	exec_was_active = atomic_load(&g_state) == SHIM_ACTIVE && !W.ended;
	if (exec_was_active) {
		/* The file ends here, but recording goes on into the tail:
		 * other threads' calls that complete before the kernel replaces
		 * the image stay there, and the importer adds them. The tail is
		 * removed only when no other thread records. */
		flush_locked(1, VRT_END_EXEC, 0);
		if (W.ended && !shim_buf_others() && !shim_buf_pending()) {
			shim_buf_close(1);
			W.tail_gone = 1;
		}
	}
	pthread_mutex_unlock(&W.mu);
}

void shim_exec_failed(void)
{
	/* The program goes on: a new file continues this process, with the
	 * same tail (renamed) or, when it was removed, a new one. */
	if (!atomic_load(&cfg_ready) || in_vfork_child())
		return;
	pthread_mutex_lock(&W.mu);
	if (exec_was_active && W.ended && atomic_load(&g_state) == SHIM_ACTIVE)
		atomic_store(&g_state, SHIM_IDLE);
	pthread_mutex_unlock(&W.mu);
}

static void fork_prepare(void)
{
	/* A writer thread still starting may be inside malloc: the C
	 * library's own start code allocates (pthread_getattr_np), and an
	 * allocator that does not lock itself around fork (ASan's, GCC 12)
	 * would hand the child that lock held for ever (prog_fork hung 18
	 * times in 250 runs under ASan). Let it reach its loop; bounded at
	 * 100 ms, as a runtime that locks its allocator for fork before this
	 * handler runs would keep the thread from getting there. */
	for (int i = 0; i < 2000 && atomic_load(&w_thread_once) && !atomic_load(&w_settled); i++) {
		struct timespec ts = { 0, 50000 };
		nanosleep(&ts, NULL);
	}
	/* Write the parent's records before the child copies them, and keep
	 * the writer and buffer locks so the child inherits them quiet. */
	pthread_mutex_lock(&W.mu);
	flush_locked(0, 0, 0);
	shim_buf_fork_prepare();
}

static void fork_parent(void)
{
	shim_buf_fork_parent();
	pthread_mutex_unlock(&W.mu);
}

static void fork_child(void)
{
	/* The child is a new process with its own files. This thread took
	 * the locks in fork_prepare, so it may release them; the condition
	 * variable may hold the parent's writer thread as a waiter: renew it. */
	shim_buf_fork_child();
	pthread_mutex_unlock(&W.mu);
	init_cond();
	if (W.fd >= 0 && fd_ours() == 0)
		close(W.fd); /* our copy of the parent's descriptor */
	W.fd = -1;
	W.thread_on = 0;
	atomic_store(&w_thread_once, 0);
	atomic_store(&w_settled, 0);
	W.ended = 0;
	W.tail_gone = 0;
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
	 * through unrecorded. The tail goes when nothing is left in it. */
	if (atomic_load(&g_state) != SHIM_ACTIVE)
		return;
	pthread_mutex_lock(&W.mu);
	int was_open = !W.ended;
	flush_locked(1, VRT_END_EXIT, 0);
	if (atomic_load(&g_state) == SHIM_ACTIVE)
		atomic_store(&g_state, SHIM_DONE);
	if (was_open && W.ended && !shim_buf_pending())
		shim_buf_close(1);
	pthread_mutex_unlock(&W.mu);
}
