#!/usr/bin/env python3
"""Writes small .npz seeds for the `npz` fuzz target from the real IOL-SDE files (which are
1.7 MB each, too big for a corpus): the first rows of each array, in the layouts and dtypes
the reader must accept or refuse. Needs numpy.

Usage: python3 fuzz/seeds/make_npz_seeds.py DATA_DIR
"""
import io
import os
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus", "npz")


def save(name, compressed, **arrays):
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    with open(os.path.join(OUT, name + ".npz"), "wb") as f:
        f.write(buf.getvalue())


def main():
    data = sys.argv[1]
    os.makedirs(OUT, exist_ok=True)
    tr = np.load(os.path.join(data, "iol-sde", "train_sde.npz"))
    te = np.load(os.path.join(data, "iol-sde", "test_sde.npz"))
    x0, x1, y = tr["X_train0"][:3], tr["X_train1"][:3], tr["y_train"][:3]
    t0, t1, ty = te["X_test0"][:2], te["X_test1"][:2], te["y_test"][:2]
    # As the real files: float64, (n, 240), (n, 1), (n, 1), zip-compressed.
    save("train-3rows-deflate", True, X_train0=x0, X_train1=x1, y_train=y)
    save("test-2rows-deflate", True, X_test0=t0, X_test1=t1, y_test=ty)
    # Stored (no compression); 1-D location and target columns.
    save("train-2rows-stored-1d", False, X_train0=x0[:2], X_train1=x1[:2, 0], y_train=y[:2, 0])
    # Identical input rows (one function, two locations).
    save("train-repeated-rows", True, X_train0=np.repeat(x0[:1], 2, 0), X_train1=x1[:2], y_train=y[:2])
    # Refused: float32, big-endian, Fortran order, wrong width, location outside [0, 1], NaN.
    save("train-f32", False, X_train0=x0[:1].astype(np.float32), X_train1=x1[:1], y_train=y[:1])
    save("train-big-endian", False, X_train0=x0[:1].astype(">f8"), X_train1=x1[:1], y_train=y[:1])
    save("train-fortran", False, X_train0=np.asfortranarray(x0[:2]), X_train1=x1[:2], y_train=y[:2])
    save("train-width-3", False, X_train0=x0[:2, :3], X_train1=x1[:2], y_train=y[:2])
    save("train-location-2", False, X_train0=x0[:1], X_train1=x1[:1] + 2.0, y_train=y[:1])
    nan = x0[:1].copy()
    nan[0, 5] = np.nan
    save("train-nan", False, X_train0=nan, X_train1=x1[:1], y_train=y[:1])
    save("train-missing-target", True, X_train0=x0[:1], X_train1=x1[:1])


if __name__ == "__main__":
    main()
