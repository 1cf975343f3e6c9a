/*
 * ollama_store.c - Ollama model names to the files they are stored in.
 *
 * Name rules from Ollama types/model/name.go (parts split at '/' from the
 * right, the tag after the last ':' past the last '/'; each part starts
 * with a letter or digit and holds letters, digits, '_', '-', '.'): the
 * same rule is what keeps a name from walking out of the models
 * directory ("..", "/" and NUL can never pass).
 */
#include "ollama_store.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int part_ok(const char *s, size_t n, int host)
{
	if (n == 0)
		return 0;
	int alnum0 = (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
		     (s[0] >= '0' && s[0] <= '9') || (!host && s[0] == '_');
	if (!alnum0)
		return 0;
	int colons = 0;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-' || c == '.')
			continue;
		if (host && c == ':' && ++colons == 1)
			continue;
		return 0;
	}
	return 1;
}

static int set_part(char *dst, size_t cap, const char *s, size_t n, int host, const char *what,
		    const char *name, char **cause)
{
	if (n >= cap || !part_ok(s, n, host))
		return util_err(cause, UTIL_EINPUT, "ollama:%s: the %s '%.*s' is not a model name "
				"part (1 to %zu letters, digits, '_', '-' or '.', starting with a "
				"letter or digit)", name, what, (int)(n > 64 ? 64 : n), s, cap - 1);
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

int ollstore_ref_parse(const char *s, struct ollstore_ref *r, char **cause)
{
	memset(r, 0, sizeof(*r));
	size_t n = strlen(s);
	if (n == 0 || n > 600)
		return util_err(cause, UTIL_EINPUT, "ollama:%.64s: expected a model name such as "
				"llama3.3:70b", s);
	const char *slash = strrchr(s, '/');
	const char *colon = strrchr(slash ? slash : s, ':');
	size_t end = colon ? (size_t)(colon - s) : n;
	int rc = 0;
	if (colon)
		rc = set_part(r->tag, sizeof(r->tag), colon + 1, n - end - 1, 0, "tag", s, cause);
	else
		snprintf(r->tag, sizeof(r->tag), "latest");
	/* Up to three parts before the tag. */
	const char *parts[3];
	size_t lens[3];
	int np = 0;
	size_t start = 0;
	for (size_t i = 0; i <= end && !rc; i++) {
		if (i == end || s[i] == '/') {
			if (np == 3)
				return util_err(cause, UTIL_EINPUT, "ollama:%s: more than host/namespace/"
						"name before the tag", s);
			parts[np] = s + start;
			lens[np++] = i - start;
			start = i + 1;
		}
	}
	if (rc)
		return rc;
	snprintf(r->host, sizeof(r->host), "registry.ollama.ai");
	snprintf(r->ns, sizeof(r->ns), "library");
	int k = 0;
	if (np == 3)
		rc = set_part(r->host, sizeof(r->host), parts[k], lens[k], 1, "host", s, cause), k++;
	if (!rc && np >= 2)
		rc = set_part(r->ns, sizeof(r->ns), parts[k], lens[k], 0, "namespace", s, cause), k++;
	if (!rc)
		rc = set_part(r->name, sizeof(r->name), parts[k], lens[k], 0, "name", s, cause);
	return rc;
}

/* ---- manifests ---- */

static int digest(const char *s, char out[65])
{
	if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != 7 + 64)
		return -1;
	for (int i = 0; i < 64; i++) {
		char c = s[7 + i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
		out[i] = c;
	}
	out[64] = '\0';
	return 0;
}

static int layer(const char *path, size_t i, json_t *l, struct ollstore_manifest *m, char **cause)
{
	if (!json_is_object(l))
		return util_err(cause, UTIL_EINPUT, "%s: layers[%zu]: expected an object", path, i);
	json_t *mt = json_object_get(l, "mediaType"), *dg = json_object_get(l, "digest");
	json_t *sz = json_object_get(l, "size");
	if (!json_is_string(mt) || !json_is_string(dg))
		return util_err(cause, UTIL_EINPUT, "%s: layers[%zu]: expected string fields "
				"\"mediaType\" and \"digest\"", path, i);
	if (sz && (!json_is_integer(sz) || json_integer_value(sz) < 0))
		return util_err(cause, UTIL_EINPUT, "%s: layers[%zu]: \"size\" is not a byte count",
				path, i);
	const char *t = json_string_value(mt);
	char *dst = NULL;
	uint64_t *size = NULL;
	const char *what = NULL;
	if (!strcmp(t, "application/vnd.ollama.image.model"))
		dst = m->model, size = &m->model_size, what = "model";
	else if (!strcmp(t, "application/vnd.ollama.image.projector"))
		dst = m->projector, size = &m->projector_size, what = "projector";
	else if (!strcmp(t, "application/vnd.ollama.image.params"))
		dst = m->params, size = &m->params_size, what = "params";
	if (!dst)
		return 0;  /* template, license, system, adapter...: not memory */
	if (dst[0])
		return util_err(cause, UTIL_EINPUT, "%s: layers[%zu]: a second %s layer (one is "
				"expected)", path, i, what);
	if (digest(json_string_value(dg), dst))
		return util_err(cause, UTIL_EINPUT, "%s: layers[%zu]: digest is not \"sha256:\" and "
				"64 lowercase hex digits", path, i);
	*size = sz ? (uint64_t)json_integer_value(sz) : 0;
	return 0;
}

int ollstore_manifest_parse(const char *data, size_t len, const char *path,
			  struct ollstore_manifest *m, char **cause)
{
	memset(m, 0, sizeof(*m));
	if (len > OLLAMA_MAX_MANIFEST)
		return util_err(cause, UTIL_EINPUT, "%s: manifest of %zu bytes, more than %u",
				path, len, OLLAMA_MAX_MANIFEST);
	json_error_t je;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return util_err(cause, UTIL_EINPUT, "%s: line %d: not a JSON manifest: %s", path,
				je.line, je.text);
	int rc = 0;
	json_t *layers = json_object_get(root, "layers");
	if (!json_is_array(layers))
		rc = util_err(cause, UTIL_EINPUT, "%s: expected an object with a \"layers\" array",
			      path);
	else if (json_array_size(layers) > OLLAMA_MAX_LAYERS)
		rc = util_err(cause, UTIL_EINPUT, "%s: %zu layers, more than %d", path,
			      json_array_size(layers), OLLAMA_MAX_LAYERS);
	for (size_t i = 0; rc == 0 && i < json_array_size(layers); i++)
		rc = layer(path, i, json_array_get(layers, i), m, cause);
	if (rc == 0 && !m->model[0])
		rc = util_err(cause, UTIL_EINPUT, "%s: no layer of mediaType "
			      "application/vnd.ollama.image.model", path);
	if (rc == 0)
		m->n_layers = (int)json_array_size(layers);
	json_decref(root);
	if (rc) {
		memset(m, 0, sizeof(*m));
	}
	return rc;
}

int ollstore_params_parse(const char *data, size_t len, const char *path, uint32_t *num_ctx,
			char **cause)
{
	*num_ctx = 0;
	if (len > OLLAMA_MAX_PARAMS)
		return util_err(cause, UTIL_EINPUT, "%s: params of %zu bytes, more than %u", path,
				len, OLLAMA_MAX_PARAMS);
	json_error_t je;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return util_err(cause, UTIL_EINPUT, "%s: line %d: not JSON params: %s", path, je.line,
				je.text);
	int rc = 0;
	json_t *v = json_is_object(root) ? json_object_get(root, "num_ctx") : NULL;
	if (!json_is_object(root))
		rc = util_err(cause, UTIL_EINPUT, "%s: expected a JSON object of parameters", path);
	else if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
		       json_integer_value(v) > (1 << 30)))
		rc = util_err(cause, UTIL_EINPUT, "%s: \"num_ctx\" is not a context size from 1 to "
			      "2^30", path);
	else if (v)
		*num_ctx = (uint32_t)json_integer_value(v);
	json_decref(root);
	return rc;
}

/* ---- the store on disk ---- */

/* Read a small file whole, refusing more than max bytes. 1 if absent. */
static int read_small(const char *path, size_t max, char **buf, size_t *len, char **cause)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 1
			: util_err(cause, UTIL_EINPUT, "%s: cannot open: %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return util_err(cause, UTIL_EINPUT, "%s: not a regular file", path);
	}
	if ((uint64_t)sb.st_size > max) {
		close(fd);
		return util_err(cause, UTIL_EINPUT, "%s: %lld bytes, more than the %zu expected at "
				"most", path, (long long)sb.st_size, max);
	}
	char *b = util_xmalloc((size_t)sb.st_size + 1);
	size_t got = 0;
	while (got < (size_t)sb.st_size) {
		ssize_t r = read(fd, b + got, (size_t)sb.st_size - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
}

/* The blob of a digest: it must exist with the manifest's size. */
static int blob(const char *dir, const char *hex, uint64_t size, const char *manifest,
		char **path, char **cause)
{
	char *p = util_xasprintf("%s/blobs/sha256-%s", dir, hex);
	struct stat sb;
	int rc = 0;
	if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode))
		rc = util_err(cause, UTIL_EINPUT, "%s: blob %s named by %s is missing (an "
			      "interrupted pull? `ollama pull` it again)", p, hex, manifest);
	else if (size && (uint64_t)sb.st_size != size)
		rc = util_err(cause, UTIL_EINPUT, "%s: %lld bytes, but %s says %llu (an interrupted "
			      "pull? `ollama pull` it again)", p, (long long)sb.st_size, manifest,
			      (unsigned long long)size);
	if (rc)
		free(p);
	else
		*path = p;
	return rc;
}

/* The models directories to look in, in order (malloc'd strings). */
static int model_dirs(char *dirs[3])
{
	int n = 0;
	const char *env = getenv("OLLAMA_MODELS");
	if (env && *env) {
		dirs[n++] = util_xstrdup(env);
		return n;
	}
	const char *home = getenv("HOME");
	if (home && *home)
		dirs[n++] = util_xasprintf("%s/.ollama/models", home);
	dirs[n++] = util_xstrdup("/usr/share/ollama/.ollama/models");
	return n;
}

static int from_manifest(const char *dir, const char *mpath, const char *data, size_t len,
			 struct ollstore_model *out, char **cause)
{
	struct ollstore_manifest m;
	int rc = ollstore_manifest_parse(data, len, mpath, &m, cause);
	if (rc == 0)
		rc = blob(dir, m.model, m.model_size, mpath, &out->model, cause);
	if (rc == 0 && m.projector[0])
		rc = blob(dir, m.projector, m.projector_size, mpath, &out->projector, cause);
	if (rc == 0 && m.params[0]) {
		char *pp = NULL, *buf = NULL;
		size_t n = 0;
		rc = blob(dir, m.params, m.params_size, mpath, &pp, cause);
		if (rc == 0) {
			rc = read_small(pp, OLLAMA_MAX_PARAMS, &buf, &n, cause);
			if (rc == 1)
				rc = util_err(cause, UTIL_EINPUT, "%s: vanished while reading", pp);
		}
		if (rc == 0)
			rc = ollstore_params_parse(buf, n, pp, &out->num_ctx, cause);
		free(buf);
		free(pp);
	}
	return rc;
}

int ollstore_find(const char *name, struct ollstore_model *out, char **cause)
{
	memset(out, 0, sizeof(*out));
	struct ollstore_ref r;
	int rc = ollstore_ref_parse(name, &r, cause);
	if (rc)
		return rc;
	char *dirs[3];
	int nd = model_dirs(dirs);
	char *looked = util_xstrdup("");
	rc = 1;
	for (int i = 0; i < nd && rc == 1; i++) {
		char *mp = util_xasprintf("%s/manifests/%s/%s/%s/%s", dirs[i], r.host, r.ns, r.name,
					  r.tag);
		char *buf = NULL;
		size_t len = 0;
		rc = read_small(mp, OLLAMA_MAX_MANIFEST, &buf, &len, cause);
		if (rc == 0) {
			out->manifest = util_xstrdup(mp);
			rc = from_manifest(dirs[i], mp, buf, len, out, cause);
		} else if (rc == 1) {
			char *l = util_xasprintf("%s\n  %s", looked, mp);
			free(looked);
			looked = l;
		}
		free(buf);
		free(mp);
	}
	if (rc == 1)
		rc = util_err(cause, UTIL_EINPUT, "ollama:%s: no such model in Ollama's store "
			      "(`ollama pull %s:%s` fetches it; set OLLAMA_MODELS if the store is "
			      "elsewhere); looked for:%s", name, r.name, r.tag, looked);
	if (rc == 0)
		out->ref = util_xasprintf("%s/%s/%s:%s", r.host, r.ns, r.name, r.tag);
	else
		ollstore_model_clear(out);
	free(looked);
	for (int i = 0; i < nd; i++)
		free(dirs[i]);
	return rc;
}

void ollstore_model_clear(struct ollstore_model *m)
{
	free(m->ref);
	free(m->manifest);
	free(m->model);
	free(m->projector);
	memset(m, 0, sizeof(*m));
}
