/*
 * proj.h - the planner's plan of a multimodal projector (--mmproj): what
 * llama.cpp's own clip loader (mmp.h) allocates for it, per device, as
 * llama-server loads it after the text model.
 *
 * Which device: llama-server hands clip the first device of --device, or
 * none, and clip then takes the first GPU ggml lists (common/arg.cpp
 * l. 886-890; tools/mtmd/clip.cpp l. 188-198, tag v0.5.0): not --main-gpu.
 * The planner's device list is the virtual GPUs in order, so that is GPU 0
 * whenever there is a GPU, else the CPU.
 */
#ifndef VRAMSIM_PROJ_H
#define VRAMSIM_PROJ_H

#include <stddef.h>

#include "vdev.h"

struct proj_plan {
	int dev;                    /* the virtual GPU holding the weights, -1: the host */
	size_t weights;             /* bytes of the weight buffer clip created there */
	size_t counted;             /* clip's own count of them (the tensors' ggml_nbytes, no
				     * padding): what llama-server --fit reserves for them */
	size_t compute[VDEV_MAX + 1]; /* compute reservation per GPU, the host at VDEV_MAX */
	int flash_attn;             /* what clip's warmup settled on: 1 on, 0 off, -1 not said */
	int cached;                 /* the same request was planned before: not re-run */
};

/* Forward clip's log to ggml's logger (the planner's). */
void proj_init(void);

/*
 * Plan path on the first n_gpus virtual GPUs (0: on the CPU) with
 * flash_attn -1 auto, 0 off, 1 on (llama-server's -fa, which it passes on
 * to clip). 0, or -1 with why (static text; clip logged its reason).
 */
int proj_plan(const char *path, int n_gpus, int flash_attn, const char *rules, struct proj_plan *out,
	      const char **why);

#endif
