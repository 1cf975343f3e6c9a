/*
 * sqlsafe.c - refusing SQL carried by an SQLite file (see sqlsafe.h).
 * SQLite's own advice for untrusted files: https://www.sqlite.org/security.html
 * ("Untrusted SQLite Database Files"): trusted_schema off, defensive on,
 * limits, a progress handler, and checking the schema.
 */
#include "sqlsafe.h"
#include "util.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int refuse(char **cause, const char *path, const char *type, const char *name)
{
	/* The name comes from the file: print it escaped and short. */
	char safe[80];
	size_t j = 0;
	for (const unsigned char *p = (const unsigned char *)(name ? name : "");
	     *p && j + 5 < sizeof(safe); p++) {
		if (*p >= 0x20 && *p < 0x7f)
			safe[j++] = (char)*p;
		else
			j += (size_t)snprintf(safe + j, sizeof(safe) - j, "\\x%02x", *p);
	}
	safe[j] = '\0';
	return util_err(cause, UTIL_EINPUT,
			"%s: '%s' is %s: vramsim reads only plain tables from an SQLite file "
			"and never runs SQL stored in one", path, safe, type);
}

int sqlsafe_check(struct sqlite3 *db, const char *path, char **cause)
{
	sqlite3_stmt *s;
	/* sqlite_schema itself is a plain table: reading it runs nothing. */
	if (sqlite3_prepare_v2(db, "SELECT type, name, sql FROM sqlite_master", -1, &s, NULL)
	    != SQLITE_OK) {
		if (sqlite3_errcode(db) == SQLITE_NOTADB)
			return util_err(cause, UTIL_EINPUT, "%s: not an SQLite database", path);
		return util_err(cause, UTIL_EINPUT, "%s: cannot read the schema: %s", path,
				sqlite3_errmsg(db));
	}
	int rc, n_tables = 0;
	char **tables = NULL;
	size_t a_tables = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(s, 0);
		const char *name = (const char *)sqlite3_column_text(s, 1);
		const char *sql = (const char *)sqlite3_column_text(s, 2);
		if (!type)
			type = "";
		if (!strcmp(type, "view") || !strcmp(type, "trigger")) {
			rc = refuse(cause, path, !strcmp(type, "view") ? "a view" : "a trigger", name);
			break;
		}
		if (strcmp(type, "table") && strcmp(type, "index")) {
			rc = refuse(cause, path, "an unknown kind of schema object", name);
			break;
		}
		if (!strcmp(type, "table") && sql && !strncasecmp(sql, "CREATE VIRTUAL", 14)) {
			rc = refuse(cause, path, "a virtual table", name);
			break;
		}
		if (!strcmp(type, "table") && name) {
			UTIL_GROW(tables, (size_t)n_tables + 1, a_tables);
			tables[n_tables++] = util_xstrdup(name);
		}
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE) {
		rc = 0;
	} else if (rc > 0) {
		rc = rc == SQLITE_NOTADB
			? util_err(cause, UTIL_EINPUT, "%s: not an SQLite database", path)
			: util_err(cause, UTIL_ERR, "%s: cannot read the schema: %s", path,
				   sqlite3_errmsg(db));
	}
	/* Generated columns compute values with SQL on every read. */
	for (int i = 0; i < n_tables && rc == 0; i++) {
		if (sqlite3_prepare_v2(db, "SELECT count(*) FROM pragma_table_xinfo(?)"
				       " WHERE hidden IN (2, 3)", -1, &s, NULL) != SQLITE_OK) {
			rc = util_err(cause, UTIL_EINPUT, "%s: table '%s': %s", path, tables[i],
				      sqlite3_errmsg(db));
			break;
		}
		sqlite3_bind_text(s, 1, tables[i], -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_ROW)
			rc = util_err(cause, UTIL_EINPUT, "%s: table '%s': %s", path, tables[i],
				      sqlite3_errmsg(db));
		else if (sqlite3_column_int64(s, 0) > 0)
			rc = refuse(cause, path, "a table with generated columns", tables[i]);
		sqlite3_finalize(s);
	}
	for (int i = 0; i < n_tables; i++)
		free(tables[i]);
	free(tables);
	return rc;
}

void sqlsafe_harden(struct sqlite3 *db, int max_len)
{
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	if (max_len > 0)
		sqlite3_limit(db, SQLITE_LIMIT_LENGTH, max_len);
}

static int tick(void *ud)
{
	struct sqlsafe_budget *b = ud;
	if (b->left == 0) {
		b->spent = 1;
		return 1; /* interrupt */
	}
	b->left--;
	return 0;
}

void sqlsafe_budget(struct sqlite3 *db, struct sqlsafe_budget *b, uint64_t steps)
{
	if (!b) {
		sqlite3_progress_handler(db, 0, NULL, NULL);
		return;
	}
	b->left = steps / SQLSAFE_TICK + 1;
	b->spent = 0;
	sqlite3_progress_handler(db, SQLSAFE_TICK, tick, b);
}

uint64_t sqlsafe_steps_for(uint64_t file_size)
{
	const uint64_t floor = 100000000; /* small files: a fixed 1e8 steps */
	if (file_size > (UINT64_MAX - floor) / SQLSAFE_STEPS_PER_BYTE)
		return UINT64_MAX;
	return floor + file_size * SQLSAFE_STEPS_PER_BYTE;
}
