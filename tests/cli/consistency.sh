# consistency.sh - a picture or an export never contradicts the table:
# for every bundled trace, as recorded and under what-ifs, the peaks and
# capacities `plot` sends to gnuplot and `export` writes are the ones
# `replay --json` prints for the same options.
. "$TOP/tests/cli/lib.sh"
S=--store=t.db
n=0
for f in "$DATA"/logs/*.log "$DATA"/traces/*.pickle "$DATA"/traces/*.json.gz; do
	expect 0 "$VRAMSIM" import -q $S --name "t$n" "$f"
	n=$((n + 1))
done
have_gnuplot=0
command -v gnuplot >/dev/null 2>&1 && have_gnuplot=1
# gnuplot as seen by vramsim: what it is sent is kept in gp.dump
cat >gp.sh <<'SH'
[ "$1" = --version ] && exec gnuplot --version
tee -a "$GP_DUMP" | gnuplot
SH
export GP_DUMP="$PWD/gp.dump"
checked=0
traces=$("$VRAMSIM" ls $S --json | python3 -c 'import json,sys; print(" ".join(str(t["id"]) for t in json.load(sys.stdin)["traces"]))')
for id in $traces; do
	for W in "" "--gpus 4x24G" "--gpus 2x24G --ctx 8192" "--gpus 3x16G --on-oom continue"; do
		"$VRAMSIM" replay $S $id $W --json >r.json 2>err || continue
		expect 0 "$VRAMSIM" export $S $id $W --format json -o e.json -f -q
		expect 0 "$VRAMSIM" export $S $id $W --format perfetto -o p.json -f -q
		plotted=none
		# pictures: as recorded for every trace, the what-if path for a few
		# (gnuplot is the slow part of this test)
		if [ $have_gnuplot = 1 ] && { [ "$W" = "" ] || { [ "$W" = "--gpus 4x24G" ] && [ "$id" -le 3 ]; }; }; then
			rm -f gp.dump
			VRAMSIM_GNUPLOT="sh $PWD/gp.sh" expect 0 "$VRAMSIM" plot $S $id $W --out pics -f -q
			plotted=gp.dump
		fi
		python3 - r.json e.json p.json "$plotted" "$id $W" <<'PY' || exit 1
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
for i, peak in enumerate(peaks):
    c = [x for x in te if x["ph"] == "C" and x["pid"] == i + 1 and x["name"] == "GPU %d (bytes)" % i]
    top = max([sum(v for k, v in x["args"].items()) for x in c] or [0])
    assert top == peak, (what, "perfetto GPU", i, top, peak)
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
[ $checked -ge 20 ] || { echo "only $checked scenarios compared"; exit 1; }
echo "consistency: $checked scenarios compared"
exit 0
