#!/bin/sh
# run.sh - CLI golden tests. Each tests/cli/NAME.sh is run from a scratch
# directory with $VRAMSIM (the binary) and $DATA (tests/data) set; it
# passes when it exits 0. Prints "cli: N passed, M failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
VRAMSIM="${VRAMSIM:-$top/vramsim}"; DATA="$top/tests/data"; TOP="$top"
export VRAMSIM DATA TOP
p=0; f=0
for t in "$top"/tests/cli/*.sh; do
	[ "$(basename "$t")" = run.sh ] && continue
	[ "$(basename "$t")" = lib.sh ] && continue
	d=$(mktemp -d)
	if (cd "$d" && sh "$t") >"$d.log" 2>&1; then
		p=$((p + 1)); echo "cli: $(basename "$t" .sh) ... passed"
	else
		f=$((f + 1)); echo "cli: $(basename "$t" .sh) ... FAILED"; sed 's/^/    /' "$d.log"
	fi
	rm -rf "$d" "$d.log"
done
echo "cli: $p passed, $f failed"
[ "$f" = 0 ]
