/*
 * seed_vrt.c - write seed inputs for fuzz_vrt into the folder named by
 * argv[1]: a small native trace as the shim writes it (header, two data
 * frames with devices, look-ups, info, allocations, frees and VMM calls,
 * END) both as a .vrt.zst file and in fuzz_vrt's structured form (the
 * raw frame contents separated by FUZZ_VRT_SEP). Built from the encoder
 * in trace/vrt.c, so the seeds follow the format as it changes.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "fuzz_vrt.h"
#include "vrt.h"

#define CAP (VRT_HEADER_MAX + 4 * VRT_FRAME_TARGET)

static uint8_t frame[3][CAP];
static size_t frame_len[3];

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* Frame i: frame record, one chunk of tid's records, END if last. */
static void data_frame(int i, int32_t tid, int64_t base, const struct vrt_enc *e, int last)
{
	uint8_t *p = frame[i];
	size_t n = vrt_put_frame(p, (uint64_t)i, base + 5000);
	n += vrt_put_chunk(p + n, tid, base, e->len);
	memcpy(p + n, e->buf, e->len);
	n += e->len;
	if (last)
		n += vrt_put_end(p + n, 7, 0, VRT_END_EXIT);
	frame_len[i] = n;
}

static void build(void)
{
	static struct vrt_header h;
	h.major = VRT_VERSION_MAJOR;
	h.minor = VRT_VERSION_MINOR;
	h.pid = 4242;
	h.ppid = 1;
	h.mono_start_ns = 1000000;
	h.real_start_ns = 1776479641000000000;
	snprintf(h.hostname, sizeof(h.hostname), "gpubox");
	snprintf(h.session, sizeof(h.session), "s1");
	snprintf(h.shim_version, sizeof(h.shim_version), "0.1.0");
	snprintf(h.exe, sizeof(h.exe), "/usr/bin/llama-server");
	static const char args[] = "llama-server\0-m\0model.gguf\0-ngl\0" "99";
	memcpy(h.cmdline, args, sizeof(args));
	h.cmdline_len = sizeof(args);
	frame_len[0] = vrt_header_encode(frame[0], CAP, &h);
	if (!frame_len[0])
		die("vrt_header_encode");

	static uint8_t buf[VRT_FRAME_TARGET];
	struct vrt_enc e = { .buf = buf, .cap = sizeof(buf) };
	vrt_enc_reset(&e, 100);
	struct vrt_device d = { .ordinal = 0, .total = 25769803776ull };
	memset(d.uuid, 0xab, sizeof(d.uuid));
	snprintf(d.name, sizeof(d.name), "NVIDIA GeForce RTX 3090");
	struct vrt_lookup lu = { .via = VRT_VIA_GPA_V2, .version = 12000, .status = 1,
				 .wrapped = VRT_API_cuMemAlloc_v2 };
	snprintf(lu.symbol, sizeof(lu.symbol), "cuMemAlloc");
	struct vrt_event a = { .api = VRT_API_cuMemAlloc_v2, .dev = 0, .req = 1000,
			       .size = 1024, .addr = 0x7f0000000000ull };
	struct vrt_event f = { .api = VRT_API_cuMemFree_v2, .dev = 0, .addr = a.addr };
	struct vrt_event hst = { .api = VRT_API_cuMemHostAlloc, .dev = VRT_DEV_HOST,
				 .req = 4096, .size = 4096, .addr = 0x10000 };
	if (vrt_enc_device(&e, 110, &d) || vrt_enc_lookup(&e, 120, &lu) ||
	    vrt_enc_info(&e, 130, "driver_version", "12040") ||
	    vrt_enc_event(&e, 200, &a) || vrt_enc_event(&e, 300, &hst) ||
	    vrt_enc_event(&e, 400, &f))
		die("vrt_enc (frame 1)");
	data_frame(1, 77, 100, &e, 0);

	vrt_enc_reset(&e, 1000);
	struct vrt_event c = { .api = VRT_API_cuMemCreate, .dev = 0, .size = 2097152, .addr = 5 };
	struct vrt_event r = { .api = VRT_API_cuMemAddressReserve, .dev = 0, .size = 4194304,
			       .addr = 0x7f1000000000ull, .aux = 2097152 };
	struct vrt_event m = { .api = VRT_API_cuMemMap, .dev = 0, .size = 2097152,
			       .addr = r.addr, .aux = 5 };
	struct vrt_event oom = { .api = VRT_API_cuMemAlloc_v2, .dev = 0, .result = 2,
				 .req = 1ull << 40 };
	if (vrt_enc_event(&e, 1100, &c) || vrt_enc_event(&e, 1200, &r) ||
	    vrt_enc_event(&e, 1300, &m) || vrt_enc_event(&e, 1400, &oom))
		die("vrt_enc (frame 2)");
	data_frame(2, 78, 1000, &e, 1);
}

static FILE *create(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");
	if (!fp)
		die(path);
	return fp;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: seed_vrt DIR\n");
		return 2;
	}
	build();
	/* Structured: raw frames with separators; also the header alone. */
	FILE *fp = create(argv[1], "vrt-frames");
	for (int i = 0; i < 3; i++) {
		if (i)
			fwrite(FUZZ_VRT_SEP, 1, FUZZ_VRT_SEP_LEN, fp);
		fwrite(frame[i], 1, frame_len[i], fp);
	}
	if (fclose(fp))
		die("vrt-frames");
	fp = create(argv[1], "vrt-header-only");
	fwrite(frame[0], 1, frame_len[0], fp);
	if (fclose(fp))
		die("vrt-header-only");

	/* The same as a file, through the writer's own frame function. */
	char path[4096];
	snprintf(path, sizeof(path), "%s/seed.vrt.zst", argv[1]);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	struct ZSTD_CCtx_s *cc = vrt_cctx_new(3);
	static uint8_t zbuf[CAP + 4096];
	if (fd < 0 || !cc)
		die(path);
	for (int i = 0; i < 3; i++)
		if (vrt_write_frame(fd, cc, frame[i], frame_len[i], zbuf, sizeof(zbuf)))
			die("vrt_write_frame");
	close(fd);
	ZSTD_freeCCtx(cc);
	return 0;
}
