# engine_vs_log.sh - real multi-GPU llama.cpp logs meet the engine: each
# bundled log that prints its model (tests/data/logs/SOURCES.md, the two
# ik_llama.cpp-archived mainline runs) is imported, its model synthesised
# from the hyper-parameters it prints, and `plan --recorded` re-plans it
# under the recorded settings. What must hold exactly is asserted:
#  - the synthesised tensor type counts equal the log's `- type` lines;
#  - KV per GPU equals the log to its 0.01 MiB (same cells, types, layers);
#  - weights per GPU equal the log to 0.01 MiB: the shapes follow from the
#    hyper-parameters, and with the type counts equal and the file made by
#    llama.cpp's default quantizer rules every tensor has the log's bytes.
# Compute buffers are printed by `make validate`, not asserted here: the
# no_alloc reservation is an estimate (README "Accuracy").
# Only the GPU sizes are given (the cards' specifications: the logs print
# no totals). The free memory of each `using device CUDAn (...) - N MiB
# free` line and the -ot rules of the command line come from the trace:
# the importer keeps them and `plan --recorded` hands them to the engine
# (with the split by GPU size, the 4090 would hold 22 layers, not 12, and
# without the -ot rules the experts would land on the GPUs). A log cut of
# both says what it could not recover.
. "$TOP/tests/cli/lib.sh"
case "${BUILD:-build}" in /*) B="${BUILD}" ;; *) B="$TOP/${BUILD:-build}" ;; esac
VL="$B/validate_logs"
[ -x "$VL" ] || { echo "engine_vs_log: $VL not built"; exit 1; }
L30="$DATA/logs/llamacpp-ik514-qwen3-30b-a3b-4090-5090.log"
L235="$DATA/logs/llamacpp-ik370-qwen3-235b-q6k-2x3090.log"

# the importer reads both loads, the shell-continued command line included
expect 0 "$VRAMSIM" import --store t.db --name q30 "$L30" -q
expect 0 "$VRAMSIM" import --store t.db --name q235 "$L235" -q
expect 0 "$VRAMSIM" show --store t.db q30
has out 'override_tensor=\.ffn_\.\*_exps\.=CPU'
has out 'gpu_free_mib=9862,31518'
has out 'cmdline=1'
has out 'meta\.n_layer=48'

# the model each log prints, and the synthesiser's tensor types against it
expect 0 "$VL" --spec "$L30"
has out '^model:arch=qwen3moe,layers=48,embd=2048,heads=32,kv_heads=4,head_dim=128,ff=6144,vocab=151936,ctx_train=40960,experts=128,experts_used=8,expert_ff=768,ftype=Q4_K_M$'
S30=$(cat out)
expect 0 "$VL" --spec "$L235"
has out '^model:arch=qwen3moe,layers=94,embd=4096,heads=64,.*,ftype=Q6_K$'
S235=$(cat out)
expect 2 "$VL" --spec "$DATA/logs/ollama-7047-2gpu-kv-per-device.log"
has err 'no model metadata'
# An Ollama load (llama.cpp runner, v0.5.x era; ollama #8922): an excerpt
# without the loader's type counts and print_info's first lines. The
# hyper-parameters come from the loader's GGUF metadata dump (- kv lines),
# the placement from the runner's command line (-ngl 81, split 27,27,27,
# --parallel 4); GPU 0 has no "using device" line in the excerpt.
LO="$DATA/logs/ollama-8922-r1-llama70b-3x3090.log"
expect 0 "$VRAMSIM" import --store t.db --name o70 "$LO" -q
expect 0 "$VRAMSIM" show --store t.db o70
has out 'meta\.n_layer=80'
has out 'meta\.n_head_kv=8'
has out 'tensor_split=27,27,27'
has out 'parallel=4'
has out 'gpu_free_mib=\?,23922,23922'
expect 0 "$VL" --spec "$LO"
has out '^model:arch=llama,layers=80,embd=8192,heads=64,kv_heads=8,head_dim=128,ff=28672,vocab=128256,ctx_train=131072,ftype=Q4_K_M$'
SO=$(cat out)
[ -n "${VRAMSIM_ENGINE:-}" ] || { [ -x "$TOP/build/engine/vramsim-engine" ] && export VRAMSIM_ENGINE="$TOP/build/engine/vramsim-engine"; }
expect 0 "$VL" "$DATA/logs"
has out '^llamacpp-ik370-qwen3-235b-q6k-2x3090\.log$'
has out '^llamacpp-ik514-qwen3-30b-a3b-4090-5090\.log$'
[ "$(grep -c "tensor types: the synthesised counts equal the log's" out)" = 5 ] || { cat out; exit 1; }
has out '^llamacpp-ik357-qwen3-235b-q8-a6000\.log$'
has out '^llamacpp-ik357-qwen3-235b-q6k-3090-ot\.log$'
has out '^           q8_0 +660 +660$'
# every other bundled log is listed with what it lacks (issue 12.8's audit):
# counted from the folder, so a log added there is either re-planned or listed
n_logs=$(ls "$DATA"/logs/*.log | wc -l)
n_planned=$(grep -Ec '^[^ #].*\.log$' out)
has out "^not re-planned \\($((n_logs - n_planned))\\):\$"
[ "$(grep -Ec '^  [^ ]+\.log: lacks ' out)" = $((n_logs - n_planned)) ] || { cat out; exit 1; }
has out '^  ollama-7047-2gpu-kv-per-device\.log: lacks hyper-parameters \(print_info\), tensor type counts, GPU free memory'
has out '^  llamacpp-15860-memory-breakdown-3x4090\.log: lacks hyper-parameters'

has out '^           q4_K +289 +289$'
has out '^           q6_K +49 +49$'
has out '^ollama-8922-r1-llama70b-3x3090\.log$'
has out '^  tensor types: not in the log: the synthesised counts are not checked against it$'

if [ -z "${VRAMSIM_ENGINE:-}" ]; then
	has out 'no engine \(tensor types only\)'
	echo "engine_vs_log: no engine built (ENGINE=none): the plans are not compared"
	exit 0
fi

# Qwen3-30B-A3B Q4_K_M on an RTX 4090 + RTX 5090, experts on the CPU:
# llama.cpp's default split follows free memory (12 + 36 layers)
expect 0 "$VL" --synth "$S30" q30.gguf
expect 0 "$VRAMSIM" plan q30.gguf --recorded q30 --store t.db --gpus 1x24564M,1x32607M
has out '^recorded: trace q30 \(backend cuda ctx 16384 parallel 1 batch 2048 ubatch 512 flash-attn off kv-unified type_k f16 type_v f16 num-gpu 99 -ot \.ffn_\.\*_exps\.=CPU free 9862,31518 MiB\)$'
hasnt out 'not recovered'
has out "^build: the log's llama.cpp b5622, planned by the pinned engine: compute buffers drift"
has out '^CUDA0 +kv +384\.00 +384\.00 +\+0\.00 '
has out '^CUDA1 +kv +1152\.00 +1152\.00 +\+0\.00 '
has out '^CUDA0 +weights +135\.76 +135\.76 +[+-]0\.00 '
has out '^CUDA1 +weights +648\.66 +648\.66 +[+-]0\.00 '

# Qwen3-235B-A22B Q6_K on 2x RTX 3090: experts of layers 0-13 on the GPUs,
# the rest on the CPU; flash attention, q8_0 cache
expect 0 "$VL" --synth "$S235" q235.gguf
expect 0 "$VRAMSIM" plan q235.gguf --recorded q235 --store t.db --gpus 2x24576M
has out 'flash-attn on type_k q8_0 type_v q8_0 num-gpu 99 -ot blk.*=CUDA0 -ot blk.*=CUDA1 -ot blk.*=CPU -ot blk.*=CPU free 23871,23871 MiB)$'
has out '^CUDA0 +kv +816\.00 +816\.00 +\+0\.00 '
has out '^CUDA1 +kv +782\.00 +782\.00 +\+0\.00 '
has out '^CUDA0 +weights +15922\.41 +15922\.41 +[+-]0\.00 '
has out '^CUDA1 +weights +16297\.68 +16297\.68 +[+-]0\.00 '

# The two single-GPU loads of ik_llama.cpp discussion #357 (validate_logs'
# own re-plan: the same engine, settings and -ot the table prints):
# Qwen3-235B Q8_0 on an A6000 with --no-mmap (host weights in a CPU buffer,
# so they compare too), and the Q6_K model with experts 0-4 on one 3090.
expect 0 "$VL" "$DATA/logs"
has out '^  CUDA0     weights      39273\.87     39273\.87 +[+-]0\.00 '
has out '^  CUDA0     kv            6016\.00      6016\.00 +\+0\.00 '
has out '^  host      weights     199081\.86    199081\.86 +[+-]0\.00 '
has out '^  CUDA0     weights      15191\.95     15191\.95 +[+-]0\.00 '
has out '^  CUDA0     kv            1598\.00      1598\.00 +\+0\.00 '
has out '^GPUs: weights equal to 0\.01 MiB on 12 of 12, KV on 11 of 12, compute within 1% or 16 MiB on 7 of 12$'

# A dense llama on two devices: Llama 3.1 70B Q4_0 split by llama.cpp
# b6209 over two RPC workers (31491 MiB free each; the importer numbers
# RPC[host:port] devices in the order of their "using device" lines, and
# records their backend: the engine plans with its RPC rules).
# Weights and KV equal the log on both (41 + 40 layers, the output on the
# second); the synthesiser lacks one f32 tensor (Llama 3.1's rope_freqs).
has out '^  RPC0      weights      18821\.56     18821\.56 +[+-]0\.00 '
has out '^  RPC1      weights      18725\.42     18725\.42 +[+-]0\.00 '
has out '^  RPC0      kv             656\.00       656\.00 +\+0\.00 '
has out '^  RPC1      kv             624\.00       624\.00 +\+0\.00 '
has out "^  tensor types: the quantised counts equal the log's; f32 DIFFERS"
has out '^           f32 +162 +161  differs$'
# Its compute (588.01 MiB on both) is one scheduler copy: the log's
# compute buffers on two GPUs come without "pipeline parallelism enabled"
# (RPC devices of b6209 had no async compute or events; llama.cpp PR
# #18626 gave them both in January 2026, and the pinned engine's RPC row
# has them: 4 copies). The recorded single copy is carried into the plan
# (--no-pipeline), which then equals the log on both devices.
LR="$DATA/logs/llamacpp-rpc-llama31-70b-q4_0-2x.log"
expect 0 "$VRAMSIM" import --store t.db --name l70 "$LR" -q
expect 0 "$VRAMSIM" show --store t.db l70
has out '^  device 1: RPC\[172\.31\.20\.38:50052\]'
has out 'gpu_backend=RPC'
has out 'n_copies=1'
has out 'no "pipeline parallelism enabled" line'
expect 0 "$VL" --spec "$LR"
SL=$(cat out)
expect 0 "$VL" --synth "$SL" l70.gguf
expect 0 "$VRAMSIM" plan l70.gguf --recorded l70 --store t.db --gpus 2x31491M
has out 'backend rpc ctx 4096 .*no-pipeline \(the load ran one scheduler copy where the engine plans 4'
has out 'sched copies 1$'
has out '^RPC0 +compute +588\.01 +588\.01 '
has out '^RPC1 +compute +588\.01 +588\.01 '
# the pinned engine's own RPC plan: pipeline parallelism, 4 copies
expect 0 "$VRAMSIM" plan l70.gguf --gpus 2x31491M --backend rpc --ctx 4096 --flash-attn off
has out 'sched copies 4 \(pipeline parallelism\)'
has out '^RPC1 +40 +18725\.42 +624\.00 +752\.03 '
expect 0 "$VRAMSIM" plan l70.gguf --gpus 2x31491M --backend rpc --ctx 4096 --flash-attn off --no-pipeline
has out '^RPC1 +40 +18725\.42 +624\.00 +588\.01 '
# GPU totals too small for the 4 copies: llama.cpp's fallback without them
expect 0 "$VRAMSIM" plan l70.gguf --gpus 2x20100M --ctx 4096 --flash-attn off
has out 'retries without pipeline parallelism'
has out '^CUDA1 +40 +18725\.42 +624\.00 +588\.01 '
rm -f l70.gguf

# A sliding-window model (Gemma 3 1B Q8_0) logged by llama.cpp build 4879
# on a Vulkan iGPU: the synthesiser's gemma3 types equal the log's; the
# log's KV (208.00 MiB) is the full-size cache of every layer, as builds
# before llama.cpp's SWA cache (PR #13194, May 2025) allocated it: the
# engine plans 54.00 (4 global layers x 8192 cells + 22 sliding ones x
# 1024), and 208.00 to the 0.01 MiB with --swa-full. Weights equal the
# log: the engine plans with Vulkan's rules (no row padding), as recorded.
LG="$DATA/logs/llamacpp-vulkan-gemma3-1b-q8-uhd.log"
expect 0 "$VL" "$DATA/logs"
has out '^           f32 +157 +157$'
has out '^           q8_0 +183 +183$'
has out "^  Vulkan0   kv             208\.00        54\.00 .*the log's is the full-size SWA cache \(--swa-full plans 208\.00\); log build 4879$"
has out '^  Vulkan0   weights       1013\.54      1013\.54 +[+-]0\.00 '
has out '^  recorded: backend vulkan '
expect 0 "$VL" --spec "$LG"
has out '^model:arch=gemma3,layers=26,embd=1152,heads=4,kv_heads=1,head_dim=256,ff=6912,vocab=262144,ctx_train=32768,swa=512,ftype=Q8_0$'
SG=$(cat out)
expect 0 "$VL" --synth "$SG" g3.gguf
expect 0 "$VRAMSIM" import --store t.db --name g3 "$LG" -q
expect 0 "$VRAMSIM" plan g3.gguf --recorded g3 --store t.db --gpus 1x8028M --swa-full
has out '^Vulkan0 +kv +208\.00 +208\.00 +\+0\.00 '
expect 0 "$VRAMSIM" plan g3.gguf --recorded g3 --store t.db --gpus 1x8028M
has out '^Vulkan0 +kv +208\.00 +54\.00 '
# GPUs of two backends in one load: the engine plans one backend's rules
printf '%s\n' 'load_tensors:      Vulkan0 model buffer size =  1013.54 MiB' \
	'load_tensors:        CUDA1 model buffer size =   100.00 MiB' > mixed.log
expect 0 "$VRAMSIM" import --store t.db --name mixed mixed.log -q
expect 0 "$VRAMSIM" plan g3.gguf --recorded mixed --store t.db --gpus 2x8G
has out "^not recovered: .*the log's GPUs are Vulkan\\+CUDA, the engine knows one backend at a time of cuda rocm vulkan rpc metal: planned with CUDA's rules"
has out '^CUDA0 '
rm -f g3.gguf mixed.log

# the same 30B log without its command line and free memory: the plan says
# what it lacks, and shows what that costs (split by GPU size: 22 layers'
# KV on the 4090, and the experts on the GPUs)
sed -e '/llama-cli/,/--prompt/d' -e 's/) - [0-9]* MiB free/)/' "$L30" > q30cut.log
expect 0 "$VRAMSIM" import --store t.db --name q30cut q30cut.log -q
expect 0 "$VRAMSIM" plan q30.gguf --recorded q30cut --store t.db --gpus 1x24564M,1x32607M
has out '^not recovered: no command line in the log: -ot, --cpu-moe and --n-cpu-moe unknown \(planned without\); free memory per GPU not in the log: the split follows the GPUs. sizes$'
hasnt out '^CUDA0 +kv +384\.00 +384\.00 '
# --free and --override-tensor given by hand win over (missing) records
expect 0 "$VRAMSIM" plan q30.gguf --recorded q30cut --store t.db --gpus 1x24564M,1x32607M \
	--free 9862M,31518M --override-tensor '.ffn_.*_exps.=CPU'
has out '^CUDA0 +kv +384\.00 +384\.00 +\+0\.00 '
has out '^CUDA0 +weights +135\.76 +135\.76 +[+-]0\.00 '

# a -v log names every tensor -ot moved ("buffer type overridden to CPU",
# written here as llama.cpp prints it, in place of the command line): the
# rules are rebuilt from those lines and the plan equals the log again
sed -e '/llama-cli/,/--prompt/d' "$L30" | awk '
	{ print }
	/load_tensors: loading model tensors/ {
		for (i = 0; i < 48; i++) {
			printf "tensor blk.%d.ffn_gate_exps.weight (108 MiB q4_K) buffer type overridden to CPU\n", i
			printf "tensor blk.%d.ffn_down_exps.weight (157 MiB q6_K) buffer type overridden to CPU\n", i
			printf "tensor blk.%d.ffn_up_exps.weight (108 MiB q4_K) buffer type overridden to CPU\n", i
		}
	}' > q30v.log
expect 0 "$VRAMSIM" import --store t.db --name q30v q30v.log -q
expect 0 "$VRAMSIM" plan q30.gguf --recorded q30v --store t.db --gpus 1x24564M,1x32607M
has out '-ot \^blk\\\.\(0\|1\|2\|.*\|47\)\\\.ffn_gate_exps\\\.weight\$=CPU '
has out '\(-ot from the log.s overridden tensors: 3 rules\) free 9862,31518 MiB\)$'
hasnt out 'not recovered'
has out '^CUDA0 +kv +384\.00 +384\.00 +\+0\.00 '
has out '^CUDA0 +weights +135\.76 +135\.76 +[+-]0\.00 '
has out '^CUDA1 +weights +648\.66 +648\.66 +[+-]0\.00 '
# The Ollama load on three RTX 3090 (#8922), planned with what the trace
# recorded: weights and KV equal the log on every GPU (27 layers each, the
# output on the last; CUDA0's 13303.875 prints as the log's 13303.88).
# Compute: the log's build kept one KV cache of 8192 cells for its 4
# sequences (its "llama_kv_cache_init" lines: builds before llama.cpp's
# per-sequence streams, PR #14363, July 2025), so each micro-batch's KQ
# spans all of them (8192 x 512 x 64 heads x 4 B = 1024 MiB); the importer
# records that (kv_unified=true) and the plan takes it (kv-unified): within
# 16.01 MiB on CUDA0, +80.01 MiB on the others, 64 MiB of which are the
# pipeline's input copies that no_alloc reserves on every GPU after the
# first (README "Known limits"). Without it (--kv-unified is the engine's
# option, not llama.cpp v0.5.0's default) each sequence would get its own
# 2048-cell stream and compute would be 416-480 MiB.
expect 0 "$VL" "$DATA/logs"
has out '^  GPUs:    \(no device line\) 24064 MiB \(Ollama.s memory\.available\), NVIDIA GeForce RTX 3090 24576 MiB'
has out '^  recorded: backend cuda ctx 8192 parallel 4 batch 2048 ubatch 512 flash-attn off kv-unified type_k f16 type_v f16 num-gpu 81 split 27,27,27$'
has out '^  CUDA0     weights      13303\.88     13303\.88 +-0\.01 '
has out '^  CUDA1     weights      12951\.00     12951\.00 +[+-]0\.00 '
has out '^  CUDA2     weights      13724\.61     13724\.61 +[+-]0\.00 '
has out '^  CUDA0     kv             864\.00       864\.00 +\+0\.00 '
has out '^  CUDA1     kv             864\.00       864\.00 +\+0\.00 '
has out '^  CUDA2     kv             832\.00       832\.00 +\+0\.00 '
has out '^  CUDA0     compute       1216\.01      1232\.02 '
expect 0 "$VRAMSIM" show --store t.db o70
has out 'kv_unified=true'
expect 0 "$VL" --synth "$SO" o70.gguf
expect 0 "$VRAMSIM" plan o70.gguf --recorded o70 --store t.db --gpus 3x24064M
has out 'kv-unified type_k f16'
has out '^CUDA0 +compute +1216\.01 +1232\.02 +\+16\.01 '
has out '^CUDA1 +compute +1216\.01 +1296\.02 +\+80\.01 '
has out '^CUDA2 +compute +1216\.02 +1296\.03 +\+80\.01 '
has out '^CUDA2 +kv +832\.00 +832\.00 +\+0\.00 '
rm -f o70.gguf

rm -f q30.gguf q235.gguf q30cut.log q30v.log
