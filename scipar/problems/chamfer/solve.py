"""Chamfer matching: the distance matrix, the nearest clusters, and their verification.

solve(L, R) returns, for every cluster of L, the index of its nearest cluster of R and,
for every cluster of R, the index of its nearest cluster of L (ties to the lowest
index). Each cluster pair is evaluated once; the workshop evaluated it from both sides.
"""

import numpy as np

from scipar.measure.parallel import check_workers, parallel_map
from scipar.problems.chamfer.datasets import as_cluster_set
from scipar.problems.interface import TASKS_PER_WORKER, VerificationError
from scipar.problems.registry import get_implementation, get_problem

# Two distances closer than this (relative) are a tie in floating point: implementations
# sum in different orders, so either cluster is a correct answer.
TIE_RTOL = 1e-9
TIE_ATOL = 1e-12


def row_chunks(L, pieces):
    """Split the rows of L into at most `pieces` ranges holding about equal point counts."""
    pieces = max(1, min(pieces, len(L)))
    if pieces == 1:  # a serial solve: no search (its cost is in every timed call)
        return [(0, len(L))]
    targets = L.n_points * np.arange(1, pieces) / pieces
    cuts = np.unique(np.searchsorted(L.offsets, targets))
    bounds = [0, *(int(c) for c in cuts if 0 < c < len(L)), len(L)]
    return list(zip(bounds[:-1], bounds[1:]))


def matrix_rows(impl, L, R, start, stop, workers=1):
    """Rows [start, stop) of the distance matrix by Implementation `impl`; `workers`
    threads inside the kernel."""
    if impl.parallel_inside:
        return impl.kernel(L, R, start, stop, workers)
    return impl.kernel(L, R, start, stop)


def solve_rows(impl, L, R, start, stop, workers=1):
    """Part of a solve: (nearest R cluster of each row in [start, stop) of L, minimum of
    each column over those rows, the row of each column minimum, lowest on ties)."""
    if impl.solver is not None:
        return impl.solver(L, R, start, stop, workers)
    block = matrix_rows(impl, L, R, start, stop, workers)
    return block.argmin(axis=1), block.min(axis=0), block.argmin(axis=0) + start


def merge_rows(parts):
    """The answer of a solve from its solve_rows parts, in row order."""
    if len(parts) == 1:  # a serial solve: nothing to merge
        return parts[0][0], parts[0][2]
    near_l = np.concatenate([part[0] for part in parts])
    _, best, near_r = parts[0]
    for _, values, rows in parts[1:]:  # in row order: on a tie the earlier rows win
        better = values < best
        best, near_r = np.where(better, values, best), np.where(better, rows, near_r)
    return near_l, near_r


def chamfer_matrix(L, R, impl="numba", backend="serial", workers=1, timer=None):
    """The |L| x |R| matrix of symmetric Chamfer distances.

    L and R are ClusterSets or lists of (n_i, 3) float arrays. `timer`, a scipar.Timer
    around the call, receives the CPU time of worker processes. Solvers that skip work
    (cython-pruned) do not apply here: every entry is computed.
    """
    L, R = as_cluster_set(L, "L"), as_cluster_set(R, "R")
    implementation = get_implementation(impl, "chamfer")
    check_workers(backend, workers, implementation)
    if backend == "prange":
        return matrix_rows(implementation, L, R, 0, len(L), workers)
    chunks = [(0, len(L))] if backend == "serial" else row_chunks(L, TASKS_PER_WORKER * workers)
    blocks = parallel_map(matrix_rows, [(implementation, L, R, a, b) for a, b in chunks], backend, workers, timer)
    return np.vstack(blocks)


def nearest(matrix):
    """Row-wise and column-wise argmin; np.argmin returns the lowest index of a tie."""
    return matrix.argmin(axis=1), matrix.argmin(axis=0)


def solve(L, R, impl="numba", backend="serial", workers=1, timer=None):
    """(nearest R cluster of each L cluster, nearest L cluster of each R cluster)."""
    L, R = as_cluster_set(L, "L"), as_cluster_set(R, "R")
    return get_problem("chamfer").solve((L, R), get_implementation(impl, "chamfer"), backend, workers, timer)


def check_matrix(matrix, reference):
    """Raise VerificationError unless `matrix` equals `reference` to rounding."""
    if matrix.shape != reference.shape:
        raise VerificationError(f"matrix shape {matrix.shape}, reference {reference.shape}")
    close = np.isclose(matrix, reference, rtol=TIE_RTOL, atol=TIE_ATOL)
    if not close.all():
        i, j = np.argwhere(~close)[0]
        raise VerificationError(
            f"{(~close).sum()} of {close.size} distances differ from the reference; first at "
            f"L[{i}], R[{j}]: {matrix[i, j]!r} vs {reference[i, j]!r}"
        )


def check_solution(L, R, near_l, near_r, reference=None):
    """Raise VerificationError unless (near_l, near_r) is a correct answer.

    `reference` is the reference's distance matrix (computed here if not given). A
    choice that differs from the reference's is accepted only where its distance ties
    the reference's minimum to rounding (TIE_RTOL).
    """
    if reference is None:
        reference = chamfer_matrix(L, R, impl="reference")
    for side, other, chosen, axis in (("L", "R", near_l, 1), ("R", "L", near_r, 0)):
        chosen = np.asarray(chosen)
        count = reference.shape[1 - axis]
        if chosen.shape != (count,) or chosen.dtype.kind not in "iu":
            raise VerificationError(
                f"nearest clusters of {side}: expected {count} integer indices, "
                f"got shape {chosen.shape} dtype {chosen.dtype}"
            )
        if count and (chosen.min() < 0 or chosen.max() >= reference.shape[axis]):
            raise VerificationError(f"nearest clusters of {side}: index out of range")
        got = np.take_along_axis(reference, np.expand_dims(chosen, axis), axis).squeeze(axis)
        best = reference.min(axis=axis)
        wrong = np.flatnonzero(got > best + TIE_RTOL * best + TIE_ATOL)
        if wrong.size:
            k = wrong[0]
            raise VerificationError(
                f"{wrong.size} clusters of {side} matched wrongly; first: {side}[{k}] -> "
                f"{other}[{chosen[k]}] at {got[k]!r}, but the reference finds "
                f"{other}[{reference.argmin(axis=axis)[k]}] at {best[k]!r}"
            )
