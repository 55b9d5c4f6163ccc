# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Chamfer kernel in Cython: typed memoryviews, no GIL, OpenMP prange.

Same algorithm as the `numba` kernel (structure of arrays, squared distances, both
directions of a cluster pair in one pass). setup.py builds it with the flags that let
gcc vectorise the minimum over squared distances; sums stay in order. Those flags let
gcc assume that no value is infinite, so "none yet" and "proved too far" are DBL_MAX,
above every squared distance of bounded coordinates (datasets.MAX_COORDINATE).
"""

from cython.parallel cimport parallel, prange, threadid
from libc.float cimport DBL_MAX
from libc.math cimport fmax, sqrt
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
    double* colmin, double limit, const double* near_l, int64_t* visited,
) noexcept nogil:
    """The Chamfer distance of the pair, or DBL_MAX as soon as it is proved > limit;
    adds the point pairs it evaluated to *visited, if given.

    The directed mean from L only grows as points are added (the terms are >= 0 and
    rounding is monotone), so once its running sum / na exceeds `limit` the distance
    does too. `near_l`, if given, holds for each point of L a lower bound of its
    distance to R: the points not yet visited then add at least the sum of theirs, so
    the proof comes sooner. limit = DBL_MAX computes the distance.
    """
    cdef Py_ssize_t a, b
    cdef double x, y, z, dx, dy, dz, d2, rowmin
    cdef double left = 0.0, right = 0.0, rest = 0.0, slack
    if near_l != NULL:
        for a in range(na):
            rest += near_l[a]
    # The running `rest` drifts by rounding (at most na ulps of its start): no proof
    # within that.
    slack = 1e-12 * rest
    for b in range(nb):
        colmin[b] = DBL_MAX
    for a in range(na):
        x = xs[a]
        y = ys[a]
        z = zs[a]
        rowmin = DBL_MAX
        for b in range(nb):
            dx = x - xr[b]
            dy = y - yr[b]
            dz = z - zr[b]
            d2 = dx * dx + dy * dy + dz * dz
            rowmin = d2 if d2 < rowmin else rowmin
            colmin[b] = d2 if d2 < colmin[b] else colmin[b]
        left += sqrt(rowmin)
        if near_l != NULL:
            rest -= near_l[a]
        if (left + rest - slack) / na > limit:
            if visited != NULL:
                visited[0] += (a + 1) * nb
            return DBL_MAX
    if visited != NULL:
        visited[0] += na * nb
    for b in range(nb):
        right += sqrt(colmin[b])
    left /= na
    right /= nb
    return left if left > right else right


cdef inline double pair_at(
    const double[:, ::1] soa_l, const int64_t[::1] off_l,
    const double[:, ::1] soa_r, const int64_t[::1] off_r,
    Py_ssize_t i, Py_ssize_t j, double* colmin, double limit, const double* near_l, int64_t* visited,
) noexcept nogil:
    cdef Py_ssize_t a0 = off_l[i], b0 = off_r[j]
    return fused_pair(
        &soa_l[0, a0], &soa_l[1, a0], &soa_l[2, a0], off_l[i + 1] - a0,
        &soa_r[0, b0], &soa_r[1, b0], &soa_r[2, b0], off_r[j + 1] - b0,
        colmin, limit, near_l, visited,
    )


cdef void fused_row(
    const double[:, ::1] soa_l, const int64_t[::1] off_l,
    const double[:, ::1] soa_r, const int64_t[::1] off_r,
    Py_ssize_t i, double* out_row, double* colmin,
) noexcept nogil:
    cdef Py_ssize_t j
    for j in range(off_r.shape[0] - 1):
        out_row[j] = pair_at(soa_l, off_l, soa_r, off_r, i, j, colmin, DBL_MAX, NULL, NULL)


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


cdef double mean_gap(
    const double* xs, const double* ys, const double* zs, Py_ssize_t n,
    const double* low, const double* high, double* gaps,
) noexcept nogil:
    """Mean distance from n points to a box; each point's in gaps[a] (a loop gcc
    vectorises, square roots included)."""
    cdef Py_ssize_t a
    cdef double gx, gy, gz, total = 0.0
    for a in range(n):
        gx = fmax(fmax(low[0] - xs[a], xs[a] - high[0]), 0.0)
        gy = fmax(fmax(low[1] - ys[a], ys[a] - high[1]), 0.0)
        gz = fmax(fmax(low[2] - zs[a], zs[a] - high[2]), 0.0)
        gaps[a] = sqrt(gx * gx + gy * gy + gz * gz)
    for a in range(n):
        total += gaps[a]
    return total / n


cdef double pair_gap(
    const double[:, ::1] soa_l, const int64_t[::1] off_l, const double[:, ::1] low_l, const double[:, ::1] high_l,
    const double[:, ::1] soa_r, const int64_t[::1] off_r, const double[:, ::1] low_r, const double[:, ::1] high_r,
    Py_ssize_t i, Py_ssize_t j, Py_ssize_t row, double* gaps_l, double* gaps_r, double limit,
) noexcept nogil:
    """The larger of the mean distance from cluster i of L to the box of cluster j of R
    and back: a lower bound of their Chamfer distance (bounds.py), or the first
    direction's alone once it exceeds `limit`. `row` is i's row in low_l and high_l;
    gaps_l receives each point of i's distance to j's box, gaps_r is scratch."""
    cdef Py_ssize_t a0 = off_l[i], b0 = off_r[j]
    cdef double there = mean_gap(&soa_l[0, a0], &soa_l[1, a0], &soa_l[2, a0], off_l[i + 1] - a0,
                                 &low_r[j, 0], &high_r[j, 0], gaps_l)
    if there > limit:
        return there
    cdef double back = mean_gap(&soa_r[0, b0], &soa_r[1, b0], &soa_r[2, b0], off_r[j + 1] - b0,
                                &low_l[row, 0], &high_l[row, 0], gaps_r)
    return there if there > back else back


def mean_gap_bounds(
    const double[:, ::1] soa_l, const int64_t[::1] off_l, const double[:, ::1] low_l, const double[:, ::1] high_l,
    const double[:, ::1] soa_r, const int64_t[::1] off_r, const double[:, ::1] low_r, const double[:, ::1] high_r,
    double[:, ::1] out,
):
    """out[i, j] = pair_gap(i, j) for every pair (the bound pruned_rows checks second)."""
    cdef Py_ssize_t i, j
    cdef double[::1] gaps_l = np.empty(max(1, np.max(np.diff(off_l))))
    cdef double[::1] gaps_r = np.empty(max(1, np.max(np.diff(off_r))))
    with nogil:
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                out[i, j] = pair_gap(soa_l, off_l, low_l, high_l, soa_r, off_r, low_r, high_r, i, j, i,
                                     &gaps_l[0], &gaps_r[0], DBL_MAX)


def pruned_rows(
    const double[:, ::1] soa_l, const int64_t[::1] off_l,
    const double[:, ::1] soa_r, const int64_t[::1] off_r,
    Py_ssize_t start, Py_ssize_t stop, int workers,
    const double[:, ::1] lower, const int64_t[:, ::1] order,
    const double[:, ::1] low_l, const double[:, ::1] high_l, const double[:, ::1] low_r, const double[:, ::1] high_r,
    int64_t[::1] near, double[:, ::1] col_best, int64_t[:, ::1] col_arg, double[::1] seen, int64_t[::1] visited,
):
    """Nearest R cluster of rows [start, stop) of L, and each thread's column minima.

    Row i visits the R clusters in increasing order of `lower`, a lower bound of the
    distance (the centroid-to-box bound). A pair is skipped when a bound exceeds both
    the row's best distance so far and a distance already computed in its column:
    first `lower`, then the tighter mean distance of the points to the other's box
    (pair_gap). A pair computed is abandoned as soon as it is proved to exceed both,
    the points' box distances standing in for those not yet visited. It can then be
    neither minimum nor tie. Everything computed is exact. `seen[j]`, shared by the
    threads, holds some distance computed in column j (a lost update leaves a larger
    one, which is still a valid bound); the answer itself comes from each thread's own
    col_best and col_arg. low_l and high_l are the boxes of rows [start, stop);
    visited[t] counts the point pairs thread t evaluated.
    """
    cdef Py_ssize_t i, k, j, t, nr = off_r.shape[0] - 1
    cdef Py_ssize_t largest_r = np.max(np.diff(off_r)), largest_l = np.max(np.diff(off_l))
    cdef double d, best, limit, column
    cdef int64_t arg
    cdef double* colmin
    cdef double* gaps
    with nogil, parallel(num_threads=workers):
        t = threadid()
        colmin = <double*> malloc(largest_r * sizeof(double))  # also the scratch of pair_gap
        gaps = <double*> malloc(largest_l * sizeof(double))
        for i in prange(start, stop, schedule="dynamic"):
            best = DBL_MAX
            arg = -1
            for k in range(nr):
                j = order[i - start, k]
                column = relaxed_load(&seen[j])
                limit = best if best > column else column
                # (1 - 1e-12): a bound equal to a distance up to rounding is no proof
                if lower[i - start, j] * (1 - 1e-12) > limit:
                    continue
                if pair_gap(soa_l, off_l, low_l, high_l, soa_r, off_r, low_r, high_r, i, j, i - start,
                            gaps, colmin, limit) * (1 - 1e-12) > limit:
                    continue
                d = pair_at(soa_l, off_l, soa_r, off_r, i, j, colmin, limit, gaps, &visited[t])
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
        free(gaps)


def pruned_solve(L, R, Py_ssize_t start, Py_ssize_t stop, int workers=1, stats=None):
    """solve_rows for cython-pruned: (nearest R of rows [start, stop), column minima, rows).
    A dict `stats` receives "point_pairs_evaluated" (benchmarks/chamfer_performance.py)."""
    from scipar.problems.chamfer.bounds import pruning_bounds

    lower, (_, low_l, high_l), (_, low_r, high_r) = pruning_bounds(L, R, start, stop, workers)
    order = np.argsort(lower, axis=1)
    near = np.empty(stop - start, dtype=np.int64)
    col_best = np.full((workers, len(R)), DBL_MAX)
    col_arg = np.full((workers, len(R)), -1, dtype=np.int64)
    seen = np.full(len(R), DBL_MAX)
    visited = np.zeros(workers, dtype=np.int64)
    pruned_rows(L.soa, L.offsets, R.soa, R.offsets, start, stop, workers, lower, order,
                low_l, high_l, low_r, high_r, near, col_best, col_arg, seen, visited)
    if stats is not None:
        stats["point_pairs_evaluated"] = int(visited.sum())
    # Merge the threads' column minima: lowest distance, then lowest row.
    pick = np.lexsort((np.where(col_arg < 0, np.iinfo(np.int64).max, col_arg), col_best), axis=0)[0]
    columns = np.arange(len(R))
    return near, col_best[pick, columns], col_arg[pick, columns]
