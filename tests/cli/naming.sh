# naming.sh - one naming rule for repeated imports and several loads: the
# first free name of base, base#2, base#3, ...
. "$TOP/tests/cli/lib.sh"
S=--store=t.db
LOG="$DATA/logs/ollama-7047-2gpu-kv-per-device.log"
b=$(basename "$LOG")
expect 0 "$VRAMSIM" import $S "$LOG"
n1=$("$VRAMSIM" ls $S --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["traces"]))')
expect 0 "$VRAMSIM" import $S "$LOG"
expect 0 "$VRAMSIM" ls $S --json
python3 - "$b" "$n1" <<'PY' || exit 1
import json, sys
base, n1 = sys.argv[1], int(sys.argv[2])
names = [t["name"] for t in json.load(open("out"))["traces"]]
want = [base] + ["%s#%d" % (base, k) for k in range(2, 2 * n1 + 1)]
assert names == want, (names, want)
PY
# a third time with a file of one load: the next free number
cp "$DATA/logs/llamacpp-15860-memory-breakdown-3x4090.log" "$b"
expect 0 "$VRAMSIM" import $S "./$b"
has out "as trace [0-9]+ '$b#$((2 * n1 + 1))'"
exit 0
