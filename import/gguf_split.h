/*
 * gguf_split.h - a GGUF model as the files it is stored in: one file, or
 * every part of a split model (llama.cpp gguf-split names the parts
 * PREFIX-00001-of-00003.gguf, llama.cpp src/llama.cpp
 * llama_split_path(); each part carries split.no, split.count and
 * split.tensors.count, and only the first has the model's metadata).
 *
 * Opening maps every part read-only (the tensor data is never touched)
 * and checks that the set is whole and consistent: every part present,
 * each one's split.no and split.count what its name says, tensor counts
 * adding up to split.tensors.count. The profile is that of the whole
 * model: tensors of all parts, layered by the first part's block_count.
 */
#ifndef VRAMSIM_GGUF_SPLIT_H
#define VRAMSIM_GGUF_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "gguf_file.h"
#include "profile.h"

#define GGUF_SPLIT_MAX 1024  /* parts: far above any published model */

struct gguf_split_part {
	char *path;                 /* as found (part 1: as given, or its sibling) */
	const unsigned char *data;  /* the mapped file */
	size_t len;
	int borrowed;               /* data is the caller's (gguf_split_open_mem) */
	struct gguf_file_info info;
};

/* Ownership: everything is owned by the set; gguf_split_close frees it. */
struct gguf_split {
	struct gguf_split_part *parts; /* parts[0] is the first part */
	size_t n;
	struct profile profile;        /* the whole model */
};

/*
 * If path's file name ends in -NNNNN-of-MMMMM.gguf: 1 with *no (1-based),
 * *count and *prefix_len (bytes of path before "-NNNNN"); else 0.
 */
int gguf_split_name(const char *path, unsigned *no, unsigned *count, size_t *prefix_len);

/*
 * Open the model at path (a whole GGUF or any part of a split one).
 * Returns 0 with *out filled, or UTIL_EINPUT with *cause (malloc'd)
 * naming the file and what is wrong: a part missing (its expected path),
 * a part that is not the one its name says, counts that do not add up,
 * any error of the GGUF reader; UTIL_ERR for I/O. On error *out is empty.
 */
int gguf_split_open(const char *path, struct gguf_split *out, char **cause);

/*
 * The same on bytes already in memory (one file, the caller's): a split
 * part is opened by its name as above, since its siblings are files.
 */
int gguf_split_open_mem(const char *path, const unsigned char *data, size_t len,
			struct gguf_split *out, char **cause);

void gguf_split_close(struct gguf_split *s);

#endif
