"""A scipar plug-in: the histogram of pairwise distances of random points.

Copy this folder to measure your own code (README, "Measure your own code"). scipar
finds it through the config's `plugins: [pairhist]` when its parent folder is
importable (PYTHONPATH=examples), or through an entry point once it is installed.
Nothing here is scipar's own code: a Problem subclass says what an instance is and
how an answer is checked, and each Implementation points at a kernel.
"""

import math
import re

import numpy as np
from scipy.spatial.distance import pdist

from scipar import Implementation, Problem, VerificationError


class PairHistogram(Problem):
    name = "pairhist"
    description = "histogram of the distances between all pairs of N random points in the unit cube"
    work_unit = "point pairs"
    # One instance: points, bins and seed; the default instance name is
    # points{points}_bins{bins}_seed{seed}, in this order.
    parameters = {
        "type": "object",
        "additionalProperties": False,
        "required": ["points", "bins", "seed"],
        "properties": {
            "points": {"type": "integer", "minimum": 2},
            "bins": {"type": "integer", "minimum": 1},
            "seed": {"type": "integer", "minimum": 0},
        },
    }

    def datasets(self, params):
        """The files an instance reads: here one, the points (made once, shared by jobs)."""
        return {"points": f"points{params['points']}_seed{params['seed']}.npy"}

    def make_dataset(self, name, path):
        points, seed = map(int, re.fullmatch(r"points(\d+)_seed(\d+)\.npy", name).groups())
        with open(path, "wb") as f:  # a file object: np.save would add .npy to the path
            np.save(f, np.random.default_rng(seed).random((points, 3)))

    def load(self, params, paths):
        points = np.load(paths["points"])
        if points.shape != (params["points"], 3):
            raise ValueError(f"{paths['points']}: {points.shape} points, expected ({params['points']}, 3)")
        return dict(points=points, bins=params["bins"])

    def scale(self, params, workers):
        """Weak scaling: sqrt(p) times the points makes about p times the pairs."""
        return params | {"points": round(params["points"] * math.sqrt(workers))}

    def work(self, data):
        n = len(data["points"])
        return n * (n - 1) // 2

    def describe(self, data):
        return dict(points=len(data["points"]), bins=data["bins"])

    def reference(self, data):
        """Computed independently of every implementation: SciPy's pdist."""
        counts = np.bincount(bin_of(pdist(data["points"]), data["bins"]), minlength=data["bins"])
        return {"counts": counts}

    def check(self, answer, reference, data):
        expected = reference["counts"]
        answer = np.asarray(answer)
        if answer.shape != expected.shape:
            raise VerificationError(f"histogram of shape {answer.shape}, expected {expected.shape}")
        # A distance on a bin edge may fall on either side, depending on rounding.
        off = np.abs(answer - expected)
        if answer.sum() != expected.sum() or off.max() > 2:
            raise VerificationError(f"counts differ by up to {off.max()} from the reference (total {answer.sum()} "
                                    f"of {expected.sum()} pairs)")

    def tasks(self, data, pieces):
        """Row ranges [start, stop) of the pair triangle, with about equal pair counts."""
        n = len(data["points"])
        pairs_before = np.cumsum(np.arange(n - 1, -1, -1))  # pairs in rows < i + 1
        cuts = np.searchsorted(pairs_before, np.arange(1, pieces) * pairs_before[-1] / pieces)
        bounds = sorted({0, n, *(int(c) for c in cuts if 0 < c < n)})
        return list(zip(bounds[:-1], bounds[1:]))

    def compute(self, impl, data, task, workers=1):
        start, stop = task
        if impl.parallel_inside:
            return impl.kernel(data["points"], data["bins"], start, stop, workers)
        return impl.kernel(data["points"], data["bins"], start, stop)

    def combine(self, data, parts):
        return np.sum(parts, axis=0)


MAX_DISTANCE = math.sqrt(3.0)  # the diagonal of the unit cube


def bin_of(distances, bins):
    return np.minimum((distances * (bins / MAX_DISTANCE)).astype(np.int64), bins - 1)


PROBLEMS = [PairHistogram()]

# Kernels are named "module:attribute" so that listing them imports nothing heavy.
_K = "pairhist.kernels"
IMPLEMENTATIONS = [
    Implementation("python", "pairhist", False, False, False, "pure Python loops", f"{_K}:python_rows"),
    Implementation("numpy", "pairhist", True, False, False, "one vectorised row at a time", f"{_K}:numpy_rows"),
    Implementation("numba", "pairhist", True, True, False, "@njit(nogil=True) loops", f"{_K}:numba_rows"),
    Implementation("threaded", "pairhist", True, True, True, "the numba kernel on `workers` threads",
                   f"{_K}:threaded_rows"),
]
