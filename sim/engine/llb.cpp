// llb.cpp - C interface to llama.cpp's C++-only memory breakdown and fit
// (see llb.h). Nothing else belongs here.
#include "llb.h"

#include "fit.h"
#include "llama-ext.h"

extern "C" int llb_breakdown(const struct llama_context *ctx, struct llb_buf *out, int max, const char **why)
{
	try {
		const llama_memory_breakdown mb = llama_get_memory_breakdown(ctx);
		int n = 0;
		for (const auto &entry : mb) {
			if (n < max)
				out[n] = { entry.first, entry.second.model, entry.second.context, entry.second.compute };
			n++;
		}
		return n;
	} catch (...) {
		*why = "llama_get_memory_breakdown threw an exception";
		return -1;
	}
}

extern "C" int llb_fit(const char *path, struct llama_model_params *mp, struct llama_context_params *cp,
		       float *split, struct llama_model_tensor_buft_override *ov, size_t *margins,
		       uint32_t n_ctx_min)
{
	try {
		return (int)common_fit_params(path, mp, cp, split, ov, margins, n_ctx_min, nullptr, GGML_LOG_LEVEL_ERROR);
	} catch (...) {
		return -1;
	}
}
