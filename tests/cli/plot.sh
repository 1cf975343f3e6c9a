# plot.sh - `vramsim plot`: a log trace drawn as two PNGs, overwrite
# refusal, hostile directory names, a missing gnuplot.
. "$TOP/tests/cli/lib.sh"

if ! command -v gnuplot >/dev/null 2>&1; then
	echo "plot: skipped: gnuplot is not installed (apt-get install gnuplot-nox)"
	exit 0
fi

# png_wh FILE: "WIDTHxHEIGHT" from the IHDR chunk, "none" if no PNG.
png_wh() {
	sig=$(od -An -tx1 -N8 "$1" 2>/dev/null | tr -d ' \n')
	[ "$sig" = 89504e470d0a1a0a ] || { echo none; return; }
	od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%dx%d\n", \
		$1 * 16777216 + $2 * 65536 + $3 * 256 + $4, $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }'
}

expect 0 "$VRAMSIM" import --store t.db "$DATA/logs/llamacpp-15860-memory-breakdown-3x4090.log"

# the GPUs come from the recorded devices, and the user is told so
expect 0 "$VRAMSIM" plot --store t.db --out pics
[ "$(cat out)" = "pics/timeline.png
pics/breakdown.png" ] || { echo "unexpected stdout:"; cat out; exit 1; }
has err "GPUs 3x24080M, from the recorded devices"
[ "$(png_wh pics/timeline.png)" = 1280x764 ] || { echo "timeline: $(png_wh pics/timeline.png)"; exit 1; }
[ "$(png_wh pics/breakdown.png)" = 1000x720 ] || { echo "breakdown: $(png_wh pics/breakdown.png)"; exit 1; }
ls pics | grep -q tmp && { echo "temporary file left:"; ls pics; exit 1; }

# existing pictures are kept unless -f
sum=$(cksum < pics/breakdown.png)
expect 2 "$VRAMSIM" plot --store t.db --out pics
has err "pics/timeline.png: exists; use -f to overwrite"
[ "$(cksum < pics/breakdown.png)" = "$sum" ] || { echo "breakdown.png changed"; exit 1; }
rm pics/timeline.png
expect 2 "$VRAMSIM" plot --store t.db --out pics
has err "pics/breakdown.png: exists; use -f to overwrite"
[ ! -e pics/timeline.png ] || { echo "timeline.png drawn despite the refusal"; exit 1; }
expect 0 "$VRAMSIM" plot --store t.db --out pics -f -q
[ ! -s err ] || { echo "-q printed:"; cat err; exit 1; }

# smaller GPUs: the weights no longer fit, the OOMs are drawn
expect 0 "$VRAMSIM" plot --store t.db 1 --gpus 3x12G --out small
has out "small/timeline.png"
[ "$(png_wh small/breakdown.png)" = 1000x720 ] || { echo "breakdown: $(png_wh small/breakdown.png)"; exit 1; }
hasnt err "from the recorded devices"

# a directory name that would run commands if it reached a shell or gnuplot unquoted
d="it's \`touch y\` \$(touch x) \"; system('touch z'); \""
expect 0 "$VRAMSIM" plot --store t.db --out "$d"
[ "$(png_wh "$d/timeline.png")" = 1280x764 ] || { echo "no timeline in '$d'"; exit 1; }
for f in x y z "$d/x" "$d/y" "$d/z"; do
	[ ! -e "$f" ] || { echo "$f was created: a name ran as a command"; exit 1; }
done

# long names and scenarios wrap in the header, never cut: every character
# of the trace name reaches gnuplot, on lines that fit the picture
long=qwen3-coder-480b-a35b-instruct-ud-q4_k_xl-from-a-long-benchmark-run-on-cluster-node-17-with-four-rtx-3090-cards-and-a-name-that-goes-on
expect 0 "$VRAMSIM" import -q --store t.db --name "$long" "$DATA/logs/llamacpp-minimax-m21-4x3090-breakdown-fit.log"
(gp_dump_on "$PWD/gp.dump"
 expect 0 "$VRAMSIM" plot --store t.db "$long" --gpus 4x16G --ctx 65536 --out wrap -q) || exit 1
python3 - gp.dump "$long" <<'PY' || exit 1
import re, sys
dump, name = open(sys.argv[1]).read(), sys.argv[2]
pics = dump.split("load plotdir")[:-1]
assert len(pics) >= 3, len(pics)  # timeline, breakdown, compare (, context curve)
for pic in pics:
    w = int(re.search(r"^W = (\d+)$", pic, re.M).group(1))
    sl = re.findall(r"^sl_str\[\d+\] = '(.*)'$", pic, re.M)
    tl = re.findall(r"^tl_str\[\d+\] = '(.*)'$", pic, re.M)
    assert len(sl) == int(re.search(r"^NSL = (\d+)$", pic, re.M).group(1)) >= 3, sl
    assert tl and "\u2026" not in "".join(sl + tl), (tl, sl)
    assert all(len(l) <= w // 7 for l in sl), [len(l) for l in sl]
    assert name in "".join(sl).replace("trace:", ""), sl
    assert any(l.startswith("scenario: ") for l in sl), sl
    assert int(re.search(r"^hdr_px = (\d+)", pic, re.M).group(1)) > 64
    # a what-if is not labelled as the recorded run
    assert "scenario: as recorded" not in " ".join(sl), sl
PY
[ "$(wc -l <out)" -ge 3 ] || { echo "pictures:"; cat out; exit 1; }
for f in $(cat out); do
	f=$(basename "$f" .png)
	[ "$(png_wh wrap/$f.png)" != none ] || { echo "no wrap/$f.png"; ls wrap; exit 1; }
done
# the recorded run (no what-if) is labelled so once
rm -f gp.dump
(gp_dump_on "$PWD/gp.dump"
 expect 0 "$VRAMSIM" plot --store t.db "$long" --gpus 4x16G --out asrec -q) || exit 1
grep -q "^sl_str\[[0-9]*\] = 'scenario: as recorded: " gp.dump || { echo "no 'as recorded' scenario line"; grep sl_str gp.dump; exit 1; }
! grep -q "as recorded: as recorded" gp.dump || { echo "'as recorded' twice"; grep sl_str gp.dump; exit 1; }

# no gnuplot: a clear message, exit 1, nothing written
VRAMSIM_GNUPLOT=/nonexistent/gnuplot expect 1 "$VRAMSIM" plot --store t.db --out none
has err "gnuplot not found: install gnuplot-nox"
[ -z "$(ls none 2>/dev/null)" ] || { echo "files left:"; ls none; exit 1; }

# usage errors
expect 2 "$VRAMSIM" plot --store t.db nosuchtrace --out e
[ ! -e e ] || { echo "--out made before the trace was found"; exit 1; }
expect 2 "$VRAMSIM" plot --store t.db --gpus 4x --out e
has err "4x"
expect 2 "$VRAMSIM" plot --store t.db 1 2
has err "unexpected argument '2'"
expect 0 "$VRAMSIM" plot --help
has out "usage: vramsim plot"
