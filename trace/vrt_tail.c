/*
 * vrt_tail.c - recovering the records of a tail file (layout and protocol:
 * vrt_tail.h). Compiled into libvramsim.a (the importer) and, for the
 * layout constants only, beside the shim. Nothing in the file is
 * trusted: every offset and length is checked against the bytes present,
 * and each piece (the stage, each slot) is parsed on its own, so one
 * damaged slot costs only its own records.
 */
#include "vrt_tail.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct counter {
	int (*cb)(void *, const struct vrt_rec *);
	void *arg;
	struct vrt_tail_stats *st;
};

static int count_cb(void *arg, const struct vrt_rec *rec)
{
	struct counter *c = arg;
	if (rec->type == VRT_REC_FRAME)
		return 0; /* the synthetic frame record of a slot, or the stage's */
	c->st->records++;
	c->st->events += rec->type == VRT_REC_EVENT;
	return c->cb(c->arg, rec);
}

static void note(struct vrt_tail_stats *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct vrt_tail_stats *st, const char *fmt, ...)
{
	if (st->why[0])
		return; /* the first problem is the one reported */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->why, sizeof(st->why), fmt, ap);
	va_end(ap);
}

int vrt_tail_recover(const void *data, size_t len, const struct vrt_header *h,
		     uint64_t last_frame, int (*cb)(void *arg, const struct vrt_rec *rec),
		     void *arg, struct vrt_tail_stats *st)
{
	memset(st, 0, sizeof(*st));
	const uint8_t *b = data;
	struct vrt_tail_head hd;
	if (len < VRT_TAIL_SLOTS_OFF) {
		snprintf(st->why, sizeof(st->why), "tail file of %zu bytes is too short", len);
		return VRT_EINPUT;
	}
	memcpy(&hd, b, sizeof(hd));
	if (memcmp(hd.magic, VRT_TAIL_MAGIC, 8) != 0 || hd.version != VRT_TAIL_VERSION ||
	    hd.page != VRT_TAIL_PAGE || hd.slot_size != VRT_TAIL_SLOT) {
		snprintf(st->why, sizeof(st->why), "not a tail file of this format (magic, version, "
			 "page or slot size differ)");
		return VRT_EINPUT;
	}
	if (hd.pid != h->pid || hd.mono_start_ns != h->mono_start_ns) {
		snprintf(st->why, sizeof(st->why), "the tail file belongs to another process "
			 "(pid %d, not %d)", (int)hd.pid, (int)h->pid);
		return VRT_EINPUT;
	}
	st->present = 1;
	st->stopped = hd.stopped != 0;
	struct counter c = { cb, arg, st };
	const char *why;
	int rc;
	/* The stage: a frame being built or being written. */
	struct vrt_tail_stage sg;
	memcpy(&sg, b + VRT_TAIL_STAGE_OFF, sizeof(sg));
	uint32_t nent = sg.nent <= VRT_TAIL_STAGE_ENT ? sg.nent : 0;
	struct vrt_tail_ent *ent = NULL;
	if (nent) {
		ent = malloc(nent * sizeof(*ent));
		if (!ent)
			return VRT_ENOMEM;
		memcpy(ent, b + VRT_TAIL_STAGE_OFF + VRT_TAIL_ENT_OFF, nent * sizeof(*ent));
	}
	if (sg.state == VRT_TAIL_FILLING && sg.frame_no > last_frame && sg.len > 0) {
		if (sg.len > VRT_TAIL_STAGE_DATA) {
			note(st, "the stage declares %llu bytes; dropped", (unsigned long long)sg.len);
		} else if ((rc = vrt_raw_each(b + VRT_TAIL_STAGE_DATA_OFF, (size_t)sg.len, count_cb,
					      &c, &why)) < 0) {
			note(st, "the stage (frame %llu) does not parse: %s; dropped",
			     (unsigned long long)sg.frame_no, why);
		} else if (rc > 0) {
			free(ent);
			return rc;
		} else {
			st->stage = 1;
		}
	}
	/* The slots: what threads recorded since their last sweep. */
	uint64_t nslots = hd.nslots;
	uint64_t room = (len - VRT_TAIL_SLOTS_OFF) / VRT_TAIL_SLOT;
	if (nslots > room)
		nslots = room; /* a file cut short: the slots that are there */
	uint8_t *raw = malloc(VRT_HDR_PIECE_MAX * 2 + VRT_TAIL_SLOT_DATA);
	if (!raw) {
		free(ent);
		return VRT_ENOMEM;
	}
	rc = 0;
	for (uint64_t i = 0; i < nslots && rc == 0; i++) {
		const uint8_t *s = b + VRT_TAIL_SLOTS_OFF + i * VRT_TAIL_SLOT;
		struct vrt_tail_slot sl;
		memcpy(&sl, s, sizeof(sl));
		if (sl.len == 0)
			continue;
		int dup = 0;
		for (uint32_t k = 0; k < nent && !dup; k++)
			dup = ent[k].slot == i && ent[k].seq == sl.seq;
		if (dup)
			continue; /* copied into the stage just before the end */
		if (sl.len > VRT_TAIL_SLOT_DATA || sl.base_t < 0) {
			st->bad_slots++;
			note(st, "slot %llu: bad length or time; dropped", (unsigned long long)i);
			continue;
		}
		size_t n = vrt_put_frame(raw, 0, 0);
		n += vrt_put_chunk(raw + n, sl.tid, sl.base_t, sl.len);
		memcpy(raw + n, s + VRT_TAIL_SLOT_HDR, sl.len);
		n += sl.len;
		rc = vrt_raw_each(raw, n, count_cb, &c, &why);
		if (rc < 0) { /* validated first: none of its records was passed on */
			rc = 0;
			st->bad_slots++;
			note(st, "slot %llu does not parse: %s; dropped", (unsigned long long)i, why);
			continue;
		}
		st->slots++;
	}
	free(raw);
	free(ent);
	return rc > 0 ? rc : 0;
}
