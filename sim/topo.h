/*
 * topo.h - sizes and virtual GPU topologies as the user writes them.
 *
 * Sizes: a number with an optional binary unit, B K M G T (also KiB MiB
 * GiB TiB, case-insensitive, "24G" = 24 GiB, as nvidia-smi reports a 24 GB
 * card as 24576 MiB). Fractions are allowed ("1.5G").
 *
 * Topology: comma-separated groups "COUNTxSIZE" or "SIZE" (count 1):
 * "4x24G", "2x24G,1x12G", "24G", "80G,2x24G". Group order is GPU order.
 */
#ifndef VRAMSIM_TOPO_H
#define VRAMSIM_TOPO_H

#include <stdint.h>

#define TOPO_MAX_GPUS 256

struct topo {
	int n;                           /* number of GPUs, 1..TOPO_MAX_GPUS */
	uint64_t capacity[TOPO_MAX_GPUS]; /* bytes each */
};

/*
 * Parse a size into *bytes. Returns 0, or UTIL_EINPUT with *cause
 * describing what was expected ("expected a size like 24G or 512M").
 * Zero and negative sizes are rejected when nonzero is set.
 */
int topo_parse_size(const char *s, int nonzero, uint64_t *bytes, char **cause);

/* Parse a topology spec into *t. UTIL_EINPUT with *cause naming the bad
 * group ("4x", "0x24G", "4x24Q", "-1x8G"). */
int topo_parse(const char *spec, struct topo *t, char **cause);

/* Write the canonical spec of t ("2x24G,1x12G") into buf (size n). */
const char *topo_format(const struct topo *t, char *buf, int n);

#endif
