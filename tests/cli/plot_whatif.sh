# plot_whatif.sh - what-if pictures: `plot` with what-if options and
# `replay --out DIR`; each PNG is real and nothing is overwritten without -f.
. "$TOP/tests/cli/lib.sh"
command -v gnuplot >/dev/null 2>&1 || { echo "skipped: no gnuplot"; exit 0; }
S=--store=t.db
expect 0 "$VRAMSIM" import $S --name s70 "$DATA/logs/ollama-3078-70b-2gpu-buffers.log"
expect 0 "$VRAMSIM" plot $S s70 --gpus 2x24G,1x12G --num-gpu 70 --out pics -q
for f in whatif-timeline whatif-breakdown compare; do
	has out "pics/$f.png"
	[ "$(head -c 8 pics/$f.png | od -An -c | tr -d ' ')" = '211PNG\r\n032\n' ] || { echo "$f not a PNG"; exit 1; }
done
expect 2 "$VRAMSIM" plot $S s70 --gpus 2x24G,1x12G --num-gpu 70 --out pics -q
has err "exists; use -f"
# replay --out: the report on stdout stays pure JSON, the pictures on stderr
expect 0 "$VRAMSIM" replay $S s70 --gpus 4x24G --json --out rp -q
has out '^\{"format":"vramsim-replay"'
hasnt out 'png'
has err 'rp/compare.png'
[ -s rp/whatif-timeline.png ] && [ -s rp/whatif-breakdown.png ]
# the user's case drawn from hyper-parameters
expect 0 "$VRAMSIM" plot --gpus 4x24G --out m -q --ctx 4096 \
	--model layers=80,embd=8192,heads=64,kv_heads=8,vocab=128256,size=42G
has out "m/ctx-curve.png"
exit 0
