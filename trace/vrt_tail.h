/*
 * vrt_tail.h - the tail file beside a native trace (<trace>.tail): where
 * the shim keeps records that are not yet in a zstd frame, so that a
 * process killed at any moment (SIGKILL, _exit, Go's exit, the OOM
 * killer) loses no completed call. Shared by the shim (which maps it
 * MAP_SHARED and writes into it) and the importer (which recovers it).
 *
 * Why a mapped file: a store into a MAP_SHARED file mapping is in the
 * kernel's page cache the moment it is made; when the process dies the
 * kernel still writes it back. So a record is safe as soon as the
 * wrapper's store completes, without a system call per record.
 *
 * Layout (host byte order and alignment; the header says the page size
 * and slot size it was written with, and a reader refuses anything else):
 *
 *   offset 0            struct vrt_tail_head (one page)
 *   VRT_TAIL_STAGE_OFF  the stage: struct vrt_tail_stage, then up to
 *                       VRT_TAIL_STAGE_ENT entries, then the raw content
 *                       (VRT_TAIL_STAGE_DATA bytes) of the frame being built
 *   head.slots_off      slots of VRT_TAIL_SLOT bytes: struct vrt_tail_slot,
 *                       then the chunk records of one thread (vrt_enc
 *                       encoding, times from slot.base_t)
 *
 * Protocol (the shim's side; the reader relies on it):
 *   - a thread appends whole records to its slot, then stores slot.len;
 *   - the writer copies a slot into the stage as one chunk, records
 *     (slot, seq) in the stage's entries and stores stage.len, then sets
 *     slot.len = 0 and only then increments slot.seq;
 *   - the stage (state VRT_TAIL_FILLING) becomes frame stage.frame_no of
 *     the trace; once that frame is written whole, state = VRT_TAIL_EMPTY.
 * So after a kill, the records not in the trace's complete frames are:
 * the stage, if its frame_no is above the trace's last complete frame,
 * plus every slot with len > 0 whose (slot, seq) is not an entry of the
 * stage. Nothing is counted twice.
 */
#ifndef VRAMSIM_VRT_TAIL_H
#define VRAMSIM_VRT_TAIL_H

#include <stddef.h>
#include <stdint.h>

#include "vrt.h"

#define VRT_TAIL_MAGIC     "VRAMTAIL"
#define VRT_TAIL_VERSION   1
#define VRT_TAIL_PAGE      4096
#define VRT_TAIL_SLOT      (8 * 1024)       /* one thread's buffer */
#define VRT_TAIL_SLOT_HDR  64
#define VRT_TAIL_SLOT_DATA (VRT_TAIL_SLOT - VRT_TAIL_SLOT_HDR)
#define VRT_TAIL_STAGE_ENT 4096             /* chunks per frame at most */
#define VRT_TAIL_STAGE_OFF VRT_TAIL_PAGE
/* Stage header + entries, rounded to pages; then the frame content. */
#define VRT_TAIL_STAGE_HDR (9 * VRT_TAIL_PAGE)
#define VRT_TAIL_STAGE_DATA_OFF (VRT_TAIL_STAGE_OFF + VRT_TAIL_STAGE_HDR)
#define VRT_TAIL_STAGE_DATA (256 * 1024)   /* a frame's content at most */
#define VRT_TAIL_SLOTS_OFF (VRT_TAIL_STAGE_DATA_OFF + VRT_TAIL_STAGE_DATA)
#define VRT_TAIL_SEG_SLOTS 32               /* the file grows by 256 KiB */
#define VRT_TAIL_MAX_SLOTS (64 * 1024)      /* 512 MiB of slots at most */

enum { VRT_TAIL_EMPTY = 0, VRT_TAIL_FILLING = 1 };

struct vrt_tail_head {
	char     magic[8];
	uint32_t version, page, slot_size;
	uint32_t stopped;         /* recording stopped (output failed): later
				   * calls were not recorded */
	int32_t  pid, pad1;
	int64_t  mono_start_ns;   /* the trace header's: pairs tail and trace */
	uint64_t nslots;          /* slots the file holds (grows) */
};

struct vrt_tail_ent { uint32_t slot, seq; };

struct vrt_tail_stage {
	uint32_t state;           /* VRT_TAIL_EMPTY / VRT_TAIL_FILLING */
	uint32_t nent;
	uint64_t frame_no;
	uint64_t len;             /* bytes of frame content */
	/* struct vrt_tail_ent ent[VRT_TAIL_STAGE_ENT] follows at offset 64 */
};
#define VRT_TAIL_ENT_OFF 64

struct vrt_tail_slot {
	uint32_t len;             /* bytes of whole records */
	uint32_t seq;             /* times the writer emptied it */
	int32_t  tid;
	uint32_t nev;             /* events among its records (for END's count) */
	int64_t  base_t;          /* time the slot's first record counts from */
};

/* What a recovery found. */
struct vrt_tail_stats {
	int      present;         /* a tail matching the trace was read */
	int      stage;           /* the stage's frame was recovered */
	int      stopped;         /* the shim had stopped recording (output failed) */
	uint64_t events;          /* events recovered */
	uint64_t records;         /* records of every type recovered */
	uint64_t slots;           /* slots that held records */
	uint64_t bad_slots;       /* slots that did not parse (dropped) */
	char     why[256];        /* what was dropped and why, "" if nothing */
};

/*
 * Recover the records of a tail file held in memory (data, len) for the
 * trace whose header is h and whose last complete frame is last_frame
 * (0: none). Calls cb(arg, rec) for each record (cb returns a positive
 * value to stop; that value is returned). Returns 0, VRT_EINPUT when the tail does
 * not belong to this trace or is not a tail (nothing recovered; st->why
 * says why) or VRT_ENOMEM. Damaged pieces are skipped and counted.
 */
int vrt_tail_recover(const void *data, size_t len, const struct vrt_header *h,
		     uint64_t last_frame, int (*cb)(void *arg, const struct vrt_rec *rec),
		     void *arg, struct vrt_tail_stats *st);

#endif
