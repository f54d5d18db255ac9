"""Regenerates flowerReference.json: Flower's own aggregation functions run on seeded random rounds.

Usage: python3 flowerReference.py <flower git dir or checkout> > flowerReference.json
       npx biome format --write flowerReference.json

The functions are taken from Flower's source as it is (parsed with `ast`, only the named top-level
functions, with stand-ins for the few Flower record types they touch), so the fixture records what
Flower computes, not a re-implementation: the serverapp strategies (`trim_mean`, `select_multikrum`,
`aggregate_arrayrecords`, `aggregate_n_closest_weights`, and `Bulyan.aggregate_train`'s four lines of
glue) and the legacy `aggregate.py` (`aggregate_median`, `aggregate_trimmed_avg`, `aggregate_krum`,
`aggregate_bulyan`). Needs numpy.
"""

import ast
import json
import os
import subprocess
import sys
from collections.abc import Callable
from functools import partial, reduce
from typing import Any, cast

import numpy as np

SOURCES = {
    "legacy": "framework/py/flwr/server/strategy/aggregate.py",
    "multikrum": "framework/py/flwr/serverapp/strategy/multikrum.py",
    "bulyan": "framework/py/flwr/serverapp/strategy/bulyan.py",
    "trimmed": "framework/py/flwr/serverapp/strategy/fedtrimmedavg.py",
    "utils": "framework/py/flwr/serverapp/strategy/strategy_utils.py",
}


def read(root: str, path: str) -> str:
    if os.path.isfile(os.path.join(root, path)):
        with open(os.path.join(root, path), encoding="utf-8") as f:
            return f.read()
    return subprocess.run(
        ["git", f"--git-dir={root}", "show", f"HEAD:{path}"], check=True, capture_output=True, text=True
    ).stdout


def flower_commit(root: str) -> str:
    for args in (["git", f"--git-dir={root}"], ["git", "-C", root]):
        done = subprocess.run([*args, "rev-parse", "HEAD"], capture_output=True, text=True)
        if done.returncode == 0:
            return done.stdout.strip()
    return "unknown"


class Array:
    def __init__(self, a: Any) -> None:
        self.a = np.asarray(a)

    def numpy(self) -> Any:
        return self.a


class ArrayRecord(dict):
    def to_numpy_ndarrays(self, keep_input: bool = True) -> list:
        return [v.numpy() for v in self.values()]


class RecordDict(dict):
    """Flower's reply content: one ArrayRecord under "arrays", one MetricRecord under "metrics"."""

    @property
    def array_records(self) -> dict:
        return {k: v for k, v in self.items() if isinstance(v, ArrayRecord)}

    @property
    def metric_records(self) -> dict:
        return {k: v for k, v in self.items() if not isinstance(v, ArrayRecord)}


# 1-d rounds (f given) where different updates tie on their Krum scores, at the best place or at the m-th.
HANDMADE_TIES = [
    ([0, 1, 2, 3, 10], 1),
    ([3, 5, 0, 9, 2, 1, 10], 1),
    ([0, 1, 2, 3, 4, 20, -30], 1),
    ([-2, -1, 1, 2, 0, 9, -9], 1),
    ([1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 50, 60, 70], 2),
]


def load(root: str, key: str, names: list[str], namespace: dict) -> dict:
    tree = ast.parse(read(root, SOURCES[key]))
    wanted = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in names]
    missing = set(names) - {n.name for n in wanted}
    if missing:
        raise SystemExit(f"{SOURCES[key]} has no {sorted(missing)}")
    exec(compile(ast.Module(body=wanted, type_ignores=[]), SOURCES[key], "exec"), namespace)
    return namespace


def main() -> None:
    root = sys.argv[1]
    base = {
        "np": np, "cast": cast, "reduce": reduce, "partial": partial, "Any": Any, "Callable": Callable,
        "NDArray": Any, "NDArrays": Any, "ArrayRecord": ArrayRecord, "RecordDict": RecordDict,
        "Array": Array, "FitRes": Any, "ClientProxy": Any, "MetricRecord": Any,
    }
    legacy = load(root, "legacy", [
        "aggregate", "aggregate_median", "aggregate_krum", "aggregate_bulyan", "_compute_distances",
        "_check_weights_equality", "_find_reference_weights", "_aggregate_n_closest_weights",
        "_trim_mean", "aggregate_trimmed_avg",
    ], dict(base))
    app = dict(base)
    load(root, "multikrum", ["compute_distances", "select_multikrum"], app)
    load(root, "bulyan", ["aggregate_n_closest_weights"], app)
    load(root, "trimmed", ["trim_mean"], app)
    load(root, "utils", ["aggregate_arrayrecords"], app)

    shapes = [(2, 3), (4,)]
    cases = []

    def record(values: list, examples: int) -> RecordDict:
        return RecordDict(arrays=ArrayRecord({f"a{i}": Array(v) for i, v in enumerate(values)}),
                          metrics={"num-examples": examples})

    def as_list(arrays: list) -> list:
        # the shortest decimal that reads back as the same float32 (read it back with Math.fround)
        return [float(str(x)) for a in arrays for x in np.asarray(a, dtype=np.float32).ravel()]

    rng = np.random.default_rng(20260401)
    rounds = []
    for index in range(24):
        n = [5, 7, 9, 11, 12, 16][index % 6]
        f = [0, 1, 2][index % 3]
        ties = index % 4 == 3  # small integers: equal gaps to Bulyan's median happen
        updates = []
        for i in range(n):
            if ties:
                arrays = [rng.integers(-3, 4, size=s).astype(np.float32) for s in shapes]
            else:
                arrays = [rng.normal(0, 1, size=s).astype(np.float32) for s in shapes]
                if i < f:  # the attackers: far away
                    arrays = [a * 20 + 50 for a in arrays]
            updates.append(arrays)
        rounds.append((n, f, ties, updates))
    # Rounds made so that Krum scores tie between different updates: values on the first coordinate only.
    for points, f in HANDMADE_TIES:
        updates = []
        for v in points:
            flat = np.zeros(sum(int(np.prod(s)) for s in shapes), dtype=np.float32)
            flat[0] = v
            updates.append([flat[:6].reshape(shapes[0]), flat[6:]])
        rounds.append((len(points), f, True, updates))
    for n, f, ties, updates in rounds:
        examples = [int(x) for x in rng.integers(1, 100, size=n)]
        results = list(zip(updates, examples))
        contents = [record(u, e) for u, e in results]
        expected: dict = {}
        expected["fedmedian"] = as_list(legacy["aggregate_median"](results))
        for beta in (0.1, 0.2, 0.3):
            layers = [np.stack([u[k] for u in updates]) for k in range(len(shapes))]
            expected[f"fedtrimmedavg:{beta}"] = as_list([app["trim_mean"](layer, beta) for layer in layers])
            assert expected[f"fedtrimmedavg:{beta}"] == as_list(legacy["aggregate_trimmed_avg"](results, beta))
        for m in (1, 3):
            chosen = app["select_multikrum"](contents, num_malicious_nodes=f, num_nodes_to_select=m)
            expected[f"multikrum:{f}:{m}"] = as_list(app["aggregate_arrayrecords"](chosen, "num-examples").to_numpy_ndarrays())
        if n >= 4 * f + 3:
            # Bulyan.aggregate_train (serverapp): θ = n − 2f by select_multikrum, β = θ − 2f
            theta = n - 2 * f
            beta = theta - 2 * f
            chosen = app["select_multikrum"](contents, f, theta)
            selected = [c["arrays"].to_numpy_ndarrays() for c in chosen]
            medians = [np.median(arr, axis=0) for arr in zip(*selected, strict=True)]
            expected[f"bulyan:{f}"] = as_list(app["aggregate_n_closest_weights"](medians, selected, beta))
            expected[f"bulyan-recursive:{f}"] = as_list(
                legacy["aggregate_bulyan"]([(list(u), e) for u, e in results], f, legacy["aggregate_krum"], to_keep=0)
            )
        cases.append({
            "n": n, "f": f, "ties": ties, "examples": examples,
            "updates": [as_list(u) for u in updates], "expected": expected,
        })
    json.dump({
        "generator": "packages/fl/src/robust/flowerReference.py",
        "flower": flower_commit(root),
        "numpy": np.__version__,
        "layout": [list(s) for s in shapes],
        "cases": cases,
    }, sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
