#!/bin/sh
# tests/drift/run.sh - is a gap between the engine and a real log ours, or
# llama.cpp's drift between tags? Re-plans four bundled real logs
# (tests/data/logs/llamacpp-ik*) with an OLDER pinned llama.cpp, tag b5590
# (npm node-llama-cpp@3.9.0, the nearest prebuilt tag to the logs' builds
# 5192, 5269, 5271 and 5622; the prebuilt tag before them, b4980 in
# node-llama-cpp@3.7.0, predates -ot, which all four use), on the same
# virtual GPUs (sim/engine/vdev.c), the same
# synthesised headers (build/validate_logs --synth) and the settings each
# log records (command line; free memory of its `using device` lines), and
# prints llama.cpp's buffer lines beside the log's.
#
#   sh tests/drift/run.sh        (after make; downloads ~27 MB once, into
#                                 build/drift/, checked by sha256)
#
# Not part of make check: it downloads a second engine and plans a 180 GB
# header without no_alloc (that tag has none), about two minutes.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B="$TOP/${BUILD:-build}/drift"
VER=3.9.0 TAG=b5590
SHA_LIB=297e41ad8a5244ce98f3b876cce508d7c1018460e3af814e48ece0b76dbcc07b
SHA_SRC=59da86f9f5e18cd0f49e620fbb1914728427d3fd3de54bc6b454e118ad2866e3
LIB_TGZ="node-llama-cpp-linux-x64-$VER.tgz" SRC_TGZ="node-llama-cpp-$VER.tgz"
VL="$TOP/${BUILD:-build}/validate_logs"
[ -x "$VL" ] || { echo "drift: $VL not built (run make)" >&2; exit 1; }

mkdir -p "$B/dl"
cd "$B"
sums() { printf '%s  %s\n%s  %s\n' "$SHA_LIB" "dl/$LIB_TGZ" "$SHA_SRC" "dl/$SRC_TGZ"; }
if ! sums | sha256sum -c --strict --status 2>/dev/null; then
	rm -f "dl/$LIB_TGZ" "dl/$SRC_TGZ"
	(cd dl && HOME="$B" npm pack --silent --cache ../npm-cache "@node-llama-cpp/linux-x64@$VER" "node-llama-cpp@$VER" >/dev/null)
	rm -rf npm-cache
	sums | sha256sum -c --strict --quiet || { rm -f "dl/$LIB_TGZ" "dl/$SRC_TGZ"; echo "drift: checksum mismatch" >&2; exit 1; }
fi
if [ ! -x plan_old ] || [ "$TOP/tests/drift/plan_old.c" -nt plan_old ] || [ "$TOP/sim/engine/vdev.c" -nt plan_old ] || [ "$TOP/sim/engine/vdev_rules.c" -nt plan_old ]; then
	rm -rf tmp lib inc && mkdir -p tmp lib inc
	tar xzf "dl/$LIB_TGZ" -C tmp
	cp -p tmp/package/bins/linux-x64/*.so lib/
	tar xzf "dl/$SRC_TGZ" -C tmp package/llama/gitRelease.bundle package/llama/llama.cpp.info.json
	grep -q "\"$TAG\"" tmp/package/llama/llama.cpp.info.json || { echo "drift: node-llama-cpp@$VER does not ship $TAG" >&2; exit 1; }
	git clone -q --bare tmp/package/llama/gitRelease.bundle tmp/src.git
	git --git-dir=tmp/src.git archive --format=tar HEAD include ggml/include ggml/src/ggml-backend-impl.h | tar xf - -C inc
	rm -rf tmp
	${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$TOP/sim/engine" -isystem inc/include \
		-isystem inc/ggml/include -isystem inc/ggml/src -o plan_old "$TOP/tests/drift/plan_old.c" \
		"$TOP/sim/engine/vdev.c" "$TOP/sim/engine/vdev_rules.c" -Llib -l:libllama.so -l:libggml.so -l:libggml-base.so -Wl,-rpath,"$B/lib"
fi

# one log: its spec, its header, the old engine's plan beside the log's lines
one() {
	log="$TOP/tests/data/logs/$1"
	shift
	echo "== $(basename "$log") (llama.cpp $(sed -n 's/^build: \([0-9]*\) .*/\1/p' "$log") in the log, $TAG here)"
	"$VL" --synth "$("$VL" --spec "$log")" model.gguf
	./plan_old "$B/lib" model.gguf "$@" > plan.txt
	rm -f model.gguf
	printf '  %-34s %12s %12s\n' "buffer" "log MiB" "$TAG MiB"
	grep -E '(model|KV|compute|output) buffer size' plan.txt | grep -v CPU_Mapped |
	while IFS= read -r l; do
		key=$(printf '%s\n' "$l" | sed 's/^[a-z_]*: *//; s/ *= *[0-9.]* MiB.*//; s/  */ /g')
		mine=$(printf '%s\n' "$l" | sed 's/.*= *\([0-9.]*\) MiB.*/\1/')
		theirs=$(grep -F "$(printf '%s\n' "$l" | sed 's/^[a-z_]*: *//; s/ *= *[0-9.]* MiB.*//')" "$log" | grep -v '^#' | head -1 | sed 's/.*= *\([0-9.]*\) MiB.*/\1/')
		printf '  %-34s %12s %12s%s\n' "$key" "${theirs:--}" "$mine" "$([ "${theirs:-}" = "$mine" ] && echo "" || echo "  differs")"
	done
	printf '  %-34s %12s %12s\n' "graph splits (bs=512)" \
		"$(sed -n 's/.*graph splits = \([0-9]*\) .*/\1/p' "$log" | head -1)" \
		"$(sed -n 's/.*graph splits = \([0-9]*\) .*/\1/p' plan.txt | head -1)"
}
one llamacpp-ik514-qwen3-30b-a3b-4090-5090.log ctx=16384 fa=0 ctk=f16 free=9862,31518 'ot=.ffn_.*_exps.=CPU'
one llamacpp-ik370-qwen3-235b-q6k-2x3090.log ctx=16384 fa=1 ctk=q8_0 free=23871,23871 \
	'ot=blk\.(0|1|2|3|4|5|6)\.ffn.*=CUDA0' 'ot=blk\.(7|8|9|10|11|12|13)\.ffn.*=CUDA1' \
	'ot=blk\.1[4-9]\.ffn.*=CPU' 'ot=blk\.[2-9][0-9]\.ffn.*=CPU'
one llamacpp-ik357-qwen3-235b-q6k-3090-ot.log ctx=16384 fa=1 ctk=q8_0 free=23871 \
	'ot=blk\.(0|1|2|3|4)\.ffn.*=CUDA0' 'ot=blk\.(5|6|7|8|9)\.ffn.*=CPU' 'ot=blk\.1[0-9]\.ffn.*=CPU' \
	'ot=blk\.[2-9][0-9]\.ffn.*=CPU'
one llamacpp-ik357-qwen3-235b-q8-a6000.log ctx=32768 fa=1 ctk=f16 free=48267 \
	'ot=blk\.1[3-9]\.ffn.*=CPU' 'ot=blk\.[2-8][0-9]\.ffn.*=CPU' 'ot=blk\.9[0-3]\.ffn.*=CPU'
rm -f plan.txt
