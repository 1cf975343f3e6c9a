#!/bin/sh
# demo.sh - `make demo`: the main job on the bundled sample, a real
# Ollama log of a 70B-class model (81 layers) split over two GPUs
# (https://github.com/ollama/ollama/issues/3078). It imports the log into
# the default store (./vramsim.db, or $VRAMSIM_STORE), replays the load on
# 4x24G and on 2x24G,1x12G, finds the largest context that fits, explains
# the motivating case (llama3.3:70b shown as 61 GB by `ollama ps`), and
# draws the PNGs into demo-out/.
set -eu
cd "$(dirname "$0")/.."
V=./vramsim
SAMPLE=tests/data/logs/ollama-3078-70b-2gpu-buffers.log
OUT=demo-out
mkdir -p "$OUT"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; }

if ! $V ls 2>/dev/null | grep -q 'demo-70b-2gpu '; then
	step "$V import --name demo-70b-2gpu $SAMPLE"
	$V import --name demo-70b-2gpu "$SAMPLE"
fi
# The sample logs weights only, so the verdict is a lower bound: the load
# also held a KV cache and compute buffers the log does not show.
step "$V replay demo-70b-2gpu --gpus 4x24G"
$V replay demo-70b-2gpu --gpus 4x24G
# The sample logs weights only: no KV, no compute, no model shape. A
# context what-if has no basis and is refused, saying what to add.
step "$V replay demo-70b-2gpu --gpus 2x24G,1x12G --ctx 4096"
$V replay demo-70b-2gpu --gpus 2x24G,1x12G --ctx 4096 || printf '(refused: exit %d)\n' $? >&2
# The log names no model. Its 81 layers and March 2024 date fit Llama 2
# 70B (config.json: hidden 8192, 64 heads, 8 KV heads, trained context
# 4096); that shape, stated on the command line, gives the KV, and the
# trained context bounds the search: no context is claimed beyond what the
# model was trained for. Compute stays unknown, so the answers are bounds.
SHAPE=embd=8192,heads=64,kv_heads=8,ctx_train=4096
step "$V replay demo-70b-2gpu --gpus 2x24G,1x12G --ctx 4096 --meta $SHAPE --assume-missing"
$V replay demo-70b-2gpu --gpus 2x24G,1x12G --ctx 4096 --meta $SHAPE --assume-missing
step "$V fit demo-70b-2gpu --gpus 4x24G --max-ctx --meta $SHAPE --assume-missing"
$V fit demo-70b-2gpu --gpus 4x24G --max-ctx --meta $SHAPE --assume-missing
step "$V plot demo-70b-2gpu --gpus 4x24G --out $OUT -f"
$V plot demo-70b-2gpu --gpus 4x24G --out "$OUT" -f
# The seed case (ollama#9471): llama3.3:70b Q4_K_M, 42 GB by `ollama list`,
# shown by `ollama ps` as 61 GB, 44%/56% CPU/GPU. The issue names neither the
# GPUs nor the context; 3 GPUs with 11.2 GiB free (12 GB cards) at num_ctx
# 20480 with flash attention reproduce both figures under Ollama v0.5.13's
# estimator and leave 2.5-4 GiB free per card (the reporter saw "almost 5GB");
# the replay runs the load as Ollama launched it: -ngl 38, --tensor-split 12,13,13 (README, "The 61 GB case").
# First the issue's own figures, as imported: `ollama ps` is Ollama's
# estimate, not a measurement, so replay explains it and gives no verdict.
SEED=tests/data/logs/ollama-9471-llama33-70b-61g.log
if ! $V ls 2>/dev/null | grep -q 'seed-9471 '; then
	step "$V import --name seed-9471 $SEED"
	$V import -q --name seed-9471 "$SEED"
fi
step "$V replay seed-9471"
$V replay seed-9471
M=name=llama3.3:70b,layers=80,embd=8192,heads=64,kv_heads=8,vocab=128256,ff=28672,size=42.5e9B
E=ollama-0.5:quant=Q4_K_M,ff=28672,free=11.2G
step "$V replay --model $M --gpus 3x12G --ctx 20480 --flash-attn on --num-gpu 38 --split 12,13,13 --engine-estimate $E"
$V replay --model "$M" --gpus 3x12G --ctx 20480 --flash-attn on --num-gpu 38 --split 12,13,13 --engine-estimate "$E"
# The same load planned by llama.cpp's own loader and scheduler on virtual
# GPUs (the engine plan, when the build has the engine; else the formula
# model, and the output says which): a header-only GGUF is synthesised
# from the same hyper-parameters with llama.cpp's Q4_K_M tensor types.
G=model:layers=80,embd=8192,heads=64,kv_heads=8,vocab=128256,ff=28672,ftype=Q4_K_M,ctx_train=131072
step "$V replay $G --gpus 3x12G --ctx 20480 --flash-attn on --num-gpu 38 --split 12,13,13"
$V replay "$G" --gpus 3x12G --ctx 20480 --flash-attn on --num-gpu 38 --split 12,13,13
printf '\ndemo: PNGs are in %s/; the store is %s\n' "$OUT" "${VRAMSIM_STORE:-vramsim.db}" >&2
printf 'demo: try: %s replay --gpus 2x24G,1x12G\n' "$V" >&2
