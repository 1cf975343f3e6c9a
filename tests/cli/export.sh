# export.sh - `vramsim export`: CSV, JSON and Perfetto of two llama.cpp/Ollama
# logs as recorded and under a what-if; the Perfetto trace parsed back and
# held against `vramsim replay --json`; overwrite refusal; bad arguments.
. "$TOP/tests/cli/lib.sh"
S=--store=t.db
expect 0 "$VRAMSIM" import $S --name bd "$DATA/logs/llamacpp-15860-memory-breakdown-3x4090.log"
expect 0 "$VRAMSIM" import $S --name kv "$DATA/logs/ollama-7047-2gpu-kv-per-device.log"

# csv: a header and one row per stored event, with the running usage of its GPU
n=$("$VRAMSIM" show $S bd | sed -n 's/^ *events: *//p')
[ "$n" -gt 0 ] || { echo "no event count from show: '$n'"; exit 1; }
expect 0 "$VRAMSIM" export $S bd --raw --format csv
has out '^t_ns,pid,seq,kind,gpu,category,size,addr,layer_lo,layer_hi,used_gpu,label$'
[ "$(wc -l <out)" = $((n + 1)) ] || { echo "csv: $(wc -l <out) lines for $n events"; cat out; exit 1; }
has out '^5000,0,4,alloc,0,context,472907776,,,,15354298368,CUDA0 unaccounted \(breakdown\)$'
has out '^8000,0,16,alloc,,kv,59768832,,,,,CPU context \(breakdown\)$'
hasnt err .
expect 0 "$VRAMSIM" export $S bd --raw --format csv --no-header -o -
[ "$(wc -l <out)" = "$n" ] || { echo "--no-header: $(wc -l <out) lines"; exit 1; }

# the GPUs: --gpus, else the recorded ones; 80G where the trace does not say
expect 0 "$VRAMSIM" export $S kv --raw --format csv
has err "2 GPUs of unknown size: assuming 80G"
has out '^9000,0,1,alloc,0,kv,13421772800,,,,13893632000,CUDA0 KV$'
expect 0 "$VRAMSIM" export $S kv --raw --format csv --gpus 2x12G -q
hasnt err .
has out '^9000,0,1,alloc,0,kv,13421772800,,,,471859200,CUDA0 KV$'

# json: the same rows, parsed back
expect 0 "$VRAMSIM" export $S bd --raw --format json -o e.json
python3 - e.json "$n" <<'EOF' || exit 1
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"] == "vramsim-export" and d["version"] == 1, d["format"]
assert d["trace"]["name"] == "bd" and d["topology"]["spec"] == "3x24080M", d["topology"]
ev = d["events"]
assert len(ev) == int(sys.argv[2]) == d["summary"]["events"], len(ev)
assert [e["seq"] for e in ev] == sorted(e["seq"] for e in ev)
host = [e for e in ev if e["gpu"] is None]
assert len(host) == 2 and all(e["used_gpu"] is None for e in host), host
last = {}
for e in ev:
    if e["gpu"] is not None:
        last[e["gpu"]] = e["used_gpu"]
for p in d["summary"]["peaks"]:
    assert last[p["gpu"]] == p["peak"], (last, p)
EOF

# perfetto: per GPU its categories, memory.used and memory.total (the
# capacity) in MiB, sorted, peaking where replay says; host memory beside
cat >check.py <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
r = json.load(open(sys.argv[2]))
host_want = sys.argv[4] if len(sys.argv) > 4 else None
assert p["displayTimeUnit"] == "ns" and p["otherData"]["unit"] == "MiB"
te = p["traceEvents"]
B = lambda v: int(round(v * 1048576))  # MiB with seven decimals: bytes back
names = {e["pid"]: e["args"]["name"] for e in te if e["ph"] == "M" and e["name"] == "process_name"}
n = len(r["gpus"])
assert names[n + 1] == "Host memory (pinned and CPU buffers)", names
for g in r["gpus"]:
    i = g["index"]
    mib = g["capacity"] // (1 << 20)
    assert names[i + 1] == "GPU %d (%d MiB)" % (i, mib), names
    mine = [e for e in te if e["ph"] == "C" and e["pid"] == i + 1]
    c = [e for e in mine if e["name"] == "GPU %d" % i]
    used = [e for e in mine if e["name"] == "GPU %d memory.used" % i]
    cap = [e for e in mine if e["name"] == "GPU %d memory.total" % i]
    assert len(c) + len(used) + len(cap) == len(mine), [e["name"] for e in mine]
    assert c and len(used) == len(c) == len(cap), (len(c), len(used), len(cap))
    assert all(list(e["args"]) == ["[MiB]"] for e in used + cap)
    assert all(B(e["args"]["[MiB]"]) == g["capacity"] for e in cap)
    assert max(B(e["args"]["[MiB]"]) for e in used) == g["peak"], (i, g["peak"])
    assert all(k.endswith(" [MiB]") and v >= 0 for e in c for k, v in e["args"].items())
    # the categories add up to the total, within a byte per series
    for a, u in zip(c, used):
        assert abs(sum(B(v) for v in a["args"].values()) - B(u["args"]["[MiB]"])) <= len(a["args"])
    ts = [e["ts"] for e in c]
    assert ts == sorted(ts), ts
    # a log has no clock: its steps are spread out, not piled within 1 us
    if len(ts) > 1:
        assert ts[-1] - ts[0] >= 1.0, ts
host = [e for e in te if e["ph"] == "C" and e["pid"] == n + 1 and e["name"] == "Host memory.used"]
if host_want is not None:
    top = max([B(e["args"]["[MiB]"]) for e in host] or [0])
    assert top == int(host_want), (top, host_want)
ooms = [e for e in te if e["ph"] == "i"]
assert len(ooms) == int(sys.argv[3]), ooms
assert all(e["name"] == "OOM" and e["s"] == "p" and "size [MiB]" in e["args"] for e in ooms)
EOF
# without options: what replay prints without options (the load as it ran)
expect 0 "$VRAMSIM" replay $S bd --json
mv out r.json
expect 0 "$VRAMSIM" export $S bd --format perfetto -o p.json
# host memory: the log's CPU buffers (the two host rows of the CSV above)
host=$("$VRAMSIM" export $S bd --raw --format csv | awk -F, '$5 == "" && NR > 1 {s += $7} END {print s}')
[ "$host" -gt 0 ] || { echo "no host rows: '$host'"; exit 1; }
python3 check.py p.json r.json 0 "$host" || exit 1
# a what-if: the scenario's events, as replay plays them
W="--gpus 2x48G --meta ctx=32768 --ctx 65536"
expect 0 "$VRAMSIM" replay $S kv $W --json
mv out r2.json
expect 0 "$VRAMSIM" export $S kv $W --format perfetto -o p2.json
python3 check.py p2.json r2.json 0 || exit 1
grep -q '"peak":27765243904' r2.json || { echo "what-if peak"; cat r2.json; exit 1; }
# GPUs too small for the KV cache: each failing allocation is an instant event
expect 0 "$VRAMSIM" replay $S kv --raw --gpus 2x12G --on-oom continue --json
mv out r3.json
expect 0 "$VRAMSIM" export $S kv --raw --gpus 2x12G --on-oom continue --format perfetto -o p3.json
python3 check.py p3.json r3.json 2 || exit 1
# --on-oom spill: what did not fit goes to host memory, and its track says so
expect 0 "$VRAMSIM" replay $S kv --raw --gpus 2x12G --on-oom spill --json
mv out r4.json
host=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["host"]["peak"])' r4.json)
[ "$host" -gt 26843545600 ] || { echo "spill: host peak $host"; exit 1; }
expect 0 "$VRAMSIM" export $S kv --raw --gpus 2x12G --on-oom spill --format perfetto -o p4.json
python3 check.py p4.json r4.json 2 "$host" || exit 1

# an existing file is kept unless -f, and no temporary file is left
sum=$(cksum <p.json)
expect 2 "$VRAMSIM" export $S kv --format csv -o p.json
has err "p.json: exists; use -f to overwrite"
[ "$(cksum <p.json)" = "$sum" ] || { echo "p.json changed"; exit 1; }
expect 0 "$VRAMSIM" export $S kv --format csv -o p.json -f -q
has p.json '^t_ns,'
[ -z "$(ls -A | grep '^\.')" ] || { echo "temporary file left:"; ls -A; exit 1; }

# bad arguments: exit 2, a message naming what was wrong, nothing written
expect 2 "$VRAMSIM" export $S bd --format xml -o x.out
has err "'xml': expected csv, json or perfetto"
[ ! -e x.out ] || { echo "x.out written"; exit 1; }
expect 2 "$VRAMSIM" export $S bd
has err "--format"
expect 2 "$VRAMSIM" export $S nosuch --format csv -o x.out
has err "no trace 'nosuch'"
[ -z "$(ls -A | grep -e '^\.' -e '^x.out$')" ] || { echo "file left:"; ls -A; exit 1; }
expect 2 "$VRAMSIM" export $S bd --format csv -o nodir/x.csv
has err "nodir/x.csv"
expect 2 "$VRAMSIM" export $S bd --format csv --ctx many
expect 2 "$VRAMSIM" export $S bd --format csv extra
has err "unexpected argument 'extra'"
expect 0 "$VRAMSIM" export --help
has out "perfetto"
