# completion.sh - bash and zsh completion generated from the command table:
# the scripts parse, and bash completes commands, options and their values.
. "$TOP/tests/cli/lib.sh"
expect 0 "$VRAMSIM" completion bash
cp out vramsim.bash
bash -n vramsim.bash || { echo "bash script does not parse"; exit 1; }
# complete WORDS...: run the completion function on the words (the last is
# the one being completed) and print COMPREPLY one per line
complete_words() {
	bash -c '. ./vramsim.bash; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		_vramsim; for w in "${COMPREPLY[@]}"; do printf "%s\n" "$w"; done' vramsim "$@"
}
complete_words vramsim rep >c; grep -qx replay c || { echo "no 'replay' for 'rep':"; cat c; exit 1; }
complete_words vramsim replay --al >c
grep -qx -- --alloc c && grep -qx -- --alloc-conf c || { echo "no --alloc*:"; cat c; exit 1; }
complete_words vramsim replay --alloc "" >c
[ "$(sort c | tr '\n' ' ')" = "cuda exact torch " ] || { echo "--alloc values:"; cat c; exit 1; }
complete_words vramsim export --format p >c; grep -qx perfetto c || { cat c; exit 1; }
# options of one command only: ls takes no what-if option
complete_words vramsim ls --g >c; [ ! -s c ] || { echo "ls completes:"; cat c; exit 1; }
# every option --help lists is completed (the same table drives both)
for cmd in record import ls show replay fit sweep merge plot export diff; do
	"$VRAMSIM" $cmd --help | grep -oE '^  (-[a-zA-Z], )?--[a-z-]+' | sed 's/.*--/--/' | sort -u >h
	complete_words vramsim $cmd -- | sort -u >c
	missing=$(comm -23 h c)
	[ -z "$missing" ] || { echo "$cmd: --help lists but completion lacks: $missing"; exit 1; }
done
expect 0 "$VRAMSIM" completion zsh
has out '^#compdef vramsim'
has out "'--flash-attn\[flash attention\]:on\|off:\(on off\)'"
if command -v zsh >/dev/null 2>&1; then
	cp out _vramsim
	zsh -n _vramsim || { echo "zsh script does not parse"; exit 1; }
fi
expect 2 "$VRAMSIM" completion fish
has err "unknown shell 'fish'"
exit 0
