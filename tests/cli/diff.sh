# diff.sh - `vramsim diff`: a trace against itself (all zeros), a doubled
# context against the recorded one (the KV cache grows by what the log
# shows), two traces on the same GPUs, JSON, bad arguments.
. "$TOP/tests/cli/lib.sh"
S=--store=t.db
expect 0 "$VRAMSIM" import $S --name bd "$DATA/logs/llamacpp-15860-memory-breakdown-3x4090.log"
expect 0 "$VRAMSIM" import $S --name kv "$DATA/logs/ollama-7047-2gpu-kv-per-device.log"

# rows: "GPU category A B B-A"; every difference of a trace with itself is 0
expect 0 "$VRAMSIM" diff $S bd bd
has out "^A: trace 1 'bd' on 3x24080M"
# the logged 13169 + 38 + 548 + 456 (breakdown line of CUDA2), exactly
has out '^  2  peak          14211\.0    14211\.0       \+0\.0$'
rows=$(grep -Ec '^ +[0-9]+  [a-z]+ ' out)
[ "$rows" -ge 9 ] || { echo "only $rows rows"; cat out; exit 1; }
zeros=$(grep -Ec '^ +[0-9]+  [a-z]+ .* \+0\.0$' out)
[ "$rows" = "$zeros" ] || { echo "non-zero differences:"; cat out; exit 1; }
expect 0 "$VRAMSIM" diff $S bd bd --json
python3 - out <<'EOF' || exit 1
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"] == "vramsim-diff" and d["version"] == 1
assert len(d["gpus"]) == 3
for g in d["gpus"]:
    assert g["peak_diff"] == 0 and g["a"]["peak"] == g["b"]["peak"] > 0, g
    assert set(g["diff"].values()) == {0}, g["diff"]
EOF

# twice the context per slot: the KV cache of each GPU doubles (12800 MiB
# more, as the log's buffers), and so does the peak; the weights stay
expect 0 "$VRAMSIM" diff $S kv --gpus 2x48G --meta ctx=32768 --against '--ctx 65536'
has out '^B: .*ctx 65536'
has out '^  0  kv            12800\.0    25600\.0   \+12800\.0$'
has out '^  1  kv            12800\.0    25600\.0   \+12800\.0$'
has out '^  0  peak          13679\.0    26479\.0   \+12800\.0$'
expect 0 "$VRAMSIM" diff $S kv --gpus 2x48G --meta ctx=32768 --against '--ctx 65536' --json
python3 - out <<'EOF' || exit 1
import json, sys
d = json.load(open(sys.argv[1]))
for g in d["gpus"]:
    kv = g["diff"]["kv"]
    assert kv == g["a"]["peak_breakdown"]["kv"] == 12800 << 20, g
    assert g["peak_diff"] == kv and g["diff"]["weights"] == 0, g
    assert g["b"]["peak"] - g["a"]["peak"] == g["peak_diff"]
EOF
# a context that does not fit is said
expect 0 "$VRAMSIM" diff $S kv --gpus 2x24G --meta ctx=32768 --against '--ctx 65536'
has out '^B does not fit: GPU 0 runs out of memory'

# two traces on the same GPUs; without --gpus, A's recorded ones
expect 0 "$VRAMSIM" diff $S bd kv
has out "^B: trace 2 'kv' on 3x24080M"
has out '^  2  peak          14211\.0        0\.0   -14211\.0$'

# bad arguments: exit 2 and a message naming what was wrong
expect 2 "$VRAMSIM" diff $S bd
has err "give two traces"
expect 2 "$VRAMSIM" diff $S bd kv --against '--ctx 8192'
has err "one trace with --against"
expect 2 "$VRAMSIM" diff $S bd --against 'ctx 8192'
has err "unexpected 'ctx'"
expect 2 "$VRAMSIM" diff $S bd --against '--ctx lots'
has err "--ctx 'lots'"
expect 2 "$VRAMSIM" diff $S bd --against ''
expect 2 "$VRAMSIM" diff $S bd nosuch
has err "no trace 'nosuch'"
expect 2 "$VRAMSIM" diff $S kv bd --gpus 2x24G
has err "recorded devices"
