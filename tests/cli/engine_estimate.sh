# engine_estimate.sh - `replay --engine-estimate`: each era's row, the seed
# case of ollama#9471 (61 GB, 44%/56% as `ollama ps` prints it), JSON, and
# bad engine options.
. "$TOP/tests/cli/lib.sh"
M=name=llama3.3:70b,layers=80,embd=8192,heads=64,kv_heads=8,vocab=128256,ff=28672,size=42.5e9B
E=ollama-0.5:quant=Q4_K_M,ff=28672,free=11.2G
# the seed, as the demo and README run it
expect 0 "$VRAMSIM" replay --model "$M" --gpus 3x12G --ctx 20480 --flash-attn on --num-gpu 38 \
	--split 12,13,13 --engine-estimate "$E"
has out "ollama ps: SIZE 61 GB  PROCESSOR 44%/56% CPU/GPU"
has out "layers.offload 38/81, layers.split 12,13,13"
has out "llama.cpp Q4_K_M tensor types"
has out "token_embd .* not counted"
has out "left free"
# the same at Ollama's defaults needs 8 GPUs with 4.3 GiB free
expect 0 "$VRAMSIM" replay --model "$M" --gpus 8x8G --engine-estimate ollama-0.5:quant=Q4_K_M,ff=28672,free=4.3G
has out "ollama ps: SIZE 61 GB  PROCESSOR 44%/56% CPU/GPU"
has out "layers.split 4,4,4,4,4,4,4,4"
# the reporter's single 48 GB card: it fits
expect 0 "$VRAMSIM" replay --model "$M" --gpus 48G --engine-estimate ollama-0.5:quant=Q4_K_M,ff=28672
has out "PROCESSOR 100% GPU"
# JSON carries the engine's figures in Ollama's units
expect 0 "$VRAMSIM" replay --model "$M" --gpus 3x12G --ctx 20480 --flash-attn on --engine-estimate "$E" --json
has out '"engine_estimate":\{"engine":"ollama-0.5"'
has out '"layers":38,"layers_model":81,"split":\[12,13,13\]'
has out '"size":"61 GB","processor":"44%/56% CPU/GPU","cpu_percent":44,"gpu_percent":56'
has out '"required_full":6[0-9]{10},'
# every era's row runs on the same model
for e in ollama-0.7 ollama-0.7.0 ollama-layout ollama-0.30 llama-fit; do
	expect 0 "$VRAMSIM" replay --model "$M" --gpus 2x24G --ctx 8192 --engine-estimate "$e"
	has out "^$e"
	expect 0 "$VRAMSIM" replay --model "$M" --gpus 2x24G --ctx 8192 --engine-estimate "$e" --json
	has out "\"engine_estimate\":\\{\"engine\":\"$e\""
done
expect 0 "$VRAMSIM" replay --model "$M" --gpus 2x24G --engine-estimate ollama-0.30
has out "PredictServerVRAM = file 42.5[0-9] GB"
# gemma3's sliding window and head_dim are inputs
expect 0 "$VRAMSIM" replay --gpus 1x11.5G,1x4.6G --ctx 24576 \
	--model layers=48,embd=3840,heads=16,kv_heads=8,vocab=262144,size=8G \
	--engine-estimate ollama-0.7:arch=gemma3,head_dim=256,swa=1024
has out "memory.required.* \.kv 2\.0 GiB"
# bad engine options: exit 2, the option named
expect 2 "$VRAMSIM" replay --model "$M" --gpus 2x24G --engine-estimate ollama-0.5:bogus=1
has err "unknown option 'bogus'"
expect 2 "$VRAMSIM" replay --model "$M" --gpus 2x24G --engine-estimate ollama-0.5:quant=IQ2_XS
has err "quant=IQ2_XS: expected Q4_K_M"
expect 2 "$VRAMSIM" replay --model "$M" --gpus 2x24G --engine-estimate ollama-9
has err "expected ollama-0.5"
expect 2 "$VRAMSIM" replay --model "$M" --gpus 2x24G --engine-estimate ollama-0.5:free=lots
has err "lots"
# free memory per GPU, one size each (ollama#8430's 11.5 + 4.6 GiB)
expect 0 "$VRAMSIM" replay --gpus 2x12G --ctx 24576 \
	--model layers=48,embd=3840,heads=16,kv_heads=8,vocab=262144,size=8G \
	--engine-estimate ollama-0.7.0:arch=gemma3,head_dim=256,swa=1024,free=11.5G/4.6G,num_gpu=49
has out "v0.7.0: the spare layer is the largest tensor group"
has out " 11776 "
has out "  4710 "
expect 2 "$VRAMSIM" replay --gpus 2x12G --model "$M" --engine-estimate ollama-0.5:free=1G/2G/3G
has err "free= gives 3 sizes for 2 GPUs"
# a log holding only Ollama's estimate: logged vs emulated, figure by figure
expect 0 "$VRAMSIM" import --store e.db "$DATA/logs/ollama-9181-70b-4x22g-64k.log"
expect 0 "$VRAMSIM" replay --store e.db --gpus 4x24G --engine-estimate ollama-0.5
has out "ollama-0.5 against the estimate this log holds"
has out "layers.split +11,11,11,11 +11,11,11,11 +same"
has out "8 of 8 figures agree"
expect 0 "$VRAMSIM" replay --store e.db --gpus 4x24G --engine-estimate ollama-0.5 --json
has out '"logged_check"|"figures":\[\{"figure":"layers.offload","logged":44,"emulated":44\}'
expect 2 "$VRAMSIM" replay --store e.db --gpus 4x24G --engine-estimate ollama-layout
has err "checked against ollama-0.5, ollama-0.7 or ollama-0.7.0, not ollama-layout"
exit 0
