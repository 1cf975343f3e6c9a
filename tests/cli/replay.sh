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
# a log holding only Ollama's estimate (#9181: msg=offload, no buffers) is a
# trace of estimates: replay explains it and answers "no basis", never
# "fits", and no table of zeros; --gpus is not needed (the log names them)
expect 0 "$VRAMSIM" import --store e.db "$DATA/logs/ollama-9181-70b-4x22g-64k.log"
expect 0 "$VRAMSIM" replay --store e.db
has out "an engine's estimate, no allocations recorded"
has out "^  0     22.0 GiB     21.8 GiB          0.2 GiB"
has out "layers: 44 of 81 on GPUs, split 11,11,11,11"
has out "required, all layers on GPUs \(full\) +127.4 GiB"
has out "KV at num_ctx 64000"
has out "SIZE 136 GB, PROCESSOR 32%/68% CPU/GPU"
has out "8 of 8 figures agree"
has out "best: ollama-0.5 \(8 of 8"
has out "^verdict: no answer for real use"
has out "--gpus 4x22G"
hasnt out "verdict: fits|Peak%|BORDERLINE"
expect 0 "$VRAMSIM" replay --store e.db --gpus 4x24G
has out "--gpus 4x24G had no effect"
expect 0 "$VRAMSIM" replay --store e.db --json
python3 - <<'PY' || exit 1
import json
d = json.load(open("out"))
v, e = d["verdict"], d["engine_estimate"]
assert d["fits"] is False and d["events"] == 0, d
assert v["kind"] == "no-basis" and v["source"] == "engine estimate", v
assert e["layers_offload"] == 44 and e["layers_split"] == [11, 11, 11, 11], e
assert [g["estimate"] for g in d["gpus"]] == [g["allocation"] for g in e["gpus"]], d
assert e["best_era"] == "ollama-0.5" and e["ollama_ps"]["processor"] == "32%/68% CPU/GPU", e
PY
# a what-if has nothing to change; CSV has nothing to tabulate
expect 2 "$VRAMSIM" replay --store e.db --ctx 8192
has err "holds only Ollama's estimate, no load to change"
expect 2 "$VRAMSIM" replay --store e.db --csv
has err "no allocations to tabulate"
# export and plot refuse a what-if on it the same way (one message, in scenario.c)
expect 2 "$VRAMSIM" export --store e.db --ctx 8192 --format json -o x.json
has err "holds only Ollama's estimate, no load to change"
# a CPU-only estimate (library=cpu, dr14): explained as host memory, no GPU, no verdict
expect 0 "$VRAMSIM" import --store c.db "$DATA/logs/ollama-dr14-ollama-engine-cpu.log"
expect 0 "$VRAMSIM" replay --store c.db
has out "estimated this load for the CPU .*10.5 GiB required of 29.5 GiB host memory"
has out "verdict: no answer for real use"
expect 0 "$VRAMSIM" replay --store c.db --json
python3 -c 'import json; d = json.load(open("out")); assert d["gpus"] == [] and d["verdict"]["kind"] == "no-basis", d' || exit 1
# ik_llama.cpp -amb: the row-split load of #235 (RUN 0: -mla 2, ctx 32768,
# ub 256, CUDA0 compute 4349 MiB) with DeepSeek-R1's 128 heads: K*Q is
# 4096 MiB, in 4 steps of 32 heads under --amb 1024, so 1277 MiB
expect 0 "$VRAMSIM" import --store a.db "$DATA/logs/ikllama-235-deepseek-r1-15x3090.log"
expect 0 "$VRAMSIM" replay --store a.db 4 --gpus 1x300G --meta heads=128,layers=61
has out "^  0    307200 .* 4349 "
expect 0 "$VRAMSIM" replay --store a.db 4 --gpus 1x300G --meta heads=128,layers=61 --amb 1024
has out "amb 1024 MiB"
has out "^  0    307200 .* 1277 "
expect 0 "$VRAMSIM" replay --store a.db 4 --gpus 1x300G --meta heads=128,layers=61 --amb 8192
has out "^  0    307200 .* 4349 "
expect 2 "$VRAMSIM" replay --store a.db 4 --gpus 1x300G --amb lots
has err "--amb"
exit 0
