# import_bad.sh - a failed import exits 2, names the file, and leaves the
# store byte for byte as it was.
. "$TOP/tests/cli/lib.sh"

expect 0 "$VRAMSIM" import -q --store t.db "$DATA/logs/llamacpp-15860-memory-breakdown-3x4090.log"
cp t.db before.db
same() { cmp t.db before.db || { echo "store changed after: $*"; exit 1; }; }

: > empty.log
expect 2 "$VRAMSIM" import --store t.db empty.log
has err "^vramsim: .*empty.log: empty file"
same empty file

printf 'hello\nnothing here\n' > prose.txt
expect 2 "$VRAMSIM" import --store t.db prose.txt
has err "prose.txt: unknown format"
same unknown format

expect 2 "$VRAMSIM" import --store t.db --format nosuch "$DATA/logs/ollama-9181-70b-4x22g-64k.log"
has err "unknown format 'nosuch'"
same --format nosuch

expect 2 "$VRAMSIM" import --store t.db --format llamalog prose.txt
has err "prose.txt: no llama.cpp/Ollama memory lines found"
same no log lines

printf 'llm_load_tensors:      CUDA0 buffer size =  1.00 MiB\nllm_load_tensors:      CUDA1 buffer size =  lots MiB\n' > bad.log
expect 2 "$VRAMSIM" import --store t.db bad.log
has err "bad.log:2: expected a size in MiB after 'buffer size ='"
same bad size

# a cut last line: imported with a warning, an error with --strict
printf 'llm_load_tensors:      CUDA0 buffer size =  1.00 MiB\nllm_load_tensors:      CUDA1 buffer size =  2.' > cut.log
expect 2 "$VRAMSIM" import --store t.db --strict cut.log
has err "cut.log:2: .*truncated"
same --strict cut line
expect 0 "$VRAMSIM" import --store t.db cut.log
has out "\(1 events, truncated\)"
has err "warning: cut.log: line 2: the file ends inside this line"

expect 2 "$VRAMSIM" import --store t.db no-such-file.log
has err "no-such-file.log"
