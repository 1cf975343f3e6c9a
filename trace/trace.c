/*
 * trace.c - names of event kinds and categories.
 */
#include "trace.h"

#include <string.h>

static const char *const kind_names[TRACE_KIND_MAX] = {
	[0] = "?",
	[TRACE_ALLOC] = "alloc",       [TRACE_FREE] = "free",
	[TRACE_CREATE] = "create",     [TRACE_RELEASE] = "release",
	[TRACE_MAP] = "map",           [TRACE_UNMAP] = "unmap",
	[TRACE_RESERVE] = "reserve",   [TRACE_UNRESERVE] = "unreserve",
	[TRACE_TRIM] = "trim",         [TRACE_OOM] = "oom",
	[TRACE_SNAPSHOT] = "snapshot", [TRACE_MARKER] = "marker",
	[TRACE_SEGMENT_ALLOC] = "segment_alloc",
	[TRACE_SEGMENT_FREE] = "segment_free",
};

static const char *const cat_names[TRACE_CAT_MAX] = {
	[TRACE_CAT_OTHER] = "other",         [TRACE_CAT_WEIGHTS] = "weights",
	[TRACE_CAT_KV] = "kv",               [TRACE_CAT_COMPUTE] = "compute",
	[TRACE_CAT_OUTPUT] = "output",       [TRACE_CAT_CONTEXT] = "context",
	[TRACE_CAT_WORKSPACE] = "workspace", [TRACE_CAT_COMM] = "comm",
	[TRACE_CAT_ACTIVATION] = "activation", [TRACE_CAT_CACHE] = "cache",
	[TRACE_CAT_HOST] = "host",           [TRACE_CAT_PROJECTOR] = "projector",
	[TRACE_CAT_GRAPH] = "graph",         [TRACE_CAT_MANAGED] = "managed",
};

const char *trace_kind_name(int kind)
{
	if (kind <= 0 || kind >= TRACE_KIND_MAX)
		return "?";
	return kind_names[kind];
}

const char *trace_cat_name(int cat)
{
	if (cat < 0 || cat >= TRACE_CAT_MAX)
		return "?";
	return cat_names[cat];
}

int trace_cat_parse(const char *name)
{
	for (int i = 0; i < TRACE_CAT_MAX; i++)
		if (strcmp(cat_names[i], name) == 0)
			return i;
	return -1;
}

void trace_event_init(struct trace_event *ev, int kind, int64_t t_ns)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = (int16_t)kind;
	ev->t_ns = t_ns;
	ev->layer_lo = TRACE_LAYER_NONE;
	ev->layer_hi = TRACE_LAYER_NONE;
}
