/*
 * chunk.h - the store's compact encoding of events: up to CHUNK_MAX
 * events of one process packed into one blob, each event delta-encoded
 * against the one before it with variable-length integers. A typical
 * allocator event takes 8-14 bytes instead of the ~40 a SQLite row
 * needs, and a chunk is written and read as one row, so import and
 * replay run at memory speed rather than at SQLite's per-row speed.
 *
 * Blob layout, per event (varint = LEB128, zz = zigzag for signed):
 *   flags    1 byte: bits 0-3 kind, 4 layers present, 5 extra fields
 *            present, 6 size equals the previous event's, 7 device and
 *            category equal the previous event's
 *   zz(t_ns - previous t_ns)          (the first event: - chunk t_first)
 *   [varint(device + 1), varint(category)]   unless bit 7
 *   [varint(size)]                           unless bit 6
 *   zz(addr - previous addr)                 (as unsigned 64-bit wrap)
 *   [varint(layer_lo + 1), zz(layer_hi - layer_lo)]  if bit 4
 *   [varint(mask), then for each set mask bit in order: zz(api),
 *    varint(req_size), varint(aux), varint(stream), zz(result),
 *    zz(tid), varint(label)]                 if bit 5
 * seq is not stored: event i of a chunk has seq first_seq + i.
 */
#ifndef VRAMSIM_CHUNK_H
#define VRAMSIM_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

#define CHUNK_MAX 4096          /* events per chunk */
#define CHUNK_EVENT_MAX 96      /* bytes one event can take at most */

/* An encoder for one chunk. Fill with chunk_put; the blob is buf[0..len). */
struct chunk_enc {
	unsigned char buf[CHUNK_MAX * CHUNK_EVENT_MAX];
	size_t len;
	int n;                  /* events in the chunk */
	int64_t t_first, t_last;
	int64_t first_seq;
	struct trace_event prev;
};

/* Start an empty chunk whose first event will have seq first_seq. */
void chunk_begin(struct chunk_enc *e, int64_t first_seq);
/* Append ev (its seq is ignored). The chunk must have room (n < CHUNK_MAX). */
void chunk_put(struct chunk_enc *e, const struct trace_event *ev);

/* A decoder over a blob the caller keeps alive. */
struct chunk_dec {
	const unsigned char *p, *end;
	int left;               /* events still to decode */
	int64_t seq;            /* seq of the next event */
	int32_t pid;
	struct trace_event prev;
};

void chunk_dec_init(struct chunk_dec *d, const void *blob, size_t len, int n, int64_t first_seq,
		    int64_t t_first, int32_t pid);
/* Next event into *ev: 1, 0 at the end, -1 if the blob is damaged (it
 * never reads past the blob). */
int chunk_next(struct chunk_dec *d, struct trace_event *ev);

#endif
