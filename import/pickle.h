/*
 * pickle.h - a safe reader for the pickle subset that PyTorch memory
 * snapshots use (prefix pkl_). It never executes anything: it only builds
 * plain values (None, bool, int, float, str, tuple, list, dict).
 *
 * Format: Python's pickle protocols 2-5 (Lib/pickletools.py documents the
 * opcodes; the subset is what torch.cuda.memory._dump_snapshot writes):
 *   PROTO FRAME STOP NONE NEWTRUE NEWFALSE BININT BININT1 BININT2 LONG1
 *   LONG4 BINFLOAT SHORT_BINUNICODE BINUNICODE BINUNICODE8 EMPTY_DICT
 *   EMPTY_LIST EMPTY_TUPLE MARK APPEND APPENDS SETITEM SETITEMS TUPLE
 *   TUPLE1 TUPLE2 TUPLE3 MEMOIZE BINPUT LONG_BINPUT BINGET LONG_BINGET
 * Every other opcode (GLOBAL, STACK_GLOBAL, REDUCE, INST, OBJ, BUILD,
 * NEWOBJ, EXT1/2/4, PERSID, BINPERSID, ...) is refused with UTIL_EINPUT and
 * a message naming the opcode and its byte offset, before any value is
 * built: the whole stream is checked first.
 *
 * Shared references: the memo is honoured, so a list fetched twice with
 * BINGET is one value with two parents (reference counted), never a copy.
 *
 * Limits that keep any input safe:
 *   - nesting: containers nested deeper than opts->max_depth (default
 *     PKL_DEFAULT_MAX_DEPTH), or more open MARKs than that, are refused;
 *   - cycles: a container may not be filled once it is inside another
 *     container (real pickles fill a container before nesting it), so a
 *     value graph is always acyclic;
 *   - integers must fit in int64 (LONG1/LONG4 of up to 8 significant bytes);
 *   - memo indices must be stored before they are fetched, and PUT indices
 *     must be at most the current memo length;
 *   - an opcode may not pop values from below the innermost MARK (Python
 *     gives each MARK a fresh stack), and STOP must leave exactly one value.
 *
 * Memory: strings are not copied: a str value points into the input
 * buffer, so the buffer must outlive the document (their bytes are not
 * checked to be UTF-8). Memo entries that the
 * stream never fetches again are not kept (a first pass finds them), so a
 * consumer that takes items as they are attached (see pkl_attach_fn) holds
 * only the values it has not consumed yet plus the shared ones (see
 * pkl_filled_fn).
 *
 * Errors follow util.h: 0 or a negative UTIL_E* code with *cause set to a
 * message of the form "byte offset N: ...".
 */
#ifndef VRAMSIM_PICKLE_H
#define VRAMSIM_PICKLE_H

#include <stddef.h>
#include <stdint.h>

enum pkl_type {
	PKL_NONE = 0,
	PKL_BOOL,
	PKL_INT,
	PKL_FLOAT,
	PKL_STR,
	PKL_TUPLE,
	PKL_LIST,
	PKL_DICT
};

#define PKL_DEFAULT_MAX_DEPTH 64
#define PKL_HARD_MAX_DEPTH 1000 /* larger max_depth values are clamped */

/* A value; owned by its document. */
struct pkl_value;
/* A parsed pickle: owns every value. */
struct pkl_doc;

/* Return values of the attach hook. */
enum {
	PKL_KEEP = 0, /* store the item in its container as usual */
	PKL_TAKE = 1  /* the consumer has used the item: do not store it */
};

/*
 * Called each time an item is attached to a list (APPEND, APPENDS) or a
 * dict (SETITEM, SETITEMS), after the item is complete. parent is the list
 * or dict; for a dict, key is the key, for a list key is NULL; index is
 * the position the item has among all items ever attached to parent
 * (taken ones included). The item and key are valid only during the call.
 * Return PKL_KEEP, PKL_TAKE, or a negative UTIL_E* code (with *cause set)
 * to stop the parse with that error.
 */
typedef int (*pkl_attach_fn)(void *arg, const struct pkl_value *parent,
			     const struct pkl_value *key, uint64_t index,
			     const struct pkl_value *item, char **cause);

/*
 * Called each time a dict has received items (after SETITEM or SETITEMS),
 * before the dict is nested in its parent; the parent is not known yet
 * (pkl_attach_fn tells it later, with the same pkl_id). Return PKL_KEEP,
 * or PKL_TAKE when the consumer has used the dict's contents: its items
 * are then dropped (pkl_len() becomes 0) and no more can be added. A
 * negative UTIL_E* code stops the parse.
 *
 * This is what bounds memory for a list of many records: Python pickles
 * up to 1000 list items before it appends them (APPENDS), so records
 * taken only on attach would all be in memory at once.
 */
typedef int (*pkl_filled_fn)(void *arg, const struct pkl_value *dict, char **cause);

struct pkl_opts {
	unsigned max_depth;   /* 0: PKL_DEFAULT_MAX_DEPTH */
	pkl_attach_fn attach; /* NULL: build the whole tree */
	pkl_filled_fn filled; /* NULL: keep every dict */
	void *arg;            /* passed to attach and filled */
};

/*
 * Parse the pickle in data[0..len) (the fuzzing entry point: any bytes are
 * safe). opts may be NULL. On success *doc owns the result: free it with
 * pkl_free(). data must stay valid and unchanged while *doc lives.
 * Errors: UTIL_EINPUT for anything that is not a well-formed pickle of the
 * subset (the message names the byte offset and what was expected).
 */
int pkl_parse(const void *data, size_t len, const struct pkl_opts *opts,
	      struct pkl_doc **doc, char **cause);
/* Free a document and all its values; NULL-safe. */
void pkl_free(struct pkl_doc *doc);
/* The pickled object (what STOP returned). */
const struct pkl_value *pkl_root(const struct pkl_doc *doc);
/* Peak bytes of heap the parse used (values, arrays, memo, stack). */
size_t pkl_peak_bytes(const struct pkl_doc *doc);

/* ---- reading values (all NULL-safe: NULL behaves as a missing value) ---- */

/* enum pkl_type, or -1 for NULL. */
int pkl_type(const struct pkl_value *v);
/* "none", "bool", "int", "float", "str", "tuple", "list", "dict". */
const char *pkl_type_name(int type);
/* Integer (an int or a bool) into *out: 0, or -1 if v is neither. */
int pkl_int(const struct pkl_value *v, int64_t *out);
/* Number (float or int) into *out: 0, or -1. */
int pkl_float(const struct pkl_value *v, double *out);
/* Bool into *out (1/0): 0, or -1 if v is not a bool. */
int pkl_bool(const struct pkl_value *v, int *out);
/* A str's bytes (UTF-8 as pickled, not NUL-terminated) and length; NULL
 * if v is not a str. */
const char *pkl_str(const struct pkl_value *v, size_t *len);
/* 1 if v is a str equal to s, else 0. */
int pkl_str_eq(const struct pkl_value *v, const char *s);
/* Copy a str into buf (size n, NUL-terminated, cut to fit); returns buf,
 * or NULL if v is not a str. */
char *pkl_str_copy(const struct pkl_value *v, char *buf, size_t n);

/* Items held: list/tuple items, dict pairs; 0 for anything else. */
size_t pkl_len(const struct pkl_value *v);
/* Item i of a list or tuple (NULL if out of range). */
const struct pkl_value *pkl_item(const struct pkl_value *v, size_t i);
/* Key / value of pair i of a dict (NULL if out of range). */
const struct pkl_value *pkl_key(const struct pkl_value *v, size_t i);
const struct pkl_value *pkl_val(const struct pkl_value *v, size_t i);
/* Value of the str key in a dict, NULL if absent. A key pickled twice
 * gives its last value, as in Python. Linear in the dict's size. */
const struct pkl_value *pkl_get(const struct pkl_value *dict, const char *key);
/* pkl_int(pkl_get(dict, key)): 0 if present and an integer, else -1. */
int pkl_get_int(const struct pkl_value *dict, const char *key, int64_t *out);
/* A container's id, unique within its document and never reused (1, 2,
 * ...); 0 for scalars. Safe as a cache key after the value is freed. */
uint64_t pkl_id(const struct pkl_value *v);
/* Items ever attached to a list or dict, taken ones included. */
uint64_t pkl_count(const struct pkl_value *v);

#endif
