"""The fastest implementation (cython-pruned) gives the reference's answer."""

import numpy as np
import pytest

import scipar
from scipar.problems.chamfer._chamfer_cy import nearest_lower_bounds, pruned_solve
from scipar.problems.chamfer.bounds import (
    chamfer_lower_bounds, cluster_summaries, mean_gap_bounds, outward_first, pair_estimates,
)
from helpers import random_problem

FASTEST = "cython-pruned"


def _directed_means(L, R):
    """(|L|, |R|) mean over each L cluster's points of the distance to the nearest point
    of each R cluster, and the same from R: the two directions, computed plainly."""
    there = np.array([[np.linalg.norm(a[:, None] - b[None], axis=2).min(axis=1).mean() for b in R] for a in L])
    back = np.array([[np.linalg.norm(a[:, None] - b[None], axis=2).min(axis=0).mean() for b in R] for a in L])
    return there, back


def _adversarial():
    """Cluster pairs where a box bound is tight or degenerate."""
    rng = np.random.default_rng(7)
    blob = rng.normal(0, 1, (40, 3))
    return [
        ("far apart", [blob, blob + 50], [blob + [100, 0, 0], blob * 0.1 - 30]),
        ("nested", [blob, blob * 0.01], [blob * 0.5, blob * 3]),
        ("identical", [blob, blob.copy()], [blob.copy(), blob[:1]]),
        ("single points", [np.zeros((1, 3)), np.ones((1, 3))], [np.full((1, 3), 2.0), np.zeros((1, 3))]),
        ("flat boxes", [np.c_[blob[:, :2], np.zeros(40)]], [np.c_[blob[:, :2] + 1, np.full(40, 0.5)]]),
        ("a line through a box", [np.c_[np.linspace(-5, 5, 30), np.zeros((30, 2))]], [blob]),
        # The solver's guesses (bounds.pair_estimates) point the wrong way here: a sparse
        # copy has the blob's moments, the dense shifted copy does not.
        ("misleading guesses", [blob, blob[::8] * 2], [blob[::8], blob * 2 + 0.05, blob[:3]]),
    ]


@pytest.mark.parametrize("case", [f"random {seed}" for seed in range(6)] + [name for name, *_ in _adversarial()])
def test_lower_bounds_never_exceed_the_directed_means(case):
    if case.startswith("random"):
        L, R = random_problem(int(case.split()[1]), n_left=9, n_right=7, max_size=30)
    else:
        _, left, right = next(c for c in _adversarial() if c[0] == case)
        L, R = scipar.ClusterSet.from_clusters(left), scipar.ClusterSet.from_clusters(right)
    there, back = _directed_means(L.clusters, R.clusters)
    distance = np.maximum(there, back)
    assert np.allclose(distance, scipar.chamfer_matrix(L, R, impl="reference"))
    centroid, gap = chamfer_lower_bounds(L, R), mean_gap_bounds(L, R)
    assert (centroid <= distance * (1 + 1e-12) + 1e-12).all() and (gap <= distance * (1 + 1e-12) + 1e-12).all()
    # The mean gap bounds each direction on its own, not only the larger one.
    one_way = mean_gap_bounds(L, R[:1] if len(R) > 1 else R)
    assert (one_way[:, 0] <= np.maximum(there[:, 0], back[:, 0]) * (1 + 1e-12) + 1e-12).all()
    assert np.array_equal(chamfer_lower_bounds(L, R, 1, len(L)), centroid[1:])
    # Pruned answers equal the reference's, also here.
    reference = scipar.chamfer_matrix(L, R, impl="reference")
    near_l, near_r = scipar.solve(L, R, FASTEST)
    assert (reference[np.arange(len(L)), near_l] <= reference.min(axis=1) * (1 + 1e-9) + 1e-12).all()
    assert (reference[near_r, np.arange(len(R))] <= reference.min(axis=0) * (1 + 1e-9) + 1e-12).all()


def test_the_mean_gap_is_tighter_than_the_centroid_bound_and_exact_for_far_points():
    L, R = random_problem(3, n_left=9, n_right=7, max_size=30)
    assert (mean_gap_bounds(L, R) >= chamfer_lower_bounds(L, R) * (1 - 1e-12)).all()  # Jensen
    # Points on a line, beyond each other's boxes: every box distance is the point
    # distance, so the bound is the Chamfer distance, max(9, (9 + 10) / 2), less what
    # the single-precision square roots take off to stay below it (1e-6 relative).
    L = scipar.ClusterSet.from_clusters([np.array([[10.0, 0.0, 0.0]])])
    R = scipar.ClusterSet.from_clusters([np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])])
    assert scipar.chamfer_matrix(L, R, impl="reference")[0, 0] == 9.5
    assert 9.5 * (1 - 2e-6) < mean_gap_bounds(L, R)[0, 0] <= 9.5
    # Squares beyond the float range still give a bound (coordinates reach 1e150).
    far = scipar.ClusterSet.from_clusters([np.array([[1e150, 0.0, 0.0]])])
    assert 0 < mean_gap_bounds(far, R)[0, 0] <= 1e150


def test_cluster_summaries_and_guesses():
    L, R = random_problem(4, n_left=9, n_right=7, max_size=30)
    centre, spread, spacing, low, high = cluster_summaries(L, workers=2)
    for k, c in enumerate(L.clusters):
        assert np.allclose(centre[k], c.mean(axis=0)) and np.allclose(spread[k], c.std(axis=0))
        assert np.array_equal(low[k], c.min(axis=0)) and np.array_equal(high[k], c.max(axis=0))
        assert np.isclose(spacing[k], np.cbrt(np.prod(c.std(axis=0)) / len(c)))
    lower, likely, from_r, (*_, low_l, _), _ = pair_estimates(L, R, 2, 6)
    (c_r, s_r, sp_r, *_), (c_l, s_l, sp_l) = cluster_summaries(R), (centre[2:6], spread[2:6], spacing[2:6])
    assert np.allclose(likely, ((c_l[:, None] - c_r) ** 2).sum(2) + ((s_l[:, None] - s_r) ** 2).sum(2))
    out_l = 4 * sp_r + np.maximum(s_l[:, None] - s_r, 0).sum(2)
    out_r = 4 * sp_l[:, None] + np.maximum(s_r - s_l[:, None], 0).sum(2)
    assert np.array_equal(from_r, (out_r > out_l).astype(np.int8)) and 0 < from_r.mean() < 1
    assert np.array_equal(lower, chamfer_lower_bounds(L, R)[2:6]) and np.array_equal(low_l, low)


def test_outward_first_reorders_each_cluster_from_its_outermost_point_in():
    S = scipar.ClusterSet.from_clusters([*random_problem(5, n_left=6, n_right=1, max_size=40)[0].clusters,
                                         np.array([[1.0, 2.0, 3.0]]), np.array([[0.0, 0, 0], [0, 0, 1]])])
    centre, spread, *_ = cluster_summaries(S)
    points, where = outward_first(S, workers=2)
    cluster = np.repeat(np.arange(len(S)), np.diff(S.offsets))
    assert np.array_equal(points[:, S.offsets[cluster] + where], S.soa)  # a permutation within each cluster
    for k, c in enumerate(S.clusters):
        mine = points[:, S.offsets[k]:S.offsets[k + 1]].T
        scale = np.where(spread[k] > 0, spread[k], 1.0)
        bands = np.searchsorted([0.69, 1.21, 1.75, 2.37, 3.11, 4.11, 5.74], (((mine - centre[k]) / scale) ** 2).sum(axis=1), "right")
        assert np.all(np.diff(bands) <= 0)  # outermost band first


@pytest.mark.parametrize("left, right", [((60, 200, 3), (30, 450, 4)), ((45, 80, 1), (35, 50, 2))])
def test_pruned_distances_are_the_plain_kernels_bit_for_bit(left, right):
    # Four rows at a time, rows taken from either side: the same squares, summed in the
    # same order, so the column minima it returns are the cython kernel's exactly.
    L, R = scipar.gen_clusters(*left), scipar.gen_clusters(*right)
    assert 0 < pair_estimates(L, R)[2].mean() < 1  # both orientations occur
    matrix = scipar.chamfer_matrix(L, R, impl="cython")
    near, best, rows = pruned_solve(L, R, 0, len(L))
    assert np.array_equal(best, matrix.min(axis=0)) and np.array_equal(rows, matrix.argmin(axis=0))
    assert np.array_equal(near, matrix.argmin(axis=1))


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
    for bounds, share in ((chamfer_lower_bounds(L, R), 0.3), (mean_gap_bounds(L, R), 0.5)):
        skippable = (bounds > D.min(axis=1)[:, None]) & (bounds > D.min(axis=0)[None, :])
        assert skippable.mean() > share


def _proof_cases():
    """(rows, columns) point arrays (n, 3) for the proof pass: the adversarial clusters'
    pairs, and scales where its rounding or underflow would show."""
    rng = np.random.default_rng(11)
    blob = rng.normal(0, 1, (37, 3))
    pairs = [(a, b) for _, left, right in _adversarial() for a in left for b in right]
    return pairs + [
        (blob * 1e148 + 1e150, blob * 3e148 - 1e150),  # coordinates at datasets.MAX_COORDINATE
        (blob * 1e148, blob * 1e148 + 1e147),
        (blob * 2.0**-530, blob * 2.0**-530 + 2.0**-531),  # squares below the normal range
        (blob + 1e8, blob[:5] + 1e8 + 1e-3),  # far from the origin, close to each other
        (blob, blob[3:4]),  # a point on one of the rows: distance 0
    ]


def test_proof_pass_bounds_never_exceed_the_nearest_distances():
    # The proof pass abandons pairs on rounded distances: each must be at most the exact
    # distance from its point to the nearest column point, and close to it.
    for rows, cols in _proof_cases():
        scale = 2.0 ** -np.round(np.log2(np.abs(np.r_[rows, cols]).max() or 1.0))  # a power of 2: exact
        exact = np.linalg.norm(rows[:, None] * scale - cols[None] * scale, axis=2).min(axis=1) / scale
        bound = nearest_lower_bounds(np.ascontiguousarray(rows.T), np.ascontiguousarray(cols.T))
        assert (bound <= exact).all()
        size = np.abs(np.r_[rows, cols] - cols.mean(axis=0)).max()
        if size > 1e-140:  # below, its margin for underflow (DBL_MIN) exceeds the squares
            assert (bound >= exact - 1e-6 * size).all()
        else:
            assert (bound == 0).all()


def test_kept_scratch_is_per_thread_and_never_leaks_into_answers():
    from concurrent.futures import ThreadPoolExecutor

    from scipar.problems.chamfer._chamfer_cy import kept

    a = kept("test", (3, 4))
    assert kept("test", (3, 4)) is a and kept("test", (4, 3)) is not a
    assert ThreadPoolExecutor(1).submit(kept, "test", (4, 3)).result() is not kept("test", (4, 3))
    # A second problem of the same cluster counts reuses the scratch: the first answer must not change.
    L, R = scipar.gen_clusters(12, 40, 1), scipar.gen_clusters(6, 60, 2)
    first = pruned_solve(L, R, 0, len(L))
    saved = [x.copy() for x in first]
    pruned_solve(scipar.gen_clusters(12, 40, 1), scipar.gen_clusters(6, 60, 3), 0, len(L))
    assert all(np.array_equal(x, y) for x, y in zip(first, saved))
