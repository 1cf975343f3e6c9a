/*
 * vdev_rules.h - how a GPU backend of the pinned llama.cpp sizes and
 * places what runs on it: one row per backend (CUDA, ROCm, Vulkan, RPC,
 * Metal), each rule cited from that backend's source in vdev_rules.c. The
 * virtual GPUs (vdev.h) follow the row a plan names; another backend is
 * another row.
 */
#ifndef VRAMSIM_VDEV_RULES_H
#define VRAMSIM_VDEV_RULES_H

#include <stddef.h>

#include "ggml.h"

struct vdev_rules {
	const char *name;        /* backend as the user names it: "cuda" */
	const char *dev_prefix;  /* device names as the backend logs them: "CUDA" -> CUDA0 */
	size_t alignment;        /* buffer alignment of the device buffer type */
	int row_padding;         /* quantized rows padded to a multiple of this many elements (0: none) */
	/* the bytes an op's result takes in a compute buffer where the backend
	 * keeps scratch beside it (flash attention's K/V copies...); NULL:
	 * ggml_nbytes */
	size_t (*op_size)(const struct ggml_tensor *t);
	int offload_min_batch;   /* ops with a batch >= this run on the GPU even with CPU weights (0: never) */
	int host_buffer;         /* has a pinned host buffer type ("<prefix>_Host") */
	int async;               /* async copies + events: enables pipeline parallelism */
	int offload_matmul_only; /* only MUL_MAT and MUL_MAT_ID are offloaded that way */
	int max_devices;         /* the most devices the backend has (0: no limit of its own) */
};

/* The rules of backend name (one of vdev_rules_names()), or NULL. */
const struct vdev_rules *vdev_rules_find(const char *name);
/* The known backend names, ", "-joined (static). */
const char *vdev_rules_names(void);

/* What t takes in a buffer of a device following r: the op's own size
 * (op_size) plus the padding of quantized rows. */
size_t vdev_rules_alloc_size(const struct vdev_rules *r, const struct ggml_tensor *t);

#endif
