# usage.sh - --help, --version, the man page, command prefixes, usage errors.
. "$TOP/tests/cli/lib.sh"
expect 0 "$VRAMSIM" --help
has out "^usage: vramsim"
has out "replay"
expect 0 "$VRAMSIM" --version
has out "^vramsim [0-9]+\.[0-9]+\.[0-9]+$"
expect 2 "$VRAMSIM"
has err "usage"
for c in import ls show replay fit plot; do
	expect 0 "$VRAMSIM" $c --help
	has out "usage: vramsim $c"
	expect 0 "$VRAMSIM" help $c
	has out "usage: vramsim $c"
done
# the man page carries every command's help text
expect 0 "$VRAMSIM" --man
has out '^\.TH VRAMSIM 1'
has out '^\.SS replay'
has out 'flash\\-attn'
# unambiguous prefixes work; unknown and ambiguous ones are usage errors
expect 0 "$VRAMSIM" repl --help
has out "usage: vramsim replay"
expect 2 "$VRAMSIM" frobnicate
has err "unknown command 'frobnicate'"
expect 2 "$VRAMSIM" replay --bogus-option
has err "try 'vramsim replay --help'"
# -V is --version
expect 0 "$VRAMSIM" -V
has out "^vramsim [0-9]+\.[0-9]+\.[0-9]+$"
# did you mean: commands and options
expect 2 "$VRAMSIM" rep
has err "ambiguous command 'rep': replay, report"
expect 2 "$VRAMSIM" rplay
has err "unknown command 'rplay'; did you mean 'replay'\?"
expect 2 "$VRAMSIM" replay --flash-atn on
has err "unknown option '--flash-atn'; did you mean '--flash-attn'\?"
expect 2 "$VRAMSIM" fit --s x
has err "option '--s' is ambiguous: --store, --split"
# one line per getopt error (then the hint), not getopt's line and ours
expect 2 "$VRAMSIM" replay --bogus-option
[ "$(wc -l <err)" = 2 ] || { echo "expected 2 lines:"; cat err; exit 1; }
expect 2 "$VRAMSIM" replay --gpus
has err "option '--gpus' needs a value"
[ "$(wc -l <err)" = 2 ] || { echo "expected 2 lines:"; cat err; exit 1; }
expect 2 "$VRAMSIM" ls --json=1
has err "option '--json' takes no value"
expect 2 "$VRAMSIM" export -x
has err "unknown option '-x'"
# a usage error comes before the store is opened (there is none here)
expect 2 "$VRAMSIM" fit --gpus 4x24G
has err "say what to find"
# --help is generated from the option table: every command lists -q, -h
for c in record import ls show replay fit sweep merge plot export diff; do
	expect 0 "$VRAMSIM" $c --help
	has out "^  -q, --quiet"
	has out "^  -h, --help"
done
expect 0 "$VRAMSIM" plot --help
has out "^what-if options:"
has out "^  --kv-type T"
exit 0
