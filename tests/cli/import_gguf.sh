#!/bin/sh
# import_gguf.sh - `vramsim import` of a GGUF model header: a profile with
# its summary on stdout; bad or cut files exit 2 naming the file and leave
# the store as it was.
. "$TOP/tests/cli/lib.sh"

expect 0 "$VRAMSIM" import --store s.db "$DATA/gguf/stories260K.gguf"
has out "^  profile 1 'llama' from stories260K\.gguf: llama, 5 layers, n_embd 64, 8 heads \(4 KV\), vocab 512, ctx 2048, 1\.1 MiB in 48 tensors; header kept in the store \(14 KiB\)$"
hasnt out "imported .* as trace"
hasnt err "warning"

expect 0 "$VRAMSIM" import --store s.db --format gguf "$DATA/gguf/ggml-vocab-bert-bge.gguf"
has out "profile 2 'bert-bge' from ggml-vocab-bert-bge\.gguf: bert, 12 layers, n_embd 384, 12 heads \(12 KV\), vocab 30522, ctx 512, no tensors"

printf 'GGUX\003\000\000\000\000\000\000\000' > bad.gguf
cp s.db before.db
expect 2 "$VRAMSIM" import --store s.db --format gguf bad.gguf
has err "^vramsim: bad\.gguf: not a GGUF file: it starts with 'GGUX', expected 'GGUF'$"
expect 2 "$VRAMSIM" import --store s.db bad.gguf
has err "bad\.gguf"

head -c 20000 "$DATA/gguf/stories260K.gguf" > cut.gguf
expect 2 "$VRAMSIM" import --store s.db cut.gguf
has err "^vramsim: cut\.gguf: byte [0-9]+: tensor 'token_embd\.weight': .* past the end of the file \(20000 bytes\)"
cmp -s s.db before.db || { echo "a failed import changed the store"; exit 1; }
