# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Chamfer kernel in Cython: typed memoryviews, no GIL, OpenMP prange.

Same algorithm as the `numba` kernel (structure of arrays, squared distances, both
directions of a cluster pair in one pass). setup.py builds it with the flags that let
gcc vectorise the minimum over squared distances; sums stay in order.
"""

from cython.parallel cimport parallel, prange
from libc.math cimport INFINITY, sqrt
from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc

import numpy as np


cdef double fused_pair(
    const double* xs, const double* ys, const double* zs, Py_ssize_t na,
    const double* xr, const double* yr, const double* zr, Py_ssize_t nb,
    double* colmin,
) noexcept nogil:
    cdef Py_ssize_t a, b
    cdef double x, y, z, dx, dy, dz, d2, rowmin
    cdef double left = 0.0, right = 0.0
    for b in range(nb):
        colmin[b] = INFINITY
    for a in range(na):
        x = xs[a]
        y = ys[a]
        z = zs[a]
        rowmin = INFINITY
        for b in range(nb):
            dx = x - xr[b]
            dy = y - yr[b]
            dz = z - zr[b]
            d2 = dx * dx + dy * dy + dz * dz
            rowmin = d2 if d2 < rowmin else rowmin
            colmin[b] = d2 if d2 < colmin[b] else colmin[b]
        left += sqrt(rowmin)
    for b in range(nb):
        right += sqrt(colmin[b])
    left /= na
    right /= nb
    return left if left > right else right


cdef void fused_row(
    const double[:, ::1] soa_l, const int64_t[::1] off_l,
    const double[:, ::1] soa_r, const int64_t[::1] off_r,
    Py_ssize_t i, double* out_row, double* colmin,
) noexcept nogil:
    cdef Py_ssize_t j, a0 = off_l[i], b0
    cdef Py_ssize_t na = off_l[i + 1] - a0
    for j in range(off_r.shape[0] - 1):
        b0 = off_r[j]
        out_row[j] = fused_pair(
            &soa_l[0, a0], &soa_l[1, a0], &soa_l[2, a0], na,
            &soa_r[0, b0], &soa_r[1, b0], &soa_r[2, b0], off_r[j + 1] - b0,
            colmin,
        )


def fused_rows(
    const double[:, ::1] soa_l, const int64_t[::1] off_l,
    const double[:, ::1] soa_r, const int64_t[::1] off_r,
    Py_ssize_t start, Py_ssize_t stop, int workers, double[:, ::1] out,
):
    """Fill out[i - start, :] for rows i in [start, stop) on `workers` OpenMP threads."""
    cdef Py_ssize_t i, largest = np.max(np.diff(off_r))
    cdef double* colmin
    if workers == 1:
        colmin = <double*> malloc(largest * sizeof(double))
        if colmin == NULL:
            raise MemoryError()
        with nogil:
            for i in range(start, stop):
                fused_row(soa_l, off_l, soa_r, off_r, i, &out[i - start, 0], colmin)
        free(colmin)
        return
    with nogil, parallel(num_threads=workers):
        colmin = <double*> malloc(largest * sizeof(double))  # one scratch row per thread
        for i in prange(start, stop, schedule="dynamic"):
            fused_row(soa_l, off_l, soa_r, off_r, i, &out[i - start, 0], colmin)
        free(colmin)


def fused_block(L, R, Py_ssize_t start, Py_ssize_t stop, int workers=1):
    out = np.empty((stop - start, len(R)))
    fused_rows(L.soa, L.offsets, R.soa, R.offsets, start, stop, workers, out)
    return out
