/*
 * fuzz_nsys.c - Nsight Systems SQLite exports through the import driver
 * (format "nsys"). The importer lets SQLite open the file by path, so the
 * input is written to a file first. A mutated database file is mostly
 * refused by SQLite before the importer sees a row, so an input that does
 * not start with the SQLite header is taken as SQL instead: it is run on a
 * fresh database (bounded: only table and row statements, 1 MB values,
 * 200k VM steps) and the result is imported. That lets the fuzzer reach
 * odd schemas, NULLs, text in integer columns, negative sizes and huge
 * ids. Seeds: tests/fuzz/seeds/nsys (SQL scripts of the 2023.1 and
 * 2023.3+ layouts).
 */
#include <fcntl.h>
#include <unistd.h>

#include "fuzz.h"

static char dir[4096], path[4200];

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/vramsim-fuzz-nsys.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		fuzz_fail("mkdtemp", dir);
	snprintf(path, sizeof(path), "%s/" FUZZ_NAME ".sqlite", dir);
	atexit(cleanup);
}

/* Allow what builds tables and rows, nothing else: no ATTACH, VACUUM
 * INTO or PRAGMA can reach outside the scratch database. */
static int authorize(void *arg, int action, const char *a, const char *b, const char *c,
		     const char *d)
{
	(void)arg; (void)a; (void)b; (void)c; (void)d;
	switch (action) {
	case SQLITE_CREATE_TABLE: case SQLITE_CREATE_INDEX: case SQLITE_CREATE_VIEW:
	case SQLITE_CREATE_TRIGGER: case SQLITE_DROP_TABLE: case SQLITE_DROP_INDEX:
	case SQLITE_DROP_VIEW: case SQLITE_DROP_TRIGGER: case SQLITE_ALTER_TABLE:
	case SQLITE_INSERT: case SQLITE_UPDATE: case SQLITE_DELETE: case SQLITE_SELECT:
	case SQLITE_READ: case SQLITE_FUNCTION: case SQLITE_RECURSIVE:
	case SQLITE_TRANSACTION: case SQLITE_SAVEPOINT:
		return SQLITE_OK;
	default:
		return SQLITE_DENY;
	}
}

static int steps(void *arg)
{
	return ++*(int *)arg > 200; /* called every 1000 VM steps */
}

static void write_raw(const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		fuzz_fail("open", path);
	for (size_t off = 0; off < size;) {
		ssize_t w = write(fd, data + off, size - off);
		if (w <= 0)
			fuzz_fail("write", path);
		off += (size_t)w;
	}
	close(fd);
}

static void run_sql(const uint8_t *data, size_t size)
{
	unlink(path);
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		fuzz_fail("sqlite3_open", path);
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1 << 20);
	sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, 1 << 20);
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_set_authorizer(db, authorize, NULL);
	int n = 0;
	sqlite3_progress_handler(db, 1000, steps, &n);
	char *sql = fuzz_cstr(data, size);
	sqlite3_exec(db, sql, NULL, NULL, NULL); /* errors only stop the script */
	free(sql);
	sqlite3_close_v2(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir[0])
		setup();
	static const char magic[] = "SQLite format 3";
	if (size >= sizeof(magic) && memcmp(data, magic, sizeof(magic)) == 0)
		write_raw(data, size);
	else
		run_sql(data, size);
	fuzz_import_as("nsys", NULL, path, NULL, 0);
	return 0;
}
