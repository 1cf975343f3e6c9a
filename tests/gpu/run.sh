#!/bin/sh
# tests/gpu/run.sh - the check that needs a real NVIDIA GPU (not part of
# make check, which runs only its GPU-free parts: --help, bad arguments,
# --compile-only). With programs it builds against the installed CUDA
# toolkit it proves:
#   (a) the real driver's cuGetProcAddress returns, for every variant the
#       shim wraps, the address dlsym gives (the identity its wrappers
#       rely on): gpa.cu, run without the shim;
#   (b) the static and the shared runtime reach the wrappers: alloc.cu
#       built both ways, recorded;
#   (c) every runtime allocation API lands as its driver event with the
#       exact count: apis.cu (malloc, pitch, managed, host, register,
#       arrays, async with a pool, VMM through
#       cudaGetDriverEntryPointByVersion, a captured graph allocation),
#       plus vmm.cu and pool.cu against cudaMemGetInfo;
#   (d) PyTorch (both allocator back-ends) where it is installed with
#       CUDA, and llama.cpp's CUDA backend when LLAMA_CLI and LLAMA_MODEL
#       name a binary and a GGUF file.
# It prints PASS/FAIL lines and what it measured (the rounding of small
# allocations), and keeps everything (programs, traces, store, logs,
# summary.txt) in one folder.
#
# Usage: sh tests/gpu/run.sh [--out DIR] [--compile-only] [--help]
#   --out DIR        results folder (default gpu-results-DATE under the
#                    current directory); it must not exist yet
#   --compile-only   build the programs into DIR and stop (no GPU needed)
# Exit: 0 all pass (or no GPU/nvcc here: skipped), 1 a check failed,
# 2 bad arguments. Takes a few minutes on one GPU (5 nvcc builds, 2
# PyTorch start-ups); each recorded run is limited to 150 s.
set -u
usage() {
	sed -n 's/^# Usage: //p' "$0"
}
OUT="" COMPILE_ONLY=0
while [ $# -gt 0 ]; do
	case $1 in
	--out) [ $# -ge 2 ] || { echo "gpu: --out needs a folder" >&2; usage >&2; exit 2; }
		OUT=$2; shift 2 ;;
	--out=*) OUT=${1#--out=}; shift ;;
	--compile-only) COMPILE_ONLY=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "gpu: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
[ -n "$OUT" ] || OUT=gpu-results-$(date +%Y%m%d-%H%M%S)
if [ -e "$OUT" ]; then
	echo "gpu: $OUT exists; name a new results folder with --out" >&2
	exit 2
fi
cd "$(dirname "$0")/../.." || exit 2
TOP=$(pwd)
case $OUT in /*) ;; *) OUT=$OLDPWD/$OUT ;; esac
NVCC=${NVCC:-$(command -v nvcc 2>/dev/null || echo /usr/local/cuda/bin/nvcc)}
if ! "$NVCC" --version >/dev/null 2>&1; then
	echo "gpu: skipped: no working nvcc"
	exit 0
fi
mkdir -p "$OUT" || exit 2
W=$OUT
build() { # name source extra-nvcc-args...
	n=$1; src=$2; shift 2
	"$NVCC" -O2 -I"$TOP/trace/shim" -o "$W/$n" "tests/gpu/$src" "$@" >"$W/$n.build" 2>&1 ||
		{ echo "gpu: FAIL nvcc $src:"; cat "$W/$n.build"; exit 1; }
}
STUBS="-L$(dirname "$NVCC")/../lib64/stubs -lcuda"
build gpa gpa.cu -ldl $STUBS
build apis apis.cu $STUBS
build alloc_static alloc.cu -cudart static
build alloc_shared alloc.cu -cudart shared
build vmm vmm.cu $STUBS
build pool pool.cu
if [ "$COMPILE_ONLY" = 1 ]; then
	echo "gpu: compiled 6 programs into $OUT (--compile-only: nothing run)"
	exit 0
fi
if ! nvidia-smi -L >/dev/null 2>&1; then
	echo "gpu: skipped: nvidia-smi does not work here (no GPU); programs are in $OUT"
	exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "gpu: skipped: python3 is needed to summarise the traces"
	exit 0
fi
make -s vramsim trace/libvramtrace.so build/gpu_rows >/dev/null || { echo "gpu: FAIL build of vramsim"; exit 1; }
# Snapshots often enough that one falls in each program's 150 ms at peak.
export VRAMSIM_SNAPSHOT_MS=20 VRAMSIM_FLUSH_MS=50

run_all() {
fails=0
nvidia-smi -L | head -n 1
# (a) cuGetProcAddress and dlsym agree on every wrapped variant.
if "$W/gpa" >"$W/gpa.out" 2>&1; then
	echo "gpu: PASS (a) $(tail -n 1 "$W/gpa.out")"
else
	echo "gpu: FAIL (a) $(tail -n 1 "$W/gpa.out")"; grep FAIL "$W/gpa.out" | head -n 20
	fails=$((fails + 1))
fi

MiB=1048576
# API ids of the native format (trace/vrt.h, VRT_APIS) -> names.
awk -F'[(, ]+' '/^\tX\(cu/ {print $3, $2}' trace/vrt.h >"$W/api_ids.txt"
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
	echo "gpu: $verdict (b/c/d) $name${why:+ ($why)}"
	[ "$verdict" = PASS ] || { fails=$((fails + 1)); tail -n 5 "$W/$name.err" | sed 's/^/    /'; }
}
row static-cudart 0 allocs "$W/alloc_static"
row shared-cudart 0 allocs "$W/alloc_shared"
row vmm 0 vmm "$W/vmm"
row async-pool 0 allocs "$W/pool"
# (c) every runtime API as its driver event, counted exactly by base name.
timeout 150 ./vramsim record -q --store "$W/gpu.db" --name apis -o "$W/apis.%p.vrt.zst" -- \
	"$W/apis" >"$W/apis.out" 2>"$W/apis.err"
if [ $? != 0 ]; then
	echo "gpu: FAIL (c) apis: exit status $?: $(tail -n 2 "$W/apis.err" "$W/apis.out")"
	fails=$((fails + 1))
else
	sed -n 's/^measured /gpu: measured: /p' "$W/apis.out"
	python3 - "$W/gpu.db" apis "$W/api_ids.txt" >"$W/apis.counts" <<'PY'
import re, subprocess, sys
names = dict(l.split() for l in open(sys.argv[3]))
# events are stored packed: build/gpu_rows lists them (api is the last field)
rows = subprocess.run(["build/gpu_rows", sys.argv[1], sys.argv[2]], capture_output=True,
                      text=True, check=True).stdout.splitlines()
count = {}
for l in rows:
    api = int(l.split()[6])
    if api <= 0:
        continue
    base = re.sub(r"(_v[0-9]+)?(_ptsz)?$", "", names.get(str(api), "?"))
    count[base] = count.get(base, 0) + 1
for b, n in sorted(count.items()):
    print(b, n)
PY
	while read -r word base n; do
		[ "$word" = expect ] || continue
		got=$(awk -v b="$base" '$1==b {print $2}' "$W/apis.counts")
		if [ "${got:-0}" = "$n" ]; then
			echo "gpu: PASS (c) $base: $n event(s)"
		else
			echo "gpu: FAIL (c) $base: the program made $n call(s), the trace holds ${got:-0}"
			fails=$((fails + 1))
		fi
	done <"$W/apis.out"
fi
# (d) llama.cpp's CUDA backend, when a binary and a model are named.
if [ -n "${LLAMA_CLI:-}" ] && [ -n "${LLAMA_MODEL:-}" ]; then
	timeout 300 ./vramsim record -q --store "$W/gpu.db" --name llama -o "$W/llama.%p.vrt.zst" \
		-- "$LLAMA_CLI" -m "$LLAMA_MODEL" -p hello -n 8 -ngl 99 >"$W/llama.out" 2>"$W/llama.err"
	set -- $(python3 tests/gpu/stats.py "$W/gpu.db" llama)
	if [ "${4:-0}" -gt 0 ] || [ "${6:-0}" -gt 0 ]; then
		echo "gpu: PASS (d) llama.cpp: $2 events, $4 allocations, $6 VMM handles"
	else
		echo "gpu: FAIL (d) llama.cpp: no allocation recorded (log: $W/llama.err)"
		fails=$((fails + 1))
	fi
else
	echo "gpu: SKIP (d) llama.cpp: set LLAMA_CLI and LLAMA_MODEL to record it"
fi
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
if [ "$fails" = 0 ]; then echo "gpu: all checks pass"; else echo "gpu: $fails check(s) failed"; fi
echo "gpu: results in $W"
[ "$fails" = 0 ]
}

{ run_all; echo $? >"$W/.rc"; } 2>&1 | tee "$W/summary.txt"
exit "$(cat "$W/.rc")"
