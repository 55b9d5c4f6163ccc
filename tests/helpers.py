"""Helpers shared by the tests."""

import numpy as np

import scipar

CHAMFER_IMPLS = sorted(scipar.implementations("chamfer"))


def runnable(impl):
    """(backend, workers) pairs that `impl` supports, with 1 and 2 workers."""
    out = [("serial", 1), ("threads", 2), ("processes", 2)]
    if scipar.get_implementation(impl).parallel_inside:
        out += [("prange", 1), ("prange", 2)]
    return out


def random_problem(seed, n_left=6, n_right=5, max_size=12):
    rng = np.random.default_rng(seed)

    def clusters(n):
        return [rng.normal(rng.integers(0, 5, 3), 1.0, (rng.integers(1, max_size), 3)) for _ in range(n)]

    return scipar.ClusterSet.from_clusters(clusters(n_left)), scipar.ClusterSet.from_clusters(clusters(n_right))
