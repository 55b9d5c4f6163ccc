"""The pair-histogram kernels: counts of the pairs (i, j), start <= i < stop, i < j."""

import math
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from pairhist import MAX_DISTANCE, bin_of


def python_rows(points, bins, start, stop):
    counts = [0] * bins
    scale = bins / MAX_DISTANCE
    rows = points.tolist()
    for i in range(start, stop):
        xi, yi, zi = rows[i]
        for xj, yj, zj in rows[i + 1:]:
            d = math.sqrt((xi - xj) ** 2 + (yi - yj) ** 2 + (zi - zj) ** 2)
            counts[min(int(d * scale), bins - 1)] += 1
    return np.array(counts, dtype=np.int64)


def numpy_rows(points, bins, start, stop):
    counts = np.zeros(bins, dtype=np.int64)
    for i in range(start, stop):
        d = np.sqrt(((points[i + 1:] - points[i]) ** 2).sum(axis=1))
        counts += np.bincount(bin_of(d, bins), minlength=bins)
    return counts


@numba.njit(nogil=True, cache=True)
def _rows(points, bins, start, stop):
    counts = np.zeros(bins, dtype=np.int64)
    scale = bins / MAX_DISTANCE
    for i in range(start, stop):
        for j in range(i + 1, points.shape[0]):
            dx = points[i, 0] - points[j, 0]
            dy = points[i, 1] - points[j, 1]
            dz = points[i, 2] - points[j, 2]
            k = int(math.sqrt(dx * dx + dy * dy + dz * dz) * scale)
            counts[min(k, bins - 1)] += 1
    return counts


def numba_rows(points, bins, start, stop):
    return _rows(points, bins, start, stop)


def threaded_rows(points, bins, start, stop, workers=1):
    """Rows interleaved over `workers` threads (row i has n - 1 - i pairs, so
    interleaving balances them); the kernel releases the GIL."""
    if workers == 1:
        return _rows(points, bins, start, stop)
    with ThreadPoolExecutor(workers) as pool:
        parts = pool.map(lambda k: _interleaved(points, bins, start + k, stop, workers), range(workers))
        return np.sum(list(parts), axis=0)


@numba.njit(nogil=True, cache=True)
def _interleaved(points, bins, first, stop, step):
    counts = np.zeros(bins, dtype=np.int64)
    for i in range(first, stop, step):
        counts += _rows(points, bins, i, i + 1)
    return counts
