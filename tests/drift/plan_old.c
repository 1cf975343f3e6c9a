/*
 * plan_old.c - plan a header-only GGUF with an OLDER llama.cpp, one that
 * predates no_alloc (tests/drift/run.sh builds it against tag b5590).
 *
 * The virtual GPUs are sim/engine/vdev.c, built against that tag's headers;
 * their buffers never allocate and set_tensor is a no-op, so the loader's
 * ordinary path (mmap, then ggml_backend_tensor_set of each GPU tensor,
 * llama-model-loader.cpp load_all_data at b5590) reads nothing from the
 * sparse file, and the buffer sizes llama.cpp logs are what it would have
 * allocated on real GPUs. The CUDA rules are that tag's: alignment 128,
 * quantized rows padded to 512 elements and nothing else in get_alloc_size
 * (ggml-cuda.cu l. 670-690 at b5590: no flash-attention scratch, which
 * later tags added), op offload from a batch of 32 (l. 3280-3298).
 *
 * usage: plan_old LIBDIR MODEL.gguf ctx=N fa=0|1 ctk=f16|q8_0 free=MiB[,MiB...]
 *                 [ot=PATTERN=CPU|CUDAn]...
 * (one free figure per GPU; 2 GPUs of 24 GiB free when not given)
 * Prints llama.cpp's own buffer and graph lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "llama.h"
#include "vdev.h"

#define MAX_OT 16

static void log_line(enum ggml_log_level level, const char *text, void *user)
{
	(void)level, (void)user;
	if (strstr(text, "buffer size") || strstr(text, "graph nodes") || strstr(text, "graph splits") ||
	    strstr(text, "using device") || strstr(text, "error"))
		fputs(text, stdout);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: plan_old LIBDIR MODEL.gguf ctx=N fa=0|1 ctk=T free=MiB[,MiB...] [ot=P=DEV]...\n");
		return 2;
	}
	static const struct vdev_rules cuda_b5590 = { .name = "cuda", .dev_prefix = "CUDA", .alignment = 128,
						      .row_padding = 512, .op_size = NULL, .offload_min_batch = 32,
						      .host_buffer = 1, .async = 1 };
	static struct llama_model_tensor_buft_override ot[MAX_OT + 1];
	static char pat[MAX_OT][256];
	unsigned long free_mib[VDEV_MAX] = { 24576, 24576 };
	int n_ctx = 4096, fa = 0, n_ot = 0, n_gpu = 2;
	enum ggml_type ctk = GGML_TYPE_F16;

	llama_log_set(log_line, NULL);
	ggml_backend_load_all_from_path(argv[1]);
	vdev_register();
	for (int i = 3; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "ctx=", 4) == 0) {
			n_ctx = atoi(a + 4);
		} else if (strncmp(a, "fa=", 3) == 0) {
			fa = atoi(a + 3);
		} else if (strncmp(a, "ctk=", 4) == 0) {
			ctk = strcmp(a + 4, "q8_0") == 0 ? GGML_TYPE_Q8_0 : GGML_TYPE_F16;
		} else if (strncmp(a, "free=", 5) == 0) {
			/* one figure per GPU: their count is the number of GPUs */
			n_gpu = 0;
			for (const char *q = a + 5; *q && n_gpu < VDEV_MAX; q += *q == ',') {
				char *end;
				free_mib[n_gpu++] = strtoul(q, &end, 10);
				if (end == q || (*end && *end != ','))
					return 2;
				q = end;
			}
		} else if (strncmp(a, "ot=", 3) == 0 && n_ot < MAX_OT) {
			snprintf(pat[n_ot], sizeof(pat[n_ot]), "%s", a + 3);
			char *eq = strrchr(pat[n_ot], '=');
			if (!eq)
				return 2;
			*eq = '\0';
			ot[n_ot].pattern = pat[n_ot];
			ot[n_ot].buft = strcmp(eq + 1, "CPU") == 0 ? ggml_backend_cpu_buffer_type()
				      : ggml_backend_dev_buffer_type(vdev_get(atoi(eq + 5)));
			n_ot++;
		} else {
			fprintf(stderr, "plan_old: unknown argument %s\n", a);
			return 2;
		}
	}
	/* totals of a 24 GiB card, or the free memory where more; llama.cpp's
	 * default split follows free memory */
	for (int i = 0; i < n_gpu; i++) {
		uint64_t total = free_mib[i] > 24576 ? free_mib[i] : 24576;
		vdev_configure(i, total << 20, (uint64_t)free_mib[i] << 20, &cuda_b5590);
	}

	struct llama_model_params mp = llama_model_default_params();
	mp.devices = vdev_list(n_gpu);
	mp.n_gpu_layers = 99;
	mp.use_mmap = true;
	mp.tensor_buft_overrides = n_ot ? ot : NULL;
	struct llama_model *m = llama_model_load_from_file(argv[2], mp);
	if (!m) {
		fprintf(stderr, "plan_old: llama.cpp cannot load %s\n", argv[2]);
		return 1;
	}
	struct llama_context_params cp = llama_context_default_params();
	cp.n_ctx = (uint32_t)n_ctx;
	cp.n_batch = 2048;
	cp.n_ubatch = 512;
	cp.n_seq_max = 1;
	cp.flash_attn = fa != 0;
	cp.type_k = cp.type_v = ctk;
	struct llama_context *c = llama_init_from_model(m, cp);
	if (!c) {
		fprintf(stderr, "plan_old: llama.cpp cannot create the context\n");
		llama_model_free(m);
		return 1;
	}
	llama_free(c);
	llama_model_free(m);
	return vdev_compute_calls() == 0 ? 0 : 1;
}
