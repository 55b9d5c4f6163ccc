import math

import numpy as np
import pytest

import scipar
from scipar.problems.chamfer.solve import VerificationError, check_matrix, row_chunks
from helpers import CHAMFER_IMPLS, random_problem, runnable

CASES = [(impl, backend, workers) for impl in CHAMFER_IMPLS for backend, workers in runnable(impl)]


def reference(L, R):
    return scipar.chamfer_matrix(L, R, impl="reference")


def test_distance_by_hand():
    a = [np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]])]
    b = [np.array([[0.0, 3.0, 0.0]])]
    # L->R: mean(3, sqrt(13)); R->L: 3. The symmetric distance is the larger.
    expected = (3 + math.sqrt(13)) / 2
    for impl in CHAMFER_IMPLS:
        assert scipar.chamfer_matrix(a, b, impl=impl)[0, 0] == pytest.approx(expected, rel=1e-12)


def test_distance_is_not_the_workshops_dot_product():
    # Defect 2: sqrt(dot(l, r)) is 0 for orthogonal points, which are sqrt(2) apart.
    a, b = [np.array([[1.0, 0.0, 0.0]])], [np.array([[0.0, 1.0, 0.0]])]
    assert scipar.chamfer_matrix(a, b, impl="python")[0, 0] == pytest.approx(math.sqrt(2))


def test_mapreduce_divides_by_cluster_sizes():
    # Defect 3: the workshop divided by 3 (the dimension). Five points all at distance 1.
    a, b = [np.zeros((5, 3))], [np.array([[1.0, 0.0, 0.0]])]
    assert scipar.chamfer_matrix(a, b, impl="mapreduce")[0, 0] == pytest.approx(1.0)


@pytest.mark.parametrize("impl, backend, workers", CASES)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_implementation_and_backend_matches_reference(impl, backend, workers, seed):
    L, R = random_problem(seed)
    ref = reference(L, R)
    matrix = scipar.chamfer_matrix(L, R, impl, backend, workers)
    check_matrix(matrix, ref)
    near_l, near_r = scipar.solve(L, R, impl, backend, workers)
    scipar.check_solution(L, R, near_l, near_r, ref)
    assert np.array_equal(near_l, ref.argmin(axis=1)) and np.array_equal(near_r, ref.argmin(axis=0))


def edge_cases():
    rng = np.random.default_rng(5)
    blob = rng.normal(0, 1, (7, 3))
    single = [np.array([[float(i), 0.0, 0.0]]) for i in range(4)]
    return {
        # one point per cluster: Chamfer distance is the point distance
        "single points": (single, single[::-1]),
        # repeated points inside clusters and across clusters
        "duplicate points": ([np.repeat(blob[:1], 5, axis=0), blob], [blob[:3], np.repeat(blob[:1], 2, axis=0)]),
        # identical clusters on both sides: distance 0, ties resolved to the lowest index
        "identical clusters": ([blob, blob + 5, blob], [blob + 5, blob, blob.copy()]),
        # mirror images around a point: exactly equal distances
        "exact ties": ([np.zeros((1, 3))], [np.array([[1.0, 0, 0]]), np.array([[-1.0, 0, 0]]), np.array([[0, 1.0, 0]])]),
        # one point against a cluster of 400
        "very unequal sizes": ([rng.normal(0, 1, (1, 3)), rng.normal(3, 1, (400, 3))], [rng.normal(1, 2, (400, 3)), rng.normal(0, 1, (2, 3))]),
        # one cluster each: every worker beyond the first has nothing to do
        "fewer clusters than workers": ([blob], [blob + 1]),
    }


@pytest.mark.parametrize("case", list(edge_cases()))
@pytest.mark.parametrize("impl, backend, workers", CASES + [(i, "threads", 5) for i in CHAMFER_IMPLS])
def test_edge_cases(case, impl, backend, workers):
    L, R = edge_cases()[case]
    ref = reference(L, R)
    check_matrix(scipar.chamfer_matrix(L, R, impl, backend, workers), ref)
    near_l, near_r = scipar.solve(L, R, impl, backend, workers)
    assert np.array_equal(near_l, ref.argmin(axis=1)) and np.array_equal(near_r, ref.argmin(axis=0))


def test_ties_go_to_the_lowest_index():
    L, R = edge_cases()["identical clusters"]
    for impl in CHAMFER_IMPLS:
        near_l, near_r = scipar.solve(L, R, impl=impl)
        assert list(near_l) == [1, 0, 1] and list(near_r) == [1, 0, 0], impl
    near_l, _ = scipar.solve(*edge_cases()["exact ties"], impl="numba")
    assert list(near_l) == [0]


@pytest.mark.parametrize("impl", [i for i in CHAMFER_IMPLS if scipar.get_implementation(i).parallel_inside])
def test_prange_with_more_workers_than_rows(impl):
    L, R = random_problem(9, n_left=2, n_right=3)
    check_matrix(scipar.chamfer_matrix(L, R, impl, "prange", 4), reference(L, R))


def test_check_solution_catches_a_wrong_answer(small_problem):
    L, R = small_problem
    near_l, near_r = scipar.solve(L, R, impl="numpy")
    wrong = near_l.copy()
    wrong[0] = (wrong[0] + 1) % len(R)
    with pytest.raises(VerificationError, match=r"L\[0\] -> R"):
        scipar.check_solution(L, R, wrong, near_r)
    with pytest.raises(VerificationError, match="expected 5 integer indices"):
        scipar.check_solution(L, R, near_l, near_r[:-1])


def test_check_matrix_catches_a_wrong_distance(small_problem):
    ref = reference(*small_problem)
    bad = ref.copy()
    bad[2, 3] *= 1.000001
    with pytest.raises(VerificationError, match=r"L\[2\], R\[3\]"):
        check_matrix(bad, ref)


def test_row_chunks_cover_every_row_once():
    L = scipar.gen_clusters(37, 50, 4)
    for pieces in (1, 2, 5, 37, 100):
        chunks = row_chunks(L, pieces)
        assert chunks[0][0] == 0 and chunks[-1][1] == len(L)
        assert all(a < b for a, b in chunks) and all(b == c for (_, b), (c, _) in zip(chunks, chunks[1:]))
        assert len(chunks) <= min(pieces, len(L))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(impl="fortran"), "unknown chamfer implementation 'fortran'; known: .*numba"),
        (dict(backend="mpi"), "unknown backend 'mpi'"),
        (dict(backend="threads", workers=0), "workers must be an integer >= 1, got 0"),
        (dict(backend="threads", workers=1.5), "workers must be an integer"),
        (dict(backend="serial", workers=2), "'serial' runs one worker"),
        (dict(impl="python", backend="prange", workers=2), "'python' has no parallel loop inside"),
        (dict(impl="numba", backend="prange", workers=64), "exceeds NUMBA_NUM_THREADS"),
    ],
)
def test_bad_arguments_are_named(small_problem, kwargs, message):
    with pytest.raises(ValueError, match=message):
        scipar.solve(*small_problem, **kwargs)


def test_bad_inputs_are_named(small_problem):
    L, R = small_problem
    with pytest.raises(ValueError, match="L: empty cluster list"):
        scipar.solve([], R)
    with pytest.raises(ValueError, match=r"R: cluster 1 has shape \(4, 2\)"):
        scipar.solve(L, [np.zeros((2, 3)), np.zeros((4, 2))])
    with pytest.raises(TypeError, match="L: cluster 0 has dtype int64"):
        scipar.solve([np.zeros((2, 3), dtype=np.int64)], R)
    with pytest.raises(TypeError, match="R: expected a list of"):
        scipar.solve(L, np.zeros((4, 3)))


def test_implementations_are_registered_with_traits():
    impls = scipar.implementations()
    assert {"python", "mapreduce", "numba-workshop", "numba-signature", "numba", "numpy", "cython", "reference"} <= set(impls)
    assert not impls["python"].compiled and impls["cython"].releases_gil and impls["numba"].parallel_inside
    assert set(scipar.implementations("toy")) == {"python", "python-local", "cython", "numba-gil", "numba-nogil"}
