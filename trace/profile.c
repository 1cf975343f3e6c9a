/*
 * profile.c - per-layer size bookkeeping of a model profile.
 */
#include "profile.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char *const group_names[PROFILE_GROUP_MAX] = {
	"attn", "ffn", "ffn_exps", "norm", "other",
};

const char *profile_group_name(int group)
{
	if (group < 0 || group >= PROFILE_GROUP_MAX)
		return "?";
	return group_names[group];
}

int profile_group_parse(const char *name)
{
	for (int i = 0; i < PROFILE_GROUP_MAX; i++)
		if (strcmp(name, group_names[i]) == 0)
			return i;
	return -1;
}

void profile_add(struct profile *p, int32_t layer, int group, uint64_t bytes)
{
	/* Parts added in (layer, group) order (the store reads them sorted)
	 * never scan: only the last one can match (issue 16). */
	if (p->n_parts > 0) {
		const struct profile_part *last = &p->parts[p->n_parts - 1];
		if (last->layer < layer || (last->layer == layer && last->group < group))
			goto append;
	}
	for (size_t i = 0; i < p->n_parts; i++) {
		if (p->parts[i].layer == layer && p->parts[i].group == group) {
			p->parts[i].bytes += bytes;
			return;
		}
	}
append:
	UTIL_GROW(p->parts, p->n_parts + 1, p->alloc_parts);
	p->parts[p->n_parts].layer = layer;
	p->parts[p->n_parts].group = (int16_t)group;
	p->parts[p->n_parts].bytes = bytes;
	p->n_parts++;
}

uint64_t profile_range_bytes(const struct profile *p, int32_t lo, int32_t hi)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < p->n_parts; i++)
		if (p->parts[i].layer >= lo && p->parts[i].layer <= hi)
			sum += p->parts[i].bytes;
	return sum;
}

uint64_t profile_layer_bytes(const struct profile *p, int32_t layer)
{
	return profile_range_bytes(p, layer, layer);
}

void profile_clear(struct profile *p)
{
	if (!p)
		return;
	free(p->parts);
	memset(p, 0, sizeof(*p));
}
