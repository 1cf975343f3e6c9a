# layering.sh - the floors of README "Layering", checked on every include.
#
#   trace/ (0)  <  import/ (1)  <  sim/ (2)  <  plots/ (3)
#
# A file may include headers of its own floor or a lower one, never a higher
# one. Code that runs inside other processes (the recording shim, built from
# trace/shim*; the engine planner, built from sim/engine/) may include only
# its own headers and the shared codecs (vrt*.h, engwire.h). Header names are
# unique across the tree and never shadow a header of the pinned llama.cpp
# (gguf.h, llama.h, ggml*.h, ...), because every folder is on one include
# path. The test also proves it can fail: a planted upward include must be
# caught.
set -u
cd "$TOP" || exit 1

floor() {
	case "$1" in
	trace/*) echo 0 ;; import/*) echo 1 ;; sim/*) echo 2 ;; plots/*) echo 3 ;; *) echo -1 ;;
	esac
}

# resolve FROM NAME: the tracked header NAME as the compiler would find it
# (the including file's folder first, then -Itrace -Iimport -Isim -Iplots).
resolve() {
	case "$2" in */*) [ -f "$2" ] && echo "$2" && return ;; esac
	for d in "$(dirname "$1")" trace import sim plots; do
		[ -f "$d/$2" ] && { echo "$d/$2"; return; }
	done
}

# inproc FILE: is FILE part of code loaded into other processes?
inproc() {
	case "$1" in trace/shim*|sim/engine/*) return 0 ;; esac
	return 1
}

# shared_codec HEADER: dependency-free codecs both sides of a boundary use:
# the native trace format (vrt*.h, shim and importer) and the planner's
# wire protocol (engwire.h, vramsim and the planner process).
shared_codec() {
	case "$(basename "$1")" in vrt*.h|engwire.h) return 0 ;; esac
	return 1
}

check() { # files...: prints one line per violation
	for f in "$@"; do
		ff=$(floor "$f")
		grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
		sed 's/^\([0-9]*\):.*"\(.*\)".*/\1 \2/' |
		while read -r line name; do
			h=$(resolve "$f" "$name")
			[ -n "$h" ] || continue        # generated or third-party header
			hf=$(floor "$h")
			if [ "$hf" -gt "$ff" ]; then
				echo "$f:$line: includes $h, a higher floor ($hf > $ff)"
			fi
			if inproc "$f" && ! inproc "$h" && ! shared_codec "$h"; then
				echo "$f:$line: in-process code includes $h"
			fi
		done
	done
}

files=$(git ls-files 'trace/*.[ch]' 'import/*.[ch]' 'sim/*.[ch]' 'plots/*.[ch]' \
	'trace/**/*.[ch]' 'import/**/*.[ch]' 'sim/**/*.[ch]' 'plots/**/*.[ch]' 'sim/**/*.cpp' | sort -u)
[ -n "$files" ] || { echo "no sources found"; exit 1; }

bad=$(check $files)
if [ -n "$bad" ]; then echo "$bad"; exit 1; fi

# Header names: unique, and none that shadows an engine header.
dups=$(git ls-files 'trace/*.h' 'import/*.h' 'sim/*.h' 'plots/*.h' 'trace/**/*.h' \
	'import/**/*.h' 'sim/**/*.h' 'plots/**/*.h' | xargs -n1 basename | sort | uniq -d)
if [ -n "$dups" ]; then echo "header names used twice: $dups"; exit 1; fi
shadow=$(git ls-files 'trace/*.h' 'import/*.h' 'sim/*.h' 'plots/*.h' 'trace/**/*.h' \
	'import/**/*.h' 'sim/**/*.h' 'plots/**/*.h' | xargs -n1 basename |
	grep -Ex 'gguf\.h|llama(-.*)?\.h|ggml(-.*)?\.h|common\.h|fit\.h|log\.h|sampling\.h|arg\.h|chat\.h' || true)
if [ -n "$shadow" ]; then echo "headers that shadow the engine's: $shadow"; exit 1; fi

# The check itself must catch a violation: plant one in a scratch copy.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/trace" "$tmp/plots"
printf '#include "plot_probe.h"\n' > "$tmp/trace/probe.c"
: > "$tmp/plots/plot_probe.h"
caught=$(cd "$tmp" && check trace/probe.c)
case "$caught" in
*"higher floor"*) ;;
*) echo "the layering check missed a planted upward include: '$caught'"; exit 1 ;;
esac
exit 0
