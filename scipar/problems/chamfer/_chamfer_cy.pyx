# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Chamfer kernel in Cython: typed memoryviews, no GIL, OpenMP prange.

Same algorithm as the `numba` kernel (structure of arrays, squared distances, both
directions of a cluster pair in one pass). setup.py builds it with the flags that let
gcc vectorise the minimum over squared distances; sums stay in order. Those flags let
gcc assume that no value is infinite, so "none yet" and "proved too far" are DBL_MAX,
above every squared distance of bounded coordinates (datasets.MAX_COORDINATE).

cython-pruned (pruned_solve) adds bounds, guesses and a loop that takes four points at
a time; its distances are the plain kernel's, bit for bit.
"""

from cython.parallel cimport parallel, prange, threadid
from libc.float cimport DBL_EPSILON, DBL_MAX, DBL_MIN, FLT_MAX
from libc.math cimport cbrt, fmax, sqrt, sqrtf
from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc

import threading

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


cdef struct Centred:
    # A set's points relative to their cluster's centroid (centred_points), for proved_far.
    const double* points  # (4, stride): x, y, z and their squared norm
    Py_ssize_t stride
    const double* centre  # (k, 3) the clusters' centroids
    const double* radius  # (k,) at least the largest norm in each cluster


cdef Centred as_centred(points, radius, centre):
    """A Centred view of centred_points' arrays and the centroids; the caller keeps
    them alive while it is used."""
    cdef const double[:, ::1] p = points
    cdef const double[:, ::1] c = centre
    cdef const double[::1] r = radius
    return Centred(&p[0, 0], p.shape[1], &c[0, 0], &r[0])


cdef inline double row_min(
    double x, double y, double z, const double* xr, const double* yr, const double* zr, Py_ssize_t nb,
    double* colmin,
) noexcept nogil:
    """The smallest squared distance from (x, y, z) to the nb points; lowers colmin to it."""
    cdef Py_ssize_t b
    cdef double dx, dy, dz, d2, rowmin = DBL_MAX
    for b in range(nb):
        dx = x - xr[b]
        dy = y - yr[b]
        dz = z - zr[b]
        d2 = dx * dx + dy * dy + dz * dz
        rowmin = d2 if d2 < rowmin else rowmin
        colmin[b] = d2 if d2 < colmin[b] else colmin[b]
    return rowmin


cdef inline void four_rows(
    const double* xs, const double* ys, const double* zs,
    const double* xr, const double* yr, const double* zr, Py_ssize_t nb, double* colmin, double* left,
    double* terms,
) noexcept nogil:
    """row_min of four points at once, into terms[0:4], their square roots added to
    *left: each point of B and its colmin are loaded once for the four."""
    cdef Py_ssize_t b
    cdef double bx, by, bz, dx, dy, dz, d0, d1, d2, d3, c
    cdef double m0 = DBL_MAX, m1 = DBL_MAX, m2 = DBL_MAX, m3 = DBL_MAX
    for b in range(nb):
        bx = xr[b]
        by = yr[b]
        bz = zr[b]
        dx = xs[0] - bx; dy = ys[0] - by; dz = zs[0] - bz
        d0 = dx * dx + dy * dy + dz * dz
        dx = xs[1] - bx; dy = ys[1] - by; dz = zs[1] - bz
        d1 = dx * dx + dy * dy + dz * dz
        dx = xs[2] - bx; dy = ys[2] - by; dz = zs[2] - bz
        d2 = dx * dx + dy * dy + dz * dz
        dx = xs[3] - bx; dy = ys[3] - by; dz = zs[3] - bz
        d3 = dx * dx + dy * dy + dz * dz
        m0 = d0 if d0 < m0 else m0
        m1 = d1 if d1 < m1 else m1
        m2 = d2 if d2 < m2 else m2
        m3 = d3 if d3 < m3 else m3
        c = colmin[b]
        c = d0 if d0 < c else c
        c = d1 if d1 < c else c
        c = d2 if d2 < c else c
        colmin[b] = d3 if d3 < c else c
    terms[0] = m0
    terms[1] = m1
    terms[2] = m2
    terms[3] = m3
    left[0] += sqrt(m0)
    left[0] += sqrt(m1)
    left[0] += sqrt(m2)
    left[0] += sqrt(m3)


cdef inline double sum_of(const double* v, Py_ssize_t n) noexcept nogil:
    """The sum of v[:n] in four interleaved partial sums, which gcc keeps in one vector
    register: a bound needs no particular order (the callers allow for rounding), and
    one running sum would wait for each addition."""
    cdef Py_ssize_t a
    cdef double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    for a in range(0, n - 3, 4):
        s0 += v[a]
        s1 += v[a + 1]
        s2 += v[a + 2]
        s3 += v[a + 3]
    for a in range(n - n % 4, n):
        s0 += v[a]
    return (s0 + s1) + (s2 + s3)


cdef inline bint beyond(double total, double limit, Py_ssize_t n) noexcept nogil:
    """Whether a running total of n terms, none above the term of a directed mean it
    stands for, proves that mean > limit. The total is summed in another order and
    includes bounds that were subtracted again: rounding moves it by less than n ulps
    of itself, and the test allows eight times that."""
    return total * (1.0 - 8.0 * (n + 1) * DBL_EPSILON) > (limit * n if limit < DBL_MAX / n else DBL_MAX)


cdef double fused_pair(
    const double* xs, const double* ys, const double* zs, Py_ssize_t na,
    const double* xr, const double* yr, const double* zr, Py_ssize_t nb,
    double* colmin, double limit, const double* near_l, int64_t* visited,
    const int64_t* where_l, const int64_t* where_r, double* terms,
) noexcept nogil:
    """The Chamfer distance of the pair, or DBL_MAX as soon as it is proved > limit;
    adds the point pairs it evaluated to *visited, if given.

    Without `where_l` it is the plain loop, the C yardstick's, for comparing compilers
    on the same code. With it, the points are cython-pruned's copies in outward-first
    order (bounds.outward_first), where_l[k] and where_r[k] the positions of the k-th
    points of the dataset: the points of L are taken four at a time (four_rows), their
    squared minima kept in `terms`, and the sums are made at the end in the dataset's
    order, so the distance equals the plain loop's bit for bit.

    The directed mean from L only grows as points are added (the terms are >= 0), so
    once its running sum / na exceeds `limit` the distance does too. `near_l`, if
    given, holds for each point of L a lower bound of its distance to R: the points not
    yet visited then add at least the sum of theirs, so the proof comes sooner
    (`beyond`). limit = DBL_MAX computes the distance.
    """
    cdef Py_ssize_t a = 0, b, k, step = 4 if where_l != NULL else 1
    cdef double left = 0.0, right = 0.0, rest = 0.0, m
    if near_l != NULL:
        rest = sum_of(near_l, na)
    for b in range(nb):
        colmin[b] = DBL_MAX
    while a < na:
        if step == 4 and a + 4 <= na:
            four_rows(&xs[a], &ys[a], &zs[a], xr, yr, zr, nb, colmin, &left, &terms[a])
        else:
            step = 1
            m = row_min(xs[a], ys[a], zs[a], xr, yr, zr, nb, colmin)
            if where_l != NULL:
                terms[a] = m
            left += sqrt(m)
        if near_l != NULL:
            for k in range(a, a + step):
                rest -= near_l[k]
        a += step
        if beyond(left + rest, limit, na):
            if visited != NULL:
                visited[0] += a * nb
            return DBL_MAX
    if visited != NULL:
        visited[0] += na * nb
    if where_l != NULL:
        left = 0.0
        for k in range(na):
            left += sqrt(terms[where_l[k]])
        for k in range(nb):
            right += sqrt(colmin[where_r[k]])
    else:
        for b in range(nb):
            right += sqrt(colmin[b])
    left /= na
    right /= nb
    return left if left > right else right


cdef inline double pair_at(
    const double[:, ::1] soa_l, const int64_t[::1] off_l,
    const double[:, ::1] soa_r, const int64_t[::1] off_r,
    Py_ssize_t i, Py_ssize_t j, double* colmin, double limit, const double* near_l, int64_t* visited,
    const int64_t* where_l, const int64_t* where_r, double* terms, const Centred* centred_r=NULL,
) noexcept nogil:
    """fused_pair of cluster i of L and cluster j of R; where_l and where_r, if given,
    are for all the points of L and R. With centred_r (R's centred points) and a
    limit, proved_far tries first."""
    cdef Py_ssize_t a0 = off_l[i], b0 = off_r[j]
    if centred_r != NULL and limit < DBL_MAX and proved_far(
        &soa_l[0, a0], &soa_l[1, a0], &soa_l[2, a0], off_l[i + 1] - a0, &centred_r.centre[3 * j],
        &centred_r.points[b0], centred_r.stride, off_r[j + 1] - b0, centred_r.radius[j], limit, near_l, visited,
    ):
        return DBL_MAX
    if where_l != NULL:
        where_l = &where_l[a0]
        where_r = &where_r[b0]
    return fused_pair(
        &soa_l[0, a0], &soa_l[1, a0], &soa_l[2, a0], off_l[i + 1] - a0,
        &soa_r[0, b0], &soa_r[1, b0], &soa_r[2, b0], off_r[j + 1] - b0,
        colmin, limit, near_l, visited, where_l, where_r, terms,
    )


cdef void fused_row(
    const double[:, ::1] soa_l, const int64_t[::1] off_l,
    const double[:, ::1] soa_r, const int64_t[::1] off_r,
    Py_ssize_t i, double* out_row, double* colmin,
) noexcept nogil:
    cdef Py_ssize_t j
    for j in range(off_r.shape[0] - 1):
        out_row[j] = pair_at(soa_l, off_l, soa_r, off_r, i, j, colmin, DBL_MAX, NULL, NULL, NULL, NULL, NULL)


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

def cluster_summaries(const double[:, ::1] soa, const int64_t[::1] off, int workers):
    """(centroids, per-axis standard deviations, box minima, box maxima) of every
    cluster, (k, 3) each, and the typical spacing of its points, (k,): (product of the
    deviations / size)^(1/3). Two passes over the points per cluster (bounds.py)."""
    cdef Py_ssize_t k = off.shape[0] - 1, c, a, axis
    centre_np, spread_np, low_np, high_np = (np.empty((k, 3)) for _ in range(4))
    spacing_np = np.empty(k)
    cdef double[:, ::1] centre = centre_np, spread = spread_np, low = low_np, high = high_np
    cdef double[::1] spacing = spacing_np
    cdef double v, total, lo, hi, mean, squares
    with nogil:
        for c in prange(k, num_threads=workers, schedule="static"):
            for axis in range(3):
                total = 0.0
                lo = soa[axis, off[c]]
                hi = lo
                for a in range(off[c], off[c + 1]):
                    v = soa[axis, a]
                    total = total + v
                    lo = v if v < lo else lo
                    hi = v if v > hi else hi
                mean = total / (off[c + 1] - off[c])
                squares = 0.0
                for a in range(off[c], off[c + 1]):
                    squares = squares + (soa[axis, a] - mean) * (soa[axis, a] - mean)
                centre[c, axis] = mean
                spread[c, axis] = sqrt(squares / (off[c + 1] - off[c]))
                low[c, axis] = lo
                high[c, axis] = hi
            spacing[c] = cbrt(spread[c, 0] * spread[c, 1] * spread[c, 2] / (off[c + 1] - off[c]))
    return centre_np, spread_np, spacing_np, low_np, high_np


cdef inline double box_gap(double p, double low, double high) noexcept nogil:
    """The distance from coordinate p to the interval [low, high] (0 inside)."""
    return fmax(fmax(low - p, p - high), 0.0)


def pair_estimates(
    const double[:, ::1] centre_l, const double[:, ::1] spread_l, const double[::1] spacing_l,
    const double[:, ::1] low_l, const double[:, ::1] high_l,
    centre_r, spread_r, const double[::1] spacing_r, low_r, high_r,
    int workers, double[:, ::1] lower, double[:, ::1] likely, signed char[:, ::1] from_r,
):
    """For every pair (i, j), see bounds.pair_estimates: lower[i, j], the centroid
    bound; likely[i, j], the guessed distance; from_r[i, j] = 1 where the directed mean
    from R's cluster is guessed the larger. R's summaries are read axis by axis (their
    transposes), so that gcc vectorises the loop over R's clusters."""
    cdef const double[:, ::1] c_r = np.ascontiguousarray(centre_r.T), s_r = np.ascontiguousarray(spread_r.T)
    cdef const double[:, ::1] lo_r = np.ascontiguousarray(low_r.T), hi_r = np.ascontiguousarray(high_r.T)
    cdef Py_ssize_t i, j
    cdef double gx, gy, gz, there, back, dx, dy, dz, ex, ey, ez
    with nogil:
        for i in prange(lower.shape[0], num_threads=workers, schedule="static"):
            for j in range(lower.shape[1]):
                gx = box_gap(centre_l[i, 0], lo_r[0, j], hi_r[0, j])
                gy = box_gap(centre_l[i, 1], lo_r[1, j], hi_r[1, j])
                gz = box_gap(centre_l[i, 2], lo_r[2, j], hi_r[2, j])
                there = sqrt(gx * gx + gy * gy + gz * gz)
                gx = box_gap(c_r[0, j], low_l[i, 0], high_l[i, 0])
                gy = box_gap(c_r[1, j], low_l[i, 1], high_l[i, 1])
                gz = box_gap(c_r[2, j], low_l[i, 2], high_l[i, 2])
                back = sqrt(gx * gx + gy * gy + gz * gz)
                lower[i, j] = fmax(there, back)
                dx = centre_l[i, 0] - c_r[0, j]
                dy = centre_l[i, 1] - c_r[1, j]
                dz = centre_l[i, 2] - c_r[2, j]
                ex = spread_l[i, 0] - s_r[0, j]
                ey = spread_l[i, 1] - s_r[1, j]
                ez = spread_l[i, 2] - s_r[2, j]
                likely[i, j] = dx * dx + dy * dy + dz * dz + ex * ex + ey * ey + ez * ez
                from_r[i, j] = (4 * spacing_l[i] + fmax(-ex, 0.0) + fmax(-ey, 0.0) + fmax(-ez, 0.0)
                                > 4 * spacing_r[j] + fmax(ex, 0.0) + fmax(ey, 0.0) + fmax(ez, 0.0))


# Octiles of the chi-squared distribution with 3 degrees of freedom: the squared
# Mahalanobis distances of a normal cluster's points fall between them in equal shares.
cdef double[7] OCTILES = [5.74, 4.11, 3.11, 2.37, 1.75, 1.21, 0.69]


cdef void outward_cluster(
    const double[:, ::1] soa, Py_ssize_t a0, Py_ssize_t a1, const double* centre, const double* spread,
    double[:, ::1] out, int64_t[::1] where,
) noexcept nogil:
    """One cluster of outward_first: a stable counting sort into the eight octile
    bands of the squared Mahalanobis distance, outermost band first."""
    cdef Py_ssize_t a, k, axis, band
    cdef int64_t start[9]
    cdef double z, m, scale[3]
    for axis in range(3):
        scale[axis] = 1.0 / spread[axis] if spread[axis] > 0 else 1.0
    for k in range(9):
        start[k] = 0
    for a in range(a0, a1):
        m = 0.0
        for axis in range(3):
            z = (soa[axis, a] - centre[axis]) * scale[axis]
            m = m + z * z
        k = 0
        for band in range(7):  # no branch: the bands are unpredictable
            k = k + (m < OCTILES[band])
        where[a] = k
        start[k + 1] += 1
    for k in range(8):
        start[k + 1] += start[k]
    for a in range(a0, a1):
        k = where[a]
        where[a] = start[k]
        start[k] += 1
        for axis in range(3):
            out[axis, a0 + where[a]] = soa[axis, a]


def outward_first(const double[:, ::1] soa, const int64_t[::1] off, const double[:, ::1] centre,
                  const double[:, ::1] spread, int workers, into=None):
    """bounds.outward_first, for every cluster: (points, where), into the arrays `into`
    if given."""
    out_np, where_np = into or (np.empty((3, soa.shape[1])), np.empty(soa.shape[1], dtype=np.int64))
    cdef double[:, ::1] out = out_np
    cdef int64_t[::1] where = where_np
    cdef Py_ssize_t c
    with nogil:
        for c in prange(off.shape[0] - 1, num_threads=workers, schedule="static"):
            outward_cluster(soa, off[c], off[c + 1], &centre[c, 0], &spread[c, 0], out, where)
    return out_np, where_np


# --- cython-pruned's proof pass: rounded distances, twice as fast, with a certified margin ---

def centred_points(const double[:, ::1] soa, const int64_t[::1] off, const double[:, ::1] centre, int workers,
                   out_np=None):
    """(4, n): each point's x, y, z relative to its cluster's centre and its squared
    norm, into out_np if given; (k,): each cluster's radius, a little above its largest
    norm."""
    out_np = np.empty((4, soa.shape[1])) if out_np is None else out_np
    radius_np = np.empty(off.shape[0] - 1)
    cdef double[:, ::1] out = out_np
    cdef double[::1] radius = radius_np
    cdef Py_ssize_t c, a
    cdef double x, y, z, q, largest
    with nogil:
        for c in prange(off.shape[0] - 1, num_threads=workers, schedule="static"):
            largest = 0.0
            for a in range(off[c], off[c + 1]):
                x = soa[0, a] - centre[c, 0]
                y = soa[1, a] - centre[c, 1]
                z = soa[2, a] - centre[c, 2]
                q = x * x + y * y + z * z
                out[0, a] = x
                out[1, a] = y
                out[2, a] = z
                out[3, a] = q
                largest = q if q > largest else largest
            radius[c] = sqrt(largest) * (1 + 1e-12)
    return out_np, radius_np


cdef double UNIT = DBL_EPSILON / 2  # the unit roundoff of a double


cdef inline void row_bounds(
    const double* xs, const double* ys, const double* zs, Py_ssize_t rows, const double* centre,
    const double* cols, Py_ssize_t stride, Py_ssize_t nb, double radius, double* out,
) noexcept nogil:
    """Lower bounds of the distance from each of `rows` (4 or 1) points to the nearest
    of nb centred points (cols[0:nb] x, cols[stride:] y, cols[2 * stride:] z,
    cols[3 * stride:] squared norms, relative to `centre`), into out[:rows].

    With both relative to the centre, |a - b|^2 = |a|^2 + |b|^2 - 2 a.b: three fused
    multiply-adds and a minimum per pair, half the exact loop's work (four_rows also
    subtracts and keeps column minima). The form cancels: rounding (of the centring and
    of the sums) moves it by less than 25 u (|a|^2 + radius^2), u the unit roundoff,
    and underflow by less than DBL_MIN, so taking 64 u (|a|^2 + radius^2) + DBL_MIN off
    and the square root down leaves a lower bound."""
    cdef Py_ssize_t b, k
    cdef double px[4]
    cdef double py[4]
    cdef double pz[4]
    cdef double norm[4]
    cdef double m[4]
    cdef double x, y, z, bx, by, bz, q, s0, s1, s2, s3, m0, m1, m2, m3, t
    cdef const double* ysb = &cols[stride]
    cdef const double* zsb = &cols[2 * stride]
    cdef const double* qs = &cols[3 * stride]
    for k in range(rows):
        x = xs[k] - centre[0]
        y = ys[k] - centre[1]
        z = zs[k] - centre[2]
        px[k] = -2 * x
        py[k] = -2 * y
        pz[k] = -2 * z
        norm[k] = x * x + y * y + z * z
    if rows == 4:
        m0 = DBL_MAX; m1 = DBL_MAX; m2 = DBL_MAX; m3 = DBL_MAX
        for b in range(nb):
            bx = cols[b]
            by = ysb[b]
            bz = zsb[b]
            q = qs[b]
            s0 = q + px[0] * bx + py[0] * by + pz[0] * bz
            s1 = q + px[1] * bx + py[1] * by + pz[1] * bz
            s2 = q + px[2] * bx + py[2] * by + pz[2] * bz
            s3 = q + px[3] * bx + py[3] * by + pz[3] * bz
            m0 = s0 if s0 < m0 else m0
            m1 = s1 if s1 < m1 else m1
            m2 = s2 if s2 < m2 else m2
            m3 = s3 if s3 < m3 else m3
        m[0] = m0; m[1] = m1; m[2] = m2; m[3] = m3
    else:
        m0 = DBL_MAX
        for b in range(nb):
            s0 = qs[b] + px[0] * cols[b] + py[0] * ysb[b] + pz[0] * zsb[b]
            m0 = s0 if s0 < m0 else m0
        m[0] = m0
    for k in range(rows):
        t = norm[k] * (1 - 64 * UNIT) + m[k] - (64 * UNIT * radius * radius + DBL_MIN)
        out[k] = sqrt(t if t > 0 else 0.0) * (1 - 4 * UNIT)


cdef bint proved_far(
    const double* xs, const double* ys, const double* zs, Py_ssize_t na, const double* centre,
    const double* cols, Py_ssize_t stride, Py_ssize_t nb, double radius,
    double limit, const double* near, int64_t* visited,
) noexcept nogil:
    """Whether the directed mean from the na points to the nb centred ones is proved
    > limit by row_bounds, the points not yet visited counting their `near` bounds,
    as fused_pair does with exact terms; adds the point pairs it evaluated to *visited.
    A pair it does not prove is computed by fused_pair: the pairs that are abandoned,
    most of the work, cost half as much, and the few kept twice as much."""
    cdef Py_ssize_t a = 0, k, rows
    cdef double left = 0.0, rest = sum_of(near, na)
    cdef double found[4]
    while a < na:
        rows = 4 if a + 4 <= na else 1
        row_bounds(&xs[a], &ys[a], &zs[a], rows, centre, cols, stride, nb, radius, found)
        for k in range(rows):
            left += found[k]
            rest -= near[a + k]
        a += rows
        if beyond(left + rest, limit, na):
            visited[0] += a * nb
            return True
    visited[0] += na * nb
    return False


def nearest_lower_bounds(const double[:, ::1] rows, const double[:, ::1] cols):
    """row_bounds of every point of `rows` (3, na) against all of `cols` (3, nb),
    centred on their centroid (for tests: each at most the exact distance)."""
    centre_np = np.asarray(cols).mean(axis=1)[None]
    centred_np, radius_np = centred_points(cols, np.array([0, cols.shape[1]], dtype=np.int64), centre_np, 1)
    out_np = np.empty(rows.shape[1])
    cdef double[::1] out = out_np
    cdef Centred c = as_centred(centred_np, radius_np, centre_np)
    cdef Py_ssize_t a = 0, step
    while a < rows.shape[1]:
        step = 4 if a + 4 <= rows.shape[1] else 1
        row_bounds(&rows[0, a], &rows[1, a], &rows[2, a], step, c.centre, c.points, c.stride, cols.shape[1],
                   c.radius[0], &out[a])
        a += step
    return out_np


cdef double mean_gap(
    const double* xs, const double* ys, const double* zs, Py_ssize_t n,
    const double* low, const double* high, double* gaps, double limit,
) noexcept nogil:
    """A lower bound of the mean distance from n points to a box, each point's in
    gaps[a] (a loop gcc vectorises, square roots included); DBL_MAX where it proves the
    mean > limit with the callers' margin (1e-12), so that they agree on what is proved.

    The square roots are taken in single precision, four times as many per instruction
    as in double: the float's rounding (< 2e-7 relative in all) is taken off again, so
    each gap stays at most the point's true distance to the box. Squares beyond the
    float range (coordinates reach 1e150) count as FLT_MAX: still a lower bound."""
    cdef Py_ssize_t a
    cdef double gx, gy, gz, g2, total
    cdef double bar = limit * n if limit < DBL_MAX / n else DBL_MAX
    for a in range(n):
        gx = box_gap(xs[a], low[0], high[0])
        gy = box_gap(ys[a], low[1], high[1])
        gz = box_gap(zs[a], low[2], high[2])
        g2 = gx * gx + gy * gy + gz * gz
        gaps[a] = sqrtf(<float> (g2 if g2 < FLT_MAX else FLT_MAX)) * (1 - 1e-6)
    total = sum_of(gaps, n)
    return DBL_MAX if total * (1 - 1e-12) > bar else total / n


cdef double pair_gap(
    const double[:, ::1] soa_l, const int64_t[::1] off_l, const double[:, ::1] low_l, const double[:, ::1] high_l,
    const double[:, ::1] soa_r, const int64_t[::1] off_r, const double[:, ::1] low_r, const double[:, ::1] high_r,
    Py_ssize_t i, Py_ssize_t j, Py_ssize_t row, double* gaps_l, double* gaps_r, double limit,
) noexcept nogil:
    """The larger of the mean distance from cluster i of L to the box of cluster j of R
    and back: a lower bound of their Chamfer distance (bounds.py), or DBL_MAX once
    proved > limit. `row` is i's row in low_l and high_l. Unless it returns DBL_MAX,
    gaps_l holds each point of i's distance to j's box and gaps_r each point of j's
    distance to i's box, so a pair it does not prove too far has both at hand."""
    cdef Py_ssize_t a0 = off_l[i], b0 = off_r[j]
    cdef double there = mean_gap(&soa_l[0, a0], &soa_l[1, a0], &soa_l[2, a0], off_l[i + 1] - a0,
                                 &low_r[j, 0], &high_r[j, 0], gaps_l, limit)
    if there == DBL_MAX:
        return there
    cdef double back = mean_gap(&soa_r[0, b0], &soa_r[1, b0], &soa_r[2, b0], off_r[j + 1] - b0,
                                &low_l[row, 0], &high_l[row, 0], gaps_r, limit)
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


cdef inline void column_seen(
    double d, Py_ssize_t i, Py_ssize_t j, Py_ssize_t t,
    double[:, ::1] col_best, int64_t[:, ::1] col_arg, double[::1] seen,
) noexcept nogil:
    """Record distance d of pair (i, j) in thread t's column minima and in seen[j]."""
    if d < col_best[t, j] or (d == col_best[t, j] and i < col_arg[t, j]):
        col_best[t, j] = d
        col_arg[t, j] = i
    if d < relaxed_load(&seen[j]):
        relaxed_store(&seen[j], d)


def pruned_rows(
    const double[:, ::1] soa_l, const int64_t[::1] off_l,
    const double[:, ::1] soa_r, const int64_t[::1] off_r,
    Py_ssize_t start, Py_ssize_t stop, int workers,
    const double[:, ::1] lower, const int64_t[:, ::1] order, const int64_t[::1] seed_col, const signed char[:, ::1] from_r,
    const double[:, ::1] low_l, const double[:, ::1] high_l, const double[:, ::1] low_r, const double[:, ::1] high_r,
    const int64_t[::1] where_l, const int64_t[::1] where_r, centred_l, centred_r,
    int64_t[::1] near, double[:, ::1] col_best, int64_t[:, ::1] col_arg, double[::1] seen, int64_t[::1] visited,
):
    """Nearest R cluster of rows [start, stop) of L, and each thread's column minima.

    First the guesses (bounds.pair_estimates) are computed: each row's first cluster in
    `order` (its likely nearest) and each column's `seed_col` row, so that every row
    and column starts with a distance close to its minimum. Then row i visits the other
    R clusters in `order`. A pair is skipped when a bound exceeds both the row's best
    distance so far and a distance already computed in its column: first `lower` (the
    centroid-to-box bound), then the tighter mean distance of the points to the other's
    box (pair_gap). A pair computed is abandoned as soon as it is proved to exceed both,
    the points' box distances standing in for those not yet visited; its rows are the
    points of the cluster whose directed mean is likely the larger (`from_r`), as that
    is the direction that can prove it. It can then be neither minimum nor tie.
    Everything computed is exact, and equals the plain kernel's bit for bit: soa_l and
    soa_r are the points in outward-first order (bounds.outward_first), with where_l and
    where_r, and fused_pair sums in the dataset's order. Before it, proved_far tries to
    abandon the pair at half the cost: centred_l and centred_r are (centred_points, the
    centroids) of each side, in the same order.
    `seen[j]`, shared by the threads, holds some distance computed in column j (a lost
    update leaves a larger one, which is still a valid bound); the answer itself comes
    from each thread's own col_best and col_arg. low_l and high_l are the boxes of rows [start, stop);
    visited[t] counts the point pairs thread t evaluated.
    """
    cdef Py_ssize_t i, k, j, t, nr = off_r.shape[0] - 1
    cdef Py_ssize_t largest_r = np.max(np.diff(off_r)), largest_l = np.max(np.diff(off_l))
    cdef double d, best, limit, column
    cdef int64_t arg
    cdef double* colmin
    cdef double* gaps
    cdef double* gaps_r
    cdef double* terms
    cdef Py_ssize_t largest = max(largest_l, largest_r)
    cdef Centred cols_l = as_centred(centred_l[0], centred_l[1], centred_l[2])
    cdef Centred cols_r = as_centred(centred_r[0], centred_r[1], centred_r[2])
    cdef double[::1] row_seed = np.empty(stop - start)
    cdef double[::1] col_seed = np.empty(nr)
    with nogil, parallel(num_threads=workers):
        t = threadid()
        colmin = <double*> malloc(largest * sizeof(double))
        gaps = <double*> malloc(largest_l * sizeof(double))
        gaps_r = <double*> malloc(largest_r * sizeof(double))
        terms = <double*> malloc(largest * sizeof(double))
        for i in prange(start, stop, schedule="dynamic"):
            j = order[i - start, 0]
            d = pair_at(soa_l, off_l, soa_r, off_r, i, j, colmin, DBL_MAX, NULL, &visited[t], &where_l[0], &where_r[0], terms)
            row_seed[i - start] = d
            column_seen(d, i, j, t, col_best, col_arg, seen)
        for j in prange(nr, schedule="dynamic"):
            i = seed_col[j]
            if order[i - start, 0] != j:
                # Abandoned (DBL_MAX) if proved worse than its row's and its column's seeds.
                column = relaxed_load(&seen[j])
                limit = row_seed[i - start] if row_seed[i - start] > column else column
                d = pair_at(soa_l, off_l, soa_r, off_r, i, j, colmin, limit, NULL, &visited[t], &where_l[0], &where_r[0], terms)
                col_seed[j] = d
                column_seen(d, i, j, t, col_best, col_arg, seen)
        for i in prange(start, stop, schedule="dynamic"):
            best = row_seed[i - start]
            arg = order[i - start, 0]
            for k in range(1, nr):
                j = order[i - start, k]
                if seed_col[j] == i:  # computed above, in its column already
                    d = col_seed[j]
                    if d < best or (d == best and j < arg):
                        best = d
                        arg = j
                    continue
                column = relaxed_load(&seen[j])
                limit = best if best > column else column
                # (1 - 1e-12): a bound equal to a distance up to rounding is no proof
                if lower[i - start, j] * (1 - 1e-12) > limit:
                    continue
                if pair_gap(soa_l, off_l, low_l, high_l, soa_r, off_r, low_r, high_r, i, j, i - start,
                            gaps, gaps_r, limit) * (1 - 1e-12) > limit:
                    continue
                if from_r[i - start, j]:  # abandon on the direction likely the larger
                    d = pair_at(soa_r, off_r, soa_l, off_l, j, i, colmin, limit, gaps_r, &visited[t], &where_r[0], &where_l[0], terms,
                                &cols_l)
                else:
                    d = pair_at(soa_l, off_l, soa_r, off_r, i, j, colmin, limit, gaps, &visited[t], &where_l[0], &where_r[0], terms,
                                &cols_r)
                if d < best or (d == best and j < arg):
                    best = d
                    arg = j
                column_seen(d, i, j, t, col_best, col_arg, seen)
            near[i - start] = arg
        free(colmin)
        free(gaps)
        free(gaps_r)
        free(terms)


_kept = threading.local()


def kept(name, shape, dtype=np.float64):
    """This thread's array called `name`, the same from call to call while its shape
    stays: pruned_solve's scratch (7 MB on the paper problem) then keeps its memory
    pages, which fresh arrays get from the kernel one page fault at a time (3 ms a
    solve here, a tenth of it). Nothing kept leaves pruned_solve."""
    arrays = _kept.__dict__
    array = arrays.get(name)
    if array is None or array.shape != shape or array.dtype != dtype:
        array = arrays[name] = np.empty(shape, dtype)
    return array


def prepared(S, summaries, int workers, side):
    """pruned_rows' copies of the points of S for one side: outward_first's (points,
    where) and the proof pass's (centred_points, centroids), in kept arrays."""
    n = S.soa.shape[1]
    points, where = outward_first(S.soa, S.offsets, *summaries[:2], workers,
                                  into=(kept(side + "points", (3, n)), kept(side + "where", (n,), np.int64)))
    centred = centred_points(points, S.offsets, summaries[0], workers, kept(side + "centred", (4, n)))
    return points, where, (*centred, summaries[0])


def pruned_solve(L, R, Py_ssize_t start, Py_ssize_t stop, int workers=1, stats=None):
    """solve_rows for cython-pruned: (nearest R of rows [start, stop), column minima, rows).
    A dict `stats` receives "point_pairs_evaluated", the point pairs evaluated by both
    passes (a pair the proof pass cannot abandon counts twice; benchmarks/).
    """
    from scipar.problems.chamfer.bounds import pair_estimates

    shape = (stop - start, len(R))
    lower, likely, from_r, left, right = pair_estimates(
        L, R, start, stop, workers, into=(kept("lower", shape), kept("likely", shape), kept("from_r", shape, np.int8)))
    soa_l, where_l, centred_l = prepared(L, left, workers, "L")
    soa_r, where_r, centred_r = prepared(R, right, workers, "R")
    low_l, high_l = (np.ascontiguousarray(box[start:stop]) for box in left[3:])
    order = np.argsort(likely, axis=1)
    seed_col = start + np.argmin(likely, axis=0)
    near = np.empty(stop - start, dtype=np.int64)
    col_best = np.full((workers, len(R)), DBL_MAX)
    col_arg = np.full((workers, len(R)), -1, dtype=np.int64)
    seen = np.full(len(R), DBL_MAX)
    visited = np.zeros(workers, dtype=np.int64)
    pruned_rows(soa_l, L.offsets, soa_r, R.offsets, start, stop, workers, lower, order, seed_col, from_r,
                low_l, high_l, *right[3:], where_l, where_r, centred_l, centred_r, near, col_best, col_arg, seen,
                visited)
    if stats is not None:
        stats["point_pairs_evaluated"] = int(visited.sum())
    # Merge the threads' column minima: lowest distance, then lowest row.
    pick = np.lexsort((np.where(col_arg < 0, np.iinfo(np.int64).max, col_arg), col_best), axis=0)[0]
    columns = np.arange(len(R))
    return near, col_best[pick, columns], col_arg[pick, columns]
