# consistency.sh - a picture or an export never contradicts the table:
# for every bundled trace of every kind (llama.cpp/Ollama logs, PyTorch
# snapshots, Kineto traces, a shim recording, an Nsight Systems export),
# as recorded and under what-ifs, the peaks and capacities `plot` sends
# to gnuplot and `export` writes are the ones `replay --json` prints for
# the same options; and a what-if replay refuses, export refuses too.
. "$TOP/tests/cli/lib.sh"
S=--store=t.db
n=0
for f in "$DATA"/logs/*.log "$DATA"/traces/*.pickle "$DATA"/traces/*.json.gz; do
	expect 0 "$VRAMSIM" import -q $S --name "t$n" "$f"
	n=$((n + 1))
done
# a recording by the shim over the fake CUDA driver (two GPUs, 1 and 2 GiB)
record_fake $S --name rec -- prog_threads 2 20
# an Nsight Systems export: two GPUs, device memory and a pinned buffer
nsys_export run.sqlite
expect 0 "$VRAMSIM" import -q $S --name nsys run.sqlite

# every kind is here
"$VRAMSIM" ls $S --json >ls.json
python3 - ls.json <<'PY' || exit 1
import json, sys
kinds = {t["format"] for t in json.load(open(sys.argv[1]))["traces"]}
want = {"llamalog", "torch", "kineto", "vrt", "nsys"}
assert want <= kinds, ("trace kinds missing", want - kinds)
PY

have_gnuplot=0
command -v gnuplot >/dev/null 2>&1 && have_gnuplot=1
# gnuplot as seen by vramsim: what it is sent is kept in gp.dump
[ $have_gnuplot = 1 ] && gp_dump_on "$PWD/gp.dump"
checked=0 refused=0 plotted_n=0 seen=""
traces=$(trace_ids ls.json)
for id in $traces; do
	fmt=$(python3 -c 'import json,sys; print([t["format"] for t in json.load(open(sys.argv[1]))["traces"] if t["id"] == int(sys.argv[2])][0])' ls.json "$id")
	for W in "" "--gpus 4x24G" "--ctx 32768" "--gpus 2x24G --ctx 8192" "--gpus 3x16G --on-oom continue"; do
		"$VRAMSIM" replay $S $id $W --json >r.json 2>r.err
		rc=$?
		if [ $rc != 0 ]; then
			rm -f e.json
			if grep -q "does not record every GPU's size" r.err; then
				# no table to contradict: export assumes 80G and says so,
				# or refuses the what-if for a reason replay did not reach
				"$VRAMSIM" export $S $id $W --format json -o e.json >out 2>err
				erc=$?
				if [ $erc = 0 ]; then
					has err "of unknown size: assuming 80G"
				else
					[ $erc = $rc ] && [ ! -e e.json ] || { echo "$id $W: export exit $erc, replay $rc"; cat err; exit 1; }
				fi
			else
				# a refused what-if is refused by export alike, nothing written
				expect $rc "$VRAMSIM" export $S $id $W --format json -o e.json
				[ ! -e e.json ] || { echo "$id $W: export wrote e.json where replay refused"; exit 1; }
				[ "$(cat err)" = "$(cat r.err)" ] || { echo "$id $W: replay and export refuse differently:"; cat r.err err; exit 1; }
			fi
			refused=$((refused + 1))
			continue
		fi
		expect 0 "$VRAMSIM" export $S $id $W --format json -o e.json -f -q
		expect 0 "$VRAMSIM" export $S $id $W --format perfetto -o p.json -f -q
		plotted=none
		# pictures (gnuplot is the slow part of this test): as recorded for
		# every trace, each what-if for the first trace of each kind that
		# replays under it
		key="$fmt:$(echo "$W" | tr ' ' _)"
		first=0
		case " $seen " in *" $key "*) ;; *) first=1 ;; esac
		if [ $have_gnuplot = 1 ] && { [ -z "$W" ] || [ $first = 1 ]; }; then
			seen="$seen $key"
			rm -f gp.dump
			if python3 -c 'import json,sys; sys.exit((json.load(open("r.json")).get("verdict") or {}).get("source") != "engine estimate")'; then
				# a trace of estimates: nothing allocated, nothing drawn
				expect 2 "$VRAMSIM" plot $S $id $W --out pics -f -q
				has err "holds only Ollama's estimate, no allocation to draw"
			else
				expect 0 "$VRAMSIM" plot $S $id $W --out pics -f -q
				plotted=gp.dump
				plotted_n=$((plotted_n + 1))
			fi
		fi
		python3 - r.json e.json p.json "$plotted" "$id ($fmt) $W" <<'PY' || exit 1
import json, re, sys
r = json.load(open(sys.argv[1]))
e = json.load(open(sys.argv[2]))
p = json.load(open(sys.argv[3]))
what = sys.argv[5]
if (r.get("verdict") or {}).get("source") == "engine estimate":
    sys.exit(0)  # a trace of estimates: nothing was replayed, nothing to draw or export
peaks = [g["peak"] for g in r["gpus"]]
caps = [g["capacity"] for g in r["gpus"]]
assert [x["peak"] for x in e["summary"]["peaks"]] == peaks, (what, "export json", e["summary"]["peaks"], peaks)
assert [g["capacity"] for g in e["topology"]["gpus"]] == caps, (what, "export topology")
assert e["summary"]["stopped"] == (r["oom"] is not None and "stop" in r["scenario"] or e["summary"]["stopped"]), what
te = p["traceEvents"]
B = lambda v: int(round(v * 1048576))  # MiB with seven decimals: bytes back
for i, peak in enumerate(peaks):
    used = [B(x["args"]["[MiB]"]) for x in te if x["ph"] == "C" and x["name"] == "GPU %d memory.used" % i]
    cap = {B(x["args"]["[MiB]"]) for x in te if x["ph"] == "C" and x["name"] == "GPU %d memory.total" % i}
    assert max(used or [0]) == peak, (what, "perfetto GPU", i, max(used or [0]), peak)
    assert cap <= {caps[i]}, (what, "perfetto capacity", i, cap, caps[i])
# host memory: the export's host track peaks where replay's host line does
host = [B(x["args"]["[MiB]"]) for x in te if x["ph"] == "C" and x["name"] == "Host memory.used"]
if "host" in r and r["host"] is not None and "peak" in r["host"]:
    assert max(host or [0]) == r["host"]["peak"], (what, "perfetto host", max(host or [0]), r["host"])
if sys.argv[4] != "none":
    dump = open(sys.argv[4]).read()
    # the timeline is the first picture drawn: its panels, capacities, peaks
    tl = dump.split("load plotdir")[0]
    np_ = int(re.search(r"^NP = (\d+)$", tl, re.M).group(1))
    assert np_ == min(len(peaks), 16), (what, "panels", np_, len(peaks))
    for k in range(np_):
        cap = int(re.search(r"^cap\[%d\] = (\d+)$" % (k + 1), tl, re.M).group(1))
        pk = int(re.search(r"^peak\[%d\] = (\d+)$" % (k + 1), tl, re.M).group(1))
        assert cap == caps[k], (what, "plotted capacity", k, cap, caps[k])
        assert pk == peaks[k], (what, "plotted peak", k, pk, peaks[k])
    # the breakdown: one capacity mark per GPU at its capacity
    bd = dump.split("load plotdir")[1]
    marks = [int(x) for x in re.findall(r"^capy\[\d+\] = (\d+)$", bd, re.M)]
    assert marks == [c for c in caps if c], (what, "breakdown capacities", marks, caps)
PY
		checked=$((checked + 1))
	done
done
[ $checked -ge 60 ] || { echo "only $checked scenarios compared"; exit 1; }
echo "consistency: $checked scenarios compared ($plotted_n plotted), $refused what-ifs refused alike"
exit 0
