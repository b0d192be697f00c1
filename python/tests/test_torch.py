"""The PyTorch layer: gradients through autograd, dtypes, buffers and checkpoints."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import srldir.torch as st  # noqa: E402

CENTRES = [0.0, 1.0, 2.0, 3.5, 4.0]


def h_and_bins(seed=0, m=12, d=6, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(m, d, generator=g, dtype=dtype, requires_grad=True)
    bins = torch.tensor([0, 0, 1, 1, 1, 3, 3, 4, 0, 1, 3, 4][:m])  # bin 2 absent
    return h, bins


def trained_loss(**kw):
    """An SRLLoss past its warm-up with a memory where bin 2 was seen and bin 4 never."""
    f = st.SRLLoss(CENTRES, 6, warmup_epochs=0, **kw).double()
    x = torch.randn(8, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(9))
    f.accumulate(x, torch.tensor([0, 1, 2, 2, 3, 3, 0, 1]))
    f.end_epoch()
    return f


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_srl_gradcheck_geometric_terms(seed):
    # The contrastive term holds its centroid table C̄ constant (stop-gradient, paper Eq. 10),
    # so its backward is not the derivative of its value: gradcheck runs on λ_c = 0 and the
    # contrastive gradient is checked against the independent reference (test_reference.py).
    f = trained_loss(contrastive=0.0)
    h, bins = h_and_bins(seed)
    memory, seen = f.memory.numpy(), f.seen.numpy()
    assert torch.autograd.gradcheck(lambda x: st.srl_loss(x, bins, f.core, memory, seen), (h,))


@pytest.mark.parametrize("seed", [0, 1])
def test_feature_losses_gradcheck(seed):
    h, _ = h_and_bins(seed)
    y = torch.linspace(0, 3, 12, dtype=torch.float64)
    y[3] = y[4]  # a tie
    assert torch.autograd.gradcheck(lambda x: st.rnc(x, y, tau=2.0), (h,))
    assert torch.autograd.gradcheck(lambda x: st.conr(x, y, y + 0.2, omega=0.5), (h,))
    assert torch.autograd.gradcheck(
        lambda x: st.ordinal_entropy(x, y, diversity_weight=1.0, tightness_weight=0.3), (h,))
    # RankSim's backward is the blackbox (interpolated) gradient of a piecewise-constant
    # ranking, by design not its derivative: no gradcheck; it must still flow.
    h.grad = None
    st.ranksim(h, y, lam=2.0).backward()
    assert h.grad is not None and torch.isfinite(h.grad).all()


def test_balanced_mse_gradcheck_on_predictions():
    # Balanced MSE multiplies by a detached 2σ² (reference code), so only ∂/∂pred is the
    # derivative of the value; σ receives the reference's gradient.
    pred = torch.randn(9, dtype=torch.float64, requires_grad=True)
    target = torch.linspace(-1, 1, 9, dtype=torch.float64)
    sigma = torch.tensor(0.8, dtype=torch.float64, requires_grad=True)
    for kw in ({"method": "bmc"},
               {"method": "bni", "prior_centres": [-1.0, 0.0, 1.0], "prior_weights": [1, 3, 1]},
               {"method": "gai", "gmm_weights": [0.5, 0.5], "gmm_means": [-0.5, 0.5],
                "gmm_variances": [0.2, 0.3]}):
        assert torch.autograd.gradcheck(lambda p: st.balanced_mse(p, target, sigma, **kw), (pred,))
        pred.grad = sigma.grad = None
        st.balanced_mse(pred, target, sigma, **kw).backward()
        assert sigma.grad is not None and torch.isfinite(sigma.grad)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_gradient_has_input_dtype(dtype):
    f = trained_loss().to(dtype)
    h, bins = h_and_bins(dtype=dtype)
    f(h, bins).backward()
    assert h.grad.dtype == dtype and h.grad.shape == h.shape
    assert f.memory.dtype == dtype and f.sums.dtype == (
        torch.float64 if dtype == torch.float64 else torch.float32)


def test_warmup_gives_zero_loss_and_zero_gradient():
    f = st.SRLLoss(CENTRES, 6)  # paper preset: one warm-up epoch
    h, bins = h_and_bins(dtype=torch.float32)
    loss = f(h, bins)
    loss.backward()
    assert loss.item() == 0.0 and torch.count_nonzero(h.grad) == 0
    assert f.counts.sum().item() == 12  # the batch still fed the memory
    f.end_epoch()
    assert f.epoch == 1 and f.is_active() and f(h, bins).item() > 0


def test_eval_mode_does_not_accumulate():
    f = trained_loss()
    h, bins = h_and_bins()
    f.eval()
    f(h, bins)
    assert f.counts.sum().item() == 0


def test_state_dict_carries_the_memory():
    f = trained_loss()
    h, bins = h_and_bins()
    f(h, bins)  # pending sums too
    g = st.SRLLoss(CENTRES, 6, warmup_epochs=0).double()
    g.load_state_dict(f.state_dict())
    for name in ("memory", "seen", "sums", "counts", "updates"):
        assert torch.equal(getattr(g, name), getattr(f, name)), name
    g.eval()
    f.eval()
    assert g(h, bins).item() == f(h, bins).item()


def test_bad_checkpoint_is_refused():
    f = trained_loss()
    state = f.state_dict()
    state["memory"][4] = 1.0  # bin 4 was never seen
    g = st.SRLLoss(CENTRES, 6, warmup_epochs=0).double()
    with pytest.raises(ValueError, match="never seen"):
        g.load_state_dict(state)


def test_input_errors():
    f = trained_loss()
    h, bins = h_and_bins()
    with pytest.raises(TypeError, match="float32 or float64"):
        f(h.to(torch.int64), bins)
    with pytest.raises(TypeError, match="integer"):
        f(h, bins.double())
    with pytest.raises(ValueError, match="out of range"):
        f(h, bins + 10)
    with pytest.raises(ValueError, match="columns"):
        f(h[:, :4], bins)


def test_trains_a_small_network():
    torch.manual_seed(0)
    x = torch.randn(256, 4)
    y = x[:, 0] * 2 + torch.sin(x[:, 1])
    edges = torch.linspace(y.min(), y.max() + 1e-6, 9)
    bins = torch.bucketize(y, edges[1:-1])
    centres = ((edges[:-1] + edges[1:]) / 2).tolist()
    enc = torch.nn.Sequential(torch.nn.Linear(4, 32), torch.nn.ReLU(), torch.nn.Linear(32, 16))
    head = torch.nn.Linear(16, 1)
    srl = st.SRLLoss(centres, 16, preset="tabular")
    opt = torch.optim.Adam([*enc.parameters(), *head.parameters()], lr=1e-2)
    first = None
    for _ in range(20):
        for i in range(0, 256, 64):
            h = enc(x[i:i + 64])
            loss = torch.nn.functional.l1_loss(head(h).squeeze(1), y[i:i + 64]) + srl(
                h, bins[i:i + 64])
            opt.zero_grad()
            loss.backward()
            opt.step()
            first = first if first is not None else loss.item()
        srl.end_epoch()
    assert loss.item() < first and srl.epoch == 20 and bool(srl.seen.all())
