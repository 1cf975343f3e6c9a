# stats.py - summarise one recorded trace for tests/gpu/run.sh:
#   python3 stats.py STORE TRACE_NAME
# prints "events N allocs N vmm N oom N snapshots N peak_live BYTES
# peak_physical BYTES max_snapshot_used BYTES" for device 0. peak_live is
# the most bytes of linear/async/managed allocations alive at once;
# peak_physical adds VMM handles alive (created, and not yet both released
# and unmapped). Schema: README "The store".
import os
import subprocess
import sys

# Events are stored packed: build/gpu_rows (tests/gpu/rows.c) lists them.
ROWS = os.environ.get("VRAMSIM_GPU_ROWS", "build/gpu_rows")
p = subprocess.run([ROWS, sys.argv[1], sys.argv[2]], capture_output=True, text=True)
if p.returncode != 0:
    print("events 0 allocs 0 vmm 0 oom 0 snapshots 0 peak_live 0 peak_physical 0 "
          "max_snapshot_used 0")
    sys.exit(0)
K = dict(alloc=1, free=2, create=3, release=4, map=5, unmap=6, oom=10, snapshot=11)
rows = [tuple(int(x) for x in l.split()[:6]) for l in p.stdout.splitlines()]
live = {}
handles = {}   # handle -> [size, released, maps]
mapped = {}    # va -> handle
lin = phys = peak_lin = peak_phys = 0
n = dict(events=len(rows), allocs=0, vmm=0, oom=0, snapshots=0)
max_snap = 0


def vmm_bytes():
    return sum(h[0] for h in handles.values())


for kind, dev, cat, size, addr, aux in rows:
    if kind == K["snapshot"]:
        n["snapshots"] += 1
        if dev == 0:
            max_snap = max(max_snap, size)
        continue
    if dev != 0:
        continue
    if kind == K["alloc"] and cat != 10:
        n["allocs"] += 1
        live[addr] = size
        lin += size
    elif kind == K["free"] and addr in live:
        lin -= live.pop(addr)
    elif kind == K["create"]:
        n["vmm"] += 1
        handles[addr] = [size, False, 0]
    elif kind == K["map"] and aux in handles:
        handles[aux][2] += 1
        mapped[addr] = aux
    elif kind == K["release"] and addr in handles:
        handles[addr][1] = True
        if handles[addr][2] == 0:
            del handles[addr]
    elif kind == K["unmap"] and addr in mapped:
        h = mapped.pop(addr)
        if h in handles:
            handles[h][2] -= 1
            if handles[h][1] and handles[h][2] == 0:
                del handles[h]
    elif kind == K["oom"]:
        n["oom"] += 1
    peak_lin = max(peak_lin, lin)
    peak_phys = max(peak_phys, lin + vmm_bytes())
print("events %d allocs %d vmm %d oom %d snapshots %d peak_live %d peak_physical %d "
      "max_snapshot_used %d" % (n["events"], n["allocs"], n["vmm"], n["oom"],
                                n["snapshots"], peak_lin, peak_phys, max_snap))
