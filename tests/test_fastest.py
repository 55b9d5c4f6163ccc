"""The fastest implementation (cython-pruned) gives the reference's answer."""

import numpy as np
import pytest

import scipar
from scipar.problems.chamfer.bounds import chamfer_lower_bounds
from helpers import random_problem

FASTEST = "cython-pruned"


@pytest.mark.parametrize("seed", range(6))
def test_lower_bounds_never_exceed_the_distance(seed):
    L, R = random_problem(seed, n_left=9, n_right=7, max_size=30)
    bounds = chamfer_lower_bounds(L, R)
    assert (bounds <= scipar.chamfer_matrix(L, R, impl="reference") * (1 + 1e-12)).all()
    assert np.array_equal(chamfer_lower_bounds(L, R, 3, 7), bounds[3:7])


# Smaller siblings of the paper's problems: the 83,219-point problem with fewer
# clusters, and the workshop's size sweep.
SIBLINGS = [
    ((40, 200, 1), (20, 450, 2)),
    ((60, 200, 3), (30, 450, 4)),
    ((15, 80, 1), (5, 50, 2)),
    ((45, 80, 1), (35, 50, 2)),
    ((85, 80, 1), (75, 50, 2)),
]


@pytest.mark.parametrize("left, right", SIBLINGS)
@pytest.mark.parametrize("backend, workers", [("serial", 1), ("prange", 2), ("prange", 3), ("threads", 2), ("processes", 2)])
def test_fastest_matches_reference_on_paper_siblings(left, right, backend, workers):
    L, R = scipar.gen_clusters(*left), scipar.gen_clusters(*right)
    reference = scipar.chamfer_matrix(L, R, impl="reference")
    near_l, near_r = scipar.solve(L, R, FASTEST, backend, workers)
    assert np.array_equal(near_l, reference.argmin(axis=1))
    assert np.array_equal(near_r, reference.argmin(axis=0))


def test_fastest_skips_work_on_the_paper_problem_shape():
    # Not a timing: the solver must prune, or it is not doing its job. Count pairs whose
    # bound exceeds the row's and the column's true minimum: those can always be skipped.
    L, R = scipar.gen_clusters(40, 200, 1), scipar.gen_clusters(20, 450, 2)
    D = scipar.chamfer_matrix(L, R, impl="cython")
    bounds = chamfer_lower_bounds(L, R)
    skippable = (bounds > D.min(axis=1)[:, None]) & (bounds > D.min(axis=0)[None, :])
    assert skippable.mean() > 0.3
