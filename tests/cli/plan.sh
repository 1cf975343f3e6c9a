# plan.sh - `vramsim plan` and `vramsim fit --engine-fit` through the CLI:
# the table and its JSON agree, the plan kept in the store replays as
# planned (CUDA context charged as its own category), bad input exits 2
# quoting the engine, and without an engine the command says so (exit 1).
. "$TOP/tests/cli/lib.sh"
M="$DATA/gguf/stories260K.gguf"
[ -n "${VRAMSIM_ENGINE:-}" ] || { [ -x "$TOP/build/engine/vramsim-engine" ] && export VRAMSIM_ENGINE="$TOP/build/engine/vramsim-engine"; }
if [ -z "${VRAMSIM_ENGINE:-}" ]; then
	expect 1 "$VRAMSIM" plan "$M" --gpus 2x24G
	has err 'no llama.cpp engine planner'
	echo "plan: no engine built (ENGINE=none): only its absence tested"
	exit 0
fi

expect 0 "$VRAMSIM" plan "$M" --gpus 2x24G --ctx 512
has out '^source:  engine plan, llama.cpp v0\.5\.0'
has out '^CUDA0 +3 +0\.52 +0\.19 '
has out '^CUDA1 +3 +0\.47 +0\.12 '
has out 'sched copies 4 \(pipeline parallelism\)'
expect 0 "$VRAMSIM" plan "$M" --gpus 2x24G --ctx 512 --json -q
has out '"gpus":\[\{"name":"CUDA0","layers":3,"weights":545280,"kv":196608,'
has out '"source":"engine plan"'

# a model spec is resolved before planning (import/model_src.h): the same
# numbers as replay's engine row, the spec shown as the model, no file left
S8=model:arch=llama,layers=8,embd=512,heads=8,kv_heads=2,vocab=1000,ff=1536,ftype=Q4_K_M
mkdir tmp
expect 0 env TMPDIR="$PWD/tmp" "$VRAMSIM" plan "$S8" --gpus 2x24G --ctx 512 --json -q
has out "\"model\":\"$S8\""
[ -z "$(ls -A tmp 2>/dev/null)" ] || { echo "plan left files in TMPDIR:"; ls -A tmp; exit 1; }
expect 2 "$VRAMSIM" plan model:bogus=1 --gpus 2x24G
has err "unknown key 'bogus'"

# kept in the store, replayed as planned on the same and on tiny GPUs
expect 0 "$VRAMSIM" plan "$M" --gpus 2x24G --ctx 512 --save st260 --store t.db -q
expect 0 "$VRAMSIM" replay --store t.db st260 --gpus 2x24G
has out 'an engine plan by llama\.cpp, replayed as planned'
has out '^  0 +24576 .* 450 '
expect 0 "$VRAMSIM" export --store t.db st260 --format csv
has out '^0,0,1,alloc,0,weights,545280,.*,0,2,.*,CUDA0 model buffer$'
has out ',kv,196608,.*CUDA0 KV buffer$'
expect 0 "$VRAMSIM" replay --store t.db st260 --gpus 2x400M --reserve 398M
has out 'DOES NOT FIT'

# llama.cpp's --fit
expect 0 "$VRAMSIM" fit --engine-fit "$M" --gpus 2x24G -q
has out '^fit:     llama-server --fit on would choose: -ngl all -c 2048'

# refusals quote the engine and exit 2; the store is untouched
expect 2 "$VRAMSIM" plan "$M" --gpus 1x24G --kv-type q8_0 --flash-attn off
has err 'quantized V cache requires flash_attn to be enabled'
head -c 64 "$M" > trunc.gguf
expect 2 "$VRAMSIM" plan trunc.gguf --gpus 1x24G --save bad --store t.db
has err 'trunc\.gguf'
expect 0 "$VRAMSIM" ls --store t.db
hasnt out 'bad'
expect 2 "$VRAMSIM" plan "$M" --gpus 17x24G
has err 'at most 16 devices'
expect 2 "$VRAMSIM" plan "$M" --gpus 2x24G --split-mode row
has err 'row'
expect 2 "$VRAMSIM" plan "$M" --gpus 2x24G --mmproj x.gguf
has err 'the projector x\.gguf: No such file'
expect 2 "$VRAMSIM" plan "$M"
has err 'gpus is required'
expect 1 "$VRAMSIM" plan "$M" --gpus 1x24G --engine-lib "$PWD"
has err 'engine refused --engine-lib'

# a recorded load meets the engine: the plan kept above, re-planned under
# its recorded settings, differs by nothing; another model is flagged
expect 0 "$VRAMSIM" plan "$M" --gpus 2x24G --ctx 1024 --parallel 2 --flash-attn on --save st2 --store t.db -q
expect 0 "$VRAMSIM" plan "$M" --recorded st2 --store t.db -q
has out '^recorded: trace st2 \(backend cuda ctx 1024 parallel 2 batch 1024 ubatch 512 flash-attn on type_k f16 type_v f16\)$'
has out '^CUDA1 +compute .* \+0\.00 +\+0\.0%$'
hasnt out '^CUDA[01] .* [+-][0-9]*\.[0-9]*[1-9] '
expect 2 "$VRAMSIM" plan "$M" --recorded nosuch --store t.db
has err "no trace 'nosuch'"

# a real log's measured CUDA context (451/456 MiB) is carried into the kept
# plan, so its replay charges the measurement instead of the 450M default
expect 0 "$VRAMSIM" import --store t.db --name bd "$DATA/logs/llamacpp-15860-memory-breakdown-3x4090.log" -q
expect 0 "$VRAMSIM" plan "$M" --recorded bd --store t.db --save carried -q
has out '^CUDA0 +context +451\.00 +- +\(not a ggml buffer: measured runtime overhead\)$'
expect 0 "$VRAMSIM" replay --store t.db carried
has out '^  0 +24080 .* 451 +[0-9]+$'
has out '^  1 +24080 .* 456 +[0-9]+$'

# a what-if on a kept plan is re-planned by the engine from the kept model
# and settings (ctx, flash attention, batch kept, ubatch changed): its
# buffers equal those of planning the changed settings directly
expect 0 "$VRAMSIM" plan "$M" --gpus 2x24G --ctx 1024 --flash-attn on --save kept --store t.db -q
expect 0 "$VRAMSIM" plan "$M" --gpus 2x24G --ctx 1024 --flash-attn on --ubatch 256 --save direct --store t.db -q
expect 0 "$VRAMSIM" export --store t.db kept --ubatch 256 --format csv
has err 'its what-if re-planned by llama\.cpp from the kept model \(/.*stories260K\.gguf\) and settings'
awk -F, '$6 ~ /^(weights|kv|compute|output)$/ {print $5, $6, $7}' out > whatif.txt
expect 0 "$VRAMSIM" export --store t.db direct --format csv
awk -F, '$6 ~ /^(weights|kv|compute|output)$/ {print $5, $6, $7}' out > direct.txt
[ "$(wc -l < direct.txt)" -ge 8 ] && cmp whatif.txt direct.txt || { echo "kept plan's what-if differs from the direct plan:"; diff whatif.txt direct.txt; exit 1; }
# the kept backend and --no-pipeline are kept too (the re-plan differs
# from llama-server's defaults: CUDA, pipeline parallelism)
expect 0 "$VRAMSIM" plan "$M" --gpus 2x24G --ctx 1024 --backend vulkan --no-pipeline --save keptvk --store t.db -q
expect 0 "$VRAMSIM" plan "$M" --gpus 2x24G --ctx 1024 --backend vulkan --no-pipeline --ubatch 256 --save directvk --store t.db -q
expect 0 "$VRAMSIM" export --store t.db keptvk --ubatch 256 --format csv
awk -F, '$6 ~ /^(weights|kv|compute|output)$/ {print $5, $6, $7}' out > whatifvk.txt
expect 0 "$VRAMSIM" export --store t.db directvk --format csv
awk -F, '$6 ~ /^(weights|kv|compute|output)$/ {print $5, $6, $7}' out > directvk.txt
cmp whatifvk.txt directvk.txt || { echo "kept vulkan plan's what-if differs:"; diff whatifvk.txt directvk.txt; exit 1; }
expect 0 "$VRAMSIM" plan "$M" --gpus 2x24G --ctx 1024 --ubatch 256 --save directcu --store t.db -q
expect 0 "$VRAMSIM" export --store t.db directcu --format csv
awk -F, '$6 ~ /^(weights|kv|compute|output)$/ {print $5, $6, $7}' out > directcu.txt
! cmp -s whatifvk.txt directcu.txt || { echo "the kept backend and --no-pipeline had no effect"; exit 1; }
expect 0 "$VRAMSIM" show --store t.db keptvk
has out 'gpu_backend=vulkan'
has out 'plan\.no_pipeline=1'
has out 'plan\.sched_copies=1'
expect 0 "$VRAMSIM" replay --store t.db kept --ubatch 256
has out '^scenario: engine plan \(llama\.cpp .*\): ctx 1024 \(1 slot x 1024\), batch 1024, ubatch 256,'
# an option only the engine answers works on a kept plan too (KV to the host)
expect 0 "$VRAMSIM" export --store t.db kept --no-kv-offload --format csv
has out '^[0-9]+,0,0,alloc,,kv,655360,'
hasnt out ',alloc,[01],kv,'
# the kept model gone: the formula model answers, saying why
cp "$M" gone.gguf
expect 0 "$VRAMSIM" plan gone.gguf --gpus 2x24G --ctx 1024 --save gone --store t.db -q
rm gone.gguf
expect 0 "$VRAMSIM" replay --store t.db gone --ubatch 256
has out 'its what-if by the formula model: its model /.*gone\.gguf cannot be re-planned by llama\.cpp here \(.*No such file'

# a recorded load that ran llama.cpp's --fit (its lines in the log, the
# free memory of its `using device` line): plan --recorded runs llama.cpp's
# fit again on that free memory, from the default context it reduced, and
# chooses what `fit --engine-fit` chooses for the same GPU
S='model:arch=llama,layers=8,embd=1024,heads=16,kv_heads=4,ff=4096,vocab=32000,ctx_train=262144,ftype=Q8_0'
printf '%s\n' 'build: 7000 (abcdef12) with cc (Debian 12.2.0-14) 12.2.0 for x86_64-linux-gnu' \
	'llama_model_load_from_file_impl: using device CUDA0 (NVIDIA GeForce RTX 3050) - 2000 MiB free' \
	'llama_params_fit_impl: context size reduced from 262144 to 40960 -> need 1600 MiB less memory in total' \
	'llama_params_fit: successfully fit params to free device memory' \
	'llama_context: n_ctx         = 40960' \
	'load_tensors:        CUDA0 model buffer size =   156.52 MiB' > fit.log
expect 0 "$VRAMSIM" import --store t.db --name fitlog fit.log -q
expect 0 "$VRAMSIM" plan "$S" --recorded fitlog --store t.db --gpus 1x4G
has out 'fit on free 2000 MiB \(--fit re-run on the recorded free memory: fits, -ngl all -c [0-9]+, 0 overrides\)\)$'
has out "^build: the log's llama.cpp b7000, planned by the pinned engine"
C1=$(sed -n 's/.*--fit re-run on the recorded free memory: fits, -ngl all -c \([0-9]*\),.*/\1/p' out)
grep -q "^context: $C1 tokens" out || { echo "the plan is not of the context --fit chose ($C1)"; cat out; exit 1; }
expect 0 "$VRAMSIM" fit --engine-fit "$S" --gpus 1x4G --free 2000M
has out "would choose: -ngl all -c $C1\$"
[ "$C1" -lt 262144 ] || { echo "--fit did not reduce the context"; exit 1; }
# --fit off on the command line: planned as recorded, no fit
printf '%s\n' './llama-server -m m.gguf --fit off -c 40960' > fitoff.log
cat fit.log >> fitoff.log
expect 0 "$VRAMSIM" import --store t.db --name fitoff fitoff.log -q
expect 0 "$VRAMSIM" plan "$S" --recorded fitoff --store t.db --gpus 1x4G
hasnt out 'fit on'
has out '^context: 40960 tokens'
rm -f fit.log fitoff.log

# --no-pipeline that changes nothing says so: one GPU takes no pipeline
# parallelism anyway; on two it is what makes the single copy
expect 0 "$VRAMSIM" plan "$M" --gpus 1x24G --ctx 512 --no-pipeline
has out '^engine: --no-pipeline had no effect: llama.cpp takes no pipeline parallelism here anyway'
expect 0 "$VRAMSIM" plan "$M" --gpus 2x24G --ctx 512 --no-pipeline
has out 'sched copies 1$'
hasnt out 'had no effect'
expect 0 "$VRAMSIM" plan "$M" --gpus 1x24G --ctx 512 --no-pipeline --json -q
has out '"notes":\[.*"--no-pipeline had no effect'
