# merge.sh - per-node stores merged into one trace: processes renumbered
# on clashes, devices kept apart without UUIDs, one transaction.
. "$TOP/tests/cli/lib.sh"
expect 0 "$VRAMSIM" import --store=n0.db "$DATA/logs/ollama-7047-2gpu-kv-per-device.log"
expect 0 "$VRAMSIM" import --store=n1.db "$DATA/logs/llamacpp-15860-memory-breakdown-3x4090.log"
expect 0 "$VRAMSIM" merge --name run out.db n0.db n1.db
has out "into out.db trace 'run'"
has out "devices"
expect 0 "$VRAMSIM" show --store=out.db run
has out "clashing pids renumbered"
# one replay over all GPUs of both nodes; the events add up
expect 0 "$VRAMSIM" replay --store=out.db run --gpus 5x24G --raw --json
has out '"fits":true'
e0=$("$VRAMSIM" ls --store=n0.db --json | tr ',' '\n' | awk -F: '/"events"/ {s+=$2} END {print s}')
e1=$("$VRAMSIM" ls --store=n1.db --json | tr ',' '\n' | awk -F: '/"events"/ {s+=$2} END {print s}')
em=$("$VRAMSIM" ls --store=out.db --json | tr ',' '\n' | awk -F: '/"events"/ {s+=$2} END {print s}')
[ "$em" = $((e0 + e1)) ] || { echo "events: $e0 + $e1 != $em"; exit 1; }
# a bad input leaves OUT as it was
cp out.db before.db
echo junk >junk.db
expect 2 "$VRAMSIM" merge out.db n0.db junk.db
has err "junk.db"
cmp out.db before.db
expect 2 "$VRAMSIM" merge out.db
exit 0
