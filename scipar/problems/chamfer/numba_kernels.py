"""Chamfer kernels compiled by Numba.

`numba-workshop` and `numba-signature` keep the workshop's kernel shape (a jitted
function per cluster pair, np.dot on row slices, two passes per pair) with the distance
corrected; `numba-signature` also keeps its explicit `float64[:,:]` signature, which
means "any layout" and costs contiguity (defect 4). `numba` is written for the
compiler: structure of arrays, squared distances with one square root per point, and
both directions of a pair in one pass (defect 9), compiled with the same floating-point
permissions as the Cython kernel (NUMBA_FASTMATH).

Numba cannot match one thing: LLVM vectorises a floating-point minimum only in a
function marked "no-nans-fp-math", an attribute Numba does not set (numba issue #5139),
so with equal flags this kernel's minimum stays scalar where gcc's is vectorised; the
compiler comparison in docs/performance.md gives the measured cost.
"""

import numba
import numpy as np

from scipar.problems.chamfer import NUMBA_FASTMATH
from scipar.problems.chamfer.python_kernels import pairwise_block

# The minima start here, not at inf: with "ninf" the compiler may assume no value is
# infinite. Coordinates are bounded (datasets.MAX_COORDINATE), so every squared
# distance is below it.
BIG = np.finfo(np.float64).max


def _chamfer_workshop(left, right):
    lr = 0.0
    NL, NR = len(left), len(right)
    for li in range(NL):
        l = left[li]
        m = np.inf
        for ri in range(NR):
            d = l - right[ri]
            m = min(m, np.sqrt(np.dot(d, d)))
        lr += m
    rl = 0.0
    for ri in range(NR):
        r = right[ri]
        m = np.inf
        for li in range(NL):
            d = left[li] - r
            m = min(m, np.sqrt(np.dot(d, d)))
        rl += m
    return max(lr / NL, rl / NR)


# Compiled lazily on first call, for whatever layout it is given (C-contiguous here).
chamfer_workshop = numba.njit(nogil=True, cache=True)(_chamfer_workshop)
# Compiled eagerly for the workshop's signature: any layout, so no contiguity.
chamfer_signature = numba.jit(
    "float64(float64[:,:], float64[:,:])", nopython=True, nogil=True, cache=True
)(_chamfer_workshop)

workshop_block = pairwise_block(chamfer_workshop)
signature_block = pairwise_block(chamfer_signature)


@numba.njit(nogil=True, cache=True, inline="always", fastmath=NUMBA_FASTMATH)
def _fused_pair(xs, ys, zs, a0, a1, xr, yr, zr, b0, b1, colmin):
    """Chamfer distance of points [a0, a1) of L and [b0, b1) of R in one pass."""
    for b in range(b1 - b0):
        colmin[b] = BIG
    left = 0.0
    for a in range(a0, a1):
        x, y, z = xs[a], ys[a], zs[a]
        rowmin = BIG
        for b in range(b0, b1):
            dx, dy, dz = x - xr[b], y - yr[b], z - zr[b]
            d2 = dx * dx + dy * dy + dz * dz
            rowmin = min(rowmin, d2)
            colmin[b - b0] = min(colmin[b - b0], d2)
        left += np.sqrt(rowmin)
    right = 0.0
    for b in range(b1 - b0):
        right += np.sqrt(colmin[b])
    return max(left / (a1 - a0), right / (b1 - b0))


@numba.njit(nogil=True, cache=True, fastmath=NUMBA_FASTMATH)
def _fused_row(soa_l, off_l, soa_r, off_r, i, out_row, colmin):
    xs, ys, zs = soa_l[0], soa_l[1], soa_l[2]
    xr, yr, zr = soa_r[0], soa_r[1], soa_r[2]
    for j in range(len(off_r) - 1):
        out_row[j] = _fused_pair(
            xs, ys, zs, off_l[i], off_l[i + 1], xr, yr, zr, off_r[j], off_r[j + 1], colmin
        )


@numba.njit(nogil=True, cache=True, fastmath=NUMBA_FASTMATH)
def _fused_rows_serial(soa_l, off_l, soa_r, off_r, start, stop, out):
    colmin = np.empty(np.max(np.diff(off_r)))
    for i in range(start, stop):
        _fused_row(soa_l, off_l, soa_r, off_r, i, out[i - start], colmin)


@numba.njit(nogil=True, cache=True, parallel=True, fastmath=NUMBA_FASTMATH)
def _fused_rows_prange(soa_l, off_l, soa_r, off_r, start, stop, out):
    largest = np.max(np.diff(off_r))
    for i in numba.prange(start, stop):
        colmin = np.empty(largest)  # one scratch row per iteration: no sharing
        _fused_row(soa_l, off_l, soa_r, off_r, i, out[i - start], colmin)


def fused_block(L, R, start, stop, workers=1):
    out = np.empty((stop - start, len(R)))
    if workers == 1:
        _fused_rows_serial(L.soa, L.offsets, R.soa, R.offsets, start, stop, out)
        return out
    if workers > numba.config.NUMBA_NUM_THREADS:  # Numba sized its pool at import
        raise ValueError(
            f"workers={workers} exceeds NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}; "
            "set NUMBA_NUM_THREADS before importing numba (scipar.measure.layers.pin_threads)"
        )
    numba.set_num_threads(workers)
    _fused_rows_prange(L.soa, L.offsets, R.soa, R.offsets, start, stop, out)
    return out
