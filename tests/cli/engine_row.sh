# engine_row.sh - a model named in place of a trace (a GGUF file,
# store:PROFILE, model:KEY=V) is planned by the engine row of the engine
# table: replay, fit, sweep, diff and export re-plan it with llama.cpp for
# every what-if; its per-GPU weights and KV are llama.cpp's (equal to
# `vramsim plan`), the CUDA context and cuBLAS workspace are their own
# columns, the verdict's source is "engine plan" with its band. Without an
# engine (ENGINE=none, VRAMSIM_ENGINE naming nothing) the formula model
# answers from the GGUF's profile and says so.
. "$TOP/tests/cli/lib.sh"
M="$DATA/gguf/stories260K.gguf"
[ -n "${VRAMSIM_ENGINE:-}" ] || { [ -x "$TOP/build/engine/vramsim-engine" ] && export VRAMSIM_ENGINE="$TOP/build/engine/vramsim-engine"; }

# breakdown FILE GPU CATEGORY: bytes at that GPU's peak in a replay's JSON
breakdown() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["gpus"][int(sys.argv[2])]["peak_breakdown"][sys.argv[3]])' "$@"
}

# --- without an engine: the formula model from the GGUF's profile, said so
VRAMSIM_ENGINE=/nonexistent/vramsim-engine expect 0 "$VRAMSIM" replay "$M" --gpus 2x24G --ctx 512
has out 'note: the formula model \(sim/llm\.c\) from the GGUF.s profile: no llama\.cpp engine plan \(no llama\.cpp engine planner'
has out '\(\+-[0-9]+ MiB from the formula model\)'
VRAMSIM_ENGINE=/nonexistent/vramsim-engine expect 2 "$VRAMSIM" replay "$M" --gpus 2x24G --cpu-moe
has err '--cpu-moe needs the llama\.cpp engine plan, and there is none'
# a model needs GPUs; no store is needed or made for a file
expect 2 "$VRAMSIM" replay "$M"
has err 'is a model: give --gpus'
[ ! -e vramsim.db ] || { echo "a store was made for a model file"; exit 1; }

if [ -z "${VRAMSIM_ENGINE:-}" ]; then
	expect 0 "$VRAMSIM" replay "$M" --gpus 2x24G --ctx 512
	has out 'no llama\.cpp engine plan'
	echo "engine_row: no engine built (ENGINE=none): the formula fallback tested"
	exit 0
fi

# --- the engine row: the same bytes as `vramsim plan`, per GPU
expect 0 "$VRAMSIM" plan "$M" --gpus 2x24G --ctx 512 --json -q
cp out plan.json
expect 0 "$VRAMSIM" replay "$M" --gpus 2x24G --ctx 512
has out '^scenario: engine plan \(llama\.cpp v0\.5\.0\): ctx 512 \(1 slot x 512\)'
has out 'Weights +KV cache +Compute +Runtime +Workspace +Headroom'
has out '^  0 +24576 .* 418 +32 +[0-9]+ +3$'
has out 'verdict: fits on 2x24G; .*from the engine plan\)'
has out '^band: sim/model_error_engine\.h'
expect 0 "$VRAMSIM" replay "$M" --gpus 2x24G --ctx 512 --json
cp out r.json
python3 - <<'PY' || exit 1
import json
p, r = json.load(open("plan.json")), json.load(open("r.json"))
for g in range(2):
    b = r["gpus"][g]["peak_breakdown"]
    for k in ("weights", "kv", "compute"):
        assert b[k] == p["gpus"][g][k], (g, k, b[k], p["gpus"][g][k])
    assert b["workspace"] == 32 << 20 and b["context"] == (450 - 32) << 20, b
assert r["verdict"]["source"] == "engine plan", r["verdict"]
assert r["scenario"].startswith("engine plan (llama.cpp v0.5.0)"), r["scenario"]
PY
# --reserve and --workspace set the runtime terms
expect 0 "$VRAMSIM" replay "$M" --gpus 2x24G --ctx 512 --reserve 1G --workspace 4M --json
test "$(breakdown out 1 context)" = 1073741824 && test "$(breakdown out 1 workspace)" = 4194304 ||
	{ echo "--reserve/--workspace not applied"; cat out; exit 1; }

# a what-if is a re-plan: ctx grows KV by llama.cpp's numbers; two slots
expect 0 "$VRAMSIM" replay "$M" --gpus 2x24G --ctx 1024 --json
kv1=$(breakdown out 0 kv)
expect 0 "$VRAMSIM" plan "$M" --gpus 2x24G --ctx 1024 --json -q
has out "\"name\":\"CUDA0\",\"layers\":3,\"weights\":[0-9]+,\"kv\":$kv1,"
expect 0 "$VRAMSIM" replay "$M" --gpus 2x24G --ctx 512 --parallel 2
has out 'ctx 1024 \(2 slots x 512\)'
# llama.cpp options only the engine answers
expect 0 "$VRAMSIM" replay "$M" --gpus 2x24G --ctx 512 --no-kv-offload --json
test "$(breakdown out 0 kv)" = 0 || { echo "--no-kv-offload kept KV on GPU 0"; exit 1; }
# an option with no effect on llama.cpp's plan says so
expect 0 "$VRAMSIM" replay "$M" --gpus 1x24G --ctx 512 --batch 512
has out "note: --batch had no effect: llama\.cpp's plan of this model is the same without it"

# refusals quote the engine, exit 2
expect 2 "$VRAMSIM" replay "$M" --gpus 1x24G --kv-type q8_0 --flash-attn off
has err 'quantized V cache requires flash_attn to be enabled'
expect 2 "$VRAMSIM" replay "$M" --gpus 1x24G --mmproj "$M"
has err 'cannot load the projector .*stories260K\.gguf \(clip_init loaded no vision or audio encoder'
head -c 64 "$M" > trunc.gguf
expect 2 "$VRAMSIM" replay trunc.gguf --gpus 1x24G
has err 'trunc\.gguf'
expect 2 "$VRAMSIM" replay "$M" --gpus 2x24G --ctx 4096
has err 'above the model.s trained context \(2048\)'
# --no-engine: the formula model even with an engine
expect 0 "$VRAMSIM" replay "$M" --gpus 2x24G --ctx 512 --no-engine
has out 'no llama\.cpp engine plan \(--no-engine\)'

# fit --max-ctx searches over engine plans and re-plans the loaded model
expect 0 "$VRAMSIM" fit "$M" --gpus 1x455M --max-ctx --reserve 418M
has out '^largest context that fits: [0-9]+ tokens per slot'
has out 'from the engine plan'
plans=$(sed -n 's/.*searched over \([0-9]*\) llama.cpp engine plans; \([0-9]*\) of them.*/\1 \2/p' out)
set -- $plans
[ -n "${1:-}" ] && [ "$2" -gt 0 ] && [ $(($2 * 4)) -ge $(($1 * 3)) ] ||
	{ echo "fit --max-ctx did not reuse the loaded model: $plans"; cat out; exit 1; }
ctx=$(sed -n 's/^largest context that fits: \([0-9]*\) tokens.*/\1/p' out)
[ "$ctx" -gt 256 ] && [ "$ctx" -lt 2048 ] || { echo "max-ctx $ctx: the 455M GPU should cap it between 256 and 2048"; exit 1; }

# the other searches also re-plan with llama.cpp
expect 0 "$VRAMSIM" fit "$M" --gpus 4x24G --ctx 1024 --min-gpus
has out '^fewest GPUs that fit: 1 \(1x24G\)'
has out '^scenario: engine plan'
expect 0 "$VRAMSIM" fit "$M" --gpus 2x24G --ctx 1024 --best-split
has out '^best split: --split [0-9]+,[0-9]+'
has out 'from the engine plan'

# sweep, diff --against and export take the model too
expect 0 "$VRAMSIM" sweep "$M" --gpus '1x24G;2x24G' --ctx 256,512
has out '^gpus-2x24G_ctx-512 +fits .*engine plan \(llama\.cpp v0\.5\.0\): ctx 512'
[ "$(grep -c 'engine plan' out)" = 4 ] || { echo "sweep: 4 engine plans expected"; cat out; exit 1; }
expect 0 "$VRAMSIM" diff "$M" --against '--ctx 1024' --gpus 2x24G --ctx 512 -q
has out '^  0  kv +0\.2 +0\.4 +\+0\.2$'
expect 0 "$VRAMSIM" export "$M" --gpus 2x24G --ctx 512 --format csv
has out '^[0-9]+,0,0,alloc,0,workspace,33554432,'
has out ',alloc,0,kv,196608,'

# a store holding only a GGUF profile replays through the engine plan
expect 0 "$VRAMSIM" import --store t.db "$M" -q
expect 0 "$VRAMSIM" replay --store t.db store:llama --gpus 2x24G --ctx 512 --json
cmp_kv=$(breakdown out 0 kv)
test "$cmp_kv" = 196608 || { echo "store:llama KV $cmp_kv"; exit 1; }
expect 0 "$VRAMSIM" replay --store t.db --profile llama --gpus 2x24G --ctx 512
has out 'scenario: engine plan \(llama\.cpp v0\.5\.0\)'
has out 'note: model: store:1 = profile 1, stories260K\.gguf as imported'
# an engine-only option on a recorded trace is refused, saying what to give
expect 0 "$VRAMSIM" import --store t.db --name bd "$DATA/logs/llamacpp-15860-memory-breakdown-3x4090.log" -q
expect 2 "$VRAMSIM" replay --store t.db bd --cpu-moe
has err '--cpu-moe is answered by the llama\.cpp engine plan only: give the model as TRACE'

# a model never downloaded, synthesised (model:KEY=V)
expect 0 "$VRAMSIM" replay 'model:layers=4,embd=256,heads=4,kv_heads=2,vocab=1024,ff=512,ftype=Q8_0' --gpus 2x24G --ctx 512
has out 'note: model: synthesised llama'
has out 'scenario: engine plan'
exit 0
