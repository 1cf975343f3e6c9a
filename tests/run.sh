#!/bin/sh
# run.sh - run each CUnit test program given as an argument, then the CLI
# tests (tests/cli/*.sh), and print one closing line "N passed, N failed"
# over all of them. Exits non-zero when anything failed.
set -u
cd "$(dirname "$0")/.." || exit 2
passed=0; failed=0; bad=""
for t in "$@"; do
	out=$("$t" 2>&1); st=$?
	printf '%s\n' "$out"
	# CUnit's summary row: "tests  <total> <ran> <passed> <failed> <inactive>"
	row=$(printf '%s\n' "$out" | awk '$1=="tests" && NF>=5 {print $3, $4, $5}' | tail -n 1)
	if [ -n "$row" ]; then
		p=$(echo "$row" | awk '{print $2}'); f=$(echo "$row" | awk '{print $3}')
		passed=$((passed + p)); failed=$((failed + f))
	fi
	if [ $st -ne 0 ]; then
		bad="$bad $(basename "$t")"
		[ -z "$row" ] && failed=$((failed + 1))
	fi
done
cli_p=0; cli_f=0
if [ -d tests/cli ]; then
	out=$(sh tests/cli/run.sh 2>&1); st=$?
	printf '%s\n' "$out"
	cli_p=$(printf '%s\n' "$out" | awk '/^cli: [0-9]+ passed/ {print $2}' | tail -n 1)
	cli_f=$(printf '%s\n' "$out" | awk '/^cli: [0-9]+ passed/ {print $4}' | tail -n 1)
	passed=$((passed + ${cli_p:-0})); failed=$((failed + ${cli_f:-0}))
	[ $st -ne 0 ] && bad="$bad cli" && [ "${cli_f:-0}" = 0 ] && failed=$((failed + 1))
fi
echo
[ -n "$bad" ] && echo "failing:$bad"
echo "$passed passed, $failed failed"
[ -z "$bad" ] && [ "$failed" = 0 ]
