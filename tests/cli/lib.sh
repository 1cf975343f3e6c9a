# lib.sh - helpers for CLI tests: sourced with `. "$TOP/tests/cli/lib.sh"`.
# expect STATUS CMD...: run CMD, keep stdout in ./out and stderr in ./err,
# fail unless it exits with STATUS.
expect() {
	want=$1; shift
	"$@" >out 2>err; got=$?
	if [ "$got" != "$want" ]; then
		echo "expected exit $want, got $got: $*"; echo "--- stdout"; cat out
		echo "--- stderr"; cat err; exit 1
	fi
}
# has FILE PATTERN: fail unless FILE contains the grep -E PATTERN.
has() {
	grep -Eq -- "$2" "$1" || { echo "$1 lacks /$2/:"; cat "$1"; exit 1; }
}
hasnt() {
	! grep -Eq -- "$2" "$1" || { echo "$1 has /$2/:"; cat "$1"; exit 1; }
}
# record_fake STORE-OPTS... -- PROG ARGS...: `vramsim record` of PROG
# (a program in build/fake) over the fake CUDA driver, two GPUs of 1 and
# 2 GiB, expected to succeed. Under a sanitizer its runtime stays first
# in LD_PRELOAD, as record keeps it.
record_fake() {
	_b="$TOP/${BUILD:-build}/fake"
	[ -x "$_b/prog_threads" ] || { echo "missing $_b/prog_threads (make check builds it)"; exit 1; }
	_asan=$(ldd "$VRAMSIM" 2>/dev/null | awk '/libasan/ {print $3; exit}')
	_args=""
	while [ $# -gt 0 ] && [ "$1" != -- ]; do _args="$_args $1"; shift; done
	shift
	_prog="$_b/$1"; shift
	# shellcheck disable=SC2086
	(unset CUDA_VISIBLE_DEVICES
	 export LD_PRELOAD="$_asan" FAKECUDA_DEVICES=1024,2048 VRAMSIM_FLUSH_MS=20
	 expect 0 "$VRAMSIM" record -q $_args -- "$_prog" "$@") || exit 1
}
# nsys_export FILE: a small Nsight Systems SQLite export (schema 3.24, as
# nsys 2025.5 writes it; the columns the importer reads): two GPUs of 12
# and 24 GiB, 40 cudaMalloc with some frees, one pinned host buffer.
nsys_export() {
	python3 - "$1" <<'PY' || { echo "nsys_export: python3 with sqlite3 needed"; exit 1; }
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
G = lambda pid: (1 << 56) | (pid << 24)  # globalPid: pid in bits 24..47
db.executescript("""
CREATE TABLE META_DATA_EXPORT (name TEXT NOT NULL, value TEXT);
INSERT INTO META_DATA_EXPORT VALUES ('EXPORT_PRODUCT_VERSION', '2025.5.2.266'),
 ('EXPORT_SCHEMA_VERSION', '3.24.0');
CREATE TABLE StringIds (id INTEGER NOT NULL PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE PROCESSES (globalPid INTEGER, pid INTEGER, name TEXT);
CREATE TABLE TARGET_INFO_GPU (vmId INTEGER NOT NULL, id INTEGER NOT NULL, name TEXT,
 totalMemory INTEGER, uuid TEXT, cuDevice INTEGER);
INSERT INTO TARGET_INFO_GPU VALUES (0, 0, 'GPU A', 12884377600, 'u0', 0),
 (0, 1, 'GPU B', 25769803776, 'u1', 1);
CREATE TABLE CUDA_GPU_MEMORY_USAGE_EVENTS (start INTEGER NOT NULL, globalPid INTEGER NOT NULL,
 deviceId INTEGER NOT NULL, contextId INTEGER NOT NULL, address INTEGER NOT NULL,
 pc INTEGER NOT NULL, bytes INTEGER NOT NULL, memKind INTEGER NOT NULL,
 memoryOperationType INTEGER NOT NULL, name TEXT, correlationId INTEGER);
""")
db.execute("INSERT INTO PROCESSES VALUES (?, 4242, 'python3')", (G(4242),))
rows, t = [], 100
for i in range(40):
    a = 0x100000 * (i + 1)
    rows.append((t, G(4242), i % 2, 1, a, 0, (i + 1) << 24, 2, 0, None, i))
    t += 10
    if i % 3 == 2:  # memKind 2 device; operation 0 allocation, 1 free
        rows.append((t, G(4242), i % 2, 1, a, 0, (i + 1) << 24, 2, 1, None, 100 + i))
        t += 10
rows.append((t, G(4242), 0, 1, 0x9000000, 0, 1 << 22, 1, 0, None, 999))  # pinned
db.executemany("INSERT INTO CUDA_GPU_MEMORY_USAGE_EVENTS VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
db.commit()
PY
}
# gp_dump_on FILE: make vramsim's gnuplot a wrapper that appends what it is
# sent to FILE, then draws with the real gnuplot (VRAMSIM_GNUPLOT).
gp_dump_on() {
	cat >gp.sh <<'SH'
[ "$1" = --version ] && exec gnuplot --version
tee -a "$GP_DUMP" | gnuplot
SH
	GP_DUMP=$1 VRAMSIM_GNUPLOT="sh $PWD/gp.sh"
	export GP_DUMP VRAMSIM_GNUPLOT
}
# trace_ids LS_JSON: the ids of the traces in `vramsim ls --json` output.
trace_ids() {
	python3 -c 'import json,sys; print(" ".join(str(t["id"]) for t in json.load(open(sys.argv[1]))["traces"]))' "$1"
}
