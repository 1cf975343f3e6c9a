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
