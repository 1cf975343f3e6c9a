# mmproj.sh - `--mmproj FILE` through the CLI: `plan` shows the projector
# as its own column on GPU 0 (llama.cpp's clip loader, engine plan) in the
# table and the JSON, `--save` keeps it as the projector category of the
# plan's trace, `replay` of a model shows it as the Projector column with
# the text model's columns unchanged; the JSON validates against the plan
# schema; the verdict's band counts the projector's measured error
# (not "unmeasured"); without an engine both commands say they need it. The projector is a header-only Gemma 3 vision GGUF (the
# gemma-3-4b mmproj's shape) written below from the GGUF v3 specification
# (ggml docs/gguf.md) with the key and tensor names of llama.cpp's
# tools/mtmd/clip-impl.h (tag v0.5.0), the types the converter gives them
# (conversion/gemma.py: patch kernel and positions F32, matrices F16); its
# data region is a hole. clip counts 851226048 bytes of weights for it:
# 811.79 MiB, the "model size" llama.cpp printed loading ggml-org's
# gemma-3-4b-it projector (tests/data/logs/llamacpp-22790-*).
. "$TOP/tests/cli/lib.sh"
M="$DATA/gguf/stories260K.gguf"
[ -n "${VRAMSIM_ENGINE:-}" ] || { [ -x "$TOP/build/engine/vramsim-engine" ] && export VRAMSIM_ENGINE="$TOP/build/engine/vramsim-engine"; }

python3 - mmproj.gguf <<'PY' || { echo "mmproj.sh: python3 needed"; exit 1; }
import struct, sys
kv, tensors = [], []
def s(x): b = x.encode(); return struct.pack('<Q', len(b)) + b
def key(k, t, v): kv.append(s(k) + struct.pack('<I', t) + v)
key('general.architecture', 8, s('clip'))
key('clip.has_vision_encoder', 7, b'\1')
key('clip.projector_type', 8, s('gemma3'))
key('clip.use_gelu', 7, b'\1')
for k, v in (('image_size', 896), ('patch_size', 14), ('embedding_length', 1152),
             ('feed_forward_length', 4304), ('block_count', 27), ('projection_dim', 2560),
             ('attention.head_count', 16)):
    key('clip.vision.' + k, 4, struct.pack('<I', v))
key('clip.vision.attention.layer_norm_epsilon', 6, struct.pack('<f', 1e-6))
for k in ('image_mean', 'image_std'):
    key('clip.vision.' + k, 9, struct.pack('<IQ3f', 6, 3, .5, .5, .5))
F32, F16 = 0, 1
def t(name, typ, *ne): tensors.append((name, typ, ne))
t('v.patch_embd.weight', F32, 14, 14, 3, 1152)
t('v.patch_embd.bias', F32, 1152)
t('v.position_embd.weight', F32, 1152, 4096)
for l in range(27):
    for a in ('attn_q', 'attn_k', 'attn_v', 'attn_out'):
        t('v.blk.%d.%s.weight' % (l, a), F16, 1152, 1152)
        t('v.blk.%d.%s.bias' % (l, a), F32, 1152)
    for a in ('ln1', 'ln2'):
        t('v.blk.%d.%s.weight' % (l, a), F32, 1152)
        t('v.blk.%d.%s.bias' % (l, a), F32, 1152)
    t('v.blk.%d.ffn_up.weight' % l, F16, 1152, 4304)
    t('v.blk.%d.ffn_up.bias' % l, F32, 4304)
    t('v.blk.%d.ffn_down.weight' % l, F16, 4304, 1152)
    t('v.blk.%d.ffn_down.bias' % l, F32, 1152)
for n in ('v.post_ln.weight', 'v.post_ln.bias', 'mm.soft_emb_norm.weight'):
    t(n, F32, 1152)
t('mm.input_projection.weight', F16, 2560, 1152)
head = b'GGUF' + struct.pack('<IQQ', 3, len(tensors), len(kv)) + b''.join(kv)
off = 0
for name, typ, ne in tensors:
    head += s(name) + struct.pack('<I', len(ne)) + b''.join(struct.pack('<Q', n) for n in ne)
    head += struct.pack('<IQ', typ, off)
    n = 1
    for d in ne: n *= d
    off = (off + n * (4 if typ == F32 else 2) + 31) // 32 * 32
data = (len(head) + 31) // 32 * 32
with open(sys.argv[1], 'wb') as f:
    f.write(head)
    f.truncate(data + off)
PY

if [ -z "${VRAMSIM_ENGINE:-}" ]; then
	expect 1 "$VRAMSIM" plan "$M" --gpus 2x24G --mmproj mmproj.gguf
	has err 'plan needs the llama\.cpp engine'
	expect 2 "$VRAMSIM" replay "$M" --gpus 2x24G --mmproj mmproj.gguf
	has err '--mmproj needs the llama\.cpp engine plan, and there is none'
	echo "mmproj: no engine built (ENGINE=none): only its absence tested"
	exit 0
fi
VRAMSIM_ENGINE=/nonexistent/vramsim-engine expect 2 "$VRAMSIM" replay "$M" --gpus 2x24G --mmproj mmproj.gguf
has err '--mmproj needs the llama\.cpp engine plan, and there is none'

# plan: its own column, on GPU 0 only; the text model's columns as without it
expect 0 "$VRAMSIM" plan "$M" --gpus 2x24G --ctx 512
grep -E '^CUDA[01] ' out | awk '{print $1, $3, $4, $5}' > bare
expect 0 "$VRAMSIM" plan "$M" --gpus 2x24G --ctx 512 --mmproj mmproj.gguf
has out '^device +layers +weights +KV +compute +output +mmproj +total'
grep -E '^CUDA[01] ' out | awk '{print $1, $3, $4, $5}' > with
cmp -s bare with || { echo "the projector moved the text model's buffers"; diff bare with; exit 1; }
has out '^CUDA0( +[0-9.]+){5} +(9[0-9]{2}|1[0-9]{3})\.[0-9]{2} '
has out '^CUDA1( +[0-9.]+){5} +0\.00 '
has out '^mmproj:  mmproj\.gguf, engine plan by llama\.cpp.s clip loader .*on CUDA0 \(the first GPU'
expect 0 "$VRAMSIM" plan "$M" --gpus 2x24G --ctx 512 --mmproj mmproj.gguf --json -q
has out '"projector":\{"file":"mmproj\.gguf","device":0,"weights":[0-9]+,"weights_counted":851226048,'
python3 "$TOP/tests/cli/json_schema.py" "$TOP/plots/json-schema/plan.schema.json" out || exit 1
# --main-gpu does not move it (llama-server hands clip the first device)
expect 0 "$VRAMSIM" plan "$M" --gpus 2x24G --ctx 512 --mmproj mmproj.gguf --split-mode none --main-gpu 1 --json -q
has out '"projector":\{"file":"mmproj\.gguf","device":0,'

# kept in the store: the projector category of the plan's trace
expect 0 "$VRAMSIM" plan "$M" --gpus 2x24G --ctx 512 --mmproj mmproj.gguf --save mm --store t.db -q
expect 0 "$VRAMSIM" export --store t.db mm --format csv
has out ',projector,[0-9]+,.*,CUDA0 projector \(mmproj\) weights$'
has out ',projector,[0-9]+,.*,CUDA0 projector \(mmproj\) compute buffer$'
# a what-if on the kept plan re-plans the kept projector too (its path is
# kept absolute), from another directory
mkdir -p elsewhere
(cd elsewhere && expect 0 "$VRAMSIM" replay --store ../t.db mm --ubatch 256) || exit 1
has elsewhere/out 'projector planned by clip on CUDA0'
has elsewhere/out '^  0 ( +[0-9.%]+){8} +(9[0-9]{2}|1[0-9]{3}) '
has elsewhere/out 'kept model'

# replay of the model: the Projector column on GPU 0
expect 0 "$VRAMSIM" replay "$M" --gpus 2x24G --ctx 512 --mmproj mmproj.gguf
has out 'projector planned by clip on CUDA0'
has out 'Projector'
has out '^  0 ( +[0-9.%]+){8} +(9[0-9]{2}|1[0-9]{3}) '
has out '^  1 ( +[0-9.%]+){8} +0 '
# the projector's error is measured (sim/model_error_engine.h): in the band,
# not named unmeasured
has out '^band: sim/model_error_engine\.h'
hasnt out 'unmeasured for projector'
