"""Independent plain-PyTorch reference implementations of the losses of srldir.

Written from the prose/formula documents only (docs/method.md, docs/baselines.md and the
shared METHOD.md / BASELINES.md); no code of the Rust implementation was consulted.

Conventions
-----------
* Every function takes float64 torch tensors (or array-likes that are converted) and returns
  torch scalars built with autograd, so gradients are obtained with ``torch.autograd.grad``.
* Where the documents are ambiguous the documented reading is the default and the alternative
  is an option; every such place is marked ``AMBIGUITY`` below.
"""

from __future__ import annotations

import math

import numpy as np
import torch

DT = torch.float64


def _t(x, dtype=DT):
    if isinstance(x, torch.Tensor):
        return x.to(dtype)
    return torch.as_tensor(np.asarray(x), dtype=dtype)


def _ti(x):
    if isinstance(x, torch.Tensor):
        return x.to(torch.long)
    return torch.as_tensor(np.asarray(x), dtype=torch.long)


def safe_normalize_rows(x: torch.Tensor) -> torch.Tensor:
    """x / ||x|| row-wise; a zero row stays zero with a zero (not NaN) gradient."""
    sq = (x * x).sum(-1, keepdim=True)
    pos = sq > 0
    norm = torch.sqrt(torch.where(pos, sq, torch.ones_like(sq)))
    return torch.where(pos, x / norm, torch.zeros_like(x))


def f_normalize(x: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """torch.nn.functional.normalize semantics: x / max(||x||, eps)."""
    return torch.nn.functional.normalize(x, dim=-1, eps=eps)


# ---------------------------------------------------------------------------------------------
# 1. SRL objective (method.md, "The losses, equation by equation")
# ---------------------------------------------------------------------------------------------

def srl_surrogate(z, bins, memory, seen, K):
    """Surrogate table C (K x d) and the mask of bins that are present or seen.

    present in batch -> normalise(mean of the batch's z of that bin)   (differentiable)
    absent but seen  -> normalise(memory row)                          (constant)
    never seen       -> zero row
    """
    bins = _ti(bins)
    memory = _t(memory).detach()
    seen = torch.as_tensor(np.asarray(seen), dtype=torch.bool)
    d = z.shape[1]
    present = torch.zeros(K, dtype=torch.bool)
    present[bins] = True
    rows = []
    for k in range(K):
        if present[k]:
            m = z[bins == k].mean(0, keepdim=True)
            rows.append(safe_normalize_rows(m)[0])
        elif seen[k]:
            rows.append(safe_normalize_rows(memory[k : k + 1])[0])
        else:
            rows.append(torch.zeros(d, dtype=z.dtype))
    C = torch.stack(rows, 0)
    valid = present | seen
    return C, valid, present


def srl_envelope(C, valid, points):
    """L_env = 1 - (1/N) sum_j max_{k valid} <p_j, c_k>; arg-max ties -> lowest index.

    Rows of never-seen bins (zero rows, ``valid == False``) never take part in the max.
    The max is realised by gathering the arg-max entry, so the sub-gradient sends -p_j/N to
    the arg-max row only (lowest index among exact ties).
    """
    P = _t(points)
    G = P @ C.T  # N x K
    with torch.no_grad():
        Gm = G.detach().clone()
        Gm[:, ~valid] = -math.inf
        # first occurrence of the maximum == lowest index among ties
        mx = Gm.max(1, keepdim=True).values
        is_max = Gm == mx
        idx = torch.argmax(is_max.to(torch.int64), dim=1)  # first True
    best = G.gather(1, idx[:, None])[:, 0]
    return 1.0 - best.mean()


def srl_homogeneity(C, valid, centres, form="paper", beta=0.1, bridge_gaps=False,
                    var_unbiased=False):
    """Homogeneity on consecutive pairs (k, k+1); pairs with a never-seen row are skipped.

    form="paper":        sum_k ||c_{k+1} - c_k||^2 / (y*_{k+1} - y*_k)          (Eq. 6)
    form="authors-code": -sum_k <c_{k+1}, c_k> + beta * Var_k <c_{k+1}, c_k>

    AMBIGUITY (documented reading = default): "pairs involving a never-seen row are skipped"
    is read as: drop the pair (k, k+1) if either row is never-seen; do NOT bridge the gap.
    ``bridge_gaps=True`` is the other reading (pair each valid bin with the next valid one).
    AMBIGUITY: Var_k is not said to be population or unbiased; population by default.
    """
    centres = _t(centres)
    K = C.shape[0]
    if bridge_gaps:
        vidx = [k for k in range(K) if bool(valid[k])]
        pairs = list(zip(vidx[:-1], vidx[1:]))
    else:
        pairs = [(k, k + 1) for k in range(K - 1) if bool(valid[k]) and bool(valid[k + 1])]
    if not pairs:
        return C.sum() * 0.0
    a = torch.tensor([p[0] for p in pairs])
    b = torch.tensor([p[1] for p in pairs])
    if form == "paper":
        diff = C[b] - C[a]
        gap = centres[b] - centres[a]
        return ((diff * diff).sum(1) / gap).sum()
    elif form == "authors-code":
        cos = (C[b] * C[a]).sum(1)
        if cos.numel() == 1:
            var = cos.sum() * 0.0
        else:
            var = cos.var(correction=1 if var_unbiased else 0)
        return -cos.sum() + beta * var
    raise ValueError(form)


def srl_contrastive(z, bins, C, tau):
    """L_con = -(1/M) sum_i log softmax_k(<z_i, c̄_k>/tau)[b_i], c̄ = C detached.

    Never-seen bins have a zero row, hence logit 0 (they stay in the denominator)."""
    bins = _ti(bins)
    logits = z @ C.detach().T / tau
    logp = torch.log_softmax(logits, dim=1)
    return -logp.gather(1, bins[:, None])[:, 0].mean()


def srl_objective(h, bins, centres, memory, seen, points, lam_e, lam_h, lam_c, tau,
                  form="paper", beta=0.1, bridge_gaps=False, var_unbiased=False,
                  valid_rule="seen"):
    """Returns (total, L_env, L_homo, L_con); total = λe L_env + λh L_homo + λc L_con.

    AMBIGUITY: which rows are excluded from the envelope's max and from L_homo's pairs. The
    docs say "never-seen (zero) row", treating the two as the same. They differ only in
    degenerate cases: a present bin whose batch mean is exactly 0, or a seen bin whose memory
    row is 0. valid_rule="seen" (default): excluded = absent and never seen;
    valid_rule="nonzero": excluded = every zero row of C."""
    centres = _t(centres)
    K = centres.shape[0]
    z = safe_normalize_rows(h)
    C, valid, _ = srl_surrogate(z, bins, memory, seen, K)
    if valid_rule == "nonzero":
        valid = (C.detach() != 0).any(1)
    l_env = srl_envelope(C, valid, points)
    l_homo = srl_homogeneity(C, valid, centres, form=form, beta=beta,
                             bridge_gaps=bridge_gaps, var_unbiased=var_unbiased)
    l_con = srl_contrastive(z, bins, C, tau)
    total = lam_e * l_env + lam_h * l_homo + lam_c * l_con
    return total, l_env, l_homo, l_con


def srl_memory_update(memory, seen, sums, counts, alpha):
    """Epoch-end memory update (numpy): per bin with counts > 0 this epoch,
    S_k <- alpha S_k + (1 - alpha) sums_k / counts_k, or a copy if the bin was never seen."""
    memory = np.array(memory, dtype=np.float64, copy=True)
    seen = np.array(seen, dtype=bool, copy=True)
    sums = np.asarray(sums, dtype=np.float64)
    counts = np.asarray(counts)
    for k in range(memory.shape[0]):
        if counts[k] > 0:
            mean = sums[k] / counts[k]
            if seen[k]:
                memory[k] = alpha * memory[k] + (1.0 - alpha) * mean
            else:
                memory[k] = mean
            seen[k] = True
    return memory, seen


def srl_accumulate(sums, counts, h, bins):
    """sums_k += sum of h_i/||h_i|| over the batch rows of bin k; counts_k += their number."""
    sums = np.array(sums, dtype=np.float64, copy=True)
    counts = np.array(counts, dtype=np.int64, copy=True)
    z = safe_normalize_rows(_t(h)).numpy()
    for zi, b in zip(z, np.asarray(bins)):
        sums[b] += zi
        counts[b] += 1
    return sums, counts


# ---------------------------------------------------------------------------------------------
# 2. RankSim (baselines.md §3) with the blackbox combinatorial backward
# ---------------------------------------------------------------------------------------------

def rank_normalised(v: torch.Tensor) -> torch.Tensor:
    """Position in descending order + 1, divided by the length.

    Ties: among equal values the larger index ranks first (the docs' stable-sort convention),
    i.e. rank_i = 1 + #{j: v_j > v_i} + #{j > i: v_j == v_i}."""
    v = v.detach()
    n = v.shape[-1]
    idx = torch.arange(n)
    gt = (v[None, :] > v[:, None]).sum(1)
    eq_later = ((v[None, :] == v[:, None]) & (idx[None, :] > idx[:, None])).sum(1)
    return (1 + gt + eq_later).to(DT) / n


class BlackboxRank(torch.autograd.Function):
    """rank_normalised with the blackbox backward of Vlastelica et al.:
    s' = s + λ g,  grad_s = -(rank_n(s) - rank_n(s')) / (λ + 1e-8)."""

    @staticmethod
    def forward(ctx, s, lam):
        r = rank_normalised(s)
        ctx.save_for_backward(s, r)
        ctx.lam = lam
        return r

    @staticmethod
    def backward(ctx, g):
        s, r = ctx.saved_tensors
        lam = ctx.lam
        r_prime = rank_normalised(s + lam * g)
        return -(r - r_prime) / (lam + 1e-8), None


def ranksim(x, y, lam):
    """RankSim = sum_i mean_j (r_z,ij - r_y,ij)^2, S = x̂ x̂ᵀ (diagonal included)."""
    y = _t(y)
    xn = f_normalize(x)
    S = xn @ xn.T
    M = x.shape[0]
    loss = x.sum() * 0.0
    for i in range(M):
        r_y = rank_normalised(-(y[i] - y).abs())
        r_z = BlackboxRank.apply(S[i], lam)
        loss = loss + ((r_z - r_y) ** 2).mean()
    return loss


# ---------------------------------------------------------------------------------------------
# 3. ConR (baselines.md §5), single view
# ---------------------------------------------------------------------------------------------

def conr(q, y, yhat, w=None, omega=1.0, tau=0.07, e=0.01, paper_denominator=False):
    """ConR = mean_i w_i L_i over all anchors; L_i = 0 if P_i or N_i is empty.

    code denominator (default): D_i = sum_{k in P_i} e^{s_ik} + (B - |P_i|)
                                      + sum_{k in N_i} eta_ik e^{s_ik}
    paper denominator:          D_i = sum_{k in P_i} e^{s_ik} + sum_{k in N_i} eta_ik e^{s_ik}
    AMBIGUITY: "mean_i" read as the mean over all B anchors (inactive anchors contribute 0).
    """
    y = _t(y)
    yhat = _t(yhat).detach()
    B = q.shape[0]
    w = torch.ones(B, dtype=DT) if w is None else _t(w)
    qn = f_normalize(q)
    s = qn @ qn.T / tau
    dy = (y[:, None] - y[None, :]).abs()
    dp = (yhat[:, None] - yhat[None, :]).abs()
    eye = torch.eye(B, dtype=torch.bool)
    pos = (dy <= omega) & ~eye
    neg = (dy > omega) & (dp <= omega)
    eta = w[:, None] * torch.exp(e * dy)
    npos = pos.sum(1)
    active = (npos > 0) & (neg.sum(1) > 0)
    zero = torch.zeros_like(s)
    denom = torch.where(pos, torch.exp(s), zero).sum(1) + torch.where(neg, eta * torch.exp(s), zero).sum(1)
    if not paper_denominator:
        denom = denom + (B - npos).to(DT)
    # guard the log for anchors that are inactive (their term is zeroed anyway)
    denom_safe = torch.where(active, denom, torch.ones_like(denom))
    logp = s - torch.log(denom_safe)[:, None]
    Li = -torch.where(pos, logp, zero).sum(1) / torch.clamp(npos, min=1).to(DT)
    Li = torch.where(active, Li, torch.zeros_like(Li))
    return (w * Li).mean()


# ---------------------------------------------------------------------------------------------
# 4. Ordinal Entropy (baselines.md §6)
# ---------------------------------------------------------------------------------------------

def ordinal_entropy(z, y, diversity_weight, tightness_weight):
    """Returns (λ_d L_d + λ_t L_t, L_d, L_t) on ẑ = z/||z||.

    L_d = -mean_{i<j} w̃_ij d_ij, d_ij = sqrt(clamp(||ẑ_i - ẑ_j||², 1e-12)),
          w̃ = (w - min)/max over the upper triangle of w_ij = |y_i - y_j|;
          0 if B < 2 or max = 0.
    L_t = mean_i ||ẑ_i - z̄_{y_i}||², z̄_y = mean of the ẑ with label y (not re-normalised).
    """
    y = _t(y)
    B = z.shape[0]
    zn = f_normalize(z)
    if B >= 2:
        i, j = torch.triu_indices(B, B, 1)
        diff = zn[i] - zn[j]
        sq = (diff * diff).sum(1)
        d = torch.sqrt(torch.clamp(sq, min=1e-12))
        w = (y[i] - y[j]).abs()
        wmax = w.max()
        if wmax > 0:
            wt = (w - w.min()) / wmax
            l_d = -(wt * d).mean()
        else:
            l_d = z.sum() * 0.0
    else:
        l_d = z.sum() * 0.0
    same = (y[:, None] == y[None, :]).to(DT)
    zbar = (same @ zn) / same.sum(1, keepdim=True)
    l_t = ((zn - zbar) ** 2).sum(1).mean()
    return diversity_weight * l_d + tightness_weight * l_t, l_d, l_t


# ---------------------------------------------------------------------------------------------
# 5. Rank-N-Contrast (baselines.md §7) on raw (un-normalised) features
# ---------------------------------------------------------------------------------------------

def rnc(z, y, tau):
    """L = 1/(n(n-1)) sum_i sum_{j≠i} -log( e^{s_ij} / sum_{k≠i, d_ik >= d_ij} e^{s_ik} ),
    s_ij = -||z_i - z_j|| / tau (no normalisation), d_ij = |y_i - y_j|; a loop transcription."""
    y = _t(y)
    n = z.shape[0]
    total = z.sum() * 0.0
    if n < 2:
        return total
    for i in range(n):
        others = [k for k in range(n) if k != i]
        diff = z[i][None, :] - z[others]
        sq = (diff * diff).sum(1)
        dist = torch.sqrt(torch.where(sq > 0, sq, torch.ones_like(sq))) * (sq > 0).to(DT)
        s = -dist / tau
        dl = (y[i] - y[others]).abs()
        for a in range(n - 1):
            mask = dl >= dl[a]
            total = total - (s[a] - torch.logsumexp(s[mask], 0))
    return total / (n * (n - 1))


# ---------------------------------------------------------------------------------------------
# 6. Balanced MSE (baselines.md §4)
# ---------------------------------------------------------------------------------------------

def balanced_mse(pred, target, sigma, method="bmc", prior_centres=None, prior_weights=None,
                 gmm_weights=None, gmm_means=None, gmm_variances=None):
    """Mean over samples of loss_i × 2σ² (the factor detached); v = σ²."""
    target = _t(target)
    v = sigma ** 2
    factor = (2.0 * v).detach()
    if method == "bmc":
        logits = -((pred[:, None] - target[None, :]) ** 2) / (2 * v)
        B = pred.shape[0]
        li = -logits[torch.arange(B), torch.arange(B)] + torch.logsumexp(logits, 1)
    elif method == "bni":
        c = _t(prior_centres)
        p = _t(prior_weights)
        keep = p > 0
        c, p = c[keep], p[keep] / p[keep].sum()
        li = (pred - target) ** 2 / (2 * v) + torch.logsumexp(
            -((pred[:, None] - c[None, :]) ** 2) / (2 * v) + torch.log(p)[None, :], 1)
    elif method == "gai":
        pi = _t(gmm_weights)
        mu = _t(gmm_means)
        vk = _t(gmm_variances)
        sv = vk[None, :] + v
        li = (pred - target) ** 2 / (2 * v) + 0.5 * torch.log(v) + torch.logsumexp(
            -0.5 * torch.log(sv) - (pred[:, None] - mu[None, :]) ** 2 / (2 * sv)
            + torch.log(pi)[None, :], 1)
    else:
        raise ValueError(method)
    return (li * factor).mean()


# ---------------------------------------------------------------------------------------------
# 7. Point-wise regression losses (baselines.md §8)
# ---------------------------------------------------------------------------------------------

def regression_loss(pred, target, weights=None, kind="l1", delta=1.0, beta=0.2, gamma=1.0):
    """(1/M) sum_i w_i l(e_i), e = pred - target.

    l1: |e|; mse: e²; huber: e²/(2δ) if |e| < δ else |e| - δ/2;
    focal-l1: |e| tanh(β|e|)^γ; focal-mse: e² tanh(β|e|)^γ."""
    target = _t(target)
    e = pred - target
    a = e.abs()
    if kind == "l1":
        l = a
    elif kind == "mse":
        l = e * e
    elif kind == "huber":
        l = torch.where(a < delta, 0.5 * e * e / delta, a - 0.5 * delta)
    elif kind == "focal-l1":
        l = a * torch.tanh(beta * a) ** gamma
    elif kind == "focal-mse":
        l = e * e * torch.tanh(beta * a) ** gamma
    else:
        raise ValueError(kind)
    if weights is not None:
        l = l * _t(weights)
    return l.mean()


# ---------------------------------------------------------------------------------------------
# 8. INV / SQINV re-weighting and LDS (baselines.md §1)
# ---------------------------------------------------------------------------------------------

def _reflect_index(i: int, n: int) -> int:
    """scipy 'reflect' (half-sample symmetric: d c b a | a b c d | d c b a), period 2n."""
    j = i % (2 * n)
    return j if j < n else 2 * n - 1 - j


def gaussian_window(ks: int, sigma: float) -> np.ndarray:
    """gaussian_filter1d (truncate 4σ, 'reflect') of a centred delta of length 2*((ks-1)//2)+1,
    divided by its max."""
    half = (ks - 1) // 2
    n = 2 * half + 1
    delta = np.zeros(n)
    delta[half] = 1.0
    r = int(4.0 * sigma + 0.5)
    x = np.arange(-r, r + 1, dtype=np.float64)
    taps = np.exp(-0.5 * (x / sigma) ** 2)
    taps /= taps.sum()
    out = np.zeros(n)
    for i in range(n):
        for t in range(2 * r + 1):
            out[i] += taps[t] * delta[_reflect_index(i + t - r, n)]
    return out / out.max()


def triang_window(ks: int) -> np.ndarray:
    """scipy.signal.windows.triang(ks) from its formula."""
    n = np.arange(ks, dtype=np.float64)
    if ks % 2 == 1:
        return 1.0 - np.abs(n - (ks - 1) / 2.0) / ((ks + 1) / 2.0)
    return 1.0 - np.abs(2.0 * n - (ks - 1)) / ks


def laplace_window(ks: int, sigma: float) -> np.ndarray:
    half = (ks - 1) // 2
    x = np.arange(-half, half + 1, dtype=np.float64)
    w = np.exp(-np.abs(x) / sigma) / (2.0 * sigma)
    return w / w.max()


def lds_window(kernel: str, ks: int, sigma: float) -> np.ndarray:
    if kernel == "gaussian":
        return gaussian_window(ks, sigma)
    if kernel == "triang":
        return triang_window(ks)
    if kernel == "laplace":
        return laplace_window(ks, sigma)
    raise ValueError(kernel)


def convolve_zero(a: np.ndarray, win: np.ndarray) -> np.ndarray:
    """Centred convolution with zeros outside the range (odd window lengths)."""
    L = len(win)
    c = (L - 1) // 2
    out = np.zeros(len(a))
    for b in range(len(a)):
        for t in range(L):
            src = b + t - c
            if 0 <= src < len(a):
                out[b] += win[L - 1 - t] * a[src]
    return out


def dir_weights(bins, num_bins, scheme="sqinv", kernel=None, size=5, sigma=2.0) -> np.ndarray:
    bins = np.asarray(bins, dtype=np.int64)
    n = np.bincount(bins, minlength=num_bins).astype(np.float64)
    if scheme == "inv":
        nt = np.clip(n, 5, 1000)
    elif scheme == "sqinv":
        nt = np.sqrt(n)
    else:
        raise ValueError(scheme)
    if kernel is not None:
        nt = convolve_zero(nt, lds_window(kernel, size, sigma))
    w = 1.0 / nt[bins]
    return w * len(w) / w.sum()


# ---------------------------------------------------------------------------------------------
# 9. Dist Loss (baselines.md §7b): the soft sort and the distance term
# ---------------------------------------------------------------------------------------------

def _pav_nonincreasing(u: np.ndarray):
    """Blocks (start, end) of the non-increasing isotonic (least-squares) regression of u."""
    blocks = []  # [start, end, sum, count]
    for i, val in enumerate(u):
        blocks.append([i, i + 1, float(val), 1])
        while len(blocks) > 1 and blocks[-2][2] / blocks[-2][3] <= blocks[-1][2] / blocks[-1][3]:
            s, e, sm, c = blocks.pop()
            blocks[-1][1] = e
            blocks[-1][2] += sm
            blocks[-1][3] += c
    return [(b[0], b[1]) for b in blocks]


def soft_sort(pred, eps):
    """Ascending l2 soft sort (docs §7b): s = sort_desc(-pred), w_j = (B - j)/eps,
    v = non-increasing isotonic regression of w - s, sort_eps(pred) = v - w.
    Built from differentiable pieces, so autograd gives the block-mean backward."""
    B = pred.shape[0]
    order = torch.argsort(-pred.detach(), descending=True, stable=True)
    s = (-pred)[order]
    w = (B - torch.arange(B, dtype=DT)) / eps
    u = w - s
    blocks = _pav_nonincreasing(u.detach().numpy())
    v = torch.cat([u[a:b].mean().expand(b - a) for a, b in blocks])
    return v - w


def dist_term(pred, pseudo_labels, eps, distance="l1"):
    """(1/B) sum_i l(sort_eps(pred)_i - t_i), t sorted ascending."""
    t = torch.sort(_t(pseudo_labels)).values
    r = soft_sort(pred, eps) - t
    return (r.abs() if distance == "l1" else r * r).mean()


def pseudo_labels(train_targets, B, bw=0.5, grid_points=512):
    """AMBIGUITY: one plausible reading of 'KDE on 512 grid points over [min y, max y], read at
    the mid-quantiles (i - 1/2)/B': scipy-style gaussian_kde with factor bw (kernel std =
    bw * std(y, ddof=1)), density on the grid, CDF by the trapezoid rule normalised to 1,
    quantiles by linear interpolation of the inverse CDF. The docs do not fix the CDF rule."""
    y = np.asarray(train_targets, dtype=np.float64)
    g = np.linspace(y.min(), y.max(), grid_points)
    h = bw * y.std(ddof=1)
    dens = np.exp(-0.5 * ((g[:, None] - y[None, :]) / h) ** 2).sum(1)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(g))])
    cdf /= cdf[-1]
    q = (np.arange(1, B + 1) - 0.5) / B
    return np.interp(q, cdf, g)
