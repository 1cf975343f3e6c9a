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
expect 0 "$VRAMSIM" rep --help
has out "usage: vramsim replay"
expect 2 "$VRAMSIM" frobnicate
has err "unknown command 'frobnicate'"
expect 2 "$VRAMSIM" replay --bogus-option
has err "try 'vramsim replay --help'"
exit 0
