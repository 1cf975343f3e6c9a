# profile.sh - `--profile` resolves a GGUF profile for one command without
# storing it: it works on a read-only store for replay, fit, plot, diff
# and export (it failed with "attempt to write a readonly database"), its
# layer sizes are used, and the trace is left as it was.
. "$TOP/tests/cli/lib.sh"
S=--store=t.db
LOG="$DATA/logs/llamacpp-15860-memory-breakdown-3x4090.log"
expect 0 "$VRAMSIM" import $S --name b3 "$LOG"
expect 0 "$VRAMSIM" import $S "$DATA/gguf/stories260K.gguf"
expect 0 "$VRAMSIM" import $S "$DATA/gguf/ggml-vocab-bert-bge.gguf"
chmod a-w t.db
# the log's model has no layer count: --meta gives 5, the profile's count
expect 0 "$VRAMSIM" replay $S b3 --profile llama --meta layers=5
hasnt out "approximation from per-device totals"
expect 0 "$VRAMSIM" replay $S b3 --meta layers=5
has out "approximation from per-device totals"
# a profile whose layer count differs says it was not used
expect 0 "$VRAMSIM" replay $S b3 --profile bert-bge --meta layers=5
has out "its layer sizes are not used"
expect 0 "$VRAMSIM" fit $S b3 --profile llama --meta layers=5 --gpus 3x24G --best-split
expect 0 "$VRAMSIM" plot $S b3 --profile llama --meta layers=5 --out pics
expect 0 "$VRAMSIM" diff $S b3 b3 --profile llama --meta layers=5
expect 0 "$VRAMSIM" export $S b3 --profile llama --meta layers=5 --format csv
has out "weights"
# nothing was stored
expect 0 "$VRAMSIM" show $S b3 --json
has out '"profile":null'
expect 2 "$VRAMSIM" replay $S b3 --profile nosuch
has err "no such profile"
chmod u+w t.db
# ls lists the profiles; show counts events by kind
expect 0 "$VRAMSIM" ls $S
has out "^model profiles"
has out "llama +llama +5 +2048"
expect 0 "$VRAMSIM" ls $S --json
has out '"profiles":\[\{"id":1,"name":"llama","arch":"llama","layers":5,"ctx_train":2048'
expect 0 "$VRAMSIM" show $S b3 --json
has out '"event_counts":\{"alloc":14,"snapshot":3\}'
has out '"settings":\{'
has out '"unset":\['
# a store holding only a GGUF replays the model from its profile (the
# formula model with --no-engine; the engine plan: tests/cli/engine_row.sh)
G=--store=g.db
expect 0 "$VRAMSIM" import $G "$DATA/gguf/stories260K.gguf"
expect 0 "$VRAMSIM" replay $G --profile llama --gpus 1x1G --ctx 1024 --no-engine
has out "model from its GGUF profile alone"
has out "ctx 1024 x 1 slot"
has out "^verdict: fits on 1x1G"
expect 2 "$VRAMSIM" replay $G --profile llama
has err "needs --gpus"
# the search stops at the trained context and says so
expect 0 "$VRAMSIM" fit $G --profile llama --gpus 1x1G --max-ctx
has out "largest context that fits: 2048"
has out "stopped at its ceiling, the model's trained context"
