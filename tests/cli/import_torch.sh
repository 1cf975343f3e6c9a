#!/bin/sh
# import_torch.sh - `vramsim import` of PyTorch snapshots, Kineto traces and
# Nsight Systems exports: formats detected, counts in the summary; bad
# input exits 2 naming the file (and the offset or table) and leaves the
# store byte for byte as it was.
. "$TOP/tests/cli/lib.sh"

T="$DATA/traces"
expect 0 "$VRAMSIM" import --store t.db "$T/torch_snapshot_modern_cs336_win.pickle"
has out "^imported .*torch_snapshot_modern_cs336_win\.pickle as trace 1 .*\(3887 events\)"
has out "torch snapshot: 216 segments, 5163 trace entries, 1 device\(s\); 227 blocks and 216 segments live before the ring added at t=0, 2 orphan frees"

expect 0 "$VRAMSIM" import -q --store t.db "$T/kineto_trace_resnet50_2021_tbplugin.pt.trace.json.gz"
has out "kineto: 12838 \[memory\] events \(8220 CUDA on 1 device\(s\), 4618 CPU skipped\), frees matched by size"

# label rules: one bad line is an input error naming the line
printf 'weights\tmodel\\.py\n' > rules.txt
expect 0 "$VRAMSIM" import -q --store t.db --label-rules rules.txt --name labelled "$T/torch_snapshot_modern_cs336_win.pickle"
printf 'kv\tx\nlots of words\n' > bad-rules.txt
cp t.db before.db
same() { cmp t.db before.db || { echo "store changed after: $*"; exit 1; }; }
expect 2 "$VRAMSIM" import --store t.db --label-rules bad-rules.txt "$T/torch_snapshot_modern_cs336_win.pickle"
has err "bad-rules\.txt:2: unknown category 'lots'"
same bad rules

# a pickle that would run code
printf '\200\002cos\nsystem\n(S"echo hi"\ntR.' > evil.pickle
expect 2 "$VRAMSIM" import --store t.db evil.pickle
has err "^vramsim: .*evil\.pickle: byte offset 2: pickle opcode GLOBAL \(0x63\) is not allowed"
hasnt out "hi"
same evil pickle

# a snapshot cut in half
head -c 200000 "$T/torch_snapshot_modern_cs336_win.pickle" > cut.pickle
expect 2 "$VRAMSIM" import --store t.db cut.pickle
has err "cut\.pickle: byte offset [0-9]+: .*cut stream"
same cut pickle

# JSON that is not a trace
printf '{"traceEvents": [{"name": "x"}]}' > nomem.json
expect 2 "$VRAMSIM" import --store t.db nomem.json
has err "nomem\.json: no \[memory\] events"
same no memory events

# an SQLite file that is not an nsys export
sqlite3 other.sqlite 'CREATE TABLE foo(a);' 2>/dev/null || cp before.db other.sqlite
expect 2 "$VRAMSIM" import --store t.db --format nsys other.sqlite
has err "other\.sqlite: not an Nsight Systems export: no META_DATA_EXPORT"
same not nsys
