# verdicts.sh - every verdict states the tightest GPU's headroom and a band
# from the model that made the numbers; borderline is not "fits"; no
# answer without a basis; options with no effect say so; fit exits 3 when
# nothing fits and its JSON holds the answer as fields.
. "$TOP/tests/cli/lib.sh"
S=--store=t.db
expect 0 "$VRAMSIM" import $S --name bd "$DATA/logs/llamacpp-15860-memory-breakdown-3x4090.log"
expect 0 "$VRAMSIM" import $S --name s70 "$DATA/logs/ollama-3078-70b-2gpu-buffers.log"
expect 0 "$VRAMSIM" import $S --name kv "$DATA/logs/ollama-7047-2gpu-kv-per-device.log"
expect 0 "$VRAMSIM" import $S --name est "$DATA/logs/ollama-9471-llama33-70b-61g.log"

# a recorded load as it ran: the logged numbers, band 0 from the identity test
expect 0 "$VRAMSIM" replay $S bd
has out "^verdict: fits on 3x24080M; least headroom on GPU 0: 9437 MiB \(\+-0 MiB from the recorded load\)"
has out "^band: tests/test_identity.c"
expect 0 "$VRAMSIM" replay $S bd --json
has out '"verdict":\{"kind":"fits","source":"recorded load","tight_gpu":0,'
has out '"band_source":"tests/test_identity.c'
# --margin asks for headroom: 9437 MiB free is not enough for 10000M
expect 0 "$VRAMSIM" replay $S bd --margin 10000M
has out "^verdict: BORDERLINE on 3x24080M: GPU 0 has 9437 MiB headroom"
expect 0 "$VRAMSIM" replay $S bd --margin 10000M --json
has out '"fits":false'
has out '"kind":"borderline"'
has out '"margin":10485760000'
# a what-if: the formula model, its band from sim/model_error.h
expect 0 "$VRAMSIM" replay $S kv --gpus 2x24G --batch 4096
has out "from the formula model\)"
has out "^band: sim/model_error.h"
has out "--batch had no effect on the prediction"
# the prediction beside the log, per GPU and term: only the assumed reserve differs
has out "^prediction - recorded load, per GPU and term"
has out "^  0       \+0.0       \+0.0       \+0.0       \+0.0     \+450.0       \+0.0$"
expect 0 "$VRAMSIM" replay $S kv --gpus 2x24G --batch 4096 --json
has out '"vs_recorded":\[\{"gpu":0,"weights":0,"kv":0,"compute":0,"output":0,"context":471859200'
# no what-if: the log itself, nothing to set beside it
expect 0 "$VRAMSIM" replay $S bd --json
has out '"vs_recorded":null'

# no answer without a basis
# (#9471 holds only `ollama ps` and `ollama list`: Ollama's figures, no buffers)
expect 0 "$VRAMSIM" replay $S est --gpus 1x24G
has out "^verdict: no answer for real use: the log holds what Ollama estimated"
has out "^\`ollama ps\` in the log: llama3.3:latest SIZE 61 GB, PROCESSOR 44%/56% CPU/GPU"
has out "--gpus 1x24G had no effect"
hasnt out "verdict: fits|Peak%"
expect 0 "$VRAMSIM" replay $S est --gpus 1x24G --json
has out '"fits":false'
has out '"kind":"no-basis","source":"engine estimate"'
has out '"logged_ps":\{"size_bytes":61000000000,"processor":"44%/56% CPU/GPU"\}'
# a load whose log lacks KV and compute: its "fits" is a lower bound
expect 0 "$VRAMSIM" replay $S s70 --gpus 4x24G
has out "^verdict: fits on 4x24G ONLY AS A LOWER BOUND"
expect 0 "$VRAMSIM" replay $S s70 --gpus 4x24G --json
has out '"lower_bound":true'
# a load with both: no lower bound
expect 0 "$VRAMSIM" replay $S kv --gpus 2x24G
has out "^verdict: fits on 2x24G; least headroom"
expect 2 "$VRAMSIM" replay $S bd --ctx 32768
has err "not the context it was made for \(n_ctx\)"
has err "--meta ctx=N"
expect 2 "$VRAMSIM" replay $S s70 --gpus 2x24G --ubatch 1024
has err "no GPU compute buffer"
expect 0 "$VRAMSIM" replay $S s70 --gpus 2x24G --ubatch 1024 --assume-missing
has out "ONLY AS A LOWER BOUND"
has out "no compute buffer recorded: compute is not counted"
expect 2 "$VRAMSIM" fit $S s70 --gpus 4x24G --max-ctx
has err "records no KV cache"

# bad input: exit 2, a clear message
expect 2 "$VRAMSIM" replay $S kv --gpus 2x24G --ctx 8192 --meta ctx_train=4096
has err "above the model's trained context \(4096\): add --allow-ctx-beyond-train"
expect 0 "$VRAMSIM" replay $S kv --gpus 2x24G --ctx 8192 --meta ctx_train=4096,ctx=4096 \
	--allow-ctx-beyond-train
has out "above the model's trained context"
expect 2 "$VRAMSIM" replay $S s70 --gpus 2x24G --split 1,1,1
has err "split has 3 entries"
expect 2 "$VRAMSIM" replay $S s70 --gpus 2x24G --num-gpu 82
has err "at most 81"
# the same contradictions on fit, sweep and plot: a message, exit 2
CMDS="fit --max-layers;plot --out pics"
IFS=';'; set -f; set -- $CMDS; unset IFS; set +f
for C in "$@"; do
	expect 2 "$VRAMSIM" $C $S s70 --gpus 2x24G --num-gpu 82
	has err "at most 81"
	expect 2 "$VRAMSIM" $C $S s70 --gpus 2x24G --split 1,1,1
	has err "split has 3 entries but --gpus gives 2 GPUs"
	expect 2 "$VRAMSIM" $C $S kv --gpus 2x24G --ctx 8192 --meta ctx_train=4096,ctx=4096
	has err "above the model's trained context \(4096\): add --allow-ctx-beyond-train"
done
# (sweep takes lists; the wrong value is one row, and the sweep exits 2)
expect 2 "$VRAMSIM" sweep $S s70 --gpus 2x24G --num-gpu 40,82
has out "num-gpu-40 +fits"
has out "num-gpu-82 +error: --num-gpu 82: .*at most 81"
has err "1 of 2 scenarios refused as input errors"
expect 2 "$VRAMSIM" sweep $S s70 --gpus 2x24G --split '1,1;1,1,1'
has out "error: --split has 3 entries but --gpus gives 2 GPUs"
M=layers=80,embd=8192,heads=64,kv_heads=8,vocab=128256,size=42G,ctx_train=131072
expect 2 "$VRAMSIM" sweep --model $M --gpus 4x24G --ctx 8192,200000
has out "ctx-200000 +error: --ctx 200000 is above the model's trained context \(131072\)"
expect 2 "$VRAMSIM" replay --model $M --gpus 4x24G --ctx 200000
has err "add --allow-ctx-beyond-train"
expect 0 "$VRAMSIM" replay --model $M --gpus 4x24G --ctx 200000 --allow-ctx-beyond-train
has out "above the model's trained context"

# fit: nothing fits -> exit 3 with the answer said; JSON fields
expect 3 "$VRAMSIM" fit $S s70 --gpus 2x4G --min-gpus
has out "^nothing fits"
expect 0 "$VRAMSIM" fit $S s70 --gpus 2x24G --max-layers --json
has out '"format":"vramsim-fit-answer"'
has out '"goal":"max-layers","found":true'
has out '"n_gpu_layers":81,"gpus":2,"margin":0,"layers":\[40,41\]'
has out '"verdict":\{"kind":"fits"'
# a margin the answer cannot keep: borderline; --fail-on-oom makes it exit 3
expect 0 "$VRAMSIM" fit $S s70 --gpus 2x24G --best-split --margin 20G
has out "BORDERLINE"
expect 3 "$VRAMSIM" fit $S s70 --gpus 2x24G --best-split --margin 20G --fail-on-oom
exit 0
