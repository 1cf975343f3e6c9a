# torch_run.py - a PyTorch workload for tests/gpu/run.sh: tensors grow,
# some are freed, the cache is emptied. Prints PyTorch's own view
# (memory_reserved at its peak) and cudaMemGetInfo's.
import time

import torch

dev = torch.device("cuda:0")
torch.cuda.init()
free0, total = torch.cuda.mem_get_info(dev)
keep = []
for i in range(12):
    keep.append(torch.empty((1 + i % 5) * (16 << 20), dtype=torch.uint8, device=dev))
    if i % 3 == 2:
        keep.pop(0)
x = torch.randn(2048, 2048, device=dev)
y = x @ x
torch.cuda.synchronize()
peak_reserved = torch.cuda.max_memory_reserved(dev)
free1, _ = torch.cuda.mem_get_info(dev)
time.sleep(0.15)  # a periodic snapshot (VRAMSIM_SNAPSHOT_MS) sees the peak
del keep, x, y
torch.cuda.empty_cache()
print("expect_device_bytes %d" % peak_reserved)
print("meminfo_used_before %d" % (total - free0))
print("meminfo_used_peak %d" % (total - free1))
