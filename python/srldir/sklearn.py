"""scikit-learn estimator: :class:`DIRRegressor` trains the project's tabular network with any
of its methods (SRL, the DIR baselines, their combinations) on a table, with the
preprocessing of ``srl train --csv``.

>>> import numpy as np
>>> from srldir.sklearn import DIRRegressor
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(200, 3)); y = X @ [1.0, -2.0, 0.5] + rng.normal(0, 0.1, 200)
>>> model = DIRRegressor(method="srl", profile="quick", epochs=30).fit(X, y)
>>> model.predict(X[:2]).shape
(2,)

How it works: ``fit`` writes X (a NumPy array, or a pandas DataFrame whose string columns are
categorical) with y as one more column to a temporary CSV file, which Rust reads and prepares
exactly as ``srl train --csv FILE --target y`` does — string columns (and those named in
``categorical``) one-hot encoded, missing cells (NaN, None, empty) handled by ``impute``,
suspected missing-value codes (``9999`` among small values) read as missing, numeric inputs
clipped to their training range and scaled, automatic target bins — then trains the method's
table preset (``profile``), stopping early once the validation MAE of an internal, stratified
validation split (``val_size`` of the rows) stops improving, and keeps the validation-best
model. The fitted model is the JSON text of ``srl``'s ``model.json`` (attribute
``model_json_``), so the estimator pickles, and ``srl predict --model`` reads the same text
saved to a file. ``predict`` writes X to a CSV file and applies the model's own preprocessing.

Differences from ``srl train --csv``: no test part is held out (every row outside the
validation part trains), and the split seed is ``seed``.

``sample_weight`` (``fit``): each training row's term of the regression loss is multiplied by
its weight, on top of the method's DIR re-weighting (INV/SQINV/LDS: the product is rescaled to
mean 1); only the ratios of the weights count, and equal weights train exactly as none. The
weights do not enter the representation terms (SRL, RankSim, ConR, …), the preprocessing, the
bins, the split or the validation MAE that stops training; so a weight of 2 is not the same as
a duplicated row, and a weight of 0 still lets the row shape the preprocessing. Balanced MSE
methods (``bmc``, ``bni``, ``gai``) refuse weights.

Rust's errors arrive as ``ValueError`` with its message, the temporary file named ``X``.
"""

from __future__ import annotations

import json
import numbers
import os
import tempfile

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from . import _core

__all__ = ["DIRRegressor"]

#: Fewest rows the table pipeline trains on (split into training and validation).
MIN_ROWS = _core.TABLE_MIN_ROWS

_FILE = "X.csv"


def _is_frame(X) -> bool:
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "to_csv")


class DIRRegressor(RegressorMixin, BaseEstimator):
    """A deep-imbalanced-regression regressor: the project's tabular network trained with
    ``method`` and the preprocessing of ``srl train --csv``.

    Parameters
    ----------
    method : str, default "srl"
        A method as ``srl train --method`` takes it: ``vanilla``, ``srl``, ``inv``,
        ``sqinv``, ``lds``, ``fds``, ``ranksim``, ``conr``, ``oe``, ``rnc``, ``bmc``,
        ``bni``, ``gai``, ``dist`` or a combination such as ``srl+lds``.
    bins : "auto", int or float, default "auto"
        Target bins (the DIR methods' label bins): the automatic rule of ``srl train
        --csv``, this many equal-width bins (int), or bins of this width (float).
    epochs : int or None, default None
        Maximum epochs; ``None``: the profile's (500 ``full``, 100 ``quick``).
    seed : int, default 0
        Seed of the initialisation, the batch order, the method's sampling and the split.
    profile : {"full", "quick"}, default "full"
        The table preset's size: maximum epochs and early-stopping patience (50 / 20).
    patience : int or None, default None
        Early-stopping patience in epochs; ``None``: the profile's.
    val_size : float, default 0.15
        Share of the rows in the internal validation part (stratified by target bin).
    impute : {"none", "median", "mode"}, default "none"
        Missing input cells: an error (``none``), the training median (numbers) or mode
        (strings), or the training mode for every column.
    scale : {"standard", "robust", "quantile"}, default "standard"
        Scaling of numeric inputs, fitted on the training rows.
    clip : bool, default True
        Clip numeric inputs to their training range at prediction.
    keep_outliers : bool, default False
        Keep suspected missing-value codes (``9999``, …) as numbers.
    categorical : sequence of str or None, default None
        Numeric columns to one-hot encode as categories (integer codes); by column name
        (DataFrame) or ``"x0"``, ``"x1"``, … (array). String columns are always categorical.
    unknown_category : {"error", "ignore"}, default "error"
        What ``predict`` does with a category unseen in training: an error, or an all-zero
        one-hot code.

    Attributes
    ----------
    model_json_ : str
        The fitted model (``srl``'s ``model.json`` text, preprocessing included).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        The DataFrame's column names (only when fitted on a DataFrame with string names).
    fit_info_ : dict
        What training did: network inputs (``feature_names``), ``warnings`` of the table
        pipeline, bins (``bins_rule``, ``num_bins``, ``bin_centres``), the split
        (``train_rows``, ``val_rows``: row indices of X), ``best_epoch``, ``epochs_run``,
        ``val_mae``, ``seconds``.
    n_iter_ : int
        Epochs run.
    """

    def __init__(
        self,
        method="srl",
        bins="auto",
        epochs=None,
        seed=0,
        profile="full",
        *,
        patience=None,
        val_size=0.15,
        impute="none",
        scale="standard",
        clip=True,
        keep_outliers=False,
        categorical=None,
        unknown_category="error",
    ):
        self.method = method
        self.bins = bins
        self.epochs = epochs
        self.seed = seed
        self.profile = profile
        self.patience = patience
        self.val_size = val_size
        self.impute = impute
        self.scale = scale
        self.clip = clip
        self.keep_outliers = keep_outliers
        self.categorical = categorical
        self.unknown_category = unknown_category

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.allow_nan = self.impute != "none"
        return tags

    # -- input handling ------------------------------------------------------------------

    def _frame(self, X, *, reset: bool):
        """X checked (shape, NaN/inf, feature names) and as a DataFrame with the column names
        the CSV file gets."""
        import pandas as pd

        allow_nan = self.impute != "none"
        finite = "allow-nan" if allow_nan else True
        if _is_frame(X):
            validate_data(self, X, skip_check_array=True, reset=reset)
            if X.shape[0] < 1 or X.shape[1] < 1:
                # The checks' messages for empty input.
                validate_data(self, X, reset=False, dtype=None)
            frame = X.copy()
            for c in frame.columns:
                col = frame[c]
                if col.dtype.kind in "fc":
                    values = col.to_numpy(dtype=np.float64, na_value=np.nan)
                    if np.isinf(values).any():
                        raise ValueError(f"Input X column {c!r} contains infinity (inf)")
                    if not allow_nan and np.isnan(values).any():
                        raise ValueError(
                            f"Input X column {c!r} contains NaN (missing values); pass "
                            "impute='median' or 'mode' to fill them"
                        )
                else:
                    if col.dtype == object:
                        _check_cells(col.to_numpy(), str(c), allow_nan)
                    if not allow_nan and col.isna().any():
                        raise ValueError(
                            f"Input X column {c!r} contains NaN (missing values); pass "
                            "impute='median' or 'mode' to fill them"
                        )
            names = [str(c) for c in X.columns]
            if len(set(names)) != len(names):
                raise ValueError(f"X has duplicate column names: {names}")
        else:
            arr = validate_data(self, X, reset=reset, dtype=None, ensure_all_finite=finite)
            if arr.dtype.kind == "c":
                raise ValueError("Complex data not supported")
            if arr.dtype == object:
                for j in range(arr.shape[1]):
                    _check_cells(arr[:, j], f"x{j}", allow_nan)
            names = [f"x{j}" for j in range(arr.shape[1])]
            frame = pd.DataFrame(arr, columns=names, copy=False)
        if reset:
            self._columns = names
        else:
            # By position, as scikit-learn does: an array after a DataFrame fit gets the
            # training names.
            frame.columns = self._columns
        return frame

    def _write(self, frame, directory: str, y=None) -> str:
        path = os.path.join(directory, _FILE)
        if y is not None:
            frame = frame.assign(**{self._target: y})
        frame.to_csv(path, index=False, na_rep="")
        return path

    # -- fit / predict -------------------------------------------------------------------

    def fit(self, X, y, sample_weight=None):
        """Trains on rows X (array or DataFrame) with targets y; ``sample_weight`` weighs the
        training rows' regression loss (see the module docs)."""
        from sklearn.utils import check_consistent_length, column_or_1d
        from sklearn.utils.validation import check_array

        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        frame = self._frame(X, reset=True)
        y = check_array(
            y, ensure_2d=False, dtype="numeric", ensure_all_finite=True, input_name="y"
        )
        y = column_or_1d(y, warn=True).astype(np.float64)
        check_consistent_length(frame, y)
        n = len(y)
        if n < MIN_ROWS:
            raise ValueError(
                f"n_samples={n}: DIRRegressor needs at least {MIN_ROWS} rows (it splits them "
                "into training and validation parts)"
            )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, frame, dtype=np.float64, ensure_non_negative=True
            )
        bins, bin_width = _bins(self.bins)
        target = "y"
        while target in self._columns:
            target = "_" + target
        self._target = target
        categorical = [] if self.categorical is None else [str(c) for c in self.categorical]
        with tempfile.TemporaryDirectory(prefix="srldir-") as d:
            path = self._write(frame, d, y)
            try:
                model_json, info = _core.table_fit(
                    path,
                    target,
                    method=str(self.method),
                    profile=str(self.profile),
                    epochs=None if self.epochs is None else int(self.epochs),
                    patience=None if self.patience is None else int(self.patience),
                    seed=int(self.seed),
                    bins=bins,
                    bin_width=bin_width,
                    val_size=float(self.val_size),
                    impute=str(self.impute),
                    scale=str(self.scale),
                    clip=bool(self.clip),
                    keep_outliers=bool(self.keep_outliers),
                    categorical=categorical,
                    unknown_category=str(self.unknown_category),
                    sample_weight=sample_weight,
                )
            except ValueError as e:
                raise ValueError(_clean(str(e), path)) from None
        self.model_json_ = model_json
        self.fit_info_ = json.loads(info)
        self.fit_info_["warnings"] = [_clean(w, path) for w in self.fit_info_["warnings"]]
        self.n_iter_ = self.fit_info_["epochs_run"]
        return self

    def predict(self, X):
        """Predictions (float64, target units) for the rows of X, through the preprocessing
        fitted in ``fit``."""
        return self._predict_table(X)[0]

    def out_of_range(self, X):
        """Per row of X, why it lies outside the training range (``None`` when it does not),
        as ``srl predict`` reports it."""
        return self._predict_table(X)[1]

    def _predict_table(self, X):
        """The model's predictions for the rows of X and its out-of-range flags."""
        check_is_fitted(self, "model_json_")
        frame = self._frame(X, reset=False)
        with tempfile.TemporaryDirectory(prefix="srldir-") as d:
            path = self._write(frame, d)
            try:
                return _core.table_predict(self.model_json_, path)
            except ValueError as e:
                raise ValueError(_clean(str(e), path)) from None


def _bins(bins):
    """``bins`` as the (count, width) pair of the Rust side."""
    if isinstance(bins, str):
        if bins == "auto":
            return None, None
        raise ValueError(f"bins must be 'auto', an int or a float, got {bins!r}")
    if isinstance(bins, (bool, np.bool_)):
        raise ValueError(f"bins must be 'auto', an int or a float, got {bins!r}")
    if isinstance(bins, numbers.Integral):
        return int(bins), None
    if isinstance(bins, numbers.Real):
        return None, float(bins)
    raise ValueError(f"bins must be 'auto', an int or a float, got {bins!r}")


def _check_cells(values, column: str, allow_nan: bool) -> None:
    """Object cells must be strings, numbers, booleans or missing (None/NaN)."""
    for v in values:
        if v is None or isinstance(v, (str, bool, np.bool_, numbers.Number)):
            if not allow_nan and (v is None or (isinstance(v, float) and np.isnan(v))):
                raise ValueError(
                    f"Input X column {column!r} contains NaN/None (missing values); pass "
                    "impute='median' or 'mode' to fill them"
                )
            continue
        if getattr(v, "__class__", None).__name__ == "NAType":
            if not allow_nan:
                raise ValueError(
                    f"Input X column {column!r} contains NaN (pd.NA); pass impute='median' "
                    "or 'mode' to fill them"
                )
            continue
        raise TypeError(
            f"Input X column {column!r} holds a {type(v).__name__}: every cell must be a "
            "string or a number"
        )


def _clean(message: str, path: str) -> str:
    """A Rust message with the temporary file called ``X``."""
    return message.replace(path, "X")
