/*
 * backends.c - ggml's backends, the best CPU variant chosen once (see
 * backends.h).
 *
 * ggml_backend_load_all_from_path (ggml/src/ggml-backend-reg.cpp,
 * llama.cpp v0.5.0) tries, for every backend family, the files
 * libggml-<family>-*.so of the folder, scores each and registers the best
 * through load_backend; ggml_backend_load(path) is that same load_backend.
 * Which files it registered is read back from the registry itself (the
 * library each registry's functions live in, dladdr), so nothing of its
 * choice is re-derived here.
 */
#include "backends.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ggml-backend-impl.h"
#include "ggml-backend.h"
#include "stamp.h"

extern char **environ;

void backends_stamp_host(struct stamp *s)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[8192];
	int seen = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (line[0] == '\n' && seen) /* the first processor is enough */
			break;
		static const char *const keys[] = { "vendor_id", "cpu family", "model", "model name", "flags" };
		size_t nl = strcspn(line, ":");
		while (nl > 0 && (line[nl - 1] == '\t' || line[nl - 1] == ' '))
			nl--;
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (strlen(keys[k]) == nl && !strncmp(line, keys[k], nl)) {
				line[strcspn(line, "\n")] = '\0';
				stamp_text(s, "cpu", line);
				seen = 1;
			}
	}
	if (f)
		fclose(f);
	if (!seen)
		stamp_text(s, "cpu", NULL);
	/* how ggml and llama.cpp are told things at run time */
	for (char **e = environ; *e; e++)
		if (!strncmp(*e, "GGML_", 5) || !strncmp(*e, "LLAMA_", 6))
			stamp_text(s, "env", *e);
}

/* The libggml-*.so files of dir, in the order ggml's directory walk sees
 * them (readdir), into the key. */
static void stamp_folder(struct stamp *s, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		stamp_text(s, "folder", NULL);
		return;
	}
	for (struct dirent *de; (de = readdir(d));) {
		size_t n = strlen(de->d_name);
		if (strncmp(de->d_name, "libggml-", 8) || n < 3 || strcmp(de->d_name + n - 3, ".so"))
			continue;
		char path[4608];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		stamp_file(s, path);
	}
	closedir(d);
}

/* The file names, in registration order, of the registered backends that
 * came from dir; 0, or -1 if one cannot be told. */
static int registered_from(const char *dir, char *out, size_t n)
{
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < ggml_backend_reg_count(); i++) {
		ggml_backend_reg_t reg = ggml_backend_reg_get(i);
		Dl_info info;
		if (!reg->iface.get_name || !dladdr((void *)reg->iface.get_name, &info) || !info.dli_fname)
			return -1;
		const char *slash = strrchr(info.dli_fname, '/');
		if (!slash)
			return -1;
		size_t dl = (size_t)(slash - info.dli_fname);
		const char *base = slash + 1;
		/* built into a linked library (a build without GGML_BACKEND_DL) */
		if (strncmp(base, "libggml-", 8) || strlen(dir) != dl || strncmp(info.dli_fname, dir, dl))
			continue;
		if (strchr(base, ' ') || len + strlen(base) + 2 > n)
			return -1;
		len += (size_t)snprintf(out + len, n - len, "%s%s", len ? " " : "", base);
	}
	return 0;
}

void backends_load(const char *libdir_arg, int *cached)
{
	*cached = 0;
	/* an out-of-tree backend (ggml's GGML_BACKEND_PATH) or ggml's own
	 * search path: as ggml does it, every time */
	char libdir[4096];
	size_t dl = libdir_arg ? strlen(libdir_arg) : 0;
	if (!libdir_arg || getenv("GGML_BACKEND_PATH") || dl >= sizeof(libdir)) {
		ggml_backend_load_all_from_path(libdir_arg);
		return;
	}
	/* ggml joins folder and file name: "lib/" gives "lib/x.so", as "lib" */
	memcpy(libdir, libdir_arg, dl + 1);
	while (dl > 1 && libdir[dl - 1] == '/')
		libdir[--dl] = '\0';
	struct stamp s;
	stamp_init(&s, "backends", libdir);
	stamp_text(&s, "ggml", ggml_version());
	backends_stamp_host(&s);
	stamp_folder(&s, libdir);
	char val[1024];
	if (stamp_get(&s, val, sizeof(val)) == 0) {
		ggml_backend_reg_t done[64];
		int n_done = 0, ok = 1;
		char *save = NULL;
		for (char *name = strtok_r(val, " ", &save); name && ok; name = strtok_r(NULL, " ", &save)) {
			char path[4608];
			snprintf(path, sizeof(path), "%s/%s", libdir, name);
			ggml_backend_reg_t r = n_done < 64 ? ggml_backend_load(path) : NULL;
			if (r)
				done[n_done++] = r;
			ok = r != NULL;
		}
		if (ok) {
			*cached = 1;
			return;
		}
		/* a file of the remembered choice would not load: undo, choose again */
		while (n_done > 0)
			ggml_backend_unload(done[--n_done]);
	}
	ggml_backend_load_all_from_path(libdir);
	/* nothing from the folder (a build with its CPU backend linked in):
	 * nothing to spare next time, nothing kept */
	if (registered_from(libdir, val, sizeof(val)) == 0 && val[0])
		stamp_put(&s, val);
}
