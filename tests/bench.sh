#!/bin/sh
# bench.sh - `make bench`: print every throughput figure with its unit and,
# where one exists, the floor measured in the same run. Figures, not tests.
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
echo "vramsim benchmarks on $(uname -m), $(nproc) cores, $(date -u +%Y-%m-%d)"
echo "== store and simulator (2M synthetic events)"
"$B/bench/bench_sim" "${BENCH_EVENTS:-2000000}"
for b in "$B"/bench/bench_*; do
	case "$b" in */bench_sim) continue ;; esac
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b"
done
