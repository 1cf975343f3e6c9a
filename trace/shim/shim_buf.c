/*
 * shim_buf.c - per-thread record buffers, kept in the tail file
 * (<trace>.tail, layout and protocol in trace/vrt_tail.h) mapped
 * MAP_SHARED: a record is in the kernel's page cache when the wrapper
 * returns, so SIGKILL, _exit, Go's exit or the OOM killer lose no
 * completed call. The writer (shim_writer.c) turns slots into frames.
 *
 * Hot path: a thread appends to its own slot under its own tiny lock,
 * contended only while the writer copies that slot out. Where the kernel
 * has membarrier(2) the lock is asymmetric: the thread marks itself busy
 * with a plain store and checks the writer's flag, the writer raises its
 * flags and runs MEMBARRIER_CMD_PRIVATE_EXPEDITED before it reads busy
 * (the store-fence-load pattern of both sides, the fence on the thread's
 * side made by the writer's membarrier), so the thread pays no locked
 * instruction per record; the writer pays one system call per sweep.
 * Elsewhere it is an exchange spin lock. A thread starts
 * with one slot (8 KiB); when it is full the thread hands it to the
 * writer and takes a free one (slot_mu, once per ~300 records). At thread
 * exit the slot is handed over (or freed when empty) and the thread's
 * small private state is freed, so short-lived threads cost nothing once
 * swept. The file grows by segments of SEG_SLOTS slots, mapped apart so
 * that no pointer into a slot ever moves.
 *
 * No lock here is held across a call that may take the loader lock.
 */
#include "shim.h"
#include "vrt_tail.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/membarrier.h>
#include <time.h>
#include <unistd.h>

#define TLS_IE __attribute__((tls_model("initial-exec")))
#define SEG_SLOTS VRT_TAIL_SEG_SLOTS
#define MAX_SEGS  (VRT_TAIL_MAX_SLOTS / SEG_SLOTS)
#define NO_SLOT   UINT32_MAX
#define WAKE_FULL 16                             /* full slots that wake the writer */

struct tbuf {
	atomic_int lock;           /* the spin lock; asymmetric: the thread is busy */
	atomic_int want;           /* asymmetric: the writer wants the slot */
	int32_t tid;
	uint32_t slot;             /* NO_SLOT: none yet */
	struct vrt_tail_slot *sl;
	struct vrt_enc enc;        /* buf points into the slot */
	struct tbuf *prev, *next;  /* the registry (reg_mu) */
};

static __thread struct tbuf *t_buf TLS_IE;
static __thread int32_t t_tid TLS_IE;
static pthread_key_t t_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct tbuf *reg_head;

/* The mapping: everything here changes under slot_mu; seg[] entries are
 * published with release stores and never unmapped while recording. */
static pthread_mutex_t slot_mu = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *base;                          /* head and stage */
static uint8_t *seg[MAX_SEGS];
static uint32_t nseg;
static uint32_t *free_st;                      /* free slot indices */
static uint32_t nfree;
static uint32_t *full;                         /* slots handed to the writer */
static uint32_t nfull, fullcap;
static char tail_path[4200];
static dev_t tail_dev;
static ino_t tail_ino;
static atomic_ullong b_lost;

static struct vrt_tail_head *head(void) { return (struct vrt_tail_head *)base; }
static struct vrt_tail_stage *stage(void)
{
	return (struct vrt_tail_stage *)(base + VRT_TAIL_STAGE_OFF);
}
static struct vrt_tail_ent *ents(void)
{
	return (struct vrt_tail_ent *)(base + VRT_TAIL_STAGE_OFF + VRT_TAIL_ENT_OFF);
}
static uint8_t *stage_data(void) { return base + VRT_TAIL_STAGE_DATA_OFF; }

static struct vrt_tail_slot *slot_at(uint32_t i)
{
	uint8_t *s = __atomic_load_n(&seg[i / SEG_SLOTS], __ATOMIC_ACQUIRE);
	return (struct vrt_tail_slot *)(s + (size_t)(i % SEG_SLOTS) * VRT_TAIL_SLOT);
}

static int32_t my_tid(void)
{
	if (!t_tid)
		t_tid = (int32_t)syscall(SYS_gettid);
	return t_tid;
}

/* Asymmetric locking is in use (decided once, before any tbuf exists;
 * in a forked child again, alone). */
static int asym;

static int membarrier_ok(void)
{
#ifdef SYS_membarrier
	long q = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	return q >= 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
	       syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
#else
	return 0;
#endif
}

/* The writer's side of the asymmetric lock: every running thread of the
 * process has passed a full barrier when it returns 0. */
static int heavy_fence(void)
{
#ifdef SYS_membarrier
	return syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0 ? 0 : -1;
#else
	return -1;
#endif
}

/* The spin lock (and the writer's side once it holds want: wait for busy). */
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

/* The owning thread's side. */
static void own_lock(struct tbuf *b)
{
	if (!asym) {
		tb_lock(b);
		return;
	}
	for (;;) {
		atomic_store_explicit(&b->lock, 1, memory_order_relaxed);
		/* Only the compiler may not reorder the store and the load;
		 * the CPU's fence is the writer's membarrier. */
		atomic_signal_fence(memory_order_seq_cst);
		if (!atomic_load_explicit(&b->want, memory_order_acquire))
			return;
		atomic_store_explicit(&b->lock, 0, memory_order_release);
		while (atomic_load_explicit(&b->want, memory_order_acquire))
			sched_yield();
	}
}

static void own_unlock(struct tbuf *b)
{
	atomic_store_explicit(&b->lock, 0, memory_order_release);
}

/* ---- the file ---- */

/* Open the tail by path and check it is still the file we created. */
static int tail_reopen(void)
{
	int fd = open(tail_path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	struct stat sb;
	if (fd >= 0 && (fstat(fd, &sb) != 0 || sb.st_dev != tail_dev || sb.st_ino != tail_ino)) {
		close(fd);
		errno = ESTALE;
		return -1;
	}
	return fd;
}

/*
 * posix_fallocate without letting the program die of it: past
 * RLIMIT_FSIZE the kernel raises SIGXFSZ (default action: end the
 * process). Blocked around the call, the one we raised is taken back
 * (as shim_writer.c does around frame writes). Returns 0 or an errno.
 */
static int fallocate_quiet(int fd, off_t off, off_t n)
{
	sigset_t xfsz, old, pending;
	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	pthread_sigmask(SIG_BLOCK, &xfsz, &old);
	sigpending(&pending);
	int had = sigismember(&pending, SIGXFSZ) == 1;
	int e = posix_fallocate(fd, off, n);
	if (e == EFBIG && !had) {
		struct timespec zero = { 0, 0 };
		while (sigtimedwait(&xfsz, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return e;
}

/* Map one more segment (slot_mu held); 0 or -1. */
static int grow(void)
{
	if (nseg >= MAX_SEGS || !base)
		return -1;
	int fd = tail_reopen();
	if (fd < 0)
		return -1;
	off_t off = VRT_TAIL_SLOTS_OFF + (off_t)nseg * SEG_SLOTS * VRT_TAIL_SLOT;
	size_t n = (size_t)SEG_SLOTS * VRT_TAIL_SLOT;
	void *m = MAP_FAILED;
	/* Blocks first: a store into a mapped page the file system cannot
	 * back (a full disk) would raise SIGBUS in the program. */
	int e = fallocate_quiet(fd, off, (off_t)n);
	if (e == 0)
		m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	else
		errno = e;
	close(fd);
	if (m == MAP_FAILED)
		return -1;
	uint32_t *f = realloc(free_st, (size_t)(nseg + 1) * SEG_SLOTS * sizeof(*f));
	if (!f) {
		munmap(m, n);
		return -1;
	}
	free_st = f;
	__atomic_store_n(&seg[nseg], (uint8_t *)m, __ATOMIC_RELEASE);
	for (uint32_t k = SEG_SLOTS; k-- > 0;)
		free_st[nfree++] = nseg * SEG_SLOTS + k;
	nseg++;
	__atomic_store_n(&head()->nslots, (uint64_t)nseg * SEG_SLOTS, __ATOMIC_RELEASE);
	return 0;
}

int shim_buf_open(const char *trace_path, int32_t pid, int64_t mono_start)
{
	pthread_mutex_lock(&slot_mu);
	int rc = -1, fd = -1;
	if (base) {
		rc = 0; /* already mapped (a failed exec goes on with it) */
		goto out;
	}
	size_t n = strlen(trace_path);
	if (n + 6 > sizeof(tail_path)) {
		errno = ENAMETOOLONG;
		goto out;
	}
	memcpy(tail_path, trace_path, n);
	memcpy(tail_path + n, ".tail", 6);
	fd = open(tail_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0)
		goto out;
	/* Allocated, not sparse: see grow(). */
	int fe = fallocate_quiet(fd, 0, VRT_TAIL_SLOTS_OFF);
	if (fe != 0) {
		errno = fe;
		goto out;
	}
	void *m = mmap(NULL, VRT_TAIL_SLOTS_OFF, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		goto out;
	tail_dev = sb.st_dev;
	tail_ino = sb.st_ino;
	base = m;
	struct vrt_tail_head *h = head();
	memcpy(h->magic, VRT_TAIL_MAGIC, 8);
	h->version = VRT_TAIL_VERSION;
	h->page = VRT_TAIL_PAGE;
	h->slot_size = VRT_TAIL_SLOT;
	h->pid = pid;
	h->mono_start_ns = mono_start;
	if (grow() != 0) {
		int e = errno;
		munmap(base, VRT_TAIL_SLOTS_OFF);
		base = NULL;
		errno = e;
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc && fd >= 0) {
		int e = errno;
		unlink(tail_path);
		errno = e;
	}
	pthread_mutex_unlock(&slot_mu);
	return rc;
}

int shim_buf_rename(const char *trace_path)
{
	char to[sizeof(tail_path)];
	size_t n = strlen(trace_path);
	if (!base || n + 6 > sizeof(to))
		return -1;
	memcpy(to, trace_path, n);
	memcpy(to + n, ".tail", 6);
	pthread_mutex_lock(&slot_mu);
	int rc = rename(tail_path, to);
	if (rc == 0)
		memcpy(tail_path, to, n + 6);
	pthread_mutex_unlock(&slot_mu);
	return rc;
}

/* ---- threads ---- */

static void thread_gone(void *p);

static void make_key(void)
{
	pthread_key_create(&t_key, thread_gone);
	/* VRAMSIM_NO_MEMBARRIER=1: the spin lock (to test it; or where a
	 * seccomp policy would refuse membarrier noisily). */
	const char *no = getenv("VRAMSIM_NO_MEMBARRIER");
	asym = !(no && *no == '1') && membarrier_ok();
}

/* Take a free slot for b (slot_mu held); 0 or -1. */
static int take_slot(struct tbuf *b)
{
	if (nfree == 0 && grow() != 0)
		return -1;
	uint32_t i = free_st[--nfree];
	struct vrt_tail_slot *s = slot_at(i);
	b->slot = i;
	b->sl = s;
	b->enc.buf = (uint8_t *)s + VRT_TAIL_SLOT_HDR;
	b->enc.cap = VRT_TAIL_SLOT_DATA;
	b->enc.len = 0;
	return 0;
}

/* Hand b's slot to the writer, or free it when empty (slot_mu held). */
static int hand_over(struct tbuf *b)
{
	if (b->slot == NO_SLOT)
		return 0;
	if (__atomic_load_n(&b->sl->len, __ATOMIC_RELAXED) == 0) {
		free_st[nfree++] = b->slot;
	} else {
		if (nfull == fullcap) {
			uint32_t cap = fullcap ? fullcap * 2 : 64;
			uint32_t *f = realloc(full, cap * sizeof(*f));
			if (!f)
				return -1; /* the slot stays the thread's: nothing lost */
			full = f;
			fullcap = cap;
		}
		full[nfull++] = b->slot;
	}
	b->slot = NO_SLOT;
	b->sl = NULL;
	b->enc.len = 0;
	return (int)nfull;
}

static void thread_gone(void *p)
{
	/* Runs in the exiting thread: its slot goes to the writer (or back
	 * to the free list), its private state is freed now. A later record
	 * of this thread (another TLS destructor) starts afresh. */
	struct tbuf *b = p;
	pthread_mutex_lock(&reg_mu);
	if (b->prev)
		b->prev->next = b->next;
	else
		reg_head = b->next;
	if (b->next)
		b->next->prev = b->prev;
	pthread_mutex_unlock(&reg_mu);
	own_lock(b); /* a sweep that found it before the unlink is done */
	pthread_mutex_lock(&slot_mu);
	int n = base ? hand_over(b) : 0;
	pthread_mutex_unlock(&slot_mu);
	own_unlock(b);
	free(b);
	t_buf = NULL;
	if (n >= WAKE_FULL)
		shim_writer_wake();
}

static struct tbuf *tb_get(void)
{
	struct tbuf *b = t_buf;
	if (b)
		return b;
	pthread_once(&key_once, make_key);
	/* A cache line of its own: a thread writes its tbuf on every record,
	 * and two threads' small blocks may be neighbours in the heap. */
	b = aligned_alloc(64, (sizeof(*b) + 63) & ~(size_t)63);
	if (!b)
		return NULL;
	memset(b, 0, sizeof(*b));
	b->tid = my_tid();
	b->slot = NO_SLOT;
	pthread_mutex_lock(&reg_mu);
	b->next = reg_head;
	if (reg_head)
		reg_head->prev = b;
	reg_head = b;
	pthread_mutex_unlock(&reg_mu);
	t_buf = b;
	pthread_setspecific(t_key, b);
	return b;
}

static int enc_one(struct vrt_enc *e, int kind, const void *p, const char *v2, int64_t t)
{
	switch (kind) {
	case SHIM_REC_EVENT: return vrt_enc_event(e, t, p);
	case SHIM_REC_DEVICE: return vrt_enc_device(e, t, p);
	case SHIM_REC_LOOKUP: return vrt_enc_lookup(e, t, p);
	default: return vrt_enc_info(e, t, p, v2);
	}
}

int shim_buf_put(int kind, const void *p, const char *v2)
{
	struct tbuf *b = tb_get();
	if (!b) {
		atomic_fetch_add(&b_lost, 1);
		return -1;
	}
	for (int attempt = 0; attempt < 3; attempt++) {
		own_lock(b);
		int handed = 0, ok = b->slot != NO_SLOT;
		if (!ok) {
			pthread_mutex_lock(&slot_mu);
			ok = base && take_slot(b) == 0;
			pthread_mutex_unlock(&slot_mu);
		}
		if (ok) {
			int64_t t = shim_now();
			struct vrt_tail_slot *s = b->sl;
			if (b->enc.len == 0) {
				vrt_enc_reset(&b->enc, t);
				s->base_t = b->enc.base_t;
				s->tid = b->tid;
				s->nev = 0;
			}
			if (enc_one(&b->enc, kind, p, v2, t) == 0) {
				s->nev += kind == SHIM_REC_EVENT;
				/* Publish: the record is whole before len covers it. */
				__atomic_store_n(&s->len, (uint32_t)b->enc.len, __ATOMIC_RELEASE);
				/* The writer read the slot's lines last time round: ask
				 * for the next one now, so the store that needs it (a
				 * few records on) does not wait for it at the unlock. */
				__builtin_prefetch(b->enc.buf + b->enc.len + 64, 1, 3);
				own_unlock(b);
				return 0;
			}
			/* Full: swap it for a fresh slot and retry. */
			pthread_mutex_lock(&slot_mu);
			handed = hand_over(b); /* -1: it stays the thread's, still full */
			if (handed >= 0)
				take_slot(b);  /* may leave it without one */
			pthread_mutex_unlock(&slot_mu);
		}
		int stuck = !ok || handed < 0 || b->slot == NO_SLOT;
		own_unlock(b);
		if (handed >= WAKE_FULL)
			shim_writer_wake();
		if (stuck)
			shim_flush_sync(); /* no room anywhere: the writer makes some */
	}
	atomic_fetch_add(&b_lost, 1);
	return -1;
}

uint64_t shim_buf_lost(void)
{
	return atomic_load(&b_lost);
}

/* ---- the writer's side (W.mu held by the caller) ---- */

/* A varint of exactly 10 bytes, so the watermark can be filled in last. */
static size_t put_varint10(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 9; i++) {
		p[i] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[9] = (uint8_t)(v & 1);
	return 10;
}

/* Copy slot i (len > 0) into the stage as one chunk; 0, or -1 when the
 * stage has no room (nothing changed). */
static int stage_slot(uint32_t i, struct vrt_tail_slot *s, uint64_t *events)
{
	struct vrt_tail_stage *sg = stage();
	uint32_t len = __atomic_load_n(&s->len, __ATOMIC_ACQUIRE);
	if (sg->nent >= VRT_TAIL_STAGE_ENT ||
	    sg->len + VRT_HDR_PIECE_MAX + len + VRT_HDR_PIECE_MAX > VRT_TAIL_STAGE_DATA)
		return -1;
	uint8_t *d = stage_data() + sg->len;
	size_t n = vrt_put_chunk(d, s->tid, s->base_t, len);
	memcpy(d + n, (uint8_t *)s + VRT_TAIL_SLOT_HDR, len);
	ents()[sg->nent] = (struct vrt_tail_ent){ i, s->seq };
	__atomic_store_n(&sg->nent, sg->nent + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&sg->len, sg->len + n + len, __ATOMIC_RELEASE);
	*events += s->nev;
	/* Emptied only now, len before seq (vrt_tail.h, protocol). */
	__atomic_store_n(&s->len, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE);
	return 0;
}

int shim_buf_stage(uint64_t frame_no, int64_t wm_old, int64_t wm_new, int full_only,
		   uint64_t *events, int *all, const uint8_t **raw, size_t *len)
{
	*all = 1;
	*events = 0;
	if (!base)
		return -1;
	int chunks = 0;
	struct vrt_tail_stage *sg = stage();
	sg->nent = 0;
	sg->len = 0;
	sg->frame_no = frame_no;
	uint8_t *d = stage_data();
	d[0] = 'F';
	size_t n = 1 + put_varint10(d + 1, frame_no);
	size_t wm_at = n;
	n += put_varint10(d + n, (uint64_t)(wm_old < 0 ? 0 : wm_old));
	sg->len = n;
	__atomic_store_n(&sg->state, VRT_TAIL_FILLING, __ATOMIC_RELEASE);
	/* Slots handed over first (older), then every thread's current one. */
	pthread_mutex_lock(&slot_mu);
	uint32_t k = 0;
	for (; k < nfull; k++) {
		if (stage_slot(full[k], slot_at(full[k]), events) != 0)
			break;
		free_st[nfree++] = full[k];
		chunks++;
	}
	if (k && k < nfull)
		memmove(full, full + k, (nfull - k) * sizeof(*full));
	nfull -= k;
	if (nfull || full_only)
		*all = 0;
	pthread_mutex_unlock(&slot_mu);
	if (full_only)
		goto done;
	pthread_mutex_lock(&reg_mu);
	int fenced = 1;
	if (asym && *all) {
		/* Every thread's flag first, then one fence for them all. */
		for (struct tbuf *b = reg_head; b; b = b->next)
			atomic_store_explicit(&b->want, 1, memory_order_relaxed);
		fenced = heavy_fence() == 0;
		if (!fenced)
			*all = 0; /* not safe to take: left in the tail, not lost */
	}
	for (struct tbuf *b = reg_head; b && (*all || asym); b = b->next) {
		if (*all && fenced) {
			/* Spin lock: take it. Asymmetric: want is up; wait
			 * until the thread is out (it cannot enter again). */
			if (asym)
				while (atomic_load_explicit(&b->lock, memory_order_acquire))
					sched_yield();
			else
				tb_lock(b);
			if (b->slot != NO_SLOT && __atomic_load_n(&b->sl->len, __ATOMIC_ACQUIRE)) {
				if (stage_slot(b->slot, b->sl, events) == 0) {
					b->enc.len = 0;
					chunks++;
				} else {
					*all = 0;
				}
			}
			if (!asym)
				tb_unlock(b);
		}
		if (asym)
			atomic_store_explicit(&b->want, 0, memory_order_release);
	}
	pthread_mutex_unlock(&reg_mu);
done:
	/* Every record missed was stamped after wm_new only if none was left. */
	if (*all)
		put_varint10(d + wm_at, (uint64_t)(wm_new < 0 ? 0 : wm_new));
	*raw = d;
	*len = sg->len;
	return chunks;
}

size_t shim_buf_append_end(uint64_t events, uint64_t lost, int reason)
{
	struct vrt_tail_stage *sg = stage();
	size_t n = vrt_put_end(stage_data() + sg->len, events, lost, reason);
	__atomic_store_n(&sg->len, sg->len + n, __ATOMIC_RELEASE);
	return sg->len;
}

void shim_buf_stopped(void)
{
	pthread_mutex_lock(&slot_mu);
	if (base)
		__atomic_store_n(&head()->stopped, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&slot_mu);
}

void shim_buf_stage_done(void)
{
	if (!base)
		return;
	struct vrt_tail_stage *sg = stage();
	__atomic_store_n(&sg->state, VRT_TAIL_EMPTY, __ATOMIC_RELEASE);
	sg->nent = 0;
	sg->len = 0;
}

int shim_buf_pending(void)
{
	if (!base)
		return 0;
	int any = 0;
	pthread_mutex_lock(&slot_mu);
	any = nfull > 0;
	pthread_mutex_unlock(&slot_mu);
	pthread_mutex_lock(&reg_mu);
	for (struct tbuf *b = reg_head; b && !any; b = b->next)
		any = b->slot != NO_SLOT && __atomic_load_n(&b->sl->len, __ATOMIC_ACQUIRE) != 0;
	pthread_mutex_unlock(&reg_mu);
	return any;
}

int shim_buf_others(void)
{
	pthread_mutex_lock(&reg_mu);
	int n = 0;
	for (struct tbuf *b = reg_head; b; b = b->next)
		n += b != t_buf;
	pthread_mutex_unlock(&reg_mu);
	return n;
}

void shim_buf_close(int unlink_it)
{
	pthread_mutex_lock(&slot_mu);
	if (base && unlink_it) {
		/* Only the file we created: a program's file by that name stays. */
		struct stat sb;
		if (lstat(tail_path, &sb) == 0 && sb.st_dev == tail_dev && sb.st_ino == tail_ino)
			unlink(tail_path);
	}
	pthread_mutex_unlock(&slot_mu);
}

void shim_buf_drop(void)
{
	/* After an exec that failed, with the tail already removed and no
	 * other thread recording: start over with a new file later. */
	pthread_mutex_lock(&reg_mu);
	pthread_mutex_lock(&slot_mu);
	if (base)
		munmap(base, VRT_TAIL_SLOTS_OFF);
	for (uint32_t i = 0; i < nseg; i++)
		munmap(seg[i], (size_t)SEG_SLOTS * VRT_TAIL_SLOT);
	base = NULL;
	memset(seg, 0, sizeof(seg));
	nseg = nfree = nfull = 0;
	for (struct tbuf *b = reg_head; b; b = b->next) {
		b->slot = NO_SLOT;
		b->sl = NULL;
		b->enc.len = 0;
	}
	pthread_mutex_unlock(&slot_mu);
	pthread_mutex_unlock(&reg_mu);
}

/* ---- fork ---- */

void shim_buf_fork_prepare(void)
{
	pthread_mutex_lock(&reg_mu);
	pthread_mutex_lock(&slot_mu);
}

void shim_buf_fork_parent(void)
{
	pthread_mutex_unlock(&slot_mu);
	pthread_mutex_unlock(&reg_mu);
}

void shim_buf_fork_child(void)
{
	/* The mapping is the parent's file: drop it unseen (the child makes
	 * its own on its first record). Other threads' state is not the
	 * child's; this thread's slot was the parent's. */
	pthread_mutex_init(&reg_mu, NULL);
	pthread_mutex_init(&slot_mu, NULL);
	if (base)
		munmap(base, VRT_TAIL_SLOTS_OFF);
	for (uint32_t i = 0; i < nseg; i++)
		munmap(seg[i], (size_t)SEG_SLOTS * VRT_TAIL_SLOT);
	base = NULL;
	memset(seg, 0, sizeof(seg));
	nseg = nfree = nfull = 0;
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
		atomic_store(&mine->want, 0);
		mine->prev = mine->next = NULL;
		mine->slot = NO_SLOT;
		mine->sl = NULL;
		mine->enc.len = 0;
		mine->tid = my_tid();
	}
	atomic_store(&b_lost, 0);
	/* The registration may not outlive the fork: register again, or
	 * (alone now, no sweep running) go back to the spin lock. */
	if (asym)
		asym = membarrier_ok();
}
