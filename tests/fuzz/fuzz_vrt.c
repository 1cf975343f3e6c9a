/*
 * fuzz_vrt.c - the native trace reader (trace/vrt.h: vrt_reader_open,
 * vrt_reader_next, vrt_reader_status) and, once it is registered in
 * imp_formats[], the "vrt" importer on the same bytes.
 *
 * Two kinds of input: one that starts with the zstd frame magic is a
 * .vrt.zst file as it is; anything else is the raw contents of frames
 * (see fuzz_vrt.h), compressed here into a file. Checked beyond "no
 * crash": the reader ends (a bounded number of records for the bytes),
 * the status adds up (bytes used + dropped = file size), and an error or
 * damage comes with a message. Seeds: written at run time by seed_vrt
 * (tests/fuzz.mk), plus any .vrt.zst file under tests/data.
 */
#include <zstd.h>

#include "fuzz.h"
#include "fuzz_vrt.h"
#include "vrt.h"

/* Compress the pieces of a structured input into *out (malloc'd). */
static size_t build_file(const uint8_t *data, size_t size, uint8_t **out)
{
	static ZSTD_CCtx *cc;
	if (!cc) {
		cc = ZSTD_createCCtx();
		if (!cc || ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 1)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 1)))
			fuzz_fail("zstd context", NULL);
	}
	/* Every piece costs at most its bound; pieces never outnumber bytes/4 + 1. */
	size_t cap = ZSTD_compressBound(size) + (size / FUZZ_VRT_SEP_LEN + 1) * 32;
	uint8_t *buf = util_xmalloc(cap), *p = buf;
	const uint8_t *piece = data, *end = data + size;
	for (;;) {
		const uint8_t *sep = memmem(piece, (size_t)(end - piece), FUZZ_VRT_SEP,
					    FUZZ_VRT_SEP_LEN);
		size_t n = sep ? (size_t)(sep - piece) : (size_t)(end - piece);
		size_t z = ZSTD_compress2(cc, p, cap - (size_t)(p - buf), piece, n);
		if (ZSTD_isError(z))
			fuzz_fail("ZSTD_compress2", ZSTD_getErrorName(z));
		p += z;
		if (!sep)
			break;
		piece = sep + FUZZ_VRT_SEP_LEN;
	}
	*out = buf;
	return (size_t)(p - buf);
}

static void read_all(const uint8_t *file, size_t len)
{
	struct vrt_reader *r = NULL;
	int rc = vrt_reader_open(file, len, &r);
	if (rc == 0) {
		const struct vrt_header *h = vrt_reader_header(r);
		if (!h || h->cmdline_len > sizeof(h->cmdline) ||
		    !memchr(h->exe, 0, sizeof(h->exe)) || !memchr(h->hostname, 0, sizeof(h->hostname)))
			fuzz_fail("header not terminated or out of range", NULL);
		struct vrt_rec rec;
		size_t n = 0;
		/* Each record takes at least one byte of a decompressed frame,
		 * and frames decompress to at most VRT_FRAME_MAX each. */
		while ((rc = vrt_reader_next(r, &rec)) == 1) {
			if (++n > (len + 1) * (size_t)VRT_FRAME_MAX)
				fuzz_fail("vrt_reader_next never ends", NULL);
			if (rec.type == VRT_REC_DEVICE && !memchr(rec.u.dev.name, 0, VRT_NAME_MAX))
				fuzz_fail("device name not terminated", NULL);
			if (rec.type == VRT_REC_INFO && (!memchr(rec.u.info.key, 0, VRT_KEY_MAX) ||
							 !memchr(rec.u.info.value, 0, VRT_NAME_MAX)))
				fuzz_fail("info not terminated", NULL);
			if (rec.type == VRT_REC_LOOKUP && !memchr(rec.u.lu.symbol, 0, VRT_NAME_MAX))
				fuzz_fail("symbol not terminated", NULL);
		}
		if (rc < 0 && rc != VRT_ENOMEM)
			fuzz_fail("vrt_reader_next: unexpected return code", vrt_reader_error(r));
		struct vrt_status s;
		vrt_reader_status(r, &s);
		if (s.bytes_used + s.bytes_dropped != len)
			fuzz_fail("status: used + dropped bytes differ from the file size", NULL);
		if (s.damaged && !*vrt_reader_error(r))
			fuzz_fail("damaged without a message", NULL);
	} else if (rc != VRT_EINPUT && rc != VRT_ENEWER && rc != VRT_ENOMEM) {
		fuzz_fail("vrt_reader_open: unexpected return code", r ? vrt_reader_error(r) : NULL);
	} else if (r && !*vrt_reader_error(r)) {
		fuzz_fail("vrt_reader_open failed without a message", NULL);
	}
	vrt_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
	uint8_t *built = NULL;
	const uint8_t *file = data;
	size_t len = size;
	if (size < 4 || memcmp(data, zstd_magic, 4) != 0) {
		len = build_file(data, size, &built);
		file = built;
	}
	read_all(file, len);
	if (imp_format_find("vrt"))
		fuzz_import("vrt", file, len);
	free(built);
	return 0;
}
