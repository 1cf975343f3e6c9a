# sweep.sh - `vramsim sweep`: the grid run here, and --emit | sh.
. "$TOP/tests/cli/lib.sh"
S=--store=t.db
expect 0 "$VRAMSIM" import $S --name s70 "$DATA/logs/ollama-3078-70b-2gpu-buffers.log"
expect 0 "$VRAMSIM" sweep $S s70 --gpus '4x24G;2x24G,1x12G;2x8G' --num-gpu 40,81
[ "$(wc -l <out)" = 6 ] || { cat out; exit 1; }
has err "6 scenarios, 5 fit"
has out "gpus-2x8G_num-gpu-81 +OOM"
# emitted commands are self-contained: run them from another directory
expect 0 "$VRAMSIM" sweep $S s70 --gpus '4x24G;2x8G' --num-gpu 40,81 --emit --out "$PWD/res"
[ "$(wc -l <out)" = 4 ] || { cat out; exit 1; }
mkdir elsewhere && (cd elsewhere && sh ../out) || exit 1
[ "$(ls res | wc -l)" = 4 ] || { ls res; exit 1; }
has res/gpus-4x24G_num-gpu-81.json '"format":"vramsim-replay"'
has res/gpus-2x8G_num-gpu-81.json '"fits":false'
has res/gpus-2x8G_num-gpu-81.json '"verdict":\{"kind":"does-not-fit"'
# a context on a log without KV has no basis: each row says so
expect 0 "$VRAMSIM" sweep $S s70 --gpus 4x24G --ctx 2048,4096
has out "ctx-2048 +error: --ctx: the trace records no KV cache"
# quoting survives hostile values: a split with a shell metacharacter is refused up front
expect 2 "$VRAMSIM" sweep $S s70 --gpus '4x24G' --split '1,1;$(touch pwned)' --emit
[ ! -e pwned ]
expect 2 "$VRAMSIM" sweep $S s70 --ctx 2048
has err "gpus is required"
exit 0
