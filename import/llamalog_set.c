/*
 * llamalog_set.c - settings: llama.cpp's "func: key = value" lines and
 * command lines (llama-server's, and the one Ollama passes its runner).
 */
#include "llamalog_int.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Value types: V_PATH keeps a path's file name; V_FLAG takes no value
 * (sets 1); V_LIST may repeat (values joined with ';'). */
enum { V_INT, V_STR, V_SIZE, V_FA, V_PATH, V_FLAG, V_LIST };

/* "func: key = value" keys kept as settings; meta: printed by the model
 * metadata printers; ik: printed by ik_llama.cpp only (engine marker). */
static const struct { const char *key, *setting; int type; int meta, ik; } kv_keys[] = {
	{ "n_ctx", SK(N_CTX), V_INT, 0, 0 },
	{ "n_ctx_per_seq", SK(N_CTX_PER_SEQ), V_INT, 0, 0 },
	{ "n_ctx_seq", SK(N_CTX_PER_SEQ), V_INT, 0, 0 },
	{ "n_batch", SK(N_BATCH), V_INT, 0, 0 },
	{ "n_ubatch", SK(N_UBATCH), V_INT, 0, 0 },
	{ "n_seq_max", SK(N_SEQ_MAX), V_INT, 0, 0 },
	{ "flash_attn", SK(FLASH_ATTN), V_FA, 0, 0 },
	{ "mla_attn", SK(MLA_ATTN), V_INT, 0, 1 },
	{ "attn_max_b", SK(ATTN_MAX_BATCH), V_INT, 0, 1 },
	{ "fused_moe", SK(FUSED_MOE), V_INT, 0, 1 },
	{ "causal_attn", SK(CAUSAL_ATTN), V_INT, 0, 0 },
	{ "kv_unified", SK(KV_UNIFIED), V_STR, 0, 0 },
	{ "arch", SK(META_ARCH), V_STR, 1, 0 },
	{ "general.name", SK(META_NAME), V_STR, 1, 0 },
	{ "n_layer", SK(META_N_LAYER), V_INT, 1, 0 },
	{ "n_embd", SK(META_N_EMBD), V_INT, 1, 0 },
	{ "n_head", SK(META_N_HEAD), V_INT, 1, 0 },
	{ "n_head_kv", SK(META_N_HEAD_KV), V_INT, 1, 0 },
	{ "n_vocab", SK(META_N_VOCAB), V_INT, 1, 0 },
	{ "vocab_size", SK(META_N_VOCAB), V_INT, 1, 0 },
	{ "n_ctx_train", SK(META_N_CTX_TRAIN), V_INT, 1, 0 },
	{ "n_expert", SK(META_N_EXPERT), V_INT, 1, 0 },
	{ "n_expert_used", SK(META_N_EXPERT_USED), V_INT, 1, 0 },
	{ "n_embd_head_k", SK(META_N_EMBD_HEAD_K), V_INT, 1, 0 },
	{ "n_embd_head_v", SK(META_N_EMBD_HEAD_V), V_INT, 1, 0 },
	{ "n_ff", SK(META_N_FF), V_INT, 1, 0 },
	{ "model type", SK(META_MODEL_TYPE), V_STR, 1, 0 },
	{ "model ftype", SK(META_FTYPE), V_STR, 1, 0 },
	{ "file type", SK(META_FTYPE), V_STR, 1, 0 },
	{ "model size", SK(META_FILE_SIZE), V_SIZE, 1, 0 },
	{ "file size", SK(META_FILE_SIZE), V_SIZE, 1, 0 },
};

/* A value without the quotes a shell or a log put around it: 'x', "x". */
static void unquote(char *v)
{
	size_t n = strlen(v);
	while (n && (v[n - 1] == '"' || v[n - 1] == '\'' || v[n - 1] == '\r'))
		v[--n] = '\0';
	size_t k = 0;
	while (v[k] == '"' || v[k] == '\'')
		k++;
	if (k)
		memmove(v, v + k, n - k + 1);
}

static void kv_setting(struct ll *p, int i, const char *val)
{
	/* model metadata comes before the buffers of its load: its row's
	 * boundary rule opens a new load after buffers */
	struct ll_load *l = ll_load_for(p);
	long n;
	const char *e;
	uint64_t bytes;
	switch (kv_keys[i].type) {
	case V_INT:
		if (ll_int(val, &n, &e) == 0 && (*e == '\0' || *e == ',' || *e == ' ')) {
			ll_set_int(l, kv_keys[i].setting, n);
			if (strcmp(kv_keys[i].key, "n_seq_max") == 0)
				ll_set_int(l, SK(PARALLEL), n);
		}
		break;
	case V_STR: {
		char *u = util_xstrdup(val);
		unquote(u);
		ll_set(l, kv_keys[i].setting, u);
		free(u);
		break;
	}
	case V_SIZE:
		if (ll_human(val, &bytes, NULL) == 0)
			ll_set_u64(l, kv_keys[i].setting, bytes);
		break;
	case V_FA:
		ll_set_fa(l, val);
		break;
	}
	if (kv_keys[i].ik)
		l->eng |= ENG_IK;
}

/* "<func>: <key> = <value>", key one or two words ("model size"); meta:
 * the model metadata printers (print_info, llm_load_print_meta), else the
 * context's settings. */
static int key_value(struct ll *p, char *s, int meta)
{
	char *eq = strstr(s, " = ");
	if (!eq)
		return 1;
	const char *e = eq;
	while (e > s && e[-1] == ' ')
		e--;
	const char *kb = e;
	while (kb > s && kb[-1] != ' ')
		kb--;
	if (kb == e)
		return 1;
	const char *pb = kb; /* word before the key */
	while (pb > s && pb[-1] == ' ')
		pb--;
	if (pb == s)
		return 1;
	if (pb[-1] != ':') { /* two-word key */
		const char *k2 = pb;
		while (k2 > s && k2[-1] != ' ')
			k2--;
		kb = k2;
		pb = k2;
		while (pb > s && pb[-1] == ' ')
			pb--;
		if (pb == s || pb[-1] != ':')
			return 1;
	}
	char key[48];
	if ((size_t)(e - kb) >= sizeof(key))
		return 1;
	ll_copy_span(key, sizeof(key), kb, e);
	char *v = (char *)ll_skip_sp(eq + 3);
	size_t vl = strlen(v);
	while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\r'))
		v[--vl] = '\0';
	const char *fb = pb; /* the __func__ word */
	while (fb > s && fb[-1] != ' ')
		fb--;
	const char *pm = strstr(fb, "print_meta");
	int meta_func = strncmp(fb, "print_info", 10) == 0 || (pm && pm < pb);
	if (meta_func != meta)
		return 1;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(kv_keys); i++) {
		if (strcmp(kv_keys[i].key, key) == 0 && kv_keys[i].meta == meta_func) {
			kv_setting(p, (int)i, v);
			return 0;
		}
	}
	return 1;
}

int ll_on_kv_meta(struct ll *p, char *s, char **cause)
{
	(void)cause;
	return key_value(p, s, 1);
}

int ll_on_kv_ctx(struct ll *p, char *s, char **cause)
{
	(void)cause;
	return key_value(p, s, 0);
}

/*
 * The GGUF metadata the loader dumps, "llama_model_loader: - kv   5:
 * llama.block_count u32 = 80": the hyper-parameters where the log has no
 * print_info / llm_load_print_meta lines (an excerpt cut of them, or a
 * build that printed them elsewhere). The keys are the GGUF spec's
 * (ggml docs/gguf.md, "LLM" keys: ARCH.block_count, ...); only scalar
 * values of the model's own architecture (general.architecture, kv 0)
 * are read. The printers, later in a load, set the same settings and win:
 * they print what the loader derived, the dump only what the file holds.
 */
static const struct { const char *suffix, *setting; } gguf_keys[] = {
	{ "block_count", SK(META_N_LAYER) },
	{ "embedding_length", SK(META_N_EMBD) },
	{ "attention.head_count", SK(META_N_HEAD) },
	{ "attention.head_count_kv", SK(META_N_HEAD_KV) },
	{ "attention.key_length", SK(META_N_EMBD_HEAD_K) },
	{ "attention.value_length", SK(META_N_EMBD_HEAD_V) },
	{ "vocab_size", SK(META_N_VOCAB) },
	{ "context_length", SK(META_N_CTX_TRAIN) },
	{ "feed_forward_length", SK(META_N_FF) },
	{ "expert_count", SK(META_N_EXPERT) },
	{ "expert_used_count", SK(META_N_EXPERT_USED) },
};

int ll_on_loader_kv(struct ll *p, char *s, char **cause)
{
	(void)cause;
	const char *k = strstr(s, "llama_model_loader: - kv ");
	if (!k)
		return 1;
	k = ll_skip_sp(k + 25);
	while (isdigit((unsigned char)*k))
		k++;
	if (*k++ != ':')
		return 1;
	k = ll_skip_sp(k);
	const char *ke = k;
	while (*ke && *ke != ' ')
		ke++;
	const char *t = ll_skip_sp(ke), *te = t;
	while (*te && *te != ' ')
		te++;
	const char *eq = strstr(te, " = ");
	if (ke == k || te == t || !eq || (size_t)(ke - k) >= 96)
		return 1;
	char key[96], type[16], *v = (char *)ll_skip_sp(eq + 3);
	ll_copy_span(key, sizeof(key), k, ke);
	ll_copy_span(type, sizeof(type), t, te);
	size_t vl = strlen(v);
	while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\r' || v[vl - 1] == '\n'))
		v[--vl] = '\0';
	struct ll_load *l = ll_load_for(p);
	if (strcmp(key, "general.architecture") == 0 && strcmp(type, "str") == 0) {
		ll_set(l, SK(META_ARCH), v);
		return 0;
	}
	if (strcmp(key, "general.name") == 0 && strcmp(type, "str") == 0) {
		ll_set(l, SK(META_NAME), v);
		return 0;
	}
	const char *arch = ll_get(l, SK(META_ARCH));
	size_t al = arch ? strlen(arch) : 0;
	if (!al || strncmp(key, arch, al) != 0 || key[al] != '.' ||
	    (strcmp(type, "u32") != 0 && strcmp(type, "i32") != 0 && strcmp(type, "u64") != 0))
		return 0; /* another architecture's key, an array, a float: not read */
	long n;
	const char *e;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(gguf_keys); i++)
		if (strcmp(key + al + 1, gguf_keys[i].suffix) == 0 && ll_int(v, &n, &e) == 0 && *e == '\0')
			ll_set_int(l, gguf_keys[i].setting, n);
	return 0;
}

/* ------------------------------------------------- command lines */

/*
 * Options of llama-server / llama-cli / ik_llama.cpp that change memory,
 * and what Ollama passes its runner (llama.cpp common/arg.cpp; ik_llama.cpp
 * common/common.cpp for -amb, -fmoe, -mla, -rtr). ik: only ik_llama.cpp
 * has the option (an engine marker).
 */
static const struct { const char *lng, *shrt, *key; int type, ik; } flags[] = {
	{ "--ctx-size", "-c", SK(CTX_SIZE), V_INT, 0 },
	{ "--batch-size", "-b", SK(N_BATCH), V_INT, 0 },
	{ "--ubatch-size", "-ub", SK(N_UBATCH), V_INT, 0 },
	{ "--n-gpu-layers", "-ngl", SK(N_GPU_LAYERS), V_INT, 0 },
	{ "--gpu-layers", "-ngl", SK(N_GPU_LAYERS), V_INT, 0 },
	{ "--tensor-split", "-ts", SK(TENSOR_SPLIT), V_STR, 0 },
	{ "--parallel", "-np", SK(PARALLEL), V_INT, 0 },
	{ "--flash-attn", "-fa", SK(FLASH_ATTN), V_FA, 0 },
	{ "--main-gpu", "-mg", SK(MAIN_GPU), V_INT, 0 },
	{ "--cache-type-k", "-ctk", SK(TYPE_K), V_STR, 0 },
	{ "--cache-type-v", "-ctv", SK(TYPE_V), V_STR, 0 },
	{ "--split-mode", "-sm", SK(SPLIT_MODE), V_STR, 0 },
	{ "--override-tensor", "-ot", SK(OVERRIDE_TENSOR), V_LIST, 0 },
	{ "--n-cpu-moe", "-ncmoe", SK(N_CPU_MOE), V_INT, 0 },
	{ "--cpu-moe", "-cmoe", SK(CPU_MOE), V_FLAG, 0 },
	{ "--no-kv-offload", "-nkvo", SK(NO_KV_OFFLOAD), V_FLAG, 0 },
	{ "--kv-unified", "-kvu", SK(KV_UNIFIED), V_FLAG, 0 },
	{ "--device", "-dev", SK(DEVICE), V_STR, 0 },
	{ "--fit", "-fit", SK(FIT), V_STR, 0 },
	{ "--fit-target", "-fitt", SK(FIT_TARGET_MIB), V_STR, 0 },
	{ "--fit-ctx", "-fitc", SK(FIT_MIN_CTX), V_INT, 0 },
	{ "--no-mmap", NULL, SK(NO_MMAP), V_FLAG, 0 },
	{ "--mlock", NULL, SK(MLOCK), V_FLAG, 0 },
	{ "--attention-max-batch", "-amb", SK(ATTN_MAX_BATCH), V_INT, 1 },
	{ "--fused-moe", "-fmoe", SK(FUSED_MOE), V_FLAG, 1 },
	{ "--mla-use", "-mla", SK(MLA_ATTN), V_INT, 1 },
	{ "--run-time-repack", "-rtr", SK(RUN_TIME_REPACK), V_FLAG, 1 },
	{ "--model", "-m", SK(MODEL), V_PATH, 0 },
	{ "--mmproj", NULL, SK(MMPROJ), V_PATH, 0 },
};

static int flag_find(const char *tok)
{
	for (size_t f = 0; f < UTIL_ARRAY_SIZE(flags); f++)
		if (strcmp(tok, flags[f].lng) == 0 || (flags[f].shrt && strcmp(tok, flags[f].shrt) == 0))
			return (int)f;
	return -1;
}

/* Is tok the value of the option before it (not an option itself)? */
static int is_value(const char *tok)
{
	return tok[0] != '-' || isdigit((unsigned char)tok[1]) || tok[1] == '.';
}

/*
 * Split buf in place into words at spaces and tabs, as a shell would for
 * quoted words: "a b" and 'a b' are one word, without their quotes.
 * Returns the number of words (at most max).
 */
static int split_words(char *buf, char **tok, int max)
{
	int nt = 0;
	char *r = buf;
	while (*r && nt < max) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (!*r)
			break;
		char *w = r, *o = r;
		while (*r && *r != ' ' && *r != '\t') {
			if (*r == '"' || *r == '\'') {
				char q = *r++;
				while (*r && *r != q)
					*o++ = *r++;
				if (*r)
					r++;
			} else {
				*o++ = *r++;
			}
		}
		if (*r)
			r++;
		*o = '\0';
		tok[nt++] = w;
	}
	return nt;
}

/* Parse the flags in the space-separated argument string args. */
void ll_args(struct ll_load *l, const char *args)
{
	char *buf = util_xstrdup(args);
	char *tok[512];
	int nt = split_words(buf, tok, 512);
	for (int i = 0; i < nt; i++) {
		char *val = NULL;
		char *eq = strchr(tok[i], '=');
		if (tok[i][0] == '-' && tok[i][1] == '-' && eq) { /* --flag=value */
			*eq = '\0';
			val = eq + 1;
		}
		int f = flag_find(tok[i]);
		if (f < 0)
			continue;
		if (flags[f].ik)
			l->eng |= ENG_IK;
		int type = flags[f].type;
		if (type == V_FLAG) {
			ll_set(l, flags[f].key, "1");
			continue;
		}
		if (!val && i + 1 < nt && is_value(tok[i + 1]))
			val = tok[++i];
		if (val)
			unquote(val);
		long n;
		const char *e;
		if (type == V_FA) {
			/* a bare --flash-attn (Ollama's runner) means on */
			ll_set_fa(l, val ? val : "on");
		} else if (!val) {
			continue;
		} else if (type == V_INT) {
			if (ll_int(val, &n, &e) == 0 && !*e)
				ll_set_int(l, flags[f].key, n);
		} else if (type == V_PATH) {
			ll_set(l, flags[f].key, ll_path_base(val));
		} else if (type == V_LIST && ll_get(l, flags[f].key)) {
			char *j = util_xasprintf("%s;%s", ll_get(l, flags[f].key), val);
			ll_set(l, flags[f].key, j);
			free(j);
		} else {
			ll_set(l, flags[f].key, val);
		}
	}
	free(buf);
}

/*
 * A command line in the log: "./build/bin/llama-server -m ..." (the
 * binary named), or the options alone ("-m x.gguf -c 8192 -ngl 99", as
 * users paste them, or after a prompt or a "command:" label): its first
 * token that starts with '-' is a known option, and so are two of them.
 * A line with the binary named is llama.cpp's own (mainline or
 * ik_llama.cpp, told apart by the options).
 */
int ll_on_cmdline(struct ll *p, char *s, char **cause)
{
	(void)cause;
	char *buf = util_xstrdup(s);
	char *tok[512];
	int nt = split_words(buf, tok, 512), first = -1, known = 0, named = 0, may_value = 0;
	int prose = 0;
	for (int i = 0; i < nt && !prose; i++) {
		const char *b = ll_path_base(tok[i]);
		if (first < 0 && (strncmp(b, "llama-server", 12) == 0 ||
				  strncmp(b, "llama-cli", 9) == 0) && i + 1 < nt && tok[i + 1][0] == '-') {
			named = 1;
			first = i + 1;
		} else if (tok[i][0] == '-' && (isalpha((unsigned char)tok[i][1]) ||
						(tok[i][1] == '-' && isalpha((unsigned char)tok[i][2])))) {
			char w[128];
			snprintf(w, sizeof(w), "%s", tok[i]);
			char *q = strchr(w, '=');
			if (q && w[1] == '-')
				*q = '\0';
			int f = flag_find(w);
			if (f >= 0)
				known++;
			if (first < 0) {
				if (f < 0)
					prose = 1; /* prose that starts with a dash */
				first = i;
			}
			may_value = !q && !(f >= 0 && flags[f].type == V_FLAG);
		} else if (first >= 0) {
			/* after the options: only their values; a second word in a
			 * row is prose ("use -c 8192 and ...", "32768 -> OOM") */
			if (!may_value && !named)
				prose = 1;
			may_value = 0;
		} else if (tok[i][0] == '-' && !isdigit((unsigned char)tok[i][1])) {
			prose = 1; /* "-> OOM", "- item" */
		}
	}
	int ok = first >= 0 && !prose && (named || known >= 2);
	if (ok) {
		/* the options start at word first of s */
		const char *at = s;
		for (int i = 0; i < first; i++) {
			at = ll_skip_sp(at);
			int in_q = 0;
			while (*at && (in_q || (*at != ' ' && *at != '\t'))) {
				if (*at == '"' || *at == '\'')
					in_q = !in_q;
				at++;
			}
		}
		struct ll_load *l = ll_load_for(p);
		if (named)
			l->eng |= ENG_MAINLINE;
		ll_set(l, SK(CMDLINE), "1");
		ll_args(l, at);
	}
	free(buf);
	return ok ? 0 : 1;
}
