#!/usr/bin/env python3
"""Convert Debian's python3-sklearn copies of two UCI datasets into the compact files of packages/fl/data.

Run once by hand (never in CI):  python3 packages/fl/scripts/convert-sklearn-data.py
Standard library only. It reads

  /usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz      (1797 rows: 64 pixels 0..16, label)
  /usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv  (header, 569 rows: 30 floats, label)

and writes, for each dataset, a binary file and a JSON description:

  digits.bin         rows×64 uint8 pixels (row-major), then rows uint8 labels
  breast-cancer.bin  rows×30 float32 little-endian features (row-major), then rows uint8 labels
  <name>.json        rows, numFeatures, numClasses, class and feature names, the byte layout, and the fixed
                     train/test split: the sorted row indices of the test set (stratified, 20% of each
                     class, drawn with Python's random.Random(SPLIT_SEED))

then README.md with the provenance, the licences and the sha256 of every file it wrote.
"""

import csv
import gzip
import hashlib
import json
import random
import struct
import subprocess
import sys
from pathlib import Path

SKLEARN = Path("/usr/lib/python3/dist-packages/sklearn/datasets")
OUT = Path(__file__).resolve().parent.parent / "data"
SPLIT_SEED = 20261202
TEST_FRACTION = 0.2

_MEASURES = (
    "radius",
    "texture",
    "perimeter",
    "area",
    "smoothness",
    "compactness",
    "concavity",
    "concave points",
    "symmetry",
    "fractal dimension",
)
# scikit-learn's feature names: "mean radius", …, "radius error", …, "worst radius", …
BREAST_CANCER_FEATURES = (
    [f"mean {m}" for m in _MEASURES] + [f"{m} error" for m in _MEASURES] + [f"worst {m}" for m in _MEASURES]
)


def stratified_test_rows(labels, seed):
    """Sorted indices of the test rows: round(TEST_FRACTION × class size) rows of each class, at random."""
    rng = random.Random(seed)
    test = []
    for c in sorted(set(labels)):
        rows = [i for i, y in enumerate(labels) if y == c]
        rng.shuffle(rows)
        test.extend(rows[: round(TEST_FRACTION * len(rows))])
    return sorted(test)


def read_digits():
    with gzip.open(SKLEARN / "data" / "digits.csv.gz", "rt") as f:
        rows = [list(map(float, line)) for line in csv.reader(f) if line]
    pixels, labels = [], []
    for row in rows:
        assert len(row) == 65, "a digits row has 64 pixels and a label"
        values = [int(v) for v in row[:64]]
        assert all(0 <= v <= 16 for v in values) and all(v == int(v) for v in row)
        pixels.extend(values)
        labels.append(int(row[64]))
    return pixels, labels


def read_breast_cancer():
    with open(SKLEARN / "data" / "breast_cancer.csv") as f:
        reader = csv.reader(f)
        header = next(reader)
        n_rows, n_features = int(header[0]), int(header[1])
        class_names = header[2:]
        features, labels = [], []
        for row in reader:
            if not row:
                continue
            features.extend(float(v) for v in row[:n_features])
            labels.append(int(row[n_features]))
    assert len(labels) == n_rows and len(features) == n_rows * n_features
    return features, labels, n_features, class_names


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_dataset(name, payload, meta):
    (OUT / f"{name}.bin").write_bytes(payload)
    (OUT / f"{name}.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    version = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "python3-sklearn"], capture_output=True, text=True, check=True
    ).stdout.strip()

    pixels, labels = read_digits()
    rows = len(labels)
    digits_test = stratified_test_rows(labels, SPLIT_SEED)
    counts = {"digits_train": rows - len(digits_test), "digits_test": len(digits_test)}
    write_dataset(
        "digits",
        bytes(pixels) + bytes(labels),
        {
            "name": "digits",
            "title": "Optical Recognition of Handwritten Digits (UCI), the 1797-row copy in scikit-learn",
            "rows": rows,
            "numFeatures": 64,
            "numClasses": 10,
            "classNames": [str(d) for d in range(10)],
            "featureNames": [f"pixel_{r}_{c}" for r in range(8) for c in range(8)],
            "layout": {
                "features": {"dtype": "uint8", "offset": 0, "shape": [rows, 64], "range": [0, 16]},
                "labels": {"dtype": "uint8", "offset": rows * 64, "shape": [rows]},
            },
            "split": {
                "method": f"stratified: round({TEST_FRACTION} x class size) rows of each class, Python random.Random(seed).shuffle per class in label order",
                "seed": SPLIT_SEED,
                "test": digits_test,
            },
            "source": f"Debian python3-sklearn {version}: sklearn/datasets/data/digits.csv.gz",
        },
    )

    features, labels, n_features, class_names = read_breast_cancer()
    rows = len(labels)
    bc_test = stratified_test_rows(labels, SPLIT_SEED)
    counts.update(bc_train=rows - len(bc_test), bc_test=len(bc_test))
    write_dataset(
        "breast-cancer",
        struct.pack(f"<{len(features)}f", *features) + bytes(labels),
        {
            "name": "breast-cancer",
            "title": "Breast Cancer Wisconsin (Diagnostic) (UCI), the copy in scikit-learn",
            "rows": rows,
            "numFeatures": n_features,
            "numClasses": len(class_names),
            "classNames": class_names,
            "featureNames": BREAST_CANCER_FEATURES,
            "layout": {
                "features": {"dtype": "float32le", "offset": 0, "shape": [rows, n_features]},
                "labels": {"dtype": "uint8", "offset": rows * n_features * 4, "shape": [rows]},
            },
            "split": {
                "method": f"stratified: round({TEST_FRACTION} x class size) rows of each class, Python random.Random(seed).shuffle per class in label order",
                "seed": SPLIT_SEED,
                "test": bc_test,
            },
            "source": f"Debian python3-sklearn {version}: sklearn/datasets/data/breast_cancer.csv",
        },
    )

    files = ["digits.bin", "digits.json", "breast-cancer.bin", "breast-cancer.json"]
    sums = "\n".join(f"    {sha256(OUT / f)}  {f}" for f in files)
    (OUT / "README.md").write_text(README.format(version=version, sums=sums, seed=SPLIT_SEED, **counts))
    print(f"wrote {', '.join(files)} and README.md to {OUT}", file=sys.stderr)


README = """# Shipped datasets

Two small real datasets for the federated-learning simulator and its tests, converted once by
`packages/fl/scripts/convert-sklearn-data.py` (Python standard library only; not run in CI) from the copies
in Debian's `python3-sklearn` package, version {version}. `src/simulate/datasets.ts` reads them
(`loadDigits()`, `loadBreastCancer()`).

| file | contents |
| --- | --- |
| `digits.bin` | 1797 × 64 uint8 pixels (0–16, row-major), then 1797 uint8 labels (0–9) |
| `digits.json` | size, names, byte layout and the fixed test rows |
| `breast-cancer.bin` | 569 × 30 float32 little-endian features (row-major), then 569 uint8 labels (0 malignant, 1 benign) |
| `breast-cancer.json` | size, class and feature names (scikit-learn's), byte layout and the fixed test rows |

The train/test split is fixed and recorded in each JSON file (`split.test`: the sorted indices of the test
rows; every other row is a training row): stratified, round(0.2 × class size) rows of each class, drawn
with Python's `random.Random({seed})`. Digits: {digits_train} train / {digits_test} test; breast cancer: {bc_train} train / {bc_test} test.

## Provenance

- **Digits** — `sklearn/datasets/data/digits.csv.gz` of Debian `python3-sklearn` {version}
  (`/usr/lib/python3/dist-packages/sklearn/datasets/`). As `descr/digits.rst` says, it is a copy of the
  test set (`optdigits.tes`) of the UCI ML *Optical Recognition of Handwritten Digits* dataset,
  E. Alpaydin and C. Kaynak, 1998, <https://archive.ics.uci.edu/ml/datasets/Optical+Recognition+of+Handwritten+Digits>
  (DOI 10.24432/C50P49): 32×32 bitmaps from NIST forms reduced to 8×8 blocks of on-pixel counts (0–16),
  43 writers.
- **Breast cancer** — `sklearn/datasets/data/breast_cancer.csv` of the same package. As
  `descr/breast_cancer.rst` says, it is a copy of the UCI ML *Breast Cancer Wisconsin (Diagnostic)*
  dataset, W. H. Wolberg, W. N. Street and O. L. Mangasarian, 1995,
  <https://archive.ics.uci.edu/ml/datasets/Breast+Cancer+Wisconsin+(Diagnostic)> (DOI 10.24432/C5DW2B):
  30 features of cell nuclei computed from fine-needle aspirate images; 212 malignant, 357 benign.

## Licences

- The scikit-learn package these copies come from: BSD-3-Clause, Copyright 2007-2019 Scikit-Learn
  Developers (Debian's `/usr/share/doc/python3-sklearn/copyright`).
- Both datasets, as the UCI Machine Learning Repository states for them: Creative Commons Attribution 4.0
  International (CC BY 4.0), <https://creativecommons.org/licenses/by/4.0/>. Attribution: the creators
  and UCI pages named above. The conversion changes only the encoding (and adds the split); no values are
  altered (breast-cancer features are stored as float32).

## sha256

{sums}
"""

if __name__ == "__main__":
    main()
