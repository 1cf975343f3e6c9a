# report.sh - `vramsim report`: one self-contained HTML file (no fetch of
# any kind), its table and verdict as replay prints them, the charts drawn,
# the commands that reproduce it; loaded in headless Chromium when it is
# installed: no console message, and the charts are on the screenshot.
. "$TOP/tests/cli/lib.sh"
if ! command -v gnuplot >/dev/null 2>&1; then
	echo "report: skipped: gnuplot is not installed"; exit 0
fi
S=--store=t.db
expect 0 "$VRAMSIM" import -q $S "$DATA/logs/llamacpp-15860-memory-breakdown-3x4090.log"
# the log gives no context (n_ctx), so the what-if scales the compute buffer
expect 0 "$VRAMSIM" report $S --gpus 4x24G --ubatch 1024 -o r.html
[ "$(cat out)" = r.html ] || { echo "stdout:"; cat out; exit 1; }
expect 0 "$VRAMSIM" replay $S --gpus 4x24G --ubatch 1024 --json
mv out r.json
python3 - r.html r.json <<'PY' || exit 1
import json, re, sys
h = open(sys.argv[1], encoding="utf-8").read()
r = json.load(open(sys.argv[2]))
# self-contained: nothing to fetch (SVG namespaces are names, not fetches)
for bad in ("src=", "<link", "@import", "url(http", "<iframe", "<object"):
    assert bad not in h, bad
urls = set(re.findall(r"https?://[^\s\"'<>)]+", h))
assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
assert h.count("<svg") == 2, h.count("<svg")        # breakdown, timeline
# the table is replay's: one row per GPU with its capacity and peak in MiB
t = h[h.index('<table id="gpus">'):h.index("</table>")]
rows = re.findall(r"<tr><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>", t)
assert len(rows) == len(r["gpus"]), rows
for (g, cap, peak), j in zip(rows, r["gpus"]):
    assert int(cap) == round(j["capacity"] / 2**20) and int(peak) == round(j["peak"] / 2**20), (g, cap, peak, j)
v = re.search(r'<p id="verdict" class="(\w+)">(.*?)</p>', h).groups()
k = r["verdict"]["kind"]
assert v[0] == {"does-not-fit": "nofit", "no-basis": "nobasis"}.get(k, k), (v, k)
assert "Margin: %.0f MiB" % (r["verdict"]["headroom"] / 2**20) in v[1], (v, r["verdict"])
assert ("A lower bound" in v[1]) == r["verdict"]["lower_bound"], v
cmds = re.search(r'<pre id="commands">(.*?)</pre>', h, re.S).group(1)
assert "vramsim replay --store=t.db --gpus 4x24G --ubatch 1024\n" in cmds, cmds
assert "vramsim report --store=t.db --gpus 4x24G --ubatch 1024 -o r.html\n" in cmds, cmds
PY
# does not fit: said, with the shortfall
expect 0 "$VRAMSIM" report $S --gpus 3x12G -o small.html
grep -q '<p id="verdict" class="nofit"><b>Does not fit</b>' small.html || { echo "verdict"; exit 1; }
grep -q 'short by [0-9.]* MiB' small.html || { echo "no shortfall"; exit 1; }
# an existing file is kept unless -f
sum=$(cksum <r.html)
expect 2 "$VRAMSIM" report $S --gpus 4x24G -o r.html
has err "r.html: exists; use -f to overwrite"
[ "$(cksum <r.html)" = "$sum" ] || { echo "r.html changed"; exit 1; }
expect 0 "$VRAMSIM" report $S --gpus 4x24G -o r.html -f
ls -A | grep -q '^\.r\.html' && { echo "temporary file left"; ls -A; exit 1; }

# a real browser: no console message, charts drawn
B=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$B" ]; then
	echo "report: browser part skipped: chromium is not installed"; exit 0
fi
timeout 120 "$B" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$PWD/profile" --enable-logging=stderr --v=0 --hide-scrollbars \
	--force-device-scale-factor=0.5 --window-size=1400,1500 \
	--screenshot="$PWD/shot.png" "file://$PWD/r.html" >chrome.out 2>chrome.err ||
	{ echo "chromium failed:"; tail -20 chrome.err; exit 1; }
if grep CONSOLE chrome.err; then
	echo "console messages while loading the report"; exit 1
fi
[ -s shot.png ] || { echo "no screenshot"; exit 1; }
# the weights' blue (#1f77b4) of the breakdown bars, on the screenshot
n=$(python3 "$TOP/tests/cli/png_count.py" shot.png 1f77b4)
[ "$n" -gt 2000 ] || { echo "chart area blank: $n weight-coloured pixels"; exit 1; }
exit 0
