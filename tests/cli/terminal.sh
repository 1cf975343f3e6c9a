# terminal.sh - names from input never reach the terminal raw (control
# characters escaped in ls, show, replay and messages), ls aligns long
# names, and sizes need a unit.
. "$TOP/tests/cli/lib.sh"
S=--store=t.db
LOG="$DATA/logs/llamacpp-15860-memory-breakdown-3x4090.log"
esc=$(printf '\033')
evil=$(printf 'red\033[31m\nx\rsecond\tline\302\233')
expect 0 "$VRAMSIM" import $S --name "$evil" "$LOG"
expect 0 "$VRAMSIM" import $S --name "a-rather-long-trace-name-of-fifty-characters-123456" "$LOG"
expect 0 "$VRAMSIM" import $S --name short "$LOG"
for cmd in "ls $S" "show $S 1" "replay $S 1"; do
	expect 0 "$VRAMSIM" $cmd
	if grep -q "$esc" out err || [ "$(tr -cd '\r' <out | wc -c)" != 0 ]; then
		echo "raw control characters from '$cmd':"; od -c out | head; exit 1
	fi
done
expect 0 "$VRAMSIM" ls $S
has out 'red\\x1b\[31m\\nx\\x0dsecond\\tline\\u009b'
# one line per trace, every column starting where its header does
[ "$(wc -l <out)" = 4 ] || { echo "ls lines:"; cat out; exit 1; }
col=$(head -1 out | awk '{ print index($0, "FORMAT") }')
tail -n +2 out | while IFS= read -r line; do
	[ "$(printf '%s\n' "$line" | cut -c"$col"-"$((col + 7))")" = "llamalog" ] ||
		{ echo "FORMAT not at column $col: $line"; cat out; exit 1; }
done || exit 1
# messages quote names escaped too
expect 2 "$VRAMSIM" replay $S "$(printf 'no\033[2Jsuch')"
has err 'no\\x1b\[2Jsuch'
grep -q "$esc" err && { echo "raw ESC in the message"; exit 1; }
# sizes need a unit, and the message says which one was meant
expect 2 "$VRAMSIM" replay $S --gpus 4x24
has err "--gpus '4x24': a size needs a unit: did you mean '4x24G'\\?"
expect 2 "$VRAMSIM" replay $S --gpus 2x24G,1x12
has err "did you mean '2x24G,1x12G'\\?"
expect 2 "$VRAMSIM" replay $S --reserve 450
has err "'450': a size needs a unit, e.g. 450M or 450G"
expect 0 "$VRAMSIM" replay $S 1 --gpus 4x24576M --reserve 0
exit 0
