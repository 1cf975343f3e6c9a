# json_schema.sh - every command's JSON output, for bundled traces as
# recorded and under what-ifs, validates against plots/json-schema.
. "$TOP/tests/cli/lib.sh"
D="$TOP/plots/json-schema"
V() { python3 "$TOP/tests/cli/json_schema.py" "$D/$1.schema.json" "$2" || { echo "^ $1: $2"; exit 1; }; }
S=--store=t.db
for f in llamacpp-15860-memory-breakdown-3x4090.log ollama-7047-2gpu-kv-per-device.log \
	 ollama-9181-70b-4x22g-64k.log; do
	expect 0 "$VRAMSIM" import -q $S "$DATA/logs/$f"
done
expect 0 "$VRAMSIM" import -q $S "$DATA/traces/torch_snapshot_v20_block_history_flexgen.pickle"
"$VRAMSIM" ls $S --json >ls.json && V ls ls.json
ids=$(python3 -c 'import json; print(" ".join(str(t["id"]) for t in json.load(open("ls.json"))["traces"]))')
n=0
for id in $ids; do
	"$VRAMSIM" show $S $id --json >show.json && V show show.json
	for W in "--gpus 4x24G" "--gpus 2x24G --ctx 8192" "--gpus 1x8G --on-oom continue"; do
		"$VRAMSIM" replay $S $id $W --json >r.json 2>/dev/null || continue
		V replay r.json
		expect 0 "$VRAMSIM" export $S $id $W --format json -o e.json -f -q
		V export e.json
		expect 0 "$VRAMSIM" export $S $id $W --format perfetto -o p.json -f -q
		V perfetto p.json
		n=$((n + 1))
	done
done
[ $n -ge 8 ] || { echo "only $n scenarios validated"; exit 1; }
M="--gpus 4x24G --model layers=80,embd=8192,heads=64,kv_heads=8,vocab=128256,size=42G"
expect 0 "$VRAMSIM" replay $M --ctx 8192 --json --engine-estimate ollama-0.5
mv out m.json; V replay m.json
expect 0 "$VRAMSIM" fit $M --max-ctx --json
mv out fit.json; V fit fit.json
python3 -c 'import json,sys; json.dump(json.load(open("fit.json"))["replay"], open("fitr.json", "w"))'
V replay fitr.json
# nothing fits: exit 3, and the answer says so in its fields
expect 3 "$VRAMSIM" fit --gpus 1x8G --model layers=80,embd=8192,heads=64,kv_heads=8,vocab=128256,size=42G --max-ctx --json
mv out nofit.json; V fit nofit.json
python3 -c 'import json; a = json.load(open("nofit.json")); assert a["found"] is False, a' || exit 1
# the engine's plan and llama.cpp's own --fit (skipped without the engine)
if "$VRAMSIM" plan "$DATA/gguf/stories260K.gguf" --gpus 2x24G --ctx 512 --json -q >plan.json 2>plan.err; then
	V plan plan.json
	expect 0 "$VRAMSIM" fit --engine-fit "$DATA/gguf/stories260K.gguf" --gpus 2x24G --json -q
	mv out efit.json; V plan efit.json
	python3 -c 'import json; assert "fit" in json.load(open("efit.json"))' || exit 1
else
	grep -q -i "engine" plan.err || { echo "plan failed:"; cat plan.err; exit 1; }
	echo "json_schema: plan skipped: $(head -1 plan.err)"
fi
expect 0 "$VRAMSIM" diff $S 1 --against '--ubatch 1024' --json
mv out d.json; V diff d.json
expect 0 "$VRAMSIM" diff $S 1 2 --gpus 4x24G --json
mv out d2.json; V diff d2.json
# a sweep's emitted command writes replay's JSON
expect 0 "$VRAMSIM" sweep $S 1 --gpus '4x24G;2x24G' --ubatch 512,1024 --emit --out sw
head -1 out >cmd.sh
sh cmd.sh || { echo "emitted command failed:"; cat cmd.sh; exit 1; }
for f in sw/*.json; do V replay "$f"; done
# the validator itself catches a wrong document
echo '{"format":"vramsim-ls","version":1,"traces":[{"id":"x"}]}' >bad.json
python3 "$TOP/tests/cli/json_schema.py" "$D/ls.schema.json" bad.json >v.out && { echo "bad.json passed"; exit 1; }
grep -q "traces\[0\].id: 'x' is not integer" v.out || { cat v.out; exit 1; }
exit 0
