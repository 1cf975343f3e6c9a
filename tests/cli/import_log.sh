# import_log.sh - import llama.cpp/Ollama logs, then list and show them.
. "$TOP/tests/cli/lib.sh"

# one load, estimates only
expect 0 "$VRAMSIM" import --store t.db "$DATA/logs/ollama-9181-70b-4x22g-64k.log"
has out "as trace 1 'ollama-9181-70b-4x22g-64k.log' \(0 events\)"
has out "4 GPUs, 1 load \(ollama\); no allocations; ollama estimate present"
has err "next: vramsim replay"

# two loads become two traces, never one
expect 0 "$VRAMSIM" import --store t.db "$DATA/logs/ollama-3078-70b-2gpu-buffers.log"
has out "as trace 2 'ollama-3078-70b-2gpu-buffers.log' \(3 events\)"
has out "as trace 3 'ollama-3078-70b-2gpu-buffers.log#2' \(0 events\)"
has out "2 GPUs, 2 loads \(ollama\); GPU weights 28549.6 MiB"

# the wrapped 'unaccounted' column: imported, with one warning naming the line
expect 0 "$VRAMSIM" import --store t.db "$DATA/logs/llamacpp-minimax-m21-4x3090-breakdown-fit.log"
has out "as trace 4 .*\(14 events\)"
has err "warning: .*llamacpp-minimax-m21-4x3090-breakdown-fit.log: line 10: memory breakdown of CUDA0"
[ "$(grep -c warning err)" = 1 ] || { echo "expected one warning:"; cat err; exit 1; }

# --name names the first load, later loads get #2, #3...
expect 0 "$VRAMSIM" import --store t.db --name ik "$DATA/logs/ikllama-235-deepseek-r1-15x3090.log"
has out "as trace 8 'ik#4' \(7 events\)"
has out "15 GPUs, 4 loads \(ik_llama.cpp\).*2 OOM"

expect 0 "$VRAMSIM" ls --store t.db
has out "ollama-3078-70b-2gpu-buffers.log#2 +llamalog +0 +0 "
has out "ik#2 +llamalog +1 +15 "
[ "$(grep -c llamalog out)" = 8 ] || { echo "expected 8 traces:"; cat out; exit 1; }

expect 0 "$VRAMSIM" show --store t.db ollama-9181-70b-4x22g-64k.log
has out "^trace 1 'ollama-9181-70b-4x22g-64k.log' \(llamalog\)"
has out "device 3: "
has out "estimate ollama gpu allocation: 22323.2 MiB"
has out "estimate ollama all graph.full: 8396.8 MiB"

expect 0 "$VRAMSIM" show --store t.db 2
has out "events: 3"
has out "device 1: "

expect 0 "$VRAMSIM" show --store t.db --json ollama-9181-70b-4x22g-64k.log
has out '^\{"format":"vramsim-show","version":1,'
has out '"source_format":"llamalog"'
has out '\{"engine":"ollama","device":3,"key":"allocation","bytes":23407571763\}'
has out '"devices":\[\{"index":0,'
