/*
 * sqlsafe.h - reading SQLite files that someone else wrote (prefix
 * sqlsafe_): an Nsight Systems export, a store passed to `merge`, any
 * store on disk. An SQLite file carries SQL in its schema: a view runs a
 * query when read (a recursive one never ends, `randomblob(1e9)` fills
 * memory), a trigger runs on write, a generated column or a virtual table
 * runs code per row. vramsim reads only plain tables, so:
 *
 *   - sqlsafe_check() refuses, before any query touches a table, a schema
 *     holding anything but plain tables and their indexes;
 *   - sqlsafe_harden() turns SQLite's trusted-schema mode off (functions
 *     with side effects are refused inside schema SQL), turns defensive
 *     mode on and caps the length of one value;
 *   - sqlsafe_budget() is the backstop for what the checks cannot see: an
 *     instruction budget (a progress handler) proportional to the file's
 *     size, so no query on a file of n bytes runs past O(n) steps.
 *
 * All functions return 0 or a negative UTIL_E* code with *cause set.
 */
#ifndef VRAMSIM_SQLSAFE_H
#define VRAMSIM_SQLSAFE_H

#include <stdint.h>

struct sqlite3;

/* Refuse views, triggers, virtual tables and generated columns with
 * UTIL_EINPUT ("PATH: ... 'NAME' is a view: vramsim reads only plain
 * tables"). Reads only sqlite_schema and table_xinfo. */
int sqlsafe_check(struct sqlite3 *db, const char *path, char **cause);

/* Trusted schema off, defensive on, one value at most max_len bytes
 * (0: leave SQLite's limit). */
void sqlsafe_harden(struct sqlite3 *db, int max_len);

/*
 * The instruction budget of a connection: every query after this call
 * fails with SQLITE_INTERRUPT once the connection has run `steps` virtual
 * machine instructions in all. The struct is the caller's and must
 * outlive the connection (or the next sqlsafe_budget(db, NULL, 0)).
 * sqlsafe_spent() says whether a failure came from the budget.
 */
struct sqlsafe_budget {
	uint64_t left;   /* progress callbacks left (one per SQLSAFE_TICK steps) */
	int spent;
};
#define SQLSAFE_TICK 1000
void sqlsafe_budget(struct sqlite3 *db, struct sqlsafe_budget *b, uint64_t steps);
/* A budget for a file of file_size bytes: a generous constant per byte
 * (reading one row of a table, joining and sorting it takes far fewer
 * instructions than the bytes of the row times SQLSAFE_STEPS_PER_BYTE). */
#define SQLSAFE_STEPS_PER_BYTE 2000
uint64_t sqlsafe_steps_for(uint64_t file_size);

#endif
