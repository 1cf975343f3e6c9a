/*
 * gguf_import.c - the "gguf" importer: a GGUF model header becomes a
 * model profile in the store (no trace: a model file records no run),
 * and the header itself (metadata and tensor infos, zstd-compressed) is
 * kept with it, so that a plan can re-create the model as a sparse file
 * without the original (import/model_src.h). A part of a split model
 * imports the whole set (import/gguf_split.h), one header per part.
 *
 * The profile is attached to the newest trace that names this model (its
 * setting "model" or "meta.name"), so a log imported before its model
 * gets its layer sizes without a --profile option on replay.
 */
#include "gguf_file.h"
#include "gguf_split.h"
#include "imp.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int imp_gguf_detect(const unsigned char *data, size_t len, const char *path)
{
	(void)path;
	return gguf_file_has_magic(data, len) ? 100 : 0;
}

static const char *base_of(const char *s)
{
	const char *b = strrchr(s, '/');
	return b ? b + 1 : s;
}

/* Does a trace setting (a model path, file name or model name) name this
 * model? Matches the profile name, the GGUF's file name, or the file name
 * without ".gguf". */
static int names_model(const char *value, const struct profile *p, const char *base)
{
	if (strcmp(value, p->name) == 0)
		return 1;
	const char *vb = base_of(value);
	if (strcmp(vb, base) == 0)
		return 1;
	size_t n = strlen(base);
	return n > 5 && strcmp(base + n - 5, ".gguf") == 0 && strlen(vb) == n - 5 &&
	       strncmp(vb, base, n - 5) == 0;
}

static int trace_names_model(struct store *st, int64_t trace, const struct profile *p,
			     const char *base, int *hit, char **cause)
{
	static const char *const keys[] = { "model", "meta.name" };
	*hit = 0;
	for (size_t k = 0; k < UTIL_ARRAY_SIZE(keys) && !*hit; k++) {
		char *v = NULL;
		int rc = store_setting_get(st, trace, keys[k], &v, cause);
		if (rc)
			return rc;
		*hit = v && names_model(v, p, base);
		free(v);
	}
	return 0;
}

/* Attach profile id to the newest trace that names the model; *trace is
 * its id, or 0 if none does. */
static int attach_newest(struct imp_ctx *ctx, const struct profile *p, int64_t id,
			 int64_t *trace, char **cause)
{
	struct store_trace_info *ts = NULL;
	size_t n = 0;
	*trace = 0;
	int rc = store_trace_list(ctx->st, &ts, &n, cause);
	for (size_t i = n; rc == 0 && i-- > 0;) {
		int hit;
		rc = trace_names_model(ctx->st, ts[i].id, p, ctx->base, &hit, cause);
		if (rc == 0 && hit) {
			rc = store_profile_attach(ctx->st, ts[i].id, id, cause);
			*trace = ts[i].id;
			break;
		}
	}
	for (size_t i = 0; i < n; i++)
		store_trace_info_clear(&ts[i]);
	free(ts);
	return rc;
}

/* "profile 3 'llama' from stories260K.gguf: llama, 5 layers, n_embd 64,
 *  8 heads (4 KV), vocab 512, ctx 2048, 1.1 MiB in 48 tensors" */
static char *summary(int64_t id, const struct profile *p, const struct gguf_file_info *gi,
		     const char *base, int64_t trace, size_t n_parts, uint64_t header)
{
	char mib[32], tensors[64], experts[64] = "", attached[48] = "", kept[96];
	if (gi->n_tensors)
		snprintf(tensors, sizeof(tensors), "%s MiB in %" PRIu64 " tensors",
			 util_mib(mib, sizeof(mib), gi->tensor_bytes, 1), gi->n_tensors);
	else
		snprintf(tensors, sizeof(tensors), "no tensors (vocabulary only)");
	if (p->n_expert)
		snprintf(experts, sizeof(experts), ", %" PRIu32 " experts (%" PRIu32 " used)",
			 p->n_expert, p->n_expert_used);
	if (trace)
		snprintf(attached, sizeof(attached), "; attached to trace %lld", (long long)trace);
	if (n_parts > 1)
		snprintf(kept, sizeof(kept), "; headers of its %zu parts kept in the store (%llu KiB)",
			 n_parts, (unsigned long long)(header + 1023) / 1024);
	else
		snprintf(kept, sizeof(kept), "; header kept in the store (%llu KiB)",
			 (unsigned long long)(header + 1023) / 1024);
	return util_xasprintf("profile %lld '%s' from %s: %s, %" PRIu32 " layers, n_embd %" PRIu32
			      ", %" PRIu32 " heads (%" PRIu32 " KV)%s, vocab %" PRIu32 ", ctx %" PRIu32
			      "%s, %s%s%s%s", (long long)id, p->name, base,
			      p->arch[0] ? p->arch : "unknown architecture", p->n_layer, p->n_embd,
			      p->n_head, p->n_head_kv,
			      gi->heads_per_layer ? " (largest of the layers)" : "", p->n_vocab,
			      p->n_ctx_train, experts, tensors,
			      gi->tied_output ? " (output tied to token_embd)" : "", attached, kept);
}

/* Headers above this are refused: a real one (a 256 k-token vocabulary,
 * a thousand tensors) is tens of MiB at most. */
#define GGUF_IMPORT_MAX_HEADER (256u << 20)

/* Keep each part's header in the store. */
static int keep_headers(struct imp_ctx *ctx, const struct gguf_split *set, int64_t id,
			uint64_t *total, char **cause)
{
	*total = 0;
	for (size_t i = 0; i < set->n; i++) {
		const struct gguf_split_part *pt = &set->parts[i];
		uint64_t hl = pt->info.data_offset < pt->len ? pt->info.data_offset : pt->len;
		if (hl > GGUF_IMPORT_MAX_HEADER)
			return util_err(cause, UTIL_EINPUT, "%s: header of %llu bytes, more than the "
					"%u MiB kept for a model header", pt->path,
					(unsigned long long)hl, GGUF_IMPORT_MAX_HEADER >> 20);
		const char *b = strrchr(pt->path, '/');
		int rc = store_gguf_header_put(ctx->st, id, (int)i, b ? b + 1 : pt->path, pt->len,
					       pt->data, (size_t)hl, cause);
		if (rc)
			return rc;
		*total += hl;
	}
	return 0;
}

int imp_gguf_run(struct imp_ctx *ctx, char **cause)
{
	struct gguf_split set;
	int rc = gguf_split_open_mem(ctx->path, ctx->data, ctx->len, &set, cause);
	if (rc)
		return rc;
	struct profile *p = &set.profile;
	struct gguf_file_info gi = set.parts[0].info;
	for (size_t i = 1; i < set.n; i++) {
		const struct gguf_file_info *pi = &set.parts[i].info;
		gi.n_tensors += pi->n_tensors;
		gi.tensor_bytes += pi->tensor_bytes;
		if (pi->n_tensors && !pi->tied_output)  /* output.weight is in this part */
			gi.tied_output = 0;
	}
	if (ctx->name)  /* --name names what the import creates: here a profile */
		snprintf(p->name, sizeof(p->name), "%s", ctx->name);
	int64_t id = 0, trace = 0;
	uint64_t header = 0;
	rc = store_profile_add(ctx->st, p, set.parts[0].path, &id, cause);
	if (rc == 0)
		rc = keep_headers(ctx, &set, id, &header, cause);
	if (rc == 0)
		rc = attach_newest(ctx, p, id, &trace, cause);
	if (rc == 0) {
		ctx->profile_id = id;
		const char *b = strrchr(set.parts[0].path, '/');
		ctx->summary = summary(id, p, &gi, set.n > 1 ? (b ? b + 1 : set.parts[0].path)
							     : ctx->base, trace, set.n, header);
	}
	gguf_split_close(&set);
	return rc;
}
