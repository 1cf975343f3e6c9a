#!/bin/sh
# bench.sh - `make bench`: print every throughput figure with its unit and,
# where one exists, the floor measured in the same run; then write the
# figures into README.md between the "bench:begin" and "bench:end"
# markers (BENCH_README=0 leaves the README alone). Figures, not tests:
# nothing here fails on a slow machine.
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
out="$B/bench.txt"
mkdir -p "$B"
{
	echo "machine: $(uname -m), $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//'), $(date -u +%Y-%m-%d)"
	echo "== store and simulator (${BENCH_EVENTS:-2000000} synthetic PyTorch-like events)"
	"$B/bench/bench_sim" "${BENCH_EVENTS:-2000000}"
	if [ -x "$B/fake/bench_shim" ]; then
		echo "== recording shim (alloc+free pairs against the fake driver)"
		BUILD="$B" "$B/fake/bench_shim"
	fi
	for b in "$B"/bench/bench_*; do
		case "$b" in */bench_sim) continue ;; esac
		[ -x "$b" ] || continue
		echo "== $(basename "$b")"
		"$b"
	done
} 2>&1 | tee "$out"
if [ "${BENCH_README:-1}" = 1 ] && grep -q '<!-- bench:begin -->' README.md; then
	awk -v f="$out" '
		/<!-- bench:begin -->/ { print; print "```"; while ((getline l < f) > 0) print l; print "```"; skip = 1; next }
		/<!-- bench:end -->/ { skip = 0 }
		!skip { print }' README.md >README.md.new && mv README.md.new README.md
	echo "bench: figures written into README.md" >&2
fi
