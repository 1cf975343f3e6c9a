# n_events.sh - traces.n_events is each trace's event count for every
# importer (llama.cpp/Ollama logs, PyTorch snapshots, Kineto traces, a shim
# recording, an Nsight Systems export, a GGUF alone): equal to the events
# the store holds (its chunk rows), the rows `export --raw` writes, and
# what `show` and `show --json` print.
. "$TOP/tests/cli/lib.sh"
S=--store=t.db
for f in "$DATA"/logs/*.log "$DATA"/traces/*.pickle "$DATA"/traces/*.json.gz "$DATA"/gguf/stories260K.gguf; do
	expect 0 "$VRAMSIM" import -q $S "$f"
done
record_fake $S --name rec -- prog_threads 2 20
nsys_export run.sqlite
expect 0 "$VRAMSIM" import -q $S run.sqlite
expect 0 "$VRAMSIM" ls $S --json
mv out ls.json
checked=0
for id in $(trace_ids ls.json); do
	expect 0 "$VRAMSIM" show $S $id --json
	mv out show.json
	expect 0 "$VRAMSIM" show $S $id
	mv out show.txt
	expect 0 "$VRAMSIM" export $S $id --raw --on-oom continue --format csv --no-header -o rows.csv -f -q
	python3 - t.db "$id" show.json show.txt rows.csv <<'PY' || exit 1
import json, re, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
tid = int(sys.argv[2])
fmt, n = db.execute("SELECT format, n_events FROM traces WHERE id=?", (tid,)).fetchone()
held = db.execute("SELECT coalesce(sum(n), 0) FROM event_chunks WHERE trace_id=?", (tid,)).fetchone()[0]
assert n == held, (tid, fmt, "traces.n_events", n, "chunk rows", held)
shown = json.load(open(sys.argv[3]))
assert shown["events"] == n, (tid, fmt, "show --json", shown["events"], n)
txt = re.search(r"^\s*events:\s*(\d+)", open(sys.argv[4]).read(), re.M)
assert txt and int(txt.group(1)) == n, (tid, fmt, "show", txt and txt.group(1), n)
rows = sum(1 for _ in open(sys.argv[5]))
assert rows == n, (tid, fmt, "export rows", rows, n)
PY
	checked=$((checked + 1))
done
# every importer was there, and the ones with events counted some
python3 - t.db <<'PY' || exit 1
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
per = dict(db.execute("SELECT format, sum(n_events) FROM traces GROUP BY format").fetchall())
for k in ("llamalog", "torch", "kineto", "vrt", "nsys"):
    assert per.get(k, 0) > 0, (k, per)
PY
echo "n_events: $checked traces"
exit 0
