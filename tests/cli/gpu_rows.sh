# gpu_rows.sh - what tests/gpu/run.sh reads from its store, checked here
# where no GPU is: a recording over the fake CUDA driver listed by
# build/gpu_rows (tests/gpu/rows.c) as one line per stored event, with
# the API ids the run.sh part (c) counts, and tests/gpu/stats.py's
# summary of it.
. "$TOP/tests/cli/lib.sh"
R="$TOP/${BUILD:-build}/gpu_rows"
[ -x "$R" ] || { echo "missing $R (make check builds it)"; exit 1; }
record_fake --store=g.db --name rec -- prog_threads 2 20
n=$("$VRAMSIM" show --store=g.db rec --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])')
"$R" g.db rec >rows.txt || { echo "gpu_rows failed"; exit 1; }
[ "$(wc -l <rows.txt)" -eq "$n" ] || { echo "gpu_rows: $(wc -l <rows.txt) lines, show: $n events"; exit 1; }
# every line: 7 numbers; the recorded calls carry their API id
awk 'NF != 7 { bad = 1 } $7 > 0 { api++ } END { exit bad || !api }' rows.txt ||
	{ echo "rows without 7 fields or without API ids:"; head -5 rows.txt; exit 1; }
# stats.py (device 0): the allocations it counts are the rows' alloc events there
db="$PWD/g.db"
set -- $(cd "$TOP" && VRAMSIM_GPU_ROWS="$R" python3 tests/gpu/stats.py "$db" rec)
want=$(awk '$1 == 1 && $2 == 0' rows.txt | wc -l)
[ "$1" = events ] && [ "$4" -eq "$want" ] && [ "$want" -gt 0 ] ||
	{ echo "stats.py: $*; want $want allocations on device 0"; exit 1; }
expect 2 "$R" g.db nosuch
has err "no trace 'nosuch'"
exit 0
