# prefixes.sh - one name prefix per module, and it is the file's name.
#
# Every function a header under trace/, import/, sim/ or plots/ declares
# at file scope must start with the header's name ("store.h" -> store_*),
# as tmux names cmd-kill-pane.c's functions cmd_kill_pane_*. A few modules
# use a short form of their name; the table below lists each, so a new
# abbreviation is a visible decision, not an accident. The test also
# proves it can fail: a planted header with a stray name must be caught.
set -u
cd "$TOP" || exit 1

# prefix HEADER: the prefix HEADER's functions must carry.
prefix() {
	b=$(basename "$1" .h)
	case "$b" in
	pickle) echo pkl ;;            # import/pickle.h: the pickle VM
	gnuplot) echo gp ;;            # plots/gnuplot.h: the gnuplot process
	engine) echo eng ;;            # sim/engine.h: the planner client
	scenario) echo scen ;;         # sim/scenario.h: what-if scenarios
	model_src) echo msrc ;;        # import/model_src.h: model specs
	ollama_store) echo ollstore ;; # import/ollama_store.h: Ollama's blobs
	llamalog_int) echo ll ;;       # the log importer's private header
	estimate_int) echo estimate ;; # the estimators' private header
	shim_wrap) echo shim ;;        # the shim wrappers' private header
	*) echo "$b" ;;
	esac
}

# check HEADERS...: one line per function whose name breaks the rule.
check() {
	for h in "$@"; do
		p=$(prefix "$h")
		# file-scope declarations: a line that starts with a type and
		# names a function; continuation lines are indented.
		grep -E '^[a-z][a-zA-Z0-9_ *]*[ *][a-z_][a-z0-9_]*\(' "$h" |
		grep -vE '^(typedef|return|static inline|extern "C")' |
		sed -E 's/^[^(]*[ *]([a-z_][a-z0-9_]*)\(.*/\1/' |
		while read -r f; do
			case "$f" in "$p"|"$p"_*) ;; *) echo "$h: $f does not start with ${p}_" ;; esac
		done
	done
}

hdrs=$(git ls-files 'trace/*.h' 'import/*.h' 'sim/*.h' 'plots/*.h' 'trace/**/*.h' \
	'import/**/*.h' 'sim/**/*.h' 'plots/**/*.h' | sort -u)
[ -n "$hdrs" ] || { echo "no headers found"; exit 1; }
bad=$(check $hdrs)
if [ -n "$bad" ]; then echo "$bad"; exit 1; fi

# The check itself must catch a stray name.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf 'int queue_push(int x);\nvoid simq_pop(void);\n' > "$tmp/queue.h"
caught=$(check "$tmp/queue.h")
case "$caught" in
*"simq_pop does not start with queue_"*) ;;
*) echo "the prefix check missed a planted stray name: '$caught'"; exit 1 ;;
esac
case "$caught" in
*queue_push*) echo "the prefix check flagged a good name: '$caught'"; exit 1 ;;
esac
exit 0
