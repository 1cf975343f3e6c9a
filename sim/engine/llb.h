/*
 * llb.h - the C interface to the two C++-only functions of llama.cpp the
 * planner needs: the per-buffer-type memory breakdown of a context
 * (llama_get_memory_breakdown, src/llama-ext.h) and llama.cpp's `--fit`
 * (common_fit_params, common/fit.h, in libllama-common).
 */
#ifndef VRAMSIM_LLB_H
#define VRAMSIM_LLB_H

#include <stddef.h>
#include <stdint.h>

#include "llama.h"

#ifdef __cplusplus
extern "C" {
#endif

struct llb_buf {
	ggml_backend_buffer_type_t buft;
	size_t model;   /* weights */
	size_t context; /* KV cache / recurrent state */
	size_t compute; /* scheduler compute reservation */
};

/* Fill up to max entries, one per buffer type; returns how many there are
 * (may exceed max), or -1 with *why set (static text) if llama.cpp threw. */
int llb_breakdown(const struct llama_context *ctx, struct llb_buf *out, int max, const char **why);

/* common_fit_params on mp/cp (modified in place, as llama-server --fit on
 * does). split and ov: writable buffers of llama_max_devices() and
 * llama_max_tensor_buft_overrides() entries; margins: bytes per device.
 * Returns 0 fits, 1 does not fit, 2 error (as common_params_fit_status),
 * -1 if it threw. */
int llb_fit(const char *path, struct llama_model_params *mp, struct llama_context_params *cp,
	    float *split, struct llama_model_tensor_buft_override *ov, size_t *margins,
	    uint32_t n_ctx_min);

#ifdef __cplusplus
}
#endif

#endif
