/*
 * fuzz_shimw.c - the shim's writing side and the tail file's reader.
 *
 * Input byte 0 chooses:
 *   even: the rest is a script of records with arbitrary fields (every
 *         API id, extreme sizes and addresses, names of any bytes, times
 *         that go back) for up to 4 threads. They are encoded the way
 *         trace/shim/shim_buf.c does: each thread's records into a slot of
 *         VRT_TAIL_SLOT_DATA bytes (vrt_enc_*), full slots copied as chunks
 *         into a stage of VRT_TAIL_STAGE_DATA bytes, each stage one zstd
 *         frame (vrt_put_frame/chunk/end, vrt_write_frame), the slots
 *         left over kept in a tail image (vrt_tail.h layout). Then the file
 *         is read back (vrt_reader) and the tail recovered
 *         (vrt_tail_recover): every record must come back, once, with the
 *         fields it was written with (strings cut as the format cuts them,
 *         times clamped to never go back within a thread).
 *   odd:  the rest is a tail file as it is (padded to the minimum size):
 *         recovery must end, without a crash, with counts that add up.
 */
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include "fuzz.h"
#include "vrt.h"
#include "vrt_tail.h"

#define NT 4

struct want {
	int type;                /* VRT_REC_* */
	int32_t tid;
	int64_t t;
	struct vrt_rec rec;
};

struct run {
	struct want *w;
	size_t nw, cap;
	size_t got;              /* records matched so far */
	size_t *next;            /* per thread: index of its next expected record */
};

static uint64_t take(const uint8_t **p, const uint8_t *end, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes && *p < end; i++)
		v = v << 8 | *(*p)++;
	return v;
}

static void same_or_die(const struct want *w, const struct vrt_rec *r)
{
	if (r->type != w->type || r->tid != w->tid || r->t_ns != w->t)
		fuzz_fail("record came back different", "type, thread or time");
	int ok = 1;
	switch (w->type) {
	case VRT_REC_EVENT: {
		const struct vrt_event *a = &w->rec.u.ev, *b = &r->u.ev;
		ok = a->api == b->api && a->dev == b->dev && a->result == b->result &&
		     a->req == b->req && a->size == b->size && a->addr == b->addr &&
		     a->aux == b->aux && a->stream == b->stream;
		break;
	}
	case VRT_REC_DEVICE:
		ok = w->rec.u.dev.ordinal == r->u.dev.ordinal && w->rec.u.dev.total == r->u.dev.total &&
		     !memcmp(w->rec.u.dev.uuid, r->u.dev.uuid, 16) &&
		     !strcmp(w->rec.u.dev.name, r->u.dev.name);
		break;
	case VRT_REC_INFO:
		ok = !strcmp(w->rec.u.info.key, r->u.info.key) &&
		     !strcmp(w->rec.u.info.value, r->u.info.value);
		break;
	default:
		break;
	}
	if (!ok)
		fuzz_fail("record came back with other fields", NULL);
}

/* Records come back in each thread's order (chunks of one thread stay in
 * order in this writer); match each with the thread's next expected. */
static int match(void *arg, const struct vrt_rec *rec)
{
	struct run *ru = arg;
	if (rec->type == VRT_REC_FRAME || rec->type == VRT_REC_END)
		return 0;
	int th = -1;
	for (int i = 0; i < NT; i++)
		if ((int32_t)(100 + i) == rec->tid)
			th = i;
	if (th < 0)
		fuzz_fail("record of a thread never written", NULL);
	size_t k = ru->next[th];
	while (k < ru->nw && ru->w[k].tid != rec->tid)
		k++;
	if (k >= ru->nw)
		fuzz_fail("more records came back than were written", NULL);
	same_or_die(&ru->w[k], rec);
	ru->next[th] = k + 1;
	ru->got++;
	return 0;
}

struct slot_st {
	uint8_t data[VRT_TAIL_SLOT_DATA];
	struct vrt_enc enc;
	int64_t last_t;
};

static void roundtrip(const uint8_t *p, const uint8_t *end)
{
	static ZSTD_CCtx *cc;
	if (!cc)
		cc = (ZSTD_CCtx *)vrt_cctx_new(1);
	struct slot_st *sl = calloc(NT, sizeof(*sl));
	size_t tail_len = VRT_TAIL_SLOTS_OFF + (size_t)NT * VRT_TAIL_SLOT;
	uint8_t *tail = calloc(1, tail_len), *stage = malloc(VRT_TAIL_STAGE_DATA);
	size_t zcap = vrt_frame_bound(VRT_TAIL_STAGE_DATA);
	uint8_t *z = malloc(zcap);
	int fd = memfd_create("shimw", MFD_CLOEXEC);
	if (!sl || !tail || !stage || !z || fd < 0 || !cc)
		fuzz_fail("setup", NULL);
	struct vrt_header h = { .pid = 9, .mono_start_ns = 1000 };
	strcpy(h.exe, "/fuzz");
	uint8_t *hb = malloc(VRT_HEADER_MAX);
	size_t hn = vrt_header_encode(hb, VRT_HEADER_MAX, &h);
	if (!hn || vrt_write_frame(fd, (struct ZSTD_CCtx_s *)cc, hb, hn, z, zcap))
		fuzz_fail("header", NULL);
	free(hb);
	struct run ru = { 0 };
	size_t next[NT] = { 0 };
	ru.next = next;
	uint64_t frame_no = 0;
	size_t slen = 0;
	int64_t t = 0;
	for (int i = 0; i < NT; i++) {
		sl[i].enc.buf = sl[i].data;
		sl[i].enc.cap = sizeof(sl[i].data);
	}
	/* Write the stage as one frame. */
#define FLUSH_STAGE() do { \
		if (slen && vrt_write_frame(fd, (struct ZSTD_CCtx_s *)cc, stage, slen, z, zcap)) \
			fuzz_fail("write", NULL); \
		slen = 0; \
	} while (0)
#define STAGE_SLOT(i) do { \
		if (!slen || slen + VRT_HDR_PIECE_MAX * 2 + sl[i].enc.len > VRT_TAIL_STAGE_DATA) { \
			FLUSH_STAGE(); \
			slen = vrt_put_frame(stage, ++frame_no, 0); \
		} \
		slen += vrt_put_chunk(stage + slen, 100 + (i), sl[i].enc.base_t, sl[i].enc.len); \
		memcpy(stage + slen, sl[i].data, sl[i].enc.len); \
		slen += sl[i].enc.len; \
		sl[i].enc.len = 0; \
	} while (0)
	while (p < end && ru.nw < 20000) {
		uint8_t op = *p++;
		int th = op & 3, kind = (op >> 2) & 3;
		/* Times mostly go forward, sometimes back (the encoder clamps). */
		int64_t dt = (int64_t)take(&p, end, 1) - 32;
		t = t + dt < 0 ? 0 : t + dt;
		if (op & 0x80)
			t += (int64_t)take(&p, end, 4) << 8;
		if (op == 0x7f) { /* a sweep: every slot into the stage */
			for (int i = 0; i < NT; i++)
				if (sl[i].enc.len)
					STAGE_SLOT(i);
			FLUSH_STAGE();
			continue;
		}
		struct want w = { .tid = 100 + th };
		struct slot_st *s = &sl[th];
		for (int attempt = 0; attempt < 2; attempt++) {
			if (s->enc.len == 0) {
				vrt_enc_reset(&s->enc, t);
				s->last_t = s->enc.base_t;
			}
			int rc;
			if (kind == 0 || kind == 3) {
				struct vrt_event *e = &w.rec.u.ev;
				memset(e, 0, sizeof(*e));
				e->api = (uint16_t)(VRT_API_FIRST + take(&p, end, 1) % 200);
				e->dev = (int32_t)take(&p, end, 4);
				e->result = (int32_t)take(&p, end, 1);
				e->req = take(&p, end, 8);
				e->size = take(&p, end, 8);
				e->addr = take(&p, end, 8);
				e->aux = take(&p, end, 2);
				e->stream = take(&p, end, 8);
				w.type = VRT_REC_EVENT;
				rc = vrt_enc_event(&s->enc, t, e);
			} else if (kind == 1) {
				struct vrt_device *d = &w.rec.u.dev;
				memset(d, 0, sizeof(*d));
				d->ordinal = (int32_t)(take(&p, end, 1) % VRT_MAX_DEVICES);
				d->total = take(&p, end, 8);
				size_t n = take(&p, end, 1) % 40;
				for (size_t k = 0; k < n && p < end; k++) {
					char c = (char)*p++;
					d->name[k] = c ? c : 'x';
				}
				w.type = VRT_REC_DEVICE;
				rc = vrt_enc_device(&s->enc, t, d);
			} else {
				struct vrt_info *in = &w.rec.u.info;
				memset(in, 0, sizeof(*in));
				size_t n = take(&p, end, 1) % (VRT_KEY_MAX - 1);
				for (size_t k = 0; k < n && p < end; k++) {
					char c = (char)*p++;
					in->key[k] = c ? c : 'k';
				}
				snprintf(in->value, sizeof(in->value), "v%zu", ru.nw);
				w.type = VRT_REC_INFO;
				rc = vrt_enc_info(&s->enc, t, in->key, in->value);
			}
			if (rc == 0) {
				w.t = t < s->last_t ? s->last_t : t; /* never back in a chunk */
				s->last_t = w.t;
				UTIL_GROW(ru.w, ru.nw + 1, ru.cap);
				ru.w[ru.nw++] = w;
				break;
			}
			STAGE_SLOT(th); /* the slot is full: hand it over */
		}
	}
	FLUSH_STAGE();
	/* What is left in the slots goes to the tail image. */
	struct vrt_tail_head *hd = (struct vrt_tail_head *)tail;
	memcpy(hd->magic, VRT_TAIL_MAGIC, 8);
	hd->version = VRT_TAIL_VERSION;
	hd->page = VRT_TAIL_PAGE;
	hd->slot_size = VRT_TAIL_SLOT;
	hd->pid = h.pid;
	hd->mono_start_ns = h.mono_start_ns;
	hd->nslots = NT;
	for (int i = 0; i < NT; i++) {
		struct vrt_tail_slot *ts = (struct vrt_tail_slot *)(tail + VRT_TAIL_SLOTS_OFF +
								    (size_t)i * VRT_TAIL_SLOT);
		ts->len = (uint32_t)sl[i].enc.len;
		ts->tid = 100 + i;
		ts->base_t = sl[i].enc.base_t;
		memcpy((uint8_t *)ts + VRT_TAIL_SLOT_HDR, sl[i].data, sl[i].enc.len);
	}
	/* Read it all back. */
	off_t flen = lseek(fd, 0, SEEK_END);
	uint8_t *file = mmap(NULL, (size_t)flen, PROT_READ, MAP_PRIVATE, fd, 0);
	if (file == MAP_FAILED)
		fuzz_fail("mmap", NULL);
	struct vrt_reader *r;
	if (vrt_reader_open(file, (size_t)flen, &r) != 0)
		fuzz_fail("reader open", vrt_reader_error(r));
	struct vrt_rec rec;
	int rc;
	while ((rc = vrt_reader_next(r, &rec)) == 1)
		match(&ru, &rec);
	struct vrt_status st;
	vrt_reader_status(r, &st);
	if (rc != 0 || st.damaged)
		fuzz_fail("reader", vrt_reader_error(r));
	struct vrt_tail_stats ts;
	if (vrt_tail_recover(tail, tail_len, vrt_reader_header(r), st.last_frame_no, match, &ru,
			     &ts) != 0 || ts.bad_slots)
		fuzz_fail("tail recovery", ts.why);
	if (ru.got != ru.nw)
		fuzz_fail("records lost between writer and reader", NULL);
	vrt_reader_free(r);
	munmap(file, (size_t)flen);
	close(fd);
	free(ru.w);
	free(sl);
	free(tail);
	free(stage);
	free(z);
}

static int count_only(void *arg, const struct vrt_rec *rec)
{
	(void)rec;
	(*(uint64_t *)arg)++;
	return 0;
}

static void tail_as_is(const uint8_t *p, size_t n)
{
	/* At least the fixed part, so the slots are what the input says. */
	size_t len = n < VRT_TAIL_SLOTS_OFF ? VRT_TAIL_SLOTS_OFF : n;
	uint8_t *b = calloc(1, len);
	if (!b)
		fuzz_fail("calloc", NULL);
	memcpy(b, p, n);
	struct vrt_header h = { 0 };
	struct vrt_tail_head hd;
	memcpy(&hd, b, sizeof(hd));
	h.pid = hd.pid;
	h.mono_start_ns = hd.mono_start_ns;
	uint64_t seen = 0;
	struct vrt_tail_stats st;
	int rc = vrt_tail_recover(b, len, &h, n & 7, count_only, &seen, &st);
	if (rc != 0 && rc != VRT_EINPUT)
		fuzz_fail("tail recovery returned", NULL);
	if (rc == 0 && seen != st.records)
		fuzz_fail("tail record count", st.why);
	if (rc == VRT_EINPUT && !st.why[0])
		fuzz_fail("tail refused without a reason", NULL);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		tail_as_is(data + 1, size - 1);
	else
		roundtrip(data + 1, data + size);
	return 0;
}
