/*
 * vdev_rules.c - each GPU backend's allocation rules (see vdev_rules.h).
 */
#include "vdev_rules.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ggml-backend-impl.h" /* GGML_BACKEND_API_VERSION */

/*
 * Which flash-attention kernel CUDA picks, for its K/V conversion scratch:
 * ggml_cuda_get_best_fattn_kernel (fattn.cu l. 541-700), the branch of GPUs
 * with Turing-or-newer tensor cores at Ada compute capability (the GPUs
 * llama.cpp users run; older ones pick TILE or VEC by other thresholds).
 * Returns 1 for the vector kernel, 0 for MMA. The sparse-decode special case
 * is left out: it only applies to single-token graphs, never the largest.
 */
static int cuda_fattn_uses_vec(const struct ggml_tensor *dst)
{
	const struct ggml_tensor *Q = dst->src[0], *K = dst->src[1], *V = dst->src[2], *mask = dst->src[3];
	const int64_t gqa = K->ne[2] ? Q->ne[2] / K->ne[2] : 1;
	float max_bias = 0.0f;
	memcpy(&max_bias, (const float *)dst->op_params + 1, sizeof(float));
	int gqa_opt = gqa >= 2 && mask && max_bias == 0.0f && K->ne[1] % 256 == 0; /* FATTN_KQ_STRIDE */
	const struct ggml_tensor *ts[4] = { Q, K, V, mask };
	for (int i = 0; i < 4; i++) {
		if (!ts[i] || ggml_is_quantized(ts[i]->type))
			continue;
		for (int j = 1; j < GGML_MAX_DIMS; j++)
			if (ts[i]->nb[j] % 16 != 0)
				gqa_opt = 0;
	}
	const int can_vec = Q->ne[0] <= 256 && Q->ne[0] % 64 == 0 && Q->ne[0] != 192 && K->ne[1] % 256 == 0;
	if (!can_vec)
		return 0;
	if (!ggml_is_quantized(K->type) && !ggml_is_quantized(V->type)) {
		if (Q->ne[1] == 1 && Q->ne[3] == 1 && !(gqa > 4 && (Q->ne[0] >= 256 || K->ne[1] >= 8192)))
			return 1;
	} else if (Q->ne[1] <= 2) {
		return 1;
	}
	return !gqa_opt && Q->ne[1] == 1;
}

/* CUDA's size of an op's result: ggml_backend_cuda_buffer_type_get_alloc_size
 * (ggml-cuda.cu l. 908-924) sizes FLASH_ATTN_EXT by
 * ggml_cuda_flash_attn_ext_get_alloc_size (fattn.cu l. 719-753) with
 * ggml_cuda_flash_attn_ext_get_f16_extra_data (fattn-common.cuh l. 53-85):
 * the result is followed, 128-aligned, by f16 copies of K and V where the
 * kernel needs f16 and they are not. The vector kernel has instances for
 * K and V of one type (without GGML_CUDA_FA_ALL_QUANTS); other pairs fall
 * back to f16. */
static size_t cuda_op_size(const struct ggml_tensor *t)
{
	if (t->op != GGML_OP_FLASH_ATTN_EXT)
		return ggml_nbytes(t);
	const struct ggml_tensor *K = t->src[1], *V = t->src[2];
	int need_k = 1, need_v = 1;
	if (cuda_fattn_uses_vec(t)) {
		const int fallback = K->type != V->type;
		need_k = K->type == GGML_TYPE_F32 || fallback;
		need_v = V->type == GGML_TYPE_F32 || fallback;
	}
	const int v_is_k = V->view_src && (V->view_src == K || (V->view_src == K->view_src && V->view_offs == K->view_offs));
	uintptr_t end = (uintptr_t)t->data + ggml_nbytes(t);
	if (need_k && K->type != GGML_TYPE_F16) {
		end = GGML_PAD(end, 128);
		end += (uintptr_t)ggml_nelements(K) * ggml_type_size(GGML_TYPE_F16);
	}
	if (need_v && V->type != GGML_TYPE_F16 && !v_is_k) {
		end = GGML_PAD(end, 128);
		end += (uintptr_t)ggml_nelements(V) * ggml_type_size(GGML_TYPE_F16);
	}
	return end - (uintptr_t)t->data;
}

/*
 * Metal (ggml/src/ggml-metal/ggml-metal.cpp and ggml-metal-ops.cpp, tag
 * v0.5.0): ggml_backend_metal_buffer_type_get_alloc_size (ggml-metal.cpp
 * l. 220-253) adds scratch to some ops' results; the sizes below are
 * ggml_metal_op_*_extra_* (ggml-metal-ops.cpp l. 2642-2666, 2941-3220),
 * with the constants of ggml-metal-impl.h (N_MM_NPART_AMAX 256,
 * OP_FLASH_ATTN_EXT_NQPSG 8, _NCPSG 64, _VEC_NQPSG 1, _VEC_NCPSG 32).
 */
static int metal_kv_quant(enum ggml_type t)
{
	return t == GGML_TYPE_Q4_0 || t == GGML_TYPE_Q4_1 || t == GGML_TYPE_Q5_0 || t == GGML_TYPE_Q5_1 ||
	       t == GGML_TYPE_Q8_0;
}

/* ggml_metal_op_flash_attn_ext_n_kv_max_sparse: the sparse index lists'
 * length hint (op_params[4]) where the vector kernels exist for it */
static int64_t metal_fa_n_kv_max(const struct ggml_tensor *op)
{
	static const int64_t dkv[][2] = { { 32, 32 }, { 64, 64 }, { 96, 96 }, { 96, 64 }, { 128, 128 }, { 192, 128 },
					  { 192, 192 }, { 256, 256 }, { 320, 256 }, { 512, 512 }, { 576, 512 } };
	int32_t n = 0;
	memcpy(&n, (const int32_t *)op->op_params + 4, sizeof(n));
	if (n <= 0 || n > 4096 || !op->src[3])
		return 0;
	const int64_t dk = op->src[1]->ne[0], dv = op->src[2]->ne[0];
	int ok = 0;
	for (size_t i = 0; i < sizeof(dkv) / sizeof(dkv[0]); i++)
		ok |= dkv[i][0] == dk && dkv[i][1] == dv;
	const enum ggml_type kt = op->src[1]->type;
	if (!ok || !(kt == GGML_TYPE_F16 || kt == GGML_TYPE_BF16 || kt == GGML_TYPE_F32 || metal_kv_quant(kt)))
		return 0;
	return n;
}

static size_t metal_fa_extra(const struct ggml_tensor *op)
{
	const struct ggml_tensor *Q = op->src[0], *K = op->src[1], *V = op->src[2], *M = op->src[3];
	const int is_vec = Q->ne[1] < 20 && Q->ne[0] % 32 == 0;
	const int kv_f16 = Q->ne[1] >= 32 && metal_kv_quant(K->type);
	const int v_of_k = V->view_src && (V->view_src == K || (V->view_src == K->view_src && V->view_offs == K->view_offs));
	size_t res = 0;
	/* extra_pad: always sized for the non-vector kernel */
	uint64_t nb11 = K->nb[1], nb21 = V->nb[1];
	if (kv_f16) {
		nb11 = 2 * (uint64_t)K->ne[0];
		nb21 = 2 * (uint64_t)(v_of_k ? K->ne[0] : V->ne[0]);
	}
	res += 64 * (nb11 * (size_t)K->ne[2] * (size_t)K->ne[3] + nb21 * (size_t)V->ne[2] * (size_t)V->ne[3] +
		     (M ? 2 * (size_t)M->ne[1] * (size_t)M->ne[2] * (size_t)M->ne[3] : 0));
	/* extra_blk */
	if (M) {
		const int64_t nq = is_vec ? 1 : 8, nc = is_vec ? 32 : 64;
		res += GGML_PAD((size_t)((Q->ne[1] + nq - 1) / nq) * (size_t)((M->ne[0] + nc - 1) / nc) *
					(size_t)M->ne[2] * (size_t)M->ne[3], 32);
	}
	/* extra_tmp: 32 workgroups, at most 32 queries */
	const int64_t q_max = Q->ne[1] < 32 ? Q->ne[1] : 32;
	res += 4 * (size_t)(q_max * Q->ne[2] * Q->ne[3] * 32 * (V->ne[0] + 2));
	/* extra_kv_f16: always reserved */
	res += GGML_PAD(2 * (size_t)K->ne[0] * (size_t)K->ne[1] * (size_t)K->ne[2] * (size_t)K->ne[3], 16);
	if (!v_of_k)
		res += GGML_PAD(2 * (size_t)V->ne[0] * (size_t)V->ne[1] * (size_t)V->ne[2] * (size_t)V->ne[3], 16);
	/* extra_idx */
	const int64_t n_kv = metal_fa_n_kv_max(op);
	if (n_kv > 0)
		res += GGML_PAD(4 * (size_t)GGML_PAD(n_kv, 32) * (size_t)M->ne[1] * (size_t)M->ne[2] * (size_t)M->ne[3], 16);
	return res;
}

static size_t metal_op_size(const struct ggml_tensor *t)
{
	size_t n = ggml_nbytes(t);
	switch (t->op) {
	case GGML_OP_MUL_MAT_ID: /* per-expert counts, token ids, 2 + 256 scales */
		return n + 4 * (size_t)t->src[0]->ne[2] + 4 * (size_t)t->src[0]->ne[2] * (size_t)t->src[2]->ne[1] +
		       8 + 256 * sizeof(float);
	case GGML_OP_FLASH_ATTN_EXT:
		return n + metal_fa_extra(t);
	case GGML_OP_ARGSORT:
		return 2 * n;
#if GGML_BACKEND_API_VERSION >= 2 /* tests/drift builds this against b5590, which has neither op */
	case GGML_OP_CUMSUM:
		return 2 * n;
	case GGML_OP_TOP_K:
		return 2 * sizeof(int32_t) * (size_t)ggml_nelements(t->src[0]);
#endif
	default:
		return n;
	}
}

/*
 * CUDA (ggml/src/ggml-cuda/ggml-cuda.cu, tag v0.5.0):
 *  - alignment 128: ggml_backend_cuda_buffer_type_get_alignment (l. 902);
 *  - quantized rows padded to MATRIX_ROW_PADDING = 512 elements
 *    (common.cuh l. 186) in ggml_backend_cuda_buffer_type_get_alloc_size
 *    (l. 908-924);
 *  - FLASH_ATTN_EXT scratch for f16 copies of K/V: the same function calls
 *    ggml_cuda_flash_attn_ext_get_alloc_size (fattn.cu l. 719);
 *  - op offload at a batch of 32: GGML_OP_OFFLOAD_MIN_BATCH default (l. 5788),
 *    get_op_batch_size / ggml_backend_cuda_device_offload_op (l. 5599-5618);
 *  - a pinned host buffer type "CUDA_Host", async copies and events.
 * ROCm builds the same source with HIP (device names "ROCm0"...), so its
 * row differs in the name only.
 *
 * Vulkan (ggml/src/ggml-vulkan/ggml-vulkan.cpp, tag v0.5.0):
 *  - alignment: the device's minStorageBufferOffsetAlignment
 *    (ggml_backend_vk_buffer_type_get_alignment, l. 12786). It differs by
 *    GPU; 256 is the most the Vulkan specification allows ("Required
 *    Limits"), so a plan never undercounts: at most 255 bytes a tensor;
 *  - no row padding and no scratch: get_alloc_size is ggml_nbytes (l. 12796);
 *  - op offload at a batch of 32 (l. 15693-15697, 15835);
 *  - a pinned host buffer type "Vulkan_Host" (l. 12812-12871), async and events
 *    (ggml_backend_vk_device_get_props, l. 15009-15015).
 *
 * RPC (ggml/src/ggml-rpc/ggml-rpc.cpp, tag v0.5.0), with rpc-server
 * processes whose own backend is CUDA: the client asks the server for the
 * size of a quantized tensor whose rows are not a multiple of 512 and of
 * any op that may need scratch (l. 846-919), so CUDA's padding and
 * flash-attention scratch apply; the alignment is the server's (l. 820-839).
 * No host buffer type and no offload_op (l. 2251-2255); async and events
 * since llama.cpp PR #18626 (January 2026; l. 2184-2189): before it, RPC
 * devices disabled pipeline parallelism.
 *
 * Metal (ggml-metal.cpp, tag v0.5.0): one device (Apple's GPU; memory is
 * the working set macOS allows it), alignment 32 (l. 269-273), scratch
 * per op (metal_op_size above), no host buffer type, async and events
 * (l. 688-703), and only matrix multiplications offloaded from a batch of
 * 32 (ggml_backend_metal_device_offload_op, l. 774-780).
 */
#define VDEV_ROW(nm, prefix, align, pad, size, offload, host, asy, mm_only, max)                   \
	{ .name = nm, .dev_prefix = prefix, .alignment = align, .row_padding = pad, .op_size = size, \
	  .offload_min_batch = offload, .host_buffer = host, .async = asy, .offload_matmul_only = mm_only, \
	  .max_devices = max }
static const struct vdev_rules vdev_backends[] = {
	VDEV_ROW("cuda", "CUDA", 128, 512, cuda_op_size, 32, 1, 1, 0, 0),
	VDEV_ROW("rocm", "ROCm", 128, 512, cuda_op_size, 32, 1, 1, 0, 0),
	VDEV_ROW("vulkan", "Vulkan", 256, 0, NULL, 32, 1, 1, 0, 0),
	VDEV_ROW("rpc", "RPC", 128, 512, cuda_op_size, 0, 0, 1, 0, 0),
	VDEV_ROW("metal", "MTL", 32, 0, metal_op_size, 32, 0, 1, 1, 1),
};

const struct vdev_rules *vdev_rules_find(const char *name)
{
	for (size_t i = 0; i < sizeof(vdev_backends) / sizeof(vdev_backends[0]); i++)
		if (strcmp(vdev_backends[i].name, name) == 0)
			return &vdev_backends[i];
	return NULL;
}

const char *vdev_rules_names(void)
{
	static char names[128];
	if (!names[0])
		for (size_t i = 0, n = 0; i < sizeof(vdev_backends) / sizeof(vdev_backends[0]); i++)
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "", vdev_backends[i].name);
	return names;
}

size_t vdev_rules_alloc_size(const struct vdev_rules *r, const struct ggml_tensor *t)
{
	size_t size = r->op_size ? r->op_size(t) : ggml_nbytes(t);
	if (r->row_padding && ggml_is_quantized(t->type) && t->ne[0] % r->row_padding != 0)
		size += ggml_row_size(t->type, r->row_padding - t->ne[0] % r->row_padding);
	return size;
}
