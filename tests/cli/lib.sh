# lib.sh - helpers for CLI tests: sourced with `. "$TOP/tests/cli/lib.sh"`.
# expect STATUS CMD...: run CMD, keep stdout in ./out and stderr in ./err,
# fail unless it exits with STATUS.
expect() {
	want=$1; shift
	"$@" >out 2>err; got=$?
	if [ "$got" != "$want" ]; then
		echo "expected exit $want, got $got: $*"; echo "--- stdout"; cat out
		echo "--- stderr"; cat err; exit 1
	fi
}
# has FILE PATTERN: fail unless FILE contains the grep -E PATTERN.
has() {
	grep -Eq -- "$2" "$1" || { echo "$1 lacks /$2/:"; cat "$1"; exit 1; }
}
hasnt() {
	! grep -Eq -- "$2" "$1" || { echo "$1 has /$2/:"; cat "$1"; exit 1; }
}
