#!/bin/sh
# tests/gpu/run.sh - the check that needs a real NVIDIA GPU (not part of
# make check): record CUDA programs built with the static and the shared
# runtime, a VMM program, a stream-ordered pool program and, where PyTorch
# works, a PyTorch run with and without expandable segments; compare what
# each trace holds with what the program knew it allocated and with
# cudaMemGetInfo (through the shim's snapshots); print a table.
#
# Usage: sh tests/gpu/run.sh      (from anywhere; builds vramsim and the shim)
# Exit: 0 all rows pass (or no GPU/nvcc here: skipped), 1 a row fails.
# Runs in well under 5 minutes (4 nvcc builds, 2 PyTorch start-ups).
set -u
cd "$(dirname "$0")/../.." || exit 2
TOP=$(pwd)
if ! nvidia-smi -L >/dev/null 2>&1; then
	echo "gpu: skipped: nvidia-smi does not work here (no GPU)"
	exit 0
fi
NVCC=${NVCC:-$(command -v nvcc 2>/dev/null || echo /usr/local/cuda/bin/nvcc)}
if ! "$NVCC" --version >/dev/null 2>&1; then
	echo "gpu: skipped: no working nvcc"
	exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "gpu: skipped: python3 is needed to summarise the traces"
	exit 0
fi
make -s vramsim trace/libvramtrace.so >/dev/null || { echo "gpu: build failed"; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/vramsim-gpu-XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
# Snapshots often enough that one falls in each program's 150 ms at peak.
export VRAMSIM_SNAPSHOT_MS=20 VRAMSIM_FLUSH_MS=50
nvidia-smi -L | head -n 1

build() { # name source extra-nvcc-args...
	n=$1; src=$2; shift 2
	"$NVCC" -O2 -o "$W/$n" "tests/gpu/$src" "$@" >"$W/$n.build" 2>&1 ||
		{ echo "gpu: nvcc $src failed:"; cat "$W/$n.build"; exit 1; }
}
build alloc_static alloc.cu -cudart static
build alloc_shared alloc.cu -cudart shared
build vmm vmm.cu -L"$(dirname "$NVCC")/../lib64/stubs" -lcuda
build pool pool.cu

MiB=1048576
fails=0
mib() { awk -v v="$1" 'BEGIN { printf "%.1f", v / 1048576 }'; }
printf '%-16s %4s %7s %6s %4s %10s %10s %10s %10s  %s\n' RUN RC EVENTS ALLOCS VMM \
	EXPECT_MiB TRACE_MiB MEMINFO SNAPSHOT VERDICT
# row NAME TOLERANCE_MiB WANT(allocs|vmm) CMD...: record CMD, compare.
row() {
	name=$1; tol=$2; want=$3; shift 3
	timeout 150 ./vramsim record -q --store "$W/gpu.db" --name "$name" \
		-o "$W/$name.%p.vrt.zst" -- "$@" >"$W/$name.out" 2>"$W/$name.err"
	rc=$?
	exp=$(awk '$1=="expect_device_bytes" {print $2}' "$W/$name.out")
	peak=$(awk '$1=="meminfo_used_peak" {print $2}' "$W/$name.out")
	set -- $(python3 tests/gpu/stats.py "$W/gpu.db" "$name")
	events=$2 allocs=$4 vmm=$6 snaps=${10} phys=${14} snap=${16}
	verdict=PASS why=""
	[ "$rc" = 0 ] || { verdict=FAIL; why="exit $rc"; }
	[ -n "$exp" ] && [ -n "$peak" ] || { verdict=FAIL; why="$why no program output"; exp=0 peak=0; }
	# The trace's peak of live device bytes is what the program allocated.
	d=$((phys - exp)); [ $d -lt 0 ] && d=$((-d))
	[ $d -le $((tol * MiB)) ] || { verdict=FAIL; why="$why trace peak off by $((d / MiB)) MiB"; }
	# A snapshot saw what cudaMemGetInfo saw at the peak.
	s=$((snap - peak)); [ $s -lt 0 ] && s=$((-s))
	[ "$snaps" -gt 0 ] && [ $s -le $((16 * MiB)) ] ||
		{ verdict=FAIL; why="$why snapshots $snaps, largest off by $((s / MiB)) MiB"; }
	case $want in
	allocs) [ "$allocs" -gt 0 ] || { verdict=FAIL; why="$why no allocations"; } ;;
	vmm) [ "$vmm" -gt 0 ] || { verdict=FAIL; why="$why no cuMemCreate"; } ;;
	esac
	printf '%-16s %4s %7s %6s %4s %10s %10s %10s %10s  %s%s\n' "$name" "$rc" "$events" \
		"$allocs" "$vmm" "$(mib "$exp")" "$(mib "$phys")" "$(mib "$peak")" "$(mib "$snap")" \
		"$verdict" "${why:+ ($why)}"
	[ "$verdict" = PASS ] || { fails=$((fails + 1)); tail -n 5 "$W/$name.err" | sed 's/^/    /'; }
}
row static-cudart 0 allocs "$W/alloc_static"
row shared-cudart 0 allocs "$W/alloc_shared"
row vmm 0 vmm "$W/vmm"
row async-pool 0 allocs "$W/pool"
if python3 -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
	# PyTorch's own workspace (cuBLAS) may sit outside its reserve: 64 MiB.
	unset PYTORCH_CUDA_ALLOC_CONF
	row torch 64 allocs python3 tests/gpu/torch_run.py
	export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
	row torch-expandable 64 vmm python3 tests/gpu/torch_run.py
	unset PYTORCH_CUDA_ALLOC_CONF
else
	echo "torch            skipped: python3 -c 'import torch' with CUDA does not work here"
fi
echo "EXPECT: what the program allocated (PyTorch: max_memory_reserved); TRACE: the"
echo "trace's peak of live device bytes (linear, async, VMM physical); MEMINFO: used"
echo "per cudaMemGetInfo at the program's peak; SNAPSHOT: the largest used the shim's"
echo "snapshots recorded on device 0 (the last two count the whole GPU)."
if [ "$fails" = 0 ]; then echo "gpu: all rows pass"; else echo "gpu: $fails row(s) failed"; fi
[ "$fails" = 0 ]
