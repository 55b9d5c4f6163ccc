"""The pair-histogram kernels: counts of the distances between all pairs of N random
points in the unit cube, in bins. Nothing here knows scipar: these are the functions
you would write anyway, and pairhist.py declares them to scipar.

Every kernel takes the data that `random_points` makes and returns the counts of the
pairs (i, j), i < j, of the rows i it is given."""

import math
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from scipy.spatial.distance import pdist

MAX_DISTANCE = math.sqrt(3.0)  # the diagonal of the unit cube


def random_points(points, bins, seed=0):
    """N random points in the unit cube, the bin count, and the rows to compute (all)."""
    xyz = np.random.default_rng(seed).random((points, 3))
    return dict(points=xyz, bins=bins, rows=np.arange(points))


def pairs(points, bins, rows):
    """The work of one solve: the pairs (i, j), i < j, of these rows."""
    return int(np.sum(len(points) - 1 - rows))


def grow(params, workers):
    """Weak scaling: sqrt(p) times the points makes about p times the pairs."""
    return params | {"points": round(params["points"] * math.sqrt(workers))}


def bin_of(distances, bins):
    return np.minimum((distances * (bins / MAX_DISTANCE)).astype(np.int64), bins - 1)


def scipy_counts(points, bins, rows):
    """The reference, independent of every kernel below: SciPy's pdist."""
    return np.bincount(bin_of(pdist(points), bins), minlength=bins)


def python_rows(points, bins, rows):
    counts = [0] * bins
    scale = bins / MAX_DISTANCE
    xyz = points.tolist()
    for i in rows.tolist():
        xi, yi, zi = xyz[i]
        for xj, yj, zj in xyz[i + 1:]:
            d = math.sqrt((xi - xj) ** 2 + (yi - yj) ** 2 + (zi - zj) ** 2)
            counts[min(int(d * scale), bins - 1)] += 1
    return np.array(counts, dtype=np.int64)


def numpy_rows(points, bins, rows):
    counts = np.zeros(bins, dtype=np.int64)
    for i in rows:
        d = np.sqrt(((points[i + 1:] - points[i]) ** 2).sum(axis=1))
        counts += np.bincount(bin_of(d, bins), minlength=bins)
    return counts


@numba.njit(nogil=True, cache=True)
def numba_rows(points, bins, rows):
    counts = np.zeros(bins, dtype=np.int64)
    scale = bins / MAX_DISTANCE
    for i in rows:
        for j in range(i + 1, points.shape[0]):
            dx = points[i, 0] - points[j, 0]
            dy = points[i, 1] - points[j, 1]
            dz = points[i, 2] - points[j, 2]
            k = int(math.sqrt(dx * dx + dy * dy + dz * dz) * scale)
            counts[min(k, bins - 1)] += 1
    return counts


def threaded_rows(points, bins, rows, workers=1):
    """numba_rows on `workers` threads, rows interleaved (row i has n - 1 - i pairs, so
    interleaving balances them); the kernel releases the GIL."""
    if workers == 1:
        return numba_rows(points, bins, rows)
    with ThreadPoolExecutor(workers) as pool:
        return sum(pool.map(lambda k: numba_rows(points, bins, rows[k::workers]), range(workers)))
