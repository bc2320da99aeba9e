"""Would Lorenzen et al.'s Conv MNIST networks train in a stack, as the MLPs do?

The MLPs of ``lorenzen_quantized_mnist`` train 20 seeds at once (``infoplane train-seeds``): one
batched matrix product per layer. The Conv network has no such path; this measures whether one
would pay. One training step (forward, NLL loss, backward) on a batch of 256 MNIST-sized inputs,
on one thread, three ways:

    one-by-one   S separate ``LorenzenConv`` networks (quantised, as the pipeline trains them)
    grouped      the S networks as one grouped convolution (conv2d ``groups=S``), dense layers
                 as batched products; no quantisation, so a lower bound on a stacked network
    unfolded     the same with each convolution as unfold + batched product (im2col)

    python benchmarks/stacked_conv.py --seeds 10 [--steps 20]

Prints the median milliseconds per step (``benchmarks/measure.py``), seconds per epoch of 60,000
images (235 steps of 256) and the step's peak resident memory.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

from infoplane.nets.quantized_cnn import LorenzenConv

sys.path.insert(0, str(Path(__file__).parent))
from measure import measure  # noqa: E402

BATCH = 256
STEPS_PER_EPOCH = 60_000 // BATCH + 1


def one_by_one(seeds: int) -> Callable[[], None]:
    nets = [LorenzenConv() for _ in range(seeds)]
    x = torch.rand(seeds, BATCH, 1, 28, 28)
    y = torch.randint(0, 10, (BATCH,))

    def step() -> None:
        for net, images in zip(nets, x, strict=True):
            F.nll_loss(net(images), y).backward()
    return step


def stacked(seeds: int, unfolded: bool) -> Callable[[], None]:
    w1 = torch.randn(2 * seeds, 1, 3, 3, requires_grad=True)
    w2 = torch.randn(2 * seeds, 2, 3, 3, requires_grad=True)
    w3 = torch.randn(seeds, 50, 16, requires_grad=True)
    w4 = torch.randn(seeds, 16, 10, requires_grad=True)
    x = torch.rand(BATCH, seeds, 28, 28)        # each seed's own images, as channels
    y = torch.randint(0, 10, (seeds * BATCH,))

    def conv(h: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """(B, S*c_in, H, W) -> (B, S*2, H-2, W-2): each seed's 3x3 convolution of its channels."""
        if not unfolded:
            return F.conv2d(h, w, groups=seeds)
        b, channels, height, width = h.shape
        cols = F.unfold(h, 3).reshape(b, seeds, channels // seeds * 9, -1)   # (B, S, c_in*9, L)
        out = torch.einsum("bskl,sok->bsol", cols, w.reshape(seeds, 2, -1))
        return out.reshape(b, 2 * seeds, height - 2, width - 2)

    def step() -> None:
        h = F.max_pool2d(torch.relu(conv(x, w1)), 2)
        h = F.max_pool2d(torch.relu(conv(h, w2)), 2)
        h = h.reshape(BATCH, seeds, 50).transpose(0, 1)
        logits = torch.bmm(torch.relu(torch.bmm(h, w3)), w4)
        F.nll_loss(logits.log_softmax(-1).reshape(-1, 10), y).backward()
    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10, help="networks trained together")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per way")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    ways = {"one-by-one": one_by_one(args.seeds), "grouped": stacked(args.seeds, unfolded=False),
            "unfolded": stacked(args.seeds, unfolded=True)}
    for name, step in ways.items():
        step()   # warm-up: allocator and kernel choice
        timing = measure(step, args.steps)
        seconds = timing["seconds"]
        print(f"{name:>10}: {seconds * 1e3:7.1f} ms a step, {seconds * STEPS_PER_EPOCH:6.1f} s an epoch "
              f"for {args.seeds} networks, peak RSS +{timing['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
