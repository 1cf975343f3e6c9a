/*
 * nsys.c - Nsight Systems SQLite exports (format "nsys"): `nsys export
 * --type sqlite` of a run profiled with --cuda-memory-usage=true. Tables
 * and enums: the NVIDIA Nsight Systems user guide's "SQLite Schema
 * Reference" (2023.1 to 2026.1 layouts).
 *
 * Output: one trace; events from CUDA_GPU_MEMORY_USAGE_EVENTS:
 *   memoryOperationType ALLOCATION (0)    TRACE_ALLOC  addr, size = bytes
 *   memoryOperationType DEALLOCATION (1)  TRACE_FREE   addr, size = bytes
 *   pid = (globalPid >> 24) & 0xFFFFFF, t_ns = start (ns since the session
 *   start), stream = streamId where the column exists.
 *   memKind DEVICE (2): the device with that deviceId; PINNED (1): host
 *   memory (TRACE_DEV_HOST, category host); other kinds (pageable,
 *   managed, arrays, statics): skipped and counted.
 * The enum values are looked up by name in ENUM_CUDA_MEM_KIND and
 * ENUM_CUDA_DEV_MEM_EVENT_OPER when the export has them (nsys's values
 * differ from raw CUPTI's), else the values above.
 * Devices: TARGET_INFO_GPU (name, totalMemory, uuid), ordered by id; the
 * CUDA ordinal from TARGET_INFO_CUDA_DEVICE (2023.3+) or cuDevice.
 * Labels: the CUDA API call of the event (correlationId ->
 * CUPTI_ACTIVITY_KIND_RUNTIME.nameId -> StringIds), without the version
 * suffix ("cudaMalloc_v3020" -> "cudaMalloc"); else the event's name.
 * Settings: nsys.product_version, nsys.schema_version, nsys.meta_table,
 * nsys.utc_epoch_ns, nsys.memory_events, nsys.device_events,
 * nsys.pinned_events, nsys.skipped_events.
 *
 * Without CUDA_GPU_MEMORY_USAGE_EVENTS (the default: nsys writes it only
 * for --cuda-memory-usage=true) the export has no sizes; nothing is
 * imported and the error says how to record one.
 *
 * The export is someone else's SQLite file: it is opened read-only, its
 * schema must hold plain tables only (a view, trigger, virtual table or
 * generated column is refused before any query: trace/sqlsafe.h), and
 * every query runs under an instruction budget proportional to the
 * file's size. Bounds: at most STORE_MAX_DEVICES devices and
 * STORE_MAX_PROCESSES processes (trace/store.h); every query is a scan,
 * a sort or an indexed join: O(n log n) in rows.
 * A WAL-mode export keeps rows in FILE-wal: the archive is the database
 * as SQLite reads it (sqlite3_serialize), not the main file's bytes.
 */
#include "u64map.h"
#include "imp.h"
#include "sqlsafe.h"
#include "util.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define USAGE "CUDA_GPU_MEMORY_USAGE_EVENTS"
#define NSYS_HEAP_LIMIT (1ll << 30) /* SQLite's heap during an import */

struct nctx {
	struct imp_ctx *ictx;
	sqlite3 *db;
	int64_t trace;
	const char *meta;            /* the metadata table's name */
	int64_t kind_device, kind_pinned, op_alloc, op_free;
	struct u64map dev;             /* deviceId -> trace index */
	int n_dev;
	struct u64map labels;          /* StringIds id -> store label id */
	uint64_t n_rows, n_device, n_pinned, n_skipped;
	struct sqlsafe_budget budget;
};

static int sqerr(struct nctx *n, char **cause, const char *what)
{
	if (n->budget.spent)
		return util_err(cause, UTIL_EINPUT, "%s: %s: the export needs more work than its "
				"size allows (over %d SQLite steps per byte): refused", n->ictx->path,
				what, SQLSAFE_STEPS_PER_BYTE);
	return util_err(cause, UTIL_EINPUT, "%s: %s: %s", n->ictx->path, what,
			sqlite3_errmsg(n->db));
}

static int prep(struct nctx *n, sqlite3_stmt **s, const char *sql, char **cause)
{
	if (sqlite3_prepare_v2(n->db, sql, -1, s, NULL) != SQLITE_OK)
		return sqerr(n, cause, "cannot read the export");
	return 0;
}

/* 1 if the table exists, 0 if not, negative on error. */
static int has_table(struct nctx *n, const char *name, char **cause)
{
	sqlite3_stmt *s;
	int rc = prep(n, &s, "SELECT 1 FROM sqlite_master WHERE type = 'table'"
			     " AND name = ?", cause);
	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return sqerr(n, cause, "cannot read the table list");
}

/* 1 if table has column, 0 if not, negative on error. */
static int has_column(struct nctx *n, const char *table, const char *col, char **cause)
{
	sqlite3_stmt *s;
	char *sql = util_xasprintf("SELECT 1 FROM pragma_table_info('%s') WHERE name = ?", table);
	int rc = prep(n, &s, sql, cause);
	free(sql);
	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, col, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : sqerr(n, cause, "table_info");
}

/* A metadata value (malloc'd) or NULL. */
static char *meta_value(struct nctx *n, const char *name)
{
	sqlite3_stmt *s;
	char *sql = util_xasprintf("SELECT value FROM %s WHERE name = ?", n->meta);
	int rc = sqlite3_prepare_v2(n->db, sql, -1, &s, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	char *v = NULL;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		v = util_xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return v;
}

/* Enum value by name from an ENUM_* table, else def. */
static int64_t enum_value(struct nctx *n, const char *table, const char *name, int64_t def)
{
	sqlite3_stmt *s;
	char *sql = util_xasprintf("SELECT id FROM %s WHERE name = ?", table);
	int rc = sqlite3_prepare_v2(n->db, sql, -1, &s, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return def;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : def;
	sqlite3_finalize(s);
	return v;
}

/* The default export has no usage table: say so, with what it does have. */
static int no_usage_table(struct nctx *n, char **cause)
{
	int64_t mallocs = -1, frees = -1;
	sqlite3_stmt *s;
	if (has_table(n, "CUPTI_ACTIVITY_KIND_RUNTIME", NULL) == 1 &&
	    has_table(n, "StringIds", NULL) == 1 &&
	    sqlite3_prepare_v2(n->db,
			       "SELECT sum(v.value LIKE 'cudaMalloc%'), sum(v.value LIKE 'cudaFree%')"
			       " FROM CUPTI_ACTIVITY_KIND_RUNTIME r JOIN StringIds v"
			       " ON v.id = r.nameId", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW) {
			mallocs = sqlite3_column_int64(s, 0);
			frees = sqlite3_column_int64(s, 1);
		}
		sqlite3_finalize(s);
	}
	char counts[128] = "";
	if (mallocs >= 0)
		snprintf(counts, sizeof(counts), " (it records %" PRId64 " cudaMalloc* and %"
			 PRId64 " cudaFree* calls, without sizes)", mallocs, frees);
	return util_err(cause, UTIL_EINPUT,
			"%s: no " USAGE " table%s: nothing imported. nsys writes allocation "
			"sizes only when the run is profiled with --cuda-memory-usage=true: "
			"record with 'nsys profile --trace=cuda --cuda-memory-usage=true ...' "
			"and export with 'nsys export --type sqlite'",
			n->ictx->path, counts);
}

/* ---- devices and processes ---- */

static int add_device(struct nctx *n, int64_t id, int ordinal, const char *name,
		      const char *uuid, int64_t total, char **cause)
{
	if (u64map_get(&n->dev, (uint64_t)id, NULL))
		return 0;
	struct trace_device d = { .index = n->n_dev, .ordinal = ordinal,
				  .total = total > 0 ? (uint64_t)total : 0 };
	snprintf(d.name, sizeof(d.name), "%s", name ? name : "");
	snprintf(d.uuid, sizeof(d.uuid), "%s", uuid ? uuid : "");
	u64map_put(&n->dev, (uint64_t)id, (uint64_t)n->n_dev++);
	return store_device_add(n->ictx->st, n->trace, &d, cause);
}

static int read_devices(struct nctx *n, char **cause)
{
	int rc = has_table(n, "TARGET_INFO_GPU", cause);
	if (rc < 0)
		return rc;
	sqlite3_stmt *s;
	if (rc == 1) {
		int cudev = has_column(n, "TARGET_INFO_GPU", "cuDevice", cause) == 1;
		int map = has_table(n, "TARGET_INFO_CUDA_DEVICE", cause) == 1;
		char *sql = util_xasprintf(
			"SELECT g.id, g.name, g.uuid, g.totalMemory, %s FROM TARGET_INFO_GPU g"
			" GROUP BY g.id ORDER BY g.id",
			map ? "(SELECT min(c.cudaId) FROM TARGET_INFO_CUDA_DEVICE c WHERE c.gpuId = g.id)"
			    : cudev ? "g.cuDevice" : "g.id");
		rc = prep(n, &s, sql, cause);
		free(sql);
		if (rc)
			return rc;
		while (rc == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(s, 0);
			/* A size must be a whole number: SQLite reads a REAL inf
			 * as INT64_MAX and text as 0. */
			int tt = sqlite3_column_type(s, 3);
			if ((tt != SQLITE_INTEGER && tt != SQLITE_NULL) ||
			    sqlite3_column_type(s, 0) != SQLITE_INTEGER) {
				rc = util_err(cause, UTIL_EINPUT, "%s: TARGET_INFO_GPU: expected integer "
					      "id and totalMemory (or NULL)", n->ictx->path);
				break;
			}
			int ord = sqlite3_column_type(s, 4) == SQLITE_NULL
				? (int)id : sqlite3_column_int(s, 4);
			rc = add_device(n, id, ord, (const char *)sqlite3_column_text(s, 1),
					(const char *)sqlite3_column_text(s, 2),
					sqlite3_column_int64(s, 3), cause);
		}
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE && rc != 0)
			return rc < 0 ? rc : sqerr(n, cause, "cannot read TARGET_INFO_GPU");
	}
	/* Devices that events name but TARGET_INFO_GPU lacks. */
	char *sql = util_xasprintf("SELECT DISTINCT deviceId FROM " USAGE " WHERE memKind = %"
				   PRId64 " ORDER BY deviceId", n->kind_device);
	rc = prep(n, &s, sql, cause);
	free(sql);
	if (rc)
		return rc;
	while (rc == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		rc = add_device(n, id, (int)id, NULL, NULL, 0, cause);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != 0)
		return rc < 0 ? rc : sqerr(n, cause, "cannot read " USAGE);
	return 0;
}

static int read_processes(struct nctx *n, char **cause)
{
	sqlite3_stmt *s;
	int names = has_table(n, "PROCESSES", cause) == 1;
	const char *sql = names
		? "SELECT DISTINCT (m.globalPid >> 24) & 16777215 AS p,"
		  " (SELECT name FROM PROCESSES WHERE (globalPid >> 24) & 16777215 ="
		  "  (m.globalPid >> 24) & 16777215 LIMIT 1) FROM " USAGE " m ORDER BY p"
		: "SELECT DISTINCT (globalPid >> 24) & 16777215 AS p, NULL FROM " USAGE
		  " ORDER BY p";
	int rc = prep(n, &s, sql, cause);
	if (rc)
		return rc;
	while (rc == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		rc = store_process_add(n->ictx->st, n->trace, sqlite3_column_int(s, 0),
				       (const char *)sqlite3_column_text(s, 1), NULL, 0, cause);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != 0)
		return rc < 0 ? rc : sqerr(n, cause, "cannot read processes");
	return 0;
}

/* ---- events ---- */

/* "cudaMalloc_v3020" -> "cudaMalloc" in place. */
static void strip_version(char *s)
{
	char *v = strrchr(s, '_');
	if (!v || v[1] != 'v' || !v[2])
		return;
	for (const char *p = v + 2; *p; p++)
		if (*p < '0' || *p > '9')
			return;
	*v = '\0';
}

static int api_label(struct nctx *n, sqlite3_stmt *s, int64_t *label, char **cause)
{
	*label = 0;
	if (sqlite3_column_type(s, 8) != SQLITE_NULL) {
		uint64_t id = (uint64_t)sqlite3_column_int64(s, 8), lab;
		if (u64map_get(&n->labels, id, &lab)) {
			*label = (int64_t)lab;
			return 0;
		}
		const char *t = (const char *)sqlite3_column_text(s, 9);
		if (!t)
			return 0;
		char buf[256];
		snprintf(buf, sizeof(buf), "%s", t);
		strip_version(buf);
		int rc = store_label(n->ictx->st, n->trace, buf, label, cause);
		if (rc == 0)
			u64map_put(&n->labels, id, (uint64_t)*label);
		return rc;
	}
	const char *name = (const char *)sqlite3_column_text(s, 10);
	if (name && *name)
		return store_label(n->ictx->st, n->trace, name, label, cause);
	return 0;
}

static int read_events(struct nctx *n, char **cause)
{
	int stream = has_column(n, USAGE, "streamId", cause) == 1;
	int name = has_column(n, USAGE, "name", cause) == 1;
	int corr = has_column(n, USAGE, "correlationId", cause) == 1 &&
		   has_table(n, "CUPTI_ACTIVITY_KIND_RUNTIME", cause) == 1 &&
		   has_table(n, "StringIds", cause) == 1;
	/* One runtime row per (correlationId, pid): a join must never
	 * duplicate a memory event. */
	char *sql = util_xasprintf(
		"SELECT m.start, (m.globalPid >> 24) & 16777215 AS pid, m.deviceId, m.address,"
		" m.bytes, m.memKind, m.memoryOperationType, %s, %s, %s, %s"
		" FROM " USAGE " m %s ORDER BY pid, m.start, m.rowid",
		stream ? "m.streamId" : "0",
		corr ? "r.nid" : "NULL", corr ? "v.value" : "NULL",
		name ? "m.name" : "NULL",
		corr ? "LEFT JOIN (SELECT correlationId AS cid, (globalTid >> 24) & 16777215 AS rpid,"
		       " min(nameId) AS nid FROM CUPTI_ACTIVITY_KIND_RUNTIME GROUP BY cid, rpid) r"
		       " ON r.cid = m.correlationId AND r.rpid = (m.globalPid >> 24) & 16777215"
		       " LEFT JOIN StringIds v ON v.id = r.nid" : "");
	sqlite3_stmt *s;
	int rc = prep(n, &s, sql, cause);
	free(sql);
	if (rc)
		return rc;
	while (rc == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		rc = 0;
		n->n_rows++;
		int64_t kind = sqlite3_column_int64(s, 5), op = sqlite3_column_int64(s, 6);
		struct trace_event ev;
		uint64_t dev;
		if ((op != n->op_alloc && op != n->op_free) ||
		    (kind != n->kind_device && kind != n->kind_pinned)) {
			n->n_skipped++;
			continue;
		}
		/* Numbers must be numbers: SQLite would read text or a NULL as 0. */
		if (sqlite3_column_type(s, 0) != SQLITE_INTEGER || sqlite3_column_int64(s, 0) < 0 ||
		    sqlite3_column_type(s, 3) != SQLITE_INTEGER ||
		    sqlite3_column_type(s, 4) != SQLITE_INTEGER || sqlite3_column_int64(s, 4) < 0) {
			rc = util_err(cause, UTIL_EINPUT, "%s: " USAGE " row %lld: expected integer start "
				      "(>= 0), address and bytes (>= 0)", n->ictx->path,
				      (long long)n->n_rows);
			break;
		}
		trace_event_init(&ev, op == n->op_alloc ? TRACE_ALLOC : TRACE_FREE,
				 sqlite3_column_int64(s, 0));
		ev.pid = sqlite3_column_int(s, 1);
		if (kind == n->kind_device) {
			if (!u64map_get(&n->dev, (uint64_t)sqlite3_column_int64(s, 2), &dev))
				dev = 0; /* unreachable: read_devices() added every deviceId */
			ev.device = (int16_t)dev;
			ev.category = TRACE_CAT_OTHER;
			n->n_device++;
		} else {
			ev.device = TRACE_DEV_HOST;
			ev.category = TRACE_CAT_HOST;
			n->n_pinned++;
		}
		ev.addr = (uint64_t)sqlite3_column_int64(s, 3);
		ev.size = (uint64_t)sqlite3_column_int64(s, 4);
		if (ev.kind == TRACE_ALLOC)
			ev.req_size = ev.size;
		ev.stream = (uint64_t)sqlite3_column_int64(s, 7);
		if ((rc = api_label(n, s, &ev.label, cause)) == 0)
			rc = store_event_add(n->ictx->st, n->trace, &ev, cause);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != 0)
		return rc < 0 ? rc : sqerr(n, cause, "cannot read " USAGE);
	return 0;
}

static int set_text(struct nctx *n, const char *key, const char *v, char **cause)
{
	return v ? store_setting_set(n->ictx->st, n->trace, key, v, cause) : 0;
}

static int set_u64(struct nctx *n, const char *key, uint64_t v, char **cause)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return store_setting_set(n->ictx->st, n->trace, key, buf, cause);
}

static int write_settings(struct nctx *n, char **cause)
{
	char *product = meta_value(n, "EXPORT_PRODUCT_VERSION");
	char *schema = meta_value(n, "EXPORT_SCHEMA_VERSION");
	int rc = set_text(n, "nsys.product_version", product, cause);
	if (rc == 0)
		rc = set_text(n, "nsys.schema_version", schema, cause);
	if (rc == 0)
		rc = set_text(n, "nsys.meta_table", n->meta, cause);
	sqlite3_stmt *s;
	if (rc == 0 && has_table(n, "TARGET_INFO_SESSION_START_TIME", NULL) == 1 &&
	    sqlite3_prepare_v2(n->db, "SELECT utcEpochNs FROM TARGET_INFO_SESSION_START_TIME",
			       -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_INTEGER)
			rc = set_u64(n, "nsys.utc_epoch_ns", (uint64_t)sqlite3_column_int64(s, 0),
				     cause);
		sqlite3_finalize(s);
	}
	struct { const char *k; uint64_t v; } counts[] = {
		{ "nsys.memory_events", n->n_rows }, { "nsys.device_events", n->n_device },
		{ "nsys.pinned_events", n->n_pinned }, { "nsys.skipped_events", n->n_skipped },
	};
	for (size_t i = 0; rc == 0 && i < UTIL_ARRAY_SIZE(counts); i++)
		rc = set_u64(n, counts[i].k, counts[i].v, cause);
	if (rc == 0) {
		char *note = util_xasprintf(
			"nsys %s (export schema %s): %" PRIu64 " rows of " USAGE ": %" PRIu64
			" device, %" PRIu64 " pinned host, %" PRIu64 " other kinds skipped "
			"(pageable, managed, arrays, statics); these are cudaMalloc-level "
			"allocations, not a caching allocator's blocks",
			product ? product : "?", schema ? schema : "?", n->n_rows, n->n_device,
			n->n_pinned, n->n_skipped);
		rc = store_trace_set(n->ictx->st, n->trace, 0, note, cause);
		free(note);
		n->ictx->summary = util_xasprintf(
			"nsys: %" PRIu64 " memory events (%" PRIu64 " device, %" PRIu64
			" pinned host, %" PRIu64 " skipped) on %d device(s)", n->n_rows,
			n->n_device, n->n_pinned, n->n_skipped, n->n_dev);
	}
	free(product);
	free(schema);
	return rc;
}

static int check_columns(struct nctx *n, char **cause)
{
	static const char *const need[] = { "start", "globalPid", "deviceId", "address",
					    "bytes", "memKind", "memoryOperationType" };
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(need); i++) {
		int rc = has_column(n, USAGE, need[i], cause);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return util_err(cause, UTIL_EINPUT, "%s: table " USAGE " has no column %s",
					n->ictx->path, need[i]);
	}
	return 0;
}

/* The trace, archiving the database as SQLite reads it: in WAL mode the
 * main file alone lacks the rows still in FILE-wal. */
static int new_trace(struct nctx *n, char **cause)
{
	struct imp_ctx *c = n->ictx;
	int wal = c->len > 19 && c->data[18] == 2 && c->data[19] == 2;
	if (!wal)
		return imp_trace_new(c, "nsys", 0, &n->trace, cause);
	sqlite3_int64 size = 0;
	unsigned char *db = sqlite3_serialize(n->db, "main", &size, 0);
	if (!db)
		return sqerr(n, cause, "cannot copy the WAL-mode export for its archive");
	const unsigned char *data = c->data;
	size_t len = c->len;
	c->data = db;
	c->len = (size_t)size;
	int rc = imp_trace_new(c, "nsys", 0, &n->trace, cause);
	c->data = data;
	c->len = len;
	sqlite3_free(db);
	return rc;
}

static int run(struct nctx *n, char **cause)
{
	int rc = has_table(n, "META_DATA_EXPORT", cause);
	if (rc == 0)
		rc = has_table(n, "EXPORT_META_DATA", cause) == 1 ? 2 : 0;
	if (rc < 0)
		return util_err(cause, UTIL_EINPUT, "%s: not an SQLite database", n->ictx->path);
	if (rc == 0)
		return util_err(cause, UTIL_EINPUT,
				"%s: not an Nsight Systems export: no META_DATA_EXPORT (or, before "
				"nsys 2023.3, EXPORT_META_DATA) table", n->ictx->path);
	n->meta = rc == 1 ? "META_DATA_EXPORT" : "EXPORT_META_DATA";
	if ((rc = has_table(n, USAGE, cause)) < 0)
		return rc;
	if (rc == 0)
		return no_usage_table(n, cause);
	if ((rc = check_columns(n, cause)))
		return rc;
	n->kind_device = enum_value(n, "ENUM_CUDA_MEM_KIND", "CUDA_MEMOPR_MEMORY_KIND_DEVICE", 2);
	n->kind_pinned = enum_value(n, "ENUM_CUDA_MEM_KIND", "CUDA_MEMOPR_MEMORY_KIND_PINNED", 1);
	n->op_alloc = enum_value(n, "ENUM_CUDA_DEV_MEM_EVENT_OPER",
				 "CUDA_DEV_MEM_EVENT_OPR_ALLOCATION", 0);
	n->op_free = enum_value(n, "ENUM_CUDA_DEV_MEM_EVENT_OPER",
				"CUDA_DEV_MEM_EVENT_OPR_DEALLOCATION", 1);
	if ((rc = new_trace(n, cause)))
		return rc;
	if ((rc = read_devices(n, cause)) == 0 && (rc = read_processes(n, cause)) == 0 &&
	    (rc = read_events(n, cause)) == 0)
		rc = write_settings(n, cause);
	return rc;
}

int imp_nsys_detect(const unsigned char *data, size_t len, const char *path)
{
	(void)path;
	if (len < 100 || memcmp(data, "SQLite format 3", 16) != 0)
		return 0;
	/* The schema (sqlite_master) sits in the first pages of an export. */
	size_t look = len < (4u << 20) ? len : 4u << 20;
	static const char *const marks[] = { "META_DATA_EXPORT", "EXPORT_META_DATA",
					     "TARGET_INFO_GPU", USAGE };
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(marks); i++)
		if (memmem(data, look, marks[i], strlen(marks[i])))
			return 90;
	/* Any other SQLite file: claim it weakly so the user hears which table
	 * is missing rather than "unknown format". */
	return 5;
}

int imp_nsys_run(struct imp_ctx *ctx, char **cause)
{
	struct nctx n = { .ictx = ctx };
	int rc;
	/* The rows of a WAL-mode file may sit in FILE-wal: count its bytes
	 * in the budget too. */
	uint64_t bytes = ctx->len;
	struct stat sb;
	char *wal = util_xasprintf("%s-wal", ctx->path);
	if (stat(wal, &sb) == 0 && S_ISREG(sb.st_mode))
		bytes += (uint64_t)sb.st_size;
	free(wal);
	if (sqlite3_open_v2(ctx->path, &n.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rc = util_err(cause, UTIL_EINPUT, "%s: cannot open as SQLite: %s", ctx->path,
			      n.db ? sqlite3_errmsg(n.db) : "out of memory");
	} else {
		/* No value nsys writes comes near 64 MiB. */
		sqlsafe_harden(n.db, 64 << 20);
		sqlsafe_budget(n.db, &n.budget, sqlsafe_steps_for(bytes));
		/* Memory backstop: SQLite's heap in all (the store included)
		 * stays under NSYS_HEAP_LIMIT during the import; a sort
		 * beyond its cache spills to temporary files. */
		sqlite3_int64 heap = sqlite3_hard_heap_limit64(-1);
		sqlite3_hard_heap_limit64(NSYS_HEAP_LIMIT);
		rc = sqlsafe_check(n.db, ctx->path, cause);
		if (rc == 0)
			rc = run(&n, cause);
		sqlite3_hard_heap_limit64(heap);
	}
	sqlite3_close(n.db);
	u64map_free(&n.dev);
	u64map_free(&n.labels);
	return rc;
}
