/*
 * vdev.h - virtual GPUs for llama.cpp: a ggml backend registry whose devices
 * have the name, memory and capabilities of a topology, allocate buffers
 * that hold no memory, and never compute.
 *
 * Runs inside the planner process (build/engine/vramsim-engine) only. The
 * ggml registry is global and cannot be undone, so vdev_register() adds
 * VDEV_MAX devices once; each plan configures the first n of them
 * (vdev_configure) and hands exactly those to llama.cpp (vdev_list).
 *
 * How a device sizes its buffers is a backend's allocation rules
 * (vdev_rules.h: CUDA, ROCm, Vulkan, RPC, Metal).
 */
#ifndef VRAMSIM_VDEV_H
#define VRAMSIM_VDEV_H

#include <stddef.h>
#include <stdint.h>

#include "ggml-backend.h"
#include "vdev_rules.h"

#define VDEV_MAX 16 /* llama_max_devices() of the pinned engine */

/* Register VDEV_MAX devices with ggml. Call once, after the CPU backend is
 * loaded (supports_op asks the CPU device). Returns 0, -1 if called twice. */
int vdev_register(void);

/* Configure device i for the next plan: memory (bytes) and rules. The
 * device names follow the rules (CUDA0, CUDA1, ...). */
void vdev_configure(int i, uint64_t total, uint64_t free_bytes, const struct vdev_rules *rules);

/* NULL-terminated list of the first n devices (static storage, 0 <= n <= VDEV_MAX). */
ggml_backend_dev_t *vdev_list(int n);

/* Device i, or NULL; its index if dev is a virtual device, else -1. */
ggml_backend_dev_t vdev_get(int i);
int vdev_index(ggml_backend_dev_t dev);

/* Report async copies and events (per the rules) or never (on = 0), for
 * the contexts created next: without them llama.cpp does not engage
 * pipeline parallelism, as after a failed compute-buffer allocation. */
void vdev_set_async(int on);

/* Bytes of every buffer created on device i since start (never
 * decreases): the difference across a load is what that load allocated
 * there, for code that does not report its buffers (the projector, mmp.h). */
uint64_t vdev_allocated(int i);

/* Calls to graph_compute since start (planning never computes: stays 0). */
long vdev_compute_calls(void);

#endif
