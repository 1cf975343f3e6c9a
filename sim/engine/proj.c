/*
 * proj.c - the planner's projector plan (see proj.h).
 *
 * clip reports per device its weights (counted from the tensors, without
 * the buffer type's padding) and its compute reservation together
 * (clip_get_mem_usage); the file is loaded twice to tell them apart: once
 * without warmup (weights only), once with (weights and compute). The
 * weight buffer as the device's buffer type sizes it (alignment, padded
 * quantized rows) is what the virtual GPU saw allocated during the first
 * load (vdev_allocated); on the CPU it is clip's count.
 */
#include "proj.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ggml-backend.h"
#include "ggml.h"
#include "mmp.h"

static int proj_fa = -1;

/* clip's lines go to the planner's logger, less the rows of asterisks
 * framing its warnings; its warmup says which attention it settled on. */
static void proj_log(enum ggml_log_level level, const char *text, void *user)
{
	(void)user;
	const char *p = strstr(text, "flash attention is ");
	if (p && strstr(text, "warmup"))
		proj_fa = !strncmp(p + strlen("flash attention is "), "enabled", 7);
	/* a reason that ends in a newline of its own ends the line twice */
	char line[4096];
	size_t n = strlen(text) < sizeof(line) - 1 ? strlen(text) : sizeof(line) - 1;
	memcpy(line, text, n);
	while (n > 1 && line[n - 1] == '\n' && line[n - 2] == '\n')
		n--;
	line[n] = '\0';
	if (line[strspn(line, " \n")] == '\0')
		return;
	p = strchr(line, ':');
	p = p ? p + 1 : line;
	p += strspn(p, " ");
	if (*p == '*' && strspn(p, "*") >= 8 && p[strspn(p, "*")] == '\n')
		return;
	ggml_log_callback cb;
	void *ud;
	ggml_log_get(&cb, &ud);
	if (cb)
		cb(level, line, ud);
}

void proj_init(void)
{
	mmp_log_set(proj_log, NULL);
}

static int slot_of(ggml_backend_dev_t dev)
{
	int i = vdev_index(dev);
	return i >= 0 ? i : VDEV_MAX;
}

static struct {
	char key[4096];
	struct proj_plan plan;
} proj_last;

int proj_plan(const char *path, int n_gpus, int flash_attn, const char *rules, struct proj_plan *out,
	      const char **why)
{
	/* the same file (path, identity, size, time) and settings: the same plan */
	char key[4096];
	struct stat sb;
	memset(&sb, 0, sizeof(sb));
	stat(path, &sb);
	snprintf(key, sizeof(key), "%s\n%llu %llu %lld\n%d\n%d\n%s", path, (unsigned long long)sb.st_ino,
		 (unsigned long long)sb.st_size, (long long)sb.st_mtime, n_gpus > 0, flash_attn, rules);
	if (proj_last.key[0] && !strcmp(key, proj_last.key)) {
		*out = proj_last.plan;
		out->cached = 1;
		return 0;
	}
	proj_last.key[0] = '\0';
	memset(out, 0, sizeof(*out));
	out->dev = -1;
	out->flash_attn = -1;
	uint64_t before[VDEV_MAX];
	for (int i = 0; i < VDEV_MAX; i++)
		before[i] = vdev_allocated(i);
	struct mmp_use w[MMP_MAX_USE], t[MMP_MAX_USE];
	int nw = mmp_usage(path, n_gpus > 0, NULL, flash_attn, 0, w, why);
	if (nw < 0)
		return -1;
	for (int i = 0; i < nw; i++) {
		int s = slot_of(w[i].dev);
		if (s != VDEV_MAX && s >= n_gpus) {
			*why = "clip chose a GPU outside the topology";
			return -1;
		}
		if (w[i].bytes == 0)
			continue;
		if (out->counted) {
			*why = "clip put the projector's weights on two devices";
			return -1;
		}
		out->dev = s == VDEV_MAX ? -1 : s;
		out->counted = w[i].bytes;
	}
	out->weights = out->dev >= 0 ? (size_t)(vdev_allocated(out->dev) - before[out->dev]) : out->counted;
	proj_fa = -1;
	int nt = mmp_usage(path, n_gpus > 0, NULL, flash_attn, 1, t, why);
	if (nt < 0)
		return -1;
	out->flash_attn = proj_fa;
	for (int i = 0; i < nt; i++) {
		int s = slot_of(t[i].dev);
		size_t wb = 0;
		for (int j = 0; j < nw; j++)
			if (w[j].dev == t[i].dev)
				wb += w[j].bytes;
		out->compute[s] += t[i].bytes > wb ? t[i].bytes - wb : 0;
	}
	snprintf(proj_last.key, sizeof(proj_last.key), "%s", key);
	proj_last.plan = *out;
	return 0;
}
