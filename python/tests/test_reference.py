"""Compare the srldir package against the independent PyTorch references of reference.py.

Part A checks the references themselves (gradcheck, hand-computed cases, scipy windows,
the AgeDB-DIR test vectors of the docs). Part B compares srldir with the references; it is
skipped when srldir (or one of its functions) is not importable.
"""

import os
import sys

import pytest

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as R  # noqa: E402

torch.set_default_dtype(torch.float64)

RTOL = 1e-5
ATOL = 1e-8
SEEDS = [0, 1, 2, 3, 4]


def close(actual, expected, rtol=RTOL, atol=ATOL, what=""):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64),
                               np.asarray(expected, dtype=np.float64),
                               rtol=rtol, atol=atol, err_msg=what)


def grad_of(fn, *xs):
    xs = [torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True) for x in xs]
    out = fn(*xs)
    value = out[0] if isinstance(out, tuple) else out
    gs = torch.autograd.grad(value, xs, allow_unused=True)
    gs = [np.zeros(x.shape) if g is None else g.numpy() for g, x in zip(gs, xs)]
    return out, gs


# =============================================================================================
# Part A: the references checked on their own
# =============================================================================================

def test_ref_safe_normalize_zero_row():
    h = torch.tensor([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
    z = R.safe_normalize_rows(h)
    z.sum().backward()
    assert torch.isfinite(h.grad).all()
    close(z.detach(), [[0, 0], [0.6, 0.8]])


def _srl_case(rng, M=7, K=5, d=4, N=50):
    h = rng.normal(size=(M, d))
    bins = rng.integers(0, K, size=M)
    centres = np.cumsum(rng.uniform(0.3, 2.0, size=K))
    memory = rng.normal(size=(K, d)) * 3.0
    seen = rng.uniform(size=K) < 0.6
    P = rng.normal(size=(N, d))
    P /= np.linalg.norm(P, axis=1, keepdims=True)
    return h, bins, centres, memory, seen, P


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("form", ["paper", "authors-code"])
def test_ref_srl_gradcheck(seed, form):
    rng = np.random.default_rng(seed)
    h, bins, centres, memory, seen, P = _srl_case(rng)
    h = torch.tensor(h, requires_grad=True)

    # the contrastive term uses a stop-gradient table, so finite differences of the whole
    # objective only apply with λ_c = 0; the contrastive term is checked with C frozen.
    def f(hh):
        return R.srl_objective(hh, bins, centres, memory, seen, P, 0.7, 0.3, 0.0, 0.5,
                               form=form)[0]
    # the envelope max is piecewise linear; random data is away from the kinks
    assert torch.autograd.gradcheck(f, (h,), eps=1e-7, atol=1e-6)
    C, _, _ = R.srl_surrogate(R.safe_normalize_rows(h.detach()), bins, memory, seen, len(centres))

    def g(hh):
        return R.srl_contrastive(R.safe_normalize_rows(hh), bins, C, 0.5)
    assert torch.autograd.gradcheck(g, (h,), eps=1e-7, atol=1e-6)
    # and the full gradient is the sum of both
    _, (gfull,) = grad_of(lambda hh: R.srl_objective(hh, bins, centres, memory, seen, P, 0.7,
                                                     0.3, 1.3, 0.5, form=form)[0], h.detach())
    _, (g1,) = grad_of(f, h.detach())
    _, (g2,) = grad_of(g, h.detach())
    close(gfull, g1 + 1.3 * g2, rtol=1e-12, atol=1e-14)


def test_ref_srl_hand_case():
    # K = 3, d = 2; bin 0 present, bin 1 seen in memory, bin 2 never seen
    h = torch.tensor([[2.0, 0.0], [0.0, 1.0]])  # both bin 0 -> mean (0.5, 0.5) -> (1,1)/√2
    bins = [0, 0]
    centres = [0.0, 1.0, 3.0]
    memory = np.array([[9.0, 9.0], [0.0, -5.0], [1.0, 0.0]])
    seen = [False, True, False]
    P = np.array([[1.0, 0.0], [0.0, -1.0], [-1.0, 0.0]])
    tot, env, homo, con = R.srl_objective(h, bins, centres, memory, seen, P, 1.0, 1.0, 1.0, 1.0)
    c0 = np.array([1.0, 1.0]) / np.sqrt(2)
    c1 = np.array([0.0, -1.0])
    # maxima over valid rows {0,1}: p0 -> c0 (0.7071), p1 -> c1 (1), p2 -> max(-0.7071, 0) = 0
    close(env.item(), 1 - (1 / np.sqrt(2) + 1 + 0) / 3)
    close(homo.item(), np.sum((c1 - c0) ** 2) / 1.0)  # pair (1,2) skipped
    z = np.array([[1.0, 0.0], [0.0, 1.0]])
    C = np.stack([c0, c1, np.zeros(2)])
    lg = z @ C.T
    lse = np.log(np.exp(lg).sum(1))
    close(con.item(), np.mean(lse - lg[:, 0]))


def test_ref_srl_never_seen_not_argmax():
    # a point whose inner products with all valid rows are negative must take the
    # (negative) best valid row, not the zero row of a never-seen bin
    h = torch.tensor([[1.0, 0.0]])
    P = np.array([[-1.0, 0.0]])
    _, env, _, _ = R.srl_objective(h, [0], [0.0, 1.0], np.zeros((2, 2)), [False, False], P,
                                   1, 1, 1, 1)
    close(env.item(), 2.0)


def test_ref_srl_tie_lowest_index():
    # two present bins with identical rows: the point's gradient goes to bin 0 only
    h = torch.tensor([[1.0, 1.0], [2.0, 2.0]], requires_grad=True)
    P = np.array([[1.0, 0.0]])
    _, env, _, _ = R.srl_objective(h, [0, 1], [0.0, 1.0], np.zeros((2, 2)), [False, False], P,
                                   1, 1, 1, 1)
    env.backward()
    assert np.abs(h.grad[1].numpy()).max() == 0.0
    assert np.abs(h.grad[0].numpy()).max() > 0.0


def test_ref_theorem1_inequality_and_equality():
    rng = np.random.default_rng(0)
    K, d = 6, 3
    C = torch.tensor(rng.normal(size=(K, d)))
    centres = torch.tensor(np.cumsum(rng.uniform(0.5, 2, size=K)))
    L = R.srl_homogeneity(C, torch.ones(K, dtype=torch.bool), centres).item()
    dk = torch.linalg.norm(C[1:] - C[:-1], dim=1)
    bound = (dk.sum() ** 2 / (centres[-1] - centres[0])).item()
    assert L >= bound - 1e-12
    # constant speed: points on a line at positions proportional to the centres
    C2 = centres[:, None] * torch.tensor([[1.0, 2.0, -1.0]])
    L2 = R.srl_homogeneity(C2, torch.ones(K, dtype=torch.bool), centres).item()
    dk2 = torch.linalg.norm(C2[1:] - C2[:-1], dim=1)
    close(L2, (dk2.sum() ** 2 / (centres[-1] - centres[0])).item(), rtol=1e-12)


def test_ref_memory_update():
    mem, seen = R.srl_memory_update(np.ones((3, 2)), [True, False, True],
                                    np.array([[2.0, 0.0], [0.0, 4.0], [0.0, 0.0]]), [2, 2, 0],
                                    0.9)
    close(mem, [[0.9 + 0.1, 0.9], [0.0, 2.0], [1.0, 1.0]])
    assert list(seen) == [True, True, True]


def test_ref_rank_normalised_ties():
    v = torch.tensor([0.5, 1.0, 0.5, 0.2])
    # descending: 1.0 (idx1), then the 0.5s with the larger index first: idx2, idx0; then idx3
    close(R.rank_normalised(v), np.array([3, 1, 2, 4]) / 4)


def test_ref_ranksim_hand():
    # 3 samples, labels 0,1,2; features chosen so that feature order matches label order
    x = torch.tensor([[1.0, 0.0], [np.cos(0.5), np.sin(0.5)], [np.cos(1.0), np.sin(1.0)]],
                     requires_grad=True)
    y = [0.0, 1.0, 2.0]
    # anchor 1: label distances (1,0,1) tie between 0 and 2 -> larger index first
    # r_y(1) = [3,1,2]/3, S_1 = (cos .5, 1, cos .5) -> tie too -> same ranks -> loss 0 there
    val = R.ranksim(x, y, 2.0)
    close(val.item(), 0.0)
    val.backward()
    close(x.grad, np.zeros((3, 2)))


def test_ref_ranksim_blackbox_grad_is_descent():
    rng = np.random.default_rng(3)
    x = torch.tensor(rng.normal(size=(8, 5)), requires_grad=True)
    y = rng.permutation(8).astype(float)
    v0 = R.ranksim(x, y, 2.0)
    v0.backward()
    # the blackbox gradient is finite and non-zero for a mis-ranked batch
    assert torch.isfinite(x.grad).all() and x.grad.abs().max() > 0
    xx = x.detach().clone().requires_grad_(True)
    vals = []
    for _ in range(300):
        v = R.ranksim(xx, y, 2.0)
        (g,) = torch.autograd.grad(v, xx)
        with torch.no_grad():
            xx -= 0.5 * g
        vals.append(v.item())
    assert min(vals) < 0.3 * vals[0]


def test_ref_ranksim_blackbox_manual():
    # one anchor, hand-checked blackbox gradient on a length-3 row
    s = torch.tensor([0.1, 0.3, 0.2], requires_grad=True)
    r = R.BlackboxRank.apply(s, 2.0)
    close(r.detach(), np.array([3, 1, 2]) / 3)
    g = torch.tensor([0.0, -0.2, 0.2])  # s' = (0.1, -0.1, 0.6): ranks (2,3,1)/3
    (gs,) = torch.autograd.grad(r, s, g)
    close(gs, -(np.array([3, 1, 2]) - np.array([2, 3, 1])) / 3 / (2.0 + 1e-8))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("paper", [False, True])
def test_ref_conr_gradcheck(seed, paper):
    rng = np.random.default_rng(seed)
    B = 9
    q = torch.tensor(rng.normal(size=(B, 4)), requires_grad=True)
    y = rng.integers(0, 5, size=B).astype(float)
    yh = y + rng.normal(size=B) * 2
    w = rng.uniform(0.5, 2, size=B)
    f = lambda qq: R.conr(qq, y, yh, w, omega=1.0, tau=0.2, e=0.01, paper_denominator=paper)
    assert torch.autograd.gradcheck(f, (q,), eps=1e-7, atol=1e-6)


def test_ref_conr_literal():
    # compare against a literal per-anchor loop transcription of the docs' formula
    rng = np.random.default_rng(11)
    B, tau, om, e = 8, 0.07, 1.0, 0.01
    q = rng.normal(size=(B, 3))
    y = rng.integers(0, 4, size=B).astype(float)
    yh = y + rng.normal(size=B)
    w = rng.uniform(0.5, 2, size=B)
    qn = q / np.linalg.norm(q, axis=1, keepdims=True)
    s = qn @ qn.T / tau
    for paper in [False, True]:
        tot = 0.0
        for i in range(B):
            P = [k for k in range(B) if k != i and abs(y[i] - y[k]) <= om]
            N = [k for k in range(B) if abs(y[i] - y[k]) > om and abs(yh[i] - yh[k]) <= om]
            if not P or not N:
                continue
            if paper:
                D = sum(np.exp(s[i, k]) for k in P)
            else:
                D = sum(np.exp(s[i, k] * (k in P)) for k in range(B))
            D += sum(w[i] * np.exp(e * abs(y[i] - y[k])) * np.exp(s[i, k]) for k in N)
            Li = -np.mean([np.log(np.exp(s[i, k]) / D) for k in P])
            tot += w[i] * Li
        close(R.conr(torch.tensor(q), y, yh, w, om, tau, e, paper).item(), tot / B, rtol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_ref_oe_gradcheck(seed):
    rng = np.random.default_rng(seed)
    z = torch.tensor(rng.normal(size=(7, 3)), requires_grad=True)
    y = rng.integers(0, 4, size=7).astype(float)
    f = lambda zz: R.ordinal_entropy(zz, y, 0.7, 0.4)[0]
    assert torch.autograd.gradcheck(f, (z,), eps=1e-7, atol=1e-6)


def test_ref_oe_degenerate():
    z = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    v, ld, lt = R.ordinal_entropy(z, [2.0, 2.0], 1.0, 1.0)
    close(ld.item(), 0.0)
    close(lt.item(), 0.5)  # both at distance sqrt(0.5) from their mean (0.5, 0.5)
    v, ld, lt = R.ordinal_entropy(z[:1], [1.0], 1.0, 1.0)
    close(v.item(), 0.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_ref_rnc_gradcheck(seed):
    rng = np.random.default_rng(seed)
    z = torch.tensor(rng.normal(size=(6, 3)), requires_grad=True)
    y = rng.integers(0, 3, size=6).astype(float)
    f = lambda zz: R.rnc(zz, y, 2.0)
    assert torch.autograd.gradcheck(f, (z,), eps=1e-7, atol=1e-6)


def test_ref_rnc_n2():
    z = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    # each pair has only itself in the denominator -> log 1 = 0
    close(R.rnc(z, [0.0, 1.0], 2.0).item(), 0.0)


@pytest.mark.parametrize("method", ["bmc", "bni", "gai"])
def test_ref_bmse_gradcheck(method):
    rng = np.random.default_rng(5)
    B = 6
    pred = torch.tensor(rng.normal(size=B), requires_grad=True)
    sigma = torch.tensor(0.7, requires_grad=True)
    t = rng.normal(size=B)
    kw = dict(prior_centres=np.linspace(-2, 2, 7), prior_weights=rng.uniform(0, 1, 7),
              gmm_weights=np.array([0.2, 0.5, 0.3]), gmm_means=np.array([-1.0, 0.0, 1.5]),
              gmm_variances=np.array([0.3, 1.0, 0.5]))
    # gradcheck with sigma varying would also vary the detached factor; check pred only
    f = lambda p: R.balanced_mse(p, t, sigma.detach(), method, **kw)
    assert torch.autograd.gradcheck(f, (pred,), eps=1e-7, atol=1e-6)
    # sigma: derivative of loss/factor × factor at fixed factor
    v = R.balanced_mse(pred, t, sigma, method, **kw)
    (gs,) = torch.autograd.grad(v, sigma)
    h = 1e-6
    fac = 2 * 0.7 ** 2

    def unscaled(sg):
        return R.balanced_mse(pred.detach(), t, torch.tensor(sg), method, **kw).item() / (2 * sg ** 2)
    fd = (unscaled(0.7 + h) - unscaled(0.7 - h)) / (2 * h) * fac
    close(gs.item(), fd, rtol=1e-6)


def test_ref_bmc_single_sample_zero():
    close(R.balanced_mse(torch.tensor([0.3]), [1.0], torch.tensor(0.5), "bmc").item(), 0.0)


def test_ref_regression_values():
    p = torch.tensor([0.0, 3.0])
    t = [0.5, 0.0]
    close(R.regression_loss(p, t, kind="huber", delta=1.0).item(), (0.125 + 2.5) / 2)
    close(R.regression_loss(p, t, kind="focal-l1", beta=0.2, gamma=1).item(),
          (0.5 * np.tanh(0.1) + 3 * np.tanh(0.6)) / 2)
    close(R.regression_loss(p, t, [2.0, 0.0], kind="mse").item(), 0.25)


def test_ref_windows_against_scipy():
    ndimage = pytest.importorskip("scipy.ndimage")
    signal = pytest.importorskip("scipy.signal")
    close(R.gaussian_window(5, 2.0), [0.858285, 0.945828, 1, 0.945828, 0.858285], rtol=1e-6)
    for ks, sg in [(5, 2.0), (9, 1.0), (7, 3.0), (15, 3.0), (3, 0.5)]:
        half = (ks - 1) // 2
        delta = np.zeros(2 * half + 1)
        delta[half] = 1
        g = ndimage.gaussian_filter1d(delta, sg)
        close(R.gaussian_window(ks, sg), g / g.max(), rtol=1e-12)
    for ks in [3, 4, 5, 8, 9]:
        close(R.triang_window(ks), signal.windows.triang(ks), rtol=1e-12)
    a = np.arange(10.0) ** 1.5
    win = R.gaussian_window(7, 2.0)
    close(R.convolve_zero(a, win), ndimage.convolve1d(a, win, mode="constant"), rtol=1e-12)


def test_ref_dir_weights_agedb_vectors():
    path = "/work/shared/datasets/agedb-dir/agedb.csv"
    if not os.path.exists(path):
        pytest.skip("agedb.csv not available")
    import csv
    ages = [int(r["age"]) for r in csv.DictReader(open(path)) if r["split"] == "train"]
    ages = np.minimum(np.array(ages), 120)

    def w_of(w, age):
        return w[np.nonzero(ages == age)[0][0]]
    w = R.dir_weights(ages, 121, "sqinv")
    for age, ref in [(1, 13.0765), (30, 0.7254), (60, 0.9614), (90, 4.9425)]:
        close(w_of(w, age), ref, rtol=1e-4)
    w = R.dir_weights(ages, 121, "inv")
    for age, ref in [(1, 26.597), (30, 0.4092)]:
        close(w_of(w, age), ref, rtol=1e-4)
    w = R.dir_weights(ages, 121, "sqinv", "gaussian", 5, 2.0)
    for age, ref in [(1, 22.0098), (3, 11.0526), (30, 0.7661), (60, 0.9978), (90, 5.0497),
                     (101, 18.7088)]:
        close(w_of(w, age), ref, rtol=1e-4)


def test_ref_soft_sort_limits():
    rng = np.random.default_rng(2)
    p = torch.tensor(rng.normal(size=9), requires_grad=True)
    close(R.soft_sort(p, 1e-6).detach(), np.sort(p.detach().numpy()), rtol=1e-10)
    close(R.soft_sort(p, 1e6).detach(), np.full(9, p.detach().mean().item()), rtol=1e-4)
    for eps in [0.01, 0.3, 1.0, 5.0]:
        out = R.soft_sort(p, eps)
        o = out.detach().numpy()
        assert np.all(np.diff(o) >= -1e-12)
        close(o.sum(), p.detach().sum().item(), rtol=1e-12)
        f = lambda pp: R.soft_sort(pp, eps)
        assert torch.autograd.gradcheck(f, (p,), eps=1e-7, atol=1e-6)


# =============================================================================================
# Part B: srldir against the references
# =============================================================================================

@pytest.fixture(scope="module")
def srldir():
    return pytest.importorskip("srldir")


def need(mod, name):
    fn = getattr(mod, name, None)
    if fn is None:
        pytest.skip(f"srldir.{name} not available")
    return fn


# ---------------------------------------------------------------------------------------------
# SRL objective
# ---------------------------------------------------------------------------------------------

LAM = (0.7, 0.3, 1.3)
TAU = 0.5


def _centres(rng, K, uniform=False):
    if uniform:
        return np.arange(K, dtype=np.float64) * 0.5 + 1.0
    return np.cumsum(rng.uniform(0.2, 3.0, size=K)) - 2.0


def srl_case(name, seed):
    """(h, bins, centres, memory, seen) for one awkward case."""
    rng = np.random.default_rng(1000 + seed)
    d = 5
    if name == "generic":
        K, M = 6, 12
        bins = rng.integers(0, K, size=M)
        seen = rng.uniform(size=K) < 0.5
    elif name == "absent_seen":  # several bins absent from the batch but seen in memory
        K, M = 8, 10
        bins = rng.choice([1, 4, 5], size=M)
        seen = np.ones(K, dtype=bool)
    elif name == "never_seen_gaps":  # never-seen bins inside the range and at the ends
        K, M = 9, 10
        bins = rng.choice([1, 2, 5, 7], size=M)
        seen = np.zeros(K, dtype=bool)
        seen[[3, 6]] = True  # 0, 4, 8 never seen and absent
    elif name == "nothing_seen":  # first epoch: memory empty, only the batch's bins
        K, M = 7, 9
        bins = rng.choice([0, 2, 3, 6], size=M)
        seen = np.zeros(K, dtype=bool)
    elif name == "single_bin":
        K, M = 5, 6
        bins = np.full(M, 2)
        seen = rng.uniform(size=K) < 0.5
    elif name == "single_bin_alone":  # one present bin, nothing else valid
        K, M = 4, 5
        bins = np.full(M, 1)
        seen = np.zeros(K, dtype=bool)
    elif name == "one_per_bin":
        K = M = 6
        bins = rng.permutation(K)
        seen = rng.uniform(size=K) < 0.5
    elif name == "K2":
        K, M = 2, 5
        bins = rng.integers(0, 2, size=M)
        seen = np.array([True, False])
    elif name == "K2_one_absent":
        K, M = 2, 3
        bins = np.zeros(M, dtype=np.int64)
        seen = np.array([False, True])
    elif name == "uniform_centres":
        K, M = 6, 12
        bins = rng.integers(0, K, size=M)
        seen = np.ones(K, dtype=bool)
    else:
        raise ValueError(name)
    h = rng.normal(size=(M, d)) * rng.uniform(0.1, 5.0, size=(M, 1))
    centres = _centres(rng, K, uniform=(name == "uniform_centres"))
    memory = rng.normal(size=(K, d)) * rng.uniform(0.2, 4.0, size=(K, 1))  # not normalised
    memory[~seen] = 0.0
    return h, np.asarray(bins, dtype=np.int64), centres, memory, seen


SRL_CASES = ["generic", "absent_seen", "never_seen_gaps", "nothing_seen", "single_bin",
             "single_bin_alone", "one_per_bin", "K2", "K2_one_absent", "uniform_centres"]


def make_srl(srldir, centres, d, seed, form="paper", beta=0.1, lam=LAM, tau=TAU, N=64,
             momentum=0.9):
    return srldir.SRL(np.asarray(centres, dtype=np.float64), d, envelope=lam[0],
                      homogeneity=lam[1], contrastive=lam[2], tau=tau, num_points=N,
                      homogeneity_form=form, beta=beta, momentum=momentum, warmup_epochs=0,
                      seed=seed, dtype="float64")


def load_memory(srl, memory, seen):
    K, d = memory.shape
    srl.load_state_dict({"memory": np.asarray(memory, dtype=np.float64),
                         "seen": np.asarray(seen, dtype=bool),
                         "sums": np.zeros((K, d), dtype=np.float64),
                         "counts": np.zeros(K, dtype=np.int64),
                         "updates": int(np.any(seen))})


def compare_srl(srldir, h, bins, centres, memory, seen, seed, form="paper", beta=0.1,
                lam=LAM, tau=TAU, N=64):
    srl = make_srl(srldir, centres, h.shape[1], seed, form=form, beta=beta, lam=lam, tau=tau,
                   N=N)
    load_memory(srl, memory, seen)
    P = np.asarray(srl.points, dtype=np.float64)
    assert P.shape == (N, h.shape[1])
    close(np.linalg.norm(P, axis=1), np.ones(N), rtol=1e-12, what="points not unit")
    wts = srl.weights
    close([wts["envelope"], wts["homogeneity"], wts["contrastive"]], lam, rtol=1e-15)
    close(srl.tau, tau, rtol=1e-15)
    total, parts, grad = srl.loss(np.asarray(h, dtype=np.float64), np.asarray(bins))
    (rt, renv, rhomo, rcon), (rg,) = grad_of(
        lambda hh: R.srl_objective(hh, bins, centres, memory, seen, P, *lam, tau, form=form,
                                   beta=beta), h)
    close(parts["envelope"], renv.item(), what="envelope")
    close(parts["homogeneity"], rhomo.item(), what="homogeneity")
    close(parts["contrastive"], rcon.item(), what="contrastive")
    close(total, rt.item(), what="total")
    close(grad, rg, what="grad_h")
    return srl


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", SRL_CASES)
def test_srl_paper(srldir, case, seed):
    need(srldir, "SRL")
    h, bins, centres, memory, seen = srl_case(case, seed)
    compare_srl(srldir, h, bins, centres, memory, seen, seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", SRL_CASES)
def test_srl_authors_code(srldir, case, seed):
    need(srldir, "SRL")
    h, bins, centres, memory, seen = srl_case(case, seed)
    compare_srl(srldir, h, bins, centres, memory, seen, seed, form="authors-code", beta=0.37)


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_srl_other_weights_and_tau(srldir, seed):
    need(srldir, "SRL")
    h, bins, centres, memory, seen = srl_case("generic", seed)
    compare_srl(srldir, h, bins, centres, memory, seen, seed, lam=(1.0, 0.01, 0.03), tau=0.1,
                N=200)
    compare_srl(srldir, h, bins, centres, memory, seen, seed, lam=(1e-4, 1e-4, 1e-4), tau=2.0,
                N=17)


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_srl_duplicate_rows_ties(srldir, seed):
    """Identical features in two bins (one sample each) give identical surrogate rows:
    an exact arg-max tie in L_env, which must go to the lower bin index."""
    need(srldir, "SRL")
    rng = np.random.default_rng(seed)
    K, d = 4, 3
    # an axis vector scaled by powers of two normalises exactly, so the rows tie bit for bit
    v = np.zeros(d)
    v[seed % d] = 1.0
    h = np.stack([2.0 * v, 4.0 * v, rng.normal(size=d), rng.normal(size=d)])
    bins = np.array([0, 1, 2, 3])
    centres = _centres(rng, K)
    compare_srl(srldir, h, bins, centres, np.zeros((K, d)), np.zeros(K, dtype=bool), seed)
    # the same tie between a present bin and a memory row
    mem = np.zeros((K, d))
    mem[1] = 8.0 * v
    seen = np.array([False, True, False, False])
    compare_srl(srldir, h[[0, 2, 3]], np.array([0, 2, 3]), centres, mem, seen, seed)


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_srl_zero_feature_row(srldir, seed):
    """A zero feature row must not give NaN (z = 0)."""
    need(srldir, "SRL")
    h, bins, centres, memory, seen = srl_case("generic", seed)
    h[3] = 0.0
    srl = make_srl(srldir, centres, h.shape[1], seed)
    load_memory(srl, memory, seen)
    total, parts, grad = srl.loss(h, bins)
    assert np.isfinite(total) and np.all(np.isfinite(grad))
    assert all(np.isfinite(v) for v in parts.values())
    P = np.asarray(srl.points)
    rt, renv, rhomo, rcon = R.srl_objective(torch.tensor(h), bins, centres, memory, seen, P,
                                            *LAM, TAU)
    close(total, rt.item(), what="total with a zero feature row")
    close(parts["contrastive"], rcon.item(), what="contrastive with a zero feature row")


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_srl_loss_does_not_touch_state(srldir, seed):
    need(srldir, "SRL")
    h, bins, centres, memory, seen = srl_case("generic", seed)
    srl = make_srl(srldir, centres, h.shape[1], seed)
    load_memory(srl, memory, seen)
    before = srl.state_dict()
    a = srl.loss(h, bins)
    b = srl.loss(h, bins)
    close(a[0], b[0], rtol=0, atol=0)
    after = srl.state_dict()
    for key in ["memory", "seen", "sums", "counts"]:
        close(np.asarray(after[key], dtype=np.float64), np.asarray(before[key], dtype=np.float64),
              rtol=0, atol=0, what=key)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("momentum", [0.9, 0.5])
def test_srl_memory_update(srldir, seed, momentum):
    """accumulate adds h/||h|| per bin; end_epoch: S <- αS + (1-α) mean, per-bin first copy."""
    need(srldir, "SRL")
    rng = np.random.default_rng(seed)
    K, d = 7, 4
    centres = _centres(rng, K)
    srl = make_srl(srldir, centres, d, seed, momentum=momentum)
    memory = rng.normal(size=(K, d))
    seen = np.array([True, True, False, True, False, False, True])
    memory[~seen] = 0.0
    load_memory(srl, memory, seen)
    sums = np.zeros((K, d))
    counts = np.zeros(K, dtype=np.int64)
    for _ in range(3):
        M = 6
        h = rng.normal(size=(M, d)) * 3
        b = rng.choice([0, 2, 3, 4], size=M)
        srl.accumulate(h, b)
        sums, counts = R.srl_accumulate(sums, counts, h, b)
    st = srl.state_dict()
    close(st["sums"], sums, what="sums after accumulate")
    close(st["counts"], counts, what="counts after accumulate")
    srl.end_epoch()
    mem_ref, seen_ref = R.srl_memory_update(memory, seen, sums, counts, momentum)
    st = srl.state_dict()
    close(st["memory"], mem_ref, what="memory after end_epoch")
    assert list(np.asarray(st["seen"], dtype=bool)) == list(seen_ref)
    close(st["counts"], np.zeros(K), what="counts reset")
    close(st["sums"], np.zeros((K, d)), what="sums reset")
    # the next loss uses the updated memory
    h = rng.normal(size=(5, d))
    b = np.array([0, 0, 5, 5, 5])
    total, parts, grad = srl.loss(h, b)
    (rt, _, _, _), (rg,) = grad_of(
        lambda hh: R.srl_objective(hh, b, centres, mem_ref, seen_ref, np.asarray(srl.points),
                                   *LAM, TAU), h)
    close(total, rt.item(), what="loss after end_epoch")
    close(grad, rg, what="grad after end_epoch")


def test_srl_first_update_from_empty(srldir):
    need(srldir, "SRL")
    rng = np.random.default_rng(7)
    K, d = 5, 3
    srl = make_srl(srldir, _centres(rng, K), d, 7)
    h = rng.normal(size=(8, d))
    b = np.array([0, 0, 1, 3, 3, 3, 1, 0])
    srl.accumulate(h, b)
    srl.end_epoch()
    sums, counts = R.srl_accumulate(np.zeros((K, d)), np.zeros(K, np.int64), h, b)
    mem_ref, seen_ref = R.srl_memory_update(np.zeros((K, d)), np.zeros(K, bool), sums, counts, 0.9)
    st = srl.state_dict()
    close(st["memory"], mem_ref)
    assert list(np.asarray(st["seen"], dtype=bool)) == list(seen_ref)


@pytest.mark.parametrize("seed", SEEDS[:3])
@pytest.mark.parametrize("form", ["paper", "authors-code"])
def test_srl_realistic_size(srldir, seed, form):
    """A training-sized call: K = 30 bins, d = 16, M = 64, N = 2000, a third never seen."""
    need(srldir, "SRL")
    rng = np.random.default_rng(1500 + seed)
    K, d, M = 30, 16, 64
    centres = _centres(rng, K)
    seen = rng.uniform(size=K) < 0.66
    memory = rng.normal(size=(K, d)) * 2
    memory[~seen] = 0.0
    bins = rng.integers(0, K, size=M)
    h = np.maximum(rng.normal(size=(M, d)), 0.0) + 1e-3  # ReLU-like features
    compare_srl(srldir, h, bins, centres, memory, seen, seed, form=form, N=2000,
                lam=(1.0, 0.01, 0.03), tau=0.1)


@pytest.mark.parametrize("seed", SEEDS[:3])
@pytest.mark.parametrize("case", ["present_zero_mean", "seen_zero_memory"])
def test_srl_degenerate_zero_rows(srldir, case, seed):
    """Degenerate rows the docs do not separate from never-seen ones ("never-seen (zero) row"):
    a present bin whose batch mean is exactly 0, and a seen bin whose memory row is 0. The
    package excludes every zero row from the envelope's max and from L_homo's pairs
    (reference option valid_rule="nonzero"); the default reading (valid = present or seen)
    gives different L_env / L_homo here. No NaN either way."""
    need(srldir, "SRL")
    rng = np.random.default_rng(seed)
    K, d = 5, 3
    centres = _centres(rng, K)
    memory = rng.normal(size=(K, d))
    if case == "present_zero_mean":
        v = rng.normal(size=d)
        h = np.vstack([v, -2.0 * v, rng.normal(size=(3, d))])
        bins = np.array([1, 1, 2, 3, 3])
        seen = np.array([True, False, False, True, True])
        h[:2] = [[1.0, 0, 0], [-1.0, 0, 0]]  # exactly opposite unit directions
    else:
        h = rng.normal(size=(4, d))
        bins = np.array([0, 2, 2, 4])
        seen = np.array([True, True, True, True, False])
        memory[1] = 0.0
    memory[~seen] = 0.0
    srl = make_srl(srldir, centres, d, seed, N=200)
    load_memory(srl, memory, seen)
    total, parts, grad = srl.loss(h, bins)
    assert np.isfinite(total) and np.all(np.isfinite(grad))
    (rt, renv, rhomo, rcon), (rg,) = grad_of(
        lambda hh: R.srl_objective(hh, bins, centres, memory, seen, np.asarray(srl.points),
                                   *LAM, TAU, valid_rule="nonzero"), h)
    close(parts["envelope"], renv.item(), what="envelope")
    close(parts["homogeneity"], rhomo.item(), what="homogeneity")
    close(parts["contrastive"], rcon.item(), what="contrastive")
    close(grad, rg, what="grad")


# values of the preset table of docs/method.md and of the paper/code columns
PRESET_DOCS = {
    "paper": ((0.1, 0.1, 1.0), 1.0),
    "authors-code": ((100.0, 0.01, 10.0), 0.3),
    "tabular": ((1.0, 0.01, 0.03), 0.1),
    "iol-linear": ((1e-4, 1e-4, 3e-3), 0.1),
    "operator": ((1e-4, 1e-4, 1e-4), 1.0),
}


@pytest.mark.parametrize("preset", sorted(PRESET_DOCS))
def test_srl_presets_match_docs(srldir, preset):
    need(srldir, "SRL")
    if preset not in getattr(srldir, "PRESETS", ()):
        pytest.skip(f"preset {preset} not offered")
    srl = srldir.SRL(np.arange(5.0), 3, preset=preset, dtype="float64")
    lam, tau = PRESET_DOCS[preset]
    w = srl.weights
    close([w["envelope"], w["homogeneity"], w["contrastive"]], lam, rtol=1e-12)
    close(srl.tau, tau, rtol=1e-12)
    # and the preset's loss agrees with the reference at its own weights / points
    rng = np.random.default_rng(3)
    h = rng.normal(size=(8, 3))
    bins = rng.integers(0, 5, size=8)
    total, parts, grad = srl.loss(h, bins)
    form = "authors-code" if preset == "authors-code" else "paper"
    (rt, _, _, _), (rg,) = grad_of(
        lambda hh: R.srl_objective(hh, bins, np.arange(5.0), np.zeros((5, 3)), np.zeros(5, bool),
                                   np.asarray(srl.points, dtype=np.float64), *lam, tau,
                                   form=form, beta=0.1), h)
    close(total, rt.item(), what="preset total")
    close(grad, rg, what="preset grad")


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_srl_float32(srldir, seed):
    """The float32 build agrees with the float64 reference to float32 accuracy."""
    need(srldir, "SRL")
    h, bins, centres, memory, seen = srl_case("never_seen_gaps", seed)
    srl = srldir.SRL(centres, h.shape[1], envelope=LAM[0], homogeneity=LAM[1],
                     contrastive=LAM[2], tau=TAU, num_points=64, warmup_epochs=0, seed=seed,
                     dtype="float32")
    load_memory(srl, memory, seen)
    total, parts, grad = srl.loss(h.astype(np.float32), bins)
    (rt, _, _, _), (rg,) = grad_of(
        lambda hh: R.srl_objective(hh, bins, centres, memory, seen,
                                   np.asarray(srl.points, dtype=np.float64), *LAM, TAU), h)
    close(total, rt.item(), rtol=1e-4, atol=1e-5)
    close(grad, rg, rtol=1e-3, atol=1e-5)


# ---------------------------------------------------------------------------------------------
# RankSim
# ---------------------------------------------------------------------------------------------

def ranksim_case(name, seed):
    rng = np.random.default_rng(2000 + seed)
    if name == "distinct":
        M = 10
        y = rng.permutation(M).astype(float) * 1.5
    elif name == "noninteger":
        M = 9
        y = rng.normal(size=M) * 10
    elif name == "label_ties":  # repeated labels (no subsampling inside ranksim)
        M = 9
        y = rng.integers(0, 4, size=M).astype(float)
    elif name == "two":
        M = 2
        y = np.array([0.0, 3.0])
    elif name == "duplicate_features":
        M = 8
        y = rng.permutation(M).astype(float)
    elif name == "large":
        M = 48
        y = rng.integers(0, 20, size=M).astype(float)
    else:
        raise ValueError(name)
    x = rng.normal(size=(M, 6)) * rng.uniform(0.2, 3, size=(M, 1))
    if name == "duplicate_features":
        x[3] = x[1] * 2.0
    return x, y


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", ["distinct", "noninteger", "label_ties", "two",
                                  "duplicate_features", "large"])
@pytest.mark.parametrize("lam", [2.0, 0.5, 10.0])
def test_ranksim(srldir, case, seed, lam):
    fn = need(srldir, "ranksim")
    x, y = ranksim_case(case, seed)
    value, grad = fn(x, y, lam=lam)
    rv, (rg,) = grad_of(lambda xx: R.ranksim(xx, y, lam), x)
    close(value, rv.item(), what="ranksim value")
    close(grad, rg, what="ranksim blackbox grad")


# ---------------------------------------------------------------------------------------------
# ConR
# ---------------------------------------------------------------------------------------------

def conr_case(name, seed):
    rng = np.random.default_rng(3000 + seed)
    B = 12
    y = rng.integers(0, 6, size=B).astype(float)
    yh = y + rng.normal(size=B) * 1.5
    w = None
    if name == "weights":
        w = rng.uniform(0.3, 3.0, size=B)
    elif name == "no_hard_negatives":
        yh = y * 100.0
    elif name == "lonely_anchors":  # some anchors without positives
        y = np.array([0, 0, 5, 10, 10, 10, 20, 21, 30, 40, 40, 50], dtype=float)
        yh = rng.normal(size=B) * 0.5 + 20
    elif name == "all_same_label":
        y = np.full(B, 3.0)
    elif name == "real_labels":
        y = rng.normal(size=B) * 2
        yh = y + rng.normal(size=B)
    x = rng.normal(size=(B, 5)) * rng.uniform(0.2, 3, size=(B, 1))
    return x, y, yh, w


CONR_CASES = ["plain", "weights", "no_hard_negatives", "lonely_anchors", "all_same_label",
              "real_labels"]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", CONR_CASES)
@pytest.mark.parametrize("paper", [False, True])
def test_conr(srldir, case, seed, paper):
    fn = need(srldir, "conr")
    x, y, yh, w = conr_case(case, seed)
    for omega, tau, e in [(1.0, 0.07, 0.01), (0.5, 0.2, 0.3), (2.0, 1.0, 0.0)]:
        value, grad = fn(x, y, yh, w, omega=omega, temperature=tau, e=e, paper_denominator=paper)
        rv, (rg,) = grad_of(lambda xx: R.conr(xx, y, yh, w, omega, tau, e, paper), x)
        close(value, rv.item(), what=f"conr value ω={omega} τ={tau} e={e}")
        close(grad, rg, what=f"conr grad ω={omega} τ={tau} e={e}")


# ---------------------------------------------------------------------------------------------
# Ordinal entropy
# ---------------------------------------------------------------------------------------------

def oe_case(name, seed):
    rng = np.random.default_rng(4000 + seed)
    B = {"plain": 10, "ties": 10, "all_equal": 6, "one": 1, "two": 2, "real": 8}[name]
    if name == "ties":
        y = rng.integers(0, 3, size=B).astype(float)
    elif name == "all_equal":
        y = np.full(B, 2.0)
    elif name == "real":
        y = rng.normal(size=B) + 5
    else:
        y = rng.permutation(B).astype(float) + 1
    z = rng.normal(size=(B, 4)) * rng.uniform(0.2, 3, size=(B, 1))
    return z, y


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", ["plain", "ties", "all_equal", "one", "two", "real"])
def test_ordinal_entropy(srldir, case, seed):
    fn = need(srldir, "ordinal_entropy")
    z, y = oe_case(case, seed)
    for ld, lt in [(1.0, 1.0), (0.3, 0.0), (0.0, 2.0), (1e-3, 0.5)]:
        value, parts, grad = fn(z, y, diversity_weight=ld, tightness_weight=lt)
        (rv, rd, rt), (rg,) = grad_of(lambda zz: R.ordinal_entropy(zz, y, ld, lt), z)
        close(parts["diversity"], rd.item(), what="diversity")
        close(parts["tightness"], rt.item(), what="tightness")
        close(value, rv.item(), what=f"oe value λd={ld} λt={lt}")
        close(grad, rg, what=f"oe grad λd={ld} λt={lt}")


# ---------------------------------------------------------------------------------------------
# Rank-N-Contrast
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", ["distinct", "ties", "two", "all_equal", "scaled"])
@pytest.mark.parametrize("tau", [2.0, 0.25])
def test_rnc(srldir, case, seed, tau):
    fn = need(srldir, "rnc")
    rng = np.random.default_rng(5000 + seed)
    n = 2 if case == "two" else 9
    if case == "ties":
        y = rng.integers(0, 3, size=n).astype(float)
    elif case == "all_equal":
        y = np.ones(n)
    else:
        y = rng.normal(size=n)
    z = rng.normal(size=(n, 4))
    if case == "scaled":
        z *= 10.0
    value, grad = fn(z, y, tau=tau)
    rv, (rg,) = grad_of(lambda zz: R.rnc(zz, y, tau), z)
    close(value, rv.item(), what="rnc value")
    close(grad, rg, what="rnc grad")


# ---------------------------------------------------------------------------------------------
# Balanced MSE
# ---------------------------------------------------------------------------------------------

def bmse_kwargs(rng, method, normalise=True):
    if method == "bni":
        c = np.linspace(-3, 3, 13)
        p = rng.uniform(0, 5, size=13)
        p[[0, 4, 5]] = 0.0  # zero-count bins are dropped
        if normalise:
            p = p / p.sum()
        return dict(prior_centres=c, prior_weights=p)
    if method == "gai":
        pi = rng.uniform(0.2, 1, size=4)
        pi /= pi.sum()
        return dict(gmm_weights=pi, gmm_means=rng.normal(size=4) * 2,
                    gmm_variances=rng.uniform(0.1, 2, size=4))
    return {}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("method", ["bmc", "bni", "gai"])
@pytest.mark.parametrize("sigma", [0.1, 0.7, 3.0, -0.5])
@pytest.mark.parametrize("B", [1, 2, 10])
def test_balanced_mse(srldir, method, seed, sigma, B):
    fn = need(srldir, "balanced_mse")
    rng = np.random.default_rng(6000 + seed)
    pred = rng.normal(size=B)
    target = pred + rng.normal(size=B) * 0.8
    kw = bmse_kwargs(rng, method)
    value, gp, gs = fn(pred, target, sigma, method=method, **kw)
    p = torch.tensor(pred, requires_grad=True)
    s = torch.tensor(sigma, requires_grad=True)
    rv = R.balanced_mse(p, target, s, method, **kw)
    rgp, rgs = torch.autograd.grad(rv, (p, s))
    close(value, rv.item(), what=f"{method} value")
    close(gp, rgp.numpy(), what=f"{method} d/dpred")
    close(gs, rgs.item(), what=f"{method} d/dsigma")


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_bni_unnormalised_prior(srldir, seed):
    """BniPrior normalises the non-zero weights (docs); raw counts must give the same loss."""
    fn = need(srldir, "balanced_mse")
    rng = np.random.default_rng(6500 + seed)
    pred = rng.normal(size=8)
    target = rng.normal(size=8)
    kw = bmse_kwargs(rng, "bni", normalise=False)
    value, gp, gs = fn(pred, target, 0.6, method="bni", **kw)
    p = torch.tensor(pred, requires_grad=True)
    s = torch.tensor(0.6, requires_grad=True)
    rv = R.balanced_mse(p, target, s, "bni", **kw)
    rgp, rgs = torch.autograd.grad(rv, (p, s))
    close(value, rv.item())
    close(gp, rgp.numpy())
    close(gs, rgs.item())


# ---------------------------------------------------------------------------------------------
# Point-wise regression losses
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["l1", "mse", "huber", "focal-l1", "focal-mse"])
@pytest.mark.parametrize("weighted", [False, True])
def test_regression_loss(srldir, kind, seed, weighted):
    fn = need(srldir, "regression_loss")
    rng = np.random.default_rng(7000 + seed)
    M = 15
    pred = rng.normal(size=M) * 2
    target = rng.normal(size=M) * 2
    w = rng.uniform(0.1, 3, size=M) if weighted else None
    for delta, beta, gamma in [(1.0, 0.2, 1.0), (0.5, 0.1, 2.0), (3.0, 1.0, 0.5)]:
        value, grad = fn(pred, target, w, kind=kind, delta=delta, beta=beta, gamma=gamma)
        rv, (rg,) = grad_of(lambda pp: R.regression_loss(pp, target, w, kind, delta, beta, gamma),
                            pred)
        close(value, rv.item(), what=f"{kind} value δ={delta} β={beta} γ={gamma}")
        close(grad, rg, what=f"{kind} grad δ={delta} β={beta} γ={gamma}")


# ---------------------------------------------------------------------------------------------
# INV / SQINV / LDS weights
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("scheme", ["sqinv", "inv"])
@pytest.mark.parametrize("kernel,size,sigma", [(None, 5, 2.0), ("gaussian", 5, 2.0),
                                               ("gaussian", 9, 1.0), ("gaussian", 15, 3.0),
                                               ("triang", 5, 2.0), ("triang", 9, 2.0),
                                               ("laplace", 5, 2.0), ("laplace", 7, 0.7)])
def test_dir_weights(srldir, scheme, kernel, size, sigma, seed):
    fn = need(srldir, "dir_weights")
    rng = np.random.default_rng(8000 + seed)
    K = 30
    # a skewed histogram with empty bins, bins below 5 and (for INV) some above 1000
    probs = np.exp(-np.arange(K) / 6.0)
    probs[[7, 20]] = 0.0
    probs /= probs.sum()
    n = 3000 if seed % 2 == 0 else 200
    bins = rng.choice(K, size=n, p=probs)
    w = fn(bins, K, scheme=scheme, kernel=kernel, size=size, sigma=sigma)
    close(w, R.dir_weights(bins, K, scheme, kernel, size, sigma),
          what=f"{scheme} {kernel} ks={size} σ={sigma}")
    close(np.mean(w), 1.0, rtol=1e-12)


def test_dir_weights_agedb(srldir):
    fn = need(srldir, "dir_weights")
    path = "/work/shared/datasets/agedb-dir/agedb.csv"
    if not os.path.exists(path):
        pytest.skip("agedb.csv not available")
    import csv
    ages = np.minimum(np.array([int(r["age"]) for r in csv.DictReader(open(path))
                                if r["split"] == "train"]), 120)
    for scheme, kernel in [("sqinv", None), ("inv", None), ("sqinv", "gaussian"),
                           ("inv", "gaussian")]:
        close(fn(ages, 121, scheme=scheme, kernel=kernel, size=5, sigma=2.0),
              R.dir_weights(ages, 121, scheme, kernel, 5, 2.0), what=f"{scheme} {kernel}")


# ---------------------------------------------------------------------------------------------
# Dist Loss (soft sort + distance term), only where the API exposes the pseudo-labels
# ---------------------------------------------------------------------------------------------

def _dist_train(seed):
    r = np.random.default_rng(9000 + seed)
    return np.concatenate([r.normal(0, 1, 300), r.normal(4, 0.5, 60)])


def _package_pseudo_labels(fn, train, B, bw):
    """Recover the package's pseudo-labels from its MSE gradient under a hard sort
    (ε = 1e-3 ≪ the gaps): grad_i = (2/B)(ŷ_i - t_rank(i))."""
    pred = np.linspace(-3.0, 3.0, B)[::-1].copy()
    v, g = fn(pred, train, distance="mse", regularization=1e-3, bandwidth=bw)
    t = np.sort(pred - B / 2 * g)
    close(v, np.mean((np.sort(pred) - t) ** 2), rtol=1e-10)
    return t


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("distance", ["l1", "mse"])
@pytest.mark.parametrize("B", [1, 2, 9, 32])
def test_dist_loss_soft_sort(srldir, seed, distance, B):
    """The soft sort and the distance term, given the package's own pseudo-labels."""
    fn = need(srldir, "dist_loss")
    train = _dist_train(seed)
    t = _package_pseudo_labels(fn, train, B, 0.5)
    rng = np.random.default_rng(9500 + seed)
    pred = rng.normal(size=B) * 1.5 + 0.5
    if B > 4:
        pred[3] = pred[1]  # a tie among the predictions
    for eps in [0.01, 0.3, 1.0, 5.0]:
        value, grad = fn(pred, train, distance=distance, regularization=eps, bandwidth=0.5)
        rv, (rg,) = grad_of(lambda pp: R.dist_term(pp, t, eps, distance), pred)
        close(value, rv.item(), what=f"dist value ε={eps}")
        close(grad, rg, what=f"dist grad ε={eps}")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("B", [5, 16, 64])
@pytest.mark.parametrize("bw", [0.5, 1.0])
def test_dist_pseudo_labels_within_grid_step(srldir, seed, B, bw):
    """The docs fix the KDE (factor bw on the std, 512-point grid over [min y, max y]) and the
    mid-quantiles (i - 1/2)/B, but not how the CDF is discretised; the reference interpolates
    a trapezoid CDF. Agreement is only required to one grid step."""
    fn = need(srldir, "dist_loss")
    train = _dist_train(seed)
    t = _package_pseudo_labels(fn, train, B, bw)
    step = (train.max() - train.min()) / 511
    close(t, R.pseudo_labels(train, B, bw), rtol=0, atol=step)
