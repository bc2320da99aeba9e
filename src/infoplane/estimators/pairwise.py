"""The one chunked pairwise kernel that the O(n^2) estimators (KDE, KDE bounds, SP) share.

For query points q_i (m, d) and centres c_j (n, d) it computes, per query and per scale s,

    L_i(s) = log sum_j exp(-||q_i - c_j||^2 / (2 s^2))

in blocks of ``chunk`` query rows, so memory stays O(chunk x n) and an n x n matrix is never
formed. Everything that KDE entropies, the Kolchinsky-Tracey bounds and Gaussian-mixture
entropies need is a constant plus one of these log-sum-exps. A grid of scales is evaluated in
the same pass (the squared distances of a block are computed once), which makes a
maximum-likelihood bandwidth search cost one pass instead of one per grid point.

Computation runs in torch, on CUDA when present unless ``device`` says otherwise; results come
back as NumPy float64. torch is imported inside the functions, so that importing the
estimator registry (which every CLI process does) does not load it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

from infoplane import parallel

#: Elements of one (chunk x n) block when ``chunk`` is chosen automatically. A block passes
#: through ~8 elementwise operations, so it should stay in the CPU's cache: 2^19 float64 values
#: are 4 MiB. One thread, 7 scales, n = 1e4, d = 10: 2.98 / 2.64 / 2.23 / 2.14 CPU-s with
#: 2^23 / 2^21 / 2^19 / 2^17; one scale, n = 4096, d = 10 (a KDE bound of an SZT layer):
#: 0.27 / 0.22 / 0.18 CPU-s with 2^23 / 2^21 / 2^19. Much smaller blocks pay torch's per-call
#: overhead instead.
AUTO_BLOCK_ELEMENTS = 2**19

#: Largest error of the fast squared-distance form, in units of the kernel's 2 s^2, accepted.
FAST_FORM_TOLERANCE = 1e-6

#: Exponents below this are raised to it before exp(). After the shift the largest term of a
#: sum is exp(0) = 1, so a raised term adds at most e^-80 (1.8e-35) each: with n = 1e9 terms the
#: log-sum-exp moves by less than 1e-25 nats. exp() of arguments that underflow takes a slow
#: path, 5-8 times slower (128 x 4096 float64: 8.7 ms against 1.5 ms per block, measured
#: 2026-12-04), and tight kernels on spread-out layers (the KDE bounds of saturated tanh layers)
#: underflow in most of their terms.
EXPONENT_FLOOR = -80.0


def auto_chunk(n_centres: int) -> int:
    """Query rows per block so that a block holds about ``AUTO_BLOCK_ELEMENTS`` values."""
    return max(1, AUTO_BLOCK_ELEMENTS // max(1, n_centres))


def row_blocks(m: int, chunk: int) -> Iterator[tuple[int, int]]:
    """(start, stop) of consecutive blocks of at most ``chunk`` rows covering range(m)."""
    if chunk < 1:
        raise ValueError(f"chunk must be a positive number of rows, got {chunk}")
    for start in range(0, m, chunk):
        yield start, min(start + chunk, m)


def gaussian_logsumexp(
    queries: np.ndarray,
    centres: np.ndarray,
    scales: float | np.ndarray,
    *,
    leave_one_out: bool = False,
    chunk: int | None = None,
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
) -> np.ndarray:
    """Per query, log sum_j exp(-||q_i - c_j||^2 / (2 s^2)) for each scale s.

    Args:
        queries: (m, d) query points.
        centres: (n, d) centres.
        scales: a positive scale s, or (k,) scales evaluated in the same pass.
        leave_one_out: drop the term j = i (queries must then be the centres, m = n): the
            leave-one-out sums of KDE. With n = 1 every sum is empty and the result is -inf.
        chunk: query rows per block; ``None`` picks about 4M values per block.
        device: torch device; ``None`` means CUDA when available, else the CPU.
        dtype: torch dtype of the arithmetic (None: float64; distances are formed as
            ||q||^2 + ||c||^2 - 2 q.c, which loses digits in float32 for close points).

    Precision: the fast form ||q||^2 + ||c||^2 - 2 q.c errs by about eps R^2 (R the spread of
    the points), which is large against s^2 when the points are far apart on the kernel's
    scale (scale 1e8 with s^2 = 1e-3 gave 547 nats for a bound capped at log 600). When
    eps R^2 / s^2 exceeds ``FAST_FORM_TOLERANCE`` the differences are taken directly instead.

    Returns:
        (m,) for a scalar scale, (m, k) for k scales; float64, in nats (natural log).
    """
    queries, centres = np.asarray(queries), np.asarray(centres)
    if queries.ndim != 2 or centres.ndim != 2 or queries.shape[1] != centres.shape[1]:
        raise ValueError(
            f"queries and centres must be (m, d) and (n, d) with the same d, got "
            f"{queries.shape} and {centres.shape}"
        )
    if leave_one_out and queries.shape[0] != centres.shape[0]:
        raise ValueError("leave_one_out needs the queries to be the centres (same number of rows)")
    scalar = np.ndim(scales) == 0
    scales = np.atleast_1d(np.asarray(scales, dtype=np.float64))
    if scales.ndim != 1 or np.any(~(scales > 0)) or np.any(~np.isfinite(scales)):
        raise ValueError(f"scales must be positive and finite, got {scales}")
    m, n = len(queries), len(centres)
    chunk = auto_chunk(n) if chunk is None else int(chunk)
    import torch

    dev = torch.device(parallel.resolve_device(device))
    dtype = torch.float64 if dtype is None else dtype

    # Distances are translation invariant; centring keeps ||q||^2 + ||c||^2 - 2 q.c accurate.
    origin = centres.mean(axis=0) if n else 0.0
    q = torch.as_tensor(queries - origin, dtype=dtype, device=dev)
    c = torch.as_tensor(centres - origin, dtype=dtype, device=dev)
    spread2 = max(float((z * z).sum(dim=1).max()) if len(z) else 0.0 for z in (q, c))
    direct = torch.finfo(dtype).eps * spread2 / (2 * float(scales.min()) ** 2) > FAST_FORM_TOLERANCE
    neg_half_inv_var = torch.as_tensor(-0.5 / scales**2, dtype=dtype, device=dev)
    c_sq, c_t = (c * c).sum(dim=1), c.T.contiguous()
    out = torch.empty((m, len(scales)), dtype=dtype, device=dev)
    for start, stop in row_blocks(m, chunk):
        block = q[start:stop]
        # ||q||^2 + ||c||^2 - 2 q.c in one (chunk, n) buffer, updated in place.
        if direct:
            d2 = torch.cdist(block, c, compute_mode="donot_use_mm_for_euclid_dist").square_()
        else:
            d2 = torch.addmm(c_sq, block, c_t, alpha=-2.0).add_((block * block).sum(dim=1, keepdim=True))
            d2.clamp_(min=0.0)
        if leave_one_out:
            rows = torch.arange(stop - start, device=dev)
            d2[rows, rows + start] = torch.inf
        # Log-sum-exp with the nearest centre as the shift, shared by every scale: the largest
        # term is exp(0) = 1, so nothing overflows or underflows to a zero sum.
        nearest = d2.min(dim=1, keepdim=True).values
        empty = torch.isinf(nearest)
        nearest = torch.where(empty, torch.zeros_like(nearest), nearest)
        d2.sub_(nearest)
        work = torch.empty_like(d2)
        for j in range(len(scales)):
            torch.mul(d2, neg_half_inv_var[j], out=work)
            out[start:stop, j] = (work.clamp_(min=EXPONENT_FLOOR).exp_().sum(dim=1).log_()
                                  + nearest[:, 0] * neg_half_inv_var[j])
        if empty.any():  # a raised exponent must not turn an empty sum into exp(EXPONENT_FLOOR)
            out[start:stop][empty[:, 0]] = -torch.inf
    result = out.cpu().numpy().astype(np.float64, copy=False)
    return result[:, 0] if scalar else result
