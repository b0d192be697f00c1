"""PyTorch layer: SRL and the DIR feature-side losses as autograd Functions whose backward is
the Rust gradient, and :class:`SRLLoss`, an ``nn.Module`` whose surrogate memory is a set of
registered buffers (so ``state_dict`` checkpoints carry it).

Tensors may live on any device: the loss is computed on the CPU (float32 or float64, as the
input) and the gradient is returned on the input's device and dtype. The Functions are
differentiable once (no double backward).

>>> import torch, srldir.torch as st
>>> loss_fn = st.SRLLoss(centres=[0.0, 1.0, 2.0], dim=8, warmup_epochs=0)
>>> h = torch.randn(6, 8, requires_grad=True)
>>> loss = loss_fn(h, torch.tensor([0, 0, 1, 1, 2, 2]))
>>> loss.backward()
>>> h.grad.shape
torch.Size([6, 8])

Data-parallel training: with ``torch.distributed`` initialised, :meth:`SRLLoss.end_epoch`
all-reduces the per-bin sums and counts before the memory update, so every rank holds the
memory a single process would have built from the union of the ranks' batches.
"""

from __future__ import annotations

import json

import numpy as np
import torch
from torch import nn

from . import _core
from . import srl_params

__all__ = [
    "SRLLoss",
    "srl_loss",
    "ranksim",
    "conr",
    "ordinal_entropy",
    "rnc",
    "balanced_mse",
]


def _np(t: torch.Tensor) -> np.ndarray:
    """A CPU NumPy view of a tensor (no copy for a CPU tensor)."""
    return t.detach().cpu().numpy()


def _bins(bins) -> np.ndarray:
    if isinstance(bins, torch.Tensor):
        if bins.is_floating_point():
            raise TypeError(f"bins must be an integer tensor, got dtype {bins.dtype}")
        return _np(bins).astype(np.int64, copy=False)
    return np.asarray(bins)


def _float_input(name: str, t: torch.Tensor) -> None:
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"{name} must be float32 or float64, got {t.dtype}")


def _vector(t, like: torch.Tensor) -> np.ndarray:
    """A 1-D companion (labels, predictions, weights) as NumPy in ``like``'s dtype."""
    if isinstance(t, torch.Tensor):
        t = _np(t)
    return np.asarray(t, dtype=_np(like[:0]).dtype)


class _RustLoss(torch.autograd.Function):
    """value = f(x) computed in Rust together with ∂value/∂x; backward scales that gradient."""

    @staticmethod
    def forward(ctx, x, compute):
        value, grad = compute(_np(x))
        ctx.save_for_backward(torch.from_numpy(np.ascontiguousarray(grad)).to(x.device))
        return x.new_tensor(value)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g):
        (grad,) = ctx.saved_tensors
        return g * grad, None


def _apply(x: torch.Tensor, compute) -> torch.Tensor:
    return _RustLoss.apply(x, compute)


def ranksim(features: torch.Tensor, labels, *, lam: float) -> torch.Tensor:
    """RankSim on ``features`` (M×D) and ``labels``; backward is the blackbox gradient."""
    _float_input("features", features)
    y = _vector(labels, features)
    return _apply(features, lambda x: _core.ranksim(x, y, lam=lam))


def conr(features: torch.Tensor, labels, predictions, weights=None, *, omega: float = 1.0,
         temperature: float = 0.07, e: float = 0.01, paper_denominator: bool = False
         ) -> torch.Tensor:
    """ConR on ``features`` (M×D) with labels, detached predictions and optional weights."""
    _float_input("features", features)
    y, p = _vector(labels, features), _vector(predictions, features)
    w = None if weights is None else _vector(weights, features)
    return _apply(features, lambda x: _core.conr(
        x, y, p, w, omega=omega, temperature=temperature, e=e,
        paper_denominator=paper_denominator))


def ordinal_entropy(h: torch.Tensor, labels, *, diversity_weight: float,
                    tightness_weight: float) -> torch.Tensor:
    """λ_d·L_d + λ_t·L_t of Ordinal Entropy on raw features ``h``."""
    _float_input("h", h)
    y = _vector(labels, h)

    def compute(x):
        value, _, grad = _core.ordinal_entropy(
            x, y, diversity_weight=diversity_weight, tightness_weight=tightness_weight)
        return value, grad

    return _apply(h, compute)


def rnc(z: torch.Tensor, labels, *, tau: float) -> torch.Tensor:
    """Rank-N-Contrast on ``z`` (n×D, n ≥ 2) with temperature ``tau``."""
    _float_input("z", z)
    y = _vector(labels, z)
    return _apply(z, lambda x: _core.rnc(x, y, tau=tau))


class _BalancedMse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, pred, sigma, target, kwargs):
        value, grad, grad_sigma = _core.balanced_mse(
            _np(pred), _vector(target, pred), float(sigma), **kwargs)
        ctx.save_for_backward(torch.from_numpy(grad).to(pred.device),
                              sigma.new_tensor(grad_sigma))
        return pred.new_tensor(value)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g):
        grad, grad_sigma = ctx.saved_tensors
        return g * grad, g * grad_sigma, None, None


def balanced_mse(pred: torch.Tensor, target, sigma: torch.Tensor, *, method: str = "bmc",
                 **kwargs) -> torch.Tensor:
    """Balanced MSE with a learnable noise scale ``sigma`` (a 0-d tensor); ``method`` and the
    prior as :func:`srldir.balanced_mse`. Gradients reach ``pred`` and ``sigma``."""
    _float_input("pred", pred)
    if not isinstance(sigma, torch.Tensor):
        sigma = torch.tensor(float(sigma), dtype=pred.dtype)
    kwargs["method"] = method
    return _BalancedMse.apply(pred.reshape(-1), sigma, target, kwargs)


class _Srl(torch.autograd.Function):
    @staticmethod
    def forward(ctx, h, core, bins, memory, seen, parts_out):
        total, env, homo, con, grad = core.forward_backward(_np(h), bins, memory, seen)
        parts_out.update(envelope=env, homogeneity=homo, contrastive=con)
        ctx.save_for_backward(torch.from_numpy(grad).to(h.device))
        return h.new_tensor(total)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g):
        (grad,) = ctx.saved_tensors
        return g * grad, None, None, None, None, None


def srl_loss(h: torch.Tensor, bins, core, memory: np.ndarray, seen: np.ndarray,
             parts_out: dict | None = None) -> torch.Tensor:
    """The SRL objective of ``core`` (a ``srldir._core.SrlLoss``) with the given memory, as an
    autograd Function of ``h``; :class:`SRLLoss` is the usual entry point."""
    _float_input("h", h)
    parts_out = {} if parts_out is None else parts_out
    return _Srl.apply(h, core, _bins(bins), memory, seen, parts_out)


class SRLLoss(nn.Module):
    """L_SRL = λ_e·L_env + λ_h·L_homo + λ_c·L_con on the encoder's raw features (M×d).

    ``SRLLoss(centres, dim, preset="paper", seed=0, sync=True, **overrides)`` with the
    hyper-parameters of :func:`srldir.srl_params`. Call it on every training batch
    (``loss = reg_loss + srl(h, bins)``); in training mode it also adds the batch to the
    epoch's per-bin sums (the streaming memory update). Call :meth:`end_epoch` once per
    epoch. The epoch counter is the number of memory updates: the terms are zero during the
    preset's warm-up epochs (the paper: 1), as in the Rust trainer.

    Buffers (in ``state_dict``): ``memory`` (K×d), ``seen`` (K), ``sums`` (K×d, float64),
    ``counts`` (K, int64), ``updates`` (number of memory updates). ``last_parts`` holds the
    unweighted terms of the last call.
    """

    def __init__(self, centres, dim: int, *, preset: str = "paper", seed: int = 0,
                 sync: bool = True, **overrides):
        super().__init__()
        params = srl_params(preset, **overrides)
        centres = [float(c) for c in np.asarray(centres, dtype=np.float64).ravel()]
        self.core = _core.SrlLoss(centres, int(dim), json.dumps(params), int(seed))
        self.params = json.loads(self.core.params_json)
        self.sync = sync
        k, d = self.core.num_bins, self.core.dim
        self.register_buffer("memory", torch.zeros(k, d))
        self.register_buffer("seen", torch.zeros(k, dtype=torch.bool))
        self.register_buffer("sums", torch.zeros(k, d, dtype=torch.float64))
        self.register_buffer("counts", torch.zeros(k, dtype=torch.int64))
        self.register_buffer("updates", torch.zeros((), dtype=torch.int64))
        self.last_parts: dict = {}

    @property
    def epoch(self) -> int:
        """The current epoch: the number of memory updates so far."""
        return int(self.updates)

    @property
    def momentum(self) -> float:
        return self.params["memory"]["momentum"]

    def is_active(self) -> bool:
        """Whether the SRL terms are on in the current epoch (off during the warm-up)."""
        return self.core.is_active(self.epoch)

    def _state(self, dtype: np.dtype | None = None):
        memory = _np(self.memory)
        if dtype is not None and memory.dtype != dtype:
            memory = memory.astype(dtype)
        return (memory, _np(self.seen), _np(self.sums).astype(np.float64, copy=False),
                _np(self.counts), int(self.updates))

    def forward(self, h: torch.Tensor, bins) -> torch.Tensor:
        _float_input("h", h)
        bins = _bins(bins)
        if self.training:
            self.accumulate(h, bins)
        if not self.is_active():
            self.last_parts = {"envelope": 0.0, "homogeneity": 0.0, "contrastive": 0.0}
            return (h * 0.0).sum()
        memory, seen, *_ = self._state(_np(h[:0]).dtype)
        self.last_parts = {}
        return srl_loss(h, bins, self.core, memory, seen, self.last_parts)

    @torch.no_grad()
    def accumulate(self, h: torch.Tensor, bins) -> None:
        """Adds h/‖h‖ of a batch to the epoch's per-bin sums (``forward`` does it in
        training mode)."""
        memory, seen, sums, counts, updates = self._state()
        x = _np(h)
        if x.dtype != memory.dtype:
            x = x.astype(memory.dtype)
        _, _, sums, counts, _ = _core.memory_accumulate(
            x, _bins(bins), (memory, seen, sums, counts, updates), self.momentum)
        self.sums.copy_(torch.from_numpy(sums))
        self.counts.copy_(torch.from_numpy(counts))

    @torch.no_grad()
    def end_epoch(self) -> None:
        """The memory update of paper Eq. 9. With ``torch.distributed`` initialised (and
        ``sync``), the sums and counts are first summed over the ranks."""
        if self.sync and torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.all_reduce(self.sums)
            torch.distributed.all_reduce(self.counts)
        memory, seen, sums, counts, updates = _core.memory_end_epoch(self._state(), self.momentum)
        self.memory.copy_(torch.from_numpy(memory))
        self.seen.copy_(torch.from_numpy(seen))
        self.sums.copy_(torch.from_numpy(sums))
        self.counts.copy_(torch.from_numpy(counts))
        self.updates.fill_(updates)
        self.core.start_epoch(updates)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        # Check the loaded state as Rust checks a resumed one (raises ValueError).
        _core.memory_check(self._state(), self.momentum)
        self.core.start_epoch(self.epoch)

    def extra_repr(self) -> str:
        w = self.params["weights"]
        return (f"num_bins={self.core.num_bins}, dim={self.core.dim}, "
                f"envelope={w['envelope']}, homogeneity={w['homogeneity']}, "
                f"contrastive={w['contrastive']}, tau={self.params['tau']}")
