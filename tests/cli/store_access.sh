# store_access.sh - a store that cannot be written is still read, and the
# refusal to write says why (the file, or the folder SQLite needs).
. "$TOP/tests/cli/lib.sh"
LOG="$DATA/logs/llamacpp-15860-memory-breakdown-3x4090.log"

# Run a command as a user who cannot write what we made: as root that is
# nobody (setpriv), else ourselves after chmod.
other=
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null 2>&1; then
		other="setpriv --reuid=nobody --regid=nogroup --clear-groups --"
	fi
fi
# nobody must reach the scratch folder, the binary and the data.
work=$(mktemp -d /tmp/vramsim-ro.XXXXXX)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
cp "$VRAMSIM" "$work/vramsim"; cp "$LOG" "$work/in.log"
chmod 755 "$work"; chmod 644 "$work/in.log"
V="$work/vramsim"
can_test=1
if [ "$(id -u)" = 0 ] && { [ -z "$other" ] || ! $other test -x "$V"; }; then
	can_test=0
	echo "skipped: read-only checks need setpriv and a scratch folder nobody can reach"
fi

if [ $can_test = 1 ]; then
	mkdir "$work/a" "$work/b"
	expect 0 "$V" import -q --store "$work/a/s.db" "$work/in.log"
	expect 0 "$V" import -q --store "$work/b/s.db" "$work/in.log"
	# a: the file is read-only; b: the file is writable, its folder is not.
	chmod 444 "$work/a/s.db"; chmod 555 "$work/a"
	chmod 666 "$work/b/s.db"; chmod 555 "$work/b"
	[ -n "$other" ] || { chmod 444 "$work/a/s.db"; }
	for s in a b; do
		for c in "ls" "show" "replay --gpus 4x24G" "export --format csv"; do
			# shellcheck disable=SC2086
			expect 0 $other "$V" $c --store "$work/$s/s.db"
		done
		has out "^[0-9]"
		expect 2 $other "$V" import --store "$work/$s/s.db" "$work/in.log"
		has err "$work/$s/s.db: cannot write the store: "
		has err "commands that only read it .* still work"
	done
	expect 2 $other "$V" import --store "$work/a/s.db" "$work/in.log"
	has err "the file is read-only"
	expect 2 $other "$V" import --store "$work/b/s.db" "$work/in.log"
	has err "its folder $work/b is not writable .* $work/b/s.db-wal"
	chmod 755 "$work/a" "$work/b"
fi

# The busy timeout (a writer waiting for another's lock) is tested by
# test_store (test_store_busy_timeout), which holds the lock itself.
exit 0
