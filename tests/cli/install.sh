# install.sh - `make install DESTDIR=...` as packagers use it: the staged
# binary finds its gnuplot scripts and its shim relative to itself (not
# only at the compiled-in prefix), completion scripts are installed, and
# a message for a missing file names every place looked in.
. "$TOP/tests/cli/lib.sh"
D="$PWD/stage"
if [ -z "${SANITIZE:-}" ] && [ "$VRAMSIM" = "$TOP/vramsim" ]; then
	# the tree's own install rule; the build is up to date, nothing rebuilds
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$TOP" install DESTDIR="$D" >make.log 2>&1 ||
		{ echo "make install failed:"; cat make.log; exit 1; }
	bin=$(find "$D" -path '*/bin/vramsim' -type f | head -1)
	data=$(dirname "$(find "$D" -name timeline.gp | head -1)")
	[ -f "$(dirname "$(dirname "$bin")")/share/bash-completion/completions/vramsim" ] ||
		{ echo "no bash completion installed"; find "$D"; exit 1; }
	[ -f "$(dirname "$(dirname "$bin")")/share/zsh/vendor-completions/_vramsim" ] ||
		{ echo "no zsh completion installed"; find "$D"; exit 1; }
else
	# a sanitizer build: the same layout by hand (make install would rebuild)
	bin="$D/usr/local/bin/vramsim"; data="$D/usr/local/share/vramsim"
	mkdir -p "$D/usr/local/bin" "$data" "$D/usr/local/lib"
	cp "$VRAMSIM" "$bin"; cp "$TOP"/plots/*.gp "$data/"
	cp "$TOP/trace/libvramtrace.so" "$D/usr/local/lib/" 2>/dev/null || true
fi
[ -x "$bin" ] && [ -f "$data/timeline.gp" ] || { echo "staged tree incomplete"; find "$D"; exit 1; }
# nothing at the compiled-in prefix is needed: run from elsewhere, no env
cd "$D"
unset VRAMSIM_PLOTS_DIR VRAMSIM_SHIM
expect 0 "$bin" import -q --store s.db "$DATA/logs/llamacpp-15860-memory-breakdown-3x4090.log"
if command -v gnuplot >/dev/null 2>&1; then
	expect 0 "$bin" plot --store s.db --out pics -q
	[ -s pics/timeline.png ] || { echo "no timeline drawn"; exit 1; }
fi
if [ -f "$(dirname "$bin")/../lib/libvramtrace.so" ]; then
	"$bin" record -o "$D/r.%p.vrt.zst" --store s.db -- true >out 2>err
	hasnt err "not found"
	has err "nothing recorded"
fi
# moved away from its scripts: the message names each place it looked
mkdir -p lone && cp "$bin" lone/vramsim
if command -v gnuplot >/dev/null 2>&1; then
	expect 1 lone/vramsim plot --store s.db --out pics2 -q
	has err "looked in $D/lone/plots, $D/lone/../plots, $D/lone/../share/vramsim"
fi
expect 2 lone/vramsim record -- true
has err "libvramtrace.so not found; looked in $D/lone/trace/libvramtrace.so, $D/lone/../lib/libvramtrace.so"
exit 0
