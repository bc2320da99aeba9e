"""Variational lower bounds on I(X;Y) from critic scores (imports torch: load lazily).

Every bound is written as the mean of per-sample terms built from two statistics of each
sample i, with S[i, 0] = f(x_i, y_i) its joint pair and S[i, 1..K] = f(x_i, y_j) for K other
samples j of its batch (pairs of the product of marginals; see critics.py):

    joint_i = S[i, 0]
    marg_i  = log mean_k exp S[i, k]     over the K negatives (DV, NWJ), or over all 1 + K
                                          scores, the positive included (InfoNCE)

    InfoNCE (van den Oord et al. 2018):  t_i = joint_i - marg_i
            = S_i0 - logsumexp_k S_ik + log(1 + K), so I_NCE <= log(1 + K) whatever the
            critic; with every other sample of the batch as a negative, log B.
    NWJ (Nguyen, Wainwright & Jordan 2010):  t_i = joint_i - exp(marg_i - 1)
    DV (Donsker-Varadhan, MINE):  I_DV = mean_i joint_i - M,  M = log mean_i exp(marg_i);
            t_i = joint_i - exp(marg_i - M) + 1 - M
        has mean(t) = I_DV exactly and, by the delta method on the log, the variance of I_DV,
        so the spread of t gives DV's interval like the others'.

Terms of several blocks are concatenated before averaging: the estimate on a held-out set is
the mean over all its samples, and its standard error is std(t) / sqrt(n) (approximate: the
terms of one block share their marginal pairs).

MINE (Belghazi et al. 2018) trains the DV bound with a bias-corrected gradient: the gradient of
log mean exp(S_marg), a ratio whose mini-batch estimate is biased, is replaced by
mean(exp(S_marg) grad S_marg) / EMA, with EMA a moving average of mean exp(S_marg) over batches
(alpha = 0.01 as in VanessB/pytorch-mine).
"""

from __future__ import annotations

import math

import torch


def log_mean_exp(a: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log(mean(exp(a))) along ``dim``, computed stably."""
    return torch.logsumexp(a, dim) - math.log(a.shape[dim])


def pair_statistics(scores: torch.Tensor, include_positive: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, 1 + K) scores -> joint (B,) = S[:, 0], marg (B,) = log mean_k exp S[:, k].

    Args:
        include_positive: average over all 1 + K scores (InfoNCE) or over the K negatives only
            (DV, NWJ).
    """
    return scores[:, 0], log_mean_exp(scores if include_positive else scores[:, 1:], 1)


class Bound:
    """A lower bound that is the mean of per-sample terms; subclasses define ``terms``."""

    name: str = ""
    #: InfoNCE's denominator includes the positive pair; DV and NWJ average over negatives.
    include_positive: bool = False

    def terms(self, joint: torch.Tensor, marg: torch.Tensor) -> torch.Tensor:
        """(n,) per-sample terms whose mean is the bound (nats)."""
        raise NotImplementedError

    def loss(self, scores: torch.Tensor) -> torch.Tensor:
        """The training loss of one (B, 1 + K) batch of scores: minus the bound."""
        return -self.terms(*pair_statistics(scores, self.include_positive)).mean()


class InfoNCEBound(Bound):
    name = "infonce"
    include_positive = True

    def terms(self, joint: torch.Tensor, marg: torch.Tensor) -> torch.Tensor:
        return joint - marg


class NWJBound(Bound):
    name = "nwj"

    def terms(self, joint: torch.Tensor, marg: torch.Tensor) -> torch.Tensor:
        return joint - torch.exp(marg - 1.0)


class DVBound(Bound):
    """Donsker-Varadhan; training uses MINE's bias-corrected gradient (``ema_alpha``)."""

    name = "dv"

    def __init__(self, ema_alpha: float = 0.01) -> None:
        self.ema_alpha = float(ema_alpha)
        self.log_ema: torch.Tensor | None = None  # log of the moving average of mean exp(S_marg)

    def terms(self, joint: torch.Tensor, marg: torch.Tensor) -> torch.Tensor:
        m = log_mean_exp(marg, 0)
        return joint - torch.exp(marg - m) + 1.0 - m

    def loss(self, scores: torch.Tensor) -> torch.Tensor:
        joint, marg = pair_statistics(scores, include_positive=False)
        log_mean = log_mean_exp(marg, 0)
        current = log_mean.detach()
        if self.log_ema is None:
            self.log_ema = current
        else:  # ema <- alpha * mean + (1 - alpha) * ema, in logs so large scores cannot overflow
            a = self.ema_alpha
            self.log_ema = torch.logaddexp(math.log(a) + current, math.log1p(-a) + self.log_ema)
        # Value: mean(exp(S_marg)) / EMA (about 1); gradient: mean(exp(S_marg) grad S) / EMA.
        corrected = torch.exp(log_mean - self.log_ema)
        return -(joint.mean() - corrected)


BOUNDS = {"mine": DVBound, "infonce": InfoNCEBound, "nwj": NWJBound}
