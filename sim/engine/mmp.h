/*
 * mmp.h - the C interface to llama.cpp's multimodal projector loader
 * (clip_init / clip_get_mem_usage of tools/mtmd/clip.cpp, C++ only), which
 * the planner uses to plan a --mmproj file as llama-server loads it.
 *
 * The loader is compiled from the pinned tag's sources (sim/engine/mtmd.mk)
 * and linked against the same prebuilt libggml. With no_alloc it creates
 * its weight buffer on the backend it picks (the device given, else the
 * first GPU ggml lists, else the CPU) without reading any tensor data, so a
 * header-only (sparse) GGUF is fine, and with warmup it reserves its
 * compute graph with ggml_backend_sched (clip.cpp, tag v0.5.0: clip_ctx
 * l. 181-225, load_tensors l. 2121-3650, reserve_compute_meta l. 3766-3785).
 */
#ifndef VRAMSIM_MMP_H
#define VRAMSIM_MMP_H

#include <stddef.h>

#include "ggml-backend.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MMP_MAX_USE 8

/* Bytes clip counts on one device. */
struct mmp_use {
	ggml_backend_dev_t dev;
	size_t bytes;
};

/* Route clip's log lines (its own logger, not ggml's) to cb. */
void mmp_log_set(ggml_log_callback cb, void *user_data);

/*
 * clip_init(path) in no_alloc mode: use_gpu and device as
 * clip_context_params (device NULL: clip's own choice), flash_attn -1 auto,
 * 0 off, 1 on, warmup 0 (weights only) or 1 (weights and the compute
 * reservation of its warmup image or audio). Fills out with
 * clip_get_mem_usage summed over every context the file holds (vision,
 * audio, audio generation), one entry per device; returns the number of
 * entries (at most MMP_MAX_USE), or -1 (clip refused the file: its reason
 * was logged, *why says which call failed).
 */
int mmp_usage(const char *path, int use_gpu, ggml_backend_dev_t device, int flash_attn, int warmup,
	      struct mmp_use *out, const char **why);

#ifdef __cplusplus
}
#endif

#endif
