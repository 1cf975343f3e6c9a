// mmp.cpp - C interface to llama.cpp's C++-only projector loader (see
// mmp.h). Nothing else belongs here.
#include "mmp.h"

#include "clip.h"
#include "clip-impl.h"

extern "C" void mmp_log_set(ggml_log_callback cb, void *user_data)
{
	g_logger_state.log_callback = cb;
	g_logger_state.log_callback_user_data = user_data;
}

extern "C" int mmp_usage(const char *path, int use_gpu, ggml_backend_dev_t device, int flash_attn, int warmup,
			 struct mmp_use *out, const char **why)
{
	clip_context_params p {};
	p.use_gpu = use_gpu != 0;
	p.device = device;
	p.flash_attn_type = flash_attn < 0 ? CLIP_FLASH_ATTN_TYPE_AUTO
			  : flash_attn ? CLIP_FLASH_ATTN_TYPE_ENABLED : CLIP_FLASH_ATTN_TYPE_DISABLED;
	p.image_min_tokens = -1; // mtmd_context_params_default: the model's own
	p.image_max_tokens = -1;
	p.warmup = warmup != 0;
	p.no_alloc = true;
	try {
		clip_init_result r = clip_init(path, p);
		if (!r.ctx_v && !r.ctx_a && !r.ctx_gen_a) {
			*why = "clip_init loaded no vision or audio encoder from it";
			return -1;
		}
		int n = 0;
		for (clip_ctx *c : { r.ctx_v, r.ctx_a, r.ctx_gen_a }) {
			if (!c)
				continue;
			for (const auto &du : clip_get_mem_usage(c)) {
				int i = 0;
				while (i < n && out[i].dev != du.first)
					i++;
				if (i == n && n < MMP_MAX_USE)
					out[n++] = { du.first, 0 };
				if (i < n)
					out[i].bytes += du.second;
			}
			clip_free(c);
		}
		return n;
	} catch (...) {
		*why = "clip_init threw an exception";
		return -1;
	}
}
