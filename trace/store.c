/*
 * store.c - the SQLite trace store.
 *
 * One prepared statement per hot insert, bound and stepped per row inside
 * the caller's transaction: per-row commits would make an import a
 * sequence of disk syncs.
 *
 * Over 800 lines: every SQL statement on the store's schema lives here,
 * behind store.h, so that no other file knows a table or column name.
 */
#include "store.h"
#include "chunk.h"
#include "sqlsafe.h"
#include "u64map.h"
#include "util.h"

#include <sqlite3.h>
#include <zstd.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Events of one (trace, pid) being packed into a chunk. */
struct pending {
	int64_t trace;
	int32_t pid;
	int64_t next_seq;        /* seq of the next event of this process */
	struct chunk_enc *enc;   /* NULL when empty */
};

/* Per-trace tallies for the event_stats table, by (device, category, kind). */
struct stat_row {
	int64_t trace;
	int device, category, kind;
	int64_t n;
	uint64_t bytes;
};

struct store {
	sqlite3 *db;
	char *path;
	int in_tx;
	int busy;                /* the last exec() failed because of another process's lock */
	int busy_ms;             /* how long to wait for that lock */
	int last_code;           /* SQLite's extended code of the last failed pragma_int() */
	sqlite3_stmt *ins_chunk;
	sqlite3_stmt *ins_label;
	sqlite3_stmt *get_label;
	struct pending *pend;
	size_t n_pend, alloc_pend;
	struct u64map pend_at;   /* (trace, pid) key -> index in pend + 1 */
	struct u64map n_pids;    /* trace -> distinct pids with events in this transaction */
	struct u64map procs;     /* (trace, pid) key of each process row added -> 1 */
	struct u64map n_procs;   /* trace -> process rows added in this transaction */
	size_t n_open;           /* pending entries holding an encoder */
	size_t evict;            /* where the search for an encoder to close resumes */
	struct stat_row *stats;
	size_t n_stats, alloc_stats;
};

struct store_iter {
	sqlite3_stmt *stmt;
	struct store *st;
	struct chunk_dec dec;
	int have_chunk;
	int64_t trace;
};

/* Version 1 schema. A migration to version N+1 is appended to migrations[]. */
static const char schema_v1[] =
	"CREATE TABLE profiles("
	" id INTEGER PRIMARY KEY, name TEXT NOT NULL, arch TEXT, approx INTEGER NOT NULL DEFAULT 0,"
	" n_layer INTEGER, n_embd INTEGER, n_head INTEGER, n_head_kv INTEGER,"
	" head_dim_k INTEGER, head_dim_v INTEGER, n_vocab INTEGER, n_ctx_train INTEGER,"
	" n_expert INTEGER, n_expert_used INTEGER, n_ff INTEGER, file_size INTEGER,"
	" source TEXT);"
	"CREATE TABLE profile_parts("
	" profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,"
	" layer INTEGER NOT NULL, grp TEXT NOT NULL, bytes INTEGER NOT NULL,"
	" PRIMARY KEY(profile_id, layer, grp)) WITHOUT ROWID;"
	"CREATE TABLE traces("
	" id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, format TEXT NOT NULL,"
	" source TEXT, run INTEGER NOT NULL DEFAULT 0, truncated INTEGER NOT NULL DEFAULT 0,"
	" created_ns INTEGER NOT NULL, n_events INTEGER NOT NULL DEFAULT 0,"
	" profile_id INTEGER REFERENCES profiles(id), note TEXT);"
	"CREATE TABLE archives("
	" id INTEGER PRIMARY KEY, trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,"
	" filename TEXT NOT NULL, raw_size INTEGER NOT NULL, zdata BLOB NOT NULL);"
	"CREATE TABLE processes("
	" trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,"
	" pid INTEGER NOT NULL, exe TEXT, cmdline TEXT, start_ns INTEGER,"
	" PRIMARY KEY(trace_id, pid)) WITHOUT ROWID;"
	"CREATE TABLE devices("
	" trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,"
	" idx INTEGER NOT NULL, pid INTEGER, ordinal INTEGER, uuid TEXT, name TEXT, total INTEGER,"
	" PRIMARY KEY(trace_id, idx)) WITHOUT ROWID;"
	"CREATE TABLE labels("
	" id INTEGER PRIMARY KEY, trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,"
	" text TEXT NOT NULL);"
	"CREATE UNIQUE INDEX labels_text ON labels(trace_id, text);"
	"CREATE TABLE settings("
	" trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,"
	" key TEXT NOT NULL, value TEXT, PRIMARY KEY(trace_id, key)) WITHOUT ROWID;"
	"CREATE TABLE estimates("
	" trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,"
	" engine TEXT NOT NULL, device INTEGER NOT NULL, key TEXT NOT NULL, bytes INTEGER NOT NULL,"
	" PRIMARY KEY(trace_id, engine, device, key)) WITHOUT ROWID;"
	"CREATE TABLE events("
	" trace_id INTEGER NOT NULL, pid INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" t_ns INTEGER NOT NULL, tid INTEGER NOT NULL DEFAULT 0, kind INTEGER NOT NULL,"
	" device INTEGER NOT NULL, category INTEGER NOT NULL DEFAULT 0, api INTEGER NOT NULL DEFAULT 0,"
	" layer_lo INTEGER NOT NULL DEFAULT -1, layer_hi INTEGER NOT NULL DEFAULT -1,"
	" size INTEGER NOT NULL DEFAULT 0, req_size INTEGER NOT NULL DEFAULT 0,"
	" addr INTEGER NOT NULL DEFAULT 0, aux INTEGER NOT NULL DEFAULT 0,"
	" stream INTEGER NOT NULL DEFAULT 0, result INTEGER NOT NULL DEFAULT 0,"
	" label_id INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY(trace_id, pid, seq)) WITHOUT ROWID;";

/*
 * Version 2: events are packed in chunks of up to CHUNK_MAX events of one
 * process (trace/chunk.h), clustered by (trace, pid, first_seq), and
 * tallied in event_stats. A row per event cost ~40 bytes and capped
 * imports at SQLite's per-row speed; a chunk costs ~8-14 bytes an event.
 * `vramsim export --format sqlite` writes them back as rows.
 */
static const char schema_v2[] =
	"CREATE TABLE event_chunks("
	" trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,"
	" pid INTEGER NOT NULL, first_seq INTEGER NOT NULL, n INTEGER NOT NULL,"
	" t_first INTEGER NOT NULL, t_last INTEGER NOT NULL, data BLOB NOT NULL,"
	" PRIMARY KEY(trace_id, pid, first_seq)) WITHOUT ROWID;"
	"CREATE TABLE event_stats("
	" trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,"
	" device INTEGER NOT NULL, category INTEGER NOT NULL, kind INTEGER NOT NULL,"
	" n INTEGER NOT NULL, bytes INTEGER NOT NULL,"
	" PRIMARY KEY(trace_id, device, category, kind)) WITHOUT ROWID;";

/*
 * Version 3: the GGUF header of an imported model (zstd), so a plan can
 * re-materialise the model as a sparse file without the original.
 */
static const char schema_v3[] =
	"CREATE TABLE gguf_headers("
	" profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,"
	" part INTEGER NOT NULL, filename TEXT NOT NULL, file_size INTEGER NOT NULL,"
	" raw_size INTEGER NOT NULL, zdata BLOB NOT NULL,"
	" PRIMARY KEY(profile_id, part)) WITHOUT ROWID;";

/*
 * Version 4: traces.n_events holds the trace's event count (flush_all()
 * adds each transaction's), so `ls`, `show` and anyone reading the file
 * with sqlite3 get it without summing chunks; this fills it for stores
 * written before.
 */
static const char schema_v4[] =
	"UPDATE traces SET n_events ="
	" (SELECT coalesce(sum(n), 0) FROM event_chunks e WHERE e.trace_id = traces.id);";

static int migrate_v1_v2(struct store *st, char **cause);

static int readonly_err(const char *path, char **cause);

static int busy_err(struct store *st, char **cause)
{
	return util_err(cause, UTIL_ERR, "%s: another process is writing to this store (an "
			"import, record or merge still running); gave up after %d s: try again "
			"when it ends, or wait longer with VRAMSIM_BUSY_TIMEOUT=SECONDS", st->path,
			st->busy_ms / 1000);
}

static int sqerr(struct store *st, char **cause, const char *what)
{
	int code = sqlite3_errcode(st->db);
	if (code == SQLITE_BUSY)
		return busy_err(st, cause);
	if (code == SQLITE_READONLY)
		return readonly_err(st->path, cause);
	return util_err(cause, UTIL_ERR, "%s: %s: %s", st->path, what,
			sqlite3_errmsg(st->db));
}

static int exec(struct store *st, const char *sql, char **cause)
{
	char *msg = NULL;
	int r = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
	st->busy = r == SQLITE_BUSY || r == SQLITE_LOCKED;
	if (r == SQLITE_BUSY) {
		sqlite3_free(msg);
		return busy_err(st, cause);
	}
	if (r != SQLITE_OK) {
		int rc = util_err(cause, UTIL_ERR, "%s: %s", st->path,
				  msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

static int pragma_int(struct store *st, const char *sql, int64_t *v,
		      char **cause)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		st->last_code = sqlite3_extended_errcode(st->db);
		return sqerr(st, cause, "query");
	}
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW)
		st->last_code = sqlite3_extended_errcode(st->db);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(s, 0);
		rc = 0;
	} else if (rc == SQLITE_NOTADB) {
		rc = util_err(cause, UTIL_EINPUT,
			      "%s: not a vramsim store (not an SQLite database)",
			      st->path);
	} else {
		rc = sqerr(st, cause, "query");
	}
	sqlite3_finalize(s);
	return rc;
}

/* Check identity and bring the schema to STORE_SCHEMA_VERSION. */
static int check_schema(struct store *st, int flags, char **cause)
{
	int64_t appid = 0, ver = 0, ntab = 0;
	int rc;
	/* One read transaction: another process creating the store commits
	 * its tables and its application id together, and separate reads
	 * could see the one without the other. */
	if ((rc = exec(st, "BEGIN", cause)))
		return rc;
	if ((rc = pragma_int(st, "PRAGMA application_id", &appid, cause)) ||
	    (rc = pragma_int(st, "PRAGMA user_version", &ver, cause)) ||
	    (rc = pragma_int(st, "SELECT count(*) FROM sqlite_master", &ntab, cause))) {
		exec(st, "ROLLBACK", NULL);
		return rc;
	}
	if (appid != STORE_APPLICATION_ID && (ntab > 0 || appid != 0)) {
		exec(st, "ROLLBACK", NULL);
		return util_err(cause, UTIL_EINPUT,
				"%s: not a vramsim store (SQLite database of another program)",
				st->path);
	}
	/* vramsim creates plain tables and indexes only: a view, trigger,
	 * virtual table or generated column was put there by someone else,
	 * and reading through it would run their SQL (a recursive view
	 * never ends). Checked before any query reads a table. */
	rc = sqlsafe_check(st->db, st->path, cause);
	exec(st, "ROLLBACK", NULL);
	if (rc)
		return rc;
	if (ver > STORE_SCHEMA_VERSION)
		return util_err(cause, UTIL_EINPUT,
				"%s: store schema version %lld is newer than this vramsim "
				"understands (%d); upgrade vramsim",
				st->path, (long long)ver, STORE_SCHEMA_VERSION);
	if (ver == STORE_SCHEMA_VERSION)
		return 0;
	if (flags & STORE_READONLY) {
		if (ntab == 0)
			return util_err(cause, UTIL_EINPUT, "%s: empty store, import a trace first",
					st->path);
		return 1; /* store_open reopens it writable to migrate */
	}
	/* WAL before the first write: switching later needs an exclusive
	 * lock, which a second process creating the same store would block. */
	if ((rc = exec(st, "PRAGMA journal_mode=WAL", cause)) ||
	    (rc = exec(st, "BEGIN IMMEDIATE", cause)))
		return rc;
	/* Another process may have created or migrated the store while we
	 * waited for the lock: read the version again under it. */
	if ((rc = pragma_int(st, "PRAGMA user_version", &ver, cause))) {
		exec(st, "ROLLBACK", NULL);
		return rc;
	}
	if (ver == STORE_SCHEMA_VERSION)
		return exec(st, "COMMIT", cause);
	/* Each step takes the schema one version up, in one transaction. */
	if (ver < 1)
		rc = exec(st, schema_v1, cause);
	if (!rc && ver < 2)
		rc = migrate_v1_v2(st, cause);
	if (!rc && ver < 3)
		rc = exec(st, schema_v3, cause);
	if (!rc && ver < 4)
		rc = exec(st, schema_v4, cause);
	if (rc) {
		exec(st, "ROLLBACK", NULL);
		return rc;
	}
	char sql[128];
	snprintf(sql, sizeof(sql), "PRAGMA application_id=%d; PRAGMA user_version=%d",
		 STORE_APPLICATION_ID, STORE_SCHEMA_VERSION);
	if ((rc = exec(st, sql, cause)) || (rc = exec(st, "COMMIT", cause))) {
		exec(st, "ROLLBACK", NULL);
		return rc;
	}
	return 0;
}

/* Seconds a writer waits for another process's lock: $VRAMSIM_BUSY_TIMEOUT
 * or STORE_BUSY_TIMEOUT_S. An import of a large input holds the lock for
 * as long as it runs. */
static int busy_timeout_s(void)
{
	const char *e = getenv("VRAMSIM_BUSY_TIMEOUT");
	char *end;
	long v = e && *e ? strtol(e, &end, 10) : -1;
	if (v < 0 || *end || v > 86400)
		return STORE_BUSY_TIMEOUT_S;
	return (int)v;
}

/* SQLite's busy handler: wait up to the timeout, saying once (on a
 * terminal) why nothing happens. */
static int on_busy(void *ud, int n)
{
	struct store *st = ud;
	int waited_ms = n * 20;
	if (waited_ms >= st->busy_ms)
		return 0;
	if (waited_ms == 2000 && isatty(STDERR_FILENO))
		fprintf(stderr, "vramsim: %s: another process is writing to this store (an import, "
			"record or merge); waiting up to %d s (VRAMSIM_BUSY_TIMEOUT)\n", st->path,
			st->busy_ms / 1000);
	sqlite3_sleep(20);
	return 1;
}

static void set_busy(struct store *st)
{
	st->busy_ms = busy_timeout_s() * 1000;
	sqlite3_busy_handler(st->db, on_busy, st);
}

/* Why a store cannot be written (NULL if no reason is visible): the
 * file, or the folder where SQLite must create FILE-wal and FILE-shm. */
static char *why_readonly(const char *path)
{
	char *dir = util_xstrdup(path), *slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	char *why = NULL;
	if (access(path, F_OK) == 0 && access(path, W_OK) != 0)
		why = util_xasprintf("the file is read-only (%s)", strerror(errno));
	else if (access(dir, W_OK) != 0)
		why = util_xasprintf("its folder %s is not writable (%s), and SQLite must create "
				     "%s-wal and %s-shm there", dir, strerror(errno), path, path);
	free(dir);
	return why;
}

static int readonly_err(const char *path, char **cause)
{
	char *why = why_readonly(path);
	int rc = util_err(cause, UTIL_EINPUT, "%s: cannot write the store: %s; commands that "
			  "only read it (ls, show, replay, export, plot) still work; import into "
			  "another store with --store or $VRAMSIM_STORE", path,
			  why ? why : "SQLite opened it read-only");
	free(why);
	return rc;
}

/* "file:PATH?mode=ro&immutable=1" with PATH percent-encoded. */
static char *immutable_uri(const char *path)
{
	size_t n = strlen(path);
	char *u = util_xmalloc(n * 3 + 40), *q = u;
	q += sprintf(q, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p == '?' || *p == '#' || *p == '%' || *p < 0x21 || *p >= 0x7f)
			q += sprintf(q, "%%%02X", *p);
		else
			*q++ = (char)*p;
	}
	strcpy(q, "?mode=ro&immutable=1");
	return u;
}

/* 1 if FILE-wal exists and holds frames (rows not yet in FILE). */
static int wal_has_data(const char *path)
{
	char *wal = util_xasprintf("%s-wal", path);
	struct stat sb;
	int has = stat(wal, &sb) == 0 && sb.st_size > 0;
	free(wal);
	return has;
}

int store_open(const char *path, int flags, struct store **out, char **cause)
{
	struct stat sb;
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return util_err(cause, UTIL_EINPUT, "%s: is a directory, not a store file", path);
	if (!(flags & STORE_READONLY) && (stat(path, &sb) == 0 || (flags & STORE_CREATE))) {
		char *why = why_readonly(path);
		free(why);
		if (why)
			return readonly_err(path, cause);
	}
	struct store *st = util_xcalloc(1, sizeof(*st));
	st->path = util_xstrdup(path);
	int oflags = (flags & STORE_READONLY) ? SQLITE_OPEN_READONLY
		: SQLITE_OPEN_READWRITE | ((flags & STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
	int rc = sqlite3_open_v2(path, &st->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		rc = util_err(cause, rc == SQLITE_CANTOPEN ? UTIL_EINPUT : UTIL_ERR,
			      "%s: cannot open store: %s", path,
			      st->db ? sqlite3_errmsg(st->db) : "out of memory");
		store_close(st);
		return rc;
	}
	if (!(flags & STORE_READONLY) && sqlite3_db_readonly(st->db, "main") == 1) {
		store_close(st);
		return readonly_err(path, cause);
	}
	/* The store may come from elsewhere: no SQL in it ever runs. */
	sqlsafe_harden(st->db, 0);
	/* A second process importing waits for our lock (busy_timeout_s). */
	set_busy(st);
	/* Two processes creating one store: a journal-mode switch can be
	 * refused without waiting (SQLite does not wait where waiting could
	 * deadlock); try again for the busy timeout. */
	for (int tries = 0;; tries++) {
		st->busy = 0;
		rc = check_schema(st, flags, cause);
		if (rc >= 0 || !st->busy || tries >= 1000)
			break;
		if (cause) {
			free(*cause);
			*cause = NULL;
		}
		sqlite3_sleep(10);
	}
	if (rc < 0 && (flags & STORE_READONLY) && !wal_has_data(path) &&
	    ((st->last_code & 0xff) == SQLITE_READONLY || (st->last_code & 0xff) == SQLITE_CANTOPEN)) {
		/* A WAL-mode store whose folder we cannot write: SQLite cannot
		 * create FILE-shm to read it. With no FILE-wal every row is in
		 * FILE, which is then read as an immutable file. */
		sqlite3_close(st->db);
		st->db = NULL;
		char *uri = immutable_uri(path);
		int orc = sqlite3_open_v2(uri, &st->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
		free(uri);
		if (orc == SQLITE_OK) {
			if (cause) {
				free(*cause);
				*cause = NULL;
			}
			sqlsafe_harden(st->db, 0);
			rc = check_schema(st, flags, cause);
		}
	}
	if (rc == 1) {
		/* An older store opened read-only: migrate it once, then read. */
		sqlite3_close(st->db);
		st->db = NULL;
		if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
		    sqlite3_db_readonly(st->db, "main") == 1) {
			char *why = why_readonly(path);
			rc = util_err(cause, UTIL_EINPUT, "%s: store schema needs a migration, but the "
				      "store cannot be written: %s", path,
				      why ? why : "SQLite opened it read-only");
			free(why);
			store_close(st);
			return rc;
		}
		sqlsafe_harden(st->db, 0);
		set_busy(st);
		rc = check_schema(st, flags & ~STORE_READONLY, cause);
	}
	if (rc) {
		store_close(st);
		return rc;
	}
	if (!(flags & STORE_READONLY)) {
		/* WAL: readers never block the writer or each other. */
		if ((rc = exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
				   " PRAGMA foreign_keys=ON", cause))) {
			store_close(st);
			return rc;
		}
	}
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->in_tx)
		store_rollback(st);
	sqlite3_finalize(st->ins_chunk);
	for (size_t i = 0; i < st->n_pend; i++)
		free(st->pend[i].enc);
	free(st->pend);
	u64map_free(&st->pend_at);
	u64map_free(&st->n_pids);
	u64map_free(&st->procs);
	u64map_free(&st->n_procs);
	free(st->stats);
	sqlite3_finalize(st->ins_label);
	sqlite3_finalize(st->get_label);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

const char *store_path(const struct store *st)
{
	return st->path;
}

struct sqlite3 *store_sqlite(struct store *st)
{
	return st->db;
}

int store_begin(struct store *st, char **cause)
{
	/* IMMEDIATE takes the write lock now, so two importers serialise
	 * through the busy timeout instead of failing at commit. */
	int rc = exec(st, "BEGIN IMMEDIATE", cause);
	if (!rc)
		st->in_tx = 1;
	return rc;
}

static int flush_all(struct store *st, char **cause);

static void drop_pending(struct store *st)
{
	for (size_t i = 0; i < st->n_pend; i++)
		free(st->pend[i].enc);
	st->n_pend = 0;
	st->n_stats = 0;
	st->n_open = 0;
	st->evict = 0;
	u64map_free(&st->pend_at);
	u64map_free(&st->n_pids);
	u64map_free(&st->procs);
	u64map_free(&st->n_procs);
}

/* The key of a (trace, pid) pair: trace ids are SQLite rowids counted
 * from 1 and stay far below 2^32; a lookup checks the pair anyway. */
static uint64_t tp_key(int64_t trace, int32_t pid)
{
	return (uint64_t)trace << 32 ^ (uint32_t)pid;
}

/* Count one more of something per trace; UTIL_EINPUT past max. */
static int count_one(struct u64map *m, int64_t trace, uint64_t max, const char *what,
		     char **cause)
{
	uint64_t n = 0;
	u64map_get(m, (uint64_t)trace, &n);
	if (n >= max)
		return util_err(cause, UTIL_EINPUT, "more than %" PRIu64 " %s in one trace "
				"(the store's limit, STORE_MAX_%s)", max, what,
				!strcmp(what, "devices") ? "DEVICES" : "PROCESSES");
	u64map_put(m, (uint64_t)trace, n + 1);
	return 0;
}

int store_commit(struct store *st, char **cause)
{
	int rc = flush_all(st, cause);
	if (!rc)
		rc = exec(st, "COMMIT", cause);
	if (!rc)
		st->in_tx = 0;
	drop_pending(st);
	return rc;
}

void store_rollback(struct store *st)
{
	if (st->in_tx)
		exec(st, "ROLLBACK", NULL);
	st->in_tx = 0;
	drop_pending(st);
}

/* Prepare sql into *s (cached if s points at a struct member). */
static int prep(struct store *st, sqlite3_stmt **s, const char *sql, char **cause)
{
	if (*s) {
		sqlite3_reset(*s);
		sqlite3_clear_bindings(*s);
		return 0;
	}
	if (sqlite3_prepare_v2(st->db, sql, -1, s, NULL) != SQLITE_OK)
		return sqerr(st, cause, "prepare");
	return 0;
}

/* Step a one-shot statement to completion and finalize it. */
static int step_done(struct store *st, sqlite3_stmt *s, char **cause, const char *what)
{
	int rc = sqlite3_step(s);
	rc = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? 0 : sqerr(st, cause, what);
	sqlite3_finalize(s);
	return rc;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

static int name_taken(struct store *st, const char *name, int *taken, char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc = prep(st, &s, "SELECT 1 FROM traces WHERE name=?", cause);
	if (rc)
		return rc;
	bind_text(s, 1, name);
	rc = sqlite3_step(s);
	*taken = rc == SQLITE_ROW;
	rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : sqerr(st, cause, "query");
	sqlite3_finalize(s);
	return rc;
}

int store_trace_new(struct store *st, const char *name, const char *base,
		    const char *format, const char *source, int run,
		    int64_t *id, char **cause)
{
	char *nm;
	int rc, taken;
	if (name) {
		if ((rc = name_taken(st, name, &taken, cause)))
			return rc;
		if (taken)
			return util_err(cause, UTIL_EINPUT,
					"a trace named '%s' already exists in %s", name, st->path);
		nm = util_xstrdup(name);
	} else {
		/* One rule for every repeat: the first free name of base,
		 * base#2, base#3 ..., starting at base#run for the run-th load
		 * of a log. A log with three loads gives x, x#2, x#3; importing
		 * it again gives x#4, x#5, x#6. */
		const char *b = base && *base ? base : "trace";
		for (int k = run > 1 ? run : 1;; k++) {
			nm = k > 1 ? util_xasprintf("%s#%d", b, k) : util_xstrdup(b);
			if ((rc = name_taken(st, nm, &taken, cause))) {
				free(nm);
				return rc;
			}
			if (!taken)
				break;
			free(nm);
		}
	}
	sqlite3_stmt *s = NULL;
	if ((rc = prep(st, &s, "INSERT INTO traces(name, format, source, run, created_ns)"
			       " VALUES(?,?,?,?,?)", cause))) {
		free(nm);
		return rc;
	}
	bind_text(s, 1, nm);
	bind_text(s, 2, format);
	bind_text(s, 3, source);
	sqlite3_bind_int(s, 4, run);
	sqlite3_bind_int64(s, 5, util_wall_ns());
	free(nm);
	if ((rc = step_done(st, s, cause, "insert trace")))
		return rc;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int store_trace_set(struct store *st, int64_t trace, int truncated,
		    const char *note, char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc = prep(st, &s, "UPDATE traces SET truncated=?, note=coalesce(?, note)"
			      " WHERE id=?", cause);
	if (rc)
		return rc;
	sqlite3_bind_int(s, 1, truncated);
	bind_text(s, 2, note);
	sqlite3_bind_int64(s, 3, trace);
	return step_done(st, s, cause, "update trace");
}

int store_archive(struct store *st, int64_t trace, const char *filename,
		  const void *data, size_t len, char **cause)
{
	size_t cap = ZSTD_compressBound(len);
	void *z = util_xmalloc(cap);
	size_t zn = ZSTD_compress(z, cap, data, len, 3);
	if (ZSTD_isError(zn)) {
		free(z);
		return util_err(cause, UTIL_ERR, "zstd: %s", ZSTD_getErrorName(zn));
	}
	sqlite3_stmt *s = NULL;
	int rc = prep(st, &s, "INSERT INTO archives(trace_id, filename, raw_size, zdata)"
			      " VALUES(?,?,?,?)", cause);
	if (rc) {
		free(z);
		return rc;
	}
	sqlite3_bind_int64(s, 1, trace);
	bind_text(s, 2, filename);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)len);
	sqlite3_bind_blob64(s, 4, z, zn, SQLITE_STATIC);
	rc = step_done(st, s, cause, "insert archive");
	free(z);
	return rc;
}

int store_archive_get(struct store *st, int64_t trace, char **filename,
		      void **data, size_t *len, char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc = prep(st, &s, "SELECT filename, raw_size, zdata FROM archives"
			      " WHERE trace_id=? ORDER BY id LIMIT 1", cause);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, trace);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		return rc == SQLITE_DONE
			? util_err(cause, UTIL_EINPUT, "trace %lld has no archived input",
				   (long long)trace)
			: sqerr(st, cause, "query archive");
	}
	size_t raw = (size_t)sqlite3_column_int64(s, 1);
	const void *z = sqlite3_column_blob(s, 2);
	size_t zn = (size_t)sqlite3_column_bytes(s, 2);
	void *buf = util_xmalloc(raw + 1);
	size_t got = ZSTD_decompress(buf, raw + 1, z, zn);
	if (ZSTD_isError(got) || got != raw) {
		free(buf);
		sqlite3_finalize(s);
		return util_err(cause, UTIL_ERR, "%s: archive of trace %lld is damaged",
				st->path, (long long)trace);
	}
	*filename = util_xstrdup((const char *)sqlite3_column_text(s, 0));
	*data = buf;
	*len = raw;
	sqlite3_finalize(s);
	return 0;
}

int store_gguf_header_put(struct store *st, int64_t profile, int part, const char *filename,
			  uint64_t file_size, const void *data, size_t len, char **cause)
{
	size_t cap = ZSTD_compressBound(len);
	void *z = util_xmalloc(cap);
	size_t zn = ZSTD_compress(z, cap, data, len, 3);
	if (ZSTD_isError(zn)) {
		free(z);
		return util_err(cause, UTIL_ERR, "zstd: %s", ZSTD_getErrorName(zn));
	}
	sqlite3_stmt *s = NULL;
	int rc = prep(st, &s, "INSERT OR REPLACE INTO gguf_headers(profile_id, part, filename,"
			      " file_size, raw_size, zdata) VALUES(?,?,?,?,?,?)", cause);
	if (rc == 0) {
		sqlite3_bind_int64(s, 1, profile);
		sqlite3_bind_int(s, 2, part);
		bind_text(s, 3, filename);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)file_size);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)len);
		sqlite3_bind_blob64(s, 6, z, zn, SQLITE_STATIC);
		rc = step_done(st, s, cause, "insert gguf header");
	}
	free(z);
	return rc;
}

void store_gguf_headers_free(struct store_gguf_header *h, size_t n)
{
	for (size_t i = 0; h && i < n; i++) {
		free(h[i].filename);
		free(h[i].data);
	}
	free(h);
}

int store_gguf_headers_get(struct store *st, int64_t profile, struct store_gguf_header **out,
			   size_t *n, char **cause)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *s = NULL;
	int rc = prep(st, &s, "SELECT part, filename, file_size, raw_size, zdata FROM gguf_headers"
			      " WHERE profile_id=? ORDER BY part", cause);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, profile);
	struct store_gguf_header *h = NULL;
	size_t cnt = 0, alloc = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		sqlite3_int64 raw = sqlite3_column_int64(s, 3);
		const void *z = sqlite3_column_blob(s, 4);
		size_t zn = (size_t)sqlite3_column_bytes(s, 4);
		/* The declared size must be what the frame says it holds. */
		unsigned long long fr = z ? ZSTD_getFrameContentSize(z, zn) : 0;
		if (raw < 0 || fr != (unsigned long long)raw) {
			rc = -1;
			break;
		}
		UTIL_GROW(h, cnt + 1, alloc);
		struct store_gguf_header *e = &h[cnt++];
		memset(e, 0, sizeof(*e));
		e->part = sqlite3_column_int(s, 0);
		const unsigned char *fn = sqlite3_column_text(s, 1);
		e->filename = util_xstrdup(fn ? (const char *)fn : "");
		e->file_size = (uint64_t)sqlite3_column_int64(s, 2);
		e->len = (size_t)raw;
		e->data = util_xmalloc(e->len + 1);
		size_t got = ZSTD_decompress(e->data, e->len + 1, z, zn);
		if (ZSTD_isError(got) || got != e->len) {
			rc = -1;
			break;
		}
	}
	int part = cnt ? h[cnt - 1].part : 0;
	sqlite3_finalize(s);
	if (rc == -1) {
		store_gguf_headers_free(h, cnt);
		return util_err(cause, UTIL_ERR, "%s: GGUF header of profile %lld part %d is damaged",
				st->path, (long long)profile, part);
	}
	if (rc != SQLITE_DONE) {
		store_gguf_headers_free(h, cnt);
		return sqerr(st, cause, "query gguf headers");
	}
	*out = h;
	*n = cnt;
	return 0;
}

int store_process_add(struct store *st, int64_t trace, int32_t pid,
		      const char *exe, const char *cmdline, int64_t start_ns,
		      char **cause)
{
	int rc;
	if (!u64map_get(&st->procs, tp_key(trace, pid), NULL)) {
		if ((rc = count_one(&st->n_procs, trace, STORE_MAX_PROCESSES, "processes", cause)))
			return rc;
		u64map_put(&st->procs, tp_key(trace, pid), 1);
	}
	sqlite3_stmt *s = NULL;
	rc = prep(st, &s, "INSERT OR REPLACE INTO processes(trace_id, pid, exe, cmdline,"
			      " start_ns) VALUES(?,?,?,?,?)", cause);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, trace);
	sqlite3_bind_int(s, 2, pid);
	bind_text(s, 3, exe);
	bind_text(s, 4, cmdline);
	sqlite3_bind_int64(s, 5, start_ns);
	return step_done(st, s, cause, "insert process");
}

int store_device_add(struct store *st, int64_t trace,
		     const struct trace_device *dev, char **cause)
{
	if (dev->index < 0 || dev->index >= STORE_MAX_DEVICES)
		return util_err(cause, UTIL_EINPUT, "device index %d outside 0..%d (the store's "
				"limit, STORE_MAX_DEVICES)", dev->index, STORE_MAX_DEVICES - 1);
	sqlite3_stmt *s = NULL;
	int rc = prep(st, &s, "INSERT OR REPLACE INTO devices(trace_id, idx, pid, ordinal,"
			      " uuid, name, total) VALUES(?,?,?,?,?,?,?)", cause);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, trace);
	sqlite3_bind_int(s, 2, dev->index);
	sqlite3_bind_int(s, 3, dev->pid);
	sqlite3_bind_int(s, 4, dev->ordinal);
	bind_text(s, 5, dev->uuid);
	bind_text(s, 6, dev->name);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)dev->total);
	return step_done(st, s, cause, "insert device");
}

int store_setting_set(struct store *st, int64_t trace, const char *key,
		      const char *value, char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc = prep(st, &s, "INSERT OR REPLACE INTO settings(trace_id, key, value)"
			      " VALUES(?,?,?)", cause);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, trace);
	bind_text(s, 2, key);
	bind_text(s, 3, value);
	return step_done(st, s, cause, "insert setting");
}

int store_estimate_add(struct store *st, int64_t trace, const char *engine,
		       int device, const char *key, uint64_t bytes, char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc = prep(st, &s, "INSERT OR REPLACE INTO estimates(trace_id, engine, device,"
			      " key, bytes) VALUES(?,?,?,?,?)", cause);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, trace);
	bind_text(s, 2, engine);
	sqlite3_bind_int(s, 3, device);
	bind_text(s, 4, key);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)bytes);
	return step_done(st, s, cause, "insert estimate");
}

int store_label(struct store *st, int64_t trace, const char *text,
		int64_t *id, char **cause)
{
	int rc = prep(st, &st->get_label, "SELECT id FROM labels WHERE trace_id=? AND text=?",
		      cause);
	if (rc)
		return rc;
	sqlite3_bind_int64(st->get_label, 1, trace);
	sqlite3_bind_text(st->get_label, 2, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st->get_label);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st->get_label, 0);
		sqlite3_reset(st->get_label);
		return 0;
	}
	sqlite3_reset(st->get_label);
	if (rc != SQLITE_DONE)
		return sqerr(st, cause, "query label");
	if ((rc = prep(st, &st->ins_label, "INSERT INTO labels(trace_id, text) VALUES(?,?)",
		       cause)))
		return rc;
	sqlite3_bind_int64(st->ins_label, 1, trace);
	sqlite3_bind_text(st->ins_label, 2, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st->ins_label);
	sqlite3_reset(st->ins_label);
	if (rc != SQLITE_DONE)
		return sqerr(st, cause, "insert label");
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static struct pending *pending_of(struct store *st, int64_t trace, int32_t pid, char **cause,
				  int *rc)
{
	uint64_t at;
	if (u64map_get(&st->pend_at, tp_key(trace, pid), &at) && at &&
	    st->pend[at - 1].trace == trace && st->pend[at - 1].pid == pid)
		return &st->pend[at - 1];
	for (size_t i = 0; i < st->n_pend && trace >> 31; i++) /* ids past 2^31 */
		if (st->pend[i].trace == trace && st->pend[i].pid == pid)
			return &st->pend[i];
	if ((*rc = count_one(&st->n_pids, trace, STORE_MAX_PROCESSES, "processes", cause)))
		return NULL;
	/* First event of this process in this transaction: continue its seq. */
	sqlite3_stmt *s = NULL;
	*rc = prep(st, &s, "SELECT coalesce(max(first_seq + n), 1) FROM event_chunks"
			   " WHERE trace_id=? AND pid=?", cause);
	if (*rc)
		return NULL;
	sqlite3_bind_int64(s, 1, trace);
	sqlite3_bind_int(s, 2, pid);
	int r = sqlite3_step(s);
	int64_t next = r == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 1;
	sqlite3_finalize(s);
	if (r != SQLITE_ROW) {
		*rc = sqerr(st, cause, "query events");
		return NULL;
	}
	UTIL_GROW(st->pend, st->n_pend + 1, st->alloc_pend);
	u64map_put(&st->pend_at, tp_key(trace, pid), st->n_pend + 1);
	struct pending *p = &st->pend[st->n_pend++];
	p->trace = trace;
	p->pid = pid;
	p->next_seq = next;
	p->enc = NULL;
	return p;
}

static int flush_one(struct store *st, struct pending *p, char **cause)
{
	struct chunk_enc *e = p->enc;
	if (!e || !e->n)
		return 0;
	int rc = prep(st, &st->ins_chunk, "INSERT INTO event_chunks(trace_id, pid, first_seq, n,"
			  " t_first, t_last, data) VALUES(?,?,?,?,?,?,?)", cause);
	if (rc)
		return rc;
	sqlite3_stmt *s = st->ins_chunk;
	sqlite3_bind_int64(s, 1, p->trace);
	sqlite3_bind_int(s, 2, p->pid);
	sqlite3_bind_int64(s, 3, e->first_seq);
	sqlite3_bind_int(s, 4, e->n);
	sqlite3_bind_int64(s, 5, e->t_first);
	sqlite3_bind_int64(s, 6, e->t_last);
	sqlite3_bind_blob(s, 7, e->buf, (int)e->len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return sqerr(st, cause, "insert events");
	chunk_begin(e, p->next_seq);
	return 0;
}

static int flush_all(struct store *st, char **cause)
{
	int rc = 0;
	for (size_t i = 0; i < st->n_pend && !rc; i++)
		rc = flush_one(st, &st->pend[i], cause);
	if (rc || !st->n_stats)
		return rc;
	sqlite3_stmt *s = NULL;
	if ((rc = prep(st, &s, "INSERT INTO event_stats(trace_id, device, category, kind, n, bytes)"
			       " VALUES(?,?,?,?,?,?) ON CONFLICT(trace_id, device, category, kind)"
			       " DO UPDATE SET n = n + excluded.n, bytes = bytes + excluded.bytes",
		       cause)))
		return rc;
	for (size_t i = 0; i < st->n_stats && !rc; i++) {
		const struct stat_row *r = &st->stats[i];
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, r->trace);
		sqlite3_bind_int(s, 2, r->device);
		sqlite3_bind_int(s, 3, r->category);
		sqlite3_bind_int(s, 4, r->kind);
		sqlite3_bind_int64(s, 5, r->n);
		sqlite3_bind_int64(s, 6, (sqlite3_int64)r->bytes);
		if (sqlite3_step(s) != SQLITE_DONE)
			rc = sqerr(st, cause, "insert event stats");
	}
	sqlite3_finalize(s);
	s = NULL;
	/* Every event added was tallied once: the stats rows of a trace add
	 * up to the events this transaction gave it (traces.n_events, v4). */
	if (!rc)
		rc = prep(st, &s, "UPDATE traces SET n_events = n_events + ? WHERE id = ?", cause);
	for (size_t i = 0; i < st->n_stats && !rc; i++) {
		int64_t trace = st->stats[i].trace, n = 0;
		size_t j;
		for (j = 0; j < i && st->stats[j].trace != trace; j++)
			;
		if (j < i)
			continue; /* counted with its first row */
		for (j = i; j < st->n_stats; j++)
			if (st->stats[j].trace == trace)
				n += st->stats[j].n;
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, n);
		sqlite3_bind_int64(s, 2, trace);
		if (sqlite3_step(s) != SQLITE_DONE)
			rc = sqerr(st, cause, "count events");
	}
	sqlite3_finalize(s);
	st->n_stats = 0;
	return rc;
}

static void tally(struct store *st, int64_t trace, const struct trace_event *ev)
{
	/* Few distinct (device, category, kind) per trace: the last hit is
	 * almost always the next one. */
	for (size_t i = st->n_stats; i-- > 0;) {
		struct stat_row *r = &st->stats[i];
		if (r->trace == trace && r->device == ev->device && r->category == ev->category &&
		    r->kind == ev->kind) {
			r->n++;
			r->bytes += ev->size;
			return;
		}
	}
	UTIL_GROW(st->stats, st->n_stats + 1, st->alloc_stats);
	st->stats[st->n_stats++] = (struct stat_row){ trace, ev->device, ev->category, ev->kind, 1,
						      ev->size };
}

int store_event_add(struct store *st, int64_t trace,
		    const struct trace_event *ev, char **cause)
{
	int rc = 0;
	struct pending *p = st->n_pend && st->pend[st->n_pend - 1].trace == trace &&
				    st->pend[st->n_pend - 1].pid == ev->pid
			    ? &st->pend[st->n_pend - 1] : pending_of(st, trace, ev->pid, cause, &rc);
	if (!p)
		return rc;
	if (!p->enc) {
		/* An encoder takes CHUNK_MAX * CHUNK_EVENT_MAX bytes: with more
		 * than STORE_OPEN_CHUNKS processes interleaved, the chunk of one
		 * of the others is written out early (shorter) and its encoder
		 * reused, so memory does not grow with the number of pids. */
		if (st->n_open >= STORE_OPEN_CHUNKS) {
			while (!st->pend[st->evict % st->n_pend].enc ||
			       &st->pend[st->evict % st->n_pend] == p)
				st->evict++;
			struct pending *old = &st->pend[st->evict++ % st->n_pend];
			if ((rc = flush_one(st, old, cause)))
				return rc;
			p->enc = old->enc;
			old->enc = NULL;
		} else {
			p->enc = util_xmalloc(sizeof(*p->enc));
			st->n_open++;
		}
		chunk_begin(p->enc, p->next_seq);
	}
	if (p->enc->n == CHUNK_MAX && (rc = flush_one(st, p, cause)))
		return rc;
	if (ev->kind <= 0 || ev->kind >= TRACE_KIND_MAX)
		return util_err(cause, UTIL_ERR, "store: event kind %d out of range", ev->kind);
	chunk_put(p->enc, ev);
	p->next_seq++;
	tally(st, trace, ev);
	return 0;
}

/* Rows of schema 1 become chunks; the old table goes. */
static int migrate_v1_v2(struct store *st, char **cause)
{
	int rc = exec(st, schema_v2, cause);
	sqlite3_stmt *s = NULL;
	if (!rc)
		rc = prep(st, &s, "SELECT trace_id, pid, t_ns, tid, kind, device, category, api,"
			  " layer_lo, layer_hi, size, req_size, addr, aux, stream, result, label_id"
			  " FROM events ORDER BY trace_id, pid, seq", cause);
	while (!rc && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct trace_event ev;
		memset(&ev, 0, sizeof(ev));
		int64_t trace = sqlite3_column_int64(s, 0);
		ev.pid = sqlite3_column_int(s, 1);
		ev.t_ns = sqlite3_column_int64(s, 2);
		ev.tid = sqlite3_column_int(s, 3);
		ev.kind = (int16_t)sqlite3_column_int(s, 4);
		ev.device = (int16_t)sqlite3_column_int(s, 5);
		ev.category = (int16_t)sqlite3_column_int(s, 6);
		ev.api = (int16_t)sqlite3_column_int(s, 7);
		ev.layer_lo = sqlite3_column_int(s, 8);
		ev.layer_hi = sqlite3_column_int(s, 9);
		ev.size = (uint64_t)sqlite3_column_int64(s, 10);
		ev.req_size = (uint64_t)sqlite3_column_int64(s, 11);
		ev.addr = (uint64_t)sqlite3_column_int64(s, 12);
		ev.aux = (uint64_t)sqlite3_column_int64(s, 13);
		ev.stream = (uint64_t)sqlite3_column_int64(s, 14);
		ev.result = sqlite3_column_int(s, 15);
		ev.label = sqlite3_column_int64(s, 16);
		rc = store_event_add(st, trace, &ev, cause);
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = sqerr(st, cause, "migrate events");
	sqlite3_finalize(s);
	if (!rc)
		rc = flush_all(st, cause);
	drop_pending(st);
	if (!rc)
		rc = exec(st, "DROP TABLE events", cause);
	return rc;
}

/* A profile name not yet in the store: name, else "name#2", "name#3"... */
static int profile_unique_name(struct store *st, const char *name, char **out, char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc = prep(st, &s, "SELECT 1 FROM profiles WHERE name=?", cause);
	if (rc)
		return rc;
	*out = util_xstrdup(name ? name : "");
	for (int n = 2;; n++) {
		sqlite3_reset(s);
		bind_text(s, 1, *out);
		int r = sqlite3_step(s);
		if (r == SQLITE_DONE)
			break;
		if (r != SQLITE_ROW) {
			rc = sqerr(st, cause, "query profile");
			break;
		}
		free(*out);
		*out = util_xasprintf("%s#%d", name ? name : "", n);
	}
	sqlite3_finalize(s);
	if (rc) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

int store_profile_add(struct store *st, const struct profile *p,
		      const char *source, int64_t *id, char **cause)
{
	sqlite3_stmt *s = NULL;
	char *name = NULL;
	int rc = profile_unique_name(st, p->name, &name, cause);
	if (rc)
		return rc;
	rc = prep(st, &s, "INSERT INTO profiles(name, arch, approx, n_layer, n_embd, n_head,"
			      " n_head_kv, head_dim_k, head_dim_v, n_vocab, n_ctx_train, n_expert,"
			      " n_expert_used, n_ff, file_size, source)"
			      " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", cause);
	if (rc) {
		free(name);
		return rc;
	}
	bind_text(s, 1, name);
	bind_text(s, 2, p->arch);
	sqlite3_bind_int(s, 3, p->approx);
	sqlite3_bind_int64(s, 4, p->n_layer);
	sqlite3_bind_int64(s, 5, p->n_embd);
	sqlite3_bind_int64(s, 6, p->n_head);
	sqlite3_bind_int64(s, 7, p->n_head_kv);
	sqlite3_bind_int64(s, 8, p->head_dim_k);
	sqlite3_bind_int64(s, 9, p->head_dim_v);
	sqlite3_bind_int64(s, 10, p->n_vocab);
	sqlite3_bind_int64(s, 11, p->n_ctx_train);
	sqlite3_bind_int64(s, 12, p->n_expert);
	sqlite3_bind_int64(s, 13, p->n_expert_used);
	sqlite3_bind_int64(s, 14, p->n_ff);
	sqlite3_bind_int64(s, 15, (sqlite3_int64)p->file_size);
	bind_text(s, 16, source);
	rc = step_done(st, s, cause, "insert profile");
	free(name);
	if (rc)
		return rc;
	*id = sqlite3_last_insert_rowid(st->db);
	s = NULL;
	if ((rc = prep(st, &s, "INSERT INTO profile_parts(profile_id, layer, grp, bytes)"
			       " VALUES(?,?,?,?)", cause)))
		return rc;
	for (size_t i = 0; i < p->n_parts; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, *id);
		sqlite3_bind_int(s, 2, p->parts[i].layer);
		sqlite3_bind_text(s, 3, profile_group_name(p->parts[i].group), -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)p->parts[i].bytes);
		if (sqlite3_step(s) != SQLITE_DONE) {
			rc = sqerr(st, cause, "insert profile part");
			break;
		}
	}
	sqlite3_finalize(s);
	return rc;
}

int store_profile_attach(struct store *st, int64_t trace, int64_t profile,
			 char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc = prep(st, &s, "UPDATE traces SET profile_id=? WHERE id=?", cause);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, profile);
	sqlite3_bind_int64(s, 2, trace);
	return step_done(st, s, cause, "attach profile");
}

static void copy_col(char *dst, size_t n, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	snprintf(dst, n, "%s", t ? (const char *)t : "");
}

int store_profile_get(struct store *st, int64_t profile, struct profile *p,
		      char **cause)
{
	memset(p, 0, sizeof(*p));
	sqlite3_stmt *s = NULL;
	int rc = prep(st, &s, "SELECT name, arch, approx, n_layer, n_embd, n_head, n_head_kv,"
			      " head_dim_k, head_dim_v, n_vocab, n_ctx_train, n_expert,"
			      " n_expert_used, n_ff, file_size FROM profiles WHERE id=?", cause);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, profile);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return util_err(cause, UTIL_EINPUT, "%s: no profile %lld", st->path,
				(long long)profile);
	}
	copy_col(p->name, sizeof(p->name), s, 0);
	copy_col(p->arch, sizeof(p->arch), s, 1);
	p->approx = sqlite3_column_int(s, 2);
	p->n_layer = (uint32_t)sqlite3_column_int64(s, 3);
	p->n_embd = (uint32_t)sqlite3_column_int64(s, 4);
	p->n_head = (uint32_t)sqlite3_column_int64(s, 5);
	p->n_head_kv = (uint32_t)sqlite3_column_int64(s, 6);
	p->head_dim_k = (uint32_t)sqlite3_column_int64(s, 7);
	p->head_dim_v = (uint32_t)sqlite3_column_int64(s, 8);
	p->n_vocab = (uint32_t)sqlite3_column_int64(s, 9);
	p->n_ctx_train = (uint32_t)sqlite3_column_int64(s, 10);
	p->n_expert = (uint32_t)sqlite3_column_int64(s, 11);
	p->n_expert_used = (uint32_t)sqlite3_column_int64(s, 12);
	p->n_ff = (uint32_t)sqlite3_column_int64(s, 13);
	p->file_size = (uint64_t)sqlite3_column_int64(s, 14);
	sqlite3_finalize(s);
	s = NULL;
	if ((rc = prep(st, &s, "SELECT layer, grp, bytes FROM profile_parts WHERE profile_id=?"
			       " ORDER BY layer, grp", cause)))
		return rc;
	sqlite3_bind_int64(s, 1, profile);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int g = profile_group_parse((const char *)sqlite3_column_text(s, 1));
		profile_add(p, sqlite3_column_int(s, 0), g < 0 ? PROFILE_OTHER : g,
			    (uint64_t)sqlite3_column_int64(s, 2));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		profile_clear(p);
		return sqerr(st, cause, "query profile parts");
	}
	return 0;
}

int store_profile_find(struct store *st, const char *key, int64_t *id, char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc = prep(st, &s, "SELECT id FROM profiles WHERE name=? OR source=?"
			      " ORDER BY id DESC LIMIT 1", cause);
	if (rc)
		return rc;
	bind_text(s, 1, key);
	bind_text(s, 2, key);
	rc = sqlite3_step(s);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : sqerr(st, cause, "query profile");
	sqlite3_finalize(s);
	return rc;
}

/* ---- reading ---- */

void store_trace_info_clear(struct store_trace_info *ti)
{
	if (!ti)
		return;
	free(ti->name);
	free(ti->format);
	free(ti->source);
	free(ti->note);
	memset(ti, 0, sizeof(*ti));
}

static char *dup_col(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	return t ? util_xstrdup((const char *)t) : NULL;
}

#define TRACE_COLS "id, name, format, source, run, truncated, created_ns, n_events," \
	" coalesce(profile_id, 0), note"

static void row_to_info(sqlite3_stmt *s, struct store_trace_info *ti)
{
	ti->id = sqlite3_column_int64(s, 0);
	ti->name = dup_col(s, 1);
	ti->format = dup_col(s, 2);
	ti->source = dup_col(s, 3);
	ti->run = sqlite3_column_int(s, 4);
	ti->truncated = sqlite3_column_int(s, 5);
	ti->created_ns = sqlite3_column_int64(s, 6);
	ti->n_events = sqlite3_column_int64(s, 7);
	ti->profile_id = sqlite3_column_int64(s, 8);
	ti->note = dup_col(s, 9);
}

int store_trace_resolve(struct store *st, const char *ref, int64_t *id, char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc;
	if (!ref) {
		/* The newest trace that holds events: a log's last load may only
		 * announce itself ("offloading 65 layers") and say nothing else. */
		rc = prep(st, &s, "SELECT id FROM traces ORDER BY EXISTS(SELECT 1 FROM event_chunks e"
				  " WHERE e.trace_id=traces.id) DESC, id DESC LIMIT 1", cause);
	} else {
		rc = prep(st, &s, "SELECT id FROM traces WHERE name=?1 OR"
				  " (CAST(id AS TEXT)=?1) ORDER BY name=?1 DESC LIMIT 1", cause);
		if (!rc)
			bind_text(s, 1, ref);
	}
	if (rc)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = ref ? util_err(cause, UTIL_EINPUT, "%s: no trace '%s' (see 'vramsim ls')",
				    st->path, ref)
			 : util_err(cause, UTIL_EINPUT,
				    "%s: the store holds no trace; run 'vramsim import FILE' first",
				    st->path);
	} else {
		rc = sqerr(st, cause, "query traces");
	}
	sqlite3_finalize(s);
	return rc;
}

int store_trace_get(struct store *st, int64_t id, struct store_trace_info *ti,
		    char **cause)
{
	memset(ti, 0, sizeof(*ti));
	sqlite3_stmt *s = NULL;
	int rc = flush_all(st, cause);
	if (!rc)
		rc = prep(st, &s, "SELECT " TRACE_COLS " FROM traces WHERE id=?", cause);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		row_to_info(s, ti);
		rc = 0;
	} else {
		rc = util_err(cause, UTIL_EINPUT, "%s: no trace %lld", st->path, (long long)id);
	}
	sqlite3_finalize(s);
	return rc;
}

int store_trace_list(struct store *st, struct store_trace_info **out, size_t *n,
		     char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc = flush_all(st, cause);
	if (!rc)
		rc = prep(st, &s, "SELECT " TRACE_COLS " FROM traces ORDER BY id", cause);
	if (rc)
		return rc;
	struct store_trace_info *arr = NULL;
	size_t cnt = 0, alloc = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		UTIL_GROW(arr, cnt + 1, alloc);
		row_to_info(s, &arr[cnt++]);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		for (size_t i = 0; i < cnt; i++)
			store_trace_info_clear(&arr[i]);
		free(arr);
		return sqerr(st, cause, "list traces");
	}
	*out = arr;
	*n = cnt;
	return 0;
}

int store_devices(struct store *st, int64_t trace, struct trace_device **out,
		  size_t *n, char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc = prep(st, &s, "SELECT idx, pid, ordinal, uuid, name, total FROM devices"
			      " WHERE trace_id=? ORDER BY idx", cause);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, trace);
	struct trace_device *arr = NULL;
	size_t cnt = 0, alloc = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		UTIL_GROW(arr, cnt + 1, alloc);
		struct trace_device *d = &arr[cnt++];
		memset(d, 0, sizeof(*d));
		d->index = sqlite3_column_int(s, 0);
		d->pid = sqlite3_column_int(s, 1);
		d->ordinal = sqlite3_column_int(s, 2);
		copy_col(d->uuid, sizeof(d->uuid), s, 3);
		copy_col(d->name, sizeof(d->name), s, 4);
		d->total = (uint64_t)sqlite3_column_int64(s, 5);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(arr);
		return sqerr(st, cause, "query devices");
	}
	*out = arr;
	*n = cnt;
	return 0;
}

int store_pids(struct store *st, int64_t trace, int32_t **out, size_t *n, char **cause)
{
	sqlite3_stmt *s = NULL;
	/* The clustered key makes this a skip-scan over (trace, pid). */
	int rc = flush_all(st, cause);
	if (rc || (rc = prep(st, &s, "SELECT DISTINCT pid FROM event_chunks WHERE trace_id=?"
				     " ORDER BY pid", cause)))
		return rc;
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, trace);
	int32_t *arr = NULL;
	size_t cnt = 0, alloc = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		UTIL_GROW(arr, cnt + 1, alloc);
		arr[cnt++] = sqlite3_column_int(s, 0);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(arr);
		return sqerr(st, cause, "query pids");
	}
	*out = arr;
	*n = cnt;
	return 0;
}

int store_processes(struct store *st, int64_t trace, struct store_process **out, size_t *n,
		    char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc = prep(st, &s, "SELECT pid, exe, cmdline, coalesce(start_ns, 0) FROM processes"
			      " WHERE trace_id=? ORDER BY pid", cause);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, trace);
	struct store_process *arr = NULL;
	size_t cnt = 0, alloc = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		UTIL_GROW(arr, cnt + 1, alloc);
		arr[cnt].pid = sqlite3_column_int(s, 0);
		arr[cnt].exe = dup_col(s, 1);
		arr[cnt].cmdline = dup_col(s, 2);
		arr[cnt].start_ns = sqlite3_column_int64(s, 3);
		cnt++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_processes_free(arr, cnt);
		return sqerr(st, cause, "query processes");
	}
	*out = arr;
	*n = cnt;
	return 0;
}

void store_processes_free(struct store_process *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].exe);
		free(p[i].cmdline);
	}
	free(p);
}

int store_setting_get(struct store *st, int64_t trace, const char *key,
		      char **value, char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc = prep(st, &s, "SELECT value FROM settings WHERE trace_id=? AND key=?", cause);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, trace);
	bind_text(s, 2, key);
	rc = sqlite3_step(s);
	*value = rc == SQLITE_ROW ? dup_col(s, 0) : NULL;
	rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : sqerr(st, cause, "query setting");
	sqlite3_finalize(s);
	return rc;
}

int store_setting_int(struct store *st, int64_t trace, const char *key,
		      int64_t *value, int *set, char **cause)
{
	char *v = NULL;
	int rc = store_setting_get(st, trace, key, &v, cause);
	*set = 0;
	if (rc || !v)
		return rc;
	char *end;
	long long x = strtoll(v, &end, 10);
	if (end != v && *end == '\0') {
		*value = x;
		*set = 1;
	}
	free(v);
	return 0;
}

int store_estimates(struct store *st, int64_t trace, struct store_estimate **out,
		    size_t *n, char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc = prep(st, &s, "SELECT engine, device, key, bytes FROM estimates"
			      " WHERE trace_id=? ORDER BY engine, device, key", cause);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, trace);
	struct store_estimate *arr = NULL;
	size_t cnt = 0, alloc = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		UTIL_GROW(arr, cnt + 1, alloc);
		struct store_estimate *e = &arr[cnt++];
		copy_col(e->engine, sizeof(e->engine), s, 0);
		e->device = sqlite3_column_int(s, 1);
		copy_col(e->key, sizeof(e->key), s, 2);
		e->bytes = (uint64_t)sqlite3_column_int64(s, 3);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(arr);
		return sqerr(st, cause, "query estimates");
	}
	*out = arr;
	*n = cnt;
	return 0;
}

int store_label_text(struct store *st, int64_t label, char **text, char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc = prep(st, &s, "SELECT text FROM labels WHERE id=?", cause);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, label);
	rc = sqlite3_step(s);
	*text = rc == SQLITE_ROW ? dup_col(s, 0) : NULL;
	rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : sqerr(st, cause, "query label");
	sqlite3_finalize(s);
	return rc;
}

int store_iter_open(struct store *st, int64_t trace, int32_t pid,
		    struct store_iter **it, char **cause)
{
	sqlite3_stmt *s = NULL;
	const char *sql = pid >= 0
		? "SELECT pid, first_seq, n, t_first, data FROM event_chunks"
		  " WHERE trace_id=? AND pid=? ORDER BY pid, first_seq"
		: "SELECT pid, first_seq, n, t_first, data FROM event_chunks"
		  " WHERE trace_id=? ORDER BY pid, first_seq";
	/* Events still being packed are written first, so readers see them. */
	int rc = flush_all(st, cause);
	if (rc || (rc = prep(st, &s, sql, cause)))
		return rc;
	sqlite3_bind_int64(s, 1, trace);
	if (pid >= 0)
		sqlite3_bind_int(s, 2, pid);
	*it = util_xcalloc(1, sizeof(**it));
	(*it)->stmt = s;
	(*it)->st = st;
	(*it)->trace = trace;
	return 0;
}

int store_iter_next(struct store_iter *it, struct trace_event *ev, char **cause)
{
	for (;;) {
		if (it->have_chunk) {
			int r = chunk_next(&it->dec, ev);
			if (r == 1)
				return 1;
			if (r < 0)
				return util_err(cause, UTIL_ERR, "%s: trace %lld: damaged event chunk "
						"(pid %d, seq %lld)", it->st->path, (long long)it->trace,
						it->dec.pid, (long long)it->dec.seq);
			it->have_chunk = 0;
		}
		sqlite3_stmt *s = it->stmt;
		int rc = sqlite3_step(s);
		if (rc == SQLITE_DONE)
			return 0;
		if (rc != SQLITE_ROW)
			return sqerr(it->st, cause, "read events");
		int n = sqlite3_column_int(s, 2);
		const void *blob = sqlite3_column_blob(s, 4);
		int len = sqlite3_column_bytes(s, 4);
		if (n < 0 || n > CHUNK_MAX || len < 0)
			return util_err(cause, UTIL_ERR, "%s: trace %lld: damaged event chunk header",
					it->st->path, (long long)it->trace);
		/* The blob stays valid until the next step of this statement. */
		chunk_dec_init(&it->dec, blob, (size_t)len, n, sqlite3_column_int64(s, 1),
			       sqlite3_column_int64(s, 3), sqlite3_column_int(s, 0));
		it->have_chunk = 1;
	}
}

int store_event_stats(struct store *st, int64_t trace, struct store_event_stat **out,
		      size_t *n, char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc = flush_all(st, cause);
	if (rc || (rc = prep(st, &s, "SELECT device, category, kind, n, bytes FROM event_stats"
				     " WHERE trace_id=? ORDER BY device, category, kind", cause)))
		return rc;
	sqlite3_bind_int64(s, 1, trace);
	struct store_event_stat *arr = NULL;
	size_t cnt = 0, alloc = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		UTIL_GROW(arr, cnt + 1, alloc);
		arr[cnt++] = (struct store_event_stat){
			sqlite3_column_int(s, 0), sqlite3_column_int(s, 1), sqlite3_column_int(s, 2),
			sqlite3_column_int64(s, 3), (uint64_t)sqlite3_column_int64(s, 4) };
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(arr);
		return sqerr(st, cause, "query event stats");
	}
	*out = arr;
	*n = cnt;
	return 0;
}

int store_rows(struct store *st, const char *table, int64_t trace, char **cause)
{
	/* table is the caller's literal ("temp.events"), never user input. */
	char *sql = util_xasprintf(
		"CREATE TABLE %s(trace_id INTEGER, pid INTEGER, seq INTEGER, t_ns INTEGER,"
		" tid INTEGER, kind INTEGER, device INTEGER, category INTEGER, api INTEGER,"
		" layer_lo INTEGER, layer_hi INTEGER, size INTEGER, req_size INTEGER, addr INTEGER,"
		" aux INTEGER, stream INTEGER, result INTEGER, label_id INTEGER)", table);
	int rc = exec(st, sql, cause);
	free(sql);
	if (rc)
		return rc;
	sql = util_xasprintf("INSERT INTO %s VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", table);
	sqlite3_stmt *ins = NULL, *tr = NULL;
	rc = prep(st, &ins, sql, cause);
	free(sql);
	if (!rc)
		rc = prep(st, &tr, trace >= 0 ? "SELECT id FROM traces WHERE id=?" : "SELECT id FROM traces",
			  cause);
	if (!rc && trace >= 0)
		sqlite3_bind_int64(tr, 1, trace);
	while (!rc && sqlite3_step(tr) == SQLITE_ROW) {
		int64_t t = sqlite3_column_int64(tr, 0);
		struct store_iter *it;
		struct trace_event ev;
		if ((rc = store_iter_open(st, t, -1, &it, cause)))
			break;
		while ((rc = store_iter_next(it, &ev, cause)) == 1) {
			int64_t v[18] = { t, ev.pid, ev.seq, ev.t_ns, ev.tid, ev.kind, ev.device,
					  ev.category, ev.api, ev.layer_lo, ev.layer_hi, (int64_t)ev.size,
					  (int64_t)ev.req_size, (int64_t)ev.addr, (int64_t)ev.aux,
					  (int64_t)ev.stream, ev.result, ev.label };
			sqlite3_reset(ins);
			for (int i = 0; i < 18; i++)
				sqlite3_bind_int64(ins, i + 1, v[i]);
			if (sqlite3_step(ins) != SQLITE_DONE) {
				rc = sqerr(st, cause, "insert event rows");
				break;
			}
		}
		store_iter_free(it);
		rc = rc < 0 ? rc : 0;
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(tr);
	return rc;
}

void store_iter_free(struct store_iter *it)
{
	if (!it)
		return;
	sqlite3_finalize(it->stmt);
	free(it);
}
