/*
 * test_gnuplot.c - the picture header (plots/gnuplot.c gp_titles): a
 * headline and context lines that wrap to fit the picture's width and
 * never lose a character (no "…"), read back from the gnuplot text sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutest.h"
#include "gnuplot.h"
#include "util.h"

/* What gp_titles sends for (m, def, w), as a string (free it). */
static char *titles(const struct plot_meta *m, const char *def, int w, int *hdr)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	*hdr = gp_titles(f, m, def, w);
	fclose(f);
	CU_ASSERT_EQUAL(gp_titles(NULL, m, def, w), *hdr); /* the size asked first */
	return buf;
}

/* The integer after "name = " in text, -1 if none. */
static int var(const char *text, const char *name)
{
	char key[64];
	snprintf(key, sizeof(key), "\n%s = ", name);
	const char *p = strstr(text, key);
	if (!p && !strncmp(text, key + 1, strlen(key + 1)))
		p = text - 1;
	return p ? atoi(p + strlen(key)) : -1;
}

/* The lines arr[1..n] (plain literals: the tests use no quote), joined by
 * sep into out; each line's length in characters must be <= max. */
static void lines(const char *text, const char *arr, int n, const char *sep, size_t max,
		  char *out, size_t size)
{
	out[0] = '\0';
	for (int i = 1; i <= n; i++) {
		char key[64];
		snprintf(key, sizeof(key), "%s[%d] = '", arr, i);
		const char *p = strstr(text, key);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		p += strlen(key);
		const char *e = strstr(p, "'\n");
		CU_ASSERT_PTR_NOT_NULL_FATAL(e);
		size_t chars = 0;
		for (const char *c = p; c < e; c++)
			chars += ((unsigned char)*c & 0xc0) != 0x80;
		CU_ASSERT(chars <= max);
		if (chars > max)
			fprintf(stderr, "\n%s[%d]: %zu characters > %zu\n", arr, i, chars, max);
		if (i > 1)
			strncat(out, sep, size - strlen(out) - 1);
		strncat(out, p, (size_t)(e - p) < size - strlen(out) - 1 ? (size_t)(e - p)
			: size - strlen(out) - 1);
	}
}

static void test_titles_usual(void)
{
	struct plot_meta m = { .model = "Llama-3.1-8B", .topology = "2x24G", .trace_name = "run",
			       .scenario = "as recorded" };
	int hdr;
	char *t = titles(&m, "where did my VRAM go", 1000, &hdr);
	CU_ASSERT_EQUAL(var(t, "NTL"), 1);
	CU_ASSERT_EQUAL(var(t, "NSL"), 2);
	CU_ASSERT_EQUAL(hdr, 64); /* the layout every picture had */
	CU_ASSERT_EQUAL(var(t, "hdr_px"), 64);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "tl_str[1] = 'where did my VRAM go'\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "tl_font = 'sans,14'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "sl_str[1] = 'model: Llama-3.1-8B    GPUs: 2x24G    trace: run'\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "sl_str[2] = 'scenario: as recorded'\n"));
	free(t);
}

/* A long headline: two lines at a smaller font, every word kept. */
static void test_titles_long_headline(void)
{
	char title[400] = "";
	for (int i = 0; i < 30; i++) {
		char w[16];
		snprintf(w, sizeof(w), "%sword%02d", i ? " " : "", i);
		strcat(title, w);
	}
	/* 209 characters: more than two lines of 14 pt at 1000 px (90 each) */
	struct plot_meta m = { .title = title };
	int hdr;
	char *t = titles(&m, "unused", 1000, &hdr);
	CU_ASSERT_EQUAL(var(t, "NTL"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "tl_font = 'sans,11'"));
	char back[1024];
	lines(t, "tl_str", 2, " ", 1000 * 2 / 17, back, sizeof(back));
	CU_ASSERT_STRING_EQUAL(back, title);
	CU_ASSERT_PTR_NULL(strstr(t, "\xe2\x80\xa6"));
	CU_ASSERT(hdr > 64); /* the header grows by the second line */
	free(t);
	/* two lines of 14 pt still fit: the font stays */
	title[150] = '\0';
	t = titles(&m, "unused", 1000, &hdr);
	CU_ASSERT_EQUAL(var(t, "NTL"), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "tl_font = 'sans,14'"));
	lines(t, "tl_str", 2, " ", 1000 / 11, back, sizeof(back));
	CU_ASSERT_STRING_EQUAL(back, title);
	free(t);
}

/* A trace name with no space (a path) and a long scenario: wrapped,
 * whole fields side by side, nothing lost. */
static void test_titles_long_context(void)
{
	char name[320];
	size_t o = 0;
	while (o < 300)
		o += (size_t)snprintf(name + o, sizeof(name) - o, "dir%zu/", o);
	const char *scen = "what-if ctx 131072 x 4 slots, ubatch 512, flash-attn on, kv q8_0, "
			   "layers re-split over 4x24G by the recorded layer ranges; replay stopped "
			   "at the first OOM (GPU 2)";
	struct plot_meta m = { .model = "Qwen3-Coder-480B", .topology = "4x24G", .trace_name = name,
			       .scenario = scen };
	int hdr;
	char *t = titles(&m, "memory over time", 1280, &hdr);
	int nsl = var(t, "NSL");
	CU_ASSERT(nsl >= 4);
	char back[4096];
	lines(t, "sl_str", nsl, "|", 1280 / 7, back, sizeof(back));
	/* every character of every field is there, in order */
	char *flat = util_xasprintf("%s", back);
	char *w = flat;
	for (char *r = flat; *r; r++)
		if (*r != '|')
			*w++ = *r;
	*w = '\0';
	CU_ASSERT_PTR_NOT_NULL(strstr(flat, name));
	CU_ASSERT_PTR_NOT_NULL(strstr(back, "model: Qwen3-Coder-480B    GPUs: 4x24G|trace: dir0/"));
	char *s = strstr(back, "scenario: ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	/* the scenario wraps at spaces: its words come back with one space */
	for (char *c = s; *c; c++)
		if (*c == '|')
			*c = ' ';
	CU_ASSERT_STRING_EQUAL(s + strlen("scenario: "), scen);
	CU_ASSERT_PTR_NULL(strstr(t, "\xe2\x80\xa6"));
	CU_ASSERT_EQUAL(hdr, 18 + 22 + (nsl - 1) * 16 + 8);
	free(flat);
	free(t);
}

/* A hostile 10 kB name is kept to 500 characters and says it was cut:
 * a header, not a dump. */
static void test_titles_hostile(void)
{
	char *big = util_xmalloc(10001);
	memset(big, 'a', 10000);
	big[10000] = '\0';
	struct plot_meta m = { .trace_name = big };
	int hdr;
	char *t = titles(&m, "x", 1000, &hdr);
	int nsl = var(t, "NSL");
	char *back = util_xmalloc(20000);
	lines(t, "sl_str", nsl, "", 1000 / 7, back, 20000);
	/* "trace:" ends the first line (the break at its space), then the
	 * letters, hard-wrapped */
	CU_ASSERT_EQUAL(strlen(back), strlen("trace:") + 500 + strlen("\xe2\x80\xa6"));
	CU_ASSERT_STRING_EQUAL(back + strlen(back) - 3, "\xe2\x80\xa6");
	free(back);
	free(t);
	free(big);
}

static void register_tests(void)
{
	CU_pSuite s = CU_add_suite("gnuplot", NULL, NULL);
	CU_ADD(s, test_titles_usual);
	CU_ADD(s, test_titles_long_headline);
	CU_ADD(s, test_titles_long_context);
	CU_ADD(s, test_titles_hostile);
}

CUTEST_MAIN(register_tests)
