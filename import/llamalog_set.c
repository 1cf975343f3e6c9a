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

enum { V_INT, V_STR, V_SIZE, V_FA };

/* "func: key = value" keys kept as settings. */
static const struct { const char *key, *setting; int type; int meta; } kv_keys[] = {
	{ "n_ctx", "n_ctx", V_INT, 0 },
	{ "n_ctx_per_seq", "n_ctx_per_seq", V_INT, 0 },
	{ "n_ctx_seq", "n_ctx_per_seq", V_INT, 0 },
	{ "n_batch", "n_batch", V_INT, 0 },
	{ "n_ubatch", "n_ubatch", V_INT, 0 },
	{ "n_seq_max", "n_seq_max", V_INT, 0 },
	{ "flash_attn", "flash_attn", V_FA, 0 },
	{ "mla_attn", "mla_attn", V_INT, 0 },
	{ "fused_moe", "fused_moe", V_INT, 0 },
	{ "causal_attn", "causal_attn", V_INT, 0 },
	{ "kv_unified", "kv_unified", V_STR, 0 },
	{ "arch", "meta.arch", V_STR, 1 },
	{ "general.name", "meta.name", V_STR, 1 },
	{ "n_layer", "meta.n_layer", V_INT, 1 },
	{ "n_embd", "meta.n_embd", V_INT, 1 },
	{ "n_head", "meta.n_head", V_INT, 1 },
	{ "n_head_kv", "meta.n_head_kv", V_INT, 1 },
	{ "n_vocab", "meta.n_vocab", V_INT, 1 },
	{ "vocab_size", "meta.n_vocab", V_INT, 1 },
	{ "n_ctx_train", "meta.n_ctx_train", V_INT, 1 },
	{ "n_expert", "meta.n_expert", V_INT, 1 },
	{ "n_expert_used", "meta.n_expert_used", V_INT, 1 },
	{ "n_embd_head_k", "meta.n_embd_head_k", V_INT, 1 },
	{ "n_embd_head_v", "meta.n_embd_head_v", V_INT, 1 },
	{ "n_ff", "meta.n_ff", V_INT, 1 },
	{ "model type", "meta.model_type", V_STR, 1 },
	{ "model ftype", "meta.ftype", V_STR, 1 },
	{ "file type", "meta.ftype", V_STR, 1 },
	{ "model size", "meta.file_size", V_SIZE, 1 },
	{ "file size", "meta.file_size", V_SIZE, 1 },
};

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
				ll_set_int(l, "parallel", n);
		}
		break;
	case V_STR:
		ll_set(l, kv_keys[i].setting, val);
		break;
	case V_SIZE:
		if (ll_human(val, &bytes, NULL) == 0)
			ll_set_u64(l, kv_keys[i].setting, bytes);
		break;
	case V_FA:
		ll_set_fa(l, val);
		break;
	}
	if (strcmp(kv_keys[i].key, "mla_attn") == 0 || strcmp(kv_keys[i].key, "fused_moe") == 0)
		p->engine |= ENG_IK;
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

/* ------------------------------------------------- command lines */

/* Flags of llama-server (also what Ollama passes to its runner). */
static const struct { const char *lng, *shrt, *key; int type; } flags[] = {
	{ "--ctx-size", "-c", "ctx_size", V_INT },
	{ "--batch-size", "-b", "n_batch", V_INT },
	{ "--ubatch-size", "-ub", "n_ubatch", V_INT },
	{ "--n-gpu-layers", "-ngl", "n_gpu_layers", V_INT },
	{ "--gpu-layers", "-ngl", "n_gpu_layers", V_INT },
	{ "--tensor-split", "-ts", "tensor_split", V_STR },
	{ "--parallel", "-np", "parallel", V_INT },
	{ "--flash-attn", "-fa", "flash_attn", V_FA },
	{ "--main-gpu", "-mg", "main_gpu", V_INT },
	{ "--cache-type-k", "-ctk", "type_k", V_STR },
	{ "--cache-type-v", "-ctv", "type_v", V_STR },
	{ "--split-mode", "-sm", "split_mode", V_STR },
	{ "--model", "-m", "model", V_SIZE /* basename */ },
	{ "--mmproj", NULL, "mmproj", V_SIZE /* basename */ },
	{ "--fit", NULL, "fit", V_STR },
};

/* Parse the flags in the space-separated argument string args. */
void ll_args(struct ll_load *l, const char *args)
{
	char *buf = util_xstrdup(args);
	char *tok[512];
	int nt = 0;
	char *sv = NULL;
	for (char *t = strtok_r(buf, " \t", &sv); t && nt < 512; t = strtok_r(NULL, " \t", &sv))
		tok[nt++] = t;
	for (int i = 0; i < nt; i++) {
		char *val = NULL;
		char *eq = strchr(tok[i], '=');
		if (tok[i][0] == '-' && tok[i][1] == '-' && eq) { /* --flag=value */
			*eq = '\0';
			val = eq + 1;
		}
		for (size_t f = 0; f < UTIL_ARRAY_SIZE(flags); f++) {
			if (strcmp(tok[i], flags[f].lng) != 0 &&
			    !(flags[f].shrt && strcmp(tok[i], flags[f].shrt) == 0))
				continue;
			if (!val && i + 1 < nt && (tok[i + 1][0] != '-' || isdigit((unsigned char)tok[i + 1][1])))
				val = tok[++i];
			long n;
			const char *e;
			if (flags[f].type == V_FA) {
				/* a bare --flash-attn (Ollama's runner) means on */
				ll_set_fa(l, val ? val : "on");
			} else if (!val) {
				break;
			} else if (flags[f].type == V_INT) {
				if (ll_int(val, &n, &e) == 0 && !*e)
					ll_set_int(l, flags[f].key, n);
			} else if (flags[f].type == V_SIZE) {
				ll_set(l, flags[f].key, ll_path_base(val));
			} else {
				ll_set(l, flags[f].key, val);
			}
			break;
		}
	}
	free(buf);
}

/* A llama.cpp command line in the log: "./build/bin/llama-server -m ...". */
int ll_on_cmdline(struct ll *p, char *s, char **cause)
{
	(void)cause;
	const char *t = s;
	while (*t) {
		t = ll_skip_sp(t);
		const char *e = t;
		while (*e && *e != ' ' && *e != '\t')
			e++;
		char word[256];
		if (e > t && (size_t)(e - t) < sizeof(word)) {
			ll_copy_span(word, sizeof(word), t, e);
			const char *b = ll_path_base(word);
			if ((strncmp(b, "llama-server", 12) == 0 || strncmp(b, "llama-cli", 9) == 0) &&
			    *ll_skip_sp(e) == '-') {
				ll_args(ll_load_for(p), e);
				return 0;
			}
		}
		t = e;
	}
	return 1;
}

