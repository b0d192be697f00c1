"""srldir.sklearn.DIRRegressor: scikit-learn's estimator checks, sample weights, pickling,
the Rust errors, and real messy tables from the shared datasets (UCI auto-mpg, student-mat)."""

from __future__ import annotations

import os
import pickle
import threading
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")
pd = pytest.importorskip("pandas")

from sklearn.base import clone  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from srldir.sklearn import MIN_ROWS, DIRRegressor  # noqa: E402

TINY = f"uses fewer than {MIN_ROWS} rows, below the table pipeline's minimum (it splits them into training and validation)"

# Checks expected to fail, each with why. Every tiny-data check's property is tested on
# enough rows below (test_*_on_enough_rows).
EXPECTED_FAILED_CHECKS = {
    "check_n_features_in_after_fitting": f"15 rows: {TINY}",
    "check_sample_weights_pandas_series": f"12 rows: {TINY}",
    "check_sample_weights_not_an_array": f"12 rows: {TINY}",
    "check_sample_weights_shape": f"16 rows: {TINY}",
    "check_sample_weights_not_overwritten": f"16 rows: {TINY}",
    "check_sample_weight_equivalence_on_dense_data": (
        "a weight is not a repetition: weights scale the regression loss only, while "
        "repeated rows also change the split, bins, scaling and representation terms"
    ),
    "check_estimators_nan_inf": f"10 rows: {TINY} (NaN/inf are refused, see below)",
    "check_regressors_no_decision_function": f"10 rows: {TINY}",
    "check_fit2d_1feature": f"10 rows: {TINY}",
}


def checked_estimator() -> DIRRegressor:
    # The quick profile (at most 100 epochs, patience 20): R² > 0.5 on sklearn's regression
    # data, and the whole check run in seconds.
    return DIRRegressor(profile="quick")


@parametrize_with_checks(
    [checked_estimator()], expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# -- helpers ----------------------------------------------------------------------------------


def toy(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = np.exp(X @ [0.6, -0.4, 0.2]) + rng.normal(0, 0.05, n)
    return X, y


def mixed_frame(n=150, seed=0):
    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "green", "blue"], size=n)
    x = rng.normal(size=n)
    z = rng.uniform(size=n)
    y = 2 * x + np.where(colour == "red", 3.0, 0.0) + z + rng.normal(0, 0.1, n)
    return pd.DataFrame({"colour": colour, "x": x, "z": z}), y


def tables_dir() -> Path | None:
    """$SRL_DATA_DIR/tables, else ../shared/datasets/tables beside the repository."""
    env = os.environ.get("SRL_DATA_DIR")
    base = Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
    d = base / "tables"
    return d if d.is_dir() else None


def table(rel: str) -> Path:
    d = tables_dir()
    if d is None or not (d / rel).is_file():
        pytest.skip(f"no {rel} in the shared datasets (set SRL_DATA_DIR or provide ../shared/datasets)")
    return d / rel


def split(n, seed=0, share=0.75):
    idx = np.random.default_rng(seed).permutation(n)
    k = int(share * n)
    return idx[:k], idx[k:]


# -- the estimator --------------------------------------------------------------------------


def test_params_follow_sklearn_conventions():
    est = DIRRegressor(method="srl+lds", bins=12, epochs=7, seed=3, profile="quick")
    params = est.get_params()
    assert params["method"] == "srl+lds" and params["bins"] == 12 and params["epochs"] == 7
    est.set_params(method="vanilla", impute="median")
    assert est.method == "vanilla" and est.impute == "median"
    c = clone(est)
    assert c.get_params() == est.get_params() and c is not est
    # No validation in __init__: a bad value fails at fit, as a ValueError from Rust.
    bad = DIRRegressor(method="no-such-method")
    X, y = toy()
    with pytest.raises(ValueError, match="no-such-method"):
        bad.fit(X, y)


def test_fit_predict_score_on_an_array():
    X, y = toy(200)
    tr, te = split(200)
    est = DIRRegressor(method="srl").fit(X[tr], y[tr])
    pred = est.predict(X[te])
    assert pred.shape == (len(te),) and pred.dtype == np.float64
    assert np.isfinite(pred).all()
    assert est.score(X[te], y[te]) > 0.5
    assert est.n_features_in_ == 3
    assert not hasattr(est, "feature_names_in_")
    info = est.fit_info_
    assert info["feature_names"] == ["x0", "x1", "x2"]
    assert 1 <= info["best_epoch"] + 1 <= info["epochs_run"] == est.n_iter_ <= 500
    assert len(info["train_rows"]) + len(info["val_rows"]) == len(tr)
    assert info["method"] == "srl"


@pytest.mark.parametrize("method", ["vanilla", "srl+lds", "ranksim", "fds", "sqinv+srl", "bmc"])
def test_methods_and_combinations_train(method):
    X, y = toy(150)
    est = DIRRegressor(method=method, profile="quick", epochs=8).fit(X, y)
    assert np.isfinite(est.predict(X)).all()


def test_bins_and_epochs_are_passed_on():
    X, y = toy()
    assert DIRRegressor(bins=7, epochs=3).fit(X, y).fit_info_["num_bins"] == 7
    est = DIRRegressor(bins=0.5, epochs=3).fit(X, y)
    c = est.fit_info_["bin_centres"]
    assert np.allclose(np.diff(c), 0.5)
    assert est.n_iter_ == 3
    with pytest.raises(ValueError, match="bins"):
        DIRRegressor(bins="many").fit(X, y)
    with pytest.raises(ValueError, match="val_size"):
        DIRRegressor(val_size=0.9).fit(X, y)


def test_dataframe_with_strings_names_and_pickle_round_trip():
    X, y = mixed_frame()
    est = DIRRegressor(profile="quick").fit(X, y)
    assert list(est.feature_names_in_) == ["colour", "x", "z"]
    assert est.n_features_in_ == 3
    assert est.fit_info_["feature_names"] == ["colour=blue", "colour=green", "colour=red", "x", "z"]
    pred = est.predict(X)
    assert est.score(X, y) > 0.9
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(back.predict(X), pred)
    assert back.model_json_ == est.model_json_
    # Columns in another order are refused by scikit-learn's name check.
    with pytest.raises(ValueError, match="feature names"):
        est.predict(X[["x", "colour", "z"]])


def test_the_same_seed_gives_the_same_model():
    X, y = toy()
    a = DIRRegressor(method="srl", profile="quick", seed=5).fit(X, y)
    b = DIRRegressor(method="srl", profile="quick", seed=5).fit(X, y)
    c = DIRRegressor(method="srl", profile="quick", seed=6).fit(X, y)
    assert a.model_json_ == b.model_json_
    assert not np.array_equal(a.predict(X), c.predict(X))


def test_unknown_categories_error_or_are_ignored():
    X, y = mixed_frame()
    new = X.iloc[:4].copy()
    new.loc[new.index[1], "colour"] = "purple"
    est = DIRRegressor(profile="quick", epochs=5).fit(X, y)
    with pytest.raises(ValueError, match="purple"):
        est.predict(new)
    lenient = DIRRegressor(profile="quick", epochs=5, unknown_category="ignore").fit(X, y)
    assert np.isfinite(lenient.predict(new)).all()
    flags = lenient.out_of_range(new)
    assert flags[1] is not None and "purple" in flags[1]


def test_rust_errors_arrive_as_value_errors_without_the_temporary_path():
    X, y = toy()
    with pytest.raises(ValueError) as e:
        DIRRegressor(profile="no-such-profile").fit(X, y)
    assert "no-such-profile" in str(e.value)
    with pytest.raises(ValueError, match="every row has the value") as e:
        DIRRegressor().fit(X, np.full(len(y), 3.0))
    assert "srldir-" not in str(e.value)
    with pytest.raises(ValueError, match=f"at least {MIN_ROWS} rows"):
        DIRRegressor().fit(X[:10], y[:10])


def test_nan_and_inf_on_enough_rows():
    X, y = toy(40)
    for bad in (np.nan, np.inf):
        Xb = X.copy()
        Xb[3, 1] = bad
        with pytest.raises(ValueError, match="NaN|inf"):
            DIRRegressor(epochs=3).fit(Xb, y)
        est = DIRRegressor(epochs=3).fit(X, y)
        with pytest.raises(ValueError, match="NaN|inf"):
            est.predict(Xb)
    # With imputation, missing cells are filled by the training median.
    Xn = X.copy()
    Xn[::7, 0] = np.nan
    est = DIRRegressor(epochs=3, impute="median").fit(Xn, y)
    assert np.isfinite(est.predict(Xn)).all()
    frame = pd.DataFrame({"a": X[:, 0], "s": ["u", None] * 20})
    with pytest.raises(ValueError, match="NaN"):
        DIRRegressor(epochs=3).fit(frame, y)
    DIRRegressor(epochs=3, impute="mode").fit(frame, y)
    # Cells that are neither strings nor numbers are refused.
    obj = X.astype(object)
    obj[0, 0] = {"foo": "bar"}
    with pytest.raises(TypeError, match="string or a number"):
        DIRRegressor(epochs=3).fit(obj, y)


def test_no_decision_function_and_one_feature_on_enough_rows():
    X, y = toy(40)
    est = DIRRegressor(epochs=3).fit(X[:, :1], y)
    assert est.n_features_in_ == 1
    for name in ("decision_function", "predict_proba", "predict_log_proba"):
        assert not hasattr(est, name)


# -- sample weights ---------------------------------------------------------------------------


def test_sample_weights_on_enough_rows():
    X, y = toy(120)
    base = DIRRegressor(method="vanilla", profile="quick", epochs=10)
    plain = clone(base).fit(X, y).predict(X)
    # Equal weights train exactly as none, whatever their value.
    for w in (np.ones(120), np.full(120, 3.5)):
        np.testing.assert_array_equal(clone(base).fit(X, y, sample_weight=w).predict(X), plain)
    # A list and a pandas Series are accepted and give the same model as the array.
    w = np.linspace(0.2, 2.0, 120)
    arr = clone(base).fit(X, y, sample_weight=w)
    lst = clone(base).fit(X, y, sample_weight=list(w))
    ser = clone(base).fit(X, y, sample_weight=pd.Series(w))
    assert arr.model_json_ == lst.model_json_ == ser.model_json_
    assert not np.array_equal(arr.predict(X), plain)
    # Only the ratios count.
    assert clone(base).fit(X, y, sample_weight=10 * w).model_json_ == arr.model_json_
    # The caller's array is left alone.
    w_copy = w.copy()
    clone(base).fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(w, w_copy)
    # Shape, sign and all-zero weights are refused.
    with pytest.raises(ValueError):
        clone(base).fit(X, y, sample_weight=np.ones(119))
    with pytest.raises(ValueError):
        clone(base).fit(X, y, sample_weight=np.ones((120, 2)))
    neg = np.ones(120)
    neg[5] = -1
    with pytest.raises(ValueError, match="(?i)negative|≥ 0"):
        clone(base).fit(X, y, sample_weight=neg)
    with pytest.raises(ValueError, match="zero"):
        clone(base).fit(X, y, sample_weight=np.zeros(120))
    # Weights multiply a DIR re-weighting; Balanced MSE has no per-row terms to weigh.
    inv = DIRRegressor(method="inv", profile="quick", epochs=10)
    assert clone(inv).fit(X, y, sample_weight=w).model_json_ != clone(inv).fit(X, y).model_json_
    with pytest.raises(ValueError, match="Balanced MSE"):
        DIRRegressor(method="bmc", epochs=3).fit(X, y, sample_weight=w)


def test_training_releases_the_gil():
    """Two fits in threads at once give the models of two sequential fits. Training runs in
    Rust with the GIL released (`py.detach`), so the threads overlap; this checks that doing
    so is safe, not the overlap itself (a fit here takes milliseconds)."""
    X, y = toy(300)
    est = [DIRRegressor(method="srl", seed=s) for s in (0, 1)]
    seq = [clone(e).fit(X, y).model_json_ for e in est]
    threads = [threading.Thread(target=e.fit, args=(X, y)) for e in est]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [e.model_json_ for e in est] == seq


# -- real messy tables ------------------------------------------------------------------------

AUTO_MPG_COLUMNS = [
    "mpg", "cylinders", "displacement", "horsepower", "weight", "acceleration", "model_year",
    "origin", "car_name",
]


def test_auto_mpg_missing_values_free_text_and_integer_categories():
    """UCI auto-mpg as pandas reads it: no header, whitespace-separated, `?` in horsepower
    (6 rows → NaN), a free-text car name, an integer-coded origin."""
    path = table("auto-mpg/auto-mpg.data")
    raw = pd.read_csv(path, sep=r"\s+", header=None, na_values="?", quotechar='"',
                      names=AUTO_MPG_COLUMNS)
    assert raw["horsepower"].isna().sum() == 6
    y = raw.pop("mpg").to_numpy()
    tr, te = split(len(y))
    # The free-text column is refused with the CLI's hint; missing cells need imputation.
    with pytest.raises(ValueError, match="car_name.*free text"):
        DIRRegressor(impute="median").fit(raw.iloc[tr], y[tr])
    X = raw.drop(columns=["car_name"])
    with pytest.raises(ValueError, match="horsepower.*NaN"):
        DIRRegressor().fit(X.iloc[tr], y[tr])
    est = DIRRegressor(method="srl", impute="median", categorical=["origin"])
    est.fit(X.iloc[tr], y[tr])
    assert "origin=3" in est.fit_info_["feature_names"]
    pred = est.predict(X.iloc[te])
    assert np.isfinite(pred).all()
    assert X.iloc[te]["horsepower"].isna().any() or X.iloc[tr]["horsepower"].isna().any()
    r2 = est.score(X.iloc[te], y[te])
    assert r2 > 0.75, r2


def test_student_mat_string_columns_and_leakage_warning():
    """UCI student-mat: `;`-separated, 17 string columns, the leakage column G2."""
    path = table("student-mat/student-mat.csv")
    X = pd.read_csv(path, sep=";")
    y = X.pop("G3").to_numpy(dtype=float)
    assert sum(X[c].dtype.kind not in "iuf" for c in X.columns) == 17
    tr, te = split(len(y), seed=1)
    est = DIRRegressor(method="srl+sqinv").fit(X.iloc[tr], y[tr])
    assert any("G2" in w for w in est.fit_info_["warnings"])
    assert "school=GP" in est.fit_info_["feature_names"]
    pred = est.predict(X.iloc[te])
    assert np.isfinite(pred).all()
    r2 = est.score(X.iloc[te], y[te])
    assert r2 > 0.6, r2
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(back.predict(X.iloc[te]), pred)
