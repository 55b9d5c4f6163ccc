"""Escape-time counts of the Mandelbrot set on an n x n grid: plain functions, no scipar."""

import numba
import numpy as np


def grid(n, iterations=100):
    """The points c of the square [-2, 0.5] x [-1.25, 1.25], n x n, and the iteration bound."""
    axis_x, axis_y = np.linspace(-2.0, 0.5, n), np.linspace(-1.25, 1.25, n)
    return dict(c=axis_x[None, :] + 1j * axis_y[:, None], iterations=iterations)


def python_counts(c, iterations):
    counts = np.zeros(c.shape, dtype=np.int64)
    for (row, col), point in np.ndenumerate(c):
        z, k = 0j, 0
        while k < iterations and abs(z) <= 2.0:
            z, k = z * z + point, k + 1
        counts[row, col] = k
    return counts


def numpy_counts(c, iterations):
    z, counts = np.zeros_like(c), np.zeros(c.shape, dtype=np.int64)
    for _ in range(iterations):
        inside = np.abs(z) <= 2.0
        z[inside] = z[inside] ** 2 + c[inside]
        counts += inside
    return counts


@numba.njit(nogil=True, cache=True)
def _escape(point, iterations):
    z, k = 0j, 0
    while k < iterations and abs(z) <= 2.0:
        z, k = z * z + point, k + 1
    return k


@numba.njit(nogil=True, cache=True)
def numba_counts(c, iterations):
    counts = np.zeros(c.shape, dtype=np.int64)
    for row in range(c.shape[0]):
        for col in range(c.shape[1]):
            counts[row, col] = _escape(c[row, col], iterations)
    return counts


@numba.njit(parallel=True, cache=True)
def _prange_counts(c, iterations):
    counts = np.zeros(c.shape, dtype=np.int64)
    for row in numba.prange(c.shape[0]):
        for col in range(c.shape[1]):
            counts[row, col] = _escape(c[row, col], iterations)
    return counts


def prange_counts(c, iterations, workers=1):
    numba.set_num_threads(workers)
    return _prange_counts(c, iterations)
