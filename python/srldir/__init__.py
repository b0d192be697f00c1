"""SRL and the deep-imbalanced-regression (DIR) losses, computed in Rust.

NumPy layer (this module): every loss returns its value and its gradient; float32 and float64
arrays are read without a copy; a wrong dtype raises ``TypeError``, a wrong shape, a NaN or a
bin out of range ``ValueError`` with the Rust message.

>>> import numpy as np, srldir
>>> srl = srldir.SRL(centres=[0.0, 1.0, 2.0], dim=4, dtype="float64")
>>> h = np.random.default_rng(0).normal(size=(6, 4))
>>> total, parts, grad = srl.loss(h, [0, 0, 1, 1, 2, 2])
>>> grad.shape
(6, 4)

``srldir.torch`` holds the PyTorch layer (``SRLLoss`` and autograd Functions), and
``srldir.sklearn`` the scikit-learn estimator ``DIRRegressor``; each imports its framework
only when used.
"""

from __future__ import annotations

import json

import numpy as np

from . import _core
from ._core import (
    FDS,
    Bins,
    balanced_mse,
    conr,
    dir_weights,
    dist_loss,
    load_benchmark,
    ordinal_entropy,
    ranksim,
    regression_loss,
    rnc,
    shot_metrics,
)

__version__ = _core.__version__

__all__ = [
    "SRL",
    "FDS",
    "Bins",
    "balanced_mse",
    "conr",
    "dir_weights",
    "dist_loss",
    "load_benchmark",
    "ordinal_entropy",
    "ranksim",
    "regression_loss",
    "rnc",
    "shot_metrics",
    "srl_params",
]

PRESETS = ("paper", "authors-code", "tabular", "operator", "iol-linear")


def srl_params(
    preset: str = "paper",
    *,
    envelope: float | None = None,
    homogeneity: float | None = None,
    contrastive: float | None = None,
    tau: float | None = None,
    num_points: int | None = None,
    homogeneity_form: str | None = None,
    beta: float = 0.1,
    momentum: float | None = None,
    warmup_epochs: int | None = None,
    redraw_points: bool | None = None,
) -> dict:
    """The SRL hyper-parameters of ``preset`` with the given ones replaced (a dict, as the Rust
    ``SrlParams`` serialises). The weights are λ_e (``envelope``), λ_h (``homogeneity``) and
    λ_c (``contrastive``) of L = λ_e·L_env + λ_h·L_homo + λ_c·L_con; ``homogeneity_form`` is
    ``"paper"`` (Eq. 6) or ``"authors-code"`` (−Σ⟨c_k+1, c_k⟩ + β·Var)."""
    p = json.loads(_core.srl_preset(preset))
    for key, value in (
        ("envelope", envelope),
        ("homogeneity", homogeneity),
        ("contrastive", contrastive),
    ):
        if value is not None:
            p["weights"][key] = float(value)
    if tau is not None:
        p["tau"] = float(tau)
    if num_points is not None:
        p["num_points"] = int(num_points)
    if homogeneity_form is not None:
        if homogeneity_form == "paper":
            p["homogeneity"] = "paper"
        elif homogeneity_form == "authors-code":
            p["homogeneity"] = {"authors-code": {"beta": float(beta)}}
        else:
            raise ValueError(
                f"homogeneity_form must be 'paper' or 'authors-code', got {homogeneity_form!r}"
            )
    if momentum is not None:
        p["memory"]["momentum"] = float(momentum)
    if warmup_epochs is not None:
        p["memory"]["warmup_epochs"] = int(warmup_epochs)
    if redraw_points is not None:
        p["points_policy"] = "redraw-each-epoch" if redraw_points else "fixed"
    return p


class SRL:
    """The SRL objective with its surrogate memory (NumPy).

    ``SRL(centres, dim, preset="paper", **overrides, seed=0, dtype="float32")``: K bins with
    increasing ``centres`` (e.g. ``Bins.auto(y_train).centres``), features of dimension
    ``dim``; the hyper-parameters of :func:`srl_params`. One training epoch::

        srl.start_epoch(epoch)
        for h, bins in batches:              # h: the encoder's raw features (M×d)
            total, parts, grad_h = srl.loss(h, bins)
            ...                              # add grad_h to the gradient arriving at h
            srl.accumulate(h, bins)          # streaming memory update
        srl.end_epoch()                      # S ← α·S + (1−α)·(epoch means)

    The loss is zero (and its gradient too) during the warm-up epochs
    (``srl.is_active(epoch)``), as in the Rust trainer; ``loss`` computes it regardless.
    """

    def __init__(self, centres, dim: int, *, preset: str = "paper", seed: int = 0,
                 dtype: str = "float32", **overrides):
        if dtype not in ("float32", "float64"):
            raise TypeError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        params = srl_params(preset, **overrides)
        centres = [float(c) for c in np.asarray(centres, dtype=np.float64).ravel()]
        self._core = _core.SrlLoss(centres, int(dim), json.dumps(params), int(seed))
        self.params = json.loads(self._core.params_json)
        self.dtype = np.dtype(dtype)
        k, d = self._core.num_bins, self._core.dim
        self.memory = np.zeros((k, d), dtype=self.dtype)
        self.seen = np.zeros(k, dtype=bool)
        self.sums = np.zeros((k, d), dtype=np.float64)
        self.counts = np.zeros(k, dtype=np.int64)
        self.updates = 0

    @property
    def num_bins(self) -> int:
        return self._core.num_bins

    @property
    def dim(self) -> int:
        return self._core.dim

    @property
    def centres(self) -> np.ndarray:
        return self._core.centres

    @property
    def weights(self) -> dict:
        """λ_e, λ_h, λ_c as ``{"envelope", "homogeneity", "contrastive"}``."""
        return dict(self.params["weights"])

    @property
    def tau(self) -> float:
        return self.params["tau"]

    @property
    def momentum(self) -> float:
        return self.params["memory"]["momentum"]

    @property
    def points(self) -> np.ndarray:
        """The enveloping points (N×d, unit rows) in this objective's dtype."""
        return self._core.points(self.dtype.name)

    def is_active(self, epoch: int) -> bool:
        """Whether the SRL terms are on in ``epoch`` (0-based; off during the warm-up)."""
        return self._core.is_active(int(epoch))

    def start_epoch(self, epoch: int) -> None:
        """Starts an epoch (redraws the enveloping points if the policy says so)."""
        self._core.start_epoch(int(epoch))

    def loss(self, h, bins):
        """``(total, parts, grad_h)``: λ_e·L_env + λ_h·L_homo + λ_c·L_con on raw features
        ``h`` (M×d, this objective's dtype) with label ``bins`` (M ints), the unweighted parts
        as a dict, and ∂total/∂h (M×d)."""
        self._check_dtype(h)
        total, env, homo, con, grad = self._core.forward_backward(
            h, bins, self.memory, self.seen)
        return total, {"envelope": env, "homogeneity": homo, "contrastive": con}, grad

    def _check_dtype(self, h) -> None:
        dtype = getattr(h, "dtype", None)
        if dtype is not None and dtype != self.dtype and dtype.kind == "f":
            raise TypeError(
                f"h has dtype {dtype} but this SRL computes in {self.dtype} "
                f"(SRL(..., dtype={str(dtype)!r}), or h.astype({str(self.dtype)!r}))")

    def accumulate(self, h, bins) -> None:
        """Adds the rows h/‖h‖ of a batch to the epoch's per-bin sums (streaming update)."""
        self._check_dtype(h)
        _, _, self.sums, self.counts, _ = _core.memory_accumulate(
            h, bins, self._state(), self.momentum)

    def end_epoch(self) -> None:
        """The memory update of paper Eq. 9; clears the sums (all-reduce them first when
        training data-parallel, see ``srldir.torch.SRLLoss``)."""
        self.memory, self.seen, self.sums, self.counts, self.updates = _core.memory_end_epoch(
            self._state(), self.momentum)

    def _state(self) -> tuple:
        return (self.memory, self.seen, self.sums, self.counts, self.updates)

    def state_dict(self) -> dict:
        """The memory state (copies): memory, seen, sums, counts, updates."""
        return {
            "memory": self.memory.copy(),
            "seen": self.seen.copy(),
            "sums": self.sums.copy(),
            "counts": self.counts.copy(),
            "updates": int(self.updates),
        }

    def load_state_dict(self, state: dict) -> None:
        """Restores a :meth:`state_dict` (checked: shapes, finite values, zero rows for
        never-seen bins)."""
        memory = np.ascontiguousarray(state["memory"], dtype=self.dtype)
        seen = np.ascontiguousarray(state["seen"], dtype=bool)
        sums = np.ascontiguousarray(state.get("sums", np.zeros(memory.shape)), dtype=np.float64)
        counts = np.ascontiguousarray(state.get("counts", np.zeros(len(seen))), dtype=np.int64)
        updates = int(state.get("updates", 0))
        self.memory, self.seen, self.sums, self.counts, self.updates = _core.memory_check(
            (memory, seen, sums, counts, updates), self.momentum)
