"""Recording streams to disk: 10,000 evaluation samples x 5 layers x 50 epochs, and the peak
memory after 50 epochs is the peak after the first few (it does not grow with the epochs)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Run in a fresh process, so that its peak resident memory (ru_maxrss) belongs to this alone.
SCRIPT = r"""
import json, resource, sys, time
import torch
from torch import nn
from infoplane import Recorder

torch.manual_seed(0)
n, epochs = 10_000, 50
x, y = torch.randn(n, 784), torch.randint(0, 10, (n,))
widths = [784, 512, 256, 128, 64, 10]
model = nn.Sequential(*[nn.Sequential(nn.Linear(a, b), nn.ReLU()) for a, b in zip(widths, widths[1:])])
recorder = Recorder(model, layers="auto", eval_data=(x, y), run_dir=sys.argv[1])
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
peaks, started = {}, time.perf_counter()
for epoch in range(1, epochs + 1):
    optimizer.zero_grad()  # one step per epoch, so every capture sees new weights
    nn.functional.cross_entropy(model(x[:256]), y[:256]).backward()
    optimizer.step()
    recorder.capture(epoch)
    peaks[epoch] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux: KiB)
print(json.dumps({"peaks_mib": peaks, "seconds": time.perf_counter() - started,
                  "values_per_epoch": n * sum(widths[1:])}))
"""


@pytest.mark.slow  # ~4 min on a loaded 2-core machine: 50 compressed captures of 10,000 x 970 values
def test_peak_memory_does_not_grow_with_epochs(tmp_path):
    command = [sys.executable, "-c", SCRIPT, str(tmp_path / "run")]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    peaks = {int(k): v for k, v in result["peaks_mib"].items()}
    print(f"peak RSS after epoch 5: {peaks[5]:.0f} MiB, 10: {peaks[10]:.0f} MiB, 50: {peaks[50]:.0f} MiB; "
          f"{result['seconds']:.0f} s for 50 captures")
    # One epoch's layers are 10,000 x 970 float32 = 37 MiB; holding the epochs would add that
    # much per epoch (1.8 GiB by epoch 50). Allow 20 MiB of allocator noise, half an epoch.
    assert peaks[50] - peaks[5] < 20
    files = sorted((tmp_path / "run" / "activations").glob("epoch-*.npz"))
    assert len(files) == 50
