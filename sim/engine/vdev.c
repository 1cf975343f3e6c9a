/*
 * vdev.c - virtual GPUs for llama.cpp (see vdev.h).
 *
 * Fills the backend interfaces of ggml/src/ggml-backend-impl.h
 * (GGML_BACKEND_API_VERSION 2 in the pinned tag) with designated
 * initializers, so a header of another layout fails to compile instead of
 * filling the wrong slots. The allocation rules are a backend's row of
 * vdev_rules.c, each cited from the pinned llama.cpp tag v0.5.0.
 */
#include "vdev.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ggml-backend-impl.h"
#include "ggml.h"

struct vdev_ctx {
	int index;
	const struct vdev_rules *rules;
	char name[32];
	char desc[64];
	char pci[40];
	size_t total, free_bytes;
	uint64_t allocated; /* every buffer ever created on it (vdev_allocated) */
	struct ggml_backend_buffer_type buft;
};

static struct vdev_ctx vdev_ctx[VDEV_MAX];
static struct ggml_backend_device vdev_dev[VDEV_MAX];
static ggml_backend_dev_t vdev_sel[VDEV_MAX + 1];
static struct ggml_backend_reg vdev_reg;
static int vdev_registered;
static long vdev_computes;
static int vdev_async_on = 1;

void vdev_set_async(int on)
{
	vdev_async_on = on != 0;
}

long vdev_compute_calls(void)
{
	return vdev_computes;
}

/* ------------------------------------------------------------ buffers */

/* A fake base address, 4 KiB aligned, distinct per device, never
 * dereferenced: every buffer operation below is a no-op. */
static void *buf_base(ggml_backend_buffer_t b)
{
	const struct vdev_ctx *d = b->buft->context;
	return (void *)(uintptr_t)(0x100000000000ULL * (uint64_t)(d->index + 1));
}

static void buf_free(ggml_backend_buffer_t b)
{
	(void)b;
}

static void buf_memset(ggml_backend_buffer_t b, struct ggml_tensor *t, uint8_t v, size_t off, size_t n)
{
	(void)b, (void)t, (void)v, (void)off, (void)n;
}

static void buf_set(ggml_backend_buffer_t b, struct ggml_tensor *t, const void *data, size_t off, size_t n)
{
	(void)b, (void)t, (void)data, (void)off, (void)n;
}

static void buf_get(ggml_backend_buffer_t b, const struct ggml_tensor *t, void *data, size_t off, size_t n)
{
	(void)b, (void)t, (void)off;
	memset(data, 0, n);
}

static void buf_clear(ggml_backend_buffer_t b, uint8_t v)
{
	(void)b, (void)v;
}

static const struct ggml_backend_buffer_i buf_iface = {
	.free_buffer = buf_free,
	.get_base = buf_base,
	.memset_tensor = buf_memset,
	.set_tensor = buf_set,
	.get_tensor = buf_get,
	.clear = buf_clear,
};

/* ------------------------------------------------------------ buffer type */

static const char *buft_name(ggml_backend_buffer_type_t buft)
{
	return ((const struct vdev_ctx *)buft->context)->name;
}

static ggml_backend_buffer_t buft_alloc(ggml_backend_buffer_type_t buft, size_t size)
{
	/* Never refused: the plan reports what would be needed, and vramsim
	 * judges it against the memory (llama.cpp plans with no_alloc anyway). */
	((struct vdev_ctx *)buft->context)->allocated += size;
	return ggml_backend_buffer_init(buft, buf_iface, NULL, size);
}

uint64_t vdev_allocated(int i)
{
	return i >= 0 && i < VDEV_MAX ? vdev_ctx[i].allocated : 0;
}

static size_t buft_alignment(ggml_backend_buffer_type_t buft)
{
	return ((const struct vdev_ctx *)buft->context)->rules->alignment;
}

static size_t buft_alloc_size(ggml_backend_buffer_type_t buft, const struct ggml_tensor *t)
{
	return vdev_rules_alloc_size(((const struct vdev_ctx *)buft->context)->rules, t);
}

static const struct ggml_backend_buffer_type_i buft_iface = {
	.get_name = buft_name,
	.alloc_buffer = buft_alloc,
	.get_alignment = buft_alignment,
	.get_alloc_size = buft_alloc_size,
};

/* The pinned host buffer type: one for all devices, belonging to device 0,
 * sized like the CPU buffer type (ggml_backend_cuda_host_buffer_type,
 * ggml-cuda.cu l. 1309-1322). Its buffers are real CPU buffers: llama.cpp
 * writes the output buffer and reads it back. */
static char vdev_host_name[40];
static struct ggml_backend_buffer_type vdev_host_buft;

static const char *host_name(ggml_backend_buffer_type_t buft)
{
	(void)buft;
	return vdev_host_name;
}

static ggml_backend_buffer_t host_alloc(ggml_backend_buffer_type_t buft, size_t size)
{
	ggml_backend_buffer_t b = ggml_backend_buft_alloc_buffer(ggml_backend_cpu_buffer_type(), size);
	if (b)
		b->buft = buft;
	return b;
}

static size_t host_alignment(ggml_backend_buffer_type_t buft)
{
	(void)buft;
	return ggml_backend_buft_get_alignment(ggml_backend_cpu_buffer_type());
}

static bool host_is_host(ggml_backend_buffer_type_t buft)
{
	(void)buft;
	return true;
}

static const struct ggml_backend_buffer_type_i host_iface = {
	.get_name = host_name,
	.alloc_buffer = host_alloc,
	.get_alignment = host_alignment,
	.is_host = host_is_host,
};

/* ------------------------------------------------------------ backend (a stream that never computes) */

static const char *be_name(ggml_backend_t b)
{
	return ((const struct vdev_ctx *)b->context)->name;
}

static void be_free(ggml_backend_t b)
{
	free(b);
}

static void be_sync(ggml_backend_t b)
{
	(void)b;
}

static enum ggml_status be_compute(ggml_backend_t b, struct ggml_cgraph *g)
{
	(void)b, (void)g;
	vdev_computes++;
	return GGML_STATUS_SUCCESS;
}

static void be_event(ggml_backend_t b, ggml_backend_event_t e)
{
	(void)b, (void)e;
}

static uint8_t vdev_guid[16] = { 'v', 'r', 'a', 'm', 's', 'i', 'm', '-', 'v', 'd', 'e', 'v', 0, 0, 0, 1 };

static ggml_backend_t dev_init_backend(ggml_backend_dev_t dev, const char *params)
{
	(void)params;
	const struct vdev_ctx *d = dev->context;
	ggml_backend_t b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->guid = &vdev_guid;
	b->iface.get_name = be_name;
	b->iface.free = be_free;
	b->iface.synchronize = be_sync;
	b->iface.graph_compute = be_compute;
	if (d->rules->async && vdev_async_on) {
		b->iface.event_record = be_event;
		b->iface.event_wait = be_event;
	}
	b->device = dev;
	b->context = dev->context;
	return b;
}

/* ------------------------------------------------------------ device */

static const char *dev_name(ggml_backend_dev_t dev)
{
	return ((const struct vdev_ctx *)dev->context)->name;
}

static const char *dev_desc(ggml_backend_dev_t dev)
{
	return ((const struct vdev_ctx *)dev->context)->desc;
}

static void dev_memory(ggml_backend_dev_t dev, size_t *free_bytes, size_t *total)
{
	const struct vdev_ctx *d = dev->context;
	*free_bytes = d->free_bytes;
	*total = d->total;
}

static enum ggml_backend_dev_type dev_type(ggml_backend_dev_t dev)
{
	(void)dev;
	return GGML_BACKEND_DEVICE_TYPE_GPU;
}

static void dev_props(ggml_backend_dev_t dev, struct ggml_backend_dev_props *p)
{
	const struct vdev_ctx *d = dev->context;
	p->name = d->name;
	p->description = d->desc;
	p->memory_free = d->free_bytes;
	p->memory_total = d->total;
	p->type = GGML_BACKEND_DEVICE_TYPE_GPU;
	/* unique: llama.cpp drops a GPU whose id another one has */
#if GGML_BACKEND_API_VERSION >= 2
	p->device_id = d->pci;
#endif
	p->caps.async = d->rules->async && vdev_async_on;
	p->caps.host_buffer = d->rules->host_buffer != 0;
	p->caps.buffer_from_host_ptr = false;
	p->caps.events = d->rules->async && vdev_async_on;
}

static ggml_backend_buffer_type_t dev_buft(ggml_backend_dev_t dev)
{
	return &((struct vdev_ctx *)dev->context)->buft;
}

static ggml_backend_buffer_type_t dev_host_buft(ggml_backend_dev_t dev)
{
	const struct vdev_ctx *d = dev->context;
	return d->rules->host_buffer ? &vdev_host_buft : NULL;
}

/* What the CPU backend can run is what the graph needs; a real GPU backend
 * lacking an op would move it to the CPU, which only a real GPU knows. */
static bool dev_supports_op(ggml_backend_dev_t dev, const struct ggml_tensor *op)
{
	(void)dev;
	ggml_backend_dev_t cpu = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
#if GGML_BACKEND_API_VERSION < 2
	/* Older CPU devices refuse an op whose source sits in a non-host buffer
	 * (ggml-cpu.cpp, ggml_backend_cpu_device_supports_op, tag b5590 l. 410-413),
	 * which would keep every weight off the virtual GPUs: ask about the op
	 * as if its tensors had no buffer (tests/drift, an older engine). */
	struct ggml_tensor o = *op, s[GGML_MAX_SRC];
	for (int i = 0; i < GGML_MAX_SRC; i++)
		if (op->src[i]) {
			s[i] = *op->src[i];
			s[i].buffer = NULL;
			o.src[i] = &s[i];
		}
	o.buffer = NULL;
	op = &o;
#endif
	return cpu ? ggml_backend_dev_supports_op(cpu, op) : true;
}

static bool dev_supports_buft(ggml_backend_dev_t dev, ggml_backend_buffer_type_t buft)
{
	return buft->device == dev && buft->iface.get_alloc_size == buft_alloc_size;
}

/* get_op_batch_size (ggml-cuda.cu l. 5599-5612) */
static int64_t op_batch(const struct ggml_tensor *op)
{
	switch (op->op) {
	case GGML_OP_GET_ROWS:
		return 0;
	case GGML_OP_MUL_MAT:
		return op->ne[1];
	case GGML_OP_MUL_MAT_ID:
	case GGML_OP_ROPE:
	case GGML_OP_ROPE_BACK:
		return op->ne[2];
	default:
		return ggml_nrows(op);
	}
}

/* An op whose weight sits in host memory runs on the GPU when its batch is
 * large enough; the scheduler then copies the weight into the GPU's compute
 * buffer (this is how a CPU-held output layer grows a GPU compute buffer). */
static bool dev_offload_op(ggml_backend_dev_t dev, const struct ggml_tensor *op)
{
	const struct vdev_ctx *d = dev->context;
	if (d->rules->offload_matmul_only && op->op != GGML_OP_MUL_MAT && op->op != GGML_OP_MUL_MAT_ID)
		return false;
	return d->rules->offload_min_batch > 0 && op_batch(op) >= d->rules->offload_min_batch;
}

static ggml_backend_event_t dev_event_new(ggml_backend_dev_t dev)
{
	const struct vdev_ctx *d = dev->context;
	if (!d->rules->async || !vdev_async_on)
		return NULL;
	ggml_backend_event_t e = calloc(1, sizeof(*e));
	if (e)
		e->device = dev;
	return e;
}

static void dev_event_free(ggml_backend_dev_t dev, ggml_backend_event_t e)
{
	(void)dev;
	free(e);
}

static void dev_event_sync(ggml_backend_dev_t dev, ggml_backend_event_t e)
{
	(void)dev, (void)e;
}

static const struct ggml_backend_device_i dev_iface = {
	.get_name = dev_name,
	.get_description = dev_desc,
	.get_memory = dev_memory,
	.get_type = dev_type,
	.get_props = dev_props,
	.init_backend = dev_init_backend,
	.get_buffer_type = dev_buft,
	.get_host_buffer_type = dev_host_buft,
	.supports_op = dev_supports_op,
	.supports_buft = dev_supports_buft,
	.offload_op = dev_offload_op,
	.event_new = dev_event_new,
	.event_free = dev_event_free,
	.event_synchronize = dev_event_sync,
};

/* ------------------------------------------------------------ registry */

static const char *reg_name(ggml_backend_reg_t reg)
{
	(void)reg;
	return vdev_ctx[0].rules->dev_prefix;
}

static size_t reg_count(ggml_backend_reg_t reg)
{
	(void)reg;
	return VDEV_MAX;
}

static ggml_backend_dev_t reg_device(ggml_backend_reg_t reg, size_t i)
{
	(void)reg;
	return i < VDEV_MAX ? &vdev_dev[i] : NULL;
}

static void *reg_proc(ggml_backend_reg_t reg, const char *name)
{
	(void)reg, (void)name;
	return NULL;
}

static const struct ggml_backend_reg_i reg_iface = {
	.get_name = reg_name,
	.get_device_count = reg_count,
	.get_device = reg_device,
	.get_proc_address = reg_proc,
};

void vdev_configure(int i, uint64_t total, uint64_t free_bytes, const struct vdev_rules *rules)
{
	struct vdev_ctx *d = &vdev_ctx[i];
	d->rules = rules;
	d->total = (size_t)total;
	d->free_bytes = (size_t)free_bytes;
	snprintf(d->name, sizeof(d->name), "%s%d", rules->dev_prefix, i);
	if (i == 0)
		snprintf(vdev_host_name, sizeof(vdev_host_name), "%s_Host", rules->dev_prefix);
	snprintf(d->desc, sizeof(d->desc), "virtual %s GPU, %.2f GiB", rules->name, (double)total / 1073741824.0);
}

int vdev_register(void)
{
	if (vdev_registered)
		return -1;
	vdev_registered = 1;
	vdev_reg.api_version = GGML_BACKEND_API_VERSION;
	vdev_reg.iface = reg_iface;
	vdev_host_buft.iface = host_iface;
	vdev_host_buft.device = &vdev_dev[0];
	vdev_host_buft.context = NULL;
	for (int i = 0; i < VDEV_MAX; i++) {
		struct vdev_ctx *d = &vdev_ctx[i];
		d->index = i;
		snprintf(d->pci, sizeof(d->pci), "0000:%02x:00.0", 0x10 + i);
		vdev_configure(i, 24ULL << 30, 24ULL << 30, vdev_rules_find("cuda"));
		d->buft.iface = buft_iface;
		d->buft.device = &vdev_dev[i];
		d->buft.context = d;
		vdev_dev[i].iface = dev_iface;
		vdev_dev[i].reg = &vdev_reg;
		vdev_dev[i].context = d;
	}
	ggml_backend_register(&vdev_reg);
	return 0;
}

ggml_backend_dev_t *vdev_list(int n)
{
	if (n < 0)
		n = 0;
	if (n > VDEV_MAX)
		n = VDEV_MAX;
	for (int i = 0; i < n; i++)
		vdev_sel[i] = &vdev_dev[i];
	vdev_sel[n] = NULL;
	return vdev_sel;
}

ggml_backend_dev_t vdev_get(int i)
{
	return i >= 0 && i < VDEV_MAX ? &vdev_dev[i] : NULL;
}

int vdev_index(ggml_backend_dev_t dev)
{
	for (int i = 0; i < VDEV_MAX; i++)
		if (dev == &vdev_dev[i])
			return i;
	return -1;
}
