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
expect 0 "$VRAMSIM" replay $S est --gpus 1x24G
has out "^verdict: no answer: the trace holds no allocations"
hasnt out "verdict: fits"
expect 0 "$VRAMSIM" replay $S est --gpus 1x24G --json
has out '"fits":false'
has out '"kind":"no-basis"'
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
