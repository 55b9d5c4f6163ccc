"""The toy kernel compiled by Numba, holding the GIL or not: a module of its own, so
that the other implementations load where Numba does not install (a free-threaded
CPython without a Numba wheel)."""

import numba

from scipar.problems.toy.kernels import accumulate, overwrite


def _numba(nogil):
    return {
        "overwrite": numba.njit(nogil=nogil)(overwrite),
        "accumulate": numba.njit(nogil=nogil, fastmath={"reassoc"})(accumulate),
    }


NUMBA_GIL = _numba(nogil=False)
NUMBA_NOGIL = _numba(nogil=True)
