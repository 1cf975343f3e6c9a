/*
 * labels.h - `--label-rules FILE`: regular expressions on stack frames that
 * give allocations a category and a layer (prefix labels_).
 *
 * Rules file format (UTF-8 text, one rule per line):
 *
 *     # comment lines and blank lines are ignored
 *     CATEGORY[:LAYER] <spaces or tabs> REGEX
 *
 *   CATEGORY  a category name: weights kv compute output context workspace
 *             comm activation cache host projector other (trace/trace.h)
 *   LAYER     optional: a layer number (0, 1, ...), or $N to take the layer
 *             from capture group N (1-9) of REGEX, read as a decimal number
 *             (no match or no digits: no layer)
 *   REGEX     POSIX extended regular expression (regex.h), the rest of the
 *             line after the whitespace; it is searched (not anchored) in
 *             the frame text "FILE:LINE:FUNCTION", e.g.
 *             "/src/model.py:54:forward"
 *
 * Example:
 *     kv          attention\.py:[0-9]+:(update_kv|_cache)
 *     weights:$1  layers\.([0-9]+)\.
 *     activation  model\.py
 *
 * Matching: rules are tried in file order; a rule matches a stack when
 * its REGEX matches any of the frames; the first rule that matches wins,
 * so put specific rules first.
 *
 * Errors follow util.h: a bad line gives UTIL_EINPUT naming FILE:LINE and
 * what was expected.
 */
#ifndef VRAMSIM_LABELS_H
#define VRAMSIM_LABELS_H

#include <stddef.h>
#include <stdint.h>

struct labels_rules;

/* What a matching rule says. */
struct labels_result {
	int     category; /* enum trace_cat */
	int32_t layer;    /* TRACE_LAYER_NONE if the rule gives none */
	int     rule;     /* 0-based index of the rule that matched */
};

/*
 * Parse rules from text[0..len); name (the file name) is used in
 * messages. On success *out owns the rules (free with labels_free()).
 */
int labels_parse(const char *text, size_t len, const char *name,
	      struct labels_rules **out, char **cause);
/* Read and parse the rules file at path. A missing file is UTIL_EINPUT. */
int labels_load(const char *path, struct labels_rules **out, char **cause);
/* NULL-safe. */
void labels_free(struct labels_rules *r);
/* Number of rules. */
size_t labels_count(const struct labels_rules *r);

/*
 * Match a stack: frames[0..n) are frame texts, innermost first. Returns 1
 * and fills *res when a rule matches, else 0. r may be NULL (no rules).
 */
int labels_match(const struct labels_rules *r, const char *const *frames, size_t n,
	      struct labels_result *res);

#endif
