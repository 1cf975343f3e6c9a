# bad_inputs.sh - every hostile case of tests/bad/expected: exit status,
# message, no crash, and a failed command leaves the store and its input
# byte for byte as they were. Then what one command cannot show: SQL-looking
# and gnuplot-escaping names stay data, invalid UTF-8 never reaches JSON.
. "$TOP/tests/cli/lib.sh"

BAD="$TOP/tests/bad"
SEEDS="$TOP/tests/fuzz/seeds"
SQLNAME="x'; DROP TABLE traces; --"
GPNAME='g"; system("touch pwned"); `touch pwned` \'
nl='
'

# The base store every case starts from: one trace.
expect 0 "$VRAMSIM" import -q --store base.db "$DATA/logs/ollama-3078-70b-2gpu-buffers.log"

# Inputs too big or unnamable to commit.
gen_1g_line() {  # a log whose third line is 1 GiB of NULs (sparse: instant)
	printf 'llm_load_tensors: offloading 2 repeating layers to GPU\n' > "$1"
	printf 'llm_load_tensors:      CUDA0 buffer size =  512.00 MiB\n' >> "$1"
	printf 'llama_model_loader: - kv   2: general.name str = ' >> "$1"
	truncate -s 1G "$1" && printf 'x\n' >> "$1"
}
gen_store_dir() { mkdir -p "$1"; }
gen_path_newline() { cp "$DATA/logs/llamacpp-15860-memory-breakdown-3x4090.log" "$1"; }
gen_path_newline_junk() { printf 'junk\n' > "$1"; }

CASE_TIMEOUT=120
TIMEOUT=
command -v timeout >/dev/null 2>&1 && TIMEOUT="timeout $CASE_TIMEOUT"

# Run one case: $1 file field, $2 status field, $3 pattern, $4 args.
n=0; bugs=0
run_case() {
	c_file=$1 c_status=$2 c_pat=$3 c_args=$4
	n=$((n + 1)); what="case $n ($c_file: $c_args)"
	rm -rf case; mkdir case
	cp base.db store.db; cp base.db store.orig
	file=
	case $c_file in
	-) ;;
	gen:*)
		g=${c_file#gen:}
		case $g in path-newline*) file="case/dir with space/a b${nl}c $g.log"; mkdir -p "case/dir with space";;
		*) file="case/$g";; esac
		"gen_$(echo "$g" | tr - _)" "$file" || { echo "$what: cannot generate"; exit 1; }
		;;
	*)
		[ -f "$BAD/$c_file" ] || { echo "$what: no such file tests/bad/$c_file"; exit 1; }
		file="case/$c_file"; cp "$BAD/$c_file" "$file"; cp "$BAD/$c_file" case.orig
		;;
	esac
	# Build the argument list word by word (names may hold spaces).
	set -f; set -- $c_args; set +f
	k=$#
	for a in "$@"; do
		case $a in
		@FILE@) a=$file;;
		@STORE@) a=store.db;;
		@SQLNAME@) a=$SQLNAME;;
		@GPNAME@) a=$GPNAME;;
		@DATA@/*) a="$DATA/${a#@DATA@/}";;
		@SEEDS@/*) a="$SEEDS/${a#@SEEDS@/}";;
		esac
		set -- "$@" "$a"
	done
	shift "$k"
	# A case that runs away (SQL in an input, a quadratic importer) fails
	# after CASE_TIMEOUT seconds instead of hanging the suite.
	(
		[ -z "${SANITIZE:-}" ] && ulimit -v 4194304
		exec $TIMEOUT "$VRAMSIM" "$@"
	) >out 2>err
	got=$?
	want=${c_status#xfail:}
	ok=1; why=
	if [ -n "$TIMEOUT" ] && [ "$got" = 124 ]; then ok=0; why="still running after $CASE_TIMEOUT s"
	elif [ "$got" -ge 128 ]; then ok=0; why="crashed (status $got)"
	elif [ "$got" != "$want" ]; then ok=0; why="exit $got, expected $want"
	elif grep -Eq 'runtime error|Sanitizer|out of memory' err; then ok=0; why="sanitizer or memory report"
	elif ! grep -Eq -- "$c_pat" err; then ok=0; why="stderr lacks /$c_pat/"
	elif [ "$want" != 0 ] && ! cmp -s store.db store.orig; then ok=0; why="the store changed"
	elif [ "$want" != 0 ] && [ -f case.orig ] && ! cmp -s "$file" case.orig; then ok=0; why="the input changed"
	fi
	rm -f case.orig
	case $c_status in
	xfail:*)
		if [ $ok = 1 ]; then
			echo "$what: passes now: drop 'xfail:' from its row in tests/bad/expected"; exit 1
		fi
		bugs=$((bugs + 1)); echo "known bug, $what: $why";;
	*)
		if [ $ok = 0 ]; then
			echo "$what: $why"; echo "--- stderr"; head -c 2000 err; exit 1
		fi;;
	esac
}

tab=$(printf '\t')
while IFS=$tab read -r f st pat args; do
	case $f in ''|'#'*) continue;; esac
	run_case "$f" "$st" "$pat" "$args"
done < "$BAD/expected"
[ "$n" -ge 50 ] || { echo "only $n cases read from tests/bad/expected"; exit 1; }
echo "$n hostile cases, $bugs known bugs"

# SQL-looking names are data: the trace keeps its name, every table stays.
cp base.db s.db
expect 0 "$VRAMSIM" import -q --store s.db --name "$SQLNAME" "$DATA/logs/llamacpp-15860-memory-breakdown-3x4090.log"
expect 0 "$VRAMSIM" ls --store s.db
has out "x'; DROP TABLE traces; --"
expect 0 "$VRAMSIM" show --store s.db "$SQLNAME"
has out "^trace 3 "
expect 0 "$VRAMSIM" import -q --store s.db "$DATA/logs/ollama-9181-70b-4x22g-64k.log"
expect 0 "$VRAMSIM" ls --store s.db
[ "$(grep -c llamalog out)" = 4 ] || { echo "expected 4 traces:"; cat out; exit 1; }

# A name made to break out of a gnuplot string stays a title.
expect 0 "$VRAMSIM" import -q --store s.db --name "$GPNAME$nl\"a\\b" "$DATA/logs/llamacpp-15860-memory-breakdown-3x4090.log"
if command -v gnuplot >/dev/null 2>&1; then
	expect 0 "$VRAMSIM" plot --store s.db --out pics 5
	[ -s pics/timeline.png ] && [ -s pics/breakdown.png ] || { echo "no pictures"; ls pics; exit 1; }
	[ ! -e pwned ] && [ ! -e pics/pwned ] || { echo "a trace name ran a command in gnuplot"; exit 1; }
fi

# Invalid UTF-8 in a name never reaches JSON as it is.
expect 0 "$VRAMSIM" import -q --store s.db --name "$(printf 'u\377\376\300\257')" "$BAD/llamalog-invalid-utf8.log"
expect 0 "$VRAMSIM" export --store s.db 6 --format json -o x.json
# (grep -ax '.*' matches only valid UTF-8 lines in a UTF-8 locale)
! LC_ALL=C.UTF-8 grep -naxv '.*' x.json || { echo "export wrote invalid UTF-8"; exit 1; }

# Inputs that crashed a fuzz target (tests/fuzz/regress/NAME/), through
# the command line too, so `make check-asan` replays them without clang:
# each must end with 0 or 2, no sanitizer report, the store unchanged on 2.
# A file named xfail-* is a crash not fixed yet (reported to the owner):
# it is run and its result printed, but whether it fails depends on the
# build (UBSan or not), so it does not fail this test; drop the prefix
# once fixed.
for d in "$TOP"/tests/fuzz/regress/*/; do
	t=$(basename "$d")
	for f in "$d"*; do
		[ -f "$f" ] || continue
		cp base.db store.db
		case $t in
		llamalog|gguf|torch|kineto|vrt|nsys) set -- import --store store.db --format "$t" "$f";;
		pickle) set -- import --store store.db --format torch "$f";;
		detect) set -- import --store store.db "$f";;
		labels) set -- import --store store.db --label-rules "$f" "$SEEDS/torch/snapshot-p4.pickle";;
		topo) set -- replay --store store.db --gpus "$(cat "$f")";;
		llm) set -- replay --store store.db --gpus 2x24G --model "$(cat "$f")";;
		scenario)  # lines "OPTION VALUE" become --OPTION VALUE
			set -- replay --store store.db
			while read -r o v; do set -- "$@" "--$o" "$v"; done < "$f";;
		*) echo "regress/$t: no command for this target"; exit 1;;
		esac
		(
			[ -z "${SANITIZE:-}" ] && ulimit -v 4194304
			exec "$VRAMSIM" "$@"
		) >out 2>err
		st=$?
		why=
		if [ "$st" != 0 ] && [ "$st" != 2 ]; then why="exit $st"
		elif grep -Eq 'runtime error|Sanitizer' err; then why="sanitizer report"
		elif [ "$st" = 2 ] && ! cmp -s store.db base.db; then why="store changed"
		fi
		case $(basename "$f") in
		xfail-*) echo "known bug, regress/$t/$(basename "$f"): ${why:-passes here}";;
		*) [ -z "$why" ] || { echo "regress/$t/$(basename "$f"): $why"; head -c 2000 err; exit 1; };;
		esac
	done
done
