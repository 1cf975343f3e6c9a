#!/usr/bin/env python3
# mkseeds.py - writes the small seed inputs under tests/fuzz/seeds/ (run
# once by hand when a format gains a feature worth seeding; the outputs
# are committed, so `make fuzz` needs no Python). Formats from the specs
# cited in the importers: GGUF (ggml docs/gguf.md), Python pickle
# (Lib/pickletools.py; plain dicts/lists as torch snapshots hold them),
# Kineto Chrome trace JSON ([memory] instant events), Nsight Systems
# SQLite export tables (as tests/test_nsys.c builds them).
import gzip, json, os, pickle, struct, sys

top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")


def out(sub, name, data):
    d = os.path.join(top, sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


# ---- GGUF ----
U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 = range(13)


def gguf(version=3, be=False, align=32):
    e = ">" if be else "<"
    wide = version >= 2
    def n(v):  # counts and lengths
        return struct.pack(e + ("Q" if wide else "I"), v)
    def s(t):
        b = t.encode()
        return n(len(b)) + b
    def val(t, v):
        if t == STR:
            return s(v)
        if t == ARR:
            et, items = v
            return struct.pack(e + "I", et) + n(len(items)) + b"".join(val(et, x) for x in items)
        fmt = {U8: "B", I8: "b", U16: "H", I16: "h", U32: "I", I32: "i", F32: "f",
               BOOL: "?", U64: "Q", I64: "q", F64: "d"}[t]
        return struct.pack(e + fmt, v)
    kv = [("general.architecture", STR, "llama"), ("general.name", STR, "seed"),
          ("general.alignment", U32, align),
          ("llama.block_count", U32, 2), ("llama.embedding_length", U32, 32),
          ("llama.attention.head_count", U32, 4),
          ("llama.attention.head_count_kv", ARR, (U32, [2, 2])),
          ("llama.context_length", U64, 4096), ("llama.feed_forward_length", I32, 64),
          ("llama.expert_count", U16, 2), ("llama.rope.freq_base", F32, 10000.0),
          ("tokenizer.ggml.tokens", ARR, (STR, ["<s>", "</s>", "a", "b"])),
          ("tokenizer.ggml.scores", ARR, (F64, [0.0, 0.5, -1.0, 2.0])),
          ("general.nested", ARR, (ARR, [(U8, [1, 2]), (I64, [-3])])),
          ("general.flag", BOOL, True)]
    # (name, dims, ggml type, bytes): f32 = 0, f16 = 1, q8_0 = 8 (32 per 34 bytes)
    tensors = [("token_embd.weight", [32, 4], 0, 32 * 4 * 4),
               ("blk.0.attn_q.weight", [32, 32], 1, 32 * 32 * 2),
               ("blk.0.attn_norm.weight", [32], 0, 128),
               ("blk.0.ffn_up.weight", [32, 64], 8, 64 * 34),
               ("blk.1.attn_k.weight", [32, 16], 1, 32 * 16 * 2),
               ("blk.1.ffn_gate_exps.weight", [32, 64, 2], 1, 32 * 64 * 2 * 2),
               ("blk.1.ffn_gate_shexp.weight", [32, 8], 0, 32 * 8 * 4),
               ("output_norm.weight", [32], 0, 128),
               ("output.weight", [32, 4], 8, 4 * 34)]
    head = b"GGUF" + struct.pack(e + "I", version) + n(len(tensors)) + n(len(kv))
    for k, t, v in kv:
        head += s(k) + struct.pack(e + "I", t) + val(t, v)
    off = 0
    for name, dims, t, size in tensors:
        head += s(name) + struct.pack(e + "I", len(dims)) + b"".join(n(d) if wide else n(d) for d in dims)
        head += struct.pack(e + "I", t) + struct.pack(e + "Q", off)
        off += (size + align - 1) // align * align
    head += b"\0" * (-len(head) % align)
    return head + b"\x11" * off


out("gguf", "v3.gguf", gguf(3))
out("gguf", "v3-be.gguf", gguf(3, be=True))
out("gguf", "v2.gguf", gguf(2))
out("gguf", "v1.gguf", gguf(1))
out("gguf", "v3-align64.gguf", gguf(3, align=64))

# ---- torch snapshots ----
frames = [{"filename": "??", "line": 0, "name": "c10::cuda::CUDACachingAllocator::malloc"},
          {"filename": "/usr/lib/python3/site-packages/torch/nn/modules/linear.py",
           "line": 125, "name": "forward"},
          {"filename": "/src/model.py", "line": 54, "name": "forward"}]
A = 139637976727552
seg = {"device": 0, "address": A, "total_size": 2097152, "allocated_size": 1536,
       "active_size": 1536, "requested_size": 1400, "stream": 0, "segment_type": "small",
       "segment_pool_id": (0, 0), "is_expandable": False, "frames": frames,
       "blocks": [{"address": A, "size": 1024, "requested_size": 1000,
                   "state": "active_allocated", "frames": frames},
                  {"address": A + 1024, "size": 512, "requested_size": 400,
                   "state": "active_pending_free", "frames": frames},
                  {"address": A + 1536, "size": 2097152 - 1536, "requested_size": 0,
                   "state": "inactive", "frames": []}]}
seg2 = dict(seg, device=1, address=A * 2, segment_type="large", total_size=20971520,
            blocks=[{"address": A * 2, "size": 20971520, "requested_size": 20000000,
                     "state": "active_allocated", "frames": frames}])
ring = [{"action": "segment_alloc", "addr": A, "size": 2097152, "stream": 0, "time_us": 1000,
         "frames": frames},
        {"action": "alloc", "addr": A, "size": 1000, "stream": 0, "time_us": 1001, "frames": frames},
        {"action": "alloc", "addr": A + 1024, "size": 400, "stream": 0, "time_us": 1002,
         "frames": frames},
        {"action": "free_requested", "addr": A + 1024, "size": 400, "stream": 0, "time_us": 1003,
         "frames": frames},
        {"action": "alloc", "addr": A + 4096, "size": 64, "stream": 0, "time_us": 900,
         "frames": frames},
        {"action": "free_completed", "addr": A + 4096, "size": 64, "stream": 0, "time_us": 1004,
         "frames": frames},
        {"action": "free_completed", "addr": A + 8192, "size": 128, "stream": 0, "time_us": 1005,
         "frames": []},
        {"action": "oom", "addr": 0, "size": 1 << 40, "device_free": 1234567, "stream": 0,
         "time_us": 1006, "frames": frames},
        {"action": "segment_map", "addr": A * 4, "size": 2097152, "stream": 0, "time_us": 1007,
         "frames": []},
        {"action": "segment_unmap", "addr": A * 4, "size": 2097152, "stream": 0, "time_us": 1008,
         "frames": []},
        {"action": "snapshot", "addr": 0, "size": 0, "stream": 0, "time_us": 1009, "frames": []}]
snap = {"segments": [seg, seg2], "device_traces": [ring, []],
        "allocator_settings": {"PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True",
                               "max_split_size": -1, "garbage_collection_threshold": 0.0,
                               "expandable_segments": True,
                               "roundup_power2_divisions": {"1": 4, "2": 8}},
        "external_annotations": []}
for proto in (2, 3, 4, 5):
    out("torch", "snapshot-p%d.pickle" % proto, pickle.dumps(snap, protocol=proto))
old = [dict(seg, blocks=[dict(b, history=[{"addr": b["address"], "real_size": b["size"],
                                            "frames": frames}]) for b in seg["blocks"]])]
out("torch", "old-list-p2.pickle", pickle.dumps(old, protocol=2))
notime = dict(snap, device_traces=[[{k: v for k, v in r.items() if k != "time_us"} for r in ring]])
out("torch", "no-time-p4.pickle", pickle.dumps(notime, protocol=4))
out("torch", "scalars-p4.pickle", pickle.dumps([None, True, False, 1, -1, 255, 65535, 2**31,
                                                 -2**63, 2**63 - 1, 1.5, float("inf"),
                                                 "", "é", (), (1,), (1, 2), (1, 2, 3),
                                                 (1, 2, 3, 4), {}, [], {"k": [1]}], protocol=4))

# ---- Kineto ----
def mem(ts, addr, nbytes, ta, tr, dev=0, dtype=1, idx=None):
    a = {"Device Type": dtype, "Device Id": dev, "Addr": addr, "Bytes": nbytes,
         "Total Allocated": ta, "Total Reserved": tr}
    if idx is not None:
        a["Ev Idx"] = idx
    return {"ph": "i", "cat": "cpu_instant_event", "s": "t", "name": "[memory]",
            "pid": 4242, "tid": 4242, "ts": ts, "args": a}

ev = [{"ph": "X", "cat": "kernel", "name": "volta_sgemm \"[memory]\" {x}", "pid": 0, "tid": 7,
       "ts": 10, "dur": 5, "args": {"device": 0}},
      mem(100.5, 1000, 512, 1536, 2097152, idx=3),
      mem(101, 2000, 1024, 2560, 2097152, idx=4),
      mem(99, 3000, 64, 0, 0, dtype=0),
      mem(102, 1000, -512, 2048, 2097152, idx=5),
      mem(103, 5000, -256, 1792, 2097152, dev=1),
      {"ph": "i", "cat": "cpu_instant_event", "s": "t", "name": "[OutOfMemory]", "pid": 4242,
       "tid": 4242, "ts": 104, "args": {"Device Type": 1, "Device Id": 0, "Bytes": 1 << 40,
                                         "Total Allocated": 2048, "Total Reserved": 2097152}}]
kin = {"schemaVersion": 1,
       "deviceProperties": [{"id": 0, "name": "Tesla V100-SXM2-16GB", "totalGlobalMem": 16945512448},
                            {"id": 1, "name": "Tesla V100-SXM2-16GB", "totalGlobalMem": 16945512448}],
       "distributedInfo": {"backend": "nccl", "rank": 1, "world_size": 2},
       "traceEvents": ev, "traceName": "seed"}
out("kineto", "trace.json", json.dumps(kin, indent=1))
out("kineto", "trace.json.gz", gzip.compress(json.dumps(kin).encode(), mtime=0))
old = {"traceEvents": [dict(e, args={k: v for k, v in e["args"].items() if k != "Addr"})
                       for e in ev[1:6]]}
out("kineto", "no-addr-2021.json", json.dumps(old))

# ---- nsys (SQL, see fuzz_nsys.c) ----
common = """CREATE TABLE StringIds (id INTEGER NOT NULL PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE TARGET_INFO_SESSION_START_TIME (utcEpochNs INTEGER, utcTime TEXT, localTime TEXT);
CREATE TABLE PROCESSES (globalPid INTEGER, pid INTEGER, name TEXT);
CREATE TABLE CUPTI_ACTIVITY_KIND_RUNTIME (start INTEGER NOT NULL, end INTEGER NOT NULL,
 eventClass INTEGER NOT NULL, globalTid INTEGER, correlationId INTEGER, nameId INTEGER NOT NULL,
 returnValue INTEGER NOT NULL, callchainId INTEGER);
INSERT INTO StringIds VALUES (1, 'cudaMalloc_v3020'), (2, 'cudaFree_v3020'), (3, 'cudaHostAlloc_v3020');
INSERT INTO TARGET_INFO_SESSION_START_TIME VALUES (1776479641000000000, 'x', 'y');
INSERT INTO PROCESSES VALUES (72057662148395008, 4242, 'python3');
INSERT INTO CUPTI_ACTIVITY_KIND_RUNTIME VALUES (100, 105, 0, 72057662148395009, 1, 1, 0, 0),
 (150, 155, 0, 72057662148395009, 2, 2, 0, 0), (160, 165, 0, 72057662148395009, 3, 3, 0, 0);
"""
usage_cols = """CREATE TABLE CUDA_GPU_MEMORY_USAGE_EVENTS (start INTEGER NOT NULL,
 globalPid INTEGER NOT NULL, deviceId INTEGER NOT NULL, contextId INTEGER NOT NULL,
 address INTEGER NOT NULL, pc INTEGER NOT NULL, bytes INTEGER NOT NULL, memKind INTEGER NOT NULL,
 memoryOperationType INTEGER NOT NULL, name TEXT, correlationId INTEGER, streamId INTEGER);
"""
rows = """INSERT INTO CUDA_GPU_MEMORY_USAGE_EVENTS VALUES
 (300, 72057662148395008, 0, 1, 28672, 0, 1048576, 2, 0, NULL, 1, 13),
 (100, 72057662148395008, 1, 1, 32768, 0, 2097152, 2, 0, NULL, 1, 0),
 (500, 72057662148395008, 0, 1, 28672, 0, 1048576, 2, 1, NULL, 2, 13),
 (200, 72057662148395008, 0, 1, 36864, 0, 4096, 1, 0, NULL, 3, 0),
 (250, 72057662148395008, 0, 1, 40960, 0, 65536, 4, 0, 'staticVar', NULL, 0);
"""
modern = common + """CREATE TABLE META_DATA_EXPORT (name TEXT NOT NULL, value TEXT);
INSERT INTO META_DATA_EXPORT VALUES ('EXPORT_PRODUCT_VERSION', '2025.5.2.266'),
 ('EXPORT_SCHEMA_VERSION', '3.24.0');
CREATE TABLE TARGET_INFO_GPU (vmId INTEGER NOT NULL, id INTEGER NOT NULL, name TEXT,
 totalMemory INTEGER, uuid TEXT, cuDevice INTEGER);
INSERT INTO TARGET_INFO_GPU VALUES (0, 0, 'NVIDIA GeForce RTX 3060', 12884377600, 'u0', 1),
 (0, 1, 'NVIDIA GeForce RTX 3090', 25769803776, 'u1', 0);
CREATE TABLE TARGET_INFO_CUDA_DEVICE (gpuId INTEGER, cudaId INTEGER, pid INTEGER);
INSERT INTO TARGET_INFO_CUDA_DEVICE VALUES (0, 1, 4242), (1, 0, 4242);
CREATE TABLE ENUM_CUDA_MEM_KIND (id INTEGER NOT NULL PRIMARY KEY, name TEXT, label TEXT);
INSERT INTO ENUM_CUDA_MEM_KIND VALUES (0, 'CUDA_MEMOPR_MEMORY_KIND_PAGEABLE', 'Pageable'),
 (1, 'CUDA_MEMOPR_MEMORY_KIND_PINNED', 'Pinned'), (2, 'CUDA_MEMOPR_MEMORY_KIND_DEVICE', 'Device');
CREATE TABLE ENUM_CUDA_DEV_MEM_EVENT_OPER (id INTEGER NOT NULL PRIMARY KEY, name TEXT, label TEXT);
INSERT INTO ENUM_CUDA_DEV_MEM_EVENT_OPER VALUES (0, 'CUDA_DEV_MEM_EVENT_OPR_ALLOCATION', 'Allocation'),
 (1, 'CUDA_DEV_MEM_EVENT_OPR_DEALLOCATION', 'Deallocation');
""" + usage_cols + rows
old_nsys = common + """CREATE TABLE EXPORT_META_DATA (name TEXT NOT NULL, value TEXT);
INSERT INTO EXPORT_META_DATA VALUES ('EXPORT_PRODUCT_VERSION', '2023.1.2.43'),
 ('EXPORT_SCHEMA_VERSION', '3.1.2');
CREATE TABLE TARGET_INFO_GPU (vmId INTEGER NOT NULL, id INTEGER NOT NULL, name TEXT,
 totalMemory INTEGER, uuid TEXT, cuDevice INTEGER);
INSERT INTO TARGET_INFO_GPU VALUES (0, 0, 'NVIDIA GeForce RTX 3090', 25447170048, 'u0', 0),
 (0, 1, 'NVIDIA GeForce RTX 3090', 25447170048, 'u1', 1);
""" + usage_cols.replace(", streamId INTEGER", "") + rows.replace(", 13)", ")").replace(", 0)", ")")
out("nsys", "modern.sql", modern)
out("nsys", "old-2023.1.sql", old_nsys)
out("nsys", "no-usage.sql", common + "CREATE TABLE META_DATA_EXPORT (name TEXT NOT NULL, value TEXT);\n")

# ---- text parsers ----
out("labels", "rules", "# comment\n\nkv\tattention\\.py:[0-9]+:(update_kv|_cache)\n"
    "weights:$1  layers\\.([0-9]+)\\.\nactivation  model\\.py\ncompute:3 ^\\?\\?:\n")
out("labels", "rules-frames", "kv attention\nweights:$2 (a)(b[0-9]*)\nother .*\n\0"
    "/src/attention.py:10:update_kv\n/src/layers.17.py:1:forward\nab12\n")
out("labels", "bad-rules", "nosuch x\nweights:$12 (\n")
for i, s in enumerate(["4x24G", "2x24G,1x12G", "24G", "80G,2x24G", "1.5GiB", "512m",
                       "3*16GB,1X8T", "256x1K", "0.5t", " 7 MiB "]):
    out("topo", "t%d" % i, s)
for i, s in enumerate(["layers=80,embd=8192,heads=64,kv_heads=8,vocab=128256,size=42G",
                       "layers=32,embd=4096,heads=32,vocab=32000,size=4G,ff=11008,ctx=8192,"
                       "parallel=4,ubatch=512,fa=on,kv=q8_0,name=x",
                       "layers=61,heads=128,kv_heads=128,embd=7168,vocab=129280,ctx_train=163840,"
                       "ctx=32768,ubatch=256,fa=off"]):
    out("llm", "m%d" % i, s)
out("scenario", "split", "gpus 2x24G,1x12G\nsplit 3,1,1\nctx 32768\nparallel 2\nkv-type q8_0\n"
    "model layers=80,embd=8192,heads=64,kv_heads=8,vocab=128256,size=42G\n")
out("scenario", "spill", "gpus 1x8G\non-oom spill\nnum-gpu 20\nflash-attn on\nubatch 1024\n"
    "reserve 512M\nalloc cuda\nmain-gpu 0\n")
out("scenario", "many", "gpus 16x24G\nmeta layers=61,heads=128\nbatch 4096\non-oom continue\n"
    "model layers=4096,embd=64,heads=1,vocab=10,size=1T\n")
