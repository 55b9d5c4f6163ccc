# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Chamfer kernel in Cython: typed memoryviews, no GIL, OpenMP prange.

Same algorithm as the `numba` kernel (structure of arrays, squared distances, both
directions of a cluster pair in one pass). setup.py builds it with the flags that let
gcc vectorise the minimum over squared distances; sums stay in order.
"""

from cython.parallel cimport parallel, prange, threadid
from libc.math cimport INFINITY, sqrt
from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc

import numpy as np


cdef extern from *:
    """
    /* Relaxed atomic access to a double shared by the threads of pruned_rows. */
    #if defined(_MSC_VER)
    static double relaxed_load(double *p) { return *(volatile double *)p; }
    static void relaxed_store(double *p, double v) { *(volatile double *)p = v; }
    #else
    static double relaxed_load(double *p) { double v; __atomic_load(p, &v, __ATOMIC_RELAXED); return v; }
    static void relaxed_store(double *p, double v) { __atomic_store(p, &v, __ATOMIC_RELAXED); }
    #endif
    """
    double relaxed_load(double* p) noexcept nogil
    void relaxed_store(double* p, double v) noexcept nogil


cdef double fused_pair(
    const double* xs, const double* ys, const double* zs, Py_ssize_t na,
    const double* xr, const double* yr, const double* zr, Py_ssize_t nb,
    double* colmin, double limit,
) noexcept nogil:
    """The Chamfer distance of the pair, or INFINITY as soon as it is proved > limit.

    The directed mean from L only grows as points are added (the terms are >= 0 and
    rounding is monotone), so once its running sum / na exceeds `limit` the distance
    does too. limit = INFINITY computes the distance.
    """
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
        if left / na > limit:
            return INFINITY
    for b in range(nb):
        right += sqrt(colmin[b])
    left /= na
    right /= nb
    return left if left > right else right


cdef inline double pair_at(
    const double[:, ::1] soa_l, const int64_t[::1] off_l,
    const double[:, ::1] soa_r, const int64_t[::1] off_r,
    Py_ssize_t i, Py_ssize_t j, double* colmin, double limit,
) noexcept nogil:
    cdef Py_ssize_t a0 = off_l[i], b0 = off_r[j]
    return fused_pair(
        &soa_l[0, a0], &soa_l[1, a0], &soa_l[2, a0], off_l[i + 1] - a0,
        &soa_r[0, b0], &soa_r[1, b0], &soa_r[2, b0], off_r[j + 1] - b0,
        colmin, limit,
    )


cdef void fused_row(
    const double[:, ::1] soa_l, const int64_t[::1] off_l,
    const double[:, ::1] soa_r, const int64_t[::1] off_r,
    Py_ssize_t i, double* out_row, double* colmin,
) noexcept nogil:
    cdef Py_ssize_t j
    for j in range(off_r.shape[0] - 1):
        out_row[j] = pair_at(soa_l, off_l, soa_r, off_r, i, j, colmin, INFINITY)


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


# --- cython-pruned: the same kernel, skipping cluster pairs that cannot be nearest ---

cdef inline double point_to_box(const double* p, const double* low, const double* high) noexcept nogil:
    cdef double gap, total = 0.0
    cdef int k
    for k in range(3):
        gap = low[k] - p[k] if p[k] < low[k] else (p[k] - high[k] if p[k] > high[k] else 0.0)
        total += gap * gap
    return sqrt(total)


def box_bounds(
    const double[:, ::1] centre_l, const double[:, ::1] low_l, const double[:, ::1] high_l,
    const double[:, ::1] centre_r, const double[:, ::1] low_r, const double[:, ::1] high_r,
    int workers, double[:, ::1] out,
):
    """out[i, j] = max(distance from centroid i of L to box j of R, and back): see bounds.py."""
    cdef Py_ssize_t i, j
    cdef double there, back
    with nogil:
        for i in prange(out.shape[0], num_threads=workers, schedule="static"):
            for j in range(out.shape[1]):
                there = point_to_box(&centre_l[i, 0], &low_r[j, 0], &high_r[j, 0])
                back = point_to_box(&centre_r[j, 0], &low_l[i, 0], &high_l[i, 0])
                out[i, j] = there if there > back else back


def pruned_rows(
    const double[:, ::1] soa_l, const int64_t[::1] off_l,
    const double[:, ::1] soa_r, const int64_t[::1] off_r,
    Py_ssize_t start, Py_ssize_t stop, int workers,
    const double[:, ::1] lower, const int64_t[:, ::1] order,
    int64_t[::1] near, double[:, ::1] col_best, int64_t[:, ::1] col_arg, double[::1] seen,
):
    """Nearest R cluster of rows [start, stop) of L, and each thread's column minima.

    Row i visits the R clusters in increasing order of `lower`, a lower bound of the
    distance. A pair is skipped when its bound exceeds both the row's best distance so
    far and a distance already computed in its column, and abandoned as soon as it is
    proved to exceed both: it can then be neither minimum nor tie. Everything computed
    is exact. `seen[j]`, shared by the threads, holds some distance computed in column j
    (a lost update leaves a larger one, which is still a valid bound); the answer itself
    comes from each thread's own col_best and col_arg.
    """
    cdef Py_ssize_t i, k, j, t, nr = off_r.shape[0] - 1
    cdef Py_ssize_t largest = np.max(np.diff(off_r))
    cdef double d, best, limit, column
    cdef int64_t arg
    cdef double* colmin
    with nogil, parallel(num_threads=workers):
        t = threadid()
        colmin = <double*> malloc(largest * sizeof(double))
        for i in prange(start, stop, schedule="dynamic"):
            best = INFINITY
            arg = -1
            for k in range(nr):
                j = order[i - start, k]
                column = relaxed_load(&seen[j])
                limit = best if best > column else column
                # (1 - 1e-12): a bound equal to a distance up to rounding is no proof
                if lower[i - start, j] * (1 - 1e-12) > limit:
                    continue
                d = pair_at(soa_l, off_l, soa_r, off_r, i, j, colmin, limit)
                if d < best or (d == best and j < arg):
                    best = d
                    arg = j
                if d < col_best[t, j] or (d == col_best[t, j] and i < col_arg[t, j]):
                    col_best[t, j] = d
                    col_arg[t, j] = i
                if d < relaxed_load(&seen[j]):
                    relaxed_store(&seen[j], d)
            near[i - start] = arg
        free(colmin)


def pruned_solve(L, R, Py_ssize_t start, Py_ssize_t stop, int workers=1):
    """solve_rows for cython-pruned: (nearest R of rows [start, stop), column minima, rows)."""
    from scipar.problems.chamfer.bounds import chamfer_lower_bounds

    lower = chamfer_lower_bounds(L, R, start, stop, workers)
    order = np.argsort(lower, axis=1)
    near = np.empty(stop - start, dtype=np.int64)
    col_best = np.full((workers, len(R)), np.inf)
    col_arg = np.full((workers, len(R)), -1, dtype=np.int64)
    seen = np.full(len(R), np.inf)
    pruned_rows(L.soa, L.offsets, R.soa, R.offsets, start, stop, workers, lower, order, near, col_best, col_arg, seen)
    # Merge the threads' column minima: lowest distance, then lowest row.
    pick = np.lexsort((np.where(col_arg < 0, np.iinfo(np.int64).max, col_arg), col_best), axis=0)[0]
    columns = np.arange(len(R))
    return near, col_best[pick, columns], col_arg[pick, columns]
