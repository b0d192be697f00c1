#!/usr/bin/env python3
"""Writes the text seeds of the fuzz corpora (docs/fuzzing.md) into fuzz/corpus/<target>/.

Usage: python3 fuzz/seeds/make_text_seeds.py DATA_DIR   (DATA_DIR: the shared datasets folder)

csv_table: the first 50 lines of every real table and benchmark file, and the malformed tables
of crates/srl-cli/tests/bad_inputs.rs. tabular: the benchmark heads behind the selector byte
of their reader (0-3 UCI manifests, 4 STS-B, 5 AgeDB, 6/7 + bits: a given layout).
manifest_toml: the built-in manifests. The configurations, checkpoints, resume states and npz
files come from `srl` runs and are described in docs/fuzzing.md.
"""
import glob
import hashlib
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "corpus")
REPO = os.path.join(HERE, "..", "..")


def put(target, data, name=None):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    name = name or hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def head(path, n=50):
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    return b"\n".join(lines[:n]) + (b"\n" if len(lines) > n else b"")


# --- bad_inputs.rs tables ---------------------------------------------------------------
def table(header_extra="", row_extra=lambda i: ""):
    t = "a,b,y%s\n" % header_extra
    for i in range(40):
        a = math.sin(i * 0.37)
        b = float(i % 7)
        y = a * a * 5.0 + b
        bs = str(int(b)) if b == int(b) else str(b)
        t += "%.4f,%s,%.4f%s\n" % (a, bs, y, row_extra(i))
    return t


def with_line(line, text):
    lines = table().splitlines()
    lines[line - 1] = text
    return "\n".join(lines) + "\n"


def bad_tables():
    out = [
        b"",
        b"a,b,y\n",
        b"\xff\xfe" + table().encode(),
        with_line(3, "0.1,2").encode(),
        with_line(5, "0.1,2,3,4").encode(),
        with_line(4, '"0.1,2,3').encode(),
        with_line(4, '"0.1"x,2,3').encode(),
        table(",a", lambda i: ",1").encode(),
        table(",", lambda i: ",1").encode(),
        with_line(6, "0.1,2,NaN").encode(),
        with_line(6, "0.1,2,").encode(),
        with_line(6, "0.1,2,inf").encode(),
        with_line(6, "0.1,2,high").encode(),
        with_line(5, "1e308,2,3").encode(),
        ("a,b,y\n" + "".join("%d,%d,7\n" % (i, i % 5) for i in range(40))).encode(),
        b"a,y\n1,2\n2,3\n3,4\n4,5\n5,6\n",
        with_line(7, "?,2,3").encode(),
        with_line(7, "oops,2,3").encode(),
        with_line(7, "inf,2,3").encode(),
        table(",day", lambda i: ",2020-01-%02d" % (1 + i % 28)).encode(),
        ("a,name,y\n" + "".join("%d,item number %d,%d\n" % (i, i, i % 9) for i in range(60))).encode(),
        table(",z", lambda i: ",?").encode(),
        table(",part", lambda i: ",holdout" if i == 3 else [",train", ",val", ",test"][i % 3]).encode(),
        table(",part", lambda i: [",train", ",val"][i % 2]).encode(),
        table().replace(",", ";").replace("\n", "\r\n").encode(),
        table().encode(),
    ]
    return out


def main():
    data = sys.argv[1]
    tables = sorted(glob.glob(os.path.join(data, "tables", "*", "*")))
    tables = [t for t in tables if not t.endswith(".md")]
    bench = {
        "airfoil": os.path.join(data, "airfoil", "airfoil_self_noise.dat"),
        "abalone": os.path.join(data, "abalone", "abalone.csv"),
        "concrete": os.path.join(data, "concrete", "concrete.csv"),
        "real-estate": os.path.join(data, "real-estate", "real_estate.csv"),
        "stsb": os.path.join(data, "stsb-dir", "train_new.tsv"),
        "agedb": os.path.join(data, "agedb-dir", "agedb.csv"),
        "abalone-original": os.path.join(data, "abalone", "original", "abalone.data"),
    }
    for path in tables + list(bench.values()):
        put("csv_table", head(path))
    for t in bad_tables():
        put("csv_table", t)

    for sel, name in enumerate(["airfoil", "abalone", "concrete", "real-estate", "stsb", "agedb"]):
        put("tabular", bytes([sel]) + head(bench[name]))
    # Given layouts (selector 6/7 + delimiter bits) on the messy tables.
    for path in tables + [bench["abalone-original"]]:
        h = head(path)
        for delim in range(6):
            for header in (0, 1):
                sel = 6 + header | (delim << 3)
                put("tabular", bytes([sel]) + h)
    for t in bad_tables()[:14]:
        put("tabular", bytes([1]) + t)
        put("tabular", bytes([6]) + t)

    for path in sorted(glob.glob(os.path.join(REPO, "crates", "srl-data", "manifests", "*.toml"))):
        with open(path, "rb") as f:
            put("manifest_toml", f.read())


if __name__ == "__main__":
    main()
