/*
 * labels.c - the --label-rules parser and matcher behind labels.h.
 */
#include "labels.h"
#include "trace.h"
#include "util.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

struct rule {
	regex_t re;
	int category;
	int32_t layer; /* fixed layer, or TRACE_LAYER_NONE */
	int group;     /* capture group giving the layer, 0 if none */
};

struct labels_rules {
	struct rule *r;
	size_t n, alloc;
};

void labels_free(struct labels_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		regfree(&r->r[i].re);
	free(r->r);
	free(r);
}

size_t labels_count(const struct labels_rules *r)
{
	return r ? r->n : 0;
}

static int bad_line(const char *name, int line, const char *what, char **cause)
{
	return util_err(cause, UTIL_EINPUT,
			"%s:%d: %s (expected 'CATEGORY[:LAYER] REGEX', see labels.h)", name, line,
			what);
}

/* "kv", "weights:3" or "weights:$1" into r. */
static int parse_head(char *head, const char *name, int line, struct rule *r, char **cause)
{
	char *colon = strchr(head, ':');
	if (colon)
		*colon = '\0';
	r->category = trace_cat_parse(head);
	if (r->category < 0) {
		char *msg = util_xasprintf("unknown category '%s'", head);
		int rc = bad_line(name, line, msg, cause);
		free(msg);
		return rc;
	}
	r->layer = TRACE_LAYER_NONE;
	if (!colon)
		return 0;
	const char *l = colon + 1;
	if (l[0] == '$' && l[1] >= '1' && l[1] <= '9' && l[2] == '\0') {
		r->group = l[1] - '0';
		return 0;
	}
	char *end;
	long v = strtol(l, &end, 10);
	if (*l < '0' || *l > '9' || *end || v > INT32_MAX)
		return bad_line(name, line, "the layer must be a number or $1..$9", cause);
	r->layer = (int32_t)v;
	return 0;
}

/*
 * Refuse patterns that make glibc's regcomp() build huge automata (it
 * expands bounded repetitions, and stacked ones like "a+++" grow without
 * limit): no repetition right after another, and an estimate of the
 * expanded size (atoms times the repetition bounds around them) of at
 * most RE_MAX_COST. Returns NULL or what is wrong.
 */
#define RE_MAX_COST 20000
static const char *regex_too_big(const char *p)
{
	double stack[64], cur = 0, last = 0; /* sizes: open groups, current, last atom */
	int depth = 0, prev_rep = 0;
	for (; *p; p++) {
		double times = 0;
		if (*p == '*' || *p == '+' || *p == '?') {
			times = 2;
		} else if (*p == '{') {
			/* Counts are capped before any arithmetic: strtol saturates at
			 * LONG_MAX, and a count past 100000 is too big anyway. */
			long lo = strtol(p + 1, (char **)&p, 10), hi;
			lo = lo < 0 ? 0 : lo > 100000 ? 100000 : lo;
			hi = lo;
			if (*p == ',') {
				hi = p[1] == '}' ? lo + 1 : strtol(p + 1, (char **)&p, 10);
				hi = hi < 0 ? 0 : hi > 100000 ? 100000 : hi;
			}
			if (*p != '}')
				p = strchr(p, '}') ? strchr(p, '}') : p + strlen(p) - 1;
			times = (double)(hi > lo ? hi : lo) + 1;
		}
		if (times > 0) {
			if (prev_rep)
				return "has a repetition right after another (like '++')";
			cur += last * (times - 1);
			last *= times;
			prev_rep = 1;
		} else {
			prev_rep = 0;
			if (*p == '\\' && p[1]) {
				p++;
				last = 1;
			} else if (*p == '[') { /* bracket expression: one atom */
				p += p[1] == '^' ? 2 : 1;
				if (*p == ']')
					p++;
				while (*p && *p != ']')
					p++;
				if (!*p)
					break;
				last = 1;
			} else if (*p == '(') {
				if (depth == (int)UTIL_ARRAY_SIZE(stack))
					return "has groups nested too deeply";
				stack[depth++] = cur;
				cur = 0;
				continue;
			} else if (*p == ')' && depth > 0) {
				last = cur;
				cur = stack[--depth];
			} else {
				last = 1;
			}
			cur += last;
		}
		if (cur > RE_MAX_COST)
			return "is too large once its repetitions are expanded";
	}
	return NULL;
}

static int parse_line(struct labels_rules *rs, char *s, const char *name, int line,
		      char **cause)
{
	size_t n = strlen(s);
	if (n && s[n - 1] == '\r')
		s[--n] = '\0';
	char *p = s + strspn(s, " \t");
	if (*p == '\0' || *p == '#')
		return 0;
	char *head = p;
	p += strcspn(p, " \t");
	if (*p == '\0')
		return bad_line(name, line, "no regular expression after the category", cause);
	*p++ = '\0';
	p += strspn(p, " \t");
	if (*p == '\0')
		return bad_line(name, line, "no regular expression after the category", cause);
	struct rule r = { 0 };
	int rc = parse_head(head, name, line, &r, cause);
	if (rc)
		return rc;
	const char *big = regex_too_big(p);
	if (big) {
		char *msg = util_xasprintf("regular expression %s", big);
		rc = bad_line(name, line, msg, cause);
		free(msg);
		return rc;
	}
	int err = regcomp(&r.re, p, REG_EXTENDED | (r.group ? 0 : REG_NOSUB));
	if (err) {
		char buf[256];
		regerror(err, &r.re, buf, sizeof(buf));
		regfree(&r.re);
		char *msg = util_xasprintf("bad regular expression: %s", buf);
		rc = bad_line(name, line, msg, cause);
		free(msg);
		return rc;
	}
	if (r.group && (size_t)r.group > r.re.re_nsub) {
		regfree(&r.re);
		return bad_line(name, line, "the layer names a capture group the regex lacks",
				cause);
	}
	UTIL_GROW(rs->r, rs->n + 1, rs->alloc);
	rs->r[rs->n++] = r;
	return 0;
}

int labels_parse(const char *text, size_t len, const char *name, struct labels_rules **out,
	      char **cause)
{
	*out = NULL;
	struct labels_rules *rs = util_xcalloc(1, sizeof(*rs));
	const char *p = text, *end = text + len;
	int line = 0, rc = 0;
	while (rc == 0 && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		line++;
		if (memchr(p, '\0', n)) {
			rc = bad_line(name, line, "a NUL byte (not a text file)", cause);
			break;
		}
		char *s = util_xmalloc(n + 1);
		memcpy(s, p, n);
		s[n] = '\0';
		rc = parse_line(rs, s, name, line, cause);
		free(s);
		p += n + (nl ? 1 : 0);
	}
	if (rc) {
		labels_free(rs);
		return rc;
	}
	*out = rs;
	return 0;
}

int labels_load(const char *path, struct labels_rules **out, char **cause)
{
	char *buf;
	size_t len;
	*out = NULL;
	int rc = util_read_file(path, &buf, &len, cause);
	if (rc)
		return util_err(cause, UTIL_EINPUT, "%s: cannot read label rules", path);
	rc = labels_parse(buf, len, path, out, cause);
	free(buf);
	return rc;
}

/* Layer from capture group g of the match; TRACE_LAYER_NONE if it is no number. */
static int32_t group_layer(const char *s, const regmatch_t *m)
{
	if (m->rm_so < 0 || m->rm_eo <= m->rm_so)
		return TRACE_LAYER_NONE;
	int64_t v = 0;
	for (regoff_t i = m->rm_so; i < m->rm_eo; i++) {
		if (s[i] < '0' || s[i] > '9')
			return TRACE_LAYER_NONE;
		v = v * 10 + (s[i] - '0');
		if (v > INT32_MAX)
			return TRACE_LAYER_NONE;
	}
	return (int32_t)v;
}

int labels_match(const struct labels_rules *rs, const char *const *frames, size_t n,
	      struct labels_result *res)
{
	if (!rs)
		return 0;
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->r[i];
		for (size_t f = 0; f < n; f++) {
			regmatch_t m[10];
			if (regexec(&r->re, frames[f], r->group ? 10 : 0, r->group ? m : NULL, 0))
				continue;
			res->category = r->category;
			res->layer = r->group ? group_layer(frames[f], &m[r->group]) : r->layer;
			res->rule = (int)i;
			return 1;
		}
	}
	return 0;
}
