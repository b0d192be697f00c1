"""The NumPy layer: values, dtypes, layouts, memory state and the errors users see."""

import numpy as np
import pytest

import srldir

CENTRES = [0.0, 1.0, 2.5, 3.0]


def features(m=10, d=5, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).normal(size=(m, d)).astype(dtype)


def bins_of(m):
    return np.arange(m) % 4


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_srl_loss_keeps_dtype_and_shape(dtype):
    srl = srldir.SRL(CENTRES, 5, dtype=dtype)
    h = features(dtype=dtype)
    total, parts, grad = srl.loss(h, bins_of(10))
    assert grad.dtype == np.dtype(dtype) and grad.shape == h.shape
    w = srl.weights
    expected = (w["envelope"] * parts["envelope"] + w["homogeneity"] * parts["homogeneity"]
                + w["contrastive"] * parts["contrastive"])
    assert total == pytest.approx(expected, rel=1e-6)


def test_float32_and_float64_agree():
    h = features()
    t64, _, g64 = srldir.SRL(CENTRES, 5, dtype="float64").loss(h, bins_of(10))
    t32, _, g32 = srldir.SRL(CENTRES, 5, dtype="float32").loss(h.astype(np.float32), bins_of(10))
    assert t32 == pytest.approx(t64, rel=1e-4)
    np.testing.assert_allclose(g32, g64, rtol=1e-3, atol=1e-5)


def test_strided_and_fortran_inputs_give_the_same_result():
    srl = srldir.SRL(CENTRES, 5, dtype="float64")
    h = features(m=20, d=10)
    strided = h[::2, ::2]
    contiguous = np.ascontiguousarray(strided)
    fortran = np.asfortranarray(strided)
    ref = srl.loss(contiguous, bins_of(10))
    for x in (strided, fortran):
        total, _, grad = srl.loss(x, bins_of(10))
        assert total == ref[0]
        np.testing.assert_array_equal(grad, ref[2])


def test_memory_update_is_eq9_and_state_round_trips():
    srl = srldir.SRL(CENTRES, 3, dtype="float64", momentum=0.5)
    a = np.array([[3.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    srl.accumulate(a, [0, 0])
    assert srl.counts.tolist() == [2, 0, 0, 0]
    srl.end_epoch()
    np.testing.assert_allclose(srl.memory[0], [0.5, 0.5, 0.0])  # first update copies the mean
    assert srl.seen.tolist() == [True, False, False, False] and srl.updates == 1
    srl.accumulate(np.array([[0.0, 0.0, 5.0]]), [0])
    srl.end_epoch()
    np.testing.assert_allclose(srl.memory[0], [0.25, 0.25, 0.5])  # 0.5·S + 0.5·mean
    state = srl.state_dict()
    other = srldir.SRL(CENTRES, 3, dtype="float64", momentum=0.5)
    other.load_state_dict(state)
    h = features(m=4, d=3)
    assert other.loss(h, [1, 1, 2, 3])[0] == srl.loss(h, [1, 1, 2, 3])[0]


def test_bad_state_is_refused():
    srl = srldir.SRL(CENTRES, 3, dtype="float64")
    state = srl.state_dict()
    state["memory"][1] = 1.0  # a never-seen bin with a non-zero row
    with pytest.raises(ValueError, match="never seen"):
        srl.load_state_dict(state)


@pytest.mark.parametrize(
    "h, bins, error, message",
    [
        (features().astype(np.int64), bins_of(10), TypeError, "float32 or float64"),
        (features().astype(np.float32), bins_of(10), TypeError, "dtype float32"),
        ([[1.0] * 5] * 10, bins_of(10), TypeError, "numpy array"),
        (features()[:, :3], bins_of(10), ValueError, "h columns: expected 5, got 3"),
        (features()[0], bins_of(1), ValueError, "2-D"),
        (features(), bins_of(9), ValueError, "bins length"),
        (np.full((10, 5), np.nan), bins_of(10), ValueError, "non-finite"),
        (features(), np.full(10, 7), ValueError, "out of range"),
        (features(), -bins_of(10) - 1, ValueError, "negative"),
        (features(), bins_of(10).astype(float), TypeError, "integer"),
    ],
)
def test_srl_errors_name_the_problem(h, bins, error, message):
    srl = srldir.SRL(CENTRES, 5, dtype="float64")
    with pytest.raises(error, match=message):
        srl.loss(h, bins)


def test_bad_hyper_parameters_name_the_field():
    with pytest.raises(ValueError, match="tau"):
        srldir.SRL(CENTRES, 5, tau=0.0)
    with pytest.raises(ValueError, match="momentum"):
        srldir.SRL(CENTRES, 5, momentum=1.0)
    with pytest.raises(ValueError, match="bin_centres"):
        srldir.SRL([0.0, 2.0, 1.0], 5)
    with pytest.raises(ValueError, match="unknown SRL preset"):
        srldir.SRL(CENTRES, 5, preset="nope")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_feature_losses_return_gradients_in_dtype(dtype):
    h = features(dtype=dtype)
    y = np.linspace(0.0, 3.0, 10)
    for value, grad in (
        srldir.ranksim(h, y, lam=2.0),
        srldir.conr(h, y, y + 0.1),
        srldir.rnc(h, y, tau=2.0),
        srldir.ordinal_entropy(h, y, diversity_weight=1.0, tightness_weight=0.1)[::2],
    ):
        assert np.isfinite(value) and grad.dtype == dtype and grad.shape == h.shape


def test_feature_loss_errors():
    h = features()
    with pytest.raises(ValueError, match="labels"):
        srldir.ranksim(h, np.zeros(3), lam=2.0)
    with pytest.raises(TypeError, match="real numbers"):
        srldir.rnc(h, np.array(["a"] * 10), tau=2.0)
    with pytest.raises(ValueError, match="tau"):
        srldir.rnc(h, np.zeros(10), tau=-1.0)
    with pytest.raises(ValueError, match="non-finite"):
        srldir.conr(h, np.full(10, np.nan), np.zeros(10))


def test_regression_losses_and_weights():
    pred, target = np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 1.0])
    value, grad = srldir.regression_loss(pred, target, kind="mse")
    assert value == pytest.approx((0.25 + 0 + 9) / 3)
    np.testing.assert_allclose(grad, 2 * (pred - target) / 3)
    value_w, _ = srldir.regression_loss(pred, target, np.array([2.0, 1.0, 0.0]), kind="l1")
    assert value_w == pytest.approx(2 * 0.5 / 3)
    with pytest.raises(ValueError, match="unknown regression loss"):
        srldir.regression_loss(pred, target, kind="l3")
    v, g, gs = srldir.balanced_mse(pred, target, 1.0, method="bmc")
    assert np.isfinite(v) and g.shape == (3,) and np.isfinite(gs)
    with pytest.raises(ValueError, match="prior_centres"):
        srldir.balanced_mse(pred, target, 1.0, method="bni")


def test_dir_weights_have_mean_one_and_favour_rare_bins():
    bins = np.array([0] * 8 + [1] * 2 + [2])
    for scheme in ("inv", "sqinv"):
        for kernel in (None, "gaussian", "triang", "laplace"):
            w = srldir.dir_weights(bins, 3, scheme=scheme, kernel=kernel)
            assert w.mean() == pytest.approx(1.0)
            if kernel is None:
                assert w[0] < w[8] <= w[10]


def test_bins_and_shot_metrics():
    y = np.arange(100.0)
    b = srldir.Bins.auto(y)
    assert b.num_bins >= 2 and "Sturges" in b.rule
    assigned = b.assign(y)
    assert assigned.min() == 0 and assigned.max() == b.num_bins - 1
    assert b.counts(y).sum() == 100 and len(b.centres) == b.num_bins
    m = srldir.shot_metrics(y + 1.0, y, assigned, b.counts(y))
    assert m["all"]["mae"] == pytest.approx(1.0) and m["all"]["count"] == 100
    with pytest.raises(ValueError, match="lengths differ"):
        srldir.shot_metrics(y[:5], y, assigned, b.counts(y))


def test_fds_statistics_and_calibration():
    fds = srldir.FDS(3, 2, momentum=0.9)
    x = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 2.0], [0.0, 4.0]])
    assert fds.update(0, x, [0, 0, 2, 2])
    np.testing.assert_allclose(fds.running_mean[0], [2.0, 0.0])
    # Epoch 0 < start_smooth: unchanged.
    np.testing.assert_array_equal(fds.smooth(x, [0, 0, 2, 2], 0), x)
    assert fds.update(1, x, [0, 0, 2, 2])
    out = fds.smooth(x, [0, 0, 2, 2], 1)
    assert out.shape == x.shape and np.all(np.isfinite(out))
