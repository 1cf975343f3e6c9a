/*
 * rows.c - the events of one stored trace as text, for the scripts of
 * tests/gpu (run.sh, stats.py): events are stored packed (trace/chunk.h),
 * so SQL cannot count them; store_rows() writes them out as rows first.
 *
 *   gpu_rows STORE TRACE
 *
 * prints one line per event, in replay order (t_ns, pid, seq), with the
 * fields kind device category size addr aux api (numbers; kind and
 * category as in trace/trace.h, api as in trace/vrt.h). Exit 0, or 2
 * with a message when the store or the trace cannot be read. Built by
 * make check (so it cannot rot) as build/gpu_rows.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "store.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: gpu_rows STORE TRACE\n");
		return 2;
	}
	struct store *st = NULL;
	char *cause = NULL;
	int64_t id = 0;
	int rc = store_open(argv[1], STORE_READONLY, &st, &cause);
	if (!rc)
		rc = store_trace_resolve(st, argv[2], &id, &cause);
	if (!rc)
		rc = store_rows(st, "temp.events", id, &cause);
	sqlite3_stmt *s = NULL;
	if (!rc && sqlite3_prepare_v2(store_sqlite(st), "SELECT kind, device, category, size, addr, aux, "
				      "api FROM temp.events ORDER BY t_ns, pid, seq", -1, &s, NULL) != SQLITE_OK)
		rc = 1;
	while (!rc && sqlite3_step(s) == SQLITE_ROW)
		printf("%d %d %d %lld %lld %lld %d\n", sqlite3_column_int(s, 0), sqlite3_column_int(s, 1),
		       sqlite3_column_int(s, 2), (long long)sqlite3_column_int64(s, 3),
		       (long long)sqlite3_column_int64(s, 4), (long long)sqlite3_column_int64(s, 5),
		       sqlite3_column_int(s, 6));
	sqlite3_finalize(s);
	if (rc)
		fprintf(stderr, "gpu_rows: %s: %s\n", argv[1], cause ? cause : "cannot list the events");
	free(cause);
	store_close(st);
	return rc ? 2 : 0;
}
