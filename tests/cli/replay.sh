# replay.sh - `vramsim replay` and `vramsim fit` on the bundled 70B sample:
# tables, JSON, CSV, what-ifs, bad arguments, exit codes.
. "$TOP/tests/cli/lib.sh"
S=--store=t.db
expect 0 "$VRAMSIM" import $S --name s70 "$DATA/logs/ollama-3078-70b-2gpu-buffers.log"
has out "as trace 1 's70'"
has out "as trace 2 's70#2'"
# no TRACE: the newest trace that holds events (s70#2 only announces itself)
expect 0 "$VRAMSIM" replay $S --gpus 4x24G
has out "trace 1 's70' on 4x24G"
has out "81/81 layers on GPUs, split 21,20,20,20"
has out "verdict: fits on 4x24G"
has out "approximation"
# the log has no KV, no compute and no model shape: a context has no basis
expect 2 "$VRAMSIM" replay $S s70 --gpus 2x24G,1x12G --ctx 8192
has err "records no KV cache"
has err "--meta embd=,heads=,kv_heads="
# with the shape (Llama 3 70B config.json) KV is computed; compute stays
# unknown, so only a lower bound, labelled so
expect 2 "$VRAMSIM" replay $S s70 --gpus 2x24G,1x12G --ctx 8192 --meta embd=8192,heads=64,kv_heads=8
has err "no GPU compute buffer"
expect 0 "$VRAMSIM" replay $S s70 --gpus 2x24G,1x12G --ctx 8192 --meta embd=8192,heads=64,kv_heads=8 \
	--assume-missing
has out "split 33,33,15"
has out "ONLY AS A LOWER BOUND"
has out "computes it from the model's shape"
# the recorded split is kept when the GPU count is the same
expect 0 "$VRAMSIM" replay $S s70 --gpus 2x16G
has out "split 40,41"
# a tiny GPU: the weights do not fit; --fail-on-oom turns it into exit 3
expect 0 "$VRAMSIM" replay $S s70 --gpus 2x8G
has out "DOES NOT FIT: GPU 0 runs out of memory"
has out "weights, layers 0-"
expect 3 "$VRAMSIM" replay $S s70 --gpus 2x8G --fail-on-oom
# spill: what does not fit goes to host memory and the load completes
expect 0 "$VRAMSIM" replay $S s70 --gpus 2x8G --on-oom spill
has out "spilled to host memory"
# fewer layers on the GPUs
expect 0 "$VRAMSIM" replay $S s70 --gpus 2x8G --num-gpu 20
has out "20/81 layers on GPUs"
has out "verdict: fits"
# machine-readable
expect 0 "$VRAMSIM" replay $S s70 --gpus 4x24G --json
has out '^\{"format":"vramsim-replay","version":1,'
has out '"fits":true'
has out '"capacity":25769803776'
expect 0 "$VRAMSIM" replay $S s70 --gpus 4x24G --csv
has out '^version,trace,topology,gpu,capacity,peak'
[ "$(wc -l <out)" = 5 ] || { echo "csv rows"; cat out; exit 1; }
# same input, same output, byte for byte
"$VRAMSIM" replay $S s70 --gpus 4x24G --json >a.json
"$VRAMSIM" replay $S s70 --gpus 4x24G --json >b.json
cmp a.json b.json
# fit
expect 0 "$VRAMSIM" fit $S s70 --gpus 2x16G --max-layers
has out "most layers on GPUs that fit: "
expect 0 "$VRAMSIM" fit $S s70 --gpus 8x12G --min-gpus
has out "fewest GPUs that fit: 3"
# bad arguments: exit 2 and a message naming what was wrong
for g in 4x 0x24G 4x24Q -1x8G; do
	expect 2 "$VRAMSIM" replay $S s70 --gpus "$g"
	has err "$g"
done
expect 2 "$VRAMSIM" replay $S s70 --gpus 4x24G --split 1,1
has err "split has 2 entries but --gpus gives 4"
expect 2 "$VRAMSIM" replay $S s70 --gpus 4x24G --split 1,0,-1,1
expect 2 "$VRAMSIM" replay $S s70 --gpus 4x24G --num-gpu 99
has err "81"
expect 2 "$VRAMSIM" replay $S s70 --gpus 4x24G --flash-attn maybe
expect 2 "$VRAMSIM" replay $S nosuch --gpus 4x24G
has err "no trace 'nosuch'"
expect 2 "$VRAMSIM" fit $S s70 --gpus 4x24G
has err "max-ctx"
# a store that is not a store
echo "hello" >notadb
expect 2 "$VRAMSIM" replay --store notadb --gpus 4x24G
has err "notadb"
# the user's case, from hyper-parameters alone
expect 0 "$VRAMSIM" replay --gpus 4x24G --engine-estimate ollama-0.5 \
	--model layers=80,embd=8192,heads=64,kv_heads=8,vocab=128256,size=42G --ctx 4096 --parallel 4
has out "ollama-0.5 estimate \(Ollama v0.1-v0.6"
has out "ollama ps: SIZE"
has out "spare"
exit 0
